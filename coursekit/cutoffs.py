"""Time barriers inside the overall limit: the reference last finisher.

The reference runner moves along the course at a pace

.. math:: p(x, t) = \\frac{1}{v_0}\\, G(g(x))\\, A(h(x))\\, F(K(x))\\, N(\\text{dark}(t), g(x))

(:mod:`coursekit.pace`: grade, altitude, fatigue by km-effort spent, night),
stops ``dwell`` at each checkpoint, and finishes exactly at the limit: the
fresh flat speed :math:`v_0` is found by root finding (``scipy.optimize.brentq``).
Night depends on the clock, so the march is iterated to a fixed point. Each
barrier is the departure deadline (arrival + dwell) rounded later to
``round_minutes`` on the clock, never beyond the limit; one that rounding would put
on the limit while the rows after it need time (a published finish short of the
GPX end) keeps the departure deadline unrounded, with a warning. Fixed cutoffs from the
course file are honoured: the plan is solved piecewise between them, one
:math:`v_0` per piece.

The leader's ETA (first arrival) uses the same model with the leader's
parameters: little fatigue, half the night penalty, and a finish time from
:func:`coursekit.pace.leader_time` (geometric mean of a fraction of the limit
and the course's km-effort at an elite speed), never later than the
reference last finisher at any checkpoint. A station opens at
``(1 - leader_margin)`` times the ETA: the ETA is a central estimate, the
opening time is the conservative one (a station must open before the first
runner arrives).

Core functions work on arrays (:func:`solve`); :func:`plan` glues them to
``Course``/``Legs``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from .checkpoints import cutoff_limit_problem, finish_cutoff_problem
from .clock import in_zone
from .errors import PlanError
from .geodesy import lon_centre
from .pace import (
    TRAIL_2024,
    PaceParams,
    fatigue_factor,
    grade_factor,
    leader_time,
    params_for,
    wehrlin2006,
)

__all__ = [
    "Plan",
    "Solution",
    "CourseGrid",
    "course_grid",
    "course_effort",
    "solve",
    "plan",
    "spec_arrays",
    "plan_dark",
    "check_plan",
    "model_runner",
    "plan_runner",
    "limit_proposed",
    "proposed_note",
    "CourseSetup",
    "course_setup",
    "round_up_clock",
    "MAX_FLAT_SPEED",
    "PLAUSIBLE_LEG_SPEED",
    "NIGHT_SECTION_MIN_M",
]

MAX_FLAT_SPEED = 4.2
"""Fresh flat speed above which a limit is impossible for a *last* finisher [m/s] (4 min/km)."""

PLAUSIBLE_LEG_SPEED = (0.15, 3.0)
"""Flat-equivalent speed between two barriers outside which a finding is raised [m/s]."""

NIGHT_ITERATIONS = 64
"""Most passes of the night factor's fixed point in a march (each pass moves every dusk and
dawn boundary part of the way; it stops once no node moves by 0.5 s). The defaults need 3-6
on the calibration races and the Tor des Geants, a stronger night (``night_base`` 0.3,
``night_steep`` 2, inside the ranges a parameter file may set) 18 on the Tor: the earlier cap
of 8 left its march up to 61 min off, silently."""

NIGHT_SECTION_MIN_M = 100.0
"""Night sections shorter than this are left out of a plan [m]: the 0.1 km they are shown
at (a start a few seconds before dawn made a section of one grid node, "km 0.0-0.0"); the
checkpoint rows' ``night`` flags are unchanged."""


# ---------------------------------------------------------------- the course as a grid


class CourseGrid(NamedTuple):
    """The course resampled for marching (cells between consecutive nodes).

    ``node`` distances include every checkpoint exactly; ``cp_node`` gives the
    node index of each checkpoint. Per-cell arrays have ``len(node) - 1`` items.
    """

    node: np.ndarray  # [m]
    cp_node: np.ndarray  # int
    length: np.ndarray  # cell length [m]
    grade: np.ndarray  # cell grade [rise/run] (of the share ``up_share`` with relief)
    elevation: np.ndarray  # cell mid elevation [m]
    kme: np.ndarray  # km-effort spent at the cell start [km]
    # relief the profile does not show (see course_grid's ``relief``): each cell climbs
    # at ``grade`` over its share ``up_share`` and descends at ``grade_down`` over the rest;
    # None without
    grade_down: np.ndarray | None = None  # [rise/run]
    up_share: np.ndarray | None = None  # [-]


def course_grid(
    distance,
    elevation,
    gain,
    cp_distance,
    *,
    step: float = 25.0,
    window=80.0,
    relief: tuple[float, float] = (0.0, 0.0),
):
    r"""Resample a profile for the solver.

    Parameters
    ----------
    distance, elevation, gain : array_like
        Profile per point: cumulative distance [m], elevation [m] (NaN allowed),
        cumulative D+ [m].
    cp_distance : array_like
        Checkpoint distances [m], start row first (0) and finish last.
    step : float, default 25
        Grid step [m].
    window : float, default 80
        Width of the grade regression (:func:`coursekit.profile.smoothed_grade`) [m].
    relief : (float, float), default (0, 0)
        D+ and D- per metre of course [m/m] that the elevation does not show and the
        solver must still count: the metres a declared D+/D- adds to a sketch, spread
        uniformly by distance (:func:`coursekit.course.scale_profile`). Each cell of
        length :math:`L` and grade :math:`g` then climbs :math:`U = L \max(g, 0) + L
        r_+` and descends :math:`D = L \max(-g, 0) + L r_-`: it is run as a climb at
        grade :math:`a = (U + D)/L` over the share :math:`U/(U + D)` of its length and
        a descent at :math:`-a` over the rest (the same steepness both ways, the
        simplest split that keeps both totals). ``gain`` should already include the
        spread metres (the km-effort of the fatigue model counts them).
    """
    from .profile import smoothed_grade

    d = np.asarray(distance, float)
    e = np.asarray(elevation, float)
    g = np.asarray(gain, float)
    cp = np.asarray(cp_distance, float)
    total = float(d[-1])
    if not np.isfinite(cp).all():
        raise PlanError("checkpoint distances must be finite numbers (got NaN or infinity)")
    if np.any(np.diff(cp) < 0):
        raise PlanError("checkpoints are not in course order (distances decrease)")
    cp = np.clip(cp, 0.0, total)
    n = max(int(math.ceil(total / step)), 1)
    node = np.union1d(np.linspace(0.0, total, n + 1), cp)
    cp_node = np.searchsorted(node, cp)
    has_ele = np.isfinite(e).any()
    if has_ele:
        grade_pts = smoothed_grade(d, e, window=window)
        mid = 0.5 * (node[1:] + node[:-1])
        grade = np.interp(mid, d, grade_pts)
        ok = np.isfinite(e)
        ele = np.interp(mid, d[ok], e[ok])
    else:
        mid = 0.5 * (node[1:] + node[:-1])
        grade = np.zeros(mid.size)
        ele = np.full(mid.size, np.nan)
    gain_n = np.interp(node[:-1], d, g)
    kme = node[:-1] / 1000.0 + gain_n / 100.0
    length = np.diff(node)
    r_up, r_down = (max(float(x), 0.0) for x in relief)
    if not (r_up > 0 or r_down > 0):
        return CourseGrid(node, cp_node, length, grade, ele, kme)
    up = np.maximum(grade, 0.0) + r_up  # rise per metre of the cell [m/m]
    down = np.maximum(-grade, 0.0) + r_down
    steep = up + down
    share = up / steep  # steep > 0: r_up or r_down is
    return CourseGrid(node, cp_node, length, steep, ele, kme, -steep, share)


