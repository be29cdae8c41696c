"""Course files (contract 1): durations, keys, types, start, cutoffs, scaling, events."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from coursekit.course import load_course, load_event, parse_duration
from coursekit.errors import CourseFileError
from coursekit.gpx import write_gpx
from coursekit.profile import along_course_distance

COURSES = Path(__file__).parent / "data" / "courses"


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("34h", 34 * 3600),
        ("46h45m", 46 * 3600 + 45 * 60),
        ("5m", 300),
        ("1h30", 5400),
        ("90s", 90),
        ("5min", 300),
        (34, 34 * 3600),
        (12.5, 12.5 * 3600),
        ("1h30m15s", 5415),
    ],
)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["34", "h", "30m1h", "1h30x", "", "-3h", True, None, "5 5"])
def test_parse_duration_refuses(value):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


def test_bare_number_string_says_what_is_expected():
    with pytest.raises(ValueError, match='"34h"'):
        parse_duration("34")


@pytest.mark.parametrize(
    "value, seconds", [("34:00", 34 * 3600), ("46:45", 46 * 3600 + 45 * 60), ("1:02:03", 3723)]
)
def test_parse_duration_hours_minutes_where_only_hours_make_sense(value, seconds):
    # h91 J10: coursekit prints elapsed times as "34:00"; a limit copied from that is hours
    assert parse_duration(value, hours_minutes=True) == pytest.approx(seconds)
    with pytest.raises(ValueError, match="ambiguous"):
        parse_duration(value)  # a cutoff or a dwell: clock time? minutes:seconds?


@pytest.mark.parametrize("value", ["34:60", "34:5", ":30", "0:00"])
def test_parse_duration_hours_minutes_refuses(value):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value, hours_minutes=True, positive=True)


@pytest.mark.parametrize("value", ["34:60", "46:75", "34:5", "1:02:60"])
def test_limit_out_of_range_minutes_named(value):
    """Outside review (thirty-second sprint): "46:75" as a limit got the list of forms, which
    left out "34:00" (the form coursekit prints) and did not say the minutes were wrong."""
    with pytest.raises(ValueError, match=r"two digits, 00-59; .*\"34:00\""):
        parse_duration(value, hours_minutes=True, positive=True)
    with pytest.raises(ValueError) as err:  # a dwell or a cutoff: no H:MM form to offer
        parse_duration(value)
    assert "34:00" not in str(err.value) and "00-59" not in str(err.value)


def _course(tmp_path, body: str, *, gpx=True) -> Path:
    if gpx:
        la = np.linspace(45.0, 45.09, 400)
        write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.linspace(1000, 1900, 400))
    p = tmp_path / "c.toml"
    p.write_text(body)
    return p


BASE = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T04:00:00+01:00\nlimit = "3h"\n'


def test_load_minimal(tmp_path):
    c = load_course(_course(tmp_path, BASE))
    assert c.name == "T"
    assert c.start == datetime(2024, 6, 1, 4, tzinfo=timezone(timedelta(hours=1)))
    assert c.limit_s == 3 * 3600
    assert not c.schematic and not c.scale_to_declared
    assert c.profile.total_distance == pytest.approx(10_000, rel=0.01)


def test_limit_as_hours_minutes(tmp_path):
    body = BASE.replace('limit = "3h"', 'limit = "3:30"')
    body += '[[declared]]\nsource = "regulations"\nlimit = "3:30"\n'
    c = load_course(_course(tmp_path, body))
    assert c.limit_s == 3.5 * 3600
    assert c.declared[0].limit_s == 3.5 * 3600


def test_cutoff_as_hours_minutes_is_refused_as_ambiguous(tmp_path):
    body = BASE + '[[checkpoints]]\nname = "A"\nkm = 5\ncutoff = "2:00"\n'
    with pytest.raises(CourseFileError, match=r"cutoff.*ambiguous.*2h00"):
        load_course(_course(tmp_path, body))


def test_mini_course_fixture():
    c = load_course(COURSES / "mini.toml")
    assert c.schematic  # the GPX was written by coursekit sketch
    assert [cp.name for cp in c.checkpoints] == ["Village", "Col", "Hamlet", "Village"]
    col = c.checkpoints[1]
    assert col.drop_bag and col.services == ("water", "food", "drop_bag")
    assert col.cutoff == c.start + timedelta(hours=1, minutes=15)
    assert c.checkpoints[2].cutoff.utcoffset() == timedelta(hours=1)
    assert c.declared[1].limit_s == 3.5 * 3600
    assert c.info["equipment"] == ["water 1 l", "whistle"]
    assert c.loop


@pytest.mark.parametrize(
    "extra, match",
    [
        ("lenght = 3\n", r"c\.toml: key 'lenght': unknown key"),
        (
            '[[checkpoints]]\nname = "A"\nkm = 1\nservice = ["water"]\n',
            r"checkpoints\[0\] \('A'\) key 'service': unknown key",
        ),
        (
            '[[checkpoints]]\nname = "A"\nkm = "1"\n',
            r"checkpoints\[0\] \('A'\) key 'km': expected a number, got string",
        ),
        (
            '[[checkpoints]]\nname = "A"\nkm = 1\nservices = ["beer"]\n',
            r"unknown service 'beer' \(known: water food hot_meal drop_bag medical toilets bus\)",
        ),
        (
            '[[checkpoints]]\nname = "A"\nkm = 1\nlat = 45.0\nlon = 6.0\n',
            r"exactly one of: km \| lat \+ lon \| waypoint \(got km and lat\+lon\)",
        ),
        ('[[checkpoints]]\nname = "A"\nlat = 45.0\n', r"key 'lon': lat and lon must be given"),
        (
            '[[checkpoints]]\nname = "A"\nkm = 1\ncutoff = "10"\n',
            r"checkpoints\[0\] \('A'\) key 'cutoff': '10' has no unit",
        ),
        ("[[declared]]\ndistance_km = 3\n", r"declared\[0\] key 'source': is required"),
        (
            '[[declared]]\nsource = "x"\ngain_m = "6400"\n',
            r"declared\[0\] \('x'\) key 'gain_m': expected a number",
        ),
        ('[info]\nequipment = "rope"\n', r"\[info\] key 'equipment': expected an array"),
        ("scale_to_declared = 1\n", r"key 'scale_to_declared': expected true or false"),
    ],
)
def test_errors_name_file_table_and_key(tmp_path, extra, match):
    with pytest.raises(CourseFileError, match=match):
        load_course(_course(tmp_path, BASE + extra))


@pytest.mark.parametrize(
    "extra, match",
    [
        (  # what Mac Office pastes for a line break inside a cell
            '[[checkpoints]]\nname = "Aid\\u000bA"\nkm = 1\n',
            r"c\.toml: checkpoints\[0\] key 'name': control character U\+000B \(vertical tab",
        ),
        (
            '[[checkpoints]]\nname = "A"\nkm = 1\nnote = "ring \\u0007"\n',
            r"checkpoints\[0\] key 'note': control character U\+0007 \(bell\)",
        ),
        ('[info]\nequipment = ["rope", "\\u001b[31m"]\n', r"info key 'equipment\[1\]': .*U\+001B"),
        ('[info]\norganiser = "x\\u0000"\n', r"info key 'organiser': control character U\+0000"),
        ('[info]\norganiser = "x\\uffff"\n', r"info key 'organiser': noncharacter U\+FFFF"),
        ('[[declared]]\nsource = "a\\u0085"\n', r"declared\[0\] key 'source': .*U\+0085"),
    ],
)
def test_control_characters_are_refused(tmp_path, extra, match):
    with pytest.raises(CourseFileError, match=match):
        load_course(_course(tmp_path, BASE + extra))
    # the course name too; tab, LF and CR (allowed in XML, in multi-line notes) are kept
    with pytest.raises(CourseFileError, match=r"c\.toml: key 'name': .*U\+000B"):
        load_course(_course(tmp_path, BASE.replace('"T"', '"T\\u000b2024"')))
    note = '[[checkpoints]]\nname = "A"\nkm = 1\nnote = "one\\ttwo\\r\\nthree"\n'
    assert load_course(_course(tmp_path, BASE + note)).checkpoints[0].note == "one\ttwo\r\nthree"


def test_start_without_offset(tmp_path):
    body = 'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T04:00:00\nlimit = "3h"\n'
    with pytest.raises(CourseFileError, match="key 'start'.*no UTC offset"):
        load_course(_course(tmp_path, body))
    c = load_course(_course(tmp_path, body + 'timezone = "Europe/Paris"\n'))
    assert c.start.utcoffset() == timedelta(hours=2)  # CEST in June
    assert c.info["start_localised"]


@pytest.mark.parametrize(
    ("start", "zone", "expected"),
    [
        ("2024-06-01T04:00:00+01:00", "Europe/Paris", "+02:00"),  # a winter offset in June
        ("2023-10-22T05:18:53+00:00", "Europe/Paris", "+02:00"),  # a UTC export (Templiers)
        ("2024-06-01T04:00:00+02:00", "Europe/Paris", None),
        ("2024-12-01T04:00:00+01:00", "Europe/Paris", None),
        ("2024-06-01T04:00:00+01:00", "Africa/Casablanca", None),
        ("2024-06-01T04:00:00+00:00", None, None),  # no zone: nothing to contradict
    ],
)
def test_start_offset_contradicting_the_time_zone_is_flagged(tmp_path, start, zone, expected):
    """A start whose offset is not its time zone's at that date moves every barrier and
    night section by hours without a word (a black-box tester's case): check warns, and
    so does every plan (cutoffs, event)."""
    from zoneinfo import ZoneInfo

    from coursekit.checkpoints import check_course
    from coursekit.cutoffs import plan

    body = BASE.replace("2024-06-01T04:00:00+01:00", start)
    if zone:
        body += f'timezone = "{zone}"\n'
    c = load_course(_course(tmp_path, body))
    assert c.info.get("start_offset_mismatch") == expected
    found = [x for x in check_course(c) if x.code == "start-offset"]
    notes = [w for w in plan(c).warnings if "UTC offset" in w]
    if expected is None:
        assert not found and not notes
        return
    assert len(found) == 1 and found[0].level == "warning" and len(notes) == 1
    assert f"but {zone} is at {expected} then" in notes[0] and notes[0] == found[0].message
    local = c.start.astimezone(ZoneInfo(zone))
    assert f"planned from {local:%H:%M} local time" in notes[0]
    assert f"write {start[:19]}{expected}" in notes[0]


NIGHT = (
    'name = "T"\ngpx = "t.gpx"\nstart = 2024-10-26T22:00:00\nlimit = "9h"\n'
    'timezone = "Europe/Paris"\n[[checkpoints]]\nname = "Col"\nkm = 5\ncutoff = {cut}\n'
)


def test_cutoff_in_the_hour_the_clocks_repeat_is_warned_of(tmp_path):
    """Black-box finding 19: a naive cutoff 02:30 on the night the clocks go back (Paris,
    27 Oct 2024 03:00 -> 02:00) happens twice; the first was taken silently (4:30 after
    the start, not 5:30). `check` and every plan now say which was taken and how to write
    either; an offset makes it explicit and silent."""
    from coursekit.checkpoints import check_course
    from coursekit.cutoffs import plan

    c = load_course(_course(tmp_path, NIGHT.format(cut="2024-10-27T02:30:00")))
    cut = c.checkpoints[0].cutoff
    assert cut.utcoffset() == timedelta(hours=2) and cut - c.start == timedelta(hours=4.5)
    note = (
        "checkpoints[0] ('Col') cutoff 2024-10-27T02:30:00 is ambiguous in Europe/Paris: the "
        "clocks go back that night and 02:30 happens twice, on UTC+02:00 then on UTC+01:00; "
        "the first was taken (2024-10-27T02:30:00+02:00, 4:30 after the start; the second "
        "would be 5:30): write 2024-10-27T02:30:00+02:00 or 2024-10-27T02:30:00+01:00 to "
        "make it explicit"
    )
    assert c.info["ambiguous_times"] == [note]
    found = [x for x in check_course(c) if x.code == "ambiguous-time"]
    assert [(x.level, x.message) for x in found] == [("warning", note)]
    assert plan(c).warnings.count(note) == 1
    # written with its offset: explicit, no warning
    c = load_course(_course(tmp_path, NIGHT.format(cut="2024-10-27T02:30:00+01:00")))
    assert c.checkpoints[0].cutoff - c.start == timedelta(hours=5.5)
    assert "ambiguous_times" not in c.info
    assert not [x for x in check_course(c) if x.code == "ambiguous-time"]
    # 02:30 on another night, and 03:30 that night, happen once
    for cut in ("2024-10-27T03:30:00", "2024-10-20T02:30:00"):
        body = NIGHT.format(cut=cut).replace("2024-10-26T22:00", cut[:11] + "00:00")
        assert "ambiguous_times" not in load_course(_course(tmp_path, body)).info
    # a start in the repeated hour: the same warning, for the start
    body = NIGHT.format(cut='"2h"').replace("2024-10-26T22:00:00", "2024-10-27T02:15:00")
    (note,) = load_course(_course(tmp_path, body)).info["ambiguous_times"]
    assert note.startswith("start 2024-10-27T02:15:00 is ambiguous in Europe/Paris")
    assert "the first was taken (2024-10-27T02:15:00+02:00): write" in note


@pytest.mark.parametrize("key", ["cutoff", "start"])
def test_local_time_the_clocks_skip_is_an_error(tmp_path, key):
    """Finding 19, the other change: 02:30 does not exist in Paris on 31 Mar 2024 (02:00 ->
    03:00); zoneinfo read it as 03:30 without a word. It is an error naming the key."""
    body = NIGHT.replace("2024-10-26T22:00:00", "2024-03-30T22:00:00")
    if key == "cutoff":
        body = body.format(cut="2024-03-31T02:30:00")
        where = r"checkpoints\[0\] \('Col'\) key 'cutoff'"
    else:
        body = body.format(cut='"2h"').replace("2024-03-30T22:00:00", "2024-03-31T02:30:00")
        where = "key 'start'"
    with pytest.raises(CourseFileError) as exc:
        load_course(_course(tmp_path, body))
    assert re.search(
        where + r": 2024-03-31T02:30:00 does not exist in Europe/Paris: the clocks go "
        r"forward from Sun 2024-03-31 02:00 to 03:00 \(UTC\+01:00 to UTC\+02:00\) and skip "
        r"02:30; write the time "
        r"meant with its UTC offset \(e\.g\. 2024-03-31T02:30:00\+01:00, which the clocks "
        r"show as 03:30\) or a time outside the skipped hour$",
        str(exc.value),
    ), str(exc.value)


def test_limit_bare_string_and_missing_gpx(tmp_path):
    with pytest.raises(CourseFileError, match="key 'limit': '34' has no unit"):
        load_course(_course(tmp_path, BASE.replace('"3h"', '"34"')))
    body = BASE.replace("t.gpx", "nope.gpx")
    with pytest.raises(CourseFileError, match=r"c\.toml: key 'gpx': 'nope\.gpx' not found"):
        load_course(_course(tmp_path, body, gpx=False))


def test_proposed_limit(tmp_path):
    body = BASE.replace('limit = "3h"\n', "") + (
        '[[proposed]]\nfield = "limit"\nvalue = "4h"\nbasis = "km-effort rate of X"\n'
    )
    c = load_course(_course(tmp_path, body))
    assert c.limit_s == 4 * 3600 and c.info["limit_proposed"]
    assert c.info["proposed"][0]["label"] == "proposed"
    with pytest.raises(CourseFileError, match="key 'limit': is required"):
        load_course(_course(tmp_path, BASE.replace('limit = "3h"\n', "")))


def test_scale_to_declared(tmp_path):
    body = (
        BASE + 'scale_to_declared = true\n[[declared]]\nsource = "regs"\ndistance_km = 12\n'
        "gain_m = 1800\n"
    )
    raw = load_course(_course(tmp_path, BASE))
    c = load_course(_course(tmp_path, body))
    # the declared km are matched on the slope, the km every table prints (K4)
    assert along_course_distance(c.profile)[-1] == pytest.approx(12_000, abs=1)
    assert c.profile.total_distance < 12_000
    assert c.profile.total_gain == pytest.approx(1800)
    assert c.profile.total_loss == pytest.approx(
        raw.profile.total_loss * 1800 / raw.profile.total_gain
    )
    np.testing.assert_array_equal(c.profile.elevation, raw.profile.elevation)
    assert "scaled" in c.profile.distance_method
    k = c.profile.total_distance / raw.profile.total_distance
    np.testing.assert_allclose(c.profile.distance, raw.profile.distance * k)


def test_event_file(tmp_path):
    _course(tmp_path, BASE)
    (tmp_path / "d.toml").write_text(BASE.replace('"T"', '"U"'))
    (tmp_path / "event.toml").write_text(
        'name = "E"\ncourses = ["c.toml"]\n[[combined]]\nname = "Ch"\ncourses = ["c.toml"]\n'
    )
    with pytest.raises(CourseFileError, match=r"combined\[0\] key 'courses': needs at least 2"):
        load_event(tmp_path)
    (tmp_path / "event.toml").write_text('name = "E"\ncourses = ["c.toml"]\n')
    ev = load_event(tmp_path)
    assert ev.name == "E" and ev.course_paths == (tmp_path / "c.toml",)
    assert ev.load_courses()[0].name == "T"
    (tmp_path / "event.toml").write_text('name = "E"\ncourses = ["c.toml"]\ngpx = "t.gpx"\n')
    with pytest.raises(CourseFileError, match="must not look like a course file"):
        load_event(tmp_path / "event.toml")
    with pytest.raises(CourseFileError, match="looks like an event file"):
        (tmp_path / "e2.toml").write_text('name = "E"\ncourses = ["c.toml"]\n')
        load_course(tmp_path / "e2.toml")


def _up_down(tmp_path, body: str) -> Path:
    """A 20 km out-and-up sketch: 1000 m -> 1900 m at km 10 (waypoint "Top") -> 1000 m."""
    from coursekit.gpx import Waypoint

    n = 801
    la = np.linspace(45.0, 45.18, n)
    ele = np.concatenate([np.linspace(1000, 1900, 401), np.linspace(1900, 1000, 401)[1:]])
    write_gpx(
        tmp_path / "t.gpx",
        la,
        np.full(n, 6.0),
        ele,
        waypoints=[Waypoint("Top", float(la[400]), 6.0, 1900.0)],
    )
    p = tmp_path / "c.toml"
    p.write_text(BASE + body)
    return p


UP_DOWN = (
    'gain_threshold = 0\nscale_to_declared = true\n[[declared]]\nsource = "regs"\n'
    "distance_km = 20\ngain_m = 3600\nloss_m = 2700\n"
    '[[checkpoints]]\nname = "Top"\nwaypoint = "Top"\n'
)


def test_scaling_spreads_the_missing_climb_along_the_course(tmp_path):
    """F1 (sixteenth sprint, black-box test): multiplying the sketch's cumulative D+ by
    declared/sketch (x4 here) put all 3600 m on the climb to Top and 0 m D+ on the descent
    (HAUT 80: 2910 m D+ in 9 km, then 0 m). The missing 2700 m D+ (1800 m D-) are spread
    uniformly by distance: each half gets its share on top of the 900 m it shows."""
    from coursekit.checkpoints import course_legs

    c = load_course(_up_down(tmp_path, UP_DOWN))
    assert c.profile.total_gain == pytest.approx(3600)
    assert c.profile.total_loss == pytest.approx(2700)
    legs = course_legs(c)
    assert list(legs.names) == ["Start", "Top", "Finish"]
    np.testing.assert_allclose(legs.leg_gain[1:], [900 + 1350, 1350], atol=1)
    np.testing.assert_allclose(legs.leg_loss[1:], [900, 900 + 900], atol=1)
    # the old factors: [3600, 0] D+ and [0, 2700] D-
    sc = c.info["scale"]
    assert (sc["gain_method"], sc["loss_method"]) == ("spread", "spread")
    assert sc["gain_added_m"] == pytest.approx(2700) and sc["loss_added_m"] == pytest.approx(1800)
    assert sc["gain"] == pytest.approx(4.0) and sc["loss"] == pytest.approx(3.0)
    # the course file does not say the track is a sketch: the measured figure is the track's
    # (it said "(sketch 900 m)" of any track, twenty-third review's K4 aside)
    assert "gain +2700 m spread uniformly by distance (track 900 m)" in c.profile.gain_method
    sketch = load_course(_up_down(tmp_path, "schematic = true\n" + UP_DOWN))
    assert "gain +2700 m spread uniformly by distance (sketch 900 m)" in sketch.profile.gain_method
    # gain - loss is the declared one, not end - start; altitudes unchanged
    np.testing.assert_allclose(c.profile.elevation[[0, 400, 800]], [1000, 1900, 1000])


def test_barriers_count_the_spread_relief(tmp_path):
    """Seventeenth sprint: the barriers count the metres the spread adds, as the legs table
    does. Under km-effort (no fatigue) the legs of UP_DOWN cost 10 + 2250/100 = 32.5 and
    10 + 1350/100 = 23.5 km-effort, so Top's barrier sits at 32.5/56 of the limit; from
    the profile's grades alone it sat at (10 + 9)/(20 + 9) = 19/29. A sketch says so in
    its warning."""
    from coursekit.cutoffs import SKETCH_WARNING, plan, spread_relief

    path = _up_down(tmp_path, UP_DOWN)
    path.write_text(path.read_text().replace('limit = "3h"', 'limit = "14h"'))
    c = load_course(path)
    d = c.profile.total_distance  # the map, a little shorter than the 20 km on the slope
    assert spread_relief(c) == pytest.approx((2700 / d, 1800 / d), rel=1e-3)
    pl = plan(c, model="kme", round_minutes=0)
    assert pl.arrival_elapsed[1] / (14 * 3600) == pytest.approx(32.5 / 56, rel=5e-3)
    assert SKETCH_WARNING not in pl.warnings  # not a sketch: check reports the scaling
    path.write_text("schematic = true\n" + path.read_text())
    sketch = plan(load_course(path), model="kme", round_minutes=0)
    assert f"{SKETCH_WARNING}, plus the declared D+/D- it does not show (+2700 m / +1800 m" in (
        "\n".join(sketch.warnings)
    )


def test_scaling_below_the_sketch_is_a_factor(tmp_path):
    body = UP_DOWN.replace("gain_m = 3600", "gain_m = 450").replace("loss_m = 2700", "")
    c = load_course(_up_down(tmp_path, body))
    assert c.info["scale"]["gain_method"] == "factor"
    assert c.info["scale"]["gain"] == pytest.approx(0.5)
    # no loss declared: the target is the sketch's loss x declared/sketch gain
    assert c.profile.total_loss == pytest.approx(450)
    assert "scaled gain x0.5000 loss x0.5000" in c.profile.gain_method


def test_declared_km_stretches_the_sketch_to_the_published_km(tmp_path):
    """F3: a checkpoint placed by its place with the organiser's km (declared_km) falls at
    that km on the scaled sketch (uniform scaling put UTAT's Timichi at 36.6 km, not 20)."""
    from coursekit.checkpoints import check_course, course_legs

    body = UP_DOWN.replace("distance_km = 20", "distance_km = 40") + "declared_km = 12\n"
    c = load_course(_up_down(tmp_path, body))
    legs = course_legs(c)
    np.testing.assert_allclose(legs.along, [0, 12_000, 40_000], atol=1)
    assert c.info["scale"]["anchors"] == [("Top", pytest.approx(10_000, abs=30), 12_000.0)]
    assert "stretched piecewise to the declared km of Top (12)" in c.profile.distance_method
    assert not [f for f in check_course(c) if f.code == "declared-km"]
    # the altitude of the place stays at the place
    assert legs.elevation[1] == pytest.approx(1900, abs=1)


def test_declared_km_without_scaling_warns_beyond_20_percent(tmp_path):
    from coursekit.checkpoints import check_course
    from coursekit.cutoffs import plan

    body = '[[checkpoints]]\nname = "Top"\nwaypoint = "Top"\ndeclared_km = 7\n'
    c = load_course(_up_down(tmp_path, body))
    found = [f for f in check_course(c) if f.code == "declared-km"]
    assert len(found) == 1 and found[0].level == "warning"
    assert found[0].message.startswith(
        "'Top' is at km 10.0 on the track but its declared km is 7 (+43 %), beyond ±20 %"
    )
    assert found[0].message in plan(c).warnings
    c = load_course(_up_down(tmp_path, body.replace("= 7", "= 9")))  # 11 %: fine
    assert not [f for f in check_course(c) if f.code == "declared-km"]


@pytest.mark.parametrize(
    "cp, match",
    [
        ('name = "Top"\nkm = 10\ndeclared_km = 10\n', "declared_km.*placed by lat"),
        (
            'name = "Top"\nwaypoint = "Top"\ndeclared_km = 45\n',
            r"checkpoints\[0\] \('Top'\) key 'declared_km': Top's declared_km 45 is beyond the "
            "declared distance 40 km$",
        ),
        # review 16/10: each stretch between anchors is bounded like the whole (0.1-10):
        # the last 10 km squeezed into 10 m, or the first 10 km into 500 m
        (
            'name = "Top"\nwaypoint = "Top"\ndeclared_km = 39.99\n',
            r"checkpoints\[0\] \('Top'\) key 'declared_km': stretches the track from Top to "
            r"the finish \(10\.0\d km\) to 0\.01 km \(x0\.001\): expected a factor between "
            "0.1 and 10",
        ),
        (
            'name = "Top"\nwaypoint = "Top"\ndeclared_km = 0.5\n',
            r"key 'declared_km': stretches the track from the start to Top .*x0\.05",
        ),
    ],
)
def test_declared_km_errors(tmp_path, cp, match):
    body = UP_DOWN.replace('[[checkpoints]]\nname = "Top"\nwaypoint = "Top"\n', "")
    body = body.replace("distance_km = 20", "distance_km = 40") + "[[checkpoints]]\n" + cp
    with pytest.raises(CourseFileError, match=match):
        load_course(_up_down(tmp_path, body))


def _out_and_back(tmp_path, body: str) -> Path:
    """A 20 km out-and-back sketch: 1000 m at the start, "Mid" at km 5 and 15, "Top"
    (1900 m) at km 10, back to the start."""
    from coursekit.gpx import Waypoint

    half = np.linspace(45.0, 45.09, 401)
    la = np.concatenate([half, half[::-1][1:]])
    ele = np.concatenate([np.linspace(1000, 1900, 401), np.linspace(1900, 1000, 401)[1:]])
    write_gpx(
        tmp_path / "t.gpx",
        la,
        np.full(la.size, 6.0),
        ele,
        waypoints=[
            Waypoint("Mid", float(half[200]), 6.0, 1450.0),
            Waypoint("Top", float(half[400]), 6.0, 1900.0),
        ],
    )
    p = tmp_path / "c.toml"
    p.write_text(BASE.replace('"3h"', '"10h"') + body)
    return p


def _scaled_out_and_back(tmp_path, checkpoints: str):
    """The out-and-back scaled to a declared 22 km with ``checkpoints``, and its one
    ``declared_km`` anchor ``(name, measured [m], declared [m])``."""
    body = (
        'scale_to_declared = true\ngain_threshold = 0\n[[declared]]\nsource = "r"\n'
        "distance_km = 22\n" + checkpoints
    )
    c = load_course(_out_and_back(tmp_path, body))
    (anchor,) = c.info["scale"]["anchors"]
    return c, anchor


def test_declared_km_of_the_start_and_the_finish_repeat_their_anchors(tmp_path):
    """Review h73 P4: a published km table gives the start km 0 and the finish the declared
    distance. Scaled, they stretched the track "to 0.00 km (x0)", or the finish's float
    rounding made it "not after" itself; unscaled, km 0 was "beyond ±20 %" of 0."""
    from coursekit.checkpoints import check_course, course_legs

    village = '[[checkpoints]]\nname = "Village"\nlat = 45.0\nlon = 6.0\ndeclared_km = {}\n'
    top = '[[checkpoints]]\nname = "Top"\nwaypoint = "Top"\ndeclared_km = 11\n'
    c, anchor = _scaled_out_and_back(tmp_path, village.format(0) + top + village.format(22))
    assert anchor == ("Top", pytest.approx(10_000, abs=30), 11_000.0)
    np.testing.assert_allclose(course_legs(c).along, [0, 11_000, 22_000], atol=1)
    for cps in (village.format(0) + top, top + village.format(22)):
        c, _ = _scaled_out_and_back(tmp_path, cps)
        np.testing.assert_allclose(course_legs(c).along, [0, 11_000, 22_000], atol=1)
    # unscaled: no warning for the start's km 0 (nor for the finish's right km)
    body = village.format(0) + top.replace("= 11", "= 10") + village.format(20)
    c = load_course(_out_and_back(tmp_path, body))
    assert not [f for f in check_course(c) if f.code == "declared-km"]
    # km 0 or the declared distance on a checkpoint elsewhere: said so, in one line
    mid = '[[checkpoints]]\nname = "Mid"\nwaypoint = "Mid"\ndeclared_km = {}\n'
    with pytest.raises(CourseFileError, match=r"Mid's declared_km 0 is the start's km, but Mid"):
        _scaled_out_and_back(tmp_path, mid.format(0))
    with pytest.raises(CourseFileError, match=r"Mid's declared_km 22 is the declared distance"):
        _scaled_out_and_back(tmp_path, mid.format(22))


def test_declared_km_anchor_follows_a_checkpoint_placed_by_km(tmp_path):
    """Review 16/1: the declared_km anchors were located without the checkpoints placed by
    km, so a place passed twice (Mid, at km 5 and 15) was anchored on its first passage
    although it follows Top (km 11): 0-5 km was stretched to 16 km and Top came out at
    1309 m instead of near the summit, with no warning."""
    from coursekit.checkpoints import check_course, course_legs

    c, (name, measured, declared) = _scaled_out_and_back(
        tmp_path,
        '[[checkpoints]]\nname = "Top"\nkm = 11\n'
        '[[checkpoints]]\nname = "Mid back"\nwaypoint = "Mid"\ndeclared_km = 16\n',
    )
    assert (name, declared) == ("Mid back", 16_000.0)
    assert measured == pytest.approx(15_000, abs=30)  # the way back, not km 5
    legs = course_legs(c)
    assert list(legs.names) == ["Start", "Top", "Mid back", "Finish"]
    assert legs.along[1] == pytest.approx(11_000, abs=1)  # km are on the slope
    assert legs.along[2] == pytest.approx(16_000, abs=1)
    # km 11 of the stretched course is just past the summit (km 10.67), on the way down
    assert legs.elevation[1] == pytest.approx(1875, abs=10)
    assert legs.elevation[2] == pytest.approx(1450, abs=5)
    assert not [f for f in check_course(c) if f.level == "error"]


SPREAD = (
    'gain_threshold = 0\nscale_to_declared = true\n[[declared]]\nsource = "x"\n'
    "distance_km = 20\ngain_m = 1500\nloss_m = 1500\n"
)


def _flat(tmp_path, ele) -> Path:
    n = 801
    write_gpx(tmp_path / "t.gpx", np.linspace(45.0, 45.18, n), np.full(n, 6.0), ele)
    p = tmp_path / "c.toml"
    p.write_text(BASE + SPREAD)
    return p


@pytest.mark.parametrize("noise", [0.0, 1e-10])
def test_spread_on_a_sketch_with_no_climb(tmp_path, noise):
    """Review 16/6: places at one altitude leave a D+/D- of 0 or of float noise (7.6e-11 m):
    the declared D+ was dropped (0) or refused as a factor of x1.98e+13 (noise). Below a
    metre the sketch climbs nothing and the declared figures are spread whole."""
    ele = 1000.0 + noise * (np.arange(801) % 2)
    p = _flat(tmp_path, ele)
    p.write_text(p.read_text().replace(SPREAD, "schematic = true\n" + SPREAD))
    c = load_course(p)
    sc = c.info["scale"]
    assert (sc["gain_method"], sc["loss_method"]) == ("spread", "spread")
    assert c.profile.total_gain == pytest.approx(1500) and c.profile.total_loss == pytest.approx(
        1500
    )
    assert c.profile.gain[400] == pytest.approx(750, abs=1)
    assert "gain +1500 m spread uniformly by distance (sketch 0 m)" in c.profile.gain_method


def test_spread_without_elevation_says_the_declared_climb_is_not_applied(tmp_path):
    """Review 16/6: on a track without elevation the declared D+ was dropped while the
    profile said "scaled gain x1.0000"."""
    from coursekit.checkpoints import check_course

    c = load_course(_flat(tmp_path, None))
    assert c.info["scale"]["gain_method"] == "none" and c.profile.total_gain == 0
    assert "declared D+/D- of 'x' not applied (the track has no elevation)" in (
        c.profile.gain_method
    )
    assert "x1.0000" not in c.profile.gain_method
    (f,) = [f for f in check_course(c) if f.code == "no-elevation"]
    assert "the declared D+/D- is not applied" in f.message


def test_spread_beyond_a_plausible_climb_is_refused(tmp_path):
    """Review 16/6: only factor scalings keep the 0.01-100 range; the spread is bounded in
    metres per km instead (9000 m on 20 km: D+ in feet?)."""
    body = UP_DOWN.replace("gain_m = 3600", "gain_m = 9000")
    with pytest.raises(
        CourseFileError,
        match=r"key 'scale_to_declared': declared\[0\] \('regs'\) would add 8100 m of gain "
        r"to the sketch's 900 m, 405 m per km of the 20 km: expected at most 250 m/km",
    ):
        load_course(_up_down(tmp_path, body))


def test_an_anchor_on_another_passage_than_the_final_one_is_named(tmp_path):
    """Review 16/1: the declared km of a checkpoint anchored on one passage while the final
    location (with the checkpoints placed by km) takes another is one line naming it."""
    from coursekit.course import Declared, _anchor_mismatch, scale_profile

    body = (
        '[[checkpoints]]\nname = "Top"\nkm = 17\n'
        '[[checkpoints]]\nname = "Mid back"\nwaypoint = "Mid"\n'
    )
    path = _out_and_back(tmp_path, body)
    c = load_course(path)
    specs = (c.checkpoints[0], replace(c.checkpoints[1], declared_km=16.0))
    anchors = [(5000.0, 16000.0, "Mid back", 1)]  # the way out
    scaled, _ = scale_profile(
        c.profile,
        Declared(source="r", distance_m=22000.0, gain_m=None, loss_m=None),
        anchors=[a[:3] for a in anchors],
        slope=True,
    )
    err = _anchor_mismatch(path, scaled, specs, anchors, 250.0, False)
    assert str(err) == (
        f"{path}: checkpoints[1] ('Mid back') key 'declared_km': its declared km 16 is "
        "anchored on its passage at km 5.00 of the track, but with the checkpoints before it "
        "it falls on another passage (km 20.00 of the scaled course): place those by "
        "position (waypoint or lat + lon) rather than by km"
    )
    assert (
        _anchor_mismatch(path, scaled, specs[1:], [(5000.0, 16000.0, "Mid back", 0)], 250.0, False)
        is None
    )


def test_a_local_time_in_the_day_samoa_skipped_names_the_date(tmp_path):
    """Pacific/Apia went from UTC-10 to UTC+14 at the end of 29 Dec 2011: 30 Dec 2011 does
    not exist there. The error said "the clocks go forward that night ... and skip 08:00
    ... (e.g. 2011-12-30T08:00:00-10:00, which the clocks show as 08:00) or a time outside
    the skipped hour": no date, an hour for a day, and the suggested time shown as 08:00
    while the clocks show it on the 31st. The message names the dates now."""
    body = BASE.replace("2024-06-01T04:00:00+01:00", "2011-12-30T08:00:00")
    body += 'timezone = "Pacific/Apia"\n'
    assert body != BASE and "Pacific/Apia" in body
    with pytest.raises(CourseFileError) as exc:
        load_course(_course(tmp_path, body))
    msg = str(exc.value)
    assert msg.endswith(
        "key 'start': 2011-12-30T08:00:00 does not exist in Pacific/Apia: the clocks go "
        "forward from Fri 2011-12-30 00:00 to Sat 2011-12-31 00:00 (UTC-10:00 to UTC+14:00) "
        "and skip Fri 2011-12-30 08:00; write the time meant with its UTC offset (e.g. "
        "2011-12-30T08:00:00-10:00, which the clocks show as Sat 2011-12-31 08:00) or a time "
        "outside the skipped day"
    ), msg
    assert "\n" not in msg


def test_declared_km_anchors_the_passage_that_fits_it(tmp_path):
    """Black-box finding K1: a place passed twice (Mid, at km 5 and 15 of a 20 km
    out-and-back) whose declared km is the way back's was anchored on the way out: the
    first 5 km were stretched x3.3 to 16.5 km and the last 15 km squeezed x0.37, without a
    word. The anchor is now the passage whose km, scaled by declared/measured total, is
    nearest the declared km, and the checkpoint is placed on that same passage."""
    from coursekit.checkpoints import check_course, course_legs
    from coursekit.cutoffs import plan

    c, (name, measured, declared) = _scaled_out_and_back(
        tmp_path, '[[checkpoints]]\nname = "Mid back"\nwaypoint = "Mid"\ndeclared_km = 16.5\n'
    )
    assert (name, declared) == ("Mid back", 16_500.0)
    assert measured == pytest.approx(15_000, abs=30)  # the way back, not km 5
    legs = course_legs(c)
    assert list(legs.names) == ["Start", "Mid back", "Finish"]
    assert legs.along[1] / 1000 == pytest.approx(16.5, abs=0.2)
    assert legs.leg_gain[1] == pytest.approx(900, abs=5)  # up to Top and back down to Mid
    found = check_course(c)
    assert not [f for f in found if f.level in ("error", "warning")], found
    (note,) = [f.message for f in found if f.code == "passages"]
    assert note.endswith("on the passage its declared_km 16.5 is anchored on"), note
    assert not [w for w in plan(c).warnings if "stretch" in w]


def test_declared_km_stretching_the_track_unevenly_warns(tmp_path):
    """K1: when even the passage that fits best implies stretch factors far apart (here
    x2.0 to Mid, then x0.8), the declared km is likely on another passage or wrong: a
    warning names the checkpoint, in check and in the plan."""
    from coursekit.checkpoints import check_course
    from coursekit.cutoffs import plan

    body = (
        'scale_to_declared = true\ngain_threshold = 0\n[[declared]]\nsource = "r"\n'
        'distance_km = 22\n[[checkpoints]]\nname = "Mid"\nwaypoint = "Mid"\n'
        "declared_km = 10\n"
    )
    c = load_course(_out_and_back(tmp_path, body))
    ((_, measured, _),) = c.info["scale"]["anchors"]
    assert measured == pytest.approx(5_000, abs=30)
    (f,) = [f for f in check_course(c) if f.code == "declared-km-stretch"]
    assert f.level == "warning"
    assert f.message.startswith(
        "the declared km stretch the track unevenly: x2 from the start to 'Mid', x0.8 from "
        "'Mid' to the finish"
    ), f.message
    assert f.message in plan(c).warnings


def test_declared_km_are_matched_on_the_km_printed(tmp_path):
    """Black-box finding K4: on a track with elevation (not a sketch) the map distance was
    stretched to the declared km while every table prints km on the slope, so the scaled
    km came out beyond the published ones they were scaled to (CCC: finish 102.2 for a
    declared 101). The stretch now hits the declared figures on the slope."""
    from coursekit.checkpoints import course_legs

    body = (
        'scale_to_declared = true\ngain_threshold = 0\n[[declared]]\nsource = "r"\n'
        'distance_km = 22\n[[checkpoints]]\nname = "Top"\nwaypoint = "Top"\n'
        "declared_km = 11.5\n"
    )
    c = load_course(_out_and_back(tmp_path, body))
    legs = course_legs(c)
    np.testing.assert_allclose(legs.along, [0, 11_500, 22_000], atol=1.0)
    assert legs.distance[-1] < 22_000 - 20  # the map is stretched less than the slope
    assert "matched on the slope" in c.profile.distance_method
    # a sketch prints map km: scaled on the map, as before
    path = tmp_path / "c.toml"
    path.write_text("schematic = true\n" + path.read_text())
    legs = course_legs(load_course(path))
    np.testing.assert_allclose(legs.along, [0, 11_500, 22_000], atol=1.0)
    np.testing.assert_allclose(legs.distance, [0, 11_500, 22_000], atol=1.0)


@pytest.mark.parametrize(
    "key, body",
    [
        ("start", BASE.replace("2024-06-01T04:00:00+01:00", '"2024-06-01T04:00:00+01:00"')),
        (
            "cutoff",
            BASE + '[[checkpoints]]\nname = "A"\nkm = 1\ncutoff = "2024-06-01T05:30:00+01:00"\n',
        ),
    ],
    ids=["start", "cutoff"],
)
def test_quoted_date_time_says_to_remove_the_quotes(tmp_path, key, body):
    """Black-box finding h91 J1: a date-time written in quotes was refused with a message that
    showed the very format written ("expected an offset date-time like ..., got string
    '2024-06-01T04:00:00+01:00'"); it now says the quotes are the problem and gives the fix."""
    with pytest.raises(CourseFileError) as exc:
        load_course(_course(tmp_path, body))
    value = "2024-06-01T04:00:00+01:00" if key == "start" else "2024-06-01T05:30:00+01:00"
    assert str(exc.value).endswith(
        f"(a date-time in quotes is a string for TOML: remove the quotes, {key} = {value})"
    ), str(exc.value)
    fixed = body.replace(f'"{value}"', value)
    load_course(_course(tmp_path, fixed))


def test_quoted_non_date_keeps_the_plain_message(tmp_path):
    """The hint is only for a string that is a date-time: "soon" gets the plain message."""
    body = BASE.replace("2024-06-01T04:00:00+01:00", '"soon"')
    with pytest.raises(CourseFileError) as exc:
        load_course(_course(tmp_path, body))
    assert "remove the quotes" not in str(exc.value)
    assert "got string 'soon'" in str(exc.value)
