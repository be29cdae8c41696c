"""Course-file mistakes a person makes by hand: one line naming the file, where, and what.

Each case edits one line of a valid hand-written course file and runs
``coursekit legs``/``cutoffs`` (errors) or ``coursekit check`` (findings). The
message must name the file, the key or line (and the checkpoint), and say what
was expected.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from coursekit.cli import cli
from coursekit.course import load_course
from coursekit.errors import CourseFileError
from coursekit.gpx import write_gpx

COURSE = """\
name = "Hand 12"
gpx = "hand.gpx"
start = 2024-06-01T06:00:00+01:00
limit = "4h"
timezone = "Europe/Paris"

[[declared]]
source = "rules"
distance_km = 12

[[checkpoints]]
name = "Lac"
km = 3.5
services = ["water"]

[[checkpoints]]
name = "Col"
lat = 45.06
lon = 6.0
services = ["water", "food"]
cutoff = "2h"

[[checkpoints]]
name = "Refuge"
km = 9
cutoff = "3h"
dwell = "5m"
"""


@pytest.fixture
def course_dir(tmp_path):
    i = np.arange(121)
    lat = 45.0 + 1e-3 * i  # ~13.3 km due north
    lon = 6.0 + 0.001 * np.sin(i / 8)
    ele = 1000 + 300 * np.sin(i / 30)
    write_gpx(tmp_path / "hand.gpx", lat, lon, ele, name="hand")
    return tmp_path


def _write(d, old, new, *, count=1):
    assert COURSE.count(old) >= 1, old
    p = d / "c.toml"
    p.write_text(COURSE.replace(old, new, count), encoding="utf-8")
    return p


def _one_line(res) -> str:
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


# (id, old, new, expected fragments of the one-line error of `coursekit legs`)
LOAD_ERRORS = [
    (
        "typo-top-key",
        'limit = "4h"',
        'limt = "4h"',
        ["key 'limt'", "unknown key", "did you mean 'limit'?"],
    ),
    (
        "typo-checkpoint-key",
        'services = ["water"]\n',
        'servces = ["water"]\n',
        ["checkpoints[0] ('Lac')", "key 'servces'", "did you mean 'services'?"],
    ),
    (
        "km-as-string",
        "km = 3.5",
        'km = "3.5"',
        ["checkpoints[0] ('Lac')", "key 'km'", "expected a number, got string '3.5'"],
    ),
    (
        "limit-without-unit",
        'limit = "4h"',
        'limit = "34"',
        ["key 'limit'", "'34' has no unit", '"34h"'],
    ),
    (
        "negative-elapsed-cutoff",
        'cutoff = "2h"',
        'cutoff = "-2h"',
        ["checkpoints[1] ('Col')", "key 'cutoff'", "expected a duration", "offset date-time"],
    ),
    (
        "gpx-not-found",
        'gpx = "hand.gpx"',
        'gpx = "hand-v2.gpx"',
        ["key 'gpx'", "'hand-v2.gpx' not found", "looked for"],
    ),
    (
        "start-without-offset",
        'start = 2024-06-01T06:00:00+01:00\nlimit = "4h"\ntimezone = "Europe/Paris"',
        'start = 2024-06-01T06:00:00\nlimit = "4h"',
        ["key 'start'", "has no UTC offset", "+01:00", "timezone"],
    ),
    (
        "start-year-typo",
        "start = 2024-06-01T06:00:00+01:00",
        "start = 9024-06-01T06:00:00+01:00",
        ["key 'start'", "9024-06-01T06:00:00+01:00", "between the years 1900 and 2999"],
    ),
    (
        "start-as-string",
        "start = 2024-06-01T06:00:00+01:00",
        'start = "1 June 2024 6:00"',
        ["key 'start'", "expected an offset date-time", "got string"],
    ),
    (
        "unknown-service",
        'services = ["water"]\n',
        'services = ["water", "showers"]\n',
        ["checkpoints[0] ('Lac')", "key 'services'", "unknown service 'showers'", "hot_meal"],
    ),
    (
        "services-as-string",
        'services = ["water"]\n',
        'services = "water"\n',
        ["checkpoints[0] ('Lac')", "key 'services'", "expected an array of strings"],
    ),
    (
        "latitude-out-of-range",
        "lat = 45.06",
        "lat = 145.06",
        ["checkpoints[1] ('Col')", "key 'lat'", "<= 90"],
    ),
    ("lat-without-lon", "lon = 6.0\n", "", ["checkpoints[1] ('Col')", "lat and lon"]),
    (
        "two-placements",
        "km = 3.5",
        "km = 3.5\nwaypoint = 'Lac'",
        ["checkpoints[0] ('Lac')", "exactly one of: km | lat + lon | waypoint", "km and waypoint"],
    ),
    ("negative-km", "km = 3.5", "km = -3.5", ["checkpoints[0] ('Lac')", "key 'km'", ">= 0"]),
    ("limit-zero", 'limit = "4h"', 'limit = "0h"', ["key 'limit'", "'0h'", "(> 0)"]),
    (
        "limit-negative-hours",
        'limit = "4h"',
        "limit = -3",
        ["key 'limit'", "-3", "a number of hours (> 0)"],
    ),
    (
        "start-date-without-time",
        "start = 2024-06-01T06:00:00+01:00",
        "start = 2024-06-01",
        ["key 'start'", "a date without a time of day", "write 2024-06-01T06:00:00"],
    ),
    (
        "limit-absurd",
        'limit = "4h"',
        "limit = 4000",
        ["key 'limit'", "at most 1440h"],
    ),
    ("missing-name", 'name = "Hand 12"\n', "", ["key 'name'", "is required"]),
    (
        "unknown-timezone",
        'timezone = "Europe/Paris"',
        'timezone = "Paris"',
        ["key 'timezone'", "not an IANA time zone", "Europe/Paris"],
    ),
    (
        "declared-zero-distance",
        "distance_km = 12",
        "distance_km = 0",
        ["declared[0] ('rules')", "key 'distance_km'", "> 0 km"],
    ),
    (
        "km-beyond-the-end-then-more",
        "km = 3.5",
        "km = 35",
        ["checkpoints[0] 'Lac'", "km 35 is beyond the end of the course", "a typo?"],
    ),
    (
        "checkpoint-off-track",
        "lon = 6.0\n",
        "lon = 6.05\n",
        ["checkpoints[1] 'Col'", "m from the track", "beyond the tolerance of 250 m"],
    ),
    (
        "tolerance-on-a-km-checkpoint",
        "km = 3.5\n",
        "km = 3.5\ntolerance = 400\n",
        ["checkpoints[0] ('Lac')", "key 'tolerance'", "lat + lon or waypoint, not by km"],
    ),
    (
        "tolerance-zero",
        "lon = 6.0\n",
        "lon = 6.0\ntolerance = 0\n",
        ["checkpoints[1] ('Col')", "key 'tolerance'", "> 0, got 0"],
    ),
    (
        "course-tolerance-too-large",
        'limit = "4h"\n',
        'limit = "4h"\ntolerance = 1e6\n',
        ["key 'tolerance'", "<= 5000"],
    ),
    (
        "waypoint-not-in-gpx",
        "km = 3.5",
        'waypoint = "Lac"',
        ["checkpoints[0] 'Lac'", "no waypoint named 'Lac'"],
    ),
    (
        "toml-unclosed-string",
        'name = "Col"',
        'name = "Col',
        ["not valid TOML", "line 17"],
    ),
    (
        "toml-decimal-comma",
        "km = 3.5",
        "km = 3,5",
        ["not valid TOML", "line 13"],
    ),
    (
        "toml-single-brackets",
        '[[checkpoints]]\nname = "Col"',
        '[checkpoints]\nname = "Col"',
        ["not valid TOML", "line 16"],
    ),
]


@pytest.mark.parametrize(
    "old, new, fragments", [c[1:] for c in LOAD_ERRORS], ids=[c[0] for c in LOAD_ERRORS]
)
def test_hand_mistake_one_clear_line(course_dir, old, new, fragments):
    path = _write(course_dir, old, new)
    line = _one_line(CliRunner().invoke(cli, ["legs", str(path)]))
    assert line.startswith(f"Error: {path}: "), line
    for frag in fragments:
        assert frag in line, (frag, line)


@pytest.mark.parametrize("limit", ['"1441h"', "1441", '"86401m"', '"1440:01"'])
def test_durations_above_60_days_are_refused(course_dir, limit):
    """docs/guarantees.md: durations are at most 60 days (1440 h): a limit beyond is one line."""
    path = _write(course_dir, 'limit = "4h"', f"limit = {limit}")
    line = _one_line(CliRunner().invoke(cli, ["legs", str(path)]))
    assert line.startswith(f"Error: {path}: "), line
    assert "at most 1440h (60 days)" in line, line


def test_a_limit_of_60_days_is_accepted(course_dir):
    """Control for the bound above: 1440 h itself loads."""
    path = _write(course_dir, 'limit = "4h"', 'limit = "1440h"')
    res = CliRunner().invoke(cli, ["legs", str(path)])
    assert res.exit_code == 0, res.output


def test_the_hand_written_course_is_valid(course_dir):
    """Control: without the edit every command succeeds (so each case above tests its edit)."""
    path = _write(course_dir, "", "")
    runner = CliRunner()
    for cmd in ("legs", "check", "cutoffs"):
        res = runner.invoke(cli, [cmd, str(path)])
        assert res.exit_code == 0, (cmd, res.output)


# mistakes the file format allows but `check` reports (and `cutoffs` refuses)
CHECK_FINDINGS = [
    (
        "cutoff-before-start",
        'cutoff = "2h"',
        "cutoff = 2024-06-01T05:30:00+01:00",
        "[cutoff-before-start] checkpoints[1] 'Col' cutoff 2024-06-01T05:30:00+01:00 is before "
        "the start 2024-06-01T06:00:00+01:00",
        [
            "c.toml: checkpoints[1] ('Col') key 'cutoff': the fixed cutoff (-0.50 h) is not "
            "after the start (2024-06-01T06:00:00+01:00)"
        ],
    ),
    (
        "cutoff-after-limit",
        'cutoff = "3h"',
        'cutoff = "5h"',
        # the same words from check and cutoffs (h102 W9), on the course's clock
        "[cutoff-after-limit] checkpoints[2] ('Refuge') key 'cutoff': the fixed cutoff "
        "Sat 2024-06-01 12:00 (5:00) is after the limit, Sat 2024-06-01 11:00 (4:00)",
        [
            "c.toml: checkpoints[2] ('Refuge') key 'cutoff': the fixed cutoff "
            "Sat 2024-06-01 12:00 (5:00) is after the limit, Sat 2024-06-01 11:00 (4:00)"
        ],
    ),
    (
        "cutoffs-backwards",
        'cutoff = "3h"',
        'cutoff = "1h30"',
        "[cutoff-order] checkpoints[2] 'Refuge' cutoff 2024-06-01T07:30:00+01:00 is earlier "
        "than the cutoff of 'Col'",
        [
            "c.toml: checkpoints[2] ('Refuge') key 'cutoff': fixed cutoffs contradict each "
            "other: 'Col' at 2.00 h is not before 'Refuge' at 1.50 h"
        ],
    ),
    (
        "entry-exit-pair-stop-too-short",
        'dwell = "5m"\n',
        'dwell = "5m"\n\n[[checkpoints]]\nname = "Refuge out"\nkm = 9\ncutoff = "3h05m"\n'
        'dwell = "10m"\n',
        "c.toml: checkpoints[3] ('Refuge out') key 'cutoff': fixed cutoffs contradict",
        [
            "c.toml: checkpoints[3] ('Refuge out') key 'cutoff': fixed cutoffs contradict each "
            "other: 'Refuge out' at 3.08 h leaves 5 min after 'Refuge' at 3.00 h, at the same "
            "place, for planned stops of 10 min"
        ],
    ),
    (
        "dwell-longer-than-limit",
        'dwell = "5m"',
        'dwell = "5h"',
        "[plan]",
        # the fixed cutoff the stop fills, where it is written (said "reference runner from
        # 'Col' to 'Refuge': no time left ...", naming neither the cutoff nor its place)
        [
            "c.toml: checkpoints[2] ('Refuge') key 'cutoff': fixed cutoff at 'Refuge' "
            "(3.00 h) too early: from 'Col' (2.00 h) the planned stops (300 min) leave no "
            "time for moving"
        ],
    ),
]


@pytest.mark.parametrize(
    "old, new, finding, cutoff_fragments",
    [c[1:] for c in CHECK_FINDINGS],
    ids=[c[0] for c in CHECK_FINDINGS],
)
def test_check_reports_and_cutoffs_refuses(course_dir, old, new, finding, cutoff_fragments):
    path = _write(course_dir, old, new)
    runner = CliRunner()
    res = runner.invoke(cli, ["check", str(path)])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.stdout.startswith(f"{path}: Hand 12"), res.stdout
    errors = [ln for ln in res.stdout.splitlines() if ln.startswith("  error: ")]
    assert any(finding in ln for ln in errors), res.stdout
    line = _one_line(runner.invoke(cli, ["cutoffs", str(path)]))
    assert line.startswith(f"Error: {path}: "), line
    for frag in cutoff_fragments:
        assert frag in line, (frag, line)


def test_unknown_pace_parameter_names_its_key(course_dir):
    """L8 (contract review): an unknown key of a --params file is named as the course
    file's are, ``<file>: key 'upp': ...`` (it was ``unknown pace parameters ['upp']``)."""
    path = _write(course_dir, "", "")
    params = course_dir / "pace.toml"
    params.write_text('[pace]\nmodel = "trail"\nupp = 9.0\ndown = 5.0\n', encoding="utf-8")
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(path), "--params", str(params)]))
    assert line.startswith(
        f"Error: {params}: key 'upp': unknown pace parameter (did you mean 'up'? known: "
        "altitude, down, fatigue, "
    ), line


