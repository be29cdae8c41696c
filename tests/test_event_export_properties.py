"""Properties of ``coursekit event``'s stations and of ``coursekit export``'s GPX (h134).

Stations: small synthetic events (two or three races whose checkpoints are drawn among a
few places, some within the radius of each other, some far apart, names drawn from a small
pool) go through :func:`coursekit.event.station_table` and :func:`event_summary`; each
property is one promise of the docstrings or docs/outputs.md. Export: small courses in
``tmp_path`` go through ``coursekit export`` and are read back with
:func:`coursekit.gpx.read_gpx` and gpxpy.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coursekit.clock import after, seconds_between
from coursekit.event import (
    GENERIC_NAMES,
    NAME_MAX_M,
    Race,
    event_summary,
    normalize_name,
    plan_event,
    station_table,
)
from coursekit.geodesy import distance

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ZONES = ("Europe/Paris", "Africa/Casablanca", "America/New_York", "UTC")
NAMES = ("Start", "Finish", "CP1", "Col", "Refuge", "Tizi-n'Oussem", "tizi n oussem", "Eau")
LAT0, LON0 = 45.0, 6.0
M_LAT = 1 / 111_132.0  # degrees of latitude per metre, about
M_LON = 1 / (111_320.0 * math.cos(math.radians(LAT0)))


# ---------------------------------------------------------------- strategies


@st.composite
def places(draw):
    """A few places (metre offsets from LAT0, LON0): some close (< 200 m), some far."""
    n = draw(st.integers(2, 6))
    pts = []
    for _ in range(n):
        if pts and draw(st.booleans()):
            bx, by = draw(st.sampled_from(pts))
            # near a previous place: within the radius, or just beyond it
            d = draw(st.sampled_from((0.0, 50.0, 150.0, 190.0, 230.0, 400.0, 900.0, 1500.0)))
            a = draw(st.floats(0, 2 * math.pi))
            pts.append((bx + d * math.cos(a), by + d * math.sin(a)))
        else:
            pts.append((draw(st.floats(-20_000, 20_000)), draw(st.floats(-20_000, 20_000))))
    return pts


@st.composite
def races(draw):
    pl = draw(places())
    n_races = draw(st.integers(1, 3))
    zone = draw(st.sampled_from(ZONES))
    mixed = draw(st.booleans())  # each race its own zone, or one for all
    out = []
    for k in range(n_races):
        if mixed:
            zone = draw(st.sampled_from(ZONES))
        n = draw(st.integers(2, 6))
        idx = draw(st.lists(st.integers(0, len(pl) - 1), min_size=n, max_size=n))
        names = [draw(st.sampled_from(NAMES)) for _ in range(n)]
        xy = np.array([pl[i] for i in idx], float)
        lat = LAT0 + xy[:, 1] * M_LAT
        lon = LON0 + xy[:, 0] * M_LON
        start = dt.datetime(2024, 6, 1, 4, 0, tzinfo=ZoneInfo(zone)) + dt.timedelta(
            seconds=draw(st.integers(0, 20 * 3600))
        )
        legs = np.array(draw(st.lists(st.floats(300, 4 * 3600), min_size=n - 1, max_size=n - 1)))
        first = np.r_[0.0, np.cumsum(legs)]
        slow = draw(st.floats(1.5, 3.0))
        ref = first * slow
        cut = ref * draw(st.floats(1.0, 1.2))
        no_bar = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        cut[np.array(no_bar) & (np.arange(n) > 0) & (np.arange(n) < n - 1)] = np.nan
        opens = first * draw(st.floats(0.8, 1.0)) if draw(st.booleans()) else None
        dwell = np.array(draw(st.lists(st.sampled_from((0.0, 300.0)), min_size=n, max_size=n)))
        out.append(
            Race(
                name=f"R{k}",
                start=start,
                names=tuple(names),
                lat=lat,
                lon=lon,
                distance=first * 2.5,
                first_arrival_elapsed=first,
                cutoff_elapsed=cut,
                reference_elapsed=ref,
                leg_effort=np.r_[0.0, legs / 400.0],
                dwell=dwell,
                timezone=zone,
                opens_elapsed=opens,
            )
        )
    margin = draw(st.sampled_from((0.0, 1800.0, 2700.0, 45.0)))
    sweep = draw(st.sampled_from((0.0, 1800.0, 3600.0, 75.0)))
    gap = draw(st.sampled_from((0.0, 3600.0, 7200.0)))
    return out, margin, sweep, gap


def _flat(rs):
    return [(r, j) for r in rs for j in range(len(r.names))]


def _components(rs, radius_m=200.0, name_max_m=NAME_MAX_M):
    """The documented grouping, by a breadth-first search: an edge within the radius, or
    a same non-generic name up to name_max_m apart."""
    flat = _flat(rs)
    n = len(flat)
    lat = np.array([r.lat[j] for r, j in flat])
    lon = np.array([r.lon[j] for r, j in flat])
    keys = [normalize_name(r.names[j]) for r, j in flat]
    d = distance(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    edge = d <= radius_m
    same = np.array([[a == b and a not in GENERIC_NAMES for b in keys] for a in keys])
    edge |= same & (d <= name_max_m)
    comp = [-1] * n
    for s in range(n):
        if comp[s] >= 0:
            continue
        comp[s], todo = s, [s]
        while todo:
            i = todo.pop()
            for j in np.nonzero(edge[i])[0].tolist():
                if comp[j] < 0:
                    comp[j] = s
                    todo.append(j)
    return {(flat[i][0].name, flat[i][1]): comp[i] for i in range(n)}, d, keys


def _round_minute(t):
    base = t.replace(second=0, microsecond=0)
    return after(base, 60.0) if (t.second, t.microsecond) >= (30, 0) else base


# ---------------------------------------------------------------- stations


@SETTINGS
@given(races())
def test_every_checkpoint_is_in_exactly_one_station_grouped_as_documented(case):
    rs, margin, sweep, gap = case
    stations = station_table(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    seen = {}
    for k, s in enumerate(stations):
        for p in s.passages:
            assert (p.race, p.row) not in seen, "a checkpoint in two stations"
            seen[(p.race, p.row)] = k
    # every row, start and finish included (docs/outputs.md: start rows are passages)
    assert set(seen) == {(r.name, j) for r, j in _flat(rs)}
    comp, d, keys = _components(rs)
    flat = _flat(rs)
    for a in range(len(flat)):
        for b in range(a + 1, len(flat)):
            ka = (flat[a][0].name, flat[a][1])
            kb = (flat[b][0].name, flat[b][1])
            if d[a, b] <= 200.0:
                assert seen[ka] == seen[kb], f"{ka} and {kb} {d[a, b]:.0f} m apart, two stations"
            # one station exactly when linked through the documented chain
            assert (seen[ka] == seen[kb]) == (comp[ka] == comp[kb])


@SETTINGS
@given(races())
def test_windows_cover_every_passage_with_margin_and_sweep(case):
    rs, margin, sweep, gap = case
    by = {r.name: r for r in rs}
    stations = station_table(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    for s in stations:
        assert s.open == min(w.open for w in s.windows)
        assert s.close == max(w.close for w in s.windows)
        served = sorted(i for w in s.windows for i in w.passages)
        assert served == list(range(len(s.passages)))
        for w in s.windows:
            assert w.open.second == w.open.microsecond == 0
            assert w.close.second == w.close.microsecond == 0
            assert w.open <= w.close
        for a, b in zip(s.windows, s.windows[1:], strict=False):
            assert seconds_between(a.close, b.open) > gap  # apart only beyond the gap
        need = {}
        for i, p in enumerate(s.passages):
            r = by[p.race]
            eta = r.clock(float(r.first_arrival_elapsed[p.row]))
            # the ETA as printed less the margin, or the plan's opening when earlier (without
            # one, never after the leader's own ETA: a margin under 30 s)
            plan_open = eta if r.opens_elapsed is None else r.clock(float(r.opens_elapsed[p.row]))
            need_open = min(after(_round_minute(eta), -margin), plan_open)
            cut = float(r.cutoff_elapsed[p.row])
            end = cut if math.isfinite(cut) else float(r.reference_elapsed[p.row] + r.dwell[p.row])
            need[i] = (need_open, r.clock(end + sweep))
            w = s.windows[s.window_of(i)]
            assert w.open <= need[i][0]
            assert w.close >= need[i][1]
        for w in s.windows:
            # whole minutes: floored and ceiled, never more
            first = min(need[i][0] for i in w.passages)
            last = max(need[i][1] for i in w.passages)
            assert 0 <= seconds_between(w.open, first) < 60.0
            assert 0 <= seconds_between(last, w.close) < 60.0


@SETTINGS
@given(races())
def test_a_race_passing_a_station_twice_has_both_passages(case):
    rs, margin, sweep, gap = case
    stations = station_table(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    comp, _, _ = _components(rs)
    for r in rs:
        for j in range(len(r.names)):
            for k in range(j + 1, len(r.names)):
                if comp[(r.name, j)] != comp[(r.name, k)]:
                    continue
                st_ = [s for s in stations if any(p.race == r.name for p in s.passages)]
                rows = [
                    {p.row for p in s.passages if p.race == r.name}
                    for s in st_
                    if any(p.row == j and p.race == r.name for p in s.passages)
                ]
                assert rows and {j, k} <= rows[0]


@SETTINGS
@given(races())
def test_summary_json_agrees_with_the_stations(case):
    rs, margin, sweep, gap = case
    ev = plan_event(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    summary = event_summary(ev)
    assert len(summary["stations"]) == len(ev.stations)
    for rec, s in zip(summary["stations"], ev.stations, strict=True):
        assert dt.datetime.fromisoformat(rec["open"]) == s.open
        assert dt.datetime.fromisoformat(rec["close"]) == s.close
        assert len(rec["windows"]) == len(s.windows)
        for wr, w in zip(rec["windows"], s.windows, strict=True):
            assert dt.datetime.fromisoformat(wr["open"]) == w.open
            assert dt.datetime.fromisoformat(wr["close"]) == w.close
        assert [(p["race"], p["row"]) for p in rec["passages"]] == [
            (p.race, p.row) for p in s.passages
        ]
        # the passages in the event's race order, then row order (docs/outputs.md)
        order = {r.name: k for k, r in enumerate(rs)}
        got = [(order[p["race"]], p["row"]) for p in rec["passages"]]
        assert got == sorted(got)
        for k, p in enumerate(rec["passages"]):
            w = rec["windows"][p["window"]]
            assert p["race"] in w["races"]
            assert k in s.windows[p["window"]].passages
    # stations by opening time, then key
    opens = [(dt.datetime.fromisoformat(r["open"]), r["key"]) for r in summary["stations"]]
    assert opens == sorted(opens)


def _table_rows(text):
    """The station table of ``coursekit event``'s text as dicts, by its column headings."""
    lines = text.splitlines()
    k = next(i for i, x in enumerate(lines) if x.startswith("station "))
    head, rule = lines[k], lines[k + 1]
    spans, i = [], 0
    for part in rule.split("  "):
        spans.append((i, i + len(part)))
        i += len(part) + 2
    names = [head[a:b].strip() for a, b in spans]
    rows = []
    for x in lines[k + 2 :]:
        if not x.strip():
            break
        rows.append({n: x[a:b].strip() for n, (a, b) in zip(names, spans, strict=True)})
    return rows


