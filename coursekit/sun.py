"""Sunrise, sunset and civil twilight for a place and date (astral).

"Dark" means between civil dusk and civil dawn (sun more than 6 degrees below
the horizon): a runner needs a head torch. Polar day and night are handled
(no dusk / no dawn).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np

__all__ = ["SunDay", "sun_day", "sun_days", "is_dark", "dark_intervals", "dark_mask"]

CIVIL_DEPRESSION = 6.0


class SunDay(NamedTuple):
    """Sun times of one local date (aware datetimes, ``None`` when the event does not occur)."""

    date: dt.date
    dawn: dt.datetime | None
    sunrise: dt.datetime | None
    sunset: dt.datetime | None
    dusk: dt.datetime | None
    polar: str  # "" | "day" (sun never sets) | "night" (never rises)


def _observer(lat: float, lon: float):
    from astral import Observer

    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"latitude/longitude out of range: {lat}, {lon}")
    return Observer(latitude=float(lat), longitude=float(lon))


def _elevation(obs, when: dt.datetime) -> float:
    from astral.sun import elevation

    return float(elevation(obs, when))


def sun_day(lat: float, lon: float, date: dt.date, tzinfo: dt.tzinfo) -> SunDay:
    """Dawn, sunrise, sunset and dusk (civil twilight) of one local date.

    Parameters
    ----------
    lat, lon : float
        Place [degrees].
    date : datetime.date
        Local date.
    tzinfo : datetime.tzinfo
        Time zone of the results (e.g. the course start's ``tzinfo``).

    Returns
    -------
    SunDay
    """
    from astral.sun import dawn, dusk, sunrise, sunset

    obs = _observer(lat, lon)

    def get(fn, **kw):
        try:
            return fn(obs, date=date, tzinfo=tzinfo, **kw)
        except ValueError:
            return None

    d = SunDay(
        date,
        get(dawn, depression=CIVIL_DEPRESSION),
        get(sunrise),
        get(sunset),
        get(dusk, depression=CIVIL_DEPRESSION),
        "",
    )
    if d.sunrise is None or d.sunset is None:
        noon = dt.datetime.combine(date, dt.time(12), tzinfo)
        polar = "day" if _elevation(obs, noon) > 0 else "night"
        d = d._replace(polar=polar)
    return d


def sun_days(lat, lon, start: dt.datetime, end: dt.datetime) -> tuple[SunDay, ...]:
    """Sun times of every local date from ``start`` to ``end`` (aware datetimes)."""
    tz = start.tzinfo
    d0 = start.date()
    d1 = end.astimezone(tz).date()
    out = []
    day = d0
    while day <= d1:
        out.append(sun_day(lat, lon, day, tz))
        day += dt.timedelta(days=1)
    return tuple(out)


def is_dark(when: dt.datetime, lat: float, lon: float) -> bool:
    """True when ``when`` (aware) is between civil dusk and civil dawn at the place.

    Raises
    ------
    ValueError
        ``when`` is naive.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"is_dark needs an aware datetime, got naive {when.isoformat()}")
    return _elevation(_observer(lat, lon), when) < -CIVIL_DEPRESSION


def dark_intervals(lat, lon, start: dt.datetime, duration_s: float) -> np.ndarray:
    """Dark intervals over a race, in seconds from ``start``.

    Parameters
    ----------
    lat, lon : float
        Place [degrees].
    start : datetime
        Aware start time.
    duration_s : float
        Span to cover [s].

    Returns
    -------
    ndarray, shape (n, 2)
        ``[begin, end)`` of each dark interval [s from start], clipped to
        ``[0, duration_s]``, sorted.
    """
    if start.tzinfo is None:
        raise ValueError("dark_intervals needs an aware start time")
    from .clock import after, seconds_between

    lo = start - dt.timedelta(days=1)
    hi = after(start, float(duration_s)) + dt.timedelta(days=1)
    days = sun_days(lat, lon, lo, hi)
    # light intervals [dawn, dusk); polar day: whole day light; polar night: none
    light = []
    for d in days:
        day0 = dt.datetime.combine(d.date, dt.time(0), start.tzinfo)
        day1 = day0 + dt.timedelta(days=1)
        if d.dawn is None and d.dusk is None:
            if (
                d.polar == "day"
                or _elevation(_observer(lat, lon), day0 + dt.timedelta(hours=12))
                > -CIVIL_DEPRESSION
            ):
                light.append((day0, day1))
            continue
        a = d.dawn or day0
        b = d.dusk or day1
        if b < a:  # dusk before dawn in local date (high latitude edge)
            light.append((day0, b))
            light.append((a, day1))
        else:
            light.append((a, b))
    # real seconds: a and start share one tzinfo, so a - start would be wall-clock time
    secs = sorted((seconds_between(start, a), seconds_between(start, b)) for a, b in light)
    # complement in [0, duration]
    dark = []
    t = 0.0
    for a, b in secs:
        if b <= t:
            continue
        if a > t:
            dark.append((t, min(a, duration_s)))
        t = max(t, b)
        if t >= duration_s:
            break
    if t < duration_s:
        dark.append((t, float(duration_s)))
    arr = np.array([(a, b) for a, b in dark if b > a], dtype=float).reshape(-1, 2)
    return arr


def dark_mask(elapsed, intervals: np.ndarray) -> np.ndarray:
    """True where elapsed times [s] fall inside one of ``intervals`` (:func:`dark_intervals`)."""
    t = np.asarray(elapsed, dtype=float)
    if intervals.size == 0:
        return np.zeros(t.shape, dtype=bool)
    k = np.searchsorted(intervals[:, 0], t, side="right") - 1
    ok = k >= 0
    out = np.zeros(t.shape, dtype=bool)
    out[ok] = t[ok] < intervals[k[ok], 1]
    return out