def test_an_unknown_key_is_named_in_one_wording_by_course_files_and_params_files(course_dir):
    """h94 R3: the --params file's "did you mean" lookup was a copy of the course file's
    (course._Ctx.check_keys). Both end with course.unknown_key_note now: the same closest
    key and the same sorted list for one misspelling."""
    import dataclasses

    from coursekit.course import _TOP_KEYS, unknown_key_note
    from coursekit.pace import TRAIL_2024

    assert unknown_key_note("LIMT", {"name", "limit", "gpx"}) == (
        "(did you mean 'limit'? known: gpx, limit, name)"
    )
    assert unknown_key_note("zzz", {"b", "a"}) == "(known: a, b)"
    known = {f.name for f in dataclasses.fields(TRAIL_2024)}
    path = _write(course_dir, "", "")
    params = course_dir / "pace.toml"
    params.write_text("[pace]\nfatigu = 1.0\n", encoding="utf-8")
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(path), "--params", str(params)]))
    assert line == (
        f"Error: {params}: key 'fatigu': unknown pace parameter {unknown_key_note('fatigu', known)}"
    )
    assert "did you mean 'fatigue'?" in line
    bad = course_dir / "bad.toml"
    bad.write_text(path.read_text().replace("limit =", "limt ="), encoding="utf-8")
    with pytest.raises(CourseFileError) as exc:
        load_course(bad)
    assert str(exc.value).endswith(
        "unknown key in the course file " + unknown_key_note("limt", _TOP_KEYS)
    )


