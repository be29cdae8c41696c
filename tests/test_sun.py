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


def _elev(lat, lon, when, refraction):
    from astral import Observer
    from astral.sun import elevation

    return elevation(Observer(lat, lon), when, with_refraction=refraction)


@pytest.mark.parametrize(
    ("lat", "lon", "tz"),
    [
        (31.63, -8.0, "Africa/Casablanca"),  # Marrakech
        (45.0, 6.0, "Europe/Paris"),
        (-45.0, 170.5, "Pacific/Auckland"),
    ],
)
@pytest.mark.parametrize("day", ["2024-01-15", "2024-03-20", "2024-06-21", "2024-10-27"])
def test_sun_day_agrees_with_astral_at_mid_latitudes(lat, lon, tz, day):
    """Times from the elevation scan, within a minute of astral's dawn/sunrise/sunset/dusk
    (dawn and dusk are taken on the refracted elevation that is_dark tests: ~15 s apart)."""
    from astral import Observer
    from astral.sun import dawn, dusk, sunrise, sunset

    date, zone, obs = dt.date.fromisoformat(day), ZoneInfo(tz), Observer(lat, lon)
    d = sun.sun_day(lat, lon, date, zone)
    assert d.polar == ""
    for got, ref in [
        (d.dawn, dawn(obs, date=date, tzinfo=zone, depression=6)),
        (d.sunrise, sunrise(obs, date=date, tzinfo=zone)),
        (d.sunset, sunset(obs, date=date, tzinfo=zone)),
        (d.dusk, dusk(obs, date=date, tzinfo=zone, depression=6)),
    ]:
        assert abs((got - ref).total_seconds()) < 60, (got, ref)
        assert got.date() == date and got.tzinfo is zone


POLAR_DATES = [
    (70.0, 23.0, "Europe/Oslo", "2024-04-23", ""),
    (70.0, 23.0, "Europe/Oslo", "2024-05-15", ""),  # rises, sets after midnight
    (70.0, 23.0, "Europe/Oslo", "2024-05-16", ""),  # sets at 00:14, rises at 00:33, stays up
    (70.0, 23.0, "Europe/Oslo", "2024-06-21", "day"),
    (70.0, 23.0, "Europe/Oslo", "2024-07-27", ""),
    (70.0, 23.0, "Europe/Oslo", "2024-12-21", "night"),  # civil twilight at midday
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-04-02", ""),  # dusk after midnight
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-04-03", ""),  # dusk 00:04, dawn 01:55
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-04-20", "day"),
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-09-07", ""),
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-10-25", ""),  # last sunrise
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-10-26", "night"),
    (78.2, 15.6, "Arctic/Longyearbyen", "2024-12-18", "night"),
    (-77.8, 166.7, "Antarctica/McMurdo", "2024-02-20", ""),  # sets 01:52, rises 02:23
    (-77.8, 166.7, "Antarctica/McMurdo", "2024-04-24", ""),  # last sunrise
    (-77.8, 166.7, "Antarctica/McMurdo", "2024-08-02", "night"),  # astral: no dawn
    (-77.8, 166.7, "Antarctica/McMurdo", "2024-08-20", ""),
    (-77.8, 166.7, "Antarctica/McMurdo", "2024-12-21", "day"),
]