@SETTINGS
@given(races(), st.sampled_from((None, *ZONES)))
def test_text_windows_are_the_json_windows_on_the_event_clock(case, ev_zone):
    from dataclasses import replace

    from coursekit.cli import _event_text
    from coursekit.maps import event_zone

    rs, margin, sweep, gap = case
    ev = replace(
        plan_event(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False), timezone=ev_zone
    )
    summary = event_summary(ev)
    zone = event_zone(ev.timezone, ev.races)
    text = _event_text(ev, summary, zone)
    rows = _table_rows(text)
    assert len(rows) == sum(len(s["passages"]) for s in summary["stations"])
    if zone[0] is None:
        return  # no one clock: each time on its race's (with its offset)
    assert summary["timezone"] == (ev_zone or rs[0].timezone)
    tz = zone[0]
    k = 0
    for s in summary["stations"]:
        assert rows[k]["station"] == s["name"]
        order = sorted(range(len(s["passages"])), key=lambda i: s["passages"][i]["window"])
        shown = None
        for i in order:
            p, row = s["passages"][i], rows[k]
            k += 1
            assert row["race"] == p["race"]
            if p["window"] != shown:
                shown = p["window"]
                w = s["windows"][shown]
                for key in ("open", "close"):
                    t = dt.datetime.fromisoformat(w[key]).astimezone(tz)
                    # the clock on the event's zone (a zone mark after a clock change)
                    assert row[key].split()[:2] == [t.strftime("%a"), t.strftime("%H:%M")], (
                        row,
                        w,
                    )
            else:
                assert row["open"] == row["close"] == ""