@pytest.mark.parametrize("clock", ["06:00:00", "05:55:00"])
def test_cutoff_on_the_start_row(course_dir, clock):
    """Timing providers list the start with a cutoff at the gun (Grand Raid 2024: 22:00 for
    a 22:00 start): ``check`` called it an error, "is before the start", though ``cutoffs``
    uses the start for the start row whatever its cutoff. Equal to the start it is fine;
    otherwise a warning says it is ignored (Metis Trail 2024: 07:30 for a 07:31:52 start)."""
    row = f'[[checkpoints]]\nname = "Depart"\nkm = 0\ncutoff = 2024-06-01T{clock}+01:00\n\n'
    path = _write(
        course_dir, '[[checkpoints]]\nname = "Lac"', row + '[[checkpoints]]\nname = "Lac"'
    )
    runner = CliRunner()
    res = runner.invoke(cli, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert "cutoff-before-start" not in res.stdout
    found = [ln for ln in res.stdout.splitlines() if "cutoff-start-row" in ln]
    if clock == "06:00:00":
        assert found == [], res.stdout
    else:
        assert len(found) == 1 and found[0].startswith("  warning: [cutoff-start-row] ")
        assert "'Depart' cutoff 2024-06-01T05:55:00+01:00 is on the start row" in found[0]
        assert "this cutoff is ignored" in found[0]
    assert runner.invoke(cli, ["cutoffs", str(path)]).exit_code == 0


def test_cutoff_before_the_start_says_when_the_next_day_fits(course_dir):
    """A cutoff written with the start's date for the night after (Templiers Endurance 2024:
    Le Cade 01:20 on the start day, a 04:02 start): the finding says the next day fits."""
    path = _write(course_dir, 'cutoff = "2h"', "cutoff = 2024-06-01T05:30:00+01:00")
    path.write_text(path.read_text().replace('limit = "4h"', 'limit = "24h"'))
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert res.exit_code == 1, res.output
    assert (
        "[cutoff-before-start] checkpoints[1] 'Col' cutoff 2024-06-01T05:30:00+01:00 is before "
        "the start 2024-06-01T06:00:00+01:00 (the next day, 2024-06-02T05:30:00+01:00, would be "
        "inside the race)"
    ) in res.stdout


def test_duplicate_checkpoint_names_are_reported(course_dir):
    path = _write(course_dir, 'name = "Refuge"', 'name = "Lac"')
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert (
        "warning: [duplicate-name] checkpoint name 'Lac' is used 2 times (checkpoints[0, 2])"
        in res.stdout
    )


def test_bom_is_accepted_and_utf16_refused(course_dir):
    p = course_dir / "c.toml"
    p.write_bytes(b"\xef\xbb\xbf" + COURSE.encode())
    assert load_course(p).name == "Hand 12"
    p.write_bytes(COURSE.encode("utf-16"))
    with pytest.raises(CourseFileError, match=r"c\.toml: not UTF-8 text .* save it as UTF-8"):
        load_course(p)


def test_course_file_is_a_folder_or_missing(tmp_path):
    runner = CliRunner()
    for args in (["legs", str(tmp_path)], ["legs", str(tmp_path / "nope.toml")]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 1 and "Traceback" not in res.output
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {tmp_path}")


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    '<gpx version="1.1"><trk><name>&lol3;</name><trkseg><trkpt lat="45" lon="6"/>'
    '<trkpt lat="45.1" lon="6"/></trkseg></trk></gpx>\n'
)


@pytest.mark.parametrize(
    "kind, fragments",
    [
        ("device", ["not a regular file", "TOML course file"]),
        ("fifo", ["not a regular file"]),
        ("deep-nesting", ["not valid TOML", "nested too deep"]),
        ("oversize", ["larger than 16 MB"]),
        ("gpx-is-a-device", ["key 'gpx'", "'/dev/null' is not a regular file"]),
        ("gpx-billion-laughs", ["key 'gpx'", "DOCTYPE/ENTITY declarations are not allowed"]),
    ],
)
def test_hostile_course_files_refused_quickly(course_dir, kind, fragments):
    import os
    import time

    p = course_dir / "c.toml"
    if kind == "device":
        p = "/dev/zero"
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "deep-nesting":
        p.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "oversize":
        p.write_text(COURSE + "# " + "x" * (17 * 2**20) + "\n")
    elif kind == "gpx-is-a-device":
        p.write_text(COURSE.replace('gpx = "hand.gpx"', 'gpx = "/dev/null"'))
    else:
        (course_dir / "hand.gpx").write_text(LAUGHS)
        p.write_text(COURSE)
    t = time.perf_counter()
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    assert time.perf_counter() - t < 2.0
    assert line.startswith(f"Error: {p}: "), line
    for frag in fragments:
        assert frag in line, (frag, line)


def _with_last(course_dir, block):
    p = course_dir / "c.toml"
    p.write_text(COURSE + "\n" + block, encoding="utf-8")
    return p


def test_last_checkpoint_short_of_the_end_is_reported(course_dir):
    """A finish given 400 m before the track's end (a loop without `loop = true`, a track that
    runs on): the implicit "Finish" row at the end is announced."""
    path = _with_last(course_dir, '[[checkpoints]]\nname = "Village"\nlat = 45.1164\nlon = 6.0\n')
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert res.exit_code == 0, res.output
    line = [ln for ln in res.stdout.splitlines() if "[finish-after-last]" in ln]
    assert len(line) == 1 and "checkpoints[3] 'Village' is 398 m before" in line[0], res.stdout
    # the fix it gives (h103): the key, or the name; the key ends the course there
    assert line[0].endswith(
        "if 'Village' is the finish, give it finish = true (or name it 'Finish'): the course "
        "then ends there"
    ), line[0]
    path = _with_last(
        course_dir,
        '[[checkpoints]]\nname = "Village"\nlat = 45.1164\nlon = 6.0\nfinish = true\n',
    )
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert "[finish-after-last]" not in res.stdout, res.stdout
    assert "[gpx-cut] the GPX runs on 398 m after 'Village'" in res.stdout, res.stdout
    # at the end (within the tolerance): nothing to say
    path = _with_last(course_dir, '[[checkpoints]]\nname = "Village"\nlat = 45.12\nlon = 6.0\n')
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert "[finish-after-last]" not in res.stdout, res.stdout


def test_last_checkpoint_short_of_the_end_is_reported_whatever_the_tolerance(course_dir):
    """h96 B2: the implicit "Finish" row is added after a last checkpoint more than
    END_SNAP_M (100 m) short of the end whatever the tolerance, so a raised tolerance (as the
    warning advised) must neither silence the warning nor be offered as the cure."""
    from coursekit.checkpoints import END_SNAP_M

    path = _with_last(course_dir, '[[checkpoints]]\nname = "Village"\nlat = 45.1164\nlon = 6.0\n')
    legs = CliRunner().invoke(cli, ["legs", str(path), "--format", "json"])
    rows = json.loads(legs.stdout)["checkpoints"]
    gap = rows[-1]["map_distance_m"] - rows[-2]["map_distance_m"]
    assert rows[-2]["name"] == "Village" and gap > END_SNAP_M, rows[-2:]
    for tol in ("250", "500", "900"):
        res = CliRunner().invoke(cli, ["check", str(path), "--tolerance", tol])
        assert res.exit_code == 0, res.output
        line = [ln for ln in res.stdout.splitlines() if "[finish-after-last]" in ln]
        assert len(line) == 1, (tol, res.stdout)
        assert "'Village' is 398 m before" in line[0] and "tolerance" not in line[0], line[0]


def test_cutoffs_json_times_agree_with_their_elapsed_seconds(course_dir):
    """h96 B1: every ISO time of `cutoffs --format json` is the start plus its `*_elapsed_s`
    (both to the second): the times were truncated where the elapsed were rounded, 1 s apart
    on about half of the rows (the leader's ETA, an unrounded barrier)."""
    import datetime as dt

    text = COURSE.replace('cutoff = "2h"\n', "").replace('cutoff = "3h"\n', "")
    for limit in ('"4h"', '"4h7m"', "4.37"):
        path = course_dir / "c.toml"
        path.write_text(text.replace('limit = "4h"', f"limit = {limit}"), encoding="utf-8")
        res = CliRunner().invoke(cli, ["cutoffs", str(path), "--format", "json", "--round", "0"])
        assert res.exit_code == 0, res.output
        d = json.loads(res.stdout)
        start = dt.datetime.fromisoformat(d["start"])
        for row in d["checkpoints"]:
            for key in ("cutoff", "first_arrival", "opens"):
                got = (dt.datetime.fromisoformat(row[key]) - start).total_seconds()
                assert got == row[f"{key}_elapsed_s"], (limit, row["name"], key, row)


def _wiggly_gpx(tmp_path, name: str, amplitude: float, period: float) -> None:
    """hand.gpx: 121 points northwards, a slight zigzag, altitude 1000 m +- a sine."""
    i = np.arange(121)
    write_gpx(
        tmp_path / "hand.gpx",
        45.0 + 1e-3 * i,
        6.0 + 0.001 * np.sin(i / 8),
        1000 + amplitude * np.sin(i / period),
        name=name,
    )


def test_finish_cutoff_compared_on_a_steep_track(tmp_path):
    """The finish row's cutoff is compared with start + limit when the last checkpoint is at
    the end of the track: on a steep track the along-course (slope) length exceeds the map
    length by more than the tolerance, and the test mixed the two (it never fired)."""
    _wiggly_gpx(tmp_path, "steep", 400, 2.5)
    path = _with_last(
        tmp_path, '[[checkpoints]]\nname = "Village"\nlat = 45.12\nlon = 6.0\ncutoff = "3h50m"\n'
    )
    course = load_course(path)
    from coursekit.profile import along_course_distance

    along = along_course_distance(course.profile)
    assert along[-1] - course.profile.distance[-1] > 250.0  # slope km beyond the tolerance
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert (
        "error: [cutoff-finish] checkpoints[3] ('Village') key 'cutoff': the finish's cutoff "
        "Sat 2024-06-01 10:50 (3:50) is not the limit, Sat 2024-06-01 11:00 (4:00)"
    ) in res.stdout, res.stdout


@pytest.mark.parametrize(
    ("lat", "lon", "fragment"),
    [
        ([45.0], [6.0], "'hand.gpx' has a single track point (length 0 m)"),
        ([45.0, 45.0], [6.0, 6.0], "'hand.gpx' has 2 track points all at one place (length 0 m)"),
    ],
)
@pytest.mark.parametrize("command", ["legs", "cutoffs", "check", "roadbook", "event"])
def test_zero_length_track_is_one_clear_line(tmp_path, lat, lon, fragment, command):
    """A GPX with one point (or all at one place) measures 0 km (``coursekit profile`` says so);
    as a course it made ``roadbook`` and ``event`` fail with an internal ZeroDivisionError
    (field spread per km-effort) and ``cutoffs`` print a 0 km race: refused when loaded."""
    write_gpx(tmp_path / "hand.gpx", lat, lon, [1000.0] * len(lat), name="hand")
    p = tmp_path / "c.toml"
    p.write_text(COURSE.split("[[declared]]")[0], encoding="utf-8")
    (tmp_path / "event.toml").write_text('name = "E"\ncourses = ["c.toml"]\n', encoding="utf-8")
    args = {
        "roadbook": ["roadbook", str(p), "-o", str(tmp_path / "site")],
        "event": ["event", str(tmp_path / "event.toml")],
    }.get(command, [command, str(p)])
    line = _one_line(CliRunner().invoke(cli, args))
    assert line.startswith(f"Error: {p}: key 'gpx': "), line
    assert fragment in line and "internal error" not in line, line
    # the GPX alone is measured: 0 km, no error
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "hand.gpx"), "--format", "json"])
    assert res.exit_code == 0 and '"distance_m": 0.0' in res.output, res.output


