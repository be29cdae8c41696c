"""Pace factors, sun times and race-clock arithmetic: properties (hypothesis).

What a race director relies on, for any input in the documented range: a leg takes a
positive, finite time that grows with its length and its climb, fatigue and the dark
never make a runner faster, the dark is exactly the sun below -6 degrees; sun times
belong to their local date, polar day and night are said (no exception) at any latitude
and on any zone's clock, the date line included; elapsed times are real seconds across a
daylight-saving change while the clock labels follow the wall clock; the ``H:MM`` form
the outputs write reads back as the same duration, and what is not a duration is
refused with the expected forms.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursekit import clock, pace, sun
from coursekit.course import MAX_DURATION_S, parse_duration

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
QUICK = settings(max_examples=150, deadline=None, derandomize=True)
"""Deterministic (derandomized): the same examples on every run; FAST for the sun scans."""

GRADE_RANGE = {  # the grades each model is defined on (beyond: clipped or extrapolated)
    "trail": (-1.0, 1.0),
    "minetti2002": (-0.45, 0.45),
    "tobler1993": (-1.0, 1.0),
    "kay2012": (-0.5, 0.5),
    "kme": (-1.0, 1.0),
}
OPTIMUM = {"trail": 0.0, "minetti2002": -0.1814, "tobler1993": -0.05, "kay2012": -0.10, "kme": 0.0}
"""The grade each model is fastest at (its docstring; kme and trail: flat and below)."""

models = st.sampled_from(list(pace.GRADE_MODELS))
params = st.builds(
    lambda up, down: (up, down), st.floats(0.0, 30.0), st.floats(0.0, 30.0)
)  # PARAMS_RANGES of up and down


def _leg_time(grade, length_m, model, effort_km, dark, elevation, p=pace.TRAIL_2024):
    """Time [s] of one leg at 1 m/s fresh flat speed: the product of the factors, as
    :func:`coursekit.cutoffs._static_cost` and the march multiply them."""
    gf = pace.grade_factor(grade, model=model, up=p.up, down=p.down)
    af = pace.wehrlin2006(elevation, per_1000m=p.altitude)
    ff = pace.fatigue_factor(effort_km, rate=p.fatigue)
    nf = pace.night_factor(dark, grade, base=p.night_base, steep=p.night_steep)
    return length_m * gf * af * ff * nf


# ---------------------------------------------------------------- pace


@QUICK
@given(
    models,
    st.floats(-1.0, 1.0),
    st.floats(1.0, 50_000.0),
    st.floats(0.0, 1000.0),
    st.booleans(),
    st.floats(-500.0, 8848.0),
)
def test_a_leg_takes_a_positive_finite_time_growing_with_its_length(
    model, grade, length, effort, dark, elevation
):
    t = _leg_time(grade, length, model, effort, dark, elevation)
    assert np.isfinite(t) and t > 0.0
    longer = _leg_time(grade, 1.5 * length, model, effort, dark, elevation)
    assert longer > t


@QUICK
@given(models, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_grade_factor_grows_with_the_climb_beyond_the_optimum(model, a, b):
    lo, hi = GRADE_RANGE[model]
    ga, gb = sorted(OPTIMUM[model] + (hi - OPTIMUM[model]) * x for x in (a, b))
    assert pace.grade_factor(gb, model=model) >= pace.grade_factor(ga, model=model)
    # and with the descent below it
    da, db = sorted(OPTIMUM[model] - (OPTIMUM[model] - lo) * x for x in (a, b))
    assert pace.grade_factor(da, model=model) >= pace.grade_factor(db, model=model)


@QUICK
@given(models, st.floats(-1.0, 1.0))
def test_grade_factor_is_positive_and_finite_and_one_on_the_flat(model, grade):
    f = pace.grade_factor(grade, model=model)
    assert np.isfinite(f) and f > 0.0
    assert pace.grade_factor(0.0, model=model) == pytest.approx(1.0)
    # the vectorised call gives the scalar's value
    assert pace.grade_factor(np.array([grade, 0.0]), model=model)[0] == f


@QUICK
@given(params, st.floats(-1.0, 1.0))
def test_trail_never_faster_than_flat_and_linear_each_side(ud, grade):
    """A back-marker never gains time on a slope (``up``, ``down`` >= 0), and the cost
    is linear on each side of the flat (double the grade, double the extra)."""
    up, down = ud
    f = pace.trail(grade, up=up, down=down)
    assert f >= 1.0
    assert pace.trail(2 * grade, up=up, down=down) - 1.0 == pytest.approx(2 * (f - 1.0))


@QUICK
@given(st.floats(0.0, 1000.0), st.floats(0.0, 1000.0), st.floats(0.0, 0.999))
def test_fatigue_never_makes_a_runner_faster(k1, k2, rate):
    a, b = sorted((k1, k2))
    fa, fb = pace.fatigue_factor([a, b], rate=rate)
    assert 1.0 <= fa <= fb <= 1.0 / 0.3 + 1e-12  # the floor: 30 % of the fresh speed
    assert pace.fatigue_factor(0.0, rate=rate) == 1.0


@QUICK
@given(
    st.lists(st.booleans(), min_size=1, max_size=20),
    st.floats(-1.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 5.0),
)
def test_night_factor_only_in_the_dark_and_never_below_one(dark, grade, base, steep):
    """Within the ranges a parameter file may set (``night_base`` [0, 1], ``night_steep``
    [0, 5]): >= 1 in the dark, exactly 1 in daylight, larger on steeper ground."""
    d = np.asarray(dark)
    f = pace.night_factor(d, np.full(d.size, grade), base=base, steep=steep)
    assert np.all(f[~d] == 1.0)
    assert np.all(f[d] >= 1.0)
    steeper = pace.night_factor(d, np.full(d.size, 2 * grade), base=base, steep=steep)
    assert np.all(steeper >= f)


@QUICK
@given(st.floats(-500.0, 750.0), st.floats(750.0, 9000.0), st.floats(750.0, 9000.0))
def test_altitude_penalty_nothing_up_to_750_m_then_increasing(low, h1, h2):
    assert pace.wehrlin2006(low) == 1.0
    a, b = sorted((h1, h2))
    fa, fb = pace.wehrlin2006([a, b])
    assert 1.0 <= fa <= fb
    if b > a + 1e-6:  # (below: the same float factor)
        assert fb > fa
    # 6 % per 1000 m (TRAIL_2024.altitude, Wehrlin & Hallén), not fitted
    assert pace.wehrlin2006(b) == pytest.approx(1.0 + 0.06 * (b - 750.0) / 1000.0)


@QUICK
@given(
    st.floats(3600.0, 200 * 3600.0),
    st.floats(1.0, 600.0),
    st.floats(1.0, 600.0),
    st.floats(0.0, 1.0),
)
def test_leader_time_grows_with_the_course_and_the_limit(limit, k1, k2, weight):
    p = pace.TRAIL_2024
    a, b = sorted((k1, k2))
    ta, tb = (
        pace.leader_time(limit, k, fraction=p.leader_fraction, speed=p.leader_speed, weight=weight)
        for k in (a, b)
    )
    assert 0.0 < ta <= tb and np.isfinite(tb)
    more = pace.leader_time(
        1.5 * limit, a, fraction=p.leader_fraction, speed=p.leader_speed, weight=weight
    )
    assert more >= ta


# ---------------------------------------------------------------- sun

ZONES = (
    "UTC",
    "Europe/Paris",
    "Europe/Oslo",
    "Arctic/Longyearbyen",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Kiritimati",  # +14, at 157 W: the date line crossed by the clock
    "Pacific/Pago_Pago",  # -11
    "America/Santiago",
    "Australia/Lord_Howe",  # a 30 min daylight-saving change
    "Asia/Kathmandu",
    "Antarctica/Troll",  # a 2 h change
    "Etc/GMT+12",
    "Etc/GMT-14",
)
places = st.tuples(
    st.one_of(st.floats(-90.0, 90.0), st.floats(60.0, 90.0), st.floats(-90.0, -60.0)),
    st.one_of(st.floats(-180.0, 180.0), st.sampled_from([-180.0, 180.0, 179.99, -179.99])),
)
dates = st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))


@FAST
@given(places, dates, st.sampled_from(ZONES))
def test_sun_day_never_raises_and_its_times_are_on_the_date(place, date, zone):
    """Any place, any date, any zone's clock (the course's may not be the place's own):
    a SunDay whose times are on the date and the zone, a polar day or night only when the
    sun neither rises nor sets, and a sun line that says so."""
    lat, lon = place
    tz = ZoneInfo(zone)
    d = sun.sun_day(lat, lon, date, tz)
    times = [t for t in (d.dawn, d.sunrise, d.sunset, d.dusk) if t] + [t for _, t in d.early]
    for t in times:
        assert t.date() == date and t.tzinfo is tz, (d, t)
    assert d.polar in ("", "day", "night")
    if d.polar:
        assert d.sunrise is None and d.sunset is None and not any(n == "set" for n, _ in d.early)
        noon = dt.datetime.combine(date, dt.time(12), tz)
        assert sun.is_dark(noon, lat, lon) is False or d.polar == "night"
    elif d.sunrise is None or d.sunset is None:
        assert d.sunrise or d.sunset  # one without the other: the sun stops/starts setting
    early = [t for _, t in d.early]
    assert early == sorted(early)
    parts = sun.day_parts(d)
    assert parts and all(isinstance(p, str) and p for p in parts)
    if d.polar == "day":
        assert parts[0] == "no sunset (polar day)"
    if d.polar == "night":
        assert parts[0] == "no sunrise (polar night)"


@FAST
@given(
    st.floats(-60.0, 60.0),
    st.floats(-180.0, 180.0),
    st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31)),
)
def test_sunrise_before_sunset_on_the_places_own_clock(lat, lon, date):
    """Below 60 degrees, on the place's mean solar clock (UTC + lon/15 h, whole minutes),
    every date has dawn < sunrise < sunset < dusk, about 12 h apart around noon."""
    off = dt.timedelta(minutes=round(lon * 4))
    tz = dt.timezone(off)
    d = sun.sun_day(lat, lon, date, tz)
    assert d.polar == "" and not d.early, d
    assert d.dawn < d.sunrise < d.sunset < d.dusk, d
    noon = d.sunrise + (d.sunset - d.sunrise) / 2
    assert abs((noon - dt.datetime.combine(date, dt.time(12), tz)).total_seconds()) < 20 * 60
    assert sun.day_parts(d)[0].startswith("rise ")


@FAST
@given(
    st.floats(-60.0, 60.0),
    st.floats(-180.0, 180.0),
    st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31)),
    st.floats(0.0, 1.0),
)
def test_dark_before_dawn_and_after_dusk_is_the_models_night(lat, lon, date, x):
    """The sun line's "(dark before <dawn> / after <dusk>)" is the dark of the night
    sections (:func:`coursekit.sun.is_dark`): light between them, dark outside them."""
    tz = dt.timezone(dt.timedelta(minutes=round(lon * 4)))
    d = sun.sun_day(lat, lon, date, tz)
    midnight = dt.datetime.combine(date, dt.time(0), tz)
    day_s = clock.seconds_between(d.dawn, d.dusk)
    assert not sun.is_dark(clock.after(d.dawn, 2.0 + x * (day_s - 4.0)), lat, lon)
    assert sun.is_dark(
        clock.after(midnight, x * (clock.seconds_between(midnight, d.dawn) - 2.0)), lat, lon
    )
    to_midnight = 86400.0 - clock.seconds_between(midnight, d.dusk)
    assert sun.is_dark(clock.after(d.dusk, 2.0 + x * (to_midnight - 3.0)), lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon", "zone", "day", "polar"),
    [
        (69.65, 18.96, "Europe/Oslo", "2024-06-21", "day"),  # Tromsø, midnight sun
        (69.65, 18.96, "Europe/Oslo", "2024-12-21", "night"),  # Tromsø, mørketid
        (78.22, 15.65, "Arctic/Longyearbyen", "2025-06-21", "day"),
        (78.22, 15.65, "Arctic/Longyearbyen", "2025-12-21", "night"),
        (-77.85, 166.67, "Antarctica/McMurdo", "2024-06-21", "night"),  # southern winter
        (-77.85, 166.67, "Antarctica/McMurdo", "2024-12-21", "day"),
        (-89.99, 0.0, "Antarctica/South_Pole", "2024-12-21", "day"),
    ],
)
def test_polar_day_and_night_are_said_and_match_the_dark(lat, lon, zone, day, polar):
    """Polar day: no sunset and never dark (civil); polar night: no sunrise, and the dark
    intervals of the date are those of the sun below -6 degrees."""
    tz = ZoneInfo(zone)
    date = dt.date.fromisoformat(day)
    d = sun.sun_day(lat, lon, date, tz)
    assert d.polar == polar and d.sunrise is None and d.sunset is None
    start = dt.datetime.combine(date, dt.time(0), tz)
    iv = sun.dark_intervals(lat, lon, start, 86400.0)
    if polar == "day":
        assert iv.size == 0
    t = np.arange(0.0, 86400.0, 1800.0) + 900.0
    ref = [sun.is_dark(clock.after(start, float(s)), lat, lon) for s in t]
    assert sun.dark_mask(t, iv).tolist() == ref


@FAST
@given(places, st.sampled_from(ZONES), dates, st.floats(0.0, 23.99), st.floats(3600.0, 4 * 86400.0))
def test_dark_intervals_are_the_sun_below_minus_6(place, zone, date, hour, span):
    """The night sections of every plan: sorted, disjoint, inside the race, and dark
    exactly where the sun is more than 6 degrees below the horizon (checked at times at
    least 2 s from a boundary, which is found to the second)."""
    lat, lon = place
    start = clock.after(dt.datetime.combine(date, dt.time(0), ZoneInfo(zone)), hour * 3600.0)
    iv = sun.dark_intervals(lat, lon, start, span)
    assert iv.ndim == 2 and iv.shape[1] == 2
    flat = iv.ravel()
    assert np.all(np.diff(flat) > 0) and (flat.size == 0 or (flat[0] >= 0 and flat[-1] <= span))
    t = np.linspace(0.0, span, 97)
    mask = sun.dark_mask(t, iv)
    for s, m in zip(t, mask, strict=True):
        if flat.size and np.min(np.abs(flat - s)) < 2.0:
            continue
        assert bool(m) == sun.is_dark(clock.after(start, float(s)), lat, lon), (s, iv)


@FAST
@given(places, st.sampled_from(ZONES), dates, st.floats(0.0, 23.99), st.floats(0.0, 6 * 86400.0))
def test_sun_days_are_every_date_of_the_race_on_its_clock(place, zone, date, hour, span):
    lat, lon = place
    tz = ZoneInfo(zone)
    start = clock.after(dt.datetime.combine(date, dt.time(0), tz), hour * 3600.0)
    end = clock.after(start, span)
    days = sun.sun_days(lat, lon, start, end)
    got = [d.date for d in days]
    assert got[0] == start.date() and got[-1] == end.astimezone(tz).date()
    assert all((b - a).days == 1 for a, b in zip(got, got[1:], strict=False))


# ---------------------------------------------------------------- clock

DST_ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Pacific/Auckland")
# races starting in the evening before a change and running through it
dst_starts = st.builds(
    lambda zone, day, minute: clock.after(
        dt.datetime.combine(day, dt.time(0), ZoneInfo(zone)), 60.0 * minute
    ),
    st.sampled_from(DST_ZONES),
    st.sampled_from(
        [
            dt.date(2024, 3, 30),  # Paris: Sun 31 March 02:00 -> 03:00
            dt.date(2024, 10, 26),  # Paris: Sun 27 October 03:00 -> 02:00
            dt.date(2024, 3, 9),  # New York: 10 March
            dt.date(2024, 11, 2),  # New York: 3 November
            dt.date(2024, 4, 6),  # Lord Howe and Auckland: 7 April (back)
            dt.date(2024, 10, 5),  # Lord Howe and Auckland: 6 October (forward)
            dt.date(2024, 12, 31),  # New Year
        ]
    ),
    st.integers(0, 24 * 60 - 1),
)


@QUICK
@given(dst_starts, st.floats(0.0, 3 * 86400.0), st.floats(0.0, 3 * 86400.0))
def test_elapsed_times_are_real_seconds_across_a_clock_change(start, s1, s2):
    a, b = sorted((s1, s2))
    ta, tb = clock.after(start, a), clock.after(start, b)
    assert clock.seconds_between(start, ta) == pytest.approx(a, abs=1e-5)
    assert clock.seconds_between(ta, tb) == pytest.approx(b - a, abs=1e-5)
    assert ta.tzinfo is start.tzinfo and ta.timestamp() <= tb.timestamp()
    # the wall clock shown is the zone's own at that instant
    assert ta.utcoffset() == ta.astimezone(dt.UTC).astimezone(start.tzinfo).utcoffset()
    # the elapsed time written beside a clock time is the clocks' minutes apart, in real time
    shown = clock.shown_elapsed(start, ta)
    assert shown % 60 == 0 and abs(shown - a) < 120


@QUICK
@given(dst_starts, st.floats(60.0, 3 * 86400.0))
def test_clock_changes_are_the_zones_own(start, span):
    """Every change of UTC offset within the span is listed once, to the minute, with the
    instant on both clocks; none else."""
    changes = clock.clock_changes(start, span)
    offsets = [start.utcoffset()]
    for k in range(0, int(span // 600) + 1):
        off = clock.after(start, 600.0 * k).utcoffset()
        if off != offsets[-1]:
            offsets.append(off)
    assert [c.new for c in changes] == offsets[1:]
    for c in changes:
        assert c.before.timestamp() == c.at.timestamp()
        assert c.before.utcoffset() == c.old and c.at.utcoffset() == c.new
        assert c.at.second == 0 and c.at.utcoffset() != clock.after(c.at, -60.0).utcoffset()
        assert 0.0 <= clock.seconds_between(start, c.at) <= span + 60.0


@QUICK
@given(st.floats(0.0, MAX_DURATION_S))
def test_hm_reads_back_as_the_same_duration(seconds):
    """``H:MM`` (elapsed times of every table, 24:00 and over 24 h included) is a limit a
    course file accepts, worth the minute written."""
    text = clock.hm(seconds)
    minutes = math.floor(seconds / 60.0 + 0.5)
    if minutes * 60.0 > MAX_DURATION_S:
        return
    assert parse_duration(text, hours_minutes=True) == 60.0 * minutes
    h, m = text.split(":")
    assert int(h) * 60 + int(m) == minutes and len(m) == 2


@QUICK
@given(st.floats(0.0, MAX_DURATION_S - 1.0))
def test_limit_hm_reads_back_to_the_second(seconds):
    text = clock.limit_hm(seconds)
    assert parse_duration(text, hours_minutes=True) == clock.whole_seconds(seconds)


@QUICK
@given(st.floats(-1e7, 1e7, allow_nan=False), st.floats(-1e7, 1e7, allow_nan=False))
def test_hm_is_monotone_and_symmetric(s1, s2):
    a, b = sorted((s1, s2))

    def minutes(text):
        sign = -1 if text.startswith("-") else 1
        h, m = text.lstrip("-").split(":")
        return sign * (int(h) * 60 + int(m))

    assert minutes(clock.hm(a)) <= minutes(clock.hm(b))
    x = abs(a)
    assert clock.hm(-x) == (clock.hm(x) if minutes(clock.hm(x)) == 0 else "-" + clock.hm(x))


@pytest.mark.parametrize(
    "value",
    ["-0:05", "-1h", "-5", -1, -0.5, math.nan, math.inf, "inf", "nan", "1e3h", "24:60",
     "12:5", "h", "", "1h1h", "30m2h", "61d", 1441, "1441h"],
)  # fmt: skip
def test_parse_duration_refuses_with_the_expected_forms(value):
    with pytest.raises(ValueError, match="expected a duration like") as e:
        parse_duration(value, hours_minutes=True, positive=True)
    assert "\n" not in str(e.value)


@QUICK
@given(dst_starts, st.floats(0.0, 2 * 86400.0), st.sampled_from([5, 15, 30, 45, 60, 120]))
def test_clock_labels_of_a_change_night_name_the_zone_when_needed(start, s, _step):
    """A time written across a change carries its zone's abbreviation from the change on
    and in the repeated hour; the same clock time twice is never written the same way."""
    span = 2 * 86400.0
    changes = clock.clock_changes(start, span)
    t = clock.after(start, s)
    text = t.strftime(clock.clock_format())
    label = clock.zoned(text, t, start.tzinfo, changes)
    if not changes:
        assert label == text
        return
    if t.timestamp() >= changes[0].at.timestamp() or clock.repeated(t.replace(second=0)):
        assert label == f"{text} {clock.zone_abbreviation(t)}"
    twin = clock.after(t, 3600.0)
    if twin.strftime(clock.clock_format()) == text and t.utcoffset() != twin.utcoffset():
        other = clock.zoned(text, twin, start.tzinfo, changes)
        assert other != label, (t, twin)