@SETTINGS
@given(races())
def test_station_names_tell_the_stations_apart(case):
    rs, margin, sweep, gap = case
    stations = station_table(rs, margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    keys = [s.key for s in stations]
    assert len(set(keys)) == len(keys), [s.name for s in stations]


# ---------------------------------------------------------------- export

CP_NAMES = st.text(
    alphabet=st.sampled_from(list("AbZ 09&<>\"'é€ßΩ日本-_/;")),
    min_size=1,
    max_size=12,
).filter(lambda s: s == s.strip() and normalize_name(s) not in GENERIC_NAMES)
# (a name's edge spaces are not kept by GPX readers: gpxpy and read_gpx strip them)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def export_courses(draw):
    n = draw(st.integers(60, 150))
    steps = np.array(draw(st.lists(st.floats(20, 80), min_size=n - 1, max_size=n - 1)))
    turn = np.array(draw(st.lists(st.floats(-1.2, 1.2), min_size=n - 1, max_size=n - 1)))
    heading = np.cumsum(turn)
    x = np.r_[0.0, np.cumsum(steps * np.sin(heading))]
    y = np.r_[0.0, np.cumsum(steps * np.cos(heading))]
    ele = 800 + np.cumsum(
        np.r_[0.0, np.array(draw(st.lists(st.floats(-9, 9), min_size=n - 1, max_size=n - 1)))]
    )
    total = float(np.sum(steps))
    k = draw(st.integers(1, 4))
    fr = sorted(draw(st.lists(st.floats(0.1, 0.9), min_size=k, max_size=k, unique=True)))
    fr = [f for a, f in zip([0.0, *fr], fr, strict=False) if f - a > 0.12]
    names = draw(st.lists(CP_NAMES, min_size=len(fr), max_size=len(fr), unique_by=normalize_name))
    return (
        LAT0 + y * M_LAT,
        LON0 + x * M_LON,
        np.round(ele, 3),
        total,
        list(zip(names, fr, strict=True)),
    )


def _export(tmp_path, case, *extra):
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    lat, lon, ele, total, cps = case
    write_gpx(tmp_path / "t.gpx", lat, lon, ele)
    body = "".join(
        f"[[checkpoints]]\nname = {_toml_str(nm)}\nkm = {total * f / 1000:.3f}\n" for nm, f in cps
    )
    (tmp_path / "c.toml").write_text(
        'name = "T & <Ω>"\ngpx = "t.gpx"\nstart = 2024-06-01T06:00:00+02:00\n'
        f'limit = "5h"\ntimezone = "Europe/Paris"\n{body}',
        encoding="utf-8",
    )
    out = tmp_path / "out.gpx"
    res = CliRunner().invoke(cli, ["export", str(tmp_path / "c.toml"), "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(export_courses())
def test_export_round_trips_the_track_and_one_waypoint_per_checkpoint(tmp_path_factory, case):
    import gpxpy

    from coursekit.checkpoints import course_legs
    from coursekit.course import load_course
    from coursekit.gpx import read_gpx

    tmp = tmp_path_factory.mktemp("export")
    out = _export(tmp, case)
    course = load_course(tmp / "c.toml")
    legs = course_legs(course)
    back = read_gpx(out)
    with open(out, encoding="utf-8") as fh:
        g = gpxpy.parse(fh)
    tr = course.track
    for lat, lon, ele in (
        (back.lat, back.lon, back.elevation),
        tuple(
            np.array([getattr(p, k) for p in g.tracks[0].segments[0].points], float)
            for k in ("latitude", "longitude", "elevation")
        ),
    ):
        assert lat.size == len(tr)
        assert np.max(np.abs(lat - tr.lat)) <= 0.5e-7 + 1e-12  # 7 decimals: 1 cm
        assert np.max(np.abs(lon - tr.lon)) <= 0.5e-7 + 1e-12
        assert np.max(np.abs(ele - tr.elevation)) <= 0.05 + 1e-9  # 0.1 m
    # one waypoint per row (start and finish included), in order, named as in the course
    for wps in (back.waypoints, g.waypoints):
        assert [w.name for w in wps] == list(legs.names)
        for i, w in enumerate(wps):
            lat = w.lat if hasattr(w, "lat") else w.latitude
            lon = w.lon if hasattr(w, "lon") else w.longitude
            assert float(distance(lat, lon, legs.lat[i], legs.lon[i])) < 0.02
            desc = w.description
            assert desc.startswith(f"km {legs.along[i] / 1000:.1f}"), desc
    assert back.name == g.tracks[0].name == "T & <Ω>"
    # the checkpoints' names as written in the course file
    assert list(legs.names[1:-1]) == [nm for nm, _ in case[4]]


def _projected_gap(lat, lon, slat, slon):
    """The largest distance from a point of (lat, lon) to the polyline (slat, slon), in
    the local projection --simplify works in [m]."""
    import shapely

    from coursekit.geodesy import local_projection

    proj = local_projection(lat, lon)
    x, y = proj.forward(lat, lon)
    sx, sy = proj.forward(slat, slon)
    line = shapely.linestrings(np.column_stack([sx, sy]))
    return float(np.max(shapely.distance(shapely.points(np.column_stack([x, y])), line)))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(export_courses(), st.sampled_from((1.0, 5.0, 20.0)))
def test_export_simplify_keeps_the_track_within_its_tolerance(tmp_path_factory, case, tol):
    from coursekit.course import load_course
    from coursekit.geodesy import cumulative_distance
    from coursekit.gpx import read_gpx

    tmp = tmp_path_factory.mktemp("simplify")
    out = _export(tmp, case, "--simplify", f"{tol:g}")
    tr = load_course(tmp / "c.toml").track
    back = read_gpx(out)
    assert 2 <= back.lat.size <= len(tr)
    assert (back.lat[0], back.lon[0]) == (round(tr.lat[0], 7), round(tr.lon[0], 7))
    assert (back.lat[-1], back.lon[-1]) == (round(tr.lat[-1], 7), round(tr.lon[-1], 7))
    # every point of the course within the tolerance of the line written (+ 1 cm: the
    # 7 decimals of the GPX)
    assert _projected_gap(tr.lat, tr.lon, back.lat, back.lon) <= tol + 0.02
    # the distance: never longer, and shorter by the corners cut only
    d0 = cumulative_distance(tr.lat, tr.lon)[-1]
    d1 = cumulative_distance(back.lat, back.lon)[-1]
    assert d1 <= d0 + 0.05
    import gpxpy

    with open(out, encoding="utf-8") as fh:
        desc = gpxpy.parse(fh).description
    assert f"{back.lat.size} of {len(tr)} points kept" in desc
    # each kept point is a point of the course, in course order
    keep = [
        int(np.argmin(np.abs(tr.lat - a) + np.abs(tr.lon - b)))
        for a, b in zip(back.lat, back.lon, strict=True)
    ]
    assert keep == sorted(keep)
    assert len(back.waypoints) == len(case[4]) + 2


def test_export_leaves_an_existing_file_intact_on_error(tmp_path, monkeypatch):
    """A failed write (here fsync) leaves the previous GPX as it was, and no temporary."""
    import os

    from click.testing import CliRunner

    from coursekit.cli import cli

    lat = LAT0 + np.linspace(0, 3000, 80) * M_LAT
    case = (lat, np.full(80, LON0), np.full(80, 900.0), 3000.0, [("Col & <Ω>", 0.5)])
    out = _export(tmp_path, case)
    before = out.read_bytes()
    assert b"Col &amp; &lt;\xce\xa9&gt;" in before

    def broken(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    res = CliRunner().invoke(
        cli, ["export", str(tmp_path / "c.toml"), "-o", str(out), "--simplify", "5"]
    )
    assert res.exit_code != 0
    assert "No space left on device" in res.output
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "out.gpx", "t.gpx"]
    # a course that fails to load: the same
    monkeypatch.undo()
    (tmp_path / "c.toml").write_text((tmp_path / "c.toml").read_text() + "km = 99\n")
    res = CliRunner().invoke(cli, ["export", str(tmp_path / "c.toml"), "-o", str(out)])
    assert res.exit_code != 0
    assert out.read_bytes() == before


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.floats(1.15, 1.6),
    st.sampled_from((None, 3.0, 15.0)),
    st.lists(st.floats(0.15, 0.85), min_size=1, max_size=3, unique=True),
    st.integers(0, 2**16),
)
@example(factor=1.5, tol=3.0, fracs=[0.34375], seed=0)  # found: 1.7 printed, 1.76 along
def test_export_scaled_course_gives_the_km_along_the_track_written(
    tmp_path_factory, factor, tol, fracs, seed
):
    """A course scaled to its declared distance: each waypoint gives the published km and
    the km along the GPX written (simplified or not), where a watch on that GPX measures it."""
    import re

    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.geodesy import cumulative_distance, local_projection
    from coursekit.gpx import read_gpx, write_gpx

    tmp = tmp_path_factory.mktemp("scaled")
    rng = np.random.default_rng(seed)
    n = 200
    heading = np.cumsum(rng.uniform(-0.15, 0.15, n - 1))  # gentle: no crossing
    steps = rng.uniform(10, 40, n - 1)
    x = np.r_[0.0, np.cumsum(steps * np.sin(heading))]
    y = np.r_[0.0, np.cumsum(steps * np.cos(heading))]
    lat, lon = LAT0 + y * M_LAT, LON0 + x * M_LON
    write_gpx(tmp / "t.gpx", lat, lon, np.full(n, 500.0))
    total = float(cumulative_distance(lat, lon)[-1])
    fracs = sorted(fracs)
    fracs = [f for a, f in zip([0.0, *fracs], fracs, strict=False) if f - a > 0.1]
    body = "".join(
        f'[[checkpoints]]\nname = "CP{k}"\nkm = {total * factor * f / 1000:.3f}\n'
        for k, f in enumerate(fracs)
    )
    (tmp / "c.toml").write_text(
        'name = "S"\ngpx = "t.gpx"\nstart = 2024-06-01T06:00:00+02:00\nlimit = "5h"\n'
        'timezone = "Europe/Paris"\nscale_to_declared = true\n'
        f'[[declared]]\nsource = "x"\ndistance_km = {total * factor / 1000:.3f}\n{body}'
    )
    out = tmp / "o.gpx"
    extra = [] if tol is None else ["--simplify", f"{tol:g}"]
    res = CliRunner().invoke(cli, ["export", str(tmp / "c.toml"), "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    back = read_gpx(out)
    # the distance along the written line to each waypoint's projection on it
    proj = local_projection(back.lat, back.lon)
    bx, by = proj.forward(back.lat, back.lon)
    along = cumulative_distance(back.lat, back.lon)
    for w in back.waypoints[1:-1]:
        m = re.match(r"km ([\d.]+) \(([\d.]+) along this track\)", w.description)
        assert m, w.description
        px, py = proj.forward(np.array([w.lat]), np.array([w.lon]))
        best = (math.inf, 0.0)
        for i in range(bx.size - 1):
            ax, ay, dx, dy = bx[i], by[i], bx[i + 1] - bx[i], by[i + 1] - by[i]
            t = np.clip(((px[0] - ax) * dx + (py[0] - ay) * dy) / (dx * dx + dy * dy), 0, 1)
            d = math.hypot(ax + t * dx - px[0], ay + t * dy - py[0])
            if d < best[0]:
                best = (d, along[i] + t * (along[i + 1] - along[i]))
        # printed to 0.1 km; the waypoint (a point of the course) lies best[0] off the
        # simplified line, so its place along the line is known to about that (+ 1 m)
        slack = 0.05 + (best[0] + 1.0) / 1000
        assert abs(float(m.group(2)) - best[1] / 1000) <= slack, (w.description, best)
