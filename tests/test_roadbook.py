"""Roadbook pages and event index (coursekit.roadbook) and the `roadbook`/`map` commands.

Synthetic courses are written into tmp folders by :func:`make_course` (also used by
test_maps, test_figures and test_browser); the bundled HAUT event is built once per module.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from coursekit.cli import cli
from coursekit.course import load_course
from coursekit.errors import CourseFileError
from coursekit.gpx import write_gpx
from coursekit.roadbook import KEEP_TABLE_ROWS, build_roadbook, race_page

ROOT = Path(__file__).parent.parent
COURSES = ROOT / "courses"

DEFAULT_CPS = (
    ("Alpha", 3, ["water"], "1h"),
    ("Bravo", 6, ["water", "food"], None),
    ("Charlie", 9, ["medical"], "3h"),
)

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(2)</script>",
    "${alert(3)}",
    "`alert(4)`",
    "line\u2028sep",
)
EVIL = "".join(PAYLOADS)


def _q(x) -> str:
    return json.dumps(x, ensure_ascii=False)


def make_course(
    folder,
    *,
    name="Synthetic 12",
    slug="syn",
    cps=DEFAULT_CPS,
    track_name="synthetic track",
    schematic=None,
    info=None,
    start="2024-06-01T06:00:00+01:00",
    limit="4h",
    length_m=12000.0,
    n=1200,
    zigzag_m=0.0,
) -> Path:
    """Write ``slug.gpx`` and ``slug.toml`` (docs/course-file.md) into ``folder``.

    The track runs north from (31.10 N, 7.90 W) over ``length_m`` with a 70 m
    sinusoidal meander, 300 m of altitude amplitude, and optionally an east-west
    zigzag of +-``zigzag_m`` alternating point to point.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = np.linspace(0.0, length_m, n)
    lat = 31.10 + s / 111_000.0
    east = 70.0 * np.sin(s / 400.0) + zigzag_m * (-1.0) ** np.arange(n)
    lon = -7.90 + east / (111_000.0 * np.cos(np.radians(31.1)))
    ele = 1200.0 + 300.0 * np.sin(s / 3000.0)
    write_gpx(folder / f"{slug}.gpx", lat, lon, ele, name=track_name)
    lines = [
        f"name = {_q(name)}",
        f'gpx = "{slug}.gpx"',
        f"start = {start}",
        f'limit = "{limit}"',
        'timezone = "Africa/Casablanca"',
    ]
    if schematic is not None:
        lines.append(f"schematic = {'true' if schematic else 'false'}")
    for cname, km, services, cutoff in cps:
        lines += ["", "[[checkpoints]]", f"name = {_q(cname)}", f"km = {km}"]
        lines.append(f"services = {_q(services)}")
        if cutoff:
            lines.append(f'cutoff = "{cutoff}"')
    if info:
        lines += ["", "[info]"] + [f"{k} = {_q(v)}" for k, v in info.items()]
    path = folder / f"{slug}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def steep_course(folder, *, cps=(("Ridge", 20),)) -> Path:
    """A 20 km (map) course due north whose altitude saw-tooths at +-40 % every km.

    Its slope length is about 21.5 km (sqrt(1 + 0.4**2) = 1.077): map and slope km differ by
    ~380 m at km 5 and ~1.5 km at the finish. ``cps``: (name, km) in the course file (km are
    slope km, docs/course-file.md).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = np.linspace(0.0, 20000.0, 2001)
    lat = 45.0 + s / 111_132.0
    lon = np.full(s.size, 6.0)
    ele = 1000.0 + 0.4 * (500.0 - np.abs(s % 2000.0 - 1000.0))  # 1000-1400 m, 40 % grades
    write_gpx(folder / "steep.gpx", lat, lon, ele, name="steep")
    lines = [
        'name = "Steep 20"',
        'gpx = "steep.gpx"',
        "start = 2025-06-07T06:00:00+02:00",
        'limit = "10h"',
        'timezone = "Europe/Paris"',
    ]
    for name, km in cps:
        lines += ["", "[[checkpoints]]", f'name = "{name}"', f"km = {km}", 'services = ["water"]']
    path = folder / "steep.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def loop_course(folder) -> Path:
    """A figure-of-eight through HQ: 10 km east loop, 10 km west loop, flat at 500 m.

    Start, the km-10 station (drop bag) and the finish are all at HQ (45 N, 6 E).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n_deg, e_deg = 2500.0 / 111_132.0, 2500.0 / (111_320.0 * np.cos(np.radians(45.0)))
    corners = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (-1, 0), (-1, -1), (0, -1), (0, 0)]
    lat, lon = [], []
    for (a, b), (c, d) in zip(corners[:-1], corners[1:], strict=True):
        t = np.linspace(0.0, 1.0, 101)[:-1]
        lat += list(45.0 + n_deg * (a + (c - a) * t))
        lon += list(6.0 + e_deg * (b + (d - b) * t))
    lat.append(45.0)
    lon.append(6.0)
    write_gpx(folder / "fig8.gpx", lat, lon, np.full(len(lat), 500.0), name="fig8")
    lines = [
        'name = "Figure eight 20"',
        'gpx = "fig8.gpx"',
        "start = 2025-12-21T07:00:00+01:00",
        'limit = "4h"',
        'timezone = "Europe/Paris"',
        "loop = true",
    ]
    for name, km, svc in (
        ("North corner", 5, []),
        ("HQ", 10, ["water", "food", "drop_bag"]),
        ("South corner", 15, []),
    ):
        lines += ["", "[[checkpoints]]", f'name = "{name}"', f"km = {km}", f"services = {_q(svc)}"]
    path = folder / "fig8.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_event(folder, name, slugs) -> Path:
    folder = Path(folder)
    for k, slug in enumerate(slugs):
        make_course(folder, name=f"{name} race {k}", slug=slug, length_m=12000.0 + 2000 * k)
    courses = ", ".join(_q(f"{s}.toml") for s in slugs)
    (folder / "event.toml").write_text(
        f'name = {_q(name)}\ncourses = [{courses}]\ntimezone = "Africa/Casablanca"\n',
        encoding="utf-8",
    )
    return folder


def evil_course(folder) -> Path:
    """A course whose every free text carries the injection payloads."""
    return make_course(
        folder,
        name=f"Race {EVIL}",
        slug="evil",
        cps=(
            (f"CP1 {EVIL}", 3, ["water"], "1h"),
            (f"CP2 {PAYLOADS[1]}", 6, ["food"], None),
            (f"CP3 {PAYLOADS[2]}{PAYLOADS[3]}", 9, [], "3h"),
        ),
        track_name=f"track {EVIL}",
        info={"equipment": [f"torch {EVIL}", "whistle"], "food": f"soup {EVIL}", "notes": EVIL},
    )


def map_data(page_html: str) -> list:
    """The races JSON the map script is fed with (js_json is valid JSON)."""
    m = re.search(r"races = (\[.*?\]), groups = \[", page_html, re.S)
    assert m, "map data not found in the page"
    return json.loads(m.group(1))


def table_rows(page_html: str, table_id: str) -> list[list[str]]:
    m = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', page_html, re.S)
    assert m, f"table {table_id} not found"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


# ---------------------------------------------------------------- one page


@pytest.fixture(scope="module")
def syn_page(tmp_path_factory):
    course = load_course(make_course(tmp_path_factory.mktemp("syn"), schematic=False))
    return course, race_page(course)


def test_page_has_one_marker_record_and_one_table_row_per_checkpoint(syn_page):
    course, page = syn_page
    races = map_data(page.html)
    assert len(races) == 1
    names = [c["name"] for c in races[0]["cps"]]
    assert names[1:-1] == ["Alpha", "Bravo", "Charlie"]
    assert [c["icon"] for c in races[0]["cps"]] == ["start", "water", "food", "medical", "finish"]
    rows = table_rows(page.html, "legs")
    assert [r[0].removesuffix(" (fixed)") for r in rows] == names
    assert rows[1][0] == "Alpha (fixed)" and rows[2][0] == "Bravo"


def test_page_table_and_popup_show_the_same_barrier(syn_page):
    course, page = syn_page
    rows = table_rows(page.html, "legs")
    alpha = next(r for r in rows if r[0] == "Alpha (fixed)")
    # course file: Alpha cutoff 1h after a 06:00 start (Saturday 1 June 2024, +01:00)
    assert alpha[6] == "Sat 07:00"
    popup = dict(map_data(page.html)[0]["cps"][1]["rows"])
    assert popup["cutoff"] == "Sat 07:00"
    assert popup["km"] == alpha[1]


def test_schematic_banner_absent_for_surveyed_track(syn_page):
    _course, page = syn_page
    assert not page.schematic
    assert 'id="schematic"' not in page.html


