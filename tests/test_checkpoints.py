"""Locating checkpoints in course order; legs; checks. Synthetic truth + LiveTrail real data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import densify

from coursekit.checkpoints import (
    check_course,
    course_legs,
    find_waypoint,
    legs_from_located,
    locate,
    locate_points,
)
from coursekit.course import CheckpointSpec, load_course
from coursekit.errors import CourseFileError
from coursekit.geodesy import LocalProjection
from coursekit.gpx import Track, Waypoint, read_gpx
from coursekit.profile import along_course_distance, make_profile, slope_distance

PROJ = LocalProjection(45.0, 6.0)
COURSES = Path(__file__).parent / "data" / "courses"


def _profile(x, y, *, waypoints=(), step=10.0):
    """Profile of a polyline given in metres (densified every ``step`` m)."""
    X, Y = densify(x, y, step)
    lat, lon = PROJ.inverse(X, Y)
    n = lat.size
    tr = Track(
        lat,
        lon,
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.zeros(n, np.int64),
        waypoints=tuple(waypoints),
        path="synthetic.gpx",
    )
    return make_profile(tr)


def _cp(name, x=None, y=None, *, km=None, waypoint=None):
    lat = lon = None
    if x is not None:
        la, lo = PROJ.inverse(x, y)
        lat, lon = float(la), float(lo)
    return CheckpointSpec(name, km, lat, lon, waypoint, (), None, 0.0, False)


def test_out_and_back_cp_passed_twice():
    # 0 -> 5 km east and back; "Bridge" at 2 km is passed at 2 km and at 8 km
    p = _profile([0, 5000, 0], [0, 0, 0.0])
    specs = [_cp("Bridge", 2000, 30), _cp("Turn", 5000, 0), _cp("Bridge", 2000, 30)]
    d = locate(p, specs)
    np.testing.assert_allclose(d, [2000, 5000, 8000], atol=2)


def test_loop_start_equals_finish():
    # a square loop of 4 km starting and ending at the origin
    p = _profile([0, 1000, 1000, 0, 0], [0, 0, 1000, 1000, 0])
    specs = [_cp("Town", 5, 5), _cp("Far", 1000, 1000), _cp("Town", 5, 5)]
    d = locate(p, specs)
    np.testing.assert_allclose(d, [5, 2000, 3995], atol=2)
    lg = legs_from_located(p, specs, locate_points(p, specs))
    assert lg.names == ("Town", "Far", "Town")
    assert lg.distance[0] == 0 and lg.distance[-1] == pytest.approx(p.total_distance)


def test_figure_of_eight_crossing():
    # two loops crossing at the origin: east loop first, then west loop
    x = [0, 1000, 1000, 0, -1000, -1000, 0]
    y = [0, 0, 1000, 0, 0, -1000, 0.0]
    p = _profile(x, y)
    seg = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate([[0], np.cumsum(seg)])
    specs = [
        _cp("Cross", 0, 0),
        _cp("E", 1000, 500),
        _cp("Cross", 0, 0),
        _cp("W", -1000, -500),
        _cp("Cross", 0, 0),
    ]
    d = locate(p, specs)
    np.testing.assert_allclose(d, [0, 1500, cum[3], cum[4] + 500, cum[6]], atol=2)


def test_entry_exit_pair_same_place():
    p = _profile([0, 3000], [0, 0.0])
    # exit's position lies 8 m *before* the entry's along the track: same place
    specs = [_cp("Aid in", 1500, 40), _cp("Aid out", 1492, 45)]
    d = locate(p, specs)
    assert d[0] == pytest.approx(1500, abs=1)
    assert d[1] == d[0]


def test_grazing_switchback_is_not_the_passage():
    # the track comes within 240 m of the station, turns away, then reaches it
    p = _profile([0, 1000, 1000, 2000, 2000], [0, 0, 600, 600, 0.0])
    # hut at (1990, 300): the first leg grazes it (dist to (1000, 0) > 250: no), the climb at
    # x = 1000 passes 990 m away, the last leg (2000, 600) -> (2000, 0) passes 10 m away;
    # the leg along y = 600 grazes it at 300 m (> 250) -- shift the hut so it is 240 m:
    specs = [_cp("Hut", 1990, 360)]
    d = locate(p, specs)
    # first candidate: top leg y = 600 at x = 1990 (240 m); real one: last leg, 10 m away
    assert d[0] == pytest.approx(1000 + 600 + 1000 + 240, abs=2)


@pytest.mark.parametrize("gap", [30, 40, 49, 60, 100])
def test_station_just_before_a_turnaround_listed_up_and_down(gap):
    # out-and-back to a summit at 5 km, the way down 3 m beside the way up; the refuge
    # ``gap`` m before the summit is passed at 5000 - gap and 5000 + gap: within the
    # default 50 m prominence the two passages merge into one reported passage, but the
    # order Refuge up, Summit, Refuge down needs the second (was "out of order" for 25-50 m)
    p = _profile([0, 5000, 5000, 0], [0, 0, 3, 3.0])
    specs = [
        _cp("Refuge up", 5000 - gap, 1),
        _cp("Summit", 5000, 1),
        _cp("Refuge down", 5000 - gap, 1),
    ]
    d = locate(p, specs)
    np.testing.assert_allclose(d, [5000 - gap, 5003, 5006 + gap], atol=3)


def test_a_merged_wiggle_is_not_preferred_to_the_passage_lowest_point():
    # the track passes 8 m from the station, loops 30-42 m around it and runs over it:
    # one passage (the 34 m rise < the 50 m prominence) whose lowest point is the crossing;
    # the 8 m minimum stays a candidate for the order's needs, but costs its 8 m
    p = _profile([0, 1000, 1030, 1030, 1000, 1000, 2000], [8, 8, 8, -30, -30, 40, 40], step=2.0)
    d = locate(p, [_cp("Aid", 1000, 0)])
    assert d[0] == pytest.approx(1000 + 30 + 38 + 30 + 30, abs=2)


def test_km_written_in_decreasing_order_is_an_order_error():
    # km 2.98 after km 3.0 (a typo for 3.98?) was moved to 3.0 without a word; 2.9 was
    # already an order error. Equal km stay a 0 km leg, and an entry/exit pair by
    # coordinates a few metres before the previous checkpoint keeps its slack
    p = _profile([0, 6000], [0, 0.0])
    with pytest.raises(CourseFileError, match=r"checkpoints\[1\] 'Lac' \(km 2.98\) comes before"):
        locate(p, [_cp("Col", km=3.0), _cp("Lac", km=2.98)])
    d = locate(p, [_cp("Col", km=3.0), _cp("Lac", km=3.0)])
    assert d[0] == d[1] == pytest.approx(3000)
    d = locate(p, [_cp("Col", km=3.0), _cp("Aid out", 2990, 5)])
    assert d[1] == d[0]


def test_off_track_error_names_checkpoint_and_distance():
    p = _profile([0, 3000], [0, 0.0])
    with pytest.raises(CourseFileError, match=r"checkpoints\[1\] 'Lost' is 400 m from the track"):
        locate(p, [_cp("A", 100, 0), _cp("Lost", 1000, 400)])


def test_out_of_order_is_reported():
    p = _profile([0, 3000], [0, 0.0])
    with pytest.raises(
        CourseFileError,
        match=r"out of order: checkpoints\[1\] 'A' \(km 0.50\) comes before checkpoints\[0\] 'B'",
    ):
        locate(p, [_cp("B", 2000, 0), _cp("A", 500, 0)])
    res = locate_points(
        p, [_cp("B", 2000, 0), _cp("A", 500, 0), _cp("C", 2500, 0)], errors="collect"
    )
    assert np.isnan(res.distance[1]) and res.problems[0][1] == "order"
    assert res.distance[2] == pytest.approx(2500, abs=1)


def test_out_of_order_names_the_pair_actually_out_of_order():
    """Out and back 3 km: 'B' is passed at km 1 and km 5. With A at km 2 (a typo), B is pushed
    to its km 5 passage and C (km 1.5) fails; the message blamed B ("before the previous
    checkpoint 'B' (km 5.00 at the earliest)") though B at km 1 and C at km 1.5 are in order:
    the pair out of order is A (km 2) and C (km 1.5)."""
    p = _profile([0, 3000, 0], [0, 0, 0.0])
    with pytest.raises(CourseFileError) as exc:
        locate(p, [_cp("A", km=2.0), _cp("B", 1000, 20), _cp("C", km=1.5)])
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.endswith(
        "checkpoints out of order: checkpoints[2] 'C' (km 1.5) comes before checkpoints[0] 'A' "
        "(km 2), which is listed before it"
    ), msg
    # km 10, 30, 20, 25 (here 1, 3, 2, 2.5): both late ones are before 'Thirty', which is
    # not the previous checkpoint of 'TwentyFive' ('Twenty' is, and is before it)
    specs = [_cp("Ten", km=1.0), _cp("Thirty", km=3.0), _cp("Twenty", km=2.0)]
    specs.append(_cp("TwentyFive", km=2.5))
    res = locate_points(p, specs, errors="collect")
    assert [m.split("out of order: ")[1] for _, _, m in res.problems] == [
        "checkpoints[2] 'Twenty' (km 2) comes before checkpoints[1] 'Thirty' (km 3), "
        "which is listed before it",
        "checkpoints[3] 'TwentyFive' (km 2.5) comes before checkpoints[1] 'Thirty' (km 3), "
        "which is listed before it",
    ]
    # no single checkpoint is beyond C: B (km 0.5 or 5.5) fits neither before A nor before C
    with pytest.raises(CourseFileError) as exc:
        locate(p, [_cp("A", km=1.0), _cp("B", 500, 20), _cp("C", km=1.5)])
    assert str(exc.value).endswith(
        "checkpoints[2] 'C' (km 1.5) comes before checkpoints[1] 'B' (km 0.50 or 5.50: km 5.50 "
        "once after checkpoints[0] 'A' at km 1), which is listed before it"
    ), str(exc.value)


def test_not_nearest_vertex():
    # sparse track: vertices 1 km apart; the checkpoint sits mid-segment
    p = _profile([0, 1000, 2000], [0, 0, 0.0], step=1000)
    assert p.track.lat.size == 3
    assert locate(p, [_cp("Mid", 430, 20)])[0] == pytest.approx(430, abs=1)


def test_km_placement_and_waypoints():
    la, lo = PROJ.inverse(np.array([700.0]), np.array([0.0]))
    w = Waypoint("Réfuge du Col", float(la[0]), float(lo[0]))
    p = _profile([0, 3000], [0, 0.0], waypoints=(w,))
    d = locate(p, [_cp("A", km=0.5), _cp("B", waypoint="refuge du col")])
    np.testing.assert_allclose(d, [500, 700], atol=1)
    with pytest.raises(CourseFileError, match="no waypoint named 'Nope'"):
        find_waypoint(p.track, "Nope")
    la2, lo2 = PROJ.inverse(np.array([2500.0]), np.array([0.0]))
    w2 = Waypoint("Réfuge du Col", float(la2[0]), float(lo2[0]))
    p2 = _profile([0, 3000], [0, 0.0], waypoints=(w, w2))
    with pytest.raises(CourseFileError, match="ambiguous.*1800 m apart.*lat"):
        find_waypoint(p2.track, "Réfuge du Col")


def test_waypoint_repeated_on_an_out_and_back():
    """A sketch writes a place passed twice (an out-and-back's pass) as two waypoints of one
    name at one position (W1): it is one place, located on each passage in course order."""
    la, lo = PROJ.inverse(np.array([2000.0, 2010.0]), np.array([0.0, 5.0]))
    pas = [Waypoint("Pass", float(la[k]), float(lo[k]), line=10 + k) for k in range(2)]
    p = _profile([0, 5000, 0], [0, 0, 0.0], waypoints=tuple(pas))
    specs = [
        _cp("Pass out", waypoint="Pass"),
        _cp("Turn", km=5.0),
        _cp("Pass back", waypoint="pass"),
    ]
    np.testing.assert_allclose(locate(p, specs), [2000, 5000, 8000], atol=2)


def test_unknown_waypoint_suggests_names():
    """A name that is part of a waypoint's (the TOR330 GPX names its life bases
    'BaseVita-Cogne'), shares a word with it, or is a close spelling is suggested; else the
    error lists the waypoints."""
    names = ["BaseVita-Cogne", "Rifugio Letey Champillon", "Col de Champillon", "Ollomont"]
    p = _profile([0, 3000], [0, 0.0], waypoints=tuple(Waypoint(n, 0.0, 0.0) for n in names))

    def message(q):
        with pytest.raises(CourseFileError) as exc:
            find_waypoint(p.track, q)
        return str(exc.value).split(": ", 1)[1]

    assert message("cogne") == "no waypoint named 'cogne' (did you mean 'BaseVita-Cogne'?)"
    assert message("Rif. Champillon").endswith(
        "(did you mean 'Col de Champillon' or 'Rifugio Letey Champillon'?)"
    )
    assert message("Olomont") == "no waypoint named 'Olomont' (did you mean 'Ollomont'?)"
    assert message("Arnad") == (
        "no waypoint named 'Arnad' (waypoints: 'BaseVita-Cogne', "
        "'Rifugio Letey Champillon', 'Col de Champillon', 'Ollomont')"
    )


@st.composite
def _spiral(draw):
    """A non-self-intersecting polyline (a monotone zig-zag), and a vertex index."""
    n = draw(st.integers(3, 25))
    dx = draw(st.lists(st.floats(60, 400), min_size=n, max_size=n))
    dy = draw(st.lists(st.floats(-300, 300), min_size=n, max_size=n))
    x = np.concatenate([[0], np.cumsum(dx)])
    y = np.concatenate([[0], np.cumsum(dy)])
    k = draw(st.integers(0, n))
    frac = draw(st.floats(0, 1))
    return x, y, k, frac


@settings(max_examples=40, deadline=None)
@given(_spiral())
def test_point_taken_from_track_returns_its_distance(case):
    x, y, k, frac = case
    p = _profile(x, y, step=1e9)  # vertices only: no densification
    seg = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate([[0], np.cumsum(seg)])
    if k < x.size - 1:
        px, py = x[k] + frac * (x[k + 1] - x[k]), y[k] + frac * (y[k + 1] - y[k])
        truth = cum[k] + frac * seg[k]
    else:
        px, py, truth = x[k], y[k], cum[k]
    d = locate(p, [_cp("P", px, py)])[0]
    # the profile measures ellipsoidal distance; the projection is exact to ~1e-4
    assert d == pytest.approx(truth * p.total_distance / cum[-1], abs=0.5)


def test_mini_course_legs_and_check():
    c = load_course(COURSES / "mini.toml")
    lg = course_legs(c)
    assert lg.names == ("Village", "Col", "Hamlet", "Village")
    assert lg.distance[0] == 0 and lg.distance[-1] == pytest.approx(c.profile.total_distance)
    assert lg.elevation[1] == pytest.approx(2300, abs=1)
    np.testing.assert_allclose(lg.leg_km_effort, lg.leg_distance / 1000 + lg.leg_gain / 100)
    # cumulative km-effort (h94 R5): the legs' km-efforts summed, on along-course km
    np.testing.assert_allclose(lg.km_effort, np.cumsum(lg.leg_km_effort))
    assert lg.km_effort[-1] == pytest.approx(lg.along[-1] / 1000 + lg.gain[-1] / 100)
    codes = [f.code for f in check_course(c)]
    assert "schematic" in codes and "declared-conflict" in codes
    # "Village" is the loop's start and finish rows: no duplicate-name (K10)
    assert "duplicate-name" not in codes
    assert not [f for f in check_course(c) if f.level == "error"]


# ---------------------------------------------------------------- real data

REUNION = ["grr_2024", "mas_2024", "tdb_2024", "mtr_2024"]
TEMPLIERS = [f"templiers_{r}_{y}" for r in ("gtt", "endurance", "integrale") for y in (2023, 2024)]


def _realdata_check(realdata, rid):
    tr = read_gpx(realdata / f"{rid}.gpx")
    p = make_profile(tr)
    with open(realdata / f"{rid}_checkpoints.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    specs = [
        CheckpointSpec(
            r["name"], None, float(r["lat"]), float(r["lon"]), None, (), None, 0.0, False
        )
        for r in rows
    ]
    res = locate_points(p, specs)
    idx = json.loads((realdata / "index.json").read_text())
    th = next(e for e in idx["editions"] if e["id"] == rid)["livetrail_track_stats"]["threshold_m"]
    d3 = np.interp(res.distance, p.distance, slope_distance(p.distance, tr.elevation, threshold=th))
    prov = np.array([float(r["distance_m"]) for r in rows])
    return rows, res, d3, prov


# Measured (see the courses report): with LiveTrail's 3D rule, TDB 2024 has four checkpoints
# 1.07-1.13x the allowance (worst Ilet Savannah, 675 m = 1.04 %) and Intégrale 2024 has La
# Salvage at 391 m = 1.0003x. Kept as strict xfails: they fail the stated requirement.
_OVER = (
    "provider km beyond 1 % / 300 m of the located 3D distance: TDB 2024 four checkpoints "
    "1.07-1.13x the allowance (Ilet Savannah 675 m), Integrale 2024 La Salvage 391 m"
)
CASES = [
    pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=_OVER))
    if r in ("tdb_2024", "templiers_integrale_2024")
    else r
    for r in REUNION + TEMPLIERS
]


@pytest.mark.parametrize("rid", CASES)
def test_realdata_located_vs_livetrail(realdata, rid):
    rows, res, d3, prov = _realdata_check(realdata, rid)
    assert np.all(np.diff(res.distance) > 0)  # strictly in course order
    assert np.nanmax(res.offset) < 30  # LiveTrail checkpoints are on the line
    allowed = np.maximum(0.01 * prov, 300.0)
    bad = [
        (r["name"], round(float(a - b)))
        for r, a, b, ok in zip(rows, d3, prov, np.abs(d3 - prov) <= allowed, strict=True)
        if not ok
    ]
    assert not bad, bad


@pytest.mark.parametrize("rid", REUNION + TEMPLIERS)
def test_realdata_2d_distance_is_not_enough(realdata, rid):
    """LiveTrail km are 3D: the plain 2D distance misses them by more than 1 % somewhere."""
    rows, res, d3, prov = _realdata_check(realdata, rid)
    rel = np.abs(res.distance[1:] - prov[1:]) / prov[1:]
    assert rel.max() > 0.01


def _along_errors(realdata, rid):
    rows, res, _d3, prov = _realdata_check(realdata, rid)
    p = make_profile(read_gpx(realdata / f"{rid}.gpx"))
    along = np.interp(res.distance, p.distance, along_course_distance(p))
    allowed = np.maximum(0.01 * prov, 300.0)
    return [
        (r["name"], round(float(a - b)))
        for r, a, b, ok in zip(rows, along, prov, np.abs(along - prov) <= allowed, strict=True)
        if not ok
    ]


@pytest.mark.parametrize("rid", CASES)
def test_realdata_along_course_distance_vs_livetrail(realdata, rid):
    """What `coursekit legs` prints (generic slope distance) vs LiveTrail km."""
    bad = _along_errors(realdata, rid)
    assert not bad, bad


def test_locate_across_the_antimeridian():
    # a 5 km track heading north along 180 deg (lon 179.99 -> -179.99...) with a
    # checkpoint 60 m east of it: the projection was centred on the middle of
    # min/max longitude (0 deg, the other side of the Earth), which stretched the
    # east-west offset to 274 m, beyond the tolerance
    from geographiclib.geodesic import Geodesic

    from coursekit.geodesy import local_projection

    line = Geodesic.WGS84.DirectLine(-16.8, 179.999, 20.0, 5000.0)
    pos = [line.Position(s) for s in np.arange(0.0, 5001.0, 10.0)]
    lat = np.array([p["lat2"] for p in pos])
    lon = np.mod(np.array([p["lon2"] for p in pos]) + 180.0, 360.0) - 180.0
    assert lon.min() < -179.9 and lon.max() > 179.9
    n = lat.size
    tr = Track(lat, lon, np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, np.int64))
    p = make_profile(tr)
    mid = line.Position(2500.0)
    cp = Geodesic.WGS84.Direct(mid["lat2"], mid["lon2"], mid["azi2"] + 90.0, 60.0)
    spec = CheckpointSpec("East", None, cp["lat2"], cp["lon2"], None, (), None, 0.0, False)
    loc = locate_points(p, [spec])
    assert loc.distance[0] == pytest.approx(2500.0, abs=1.0)
    assert loc.offset[0] == pytest.approx(60.0, abs=0.5)
    assert abs(abs(local_projection(lat, lon).lon0) - 180.0) < 0.01


def test_checkpoint_on_the_segment_across_the_antimeridian_keeps_its_longitude():
    """A checkpoint located between the track points either side of 180 deg: its place was
    interpolated to a longitude of about 0 (the other side of the Earth)."""
    from geographiclib.geodesic import Geodesic

    from coursekit.geodesy import distance

    line = Geodesic.WGS84.DirectLine(-16.8, 179.95, 80.0, 10000.0)
    pos = [line.Position(s) for s in np.arange(0.0, 10001.0, 100.0)]
    lat = np.array([p["lat2"] for p in pos])
    lon = np.mod(np.array([p["lon2"] for p in pos]) + 180.0, 360.0) - 180.0
    k = int(np.flatnonzero(np.abs(np.diff(lon)) > 180.0)[0])
    n = lat.size
    tr = Track(lat, lon, np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, np.int64))
    p = make_profile(tr)
    cp = line.Position(100.0 * k + 50.0)
    spec = CheckpointSpec("Seam", None, cp["lat2"], cp["lon2"], None, (), None, 0.0, False)
    loc = locate_points(p, [spec])
    assert loc.offset[0] < 1.0
    assert distance(loc.lat[0], loc.lon[0], cp["lat2"], cp["lon2"]) < 1.0
    assert -180.0 <= loc.lon[0] < 180.0


def _line_course(tmp_path, checkpoints: str, *, loop: bool = False):
    """A 10 km course due north (not a loop) with the given [[checkpoints]] tables."""
    from coursekit.gpx import write_gpx

    la = np.linspace(45.0, 45.09, 400)
    write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.full(400, 1000.0))
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    body += 'timezone = "Europe/Paris"\n' + ("loop = true\n" if loop else "") + checkpoints
    (tmp_path / "c.toml").write_text(body)
    return tmp_path / "c.toml"


def test_loop_open_only_when_the_same_name_is_at_both_ends(tmp_path):
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    # two stations "A" mid-course: nothing to do with a loop (it warned "loop-open")
    mid = _line_course(
        tmp_path, '[[checkpoints]]\nname="A"\nkm=3\n[[checkpoints]]\nname="A"\nkm=6\n'
    )
    out = run.invoke(cli, ["check", str(mid)]).output
    assert "[duplicate-name]" in out and "loop-open" not in out, out
    # start and finish both named "Imlil" at the two ends of an open track: a loop that
    # does not close
    ends = _line_course(
        tmp_path, '[[checkpoints]]\nname="Imlil"\nkm=0\n[[checkpoints]]\nname="Imlil"\nkm=10.0\n'
    )
    out = run.invoke(cli, ["check", str(ends)]).output
    assert "[loop-open] start and finish are both 'Imlil'" in out, out


def test_km_past_the_end_warned_by_cutoffs_and_refused_far_beyond(tmp_path):
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    near = _line_course(tmp_path, '[[checkpoints]]\nname="A"\nkm=10.5\n')  # 5 % past the end
    out = run.invoke(cli, ["cutoffs", str(near)])
    assert out.exit_code == 0, out.output
    assert "'A' at km 10.5 is beyond the end of the course (km 10.0" in out.output
    assert "clock Europe/Paris (UTC+02:00)" in out.output.splitlines()[0]
    chk = run.invoke(cli, ["check", str(near)]).output
    assert chk.count("beyond the end") == 1, chk  # once, as [km-beyond-end]
    far = _line_course(tmp_path, '[[checkpoints]]\nname="A"\nkm=60\n')  # 60 for 6.0
    out = run.invoke(cli, ["cutoffs", str(far)])
    assert out.exit_code != 0
    assert out.output.startswith("Error: ") and "km 60 is beyond the end" in out.output
    assert "a typo?" in out.output and len(out.output.strip().splitlines()) == 1


def test_declared_distance_compared_on_the_map_or_the_slope(tmp_path):
    """A 10 km (map) climb of 3000 m is 10.44 km on the slope, the km every table prints: a
    declared 10.9 km is 4.4 % from the slope length (no warning), 9 % from the map one; a
    declared 12 km warns and shows both measures."""
    from coursekit.course import load_course
    from coursekit.gpx import write_gpx

    la = np.linspace(45.0, 45.09, 400)
    write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.linspace(0.0, 3000.0, 400))
    base = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "6h"\n'
    for km, warned in ((10.9, False), (12.0, True)):
        (tmp_path / "c.toml").write_text(
            base + f'[[declared]]\nsource = "rules"\ndistance_km = {km}\n'
        )
        found = [
            x
            for x in check_course(load_course(tmp_path / "c.toml"))
            if x.code == "declared-distance"
        ]
        assert bool(found) == warned, found
    assert "10.4 km on the slope" in found[0].message, found[0].message
    assert "(10.0 km on the map)" in found[0].message, found[0].message


def test_declared_distance_warning_leads_with_the_slope_km_the_tables_print(tmp_path):
    """h110 finding 7: "measured distance 266.1 km (map 266.1 km, slope 269.6 km) differs
    from 250.0 km ... by +6.5 %": the headline figure and its % were the map's (the nearer
    one) while every table prints slope km. The warning leads with the slope km and its %,
    then the map km and its own; a declared figure within DISTANCE_WARN of either is an
    organiser's map or slope km and is not warned."""
    from coursekit.course import load_course
    from coursekit.gpx import write_gpx

    la = np.linspace(45.0, 45.09, 400)  # 10.0 km on the map, 10.4 km on the slope
    write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.linspace(0.0, 3000.0, 400))
    base = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "6h"\n'

    def warned(km):
        (tmp_path / "c.toml").write_text(
            base + f'[[declared]]\nsource = "rules"\ndistance_km = {km}\n'
        )
        course = load_course(tmp_path / "c.toml")
        found = [x for x in check_course(course) if x.code == "declared-distance"]
        return course, found

    course, found = warned(9.0)  # the map nearer: +11.1 % from it, +16.0 % from the slope
    assert len(found) == 1, found
    slope = float(along_course_distance(course.profile)[-1])
    mapped = course.profile.total_distance
    assert f"{slope / 1000:.1f}" == "10.4" and f"{mapped / 1000:.1f}" == "10.0"
    msg = found[0].message
    assert msg.startswith(
        f"measured distance {slope / 1000:.1f} km on the slope, the km the tables print "
        f"({mapped / 1000:.1f} km on the map), differs from 9.0 km declared by 'rules' "
        f"by {100 * (slope - 9000) / 9000:+.1f} % "
        f"(map {100 * (mapped - 9000) / 9000:+.1f} %; beyond ±5 % on both)"
    ), msg
    assert not warned(9.8)[1]  # 2 % from the map km, 6.5 % from the slope km: a map figure