@pytest.mark.parametrize(("lat", "lon", "tz", "day", "polar"), POLAR_DATES)
def test_sun_day_near_the_poles_follows_the_elevation(lat, lon, tz, day, polar):
    """Checked against the elevation itself, every 2 min over the date: each time returned is
    a crossing in the right direction (sunrise/sunset at the geometric -0.833 deg, dawn/dusk at
    -6 deg with refraction, each within 0.05 deg), and an event is None only when the date
    has no such crossing. astral's functions raised (no event) or were off by up to hours."""
    date, zone = dt.date.fromisoformat(day), ZoneInfo(tz)
    d = sun.sun_day(lat, lon, date, zone)
    assert d.polar == polar, d
    t0 = dt.datetime.combine(date, dt.time(0), zone).astimezone(dt.UTC)
    t1 = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    grid = [t0 + dt.timedelta(seconds=s) for s in np.arange(0, (t1 - t0).total_seconds() + 1, 120)]
    for names, level, refraction in [
        (("sunrise", "sunset"), -0.833, False),
        (("dawn", "dusk"), -6.0, True),
    ]:
        above = np.array([_elev(lat, lon, t, refraction) >= level for t in grid])
        ups = np.flatnonzero(~above[:-1] & above[1:])
        downs = np.flatnonzero(above[:-1] & ~above[1:])
        for name, found, sign in [(names[0], ups, 1), (names[1], downs, -1)]:
            got = getattr(d, name)
            if got is None:
                assert found.size == 0, (name, [grid[k] for k in found])
                continue
            assert got.date() == date, (name, got)
            assert _elev(lat, lon, got, refraction) == pytest.approx(level, abs=0.05), name
            step = dt.timedelta(minutes=5)
            rising = _elev(lat, lon, got + step, refraction) > _elev(
                lat, lon, got - step, refraction
            )
            assert rising == (sign > 0), name
            # the first rising / last setting crossing of the date
            k = found[0] if sign > 0 else found[-1]
            assert abs((got - grid[k]).total_seconds()) <= 121, (name, got, grid[k])
    if polar == "day":
        assert all(_elev(lat, lon, t, False) > -0.833 for t in grid)
    if polar == "night":
        assert all(_elev(lat, lon, t, False) < -0.833 for t in grid)


@pytest.mark.parametrize(
    ("lat", "lon", "tz", "day", "line"),
    [
        (31.63, -8.0, "Africa/Casablanca", "2024-06-01", "rise 06:2"),
        (78.2, 15.6, "Arctic/Longyearbyen", "2024-04-20", "no sunset (polar day)"),
        (78.2, 15.6, "Arctic/Longyearbyen", "2024-12-18", "no sunrise (polar night)"),
        (-77.8, 166.7, "Antarctica/McMurdo", "2024-08-02", "no sunrise (polar night)  dawn 11:"),
        (70.0, 23.0, "Europe/Oslo", "2024-05-15", "rise 01:01  no sunset"),
        (70.0, 23.0, "Europe/Oslo", "2024-05-16", "set 00:14  rise 00:33"),
        (78.2, 15.6, "Arctic/Longyearbyen", "2024-04-03", "dusk 00:04  dawn 01:55  rise 04:53"),
    ],
)
def test_cutoffs_sun_line_says_what_happens(lat, lon, tz, day, line):
    """The cutoffs header's sun line: events in the date's order, a clear polar day/night."""
    from coursekit.cli import _sun_line

    text = _sun_line(sun.sun_day(lat, lon, dt.date.fromisoformat(day), ZoneInfo(tz)))
    assert text.startswith(f"sun {dt.date.fromisoformat(day):%a %Y-%m-%d}  ")
    assert line in text, text


def test_cutoffs_json_sun_block_near_the_pole(tmp_path):
    """A course at Svalbard across the start of the midnight sun: the JSON ``sun`` block has
    None where a date has no event and says which dates are polar (astral raised for them)."""
    import json

    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    n = 201
    write_gpx(
        tmp_path / "s.gpx",
        np.linspace(78.20, 78.30, n),
        np.full(n, 15.6),
        np.full(n, 10.0),
        name="svalbard",
    )
    (tmp_path / "s.toml").write_text(
        'name = "Svalbard"\ngpx = "s.gpx"\nstart = 2024-04-16T12:00:00+02:00\nlimit = "83h"\n'
        'timezone = "Arctic/Longyearbyen"\n'
    )
    res = CliRunner().invoke(cli, ["cutoffs", str(tmp_path / "s.toml"), "--format", "json"])
    assert res.exit_code == 0, res.output
    days = {d["date"]: d for d in json.loads(res.output)["sun"]}
    assert list(days) == ["2024-04-16", "2024-04-17", "2024-04-18", "2024-04-19"]
    assert days["2024-04-16"]["polar"] is None
    assert days["2024-04-16"]["sunset"].startswith("2024-04-16T23:5")
    assert days["2024-04-17"]["polar"] is None and days["2024-04-17"]["sunset"] is None
    assert days["2024-04-19"]["polar"] == "day"
    assert days["2024-04-19"]["sunrise"] is None and days["2024-04-19"]["sunset"] is None
    text = CliRunner().invoke(cli, ["cutoffs", str(tmp_path / "s.toml")]).output
    assert "sun Wed 2024-04-17  rise 01:5" in text and "  no sunset\n" in text, text
    assert "sun Fri 2024-04-19  no sunset (polar day)" in text, text


