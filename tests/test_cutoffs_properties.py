"""Barrier solver: properties on random synthetic courses (hypothesis).

Each property is what the module docstring, docs/INTERFACES.md and docs/outputs.md promise
of :func:`coursekit.cutoffs.solve` (arrays) or :func:`coursekit.cutoffs.plan` (a course
file): barriers that increase, end on the limit and round later on the clock grid; fixed
cutoffs kept; the leader never after the reference, the opening never after the leader;
errors that are the module's :class:`~coursekit.errors.PlanError`, naming checkpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coursekit.cutoffs import LIMIT_KEEP_S, _static_cost, course_grid, plan, round_up_clock, solve
from coursekit.errors import PlanError
from coursekit.pace import TRAIL_2024

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ZONES = ("UTC", "Europe/Paris", "Africa/Casablanca", "Asia/Kolkata", "Asia/Kathmandu")


class Course(NamedTuple):
    """A synthetic course for :func:`solve` (the grid printed short in hypothesis's
    falsifying examples)."""

    slopes: tuple  # grade of each equal segment
    seg_len: float  # [m]
    cps: tuple  # checkpoint distances, start and finish included [m]
    dwell: np.ndarray  # planned stop per row [s]
    limit: float  # [s]

    @property
    def names(self) -> list[str]:
        return ["Start", *[f"CP{i}" for i in range(1, len(self.cps) - 1)], "Finish"]

    def profile(self):
        n = len(self.slopes)
        d = np.linspace(0.0, self.seg_len * n, 20 * n + 1)
        seg = np.minimum((d // self.seg_len).astype(int), n - 1)
        dz = np.diff(d) * np.asarray(self.slopes)[seg[:-1]]
        e = 500.0 + np.concatenate([[0.0], np.cumsum(dz)])
        gain = np.concatenate([[0.0], np.cumsum(np.maximum(dz, 0.0))])
        return d, e, gain

    @property
    def grid(self):
        return course_grid(*self.profile(), np.asarray(self.cps, float))

    @property
    def effort(self) -> float:
        d, _, gain = self.profile()
        return d[-1] / 1000 + gain[-1] / 100


@st.composite
def courses(draw, *, min_cps=1, max_cps=6, pairs=False):
    """A course: piecewise-linear profile of random grades, checkpoints at least 1 km
    apart (with ``pairs``, some at one distance: an entry/exit pair), a planned stop at
    some, a limit a last finisher can keep."""
    n_seg = draw(st.integers(2, 8))
    seg_len = draw(st.floats(2000.0, 8000.0))
    slopes = tuple(draw(st.lists(st.floats(-0.25, 0.25), min_size=n_seg, max_size=n_seg)))
    total = seg_len * n_seg
    k = draw(st.integers(min_cps, max_cps))
    # k interior checkpoints on a 1 km lattice, none within 1 km of the ends
    slots = int(total // 1000) - 1
    assume(slots >= k)
    picks = draw(st.lists(st.integers(1, slots), min_size=k, max_size=k, unique=not pairs))
    cps = (0.0, *sorted(1000.0 * p for p in picks), total)
    dwell = np.array(
        [0.0] + [draw(st.sampled_from([0.0, 0.0, 300.0, 900.0])) for _ in range(k)] + [0.0]
    )
    c = Course(slopes, seg_len, cps, dwell, 0.0)
    # a fresh flat speed of 1.0-2.5 m/s on the course's flat-equivalent metres (9-16 min
    # per km-effort let a downhill course need one faster than MAX_FLAT_SPEED)
    flat_m = float(_static_cost(c.grid, TRAIL_2024, TRAIL_2024.fatigue).sum())
    limit = flat_m / draw(st.floats(1.0, 2.5)) + dwell.sum()
    return c._replace(limit=float(limit))


starts = st.builds(
    lambda z, day, h, m: dt.datetime.combine(day, dt.time(h, m), ZoneInfo(z)),
    st.sampled_from(ZONES),
    st.sampled_from([dt.date(2024, 6, 1), dt.date(2024, 3, 30), dt.date(2024, 10, 26)]),
    st.integers(0, 23),
    st.integers(0, 59),
)


nights = st.builds(
    lambda phase, length, base, steep: (
        np.array([[phase + 86400.0 * i, phase + 86400.0 * i + length] for i in range(-1, 4)]),
        TRAIL_2024.with_(night_base=base, night_steep=steep),
    ),
    st.floats(0.0, 86400.0),
    st.floats(6 * 3600.0, 12 * 3600.0),
    st.sampled_from([0.0, 0.1, 0.3]),
    st.sampled_from([0.0, 0.5]),
)
"""Dark intervals every 24 h (a random dusk, a 6-12 h night) and a reference runner with
a night penalty of 0-30 % on the flat, ``night_steep`` 0 or 0.5 (as calibrated) on slopes."""


def _on_grid(elapsed: float, start: dt.datetime, minutes: int) -> bool:
    # (in UTC: aware arithmetic in one zone is on the wall clock, across a change too)
    utc = start.astimezone(dt.UTC) + dt.timedelta(seconds=float(elapsed))
    wall = utc.astimezone(start.tzinfo)
    wall += dt.timedelta(microseconds=1)  # float noise: 23:59:59.999999 reads as midnight
    return (
        wall.second == 0 and wall.microsecond <= 2 and (wall.hour * 60 + wall.minute) % minutes == 0
    )


def _increase_or_warned(sol, names) -> None:
    """Barriers never go back; two equal ones only where rounding each up on its own to
    the clock grid squeezed the leg between them to nothing, which a warning names (legs
    shorter than the step: documented, `coursekit check` flags it too)."""
    c = sol.cutoff
    assert np.all(np.diff(c) >= 0), c
    for j in np.flatnonzero(np.diff(c) <= 0):
        pair = f"barriers at {names[j]!r} and {names[j + 1]!r}"
        assert any(pair in w for w in sol.warnings), (j, c, sol.warnings)


def _drawn(course, night) -> dict:
    """``solve``'s keywords for a drawn course and night: its limit, stops and names, the
    night's dark mask and pace parameters."""
    dark, params = night
    return dict(
        limit_s=course.limit, params=params, dwell=course.dwell, names=course.names, dark=dark
    )


