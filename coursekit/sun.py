"""Sunrise, sunset and civil twilight for a place and date (astral).

"Dark" means between civil dusk and civil dawn (sun more than 6 degrees below
the horizon): a runner needs a head torch. :func:`dark_intervals` finds it
from the sun's elevation, so polar day and night and the days around them
need no special case; :func:`sun_day` gives astral's times for display
(``None`` when astral finds none).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "SunDay",
    "sun_day",
    "sun_days",
    "is_dark",
    "dark_intervals",
    "dark_mask",
    "SCAN_STEP_S",
]

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


SCAN_STEP_S = 600.0
"""Step at which :func:`dark_intervals` samples the sun's elevation [s]."""


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

    Notes
    -----
    Dark is the sun's elevation below -6 degrees (:func:`is_dark`), found from
    the elevation itself rather than from each local date's dawn and dusk:
    the elevation is sampled every :data:`SCAN_STEP_S`, each change of side is
    refined to the second (Brent), and every sampled minimum within 1 degree
    above the threshold is searched for a shorter dip between samples (the
    elevation moves less than 0.1 degree from its extremum within a step). So
    polar night is dark all day, midnight sun (and white nights, when the
    sun stays above -6 degrees) has no dark, and the days around them are
    right too: near the poles astral finds no dusk on a date whose dusk falls
    after midnight, or none on a date that has one, and dawn and dusk from it
    were off by up to 30 min (78 deg N in September) or 12 h (77.8 deg S on
    2 August 2024).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("dark_intervals needs an aware start time")
    from scipy.optimize import brentq, minimize_scalar

    dur = float(duration_s)
    if not dur > 0:
        return np.zeros((0, 2))
    obs = _observer(lat, lon)
    t0 = start.astimezone(dt.UTC)

    def above(s: float) -> float:  # degrees above the threshold: dark where < 0
        return _elevation(obs, t0 + dt.timedelta(seconds=float(s))) + CIVIL_DEPRESSION

    n = max(int(math.ceil(dur / SCAN_STEP_S)), 1)
    ts = np.linspace(0.0, dur, n + 1).tolist()
    v = [above(s) for s in ts]
    # a dip below the threshold between two samples: at a sampled minimum close above it
    for i in range(n, -1, -1):
        lo, hi = max(i - 1, 0), min(i + 1, n)
        if 0.0 <= v[i] < 1.0 and v[i] <= v[lo] and v[i] <= v[hi]:
            r = minimize_scalar(above, bounds=(ts[lo], ts[hi]), method="bounded")
            if r.fun < 0.0:
                k = i if r.x < ts[i] else i + 1
                ts.insert(k, float(r.x))
                v.insert(k, float(r.fun))
    out = []
    begin = 0.0 if v[0] < 0 else None
    for i in range(len(ts) - 1):
        if (v[i] < 0) != (v[i + 1] < 0):
            c = float(brentq(above, ts[i], ts[i + 1], xtol=1.0))
            if begin is None:
                begin = c
            else:
                out.append((begin, c))
                begin = None
    if begin is not None:
        out.append((begin, dur))
    return np.array([(a, b) for a, b in out if b > a], dtype=float).reshape(-1, 2)


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