def test_out_of_order_error_gives_the_file_km(course_dir):
    """``Refuge`` at km 5 listed after ``Col`` (placed by lat/lon, ~6.7 km): the error names both
    with the km the file and the legs table use (along the slope), not the map distance
    (it printed "'Refuge' is near the track only at km 4.93, before the previous checkpoint")."""
    p = _write(course_dir, "km = 9", "km = 5")
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    from coursekit.checkpoints import course_legs

    legs = course_legs(load_course(_write(course_dir, "km = 9", "km = 9")))
    col_km = legs.along[legs.names.index("Col")] / 1000  # 6.69, on the map 6.68
    assert abs(col_km - legs.distance[legs.names.index("Col")] / 1000) > 0.005
    assert line == (
        f"Error: {p}: checkpoints out of order: checkpoints[2] 'Refuge' (km 5) comes before "
        f"checkpoints[1] 'Col' (km {col_km:.2f}), which is listed before it"
    ), line


def test_off_track_error_gives_the_file_km(tmp_path):
    """A checkpoint by lat/lon beyond the tolerance: the error names it, its distance from the
    track and the nearest point's km in the file's terms, along the slope as ``legs`` and
    ``cutoffs`` print it (it printed the map km: 6.78 for 6.96 on this hilly track)."""
    _wiggly_gpx(tmp_path, "hilly", 150, 4)
    p = _write(tmp_path, "lon = 6.0\n", "lon = 6.05\n")
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    assert line == (
        f"Error: {p}: checkpoints[1] 'Col' is 3863 m from the track (nearest at km 6.96), "
        "beyond the tolerance of 250 m (check its lat/lon first (a typo?); if the station is "
        "really that far from the route, set tolerance = 3900 in its [[checkpoints]] table)"
    ), line
    # the km `legs` gives the Col when the tolerance lets it be placed there
    res = CliRunner().invoke(cli, ["legs", str(p), "--tolerance", "5000", "--format", "json"])
    col = next(r for r in json.loads(res.output)["checkpoints"] if r["name"] == "Col")
    assert f"{col['distance_m'] / 1000:.2f}" == "6.96", col
    # `coursekit check` reports the same line among its errors
    res = CliRunner().invoke(cli, ["check", str(p)])
    assert res.exit_code == 1 and "3863 m from the track (nearest at km 6.96)" in res.stdout