def test_checkpoint_near_an_end_of_the_track_is_not_moved_onto_it(tmp_path):
    """A checkpoint on the track 200 m from its start (default tolerance 250 m) or 1.2 km
    from it (tolerance 1500 m) was taken as the start row: km 0, the start's position. Only
    within END_SNAP_M (100 m) is it the start; between that and the tolerance, a note."""
    from click.testing import CliRunner

    from coursekit.checkpoints import END_SNAP_M
    from coursekit.cli import cli

    p = _profile([0, 5000, 0], [0, 0, 0.0])  # 10 km out and back, east
    for x, tol, start_row in ((60, 250, True), (200, 250, False), (1200, 1500, False)):
        specs = [_cp("Bridge", x, 0), _cp("Turn", 5000, 0), _cp("Bridge", x, 0)]
        lg = legs_from_located(p, specs, locate_points(p, specs, tolerance_m=tol), tolerance_m=tol)
        if start_row:
            assert x <= END_SNAP_M and lg.names == ("Bridge", "Turn", "Bridge")
        else:
            assert lg.names == ("Start", "Bridge", "Turn", "Bridge", "Finish")
            np.testing.assert_allclose(lg.distance[1:4], [x, 5000, 10000 - x], atol=2)
            assert lg.distance[0] == 0 and lg.distance[-1] == pytest.approx(p.total_distance)
    # check and cutoffs say it once each when it may have been meant as the start/finish
    run = CliRunner()
    near = _line_course(tmp_path, '[[checkpoints]]\nname="Bridge"\nkm=0.2\n')
    chk = run.invoke(cli, ["check", str(near)]).output
    assert chk.count("[near-end] 'Bridge' is 200 m along the track from its start") == 1, chk
    out = run.invoke(cli, ["cutoffs", str(near)]).output
    assert "'Bridge' is 200 m along the track from its start" in out
    assert out.count("along the track from its start") == 1
    far = _line_course(tmp_path, '[[checkpoints]]\nname="Hamlet"\nkm=1.2\ntolerance=1500\n')
    assert "near-end" not in run.invoke(cli, ["check", str(far)]).output
    end = _line_course(tmp_path, '[[checkpoints]]\nname="Arch"\nkm=9.85\n')
    chk = run.invoke(cli, ["check", str(end)]).output
    import re

    gap = re.search(r"'Arch' is (\d+) m before the track's end", chk)
    assert gap and 140 <= int(gap[1]) <= 160, chk  # the track is 10.00 km long