@FAST
@given(courses(), st.sampled_from([0, 5, 15]), starts, nights)
def test_barriers_increase_end_on_the_limit_and_round_later(course, minutes, start, night):
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    sol = solve(grid, **_drawn(course, night), start=start, round_minutes=minutes)
    c, dep, arr = sol.cutoff, sol.departure, sol.arrival
    _increase_or_warned(sol, names)
    assert c[0] == 0.0 and c[-1] == limit
    assert arr[-1] == pytest.approx(limit, abs=1.0)  # the reference finishes at the limit
    np.testing.assert_allclose(dep, arr + dwell, atol=1e-6)
    for j in range(1, len(c) - 1):
        assert c[j] >= dep[j] - 1e-6  # never earlier than the departure deadline
        if minutes == 0:
            assert c[j] == pytest.approx(dep[j], abs=1e-6)
            continue
        # at most one step later (plus the hour the clocks go back, if they do)
        end = (start.astimezone(dt.UTC) + dt.timedelta(seconds=limit)).astimezone(start.tzinfo)
        back = start.utcoffset() - end.utcoffset()
        assert c[j] - dep[j] < minutes * 60 + max(back.total_seconds(), 0) + 1e-6
        kept = c[j] == dep[j] and not _on_grid(c[j], start, minutes)
        if kept:  # only a barrier the rounding would put on the limit, with a warning
            assert round_up_clock(dep[j], start, minutes) >= limit - LIMIT_KEEP_S
            assert any(
                f"barrier at {names[j]!r} is the reference passage" in w for w in sol.warnings
            )
        else:
            assert _on_grid(c[j], start, minutes), (j, c[j], start)


@FAST
@given(courses(), st.sampled_from([0, 5, 15]), nights)
def test_leader_before_the_reference_before_the_barrier(course, minutes, night):
    grid, limit = course.grid, course.limit
    start = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.UTC)
    sol = solve(grid, **_drawn(course, night), start=start, round_minutes=minutes)
    assert np.all(sol.opens <= sol.first_arrival + 1e-9)
    assert np.all(sol.first_arrival <= sol.arrival + 1e-9)
    assert np.all(sol.arrival <= sol.cutoff + 1e-6)
    assert np.all(np.diff(sol.first_arrival) > 0)
    assert sol.first_arrival[-1] <= limit