@pytest.mark.parametrize(
    ("place", "lat", "lon", "zone", "day", "noon"),
    [  # the extremes of inhabited places on their own zone's clocks (SOLAR_NOON_CLOCK)
        ("Kibithu", 28.3, 97.0, "Asia/Kolkata", dt.date(2024, 10, 26), "10:45"),
        ("Fuyuan", 48.36, 134.3, "Asia/Shanghai", dt.date(2024, 10, 24), "10:46"),
        ("Wales, Alaska", 65.6, -168.1, "America/Nome", dt.date(2024, 3, 12), "15:22"),
        ("China's western end", 39.4, 73.5, "Asia/Shanghai", dt.date(2024, 2, 17), "15:20"),
        ("Fisterra", 42.88, -9.27, "Europe/Madrid", dt.date(2024, 8, 5), "14:43"),
        ("Dakhla", 23.7, -15.9, "Africa/El_Aaiun", dt.date(2024, 2, 23), "14:17"),
        ("Attu (uninhabited)", 52.9, 172.9, "America/Adak", dt.date(2024, 3, 12), "15:38"),
    ],
)
def test_solar_noon_of_real_zones_is_inside_the_clock_range(place, lat, lon, zone, day, noon):
    start = dt.datetime.combine(day, dt.time(6), ZoneInfo(zone))
    assert f"{sun.solar_noon(lat, lon, day, start.tzinfo):%H:%M}" == noon
    assert sun.clock_misfit(lat, lon, start) is None


@pytest.mark.parametrize(
    ("lat", "lon", "zone", "noons"),
    [  # a zone copied from elsewhere, over a year: outside the range every day
        (-21.0, 55.5, "Europe/Paris", ("09:01", "10:24")),  # Réunion (black-box finding 12)
        (45.9, 6.9, "America/New_York", ("06:15", "07:42")),  # the Alps
        (31.6, -8.0, "Asia/Dubai", ("16:15", "16:46")),  # Marrakech
    ],
)
def test_a_zone_of_another_continent_is_outside_the_clock_range(lat, lon, zone, noons):
    tz = ZoneInfo(zone)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=k) for k in range(0, 366, 5)]
    found = []
    for day in days:
        t = sun.clock_misfit(lat, lon, dt.datetime.combine(day, dt.time(6), tz))
        assert t is not None, day
        found.append(f"{t:%H:%M}")
    assert noons[0] <= min(found) and max(found) <= noons[1]


def test_realdata_editions_fit_their_zone(realdata_index, realdata):
    """The dev set's starts (their own zone, and the offset written, even the 2023 Templiers'
    wrong +00:00) and every day of the year on each GPX's zone: no misfit."""
    from coursekit.gpx import read_gpx

    zones = {"Indian/Reunion", "Europe/Paris"}
    checked = 0
    for e in realdata_index["editions"]:
        gpx = e["files"].get("gpx")
        if not gpx or not e.get("start") or e.get("time_zone") not in zones:
            continue
        track = read_gpx(realdata / gpx)
        lat, lon = float(track.lat[0]), float(track.lon[0])
        start = dt.datetime.fromisoformat(e["start"])
        for clock in (start, start.astimezone(ZoneInfo(e["time_zone"]))):
            assert sun.clock_misfit(lat, lon, clock) is None, e["id"]
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("place", "lat", "lon", "zone"),
    [  # clocks beyond the polar circles are chosen for logistics, not set by the sun
        ("South Pole (GPX at lon 0)", -89.99, 0.0, "Antarctica/South_Pole"),  # NZ time: 00:xx
        ("South Pole (GPX at lon 139 E)", -89.998, 139.27, "Antarctica/South_Pole"),  # 15:46
        ("Vostok", -78.46, 106.84, "Antarctica/Vostok"),  # its own zone, +05: 09:36-10:06
        ("North Pole camp", 89.5, -120.0, "Europe/Moscow"),
    ],
)
def test_no_clock_misfit_beyond_the_polar_circles(place, lat, lon, zone):
    """The timezone-place check warned at the South Pole on the station's clock (New Zealand
    time, as at McMurdo) and at Vostok on its own zone: beyond the polar circles the sun does
    not set the clocks (polar day and night; Antarctica's stations keep their supply base's,
    and near a pole the longitude, and so solar noon, is anyone's). No check there."""
    tz = ZoneInfo(zone)
    for day in (dt.date(2024, 1, 15) + dt.timedelta(days=k) for k in range(0, 366, 30)):
        assert sun.clock_misfit(lat, lon, dt.datetime.combine(day, dt.time(9), tz)) is None