def _out_and_back_course(tmp_path, checkpoints: str):
    """A 5 km out-and-back due north (10 km; the return 15 m east) with the given tables."""
    from coursekit.gpx import write_gpx

    la = np.concatenate([np.linspace(45.0, 45.045, 250), np.linspace(45.045, 45.0, 250)[1:]])
    lo = np.concatenate([np.full(250, 6.0), np.full(249, 6.0002)])
    write_gpx(tmp_path / "t.gpx", la, lo, np.full(la.size, 1000.0))
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    body += 'timezone = "Europe/Paris"\n' + checkpoints
    (tmp_path / "c.toml").write_text(body)
    return tmp_path / "c.toml"


def _cp_at(name: str, km_north: float) -> str:
    return f'[[checkpoints]]\nname = "{name}"\nlat = {45.0 + km_north / 111.13:.6f}\nlon = 6.0001\n'


def _course_of_corners(folder: Path, corners) -> Path:
    """``folder/c.toml``: checkpoint "P" at 45 N 6 E on a track through ``corners``
    (metres east, north of P), a point every 10 m (``folder/t.gpx``)."""
    from coursekit.gpx import write_gpx

    x, y = [], []
    for (x0, y0), (x1, y1) in zip(corners[:-1], corners[1:], strict=True):
        n = max(int(np.hypot(x1 - x0, y1 - y0) / 10), 1)
        x += list(np.linspace(x0, x1, n, endpoint=False))
        y += list(np.linspace(y0, y1, n, endpoint=False))
    x, y = np.append(x, corners[-1][0]), np.append(y, corners[-1][1])
    lat = 45.0 + y / 111_132.0
    lon = 6.0 + x / (111_320.0 * np.cos(np.radians(45.0)))
    write_gpx(folder / "t.gpx", lat, lon, np.full(lat.size, 1000.0))
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    body += '[[checkpoints]]\nname = "P"\nlat = 45.0\nlon = 6.0\n'
    (folder / "c.toml").write_text(body)
    return folder / "c.toml"


def test_passages_note_says_nearer_passages_tie(tmp_path):
    """Outside review (thirty-second sprint): a point passed at 60, 13.5 and 0 m went on the
    13.5 m passage (the first within 25 m of the nearest) and the note said "a later one,
    nearer than the first", which read as the nearest; it now says the tie rule."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    # local metres east (x) and north (y) of the checkpoint, passes at y = 60, 13.5 and 0
    corners = [(-1000, 60), (300, 60), (300, 500), (-300, 500), (-300, 13.5), (300, 13.5)]
    corners += [(300, -500), (-300, -500), (-300, 0), (1000, 0)]
    _course_of_corners(tmp_path, corners)
    run = CliRunner()
    legs = json.loads(
        run.invoke(cli, ["legs", str(tmp_path / "c.toml"), "--format", "json"]).output
    )
    p = legs["checkpoints"][1]
    assert p["name"] == "P" and 10.0 < p["offset_m"] < 17.0, p  # the 13.5 m passage
    res = run.invoke(cli, ["check", str(tmp_path / "c.toml")])
    assert "'P' is passed 3 times" in res.output, res.output
    assert "(the first passage within 25 m of the nearest: farther ones tie)" in res.output


def test_check_says_where_a_checkpoint_passed_twice_is_placed(tmp_path):
    """Black-box finding 10: on an out-and-back, a checkpoint meant for the return but
    listed before the turn went on the outward passage (the documented rule) without a word.
    `check` now says where its position is passed and which passage it took, when more than
    one passage is left after the previous checkpoint; placement is unchanged."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    # "B (back)" listed right after "A (out)", the turn not listed: put on the way out
    mis = _out_and_back_course(tmp_path, _cp_at("A (out)", 1.0) + _cp_at("B (back)", 3.0))
    res = run.invoke(cli, ["check", str(mis)])
    assert res.exit_code == 0, res.output
    assert (
        "info: [passages] checkpoints[1] 'B (back)' is passed 2 times, at km 3.0 and 7.0: "
        "placed at km 3.0, on the first after the previous checkpoint"
    ) in res.output, res.output
    legs = json.loads(run.invoke(cli, ["legs", str(mis), "--format", "json"]).output)
    assert [round(c["distance_m"] / 1000, 1) for c in legs["checkpoints"]][1:3] == [1.0, 3.0]
    # listed in course order, the turn between them: one passage left, nothing to say
    ok = _out_and_back_course(
        tmp_path, _cp_at("A (out)", 1.0) + _cp_at("Turn", 5.0) + _cp_at("B (back)", 3.0)
    )
    res = run.invoke(cli, ["check", str(ok)])
    assert "'B (back)' is passed" not in res.output, res.output
    assert "'Turn' is passed" not in res.output  # one passage
    # "A (out)" has the turn after it: one passage between its neighbours, no advice
    assert "'A (out)' is passed" not in res.output, res.output


def test_same_place_warns_of_a_passage_merged_with_the_turnaround(tmp_path):
    """A refuge 40 m before the turnaround, listed twice without the turnaround between:
    both go on the way up (the list's order cannot tell them apart), and `check` must say
    that the track passes there again. The way down, 80 m further along the track but
    within the 50 m prominence of the way up, was merged into it: no warning was given."""
    from coursekit.checkpoints import check_course, course_legs

    path = _out_and_back_course(tmp_path, _cp_at("Refuge up", 4.96) + _cp_at("Refuge down", 4.96))
    c = load_course(path)
    legs = course_legs(c)
    assert legs.distance[1] == legs.distance[2] == pytest.approx(4960, abs=15)
    same = [f.message for f in check_course(c) if f.code == "same-place"]
    assert len(same) == 1 and "'Refuge up' and 'Refuge down' are placed at one point" in same[0]
    assert "(km 4.96), a leg of 0 km" in same[0], same
    assert "the track passes there again at km 5.05" in same[0], same


def test_check_says_nothing_of_passages_on_a_well_ordered_out_and_back(tmp_path):
    """Review finding 6: every outward station of an out-and-back listed in course order
    got "is passed 2 times ... (list the checkpoints in course order ...)", though the list
    was in order. Only the passages between the previous and the next placed checkpoint
    count now; a station listed after its neighbour on the way back still gets the note."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    cps = [("A (out)", 1.0), ("B (out)", 2.5), ("Turn", 5.0), ("B (back)", 2.5), ("A (back)", 1.0)]
    ok = _out_and_back_course(tmp_path, "".join(_cp_at(n, k) for n, k in cps))
    res = run.invoke(cli, ["check", str(ok)])
    assert res.exit_code == 0, res.output
    assert "[passages]" not in res.output, res.output
    # "B (back)" listed before the turn, which is not listed: between "A (out)" and
    # "A (back)" (km 9) its position is passed twice, so the note stays
    bad = [cps[0], ("B (back)", 3.0), cps[4]]
    mis = _out_and_back_course(tmp_path, "".join(_cp_at(n, k) for n, k in bad))
    out = run.invoke(cli, ["check", str(mis)]).output
    assert "[passages] checkpoints[1] 'B (back)' is passed 2 times, at km 3.0 and 7.0" in out, out


def test_duplicate_names_at_two_places_are_told_apart(tmp_path):
    """Black-box finding 11: two checkpoints sharing a name 3 km apart were "fine for a place
    passed twice"; the warning now says they are two places, and how far apart."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    two = _line_course(
        tmp_path, '[[checkpoints]]\nname="A"\nkm=3\n[[checkpoints]]\nname="A"\nkm=6\n'
    )
    out = run.invoke(cli, ["check", str(two)]).output
    assert (
        "[duplicate-name] checkpoint name 'A' is used 2 times (checkpoints[0, 1]): two different "
        "places, 3.0 km apart along the course (km 3.0 and 6.0), but tables and timing need "
        "distinct names"
    ) in out, out
    # one place passed twice (an out-and-back): the old wording
    one = _out_and_back_course(tmp_path, _cp_at("A", 1.0) + _cp_at("Turn", 5.0) + _cp_at("A", 1.0))
    out = run.invoke(cli, ["check", str(one)]).output
    assert "(checkpoints[0, 2]): fine for a place passed twice, but tables" in out, out