@FAST
@given(courses(), st.data(), nights)
def test_a_fixed_cutoff_equal_to_the_solved_one_changes_nothing(course, data, night):
    """Unrounded, the single-v0 solution also solves both pieces a fixed cutoff at its own
    departure deadline makes: the other rows keep their times. To the second without
    night; with it to a minute: the night factor is one per grid cell, at its mid time, so
    each piece's end jumps with the pace where a cell crosses dusk or dawn, and each
    piece's root lands on its own jump (``solve`` spreads the miss, up to ~1 min)."""
    grid, names = course.grid, course.names
    kw = dict(_drawn(course, night), round_minutes=0)
    free = solve(grid, **kw)
    j = data.draw(st.integers(1, len(names) - 2))
    fixed = np.full(len(names), np.nan)
    fixed[j] = free.cutoff[j]
    pinned = solve(grid, fixed=fixed, **kw)
    assert pinned.cutoff[j] == fixed[j]  # unchanged in the output
    assert pinned.fixed.tolist() == [i == j for i in range(len(names))]
    params = night[1]
    tol = 60.0 if params.night_base or params.night_steep else 1.0
    np.testing.assert_allclose(pinned.cutoff, free.cutoff, rtol=0, atol=tol)
    np.testing.assert_allclose(pinned.arrival, free.arrival, rtol=0, atol=tol)


@FAST
@given(courses(), st.data(), st.sampled_from([0, 5, 15]))
def test_fixed_cutoffs_appear_unchanged_and_pieces_stay_ordered(course, data, minutes):
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    n = len(names)
    free = solve(grid, limit_s=limit, params=TRAIL_2024, dwell=dwell, round_minutes=0)
    fixed = np.full(n, np.nan)
    rows = data.draw(st.lists(st.integers(1, n - 2), max_size=n - 2, unique=True))
    for j in rows:  # near the free solution: feasible
        fixed[j] = round(free.departure[j] * data.draw(st.floats(0.97, 1.03)) / 60) * 60
    start = dt.datetime(2024, 6, 1, 5, 0, tzinfo=dt.UTC)
    kw = dict(limit_s=limit, params=TRAIL_2024, dwell=dwell, start=start, names=names)
    try:
        sol = solve(grid, fixed=fixed, round_minutes=minutes, **kw)
    except PlanError as exc:  # only fixed cutoffs out of order or out of reach, named
        msg = str(exc)
        assert any(w in msg for w in ("contradict", "too early", "too late", "before the limit"))
        assert any(f"at {names[j]!r}" in msg for j in rows), msg
        return
    for j in rows:
        assert sol.cutoff[j] == fixed[j]
    _increase_or_warned(sol, names)
    assert np.all(sol.arrival <= sol.cutoff + 1e-6)
    assert np.all(sol.first_arrival <= sol.arrival + 1e-9)


@FAST
@given(courses(), st.floats(1.05, 2.0), st.sampled_from([0, 5, 15]), nights)
def test_a_longer_limit_never_moves_a_barrier_earlier(course, k, minutes, night):
    grid, limit = course.grid, course.limit
    start = dt.datetime(2024, 6, 1, 5, 0, tzinfo=dt.UTC)
    kw = dict(_drawn(course, night), start=start, round_minutes=minutes)
    short = solve(grid, **kw)
    long = solve(grid, **dict(kw, limit_s=k * limit))
    assert np.all(long.departure >= short.departure - 1e-6)
    assert np.all(long.cutoff >= short.cutoff - 1e-6)