def test_print_css(syn_page):
    _course, page = syn_page
    assert "@page" in page.html
    assert "break-inside: avoid" in page.html
    assert "display: table-header-group" in page.html
    # the interactive map is hidden on paper; a static map (SVG) is shown there instead
    assert ".mapbox { display: none; }" in page.html
    assert ".printmap { display: block;" in page.html
    block = page.html[page.html.index('<div class="printmap">') :]
    assert block.index("<svg") < block.index("</div>")


def test_print_css_keeps_blocks_whole_and_times_on_one_line(syn_page):
    """The profile's heading and chart are one unbreakable block, a two-column bullet is
    never split, clock times never wrap, and the tables print smaller on A4.

    Before, the "Profile" heading could end a page with its chart on the next, a Notes
    bullet ran over two columns and the A4 table was 730-763 px wide for 704 px of paper
    (the browser test measures it).
    """
    _course, page = syn_page
    css = page.html[page.html.index("<style>\n:root") :]
    css = css[: css.index("</style>")]
    printing = css[css.index("@media print") :]
    assert ".keep { break-inside: avoid;" in printing
    assert "table { font-size: 8pt; }" in printing
    assert "ul.cols li { break-inside: avoid;" in css
    assert "td.t { white-space: nowrap; }" in css
    m = re.search(r'<section class="keep" id="profile">(.*?)</section>', page.html, re.S)
    assert m and m.group(1).startswith("<h2>Profile</h2>") and "<svg" in m.group(1)
    row = re.search(r'<tr class="[^"]*"><td class="l">Alpha.*?</tr>', page.html).group(0)
    assert row.count('<td class="t">') == 4  # barrier, elapsed, leader, opens


def test_checkpoints_table_one_block_kept_whole_when_it_fits_a_page(tmp_path):
    """The checkpoints heading, note and table are one section, unbreakable in print up to
    :data:`~coursekit.roadbook.KEEP_TABLE_ROWS` rows (start and finish included); a longer
    table is left to split across pages (Chromium would push a taller unbreakable block to
    a fresh page and split it there anyway). The browser test checks the PDF."""
    for rows in (KEEP_TABLE_ROWS, KEEP_TABLE_ROWS + 1):
        n = rows - 2
        cps = [
            (f"Station {i}", round(60.0 * i / (n + 1), 1), ["water"], None) for i in range(1, n + 1)
        ]
        toml = make_course(tmp_path / str(rows), cps=cps, length_m=60000.0, n=3000, limit="14h")
        html = race_page(load_course(toml)).html
        assert len(table_rows(html, "legs")) == rows
        m = re.search(r'<section( class="keep")? id="checkpoints">(.*?)</section>', html, re.S)
        assert m and m.group(2).startswith("<h2>Checkpoints, barriers and opening times</h2>")
        assert m.group(2).rstrip().endswith("</table></div>")
        assert bool(m.group(1)) == (rows <= KEEP_TABLE_ROWS), rows


def test_phone_css_keeps_the_first_column_of_a_wide_table_in_view(syn_page):
    """A wide table scrolling in its box keeps its first column (the checkpoint names) at
    the left edge, opaque, night rows tinted as the rest of the row; on paper it is a plain
    column again (nothing scrolls there). The browser test measures it on a phone."""
    _course, page = syn_page
    css = page.html[page.html.index("<style>\n:root") :]
    css = css[: css.index("</style>")]
    screen, printing = css[: css.index("@media print")], css[css.index("@media print") :]
    assert ".wide td:first-child, .wide th:first-child { position: sticky; left: 0;" in screen
    assert ".wide td:first-child { background: #fff; }" in screen
    assert ".wide tr.night td:first-child { background: #f4f4f8; }" in screen
    assert "tr.night td { background: #f4f4f8; }" in screen
    assert ".wide td:first-child, .wide th:first-child { position: static;" in printing
    assert "tr.night td, .wide tr.night td:first-child { background: #e4e4ec; }" in printing


def test_stats_come_from_the_full_track(tmp_path):
    """A +-2 m zigzag every point: the 5 m display line drops it, the statistics do not."""
    from coursekit.maps import decode_polyline

    course = load_course(make_course(tmp_path, zigzag_m=2.0, schematic=False))
    page = race_page(course)
    full = course.profile.total_distance
    line = map_data(page.html)[0]["line"]
    la, lo = decode_polyline(line)
    from coursekit.geodesy import local_projection

    x, y = local_projection(la, lo).forward(la, lo)
    shown = float(np.hypot(np.diff(x), np.diff(y)).sum())
    assert full > shown * 1.05  # the zigzag adds ~7 % to the 12 km
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", page.html))
    assert facts["distance on the slope"] == f"{page.distance_m / 1000:.1f} km"
    assert abs(page.distance_m - full) < 0.02 * full
    assert abs(page.distance_m - shown) > 0.05 * shown
    assert facts["D+"] == f"{course.profile.total_gain:,.0f}".replace(",", "\u202f") + " m"