def test_checkpoint_listed_twice_is_not_a_place_passed_twice(tmp_path):
    """W3: a checkpoint copied twice in a row (both on one passage, a leg of 0 km) was "fine
    for a place passed twice"; the warning now says both rows are at one point."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    twice = _out_and_back_course(
        tmp_path, _cp_at("A", 1.0) + _cp_at("A", 1.0) + _cp_at("Turn", 5.0)
    )
    out = CliRunner().invoke(cli, ["check", str(twice)]).output
    assert (
        "[duplicate-name] checkpoint name 'A' is used 2 times (checkpoints[0, 1]), all at km "
        "1.0 on one passage (legs of 0 km): listed twice by mistake? A place passed twice has "
        "a checkpoint on each passage, with distinct names"
    ) in out, out
    assert "fine for a place passed twice" not in out, out


def test_located_still_unpacks_into_five_values():
    """Review finding 15: `Located` gained a sixth field, `passages`, this sprint, so code
    unpacking the five documented ones (`dist, off, lat, lon, problems = locate_points(...)`)
    broke. `passages` is now an attribute outside the tuple, kept by `_replace` and pickle."""
    import pickle

    p = _profile([0, 3000, 0], [0, 0, 0.0])  # out and back: B passed twice
    res = locate_points(p, [_cp("A", km=0.5), _cp("B", 1000, 20)])
    dist, off, lat, lon, problems = res
    assert dist[1] == pytest.approx(1000, abs=1) and problems == ()
    assert len(res.passages[1]) == 2 and res.passages[1][0] == pytest.approx(1000, abs=1)
    assert res._replace(problems=((0, "x", "y"),)).passages == res.passages
    assert pickle.loads(pickle.dumps(res)).passages == res.passages


def test_a_leg_steeper_than_any_real_one_warns(tmp_path):
    """F1's check (sixteenth sprint): HAUT 80's scaled sketch had 2910 m D+ over 9 km
    (323 m per km) and `check` said nothing. Beyond MAX_LEG_GRADE (300 m/km) on a leg of
    at least 3 km, check warns; 250 m/km does not."""
    from coursekit.gpx import write_gpx

    n = 401  # 40 km due north; km 10 -> 14: +1300 m (325 m per km), then back down slowly
    lat = np.linspace(31.0, 31.36, n)
    k = np.arange(n)
    ele = 800 + np.interp(k, [0, 100, 140, 400], [0, 0, 1300, 0])
    write_gpx(tmp_path / "c.gpx", lat, np.full(n, -7.9), ele, name="c")
    body = (
        'name = "T"\ngpx = "c.gpx"\nstart = 2024-06-01T04:00:00+01:00\nlimit = "10h"\n'
        'gain_threshold = 0\n[[checkpoints]]\nname = "A"\nkm = 10\n'
        '[[checkpoints]]\nname = "B"\nkm = 14\n[[checkpoints]]\nname = "C"\nkm = 27\n'
    )
    (tmp_path / "c.toml").write_text(body)
    found = [f for f in check_course(load_course(tmp_path / "c.toml")) if f.code == "steep-leg"]
    # (km are along the slope: the leg holds most of the climb, ~310 m per km)
    assert len(found) == 1
    assert re.match(
        r"leg 'A' -> 'B': 12\d\d m D\+ over 4\.0 km \(3[01]\d m per km on average\), more than "
        "300: steeper than any real leg",
        found[0].message,
    )
    ele = 800 + np.interp(k, [0, 100, 140, 400], [0, 0, 1000, 0])  # 250 m per km
    write_gpx(tmp_path / "c.gpx", lat, np.full(n, -7.9), ele, name="c")
    assert not [f for f in check_course(load_course(tmp_path / "c.toml")) if f.code == "steep-leg"]


@pytest.mark.parametrize("name", ["haut/haut-120", "atlas-quest/utat-105"])
def test_located_from_legs_is_what_check_locates(name):
    """Review 16/13: the plan rebuilt the checkpoints' locations from its legs table by
    matching identities in O(n·m), beside check_course's own; one helper reads them back,
    and they are those of :func:`locate_points`."""
    from coursekit.checkpoints import course_legs, locate_points, located_from_legs
    from coursekit.course import load_course
    from coursekit.profile import along_course_distance

    c = load_course(Path(__file__).parent.parent / "courses" / f"{name}.toml")
    legs = course_legs(c)
    along = along_course_distance(c.profile, slope=not c.schematic)
    ref = locate_points(c.profile, c.checkpoints, tolerance_m=c.tolerance_m, along=along)
    located, km, km_of = located_from_legs(c.checkpoints, legs, c.profile)
    np.testing.assert_allclose(located.distance, ref.distance)
    np.testing.assert_allclose(located.lat, ref.lat)
    np.testing.assert_allclose(km, [km_of(d) for d in ref.distance], atol=1e-6)


def test_km_past_the_end_by_less_than_its_written_precision_is_not_warned(tmp_path):
    """Black-box test, seventeenth sprint (finding 17): the finish typed as `legs` prints it
    (km 49.43 for a 49.4267 km course) was "beyond the end of the course (49.43 km)". A km
    is as precise as it is written: half a unit of its last decimal (km_slack_m)."""
    from click.testing import CliRunner
    from pyproj import Geod

    from coursekit.checkpoints import km_slack_m
    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    assert [km_slack_m(k) for k in (49.43, 49.4, 50.0, 49.4267, 1e-7)] == pytest.approx(
        [5.0, 50.0, 50.0, 1.0, 1.0]
    )
    s = np.linspace(0, 10_007.0, 401)  # 10.007 km due north, flat: along = geodesic
    lon, lat, _ = Geod(ellps="WGS84").fwd(
        np.full(s.size, 6.0), np.full(s.size, 45.0), np.zeros(s.size), s
    )
    write_gpx(tmp_path / "t.gpx", lat, lon, np.full(s.size, 1000.0))
    run = CliRunner()
    for km, warned in (("10.01", False), ("10.02", True), ("10.008", True)):
        body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
        body += f'[[checkpoints]]\nname="Finish"\nkm={km}\n'
        (tmp_path / "c.toml").write_text(body)
        for cmd in ("check", "cutoffs"):
            out = run.invoke(cli, [cmd, str(tmp_path / "c.toml")])
            assert out.exit_code == 0, out.output
            assert ("beyond the end" in out.output) is warned, (km, cmd, out.output)


def test_km_beyond_the_end_never_reads_as_before_it(tmp_path):
    """Finding 17, what the seventeenth sprint left: a km written to the metre past the end
    by more than 1 m read "at km 10.008 is beyond the end of the course (10.01 km)". The
    end is written to the km's own decimals (at least 2, at most 3)."""
    from click.testing import CliRunner
    from pyproj import Geod

    from coursekit.checkpoints import end_km_text
    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    assert [end_km_text(10_007.0, k) for k in (10.02, 10.008, 10.0081, 11.0, 1e-7)] == [
        "10.01",
        "10.007",
        "10.007",
        "10.01",
        "10.007",
    ]
    s = np.linspace(0, 10_007.0, 401)  # 10.007 km due north, flat: along = geodesic
    lon, lat, _ = Geod(ellps="WGS84").fwd(
        np.full(s.size, 6.0), np.full(s.size, 45.0), np.zeros(s.size), s
    )
    write_gpx(tmp_path / "t.gpx", lat, lon, np.full(s.size, 1000.0))
    run = CliRunner()
    for km, end in (("10.008", "10.007"), ("10.02", "10.01")):
        body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
        body += f'[[checkpoints]]\nname="Finish"\nkm={km}\n'
        (tmp_path / "c.toml").write_text(body)
        out = run.invoke(cli, ["check", str(tmp_path / "c.toml")])
        assert f"at km {km} is beyond the end of the course ({end} km)" in out.output
        out = run.invoke(cli, ["cutoffs", str(tmp_path / "c.toml")])
        assert f"at km {km} is beyond the end of the course (km {end})" in out.output


def test_a_track_without_elevation_is_planned_flat_and_says_so(tmp_path):
    """Black-box test, seventeenth sprint (finding 8): with no <ele>, `cutoffs` printed leg
    D+/D- 0 (not unknown) and only `check` said the track had no elevation. The plan now
    says its barriers are those of a flat course, and D+/D- are unknown everywhere."""
    import json

    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.cutoffs import NO_ELEVATION_WARNING
    from coursekit.gpx import read_gpx, write_gpx

    la = np.linspace(45.0, 45.09, 400)
    write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.full(400, np.nan))
    assert not np.isfinite(read_gpx(tmp_path / "t.gpx").elevation).any()
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    (tmp_path / "c.toml").write_text(body + '[[checkpoints]]\nname="A"\nkm=5\n')
    run = CliRunner()
    out = run.invoke(cli, ["cutoffs", str(tmp_path / "c.toml")])
    assert out.exit_code == 0, out.output
    assert out.output.count(NO_ELEVATION_WARNING) == 1, out.output
    row = next(line for line in out.output.splitlines() if line.startswith("A "))
    assert row.split()[2:5] == ["-", "-", "-"], row  # altitude, leg D+, leg D-
    rec = json.loads(
        run.invoke(cli, ["cutoffs", str(tmp_path / "c.toml"), "--format", "json"]).output
    )
    rec = rec[0] if isinstance(rec, list) else rec
    assert {c["leg_gain_m"] for c in rec["checkpoints"]} == {None}
    assert {c["loss_m"] for c in rec["checkpoints"]} == {None}
    legs = run.invoke(cli, ["legs", str(tmp_path / "c.toml")]).output
    assert "D+ - m, D- - m" in legs, legs
    chk = run.invoke(cli, ["check", str(tmp_path / "c.toml")]).output
    assert chk.count("no elevation") == 1, chk  # [no-elevation], not the plan's repeat


def test_a_barrier_check_finding_reaches_every_plan_reader_once(tmp_path):
    """Black-box test, seventeenth sprint (findings 4, 13): a fixed barrier needing 12 km/h
    flat-equivalent was reported by `check` only; `cutoffs`, `export`, `event` and the
    roadbook published it without a remark. The plan now carries check_plan's findings."""
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.course import load_course
    from coursekit.cutoffs import plan

    path = _line_course(tmp_path, '[[checkpoints]]\nname="A"\nkm=5\ncutoff="0h25"\n')
    found = [w for w in plan(load_course(path)).warnings if "flat-equivalent" in w]
    assert len(found) == 1 and "'Start' -> 'A' needs 12." in found[0], found
    run = CliRunner()
    out = run.invoke(cli, ["cutoffs", str(path)])
    assert out.exit_code == 0 and out.output.count("flat-equivalent") == 1, out.output
    chk = run.invoke(cli, ["check", str(path)]).output
    assert chk.count("flat-equivalent") == 1, chk


def test_a_time_zone_that_does_not_fit_the_place_is_warned_of(tmp_path):
    """Black-box finding 12: a course on Réunion with timezone = "Europe/Paris" (a naive
    start) moved the start, the night sections and every window by 2 h (sunrise 03:45),
    and `check` said nothing. `check` and every plan warn now, naming the zone, the place
    and solar noon on its clock; the place's own zone does not."""
    from coursekit.checkpoints import check_course, clock_place_notes
    from coursekit.course import load_course
    from coursekit.cutoffs import plan
    from coursekit.gpx import write_gpx

    la = np.linspace(-21.0, -21.05, 200)  # 5.6 km due south from Saint-Paul, Réunion
    write_gpx(tmp_path / "t.gpx", la, np.full(200, 55.27), np.linspace(10, 400, 200))
    body = 'name = "R"\ngpx = "t.gpx"\nstart = 2024-10-18T22:00:00\nlimit = "4h"\n'
    (tmp_path / "c.toml").write_text(body + 'timezone = "Europe/Paris"\n')
    c = load_course(tmp_path / "c.toml")
    note = (
        "the time zone Europe/Paris (UTC+02:00 then) does not fit the course's place: at the "
        "start (-21.0000, 55.2700) the sun is highest at 10:04 on that clock on Fri "
        "2024-10-18, where every place's own time zone puts solar noon between 10:30 and "
        "15:45; check `timezone` and the start's UTC offset (every time shown is on that "
        "clock)"
    )
    assert clock_place_notes(c) == [note]
    found = [(f.level, f.message) for f in check_course(c) if f.code == "timezone-place"]
    assert found == [("warning", note)]
    assert plan(c).warnings.count(note) == 1
    # the place's own zone: nothing
    (tmp_path / "c.toml").write_text(body + 'timezone = "Indian/Reunion"\n')
    c = load_course(tmp_path / "c.toml")
    assert clock_place_notes(c) == [] and note not in plan(c).warnings
    # no zone: the start's offset is the clock
    (tmp_path / "c.toml").write_text(body.replace("22:00:00", "22:00:00+01:00"))
    (note,) = clock_place_notes(load_course(tmp_path / "c.toml"))
    assert note.startswith(
        "the start's UTC offset UTC+01:00 (no timezone given) does not fit the course's "
        "place: at the start (-21.0000, 55.2700) the sun is highest at 09:04 on that clock"
    )


def test_last_checkpoint_at_the_track_end_is_the_finish_not_an_earlier_pass():
    """A finish listed last at the track's last point, where the track ends with a small
    loop in town (Templiers 2024: the arch passed at km 80.2, 15 m off, then reached at
    km 80.4): it was placed on the first pass, 200 m early, and a second "Finish" row was
    added at the end. A pass at the end of the track, as close as the first (within
    SAME_PLACE_M), is the finish."""
    # east 3.2 km past the arch (15 m off the track at km 3.0), then a loop back to it
    x = [0, 3200, 3200, 3000, 3000]
    y = [0, 0, 100, 100, 15.0]
    p = _profile(x, y, step=5.0)
    specs = [_cp("Mid", 1500, 0), _cp("Arch", 3000, 15)]  # the arch: the track's last point
    located = locate_points(p, specs)
    np.testing.assert_allclose(located.passages[1], [3000, p.total_distance], atol=1)
    lg = legs_from_located(p, specs, located)
    assert lg.names == ("Start", "Mid", "Arch")
    assert lg.distance[-1] == pytest.approx(p.total_distance)
    # a last checkpoint that is not at the end keeps its own row before the finish
    specs = [_cp("Mid", 1500, 0), _cp("Bridge", 2500, 10)]
    lg = legs_from_located(p, specs, locate_points(p, specs))
    assert lg.names == ("Start", "Mid", "Bridge", "Finish")


