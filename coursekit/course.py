"""Course files (TOML, contract 1 of DESIGN.md) and event files.

A course file names a GPX track, the start, the overall limit, the figures the
organiser published (``[[declared]]``) and the checkpoints in course order::

    name = "HAUT 120"                       # required
    gpx = "haut-120.gpx"                    # required, relative to this file
    start = 2024-06-01T04:00:00+01:00       # required, TOML offset date-time
    limit = "34h"                           # required, or "34:00", 34 (or a [[proposed]] limit)
    timezone = "Africa/Casablanca"          # optional IANA name
    scale_to_declared = false               # optional: scale the profile to [[declared]][0]
    schematic = false                       # optional: the track is a sketch, not a route
    loop = false                            # optional: the course starts and ends at one place
    gain_threshold = 10                     # optional: D+/D- by the threshold rule [m]
    tolerance = 250                         # optional: largest checkpoint-to-track distance [m]

    [[declared]]                            # optional, repeatable
    source = "HAUT regulations 2024, 2.A"   # required
    distance_km = 120                       # optional
    gain_m = 6400                           # optional
    loss_m = 7000                           # optional
    limit = "34h"                           # optional
    note = "..."                            # optional

    [[checkpoints]]                         # in course order
    name = "Oukaimeden"
    km = 31.5                               # one of: km | lat + lon | waypoint
    services = ["water", "food"]            # see SERVICES
    cutoff = "10h"                          # optional: elapsed from the start, or date-time
    dwell = "5m"                            # optional planned stop
    declared_km = 20                        # optional: published km (not with km)
    barrier = false                         # optional: nobody stopped here (not with cutoff)
    tolerance = 600                         # optional [m]: not with km (lat + lon or waypoint)
    note = "..."                            # optional

Optional tables for publishing (free text, carried in :attr:`Course.info`):

``[info]``
    ``equipment`` (list of str), ``food`` (str), ``notes`` (str or list of str),
    ``organiser`` (str), ``website`` (str), ``description`` (str), ``sources``
    (list of str), ``place`` (str).
``[[proposed]]``
    A value coursekit (or the course author) proposes where the organiser
    published none, always shown labelled "proposed": ``field`` (e.g.
    ``"limit"``, ``"gain_m"``), ``value``, ``basis`` (how it was obtained,
    required) and optional ``note``. A course without ``limit`` must have a
    proposed ``limit``: it is then used as :attr:`Course.limit_s` and
    ``info["limit_proposed"]`` is True.

Decisions (documented in docs/course-file.md):

* Durations: ``"34h"``, ``"46h45m"``, ``"5m"``, ``"1h30"`` (minutes after
  ``h``), ``"90s"`` or a number of hours (``34``, ``12.5``). A bare string
  ``"34"`` is an error: the unit must be written.
* ``start`` must carry its UTC offset. A local date-time (no offset) is
  accepted only when ``timezone`` is given: it is then localised in that zone
  (DST handled by :mod:`zoneinfo`), and ``info["start_localised"]`` says so.
  The same rule holds for date-time cutoffs. A local time the zone skips (the
  clocks go forward) is an error; one it repeats (they go back) is read as its
  first occurrence, with a warning (``info["ambiguous_times"]``).
* ``scale_to_declared``: distance is multiplied by declared/measured distance,
  or stretched piecewise through the checkpoints that give a ``declared_km``;
  a declared D+ (D-) above the measured one is reached by spreading the
  missing metres uniformly along the distance, one below it by a factor < 1
  (the loss target is measured loss x declared/measured gain when no loss is
  declared); see :func:`scale_profile`. Altitudes are *not* changed (the
  places' altitudes are the best data a sketch has); so on a scaled profile
  gain - loss no longer equals end - start altitude. Checkpoint ``km`` are on
  the scaled distance.
* A GPX written by ``coursekit sketch`` says ``coursekit sketch (schematic)`` in
  its creator and description: such a course is schematic without the key.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from .clock import after
from .errors import CourseFileError, CoursekitError
from .gpxcheck import SKETCH_MARK, is_sketch_gpx

__all__ = [
    "SERVICES",
    "SKETCH_MARK",
    "Declared",
    "CheckpointSpec",
    "Course",
    "Event",
    "load_course",
    "load_event",
    "parse_duration",
    "scale_profile",
    "is_sketch_gpx",
    "unknown_key_note",
]

SERVICES = ("water", "food", "hot_meal", "drop_bag", "medical", "toilets", "bus")
"""Known checkpoint services."""


DEFAULT_TOLERANCE_M = 250.0
"""Largest distance from a checkpoint to the track when the course file gives none [m]."""
MAX_TOLERANCE_M = 5000.0
"""Largest ``tolerance`` a course file may set [m]: beyond it a checkpoint is not on the course."""

_TOP_KEYS = {
    "name",
    "gpx",
    "start",
    "limit",
    "timezone",
    "scale_to_declared",
    "schematic",
    "loop",
    "gain_threshold",
    "tolerance",
    "declared",
    "checkpoints",
    "info",
    "proposed",
}
_DECLARED_KEYS = {"source", "distance_km", "gain_m", "loss_m", "limit", "note"}
_CP_KEYS = {
    "name",
    "km",
    "lat",
    "lon",
    "waypoint",
    "services",
    "cutoff",
    "barrier",
    "tolerance",
    "dwell",
    "declared_km",
    "note",
    "start",
    "finish",
}
_INFO_KEYS = {
    "equipment": "list",
    "food": "str",
    "notes": "str_or_list",
    "organiser": "str",
    "website": "str",
    "description": "str",
    "sources": "list",
    "place": "str",
}
_PROPOSED_KEYS = {"field", "value", "basis", "note"}
_EVENT_KEYS = {"name", "courses", "timezone", "info", "combined", "runners"}

MAX_RACE_RUNNERS = 100_000
"""Largest ``[runners]`` value of an event file: a race's starters (the largest trail fields are
~10,000; 100,000 x the default 200 repetitions is ``coursekit.event.MAX_SIMULATED``)."""
_COMBINED_KEYS = {"name", "courses", "ranking", "note"}


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Declared:
    """One ``[[declared]]`` table: figures as published, with their source.

    Attributes
    ----------
    source : str
    distance_m, gain_m, loss_m : float or None
        Distance [m], cumulative gain and loss [m].
    limit_s : float or None
        Overall time limit [s].
    note : str
    """

    source: str
    distance_m: float | None
    gain_m: float | None
    loss_m: float | None
    limit_s: float | None = None
    note: str = ""


@dataclass(frozen=True)
class CheckpointSpec:
    """One ``[[checkpoints]]`` table, as written (placement resolved later).

    Attributes
    ----------
    name : str
    km : float or None
        Distance along the (possibly scaled) course [km] when placed by km.
    lat, lon : float or None
        Position [degrees] when placed by coordinates.
    waypoint : str or None
        Name of a GPX waypoint when placed by waypoint.
    services : tuple of str
        Subset of :data:`SERVICES`, in file order.
    cutoff : datetime or None
        Fixed barrier, aware (an elapsed ``"10h"`` is resolved against the start).
    dwell_s : float
        Planned stop [s], 0 if none.
    drop_bag : bool
        ``"drop_bag"`` in services.
    note : str
    barrier : bool
        False for a checkpoint where nobody is stopped (a water point, a
        timing point): its time is only the reference last finisher's
        passage, when the station may close. Default True.
    tolerance_m : float or None
        Largest distance from this checkpoint to the track [m] (key
        ``tolerance``, placements by coordinates or waypoint only); None: the
        course's.
    declared_km : float or None
        The km the organiser publishes for this checkpoint (key ``declared_km``),
        for a checkpoint placed by its position (lat + lon or waypoint): with
        ``scale_to_declared`` the distance is stretched so that the checkpoint
        falls at it; otherwise ``coursekit check`` and the plan warn when the
        track puts it elsewhere (:data:`coursekit.checkpoints.DECLARED_KM_WARN`).
    start, finish : bool or None
        Keys ``start`` and ``finish``: True marks the checkpoint listed first (last) as the
        course's start (finish) whatever its name ("Place de l'Église", "Chamonix"); False
        says it is not, whatever its name (a water point named "Meta" listed last); None
        (not given): its name decides (:func:`coursekit.checkpoints.is_start_name`,
        :func:`coursekit.checkpoints.is_finish_name`).
    """

    name: str
    km: float | None
    lat: float | None
    lon: float | None
    waypoint: str | None
    services: tuple[str, ...]
    cutoff: datetime | None
    dwell_s: float
    drop_bag: bool
    note: str = ""
    barrier: bool = True
    tolerance_m: float | None = None
    declared_km: float | None = None
    start: bool | None = None
    finish: bool | None = None

    @property
    def placement(self) -> str:
        """``"km"``, ``"latlon"`` or ``"waypoint"``."""
        if self.km is not None:
            return "km"
        if self.waypoint is not None:
            return "waypoint"
        return "latlon"


@dataclass(frozen=True, eq=False)
class Course:
    """A loaded course file: its track, profile, start, limit and checkpoints.

    Attributes
    ----------
    name : str
    path : Path
        The TOML file.
    gpx_path : Path
    track : Track
    profile : Profile
        Scaled to ``declared[0]`` when ``scale_to_declared``.
    start : datetime
        Aware start time.
    limit_s : float
        Overall limit [s] (from ``limit``, or a proposed limit).
    timezone : str or None
    declared : tuple of Declared
    checkpoints : tuple of CheckpointSpec
    schematic : bool
        True when the track is a sketch (key ``schematic`` or a sketch GPX).
    scale_to_declared : bool
    info : dict
        Publishing tables: ``equipment``, ``food``, ``notes``, ``organiser``,
        ``website``..., ``proposed`` (list of dicts with ``field, value,
        basis, note``), ``limit_proposed`` (bool), ``start_localised`` (bool),
        ``start_offset_mismatch`` and ``start_offset_note`` (the zone's UTC
        offset and the warning, when the start's offset contradicts
        ``timezone``), ``ambiguous_times`` (warnings for local date-times a clock
        change repeats: the first occurrence was taken), ``loop`` (bool),
        ``scale`` (dict of factors when scaled), ``gpx_cut`` (when the first or last
        checkpoint is the start or finish named so, short of the GPX's end: ``start``,
        ``finish`` (names or None), ``before_start_m``, ``after_finish_m``; ``track`` and
        ``profile`` are then the course between them), ``gpx_not_cut`` (the same keys, for
        a start or finish named so but too far from the GPX's end for its name alone to
        cut, :data:`coursekit.checkpoints.NAMED_CUT_MAX_M`).
    tolerance_m : float
        Largest distance from a checkpoint to the track [m] (key ``tolerance``,
        default :data:`DEFAULT_TOLERANCE_M`); a checkpoint's own ``tolerance``
        overrides it.
    """

    name: str
    path: Path
    gpx_path: Path
    track: object
    profile: object
    start: datetime
    limit_s: float
    timezone: str | None
    declared: tuple[Declared, ...]
    checkpoints: tuple[CheckpointSpec, ...]
    schematic: bool
    scale_to_declared: bool
    info: dict = field(default_factory=dict)
    tolerance_m: float = DEFAULT_TOLERANCE_M

    @property
    def finish_deadline(self) -> datetime:
        """Start + limit (aware; real time, also across a daylight-saving change)."""
        return after(self.start, self.limit_s)

    @property
    def loop(self) -> bool:
        """True when declared a loop (``loop = true``)."""
        return bool(self.info.get("loop", False))


# ---------------------------------------------------------------- durations

_TOKEN = re.compile(r"(\d+(?:\.\d+)?)\s*(h|min|m|s)?\s*", re.IGNORECASE)
_UNIT_S = {"h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0}
_EXPECTED = 'expected a duration like "34h", "46h45m", "1h30", "5m", "90s" or a number of hours'
_HOURS_MINUTES = re.compile(r"(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?")
_CLOCK_LIKE = re.compile(r"(\d+):(\d+)(?::(\d+(?:\.\d+)?))?")
MAX_DURATION_S = 60 * 86400.0
"""Longest duration accepted (60 days) [s]: beyond it a value is a typo (or an overflow)."""


def parse_duration(value, *, positive: bool = False, hours_minutes: bool = False) -> float:
    """Parse a duration into seconds.

    Parameters
    ----------
    value : str or int or float
        ``"34h"``, ``"46h45m"``, ``"1h30"`` (minutes after hours), ``"5m"``,
        ``"5min"``, ``"90s"``, ``"1h30m15s"``, or a number of hours (``34``,
        ``12.5``).
    positive : bool, default False
        Refuse a duration of 0 too, in every form (``0``, ``"0h"``, ``"0:00"``: a race's
        limit), and say "> 0".
    hours_minutes : bool, default False
        Also accept ``"H:MM"`` and ``"H:MM:SS"`` (``"34:00"``, ``"46:45"``), the way
        regulations and coursekit's own tables write elapsed times. Only where the field
        can only be a duration in hours (a race's limit): elsewhere ``"12:00"`` could be a
        clock time, ``"5:00"`` minutes and seconds, and it is refused with that reason.

    Returns
    -------
    float
        Duration [s].

    Raises
    ------
    ValueError
        For a bare number in a string (``"34"``: hours or minutes?), a
        negative or unparseable value; the message says what is expected.
    """
    expected = _EXPECTED
    if hours_minutes:  # the form regulations and coursekit's tables write (outside review)
        expected = expected.replace('"1h30", ', '"1h30", "34:00", ')
    if isinstance(value, bool):
        raise ValueError(f"{value!r}: {expected}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise ValueError(f"{value!r}: {expected} ({'> 0' if positive else '>= 0'})")
        return _bounded(value, float(value) * 3600.0, expected)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} ({type(value).__name__}): {expected}")
    text = value.strip()
    hm = _HOURS_MINUTES.fullmatch(text)
    if hm is not None:
        h, m, sec = hm.group(1), hm.group(2), hm.group(3)
        if not hours_minutes:
            raise ValueError(
                f"{value!r} is ambiguous here (a clock time? hours:minutes? minutes:seconds?): "
                f'write "{int(h)}h{m}" for {int(h)} h {m} min, or "{int(h)}m{m}s"; {expected}'
            )
        seconds = int(h) * 3600.0 + int(m) * 60.0 + (float(sec) if sec else 0.0)
        if positive and seconds == 0:
            raise ValueError(f"{value!r}: {expected} (> 0)")
        return _bounded(value, seconds, expected)
    clock = _CLOCK_LIKE.fullmatch(text)
    if hours_minutes and clock is not None:  # "46:75", "46:5": the H:MM form, out of range
        raise ValueError(
            f"{value!r}: minutes and seconds of H:MM[:SS] are two digits, 00-59; {expected}"
        )
    if re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(
            f'{value!r} has no unit: {expected} (write "{text}h" for hours, or {text} '
            "without quotes)"
        )
    pos = 0
    total = 0.0
    order = ["h", "m", "s"]
    seen: list[str] = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"{value!r}: {expected}")
        num, unit = float(m.group(1)), (m.group(2) or "").lower()
        if not unit:
            # "1h30": a unitless number is minutes only right after hours, at the end
            if seen != ["h"] or m.end() != len(text):
                raise ValueError(f"{value!r}: {expected}")
            unit = "m"
        key = "m" if unit == "min" else unit
        if seen and order.index(key) <= order.index(seen[-1]):
            raise ValueError(f"{value!r}: {expected} (units in the order h, m, s, once each)")
        seen.append(key)
        total += num * _UNIT_S[unit]
        pos = m.end()
    if not seen:
        raise ValueError(f"{value!r}: {expected}")
    if positive and total == 0:
        raise ValueError(f"{value!r}: {expected} (> 0)")
    return _bounded(value, total, expected)


def _bounded(value, seconds: float, expected: str = _EXPECTED) -> float:
    if not seconds <= MAX_DURATION_S:
        raise ValueError(f"{value!r}: {expected}, at most {MAX_DURATION_S / 3600:.0f}h (60 days)")
    return seconds


# ---------------------------------------------------------------- helpers


def _quoted_datetime(key: str, v) -> str:
    """How to fix a date-time written in quotes: TOML reads ``"2024-06-01T04:00:00+01:00"``
    as a string, and only the bare form as a date-time (black-box finding h91 J1)."""
    if not isinstance(v, str) or not any(c in v for c in "T t"):
        return ""
    try:
        dt = datetime.fromisoformat(v.strip())
    except ValueError:
        return ""
    return (
        f" (a date-time in quotes is a string for TOML: remove the quotes, "
        f"{key} = {dt.isoformat()})"
    )


def _type_name(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, datetime):
        return "date-time"
    if isinstance(v, date):
        return "date"
    if isinstance(v, time):
        return "time"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "table"
    return type(v).__name__


def unknown_key_note(key, known) -> str:
    """The end of the message naming an unknown key: ``(did you mean 'limit'? known: gpx,
    limit, name, ...)``, the closest known key when one is close (:mod:`difflib`, ratio
    0.6, compared in lower case) and every known key, sorted. One wording for the course,
    event and places files and the parameter files of ``--params``."""
    import difflib

    near = difflib.get_close_matches(str(key).lower(), sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return f"({hint}known: {', '.join(sorted(known))})"


class _Ctx:
    """Error-message builder for one table of one file."""

    def __init__(self, path: Path, table: str):
        self.path = path
        self.table = table

    def err(self, key: str | None, msg: str) -> CourseFileError:
        where = str(self.path) + ":"
        if self.table:
            where += f" {self.table}"
        if key is not None:
            where += f" key '{key}'"
        return CourseFileError(f"{where}: {msg}")

    def check_keys(self, d: dict, allowed, what: str):
        unknown = [k for k in d if k not in allowed]
        if unknown:
            k = unknown[0]
            raise self.err(k, f"unknown key in {what} {unknown_key_note(k, allowed)}")

    def refuse_course_keys(self, d: dict, why: str):
        """A table that must not look like a course file (:data:`COURSE_MARKERS`)."""
        for k in COURSE_MARKERS:
            if k in d:
                raise self.err(k, why)

    def str_(self, d: dict, key: str, *, required=False, default=None):
        if key not in d:
            if required:
                raise self.err(key, "is required (a string)")
            return default
        v = d[key]
        if not isinstance(v, str):
            raise self.err(key, f"expected a string, got {_type_name(v)} {v!r}")
        if required and not v.strip():
            raise self.err(key, "must not be empty")
        return v

    def num(self, d: dict, key: str, *, default=None, lo=None, hi=None):
        if key not in d:
            return default
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.err(key, f"expected a number, got {_type_name(v)} {v!r}")
        v = float(v)
        if not math.isfinite(v):
            raise self.err(key, f"expected a finite number, got {v}")
        if lo is not None and v < lo:
            raise self.err(key, f"expected a number >= {lo:g}, got {v:g}")
        if hi is not None and v > hi:
            raise self.err(key, f"expected a number <= {hi:g}, got {v:g}")
        return v

    def bool_(self, d: dict, key: str, default=False) -> bool:
        if key not in d:
            return default
        v = d[key]
        if not isinstance(v, bool):
            raise self.err(key, f"expected true or false, got {_type_name(v)} {v!r}")
        return v

    def duration(
        self, d: dict, key: str, default=None, *, positive: bool = False, hours_minutes=False
    ):
        if key not in d:
            return default
        try:
            return parse_duration(d[key], positive=positive, hours_minutes=hours_minutes)
        except ValueError as exc:
            raise self.err(key, str(exc)) from None

    def str_list(self, d: dict, key: str, default=()):
        if key not in d:
            return tuple(default)
        v = d[key]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.err(key, f"expected an array of strings, got {_type_name(v)} {v!r}")
        return tuple(v)


YEARS = (1900, 2999)
"""Years accepted in date-times (start, cutoffs): beyond, start + limit may not be representable."""


def _localise(
    dt: datetime,
    tz: str | None,
    ctx: _Ctx,
    key: str,
    notes: list | None = None,
    start: datetime | None = None,
) -> tuple[datetime, bool]:
    """Aware datetime; a naive one is localised in ``tz`` (else an error).

    A local time that ``tz`` skips (the hour the clocks go forward) is an error; one it
    repeats (the hour they go back) takes its first occurrence, and a warning saying so
    is appended to ``notes`` (:func:`_ambiguous_note`; with ``start``, it gives each
    occurrence's elapsed time)."""
    if not YEARS[0] <= dt.year <= YEARS[1]:
        raise ctx.err(
            key, f"{dt.isoformat()}: expected a date between the years {YEARS[0]} and {YEARS[1]}"
        )
    if dt.tzinfo is not None:
        return dt, False
    if tz is None:
        raise ctx.err(
            key,
            f"{dt.isoformat()} has no UTC offset: write it as an offset date-time "
            f'(e.g. {dt.isoformat()}+01:00) or give timezone = "Area/City"',
        )
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    first, second = dt.replace(tzinfo=zone), dt.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, True
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != dt:
        # skipped: fold=0 reads it on the offset before the change, fold=1 after
        raise ctx.err(key, _skipped_text(dt, tz, first, second))
    if notes is not None:
        notes.append(_ambiguous_note(dt, tz, ctx, key, first, second, start))
    return first, True


def _skipped_text(dt: datetime, tz: str, first: datetime, second: datetime) -> str:
    """The error for a local time ``dt`` that ``tz`` skips, read on the offset before the
    change (``first``) and after it (``second``): the skipped span with its dates (an hour
    in spring; Pacific/Apia skipped the whole of 30 Dec 2011)."""
    zone = first.tzinfo
    lo, hi = second.timestamp(), first.timestamp()  # the change is between these instants
    while hi - lo > 1.0:
        mid = 0.5 * (lo + hi)
        if datetime.fromtimestamp(mid, zone).utcoffset() == first.utcoffset():
            lo = mid
        else:
            hi = mid
    change = datetime.fromtimestamp(round(hi), UTC)
    gap = second.utcoffset() - first.utcoffset()
    frm = (change + first.utcoffset()).replace(tzinfo=None)  # wall clock before the change
    to = frm + gap  # and after it

    def wall(t: datetime, *, on: datetime) -> str:  # the date too when it is another
        return f"{t:%H:%M}" if t.date() == on.date() else f"{t:%a %Y-%m-%d %H:%M}"

    shown = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    # the time skipped with its date when the skipped span is not within one date
    skipped = f"{dt:%H:%M}" if frm.date() == to.date() else f"{dt:%a %Y-%m-%d %H:%M}"
    span = {3600: "hour", 1800: "half hour", 86400: "day"}.get(round(gap.total_seconds()), "time")
    before, after_ = _offset_text(first), _offset_text(second)
    return (
        f"{dt.isoformat()} does not exist in {tz}: the clocks go forward from "
        f"{frm:%a %Y-%m-%d %H:%M} to {wall(to, on=frm)} (UTC{before} to UTC{after_}) and "
        f"skip {skipped}; write the time meant with its UTC offset (e.g. "
        f"{dt.isoformat()}{before}, which the clocks show as {wall(shown, on=dt)}) or a time "
        f"outside the skipped {span}"
    )


def _offset_text(t: datetime) -> str:
    """``+02:00`` of an aware datetime."""
    z = t.strftime("%z")
    return f"{z[:3]}:{z[3:]}"


def _ambiguous_note(dt, tz, ctx, key, first, second, start=None) -> str:
    """The warning for a local time that ``tz`` repeats (the clocks go back): the first
    occurrence is taken; an offset makes it explicit."""
    from .clock import hm, seconds_between

    where = f"{ctx.table} {key}".strip()
    a, b = _offset_text(first), _offset_text(second)
    when = (
        f", {hm(seconds_between(start, first))} after the start; the second would be "
        f"{hm(seconds_between(start, second))}"
        if start is not None
        else ""
    )
    return (
        f"{where} {dt.isoformat()} is ambiguous in {tz}: the clocks go back that night and "
        f"{dt:%H:%M} happens twice, on UTC{a} then on UTC{b}; the first was taken "
        f"({dt.isoformat()}{a}{when}): write {dt.isoformat()}{a} or {dt.isoformat()}{b} "
        "to make it explicit"
    )


def _start_offset_note(start: datetime, tz: str, zone_offset: str) -> str:
    """The warning for a start whose UTC offset is not its time zone's at that date."""
    from zoneinfo import ZoneInfo

    local = start.astimezone(ZoneInfo(tz))
    return (
        f"start {start.isoformat()} has UTC offset {start.strftime('%z')[:3]}:"
        f"{start.strftime('%z')[3:]}, but {tz} is at {zone_offset} then: the race is "
        f"planned from {local:%H:%M} local time; if {start:%H:%M} is the local start, "
        f"write {start.replace(tzinfo=None).isoformat()}{zone_offset}"
    )


def _offset_mismatch(start: datetime, tz: str | None) -> str | None:
    """The zone's UTC offset (``+hh:mm``) when an offset start contradicts ``tz``, else None.

    A start copied with a wrong offset (a timing provider's export in UTC, a winter
    offset in summer) silently moves every barrier and night section by hours.
    """
    if tz is None:
        return None
    from zoneinfo import ZoneInfo

    zone = start.astimezone(ZoneInfo(tz)).utcoffset()
    if zone is None or zone == start.utcoffset():
        return None
    minutes = int(zone.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _timezone(ctx: _Ctx, raw: dict) -> str | None:
    tz = ctx.str_(raw, "timezone")
    if tz is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.err(
            "timezone", f'{tz!r} is not an IANA time zone (e.g. "Europe/Paris")'
        ) from None
    return tz


MAX_TOML_BYTES = 16 * 1024 * 1024
"""Largest course, event or places file read [bytes] (real ones are a few KB)."""


def _read_toml(path: Path, what: str) -> dict:
    path = Path(path)
    if not path.exists():
        raise CourseFileError(f"{path}: no such {what} file")
    if path.is_dir():
        raise CourseFileError(f"{path}: is a directory, not a {what} file")
    if not path.is_file():  # a device (/dev/zero) or a pipe would be read forever
        raise CourseFileError(f"{path}: not a regular file (expected a TOML {what} file)")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise CourseFileError(f"{path}: cannot read the {what} file ({exc.strerror})") from None
    if len(data) > MAX_TOML_BYTES:
        raise CourseFileError(
            f"{path}: larger than {MAX_TOML_BYTES // 2**20} MB: not a TOML {what} file"
        )
    if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte-order mark (Windows editors)
        data = data[3:]
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseFileError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise CourseFileError(
            f"{path}: not valid TOML (arrays or tables nested too deep)"
        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CourseFileError(
            f"{path}: not UTF-8 text ({exc.reason} at line {line}); save it as UTF-8"
        ) from None
    _check_text(path, raw)
    return raw


_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "bell",
    0x08: "backspace",
    0x0B: "vertical tab, a line break pasted from a spreadsheet cell?",
    0x0C: "form feed",
    0x1B: "escape",
    0x7F: "delete",
}


def _control_char(text: str) -> str | None:
    """The first control character of ``text`` (tab, LF and CR excepted), or the
    noncharacters U+FFFE/U+FFFF or a lone surrogate, none of which XML 1.0 allows (a GPX
    written with one cannot be read back) nor a terminal shows: ``"control character U+0007
    (bell)"``."""
    for ch in text:
        c = ord(ch)
        if (
            (c < 0x20 and ch not in "\t\n\r")
            or 0x7F <= c <= 0x9F
            or 0xD800 <= c <= 0xDFFF
            or c in (0xFFFE, 0xFFFF)
        ):
            if 0xD800 <= c <= 0xDFFF:
                return f"lone surrogate U+{c:04X}"
            if c >= 0xFFFE:
                return f"noncharacter U+{c:04X}"
            what = _CONTROL_NAMES.get(c)
            return f"control character U+{c:04X}" + (f" ({what})" if what else "")
    return None


def _check_text(path: Path, raw) -> None:
    """Refuse a control character in any string (or key) of a TOML file read by
    :func:`_read_toml`: names, services, notes, [info] reach GPX waypoints, HTML pages and
    the terminal. One line naming the file, the table and the key, as :class:`_Ctx`."""

    def walk(node, where: str, key: str | None) -> None:
        if isinstance(node, str):
            bad = _control_char(node)
            if bad:
                raise _Ctx(path, where).err(key, f"{bad} in {node!r}")
        elif isinstance(node, dict):
            sub = f"{where}.{key}" if where and key else (key or where)
            for k, v in node.items():
                bad = _control_char(k)
                if bad:
                    raise _Ctx(path, sub).err(None, f"{bad} in the key {k!r}")
                walk(v, sub, k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, dict):
                    walk(v, f"{where}.{key}[{i}]" if where else f"{key}[{i}]", None)
                else:
                    walk(v, where, f"{key}[{i}]")

    walk(raw, "", None)


# ---------------------------------------------------------------- tables


def _declared(path: Path, i: int, raw) -> Declared:
    ctx = _Ctx(path, f"declared[{i}]")
    if not isinstance(raw, dict):
        raise ctx.err(None, f"expected a table, got {_type_name(raw)}")
    ctx.check_keys(raw, _DECLARED_KEYS, "[[declared]]")
    source = ctx.str_(raw, "source", required=True)
    ctx = _Ctx(path, f"declared[{i}] ({source!r})")
    dist = ctx.num(raw, "distance_km", lo=0)
    if dist is not None and dist <= 0:
        raise ctx.err("distance_km", f"expected a distance > 0 km, got {dist:g}")
    return Declared(
        source=source,
        distance_m=None if dist is None else dist * 1000.0,
        gain_m=ctx.num(raw, "gain_m", lo=0),
        loss_m=ctx.num(raw, "loss_m", lo=0),
        limit_s=ctx.duration(raw, "limit", positive=True, hours_minutes=True),
        note=ctx.str_(raw, "note", default=""),
    )


def _cutoff(ctx: _Ctx, raw: dict, start: datetime, tz: str | None, notes: list | None = None):
    if "cutoff" not in raw:
        return None
    v = raw["cutoff"]
    if isinstance(v, datetime):
        return _localise(v, tz, ctx, "cutoff", notes, start)[0]
    if isinstance(v, str | int | float) and not isinstance(v, bool):
        try:
            return after(start, parse_duration(v))
        except ValueError as exc:
            raise ctx.err(
                "cutoff",
                f"{exc}; or an offset date-time like 2024-06-01T14:00:00+01:00"
                f"{_quoted_datetime('cutoff', v)}",
            ) from None
    raise ctx.err(
        "cutoff",
        f'expected an elapsed duration ("10h") or an offset date-time, got {_type_name(v)}',
    )


def _checkpoint(
    path: Path, i: int, raw, start: datetime, tz: str | None, notes: list | None = None
) -> CheckpointSpec:
    ctx = _Ctx(path, f"checkpoints[{i}]")
    if not isinstance(raw, dict):
        raise ctx.err(None, f"expected a table, got {_type_name(raw)}")
    # spaces around a name are a typing slip: " Lac " is printed, matched (split times,
    # stations, waypoints) and written to GPX as "Lac" (GPX readers strip them anyway)
    name = ctx.str_(raw, "name", required=True).strip()
    ctx = _Ctx(path, f"checkpoints[{i}] ({name!r})")
    ctx.check_keys(raw, _CP_KEYS, "[[checkpoints]]")
    km = ctx.num(raw, "km", lo=0)
    lat = ctx.num(raw, "lat", lo=-90, hi=90)
    lon = ctx.num(raw, "lon", lo=-180, hi=180)
    wpt = ctx.str_(raw, "waypoint")
    if (lat is None) != (lon is None):
        raise ctx.err("lat" if lat is None else "lon", "lat and lon must be given together")
    ways = [
        w
        for w, ok in (
            ("km", km is not None),
            ("lat+lon", lat is not None),
            ("waypoint", wpt is not None),
        )
        if ok
    ]
    if len(ways) != 1:
        raise ctx.err(
            None,
            "place it by exactly one of: km | lat + lon | waypoint"
            + (f" (got {' and '.join(ways)})" if ways else " (got none)"),
        )
    services = ctx.str_list(raw, "services")
    for s in services:
        if s not in SERVICES:
            raise ctx.err("services", f"unknown service {s!r} (known: {' '.join(SERVICES)})")
    if len(set(services)) != len(services):
        raise ctx.err("services", f"a service is listed twice: {list(services)}")
    tolerance = _tolerance(ctx, raw)
    if tolerance is not None and km is not None:
        raise ctx.err(
            "tolerance",
            "applies to a checkpoint placed by lat + lon or waypoint, not by km",
        )
    declared_km = ctx.num(raw, "declared_km", lo=0)
    if declared_km is not None and km is not None:
        raise ctx.err(
            "declared_km",
            "is for a checkpoint placed by lat + lon or waypoint (its km = is already the "
            "published km): remove one of them",
        )
    barrier = ctx.bool_(raw, "barrier", default=True)
    if not barrier and "cutoff" in raw:
        raise ctx.err("barrier", "barrier = false contradicts its cutoff: remove one of them")
    if isinstance(raw.get("start"), datetime | date):
        raise ctx.err(
            "start",
            "the race's start date-time goes at the top of the file, before the first "
            "[[checkpoints]]; in a checkpoint, start = true marks the course's start",
        )
    is_start = ctx.bool_(raw, "start", default=None)
    is_finish = ctx.bool_(raw, "finish", default=None)
    if is_start and is_finish:
        raise ctx.err(
            "finish",
            "start = true and finish = true on one checkpoint: list the place twice, first "
            "as the start and last as the finish",
        )
    return CheckpointSpec(
        name=name,
        km=km,
        lat=lat,
        lon=lon,
        waypoint=wpt,
        services=services,
        cutoff=_cutoff(ctx, raw, start, tz, notes),
        dwell_s=ctx.duration(raw, "dwell", default=0.0),
        drop_bag="drop_bag" in services,
        note=ctx.str_(raw, "note", default=""),
        barrier=barrier,
        tolerance_m=tolerance,
        declared_km=declared_km,
        start=is_start,
        finish=is_finish,
    )


def _ends_keys(path: Path, checkpoints) -> None:
    """Refuse ``start = true`` on a checkpoint not listed first and ``finish = true`` on one
    not listed last: the course's start and finish are its first and last rows."""
    n = len(checkpoints)
    for i, sp in enumerate(checkpoints):
        ctx = _Ctx(path, f"checkpoints[{i}] ({sp.name!r})")
        if sp.start and i != 0:
            raise ctx.err(
                "start",
                f"start = true is for the checkpoint listed first; this one is listed "
                f"{i + 1} of {n}: move it to the top or remove the key",
            )
        if sp.finish and i != n - 1:
            raise ctx.err(
                "finish",
                f"finish = true is for the checkpoint listed last; this one is listed "
                f"{i + 1} of {n}: move it to the end or remove the key",
            )


def _tolerance(ctx, raw) -> float | None:
    """The ``tolerance`` key [m]: a positive number, at most :data:`MAX_TOLERANCE_M`."""
    v = ctx.num(raw, "tolerance", hi=MAX_TOLERANCE_M)
    if v is not None and not v > 0:
        raise ctx.err("tolerance", f"expected a distance in metres > 0, got {v:g}")
    return v


def _info(path: Path, raw) -> dict:
    ctx = _Ctx(path, "[info]")
    if not isinstance(raw, dict):
        raise ctx.err(None, f"expected a table, got {_type_name(raw)}")
    ctx.check_keys(raw, _INFO_KEYS, "[info]")
    out = {}
    for k, kind in _INFO_KEYS.items():
        if k not in raw:
            continue
        if kind == "str":
            out[k] = ctx.str_(raw, k)
        elif kind == "list":
            out[k] = list(ctx.str_list(raw, k))
        else:
            v = raw[k]
            out[k] = [v] if isinstance(v, str) else list(ctx.str_list(raw, k))
    return out


def _proposed(path: Path, i: int, raw) -> dict:
    ctx = _Ctx(path, f"proposed[{i}]")
    if not isinstance(raw, dict):
        raise ctx.err(None, f"expected a table, got {_type_name(raw)}")
    ctx.check_keys(raw, _PROPOSED_KEYS, "[[proposed]]")
    fld = ctx.str_(raw, "field", required=True)
    if "value" not in raw:
        raise ctx.err("value", "is required")
    value = raw["value"]
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ctx.err("value", f"expected a string or number, got {_type_name(value)}")
    rec = {
        "field": fld,
        "value": value,
        "basis": ctx.str_(raw, "basis", required=True),
        "note": ctx.str_(raw, "note", default=""),
        "label": "proposed",
    }
    if fld == "limit":
        try:
            rec["value_s"] = parse_duration(value, positive=True, hours_minutes=True)
        except ValueError as exc:
            raise ctx.err("value", str(exc)) from None
    return rec


# ---------------------------------------------------------------- scaling


SCALE_SPREAD = "spread"
"""``gain_method``/``loss_method`` of a scaling that spreads the missing metres by distance."""
SCALE_FACTOR = "factor"
"""``gain_method``/``loss_method`` of a scaling that multiplies the cumulative D+ or D-."""
SCALE_NONE = "none"
"""``gain_method``/``loss_method`` when the profile has no elevation: the declared D+/D- is
not applied (there is no cumulative to scale)."""


SPREAD_NEGLIGIBLE_M = 1.0
"""A sketch's D+ or D- below this [m] counts as none (equal altitudes leave float noise):
the declared figure is then spread whole, not reached by a factor of 10^13."""

MAX_SPREAD_M_PER_KM = 250.0
"""Most D+ (or D-) the spread may add per km of course [m/km]; beyond, the declared
figure is taken for a unit error (feet as metres) or a wrong track. The steepest long races
climb 60-170 m/km overall (UTMB 59, Tromsø Skyrace 84, Trofeo Kima 168); a vertical
kilometre climbs 200-500 m/km, but its sketch shows the climb (start and summit
altitudes), so the spread adds little."""


def _scaled_cumulative(c, target, d, total, *, has_elevation=True):
    """One cumulative D+ or D- ``c`` [m] brought to ``target`` [m] (see :func:`scale_profile`).

    Returns the new array, the method (:data:`SCALE_SPREAD`, :data:`SCALE_FACTOR`, or
    :data:`SCALE_NONE` without elevation: unchanged), the ratio target/measured [-] (NaN
    when the measured figure is below :data:`SPREAD_NEGLIGIBLE_M`, which counts as none)
    and the metres added by the spread (0 otherwise).
    """
    import numpy as np

    if target is None:
        return c, SCALE_FACTOR, 1.0, 0.0
    if not has_elevation:
        return c, SCALE_NONE, math.nan, 0.0
    have = float(c[-1]) if c.size else 0.0
    some = have >= SPREAD_NEGLIGIBLE_M
    ratio = target / have if some else math.nan
    if target > have and total > 0:
        added = target - have
        return c + added * (np.asarray(d, float) / total), SCALE_SPREAD, ratio, added
    if not some:  # nothing measured, nothing to add
        return c, SCALE_FACTOR, 1.0, 0.0
    return c * ratio, SCALE_FACTOR, ratio, 0.0


def _fmt_scaled(
    what: str, method: str, ratio: float, added: float, have: float, source: str = "sketch"
) -> str:
    if method == SCALE_SPREAD:
        return f"{what} +{added:.0f} m spread uniformly by distance ({source} {have:.0f} m)"
    return f"{what} x{ratio:.4f}"


SLOPE_SCALING_ITERATIONS = 8
"""Most passes of :func:`scale_profile` matching the declared km on the slope [-]: each
divides the map stretch by slope/declared at the anchors; the slope's share of the length
barely depends on the stretch, so two or three passes bring it within a metre."""


def scale_profile(profile, declared: Declared, *, anchors=(), slope=False):
    """Scale a profile's distance and cumulative gain/loss to declared figures.

    Parameters
    ----------
    profile : Profile
    declared : Declared
        Target figures; missing ones leave that quantity unscaled (the loss
        target is the measured loss times declared/measured gain when only gain
        is declared).
    anchors : sequence of (float, float, str), optional
        ``(measured distance [m], declared distance [m], name)`` of checkpoints
        whose km the organiser publishes (``declared_km``), in course order:
        the distance is stretched piecewise linearly through them (and through
        0 and the declared total) instead of by one factor.
    slope : bool, default False
        Match the declared distance and km on the distance along the course on the slope
        (:func:`coursekit.profile.along_course_distance`, the km every table prints)
        rather than on the map distance: the map is stretched a little less, by the
        ratio of the slope to the map length (1-2 % on a mountain track). Without
        elevation the two are one.

    Returns
    -------
    profile : Profile
        New profile, elevation unchanged; ``distance_method``/``gain_method``
        name the scaling and the source.
    factors : dict
        ``distance`` (declared/measured total), ``gain``, ``loss``
        (declared/measured totals) [-], ``source``, ``gain_method`` and
        ``loss_method`` (``"spread"``, ``"factor"``, or ``"none"`` when the profile has
        no elevation: the D+/D- is not applied), ``gain_added_m`` and
        ``loss_added_m`` [m] (spread, else 0), ``anchors`` (list of
        ``(name, measured_m, declared_m)``), ``measured_m`` and ``declared_m`` (the
        track's measured and declared total [m]: the last anchor pair).

    Raises
    ------
    ValueError
        Anchors not strictly increasing in both distances, or outside
        (0, total).

    Notes
    -----
    A sketch's D+ is the climb between its places' altitudes; the declared D+
    of a mountain race is far larger (HAUT 80: 1004 m sketched, 4500 m
    declared), the difference being relief the sketch cannot show: climbs and
    descents between and beside its places. Multiplying the cumulative D+ by
    declared/sketch would put all of it on the legs that climb overall (and
    leave the legs that descend overall at 0 m D+). When the declared figure
    exceeds the sketch's, the missing metres are instead spread uniformly along
    the (scaled) distance :math:`d` of total :math:`D`:

    .. math:: G'(d) = G(d) + (G_{decl} - G_{sketch}) \\, d / D

    and likewise for D-, so each leg gets its share of unseen rollers in
    proportion to its length, on top of the climb it shows. When the declared
    figure is *below* the sketch's, the cumulative is multiplied by the
    factor declared/sketch (< 1). Altitudes are unchanged either way. A sketch
    D+ or D- below :data:`SPREAD_NEGLIGIBLE_M` (places at one altitude) counts as
    none: the declared figure is spread whole.
    """
    import numpy as np

    p = profile
    meas = p.total_distance
    kd = 1.0
    if declared.distance_m is not None and meas > 0:
        kd = declared.distance_m / meas
    total = meas * kd
    anchors = tuple(anchors)
    if anchors:
        xs = [0.0] + [float(a[0]) for a in anchors] + [float(meas)]
        ys = [0.0] + [float(a[1]) for a in anchors] + [float(total)]
        names = ["the start"] + [str(a[2]) for a in anchors] + ["the finish"]
        for i in range(1, len(xs)):
            if not (xs[i] > xs[i - 1] and ys[i] > ys[i - 1]):
                raise ValueError(
                    f"declared km of {names[i]} ({ys[i] / 1000:g} km, measured "
                    f"{xs[i] / 1000:.2f} km) is not after {names[i - 1]}'s "
                    f"({ys[i - 1] / 1000:g} km, measured {xs[i - 1] / 1000:.2f} km)"
                )
        distance = np.interp(p.distance, xs, ys)
    else:
        xs, ys = [0.0, float(meas)], [0.0, float(total)]
        distance = p.distance * kd
    on_slope = bool(
        slope and p.has_elevation and meas > 0 and (anchors or declared.distance_m is not None)
    )
    if on_slope:
        from .profile import along_course_distance

        goal = np.asarray(ys[1:], float)
        if declared.distance_m is None:  # the finish stays at the track's own slope km
            goal[-1] = float(along_course_distance(p, slope=True)[-1])
        ym = np.asarray(ys, float)
        for _ in range(SLOPE_SCALING_ITERATIONS):
            along = along_course_distance(replace(p, distance=distance), slope=True)
            at = np.interp(xs[1:], p.distance, along)
            if np.all(np.abs(at - goal) <= 0.5):
                break
            ym[1:] = ym[1:] * goal / at
            distance = np.interp(p.distance, xs, ym)
        total = float(ym[-1])
    gain_target = declared.gain_m
    loss_target = declared.loss_m
    if loss_target is None and gain_target is not None and p.total_gain > 0:
        loss_target = p.total_loss * gain_target / p.total_gain
    elev = bool(p.has_elevation)
    gain, gm, kg, ga = _scaled_cumulative(p.gain, gain_target, distance, total, has_elevation=elev)
    loss, lm, kl, la = _scaled_cumulative(p.loss, loss_target, distance, total, has_elevation=elev)
    src = declared.source
    how_d = f"scaled x{kd:.4f} to {src!r}"
    if on_slope:
        how_d = f"scaled x{total / meas:.4f} to {src!r}, matched on the slope"
    if anchors:
        how_d += ", stretched piecewise to the declared km of " + ", ".join(
            f"{a[2]} ({a[1] / 1000:g})" for a in anchors
        )
    if SCALE_NONE in (gm, lm):
        how_g = f"declared D+/D- of {src!r} not applied (the track has no elevation)"
    else:
        # what the measured figure is of: a sketch, or a real track (matched on the slope)
        source = "track" if slope else "sketch"
        how_g = (
            _fmt_scaled("scaled gain", gm, kg, ga, p.total_gain, source)
            + " "
            + _fmt_scaled("loss", lm, kl, la, p.total_loss, source)
            + f" to {src!r}"
        )
    new = replace(
        p,
        distance=distance,
        gain=gain,
        loss=loss,
        distance_method=f"{p.distance_method}, {how_d}",
        gain_method=f"{p.gain_method}, {how_g}",
    )
    return new, {
        "distance": kd,
        "gain": kg,
        "loss": kl,
        "source": src,
        "gain_method": gm,
        "loss_method": lm,
        "gain_added_m": ga,
        "loss_added_m": la,
        "anchors": [(str(a[2]), float(a[0]), float(a[1])) for a in anchors],
        "measured_m": float(meas),
        "declared_m": float(meas * kd),
    }


# ---------------------------------------------------------------- load


MAX_ABS_ELEVATION_M = 20_000.0
"""Largest plausible |elevation| of a track point [m]; beyond, the GPX is broken."""


def _check_elevation(path: Path, gpx_rel: str, track) -> None:
    import numpy as np

    ele = np.asarray(track.elevation, float)
    bad = np.flatnonzero(np.abs(np.nan_to_num(ele, nan=0.0)) > MAX_ABS_ELEVATION_M)
    if bad.size:
        i = int(bad[0])
        raise CourseFileError(
            f"{path}: key 'gpx': {gpx_rel!r} point {i + 1} has elevation {ele[i]:g} m: expected "
            f"at most {MAX_ABS_ELEVATION_M:,.0f} m in absolute value (a broken export?)"
        )


MAX_SEGMENT_STRETCH = 10.0
"""Largest factor (and 1 / smallest) by which a ``declared_km`` stretch may scale the track
between two anchors [-]: the same range as the whole distance's scaling (0.1-10)."""


def _anchors(path: Path, profile, checkpoints, tol: float, km_factor, ratio: float = 1.0) -> list:
    """``(measured distance [m], declared distance [m], name, index)`` of the checkpoints
    with a ``declared_km``, located by position on the unscaled profile (see
    :func:`scale_profile`).

    ``km_factor`` None leaves the checkpoints placed by ``km`` out of the search; a number
    keeps them, their km mapped to the unscaled track by ``1 / km_factor`` (the uniform
    scaling), so that, like the final location, they bound the passages the others may
    take (a place passed twice, after a checkpoint placed by km). A checkpoint that cannot
    be located is left out here: locating the course's checkpoints later raises the usual
    message.

    A place passed several times is anchored on the passage that fits its declared km
    best: the one whose km on the track, times ``ratio`` (declared / measured total), is
    nearest the declared km (``prefer_km`` of
    :func:`~coursekit.checkpoints.locate_points`, in course order), as the final location
    on the scaled course then places it."""
    from .checkpoints import locate_points

    if km_factor is None:
        idx = [i for i, c in enumerate(checkpoints) if c.km is None]
        specs = [checkpoints[i] for i in idx]
    else:
        idx = list(range(len(checkpoints)))
        specs = [c if c.km is None else replace(c, km=c.km / km_factor) for c in checkpoints]
    prefer = [None if c.declared_km is None else c.declared_km / ratio for c in checkpoints]
    loc = locate_points(
        profile, specs, tolerance_m=tol, errors="collect", source=str(path), prefer_km=prefer
    )
    return [
        (float(d), 1000.0 * checkpoints[i].declared_km, checkpoints[i].name, i)
        for i, d in zip(idx, loc.distance, strict=True)
        if checkpoints[i].declared_km is not None and math.isfinite(d)
    ]


END_ANCHOR_M = 1.0
"""A ``declared_km`` within this of 0 or of the declared distance is the start's or the
finish's km [m]."""


def _end_anchors_dropped(anchors, meas: float, total: float) -> list:
    """``anchors`` without those that repeat the start's or the finish's: a ``declared_km``
    of 0 on a checkpoint located at the start (within ``END_SNAP_M``), or of the declared
    distance on one located at the end, as a published km table writes them."""
    from .checkpoints import END_SNAP_M

    return [
        a
        for a in anchors
        if not (a[1] <= END_ANCHOR_M and a[0] <= END_SNAP_M)
        and not (a[1] >= total - END_ANCHOR_M and a[0] >= meas - END_SNAP_M)
    ]


def _check_anchors(path: Path, anchors, meas: float, total: float, declared_total: bool):
    """Refuse ``declared_km`` anchors out of order, beyond the distance, or stretching
    the track between two of them by more than :data:`MAX_SEGMENT_STRETCH`, keyed like
    every checkpoint error."""
    pts = [(0.0, 0.0, "the start", None), *anchors, (float(meas), float(total), "the finish", None)]
    for k in range(1, len(pts)):
        (x0, y0, n0, _), (x1, y1, n1, i1) = pts[k - 1], pts[k]
        i = i1 if i1 is not None else pts[k - 1][3]
        ctx = _Ctx(path, f"checkpoints[{i}] ({(n1 if i1 is not None else n0)!r})")
        what = "the declared distance" if declared_total else "the track's length"
        if i1 is not None and y1 > total + END_ANCHOR_M:
            raise ctx.err(
                "declared_km",
                f"{n1}'s declared_km {y1 / 1000:g} is beyond {what} {total / 1000:g} km",
            )
        if i1 is not None and y1 >= total - END_ANCHOR_M:
            raise ctx.err(
                "declared_km",
                f"{n1}'s declared_km {y1 / 1000:g} is {what}, the finish's km, but {n1} is "
                f"located at km {x1 / 1000:.2f} of the {meas / 1000:.2f} km track (another "
                "passage? list it last, or remove its declared_km)",
            )
        if i1 is not None and y1 <= END_ANCHOR_M:
            raise ctx.err(
                "declared_km",
                f"{n1}'s declared_km {y1 / 1000:g} is the start's km, but {n1} is located at "
                f"km {x1 / 1000:.2f} of the track (another passage? list it first, or remove "
                "its declared_km)",
            )
        if i1 is not None and k > 1 and y1 <= y0:
            raise ctx.err(
                "declared_km",
                f"{n1}'s declared_km {y1 / 1000:g} is not after {n0}'s ({y0 / 1000:g})",
            )
        if not x1 > x0:
            raise ctx.err(
                "declared_km",
                f"{n1} is located at km {x1 / 1000:.2f} of the track, not after {n0} "
                f"(km {x0 / 1000:.2f}): the declared km cannot stretch the track between them",
            )
        f = (y1 - y0) / (x1 - x0)
        if not 1.0 / MAX_SEGMENT_STRETCH <= f <= MAX_SEGMENT_STRETCH:
            raise ctx.err(
                "declared_km",
                f"stretches the track from {n0} to {n1} ({(x1 - x0) / 1000:.2f} km) to "
                f"{(y1 - y0) / 1000:.2f} km (x{f:.3g}): expected a factor between "
                f"{1 / MAX_SEGMENT_STRETCH:g} and {MAX_SEGMENT_STRETCH:g} (a wrong declared_km, "
                "or a checkpoint on another passage?)",
            )


def _anchor_mismatch(path: Path, profile, checkpoints, anchors, tol: float, schematic: bool):
    """The error (None if fine) when locating every checkpoint on the scaled ``profile``, as
    :func:`coursekit.checkpoints.course_legs` does, puts a ``declared_km`` checkpoint on
    another passage than the one its declared km was anchored on."""
    import numpy as np

    from .checkpoints import locate_points
    from .profile import along_course_distance

    along = along_course_distance(profile, slope=not schematic)
    loc = locate_points(
        profile,
        checkpoints,
        tolerance_m=tol,
        errors="collect",
        source=str(path),
        along=along,
        prefer_km=[c.declared_km for c in checkpoints],
    )
    for x, y, name, i in anchors:
        d = float(loc.distance[i])
        if math.isfinite(d):  # the declared km are matched on the km printed
            d = float(np.interp(d, profile.distance, along))
        own = checkpoints[i].tolerance_m
        if math.isfinite(d) and abs(d - y) > (own if own is not None else tol):
            return _Ctx(path, f"checkpoints[{i}] ({name!r})").err(
                "declared_km",
                f"its declared km {y / 1000:g} is anchored on its passage at km {x / 1000:.2f} "
                f"of the track, but with the checkpoints before it it falls on another "
                f"passage (km {d / 1000:.2f} of the scaled course): place those by position "
                "(waypoint or lat + lon) rather than by km",
            )
    return None


def _windows_path_hint(path: Path, rel: str) -> str:
    """For a file name written as a Windows path (``C:\\Users\\...``, ``sub\\x.gpx``) that
    was not found: how to write it (``/`` between folders, relative to ``path``'s folder),
    naming the file when it is there; "" for any other name."""
    from pathlib import PureWindowsPath

    if "\\" not in rel:
        return ""
    win = PureWindowsPath(rel)
    rel2 = win.name if win.drive or win.root else win.as_posix()
    there = (path.parent / rel2).is_file()
    return (
        f": a Windows path? backslashes do not separate folders here; write it relative to "
        f"{path.name} with '/'" + (f": {rel2!r} is there" if there else f" (e.g. {rel2!r})")
    )


def _resolved(path) -> Path:
    """``path`` absolute, its symbolic links followed: :meth:`Path.resolve`, except that a
    link loop is left as it is (the file is then not found) rather than a RuntimeError
    (Python 3.11) naming no course file."""
    return Path(os.path.realpath(path))


def _gpx_path(path: Path, gpx_rel: str) -> Path:
    """The track a course file names (key ``gpx``, relative to the file's folder)."""
    return _resolved(path.parent / gpx_rel) if not Path(gpx_rel).is_absolute() else Path(gpx_rel)


def track_path(path) -> tuple[str, Path] | None:
    """The ``gpx`` key of a course file and the track it names, read without loading the
    track (for the CLI to refuse an output over it before any work); None when the file is
    not a readable course file naming one (:func:`load_course` then says why)."""
    path = Path(path)
    try:
        raw = _read_toml(path, "course")
    except CourseFileError:
        return None
    gpx_rel = raw.get("gpx")
    if not isinstance(gpx_rel, str) or not gpx_rel.strip():
        return None
    return gpx_rel, _gpx_path(path, gpx_rel)


def _cut_track(track, distance, a: float, b: float):
    """The part of ``track`` between ``a`` and ``b`` [m along ``distance``, one value per
    point], its two ends interpolated on the segment they fall in."""
    import numpy as np

    from .geodesy import interp_lon

    d = np.asarray(distance, float)
    inner = np.flatnonzero((d > a) & (d < b))
    ends = np.array([a, b])

    def pick(x, lon=False):
        x = np.asarray(x, float)
        at = interp_lon(ends, d, x) if lon else np.interp(ends, d, x)
        return np.concatenate([at[:1], x[inner], at[1:]])

    seg = np.asarray(track.segment)
    i0 = int(np.clip(np.searchsorted(d, a, side="right") - 1, 0, len(d) - 1))
    i1 = int(np.clip(np.searchsorted(d, b, side="left"), 0, len(d) - 1))
    return replace(
        track,
        lat=pick(track.lat),
        lon=pick(track.lon, lon=True),
        elevation=pick(track.elevation),
        time=pick(track.time),
        segment=np.concatenate([seg[i0 : i0 + 1], seg[inner], seg[i1 : i1 + 1]]),
    )


def _cut_to_named_ends(path, track, profile, checkpoints, tolerance, gain_threshold):
    """The track and profile of the course between its named start and finish
    (:func:`coursekit.checkpoints.named_ends`), what was cut (``info["gpx_cut"]``:
    ``start``, ``finish`` names or None, ``before_start_m``, ``after_finish_m`` [m along
    the GPX]; None when the course is the whole GPX) and the named ends too far from the
    GPX's ends for their name alone to cut (``info["gpx_not_cut"]``, the same keys; None
    when there is none)."""
    from .checkpoints import named_ends
    from .profile import make_profile

    tol = tolerance if tolerance is not None else DEFAULT_TOLERANCE_M
    ends = named_ends(profile, checkpoints, tolerance_m=tol, source=str(path))
    if ends is None:
        return track, profile, None, None
    far = None
    if ends.before_far_m or ends.after_far_m:
        far = {
            "start": checkpoints[0].name if ends.before_far_m else None,
            "finish": checkpoints[-1].name if ends.after_far_m else None,
            "before_start_m": ends.before_far_m,
            "after_finish_m": ends.after_far_m,
        }
    total = float(profile.total_distance)
    if not (ends.start_m > 0 or ends.end_m < total):
        return track, profile, None, far
    cut_track = _cut_track(track, profile.distance, ends.start_m, ends.end_m)
    cut_profile = make_profile(cut_track, gain_threshold=gain_threshold)
    return (
        cut_track,
        cut_profile,
        {
            "start": ends.start,
            "finish": ends.finish,
            "before_start_m": ends.start_m,
            "after_finish_m": total - ends.end_m,
        },
        far,
    )


def load_course(path, *, tolerance_m: float | None = None) -> Course:
    """Read and validate a course file.

    Parameters
    ----------
    path : str or Path
        The course TOML file (contract 1).
    tolerance_m : float, optional
        Largest distance from a checkpoint to the track [m], instead of the
        file's ``tolerance`` key (default :data:`DEFAULT_TOLERANCE_M`), in the key's
        range (at most :data:`MAX_TOLERANCE_M`, else ValueError); a checkpoint's own
        ``tolerance`` still wins. Checkpoints are located by
        :func:`coursekit.checkpoints.course_legs`, not here.

    Returns
    -------
    Course

    Raises
    ------
    CourseFileError
        Missing/unknown keys, wrong types, a missing GPX or one of zero length
        (naming the course file and the GPX path);
        :class:`~coursekit.errors.GPXError` for a bad GPX.
    """
    from .gpx import read_gpx
    from .profile import make_profile

    if tolerance_m is not None and not 0 < tolerance_m <= MAX_TOLERANCE_M:
        # it replaces the file's key: the key's range (farther, not on the course)
        raise ValueError(
            f"tolerance must be > 0 m and at most {MAX_TOLERANCE_M:g} m, got {tolerance_m}"
        )
    path = Path(path)
    raw = _read_toml(path, "course")
    top = _Ctx(path, "")
    if "courses" in raw and "gpx" not in raw:
        raise CourseFileError(
            f"{path}: has 'courses' but no 'gpx': this looks like an event file, not a course "
            "file (give a course file here; `coursekit event`, `map` and `roadbook` read event "
            "files, whose 'courses' list course files)"
        )
    if _looks_like_event(raw):
        stray = [k for k in COURSE_MARKERS if k in raw]
        raise top.err(
            stray[0],
            f"this looks like an event file ('courses', no 'checkpoints' or 'limit') with an "
            f"unexpected key {stray[0]!r}: an event file has no gpx/start (put the race in "
            "its own course file and list it in 'courses')",
        )
    if "places" in raw and "gpx" not in raw:
        raise CourseFileError(
            f"{path}: has [[places]] but no 'gpx': this looks like a places file for "
            "'coursekit sketch', not a course file"
        )
    top.check_keys(raw, _TOP_KEYS, "the course file")
    name = top.str_(raw, "name", required=True).strip()
    gpx_rel = top.str_(raw, "gpx", required=True)
    tz = _timezone(top, raw)
    if "start" not in raw:
        raise top.err("start", "is required (an offset date-time like 2024-06-01T04:00:00+01:00)")
    start = raw["start"]
    if isinstance(start, date) and not isinstance(start, datetime):
        raise top.err(
            "start",
            f"{start.isoformat()} is a date without a time of day: write "
            f"{start.isoformat()}T06:00:00+01:00 (the start's local time and UTC offset)",
        )
    if not isinstance(start, datetime):
        got = start.isoformat() if isinstance(start, time) else repr(start)
        raise top.err(
            "start",
            f"expected an offset date-time like 2024-06-01T04:00:00+01:00, "
            f"got {_type_name(start)} {got}{_quoted_datetime('start', start)}",
        )
    clock_notes: list[str] = []  # local times a clock change repeats
    start, localised = _localise(start, tz, top, "start", clock_notes)
    mismatch = _offset_mismatch(start, tz) if not localised else None

    info: dict = {}
    if "info" in raw:
        info.update(_info(path, raw["info"]))
    proposed = raw.get("proposed", [])
    if not isinstance(proposed, list):
        raise top.err("proposed", "expected an array of tables [[proposed]]")
    info["proposed"] = [_proposed(path, i, p) for i, p in enumerate(proposed)]
    info["start_localised"] = localised
    if mismatch:  # the zone's offset, and the warning check and every plan carry
        info["start_offset_mismatch"] = mismatch
        info["start_offset_note"] = _start_offset_note(start, tz, mismatch)
    info["loop"] = top.bool_(raw, "loop")

    limit_s = top.duration(raw, "limit", positive=True, hours_minutes=True)
    info["limit_proposed"] = False
    if limit_s is None:
        lim = [p for p in info["proposed"] if p["field"] == "limit"]
        if not lim:
            raise top.err(
                "limit",
                'is required ("34h", "46h45m" or hours); if none is published, add a '
                '[[proposed]] table with field = "limit", value and basis',
            )
        limit_s = lim[0]["value_s"]
        info["limit_proposed"] = True
    assert limit_s > 0  # both read with positive=True

    declared_raw = raw.get("declared", [])
    if not isinstance(declared_raw, list):
        raise top.err("declared", "expected an array of tables [[declared]]")
    declared = tuple(_declared(path, i, d) for i, d in enumerate(declared_raw))

    cps_raw = raw.get("checkpoints", [])
    if not isinstance(cps_raw, list):
        raise top.err("checkpoints", "expected an array of tables [[checkpoints]]")
    checkpoints = tuple(
        _checkpoint(path, i, c, start, tz, clock_notes) for i, c in enumerate(cps_raw)
    )
    _ends_keys(path, checkpoints)
    if clock_notes:
        info["ambiguous_times"] = clock_notes

    scale = top.bool_(raw, "scale_to_declared")
    schematic_key = top.bool_(raw, "schematic")
    gain_threshold = top.num(raw, "gain_threshold", lo=0)
    tolerance = _tolerance(top, raw)

    gpx_path = _gpx_path(path, gpx_rel)
    if gpx_path.exists() and not gpx_path.is_file():
        raise CourseFileError(
            f"{path}: key 'gpx': {gpx_rel!r} is not a regular file (expected a GPX file)"
        )
    if not gpx_path.is_file() and os.path.lexists(gpx_path):
        raise CourseFileError(
            f"{path}: key 'gpx': {gpx_rel!r} is a symbolic link to no file (broken, or a "
            f"loop: {gpx_path})"
        )
    if not gpx_path.is_file():
        raise CourseFileError(
            f"{path}: key 'gpx': {gpx_rel!r} not found (looked for {gpx_path})"
            + _windows_path_hint(path, gpx_rel)
        )
    try:
        track = read_gpx(gpx_path)
    except CoursekitError as exc:
        raise type(exc)(f"{path}: key 'gpx': {exc}") from None
    _check_elevation(path, gpx_rel, track)
    profile = make_profile(track, gain_threshold=gain_threshold)
    if not profile.total_distance > 0:
        # every later step divides by the course's length or effort (event, roadbook)
        n = len(track)
        what = "a single track point" if n == 1 else f"{n} track points all at one place"
        raise top.err("gpx", f"{gpx_rel!r} has {what} (length 0 m): a course needs a track")
    sketch = is_sketch_gpx(gpx_path)
    tol_cut = tolerance_m if tolerance_m is not None else tolerance
    track, profile, cut, not_cut = _cut_to_named_ends(
        path, track, profile, checkpoints, tol_cut, gain_threshold
    )
    if cut:
        info["gpx_cut"] = cut
    if not_cut:
        info["gpx_not_cut"] = not_cut
    if scale:
        if not declared:
            raise top.err("scale_to_declared", "needs at least one [[declared]] table")
        d0 = declared[0]
        if d0.distance_m is None and d0.gain_m is None and d0.loss_m is None:
            raise top.err(
                "scale_to_declared",
                f"declared[0] ({d0.source!r}) has no distance_km, gain_m or loss_m to scale to",
            )
        tol = tolerance_m if tolerance_m is not None else tolerance
        tol = tol if tol is not None else DEFAULT_TOLERANCE_M
        kd = 1.0
        if d0.distance_m is not None and profile.total_distance > 0:
            kd = d0.distance_m / profile.total_distance
        meas, total = profile.total_distance, profile.total_distance * kd
        tries = (kd, None) if any(c.km is not None for c in checkpoints) else (None,)
        errors = []
        # the anchors with the checkpoints placed by km bounding the search (their km
        # mapped by the uniform scaling), else without them: the first set whose passages
        # the final location keeps
        for km_factor in tries:
            anchors = _anchors(path, profile, checkpoints, tol, km_factor, kd)
            anchors = _end_anchors_dropped(anchors, meas, total)
            try:
                _check_anchors(path, anchors, meas, total, d0.distance_m is not None)
                scaled, factors = scale_profile(
                    profile,
                    d0,
                    anchors=[a[:3] for a in anchors],
                    slope=not (schematic_key or sketch),
                )
            except ValueError as exc:
                errors.append(top.err("checkpoints", f"declared_km: {exc}"))
                continue
            except CourseFileError as exc:
                errors.append(exc)
                continue
            bad = None
            if anchors:
                schem = bool(schematic_key or sketch)
                bad = _anchor_mismatch(path, scaled, checkpoints, anchors, tol, schem)
            if bad is None:
                break
            errors.append(bad)
        else:
            raise errors[0] from None
        profile = scaled
        for key, lo, hi in (("distance", 0.1, 10.0), ("gain", 0.01, 100.0), ("loss", 0.01, 100.0)):
            if key != "distance" and factors[f"{key}_method"] != SCALE_FACTOR:
                continue
            if not lo <= factors[key] <= hi:
                raise top.err(
                    "scale_to_declared",
                    f"declared[0] ({d0.source!r}) would scale the measured {key} by "
                    f"x{factors[key]:.3g}: expected a factor between {lo:g} and {hi:g} "
                    "(a wrong unit or a wrong track?)",
                )
        for key in ("gain", "loss"):
            added = factors[f"{key}_added_m"]
            if added > MAX_SPREAD_M_PER_KM * total / 1000.0:
                raise top.err(
                    "scale_to_declared",
                    f"declared[0] ({d0.source!r}) would add {added:.0f} m of {key} to the "
                    f"sketch's {getattr(scaled, 'total_' + key) - added:.0f} m, "
                    f"{added / (total / 1000.0):.0f} m per km of the {total / 1000:g} km: "
                    f"expected at most {MAX_SPREAD_M_PER_KM:g} m/km (D+/D- in feet rather "
                    "than metres, or a wrong track?)",
                )
        info["scale"] = factors
    return Course(
        name=name,
        path=path,
        gpx_path=gpx_path,
        track=track,
        profile=profile,
        start=start,
        limit_s=float(limit_s),
        timezone=tz,
        declared=declared,
        checkpoints=checkpoints,
        schematic=bool(schematic_key or sketch),
        scale_to_declared=scale,
        info=info,
        tolerance_m=float(
            tolerance_m
            if tolerance_m is not None
            else (tolerance if tolerance is not None else DEFAULT_TOLERANCE_M)
        ),
    )


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """An ``event.toml``: a name and the course files of its races.

    ``event.toml``::

        name = "HAUT Trail 2024"        # required
        courses = ["haut-120.toml", "haut-80.toml"]   # required, relative to the file
        timezone = "Africa/Casablanca"  # optional

        [info]                          # optional, as in course files

        [[combined]]                    # optional: a ranking over several courses
        name = "Atlas Quest Challenge"
        courses = ["utat-105.toml", "marathon-42.toml"]
        ranking = "cumulative"          # "cumulative" (sum of times)
        note = "..."

        [runners]                       # optional: starters per race, by course file
        "haut-120.toml" = 300           # (coursekit event --simulate: wins over its N)

    An event file must not look like a course file (no ``gpx``/``start``).
    ``runners`` maps course paths (as in ``course_paths``) to their field size.
    """

    name: str
    path: Path
    course_paths: tuple[Path, ...]
    timezone: str | None = None
    info: dict = field(default_factory=dict)
    combined: tuple[dict, ...] = ()
    runners: dict = field(default_factory=dict)

    def load_courses(self, *, tolerance_m: float | None = None) -> tuple[Course, ...]:
        """Load every course file of the event (in the order listed)."""
        return tuple(load_course(p, tolerance_m=tolerance_m) for p in self.course_paths)


COURSE_MARKERS = ("gpx", "start")
"""Top-level keys that make a TOML file a course file (events and places files have none)."""


def is_course_file(path) -> bool:
    """Whether a TOML file is a course file (it has one of :data:`COURSE_MARKERS`).

    A file with ``courses`` and no ``gpx``, or with ``courses`` and neither
    ``checkpoints`` nor ``limit``, is an event file, even with a stray ``start`` or
    ``gpx``: :func:`load_event` then names that key.
    """
    raw = _read_toml(Path(path), "course or event")
    if ("courses" in raw and "gpx" not in raw) or _looks_like_event(raw):
        return False
    return any(k in raw for k in COURSE_MARKERS)


def is_event_file(path) -> bool:
    """Whether a TOML file is an event file, whatever its name: it has ``courses`` and no
    ``gpx``, or ``courses`` and neither ``checkpoints`` nor ``limit`` (the files that
    :func:`load_course` refuses as "this looks like an event file")."""
    raw = _read_toml(Path(path), "course or event")
    return ("courses" in raw and "gpx" not in raw) or _looks_like_event(raw)


def _looks_like_event(raw: dict) -> bool:
    """An event file's ``courses`` without a course's ``checkpoints`` or ``limit``: an event
    file with a stray ``gpx``/``start``, not a course file with a stray ``courses``."""
    return "courses" in raw and not any(k in raw for k in ("checkpoints", "limit"))


def load_event(path) -> Event:
    """Read an ``event.toml`` (see :class:`Event`).

    Parameters
    ----------
    path : str or Path
        The event file, or a folder holding ``event.toml``.

    Raises
    ------
    CourseFileError
        Missing/unknown keys, a course file that does not exist, or a file
        that looks like a course file (has ``gpx`` or ``start``).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "event.toml"
    raw = _read_toml(path, "event")
    ctx = _Ctx(path, "")
    ctx.refuse_course_keys(
        raw,
        "an event file must not look like a course file (no gpx/start); "
        "put the race in its own course file and list it in 'courses'",
    )
    ctx.check_keys(raw, _EVENT_KEYS, "the event file")
    name = ctx.str_(raw, "name", required=True)
    courses = ctx.str_list(raw, "courses")
    if not courses:
        raise ctx.err("courses", "is required: a non-empty array of course file names")
    paths = []
    listed_as: dict[Path, str] = {}
    for c in courses:
        p = path.parent / c
        if not p.is_file():
            raise ctx.err(
                "courses", f"{c!r} not found (looked for {p})" + _windows_path_hint(path, c)
            )
        if _resolved(p) == _resolved(path):
            raise ctx.err("courses", f"{c!r} is this event file itself: list course files")
        if _resolved(p) in listed_as:
            first = listed_as[_resolved(p)]
            raise ctx.err(
                "courses",
                f"{c!r} is listed twice"
                + (f" (also as {first!r})" if first != c else "")
                + ": list each race's course file once",
            )
        listed_as[_resolved(p)] = c
        paths.append(p)
    tz = _timezone(ctx, raw)
    info = _info(path, raw["info"]) if "info" in raw else {}
    combined = []
    comb_raw = raw.get("combined", [])
    if not isinstance(comb_raw, list):
        raise ctx.err("combined", "expected an array of tables [[combined]]")
    for i, c in enumerate(comb_raw):
        cc = _Ctx(path, f"combined[{i}]")
        if not isinstance(c, dict):
            raise cc.err(None, "expected a table")
        cc.check_keys(c, _COMBINED_KEYS, "[[combined]]")
        members = cc.str_list(c, "courses")
        listed = {_resolved(p): p for p in paths}
        seen: dict = {}
        for m in members:
            r = _resolved(path.parent / m)
            if r not in listed:
                raise cc.err("courses", f"{m!r} is not one of the event's courses {list(courses)}")
            if r in seen:
                raise cc.err(
                    "courses",
                    f"{m!r} is listed twice (as {seen[r]!r}): a combined ranking sums "
                    "distinct courses",
                )
            seen[r] = m
        if len(seen) < 2:
            raise cc.err(
                "courses",
                f"needs at least 2 courses of the event, got {len(seen)}: a combined ranking "
                "sums the times of several races",
            )
        ranking = cc.str_(c, "ranking", default="cumulative")
        if ranking != "cumulative":
            raise cc.err("ranking", f"unknown ranking {ranking!r} (known: cumulative)")
        combined.append(
            {
                "name": cc.str_(c, "name", required=True),
                "courses": [listed[_resolved(path.parent / m)] for m in members],
                "ranking": ranking,
                "note": cc.str_(c, "note", default=""),
            }
        )
    return Event(
        name=name,
        path=path,
        course_paths=tuple(paths),
        timezone=tz,
        info=info,
        combined=tuple(combined),
        runners=_event_runners(ctx, raw, path, paths, courses),
    )


def _event_runners(ctx, raw: dict, path: Path, paths, courses) -> dict:
    """An event file's ``[runners]``: ``{course path: starters}`` (course paths as listed)."""
    if "runners" not in raw:
        return {}
    table = raw["runners"]
    if not isinstance(table, dict):
        raise ctx.err(
            "runners",
            f"expected a table of course file = starters, got {_type_name(table)} {table!r} "
            '(e.g. [runners] "race.toml" = 300)',
        )
    listed = {_resolved(p): p for p in paths}
    out: dict = {}
    seen: dict = {}
    for key, n in table.items():
        r = _resolved(path.parent / key)
        if r not in listed:
            raise ctx.err("runners", f"{key!r} is not one of the event's courses {list(courses)}")
        if r in seen:
            raise ctx.err("runners", f"{key!r} is given twice (also as {seen[r]!r})")
        seen[r] = key
        if isinstance(n, bool) or not isinstance(n, int):
            raise ctx.err(
                "runners",
                f"{key!r}: expected a whole number of starters, got {_type_name(n)} {n!r}",
            )
        if not 1 <= n <= MAX_RACE_RUNNERS:
            raise ctx.err("runners", f"{key!r}: {n} starters is outside 1-{MAX_RACE_RUNNERS:,}")
        out[listed[r]] = n
    return out