def _grade_factor(grid: CourseGrid, params: PaceParams) -> np.ndarray:
    """Grade factor of each cell, mixed over its climb and descent shares with relief."""
    gf = grade_factor(grid.grade, model=params.model, up=params.up, down=params.down)
    if grid.up_share is None:
        return gf
    gd = grade_factor(grid.grade_down, model=params.model, up=params.up, down=params.down)
    return grid.up_share * gf + (1.0 - grid.up_share) * gd


# ---------------------------------------------------------------- solver


class Solution(NamedTuple):
    """Result of :func:`solve` (arrays per checkpoint row unless stated)."""

    arrival: np.ndarray  # reference last finisher [s from start]
    departure: np.ndarray  # arrival + dwell, unrounded [s]
    cutoff: np.ndarray  # barriers (rounded, fixed honoured) [s]
    first_arrival: np.ndarray  # leader [s]
    night: np.ndarray  # bool: reference runner arrives in the dark
    night_sections: tuple  # ((start_m, end_m), ...), none under NIGHT_SECTION_MIN_M
    speed: np.ndarray  # fresh flat speed v0 of the piece ending at each row [m/s] (NaN at start)
    fixed: np.ndarray  # bool
    warnings: tuple
    opens: np.ndarray = None  # station opening: first_arrival * (1 - leader_margin) [s]


def course_effort(grid: CourseGrid) -> float:
    """Km-effort of the whole grid, km + D+/100 [km]."""
    if not grid.length.size:
        return 0.0
    rise = max(float(grid.grade[-1]), 0.0)
    if grid.up_share is not None:
        rise *= float(grid.up_share[-1])
    last = grid.length[-1] * (1.0 + 10.0 * rise) / 1000.0
    return float(grid.kme[-1] + last)


def _static_cost(grid: CourseGrid, params: PaceParams, fatigue: float) -> np.ndarray:
    """Flat-equivalent metres of each cell without night [m]."""
    gf = _grade_factor(grid, params)
    af = wehrlin2006(grid.elevation, per_1000m=params.altitude)
    ff = fatigue_factor(grid.kme, rate=fatigue)
    return grid.length * gf * af * ff


def _march(cost, night_extra, t0, pace, dwell_before, dark_iv):
    """Arrival times at the nodes of a piece, iterating the night factor to a fixed point.

    ``dwell_before[i]`` is the stop at the node that starts cell ``i``.
    """
    from .sun import dark_mask

    dt_static = cost * pace
    times = t0 + np.concatenate([[0.0], np.cumsum(dt_static + dwell_before)])
    if dark_iv is None or dark_iv.size == 0 or not np.any(night_extra):
        return times
    for _ in range(NIGHT_ITERATIONS):
        # dark at the cell's mid time
        mid = times[:-1] + dwell_before + 0.5 * dt_static
        nf = 1.0 + dark_mask(mid, dark_iv) * night_extra
        dtc = dt_static * nf
        new = t0 + np.concatenate([[0.0], np.cumsum(dtc + dwell_before)])
        if np.max(np.abs(new - times)) < 0.5:
            times = new
            break
        times = new
    return times


def _solve_piece(cost, night_extra, t0, t1, dwell_end, dark_iv, what):
    """Fresh pace [s/m] so that the piece's last node time (+ its dwell) equals t1."""
    from scipy.optimize import brentq

    total_cost = float(cost.sum())
    fixed_time = float(dwell_end.sum())
    avail = t1 - t0 - fixed_time
    if total_cost <= 0:
        return 0.0
    # stops filling the piece are refused by solve() first, naming what bounds it
    assert avail > 0, f"{what}: no time left for moving after the planned stops"

    def f(pace):
        return _march(cost, night_extra, t0, pace, dwell_end, dark_iv)[-1] - t1

    hi = avail / total_cost  # night only slows: f(hi) >= 0
    lo = hi / (1.0 + float(np.max(night_extra, initial=0.0)))
    if f(hi) <= 0:
        return hi
    if f(lo) >= 0:
        return lo
    return float(brentq(f, lo, hi, xtol=1e-9 * hi, rtol=1e-10))


SKETCH_WARNING = "the GPX is a sketch: barriers follow its approximate profile"
"""Plan warning of a schematic course (``coursekit check`` reports the sketch itself)."""


SQUEEZE_RATIO = 0.9
"""Rounded time between two barriers below this share of the reference leg time is reported."""
SQUEEZE_MIN_S = 600.0
"""... when it is also at least this much shorter [s], or ..."""
SQUEEZE_SHARE = 0.25
"""... at least this share of the reference leg time shorter (short legs and short races:
5 min left of the 11 a 1.5 km final leg needs is a squeeze that 10 min would never flag)."""


LIMIT_KEEP_S = 1.0
"""A barrier whose rounding reaches the limit (within this much [s]: the clock grid is
computed to the microsecond) keeps its reference passage when that is at least this much
before the limit (the rows after it need time)."""


def sketch_warning(course) -> str:
    """:data:`SKETCH_WARNING`, with the relief the solver counts beyond the sketch's."""
    up, down = spread_relief(course)
    if not (up > 0 or down > 0):
        return SKETCH_WARNING
    total = float(course.profile.distance[-1])
    return (
        f"{SKETCH_WARNING}, plus the declared D+/D- it does not show "
        f"(+{up * total:.0f} m / +{down * total:.0f} m, spread evenly by distance)"
    )