def test_two_checkpoints_at_one_point_passed_again_later_are_warned(tmp_path):
    """Judge-style finding J2: on an out-and-back, "A out" and "A back" at the same
    coordinates, listed one after the other without the turnaround, both land on the
    outward passage: a leg of 0 km, with only an info line in `check` and nothing in
    `cutoffs`. Both now warn (the placement, right for an entry/exit pair, is kept); an
    entry/exit pair at a place the track passes once is not warned."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    twice = _out_and_back_course(tmp_path, _cp_at("A out", 2.0) + _cp_at("A back", 2.0))
    chk = run.invoke(cli, ["check", str(twice)]).output
    line = next((x for x in chk.splitlines() if "[same-place]" in x), "")
    assert "'A out' and 'A back' are placed at one point (km 2.0)" in line, chk
    assert re.search(r"passes there again at km (7\.9|8\.0)", line), line
    out = run.invoke(cli, ["cutoffs", str(twice)]).output
    assert out.count("are placed at one point") == 1, out
    # listed with the turnaround between them: each on its own passage, no warning
    turn = _out_and_back_course(
        tmp_path, _cp_at("A out", 2.0) + _cp_at("Turn", 5.0) + _cp_at("A back", 2.0)
    )
    assert "same-place" not in run.invoke(cli, ["check", str(turn)]).output
    # an entry/exit pair on the return leg, passed no more after it: no warning
    pair = _out_and_back_course(
        tmp_path, _cp_at("Turn", 5.0) + _cp_at("B in", 2.0) + _cp_at("B out", 2.0)
    )
    assert "same-place" not in run.invoke(cli, ["check", str(pair)]).output


def test_a_km_table_longer_than_the_track_says_the_km_before_may_sit_late(tmp_path):
    """Judge-style finding J3: the UTMB's published km (finish 176.6) on a 172.9 km track
    put the finish "beyond the end ... placed at the finish", but every station given by
    km before it was placed at its km as written, too far along the track, without a
    word. The warning now says by how much the table is longer and what that means for
    the km before it (the last of them, if the difference is spread evenly)."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    tables = "".join(
        f'[[checkpoints]]\nname="{n}"\nkm={k}\n' for n, k in (("A", 3), ("B", 6), ("End", 10.4))
    )
    course = _line_course(tmp_path, tables)  # the track is 10.00 km
    run = CliRunner()
    for cmd in ("check", "cutoffs"):
        out = run.invoke(cli, [cmd, str(course)]).output
        line = next(x for x in out.splitlines() if "'End' at km 10.4 is beyond the end" in x)
        m = re.search(r"runs (\d+\.\d) % longer than the track, so the 2 checkpoints", line)
        assert m and 3.5 < float(m[1]) < 4.5, line
        late = re.search(r"'B' by about (\d+\.\d) km", line)
        assert late and 0.1 <= float(late[1]) <= 0.3, line  # 6 x 0.04 / 1.04
    # the only checkpoint given by km: nothing to say about the others
    alone = _line_course(tmp_path, '[[checkpoints]]\nname="End"\nkm=10.4\n')
    out = run.invoke(cli, ["check", str(alone)]).output
    assert "beyond the end" in out and "km table" not in out, out


def test_a_loops_start_and_finish_rows_may_share_a_name(tmp_path):
    """Black-box finding K10: a loop whose first and last checkpoints are the same place
    ("Chamonix" at both ends) got a duplicate-name warning on every plan, although the start
    row's name may equal the finish's (DESIGN.md, contract 2). Other duplicates still warn."""
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    t = np.linspace(0.0, 2 * np.pi, 600)
    r = 1.6 / 111.2  # ~10 km round
    lat, lon = 45.0 + r * np.sin(t), 6.0 + r * (1 - np.cos(t)) / np.cos(np.radians(45.0))
    write_gpx(tmp_path / "loop.gpx", lat, lon, 1000.0 + 200.0 * np.sin(t / 2))

    def course(cps):
        body = 'name = "L"\ngpx = "loop.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
        body += 'timezone = "Europe/Paris"\nloop = true\n'
        body += "".join(f'[[checkpoints]]\nname = "{n}"\nkm = {k}\n' for n, k in cps)
        (tmp_path / "c.toml").write_text(body)
        return str(tmp_path / "c.toml")

    run = CliRunner()
    same = course([("Town", 0), ("Col", 5.0), ("Town", 10.5)])
    for cmd in ("check", "cutoffs"):
        res = run.invoke(cli, [cmd, same])
        assert res.exit_code == 0, res.output
        assert "duplicate-name" not in res.output and "is used 2 times" not in res.output, (
            res.output
        )
    # "Col" twice mid-course is still a duplicate, and so is "Town" once more on the way
    res = run.invoke(
        cli, ["check", course([("Town", 0), ("Town", 3.0), ("Col", 5), ("Town", 10.5)])]
    )
    assert "checkpoint name 'Town' is used 3 times (checkpoints[0, 1, 3])" in res.output, res.output


@pytest.mark.parametrize("back_y", [4.0, -4.0])
def test_station_off_a_place_passed_twice_goes_on_the_first_passage(back_y):
    """h73 P2: a village 120 m off an out-and-back, listed once after a km 1 checkpoint,
    went on the way out or the way back (km 2 or km 8) depending on whether the way back's
    GPS line ran 4 m north or south of the way out's: a few metres at 120 m are not
    "clearly closer"; ties go to the first passage."""
    p = _profile([0, 5000, 5000, 0], [0, 0, back_y, back_y])
    d = locate(p, [_cp("Bridge", km=1.0), _cp("Village", 2000, 120)])
    np.testing.assert_allclose(d, [1000, 2000], atol=2)
    # still: a passage clearly closer (on the track at km 8, 120 m off at km 2) wins
    p2 = _profile([0, 5000, 5000, 2000, 2000, 0], [0, 0, 120, 120, 120, 120])
    d2 = locate(p2, [_cp("Bridge", km=1.0), _cp("Village", 2000, 120)])
    assert d2[1] > 5000


def test_check_judges_the_start_and_finish_rows_the_tables_build(tmp_path):
    """h73 P3: a checkpoint 150 m from the track's start (or end) is a row of its own in
    `legs`/`cutoffs` (the ends snap within 100 m), and its cutoff applies; `check` called
    it the start row ("this cutoff is ignored") or the finish ("not start + limit")."""
    import json

    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    d = 10.0 / 400  # the 10 km track's km per point (see _line_course)
    cps = (
        f'[[checkpoints]]\nname="Bridge"\nkm={0.15 + d / 10:.4f}\ncutoff="20m"\n'
        '[[checkpoints]]\nname="Mid"\nkm=5\n'
        f'[[checkpoints]]\nname="Ford"\nkm={9.85:.2f}\ncutoff="2h45m"\n'
    )
    path = _line_course(tmp_path, cps)
    rows = json.loads(run.invoke(cli, ["cutoffs", str(path), "--format", "json"]).stdout)
    names = [c["name"] for c in rows["checkpoints"]]
    assert names[0] != "Bridge" and "Bridge" in names and names[-1] != "Ford", names
    out = run.invoke(cli, ["check", str(path)]).output
    assert "cutoff-start-row" not in out and "cutoff-finish" not in out, out


# ---- J1: a named finish (start) short of the GPX's end (start) ends (starts) the course