def test_clock_misfit_at_mcmurdo_and_near_the_polar_circles():
    """McMurdo on its own clock (New Zealand's) is inside the range every day (12:43-14:07);
    the check still runs up to the polar circles (Rovaniemi, 66.50 N, on New York's clock)."""
    tz = ZoneInfo("Antarctica/McMurdo")
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        start = dt.datetime.combine(day, dt.time(9), tz)
        assert sun.clock_misfit(-77.846, 166.676, start) is None, day
        day += dt.timedelta(days=1)
    start = dt.datetime(2024, 6, 15, 9, tzinfo=ZoneInfo("America/New_York"))
    assert sun.clock_misfit(66.50, 25.73, start) is not None
    assert sun.POLAR_CIRCLE_LAT == pytest.approx(66.56, abs=0.01)


def test_sun_days_leave_out_a_date_the_zone_skips():
    """Samoa skipped 30 December 2011 (Pacific/Apia went from -10 to +14 at midnight): the
    date had no length, and its sun line said "no sunrise (polar night)" at 13.8 S (review
    N2). The race's dates are those its clock shows, each with its sunrise and sunset."""
    zone = ZoneInfo("Pacific/Apia")
    start = dt.datetime(2011, 12, 29, 18, tzinfo=zone)
    end = start.astimezone(dt.UTC) + dt.timedelta(hours=24)  # Sat 31 Dec 18:00
    days = sun.sun_days(-13.8, -171.8, start, end)
    assert [d.date for d in days] == [dt.date(2011, 12, 29), dt.date(2011, 12, 31)]
    assert all(d.polar == "" and d.sunrise and d.sunset for d in days)
    with pytest.raises(ValueError, match="2011-12-30"):
        sun.sun_day(-13.8, -171.8, dt.date(2011, 12, 30), zone)


@pytest.mark.parametrize(
    ("lat", "lon", "tz", "day", "event", "level", "refraction", "later"),
    [
        # Abisko: the dusk of the 10th's night falls at 00:05 on the 11th, which has its own
        # at 23:50; the line said "(dark before 01:35 / after 23:50)": dark from midnight
        (68.35, 18.8, "Europe/Stockholm", "2024-08-11", "dusk", -6.0, True, "dawn"),
        # Nuuk: the sun sets at 00:01 (the 22nd's evening) and again at 23:58
        (64.18, -51.7, "America/Nuuk", "2024-07-23", "set", -0.833, False, "rise"),
    ],
)
def test_sun_line_keeps_the_small_hours_event_of_a_date_with_two(
    lat, lon, tz, day, event, level, refraction, later
):
    """A date with the previous evening's dusk (sunset) after midnight and one of its own
    before the next midnight showed only the last: the small-hours one vanished and the line
    read as dark from midnight (review N1). Both are written, in the date's order."""
    from coursekit.cli import _sun_line

    date, zone = dt.date.fromisoformat(day), ZoneInfo(tz)
    text = _sun_line(sun.sun_day(lat, lon, date, zone))
    # the first downward crossing of the level after midnight, from the elevation itself
    t = dt.datetime.combine(date, dt.time(0), zone).astimezone(dt.UTC)
    while not (
        _elev(lat, lon, t, refraction) >= level
        and _elev(lat, lon, t + dt.timedelta(minutes=1), refraction) < level
    ):
        t += dt.timedelta(minutes=1)
    first = t.astimezone(zone)
    assert first.hour == 0, first  # the case: one in the small hours...
    assert f"  {event} {first:%H:%M}  {later} " in text, text  # ...written before the rest
    assert "dark before" not in text, text
    assert text.count(f"{event} ") == 2, text  # and the evening's own