def test_off_track_hint_never_suggests_a_tolerance_the_file_refuses(tmp_path):
    """Farther than the largest ``tolerance`` a file may give (5000 m), the error asks to
    check the coordinates instead of suggesting ``tolerance = 6000`` (which the file then
    refused), or 20003650 for lat/lon swapped to the antipodes."""
    _wiggly_gpx(tmp_path, "hilly", 150, 4)
    p = _write(tmp_path, "lon = 6.0\n", "lon = 6.08\n")
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    assert "m from the track" in line and "set tolerance" not in line, line
    assert "farther than any allowed tolerance, 5000 m: check its lat/lon" in line, line
    # within the limit the suggestion stands, and the file with it loads and places the Col
    p = _write(tmp_path, "lon = 6.0\n", "lon = 6.05\n")
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    tol = int(line.split("set tolerance = ")[1].split()[0])
    text = p.read_text().replace('name = "Col"', f'name = "Col"\ntolerance = {tol}')
    assert text != p.read_text()
    p.write_text(text)
    res = CliRunner().invoke(cli, ["legs", str(p)])
    assert res.exit_code == 0, res.output


def test_tolerance_keys_place_a_station_off_the_route(course_dir):
    """A station in a village ~380 m off the route: refused at the default 250 m, placed when
    its own ``tolerance`` (or the course's) allows it, at the same km as with ``--tolerance``;
    a checkpoint's own key wins over the course's, and ``--tolerance`` over the course's."""
    off = "lon = 6.0\n", "lon = 6.0058\n"  # 383 m from the wiggling track at 45.06 N
    p = _write(course_dir, *off)
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(p)]))
    assert "beyond the tolerance of 250 m" in line and "set tolerance = 400" in line, line
    assert "check its lat/lon" not in line, line  # 383 m: a station in a village, no typo

    def col(args):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
        recs = json.loads(res.output)["checkpoints"]
        return next(r for r in recs if r["name"] == "Col")

    ref = col(["legs", str(p), "--tolerance", "600", "--format", "json"])
    assert 350 < ref["offset_m"] < 400
    own = _write(course_dir, "lon = 6.0\n", "lon = 6.0058\ntolerance = 600\n")
    assert col(["legs", str(own), "--format", "json"]) == ref
    res = CliRunner().invoke(cli, ["cutoffs", str(own), "--format", "json"])
    assert res.exit_code == 0 and any(
        r["name"] == "Col" for r in json.loads(res.output)["checkpoints"]
    )
    top = _write(course_dir, 'limit = "4h"\n', 'limit = "4h"\ntolerance = 600\n')
    top.write_text(top.read_text().replace(*off))
    assert col(["legs", str(top), "--format", "json"]) == ref
    assert load_course(top).tolerance_m == 600.0
    # --tolerance overrides the course's key; the checkpoint's own key wins over both
    top = _write(course_dir, 'limit = "4h"\n', 'limit = "4h"\ntolerance = 600\n')
    top.write_text(top.read_text().replace(*off))
    line = _one_line(CliRunner().invoke(cli, ["legs", str(top), "--tolerance", "300"]))
    assert "beyond the tolerance of 300 m" in line, line
    own = _write(course_dir, "lon = 6.0\n", "lon = 6.0058\ntolerance = 600\n")
    assert col(["legs", str(own), "--tolerance", "300", "--format", "json"]) == ref
    # `check` reports the offset as information once the station is placed
    res = CliRunner().invoke(cli, ["check", str(own)])
    assert "[offset] checkpoints[1] 'Col' is" in res.output, res.output