def test_named_finish_before_the_gpx_end_ends_the_course(tmp_path):
    """J1: the last checkpoint "Arrivée" placed by lat/lon 278 m before the GPX's end (it
    goes on to the car park) is the finish: no "Finish" row is added after it, the course
    (profile, legs, barriers) ends there, the limit applies there, and a note says how many
    metres of the GPX are left out. A last checkpoint not named so keeps the old rule."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Mid"\nkm=5\n' + _cp_at("ARRIVEE", 9.72))
    gpx_len = float(make_profile(read_gpx(tmp_path / "t.gpx")).total_distance)
    course = load_course(path)
    legs = course_legs(course)
    assert legs.names == ("Start", "Mid", "ARRIVEE"), legs.names
    cut = gpx_len - float(course.profile.total_distance)
    assert 270 < cut < 290, (gpx_len, course.profile.total_distance)
    assert legs.distance[-1] == pytest.approx(course.profile.total_distance)
    plan = json.loads(run.invoke(cli, ["cutoffs", str(path), "--format", "json"]).output)
    last = plan["checkpoints"][-1]
    assert last["name"] == "ARRIVEE" and last["cutoff_elapsed_s"] == 3 * 3600, last
    assert last["distance_m"] < gpx_len - 270, last
    chk = run.invoke(cli, ["check", str(path)]).output
    line = [ln for ln in chk.splitlines() if "[gpx-cut]" in ln]
    assert len(line) == 1 and f"runs on {cut:.0f} m after 'ARRIVEE'" in line[0], chk
    assert "finish-after-last" not in chk and "near-end" not in chk, chk
    assert f"runs on {cut:.0f} m after 'ARRIVEE'" in run.invoke(cli, ["cutoffs", str(path)]).output
    # not named as the finish: unchanged (a row of its own, a "Finish" row at the GPX's end)
    path = _line_course(tmp_path, _cp_at("Village", 9.72))
    course = load_course(path)
    assert course_legs(course).names == ("Start", "Village", "Finish")
    assert course.profile.total_distance == pytest.approx(gpx_len)
    assert "gpx_cut" not in course.info


def test_named_start_after_the_gpx_start_starts_the_course(tmp_path):
    """J1, at the start: "Départ" clicked 222 m after the GPX's first point is the start row
    at km 0; the km of the checkpoints placed by km are counted from it."""
    path = _line_course(tmp_path, _cp_at("Départ", 0.222) + '[[checkpoints]]\nname="Mid"\nkm=5\n')
    gpx_len = float(make_profile(read_gpx(tmp_path / "t.gpx")).total_distance)
    course = load_course(path)
    legs = course_legs(course)
    assert legs.names == ("Départ", "Mid", "Finish"), legs.names
    assert 215 < gpx_len - course.profile.total_distance < 230
    assert course.track.lat[0] == pytest.approx(45.0 + 0.222 / 111.13, abs=2e-5)
    msgs = [x.message for x in check_course(course) if x.code == "gpx-cut"]
    assert len(msgs) == 1 and "starts 2" in msgs[0] and "'Départ'" in msgs[0], msgs


def test_named_finish_of_a_loop_is_its_last_passage(tmp_path):
    """J1 on a loop: 5 km north and back to the arch (km 10), a 1 km loop in town back through
    the arch (km 11), then 300 m to the car park. "Start/Finish" listed last is the arch's last
    passage: the town loop is in the course, the 300 m are not."""
    from coursekit.gpx import write_gpx

    north = np.linspace(0.0, 5000.0, 501)
    y = np.concatenate([north, north[::-1][1:], np.zeros(50), np.zeros(50), np.zeros(30)])
    x = np.concatenate(
        [
            np.zeros(1001),
            np.linspace(10.0, 500.0, 50),
            np.linspace(490.0, 0.0, 50),
            np.linspace(-10.0, -300.0, 30),
        ]
    )
    la, lo = PROJ.inverse(x, y)
    write_gpx(tmp_path / "t.gpx", la, lo, np.full(x.size, 1000.0))
    a0, o0 = PROJ.inverse(0.0, 0.0)
    at = f"lat = {float(a0):.7f}\nlon = {float(o0):.7f}\n"
    body = 'name = "L"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    body += "loop = true\n"
    body += f'[[checkpoints]]\nname = "Start/Finish"\n{at}'
    body += '[[checkpoints]]\nname = "Turn"\nkm = 5\n'
    body += f'[[checkpoints]]\nname = "Start/Finish"\n{at}'
    (tmp_path / "c.toml").write_text(body)
    course = load_course(tmp_path / "c.toml")
    legs = course_legs(course)
    assert legs.names == ("Start/Finish", "Turn", "Start/Finish"), legs.names
    assert course.profile.total_distance == pytest.approx(11000, abs=30)
    assert course.info["gpx_cut"]["start"] is None
    assert course.info["gpx_cut"]["after_finish_m"] == pytest.approx(300, abs=20)
    assert not [x for x in check_course(course) if x.code == "loop-open"]


# ---- h103: the keys start / finish, a finish placed by km, the end notes' advice


def test_finish_and_start_keys_end_the_course_whatever_the_names(tmp_path):
    """h103: a finish called "Chamonix" and a start called "Place de l'Église" are the
    course's finish and start with ``finish = true`` / ``start = true``, as a finish named so
    is: the GPX is cut at both (no added "Start"/"Finish" rows), and check says how much.
    ``finish = false`` opts a last checkpoint named "Meta" (a water point) out of the name
    rule: it stays a row of its own before the added "Finish"."""
    path = _line_course(
        tmp_path,
        _cp_at("Place de l'Église", 0.222)
        + "start = true\n"
        + '[[checkpoints]]\nname="Mid"\nkm=5\n'
        + _cp_at("Chamonix", 9.72)
        + "finish = true\n",
    )
    gpx_len = float(make_profile(read_gpx(tmp_path / "t.gpx")).total_distance)
    course = load_course(path)
    legs = course_legs(course)
    assert legs.names == ("Place de l'Église", "Mid", "Chamonix"), legs.names
    cut = course.info["gpx_cut"]
    assert cut["start"] == "Place de l'Église" and cut["finish"] == "Chamonix", cut
    assert 215 < cut["before_start_m"] < 230 and 270 < cut["after_finish_m"] < 290, cut
    assert gpx_len - float(course.profile.total_distance) == pytest.approx(
        cut["before_start_m"] + cut["after_finish_m"], abs=1
    )
    msgs = [x.message for x in check_course(course) if x.code == "gpx-cut"]
    assert len(msgs) == 2 and "'Chamonix'" in msgs[1], msgs
    codes = {x.code for x in check_course(course)}
    assert not codes & {"near-end", "finish-after-last"}, codes
    # without the keys: rows of their own, the GPX whole (the rule for other names)
    path = _line_course(tmp_path, _cp_at("Place de l'Église", 0.222) + _cp_at("Chamonix", 9.72))
    course = load_course(path)
    assert course_legs(course).names == ("Start", "Place de l'Église", "Chamonix", "Finish")
    assert "gpx_cut" not in course.info
    # finish = false: the water point "Meta" 150 m before the end is not the finish
    path = _line_course(tmp_path, _cp_at("Meta", 9.85) + "finish = false\n")
    course = load_course(path)
    assert course_legs(course).names == ("Start", "Meta", "Finish")
    assert "gpx_cut" not in course.info
    path = _line_course(tmp_path, _cp_at("Meta", 9.85))
    assert course_legs(load_course(path)).names == ("Start", "Meta")


def test_finish_placed_by_km_is_the_course_end(tmp_path):
    """h103: a "Finish" at km 9.7 on a GPX of 10.0 km was a row of its own plus an added
    "Finish" row (the limit applied 300 m after the organiser's finish, which was given an
    interpolated barrier). The finish placed by km is the course's end: its km is the
    organiser's measurement; a note (check: info ``finish-km``; cutoffs: a warning line)
    compares the two. Far short (a typo, another course's GPX) the note is a warning."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    for body in (
        '[[checkpoints]]\nname="Mid"\nkm=5\n[[checkpoints]]\nname="Finish"\nkm=9.7\n',
        '[[checkpoints]]\nname="Mid"\nkm=5\n[[checkpoints]]\nname="Chamonix"\nkm=9.7\n'
        "finish = true\n",
    ):
        path = _line_course(tmp_path, body)
        course = load_course(path)
        legs = course_legs(course)
        last = "Finish" if '"Finish"' in body else "Chamonix"
        assert legs.names == ("Start", "Mid", last), legs.names
        assert legs.distance[-1] == pytest.approx(course.profile.total_distance)
        assert "gpx_cut" not in course.info  # the GPX is the course: nothing cut
        found = [x for x in check_course(course) if x.code == "finish-km"]
        end_km = float(legs.along[-1]) / 1000
        assert len(found) == 1 and found[0].level == "info", found
        assert f"{last!r}, the finish, is at km 9.7" in found[0].message
        assert f"GPX measures {end_km:.2f} km" in found[0].message, found[0].message
        chk = run.invoke(cli, ["check", str(path)]).output
        assert "finish-after-last" not in chk and "near-end" not in chk, chk
        plan = json.loads(run.invoke(cli, ["cutoffs", str(path), "--format", "json"]).output)
        assert [r["name"] for r in plan["checkpoints"]] == ["Start", "Mid", last]
        assert plan["checkpoints"][-1]["cutoff_elapsed_s"] == 3 * 3600
        assert "the finish, is at km 9.7" in run.invoke(cli, ["cutoffs", str(path)]).output
    # a finish km far short of the GPX: still the end, and a warning
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Finish"\nkm=6\n')
    found = [x for x in check_course(load_course(path)) if x.code == "finish-km"]
    assert len(found) == 1 and found[0].level == "warning" and "typo" in found[0].message
    # at the end within the km's rounding: nothing to say
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Finish"\nkm=10\n')
    assert not [x for x in check_course(load_course(path)) if x.code == "finish-km"]
    # another name, or finish = false: the old rule (a row of its own, an added "Finish")
    for body in ("", "finish = false\n"):
        name = "Finish" if body else "Col"
        path = _line_course(tmp_path, f'[[checkpoints]]\nname="{name}"\nkm=9.7\n{body}')
        assert course_legs(load_course(path)).names == ("Start", name, "Finish")


def test_start_placed_by_km_is_the_course_start(tmp_path):
    """h103: the first checkpoint marked ``start = true`` (or named so) placed by km is the
    start row at km 0, not a row of its own after an added "Start"."""
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Bridge"\nkm=0.2\nstart = true\n')
    assert course_legs(load_course(path)).names == ("Bridge", "Finish")
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Bridge"\nkm=0.2\n')
    assert course_legs(load_course(path)).names == ("Start", "Bridge", "Finish")


def test_end_notes_advise_the_finish_and_start_keys_and_the_advice_works(tmp_path):
    """h103: the near-end notes said "end the GPX there" / "give it km = 0"; they now give
    the simpler fix, the key (or the name), and following it silences them."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    path = _line_course(tmp_path, _cp_at("Bridge", 0.2) + _cp_at("Arch", 9.85))
    chk = run.invoke(cli, ["check", str(path)]).output
    start = [ln for ln in chk.splitlines() if "[near-end] 'Bridge'" in ln]
    assert len(start) == 1 and start[0].endswith(
        "if it is the start, give it start = true (or name it 'Start'): the course then "
        "starts there"
    ), chk
    end = [ln for ln in chk.splitlines() if "[near-end] 'Arch'" in ln]
    assert len(end) == 1 and end[0].endswith(
        "if it is the finish, give it finish = true (or name it 'Finish'): the course then "
        "ends there"
    ), chk
    path = _line_course(
        tmp_path,
        _cp_at("Bridge", 0.2) + "start = true\n" + _cp_at("Arch", 9.85) + "finish = true\n",
    )
    chk = run.invoke(cli, ["check", str(path)]).output
    assert "near-end" not in chk and chk.count("[gpx-cut]") == 2, chk


def test_end_notes_do_not_advise_a_key_the_file_has_set_false(tmp_path):
    """A first (last) checkpoint near the track's start (end) marked ``start = false``
    (``finish = false``): the director said it is not the start (finish), so neither
    `check` nor `cutoffs` advises to give it ``start = true`` (``finish = true``); the
    rows stay as they are (a row of its own after "Start", before "Finish")."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    run = CliRunner()
    body = _cp_at("Bridge", 0.2) + "start = false\n" + _cp_at("Arch", 9.85) + "finish = false\n"
    path = _line_course(tmp_path, body)
    assert course_legs(load_course(path)).names == ("Start", "Bridge", "Arch", "Finish")
    for cmd in ("check", "cutoffs"):
        out = run.invoke(cli, [cmd, str(path)]).output
        assert "start = true" not in out and "finish = true" not in out, (cmd, out)
    # one key set, the other end still advised
    path = _line_course(tmp_path, _cp_at("Bridge", 0.2) + _cp_at("Arch", 9.85) + "finish = false\n")
    for cmd in ("check", "cutoffs"):
        out = run.invoke(cli, [cmd, str(path)]).output
        assert "give it start = true" in out and "finish = true" not in out, (cmd, out)


def test_cutoff_problems_of_no_cutoff_are_none():
    """cutoff_limit_problem and finish_cutoff_problem (public, h102 W9): a row without a
    fixed cutoff (NaN, as plan's fixed array holds it) has no problem; finish_cutoff_problem
    raised ValueError ('cannot convert float NaN to integer') where cutoff_limit_problem
    said None."""
    import datetime as dt
    import math
    from types import SimpleNamespace

    from coursekit.checkpoints import cutoff_limit_problem, finish_cutoff_problem

    start = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    course = SimpleNamespace(start=start, limit_s=12 * 3600.0, timezone="Europe/Paris")
    where = "checkpoints[1] ('Finish') key 'cutoff'"
    for problem in (cutoff_limit_problem, finish_cutoff_problem):
        assert problem(where, course, math.nan) is None, problem
    assert finish_cutoff_problem(where, course, 12 * 3600.0 + 1) is None
    assert finish_cutoff_problem(where, course, 11 * 3600.0).startswith(where + ": the finish's")
    assert cutoff_limit_problem(where, course, 11 * 3600.0) is None
    assert "is at the limit" in cutoff_limit_problem(where, course, 12 * 3600.0)


def _town_and_back(tmp_path, after_m: float, body: str):
    """Out 20 km due north at lon 6.0, back on a parallel line 30 m east (lon 6.00038) to
    the town at km 3 of the way out, then on ``after_m`` metres more: the town (lat 45.027)
    is passed at km 3 (0 m off) and at km 37 (30 m off)."""
    from coursekit.gpx import write_gpx

    m = 1 / 111_130.0  # degrees of latitude per metre, about
    out = 45.0 + np.arange(0, 20_000.1, 50.0) * m
    back = 45.0 + np.arange(20_000.0, 3_000.0 - after_m - 0.1, -50.0) * m
    la = np.concatenate([out, back])
    lo = np.concatenate([np.full(len(out), 6.0), np.full(len(back), 6.00038)])
    write_gpx(tmp_path / "t.gpx", la, lo, np.full(len(la), 1000.0))
    head = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "12h"\n'
    (tmp_path / "c.toml").write_text(head + body)
    return tmp_path / "c.toml"


@pytest.mark.parametrize("after_m", [0.0, 600.0])
def test_a_named_finish_passed_early_is_finished_in_on_its_last_passage(tmp_path, after_m):
    """h104 finding 1: the finish "Arrivée Town", crossed at km 3 on the way out and
    finished in at km 37 on a return 30 m off, was placed at km 3 and the GPX cut there: a
    3 km course (only an info line said 34 km were left out). The finish is its last
    passage; the GPX running on 600 m past it is cut there."""
    town = '[[checkpoints]]\nname = "Arrivée Town"\nlat = 45.027\nlon = 6.0\n'
    course = load_course(_town_and_back(tmp_path, after_m, town))
    legs = course_legs(course)
    assert legs.names == ("Start", "Arrivée Town"), legs.names
    assert abs(legs.distance[-1] - 37_000) < 60, legs.distance
    cut = course.info.get("gpx_cut")
    if after_m:
        assert cut and abs(cut["after_finish_m"] - after_m) < 60, cut
    else:
        assert cut is None


def test_a_name_alone_cuts_at_most_named_cut_max_m(tmp_path):
    """h104 finding 2: place names beginning with a start or finish word ("Salida",
    Colorado; "Meta") cut 13 km of a 48 km line. A name alone cuts at most
    NAMED_CUT_MAX_M at each end; the keys start/finish = true cut any length."""
    from coursekit.checkpoints import NAMED_CUT_MAX_M

    assert NAMED_CUT_MAX_M == 1000.0
    body = _cp_at("Salida", 1.5) + _cp_at("Meta", 8.0)
    course = load_course(_line_course(tmp_path, body))
    assert "gpx_cut" not in course.info
    assert course_legs(course).names == ("Start", "Salida", "Meta", "Finish")
    body = _cp_at("Salida", 0.6) + _cp_at("Meta", 9.3)  # within 1 km of each end: cut
    cut = load_course(_line_course(tmp_path, body)).info["gpx_cut"]
    assert (cut["start"], cut["finish"]) == ("Salida", "Meta"), cut
    body = _cp_at("Salida", 1.5) + "start = true\n" + _cp_at("Meta", 8.0) + "finish = true\n"
    cut = load_course(_line_course(tmp_path, body)).info["gpx_cut"]
    assert abs(cut["before_start_m"] - 1500) < 30 and abs(cut["after_finish_m"] - 2000) < 60


def test_a_checkpoint_not_placed_is_measured_on_the_whole_gpx(tmp_path):
    """h104 finding 4: a checkpoint beyond the tolerance lost its order, the named finish
    went to its early passage, the GPX was cut to 3 km and the checkpoint's error measured
    against the stub ("17050 m from the track ... swapped lat/lon?" for one 55 m off). No
    cut when a checkpoint is not placed: the error is the whole GPX's."""
    body = (
        '[[checkpoints]]\nname = "Turn"\nlat = 45.18046\nlon = 6.0\ntolerance = 20\n'
        '[[checkpoints]]\nname = "Arrivée Town"\nlat = 45.027\nlon = 6.0\n'
    )
    with pytest.raises(Exception, match=r"'Turn' is 5\d m from the track \(nearest at km 20"):
        course_legs(load_course(_town_and_back(tmp_path, 600.0, body)))