@FAST
@given(courses(min_cps=2), st.floats(0.02, 0.25), st.data())
def test_a_harder_leg_gets_more_time(course, climb, data):
    """The same course with one leg flat, then climbing at ``climb`` (the rest of the
    profile unchanged, shifted up): that leg gets more of the limit. Altitude off, so
    the shift alone changes nothing after the leg."""
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    d = grid.node
    j = data.draw(st.integers(1, len(names) - 1))  # the leg into row j
    a, b = d[grid.cp_node[j - 1]], d[grid.cp_node[j]]
    e = np.interp(d, d[:-1] + grid.length / 2, grid.elevation)
    ea, eb = np.interp([a, b], d, e)
    inside = (d > a) & (d < b)
    flat = np.where(inside, ea, np.where(d >= b, e - eb + ea, e))
    hard = flat + climb * np.clip(d - a, 0.0, b - a)
    cps = d[grid.cp_node]
    params = TRAIL_2024.with_(altitude=0.0)
    # twice the limit: room for the climb
    kw = dict(limit_s=2 * limit, params=params, dwell=dwell, round_minutes=0, names=names)

    def leg(z):
        gain = np.concatenate([[0.0], np.cumsum(np.maximum(np.diff(z), 0.0))])
        s = solve(course_grid(d, z, gain, cps), **kw)
        return s.arrival[j] - s.departure[j - 1]

    assert leg(hard) > leg(flat)


@FAST
@given(courses(), st.floats(0.1, 0.6))
def test_an_impossible_limit_names_the_checkpoints(course, share):
    """A limit a runner would need faster than MAX_FLAT_SPEED for: the module's error,
    naming the start and the finish, not a traceback or a silent plan."""
    grid, names, effort = course.grid, course.names, course.effort
    limit = share * effort * 1000 / 4.2  # faster than 4 min/km on the flat
    with pytest.raises(PlanError, match=r"limit too short: between 'Start' and 'Finish'"):
        solve(grid, limit_s=limit, params=TRAIL_2024, names=names)


@FAST
@given(courses(min_cps=2), st.data())
def test_contradicting_fixed_cutoffs_name_both(course, data):
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    n = len(names)
    a = data.draw(st.integers(1, n - 3))
    b = data.draw(st.integers(a + 1, n - 2))
    fixed = np.full(n, np.nan)
    fixed[a] = data.draw(st.floats(0.3, 0.6)) * limit
    fixed[b] = fixed[a] - data.draw(st.floats(0.0, 0.2)) * limit
    assume(fixed[b] > 0)
    with pytest.raises(PlanError, match=f"contradict each other: {names[a]!r}.*{names[b]!r}"):
        solve(grid, limit_s=limit, params=TRAIL_2024, dwell=dwell, fixed=fixed, names=names)


@FAST
@given(courses(pairs=True), st.data())
def test_any_fixed_cutoffs_give_a_plan_or_the_modules_error(course, data):
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    n = len(names)
    # whole seconds, as a course file gives them (a cutoff of 1e-308 s overflows 1 / pace)
    times = st.one_of(st.just(np.nan), st.integers(int(-0.2 * limit), int(1.2 * limit)))
    fixed = np.array([data.draw(times) for _ in range(n)])
    minutes = data.draw(st.sampled_from([0, 5, 15]))
    try:
        sol = solve(
            grid,
            limit_s=limit,
            params=TRAIL_2024,
            dwell=dwell,
            fixed=fixed,
            round_minutes=minutes,
            names=names,
        )
    except PlanError as exc:
        assert any(repr(nm) in str(exc) for nm in names), str(exc)
        return
    inner = np.isfinite(fixed[1:-1])
    np.testing.assert_array_equal(sol.cutoff[1:-1][inner], fixed[1:-1][inner])
    assert np.all(np.diff(sol.cutoff) >= 0), (fixed, sol.cutoff)
    assert np.all(sol.arrival <= sol.cutoff + 1e-6)