def test_event_file_with_a_start_names_the_key(course_dir):
    """docs/course-file.md: an event file must not contain ``start``. `coursekit event` took
    such a file (``courses``, ``start``, no ``gpx``) for a course file and said it "looks like
    an event file (read it with load_event / give a course file)"; it names the key now."""
    (course_dir / "c.toml").write_text(COURSE, encoding="utf-8")
    ev = course_dir / "race-day.toml"
    ev.write_text(
        'name = "E"\ncourses = ["c.toml"]\nstart = 2024-06-01T06:00:00+01:00\n', encoding="utf-8"
    )
    line = _one_line(CliRunner().invoke(cli, ["event", str(ev)]))
    assert line.startswith(f"Error: {ev}: key 'start': an event file must not look like a course")


def test_event_file_with_a_stray_gpx_is_read_as_an_event(course_dir):
    """Black-box finding 9: an event file with a stray ``gpx`` was read as a course file,
    "key 'courses': unknown key in the course file". It is an event file with an unexpected
    key, for `event` and for the course commands alike."""
    (course_dir / "c.toml").write_text(COURSE, encoding="utf-8")
    ev = course_dir / "ev.toml"
    ev.write_text('name = "E"\ncourses = ["c.toml"]\ngpx = "hand.gpx"\n', encoding="utf-8")
    line = _one_line(CliRunner().invoke(cli, ["event", str(ev)]))
    assert line.startswith(f"Error: {ev}: key 'gpx': an event file must not look like a course")
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(ev)]))
    assert line.startswith(f"Error: {ev}: key 'gpx': this looks like an event file"), line
    assert "unexpected key 'gpx'" in line and "unknown key in the course file" not in line
    # a course file with a stray 'courses' is still a course file with an unknown key
    (course_dir / "c2.toml").write_text('courses = ["c.toml"]\n' + COURSE, encoding="utf-8")
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(course_dir / "c2.toml")]))
    assert "key 'courses': unknown key in the course file" in line, line


