"""Sunrise, sunset and civil twilight for a place and date (sun position from astral).

"Dark" means between civil dusk and civil dawn (sun more than 6 degrees below
the horizon): a runner needs a head torch. :func:`dark_intervals` and
:func:`sun_day` both find their times where the sun's elevation crosses a
level (one scan, :func:`_crossings`), so polar day and night and the days
around them need no special case (``None`` where a date has no such event).

Notes
-----
A plan takes the sun at one place, the course's middle (``cutoffs.course_setup``: mean
latitude, middle of the shortest longitude arc); a shared station's staffing windows take
it at the station. Dawn and dusk move about 4 min per degree of longitude (and with
latitude), so at a checkpoint they differ from the middle's by, measured on every race
date at 61 points along each track and at every checkpoint (h95 E3): TOR330 2025 (1.0 deg
east-west, 330 km) 2.1 min (dusk) and 2.0 min (dawn), Eiger E250 2025 1.4 and 2.0 min,
Grand Raid Reunion 2024 0.5 and 0.7 min, the bundled courses 0.6 min at most (HAUT 120).
No checkpoint's ``night`` flag of ``coursekit cutoffs`` changes on the 14 bundled courses
or on those three tracks (checkpoints every 5 km) when the reference runner's night is
taken at the checkpoint's own place and moment (:func:`is_dark`). The bound passes 3 min
on a course spanning about 1.5 degrees of longitude (some 120 km east-west at 45 deg): the
Atlas Mountain Race 2026 bikepacking route (4.4 deg) is 10 min off at its ends.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "SunDay",
    "day_parts",
    "sun_day",
    "sun_days",
    "is_dark",
    "dark_intervals",
    "dark_mask",
    "SCAN_STEP_S",
    "SOLAR_NOON_CLOCK",
    "POLAR_CIRCLE_LAT",
    "solar_noon",
    "clock_misfit",
]

CIVIL_DEPRESSION = 6.0
HORIZON_ELEVATION = -0.833
"""Geometric elevation of the sun's centre at sunrise and sunset [degrees]: refraction at the
horizon (34') and the sun's semi-diameter (16'), as astral's and NOAA's sunrise."""


SOLAR_NOON_CLOCK = (dt.time(10, 30), dt.time(15, 45))
"""Solar noon on the clocks of a place's own time zone falls in this range [local time].

On a zone's clocks the sun is highest at 12:00 plus the zone's lead over the mean
solar time of the place (its UTC offset less longitude / 15 h, daylight saving
included) less the equation of time (-16 to +14 min over the year). The extremes of
inhabited places, every day of 2024 (``astral.sun.noon``): 10:45 at Kibithu (28.3 N,
97.0 E, Asia/Kolkata) and 10:46 at Fuyuan (48.4 N, 134.3 E, Asia/Shanghai) in late
October; 15:22 at Wales, Alaska (America/Nome, on daylight saving in March) and 15:20
at China's western end (39.4 N, 73.5 E, Asia/Shanghai) in February. Galicia on Spain's
clocks reaches 14:43, Dakhla (Africa/El_Aaiun) 14:17, Madeira 14:15. The range leaves 15
to 23 min beyond those (Attu, uninhabited, at 15:38 under America/Adak is inside too).
A zone copied from elsewhere falls outside it when it is about 1.5 h or more ahead of
the place's own, or 1 h to 3 h behind, depending on the place: Europe/Paris on Réunion
gives 09:01 to 10:24, America/New_York in the Alps 06:15 to 07:42. An hour off (a
neighbouring zone) is not caught. Beyond the polar circles no clock is checked
(:data:`POLAR_CIRCLE_LAT`)."""

POLAR_CIRCLE_LAT = 66.56
"""Latitude of the polar circles [degrees]; beyond them :func:`clock_misfit` finds no misfit.

There the sun does not set the clocks: days of polar day and night, Antarctica's stations on
their supply base's clock (McMurdo and the South Pole on New Zealand's, where solar noon
falls at any hour with the longitude of a GPX at the Pole: 01:03 at 0 E, 15:46 at 139 E;
Vostok on its own +05 at 107 E, 09:36-10:06 over 2024), and near a pole the longitude, so
solar noon, is anyone's. McMurdo itself fits (12:43-14:07). The Arctic towns' zones fit
the range as well (Longyearbyen 11:40-13:03, Utqiagvik 13:10-14:37, Qaanaaq up to 15:43),
but are not checked either."""


class SunDay(NamedTuple):
    """Sun times of one local date (aware datetimes, ``None`` when the event does not occur)."""

    date: dt.date
    dawn: dt.datetime | None
    sunrise: dt.datetime | None
    sunset: dt.datetime | None
    dusk: dt.datetime | None
    polar: str  # "" | "day" (sun never sets) | "night" (never rises)
    # the previous evening's sunset or dusk when it falls in the small hours of a date that
    # has its own later (near the poles): ``(("dusk", datetime), ...)``, in order
    early: tuple = ()


def day_parts(d: SunDay, *, clock=None) -> list[str]:
    """What one date's sun does, in the date's order, as `coursekit cutoffs` and the
    roadbook write it: ``["rise 06:28", "set 20:31", "(dark before 06:00 / after 20:59)"]``
    (dark: civil twilight, the model's night), or ``"no sunset (polar day)"``, ``"dusk
    00:04"``... near the poles.

    Parameters
    ----------
    d : SunDay
    clock : callable, optional
        Writes a time (an aware datetime on the date's clock); default ``"%H:%M"``.
    """
    if clock is None:

        def clock(t):
            return f"{t:%H:%M}"

    ordered = d.dawn and d.sunrise and d.sunset and d.dusk and not d.early
    if ordered and d.dawn < d.sunrise < d.sunset < d.dusk:
        return [
            f"rise {clock(d.sunrise)}",
            f"set {clock(d.sunset)}",
            f"(dark before {clock(d.dawn)} / after {clock(d.dusk)})",
        ]
    # two sunsets or dusks (d.early): each one written below, in the date's order
    if not d.early and d.sunrise and d.sunset and d.sunrise < d.sunset and not (d.dawn or d.dusk):
        return [f"rise {clock(d.sunrise)}", f"set {clock(d.sunset)}"]
    parts = []
    if d.polar == "day":
        parts.append("no sunset (polar day)")
    elif d.polar == "night":
        parts.append("no sunrise (polar night)")
    events = [(d.dawn, "dawn"), (d.sunrise, "rise"), (d.sunset, "set"), (d.dusk, "dusk")]
    events += [(t, name) for name, t in d.early]
    happen = sorted((t, name) for t, name in events if t is not None)
    parts += [f"{name} {clock(t)}" for t, name in happen]
    if not d.polar:  # one of the two without the other (the sun stops or starts setting)
        parts += [
            f"no {name}" for t, name in ((d.sunrise, "sunrise"), (d.sunset, "sunset")) if not t
        ]
    return parts


def _observer(lat: float, lon: float):
    from astral import Observer

    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"latitude/longitude out of range: {lat}, {lon}")
    return Observer(latitude=float(lat), longitude=float(lon))


def _elevation(obs, when: dt.datetime) -> float:
    from astral.sun import elevation

    return float(elevation(obs, when))


def _geometric_elevation(obs, when: dt.datetime) -> float:
    from astral.sun import elevation

    return float(elevation(obs, when, with_refraction=False))


def sun_day(lat: float, lon: float, date: dt.date, tzinfo: dt.tzinfo) -> SunDay:
    """Dawn, sunrise, sunset and dusk (civil twilight) of one local date.

    Parameters
    ----------
    lat, lon : float
        Place [degrees].
    date : datetime.date
        Local date.
    tzinfo : datetime.tzinfo
        Time zone of the date and of the results (e.g. the course start's ``tzinfo``).

    Returns
    -------
    SunDay
        Each time to the second, ``None`` when the date has no such event;
        ``polar`` is ``"day"`` (``"night"``) when the sun stays above (below)
        the horizon the whole date.

    Raises
    ------
    ValueError
        ``date`` does not exist on ``tzinfo``'s clocks (a date the zone skips, as
        Pacific/Apia skipped 30 December 2011): it has no length.

    Notes
    -----
    The events are where the sun's elevation crosses a level between the
    date's local midnights (:func:`_crossings`, the scan of
    :func:`dark_intervals`): sunrise and sunset at the geometric elevation
    :data:`HORIZON_ELEVATION` (-0.833 degrees), dawn and dusk at -6 degrees on
    the elevation with refraction that :func:`is_dark` tests, so "dark before
    dawn / after dusk" is the dark of the night sections. Sunrise and dawn are
    the first upward crossings of the date, sunset and dusk the last downward
    ones. Near the poles a date may have a sunset or dusk in its small hours
    (the previous evening's, after midnight) and none in the evening, or
    only one of a pair; when it has one in its small hours and another later,
    the earlier is in ``early`` (``("set", t)``, ``("dusk", t)``); astral's own
    sunrise/dawn functions, which solve around the date's noon, raise or return
    times off by up to hours there.
    At mid-latitudes both agree to within a minute.
    """
    obs = _observer(lat, lon)
    begin = dt.datetime.combine(date, dt.time(0), tzinfo).astimezone(dt.UTC)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo).astimezone(dt.UTC)
    dur = (end - begin).total_seconds()
    if not dur > 0:
        raise ValueError(f"{date.isoformat()} does not exist on the clocks of {tzinfo}")

    def events(elev, level):
        ups, downs, first = _crossings(
            lambda s: elev(obs, begin + dt.timedelta(seconds=s)) - level, dur
        )
        ups = [t for t in ups if t < dur]
        downs = [t for t in downs if t < dur]
        return ups, downs, first

    def clock(secs):  # the first of a list of seconds from midnight, or None
        if not secs:
            return None
        return (begin + dt.timedelta(seconds=round(secs[0]))).astimezone(tzinfo)

    h_up, h_down, h_first = events(_geometric_elevation, HORIZON_ELEVATION)
    t_up, t_down, _ = events(_elevation, -CIVIL_DEPRESSION)
    polar = ""
    if not h_up and not h_down:
        polar = "day" if h_first > 0 else "night"
    early = [("set", t) for t in h_down[:-1]] + [("dusk", t) for t in t_down[:-1]]
    return SunDay(
        date,
        clock(t_up[:1]),
        clock(h_up[:1]),
        clock(h_down[-1:]),
        clock(t_down[-1:]),
        polar,
        tuple((name, clock([t])) for name, t in sorted(early, key=lambda e: e[1])),
    )


