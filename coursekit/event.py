"""Events: several races together, their shared aid stations, and their fields.

Three layers, one direction:

1. **Races as arrays** (:class:`Race`): names, positions, leader ETA, barriers,
   reference (last finisher) arrivals and per-leg effort of one race. Built
   from a :class:`coursekit.cutoffs.Plan` by :meth:`Race.from_plan`, or
   directly from arrays (tests, split-time files).
2. **Stations** (:func:`group_stations`, :func:`station_table`): checkpoints
   of different races (or the same race passing twice) are one station when
   their normalised names are equal or when they lie within ``radius_m`` of
   each other; each station gets a staffing window ``[open, close]``.
3. **Fields** (:func:`simulate_race`, :func:`simulate_event`): each race's
   field simulated by :func:`coursekit.field.simulate_field` on its arrays;
   :func:`history_race` calibrates a race's field on a past edition's split
   times (:func:`coursekit.field.fit_field`).

:func:`load_event_plan` is the only function here that reads files;
:func:`event_summary` returns plain data (dicts, lists, numbers, ISO strings)
for the JSON output and for the roadbook's event index, drawn by
:func:`coursekit.figures.occupancy_figure`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .clock import DATED_S, after, clock_format, hm, seconds_between
from .errors import CourseFileError, HistoryError, OptionError, PlanError
from .field import (
    DEFAULT_FIELD,
    FIELD_EFFORT_RANGE,
    FIELD_GRADE,
    FIELD_SPEED_LOSS,
    FINISH_SHARE_HAZARD,
    HOUR,
    PEAK_WINDOW_S,
    FieldParams,
    FieldSimulation,
    finish_share_by_effort,
    fit_field,
    fit_reference_fatigue,
    fit_start_compression,
    pace_weights,
    simulate_field,
)
from .geodesy import mean_position
from .history import FINISHER

__all__ = [
    "Race",
    "Passage",
    "Station",
    "Window",
    "STATION_GAP_S",
    "MAX_EVENT_SPAN_DAYS",
    "check_event_span",
    "event_span",
    "EventPlan",
    "BarrierCheck",
    "FIXED_BARRIER_SHARE",
    "Combined",
    "GENERIC_NAMES",
    "normalize_name",
    "group_stations",
    "far_same_names",
    "NAME_MAX_M",
    "PLACE_MAX_M",
    "row_places",
    "station_table",
    "plan_event",
    "load_event_plan",
    "simulate_race",
    "simulate_event",
    "history_race",
    "event_summary",
    "event_timezone",
]

# ---------------------------------------------------------------- names


_APOS = re.compile(r"[\u2019\u2018'`´\u02bc]")
_SEP = re.compile(r"[\s\-\u2010-\u2015_./,;:()]+")


GENERIC_NAMES = frozenset(
    {"start", "finish", "depart", "arrivee", "start finish", "depart arrivee", "arrival", ""}
)
"""Normalised names that never match by name alone (implicit start/finish rows)."""


def normalize_name(name: str) -> str:
    """Normalise a station name for matching: case, accents, apostrophes, hyphens, spaces.

    ``"Tizi-n'Oussem"``, ``"tizi n oussem"`` and ``"TIZI N’OUSSEM"`` all give
    ``"tizi n oussem"``. No fuzzy matching: ``"Massabiau"`` and
    ``"Massebiau"`` stay different (they are different places at the
    Templiers).
    """
    s = unicodedata.normalize("NFKD", str(name))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _APOS.sub(" ", s.casefold())
    s = _SEP.sub(" ", s)
    return " ".join(s.split())


NAME_MAX_M = 1000.0
"""Checkpoints with the same name farther apart than this are two stations [m].