def test_event_listing_itself_speaks_to_a_cli_user(course_dir):
    """Black-box finding 9: "read it with load_event / give a course file" named a Python
    function; an event listing itself is said so, and an event file given to a course
    command is told apart without naming the API."""
    ev = course_dir / "ev.toml"
    ev.write_text('name = "E"\ncourses = ["ev.toml"]\n', encoding="utf-8")
    line = _one_line(CliRunner().invoke(cli, ["event", str(ev)]))
    assert (
        line
        == f"Error: {ev}: key 'courses': 'ev.toml' is this event file itself: list course files"
    )
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(ev)]))
    assert "this looks like an event file, not a course file" in line
    assert "`coursekit event`, `map` and `roadbook` read event files" in line
    assert "load_event" not in line


def test_negative_seed_is_a_usage_error_naming_the_option(course_dir):
    """Black-box finding 9: ``--seed -5`` said "<event file>: expected non-negative integer";
    it is click's usage error naming --seed (exit 2), as for --simulate 0."""
    path = course_dir / "c.toml"
    path.write_text(COURSE, encoding="utf-8")
    res = CliRunner().invoke(cli, ["event", str(path), "--simulate", "10", "--seed", "-5"])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--seed'" in res.stderr and str(path) not in res.stderr


@pytest.mark.parametrize(
    "members, message",
    [
        ("[]", "needs at least 2 courses of the event, got 0"),
        ('["c.toml"]', "needs at least 2 courses of the event, got 1"),
        ('["c.toml", "c.toml"]', "'c.toml' is listed twice (as 'c.toml')"),
        ('["c.toml", "./c.toml"]', "'./c.toml' is listed twice (as 'c.toml')"),
    ],
)
def test_combined_ranking_needs_two_distinct_courses(course_dir, members, message):
    """Review 16/4: ``[[combined]]`` took no course (an empty stage table), one (a one-stage
    "combined" ranking) or the same course twice (two stages of one race); courses are
    compared by the file they name, so "./c.toml" is "c.toml"."""
    (course_dir / "c.toml").write_text(COURSE, encoding="utf-8")
    (course_dir / "d.toml").write_text(COURSE.replace("Hand 12", "Hand 13"), encoding="utf-8")
    ev = course_dir / "event.toml"
    ev.write_text(
        f'name = "E"\ncourses = ["c.toml", "d.toml"]\n[[combined]]\nname = "Ch"\ncourses = '
        f"{members}\n",
        encoding="utf-8",
    )
    line = _one_line(CliRunner().invoke(cli, ["event", str(ev)]))
    assert line.startswith(f"Error: {ev}: combined[0] key 'courses': {message}"), line