def solar_noon(lat: float, lon: float, date: dt.date, tzinfo: dt.tzinfo) -> dt.datetime:
    """When the sun is highest at a place on a local date (astral), on ``tzinfo``'s clock.

    Parameters
    ----------
    lat, lon : float
        Place [degrees].
    date : datetime.date
        Local date.
    tzinfo : datetime.tzinfo
        Time zone of the date and of the result.
    """
    from astral.sun import noon

    return noon(_observer(lat, lon), date, tzinfo=tzinfo)


def clock_misfit(lat: float, lon: float, start: dt.datetime) -> dt.datetime | None:
    """Solar noon at the place on ``start``'s local date and clock when it falls outside
    :data:`SOLAR_NOON_CLOCK` (the clock is not the place's own), else None.

    Parameters
    ----------
    lat, lon : float
        Place [degrees] (a course's start).
    start : datetime
        Aware, on the clock the times are shown on (its zone, or a fixed offset).

    Beyond the polar circles (:data:`POLAR_CIRCLE_LAT`), None: clocks there are not set
    by the sun.
    """
    if abs(lat) > POLAR_CIRCLE_LAT:
        return None
    t = solar_noon(lat, lon, start.date(), start.tzinfo)
    lo, hi = SOLAR_NOON_CLOCK
    return None if lo <= t.time().replace(tzinfo=None) <= hi else t


