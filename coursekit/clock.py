"""Elapsed-time arithmetic on aware datetimes, in absolute (UTC) time.

Python adds a ``timedelta`` to an aware datetime on its *wall clock*, and
subtracts two datetimes sharing one ``tzinfo`` object (every
``ZoneInfo("Europe/Paris")`` is the same object) as naive wall times: across a
daylight-saving change both are off by the change (an hour). A race clock
counts real seconds, so these helpers go through UTC.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["after", "in_zone", "seconds_between"]


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