def test_combined_ranking_names_a_course_by_any_path_to_it(course_dir):
    """Review 16/4: "./d.toml" for a listed "d.toml" was refused as "not one of the event's
    courses"."""
    from coursekit.course import load_event

    (course_dir / "c.toml").write_text(COURSE, encoding="utf-8")
    (course_dir / "d.toml").write_text(COURSE.replace("Hand 12", "Hand 13"), encoding="utf-8")
    ev = course_dir / "event.toml"
    ev.write_text(
        'name = "E"\ncourses = ["c.toml", "d.toml"]\n[[combined]]\nname = "Ch"\n'
        'courses = ["c.toml", "./d.toml"]\n',
        encoding="utf-8",
    )
    (comb,) = load_event(ev).combined
    assert comb["courses"] == [course_dir / "c.toml", course_dir / "d.toml"]
    res = CliRunner().invoke(cli, ["event", str(ev)])
    assert res.exit_code == 0, res.output


def test_cutoffs_says_a_barrier_before_the_start_may_be_the_next_day(course_dir):
    """Judge-style finding J6: a barrier written with the start's date (Templiers Endurance
    2024: "Le Cade 01:20" after a 05:00 start) is refused by `cutoffs` as "not after the
    start" without the hint `check` gives: the next day would be inside the race. Only
    when it would."""
    p = course_dir / "c.toml"
    text = COURSE.replace('limit = "4h"', 'limit = "24h"').replace('cutoff = "3h"', "")
    p.write_text(text.replace('cutoff = "2h"', "cutoff = 2024-06-01T01:20:00+01:00"))
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(p)]))
    assert "not after the start" in line and "the next day would be inside the race" in line
    p.write_text(text.replace('cutoff = "2h"', "cutoff = 2024-05-30T07:00:00+01:00"))
    line = _one_line(CliRunner().invoke(cli, ["cutoffs", str(p)]))  # next day: still before
    assert "not after the start" in line and "next day" not in line, line


@pytest.mark.parametrize(
    "gpx, fix",
    [
        ("C:\\\\Users\\\\director\\\\hand.gpx", "'hand.gpx' is there"),
        ("tracks\\\\hand.gpx", "'tracks/hand.gpx' is there"),
        ("tracks\\\\nope.gpx", "(e.g. 'tracks/nope.gpx')"),
    ],
)
def test_a_windows_path_says_how_to_write_it(course_dir, gpx, fix):
    """W4: a director copying the track's path from Windows Explorer got "not found" and no
    hint: the line now says backslashes do not separate folders and what to write."""
    (course_dir / "tracks").mkdir()
    (course_dir / "tracks" / "hand.gpx").write_bytes((course_dir / "hand.gpx").read_bytes())
    p = _write(course_dir, 'gpx = "hand.gpx"', f'gpx = "{gpx}"')
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    assert line.startswith(f"Error: {p}: key 'gpx': "), line
    assert "a Windows path? backslashes do not separate folders here; write it relative to " in line
    assert line.endswith(f"c.toml with '/': {fix}" if "is there" in fix else f"'/' {fix}"), line


def test_a_path_without_backslash_gets_no_windows_hint(course_dir):
    p = _write(course_dir, 'gpx = "hand.gpx"', 'gpx = "tracks/nope.gpx"')
    line = _one_line(CliRunner().invoke(cli, ["legs", str(p)]))
    assert line.endswith("not found (looked for " + str(course_dir / "tracks" / "nope.gpx") + ")")


@pytest.mark.parametrize(
    ("block", "key", "fragment"),
    [
        (
            'start = true\n[[checkpoints]]\nname = "Arch"\nkm = 12\n',
            "start",
            "start = true is for the checkpoint listed first; this one is listed 4 of 5",
        ),
        (
            'finish = true\n[[checkpoints]]\nname = "Arch"\nkm = 12\n',
            "finish",
            "finish = true is for the checkpoint listed last; this one is listed 4 of 5",
        ),
        ("start = true\nfinish = true\n", "finish", "start = true and finish = true on one"),
        ('finish = "yes"\n', "finish", "expected true or false"),
        (
            "start = 2024-06-01T06:00:00+01:00\n",
            "start",
            "the race's start date-time goes at the top of the file",
        ),
    ],
)
def test_start_and_finish_keys_are_checked(course_dir, block, key, fragment):
    """h103: the checkpoint keys ``start`` / ``finish`` are booleans, only on the checkpoint
    listed first / last, not both on one; each refusal is one line naming the file, the
    table and the key."""
    path = _with_last(course_dir, f'[[checkpoints]]\nname = "Lodge"\nkm = 11\n{block}')
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert res.exit_code != 0
    (line,) = res.output.strip().splitlines()
    assert line.startswith(f"Error: {path}: checkpoints[3] ('Lodge') key '{key}': "), line
    assert fragment in line, line