def sun_days(lat, lon, start: dt.datetime, end: dt.datetime) -> tuple[SunDay, ...]:
    """Sun times of every local date from ``start`` to ``end`` (aware datetimes), but the
    dates ``start``'s zone skips (no length: no sun line, rather than a polar one)."""
    tz = start.tzinfo
    d0 = start.date()
    d1 = end.astimezone(tz).date()
    out = []
    day = d0
    while day <= d1:
        nxt = day + dt.timedelta(days=1)
        begin = dt.datetime.combine(day, dt.time(0), tz).astimezone(dt.UTC)
        if dt.datetime.combine(nxt, dt.time(0), tz).astimezone(dt.UTC) > begin:
            out.append(sun_day(lat, lon, day, tz))
        day = nxt
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
    dur = float(duration_s)
    if not dur > 0:
        return np.zeros((0, 2))
    obs = _observer(lat, lon)
    t0 = start.astimezone(dt.UTC)

    def above(s: float) -> float:  # degrees above the threshold: dark where < 0
        return _elevation(obs, t0 + dt.timedelta(seconds=s)) + CIVIL_DEPRESSION

    ups, downs, first = _crossings(above, dur)
    begins = ([0.0] if first < 0 else []) + downs
    ends = ups + ([dur] if len(begins) > len(ups) else [])
    out = [(a, b) for a, b in zip(begins, ends, strict=True) if b > a]
    return np.array(out, dtype=float).reshape(-1, 2)