def test_distances_say_whether_on_the_slope_or_map(tmp_path):
    """The roadbook's distance box, the event index and the `legs` header name their distance
    and lead with the one the tables' km count (the finish row).

    Before, the box said "distance 21.5 km" (slope, unnamed) while `legs` led with the map
    "20.00 km" over a table ending at 21.5.
    """
    course = load_course(steep_course(tmp_path / "steep"))
    page = race_page(course)
    rows = table_rows(page.html, "legs")
    finish_km = rows[-1][1]
    assert float(finish_km) > 21.0  # 40 % saw-tooth: 20 km on the map
    facts = {
        k: (v, note)
        for k, v, note in re.findall(
            r"<li>([^<]+)<b>([^<]+)</b>(?:<small[^>]*>([^<]*)</small>)?</li>", page.html
        )
    }
    assert "distance" not in facts
    assert facts["distance on the slope"] == (f"{finish_km} km", "map 20.0 km")
    assert "km are measured along the course on the slope" in page.html
    # a schematic sketch has no slope correction: its box and table say map
    sketch = race_page(load_course(make_course(tmp_path / "sk", schematic=True)))
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", sketch.html))
    assert facts["distance (map)"] == f"{table_rows(sketch.html, 'legs')[-1][1]} km"
    assert "km are map distance" in sketch.html
    # the event index says which distance its km column is
    build_roadbook(tmp_path / "steep" / "steep.toml", tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert table_rows(index, "races")[0][2] == finish_km
    assert "km: along the course on the slope, as in each race&#x27;s tables." in index
    # `legs` leads with the same figure as its finish row, named, then the map distance
    res = CliRunner().invoke(cli, ["legs", str(tmp_path / "steep" / "steep.toml")])
    assert res.exit_code == 0, res.output
    head, last = res.output.splitlines()[0], res.output.splitlines()[-1]
    m = re.match(r"Steep 20: (\d+\.\d\d) km on the slope \(map 20\.00 km\), D\+", head)
    assert m, head
    assert f"{float(m.group(1)):.1f}" == finish_km and f" {finish_km} " in last


def test_km_effort_counts_map_km_as_profile_does(tmp_path):
    """The box's km-effort and ITRA points are `profile`'s: map km + D+/100, rounded as ITRA
    rounds. Before, the box added the tables' slope km (7 % more on this 40 % saw-tooth; TOR330
    616 against `profile`'s 610)."""
    import json

    toml = steep_course(tmp_path / "steep")
    course = load_course(toml)
    page = race_page(course)
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", page.html))
    gpx = course.gpx_path
    res = CliRunner().invoke(cli, ["profile", str(gpx), "--format", "json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)[0]
    assert facts["km-effort"] == str(rec["km_effort_itra"])
    assert facts["ITRA points"] == str(rec["itra_points"])
    slope_kme = page.distance_m / 1000 + course.profile.total_gain / 100
    assert abs(slope_kme - rec["km_effort"]) > 1.0  # the two km differ enough to tell


def test_km_effort_and_itra_points_of_the_published_figures(tmp_path):
    """70 km due north climbing 449.6 m: the box said km-effort 74 and 2 ITRA points (the
    unrounded 74.496); ITRA, given the published 70.00 km and 450 m, counts 75 and 3."""
    lat = 45.0 + np.arange(71) * 1000.0 / 111_140.0  # 69,998.7 m
    ele = 1000.0 + 449.6 * np.arange(71) / 70
    write_gpx(tmp_path / "edge.gpx", lat, np.full(71, 6.0), ele, name="edge")
    (tmp_path / "edge.toml").write_text(
        'name = "Edge 70"\ngpx = "edge.gpx"\nstart = 2025-06-07T06:00:00+02:00\n'
        'limit = "20h"\ntimezone = "Europe/Paris"\n',
        encoding="utf-8",
    )
    course = load_course(tmp_path / "edge.toml")
    assert round(course.profile.total_gain) == 450
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", race_page(course).html))
    assert facts["D+"] == "450 m"
    assert facts["km-effort"] == "75" and facts["ITRA points"] == "3"


def test_offline_page_needs_no_network_for_scripts(tmp_path):
    course = load_course(make_course(tmp_path))
    online = race_page(course).html
    offline = race_page(course, offline=True).html
    assert re.search(r"<script[^>]+src=", online)  # the CDN Leaflet
    assert not re.search(r"<script[^>]+src=", offline)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", offline)
    assert "url(http" not in offline and "@import" not in offline
    assert "L.Marker" in offline or "leaflet" in offline.lower()
    assert len(offline) > len(online) + 100_000  # Leaflet itself is inlined


# ---------------------------------------------------------------- safety


def test_injection_payloads_are_escaped(tmp_path):
    course = load_course(evil_course(tmp_path))
    text = race_page(course, offline=True).html
    for dangerous in ("<script>alert", "<img src=x", "onerror=alert(1)>"):
        assert dangerous not in text, dangerous
    # the texts are shown as written: escaped in HTML, intact in the map's JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    cps = map_data(text)[0]["cps"]
    assert cps[1]["name"] == f"CP1 {EVIL}"
    # outside JSON strings, no script contains the payloads
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert scripts[0].startswith("/* @preserve\n * Leaflet")
    for own in scripts[1:]:
        own = re.sub(r'"(?:[^"\\]|\\.)*"', '""', own)
        assert "alert" not in own and "${" not in own
    for s in scripts:
        assert "</script" not in s.lower()
        assert "\u2028" not in s  # ends a string in older JavaScript engines
    # equipment, food and notes are shown (escaped) too
    assert text.count("torch ") == 1 and "soup " in text


# ---------------------------------------------------------------- events and the bundled HAUT


@pytest.fixture(scope="module")
def haut(tmp_path_factory):
    out = tmp_path_factory.mktemp("rb")
    written = build_roadbook(COURSES / "haut", out, offline=True)
    return out, written


def test_haut_event_pages(haut):
    out, written = haut
    names = sorted(p.name for p in written)
    assert names == sorted(["index.html"] + [f"haut-{k}.html" for k in (10, 21, 42, 80, 120)])
    for p in written:
        if p.name != "index.html":
            html = p.read_text(encoding="utf-8")
            assert 'id="schematic"' in html  # every HAUT track is a sketch
            assert 'href="index.html"' in html


def test_failed_second_page_leaves_nothing_behind(tmp_path, monkeypatch):
    """Review finding 3: ``roadbook -o site/`` writes several pages; when the SECOND
    rename failed, the first page and the created folder stayed (the cleanup was per file,
    and the former test failed every rename, so the first write). Now nothing is left; a
    file already in an existing folder stays."""
    import os

    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device (simulated)")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    course = COURSES / "haut" / "haut-21.toml"
    with pytest.raises(OSError, match="cannot write .No space left on device"):
        build_roadbook(course, tmp_path / "rb" / "site", offline=True)
    assert len(calls) == 2
    assert not (tmp_path / "rb").exists(), sorted(map(str, tmp_path.rglob("*")))
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "notes.txt").write_text("mine")
    calls.clear()
    res = CliRunner().invoke(cli, ["roadbook", str(course), "-o", str(tmp_path / "site")])
    assert res.exit_code == 1 and "No space left on device" in res.stderr, res.output
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["notes.txt"]


def _clock(text, saturday):
    day, hm = text.split()
    h, m = map(int, hm.split(":"))
    return saturday + timedelta(days={"Sat": 0, "Sun": 1}[day], hours=h, minutes=m)


def test_haut_index_lists_shared_station_with_window(haut):
    out, _written = haut
    index = (out / "index.html").read_text(encoding="utf-8")
    stations = {r[0]: r for r in table_rows(index, "stations")}
    tizi = stations["Tizi Oussem"]
    assert set(tizi[1].split(", ")) == {"HAUT 120", "HAUT 80", "HAUT 42"}
    # the window follows the race pages: the earlier of the earliest leader ETA - 30 min and
    # the earliest "opens" (the plan's conservative opening), latest barrier + 30 min
    sat = datetime(2024, 6, 1)
    leaders, openings, barriers = [], [], []
    for k in (120, 80, 42):
        rows = table_rows((out / f"haut-{k}.html").read_text(encoding="utf-8"), "legs")
        (row,) = [r for r in rows if r[0].startswith("Tizi Oussem")]
        leaders.append(_clock(row[8], sat))
        openings.append(_clock(row[9], sat))
        barriers.append(_clock(row[6], sat))
        assert openings[-1] < leaders[-1]  # a station is ready before the leader's ETA
    assert _clock(tizi[2], sat) == min(min(openings), min(leaders) - timedelta(minutes=30))
    assert _clock(tizi[3], sat) == max(barriers) + timedelta(minutes=30)


def test_roadbook_leader_eta_rounded_as_cutoffs_text(haut):
    """The leader's ETA is rounded to the nearest minute in the table and the popups, as
    `coursekit cutoffs` prints it; barriers and openings keep their minutes.

    Before, the roadbook cut the seconds off: Aguersioual's leader at 04:45:32 read
    ``Sat 04:45`` in the roadbook and ``Sat 04:46`` in `cutoffs`.
    """
    out, _written = haut
    course = COURSES / "haut" / "haut-120.toml"
    res = CliRunner().invoke(cli, ["cutoffs", str(course)])
    assert res.exit_code == 0, res.output
    text_rows = [
        re.findall(r"(\w{3} \d\d:\d\d)(?: \(\d+:\d\d\))?", line)
        for line in res.output.splitlines()
        if re.search(r"\w{3} \d\d:\d\d \(\d+:\d\d\)", line)
    ]
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--format", "json"])
    seconds = [
        datetime.fromisoformat(r["first_arrival"]).second
        for r in json.loads(res.output)["checkpoints"]
    ]
    assert any(s >= 30 for s in seconds)  # rows where cutting off and rounding differ
    page = (out / "haut-120.html").read_text(encoding="utf-8")
    rows = table_rows(page, "legs")
    popups = [dict(c["rows"]) for c in map_data(page)[0]["cps"]]
    assert len(rows) == len(text_rows) == len(popups) == len(seconds)
    for row, (cut, leader, opens), pop in zip(rows, text_rows, popups, strict=True):
        assert row[8] == leader, row[0]
        assert pop["leader ETA"] == leader, row[0]
        assert row[9] == opens and pop["station opens"] == opens, row[0]
        if row[0] != "Start":
            assert row[6] == cut and pop["cutoff"] == cut, row[0]


def test_haut_index_has_occupancy_chart_of_shared_stations(haut):
    out, _written = haut
    index = (out / "index.html").read_text(encoding="utf-8")
    i = index.index("runners arriving per hour")
    chart = index[i : index.index("<h2>", i)]  # its panels, one SVG each, to the next heading
    assert "<svg" in chart and "200 runners per race" in chart
    assert "Tizi Oussem (HAUT 120, HAUT 80, HAUT 42)" in chart  # a station shared by three races
    assert "Oukaïmeden (" not in chart  # served by the 120 only: not a shared station


def test_folder_of_events(tmp_path):
    src = tmp_path / "src"
    make_event(src / "ev-one", "Event One", ["a", "b"])
    make_event(src / "ev-two", "Event Two", ["c"])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["roadbook", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 6 pages" in result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.html")) == [
        "ev-one/a.html",
        "ev-one/b.html",
        "ev-one/index.html",
        "ev-two/c.html",
        "ev-two/index.html",
        "index.html",
    ]
    top = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="ev-one/index.html"' in top and 'href="ev-two/index.html"' in top
    one = (out / "ev-one" / "index.html").read_text(encoding="utf-8")
    assert [r[0] for r in table_rows(one, "races")] == ["Event One race 0", "Event One race 1"]


def test_every_page_of_several_events_links_up_and_every_link_resolves(tmp_path):
    """In a roadbook of several events, each event index and race page links up to the
    top index (review R9: an event index had no way up); one event alone has no top index
    and no link to it. Every local link of every page leads to a written page."""
    src = tmp_path / "src"
    make_event(src / "ev-one", "Event One", ["a", "b"])
    make_event(src / "ev-two", "Event Two", ["c"])
    out = tmp_path / "out"
    build_roadbook(src, out, offline=True)
    pages = sorted(out.rglob("*.html"))
    for path in pages:
        html = path.read_text(encoding="utf-8")
        for href in re.findall(r'<a href="([^"#:]+)"', html):
            assert (path.parent / href).resolve().is_file(), (path, href)
        if path.parent != out:
            nav = re.search(r'<nav class="noprint">(.*?)</nav>', html).group(1)
            assert '<a href="../index.html">' in nav, path
    one = tmp_path / "one"
    build_roadbook(src / "ev-one", one, offline=True)
    for path in one.rglob("*.html"):
        assert "../index.html" not in path.read_text(encoding="utf-8"), path


def _links(page_html: str) -> dict[str, str]:
    return {t: h for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page_html)}


