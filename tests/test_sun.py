"""Sun times and darkness (astral)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from coursekit import sun

MARRAKECH = (31.63, -8.0)
TZ = ZoneInfo("Africa/Casablanca")


def test_sun_day_order_and_plausible_times():
    d = sun.sun_day(*MARRAKECH, dt.date(2024, 6, 1), TZ)
    assert d.dawn < d.sunrise < d.sunset < d.dusk
    # early June in Marrakech (UTC+1): sunrise ~06:25, sunset ~20:30
    assert 6 <= d.sunrise.hour <= 6 and 20 <= d.sunset.hour <= 20


def test_is_dark():
    assert sun.is_dark(dt.datetime(2024, 6, 1, 2, 0, tzinfo=TZ), *MARRAKECH)
    assert not sun.is_dark(dt.datetime(2024, 6, 1, 12, 0, tzinfo=TZ), *MARRAKECH)
    with pytest.raises(ValueError, match="aware"):
        sun.is_dark(dt.datetime(2024, 6, 1, 12, 0), *MARRAKECH)


def test_dark_intervals_match_is_dark():
    start = dt.datetime(2024, 6, 1, 4, 0, tzinfo=TZ)
    iv = sun.dark_intervals(*MARRAKECH, start, 34 * 3600)
    t = np.arange(0, 34 * 3600, 1800.0)
    mask = sun.dark_mask(t, iv)
    ref = [sun.is_dark(start + dt.timedelta(seconds=float(s)), *MARRAKECH) for s in t]
    assert mask.tolist() == ref
    assert mask[0]  # 04:00 is before civil dawn


def test_polar_day_and_night():
    start = dt.datetime(2024, 6, 21, 12, tzinfo=dt.UTC)
    assert sun.dark_intervals(78.2, 15.6, start, 86400).size == 0  # Svalbard midsummer
    start = dt.datetime(2024, 12, 21, 12, tzinfo=dt.UTC)
    iv = sun.dark_intervals(78.2, 15.6, start, 86400)
    assert iv.tolist() == [[0.0, 86400.0]]


def test_dark_intervals_in_real_seconds_across_a_dst_change():
    # Millau, 26-28 October 2024: clocks go back one hour on the 27th at 03:00. The
    # intervals are elapsed (real) seconds: dawn of the 27th and dusk of the 27th were
    # an hour early (wall-clock subtraction of datetimes sharing one ZoneInfo)
    from astral import Observer
    from astral.sun import elevation

    start = dt.datetime(2024, 10, 26, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    iv = sun.dark_intervals(44.1, 3.08, start, 48 * 3600)
    t = np.arange(0, 48 * 3600, 120.0)
    utc = start.astimezone(dt.UTC)
    obs = Observer(44.1, 3.08)
    truth = [elevation(obs, utc + dt.timedelta(seconds=float(s))) < -6 for s in t]
    assert np.count_nonzero(sun.dark_mask(t, iv) != np.array(truth)) <= 2


@pytest.mark.parametrize(
    ("lat", "lon", "tz", "day", "dark_share"),
    [
        (78.2, 15.6, "Arctic/Longyearbyen", dt.date(2024, 6, 18), 0.0),  # midnight sun
        (78.2, 15.6, "Arctic/Longyearbyen", dt.date(2024, 12, 18), 1.0),  # polar night
        # civil twilight all night begins: the dusk of the 2nd falls after midnight (astral
        # has no dusk on the 2nd and no dawn or dusk on the 3rd: 00:05-01:55 was light)
        (78.2, 15.6, "Arctic/Longyearbyen", dt.date(2024, 4, 1), None),
        (78.2, 15.6, "Arctic/Longyearbyen", dt.date(2024, 9, 7), None),  # dawn 30 min late
        (70.0, 23.0, "Europe/Oslo", dt.date(2024, 4, 22), None),  # no dawn on the 23rd
        (70.0, 23.0, "Europe/Oslo", dt.date(2024, 5, 16), 0.0),  # the sun stops setting
        (70.0, 23.0, "Europe/Oslo", dt.date(2024, 7, 27), None),  # it sets again
        # polar night with a midday twilight; astral misses the dawn of 2 August (12 h light)
        (-77.8, 166.7, "Antarctica/McMurdo", dt.date(2024, 8, 1), None),
    ],
)
def test_dark_intervals_near_the_poles_follow_the_sun(lat, lon, tz, day, dark_share):
    """Dark = the sun below -6 deg, also where astral finds no dawn or dusk on a date."""
    from astral import Observer
    from astral.sun import elevation

    start = dt.datetime.combine(day, dt.time(0), ZoneInfo(tz))
    span = 3 * 86400.0
    iv = sun.dark_intervals(lat, lon, start, span)
    t = np.arange(0.0, span, 300.0) + 150.0
    utc = start.astimezone(dt.UTC)
    obs = Observer(lat, lon)
    truth = np.array([elevation(obs, utc + dt.timedelta(seconds=float(s))) < -6 for s in t])
    got = sun.dark_mask(t, iv)
    wrong = t[got != truth]
    # only at a boundary (found to the second)
    assert all(np.min(np.abs(iv - s)) < 2.0 for s in wrong), (wrong / 3600, iv / 3600)
    if dark_share is not None:
        assert got.mean() == dark_share and truth.mean() == dark_share
    assert np.all(np.diff(iv.ravel()) > 0)  # sorted, disjoint, non-empty