Names such as "CP1" or "Ravito 1" recur across the races of one event; a
same-named checkpoint placed 685 m away on a sketched course (HAUT's Tekent)
is still the same place."""


def group_stations(
    names: Sequence[str], lat, lon, *, radius_m: float = 200.0, name_max_m: float = NAME_MAX_M
) -> np.ndarray:
    """Label checkpoints that are the same aid station.

    Two checkpoints are one station when their :func:`normalize_name` are
    equal (except generic names such as "Start", "Finish", "Arrivée":
    :data:`GENERIC_NAMES`) and they are at most ``name_max_m`` apart (or a
    position is unknown), or when they are within ``radius_m`` of each
    other; groups are closed transitively (union-find).
    :func:`far_same_names` lists the same-named pairs kept apart.

    Parameters
    ----------
    names : sequence of str
        Checkpoint names, all races flattened.
    lat, lon : array_like
        Positions [degrees]; NaN when unknown (then only the name matches).
    radius_m : float, default 200
        Distance under which two checkpoints are one station [m].
    name_max_m : float, default :data:`NAME_MAX_M`
        Same-named checkpoints farther apart than this stay separate [m].

    Returns
    -------
    ndarray of int
        Station label per checkpoint, numbered in order of first appearance.
    """
    if radius_m < 0 or not math.isfinite(radius_m):
        raise ValueError(f"radius_m must be a finite distance >= 0; got {radius_m}")
    n = len(names)
    lat = np.asarray(lat, float).reshape(-1)
    lon = np.asarray(lon, float).reshape(-1)
    if lat.shape != (n,) or lon.shape != (n,):
        raise ValueError("names, lat and lon must have the same length")
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    keys = [normalize_name(s) for s in names]
    d = _pair_distances(lat, lon)
    for i, j in _same_name_pairs(keys):
        if not d[i, j] > name_max_m:  # NaN (a position unknown): the name decides
            union(i, j)
    if n > 1:
        ii, jj = np.nonzero(np.triu(d <= radius_m, 1))
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            union(i, j)
    roots = [find(i) for i in range(n)]
    label: dict[int, int] = {}
    return np.array([label.setdefault(r, len(label)) for r in roots], dtype=int)


def _pair_distances(lat, lon) -> np.ndarray:
    """Geodesic distance between every pair of positions [m] (NaN where one is unknown)."""
    from .geodesy import distance

    lat = np.asarray(lat, float).reshape(-1)
    lon = np.asarray(lon, float).reshape(-1)
    with np.errstate(invalid="ignore"):
        return distance(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def _same_name_pairs(keys: Sequence[str]):
    """Index pairs ``(i, j)``, ``i < j``, with the same non-generic normalised name."""
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k not in GENERIC_NAMES:  # "Start" of two races can be two places: position only
            members.setdefault(k, []).append(i)
    for idx in members.values():
        for a, i in enumerate(idx):
            for j in idx[a + 1 :]:
                yield i, j


def far_same_names(
    names: Sequence[str], lat, lon, *, name_max_m: float = NAME_MAX_M
) -> list[tuple[int, int, float]]:
    """Same-named checkpoints that :func:`group_stations` keeps apart.

    Returns
    -------
    list of (i, j, distance [m])
        Index pairs (``i < j``) with the same :func:`normalize_name` farther
        apart than ``name_max_m``.
    """
    keys = [normalize_name(s) for s in names]
    d = _pair_distances(lat, lon)
    return [(i, j, float(d[i, j])) for i, j in _same_name_pairs(keys) if d[i, j] > name_max_m]


PLACE_MAX_M = 100.0
"""A GPX waypoint this close to a start or finish row names its place [m] (the distance at
which a first or last checkpoint becomes the start or finish row,
:data:`coursekit.checkpoints.END_SNAP_M`)."""


_NUMBERED = re.compile(r"(#|wpt?)? ?\d+")
"""A normalised waypoint name that is only a number (GPS units' "001", "#010", "WPT012")."""


def _names_no_place(name: str) -> bool:
    """True when a waypoint's name cannot name a station's place: generic ("Start",
    :data:`GENERIC_NAMES`), or only a number, as GPS units name the waypoints they record
    ("001", "#010", "WPT012", "WP 7"): gpxpy's Cerknica start station was called "001"."""
    key = normalize_name(name)
    return key in GENERIC_NAMES or _NUMBERED.fullmatch(key) is not None


def row_places(plan, *, max_m: float = PLACE_MAX_M) -> tuple[str, ...]:
    """The place of each row of ``plan`` whose name is generic ("Start", "Finish").

    The row's own ``waypoint`` when it has one, else the nearest GPX waypoint with a
    non-generic name within ``max_m`` of the row; "" for the other rows and when none is
    found. A sketched or published GPX names its start and finish villages this way
    (HAUT 21: "Ouirgane"), so a station made of start and finish rows is called after
    its place, not "Start" or "Finish". A waypoint named only by a number ("001", "#010",
    "WPT012": a GPS unit's numbering, not a place) names nothing (:func:`_names_no_place`).
    """
    legs = plan.legs
    specs = getattr(legs, "specs", None) or (None,) * len(legs.names)
    track = getattr(plan.course, "track", None)
    wps = [w for w in getattr(track, "waypoints", ()) or () if not _names_no_place(w.name)]
    out = []
    for i, name in enumerate(legs.names):
        if normalize_name(name) not in GENERIC_NAMES:
            out.append("")
            continue
        own = getattr(specs[i], "waypoint", None) if specs[i] is not None else None
        if own and not _names_no_place(own):
            out.append(str(own))
            continue
        best, place = max_m, ""
        lat, lon = float(legs.lat[i]), float(legs.lon[i])
        if wps and math.isfinite(lat) and math.isfinite(lon):
            from .geodesy import distance

            d = distance(lat, lon, np.array([w.lat for w in wps]), np.array([w.lon for w in wps]))
            k = int(np.nanargmin(d)) if np.any(np.isfinite(d)) else -1
            if k >= 0 and float(d[k]) <= best:
                place = wps[k].name
        out.append(place)
    return tuple(out)


# ---------------------------------------------------------------- races


@dataclass(frozen=True, eq=False)
class Race:
    """One race of an event as equal-length arrays (start row first, finish last).

    Attributes
    ----------
    name : str
    start : datetime
        Aware start time.
    names : tuple of str
        Checkpoint names.
    lat, lon : ndarray
        Checkpoint positions on the track [degrees] (NaN when unknown).
    distance : ndarray
        Cumulative along-course distance [m], the km ``coursekit cutoffs`` prints (on the
        slope; map distance for schematic courses).
    first_arrival_elapsed : ndarray
        Leader's ETA [s from start].
    cutoff_elapsed : ndarray
        Departure deadline [s from start], NaN where there is none.
    reference_elapsed : ndarray
        Reference (last finisher) arrival [s from start]: the plan's, for the
        station windows.
    leg_effort : ndarray
        Km-effort of the leg ending at each row, 0 at the start [km].
    night : ndarray of bool
        The reference runner arrives in the dark.
    dwell : ndarray
        Planned stop [s].
    services : tuple of tuple of str
    leg_weights : ndarray or None
        Fatigue weights per leg (rows 1..n-1) from the pace model, or None to
        use :attr:`coursekit.field.FieldParams.fatigue`.
    timezone : str or None
    opens_elapsed : ndarray or None
        When each station must be ready [s from start]: the pace model's
        conservative opening (``Plan.opens_elapsed``, before the leader's ETA),
        or None to use ``first_arrival_elapsed``.
    field : coursekit.field.FieldParams or None
        The field calibrated on a past edition (:func:`history_race`), used
        by :func:`simulate_event` instead of its ``params``; then
        ``field_elapsed`` is the past median finisher placed on this
        course and ``ability_mean`` the log multiplier of the median starter on it.
    field_elapsed : ndarray or None
        The simulated field's reference runner [s from start]: the shape of
        every simulated runner's race (their level comes from ``ability_mean``
        or the finish share). From a plan, the pace model's runner with the
        speed loss of a race's median runner (:data:`coursekit.field.FIELD_SPEED_LOSS`),
        finishing at the limit; from :func:`history_race`, last year's median
        finisher. None: ``reference_elapsed``.
    ability_mean : float or None
    field_note : str
        How the field was calibrated (printed with the simulation).
    fixed : ndarray of bool or None
        The row's barrier is fixed in the course file (``Plan.fixed``), not computed from
        the limit (None: none is); :func:`simulate_event` checks those against the field.
    places : tuple of str
        The place of each row where its name is generic ("Start", "Finish":
        :data:`GENERIC_NAMES`), "" elsewhere or when unknown: a station made only of such
        rows is named after it (:func:`station_table`). From a plan, see :func:`row_places`.
    limit_proposed : bool
        The limit comes from a ``[[proposed]]`` table of the course file (none is
        published): every barrier rests on it.
    runners : int or None
        The race's starters from the event file's ``[runners]`` (None: not given):
        :func:`simulate_event` simulates that many, whatever one number it is given.
    """

    name: str
    start: dt.datetime
    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    distance: np.ndarray
    first_arrival_elapsed: np.ndarray
    cutoff_elapsed: np.ndarray
    reference_elapsed: np.ndarray
    leg_effort: np.ndarray
    night: np.ndarray = None
    dwell: np.ndarray = None
    services: tuple = ()
    leg_weights: np.ndarray | None = None
    timezone: str | None = None
    opens_elapsed: np.ndarray | None = None
    field: FieldParams | None = None
    ability_mean: float | None = None
    field_note: str = ""
    field_elapsed: np.ndarray | None = None
    places: tuple = ()
    fixed: np.ndarray | None = None
    limit_proposed: bool = False
    runners: int | None = None

    def __post_init__(self):
        n = len(self.names)
        if n < 2:
            raise ValueError(f"race {self.name!r}: needs a start and a finish row")
        if self.start.tzinfo is None:
            raise ValueError(f"race {self.name!r}: start must be an aware datetime")
        for key in (
            "lat",
            "lon",
            "distance",
            "first_arrival_elapsed",
            "cutoff_elapsed",
            "reference_elapsed",
            "leg_effort",
        ):
            a = np.asarray(getattr(self, key), dtype=float)
            if a.shape != (n,):
                raise ValueError(f"race {self.name!r}: {key} must have {n} values, got {a.shape}")
            object.__setattr__(self, key, a)
        fixed = np.zeros(n, bool) if self.fixed is None else np.asarray(self.fixed, bool)
        if fixed.shape != (n,):
            raise ValueError(f"race {self.name!r}: fixed must have {n} values")
        object.__setattr__(self, "fixed", fixed)
        night = np.zeros(n, bool) if self.night is None else np.asarray(self.night, bool)
        dwell = np.zeros(n) if self.dwell is None else np.asarray(self.dwell, float)
        object.__setattr__(self, "night", night)
        object.__setattr__(self, "dwell", dwell)
        if not self.services:
            object.__setattr__(self, "services", ((),) * n)
        if not self.places:
            object.__setattr__(self, "places", ("",) * n)
        elif len(self.places) != n:
            raise ValueError(f"race {self.name!r}: places must have {n} values")
        else:
            object.__setattr__(self, "places", tuple(str(x or "") for x in self.places))
        if self.opens_elapsed is not None:
            o = np.asarray(self.opens_elapsed, float)
            if o.shape != (n,):
                raise ValueError(f"race {self.name!r}: opens_elapsed must have {n} values")
            object.__setattr__(self, "opens_elapsed", o)
        if self.field_elapsed is not None:
            f = np.asarray(self.field_elapsed, float)
            if f.shape != (n,):
                raise ValueError(f"race {self.name!r}: field_elapsed must have {n} values")
            object.__setattr__(self, "field_elapsed", f)
        if self.leg_weights is not None:
            w = np.asarray(self.leg_weights, float)
            if w.shape != (n - 1,):
                raise ValueError(f"race {self.name!r}: leg_weights must have {n - 1} values")
            object.__setattr__(self, "leg_weights", w)

    @property
    def reference_leg_s(self) -> np.ndarray:
        """Reference leg times [s], 0 at the start row (dwell included in the next leg)."""
        return np.diff(self.reference_elapsed, prepend=0.0)

    @property
    def field_leg_s(self) -> np.ndarray:
        """Leg times of the simulated field's reference runner [s] (see ``field_elapsed``)."""
        ref = self.reference_elapsed if self.field_elapsed is None else self.field_elapsed
        return np.diff(ref, prepend=0.0)

    def clock(self, elapsed_s: float) -> dt.datetime:
        return after(self.start, elapsed_s)

    def with_starters(self, runners, course_path) -> Race:
        """This race with its starters from an event file's ``[runners]``
        (``{course path: starters}``, :attr:`coursekit.course.Event.runners`) when it
        names the course file ``course_path``; unchanged otherwise."""
        sizes = {Path(p).resolve(): n for p, n in runners.items()}
        n = sizes.get(Path(course_path).resolve())
        return self if n is None else replace(self, runners=n)

    @classmethod
    def from_plan(cls, plan, *, name: str | None = None) -> Race:
        """Arrays of a :class:`coursekit.cutoffs.Plan` (course, legs, barriers, ETAs).

        The simulated field follows the pace model's runner who loses
        :data:`coursekit.field.FIELD_SPEED_LOSS` of his fresh speed by the finish, finishing at
        the limit (``field_elapsed``; its level is then set by the finish
        share): runners slow down far more than the barriers' reference last
        finisher, whose fatigue is fitted to the barriers, and they do not
        pace themselves on fixed cutoffs. The fatigue weights come from the
        same model: the leader's and the field runner's leg times are two
        runners of the model, and a runner between or beyond them is
        interpolated geometrically leg by leg
        (:math:`w_k = \\ln(t^{lead}_k / r_k) / \\ln(T^{lead} / T^{ref})`).
        """
        from .cutoffs import limit_proposed, plan_runner
        from .pace import TRAIL_2024

        course = plan.course
        legs = plan.legs
        dwell = getattr(plan, "dwell", None)
        if dwell is None:
            dwell = np.array(
                [float(getattr(s, "dwell_s", 0.0) or 0.0) if s else 0.0 for s in legs.specs]
            )
        kme = getattr(legs, "leg_km_effort", None)
        if kme is None:
            kme = np.diff(legs.distance, prepend=0.0) / 1000 + np.diff(legs.gain, prepend=0.0) / 100
        ref = np.asarray(plan.arrival_elapsed, float)
        lead = np.asarray(plan.first_arrival_elapsed, float)
        up, down = FIELD_GRADE
        field_ref, _, _ = plan_runner(
            plan, params=(plan.params or TRAIL_2024).with_(up=up, down=down)
        )(float(plan.cutoff_elapsed[-1]), FIELD_SPEED_LOSS / (float(np.sum(kme)) / 100.0))
        weights = pace_weights(field_ref, lead)
        # rows with barrier = false stop nobody: no barrier (NaN), as in a history
        # race; the station closes after the reference's passage there
        cut = np.asarray(plan.cutoff_elapsed, float).copy()
        if plan.no_barrier is not None:
            cut[plan.no_barrier] = np.nan
        return cls(
            name=name or course.name,
            start=plan.cutoff[0],  # the start in the course's zone (clocks after a DST change)
            names=tuple(legs.names),
            lat=np.asarray(legs.lat, float),
            lon=np.asarray(legs.lon, float),
            distance=np.asarray(getattr(legs, "along", legs.distance), float),
            first_arrival_elapsed=lead,
            cutoff_elapsed=cut,
            reference_elapsed=ref,
            leg_effort=np.asarray(kme, float),
            night=np.asarray(plan.night, bool),
            dwell=np.asarray(dwell, float),
            services=tuple(tuple(s) for s in legs.services),
            leg_weights=weights,
            timezone=getattr(course, "timezone", None),
            opens_elapsed=getattr(plan, "opens_elapsed", None),
            field_elapsed=field_ref,
            places=row_places(plan),
            fixed=np.asarray(plan.fixed, bool),
            limit_proposed=limit_proposed(course),
        )


# ---------------------------------------------------------------- stations


@dataclass(frozen=True)
class Passage:
    """One race passing one station (a loop may pass twice)."""

    race: str
    row: int
    name: str
    distance_m: float
    first_arrival: dt.datetime
    cutoff: dt.datetime | None
    last_arrival: dt.datetime  # reference last finisher's arrival
    night: bool
    services: tuple[str, ...]
    opens: dt.datetime | None = None  # the pace model's conservative opening (before the ETA)
    place: str = ""  # the place of a start or finish row (Race.places), "" when unknown


@dataclass(frozen=True)
class Window:
    """One staffing window of a station: the station is open from ``open`` to ``close``
    for the passages ``passages`` (indices into :attr:`Station.passages`), ``dark_s`` of
    it in the dark (civil twilight) [s]."""

    open: dt.datetime
    close: dt.datetime
    passages: tuple[int, ...]
    dark_s: float = 0.0


@dataclass(frozen=True)
class Station:
    """An aid station shared by one or more races, with its staffing windows.

    ``open`` and ``close`` span every window (the first opening, the last closing);
    ``windows`` are the times the station is staffed (:func:`station_table`): more than
    one when no race needs it for longer than the gap between two of them. The dark
    part (``dark_s``, ``dark_intervals``) is that of the windows.
    """

    name: str
    key: str  # normalised name
    lat: float
    lon: float
    passages: tuple[Passage, ...]
    open: dt.datetime
    close: dt.datetime
    dark_s: float  # time of the windows in the dark (civil twilight) [s]
    dark_intervals: tuple[tuple[dt.datetime, dt.datetime], ...]
    windows: tuple[Window, ...] = ()  # default: one window, ``open`` to ``close``

    def __post_init__(self):
        if not self.windows:
            one = (Window(self.open, self.close, tuple(range(len(self.passages)))),)
            object.__setattr__(self, "windows", one)

    @property
    def night(self) -> bool:
        """The station is staffed in the dark."""
        return self.dark_s > 0

    @property
    def races(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.race for p in self.passages))

    def window_of(self, i: int) -> int:
        """Index in :attr:`windows` of the window serving passage ``i``."""
        return next(k for k, w in enumerate(self.windows) if i in w.passages)


def _dark(lat, lon, start: dt.datetime, end: dt.datetime):
    """Dark intervals (aware datetimes) and their total [s] inside [start, end]."""
    span = seconds_between(start, end)
    if not (math.isfinite(lat) and math.isfinite(lon)) or span <= 0:
        return (), 0.0
    from .sun import dark_intervals

    iv = dark_intervals(float(lat), float(lon), start, span)
    out = tuple((after(start, a), after(start, b)) for a, b in iv)
    return out, float(np.sum(iv[:, 1] - iv[:, 0])) if len(iv) else 0.0


def _minute(t: dt.datetime, how: str = "round") -> dt.datetime:
    """``t`` on a whole wall-clock minute: rounded to the nearest (as ``coursekit cutoffs``
    prints a leader's ETA), floored or ceiled (a window never shorter than computed)."""
    base = t.replace(second=0, microsecond=0)
    if base == t:
        return t
    up = how == "ceil" or (how == "round" and (t.second, t.microsecond) >= (30, 0))
    # The next minute in real time (through UTC): a wall-clock ``+ 1 min`` would jump an
    # hour across a fall-back and land on a non-existent time at a spring-forward.
    return after(base, 60.0) if up else base


def _station_name(passages: Sequence[Passage], elsewhere: frozenset = frozenset()) -> str:
    """The most frequent checkpoint name of a station that is not generic ("Start",
    "Finish"); else the most frequent place of its start and finish rows; else the most
    frequent name. Ties go to a name no checkpoint of another station carries
    (``elsewhere``: their normalised names), then to the name of the earliest passage (the
    leader's ETA), then to the first in normalised order: never to the first race of the
    event file, so that listing its courses in another order does not rename the station."""

    def most(named):  # (name, passage) pairs
        names = [n for n, _ in named]
        top = max(names.count(n) for n in names)
        tied = [
            (normalize_name(n) in elsewhere, p.first_arrival, normalize_name(n), n)
            for n, p in named
            if names.count(n) == top
        ]
        return min(tied)[3]

    real = [(p.name, p) for p in passages if normalize_name(p.name) not in GENERIC_NAMES]
    places = [(p.place, p) for p in passages if p.place]
    return most(real or places or [(p.name, p) for p in passages])


MAX_EVENT_SPAN_DAYS = 31
"""Largest span between the starts of an event file's races [days]: its stations, staffing
windows and hourly occupancy run from the first start to the last finish, so an edition's
course listed beside another year's (two years: a station open for two years, 20 s and a
9 MB JSON) is refused; a festival spread over a week or two is well inside it."""

STATION_GAP_S = 7200.0
"""Longest time inside one staffing window when no race needs the station [s] (2 h):
a longer gap closes the station and opens it again (:func:`station_table`). Each
passage's need already holds the team's margin before the first runner and its sweep
after the barrier (30 min each by default); below 2 h of nobody, closing would leave
about an hour between packing away and setting up again, so the station stays open."""


def _windows(passages: Sequence[Passage], *, margin_s: float, sweep_s: float, gap_s: float):
    """The staffing windows of a station's passages (see :func:`station_table`)."""
    needs = []
    for i, p in enumerate(passages):
        # whole minutes, one rule (the tables print minutes): the leader's ETA as printed
        # (rounded) less the margin, or the plan's opening, floored; the barrier (or the
        # passage) plus the sweep, rounded up
        a = _minute(
            min(after(_minute(p.first_arrival), -margin_s), p.opens or p.first_arrival), "floor"
        )
        b = _minute(after(p.cutoff or p.last_arrival, sweep_s), "ceil")
        needs.append((a, b, i))
    needs.sort(key=lambda x: (x[0], x[2]))
    out: list[list] = []
    for a, b, i in needs:
        if out and seconds_between(out[-1][1], a) <= gap_s:
            out[-1][1] = max(out[-1][1], b)
            out[-1][2].append(i)
        else:
            out.append([a, b, [i]])
    return tuple(Window(a, b, tuple(sorted(ix))) for a, b, ix in out)


def station_table(
    races: Sequence[Race],
    *,
    margin_s: float = 1800.0,
    sweep_s: float = 1800.0,
    radius_m: float = 200.0,
    night: bool = True,
    gap_s: float = STATION_GAP_S,
) -> tuple[Station, ...]:
    """Group the checkpoints of several races into stations with staffing windows.

    Parameters
    ----------
    races : sequence of Race
    margin_s : float, default 1800
        The station opens this long before the earliest first arrival [s], or
        at the earliest conservative opening of the races' plans
        (``Plan.opens``: the leader's ETA less a share of the leader's elapsed
        time, see :class:`coursekit.pace.PaceParams`), whichever is earlier.
    sweep_s : float, default 1800
        The station closes this long after the latest barrier [s] (the sweepers
        pass, the team packs up). Where a passage has no barrier its
        reference last arrival is used.
    radius_m : float, default 200
        See :func:`group_stations`.
    night : bool, default True
        Compute the dark part of each window (astral, civil twilight).
    gap_s : float, default :data:`STATION_GAP_S` (2 h)
        The station closes between two passages' needs that leave it empty for longer
        than this [s], and opens again: it then has several windows.

    Returns
    -------
    tuple of Station
        Ordered by opening time, then name.

    Notes
    -----
    Each passage (a race at the station; a race passing twice is two passages) needs the
    station from the earlier of its leader's ETA rounded to the minute (as ``coursekit
    cutoffs`` prints it) less ``margin_s`` and its plan's opening, floored to the minute,
    to its barrier (or, without one, its reference passage) plus ``sweep_s``, rounded up
    to the minute. The needs are merged in time order; where the next need opens more
    than ``gap_s`` after the previous ones close, the station closes and a new window
    begins (a station shared by a night race and an evening race: two windows, not one
    all day). ``open`` and ``close`` are the first opening and the last closing; the
    dark intervals are computed on the windows, so the first one starts at a window's
    opening when it opens in the dark.

    A station is named after its most frequent checkpoint name that is not generic
    ("Start", "Finish": :data:`GENERIC_NAMES`); when it holds only start and finish rows,
    after their place (:attr:`Race.places`: the row's waypoint or the GPX waypoint at
    it); else "Start" or "Finish". A tie goes to a name no other station's checkpoint
    carries, then to the name of the earliest passage (the leader's ETA), then to the first
    in normalised order: the order of ``races`` does not rename a station. Same-named
    stations kept apart get in brackets the races whose checkpoint there carries the name
    ("CP1 (A)", "CP1 (B)"), in the order of ``races``, with their km when a race has the
    name at two places ("Water (A km 2.0)", "Water (A km 9.0)"). Each passage keeps its own
    checkpoint name (``Passage.name``).
    """
    if margin_s < 0 or sweep_s < 0:
        raise ValueError(f"margin and sweep must be >= 0; got {margin_s}, {sweep_s}")
    if not gap_s >= 0:
        raise ValueError(f"gap must be >= 0; got {gap_s}")
    flat = [(r, j) for r in races for j in range(len(r.names))]
    if not flat:
        return ()
    keys = [normalize_name(r.names[j]) for r, j in flat]
    labels = group_stations(
        [r.names[j] for r, j in flat],
        [r.lat[j] for r, j in flat],
        [r.lon[j] for r, j in flat],
        radius_m=radius_m,
    )
    stations = []
    for lab in range(int(labels.max()) + 1):
        members = [flat[i] for i in np.nonzero(labels == lab)[0]]
        passages = []
        for r, j in members:
            cut = r.cutoff_elapsed[j]
            passages.append(
                Passage(
                    race=r.name,
                    row=j,
                    name=r.names[j],
                    distance_m=float(r.distance[j]),
                    first_arrival=r.clock(r.first_arrival_elapsed[j]),
                    cutoff=r.clock(cut) if math.isfinite(cut) else None,
                    last_arrival=r.clock(r.reference_elapsed[j] + r.dwell[j]),
                    night=bool(r.night[j]),
                    services=tuple(r.services[j]),
                    opens=None if r.opens_elapsed is None else r.clock(r.opens_elapsed[j]),
                    place=r.places[j],
                )
            )
        windows = _windows(passages, margin_s=margin_s, sweep_s=sweep_s, gap_s=gap_s)
        opens, close = windows[0].open, max(w.close for w in windows)
        # the members' mean on the sphere: the plain mean of 179.999 and -179.999 is 0
        lat, lon = mean_position([r.lat[j] for r, j in members], [r.lon[j] for r, j in members])
        iv, dark_s = (), 0.0
        if night:  # the dark part of the windows, where the station is staffed
            lit = []
            for w in windows:
                wiv, ws = _dark(lat, lon, w.open, w.close)
                iv, dark_s = iv + wiv, dark_s + ws
                lit.append(replace(w, dark_s=ws))
            windows = tuple(lit)
        name = _station_name(passages, frozenset(k for i, k in enumerate(keys) if labels[i] != lab))
        stations.append(
            Station(
                name=name,
                key=normalize_name(name),
                lat=lat,
                lon=lon,
                passages=tuple(passages),
                open=opens,
                close=close,
                dark_s=dark_s,
                dark_intervals=iv,
                windows=windows,
            )
        )
    # same-named stations kept apart (farther than NAME_MAX_M): tell them apart by the
    # races whose checkpoint carries the name (not a race passing there under another
    # name, e.g. its start), and by their km where one race has the name at two places
    same: dict[str, list[int]] = {}
    for i, st in enumerate(stations):
        same.setdefault(st.key, []).append(i)
    for idx in same.values():
        if len(idx) < 2:
            continue
        named = [
            [p for p in stations[i].passages if normalize_name(p.name) == stations[i].key]
            or list(stations[i].passages)
            for i in idx
        ]
        labels = [", ".join(dict.fromkeys(p.race for p in ps)) for ps in named]
        if len(set(labels)) < len(labels):
            labels = [
                ", ".join(dict.fromkeys(f"{p.race} km {p.distance_m / 1000:.1f}" for p in ps))
                for ps in named
            ]
        for i, label in zip(idx, labels, strict=True):
            name = f"{stations[i].name} ({label})"
            stations[i] = replace(stations[i], name=name, key=normalize_name(name))
    stations.sort(key=lambda s: (s.open, s.key))
    return tuple(stations)


# ---------------------------------------------------------------- a race's field


def simulate_race(race: Race, **kw) -> FieldSimulation:
    """:func:`coursekit.field.simulate_field` on a :class:`Race`.

    The race gives the reference leg times (``field_leg_s``), km-effort,
    barriers, dwell and leg weights. A race calibrated on past split times
    (:func:`history_race`) brings its ``params`` and ``ability_mean``; pass them
    (or ``finish_share``) to override.
    """
    kw.setdefault("leg_weights", race.leg_weights)
    if race.field is not None:
        kw.setdefault("params", race.field)
        if kw.get("finish_share") is None:
            kw.setdefault("ability_mean", race.ability_mean)
    return simulate_field(
        race.field_leg_s,
        leg_effort=race.leg_effort,
        cutoff_elapsed=race.cutoff_elapsed,
        dwell=race.dwell,
        **kw,
    )


def history_race(
    plan, elapsed, status, *, cutoff_elapsed=None, start_offset=None, source="", min_runners=20
):
    """A race of ``plan`` whose field is calibrated on a past edition's split times.

    Parameters
    ----------
    plan : coursekit.cutoffs.Plan
        This edition: course, checkpoints, barriers.
    elapsed : ndarray, shape (runners, rows)
        The past edition's passages at this plan's checkpoint rows [s from each
        runner's start], NaN where missing or where a checkpoint has no column.
    status : array of str
        Final status per runner (``FINISHER``, ``OUT_OF_TIME``, other = withdrawal).
    cutoff_elapsed : array_like, optional
        The barriers that applied in the past edition [s], for the withdrawal
        hazards; default this plan's.
    start_offset : array_like, optional
        Each runner's start after the first wave's [s] (start waves), so that
        :func:`coursekit.field.fit_field` tells a late stop by the clock.
    source : str
        Name of the past edition, for notes.

    Returns
    -------
    Race
        :meth:`Race.from_plan` with ``field`` (:func:`coursekit.field.fit_field`), the
        reference runner replaced by the past median finisher placed on this
        course and ``ability_mean`` relative to it.

    Notes
    -----
    The reference is the pace model's runner (``plan.params``) finishing in
    the past median finisher's time, with the fatigue rate fitted on his
    measured passages (:func:`coursekit.field.fit_reference_fatigue`): checkpoints without a
    past column, or moved since, get the model's shape rather than an
    interpolation. The leg weights come from that runner and its leader
    (:func:`coursekit.field.pace_weights`), and the start compression is fitted on the
    past slopes against those weights (:func:`coursekit.field.fit_start_compression`;
    eighteenth sprint). The barriers, the leader's ETA and the station
    windows stay this plan's. Validated edition to edition in
    ``benchmarks/bench_simulation.py`` (docs/simulation.md).
    """
    from .cutoffs import plan_runner

    race = Race.from_plan(plan)
    el = np.asarray(elapsed, float)
    st = np.asarray(status)
    if el.ndim != 2 or el.shape[1] != len(race.names):
        raise ValueError(f"elapsed must have {len(race.names)} columns (one per checkpoint)")
    cut = race.cutoff_elapsed if cutoff_elapsed is None else cutoff_elapsed
    fit = fit_field(
        el,
        st,
        leg_effort=race.leg_effort,
        cutoff_elapsed=cut,
        start_offset=start_offset,
        source=source,
        min_runners=min_runners,
    )
    fin = (st == FINISHER) & np.isfinite(el[:, -1])
    measured = fit.measured
    grid = np.round(np.arange(0.0, 1.0001, 0.02), 3)
    fat, arr, lead = fit_reference_fatigue(
        fit.reference_elapsed, measured, plan_runner(plan), grid=grid
    )
    arr = np.maximum.accumulate(arr)
    note = (
        f"field fitted on {source or 'past split times'} ({int(fin.sum())} finishers of "
        f"{int(np.isfinite(el[:, 1:]).any(axis=1).sum())}, {int(measured[1:].sum())} of "
        f"{len(race.names) - 1} checkpoints timed); median finisher "
        f"{fit.reference_elapsed[-1] / 3600:.2f} h, pace-model fatigue {fat:.2f}"
        + (" (at the end of the grid 0-1: check the column matching)" if fat in (0.0, 1.0) else "")
    )
    weights = pace_weights(arr, lead)
    params = fit.params
    if weights is not None:  # the start as last year's split times show it, on these weights
        params = replace(
            params,
            start_compression=fit_start_compression(
                fit.slopes, fit.reference_elapsed, weights, start_time_s=params.start_time_s
            ),
        )
    return replace(
        race,
        field_elapsed=arr,
        leg_weights=weights,
        field=params,
        ability_mean=float(fit.ability_mean),
        field_note=note,
    )


# ---------------------------------------------------------------- event


@dataclass(frozen=True)
class Combined:
    """A ranking over several races of the event (``[[combined]]`` of ``event.toml``).

    Atlas Quest's Atlas Challenge is the Atlas Marathon then the Ikkiss Trail, ranked on
    the sum of the two times: its runners run those two races, so it adds no course and
    no station. With ``ranking = "cumulative"`` a runner is ranked only with a time in
    every stage: a stage not started or not finished is a withdrawal from the ranking.

    Attributes
    ----------
    name : str
    races : tuple of str
        The stage races, in stage order (by start time; the file's order on a tie).
    ranking : str
        ``"cumulative"``: the sum of the stage times.
    note : str
        The event file's note, as written.
    """

    name: str
    races: tuple[str, ...]
    ranking: str = "cumulative"
    note: str = ""


@dataclass(frozen=True)
class BarrierCheck:
    """A fixed barrier (course file) against the field the limit alone gives.

    Attributes
    ----------
    race, name : str
    row : int
        The barrier's row in the race.
    cutoff_elapsed : float
        The fixed barrier [s from start].
    share : float
        Share of the starters the barrier eliminates from the field simulated without the
        race's fixed barriers (its level set as :func:`simulate_event` sets it, by the
        finish share and the cap on eliminations) [-]: what the pace model's field says.
    simulated_share : float
        Share of the starters the simulation eliminates there [-] (mean over repetitions).
    """

    race: str
    row: int
    name: str
    cutoff_elapsed: float
    share: float
    simulated_share: float


ARRIVAL_PERCENTILES_BASIS = (
    "runners who reach each checkpoint, not the starters: at the finish, the finishers "
    "and those the limit stopped on the last leg, at the limit (withdrawn runners and those "
    "eliminated earlier are not in the later rows' percentiles)"
)
"""What the simulated arrival percentiles (``arrival_p10/p50/p90``) are taken over, as the
event JSON's ``simulation.arrival_percentiles_basis`` says (judge finding J5)."""


FIXED_BARRIER_SHARE = 0.10
"""Share of the starters above which a fixed barrier is reported [-]: twice the most the
barriers stopped in the past races (:attr:`coursekit.field.FieldParams.eliminated_max`,
5 %). The simulation places its field's level so that every barrier together stops at most
that 5 %: a fixed barrier the field would miss far more often makes the simulated field
faster instead, and its elimination count (Bellemène at 0:50: 9 of 200) hides it."""


def _fixed_barrier_checks(race: Race, sim: FieldSimulation, ss, **kw) -> list[BarrierCheck]:
    """The race's fixed intermediate barriers against its field without them: the level is
    solved as in ``sim`` (same parameters) with those barriers removed, then the same field
    meets them (``ability_mean``). 2 x 1,000 runners x 10 repetitions, seeded from ``ss``."""
    rows = [
        j
        for j in range(1, len(race.names) - 1)
        if race.fixed[j] and math.isfinite(race.cutoff_elapsed[j])
    ]
    if not rows or race.field is not None:
        return []
    free = race.cutoff_elapsed.copy()
    free[rows] = np.nan
    if not np.any(np.isfinite(free[1:])):
        return []  # no barrier left to set the level by
    a, b = (np.random.default_rng(x) for x in ss.spawn(2))
    n, reps = 1000, 10
    level = simulate_race(
        replace(race, cutoff_elapsed=free), n_runners=n, repetitions=reps, seed=a, **kw
    ).ability_mean
    kw = {k: v for k, v in kw.items() if k != "finish_share"}
    meet = simulate_race(race, n_runners=n, repetitions=reps, seed=b, ability_mean=level, **kw)
    return [
        BarrierCheck(
            race=race.name,
            row=j,
            name=race.names[j],
            cutoff_elapsed=float(race.cutoff_elapsed[j]),
            share=float(meet.eliminated[:, j].mean() / n),
            simulated_share=float(sim.eliminated[:, j].mean() / sim.n_runners),
        )
        for j in rows
    ]


def _barrier_check_warnings(event: EventPlan, checks) -> list[str]:
    out = []
    for c in checks:
        # the shares as the JSON writes them (3 decimals), so that this warning and the
        # note the text table prints from the JSON say the same % on the same side of
        # FIXED_BARRIER_SHARE
        share, simulated = round(c.share, 3), round(c.simulated_share, 3)
        if share <= FIXED_BARRIER_SHARE:
            continue
        race = next(r for r in event.races if r.name == c.race)
        fmt = clock_format(float(race.cutoff_elapsed[-1]) > DATED_S)
        out.append(
            f"{c.race}: the fixed barrier at {c.name!r} ({race.clock(c.cutoff_elapsed):{fmt}}, "
            f"{hm(c.cutoff_elapsed)} elapsed) would eliminate {100 * share:.0f} % of the "
            "starters of the field the limit gives (simulated without the fixed barriers), "
            f"where the simulation shows {100 * simulated:.0f} %: the simulated "
            "field is made faster to meet it (its times and eliminations are not this "
            "course's forecast); check the barrier (coursekit check)"
        )
    return out


@dataclass(frozen=True, eq=False)
class EventPlan:
    """An event: its races, their shared stations and (optionally) simulations.

    Attributes
    ----------
    name : str
    path : Path or None
    races : tuple of Race
    stations : tuple of Station
    margin_s, sweep_s, radius_m : float
    origin : datetime
        Occupancy clock origin: the earliest start, floored to the hour.
    simulations : tuple of coursekit.field.FieldSimulation
        One per race (empty when not simulated).
    warnings : tuple of str
    combined : tuple of Combined
        Rankings over several of the races (stages), from ``[[combined]]``.
    timezone : str or None
        The event file's ``timezone`` (None without one, or for a course file): the
        clock of the event's tables (:func:`coursekit.maps.event_zone`).
    gap_s : float
        A station closes between two windows when nobody needs it for longer [s]
        (:func:`station_table`).
    barrier_checks : tuple of BarrierCheck
        The fixed barriers of the simulated races against the field without them
        (:func:`simulate_event`; empty when not simulated).
    history_warnings : tuple of str
        The warnings of reading the races' past split-time files (``history`` of
        :func:`load_event_plan`; also in ``warnings``), each naming the race and the file:
        ``coursekit event --times`` prints them on standard error, as ``backtest`` does.
    """

    name: str
    path: Path | None
    races: tuple[Race, ...]
    stations: tuple[Station, ...]
    margin_s: float
    sweep_s: float
    radius_m: float
    origin: dt.datetime
    simulations: tuple[FieldSimulation, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    combined: tuple[Combined, ...] = ()
    timezone: str | None = None
    gap_s: float = STATION_GAP_S
    barrier_checks: tuple[BarrierCheck, ...] = ()
    history_warnings: tuple[str, ...] = ()


def plan_event(
    races: Sequence[Race],
    *,
    name: str = "event",
    path=None,
    margin_s: float = 1800.0,
    sweep_s: float = 1800.0,
    radius_m: float = 200.0,
    night: bool = True,
    warnings: Sequence[str] = (),
    combined: Sequence[Combined] = (),
    gap_s: float = STATION_GAP_S,
) -> EventPlan:
    """Stations and staffing windows of several races (pure; see :func:`station_table`).

    ``combined`` rankings name races of ``races`` (a ValueError otherwise); their stages
    are put in start order, and a stage starting before the previous stage's finish
    deadline is warned about (a runner still on stage 1 could not start stage 2).
    """
    races = tuple(races)
    if not races:
        raise ValueError("an event needs at least one race")
    by_name = {r.name: r for r in races}
    combined_sorted, stage_warnings = [], []
    for c in combined:
        unknown = [x for x in c.races if x not in by_name]
        if unknown:
            raise ValueError(
                f"combined ranking {c.name!r}: no race named {', '.join(map(repr, unknown))} "
                f"(races: {', '.join(map(repr, by_name))})"
            )
        order = sorted(c.races, key=lambda x: by_name[x].start)  # stable: file order on a tie
        combined_sorted.append(replace(c, races=tuple(order)))
        for prev, nxt in zip(order, order[1:], strict=False):
            deadline = by_name[prev].clock(float(by_name[prev].cutoff_elapsed[-1]))
            if by_name[nxt].start < deadline:
                fmt = clock_format(seconds_between(by_name[prev].start, deadline) > DATED_S)
                stage_warnings.append(
                    f"combined ranking {c.name!r}: {nxt} starts {by_name[nxt].start:{fmt}}, "
                    f"before the finish deadline of {prev} ({deadline:{fmt}}): a runner of "
                    "both stages still on the first could not start the second"
                )
    stations = station_table(
        races, margin_s=margin_s, sweep_s=sweep_s, radius_m=radius_m, night=night, gap_s=gap_s
    )
    flat = [(r, j) for r in races for j in range(len(r.names))]
    far = far_same_names(
        [r.names[j] for r, j in flat], [r.lat[j] for r, j in flat], [r.lon[j] for r, j in flat]
    )
    apart: dict[tuple, tuple] = {}  # one line per (name, race) pair: the nearest passages
    for i, j, d in far:
        (ri, ji), (rj, jj) = flat[i], flat[j]
        key = (ri.names[ji], ri.name, rj.names[jj], rj.name)
        if d < apart.get(key, (math.inf,))[0]:
            apart[key] = (d, (ri.name, ji), (rj.name, jj))
    # where each kept-apart checkpoint went: a station of another name when it lies within
    # the radius of another checkpoint (it was folded in there without its name showing)
    station_of = {(p.race, p.row): st.name for st in stations for p in st.passages}
    index_of = {(p.race, p.row): k for k, st in enumerate(stations) for p in st.passages}
    far_lines = []
    for (a, ra, b, rb), (d, pa, pb) in apart.items():
        if index_of[pa] == index_of[pb]:  # joined anyway, through nearer checkpoints
            far_lines.append(
                f"{a!r} of {ra} and {b!r} of {rb} share a name and are {d / 1000:.1f} km "
                f"apart, yet are one station {station_of[pa]!r}: joined through checkpoints "
                f"between them (a name is one station within {NAME_MAX_M / 1000:g} km, any "
                f"checkpoints within the radius): check that it is one place"
            )
            continue
        moved = [
            f"{race}'s {cp!r} is in station {station_of[where]!r}"
            for cp, race, where in ((a, ra, pa), (b, rb, pb))
            if station_of[where] != cp and not station_of[where].startswith(f"{cp} (")
        ]
        far_lines.append(
            f"{a!r} of {ra} and {b!r} of {rb} share a name but are {d / 1000:.1f} km apart: "
            f"two stations (a name is one station within {NAME_MAX_M / 1000:g} km)"
            + "".join(f"; {m}" for m in moved)
        )
    warnings = list(warnings) + far_lines + stage_warnings
    t0 = min(r.start for r in races)
    origin = t0.replace(minute=0, second=0, microsecond=0)
    return EventPlan(
        name=name,
        path=Path(path) if path is not None else None,
        races=races,
        stations=stations,
        margin_s=float(margin_s),
        sweep_s=float(sweep_s),
        radius_m=float(radius_m),
        origin=origin,
        warnings=tuple(warnings),
        combined=tuple(combined_sorted),
        gap_s=float(gap_s),
    )


def _history_by_course(ev_path, courses, history: dict, *, single: bool) -> list:
    """The split-time file of each course (None: none given), from ``history``'s keys: a
    race's name, its course file's name or stem, or ``""`` (a bare TIMES.csv) for an event
    of one race. Keys that name no race, two keys for one race and a bare file on an event
    of several races are :class:`~coursekit.errors.OptionError`, before any planning."""
    out = []
    for course in courses:
        keys = (course.name, course.path.name, course.path.stem)
        hits = [k for k in dict.fromkeys(keys) if k in history]
        if single and "" in history:
            hits.append("")
        if len(hits) > 1:
            raise OptionError(
                f"{ev_path}: --times given twice for race {course.name!r} "
                f"({' and '.join(repr(h) if h else 'a bare TIMES.csv' for h in hits)})"
            )
        out.append(history.pop(hits[0]) if hits else None)
    if "" in history and not single:
        raise OptionError(
            f"{ev_path}: --times without a race name on an event of {len(courses)} races: "
            "name the race, RACE=TIMES.csv"
        )
    if history:
        known = ", ".join(repr(c.name) for c in courses)
        raise OptionError(
            f"{ev_path}: --times for {', '.join(repr(k) for k in history)}: no such race "
            f"(races: {known}; a course file's name or stem also works)"
        )
    return out


def event_span(courses) -> tuple[float, object, object]:
    """Days between the first and the last start of ``courses``, with those two courses
    (0, None, None when there is none)."""
    if not courses:
        return 0.0, None, None
    first = min(courses, key=lambda c: c.start)
    last = max(courses, key=lambda c: c.start)
    return seconds_between(first.start, last.start) / 86400.0, first, last


def check_event_span(path, courses) -> None:
    """Refuse an event whose races start more than :data:`MAX_EVENT_SPAN_DAYS` apart.

    Raises
    ------
    CourseFileError
        Naming ``path`` (the event file), key ``courses``, the first and last races (by
        start), their dates and the span.
    """
    days, first, last = event_span(courses)
    if days > MAX_EVENT_SPAN_DAYS:
        raise CourseFileError(
            f"{path}: key 'courses': {first.name} ({Path(first.path).name}) starts "
            f"{first.start:%Y-%m-%d} and {last.name} ({Path(last.path).name}) "
            f"{last.start:%Y-%m-%d}, {days:.0f} days apart: the races of one event start "
            f"within {MAX_EVENT_SPAN_DAYS} days (its stations and staffing windows run from "
            "the first start to the last finish); make one event file per edition"
        )


def load_event_plan(
    path,
    *,
    margin_s: float = 1800.0,
    sweep_s: float = 1800.0,
    radius_m: float = 200.0,
    model: str = "trail",
    night: bool = True,
    history: dict | None = None,
    gap_s: float = STATION_GAP_S,
) -> EventPlan:
    """Read an ``event.toml`` (its folder, or one course file), plan the courses, group stations.

    Uses :func:`coursekit.course.load_event`, :func:`coursekit.course.load_course`
    and :func:`coursekit.cutoffs.plan`. A course file (it has ``gpx`` and
    ``start``) is an event of one race.

    ``history`` maps a race (its name, or its course file's name or stem) to
    a past edition's split-time CSV, or to ``(csv, {checkpoint: column})``:
    that race's field is calibrated on it (:func:`history_race`), checkpoints
    matched to columns as in ``coursekit backtest``; the warnings of reading those files
    are ``history_warnings`` (and in ``warnings``).
    """
    from .course import is_course_file, load_course, load_event
    from .cutoffs import plan

    path = Path(path)
    single = path.is_file() and path.suffix.lower() == ".toml" and is_course_file(path)
    combined_raw: tuple = ()
    ev_tz = None
    runners: dict = {}  # the event file's [runners]
    if single:
        courses, ev_name, ev_path = [load_course(path)], None, path
    else:
        ev = load_event(path)
        courses, ev_name, ev_path = list(ev.load_courses()), ev.name, ev.path
        combined_raw, ev_tz = ev.combined, ev.timezone
        runners = ev.runners
    seen: dict[str, object] = {}
    for course in courses:
        # each file as the event file lists it: two folders' a.toml are not "a.toml and a.toml"
        listed = os.path.relpath(course.path, Path(ev_path).parent)
        if course.name in seen:
            raise CourseFileError(
                f"{ev_path}: key 'courses': {listed} and {seen[course.name]} are both "
                f"named {course.name!r}: expected one name per race (tables are keyed by it)"
            )
        seen[course.name] = listed
    check_event_span(ev_path, courses)
    history_of = _history_by_course(ev_path, courses, dict(history or {}), single=single)
    races, warns, history_warns = [], [], []
    for course, csv in zip(courses, history_of, strict=True):
        p = plan(course, model=model)
        if csv is not None:
            read: list[str] = []
            races.append(_history_race_from_csv(p, csv, warnings=read))
            warns += read
            history_warns += read
        else:
            races.append(Race.from_plan(p))
        races[-1] = races[-1].with_starters(runners, course.path)
        warns += [f"{course.name}: {w}" for w in p.warnings]
        warns += _event_zone_offset_notes(course, ev_tz)
    # [[combined]] names course files: their races by the file each race was read from
    race_of = {Path(c.path).resolve(): c.name for c in courses}
    combined = [
        Combined(
            name=c["name"],
            races=tuple(race_of[Path(p).resolve()] for p in c["courses"]),
            ranking=c.get("ranking", "cumulative"),
            note=c.get("note", ""),
        )
        for c in combined_raw
    ]
    out = plan_event(
        races,
        name=ev_name or courses[0].name,
        path=ev_path,
        margin_s=margin_s,
        sweep_s=sweep_s,
        radius_m=radius_m,
        night=night,
        warnings=warns,
        combined=combined,
        gap_s=gap_s,
    )
    return replace(out, timezone=ev_tz, history_warnings=tuple(history_warns))


def _event_zone_offset_notes(course, ev_tz: str | None) -> list[str]:
    """The warning a course file gives of a start whose UTC offset is not its zone's, for a
    course without a ``timezone`` on the event file's: the event's tables show it on that
    clock (a start written +01:00 in a +02:00 summer is printed an hour later)."""
    if not ev_tz or getattr(course, "timezone", None):
        return []
    from .course import _offset_mismatch, _start_offset_note

    mismatch = _offset_mismatch(course.start, ev_tz)
    if not mismatch:
        return []
    note = _start_offset_note(course.start, ev_tz, mismatch)
    return [f"{course.name}: {note} (the event file's timezone; the course file names none)"]


TIMES_REMEDY = "name the file's columns like the course's checkpoints"
"""How ``event --times`` says to match a split-time file's columns (it has no ``--column``)."""


def _history_race_from_csv(plan, spec, *, warnings: list | None = None) -> Race:
    """:func:`history_race` from a split-time CSV, matched to the plan's checkpoints;
    the warnings ``backtest`` gives of the file (its reading, times without a UTC offset,
    backwards passages, implausible finishers, a file that does not fit the course) are
    appended to ``warnings``, each beginning with the race's name and naming the file."""
    from .history import (
        backwards_note,
        early_start_note,
        fit_checks,
        implausible_note,
        map_columns,
        naive_note,
        read_times,
        start_origin,
        swapped_message,
        timed_ends,
        times_zone,
        unused_columns_note,
    )

    csv_path, explicit = (spec, None) if isinstance(spec, str | Path) else spec
    # times without a UTC offset are wall times of the course's zone, as backtest reads them
    st = read_times(csv_path, tz=times_zone(plan.course))
    # the file's own warnings (details columns, DNS rows, extra fields, clock changes) do
    # not name it: on an event of several races and files, they must
    notes = [f"{Path(csv_path).name}: {w}" for w in st.warnings]
    naive = naive_note(st, plan.course)
    if naive:
        notes.append(naive)
    legs = plan.legs
    wps = [getattr(s, "waypoint", None) if s is not None else None for s in legs.specs]
    mapping, how = map_columns(
        legs.names,
        st.columns,
        waypoints=wps,
        explicit=explicit or {},
        names_source=plan.course.path,
        columns_source=csv_path,
    )
    refused: list[str] = []
    mapping, by_times = timed_ends(
        mapping, st.time, names=legs.names, columns=st.columns, waypoints=wps, notes=refused
    )
    if mapping[0] is None or mapping[-1] is None:
        j = 0 if mapping[0] is None else -1
        raise HistoryError(
            f"{csv_path}: no column for the {'start' if j == 0 else 'finish'} row "
            f"{legs.names[j]!r} of {plan.course.name!r} (columns: {', '.join(st.columns)}): "
            "name it like the checkpoint, and time every runner there"
            + "".join(f"; {n}" for n in refused)
        )
    stamps = np.full((len(st.bib), len(mapping)), np.nan)
    for j, c in enumerate(mapping):
        if c is not None:
            stamps[:, j] = st.time[:, c]
    # columns matched to the wrong checkpoints put most runners backwards: refused, as
    # `backtest` refuses them (the field would be fitted on another place's times)
    swapped = swapped_message(
        stamps, legs.names, st.columns, mapping, csv_path, remedy=TIMES_REMEDY
    )
    if swapped:
        raise HistoryError(swapped)
    back = backwards_note(stamps, st.bib, csv_path)
    if back:
        notes.append(back)
    idle = unused_columns_note(st, mapping, plan.course.path, remedy=TIMES_REMEDY)
    if idle:
        notes.append(idle)
    # each runner's own start passage (start waves); the first wave when not timed, and
    # for a stray start cell before it (a chip read at the arch, a wrong date), named as
    # `backtest` names it: the plain earliest cell shifted every runner's start offset
    t0 = stamps[:, 0].copy()
    if np.isfinite(t0).any():
        gun = start_origin(t0)
        early = early_start_note(t0, st.bib, csv_path, tz=times_zone(plan.course))
        if early:
            notes.append(early)
        with np.errstate(invalid="ignore"):
            t0[~(t0 >= gun)] = gun
    elapsed = stamps - t0[:, None]
    offset = t0 - np.nanmin(t0) if np.isfinite(t0).any() else None
    odd = implausible_note(
        elapsed,
        st.finisher,
        st.bib,
        plan.course.limit_s,
        csv_path,
        verdict="the field is fitted on them as they are",
    )
    if odd:
        notes.append(odd)
    # the fit checks of `backtest` and `calibrate`: warned of (the median finisher beyond
    # the limit ...), and refused when no intermediate checkpoint has a column and the file
    # has other columns or does not fit (another race's times)
    misfit, unfit = fit_checks(
        elapsed,
        st.finisher,
        mapping,
        legs.names,
        st.columns,
        limit_s=plan.course.limit_s,
        course_file=plan.course.path,
        source=csv_path,
        km_effort=legs.km_effort,
        remedy=TIMES_REMEDY,
    )
    if unfit:
        raise HistoryError(unfit)
    if warnings is not None:
        warnings += [f"{plan.course.name}: {m}" for m in notes + misfit]
    try:
        race = history_race(
            plan, elapsed, np.asarray(st.status), start_offset=offset, source=Path(csv_path).name
        )
    except (HistoryError, ValueError) as exc:
        raise HistoryError(f"{csv_path}: {exc}") from None
    if by_times:
        ends = {"start": mapping[0], "finish": mapping[-1]}
        found = ", ".join(f"{k} = column {st.columns[ends[k]]!r}" for k in by_times)
        race = replace(race, field_note=f"{race.field_note}; found by the times: {found}")
    # columns matched by their position alone (backtest's "by order"): a guess, said
    guessed = [
        f"{legs.names[j]!r} = column {st.columns[c]!r}"
        for j, c in enumerate(mapping)
        if how[j] == "order" and c is not None
    ]
    if guessed:
        guess = f"; matched by order: {', '.join(guessed)}"
        race = replace(race, field_note=race.field_note + guess)
    return race


MAX_SIMULATED = 20_000_000
"""Largest runners x repetitions summed over the races of one simulation (~5-10 s; memory is
bounded by the chunks in flight, ~230 MB per thread)."""


def simulate_event(
    event: EventPlan,
    *,
    n_runners: int | Sequence[int] = 1000,
    repetitions: int = 100,
    params: FieldParams = DEFAULT_FIELD,
    finish_share: float | Mapping[str, float] | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    **kw,
) -> EventPlan:
    """Simulate the field of every race of ``event`` (see :func:`simulate_race`).

    ``n_runners`` is one number for every race or one per race; one number is the
    default: a race with its own field size (``Race.runners``, the event file's
    ``[runners]``) is simulated with that. ``finish_share``
    is one share for every race, or a mapping from race names to shares (a race
    not in it keeps the default; the key ``""`` sets the share of every race not
    named); an unknown race name is an error. Each race gets
    its own random stream spawned from ``seed``. Races without barriers are
    simulated with the default field's median runner (``ability_mean`` from
    the finish share cannot be solved) and a warning. A race smaller than
    :data:`coursekit.field.FIELD_EFFORT_RANGE` simulated at the default's finish
    share (0.78, an ultra's) gets a warning quoting
    :func:`coursekit.field.finish_share_by_effort`.

    Raises :class:`~coursekit.errors.OptionError` (its ``option`` names the keyword
    arguments) for values given that the event refuses, before any simulation: a
    ``finish_share`` naming no race, ``n_runners`` x ``repetitions`` beyond
    :data:`MAX_SIMULATED`; and for a given ``finish_share`` the field cannot reach. A share
    not given (the default's, or the past edition's of a race fitted on history) that the
    field cannot reach is a :class:`~coursekit.errors.PlanError` naming the event file.
    """
    counts = (
        [int(n_runners if r.runners is None else r.runners) for r in event.races]
        if np.ndim(n_runners) == 0
        else [int(x) for x in n_runners]
    )
    if len(counts) != len(event.races):
        raise ValueError(f"n_runners: one value or {len(event.races)} values")
    shares = _shares_by_race(event, finish_share)
    work = sum(counts) * int(repetitions)
    if work > MAX_SIMULATED:  # values given: OptionError, before any simulation
        each = (
            f"{counts[0]:,} x {len(counts)} races"
            if len(set(counts)) == 1
            else " + ".join(f"{c:,}" for c in counts)
        )
        detail = (
            f"{sum(counts):,} runners ({each}) x {int(repetitions):,} repetitions is beyond "
            f"{MAX_SIMULATED:,} runner-repetitions (memory and time); lower the runners or "
            "the repetitions"
        )
        where = f"{event.path}: " if event.path is not None else ""
        raise OptionError(
            f"{where}n_runners x repetitions: {detail}",
            option=("n_runners", "repetitions"),
            detail=detail,
        )
    seeds = np.random.SeedSequence(seed).spawn(len(event.races))
    sims, warns, capped, checks = [], list(event.warnings), [], []
    for race, n, ss, finish_share in zip(event.races, counts, seeds, shares, strict=True):
        barrier = np.any(np.isfinite(race.cutoff_elapsed[1:]))
        extra = {} if race.field is not None else {"params": params}
        if race.field is None and not barrier:
            extra["ability_mean"] = 0.0
            warns.append(f"{race.name}: no barriers; simulated around the reference runner")
        try:
            sim = simulate_race(
                race,
                n_runners=n,
                repetitions=repetitions,
                finish_share=finish_share,
                seed=np.random.default_rng(ss),
                hour_offset_s=seconds_between(event.origin, race.start),
                progress=progress,
                **extra,
                **kw,
            )
        except OptionError as exc:  # which race's share cannot be reached
            if finish_share is None:  # the default's or the past edition's: not a value given
                where = f"{event.path}: " if event.path is not None else ""
                raise PlanError(f"{where}{race.name}: {exc}") from None
            raise OptionError(
                f"{race.name}: {exc}", option=("finish_share",), detail=f"{race.name}: {exc}"
            ) from None
        sims.append(sim)
        # the level solver says whether eliminated_max bound (a field fitted on history
        # keeps its own level; an explicit share or no barrier has no cap)
        capped.append(race.field is None and sims[-1].capped)
        if race.field is None and barrier:  # fixed barriers against the field without them
            checks += _fixed_barrier_checks(
                race, sims[-1], ss, finish_share=finish_share, **extra, **kw
            )
    sims = [replace(s, seed=seed) for s in sims]
    warns += _barrier_check_warnings(event, checks)
    warns += _late_after_close(event, sims)
    warns += _early_before_open(event, sims)
    warns += _timed_out_at_the_line(event, sims)
    warns += _capped_finish_share(event, sims, capped)
    warns += _short_race_share(event, sims, shares)
    warns += _long_race_share(event, sims, shares)
    warns += [
        f"combined ranking {c.name!r} ({' then '.join(c.races)}): not simulated as such: "
        "each race's field is simulated on its own, so its stage 2 is not limited to its "
        "stage-1 finishers"
        for c in event.combined
    ]
    return replace(
        event, simulations=tuple(sims), warnings=tuple(warns), barrier_checks=tuple(checks)
    )


TIMED_OUT_NOTE = 0.5
"""Mean runners timed out at the finish of a race without an earlier barrier from which
:func:`simulate_event` warns (half a runner: it rounds to one)."""


def _timed_out_at_the_line(event: EventPlan, sims) -> list[str]:
    """Races with no barrier before the finish whose simulated field is timed out by the
    race's limit: those runners ran until it, to be pulled by the sweep on the leg they were
    on (:func:`coursekit.field.simulate_field`; HAUT 10, start and finish only: ~15 of 300
    on its one leg)."""
    out = []
    for race, sim in zip(event.races, sims, strict=True):
        if np.any(np.isfinite(race.cutoff_elapsed[1:-1])) or not np.isfinite(
            race.cutoff_elapsed[-1]
        ):
            continue
        # every elimination is the limit's: at the finish or where it caught the runner
        mean, lo, hi = sim.band(sim.eliminated[:, 1:].sum(axis=1))
        if float(mean) >= TIMED_OUT_NOTE:
            out.append(
                f"{race.name}: no barrier before the finish: {float(mean):.1f} of "
                f"{sim.n_runners} runners timed out by the limit (mean over {sim.repetitions} "
                f"repetitions, {float(lo):.0f}-{float(hi):.0f} in 90 % of them): they run "
                "until it, to be pulled by the sweep on the leg they are on; a barrier on the "
                "course stops them earlier"
            )
    return out


def _capped_finish_share(event: EventPlan, sims, capped: Sequence[bool]) -> list[str]:
    """One warning naming the races whose simulated finish share is above the default
    because the barriers may time out at most ``eliminated_max`` of the starters."""
    hit = [
        (race.name, sim.finish_share, sim.params)
        for race, sim, c in zip(event.races, sims, capped, strict=True)
        if c
    ]
    if not hit:
        return []
    p = hit[0][2]
    shares = ", ".join(f"{name} {100 * fs:.0f} %" for name, fs, _ in hit)
    return [
        f"simulated finish share above the default {100 * p.finish_share:.0f} % ({shares}): at "
        f"{100 * p.finish_share:.0f} % the barriers would time out more than "
        f"{100 * p.eliminated_max:.0f} % of the starters, the most seen in past races, so the "
        f"field is made faster until they stop {100 * p.eliminated_max:.0f} % (eliminated_max; "
        "docs/simulation.md, 'How many the barriers stop'); --finish-share "
        f"{p.finish_share:g} simulates that share as asked"
    ]


def _shares_by_race(event: EventPlan, finish_share) -> list[float | None]:
    """One finish share (or None: the default) per race of ``event``, from one share or
    a mapping of race names (``""``: every race not named) to shares."""
    if finish_share is None or not isinstance(finish_share, Mapping):
        return [finish_share] * len(event.races)
    names = [race.name for race in event.races]
    unknown = [k for k in finish_share if k and k not in names]
    if unknown:
        where = f" in {event.path}" if event.path is not None else ""
        detail = (
            f"{', '.join(map(repr, unknown))}: no such race{where} "
            f"(races: {', '.join(map(repr, names))})"
        )
        raise OptionError(f"finish share for {detail}", option=("finish_share",), detail=detail)
    return [finish_share.get(name, finish_share.get("")) for name in names]


def _short_race_share(event: EventPlan, sims, shares=None) -> list[str]:
    """Races smaller than every race the default field was fitted on
    (:data:`coursekit.field.FIELD_EFFORT_RANGE`) simulated at the default's ultra finish
    share (no share given for them in ``shares``): one line each, with the share the past
    races measure for their size."""
    out = []
    lo = FIELD_EFFORT_RANGE[0]
    shares = [None] * len(sims) if shares is None else shares
    for race, sim, given in zip(event.races, sims, shares, strict=True):
        effort = float(np.sum(race.leg_effort))
        p = sim.params
        if (
            given is not None
            or race.field is not None
            or effort >= lo
            or p.finish_share != DEFAULT_FIELD.finish_share
        ):
            continue
        if not np.any(np.isfinite(race.cutoff_elapsed[1:])):
            continue  # no barrier: the level is the reference runner's, not the share's
        fit = finish_share_by_effort(effort)
        # what the formula gives, and the bound it is held to (FINISH_SHARE_BOUNDS): 95 %
        # is the cap under 43 km-effort, not the formula's value (98 % at 15 km-effort)
        # (named only where it changes the printed share: 95.2 % is "95 %", not capped)
        raw = float(np.exp(-FINISH_SHARE_HAZARD * effort))
        said, cap = f"{100 * raw:.0f}", f"{100 * fit:.0f}"
        gives = f"{said} % at this size" + (f", capped at {cap} %" if said != cap else "")
        out.append(
            f"{race.name}: {effort:.0f} km-effort, smaller than every race the default field "
            f"was fitted on ({lo:.0f}-{FIELD_EFFORT_RANGE[1]:.0f} km-effort), is simulated "
            f"at a mountain ultra's finish share ({100 * p.finish_share:.0f} % by default, "
            f"{100 * sim.finish_share:.0f} % simulated); past races lose fewer runners the "
            f"shorter they are: exp(-{FINISH_SHARE_HAZARD:g} x km-effort) gives {gives} "
            "(an extrapolation, docs/simulation.md); "
            f"--finish-share {_share_option(race.name, fit, len(event.races))} simulates "
            "that for this race"
        )
    return out


LONG_RACE_SHARE_GAP = 0.05
"""How far above the finish share past races of its size give [-] the default simulation of a
race may finish before :func:`simulate_event` says so: about the rule's error leaving one
race-edition out (rms 0.056, :func:`coursekit.field.finish_share_by_effort`)."""


def _long_race_share(event: EventPlan, sims, shares=None) -> list[str]:
    """Races without history simulated at the default's level (no share given) that finish
    more than :data:`LONG_RACE_SHARE_GAP` above what past races of their size finish,
    ``exp(-FINISH_SHARE_HAZARD x km-effort)`` without its bounds: the long ultras (judge
    finding J4; the Diagonale des Fous, 276 km-effort: 71 %, the default 82 %). The
    default's barriers stop at most 5 % of the starters and its other withdrawals do not
    grow with the race's length (docs/simulation.md, "How many the barriers stop")."""
    out = []
    shares = [None] * len(sims) if shares is None else shares
    for race, sim, given in zip(event.races, sims, shares, strict=True):
        if given is not None or race.field is not None:
            continue
        p = sim.params
        if p.finish_share != DEFAULT_FIELD.finish_share or p.eliminated_max is None:
            continue  # another field (the library's params): not the default's level
        effort = float(np.sum(race.leg_effort))
        size = float(np.exp(-FINISH_SHARE_HAZARD * effort))
        if sim.finish_share <= size + LONG_RACE_SHARE_GAP:
            continue
        beyond = (
            ", an extrapolation beyond the largest race measured, "
            f"{FIELD_EFFORT_RANGE[1]:.0f} km-effort"
            if effort > FIELD_EFFORT_RANGE[1]
            else ""
        )
        out.append(
            f"{race.name}: {effort:.0f} km-effort, {100 * sim.finish_share:.0f} % simulated "
            f"finishers, where past races of this size finish about {100 * size:.0f} % "
            f"(exp(-{FINISH_SHARE_HAZARD:g} x km-effort){beyond}; the Diagonale des Fous, 276 "
            "km-effort, finished 71 %, simulated so 82 %): the default field's barriers stop "
            f"at most {100 * p.eliminated_max:.0f} % of the starters and its "
            "other withdrawals do not grow with the race's length (docs/simulation.md); "
            f"--finish-share {_share_option(race.name, round(size, 2), len(event.races))} "
            "simulates that for this race"
        )
    return out


def _share_option(name: str, share: float, n_races: int) -> str:
    """The ``--finish-share`` value that sets ``share`` for the race ``name``, quoted for a
    shell when it must be (one race: the bare share)."""
    if n_races == 1:
        return f"{share:.2f}"
    import shlex

    return shlex.quote(f"{name}={share:.2f}")


def _late_after_close(event: EventPlan, sims) -> list[str]:
    """Stations whose simulated last runner (median over repetitions) arrives after the
    window serving him closes: runners timed out there still arrive, and the sweep comes
    behind them. One line per such window (a station with several windows may have more)."""
    # the median over repetitions once per race, not once per passage
    index = {r.name: (r, s.last_arrival_band()[0]) for r, s in zip(event.races, sims, strict=True)}
    out = []
    for st in event.stations:
        late: dict[int, list] = {}
        for i, p in enumerate(st.passages):
            race, last = index[p.race]
            med = last[p.row]
            k = st.window_of(i)  # the window serving this passage
            if math.isfinite(med) and race.clock(med) > st.windows[k].close:
                late.setdefault(k, []).append((race.clock(med), p.race))
        # a race over a week: a weekday names two days, so the clock times are dated
        fmt = clock_format(
            any(float(index[p.race][0].cutoff_elapsed[-1]) > DATED_S for p in st.passages)
        )
        for k in sorted(late):
            t, who = max(late[k])
            out.append(
                f"station {st.name!r}: the simulated last runner of {who} arrives "
                f"{t.strftime(fmt)} (median over repetitions), after it closes "
                f"{st.windows[k].close.strftime(fmt)}: keep it open for the runners stopped "
                "there, or widen --sweep"
            )
    return out


EARLY_ARRIVALS_NOTE = 0.1
"""Mean simulated runners arriving at a station window before it opens from which
:func:`simulate_event` warns (one runner in ten repetitions; the real GRR 2024 and Templiers
2024 splits had none before any opening: h117)."""


def _early_before_open(event: EventPlan, sims) -> list[str]:
    """Stations whose simulated runners arrive before the window serving them opens, as
    :func:`_late_after_close` for the close. One line per window whose first runner (median
    over repetitions) comes before the opening or where half a runner or more
    (:data:`TIMED_OUT_NOTE`, mean over repetitions) arrives before it: how many, and the
    earliest race's first runner; then one line naming the other windows where
    :data:`EARLY_ARRIVALS_NOTE` or more arrive before the opening. Start rows are left out
    (starters leave)."""
    index = {
        r.name: (r, s, s.first_arrival_band()[0]) for r, s in zip(event.races, sims, strict=True)
    }
    out, few = [], []
    for st in event.stations:
        early: dict[int, list] = {}
        count: dict[int, float] = {}
        for i, p in enumerate(st.passages):
            if p.row == 0:
                continue
            race, sim, first = index[p.race]
            k = st.window_of(i)
            # mean arrivals per minute on the event's clock (origin), before the opening
            m = int(seconds_between(event.origin, st.windows[k].open) // 60)
            count[k] = count.get(k, 0.0) + float(sim.minute_occupancy[p.row][: max(m, 0)].sum())
            if math.isfinite(first[p.row]):
                early.setdefault(k, []).append((race.clock(first[p.row]), p.race))
        fmt = clock_format(
            any(float(index[p.race][0].cutoff_elapsed[-1]) > DATED_S for p in st.passages)
        )
        for k in sorted(early):
            t, who = min(early[k])
            opens, n = st.windows[k].open, count.get(k, 0.0)
            if t < opens or n >= TIMED_OUT_NOTE:
                out.append(
                    f"station {st.name!r}: {n:.1f} simulated runners (mean over repetitions) "
                    f"arrive before it opens {opens.strftime(fmt)}; the first of {who} "
                    f"arrives {t.strftime(fmt)} (median over repetitions): open it earlier, "
                    "or widen --margin"
                )
            elif n >= EARLY_ARRIVALS_NOTE - 1e-9:
                few.append(f"{st.name} {n:.1f} (opens {opens.strftime(fmt)})")
    if few:
        out.append(
            "simulated runners arriving before a station opens (mean over repetitions; "
            f"the median first runner comes after the opening): {', '.join(few)}: the "
            "simulated fastest runners can beat the leader's ETA; widen --margin to have "
            "the team there first"
        )
    return out


# ---------------------------------------------------------------- summary


def _iso(t: dt.datetime | None, *, floor: bool = False):
    """ISO clock to the minute: rounded to the nearest minute (as ``coursekit cutoffs``
    prints the leader's ETA), or floored (a start and a barrier as ``coursekit cutoffs``
    prints them, seconds dropped; an opening is never printed later than computed).
    Written with seconds (``2024-06-01T04:46:00+01:00``), the form of ``coursekit cutoffs
    --format json``, so that scripts can join the two outputs on the strings."""
    if t is None:
        return None
    if not floor and (t.second, t.microsecond) >= (30, 0):
        # clock.after adds in UTC: an aware ``+ timedelta`` on the zone's clock drops
        # ``fold`` (the second occurrence of the hour the clocks go back was written an
        # hour early, h105)
        t = after(t, 60.0)
    return t.replace(second=0, microsecond=0).isoformat(timespec="seconds")


def _r(x, nd=1):
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _station_occupancy(event: EventPlan, station: Station, what: str = "occupancy"):
    """Mean arrivals per clock hour at a station, all passages summed except start rows:
    a race's starters leave the station, they do not arrive at it (a start that is another
    race's finish counted its whole field as arrivals there). ``what="present"``: the
    runners present (``FieldSimulation.present``) instead."""
    if not event.simulations:
        return None
    by_name = {r.name: (r, s) for r, s in zip(event.races, event.simulations, strict=True)}
    total = np.zeros(0)
    for p in station.passages:
        if p.row == 0:
            continue
        _, sim = by_name[p.race]
        o = getattr(sim, what)[p.row]
        if o.size > total.size:
            total = np.pad(total, (0, o.size - total.size))
        total[: o.size] += o
    return total


def _hourly(event: EventPlan, counts) -> tuple[list, list, float, str | None]:
    """A station's counts per clock hour (:func:`_station_occupancy`) as the summary gives
    them: the ISO hours from the first to the last that has any (> 0.005), their counts,
    the peak and its hour (None when there is no hour)."""
    nz = np.nonzero(counts > 0.005)[0]
    a, b = (int(nz[0]), int(nz[-1]) + 1) if nz.size else (0, 0)
    hours = [_iso(after(event.origin, 3600.0 * h)) for h in range(a, b)]
    if not counts.size:
        return hours, [], _r(0.0, 1), None
    k = int(np.argmax(counts))
    return (
        hours,
        [_r(x, 1) for x in counts[a:b]],
        _r(counts.max(), 1),
        _iso(after(event.origin, 3600.0 * k)),
    )


def _station_peak_60min(event: EventPlan, station: Station, window: int | None = None):
    """The busiest 60 minutes at a station: (mean runners arriving, window start [s from
    the event origin]), on the mean arrivals per minute over the repetitions, all passages
    summed except start rows (as :func:`_station_occupancy`); a sliding window, so a bunch
    straddling a clock hour is counted whole. With ``window`` (an index in
    ``station.windows``), only the passages that staffing window serves: its shift's own
    figure. None without a simulation."""
    if not event.simulations:
        return None
    by_name = {r.name: s for r, s in zip(event.races, event.simulations, strict=True)}
    keep = range(len(station.passages)) if window is None else station.windows[window].passages
    total = np.zeros(0)
    for i in keep:
        p = station.passages[i]
        if p.row == 0:
            continue
        o = by_name[p.race].minute_occupancy[p.row]
        if o.size > total.size:
            total = np.pad(total, (0, o.size - total.size))
        total[: o.size] += o
    width = int(round(PEAK_WINDOW_S / 60.0))
    if not total.size:
        return 0.0, None
    sums = np.convolve(total, np.ones(width), mode="full")[: total.size]  # ending at m
    # a bunch shorter than the window fills several windows: the middle one, centred on it
    best = np.flatnonzero(sums >= sums.max() - 1e-9)
    m = int(best[best.size // 2])
    return float(sums[m]), 60.0 * max(m - width + 1, 0)


def _params_dict(p: FieldParams) -> dict:
    return {
        "spread": _r(p.spread, 4),
        "skew": _r(p.skew, 3),
        "level_sd": _r(p.level_sd, 4),
        "leg_sigma": _r(p.leg_sigma, 4),
        "fatigue": _r(p.fatigue, 3),
        "dnf_share": _r(p.dnf_share, 4),
        "dnf_ability": _r(p.dnf_ability, 3),
        "behind_hazard": _r(p.behind_hazard, 4),
        "behind_slope": _r(p.behind_slope, 2),
        "finish_share": _r(p.finish_share, 4),
        "eliminated_max": None if p.eliminated_max is None else _r(p.eliminated_max, 4),
        "start_compression": _r(p.start_compression, 3),
        "start_time_h": _r(p.start_time_s / HOUR, 3),
        "chase_share": _r(p.chase_share, 3),
        "ahead_hazard": _r(p.ahead_hazard, 4),
        "ahead_slope": _r(p.ahead_slope, 2),
        "foresight_hazard": _r(p.foresight_hazard, 4),
        "foresight_slope": _r(p.foresight_slope, 2),
        "tail_ease": _r(p.tail_ease, 3),
        "fastest": _r(p.fastest, 3),
        "source": p.source,
    }


def event_timezone(timezone: str | None, races) -> str | None:
    """The IANA name of an event's one clock, on which its tables are read.

    Parameters
    ----------
    timezone : str or None
        The event file's ``timezone``.
    races : iterable
        The event's races or courses (anything with a ``timezone`` attribute).

    Returns
    -------
    str or None
        ``timezone`` when given; else the races' zone when they all name the same one;
        else None (no one clock: each time stays on its race's clock, with its UTC offset).
        The JSON's ``timezone``, the text table's and the roadbook index's clock
        (:func:`coursekit.maps.event_zone`) and the CSV's local columns follow it.
    """
    if timezone:
        return timezone
    zones = {getattr(r, "timezone", None) for r in races}
    return zones.pop() if len(zones) == 1 and None not in zones else None


def event_summary(event: EventPlan) -> dict:
    """The event as plain data (JSON-ready) for the CLI and the roadbook index.

    Returns
    -------
    dict
        ``event, file, origin, timezone`` (the event's one clock, :func:`event_timezone`:
        the event file's ``timezone``, else the races' IANA zone when they share one, else
        None), ``margin_s, sweep_s, gap_s, radius_m, warnings``;
        ``races``: ``name, start, limit_s, checkpoints, timezone, limit_proposed``;
        ``combined`` (rankings over several races, ``[[combined]]``; ``[]`` without):
        ``name, ranking`` (``"cumulative"``: the sum of the stage times, so a stage not
        started or not finished is a withdrawal from the ranking), ``note``, ``limit_s``
        (the stage limits summed) and ``stages`` in start order: ``stage`` (1, 2, ...),
        ``race, start, limit_s, finish_deadline``;
        ``stations`` (by opening time): ``name`` (the place: a start or finish row is
        named after its place when known, see :func:`station_table`), ``key, lat, lon,
        open, close`` (the first opening and the last closing, whole minutes by one rule,
        see :func:`station_table`), ``windows`` (when the station is staffed: one or more
        ``open, close, races, dark_s``, in time order; a station no race needs for longer than
        the event's ``gap_s`` between two passages closes in between), ``night, dark_s,
        dark`` ([begin, end] ISO pairs, computed on the windows), ``races`` and
        ``passages`` (``race, row, name`` (the race's own checkpoint name), ``distance_m,
        first_arrival, cutoff, last_arrival, night, services, window`` (the index in
        ``windows`` of the window serving it)), and when simulated
        ``occupancy``: ``hours`` (ISO start of each clock hour), ``arrivals`` (mean runners
        arriving in that hour over the repetitions, all races; a race's start row is not
        counted: starters leave, they do not arrive), ``peak`` and ``peak_hour`` (the
        largest of ``arrivals`` and its clock hour: a bunch straddling the hour is split),
        ``peak_60min`` and ``peak_60min_start`` (the busiest 60 minutes wherever they
        start, the staffing figure: most mean arrivals within any 60 minutes, on those
        arrivals per minute, and the ISO start of that window), ``present_hours`` and
        ``present`` (mean runners present in each clock hour, all races, start rows left
        out: a runner is present over ``[arrival, arrival + dwell]``, his planned stop, so
        in every hour that interval meets; with no dwell at his arrival's hour only, so
        with no dwell at the station ``present`` is ``arrivals`` and ``present_hours`` is
        ``hours``; a stop may run past the last arrival's hour), ``present_peak`` and
        ``present_peak_hour`` (the largest of ``present`` and its clock hour);
        ``simulation`` (None when not simulated): ``n_runners, repetitions,
        seed, params`` (the field of the races without history when they all share it;
        None when every race is calibrated on its history, or when those races' fields
        differ, e.g. a finish share given to one race: see each race's ``params``) and
        ``races``: per race ``race, n_runners, n_runners_from_event_file`` (the race's
        ``[runners]`` of the event file, not the one number given), ``field``
        (how the field was calibrated, None for the default), ``params,
        ability_mean, finish_share`` (mean, p05, p95) and ``checkpoints`` (one per row, in
        race order): ``name, row`` (the row index, the key to join a station's
        ``passages``: a name can be used twice in a race), ``reached,
        withdrawn`` (runners withdrawing at this checkpoint; a withdrawal on the last leg
        is booked at the checkpoint before the finish, on the start row when the race has
        none: nobody withdraws at the finish line), ``eliminated, eliminated_p05,
        eliminated_p95, arrival_p10, arrival_p50, arrival_p90`` (among the runners who
        reach the row: at the finish, the finishers and those the limit stopped on the last
        leg, at the limit; ``arrival_percentiles_basis`` says so in the output),
        ``last_arrival, last_arrival_p95`` (at the race's limit at the latest: the sweep
        pulls whoever is still out then, :func:`coursekit.field.simulate_field`),
        ``peak_hourly, peak_hourly_p95`` (mean and 95th
        percentile over the repetitions of the largest count in one clock hour), ``peak_60min,
        peak_60min_p95`` (the same of the most arrivals within any 60 minutes),
        ``present_peak_hourly, present_peak_hourly_p95`` (the same of the most runners
        present in one clock hour, each over his planned stop: ``peak_hourly`` without a
        dwell); the six peaks are None on the start row; ``fixed_barriers`` (a race
        without history: its fixed intermediate barriers, :class:`BarrierCheck`): ``name,
        row, cutoff, eliminated_share_without_fixed`` (the share of the starters it
        eliminates from the field simulated without the fixed barriers) and
        ``eliminated_share`` (the simulation's own there).
        Counts are means over the repetitions (bands: 5th-95th percentiles).
        Times are ISO 8601 with offset; durations and distances SI.
        Every key, with its unit and when it is null, is in docs/outputs.md.
    """
    by_name = {r.name: r for r in event.races}
    out = {
        "event": event.name,
        "file": str(event.path) if event.path else None,
        "origin": _iso(event.origin),
        "timezone": event_timezone(event.timezone, event.races),
        "margin_s": event.margin_s,
        "sweep_s": event.sweep_s,
        "gap_s": event.gap_s,
        "radius_m": event.radius_m,
        "warnings": list(event.warnings),
        "races": [
            {
                "name": r.name,
                "start": _iso(r.start, floor=True),
                "limit_s": _r(r.cutoff_elapsed[-1], 0),
                "limit_proposed": r.limit_proposed,
                "checkpoints": len(r.names),
                "timezone": r.timezone,
            }
            for r in event.races
        ],
        "combined": [
            {
                "name": c.name,
                "ranking": c.ranking,
                "note": c.note,
                "stages": [
                    {
                        "stage": k + 1,
                        "race": x,
                        "start": _iso(by_name[x].start, floor=True),
                        "limit_s": _r(by_name[x].cutoff_elapsed[-1], 0),
                        "finish_deadline": _iso(
                            by_name[x].clock(float(by_name[x].cutoff_elapsed[-1]))
                        ),
                    }
                    for k, x in enumerate(c.races)
                ],
                "limit_s": _r(sum(float(by_name[x].cutoff_elapsed[-1]) for x in c.races), 0),
            }
            for c in event.combined
        ],
        "stations": [],
        "simulation": None,
    }
    for s in event.stations:
        rec = {
            "name": s.name,
            "key": s.key,
            "lat": _r(s.lat, 6),
            "lon": _r(s.lon, 6),
            "open": _iso(s.open, floor=True),
            "close": _iso(s.close),
            "windows": [
                {
                    "open": _iso(w.open, floor=True),
                    "close": _iso(w.close),
                    "races": list(dict.fromkeys(s.passages[i].race for i in w.passages)),
                    "dark_s": _r(w.dark_s, 0),
                }
                for w in s.windows
            ],
            "night": s.night,
            "dark_s": _r(s.dark_s, 0),
            "dark": [[_iso(a), _iso(b)] for a, b in s.dark_intervals],
            "races": list(s.races),
            "passages": [
                {
                    "race": p.race,
                    "row": p.row,
                    "name": p.name,
                    "distance_m": _r(p.distance_m, 0),
                    # a start row's ETA is the start; a barrier's seconds are dropped
                    # (leave before it), as `coursekit cutoffs` writes them
                    "first_arrival": _iso(p.first_arrival, floor=p.row == 0),
                    "cutoff": _iso(p.cutoff, floor=True),
                    "last_arrival": _iso(p.last_arrival),
                    "night": p.night,
                    "services": list(p.services),
                    "window": s.window_of(i),
                }
                for i, p in enumerate(s.passages)
            ],
        }
        occ = _station_occupancy(event, s)
        if occ is not None:
            hours, arrivals, peak, peak_hour = _hourly(event, occ)
            rec["occupancy"] = {
                "hours": hours,
                "arrivals": arrivals,
                "peak": peak,
                "peak_hour": peak_hour,
            }
            peak60, at = _station_peak_60min(event, s)
            rec["occupancy"]["peak_60min"] = _r(peak60, 1)
            rec["occupancy"]["peak_60min_start"] = (
                _iso(after(event.origin, at)) if at is not None else None
            )
            # each staffing window (a shift) its own busiest 60 minutes: the station's
            # may belong to another window
            for k, w in enumerate(rec["windows"]):
                wpeak, wat = _station_peak_60min(event, s, k)
                w["peak_60min"] = _r(wpeak, 1)
                w["peak_60min_start"] = _iso(after(event.origin, wat)) if wat is not None else None
            # the runners present, each from his arrival to the end of his planned stop:
            # the arrivals' figures where no passage has a dwell; their own hours (a stop
            # runs past the last arrival's hour)
            hours, present, peak, peak_hour = _hourly(
                event, _station_occupancy(event, s, "present")
            )
            rec["occupancy"] |= {
                "present_hours": hours,
                "present": present,
                "present_peak": peak,
                "present_peak_hour": peak_hour,
            }
        out["stations"].append(rec)
    if event.simulations:
        sim0 = event.simulations[0]
        plain = [s for r, s in zip(event.races, event.simulations, strict=True) if r.field is None]
        # the races without history share one field, or the top level names none: a race
        # given its own finish share (or capped differently) was shown as the whole event's
        shown = [_params_dict(s.params) for s in plain]
        top = shown[0] if shown and all(d == shown[0] for d in shown) else None
        races = []
        for race, sim in zip(event.races, event.simulations, strict=True):
            em, elo, ehi = sim.band(sim.eliminated)
            lm, _, lhi = sim.last_arrival_band()
            pm, _, phi = sim.band(sim.occupancy_peak)
            wm, _, whi = sim.band(sim.occupancy_peak_60min)
            km, _, khi = sim.band(sim.present_peak)
            fs = sim.finishers / sim.n_runners
            q = sim.arrival_quantiles
            lev = list(np.round(sim.quantile_levels, 3))

            def qi(level, q=q, lev=lev):
                return lev.index(level) if level in lev else None

            cps = []
            for j, name in enumerate(race.names):
                row = {
                    "name": name,
                    "row": j,
                    "reached": _r(sim.reached[:, j].mean(), 1),
                    "withdrawn": _r(sim.withdrawn[:, j].mean(), 1),
                    "eliminated": _r(em[j], 1),
                    "eliminated_p05": _r(elo[j], 1),
                    "eliminated_p95": _r(ehi[j], 1),
                }
                for lvl, key in ((0.1, "arrival_p10"), (0.5, "arrival_p50"), (0.9, "arrival_p90")):
                    i = qi(lvl)
                    v = q[i, j] if i is not None else math.nan
                    row[key] = _iso(race.clock(v)) if math.isfinite(v) else None
                row["last_arrival"] = _iso(race.clock(lm[j])) if math.isfinite(lm[j]) else None
                row["last_arrival_p95"] = (
                    _iso(race.clock(lhi[j])) if math.isfinite(lhi[j]) else None
                )
                # the start row's "arrivals" are the starters: no arrival peak there
                row["peak_hourly"] = _r(pm[j], 1) if j else None
                row["peak_hourly_p95"] = _r(phi[j], 1) if j else None
                row["peak_60min"] = _r(wm[j], 1) if j else None
                row["peak_60min_p95"] = _r(whi[j], 1) if j else None
                # the runners present in one clock hour, each over his planned stop
                row["present_peak_hourly"] = _r(km[j], 1) if j else None
                row["present_peak_hourly_p95"] = _r(khi[j], 1) if j else None
                cps.append(row)
            races.append(
                {
                    "race": race.name,
                    "n_runners": sim.n_runners,
                    # the race's own starters from the event file's [runners] (h118)
                    "n_runners_from_event_file": race.runners is not None
                    and sim.n_runners == race.runners,
                    "field": race.field_note or None,
                    "params": _params_dict(sim.params),
                    "ability_mean": _r(sim.ability_mean, 4),
                    "finish_share": {
                        "mean": _r(fs.mean(), 4),
                        "p05": _r(np.percentile(fs, 5), 4),
                        "p95": _r(np.percentile(fs, 95), 4),
                    },
                    "checkpoints": cps,
                    "fixed_barriers": [
                        {
                            "name": c.name,
                            "row": c.row,
                            "cutoff": _iso(race.clock(c.cutoff_elapsed)),
                            "eliminated_share_without_fixed": _r(c.share, 3),
                            "eliminated_share": _r(c.simulated_share, 3),
                        }
                        for c in event.barrier_checks
                        if c.race == race.name
                    ],
                }
            )
        out["simulation"] = {
            "n_runners": [s.n_runners for s in event.simulations],
            "repetitions": sim0.repetitions,
            "seed": sim0.seed,
            "params": top,
            "arrival_percentiles_basis": ARRIVAL_PERCENTILES_BASIS,
            "races": races,
        }
    return out