def test_a_named_start_passed_again_later_starts_the_course_on_its_first_passage(tmp_path):
    """h106: the mirror of h104 finding 1 at the start. The GPX leaves a car park 600 m
    before the town on a line 30 m east, runs 17 km north and comes back through the town
    (0 m off) to the finish 3 km south of it. named_ends cut the GPX at the start's first
    passage (km 0.6) but the legs then put "Départ Town" on the closer passage at km 34 of
    the cut course: an added "Start" row at the cut, the start a row of its own 3 km from
    the finish. The start is its first passage, as the finish is its last."""
    from coursekit.gpx import write_gpx

    m = 1 / 111_130.0  # degrees of latitude per metre, about
    up = 45.0 + np.arange(-600.0, 17_000.1, 50.0) * m
    down = 45.0 + np.arange(17_000.0, -3_000.1, -50.0) * m
    la = np.concatenate([up, down])
    lo = np.concatenate([np.full(len(up), 6.00038), np.full(len(down), 6.0)])
    write_gpx(tmp_path / "t.gpx", la, lo, np.full(len(la), 1000.0))
    head = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "12h"\n'
    body = '[[checkpoints]]\nname = "Départ Town"\nlat = 45.0\nlon = 6.0\n'
    body += f'[[checkpoints]]\nname = "Arrivée"\nlat = {45.0 - 3000 * m:.7f}\nlon = 6.0\n'
    (tmp_path / "c.toml").write_text(head + body)
    course = load_course(tmp_path / "c.toml")
    legs = course_legs(course)
    assert legs.names == ("Départ Town", "Arrivée"), legs.names
    assert abs(course.info["gpx_cut"]["before_start_m"] - 600) < 60, course.info["gpx_cut"]
    assert abs(legs.distance[-1] - 37_000) < 120, legs.distance


def test_km_checkpoints_count_from_a_named_start_that_cuts_the_gpx(tmp_path):
    """h106: "Checkpoints placed by km count from the start so found" (course-file.md).
    named_ends located the checkpoints by km from the GPX's start, so "CP" at km 0.5 (of
    the course) came before "Départ", 800 m into the GPX: an order error, nothing cut, and
    the legs refused the file ("'CP' (km 0.5) comes before 'Départ' (km 0.80)")."""
    body = _cp_at("Départ", 0.8) + '[[checkpoints]]\nname = "CP"\nkm = 0.5\n'
    course = load_course(_line_course(tmp_path, body))
    legs = course_legs(course)
    assert legs.names == ("Départ", "CP", "Finish"), legs.names
    assert abs(course.info["gpx_cut"]["before_start_m"] - 800) < 20, course.info["gpx_cut"]
    assert legs.along[1] == pytest.approx(500, abs=1)


def test_finish_km_note_gives_how_much_more_the_gpx_measures(tmp_path):
    """h106: the finish-km note said "the GPX measures 10.00 km (40.0 % more)" for a finish
    at km 6: 40 % is how much of the GPX the km falls short; the GPX measures 67 % more
    than 6 km. The percentage is the one the sentence states, and the warning starts where
    it passes 10 % (KM_BEYOND_MAX)."""
    from coursekit.checkpoints import KM_BEYOND_MAX

    for km, level in ((6, "warning"), (9.7, "info")):
        path = _line_course(tmp_path, f'[[checkpoints]]\nname="Finish"\nkm={km}\n')
        course = load_course(path)
        end_m = float(course_legs(course).along[-1])
        more = 100.0 * (end_m - km * 1000.0) / (km * 1000.0)
        found = [x for x in check_course(course) if x.code == "finish-km"]
        assert len(found) == 1 and f"({more:.1f} % more)" in found[0].message, found
        assert found[0].level == level and (more > 100.0 * (KM_BEYOND_MAX - 1)) == (
            level == "warning"
        )


def test_a_finish_at_km_0_gets_no_infinite_percentage(tmp_path):
    """h106 finding E: a finish at ``km = 0`` (a typo) was "(inf % more)" than the GPX."""
    path = _line_course(tmp_path, '[[checkpoints]]\nname="Finish"\nkm=0\n')
    found = [x for x in check_course(load_course(path)) if x.code == "finish-km"]
    assert len(found) == 1 and found[0].level == "warning", found
    assert "inf" not in found[0].message and "is at km 0 in the course file" in found[0].message


def test_a_first_checkpoint_by_km_named_like_a_start_far_out_is_not_moved_to_km_0(tmp_path):
    """h106: "Salida del bosque" (the way out of the wood) at km 8, listed first, was
    moved to km 0 as the start row without a word (its name starts with a start word).
    A name alone makes a first checkpoint by km the start within NAMED_CUT_MAX_M of km 0,
    as a name alone cuts at most that much of the GPX; ``start = true`` still does at any
    km."""
    body = '[[checkpoints]]\nname = "Salida del bosque"\nkm = 8\n'
    legs = course_legs(load_course(_line_course(tmp_path, body)))
    assert legs.names == ("Start", "Salida del bosque", "Finish"), legs.names
    assert legs.along[1] == pytest.approx(8000, abs=1)
    legs = course_legs(load_course(_line_course(tmp_path, body + "start = true\n")))
    assert legs.names == ("Salida del bosque", "Finish"), legs.names
    body = '[[checkpoints]]\nname = "Départ"\nkm = 0.3\n'
    assert course_legs(load_course(_line_course(tmp_path, body))).names == ("Départ", "Finish")


def _xy_course(tmp_path, pts, cps, head=""):
    """A course file on a GPX through the (x, y) points [m] of ``pts`` (every 10 m), the
    checkpoints ``(name, x, y)`` by lat/lon."""
    from coursekit.gpx import write_gpx

    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
        n = max(int(np.hypot(x1 - x0, y1 - y0) / 10.0), 1)
        t = np.arange(n) / n
        xs.append(x0 + t * (x1 - x0))
        ys.append(y0 + t * (y1 - y0))
    la, lo = PROJ.inverse(np.concatenate([*xs, [pts[-1][0]]]), np.concatenate([*ys, [pts[-1][1]]]))
    write_gpx(tmp_path / "t.gpx", la, lo, np.full(la.size, 1000.0))
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "6h"\n' + head
    for name, x, y in cps:
        a, o = PROJ.inverse(np.array([float(x)]), np.array([float(y)]))
        body += f'[[checkpoints]]\nname = "{name}"\nlat = {a[0]:.7f}\nlon = {o[0]:.7f}\n'
    (tmp_path / "c.toml").write_text(body)
    return tmp_path / "c.toml"


def test_the_street_to_the_car_park_after_the_arch_is_not_the_finish(tmp_path):
    """h106 finding A: after the arch at (0, 5000) the GPX goes 300 m east, back west along
    a street 100 m south of it and on 100 m to the car park. The finish went on its last
    passage within the tolerance, the street 100 m off at km 5.7: the course 700 m too long,
    its finish row 100 m from the arch. It is the nearest passage of its last visit."""
    pts = [(0, 0), (0, 5000), (300, 5000), (300, 4900), (-100, 4900)]
    course = load_course(_xy_course(tmp_path, pts, [("Mid", 0, 2000), ("Arrivée", 0, 5000)]))
    legs = course_legs(course)
    assert legs.names == ("Start", "Mid", "Arrivée"), legs.names
    assert abs(legs.distance[-1] - 5000) < 15, legs.distance
    assert abs(course.info["gpx_cut"]["after_finish_m"] - 800) < 15, course.info["gpx_cut"]


def test_a_street_near_the_start_before_the_arch_is_not_the_start(tmp_path):
    """The mirror at the start (h106 finding A, E2): from the car park the GPX runs up a
    street 150 m east of the arch, then west to it. The start went on that street's
    passage (its first within the tolerance): now on the arch, 850 m into the GPX."""
    pts = [(150, -400), (150, 150), (0, 150), (0, 0), (0, 5000)]
    course = load_course(_xy_course(tmp_path, pts, [("Départ", 0, 0), ("Mid", 0, 2000)]))
    legs = course_legs(course)
    assert legs.names == ("Départ", "Mid", "Finish"), legs.names
    assert abs(course.info["gpx_cut"]["before_start_m"] - 850) < 15, course.info["gpx_cut"]
    assert abs(legs.distance[-1] - 5000) < 15, legs.distance


def test_a_finish_loop_past_the_arch_ends_on_the_arch_not_before_the_loop(tmp_path):
    """The rule's other side: the course passes the arch (0 m off), runs a 700 m loop in the
    village and finishes 30 m from the given point. Both passages are one visit; the last
    within END_PASSAGE_M of the nearest is the finish: the GPX's end, nothing cut."""
    pts = [(0, 0), (0, 5000), (0, 5300), (100, 5300), (100, 5000), (30, 5000)]
    course = load_course(_xy_course(tmp_path, pts, [("Mid", 0, 2000), ("Arrivée", 0, 5000)]))
    legs = course_legs(course)
    assert course.info.get("gpx_cut") is None, course.info.get("gpx_cut")
    assert abs(legs.distance[-1] - 5770) < 15, legs.distance


def test_loop_open_after_a_finish_cut_says_to_list_the_place_first_too(tmp_path):
    """h106 finding B: a loop whose one checkpoint "Start/Finish" is listed last only cuts
    the GPX's end; the GPX begins 300 m before the arch, and `loop-open` said "the track
    ends 300 m from where it starts" without the fix (list the place first as well)."""
    pts = [(0, -300), (0, 0), (0, 3000), (50, 3000), (50, 0), (0, 0), (0, -300)]
    path = _xy_course(tmp_path, pts, [("Start/Finish", 0, 0)], head="loop = true\n")
    found = [x for x in check_course(load_course(path)) if x.code == "loop-open"]
    assert len(found) == 1 and "ends 300 m from where it starts" in found[0].message, found
    assert "list 'Start/Finish' first as well" in found[0].message, found[0].message


def _codes(path, code):
    return [x for x in check_course(load_course(path)) if x.code == code]


@pytest.mark.parametrize("key", ["", "finish = false\n"])
def test_a_finish_named_so_too_far_from_the_end_to_cut_is_warned_about(tmp_path, key):
    """h105 finding B: "Ziel" listed last 1.9 km before the GPX's end (too far for a name
    alone to cut, NAMED_CUT_MAX_M) was a row followed by an added "Finish", silently. Now a
    warning says so and how to choose; silent with finish = false."""
    lat = 45.0 + 0.09 * 8.1 / 10.0  # km 8.1 of the 10 km line
    body = f'[[checkpoints]]\nname="Mid"\nkm=4\n[[checkpoints]]\nname="Ziel"\nlat={lat}\nlon=6.0\n'
    path = _line_course(tmp_path, body + key)
    found = _codes(path, "named-end-far")
    if key:
        assert not found, found
        return
    assert len(found) == 1 and found[0].level == "warning", found
    assert "'Ziel' (the last checkpoint) is named as the finish but lies 1.9 km" in found[0].message
    assert "finish = true" in found[0].message and "finish = false" in found[0].message
    course = load_course(path)
    assert "gpx_cut" not in course.info and course_legs(course).names[-2:] == ("Ziel", "Finish")


def test_a_start_placed_by_km_away_from_0_is_noted(tmp_path):
    """h105 finding D: `start = true` on a checkpoint at km 5 made it the start row at km 0
    with no word (the finish at a km short of the end has `finish-km`). A warning beyond
    NAMED_CUT_MAX_M, an info within it, nothing at km 0."""
    for body, level in (
        ('[[checkpoints]]\nname="Gate"\nkm=5\nstart=true\n', "warning"),
        ('[[checkpoints]]\nname="Start"\nkm=0.3\n', "info"),
        ('[[checkpoints]]\nname="Start"\nkm=0\n', None),
    ):
        found = _codes(_line_course(tmp_path, body), "start-km")
        if level is None:
            assert not found, found
            continue
        assert len(found) == 1 and found[0].level == level, (body, found)
        assert "the start row is km 0" in found[0].message, found


def test_the_cut_note_says_marked_when_the_key_cuts(tmp_path):
    """h105 finding E: a cut made by `start = true` on "Gate" said "(the first checkpoint,
    named as the start)"; it is marked so, not named."""
    lat = 45.0 + 0.09 * 0.5 / 10.0
    body = f'[[checkpoints]]\nname="Gate"\nlat={lat}\nlon=6.0\nstart=true\n'
    found = _codes(_line_course(tmp_path, body), "gpx-cut")
    assert len(found) == 1 and "(the first checkpoint, marked start = true)" in found[0].message
    body = f'[[checkpoints]]\nname="Départ"\nlat={lat}\nlon=6.0\n'
    found = _codes(_line_course(tmp_path, body), "gpx-cut")
    assert len(found) == 1 and "(the first checkpoint, named as the start)" in found[0].message