def _crossings(f, dur: float):
    """Where ``f`` (seconds -> value) changes sign on ``[0, dur]``, by a scan.

    Returns ``(ups, downs, first)``: the times [s] where ``f`` goes from < 0 to
    >= 0 and from >= 0 to < 0 (increasing, alternating), and ``f(0)``.

    ``f`` is sampled every :data:`SCAN_STEP_S`, each change of sign is refined
    to the second (Brent), and every sampled minimum within 1 degree above
    zero (maximum within 1 degree below) is searched for a shorter dip below
    (rise above) between samples: the sun's elevation moves less than 0.1
    degree from its extremum within a step.
    """
    from scipy.optimize import brentq, minimize_scalar

    n = max(int(math.ceil(dur / SCAN_STEP_S)), 1)
    ts = np.linspace(0.0, dur, n + 1).tolist()
    v = [f(s) for s in ts]
    for i in range(n, -1, -1):
        lo, hi = max(i - 1, 0), min(i + 1, n)
        if 0.0 <= v[i] < 1.0 and v[i] <= v[lo] and v[i] <= v[hi]:
            r = minimize_scalar(f, bounds=(ts[lo], ts[hi]), method="bounded")
            x, fx = float(r.x), float(r.fun)
            if fx >= 0.0:
                continue
        elif -1.0 < v[i] < 0.0 and v[i] >= v[lo] and v[i] >= v[hi]:
            r = minimize_scalar(lambda s: -f(s), bounds=(ts[lo], ts[hi]), method="bounded")
            x, fx = float(r.x), -float(r.fun)
            if fx < 0.0:
                continue
        else:
            continue
        k = i if x < ts[i] else i + 1
        ts.insert(k, x)
        v.insert(k, fx)
    ups: list[float] = []
    downs: list[float] = []
    for i in range(len(ts) - 1):
        if (v[i] < 0) != (v[i + 1] < 0):
            c = float(brentq(f, ts[i], ts[i + 1], xtol=1.0))
            (ups if v[i] < 0 else downs).append(c)
    return ups, downs, v[0]


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