def _elapsed(seconds: float) -> str:
    """``h:mm`` of an elapsed time, floored to the minute as the tables print it."""
    m = int(seconds // 60)
    return f"{m // 60}:{m % 60:02d}"


def _same_place(grid, a: int, b: int) -> bool:
    """Checkpoints ``a`` and ``b`` are an entry/exit pair at one place (not the finish).

    Such a pair may share its barrier: no stop between them, nothing to run.
    """
    return grid.cp_node[a] == grid.cp_node[b] and b != len(grid.cp_node) - 1


def _out_of_order(grid, fixed: np.ndarray) -> tuple[int, int] | None:
    """The first two consecutive fixed cutoffs (rows ``a`` < ``b``, NaN: none) that do not
    increase, ``b``'s not after ``a``'s (an entry/exit pair at one place may share its
    barrier); None when they all do."""
    anchors = np.flatnonzero(np.isfinite(fixed))
    for a, b in zip(anchors[:-1], anchors[1:], strict=True):
        if fixed[b] < fixed[a] or (fixed[b] == fixed[a] and not _same_place(grid, a, b)):
            return int(a), int(b)
    return None


class _FixedContradiction(PlanError):
    """Two fixed cutoffs that :func:`solve` cannot both keep; ``row`` is the later one's,
    for :func:`plan` to say where it is written in the course file."""

    def __init__(self, message: str, *, row: int):
        super().__init__(message)
        self.row = row


def _contradiction(names, fixed: np.ndarray, a: int, b: int) -> str:
    return (
        f"fixed cutoffs contradict each other: {names[a]!r} at {fixed[a] / 3600:.2f} h "
        f"is not before {names[b]!r} at {fixed[b] / 3600:.2f} h"
    )


def _piece_error(names, anchors: np.ndarray, a: int, b: int, reason: str) -> PlanError:
    """The error of a piece (rows ``a`` to ``b``, anchored at ``anchors``) the reference
    runner cannot run, for ``reason``: the limit is too short when the piece is the whole
    race, else the fixed cutoff that bounds it is too early (``b``'s) or too late for the
    limit (``a``'s, the piece ending at the finish), with its row (:func:`plan` says where
    the course file writes it)."""
    last = len(names) - 1
    if a == 0 and b == last:
        where = (
            f"round the loop from {names[a]!r}"  # not "between 'X' and 'X'"
            if names[a] == names[b]
            else f"between {names[a]!r} and {names[b]!r}"
        )
        return PlanError(f"limit too short: {where} {reason}")
    if b < last:
        since = f" ({anchors[a] / 3600:.2f} h)" if a > 0 else ""
        return _FixedContradiction(
            f"fixed cutoff at {names[b]!r} ({anchors[b] / 3600:.2f} h) too early: "
            f"from {names[a]!r}{since} {reason}",
            row=b,
        )
    return _FixedContradiction(
        f"fixed cutoff at {names[a]!r} ({anchors[a] / 3600:.2f} h) too late for the limit: "
        f"from there to {names[b]!r} {reason}",
        row=a,
    )


def _cutoff_where(course, legs, j: int) -> str:
    """Where the fixed cutoff of legs row ``j`` is written, in the form of the course
    file's other errors (``course._Ctx``): ``checkpoints[3] ('Refuge') key 'cutoff'``."""
    spec = legs.specs[j]
    i = next((k for k, sp in enumerate(course.checkpoints) if sp is spec), None)
    table = f"checkpoints[{i}] ({legs.names[j]!r})" if i is not None else repr(legs.names[j])
    return f"{table} key 'cutoff'"


def round_up_clock(elapsed_s: float, start: dt.datetime | None, minutes: float) -> float:
    """Round an elapsed time up to a whole multiple of ``minutes`` on the clock [s].

    Parameters
    ----------
    elapsed_s : float
        Real time from the start [s].
    start : datetime or None
        Aware start, in the time zone whose wall clock is meant (the course's).
        Without one the elapsed time itself is rounded.
    minutes : float
        Step of the clock grid [min], counted from each local midnight; 0: no rounding.

    Returns
    -------
    float
        Real time from the start to the first instant at or after ``elapsed_s``
        that the wall clock shows as a multiple of ``minutes`` [s].

    Notes
    -----
    The grid is on the wall clock at the barrier itself, not at the start:
    after a daylight-saving change the start's offset would shift it by the
    change, which a step that does not divide the change notices (Lord Howe
    Island's 30 min with a 60 min step; any 1 h change with 45 min, 2 h or a
    day). When the clocks change before the next grid point, the instant of
    the change counts as read on the new clock (02:59 summer time, 15 min:
    the clocks going back show 02:00, one minute later).
    """
    if not minutes:
        return float(elapsed_s)
    step = minutes * 60.0
    if start is None:
        return math.ceil(elapsed_s / step - 1e-9) * step
    tz = start.tzinfo
    t = start.astimezone(dt.UTC) + dt.timedelta(seconds=float(elapsed_s))

    def offset(u: dt.datetime) -> dt.timedelta:
        return u.astimezone(tz).utcoffset() or dt.timedelta(0)

    def next_on_grid(wall: dt.datetime) -> dt.datetime:  # naive wall time -> grid, up
        midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
        j = math.ceil((wall - midnight).total_seconds() / step - 1e-9)
        if j * step >= 86400.0 - 1e-6:
            return midnight + dt.timedelta(days=1)
        return midnight + dt.timedelta(seconds=j * step)

    u = t
    for _ in range(8):  # one pass per clock change before the grid point (one at most)
        off = offset(u)
        wall = (u + off).replace(tzinfo=None)
        cand = (next_on_grid(wall) - off).replace(tzinfo=dt.UTC)
        if offset(cand) == off:
            # from the start, not from t: t holds elapsed_s rounded to the microsecond, and
            # elapsed_s + (cand - t) left that residue (+-5e-7 s) in barriers that should be
            # equal, so equal barriers could read as decreasing (black-box finding K8)
            return (cand - start.astimezone(dt.UTC)).total_seconds()
        # the clocks change before it: go on from the change, on the new clock
        lo, hi = u, cand
        while (hi - lo).total_seconds() > 1e-3:
            mid = lo + (hi - lo) / 2
            lo, hi = (mid, hi) if offset(mid) == off else (lo, mid)
        u = hi.replace(microsecond=0) if offset(hi.replace(microsecond=0)) != off else hi
    raise AssertionError("round_up_clock: no grid point found")  # pragma: no cover


def solve(
    grid: CourseGrid,
    *,
    limit_s: float,
    params: PaceParams = TRAIL_2024,
    dwell=None,
    fixed=None,
    start: dt.datetime | None = None,
    dark: np.ndarray | None = None,
    round_minutes: float = 15,
    names=None,
    barrier=None,
) -> Solution:
    """Solve the reference last finisher and the leader on a course grid.

    Parameters
    ----------
    grid : CourseGrid
        From :func:`course_grid`.
    limit_s : float
        Overall limit [s].
    params : PaceParams
        Reference runner (default :data:`coursekit.pace.TRAIL_2024`).
    dwell : array_like, optional
        Planned stop at each checkpoint row [s] (the start and finish rows are ignored).
    fixed : array_like, optional
        Fixed barrier at each row [s from start], NaN where free (start and
        finish rows ignored: 0 and the limit).
    start : datetime, optional
        Aware start, for clock rounding.
    dark : ndarray, optional
        Dark intervals [s from start] (:func:`coursekit.sun.dark_intervals`);
        none means no night.
    round_minutes : float, default 15
        Barriers rounded up to this clock step (0: no rounding) [min]; a barrier that
        rounding would put on the limit while the next barrier row needs time keeps
        its departure deadline, unrounded (a warning says so).
    names : sequence of str, optional
        Checkpoint names for error messages.
    barrier : array_like of bool, optional
        False at the rows that stop nobody (``barrier = false``): their time
        is still solved and rounded, but the warning on rounding that
        shortens a leg compares consecutive barriers only. Default: every row.

    Returns
    -------
    Solution

    Raises
    ------
    PlanError
        Limit too short for the course, fixed cutoffs contradicting each other
        or beyond the limit.
    """
    ncp = grid.cp_node.size
    names = list(names) if names is not None else [f"checkpoint {i}" for i in range(ncp)]
    if not (limit_s > 0 and math.isfinite(limit_s)):
        raise PlanError(f"limit must be a positive duration, got {limit_s} s")
    if not 0 <= round_minutes <= 1440:
        raise PlanError(f"rounding must be 0 to 1440 minutes (a day), got {round_minutes}")
    dw = np.zeros(ncp) if dwell is None else np.asarray(dwell, float).copy()
    dw[0] = 0.0
    dw[-1] = 0.0
    fx = np.full(ncp, np.nan) if fixed is None else np.asarray(fixed, float).copy()
    fx[0] = 0.0
    fx[-1] = limit_s
    fixed_mask = np.isfinite(fx)
    fixed_mask[0] = False
    fixed_mask[-1] = False
    warnings = []
    # fixed cutoffs must increase and stay inside the limit
    bad = _out_of_order(grid, fx)
    if bad is not None:
        a, b = bad
        if b == ncp - 1:
            raise PlanError(
                f"fixed cutoff at {names[a]!r} ({fx[a] / 3600:.2f} h) is not before "
                f"the limit ({limit_s / 3600:.2f} h)"
            )
        raise _FixedContradiction(_contradiction(names, fx, a, b), row=b)

    def run(pp: PaceParams, fatigue: float, targets: np.ndarray, label: str):
        cost = _static_cost(grid, pp, fatigue)
        # with relief, |grade| is the steepness of both the climb and the descent shares
        extra = pp.night_base + pp.night_steep * np.abs(grid.grade)
        arr = np.zeros(ncp)
        speed = np.full(ncp, np.nan)
        node_t = np.full(grid.node.size, np.nan)  # the march's time at every grid node
        anc = np.flatnonzero(np.isfinite(targets))
        for a, b in zip(anc[:-1], anc[1:], strict=True):
            n0, n1 = grid.cp_node[a], grid.cp_node[b]
            t0 = targets[a]  # the piece starts at the departure from checkpoint a
            c = cost[n0:n1]
            e = extra[n0:n1]
            # stops of the checkpoints strictly inside the piece, before moving along the
            # cell that starts at their node; those at b's own node (an entry/exit pair
            # located at one distance) come before b's arrival
            de = np.zeros(n1 - n0)
            end_stop = 0.0
            for j in range(a + 1, b):
                k = grid.cp_node[j] - n0
                if k < de.size:
                    de[k] += dw[j]
                else:
                    end_stop += dw[j]
            what = f"{label} from {names[a]!r} to {names[b]!r}"
            t1 = targets[b] - dw[b] - end_stop
            if n1 == n0:
                # both ends at one distance (an entry/exit pair, both barriers fixed): no
                # moving; the time between them is the stop, which must hold the planned ones
                if t1 < t0 - 1e-6:
                    raise _FixedContradiction(
                        f"fixed cutoffs contradict each other: {names[b]!r} at "
                        f"{targets[b] / 3600:.2f} h leaves {(targets[b] - t0) / 60:.0f} min "
                        f"after {names[a]!r} at {t0 / 3600:.2f} h, at the same place, for "
                        f"planned stops of {(targets[b] - t1) / 60:.0f} min",
                        row=b,
                    )
                stopped = 0.0
                for j in range(a + 1, b):
                    arr[j] = t0 + stopped
                    stopped += dw[j]
                arr[b] = t1 + end_stop  # = its barrier minus its own stop: the rest is waiting
                continue  # speed stays NaN: nothing to run
            if t1 - t0 - de.sum() <= 0 and c.sum() > 0:
                # the planned stops fill the piece: say what bounds it, as the pace check
                stops = (targets[b] - t1 + de.sum()) / 60
                reason = f"the planned stops ({stops:.0f} min) leave no time for moving"
                raise _piece_error(names, targets, a, b, reason)
            pace = _solve_piece(c, e, t0, t1, de, dark, what)
            if pace <= 0 and c.sum() > 0:
                raise PlanError(f"{what}: impossible pace")
            times = _march(c, e, t0, pace, de, dark)
            # the night factor is one per cell (at its mid time), so the march's end jumps
            # with the pace where a cell crosses dusk or dawn and the root lands on a jump
            # (up to ~1 min off t1 on real courses): the miss is spread over the moving
            # time, so the piece ends exactly at its target
            miss = t1 - times[-1]
            if miss:
                moving = np.concatenate([[0.0], np.cumsum(np.diff(times) - de)])
                if moving[-1] > 0:
                    times = times + miss * (moving / moving[-1])
            node_t[n0 : n1 + 1] = times
            # arrival: the time at the node plus the stops already made there by the
            # checkpoints before it at the same distance
            stopped: dict[int, float] = {}
            for j in range(a + 1, b + 1):
                k = int(grid.cp_node[j] - n0)
                arr[j] = times[k] + stopped.get(k, 0.0)
                stopped[k] = stopped.get(k, 0.0) + dw[j]
                speed[j] = 1.0 / pace if pace > 0 else np.inf
        return arr, speed, node_t

    arrival, speed, ref_node_t = run(params, params.fatigue, fx, "reference runner")
    departure = arrival + dw
    departure[-1] = limit_s
    # plausibility of the whole plan: fresh flat speed of the reference runner
    vmax = float(np.nanmax(speed)) if np.isfinite(speed).any() else 0.0
    if vmax > MAX_FLAT_SPEED:
        j = int(np.nanargmax(speed))
        anchors = np.flatnonzero(np.isfinite(fx))
        a = int(anchors[anchors < j][-1])
        b = int(anchors[anchors >= j][0])
        need = (
            f"the last finisher would need a fresh flat pace of {1000 / vmax / 60:.1f} min/km "
            f"(faster than {1000 / MAX_FLAT_SPEED / 60:.1f} min/km: coursekit plans races on "
            "foot, not by bike)"
        )
        raise _piece_error(names, fx, a, b, need)

    stops = np.ones(ncp, bool) if barrier is None else np.asarray(barrier, bool).copy()
    stops[0] = stops[-1] = True
    cutoff = departure.copy()
    # the next anchor after each row: the first fixed cutoff after it, else the limit
    # (a free barrier is never rounded onto or past it: barriers would go backwards)
    cap = np.full(ncp, float(limit_s))
    cap_row = np.full(ncp, ncp - 1)
    for j in range(ncp - 2, 0, -1):
        nxt = j + 1
        cap[j], cap_row[j] = (fx[nxt], nxt) if fixed_mask[nxt] else (cap[nxt], cap_row[nxt])
    for j in range(1, ncp - 1):
        if fixed_mask[j]:
            cutoff[j] = fx[j]
            continue
        cutoff[j] = round_up_clock(departure[j], start, round_minutes)
        c = float(cap[j])
        if cutoff[j] >= c - LIMIT_KEEP_S and departure[j] < c - LIMIT_KEEP_S:
            # rounded up onto the limit (or the next fixed cutoff), a barrier would leave
            # nothing for the rows after it, which need time (a published finish short of
            # the GPX end): it keeps the reference passage, unrounded, rather than a second
            # barrier at the anchor's time or one past it
            cutoff[j] = departure[j]
            if stops[j]:
                k = j + 1 + int(np.argmax(stops[j + 1 :]))  # the next barrier row
                need = (limit_s if k == ncp - 1 else departure[k]) - departure[j]
                on = (
                    "the limit"
                    if cap_row[j] == ncp - 1
                    else f"or past the fixed cutoff at {names[cap_row[j]]!r} ({_elapsed(c)})"
                )
                warnings.append(
                    f"the barrier at {names[j]!r} is the reference passage "
                    f"({_elapsed(departure[j])} from the start), not rounded up to "
                    f"{round_minutes:g} min: that would put it on {on}, leaving 0 min "
                    f"of the {max(round(need / 60), 1)} min the reference last finisher "
                    f"needs to {names[k]!r}"
                )
        cutoff[j] = min(cutoff[j], c)
    cutoff[0] = 0.0
    cutoff[-1] = limit_s
    # rounding each barrier up on its own can shorten the time between two of them below
    # what the reference last finisher needs for that leg: say so (a runner who leaves at
    # the first barrier, at the reference pace, misses the second)
    # (between barriers only: a row with barrier = false stops nobody, whatever its time)
    if round_minutes > 0:
        rows = np.flatnonzero(stops)
        for i, j in zip(rows[:-1], rows[1:], strict=True):
            if fixed_mask[j] and fixed_mask[i]:  # both published: the organiser's pair
                continue
            need = departure[j] - (departure[i] if i > 0 else 0.0)
            got = cutoff[j] - cutoff[i]
            short = min(SQUEEZE_MIN_S, SQUEEZE_SHARE * need)
            if need > 0 and got < SQUEEZE_RATIO * need and need - got >= short:
                warnings.append(
                    f"rounding to {round_minutes:g} min leaves {round(got / 60)} min between the "
                    f"barriers at {names[i]!r} and {names[j]!r}; the reference last "
                    f"finisher needs {round(need / 60)} min ("
                    + (
                        "round to 5 min)"
                        if j == ncp - 1
                        else "round to 5 min, or keep one of the two)"
                    )
                )

    # leader: same model, leader parameters, finish from the limit and the km-effort
    # (never after the limit; then never after the reference runner anywhere)
    lead_finish = float(
        leader_time(
            limit_s,
            course_effort(grid),
            fraction=params.leader_fraction,
            speed=params.leader_speed,
            weight=params.leader_weight,
        )
    )
    lead_targets = np.full(ncp, np.nan)
    lead_targets[0] = 0.0
    lead_targets[-1] = min(lead_finish, limit_s)
    lead_params = params.with_(night_base=params.night_base / 2, night_steep=params.night_steep / 2)
    saved = dw.copy()
    dw[:] = 0.0
    try:
        first, _, _ = run(lead_params, params.leader_fatigue, lead_targets, "leader")
    finally:
        dw[:] = saved
    first = np.minimum(first, arrival)
    opens = first * (1.0 - params.leader_margin)

    # night flags and sections of the reference runner
    from .sun import dark_mask

    if dark is not None and dark.size:
        night = dark_mask(arrival, dark)
        # the reference runner's own march at every node (interpolating between the
        # checkpoints put the ends of the night 19-38 min off on the calibration races,
        # 1.9 h on the Tor des Geants: sections up to 4 km off); nodes no march crossed
        # (between two fixed cutoffs at one place) between the checkpoints' arrivals
        node_t = ref_node_t.copy()
        gap = ~np.isfinite(node_t)
        if gap.any():
            node_t[gap] = np.interp(grid.node[gap], grid.node[grid.cp_node], arrival)
        nd = dark_mask(node_t, dark)
        sections = []
        i = 0
        while i < nd.size:
            if nd[i]:
                k = i
                while k + 1 < nd.size and nd[k + 1]:
                    k += 1
                if grid.node[k] - grid.node[i] >= NIGHT_SECTION_MIN_M:
                    sections.append((float(grid.node[i]), float(grid.node[k])))
                i = k + 1
            else:
                i += 1
    else:
        night = np.zeros(ncp, dtype=bool)
        sections = []
    return Solution(
        arrival=arrival,
        departure=departure,
        cutoff=cutoff,
        first_arrival=first,
        night=night,
        night_sections=tuple(sections),
        speed=speed,
        fixed=fixed_mask,
        warnings=tuple(warnings),
        opens=opens,
    )


# ---------------------------------------------------------------- Plan on a Course


NO_ELEVATION_WARNING = (
    "the GPX has no elevation: barriers and ETAs are those of a flat course (no D+/D-)"
)
"""Plan warning of a track without elevation (``coursekit check`` says it as
``no-elevation``)."""


def course_warnings(course, legs) -> list[str]:
    """Warnings about the course file that the plan repeats (``coursekit check`` reports
    them itself): a start offset that contradicts the time zone, checkpoints whose ``km``
    is past the end of the course (placed at the finish), a first or last checkpoint near
    the track's end kept as a row of its own (:func:`coursekit.checkpoints.end_notes`),
    the GPX run on past a finish (before a start) named so
    (:func:`coursekit.checkpoints.gpx_cut_notes`), a finish placed by km short of the GPX's
    end (:func:`coursekit.checkpoints.finish_km_notes`),
    a checkpoint name used twice, a checkpoint away from its ``declared_km``, a stretch
    with no station longer than :data:`coursekit.checkpoints.MAX_STRETCH_KM_EFFORT`,
    checkpoints whose altitude is an estimate (the ``check`` texts, from
    :mod:`coursekit.checkpoints`), a track without elevation."""
    from .checkpoints import end_km_text, km_slack_m, km_table_drift

    out = []
    end_km = float(np.asarray(legs.along, float)[-1]) / 1000.0 if hasattr(legs, "along") else None
    specs = specs_file = tuple(getattr(course, "checkpoints", ()))
    for i, sp in enumerate(specs):
        if (
            end_km is not None
            and sp.km is not None
            and sp.km * 1000 > end_km * 1000 + km_slack_m(sp.km)
        ):
            out.append(
                f"{sp.name!r} at km {sp.km:g} is beyond the end of the course "
                f"(km {end_km_text(end_km * 1000, sp.km)}): "
                "placed at the finish" + km_table_drift(specs, i, end_km * 1000)
            )
    if getattr(course, "info", {}).get("start_offset_note"):
        out.append(course.info["start_offset_note"])
    out.extend(getattr(course, "info", {}).get("ambiguous_times", ()))
    if hasattr(course, "start"):
        from .checkpoints import clock_place_notes

        out.extend(clock_place_notes(course))
    specs = getattr(legs, "specs", ())
    tol = getattr(course, "tolerance_m", None)
    if tol is not None and len(specs):
        from .checkpoints import _said_not, end_notes  # _said_not: start/finish = false

        rows = [i for i, sp in enumerate(specs) if sp is not None]
        listed = tuple(getattr(course, "checkpoints", ()) or ())
        first, last = (specs[rows[0]], specs[rows[-1]]) if rows else (None, None)
        out += end_notes(
            [legs.names[i] for i in rows],
            np.asarray(legs.distance, float)[rows],
            float(course.profile.total_distance),
            tol,
            not_start=bool(listed) and _said_not(first, "start", first is listed[0]),
            not_finish=bool(listed) and _said_not(last, "finish", last is listed[-1]),
        )
    from .checkpoints import finish_km_notes, gpx_cut_notes, named_far_notes, start_km_notes

    out += gpx_cut_notes(course)
    out += named_far_notes(course)
    out += [msg for _level, msg in start_km_notes(specs_file)]
    if end_km is not None:
        out += [msg for _level, msg in finish_km_notes(specs_file, end_km * 1000.0)]
    prof = getattr(course, "profile", None)
    if prof is not None and not getattr(prof, "has_elevation", True):
        out.append(NO_ELEVATION_WARNING)
    note = proposed_note(course)
    if note:
        out.append(note)
    out += _spec_notes(course, legs)
    return out


def limit_proposed(course) -> bool:
    """The course's limit comes from a ``[[proposed]]`` table: none is published, and
    every barrier rests on it (``course.info["limit_proposed"]``)."""
    return bool((getattr(course, "info", {}) or {}).get("limit_proposed", False))


def proposed_note(course) -> str | None:
    """The plan's warning that values it rests on are proposed, not published: the course
    file's ``[[proposed]]`` tables (a proposed ``limit`` only when the file gives none),
    each with its value; ``coursekit check`` gives the basis of each."""
    info = getattr(course, "info", {}) or {}
    used = [
        p
        for p in info.get("proposed", ())
        if isinstance(p, dict) and (p.get("field") != "limit" or limit_proposed(course))
    ]
    if not used:
        return None
    what = ", ".join(f"{p['field']} = {p['value']}" for p in used)
    return (
        f"proposed, not published ([[proposed]] in the course file): {what}; the barriers "
        "rest on them (`coursekit check` gives the basis of each)"
    )


def _spec_notes(course, legs) -> list[str]:
    """The ``check`` warnings on checkpoint names, declared km and long stretches, from
    the legs table (:func:`coursekit.checkpoints.located_from_legs`)."""
    from .checkpoints import (
        added_rows,
        declared_km_notes,
        declared_stretch_notes,
        duplicate_name_notes,
        end_name_notes,
        estimated_altitude_notes,
        located_from_legs,
        long_stretch_notes,
        same_place_notes,
    )
    from .course import DEFAULT_TOLERANCE_M

    specs = tuple(getattr(course, "checkpoints", ()))
    out = []
    row_specs = getattr(legs, "specs", ())
    if specs and len(row_specs):
        located, km, km_of = located_from_legs(specs, legs, course.profile)
        tol = getattr(course, "tolerance_m", None) or DEFAULT_TOLERANCE_M
        end = float(course.profile.distance[-1])
        out += end_name_notes(specs, km)
        out += duplicate_name_notes(specs, located, km_of, tol, end_m=end, added=added_rows(legs))
        out += declared_km_notes(specs, km)
        out += declared_stretch_notes(course)
    if len(row_specs):
        out += same_place_notes(legs)
        out += long_stretch_notes(legs)
        track = getattr(course, "track", None)
        if track is not None and getattr(track, "waypoints", None):
            out += estimated_altitude_notes(track, row_specs)
    return out


@dataclass(frozen=True, eq=False)
class Plan:
    """Barriers, leader ETAs and night of a course (see docs/INTERFACES.md)."""

    course: object
    legs: object
    model: str
    cutoff_elapsed: np.ndarray
    cutoff: tuple
    arrival_elapsed: np.ndarray
    first_arrival_elapsed: np.ndarray
    first_arrival: tuple
    night: np.ndarray
    required_pace: np.ndarray
    night_sections: tuple
    sun: tuple
    fixed: np.ndarray
    warnings: tuple
    dwell: np.ndarray = None  # planned stop per row [s]
    params: PaceParams = None
    round_minutes: float = 15
    opens_elapsed: np.ndarray = None  # station opening [s from start] (conservative)
    opens: tuple = ()  # station opening (aware datetimes)
    no_barrier: np.ndarray = None  # per row: marked barrier = false (never the start)

    @property
    def is_barrier(self) -> np.ndarray:
        """Per row: True where runners are stopped (not the start, not ``barrier = false``)."""
        out = np.ones(len(self.cutoff_elapsed), bool)
        if self.no_barrier is not None:
            out &= ~np.asarray(self.no_barrier, bool)
        out[0] = False
        return out

    @property
    def night_along(self) -> tuple:
        """:attr:`night_sections` along the course, as the tables count km (on the slope
        but on schematic sketches and tracks without altitude) [m]: ``((start, end), ...)``."""
        d = np.asarray(self.legs.distance, float)
        along = np.asarray(getattr(self.legs, "along", d), float)
        return tuple(
            (float(np.interp(a, d, along)), float(np.interp(b, d, along)))
            for a, b in self.night_sections
        )


class CourseSetup(NamedTuple):
    """What every solve on a course needs: grid, local start, place (for the sun)."""

    grid: CourseGrid
    start: dt.datetime  # aware, in the course's time zone
    lat: float  # mean of the track [degrees]
    lon: float


def spread_relief(course) -> tuple[float, float]:
    """D+ and D- per metre [m/m] that a declared figure spread over the course's profile.

    Non-zero when the course was scaled to a declared D+ (D-) above the one its track
    shows (:func:`coursekit.course.scale_profile`, method ``spread``: a sketch through
    places, or a track smoother than the terrain): the legs table counts those metres,
    and so does the solver (``relief`` of :func:`course_grid`).
    """
    scale = (getattr(course, "info", None) or {}).get("scale") or {}
    total = float(course.profile.distance[-1]) if len(course.profile.distance) else 0.0
    if total <= 0:
        return (0.0, 0.0)
    return tuple(
        float(scale.get(f"{what}_added_m", 0.0)) / total
        if scale.get(f"{what}_method") == "spread"
        else 0.0
        for what in ("gain", "loss")
    )


def course_setup(course, legs) -> CourseSetup:
    """:class:`CourseSetup` of a course and its located checkpoints (``legs.distance``)."""
    prof = course.profile
    grid = course_grid(
        prof.distance,
        prof.elevation,
        prof.gain,
        np.asarray(legs.distance, float),
        relief=spread_relief(course),
    )
    return CourseSetup(
        grid=grid,
        start=in_zone(course.start, getattr(course, "timezone", None)),
        lat=float(np.nanmean(prof.track.lat)),
        lon=lon_centre(np.asarray(prof.track.lon, float)),  # not a mean across +-180
    )


def spec_arrays(course, legs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the course file fixes at each row, whatever the pace parameters.

    Parameters
    ----------
    course : Course
    legs : Legs
        :func:`coursekit.checkpoints.course_legs` of the course.

    Returns
    -------
    dwell : ndarray
        Planned stop at each row [s]; 0 on the start and finish rows, where the solver
        counts none (the race starts at the start, ends at the limit): the plan warns of
        a stop given there (:func:`end_dwell_note`).
    fixed : ndarray
        Fixed cutoffs [s after the start], NaN where none.
    no_barrier : ndarray of bool
        Rows with ``barrier = false`` (a station that may close, not a barrier).

    Raises
    ------
    PlanError
        ``barrier = false`` on the finish, whose barrier is the limit.
    """
    from .clock import seconds_between

    names = list(legs.names)
    n = len(names)
    dwell = np.zeros(n)
    fixed = np.full(n, np.nan)
    no_barrier = np.zeros(n, bool)
    for j, spec in enumerate(legs.specs):
        if spec is None:
            continue
        dwell[j] = float(getattr(spec, "dwell_s", 0.0) or 0.0)
        if j and not getattr(spec, "barrier", True):
            if j == n - 1:
                raise PlanError(
                    f"{course.path}: {names[j]!r} is the finish, whose barrier is the limit: "
                    "remove its barrier = false"
                )
            no_barrier[j] = True
        if spec.cutoff is not None:
            fixed[j] = seconds_between(course.start, spec.cutoff)
    dwell[0] = dwell[-1] = 0.0  # as solve() counts them (a finish stop gave a false
    # "no time to move" to the last leg, review M5)
    return dwell, fixed, no_barrier


def end_dwell_note(legs) -> str | None:
    """A plan warning for a ``dwell`` on the start or finish row, which no plan counts."""
    specs = list(getattr(legs, "specs", ()))
    if len(specs) < 2:
        return None
    rows = [(j, sp) for j, sp in ((0, specs[0]), (len(specs) - 1, specs[-1])) if sp is not None]
    given = [(j, sp) for j, sp in rows if float(getattr(sp, "dwell_s", 0.0) or 0.0) > 0]
    if not given:
        return None
    what = " and ".join(
        f"{legs.names[j]!r} ({'start' if j == 0 else 'finish'}, {sp.dwell_s / 60:.0f} min)"
        for j, sp in given
    )
    return (
        f"dwell at {what} not counted: the race starts at the start and ends at the limit "
        "(give the stop to the checkpoint before or after)"
    )


def plan_dark(course, lat: float, lon: float, start) -> np.ndarray:
    """The dark intervals a plan of ``course`` is solved with [s after ``start``].

    They run an hour past the limit: the intervals are half-open and clipped to their
    span, so a finish at the limit in the dark would not be flagged night (or only by the
    rounding of its arrival a few picoseconds short of the limit); nothing runs after it.
    :func:`plan` and ``coursekit calibrate`` use the same intervals.
    """
    from .sun import dark_intervals

    return dark_intervals(lat, lon, start, float(course.limit_s) + 3600.0)


def plan(course, *, model="trail", fatigue=None, round_minutes=15, legs=None, params=None) -> Plan:
    """Time barriers of a course inside its overall limit.

    Parameters
    ----------
    course : Course
        From :func:`coursekit.course.load_course`.
    model : str, default "trail"
        Grade model (see :data:`coursekit.pace.GRADE_MODELS`).
    fatigue : float, optional
        Speed lost per 100 km-effort [-], overriding the calibrated value.
    round_minutes : {0, 5, 15, ...}, default 15
        Barriers rounded up to this clock step [min]; 0 keeps the exact times.
    legs : Legs, optional
        Precomputed :func:`coursekit.checkpoints.course_legs`.
    params : PaceParams, optional
        A full parameter set (e.g. from ``coursekit calibrate``); overrides
        ``model`` and ``fatigue``.

    Returns
    -------
    Plan
    """
    from .clock import after
    from .sun import sun_days

    if params is None:
        params = params_for(model, fatigue=fatigue)
    if legs is None:
        from .checkpoints import course_legs

        legs = course_legs(course)
    limit = float(course.limit_s)
    setup = course_setup(course, legs)
    grid, start, lat, lon = setup
    cp = np.asarray(legs.distance, float)
    names = list(legs.names)
    n = len(names)
    dwell, fixed, no_barrier = spec_arrays(course, legs)
    bad = np.isfinite(fixed[-1]) and finish_cutoff_problem(
        _cutoff_where(course, legs, n - 1), course, fixed[-1]
    )
    if bad:
        raise PlanError(f"{course.path}: {bad}")
    for j in range(1, n - 1):
        late = cutoff_limit_problem(_cutoff_where(course, legs, j), course, fixed[j])
        if np.isfinite(fixed[j]) and late:  # at the limit too: solve refuses it
            raise PlanError(f"{course.path}: {late}")
        if np.isfinite(fixed[j]) and fixed[j] <= 0:
            # a date-time written with the start's date (as `check` says)
            hint = (
                " (the next day would be inside the race: a date-time written with the "
                "start's date?)"
                if 0 < fixed[j] + 86400.0 <= limit
                else ""
            )
            raise PlanError(
                f"{course.path}: {_cutoff_where(course, legs, j)}: the fixed cutoff "
                f"({fixed[j] / 3600:.2f} h) is not after the start "
                f"({course.start.isoformat()}){hint}"
            )
    dark = plan_dark(course, lat, lon, start)
    try:
        sol = solve(
            grid,
            limit_s=limit,
            params=params,
            dwell=dwell,
            fixed=fixed,
            start=start,
            dark=dark,
            round_minutes=round_minutes,
            names=names,
            barrier=~no_barrier,
        )
    except _FixedContradiction as exc:
        raise PlanError(f"{course.path}: {_cutoff_where(course, legs, exc.row)}: {exc}") from None
    except PlanError as exc:
        raise PlanError(f"{course.path}: {exc}") from None
    cut_dt = tuple(after(start, s) for s in sol.cutoff)
    first_dt = tuple(after(start, s) for s in sol.first_arrival)
    # per along-course km, the km the tables print (on the slope), not the map km of the grid
    leg_d = np.diff(np.asarray(getattr(legs, "along", cp), float), prepend=0.0)
    leg_t = np.diff(sol.cutoff, prepend=0.0) - dwell
    with np.errstate(divide="ignore", invalid="ignore"):
        # no time left for the leg (an entry/exit pair whose stop the rounding ate, say so
        # the squeeze warning): no pace, rather than a negative one
        req = np.where((leg_d > 0) & (leg_t > 0), leg_t / leg_d, np.nan)
    req[0] = np.nan
    warnings = list(sol.warnings) + course_warnings(course, legs)
    note = end_dwell_note(legs)
    if note:
        warnings.append(note)
    if getattr(course, "schematic", False):
        warnings.append(sketch_warning(course))
    sun = sun_days(lat, lon, start, after(start, limit))
    pl = Plan(
        course=course,
        legs=legs,
        model=params.describe(),
        cutoff_elapsed=sol.cutoff,
        cutoff=cut_dt,
        arrival_elapsed=sol.arrival,
        first_arrival_elapsed=sol.first_arrival,
        first_arrival=first_dt,
        night=sol.night,
        required_pace=req,
        night_sections=sol.night_sections,
        sun=sun,
        fixed=sol.fixed,
        warnings=tuple(warnings),
        dwell=dwell,
        params=params,
        round_minutes=round_minutes,
        opens_elapsed=sol.opens,
        opens=tuple(after(start, s) for s in sol.opens),
        no_barrier=no_barrier,
    )
    # the barriers' own findings (implausible pace between two barriers, a finish out of
    # reach...): every plan's reader sees them, not only `check`'s
    found = [w for w in check_plan(pl, grid=setup.grid) if w not in pl.warnings]
    return replace(pl, warnings=pl.warnings + tuple(found)) if found else pl


def model_runner(
    grid: CourseGrid, *, params: PaceParams, start, lat: float, lon: float, dwell=None, names=None
):
    """The pace model's runners on one course, by finish time and fatigue.

    Returns a function ``runner(finish_s, fatigue)`` giving the arrivals [s from
    start] of the model runner (``params`` with that ``fatigue``) who finishes
    in ``finish_s`` without barriers or rounding, the model leader's arrivals
    (same fatigue for the reference, ``params.leader_*`` for the leader) and the
    runner's fresh flat speed v0 [m/s]. Used to place a runner of a past
    field (median finisher) on the course: :func:`coursekit.event.history_race`.

    :func:`solve` refuses a runner faster than 4 min/km on the flat (a limit
    too short for a last finisher); a median runner may be that fast, so a
    slower runner of the same shape is solved and its times scaled (the
    model's times scale with 1/v0; the night is then counted on the slower
    runner's clock, a small approximation for fast runners only).
    """
    from .sun import dark_intervals

    def runner(finish_s: float, fatigue: float):
        k = 1.0
        while True:
            try:
                sol = solve(
                    grid,
                    limit_s=k * finish_s,
                    params=params.with_(fatigue=float(fatigue)),
                    dwell=dwell,
                    start=start,
                    dark=dark_intervals(lat, lon, start, 1.5 * k * finish_s),
                    round_minutes=0,
                    names=names,
                )
                break
            except PlanError:
                if k > 8:
                    raise
                k *= 1.5
        return sol.arrival / k, sol.first_arrival / k, float(sol.speed[-1]) * k

    return runner


def plan_runner(plan: Plan, *, params: PaceParams | None = None):
    """:func:`model_runner` on the course, parameters (or ``params``) and stops of ``plan``."""
    grid, start, lat, lon = course_setup(plan.course, plan.legs)
    return model_runner(
        grid,
        params=plan.params if params is None else params,
        start=start,
        lat=lat,
        lon=lon,
        dwell=plan.dwell,
        names=list(plan.legs.names),
    )


# ---------------------------------------------------------------- checks


def check_plan(plan: Plan, *, grid: CourseGrid | None = None) -> list[str]:
    """Findings on a plan (empty list when everything is consistent).

    Checks: barriers strictly increase; the flat-equivalent speed needed
    between consecutive barriers is plausible (:data:`PLAUSIBLE_LEG_SPEED`);
    from every barrier the finish is reachable at the reference pace; the
    leader does not arrive after a barrier. The speed and reachability checks
    skip rows with ``barrier = false``, whose time stops nobody.
    """
    out = []
    names = list(plan.legs.names)
    c = np.asarray(plan.cutoff_elapsed, float)
    if grid is None:  # plan() passes the grid it solved on
        grid = course_setup(plan.course, plan.legs).grid
    for j in range(1, len(c)):
        if not (c[j] > c[j - 1] or (c[j] == c[j - 1] and _same_place(grid, j - 1, j))):
            out.append(
                f"barrier at {names[j]!r} ({c[j] / 3600:.2f} h) is not after the one at "
                f"{names[j - 1]!r} ({c[j - 1] / 3600:.2f} h)"
            )
    cp = np.asarray(plan.legs.distance, float)
    params = plan.params or TRAIL_2024
    cost = _static_cost(grid, params, params.fatigue)
    leg_cost = np.array(
        [cost[grid.cp_node[j - 1] : grid.cp_node[j]].sum() for j in range(1, len(cp))]
    )
    dwell = plan.dwell if plan.dwell is not None else np.zeros(len(c))
    arr = np.asarray(plan.arrival_elapsed, float)
    fixed = np.asarray(plan.fixed, bool).copy()
    fixed[0] = fixed[-1] = True  # the start and the limit are given
    lo, hi = PLAUSIBLE_LEG_SPEED
    # from barrier to barrier: a row with barrier = false stops nobody, its time is a passage
    stops = plan.is_barrier.copy()
    stops[0] = True
    rows = np.flatnonzero(stops)
    pinned = np.flatnonzero(fixed)  # the start, the limit and the course file's cutoffs
    last = len(c) - 1
    told = set()

    def pinned_by(k: int) -> str:
        if k == 0:
            return f"the start at {names[0]!r}"
        if k == last:
            return f"the limit at {names[k]!r} ({c[k] / 3600:.2f} h)"
        return f"the fixed cutoff at {names[k]!r} ({c[k] / 3600:.2f} h)"

    for i, j in zip(rows[:-1], rows[1:], strict=True):
        avail = c[j] - c[i] - dwell[i + 1 : j + 1].sum()
        cost_ij = leg_cost[i:j].sum()
        if cost_ij <= 0:
            continue
        if avail <= 0:
            out.append(f"no time to move from {names[i]!r} to {names[j]!r}")
            continue
        v = cost_ij / avail
        if round(v * 3.6, 1) > round(hi * 3.6, 1):  # as printed: never "10.8 (more than 10.8)"
            # the reference runner's own time for the leg, before the barriers were rounded
            ref = (
                (arr[j] + dwell[j])
                - (arr[i] + dwell[i] if i > 0 else 0.0)
                - dwell[i + 1 : j + 1].sum()
            )
            v_ref = cost_ij / ref if ref > 0 else np.inf
            rounded = plan.round_minutes and not (fixed[i] and fixed[j])
            if rounded and round(v_ref * 3.6, 1) <= round(hi * 3.6, 1):
                pair = f"between the barriers at {names[i]!r} and {names[j]!r};"
                if any(pair in w for w in plan.warnings):
                    continue  # the plan's own warning on rounding already says it
                out.append(
                    f"leg {names[i]!r} -> {names[j]!r}: rounding the barriers to "
                    f"{plan.round_minutes:g} min leaves {avail / 60:.0f} min, "
                    f"{v * 3.6:.1f} km/h flat-equivalent (more than {hi * 3.6:.1f} km/h); the "
                    f"reference last finisher needs {ref / 60:.0f} min (round to 5 min)"
                )
            else:
                # a leg the plan subdivided between two given times (at least one a fixed
                # cutoff of the course file) that leave too little for all the legs between
                # them: those two are the cause, say it once, for them
                a, b = pinned[pinned <= i].max(), pinned[pinned >= j].min()
                span = c[b] - c[a] - dwell[a + 1 : b + 1].sum()
                v_span = leg_cost[a:b].sum() / span if span > 0 else np.inf
                if (a, b) != (i, j) and (a > 0 or b < last) and v_span > hi:
                    if (a, b) not in told:
                        told.add((a, b))
                        speed = (
                            f"{v_span * 3.6:.1f} km/h flat-equivalent"
                            if span > 0
                            else "no time to move"
                        )
                        out.append(
                            f"{pinned_by(a)} and {pinned_by(b)} leave {span / 60:.0f} min "
                            f"for the legs between them: {speed} (more than "
                            f"{hi * 3.6:.1f} km/h); move one of the fixed cutoffs"
                        )
                    continue
                out.append(
                    f"leg {names[i]!r} -> {names[j]!r} needs {v * 3.6:.1f} km/h flat-equivalent "
                    f"between barriers (more than {hi * 3.6:.1f} km/h)"
                )
        elif v < lo:
            out.append(
                f"leg {names[i]!r} -> {names[j]!r} allows {v * 3.6:.2f} km/h flat-equivalent "
                f"between barriers (barriers too loose?)"
            )
    # finish reachable from each barrier at the reference pace: the reference runner
    # needs limit - departure to finish from there; rounding may eat up to one step
    limit = c[-1]
    slack = 60.0 * (plan.round_minutes or 0) + 60.0
    for j in range(1, len(c) - 1):
        if not stops[j]:
            continue
        need = limit - (arr[j] + dwell[j])
        left = limit - c[j]
        if left < need - slack:
            out.append(
                f"from the barrier at {names[j]!r} the finish is not reachable at the reference "
                f"pace: {(need - left) / 60:.0f} min short"
            )
    fa = np.asarray(plan.first_arrival_elapsed, float)
    for j in range(1, len(c)):
        if fa[j] > c[j]:
            out.append(f"the leader's ETA at {names[j]!r} is after its barrier")
    return out