def test_check_repeats_what_profile_says_of_the_tracks_shape(tmp_path):
    """h105 finding F: two track segments 2.2 km apart (joined by a straight line) made
    `profile` warn of a jump and the joined segments, `check` of nothing, though every leg
    across the gap is measured on that line. `check` repeats those (`gpx-data`), not the
    recording's time gaps."""
    pts = lambda lat0: "".join(  # noqa: E731
        f'<trkpt lat="{lat0 + k * 0.0005:.5f}" lon="6.0"><ele>1000</ele>'
        f"<time>2024-06-01T08:{k:02d}:00Z</time></trkpt>"
        for k in range(20)
    )
    (tmp_path / "t.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk>'
        f"<trkseg>{pts(45.0)}</trkseg><trkseg>{pts(45.03)}</trkseg></trk></gpx>"
    )
    (tmp_path / "c.toml").write_text(
        'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    )
    found = _codes(tmp_path / "c.toml", "gpx-data")
    assert [x.level for x in found] == ["warning", "warning"], found
    assert "jump(s) over" in found[0].message and "segments joined" in found[1].message
    assert not any("time" in x.message for x in found), found


def test_a_start_or_finish_name_mid_course_is_warned_about(tmp_path):
    """h109 item 1: "Finish" at km 4 and "Depart" at km 6 on a 10 km GPX were silent: `legs`
    printed Start, Finish, Depart, Finish (two rows "Finish") with 0 warnings. A name that
    says start or finish (is_start_name / is_finish_name) on a checkpoint that is not the
    course's start or finish is a warning naming it and its km; the placement is kept (a
    village may be called "Depart"), and ``finish = false`` / ``start = false`` silence it."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    body = '[[checkpoints]]\nname="Finish"\nkm=4\n[[checkpoints]]\nname="Depart"\nkm=6\n'
    path = _line_course(tmp_path, body)
    assert course_legs(load_course(path)).names == ("Start", "Finish", "Depart", "Finish")
    found = _codes(path, "end-name-mid")
    assert [x.level for x in found] == ["warning", "warning"], found
    assert found[0].message.startswith(
        "checkpoints[0] 'Finish' at km 4.0 is named as the finish but is not the course's "
        "finish (listed 1 of 2; the finish is the last row)"
    ), found[0].message
    assert found[1].message.startswith(
        "checkpoints[1] 'Depart' at km 6.0 is named as the start but is not the course's "
        "start (listed 2 of 2; the start is the first row)"
    ), found[1].message
    assert "typo" in found[0].message and "finish = false" in found[0].message
    assert "start = false" in found[1].message
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert "warning: [end-name-mid] checkpoints[0] 'Finish' at km 4.0" in res.output, res.output
    # every plan repeats it
    out = CliRunner().invoke(cli, ["cutoffs", str(path)]).output
    assert "'Finish' at km 4.0 is named as the finish but is not" in out, out
    # in the middle of the list, an accented name
    body = (
        '[[checkpoints]]\nname="Col"\nkm=2\n[[checkpoints]]\nname="Arrivée Refuge"\nkm=5\n'
        '[[checkpoints]]\nname="Lac"\nkm=8\n'
    )
    found = _codes(_line_course(tmp_path, body), "end-name-mid")
    assert len(found) == 1 and "'Arrivée Refuge' at km 5.0 is named as the finish" in (
        found[0].message
    ), found
    # the key says it is a place of that name: silent
    silent = body.replace("km=5\n", "km=5\nfinish = false\n")
    assert not _codes(_line_course(tmp_path, silent), "end-name-mid")
    # the course's own start and finish, a loop's one place listed first and last,
    # "Start/Finish", a lone "Finish": nothing to say
    for body in (
        '[[checkpoints]]\nname="Départ"\nkm=0\n[[checkpoints]]\nname="Arrivée"\nkm=10\n',
        '[[checkpoints]]\nname="Depart"\nkm=0\n[[checkpoints]]\nname="Col"\nkm=5\n'
        '[[checkpoints]]\nname="Depart"\nkm=10\n',
        '[[checkpoints]]\nname="Start/Finish"\nkm=0\n[[checkpoints]]\nname="Col"\nkm=5\n'
        '[[checkpoints]]\nname="Start/Finish"\nkm=10\n',
        '[[checkpoints]]\nname="Finish"\nkm=10\n',
    ):
        assert not _codes(_line_course(tmp_path, body), "end-name-mid"), body


def test_duplicate_name_counts_the_added_start_and_finish_rows(tmp_path):
    """h109 item 1: a checkpoint "Finish" at km 4 and the "Finish" row coursekit adds at the
    track's end made two rows "Finish" in every table, but `duplicate-name` counted the
    course file's names only. The added rows' names count too, in check and in the plans."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    body = '[[checkpoints]]\nname="Finish"\nkm=4\n[[checkpoints]]\nname="Col"\nkm=6\n'
    path = _line_course(tmp_path, body)
    end_km = float(course_legs(load_course(path)).along[-1]) / 1000
    found = _codes(path, "duplicate-name")
    assert len(found) == 1, found
    assert found[0].message.startswith(
        "checkpoint name 'Finish' is used 2 times: checkpoints[0] (km 4.0) and the finish row "
        f"added at the track's end (km {end_km:.1f})"
    ), found[0].message
    out = CliRunner().invoke(cli, ["cutoffs", str(path)]).output
    assert "checkpoint name 'Finish' is used 2 times: checkpoints[0] (km 4.0)" in out, out
    # the added start row likewise ("start" without case)
    body = '[[checkpoints]]\nname="Col"\nkm=4\n[[checkpoints]]\nname="START"\nkm=6\n'
    found = _codes(_line_course(tmp_path, body), "duplicate-name")
    assert len(found) == 1 and found[0].message.startswith(
        "checkpoint name 'START' is used 2 times: checkpoints[1] (km 6.0) and the start row "
        "added at the track's start (km 0.0)"
    ), found
    # a "Finish" that is the finish row: no added row, nothing to say
    body = '[[checkpoints]]\nname="Col"\nkm=4\n[[checkpoints]]\nname="Finish"\nkm=10\n'
    assert not _codes(_line_course(tmp_path, body), "duplicate-name")


def test_the_finish_km_note_says_how_far_the_finish_is_moved(tmp_path):
    """h109 item 3: "Arrival Refuge" (a finish name) listed last at km 7 on a 10 km GPX
    becomes the finish row at the GPX's end; the note said "the finish row is the GPX's end"
    without the consequence: the checkpoint moved 3 km, 30 % of the course. At km 0 (a typo)
    it said nothing of the km either (no percentage, rightly); it now says the km leaves no
    course and the row moves the whole course on."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    body = '[[checkpoints]]\nname="Col"\nkm=4\n[[checkpoints]]\nname="Arrival Refuge"\nkm=7\n'
    path = _line_course(tmp_path, body)
    course = load_course(path)
    legs = course_legs(course)
    assert legs.names == ("Start", "Col", "Arrival Refuge")
    end_m = float(legs.along[-1])
    moved, share = (end_m - 7000.0) / 1000.0, 100.0 * (end_m - 7000.0) / end_m
    found = _codes(path, "finish-km")
    assert len(found) == 1 and found[0].level == "warning", found
    assert (
        f"the finish row is moved {moved:.2f} km ({share:.0f} % of the course) on, to the "
        f"GPX's end: km {end_m / 1000:.2f} on the tables"
    ) in found[0].message, found[0].message
    out = CliRunner().invoke(cli, ["cutoffs", str(path)]).output
    assert f"the finish row is moved {moved:.2f} km ({share:.0f} % of the course)" in out, out
    # km 0: no percentage of nothing, the whole course
    found = _codes(_line_course(tmp_path, '[[checkpoints]]\nname="Finish"\nkm=0\n'), "finish-km")
    assert len(found) == 1 and found[0].level == "warning", found
    msg = found[0].message
    assert "inf" not in msg and "%" not in msg, msg
    assert (
        "is at km 0 in the course file, which leaves no course: the finish row is moved "
        f"{end_m / 1000:.2f} km (the whole course) on, to the GPX's end"
    ) in msg, msg


def _route_course(tmp_path, waypoint: str, wpt: str = ""):
    """A course on a GPX that is a route of named points ("#001" ... "#010", every 1 km
    north; "#005" has no name) with one checkpoint placed by ``waypoint``."""
    pts = "".join(
        f'<rtept lat="{45.0 + k / 111.13:.6f}" lon="6.0">'
        + (f"<name>#{k:03d}</name>" if k != 5 else "")
        + "</rtept>\n"
        for k in range(11)
    )
    (tmp_path / "r.gpx").write_text(
        '<?xml version="1.0"?>\n<gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1">{wpt}<rte>\n{pts}</rte></gpx>\n'
    )
    body = 'name = "R"\ngpx = "r.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "3h"\n'
    body += f'[[checkpoints]]\nname = "CP"\nwaypoint = "{waypoint}"\n'
    (tmp_path / "c.toml").write_text(body)
    return tmp_path / "c.toml"


def test_a_checkpoint_by_waypoint_finds_a_named_route_point(tmp_path):
    """h109 item 2: ``waypoint = "#007"`` on a GPX that is a route of named points (no <wpt>)
    said "no waypoint named '#007' (the GPX has no waypoints)". Named route points resolve
    like waypoints (they are on the course: the route is the track); a <wpt> of the name
    wins; an unknown name lists the names of both kinds."""
    course = load_course(_route_course(tmp_path, "#007"))
    legs = course_legs(course)
    assert legs.names == ("Start", "CP", "Finish")
    assert legs.distance[1] == pytest.approx(7000, abs=15), legs.distance
    assert not [x for x in check_course(course) if x.level == "error"]
    # case and spacing ignored, as for waypoints
    legs = course_legs(load_course(_route_course(tmp_path, "#007 ".upper())))
    assert legs.distance[1] == pytest.approx(7000, abs=15)
    # a <wpt> of the same name is the file's waypoint: it wins
    wpt = f'<wpt lat="{45.0 + 2 / 111.13:.6f}" lon="6.0"><name>#007</name></wpt>'
    legs = course_legs(load_course(_route_course(tmp_path, "#007", wpt)))
    assert legs.distance[1] == pytest.approx(2000, abs=15), legs.distance
    # unknown: both kinds of names are offered
    with pytest.raises(CourseFileError) as exc:
        course_legs(load_course(_route_course(tmp_path, "Lac")))
    msg = str(exc.value)
    assert "no waypoint or named route point called 'Lac'" in msg, msg
    assert "named route points: '#000', '#001'" in msg, msg
    with pytest.raises(CourseFileError) as exc:
        course_legs(load_course(_route_course(tmp_path, "Lac", wpt)))
    assert "(waypoints: '#007'; named route points: '#000'" in str(exc.value), exc.value


@pytest.mark.parametrize("north, noted", [(80, False), (400, True)])
def test_passages_of_one_visit_are_not_noted(tmp_path, north, noted):
    """Outside review (h120): UTMB's Saint-Gervais, a hairpin through the village, was
    "passed 2 times, at km 21.5 and 21.6" in `check`'s info. Passages less than
    ONE_VISIT_M apart along the track are one visit: no note; a loop of 860 m is two."""
    from click.testing import CliRunner

    from coursekit.checkpoints import ONE_VISIT_M
    from coursekit.cli import cli

    # metres east (x) and north (y) of the checkpoint: over it, a hairpin ``north`` m up
    # and back 20 m west of it, then away south; the passages are 2 x north + 60 m apart
    corners = [(-1000, 0), (20, 0), (20, north), (-20, north), (-20, 0), (-20, -1000)]
    assert (2 * north + 60 < ONE_VISIT_M) is not noted
    _course_of_corners(tmp_path, corners)
    res = CliRunner().invoke(cli, ["check", str(tmp_path / "c.toml")])
    assert res.exit_code == 0, res.output
    assert ("'P' is passed 2 times" in res.output) is noted, res.output
    legs = CliRunner().invoke(cli, ["legs", str(tmp_path / "c.toml"), "--format", "json"])
    p = json.loads(legs.output)["checkpoints"][1]
    assert p["name"] == "P" and p["offset_m"] < 1.0, p  # placement unchanged: over it


def test_spaces_around_a_checkpoint_name_are_dropped(tmp_path):
    """h134: a name typed " Mid " was printed, matched and written to GPX with its spaces
    (GPX readers strip them, so an exported waypoint no longer matched its row)."""
    pts = [(0, 0), (0, 5000)]
    course = load_course(_xy_course(tmp_path, pts, [(" Mid ", 0, 2000), ("End\t", 0, 5000)]))
    assert [c.name for c in course.checkpoints] == ["Mid", "End"]
    assert course_legs(course).names == ("Start", "Mid", "End")
