"""Properties of checkpoint placement on synthetic courses whose truth is known.

Tracks are built in a local plane [m] (straight line, loop, out-and-back on one path,
lollipop, figure-eight through one crossroads twice, a hairpin whose way out passes
50-150 m from the way back) and converted to lat/lon. A checkpoint is put at the track's
point at a known distance, moved by a few metres of noise; placed by ``lat`` + ``lon`` or
by GPX waypoint in course order, it must come out on that passage (the foot of the
perpendicular from the moved point), whatever other passages of the place the course makes
before or after it, as long as the order of the list says which one is meant
(:func:`coursekit.checkpoints.locate_points`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from synthetic import densify

from coursekit.checkpoints import SAME_PLACE_M, legs_from_located, locate, locate_points
from coursekit.course import CheckpointSpec
from coursekit.errors import CourseFileError
from coursekit.geodesy import LocalProjection
from coursekit.gpx import Track, Waypoint
from coursekit.profile import along_course_distance, make_profile

PROJ = LocalProjection(45.0, 6.0)
TOL = 250.0  # the default tolerance [m]
SETTINGS = settings(max_examples=40, deadline=None)


class Course:
    """A polyline in metres densified every ``step`` m, its profile and its geometry."""

    def __init__(self, x, y, *, waypoints=(), step=10.0, hills=0.0):
        self.x, self.y = densify(x, y, step)
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(self.x), np.diff(self.y)))])
        n = self.x.size
        ele = np.full(n, np.nan)
        if hills:  # rollers of ``hills`` m amplitude, 700 m wavelength, on a long climb
            ele = 1000.0 + hills * np.sin(2 * np.pi * cum / 700.0) + 0.05 * cum
        lat, lon = PROJ.inverse(self.x, self.y)
        self.track = Track(
            lat,
            lon,
            ele,
            np.full(n, np.nan),
            np.zeros(n, np.int64),
            waypoints=tuple(waypoints),
            path="synthetic.gpx",
        )
        self.profile = make_profile(self.track)
        self.dist = np.asarray(self.profile.distance, float)
        self.total = float(self.dist[-1])

    def xy_at(self, s):
        return float(np.interp(s, self.dist, self.x)), float(np.interp(s, self.dist, self.y))

    def distance_to(self, px, py, ds=1.0):
        """(s, d): the track sampled every ``ds`` m and its distance to (px, py) [m]."""
        s = np.arange(0.0, self.total + ds, ds)
        s[-1] = min(s[-1], self.total)
        xx = np.interp(s, self.dist, self.x)
        yy = np.interp(s, self.dist, self.y)
        return s, np.hypot(xx - px, yy - py)


def cp(name, px=None, py=None, *, km=None, waypoint=None, tolerance=None):
    lat = lon = None
    if px is not None:
        la, lo = PROJ.inverse(px, py)
        lat, lon = float(la), float(lo)
    return CheckpointSpec(name, km, lat, lon, waypoint, (), None, 0.0, False, tolerance_m=tolerance)


# ---------------------------------------------------------------- shapes


@st.composite
def shapes(draw):
    """(kind, x, y) of one synthetic course in metres."""
    kind = draw(st.sampled_from(["line", "loop", "out_back", "lollipop", "eight", "hairpin"]))
    if kind == "line":
        length = draw(st.floats(1500, 8000))
        ang = draw(st.floats(0, 2 * math.pi))
        x, y = [0, length * math.cos(ang)], [0, length * math.sin(ang)]
    elif kind == "loop":
        a = draw(st.floats(600, 2500))
        b = draw(st.floats(600, 2500))
        x, y = [0, a, a, 0, 0], [0, 0, b, b, 0]
    elif kind == "out_back":
        length = draw(st.floats(1500, 6000))
        bend = draw(st.floats(-800, 800))
        x, y = [0, length / 2, length, length / 2, 0], [0, bend, 0, bend, 0]
    elif kind == "lollipop":
        stem = draw(st.floats(800, 3000))
        a = draw(st.floats(600, 2000))
        x = [0, stem, stem + a, stem + a, stem, stem, 0]
        y = [0, 0, 0, a, a, 0, 0]
    elif kind == "eight":
        a = draw(st.floats(500, 2000))
        # out on one diagonal, through the crossroads (0, 0) on the other, back on the first
        x, y = [0, a, a, -a, -a, 0], [0, a, -a, a, -a, 0]
    else:  # a hairpin: the way back runs ``gap`` m from the way out
        length = draw(st.floats(1500, 6000))
        gap = draw(st.floats(50, 150))
        x, y = [0, length, length, 0], [0, 0, gap, gap]
    return kind, np.asarray(x, float), np.asarray(y, float)


@st.composite
def courses_with_checkpoints(draw, max_noise=20.0):
    """A course, and checkpoints at known distances moved by noise, in course order.

    Returns ``(course, points, truth)``: ``points`` the (x, y) of each checkpoint, ``truth``
    its distance along the track: the foot of the perpendicular on the intended passage.
    Checkpoints whose intended passage the order of the list cannot tell from an earlier
    one (a passage at or after the previous checkpoint no more than 25 m + a margin farther
    from the point than the intended one, as the placement's tie band says), or that another
    passage is clearly closer to (by more than 25 m - a margin), are left out.
    """
    kind, x, y = draw(shapes())
    # points every 10 m, or the shape's corners alone (a planner's long straight segments)
    c = Course(x, y, step=draw(st.sampled_from([10.0, 1e9])))
    n = draw(st.integers(1, 7))
    fr = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    points, truth = [], []
    prev = -math.inf  # distance of the previous checkpoint kept
    for f in fr:
        s0 = f * c.total
        if s0 - prev < 150.0:  # checkpoints of their own, not entry/exit pairs
            continue
        r = draw(st.floats(0.0, max_noise))
        th = draw(st.floats(0.0, 2 * math.pi))
        tx, ty = c.xy_at(s0)
        px, py = tx + r * math.cos(th), ty + r * math.sin(th)
        s, d = c.distance_to(px, py)
        # the intended passage: the run of d <= r + 30 around s0, at its lowest point
        band = d <= r + 30.0
        k0 = int(np.argmin(np.abs(s - s0)))
        lo = k0
        while lo > 0 and band[lo - 1]:
            lo -= 1
        hi = k0
        while hi < s.size - 1 and band[hi + 1]:
            hi += 1
        k = lo + int(np.argmin(d[lo : hi + 1]))
        foot, nearest = float(s[k]), float(d[lo : hi + 1].min())
        # one pass through the place, not a turnaround round it: two passages of one place
        # a few metres apart, which the order cannot tell apart
        close = d[lo : hi + 1] <= nearest + 30.0
        if np.abs(s[lo : hi + 1][close] - foot).max() > nearest + 32.0:
            continue
        # an earlier passage after the previous checkpoint (-25 m: entry/exit) as good
        # (within 25 m of the nearest, + 5 m margin) makes the list ambiguous
        earlier = (s >= prev - SAME_PLACE_M - 5.0) & (s < s[lo])
        if np.any(d[earlier] <= nearest + SAME_PLACE_M + 5.0):
            continue
        # a passage clearly closer (by more than 25 m, - 5 m margin) wins wherever it is
        if nearest > float(d.min()) + SAME_PLACE_M - 5.0:
            continue
        points.append((px, py))
        truth.append(foot)
        prev = foot
    # the last checkpoint: a passage at the track's end as good is taken as the finish
    # (``_final_state``), documented; leave such a place out
    if truth:
        s, d = c.distance_to(*points[-1])
        at_end = (s >= c.total - 100.0) & (d <= SAME_PLACE_M) & (s > truth[-1] + 150.0)
        if np.any(at_end):
            points.pop()
            truth.pop()
    return kind, c, points, np.asarray(truth)


# ---------------------------------------------------------------- by coordinates


@SETTINGS
@given(courses_with_checkpoints())
def test_coordinates_come_out_on_their_passage_in_course_order(case):
    kind, c, points, truth = case
    specs = [cp(f"CP{i}", px, py) for i, (px, py) in enumerate(points)]
    got = locate(c.profile, specs)
    np.testing.assert_allclose(got, truth, atol=2.0, err_msg=kind)
    assert np.all(np.diff(got) >= 0)


@SETTINGS
@given(courses_with_checkpoints(), st.data())
def test_km_and_coordinates_mixed_keep_course_order(case, data):
    """A checkpoint by km says which passage the checkpoints by coordinates after it are on."""
    kind, c, points, truth = case
    by_km = data.draw(st.lists(st.booleans(), min_size=len(points), max_size=len(points)))
    specs = [
        cp(f"CP{i}", km=truth[i] / 1000.0) if k else cp(f"CP{i}", px, py)
        for i, ((px, py), k) in enumerate(zip(points, by_km, strict=True))
    ]
    got = locate(c.profile, specs)
    np.testing.assert_allclose(got, truth, atol=2.0, err_msg=kind)


@SETTINGS
@given(courses_with_checkpoints())
def test_waypoints_are_placed_as_their_coordinates(case):
    kind, c, points, truth = case
    wpts = [
        Waypoint(f"W{i}", *(float(v) for v in PROJ.inverse(px, py)))
        for i, (px, py) in enumerate(points)
    ]
    c2 = Course(np.asarray(c.x), np.asarray(c.y), waypoints=wpts, step=1e9)
    specs = [cp(f"CP{i}", waypoint=f"W{i}") for i in range(len(points))]
    got = locate(c2.profile, specs)
    np.testing.assert_allclose(got, truth, atol=2.0, err_msg=kind)


@SETTINGS
@given(courses_with_checkpoints(max_noise=0.0))
def test_located_position_is_the_track_at_its_distance(case):
    kind, c, points, truth = case
    specs = [cp(f"CP{i}", px, py) for i, (px, py) in enumerate(points)]
    loc = locate_points(c.profile, specs)
    for i, (px, py) in enumerate(points):
        x, y = PROJ.forward(loc.lat[i], loc.lon[i])
        assert math.hypot(float(x) - px, float(y) - py) < 2.0, kind
        assert loc.offset[i] < 2.0
        # every passage reported is one the course makes there, the placed one among them
        assert any(abs(q - loc.distance[i]) < 1.0 for q in loc.passages[i])


# ---------------------------------------------------------------- by km


@SETTINGS
@given(shapes(), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8))
def test_km_are_taken_as_given(shape, fr):
    kind, x, y = shape
    c = Course(x, y)
    kms = sorted(round(f * c.total / 1000.0, 3) for f in fr)
    specs = [cp(f"CP{i}", km=k) for i, k in enumerate(kms)]
    loc = locate_points(c.profile, specs)
    want = np.minimum(np.asarray(kms) * 1000.0, c.total)
    np.testing.assert_allclose(loc.distance, want, atol=1e-6)
    np.testing.assert_array_equal(loc.offset, 0.0)
    for i, s in enumerate(want):
        x, y = PROJ.forward(loc.lat[i], loc.lon[i])
        tx, ty = c.xy_at(s)
        assert math.hypot(float(x) - tx, float(y) - ty) < 0.5, kind


@SETTINGS
@given(st.floats(1500, 6000), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6))
def test_km_are_along_course_km_when_along_is_given(length, fr):
    c = Course([0, length, length, 0], [0, 0, 300, 300], hills=40.0)
    along = along_course_distance(c.profile)
    kms = sorted(round(f * along[-1] / 1000.0, 3) for f in fr)
    specs = [cp(f"CP{i}", km=k) for i, k in enumerate(kms)]
    loc = locate_points(c.profile, specs, along=along)
    back = np.interp(loc.distance, c.dist, along)
    np.testing.assert_allclose(back, np.minimum(np.asarray(kms) * 1000.0, along[-1]), atol=0.01)


@SETTINGS
@given(shapes(), st.floats(1.0, 1.099))
def test_km_a_little_beyond_the_end_is_the_finish_far_beyond_an_error(shape, over):
    kind, x, y = shape
    c = Course(x, y)
    km = c.total * over / 1000.0
    assert locate(c.profile, [cp("CP", km=km)])[0] == pytest.approx(c.total)
    with pytest.raises(CourseFileError, match="beyond the end"):
        locate(c.profile, [cp("CP", km=c.total * (over + 0.11) / 1000.0)])


@SETTINGS
@given(shapes(), st.floats(0.05, 0.45), st.floats(0.55, 0.95))
def test_km_in_decreasing_order_is_an_error(shape, a, b):
    kind, x, y = shape
    c = Course(x, y)
    specs = [cp("A", km=round(b * c.total / 1000, 2)), cp("B", km=round(a * c.total / 1000, 2))]
    with pytest.raises(CourseFileError, match="out of order"):
        locate(c.profile, specs)


# ---------------------------------------------------------------- legs


@SETTINGS
@given(courses_with_checkpoints(), st.floats(0.0, 60.0))
def test_legs_start_at_zero_end_at_the_length_and_sum_to_the_totals(case, hills):
    kind, c0, points, truth = case
    c = Course(c0.x, c0.y, step=1e9, hills=hills)  # same points, with altitude
    specs = [cp(f"CP{i}", px, py) for i, (px, py) in enumerate(points)]
    along = along_course_distance(c.profile)
    lg = legs_from_located(c.profile, specs, locate_points(c.profile, specs), along=along)
    assert lg.distance[0] == 0.0 and lg.distance[-1] == pytest.approx(c.total)
    assert np.all(np.diff(lg.distance) >= 0)
    assert len(lg) >= 2 and len(lg) - len(specs) in (0, 1, 2)
    assert lg.leg_distance.sum() == pytest.approx(c.profile.total_distance)
    assert lg.leg_along.sum() == pytest.approx(along[-1])
    if hills:
        assert lg.leg_gain.sum() == pytest.approx(c.profile.total_gain, abs=1e-6)
        assert lg.leg_loss.sum() == pytest.approx(c.profile.total_loss, abs=1e-6)
        assert np.all(lg.leg_gain >= 0) and np.all(lg.leg_loss >= 0)
    # the checkpoints keep their names and their order between the start and finish rows
    named = [n for n in lg.names if n.startswith("CP")]
    assert named == [sp.name for sp in specs]


# ---------------------------------------------------------------- off the track


@SETTINGS
@given(shapes(), st.floats(0.0, 1.0), st.floats(0.0, 2 * math.pi), st.floats(1.05, 20.0))
def test_a_point_too_far_is_refused_never_matched(shape, f, th, far):
    kind, x, y = shape
    c = Course(x, y)
    tx, ty = c.xy_at(f * c.total)
    px, py = tx + far * TOL * math.cos(th), ty + far * TOL * math.sin(th)
    assume(float(c.distance_to(px, py)[1].min()) > TOL * 1.01 + 2.0)
    specs = [cp("Near", *c.xy_at(0.0)), cp("Far", px, py), cp("Last", *c.xy_at(c.total))]
    with pytest.raises(CourseFileError, match=r"checkpoints\[1\] 'Far' is \d+ m from the track"):
        locate(c.profile, specs)
    loc = locate_points(c.profile, specs, errors="collect")
    assert math.isnan(loc.distance[1])
    assert [(i, code) for i, code, _ in loc.problems] == [(1, "off-track")]
    assert np.isfinite(loc.distance[[0, 2]]).all()


# ---------------------------------------------------------------- passages, pairs, named ends


@SETTINGS
@given(
    st.floats(1500, 6000),
    st.floats(0.0, 2 * math.pi),
    st.floats(0.0, 1.0),
    st.floats(-20.0, 20.0),
    st.sampled_from([10.0, 1e9]),
    st.floats(-50.0, 50.0),
)
def test_out_and_back_reports_both_passages_and_takes_each_in_turn(
    length, ang, f, lateral, step, apart
):
    x, y = [0, length * math.cos(ang), 0], [0, length * math.sin(ang), 0]
    c = Course(x, y, step=step)
    # on the way out, >= 100 m before the turnaround; > 100 m from the start, as a place
    # as good at the track's end is the finish when listed last (``_final_state``)
    s0 = 120.0 + f * (length - 220.0)
    tx, ty = c.xy_at(s0)
    px, py = tx - lateral * math.sin(ang), ty + lateral * math.cos(ang)
    turn = cp("Turn", *c.xy_at(c.total / 2))
    out = cp("Place", px, py)
    loc = locate_points(c.profile, [out, turn, out])
    back = c.total - s0
    np.testing.assert_allclose(loc.distance, [s0, c.total / 2, back], atol=2.0)
    for i in (0, 2):
        np.testing.assert_allclose(loc.passages[i], [s0, back], atol=2.0)
    # listed once, it is the way out (the first passage); listed after the turnaround, back
    assert locate(c.profile, [out])[0] == pytest.approx(s0, abs=2.0)
    assert locate(c.profile, [turn, out])[1] == pytest.approx(back, abs=2.0)
    # two waypoints of one name, on either side of the road (within 100 m): one place,
    # taken on each passage in course order
    wp = [
        Waypoint("Place", *(float(v) for v in PROJ.inverse(px + dx, py + dy)))
        for dx, dy in ((0.0, 0.0), (-apart * math.sin(ang), apart * math.cos(ang)))
    ]
    c2 = Course(x, y, step=step, waypoints=wp)
    by_wp = cp("Place", waypoint="Place")
    got = locate(c2.profile, [by_wp, turn, by_wp])
    np.testing.assert_allclose(got, [s0, c.total / 2, back], atol=2.0)


@SETTINGS
@given(courses_with_checkpoints(max_noise=0.0), st.floats(1.0, SAME_PLACE_M - 1.0))
def test_entry_exit_pair_shares_the_first_ones_distance(case, before):
    kind, c, points, truth = case
    if not points:
        return
    i = len(points) - 1
    s_exit = truth[i] - before  # the second of the pair, a few metres before the first
    if s_exit < (truth[i - 1] + 150.0 if i else 150.0):
        return
    specs = [cp(f"CP{j}", px, py) for j, (px, py) in enumerate(points)]
    specs.append(cp("Exit", *c.xy_at(s_exit)))
    loc = locate_points(c.profile, specs)
    np.testing.assert_allclose(loc.distance[:-1], truth, atol=2.0, err_msg=kind)
    assert loc.distance[-1] == loc.distance[-2]


@SETTINGS
@given(shapes(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_start_and_finish_by_km_are_the_ends(shape, f_start, f_finish):
    kind, x, y = shape
    c = Course(x, y)
    start_km = round(f_start * 0.99, 3)  # the start named so, within 1 km of km 0
    finish_km = round(c.total / 1000.0 * (0.5 + 0.59 * f_finish), 3)  # short of or past the end
    specs = [
        cp("Start", km=start_km),
        cp("CP", km=round(c.total / 4000.0, 3)),
        cp("Finish", km=finish_km),
    ]
    got = locate(c.profile, specs)
    assert got[0] == 0.0 and got[-1] == pytest.approx(c.total)


# ---------------------------------------------------------------- regressions


def test_out_and_back_on_long_segments_finds_the_way_back():
    """A planner's out-and-back: 750 m segments, the way back on the way out's points. The
    distance to each segment stayed 7 m across the turnaround (both segments' nearest point
    is the station's foot), so the way back was no passage of its own: "out of order"."""
    c = Course([0, 750, 1500, 750, 0], [0, 0, 0, 0, 0], step=1e9)
    specs = [cp("Bridge", 1125, 7), cp("Turn", 1500, 0), cp("Bridge", 1125, 7)]
    loc = locate_points(c.profile, specs)
    np.testing.assert_allclose(loc.distance, [1125, 1500, 1875], atol=1)
    np.testing.assert_allclose(loc.passages[0], [1125, 1875], atol=1)


def test_place_on_a_shared_point_of_an_out_and_back_has_two_passages():
    """A station on a point of the track the way back passes through again (a sketch puts its
    waypoints on the route's points): every segment is 0 m from it, so it had one passage."""
    c = Course([0, 1500, 3000, 1500, 0], [0, 0, 0, 0, 0], step=1e9)
    specs = [cp("Turn", 3000, 0), cp("Bridge", 1500, 0)]
    np.testing.assert_allclose(locate(c.profile, specs), [3000, 4500], atol=1)
    loc = locate_points(c.profile, [cp("Bridge", 1500, 0)])
    np.testing.assert_allclose(loc.passages[0], [1500, 4500], atol=1)
