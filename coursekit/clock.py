"""Elapsed-time arithmetic on aware datetimes, in absolute (UTC) time.

Python adds a ``timedelta`` to an aware datetime on its *wall clock*, and
subtracts two datetimes sharing one ``tzinfo`` object (every
``ZoneInfo("Europe/Paris")`` is the same object) as naive wall times: across a
daylight-saving change both are off by the change (an hour). A race clock
counts real seconds, so these helpers go through UTC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "after",
    "in_zone",
    "seconds_between",
    "offset_changes",
    "ClockChange",
    "clock_changes",
    "offset_text",
    "clock_change_text",
    "zone_abbreviation",
    "repeated",
    "zoned",
    "DATED_S",
    "clock_format",
    "hm",
    "limit_hm",
    "shown_elapsed",
    "whole_seconds",
]

DATED_S = 6.5 * 86400.0
"""Spans longer than this print dates with the weekdays (a weekday then names two days)."""


def clock_format(dated: bool = False) -> str:
    """The ``strftime`` format of a clock time in outputs: ``"Sat 14:30"``, or
    ``"Sat 01 Jun 14:30"`` when ``dated`` (races over :data:`DATED_S`)."""
    return "%a %d %b %H:%M" if dated else "%a %H:%M"


def hm(seconds: float | None, *, missing: str = "") -> str:
    """An elapsed time as ``H:MM``, the way every output writes one.

    Parameters
    ----------
    seconds : float or None
        Elapsed time [s].
    missing : str, default ""
        What None, NaN and infinities are written as (the CLI's tables write ``"-"``).

    Returns
    -------
    str
        Hours (as many as needed: ``"34:00"``, ``"100:05"``) and minutes, rounded to the
        nearest minute with halves away from zero (``89 s`` is ``"0:01"``, ``90 s`` and
        ``150 s`` are ``"0:02"`` and ``"0:03"``, ``-90 s`` is ``"-0:02"``), as the clock
        times beside it are rounded (30 s added, seconds dropped); a negative
        time has a ``-`` before its hours (``-300 s`` is ``"-0:05"``, never ``"-1:55"``).
    """
    if seconds is None or not math.isfinite(seconds):
        return missing
    m = math.floor(abs(float(seconds)) / 60.0 + 0.5)
    sign = "-" if seconds < 0 and m else ""
    return f"{sign}{m // 60}:{m % 60:02d}"


def limit_hm(seconds: float | None, *, missing: str = "") -> str:
    """A race's time limit as ``H:MM``, or ``H:MM:SS`` when it is not a whole minute.

    A limit is a stated figure, not a time to round: the Métis Trail's 13:58:08 written
    ``13:58`` disagreed with its finish row, ``21:30 (13:59)`` after a 07:31:52 start (the
    clock times drop their seconds, :func:`shown_elapsed`). With its seconds it is exact.
    """
    if seconds is None or not math.isfinite(seconds):
        return missing
    s = whole_seconds(seconds)  # halves up, as the clock time beside it
    if s % 60 == 0 or s < 0:
        return hm(seconds, missing=missing)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def shown_elapsed(start: dt.datetime, moment: dt.datetime, *, nearest: bool = False) -> float:
    """The elapsed time [s] to write beside ``moment``'s clock time, so that the two agree.

    Parameters
    ----------
    start : datetime
        The race start (aware); its clock time is written with the seconds dropped.
    moment : datetime
        The time written (aware).
    nearest : bool, default False
        How ``moment``'s clock time is written: seconds dropped (a barrier, a station's
        closing), or rounded to the nearest minute (the leader's ETA, a forecast).

    Returns
    -------
    float
        Whole minutes [s] from the start's written minute to ``moment``'s, in real time
        (across a clock change too): :func:`hm` writes it exactly. A barrier at
        19:29:32 after a 17:30 start is written ``19:29 (1:59)``, never ``19:29 (2:00)``.
    """

    def minute(t: dt.datetime, up: float) -> float:
        return 60.0 * math.floor(t.timestamp() / 60.0 + up)

    return minute(moment, 0.5 if nearest else 0.0) - minute(start, 0.0)


def whole_seconds(seconds: float) -> int:
    """``seconds`` rounded to the whole second, halves up (towards later: -10.5 s is -10).

    The one rounding of an ISO time written to the second and of the elapsed seconds
    beside it (``cutoff`` and ``cutoff_elapsed_s`` in `cutoffs --format json`): rounding
    the instant's fraction of a second rounds the elapsed time the same way when the start
    falls on a whole second. Python's ``round`` goes to even at a half (10.5 -> 10,
    11.5 -> 12), so an elapsed time written with it could be 1 s before its ISO time.

    Parameters
    ----------
    seconds : float
        Finite [s].

    Returns
    -------
    int
        ``floor(seconds + 0.5)`` [s].
    """
    return math.floor(float(seconds) + 0.5)


def after(start: dt.datetime, seconds: float) -> dt.datetime:
    """The instant ``seconds`` of real time after the aware ``start``, in its time zone."""
    t = start.astimezone(dt.UTC) + dt.timedelta(seconds=float(seconds))
    return t.astimezone(start.tzinfo)


def seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    """Real time from ``start`` to ``end`` (aware) [s]."""
    return (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds()


def in_zone(moment: dt.datetime, tzname: str | None) -> dt.datetime:
    """The aware ``moment`` on the clocks of the IANA zone ``tzname`` (unchanged without one,
    or when the zone is unknown: the course loader reports that)."""
    if not tzname:
        return moment
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return moment.astimezone(ZoneInfo(tzname))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


def offset_changes(start: dt.datetime, seconds: float) -> list[tuple[dt.datetime, dt.timedelta]]:
    """The clock changes (daylight saving) of ``start``'s zone within ``seconds`` after it:
    ``[(first instant on the new offset, new offset)]``, to the minute, in course order."""
    out = []
    step = 900.0
    prev = after(start, 0.0).utcoffset()
    t = 0.0
    while t < seconds:
        nxt = min(t + step, float(seconds))
        off = after(start, nxt).utcoffset()
        if off != prev:
            lo, hi = t, nxt  # bisect to the minute
            while hi - lo > 60.0:
                mid = 0.5 * (lo + hi)
                if after(start, mid).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            out.append((after(start, hi).replace(second=0, microsecond=0), off))
            prev = off
        t = nxt
    return out


class ClockChange(NamedTuple):
    """A daylight-saving change during a race (:func:`clock_changes`)."""

    before: dt.datetime  # the change's instant on the old clock ("Sun 03:00" at +02:00)
    at: dt.datetime  # the same instant on the zone's new clock ("Sun 02:00" at +01:00)
    old: dt.timedelta  # UTC offset before the change
    new: dt.timedelta  # UTC offset after it


def clock_changes(start: dt.datetime, seconds: float) -> list[ClockChange]:
    """The clock changes of ``start``'s zone within ``seconds`` [s] after it, in order
    (:func:`offset_changes`, with each change's instant on the old clock as well)."""
    out = []
    prev = start.utcoffset()
    for t, off in offset_changes(start, seconds):
        out.append(ClockChange(t.astimezone(dt.timezone(prev)), t, prev, off))
        prev = off
    return out


def offset_text(offset: dt.timedelta) -> str:
    """``"UTC+02:00"`` of a UTC offset (``"UTC+00:00"`` for zero)."""
    m = round(offset.total_seconds() / 60)
    return f"UTC{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"


def clock_change_text(change: ClockChange, dated: bool = False) -> str:
    """``"Sun 03:00 UTC+02:00 becomes Sun 02:00 UTC+01:00; the times after it are on
    UTC+01:00"``, as `coursekit cutoffs` writes a change (``dated``: :func:`clock_format`)."""
    fmt = clock_format(dated)
    new = offset_text(change.new)
    return (
        f"{change.before.strftime(fmt)} {offset_text(change.old)} becomes "
        f"{change.at.strftime(fmt)} {new}; the times after it are on {new}"
    )


def zone_abbreviation(moment: dt.datetime) -> str:
    """The zone's abbreviation of an aware time (``"CEST"``, ``"CET"``), or its UTC offset
    (:func:`offset_text`) where the zone has only a numeric one (``"+01"``)."""
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    return offset_text(moment.utcoffset() or dt.timedelta(0))


def repeated(moment: dt.datetime) -> bool:
    """True when ``moment``'s wall-clock time happens twice in its zone (the hour repeated
    when the clocks go back): its clock time alone does not say which."""
    if moment.tzinfo is None:
        return False
    other = moment.replace(fold=1 - moment.fold)
    return other.utcoffset() != moment.utcoffset()


def zoned(
    text: str | None,
    moment: dt.datetime | None,
    tz: dt.tzinfo | None,
    changes: Sequence[ClockChange],
    *,
    nearest: bool = False,
) -> str | None:
    """``text``, the clock time written of ``moment``, followed by its zone's abbreviation
    (:func:`zone_abbreviation`) when the output spans a clock change and the time needs it.

    The one rule of every output that writes clock times across a change (the roadbook's
    tables, the profile's barrier labels, the map's popups, the occupancy chart's axis).

    Parameters
    ----------
    text : str or None
        The clock time as written (``"Sun 02:15"``); None and "" are returned as they are.
    moment : datetime or None
        The aware time ``text`` writes.
    tz : tzinfo or None
        The clock ``text`` is on (``moment`` as given when None).
    changes : sequence of ClockChange
        The output's clock changes (:func:`clock_changes`); none leaves ``text`` unchanged.
    nearest : bool, default False
        ``text`` rounds ``moment`` to the nearest minute (the leader's ETA) rather than
        dropping its seconds.

    Returns
    -------
    str or None
        ``"Sun 02:15 CEST"`` when ``moment`` is at or after the first change or its written
        clock time happens twice (:func:`repeated`); ``text`` otherwise.
    """
    if not changes or not text or moment is None or moment.tzinfo is None:
        return text
    shown = after(moment, 30.0) if nearest else moment  # the instant whose minute is written
    if tz is not None:
        shown = shown.astimezone(tz)
    # by the instant: two times on one ZoneInfo compare by their wall clocks
    first = changes[0].at.timestamp()
    if shown.timestamp() >= first or repeated(shown.replace(second=0, microsecond=0)):
        return f"{text} {zone_abbreviation(shown)}"
    return text
