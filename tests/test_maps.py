"""Course maps (coursekit.maps): display geometry, encoding, escaping, marker records."""

from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Proj
from test_roadbook import (
    EVIL,
    loop_course,
    make_course,
    map_data,
    steep_course,
    table_rows,
)

from coursekit import maps
from coursekit.cli import cli
from coursekit.course import load_course
from coursekit.cutoffs import plan as make_plan
from coursekit.gpx import write_gpx
from coursekit.roadbook import race_page

# ---------------------------------------------------------------- encoded polyline


def test_polyline_google_reference_vector():
    # the example of Google's "Encoded Polyline Algorithm Format" page
    lat, lon = [38.5, 40.7, 43.252], [-120.2, -120.95, -126.453]
    text = maps.encode_polyline(lat, lon)
    assert text == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    la, lo = maps.decode_polyline(text)
    np.testing.assert_allclose(la, lat, atol=1e-9)
    np.testing.assert_allclose(lo, lon, atol=1e-9)


coords = st.lists(
    st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
    min_size=0,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(coords)
def test_polyline_round_trip(points):
    lat = np.array([p[0] for p in points], float)
    lon = np.array([p[1] for p in points], float)
    text = maps.encode_polyline(lat, lon)
    assert all(63 <= ord(ch) <= 126 for ch in text)  # printable ASCII, no escaping needed
    la, lo = maps.decode_polyline(text)
    assert la.size == lat.size
    # exactly the positions rounded to 1e-5 degree (about 1 m)
    np.testing.assert_array_equal(np.rint(la * 1e5), np.rint(lat * 1e5))
    np.testing.assert_array_equal(np.rint(lo * 1e5), np.rint(lon * 1e5))
    assert np.all(np.abs(la - lat) <= 0.5e-5 + 1e-12)


# ---------------------------------------------------------------- simplification


def _max_deviation_m(lat, lon, idx):
    """Largest distance [m] of any point from the kept polyline, in an independent AEQD."""
    import shapely

    p = Proj(proj="aeqd", lat_0=float(np.mean(lat)), lon_0=float(np.mean(lon)), ellps="WGS84")
    x, y = p(lon, lat)
    line = shapely.LineString(np.column_stack([x[idx], y[idx]]))
    return float(shapely.distance(shapely.points(x, y), line).max())


@pytest.mark.parametrize("tol", [1.0, 5.0, 20.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simplification_honours_tolerance(tol, seed):
    rng = np.random.default_rng(seed)
    n = 3000
    # a 30 km random walk with metre-scale jitter and turns (local metres -> degrees)
    heading = np.cumsum(rng.normal(0, 0.15, n))
    step = rng.uniform(5, 15, n)
    east = np.cumsum(step * np.sin(heading)) + rng.normal(0, 2, n)
    north = np.cumsum(step * np.cos(heading)) + rng.normal(0, 2, n)
    lat = 45.0 + north / 111_132.0
    lon = 6.0 + east / (111_320.0 * math.cos(math.radians(45.0)))
    idx = maps.simplify_line(lat, lon, tolerance_m=tol)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)
    assert 2 <= idx.size < n
    dev = _max_deviation_m(lat, lon, idx)
    assert dev <= tol * 1.001 + 1e-6, dev
    # and it actually uses its budget (not keeping everything)
    assert dev > 0.5 * tol


def test_simplification_tolerance_order_and_edge_cases():
    lat = np.linspace(31.0, 31.1, 500)
    lon = -7.9 + 0.001 * np.sin(np.linspace(0, 40, 500))
    sizes = [maps.simplify_line(lat, lon, tolerance_m=t).size for t in (0.5, 5, 50)]
    assert sizes[0] > sizes[1] > sizes[2]
    assert list(maps.simplify_line(lat[:2], lon[:2])) == [0, 1]
    assert list(maps.simplify_line([31.0, 31.0, 31.0], [-7.0, -7.0, -7.0])) == [0, 2]
    with pytest.raises(ValueError, match="tolerance_m"):
        maps.simplify_line(lat, lon, tolerance_m=-1)
    with pytest.raises(ValueError, match="tolerance_m"):
        maps.simplify_line(lat, lon, tolerance_m=float("nan"))


# ---------------------------------------------------------------- JSON for scripts


def test_js_json_cannot_close_script_and_round_trips():
    obj = {"name": EVIL + "<!-- & \u2029", "n": [1, 2.5, None]}
    text = maps.js_json(obj)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert json.loads(text) == obj
    with pytest.raises(ValueError):
        maps.js_json({"x": float("nan")})


# ---------------------------------------------------------------- markers and rows


@pytest.fixture(scope="module")
def syn(tmp_path_factory):
    course = load_course(make_course(tmp_path_factory.mktemp("m"), schematic=False))
    return course, make_plan(course)


def test_checkpoint_rows_one_per_legs_row(syn):
    course, plan = syn
    rows = maps.checkpoint_rows(course, plan=plan)
    assert [r["kind"] for r in rows] == ["start"] + ["checkpoint"] * 3 + ["finish"]
    assert [r["name"] for r in rows] == list(plan.legs.names)
    assert rows[0]["distance_m"] == 0.0
    km = [r["distance_m"] / 1000 for r in rows[1:4]]
    np.testing.assert_allclose(km, [3, 6, 9], atol=1e-6)
    assert sum(r["leg_distance_m"] for r in rows) == pytest.approx(rows[-1]["distance_m"])
    assert rows[1]["cutoff"].isoformat() == "2024-06-01T07:00:00+01:00"
    assert rows[1]["fixed"] is True and rows[2]["fixed"] is False
    # without legs nor plan: start and finish of the profile
    bare = maps.checkpoint_rows(course)
    assert [r["kind"] for r in bare] == ["start", "finish"]
    # ... the finish on the tables' scale: along the course, on the slope
    from coursekit.profile import along_course_distance

    assert bare[-1]["distance_m"] == pytest.approx(along_course_distance(course.profile)[-1])
    assert bare[-1]["distance_m"] > course.profile.total_distance


def test_map_has_one_marker_record_per_checkpoint_and_km_markers(syn):
    course, plan = syn
    html = maps.map_html(maps.course_map(course, plan=plan), offline=True)
    (race,) = map_data(html)
    assert [c["name"] for c in race["cps"]] == list(plan.legs.names)
    # 12 km course: a km marker every 5 km, not at the finish
    assert [k[2] for k in race["km"]] == [5, 10]
    popup = dict(race["cps"][3]["rows"])
    assert popup["cutoff"] == "Sat 09:00" and popup["services"] == "medical"
    assert popup["km"] == "9.0"
    # the checkpoint markers carry their own class (used by the browser test)
    assert "ck-cp" in html


def _metres(a, b) -> float:
    from pyproj import Geod

    return float(Geod(ellps="WGS84").inv(a[1], a[0], b[1], b[0])[2])


def test_km_markers_use_the_slope_km_of_the_tables_and_popups(tmp_path):
    """Marker "20" stands at the checkpoint the table and popup list at km 20 (slope km).

    Before, the markers were placed on the map (2D) distance: on this 40 % saw-tooth marker
    "20" was at the finish, ~1.4 km past the km-20 checkpoint (TOR330: Donnas, km 152.5 in the
    table, was 35 m from marker "150").
    """
    from coursekit.profile import along_course_distance
    from coursekit.roadbook import race_page

    course = load_course(steep_course(tmp_path))
    total_map = course.profile.total_distance
    along = along_course_distance(course.profile)
    assert along[-1] - total_map > 1400.0  # the two scales differ visibly
    page = race_page(course, offline=True)
    (race,) = map_data(page.html)
    ridge = next(c for c in race["cps"] if c["name"] == "Ridge")
    assert dict(ridge["rows"])["km"] == "20.0"
    marks = {k[2]: (k[0], k[1]) for k in race["km"]}
    assert sorted(marks) == [5, 10, 15, 20]
    assert _metres(marks[20], (ridge["lat"], ridge["lon"])) < 20.0
    # every marker stands where the slope distance is its label
    tr = course.profile.track
    for km, pos in marks.items():
        i = int(np.argmin((tr.lat - pos[0]) ** 2 + (tr.lon - pos[1]) ** 2))
        assert along[i] == pytest.approx(km * 1000.0, abs=20.0), km
    # the legs table says the same km
    rows = table_rows(page.html, "legs")
    assert [r[1] for r in rows if r[0] == "Ridge"] == ["20.0"]


def test_colocated_checkpoints_share_one_marker_listing_every_passage(tmp_path):
    """On a loop the start, the mid-race station at the start's village and the finish get
    one marker (every icon, one popup section per passage); the layer switcher is collapsed.

    Before, three markers were stacked on HQ and only the finish flag could be clicked: the
    km-10 station with its drop bag was unreachable, and the open layer switcher covered the
    top right of the course.
    """
    course = load_course(loop_course(tmp_path))
    plan = make_plan(course)
    html = maps.map_html(maps.course_map(course, plan=plan), offline=True)
    (race,) = map_data(html)
    names = [c["name"] for c in race["cps"]]
    assert names == ["Start", "North corner", "HQ", "South corner", "Finish"]
    assert race["places"] == [[0, 2, 4], [1], [3]]
    hq = [race["cps"][i] for i in race["places"][0]]
    assert [dict(c["rows"])["km"] for c in hq] == ["0.0", "10.0", "20.0"]
    assert [c["icon"] for c in hq] == ["start", "drop_bag", "finish"]
    assert "drop bag" in dict(hq[1]["rows"])["services"]
    assert '"collapsed": true' in html
    # distinct places never merge, whatever their order
    assert maps._places([{"lat": 45.0, "lon": 6.0}, {"lat": 45.001, "lon": 6.0}]) == [[0], [1]]
    assert maps._places([{"lat": 45.0, "lon": 6.0}, {"lat": 45.0001, "lon": 6.0}]) == [[0, 1]]


def test_event_map_layers(tmp_path):
    a = load_course(make_course(tmp_path, slug="a", name="Race A"))
    b = load_course(make_course(tmp_path, slug="b", name="Race <B>", length_m=15000))
    m = maps.event_map([a, b])
    html = maps.map_html(m, title="Event <x>")
    races = map_data(html)
    assert [r["name"] for r in races] == ["Race A", "Race <B>"]
    assert races[0]["colour"] != races[1]["colour"]
    # layer names go into the layer control as HTML: HTML-escaped, then JSON-escaped
    assert '"Race \\u0026lt;B\\u0026gt;"' in html
    assert "<title>Event &lt;x&gt;</title>" in html
    with pytest.raises(ValueError, match="one per course"):
        maps.event_map([a, b], plans=[None])


def test_map_of_a_course_across_the_antimeridian_is_centred_on_it(tmp_path):
    """The map's first view is the middle of the course's shortest longitude arc: the
    middle of min/max of 179.9 .. -179.9 is 0, the other side of the Earth."""
    n = 201
    lon = np.mod(np.linspace(179.9, 180.1, n) + 180.0, 360.0) - 180.0
    write_gpx(tmp_path / "f.gpx", np.full(n, -17.8), lon, np.full(n, 10.0), name="fiji")
    (tmp_path / "f.toml").write_text(
        'name = "Fiji"\ngpx = "f.gpx"\nstart = 2024-06-01T08:00:00+12:00\nlimit = "6h"\n'
    )
    m = maps.course_map(load_course(tmp_path / "f.toml"))
    assert m.location[0] == pytest.approx(-17.8)
    assert abs(m.location[1]) > 179.99


def _across_180(
    folder, slug, *, lat0=-16.8, west=179.92, east=180.08, cps=(179.95, 179.9998, 180.04)
):
    """A course on Taveuni's longitude crossing 180 E = 180 W eastwards (lon 179.92 ..
    -179.92, about 20 km), with checkpoints given by coordinates (``cps``: their unwrapped
    longitudes, written in -180..180 as a course file gives them; 179.9998 is on the
    segment 179.9996 .. -180 of the default track)."""
    n = 401
    ulon = np.linspace(west, east, n)
    lat = lat0 + 0.02 * np.sin(np.linspace(0.0, 3.0 * np.pi, n))
    wrap = lambda x: float(np.mod(x + 180.0, 360.0) - 180.0)  # noqa: E731
    write_gpx(folder / f"{slug}.gpx", lat, [wrap(x) for x in ulon], np.full(n, 10.0), name=slug)
    lines = [
        f'name = "{slug}"',
        f'gpx = "{slug}.gpx"',
        "start = 2024-06-01T08:00:00+12:00",
        'limit = "8h"',
    ]
    for k, x in enumerate(cps):
        la = float(np.interp(x, ulon, lat))
        lines += ["", "[[checkpoints]]", f'name = "CP{k + 1}"', f"lat = {la:.6f}"]
        lines += [f"lon = {wrap(x):.6f}", 'services = ["water"]']
    path = folder / f"{slug}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_course(path)


def _drawn(races):
    """(lat, lon) of every line point, checkpoint marker and km marker the script draws,
    and the lines themselves."""
    lines = []
    for r in races:
        lines += [maps.decode_polyline(run[1]) for run in r.get("runs", [])]
        if "line" in r:
            lines.append(maps.decode_polyline(r["line"]))
    pts = [np.column_stack(ln) for ln in lines]
    pts += [np.array([[c["lat"], c["lon"]] for r in races for c in r["cps"]])]
    pts += [np.array([[k[0], k[1]] for r in races for k in r["km"]]).reshape(-1, 2)]
    return np.concatenate(pts), lines


def _assert_one_side(races, true_cps):
    """Continuous lines, every layer on one range of longitudes a few degrees wide, and each
    marker on the true longitude once brought back into -180..180."""
    pts, lines = _drawn(races)
    for la, lo in lines:
        assert la.size >= 2
        assert np.max(np.abs(np.diff(lo))) < 180.0  # no jump the long way round the world
    # the bounds the script fits the first view to: a few degrees, not the whole world
    assert np.ptp(pts[:, 1]) < 1.0 and np.ptp(pts[:, 0]) < 1.0
    lons = [c["lon"] for r in races for c in r["cps"]]
    assert np.mod(np.array(lons) + 180.0, 360.0) - 180.0 == pytest.approx(true_cps, abs=2e-5)
    # the km markers sit on the line: within the line's own longitudes
    for r in races:
        for k in r["km"]:
            assert np.min(np.abs(np.concatenate([ln[1] for ln in lines]) - k[1])) < 0.01


@pytest.mark.parametrize("grade", [False, True])
def test_map_of_a_course_across_the_antimeridian_is_drawn_across_it(tmp_path, grade):
    """Leaflet draws a line from 179.99 to -179.99 the long way round the world and fits
    the first view to the whole world: every layer is unwrapped onto the course's side."""
    course = _across_180(tmp_path, "taveuni")
    plan = make_plan(course)
    races = map_data(maps.map_html(maps.course_map(course, plan=plan, grade=grade)))
    assert ("runs" in races[0]) == grade
    true = [float(x) for x in plan.legs.lon]
    # the file's coordinates (179.9998 was placed at about 0: a plain interpolation of the
    # longitudes of the segment across 180)
    assert true[1:-1] == pytest.approx([179.95, 179.9998, -179.96], abs=1e-5)
    _assert_one_side(races, true)
    assert races[0]["km"]  # km markers on the line, none at lon 0 (a mean of +-180)


def test_event_map_of_races_across_the_antimeridian_is_drawn_across_it(tmp_path):
    a = _across_180(tmp_path, "a")
    b = _across_180(tmp_path, "b", lat0=-16.9, west=179.97, east=180.15, cps=(180.01,))
    plans = [make_plan(a), make_plan(b)]
    m = maps.event_map([a, b], plans=plans)
    races = map_data(maps.map_html(m))
    true = [float(x) for p in plans for x in p.legs.lon]
    _assert_one_side(races, true)
    pts, _lines = _drawn(races)
    # the first view folium sets is on the same range as the layers
    assert np.min(pts[:, 1]) <= m.location[1] <= np.max(pts[:, 1])


def test_roadbook_page_of_a_course_across_the_antimeridian(tmp_path):
    """The roadbook embeds the same map; its print map (a local projection) is course-sized."""
    from coursekit.figures import _draw_outline

    course = _across_180(tmp_path, "taveuni")
    plan = make_plan(course)
    _assert_one_side(map_data(race_page(course, plan=plan).html), list(plan.legs.lon))
    fig = _draw_outline(course.profile, legs=plan.legs)
    xy = np.concatenate([ln.get_xydata() for ln in fig.axes[0].lines])
    # the track spans 0.16 deg of longitude at 16.8 S: about 17 km, not the Earth's width
    assert np.ptp(xy[:, 0]) == pytest.approx(
        0.16 * 111.32e3 * math.cos(math.radians(16.8)), rel=0.05
    )


def test_write_map_is_atomic(syn, tmp_path, monkeypatch):
    course, _plan = syn
    out = tmp_path / "map.html"
    out.write_text("old", encoding="utf-8")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        maps.write_map(out, maps.course_map(course))
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    monkeypatch.undo()
    maps.write_map(out, maps.course_map(course))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_leaflet_assets_offline_inline_images():
    text = maps.leaflet_assets(True)
    assert "url(images/" not in text
    assert "data:image/png;base64," in text
    assert not re.search(r"<script[^>]+src=", text)
    assert maps.LEAFLET_CDN_JS in maps.leaflet_assets(False)


def test_cdn_leaflet_pinned_by_the_hash_of_the_bundled_copy():
    """A published page runs the CDN's Leaflet only if it is the file coursekit was tested
    with: both tags carry ``integrity`` (the sha256 of xstatic-leaflet's copy, the one
    ``--offline`` inlines) and ``crossorigin`` (review R9: they had neither)."""
    import base64
    import hashlib

    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    assert leaflet.VERSION in maps.LEAFLET_CDN_JS and leaflet.VERSION in maps.LEAFLET_CDN_CSS
    text = maps.leaflet_assets(False)
    for name, url in (("leaflet.js", maps.LEAFLET_CDN_JS), ("leaflet.css", maps.LEAFLET_CDN_CSS)):
        digest = hashlib.sha256((base / name).read_bytes()).digest()
        sri = "sha256-" + base64.b64encode(digest).decode("ascii")
        tag = re.search(rf'<[^>]*"{re.escape(url)}"[^>]*>', text).group(0)
        assert f'integrity="{sri}"' in tag, name
        assert 'crossorigin="anonymous"' in tag, name


# ---------------------------------------------------------------- the legend, in a browser

_UNDER_LEGEND_JS = """() => {
  const lg = document.querySelector('.ck-legend').getBoundingClientRect();
  const box = document.querySelector('.leaflet-container').getBoundingClientRect();
  let under = 0, total = 0;
  document.querySelectorAll('path.leaflet-interactive').forEach(p => {
    const n = p.getTotalLength(), m = p.getScreenCTM();
    for (let s = 0; s <= n; s += 2) {
      const q = p.getPointAtLength(s);
      const x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
      if (x < box.left || x > box.right || y < box.top || y > box.bottom) continue;
      total++;
      if (x >= lg.left && x <= lg.right && y >= lg.top && y <= lg.bottom) under++;
    }
  });
  document.querySelectorAll('.leaflet-marker-icon').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.left < lg.right && lg.left < r.right && r.top < lg.bottom && lg.top < r.bottom) under++;
  });
  return [under, total];
}"""


@pytest.mark.browser
def test_legend_never_covers_the_course(tmp_path):
    """Review leftover: the legend (bottom left, 145 x 145 px) covered the course line, a
    checkpoint and its km label on a narrow map (UTAM 90 at 800 x 600, Amizmiz 10/20/64 and
    UTAT 105 on a phone). It folds to a "Legend" button now, and starts folded when, open,
    it would cover the line or a marker; a wide map keeps it open."""
    import shutil

    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no `chromium` on PATH (apt-get install chromium)")
    from coursekit.roadbook import build_roadbook

    courses = os.path.join(os.path.dirname(__file__), "..", "courses")
    build_roadbook(
        os.path.join(courses, "amizmiz", "amizmiz-90.toml"), tmp_path / "a", offline=True
    )
    build_roadbook(os.path.join(courses, "haut", "haut-120.toml"), tmp_path / "h", offline=True)
    cases = [
        (tmp_path / "a" / "amizmiz-90.html", (800, 600), "false"),
        (tmp_path / "h" / "haut-120.html", (1200, 900), "true"),
    ]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for path, (w, h), expanded in cases:
                page = browser.new_page(viewport={"width": w, "height": h})
                errors = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
                )
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_selector("path.leaflet-interactive", state="attached")
                assert errors == []
                under, total = page.evaluate(_UNDER_LEGEND_JS)
                assert total > 100 and under == 0, (path.name, under, total)
                page.set_default_timeout(5000)
                toggle = page.locator(".ck-legend-toggle")
                assert toggle.get_attribute("aria-expanded") == expanded, path.name
                rows = page.locator(".ck-legend-body > div")
                assert rows.count() >= 8 and rows.first.is_visible() == (expanded == "true")
                toggle.click()  # the button folds and unfolds it
                assert rows.first.is_visible() == (expanded != "true")
                page.close()
        finally:
            browser.close()


def test_popup_notes_leave_out_what_is_written_for_the_organiser():
    """A checkpoint note that cites the course's sources (places.json) keeps its text for
    runners in the popup, less the parenthesis that points at a file; the roadbook's rule."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "courses" / "atlas-quest" / "utat-105.toml"
    course = load_course(path)
    notes = [c.note for c in course.checkpoints if "places.json" in (c.note or "")]
    assert notes, "precondition: a bundled checkpoint note cites places.json"
    html_text = maps.course_map(course, plan=make_plan(course)).get_root().render()
    assert "places.json" not in html_text
    assert "Position schematic." in html_text  # the rest of the note is still there
    note = "PC1 (atlas-trail.com via places.json: ~5 km). Position schematic."
    assert maps.for_runners(note) == "PC1. Position schematic."
    assert maps.for_runners("see docs/seed-courses.md") is None


# ---------------------------------------------------------------- template syntax in the data

# Jinja's three openers, and a script end: shown as written, never evaluated
TEMPLATE_NAMES = (
    "Col {{ 7*7 }} du Sud",
    "Refuge {# Nord",
    "Gîte {% if 1 %}Haut{% endif %}",
    "Bergerie </script><script>alert(5)</script>",
)


def template_course(folder):
    return make_course(
        folder,
        name="Trail {{ 7*7 }} __LEGEND__",
        slug="tpl",
        cps=tuple((n, 3 * (k + 1), ["water"], None) for k, n in enumerate(TEMPLATE_NAMES)),
        info={"notes": "Bring {{ 7*7 }} gels {# and {% a torch"},
        length_m=15000.0,
    )


def test_template_syntax_in_names_is_shown_as_written(tmp_path):
    """Checkpoint and race names holding ``{{``, ``{#``, ``{%`` and ``</script>`` are shown
    exactly as written in the map (JSON data and layer name) and the roadbook (HTML-escaped).

    Before, branca compiled folium's rendered script as a Jinja template a second time:
    "Col {{ 7*7 }} du Sud" was shown "Col 49 du Sud" in the map, and ``{#`` stopped `map`
    and `roadbook` with a TemplateSyntaxError.
    """
    course = load_course(template_course(tmp_path))
    plan = make_plan(course)
    pages = [maps.map_html(maps.course_map(course, plan=plan, grade=g)) for g in (False, True)]
    pages.append(race_page(course, plan=plan).html)
    for page in pages:
        (race,) = map_data(page)
        assert race["name"] == "Trail {{ 7*7 }} __LEGEND__"
        assert [c["name"] for c in race["cps"][1:-1]] == list(TEMPLATE_NAMES)
        # the layer switcher's name: HTML-escaped, then JSON (no brace is touched), and not
        # taken for a placeholder of the map script
        layers = re.search(r"var LAYERS = (\[.*?\]);", page)
        assert json.loads(layers.group(1)) == ["Trail {{ 7*7 }} __LEGEND__"]
        for evaluated in ("Col 49", "Trail 49", "Gîte Haut", "Bring 49"):
            assert evaluated not in page
        assert "<script>alert(5)" not in page
    rb = pages[-1]
    assert [r[0] for r in table_rows(rb, "legs")[1:-1]] == [html.escape(n) for n in TEMPLATE_NAMES]
    assert "<h1>Trail {{ 7*7 }} __LEGEND__</h1>" in rb
    assert "Bring {{ 7*7 }} gels {# and {% a torch" in rb


def test_template_syntax_in_names_map_and_roadbook_commands(tmp_path):
    src = template_course(tmp_path / "src")
    out = tmp_path / "out"
    for args in (
        ["map", str(src), "-o", str(out / "m.html")],
        ["map", str(src), "-o", str(out / "g.html"), "--grade"],
        ["roadbook", str(src), "-o", str(out / "rb")],
    ):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
    for page in (out / "m.html", out / "g.html", out / "rb" / "tpl.html"):
        (race,) = map_data(page.read_text(encoding="utf-8"))
        assert [c["name"] for c in race["cps"][1:-1]] == list(TEMPLATE_NAMES)


def braces_course(folder) -> Path:
    """A zigzag whose corners are 0.00974 degree of latitude apart: each corner-to-corner
    step encodes as ``{{@`` in a Google polyline (974 << 1 = 28 + 28 * 32 + 1024).

    The altitude climbs, stays flat and descends by turns, so ``--grade`` draws several
    runs.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    corners = 24
    t = np.linspace(0.0, 1.0, 21)[:-1]
    k = np.concatenate([j + t for j in range(corners)] + [np.array([float(corners)])])
    lat = 45.0 + 0.00974 * k
    lon = 6.0 + 0.005 * (1.0 - np.abs((k % 2.0) - 1.0))  # corners alternate 6.0 / 6.005
    step = np.array([120.0, 0.0, -120.0])[np.floor(k).astype(int) % 3]
    ele = 1000.0 + np.concatenate([[0.0], np.cumsum(step[1:] * np.diff(k))])
    write_gpx(folder / "braces.gpx", lat, lon, ele, name="braces")
    lines = [
        'name = "Braces"',
        'gpx = "braces.gpx"',
        "start = 2025-06-07T06:00:00+02:00",
        'limit = "10h"',
        'timezone = "Europe/Paris"',
    ]
    path = folder / "braces.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("grade", [False, True])
def test_encoded_line_with_template_braces_renders(tmp_path, grade):
    """A display line whose encoding holds ``{{`` renders, with and without ``--grade``.

    Before, `coursekit map --grade` stopped with "internal error (TemplateSyntaxError ...)"
    on 12 of the 14 real tracks: their encoded grade runs hold ``{{``, ``{%`` or ``{#``.
    """
    src = braces_course(tmp_path / "src")
    out = tmp_path / "m.html"
    res = CliRunner().invoke(cli, ["map", str(src), "-o", str(out)] + ["--grade"] * grade)
    assert res.exit_code == 0, res.output
    (race,) = map_data(out.read_text(encoding="utf-8"))
    lines = [r[1] for r in race["runs"]] if grade else [race["line"]]
    assert len(lines) >= (3 if grade else 1)
    assert any("{{" in s for s in lines)  # the case this test is about
    course = load_course(src)
    # the page's line is the track: every corner is on it, to the encoding's 1e-5 degree
    pts = np.concatenate([np.column_stack(maps.decode_polyline(s)) for s in lines])
    corners = np.column_stack([45.0 + 0.00974 * np.arange(25), 6.0 + 0.005 * (np.arange(25) % 2)])
    for c in corners:
        assert np.min(np.abs(pts - c).max(axis=1)) < 1e-5
    assert course.profile.track.lat.size == 481


def test_grade_map_on_a_real_track(realdata, tmp_path):
    """`map --grade` on the Grand Raid 2024 track (real data; skipped when absent)."""
    gpx = realdata / "grr_2024.gpx"
    if not gpx.is_file():
        pytest.skip(f"{gpx} is not in the real-data folder")
    src = tmp_path / "grr.toml"
    src.write_text(
        f'name = "GRR 2024"\ngpx = {json.dumps(str(gpx))}\n'
        'start = 2024-10-17T22:00:00+04:00\nlimit = "66h"\ntimezone = "Indian/Reunion"\n',
        encoding="utf-8",
    )
    out = tmp_path / "grr.html"
    res = CliRunner().invoke(cli, ["map", str(src), "-o", str(out), "--grade"])
    assert res.exit_code == 0, res.output
    (race,) = map_data(out.read_text(encoding="utf-8"))
    runs = [r[1] for r in race["runs"]]
    assert len(runs) > 100
    assert any(o in s for s in runs for o in ("{{", "{%", "{#"))


def test_loop_start_and_finish_a_few_tens_of_metres_apart_share_one_marker(tmp_path):
    """h103: the web map grouped markers within 30 m only; a loop whose GPX ends 40 m from
    its start drew the finish flag over the start (24 px icons overlap up to zoom 16). The
    start and the finish now share one marker within figures.SAME_END_M (50 m), as on the
    print map; a mid-race station 40 m from the start keeps a marker of its own, and a
    point-to-point course keeps two."""
    from coursekit.figures import SAME_END_M
    from coursekit.geodesy import distance

    n = 401
    up = np.linspace(0.0, 0.045, n // 2 + 1)
    lat = 45.0 + np.concatenate([up, up[::-1][1:]])
    east = 40.0 / (111_320.0 * math.cos(math.radians(45.0)))  # the way back 40 m east
    lon = 6.0 + np.concatenate([np.zeros(n // 2 + 1), np.full(n // 2, east)])
    write_gpx(tmp_path / "l.gpx", lat, lon, np.full(lat.size, 800.0), name="loop")
    head = 'name = "L"\ngpx = "l.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    (tmp_path / "l.toml").write_text(head + '[[checkpoints]]\nname = "Hut"\nkm = 5\n')
    course = load_course(tmp_path / "l.toml")
    (race,) = map_data(maps.map_html(maps.course_map(course, plan=make_plan(course))))
    cps = race["cps"]
    assert [c["name"] for c in cps] == ["Start", "Hut", "Finish"]
    gap = distance(cps[0]["lat"], cps[0]["lon"], cps[-1]["lat"], cps[-1]["lon"])
    assert maps.SAME_PLACE_M < gap <= SAME_END_M, gap
    assert race["places"] == [[0, 2], [1]], race["places"]
    # a mid-race row as far from the start keeps its own marker; a far finish too
    here, near, far = (
        {"lat": 45.0, "lon": 6.0},
        {"lat": 45.0, "lon": 6.0 + east},
        {"lat": 45.01, "lon": 6.0},
    )
    assert maps._places([here, far, near]) == [[0, 2], [1]]
    assert maps._places([here, near, far]) == [[0], [1], [2]]
    assert maps._places([here, far, near], ends_within_m=0.0) == [[0], [1], [2]]