@FAST
@given(courses(), st.sampled_from([0, 5, 15]), st.integers(0, 23 * 60 + 59))
def test_the_start_s_zone_representation_changes_nothing(course, minutes, start_min):
    """One instant written in UTC, in Kolkata (+05:30) or Kathmandu (+05:45): a step of
    5 or 15 min divides every offset, so the barriers are the same elapsed times."""
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    utc = dt.datetime(2024, 6, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=start_min)
    out = []
    for z in ("UTC", "Asia/Kolkata", "Asia/Kathmandu"):
        start = utc.astimezone(ZoneInfo(z))
        sol = solve(
            grid,
            limit_s=limit,
            params=TRAIL_2024,
            dwell=dwell,
            start=start,
            round_minutes=minutes,
            names=names,
        )
        out.append(sol.cutoff)
    np.testing.assert_allclose(out[1], out[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out[2], out[0], rtol=0, atol=1e-6)


@FAST
@given(courses(pairs=True), st.sampled_from([0, 5, 15]), st.data())
def test_entry_exit_pairs_and_rows_without_barrier(course, minutes, data):
    """Checkpoints at one distance (an entry/exit pair) may share a barrier, never go
    back; rows with ``barrier = false`` are still solved and rounded."""
    grid, names, dwell, limit = course.grid, course.names, course.dwell, course.limit
    n = len(names)
    barrier = [True] + [data.draw(st.booleans()) for _ in range(n - 2)] + [True]
    start = dt.datetime(2024, 6, 1, 5, 0, tzinfo=dt.UTC)
    sol = solve(
        grid,
        limit_s=limit,
        params=TRAIL_2024,
        dwell=dwell,
        start=start,
        round_minutes=minutes,
        names=names,
        barrier=barrier,
    )
    c = sol.cutoff
    assert np.all(np.diff(c) >= 0), c
    assert np.all(np.diff(sol.arrival) >= 0)
    assert np.all(sol.cutoff >= sol.departure - 1e-6)
    assert np.all(sol.first_arrival <= sol.arrival + 1e-9)
    assert c[-1] == limit and sol.arrival[-1] == pytest.approx(limit, abs=1.0)


# ---------------------------------------------------------------- on a course file


def _write_course(folder, course: Course, *, start: str, tz: str | None, cutoffs=None) -> str:
    """The course as a GPX due north near Marrakech and a course file; ``cutoffs`` maps an
    interior row to its ``cutoff`` value (TOML text). Returns the course file's path."""
    from coursekit.gpx import write_gpx

    d, e, _ = course.profile()
    lat = 31.0 + d / 111_195.0
    write_gpx(f"{folder}/c.gpx", lat, np.full(d.size, -7.9), e, name="c")
    lines = [
        'name = "Synthetic"',
        'gpx = "c.gpx"',
        f"start = {start}",
        f'limit = "{round(course.limit)}s"',
    ]
    if tz:
        lines.append(f'timezone = "{tz}"')
    for i, km in enumerate(course.cps[1:-1], start=1):
        lines += ["", "[[checkpoints]]", f'name = "CP{i}"', f"km = {km / 1000:g}"]
        if course.dwell[i]:
            lines.append(f'dwell = "{course.dwell[i] / 60:g}m"')
        if cutoffs and i in cutoffs:
            lines.append(f"cutoff = {cutoffs[i]}")
    path = f"{folder}/c.toml"
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


PLAN = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plan(path, **kw):
    from coursekit.course import load_course

    return plan(load_course(path), **kw)


@PLAN
@given(courses(max_cps=4), st.sampled_from([5, 15]), st.integers(0, 23 * 60 + 59))
def test_plan_does_not_depend_on_how_the_start_is_written(course, minutes, start_min):
    """One start instant written in UTC or with the course zone's offset: the same
    barriers, on the course zone's clock."""
    import tempfile

    utc = dt.datetime(2024, 6, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=start_min)
    local = utc.astimezone(ZoneInfo("Asia/Kathmandu"))
    out = []
    for text in (utc.isoformat().replace("+00:00", "Z"), local.isoformat()):
        with tempfile.TemporaryDirectory() as tmp:
            p = _plan(
                _write_course(tmp, course, start=text, tz="Asia/Kathmandu"), round_minutes=minutes
            )
        out.append(p)
    a, b = out
    np.testing.assert_array_equal(a.cutoff_elapsed, b.cutoff_elapsed)
    assert a.cutoff == b.cutoff
    assert all(c.utcoffset() == dt.timedelta(hours=5, minutes=45) for c in a.cutoff)
    np.testing.assert_array_equal(a.first_arrival_elapsed, b.first_arrival_elapsed)


@PLAN
@given(courses(min_cps=2, max_cps=4), st.data())
def test_plan_keeps_fixed_cutoffs_and_names_contradicting_ones(course, data):
    """Fixed cutoffs of the course file, elapsed or date-time, appear unchanged; a later
    one not after an earlier one is a PlanError naming both and where it is written."""
    import tempfile

    n = len(course.cps)
    free = solve(
        course.grid, limit_s=course.limit, params=TRAIL_2024, dwell=course.dwell, round_minutes=0
    )
    a = data.draw(st.integers(1, n - 3))
    b = data.draw(st.integers(a + 1, n - 2))
    ta = 60 * round(free.departure[a] / 60)
    start = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    at = (start + dt.timedelta(seconds=ta)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        tb = 60 * round(free.departure[b] / 60)
        cut = {a: f'"{ta}s"', b: (start + dt.timedelta(seconds=tb)).isoformat()}
        path = _write_course(
            tmp, course, start=start.isoformat(), tz="Africa/Casablanca", cutoffs=cut
        )
        if tb > ta:
            p = _plan(path)
            assert p.cutoff_elapsed[a] == ta and p.cutoff_elapsed[b] == tb
            assert p.fixed[a] and p.fixed[b] and p.fixed.sum() == 2
        # b's cutoff at or before a's (written as a date-time): refused, both named
        back = max(ta - 60 * data.draw(st.integers(0, 30)), 60)
        cut = {a: at, b: f'"{back}s"'}
        path = _write_course(
            tmp, course, start=start.isoformat(), tz="Africa/Casablanca", cutoffs=cut
        )
        with pytest.raises(PlanError) as err:
            _plan(path)
    msg = str(err.value)
    assert msg.startswith(path) and "\n" not in msg
    assert f"checkpoints[{b - 1}] ('CP{b}') key 'cutoff'" in msg, msg
    assert f"'CP{a}'" in msg and "contradict" in msg, msg


@PLAN
@given(courses(max_cps=3), st.floats(0.2, 0.6))
def test_plan_refuses_an_impossible_limit_in_one_line(course, share):
    import tempfile

    # moving time for a fresh flat pace faster than 4 min/km, on top of the planned stops
    limit = round(course.dwell.sum() + max(share * course.effort * 1000 / 4.2, 60.0))
    stops = round(course.dwell.sum())
    with tempfile.TemporaryDirectory() as tmp:
        for lim, says in (
            (limit, "limit too short: between 'Start' and 'Finish'"),
            (stops, "limit too short: between 'Start' and 'Finish' the planned stops"),
        ):
            if lim <= 0:
                continue  # no stops: no limit of theirs
            path = _write_course(
                tmp,
                course._replace(limit=lim),
                start="2024-06-01T06:00:00+01:00",
                tz="Africa/Casablanca",
            )
            with pytest.raises(PlanError) as err:
                _plan(path)
            msg = str(err.value)
            assert msg.startswith(path) and "\n" not in msg
            assert says in msg, msg


@PLAN
@given(courses(max_cps=5), st.sampled_from([0, 5, 15]), st.integers(0, 23), st.data())
def test_a_plan_passes_its_own_checks(course, minutes, hour, data):
    """The checks every plan runs on its barriers (:func:`check_plan`): from every
    barrier the finish is reachable at the reference pace, no leader after a barrier, no
    barrier before the previous one but a squeeze the rounding warning names."""
    import tempfile

    n = len(course.cps)
    free = solve(
        course.grid, limit_s=course.limit, params=TRAIL_2024, dwell=course.dwell, round_minutes=0
    )
    rows = data.draw(st.lists(st.integers(1, n - 2), max_size=2, unique=True))
    cut = {j: f'"{60 * round(free.departure[j] / 60)}s"' for j in rows}
    start = f"2024-06-01T{hour:02d}:07:00+01:00"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p = _plan(
                _write_course(tmp, course, start=start, tz="Africa/Casablanca", cutoffs=cut),
                round_minutes=minutes,
            )
        except PlanError as exc:  # two fixed cutoffs within a minute of each other
            assert "contradict" in str(exc), str(exc)
            return
    for w in p.warnings:
        assert "not reachable" not in w and "leader's ETA" not in w, w
        if "is not after the one at" in w:
            a, b = w.split("'")[3], w.split("'")[1]
            assert any(f"barriers at {a!r} and {b!r}" in x for x in p.warnings), p.warnings
    c = p.cutoff_elapsed
    assert np.all(np.diff(c) >= 0)
    assert np.all(p.first_arrival_elapsed <= p.arrival_elapsed + 1e-9)
    assert np.all(p.opens_elapsed <= p.first_arrival_elapsed)
    for j in rows:
        assert p.fixed[j] and c[j] == 60 * round(free.departure[j] / 60)


@FAST
@given(courses(min_cps=2), st.data())
def test_stops_longer_than_the_time_a_fixed_cutoff_leaves_name_that_cutoff(course, data):
    """Planned stops that fill all the time between a fixed cutoff and the anchor before
    (after) it: the error names the fixed cutoff to move, as a too-early (too-late) one,
    and :func:`plan` says where it is written; stops longer than the limit itself say the
    limit. The message was "reference runner from 'A' to 'B': no time left for moving
    after the planned stops", naming neither the cutoff nor the limit."""
    grid, names, limit = course.grid, course.names, course.limit
    n = len(names)
    j = data.draw(st.integers(1, n - 2))  # the row with the long stop
    dwell = np.zeros(n)
    dwell[j] = data.draw(st.floats(1.0, 3.0)) * limit
    kw = dict(limit_s=limit, params=TRAIL_2024, dwell=dwell, names=names)
    with pytest.raises(
        PlanError,
        match=r"^limit too short: between 'Start' and 'Finish' the planned stops "
        r"\(\d+ min\) leave no time for moving$",
    ):
        solve(grid, **kw)
    # a loop (start and finish of one name): "round the loop", not "between 'X' and 'X'"
    loop = dict(kw, names=["Village", *names[1:-1], "Village"])
    with pytest.raises(PlanError, match=r"^limit too short: round the loop from 'Village' the"):
        solve(grid, **loop)
    # a fixed cutoff at j or after it, whose piece holds the stop
    k = data.draw(st.integers(j, n - 2))
    fixed = np.full(n, np.nan)
    fixed[k] = data.draw(st.floats(0.2, 0.9)) * limit
    with pytest.raises(
        PlanError,
        match=rf"^fixed cutoff at {names[k]!r} \(.* h\) too early: from .* the planned "
        r"stops \(\d+ min\) leave no time for moving$",
    ) as err:
        solve(grid, fixed=fixed, **kw)
    assert getattr(err.value, "row", None) == k
    # a fixed cutoff before j: the piece from it to the finish holds the stop
    if j > 1:
        i = data.draw(st.integers(1, j - 1))
        fixed = np.full(n, np.nan)
        fixed[i] = data.draw(st.floats(0.05, 0.5)) * limit
        with pytest.raises(
            PlanError,
            match=rf"^fixed cutoff at {names[i]!r} \(.* h\) too late for the limit: "
            r"from there to 'Finish' the planned stops \(\d+ min\) leave no time for moving$",
        ) as err:
            solve(grid, fixed=fixed, **kw)
        assert getattr(err.value, "row", None) == i


@PLAN
@given(courses(min_cps=2, max_cps=4), st.data())
def test_plan_locates_a_fixed_cutoff_out_of_reach(course, data):
    """A fixed cutoff the reference last finisher would need a pace faster than 4 min/km
    to keep (too early) or to finish from (too late for the limit) is what to fix: the
    error says where the course file writes it, as for fixed cutoffs out of order (it gave
    the path and the message only)."""
    import tempfile

    n = len(course.cps)
    k = data.draw(st.integers(1, n - 2))
    early = data.draw(st.booleans())
    if early:  # 1 s per 10 m: 16.7 min/km ... faster than 4 min/km
        t = max(round(course.cps[k] / 1000 * 60), 1)
        says = rf"fixed cutoff at 'CP{k}' \(.* h\) too early: from "
    else:
        t = round(course.limit - (course.cps[-1] - course.cps[k]) / 1000 * 60)
        says = rf"fixed cutoff at 'CP{k}' \(.* h\) too late for the limit: from there"
    assume(0 < t < course.limit - 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_course(
            tmp,
            course._replace(limit=round(course.limit), dwell=np.zeros(n)),  # no stops
            start="2024-06-01T06:00:00+01:00",
            tz="Africa/Casablanca",
            cutoffs={k: f'"{t}s"'},
        )
        with pytest.raises(
            PlanError,
            match=rf"^{path}: checkpoints\[{k - 1}\] \('CP{k}'\) "
            rf"key 'cutoff': {says}",
        ):
            _plan(path)