def test_every_race_and_event_gets_its_own_page(tmp_path):
    """Review h78 R1: file names that slug alike ("Trail A", "trail_a"), a course file
    called index.toml and names with no Latin letter (all "race") wrote one page over
    another, and the index linked two races to the page of one; two event folders alike
    lost a whole event. Each gets its own page, in the listed order (-2, -3...)."""
    src = tmp_path / "src"
    names = ["index", "Trail A", "trail_a", "تمزيرت", "ⵜⴰⵎⴰⵣⵉⵖⵜ"]
    for k, n in enumerate(names):
        make_course(src / "Trail A", name=f"Atlas race {k}", slug=n)
    courses = ", ".join(_q(f"{n}.toml") for n in names)
    (src / "Trail A" / "event.toml").write_text(
        f'name = "Atlas"\ncourses = [{courses}]\ntimezone = "Africa/Casablanca"\n',
        encoding="utf-8",
    )
    make_event(src / "trail-a", "Other", ["r"])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["roadbook", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 9 pages" in result.output, result.output  # 6 races, 3 indexes
    top = _links((out / "index.html").read_text(encoding="utf-8"))
    assert top == {"Atlas": "trail-a/index.html", "Other": "trail-a-2/index.html"}
    idx = _links((out / "trail-a" / "index.html").read_text(encoding="utf-8"))
    hrefs = [idx[f"Atlas race {k}"] for k in range(len(names))]
    assert hrefs[:3] == ["index-2.html", "trail-a.html", "trail-a-2.html"], hrefs
    assert len(set(hrefs)) == len(hrefs), hrefs
    assert all(re.fullmatch(r"[a-z0-9-]+\.html", h) for h in hrefs), hrefs
    for k, h in enumerate(hrefs):  # each link leads to its own race's page
        assert f"Atlas race {k}</h1>" in (out / "trail-a" / h).read_text(encoding="utf-8")
    assert "Other race 0</h1>" in (out / "trail-a-2" / "r.html").read_text(encoding="utf-8")


def test_rerun_removes_the_pages_it_wrote_before_and_no_other_file(tmp_path):
    """Black-box finding 20: re-run after a race was taken out of the event, the roadbook
    left that race's old page in the output folder (a published folder still held it). The
    pages the last run listed in its manifest and this run does not write are removed, if
    unchanged; a file no run wrote, or one changed since, is never removed."""
    from coursekit.roadbook import MANIFEST

    src = tmp_path / "src"
    make_event(src / "ev-one", "Event One", ["a", "b", "c"])
    make_event(src / "ev-two", "Event Two", ["d"])
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["roadbook", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert sorted(listed) == [
        "ev-one/a.html",
        "ev-one/b.html",
        "ev-one/c.html",
        "ev-one/index.html",
        "ev-two/d.html",
        "ev-two/index.html",
        "index.html",
    ]
    (out / "ev-one" / "mine.html").write_text("the organiser's own page", encoding="utf-8")
    (out / "ev-one" / "c.html").write_text("edited by hand", encoding="utf-8")
    # a manifest naming files outside the folder (hand-edited or hostile): never touched
    outside = tmp_path / "outside.html"
    outside.write_text("not the roadbook's", encoding="utf-8")
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    data["files"]["../outside.html"] = listed["index.html"]
    data["files"][str(outside)] = listed["index.html"]
    data["files"]["old\u0000.html"] = listed["index.html"]  # a name no system takes
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    # b and c leave Event One; Event Two leaves the folder of events
    (src / "ev-one" / "event.toml").write_text(
        'name = "Event One"\ncourses = ["a.toml"]\n', encoding="utf-8"
    )
    (src / "ev-two" / "event.toml").rename(src / "ev-two" / "event.off")
    for f in (src / "ev-two").iterdir():
        f.rename(tmp_path / f.name)
    r = CliRunner().invoke(cli, ["roadbook", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"removed {out / 'ev-one' / 'b.html'} (written by the last run" in r.output
    assert f"warning: kept {out / 'ev-one' / 'c.html'}: written by the last run" in r.output
    # a single event now: its pages at the top of the folder, the old event folders gone
    # but for the files kept
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        MANIFEST,
        "a.html",
        "ev-one/c.html",
        "ev-one/mine.html",
        "index.html",
    ]
    assert (out / "ev-one" / "c.html").read_text(encoding="utf-8") == "edited by hand"
    assert outside.read_text(encoding="utf-8") == "not the roadbook's"
    assert not (out / "ev-two").exists()  # emptied: removed
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert sorted(listed) == ["a.html", "index.html"]
    # no manifest (a folder from before it, or another tool's): nothing removed
    (out / MANIFEST).unlink()
    (src / "ev-one" / "event.toml").write_text(
        'name = "Event One"\ncourses = ["b.toml"]\n', encoding="utf-8"
    )
    assert build_roadbook(src, out) == [out / "b.html", out / "index.html"]
    assert (out / "a.html").exists()


def test_failing_course_leaves_previous_roadbook_untouched(tmp_path):
    src = make_event(tmp_path / "ev", "Event", ["a", "b"])
    (src / "b.toml").write_text('name = "B"\n', encoding="utf-8")  # no gpx, start, limit
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("old", encoding="utf-8")
    with pytest.raises(CourseFileError, match="b.toml"):
        build_roadbook(src, out)
    assert (out / "index.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


# ---------------------------------------------------------------- command line


def test_cli_single_course_and_map(tmp_path):
    course = make_course(tmp_path / "c")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["roadbook", str(course), "-o", str(out), "--offline"])
    assert r.exit_code == 0, r.output
    names = ["index.html", "syn.html", ".coursekit-roadbook.json"]  # and what it wrote
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    r = CliRunner().invoke(cli, ["map", str(course), "-o", str(tmp_path / "m.html"), "--grade"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "runs" in map_data(text)[0] and "line" not in map_data(text)[0]


def test_cli_reads_an_event_file_by_its_content_whatever_its_name(tmp_path):
    """Black-box finding K6: `roadbook` and `map` read an event file only when it was named
    event.toml; any other name was refused as "this looks like an event file ...
    `coursekit event` reads event files", though `event` writes neither. A file that is
    neither a course nor an event keeps its one-line error."""
    src = make_event(tmp_path / "src", "Event One", ["a", "b"])
    ev = (src / "event.toml").rename(src / "week.toml")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["roadbook", str(ev), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.glob("*.html")) == ["a.html", "b.html", "index.html"]
    races = table_rows((out / "index.html").read_text(encoding="utf-8"), "races")
    assert [row[0] for row in races] == ["Event One race 0", "Event One race 1"]
    m = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", str(ev), "-o", str(m)])
    assert r.exit_code == 0, r.output
    assert "Event One race 0" in m.read_text(encoding="utf-8")
    assert "Event One race 1" in m.read_text(encoding="utf-8")
    # a places file is still told apart, in one line
    places = tmp_path / "places.toml"
    places.write_text('name = "P"\n[[places]]\nname = "A"\n', encoding="utf-8")
    for cmd, o in (("roadbook", tmp_path / "o"), ("map", tmp_path / "o.html")):
        r = CliRunner().invoke(cli, [cmd, str(places), "-o", str(o)])
        assert r.exit_code == 1
        assert r.output.strip().splitlines() == [
            f"Error: {places}: has [[places]] but no 'gpx': this looks like a places file "
            "for 'coursekit sketch', not a course file"
        ]
        assert not o.exists()


def test_cli_progress_lines_say_what_was_done(tmp_path):
    """Black-box finding K12: the progress printed bare indented course paths on standard
    error, which read like a list of problems; each line now says what was done."""
    src = make_event(tmp_path / "src", "Event One", ["a", "b"])
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["roadbook", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"  built the page of {src / 'a.toml'}",
        f"  built the page of {src / 'b.toml'}",
        f"wrote 3 pages into {out}",
    ]


@pytest.mark.parametrize("cmd", ["roadbook", "map"])
def test_cli_missing_target(tmp_path, cmd):
    out = tmp_path / ("o" if cmd == "roadbook" else "o.html")
    r = CliRunner().invoke(cli, [cmd, str(tmp_path / "nope"), "-o", str(out)])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        f"Error: {tmp_path / 'nope'}: no such course file or folder"
    ]
    assert not out.exists()


def test_cli_empty_folder_and_bad_course(tmp_path):
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["roadbook", str(tmp_path / "empty"), "-o", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1 and "no course files found" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "X"\ngpx = "x.gpx"\n', encoding="utf-8")
    r = CliRunner().invoke(cli, ["roadbook", str(bad), "-o", str(tmp_path / "o")])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "bad.toml" in lines[0]


def test_cli_output_is_a_file(tmp_path):
    course = make_course(tmp_path / "c")
    (tmp_path / "f").write_text("keep", encoding="utf-8")
    r = CliRunner().invoke(cli, ["roadbook", str(course), "-o", str(tmp_path / "f")])
    assert r.exit_code == 2
    assert (tmp_path / "f").read_text(encoding="utf-8") == "keep"


def test_single_race_index_has_no_occupancy_chart(tmp_path):
    """One race shares no station: no field simulation and no chart (it cost ~2 s on GRR)."""
    course = make_course(tmp_path / "in")
    written = build_roadbook(course, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert tmp_path / "out" / "index.html" in written
    assert "Aid stations: staffing windows" in index  # the windows table is still there
    assert "runners arriving per hour" not in index
    assert "<svg" not in index


# ---------------------------------------------------------------- what runners read


def _published(page_html: str) -> str:
    """The page's HTML text less its scripts (the map, see Notes of the browser tests) and
    its folded, never printed notes for the organiser."""
    text = re.sub(r"<script.*?</script>", "", page_html, flags=re.S)
    return re.sub(r'<details class="organiser noprint".*?</details>', "", text, flags=re.S)


ORGANISER_WORDS = ("[[", "this file", "seed-courses.md", "interpolated in km-effort", "seeds/")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    out = tmp_path_factory.mktemp("all")
    build_roadbook(COURSES, out)
    return out


def test_published_pages_show_no_course_file_internals(bundled):
    """The course files' notes point at the file ("reasons at the top of this file"), its
    tables ("[[declared]]"), docs/seed-courses.md and the proposed limits' formula: none
    of it is printed for runners; it is kept, folded, in "Notes for the organiser".

    Before, HAUT 120, UTAT and Amizmiz printed all of it in Notes and "Proposed" lines.
    """
    pages = sorted(bundled.rglob("*.html"))
    assert len(pages) == 18
    folded = 0
    for path in pages:
        text = path.read_text(encoding="utf-8")
        pub = _published(text)
        for word in ORGANISER_WORDS:
            assert word not in pub, (path.name, word)
        folded += text.count('<details class="organiser noprint" id="organiser">')
    assert folded >= 14  # every race page of the bundled events has some
    haut = (bundled / "haut" / "haut-120.html").read_text(encoding="utf-8")
    notes = _published(haut)[_published(haut).index("<h2>Notes</h2>") :]
    # the runners keep what the note says, less the pointer to the file
    assert "the sketch starts at Imlil.</li>" in notes
    assert "D+: 6400 m in 2.A, 6200 m in 2.D.</li>" in notes
    organiser = haut[haut.index('id="organiser"') :]
    assert "places.json" in organiser


def test_page_shows_the_info_tables_not_the_loaders_bookkeeping(tmp_path):
    """The loader keeps its own notes in ``course.info`` beside the [info] tables; the page
    printed a start offset that contradicts the zone as two blocks, "Start offset
    mismatch" ("+01:00") and "Start offset note", besides the plan's warning."""
    course = load_course(
        make_course(tmp_path, start="2024-06-01T06:00:00+02:00", info={"place": "Amizmiz"})
    )
    assert course.info["start_offset_note"] and course.info["start_offset_mismatch"]
    html = race_page(course).html
    assert "<h2>Place</h2>\n<p>Amizmiz</p>" in html  # an [info] table
    assert "<h2>Start offset" not in html and "<h2>Loop" not in html
    assert html.count("but Africa/Casablanca is at +01:00 then") == 1  # the plan's warning


def test_plan_warnings_are_for_the_organiser_not_printed(tmp_path):
    """The plan's warnings are advice to the organiser ("round to 5 min", "checkpoints[0,
    2]", a start offset that contradicts the zone): they are folded in the not-printed
    "Notes for the organiser", never in a printed list on the runners' page.

    Before, they were a printed ``<ul class="note">`` under the table (review R7)."""
    course = load_course(make_course(tmp_path, start="2024-06-01T06:00:00+02:00"))
    page = race_page(course)
    warning = next(w for w in page.plan.warnings if "Africa/Casablanca" in w)
    pub = _published(page.html)
    assert "Africa/Casablanca is at +01:00" not in pub
    assert '<ul class="note">' not in pub
    folded = re.search(r'<details class="organiser noprint".*?</details>', page.html, re.S)
    assert folded is not None
    assert warning.replace("'", "&#x27;") in folded.group(0)


def test_note_for_the_organiser_folded_and_not_printed(tmp_path):
    notes = [
        "Bring a headlamp.",
        "Start at the church (reasons at the top of this file).",
        "See docs/seed-courses.md for the method.",
        "D+ recorded as [[declared]].",
    ]
    course = load_course(make_course(tmp_path, schematic=False, info={"notes": notes}))
    text = race_page(course).html
    pub = _published(text)
    assert "<li>Bring a headlamp.</li>" in pub and "<li>Start at the church.</li>" in pub
    assert "seed-courses" not in pub and "[[declared]]" not in pub
    folded = text[text.index('<details class="organiser noprint"') :]
    assert "Notes for the organiser" in folded
    assert "See docs/seed-courses.md for the method." in folded
    assert "D+ recorded as [[declared]]." in folded
    assert ".noprint { display: none; }" in text


def test_proposed_values_named_and_labelled(bundled):
    """Every proposed value is shown with its field and labelled "proposed", as
    docs/seed-courses.md promises: the header, the headline boxes and the event index.

    Before, the page printed "Proposed (not published): = 34h30m" (no field name: the
    roadbook read ``key``, the loader writes ``field``) and the boxes and index had no mark.
    """
    text = (bundled / "amizmiz" / "amizmiz-90.html").read_text(encoding="utf-8")
    assert "Proposed (not published): =" not in text
    line = re.search(r'<p class="note" id="proposed">(.*?)</p>', text).group(1)
    for want in (
        "D+: 5\u202f000 m (proposed, not published)",
        "D-: 5\u202f000 m (proposed, not published)",
        "time limit: 27:00 h (proposed, not published)",
        "start: Sat 26 Apr 2025 04:00 (proposed, not published)",
    ):
        assert want in line, want
    mark = '<small class="proposed">proposed</small>'
    facts = re.search(r'<ul class="facts">(.*?)</ul>', text).group(1)
    boxes = {li.split("<", 1)[0].strip(): li for li in re.findall(r"<li>(.*?)</li>", facts)}
    for name in ("D+", "D-", "time limit"):
        assert mark in boxes[name], name
    assert mark not in boxes["km-effort"] and mark not in boxes["distance (map)"]
    sub = re.search(r'<p class="sub">(.*?)</p>', text).group(1)
    assert sub.count(mark) == 2  # start and limit
    # HAUT publishes all: no mark
    haut = (bundled / "haut" / "haut-120.html").read_text(encoding="utf-8")
    assert mark not in haut and 'id="proposed"' not in haut
    # UTAT: start and limit proposed, D+ published
    utat = (bundled / "atlas-quest" / "utat-105.html").read_text(encoding="utf-8")
    facts = re.search(r'<ul class="facts">(.*?)</ul>', utat).group(1)
    assert facts.count(mark) == 1 and f"time limit {mark}" in facts
    # the event index marks the proposed start, D+ and limit of each race
    index = (bundled / "amizmiz" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"l\"><a .*?</tr>", index)
    assert len(rows) == 5
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert [mark in c for c in cells] == [False, True, False, True, True], row
    assert "proposed: not published by the organiser" in index
    haut_index = (bundled / "haut" / "index.html").read_text(encoding="utf-8")
    assert mark not in haut_index


def test_schematic_profile_says_what_the_line_shows(bundled, syn_page):
    """A sketch's line climbs ~2 170 m where the header says D+ 6 400 m: the caption under
    the profile says so and where the rest is (spread along the tables)."""
    text = (bundled / "haut" / "haut-120.html").read_text(encoding="utf-8")
    section = re.search(r'<section class="keep" id="profile">(.*?)</section>', text, re.S)
    note = re.search(r'<p class="note" id="profile-note">(.*?)</p>', section.group(1)).group(1)
    course = load_course(COURSES / "haut" / "haut-120.toml")
    scale = course.info["scale"]
    line_gain = course.profile.total_gain - scale["gain_added_m"]
    assert 2100 < line_gain < 2250
    assert f"{round(line_gain, -1):,.0f}".replace(",", "\u202f") + " m D+" in note
    assert "D+ 6\u202f400 m and D- 7\u202f000 m of the header" in note
    assert "spread evenly along the course in the tables" in note
    assert f"about {scale['gain_added_m'] / 120:.0f} m D+" in note
    # a placeholder whose line carries the (proposed) D+ itself; a surveyed track: nothing
    amiz = (bundled / "amizmiz" / "amizmiz-90.html").read_text(encoding="utf-8")
    assert "its climbs are the D+ and D- shown" in amiz
    assert 'id="profile-note"' not in syn_page[1].html


# ---------------------------------------------------------------- one clock per event page


def _zoned_event(folder, event_tz, second_tz="Africa/Casablanca") -> Path:
    """Two races from (31.10 N, 7.90 W) in Africa/Casablanca (UTC+01:00 in June) sharing
    their start and checkpoints; the second race's zone is ``second_tz``; the event file's
    ``timezone`` is ``event_tz`` (None: no key)."""
    folder = Path(folder)
    make_event(folder, "Zones", ["za", "zb"])
    zb = folder / "zb.toml"
    zb.write_text(
        zb.read_text(encoding="utf-8").replace('"Africa/Casablanca"', _q(second_tz)),
        encoding="utf-8",
    )
    ev = folder / "event.toml"
    text = ev.read_text(encoding="utf-8").replace('timezone = "Africa/Casablanca"\n', "")
    if event_tz:
        text += f"timezone = {_q(event_tz)}\n"
    ev.write_text(text, encoding="utf-8")
    return folder


def _event_text_windows(folder) -> dict:
    """``coursekit event``'s station -> (open, close) of its text table."""
    res = CliRunner().invoke(cli, ["event", str(folder)])
    assert res.exit_code == 0, res.output
    out = {}
    for line in res.output.splitlines():
        m = re.match(
            r"(\S.*?)\s{2,}(\w{3} \d\d:\d\d(?: UTC[+-]\d\d:\d\d)?)\s{2,}"
            r"(\w{3} \d\d:\d\d(?: UTC[+-]\d\d:\d\d)?)",
            line,
        )
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out, res.output


def test_event_index_and_event_command_share_the_event_files_clock(tmp_path):
    """With ``timezone = "Europe/Paris"`` in event.toml (races in Africa/Casablanca, one
    hour behind in June), the index's race starts and staffing windows and `coursekit
    event`'s table are all on Paris time, and the index names the clock.

    Before, the index showed the starts on the races' clock (06:00) and the windows on
    Paris time, with no zone named, and `coursekit event` ignored the event's zone.
    """
    from coursekit.event import load_event_plan

    folder = _zoned_event(tmp_path / "ev", "Europe/Paris")
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    starts = [r[1] for r in table_rows(index, "races")]
    assert starts == ["Sat 01 Jun 2024 07:00", "Sat 01 Jun 2024 07:00"]  # 06:00 +01:00
    paris = ZoneInfo("Europe/Paris")
    ev = load_event_plan(folder)
    want = {
        st.name: (f"{st.open.astimezone(paris):%a %H:%M}", f"{st.close.astimezone(paris):%a %H:%M}")
        for st in ev.stations
    }
    shown = {r[0]: (r[2], r[3]) for r in table_rows(index, "stations")}
    assert shown == want
    windows, text = _event_text_windows(folder)
    assert "times: Europe/Paris (the event's time zone)" in text
    assert windows == want
    assert 'id="clock">Times on this page: Europe/Paris (the event&#x27;s time zone).' in index
    assert {w for w in want.values()} != {
        (f"{st.open:%a %H:%M}", f"{st.close:%a %H:%M}") for st in ev.stations
    }  # the races' own clock differs: the test sees the conversion


def test_event_without_one_zone_writes_each_time_with_its_offset(tmp_path):
    """No event ``timezone`` and races in two zones: no clock is picked; every time of the
    index and of `coursekit event` carries its UTC offset. One shared zone is named."""
    folder = _zoned_event(tmp_path / "mixed", None, second_tz="Europe/Paris")
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    starts = sorted(r[1] for r in table_rows(index, "races"))
    assert starts == ["Sat 01 Jun 2024 06:00 UTC+01:00", "Sat 01 Jun 2024 07:00 UTC+02:00"]
    for r in table_rows(index, "stations"):
        assert re.fullmatch(r"\w{3} \d\d:\d\d UTC[+-]\d\d:\d\d", r[2]), r
    assert "Times on this page: each race&#x27;s own clock, with its UTC offset" in index
    windows, text = _event_text_windows(folder)
    assert windows and all("UTC+" in a and "UTC+" in b for a, b in windows.values())
    same = _zoned_event(tmp_path / "same", None)
    build_roadbook(same, tmp_path / "out2")
    index = (tmp_path / "out2" / "index.html").read_text(encoding="utf-8")
    assert "Times on this page: Africa/Casablanca (the races&#x27; time zone)." in index
    assert [r[1] for r in table_rows(index, "races")] == ["Sat 01 Jun 2024 06:00"] * 2


def test_no_altitude_gives_no_effort_figures(tmp_path):
    """A track without altitude: D+, D-, km-effort and ITRA points are unknown, not a flat
    course's figures (before, the box said "ITRA points 1" under an empty D+)."""
    toml = make_course(tmp_path)
    gpx = tmp_path / "syn.gpx"
    text = gpx.read_text(encoding="utf-8")
    gpx.write_text(re.sub(r"<ele>[^<]*</ele>", "", text), encoding="utf-8")
    course = load_course(toml)
    assert not course.profile.has_elevation
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", race_page(course).html))
    for key in ("D+", "D-", "km-effort", "ITRA points"):
        assert facts[key] == "unknown", (key, facts[key])
    # review h78 R3: the legs table and the popups said leg D+/D- "0" and "+0 m / -0 m"
    # (a flat leg) where `cutoffs` prints "-": empty cells and no D+/D- line
    page = race_page(course).html
    rows = table_rows(page, "legs")
    assert len(rows) == 5 and all(r[3] == r[4] == r[5] == "" for r in rows), rows
    popups = [k for race in map_data(page) for cp in race["cps"] for k, _ in cp["rows"]]
    assert "altitude" not in popups and "D+ / D- from start" not in popups, popups
    # with the altitude back, the same box has numbers
    gpx.write_text(text, encoding="utf-8")
    page = race_page(load_course(toml)).html
    facts = dict(re.findall(r"<li>([^<]+)<b>([^<]+)</b>", page))
    assert facts["ITRA points"].isdigit() and facts["D+"].endswith(" m")
    assert all(r[3].isdigit() and r[4].isdigit() for r in table_rows(page, "legs")[1:])
    popups = [k for race in map_data(page) for cp in race["cps"] for k, _ in cp["rows"]]
    assert popups.count("D+ / D- from start") == 5, popups


def test_index_lists_one_row_per_staffing_window(tmp_path):
    """Black-box finding 6: a station shared by a morning and an evening race (same
    course, 12 h apart) was one window, open all day. The index lists each window, with
    the race it serves; the station is named once."""
    folder = make_event(tmp_path / "ev", "Day", ["am", "pm"])
    pm = folder / "pm.toml"
    pm.write_text(
        pm.read_text(encoding="utf-8").replace("T06:00:00+01:00", "T18:00:00+01:00"),
        encoding="utf-8",
    )
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    rows = table_rows(index, "stations")
    # the finishes differ (12 and 14 km): one window each; the rest is shared
    own = [r for r in rows if r[0].startswith("Finish (")]
    assert [r[1] for r in own] == ["Day race 0", "Day race 1"]
    shared = [r for r in rows if r not in own]
    assert {r[0] for r in shared[::2]} == {"Start", "Alpha", "Bravo", "Charlie"}
    for first, second in zip(shared[::2], shared[1::2], strict=True):
        assert first[0] and not second[0]  # named once, two windows
        assert (first[1], second[1]) == ("Day race 0", "Day race 1")
        assert first[3] < second[2]  # the morning window closes before the evening one opens
    assert "closes in between: one row per staffing window" in index


def test_a_folder_where_the_manifest_goes_is_one_clear_error(tmp_path):
    """OUT/.coursekit-roadbook.json being a folder gave "Error: IsADirectoryError: ...", after
    every page had been written and rolled back. One line naming the path and what it is for
    now, before any page is written (exit 1); a page's path that is a folder reads the same
    way, without the exception's name."""
    course = COURSES / "haut" / "haut-21.toml"
    out = tmp_path / "site"
    (out / ".coursekit-roadbook.json").mkdir(parents=True)
    res = CliRunner().invoke(cli, ["roadbook", str(course), "-o", str(out)])
    assert res.exit_code == 1
    assert res.stdout == "" and "Traceback" not in res.output
    (err,) = [ln for ln in res.stderr.splitlines() if ln.startswith("Error")]  # after progress
    assert err == (
        f"Error: {out / '.coursekit-roadbook.json'}: is a folder, not a file: the roadbook "
        "lists the files it writes in it (to remove them when a later run no longer writes "
        "them); remove or rename that folder"
    )
    assert sorted(p.name for p in out.iterdir()) == [".coursekit-roadbook.json"]
    other = tmp_path / "other"
    (other / "index.html").mkdir(parents=True)
    res = CliRunner().invoke(cli, ["roadbook", str(course), "-o", str(other)])
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1] == f"Error: {other / 'index.html'}: is a folder, not a file"


# ---------------------------------------------------------------- clock changes


def _paris_night(folder, slugs=("dst",)) -> Path:
    """Races of ``make_course`` in Europe/Paris from Sun 27 Oct 2024 01:00 CEST, limit 4 h:
    the clocks go back at 03:00 CEST (02:00 CET), so Alpha's fixed barrier (1 h: 02:00 CEST)
    is a clock time that happens twice and Charlie's (3 h) is 03:00 CET. Several ``slugs``
    make an event (``event.toml``) of races sharing their checkpoints."""
    folder = Path(folder)
    for k, slug in enumerate(slugs):
        path = make_course(folder, name=f"Night {k}", slug=slug, start="2024-10-27T01:00:00+02:00")
        text = path.read_text(encoding="utf-8").replace("Africa/Casablanca", "Europe/Paris")
        path.write_text(text, encoding="utf-8")
    if len(slugs) > 1:
        courses = ", ".join(_q(f"{s}.toml") for s in slugs)
        (folder / "event.toml").write_text(
            f'name = "Night"\ncourses = [{courses}]\ntimezone = "Europe/Paris"\n',
            encoding="utf-8",
        )
    return folder / f"{slugs[0]}.toml"


def test_race_page_says_the_clock_change_and_marks_the_times_it_makes_ambiguous(tmp_path):
    """Review R2: the night the clocks go back, the page named one zone and wrote "Sun 02:00"
    for a barrier whose clock time happens twice (a marshal at the second one lets runners
    through an hour late), and a finish "Sun 04:00" 3 h after a 01:00 start with a 4:00
    elapsed. The page says the change under its sub-header, as `coursekit cutoffs` does, and
    every time from the change on, or in the repeated hour, carries its zone."""
    paris = ZoneInfo("Europe/Paris")
    course = load_course(_paris_night(tmp_path))
    page = race_page(course)
    note = re.search(r'</p>\n<p class="note" id="clock-change">([^<]*)</p>', page.html)
    assert note, "no clock-change note under the sub-header"
    assert note.group(1) == (
        "Clock change: at Sun 03:00 CEST (UTC+02:00) the clocks go back to Sun 02:00 CET "
        "(UTC+01:00). Times from the change on are followed by their zone, as are those of "
        "the hour that happens twice; elapsed times are real time."
    )
    rows = {r[0]: r for r in table_rows(page.html, "legs")}
    assert rows["Start"][6] == "Sun 01:00"  # before the change and not repeated: as before
    assert rows["Alpha (fixed)"][6:8] == ["Sun 02:00 CEST", "1:00"]
    assert rows["Charlie (fixed)"][6:8] == ["Sun 03:00 CET", "3:00"]
    assert rows["Finish"][6:8] == ["Sun 04:00 CET", "4:00"]
    # every time in the table names the one instant it is: the zone is written whenever
    # the clock time alone would be ambiguous or on the new offset
    change = datetime(2024, 10, 27, 1, 0, tzinfo=ZoneInfo("UTC"))
    for j, r in enumerate(table_rows(page.html, "legs")):
        for cell, when in ((r[6], page.plan.cutoff[j]), (r[9], page.plan.opens[j])):
            local = when.astimezone(paris)
            repeated = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
            if j and (when >= change or repeated):
                assert cell.endswith(" " + local.tzname()), (r[0], cell)
            else:
                assert not cell.endswith("CET") and not cell.endswith("CEST"), (r[0], cell)
    # the same course in June: no note, no zone after the times
    june = tmp_path / "june"
    path = _paris_night(june)
    path.write_text(
        path.read_text(encoding="utf-8").replace("2024-10-27T01:00", "2024-06-02T01:00"),
        encoding="utf-8",
    )
    html = race_page(load_course(path)).html
    assert 'id="clock-change"' not in html and " CEST<" not in html


def test_event_index_says_the_clock_change_on_its_staffing_windows(tmp_path):
    """Review R2: the index's staffing windows of an event across the change wrote clock
    times alone ("Sun 02:30" open, twice that night). They carry their zone as the race
    pages do, and the index says the change under its clock note."""
    folder = _paris_night(tmp_path / "ev", ("na", "nb")).parent
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert '<p class="note" id="clock-change">Clock change during the event: at Sun 03:00 CEST' in (
        index
    )
    assert [r[1] for r in table_rows(index, "races")] == ["Sun 27 Oct 2024 01:00"] * 2
    windows = {r[0]: r for r in table_rows(index, "stations")}
    # Alpha's fixed barrier (02:00 CEST) plus the 30 min sweep: the first 02:30 of the night
    assert windows["Alpha"][3] == "Sun 02:30 CEST"
    windows = windows.values()
    for r in windows:
        for cell in r[2:4]:
            hour = int(cell.split()[1][:2])
            if hour == 2 or cell.split()[-1] == "CET":
                assert re.fullmatch(r"Sun \d\d:\d\d (CEST|CET)", cell), r
            if hour >= 3:  # 03:00 CEST never shows: from the change on the clock says 02:00
                assert cell.endswith(" CET"), r


def _written(when: datetime, changes: list, *, nearest: bool = False) -> str:
    """A time on the Paris clock as the legs table writes it across a clock change (worked
    here from the zone, not by the code under test): "Sun 02:30", followed by its zone from
    the first change on or when its clock time happens twice."""
    paris = ZoneInfo("Europe/Paris")
    when = when.astimezone(ZoneInfo("UTC"))  # real time: +30 s on a wall clock can err
    if nearest:
        when = when + timedelta(seconds=30)
    local = when.astimezone(paris).replace(second=0, microsecond=0)
    text = local.strftime("%a %H:%M")
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    if changes and (local.timestamp() >= changes[0].timestamp() or twice):
        text += " " + local.tzname()
    return text


def _popups(page_html: str) -> dict[str, dict[str, str]]:
    """Each checkpoint's popup rows on the page's map: {name: {row label: value}}."""
    m = re.search(r"races = (\[.*?\]), groups = ", page_html, re.S)
    assert m, "no map data on the page"
    (race,) = json.loads(m.group(1))
    return {c["name"]: dict(c["rows"]) for c in race["cps"]}


def _figure_texts(svg: str) -> list[str]:
    """The texts of a matplotlib SVG (each is preceded by a comment holding it)."""
    return re.findall(r"<!-- (.*?) -->", svg)


def test_profile_and_map_popups_carry_the_zone_across_a_clock_change(tmp_path):
    """Review R2 follow-up: the race page's tables marked the times a clock change makes
    ambiguous, but the profile's barrier labels ("Alpha  Sun 02:00") and the map's popups
    (cutoff, leader ETA, station opens) still wrote clock times alone. They carry the zone
    by the tables' rule, and read as the table's cells; the same course in June is as
    before (no zone anywhere)."""
    course = load_course(_paris_night(tmp_path))
    page = race_page(course)
    plan = page.plan
    change = [datetime(2024, 10, 27, 1, 0, tzinfo=ZoneInfo("UTC"))]  # 03:00 CEST = 02:00 CET
    texts = _figure_texts(page.html[page.html.index("<svg") :])
    popups = _popups(page.html)
    table = table_rows(page.html, "legs")
    names = [r[0].replace(" (fixed)", "") for r in table]
    zoned = 0
    for j, name in enumerate(names):
        cut = _written(plan.cutoff[j], change)
        eta = _written(plan.first_arrival[j], change, nearest=j > 0)
        opens = _written(plan.opens[j], change)
        zoned += sum(t.endswith("CET") or t.endswith("CEST") for t in (cut, eta, opens))
        assert [popups[name][k] for k in ("cutoff", "leader ETA", "station opens")] == [
            cut,
            eta,
            opens,
        ], name
        # the popup reads as the table's row
        assert [table[j][6], table[j][8], table[j][9]] == [cut, eta, opens], name
        if j:
            assert f"{name}  {cut}" in texts, (name, [t for t in texts if name in t])
    assert "Alpha  Sun 02:00 CEST" in texts and "Finish  Sun 04:00 CET" in texts
    assert zoned >= 6  # the fixture has times before, in and after the repeated hour
    # the same course in June: no change, every time as before (clock time alone)
    june = tmp_path / "june"
    path = _paris_night(june)
    path.write_text(
        path.read_text(encoding="utf-8").replace("2024-10-27T01:00", "2024-06-02T01:00"),
        encoding="utf-8",
    )
    page = race_page(load_course(path))
    texts = _figure_texts(page.html[page.html.index("<svg") :])
    popups = _popups(page.html)
    for j, name in enumerate(names):
        cut = _written(page.plan.cutoff[j], [])
        assert popups[name]["cutoff"] == cut and not cut.endswith("CEST")
        assert popups[name]["leader ETA"] == _written(page.plan.first_arrival[j], [], nearest=j > 0)
        assert popups[name]["station opens"] == _written(page.plan.opens[j], [])
        if j:
            assert f"{name}  {cut}" in texts
    assert not any(t.endswith(" CEST") for t in texts)


def test_event_index_occupancy_axis_carries_the_zone_across_a_clock_change(tmp_path):
    """Review R2 follow-up: the index's "runners arriving per hour" chart labelled its time
    axis "Sun 02:00" twice the night the clocks go back. Its ticks carry the zone from the
    change on and in the repeated hour, as the index's staffing windows do; the ticks
    before it are as before."""
    folder = _paris_night(tmp_path / "ev", ("na", "nb")).parent
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    chart = index[index.index("runners arriving per hour") :]
    # one SVG per station, each with the shared time axis's labels
    panels = re.findall(r"<svg.*?</svg>", chart, re.S)
    assert panels, "no chart"
    axes = [re.findall(r"<!-- (Sun \d\d:\d\d(?: [A-Z]+)?) -->", svg) for svg in panels]
    assert all(ticks == axes[0] for ticks in axes), axes
    ticks = axes[0]
    assert ticks, "no time axis on the chart"
    assert "Sun 02:00 CEST" in ticks and "Sun 02:00 CET" in ticks, ticks
    change = [datetime(2024, 10, 27, 1, 0, tzinfo=ZoneInfo("UTC"))]
    paris = ZoneInfo("Europe/Paris")
    for tick in ticks:
        hour = int(tick.split()[1][:2])
        fold = 1 if tick.endswith(" CET") and hour == 2 else 0
        when = datetime(2024, 10, 27, hour, 0, tzinfo=paris, fold=fold)
        assert tick == _written(when, change), ticks
    assert [t for t in ticks if len(t.split()) == 2] == ["Sun 00:00", "Sun 01:00"], ticks


def test_race_page_has_the_sun_times_and_night_km_of_cutoffs(tmp_path):
    """Review R4: the page had no sunrise/sunset and no night km (only a grey band on the
    profile, lost in black-and-white print), where `coursekit cutoffs` prints both. A
    "Daylight" block gives the same figures: one line per race date, then the night
    sections in km."""
    path = make_course(tmp_path, start="2024-06-01T04:00:00+01:00")  # 2 h before dawn
    res = CliRunner().invoke(cli, ["cutoffs", str(path)])
    assert res.exit_code == 0, res.output
    sun_lines = [ln for ln in res.output.splitlines() if ln.startswith("sun ")]
    (night_line,) = [ln for ln in res.output.splitlines() if ln.startswith("night (")]
    html = race_page(load_course(path)).html
    block = re.search(
        r'<section class="keep" id="daylight"><h2>Daylight</h2>\n(.*?)</section>', html, re.S
    )
    assert block, "no Daylight block"
    days = re.findall(r"<li><b>([^<]+)</b>: ([^<]+)</li>", block.group(1))
    assert len(days) == len(sun_lines) == 1
    assert days[0][0] == "Saturday 01 June 2024"
    # the cutoffs line, word for word: "sun Sat 2024-06-01  rise 06:27  set 20:31  (dark ...)"
    assert sun_lines[0] == "sun Sat 2024-06-01  " + days[0][1].replace(", ", "  ").replace(
        " (", "  ("
    )
    assert "rise " in days[0][1] and "(dark before " in days[0][1]
    night = re.search(r'<p id="night">Night \(reference runner\): ([^<]+)</p>', block.group(1))
    assert night and night.group(1).startswith("km 0.0–")
    assert night_line == "night (reference runner): " + night.group(1).replace("–", "-")
    # after a clock change the sun times carry their zone, as the table's times do
    html = race_page(load_course(_paris_night(tmp_path / "dst"))).html
    (sunday,) = re.findall(r"<li><b>Sunday 27 October 2024</b>: ([^<]+)</li>", html)
    assert re.fullmatch(
        r"rise \d\d:\d\d CET, set \d\d:\d\d CET "
        r"\(dark before \d\d:\d\d CET / after \d\d:\d\d CET\)",
        sunday,
    ), sunday


def test_printed_profile_labels_are_at_least_6_5_pt(syn_page):
    """Review R5: the profile was drawn 11 in wide and printed at A4's 186 mm text width, so
    its 7 pt checkpoint names and barrier times came out at 4.7 pt. Drawn at its printed
    width, every text of the figure prints at its drawn size (text is drawn as glyph paths
    scaled by size/100)."""
    _, page = syn_page
    m = re.search(
        r'<section class="keep" id="profile">.*?<svg[^>]* width="([\d.]+)pt"(.*?)</svg>',
        page.html,
        re.S,
    )
    assert m, "no profile SVG"
    printed_pt = (210 - 2 * 12) / 25.4 * 72  # A4 less the print CSS's 12 mm margins
    assert "@page { size: A4; margin: 12mm; }" in page.html
    scale = min(printed_pt / float(m.group(1)), 1.0)  # CSS width 100%: the page's width
    sizes = {round(float(s) * 100, 3) for s in re.findall(r"scale\(([\d.]+) -[\d.]+\)", m.group(2))}
    assert sizes and 7.0 in sizes  # the checkpoint labels
    assert min(sizes) * scale >= 6.5, (min(sizes), scale)


def test_a_page_is_never_written_over_a_file_the_roadbook_reads(tmp_path):
    """H5: pages are named after the course files (race.html for race.*): a course file
    named race.html, written into its own folder, was replaced by its page (exit 0). An
    error before any page is written; the course file untouched."""
    from coursekit.errors import OutputError

    la = np.linspace(45.0, 45.09, 200)
    write_gpx(tmp_path / "t.gpx", la, np.full(200, 6.0), np.linspace(1000, 1500, 200))
    course = tmp_path / "race.html"
    course.write_text(
        'name = "R"\ngpx = "t.gpx"\nstart = 2024-06-01T06:00:00+02:00\nlimit = "4h"\n'
    )
    before = course.read_bytes()
    with pytest.raises(OutputError, match=r"race\.html: the roadbook would write its page over"):
        build_roadbook(course, tmp_path)
    assert course.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.html", "t.gpx"]
    # into another folder, or beside a course file with the usual name: written
    assert build_roadbook(course, tmp_path / "out")
    (tmp_path / "race.toml").write_bytes(before)
    assert tmp_path / "race.html" in build_roadbook(tmp_path / "race.toml", tmp_path)


def test_event_index_warns_of_a_start_offset_not_the_event_zones(tmp_path):
    """h90 E6 follow-up: courses without a ``timezone`` in an event whose ``timezone`` is
    Europe/Paris, starting at ``+01:00`` in June (Paris is at +02:00): ``coursekit event``
    warns that the start is shown an hour later on the event's clock, the roadbook's event
    index showed those times without a word. It folds the same warning in its notes for
    the organiser, never printed; an event zone that agrees gives no such note."""
    folder = _zoned_event(tmp_path / "ev", "Europe/Paris")
    for slug in ("za", "zb"):
        f = folder / f"{slug}.toml"
        f.write_text(
            re.sub(r'timezone = "[^"]*"\n', "", f.read_text(encoding="utf-8")),
            encoding="utf-8",
        )
    res = CliRunner().invoke(cli, ["event", str(folder), "--format", "json"])
    assert res.exit_code == 0, res.output
    zone_warns = [w for w in json.loads(res.stdout)["warnings"] if "event file's timezone" in w]
    assert len(zone_warns) == 2 and all("Europe/Paris" in w for w in zone_warns)
    build_roadbook(folder, tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    folded = re.search(r'<details class="organiser noprint".*?</details>', index, re.S)
    assert folded is not None, "no notes for the organiser on the index"
    for w in zone_warns:
        assert f"<li>{w.replace(chr(39), '&#x27;')}</li>" in folded.group(0)
        assert w.replace("'", "&#x27;") not in _published(index)
    # the event's zone at +01:00 that June day: nothing to say
    ev = folder / "event.toml"
    ev.write_text(ev.read_text(encoding="utf-8").replace("Europe/Paris", "Africa/Casablanca"))
    build_roadbook(folder, tmp_path / "out2")
    assert "event file's timezone" not in (tmp_path / "out2" / "index.html").read_text()
