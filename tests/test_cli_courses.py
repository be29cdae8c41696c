"""CLI: legs, check, export, sketch (exact output fragments and exit codes)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import tomllib
from datetime import datetime
from pathlib import Path

import gpxpy
import pytest
from click.testing import CliRunner

from coursekit.cli import cli
from coursekit.gpx import read_gpx

COURSES = Path(__file__).parent / "data" / "courses"
MINI = str(COURSES / "mini.toml")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_legs_json_contract():
    r = run("legs", MINI, "--format", "json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.output)
    assert obj["course"] == "Mini loop" and obj["schematic"] is True
    cps = obj["checkpoints"]
    assert [c["name"] for c in cps] == ["Village", "Col", "Hamlet", "Village"]
    for key in (
        "name",
        "distance_m",
        "elevation_m",
        "gain_m",
        "loss_m",
        "leg_distance_m",
        "leg_gain_m",
        "leg_loss_m",
        "services",
    ):
        assert key in cps[0]
    assert cps[0]["distance_m"] == 0 and cps[1]["drop_bag"] is True
    assert (
        sum(c["leg_distance_m"] for c in cps) == round(obj["distance_m"], 0)
        or abs(sum(c["leg_distance_m"] for c in cps) - obj["distance_m"]) < 0.5
    )


def test_legs_text_has_banner_and_rows():
    r = run("legs", MINI)
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].startswith("SCHEMATIC COURSE")
    assert any(line.startswith("Village  Col") and line.rstrip().endswith("yes") for line in lines)


def test_legs_csv_says_schematic_in_a_column():
    # L1 (contract review): the CSV starts with its header, which csv.DictReader reads; a
    # sketched course says so on every row (the "# SCHEMATIC COURSE" line above the header
    # was read as the header)
    r = run("legs", MINI, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("name,distance_m,")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [row["name"] for row in rows] == ["Village", "Col", "Hamlet", "Village"]
    assert {row["schematic"] for row in rows} == {"True"}  # as drop_bag and implicit
    assert rows[1]["services"] == "water food drop_bag"


@pytest.mark.parametrize(
    "course, proposed",
    [(MINI, False), (Path(__file__).parents[1] / "courses" / "amizmiz" / "amizmiz-10.toml", True)],
)
def test_cutoffs_csv_carries_the_json_top_level_flags(course, proposed):
    """The cutoffs CSV (no header block) says on every row what the JSON says at its top:
    a sketched course (barriers on an approximate profile), a proposed limit."""
    r = run("cutoffs", course, "--format", "csv")
    assert r.exit_code == 0, r.output
    obj = json.loads(run("cutoffs", course, "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["name"] for row in rows] == [c["name"] for c in obj["checkpoints"]]
    assert obj["schematic"] is True and obj["limit_proposed"] is proposed
    assert {row["schematic"] for row in rows} == {str(obj["schematic"])}
    assert {row["limit_proposed"] for row in rows} == {str(obj["limit_proposed"])}


@pytest.mark.parametrize(
    "args",
    [
        ("legs", MINI),
        ("cutoffs", MINI),
        ("event", MINI),
        ("profile", str(COURSES / "mini.gpx")),
    ],
    ids=["legs", "cutoffs", "event", "profile"],
)
def test_csv_outputs_have_no_comment_line(args):
    # every CSV output of a sketched course: no comment line, the first line is the header
    r = CliRunner().invoke(cli, [*args, "--format", "csv"])
    assert r.exit_code == 0, r.output
    head = r.stdout.splitlines()[0]
    assert not head.startswith("#") and "," in head and " " not in head, head


def test_check_warnings_and_exit(tmp_path):
    r = run("check", MINI, "--format", "json")
    obj = json.loads(r.output)
    codes = {f["code"] for f in obj["findings"]}
    assert {"schematic", "declared-conflict", "declared-distance"} <= codes
    assert r.exit_code == (1 if obj["errors"] else 0)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (COURSES / "mini.toml")
        .read_text()
        .replace('"mini.gpx"', '"{}"'.format((COURSES / "mini.gpx").as_posix()))
        .replace('cutoff = "1h15"', 'cutoff = "-"')
        .replace("cutoff = 2024-06-01T08:30:00+01:00", "cutoff = 2024-06-01T05:30:00+01:00")
    )
    r = run("check", bad)
    assert r.exit_code == 1
    assert "Error" in r.output and "cutoff" in r.output
    ok = tmp_path / "early.toml"
    ok.write_text(
        (COURSES / "mini.toml")
        .read_text()
        .replace('"mini.gpx"', '"{}"'.format((COURSES / "mini.gpx").as_posix()))
        .replace("cutoff = 2024-06-01T08:30:00+01:00", "cutoff = 2024-06-01T05:30:00+01:00")
    )
    r = run("check", ok)
    assert r.exit_code == 1
    assert "error: [cutoff-before-start]" in r.output
    assert "error: [cutoff-order]" in r.output


def test_export_roundtrip(tmp_path):
    out = tmp_path / "out.gpx"
    r = run("export", MINI, "-o", out, "--simplify", "5")
    assert r.exit_code == 0, r.output
    g = gpxpy.parse(out.read_text())
    assert "tolerance 5 m" in g.description and "schematic" in g.description
    assert [w.name for w in g.waypoints] == ["Village", "Col", "Hamlet", "Village"]
    assert all(w.type == "checkpoint" for w in g.waypoints)
    assert "cutoff" in g.waypoints[1].description and "drop_bag" in g.waypoints[1].description
    # every barrier as `coursekit cutoffs` gives it: the fixed ones marked, the finish the limit
    plan = json.loads(run("cutoffs", MINI, "--format", "json").output)["checkpoints"]
    descs = [w.description for w in g.waypoints]
    assert "cutoff" not in descs[0]  # the start
    for d, row in zip(descs[1:], plan[1:], strict=True):
        clock = datetime.fromisoformat(row["cutoff"]).strftime("%a %H:%M")
        h, m = divmod(round(row["cutoff_elapsed_s"] / 60), 60)
        # Africa/Casablanca's abbreviation is numeric ("+01"): its UTC offset is written
        assert f"cutoff {clock} UTC+01:00 ({h}:{m:02d})" in d, (d, row)
    # the elapsed time written as `cutoffs` writes it ("1:15", not "1h15")
    text = run("cutoffs", MINI).output
    assert "Sat 07:15 (1:15)*" in text and "Sat 09:00 (3:00)" in text
    assert "cutoff Sat 07:15 UTC+01:00 (1:15) fixed" in descs[1] and "fixed" in descs[2]
    assert "cutoff Sat 09:00 UTC+01:00 (3:00);" in descs[3] and "fixed" not in descs[3]
    tr = read_gpx(out)
    assert len(tr) == len(g.tracks[0].segments[0].points) < len(read_gpx(COURSES / "mini.gpx"))
    assert tr.waypoints[1].description.startswith("km 2.")


@pytest.mark.parametrize(
    ("start", "zone"),
    [("2024-06-01T06:00:00+02:00", "CEST"), ("2024-01-13T06:00:00+01:00", "CET")],
)
def test_export_barrier_clock_names_its_zone(tmp_path, start, zone):
    """A waypoint's barrier read "cutoff Sat 07:15 (1:15)" with no zone: a runner whose
    watch is on another clock could not tell which. Each clock time carries the abbreviation
    of the course's time zone at that date (summer or winter), as the roadbook writes one."""
    from zoneinfo import ZoneInfo

    text = (COURSES / "mini.toml").read_text(encoding="utf-8")
    text = text.replace('"mini.gpx"', '"{}"'.format((COURSES / "mini.gpx").as_posix()))
    text = text.replace("2024-06-01T06:00:00+01:00", start).replace(
        "2024-06-01T08:30:00+01:00", start[:11] + "08:30:00" + start[19:]
    )
    text = text.replace('"Africa/Casablanca"', '"Europe/Paris"')
    course = tmp_path / "paris.toml"
    course.write_text(text, encoding="utf-8")
    out = tmp_path / "out.gpx"
    r = run("export", course, "-o", out)
    assert r.exit_code == 0, r.output
    descs = [w.description for w in gpxpy.parse(out.read_text()).waypoints]
    plan = json.loads(run("cutoffs", course, "--format", "json").output)["checkpoints"]
    assert "cutoff" not in descs[0]
    for d, row in zip(descs[1:], plan[1:], strict=True):
        t = datetime.fromisoformat(row["cutoff"]).astimezone(ZoneInfo("Europe/Paris"))
        assert t.tzname() == zone
        h, m = divmod(round(row["cutoff_elapsed_s"] / 60), 60)
        assert f"cutoff {t:%a %H:%M} {zone} ({h}:{m:02d})" in d, (d, row)


def test_sketch_command(tmp_path):
    out = tmp_path / "s.gpx"
    r = run("sketch", COURSES / "mini-places.toml", "-o", out)
    assert r.exit_code == 0, r.output
    assert "schematic, 4 places" in r.output
    r = run("sketch", MINI, "-o", out)
    assert r.exit_code == 1
    assert "must not look like a course file" in r.output


def test_map_of_a_folder_of_events_names_every_event(tmp_path):
    """`coursekit map courses/` draws every event's races: its title names them all."""
    root = Path(__file__).resolve().parent.parent / "courses"
    names = [tomllib.loads(p.read_text())["name"] for p in sorted(root.glob("*/event.toml"))]
    out = tmp_path / "m.html"
    result = CliRunner().invoke(cli, ["map", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    title = re.search(r"<title>(.*?)</title>", out.read_text()).group(1)
    assert len(names) >= 2 and all(html.escape(n) in title for n in names)


def test_check_accepts_one_barrier_for_an_entry_exit_pair(tmp_path):
    """'Col' and 'Col out' at one place without a stop between them share their barrier:
    `check` warned "barrier at 'Col out' is not after the one at 'Col'"; a pair with a later
    exit barrier before its entry's is still reported."""
    pair = tmp_path / "pair.toml"
    text = (
        (COURSES / "mini.toml")
        .read_text()
        .replace('"mini.gpx"', '"{}"'.format((COURSES / "mini.gpx").as_posix()))
    )
    exit_row = '\n[[checkpoints]]\nname = "Col out"\nwaypoint = "col"\n'
    text = text.replace('cutoff = "1h15"\n', 'cutoff = "1h15"\n' + exit_row)
    pair.write_text(text)
    r = run("check", pair, "--format", "json")
    findings = json.loads(r.output)["findings"]
    assert "Col out" in run("cutoffs", pair).output  # the pair is in the plan
    assert not [f for f in findings if f["code"] == "cutoffs" and "Col out" in f["message"]]
    # two checkpoints 2.8 km apart with one barrier are still an error
    late = tmp_path / "late.toml"
    late.write_text(text.replace("cutoff = 2024-06-01T08:30:00+01:00", 'cutoff = "1h15"'))
    r = run("check", late, "--format", "json")
    assert r.exit_code == 1
    errors = [f["message"] for f in json.loads(r.output)["findings"] if f["level"] == "error"]
    assert any("'Col' at 1.25 h is not before 'Hamlet' at 1.25 h" in m for m in errors), errors


def test_legs_gains_add_up_to_the_cumulative_gains():
    """UTMB / Eiger: the cumulative gain_m/loss_m of a row differed from the sum of the
    leg_* values by 1-2 m, each rounded on its own (HAUT 80: 13 rows off). The legs are now
    the differences of the rounded cumulatives, in `legs` and `cutoffs` alike: they add up,
    the finish row is the total, and every value stays within 1 m of the unrounded one."""
    import numpy as np

    from coursekit.checkpoints import course_legs
    from coursekit.course import load_course

    path = Path(__file__).resolve().parents[1] / "courses" / "haut" / "haut-80.toml"
    lg = course_legs(load_course(path))
    for cmd in ("legs", "cutoffs"):
        r = CliRunner().invoke(cli, [cmd, str(path), "--format", "json"])
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        rows = out["checkpoints"]
        for k, cum in (("gain", lg.gain), ("loss", lg.loss)):
            legs = [row[f"leg_{k}_m"] for row in rows]
            assert legs[0] == 0
            assert [row[f"{k}_m"] for row in rows] == [round(x) for x in cum]
            assert list(np.cumsum(legs)) == [row[f"{k}_m"] for row in rows], (cmd, k)
            assert np.all(np.abs(np.array(legs[1:]) - np.diff(cum)) <= 1.0)
        if cmd == "legs":
            assert rows[-1]["gain_m"] == out["gain_m"] and rows[-1]["loss_m"] == out["loss_m"]
    # the roadbook's and the map's rows have the same legs
    from coursekit.maps import checkpoint_rows

    shown = checkpoint_rows(load_course(path), lg)
    assert [r["leg_gain_m"] for r in shown] == [row["leg_gain_m"] for row in rows]
    assert [r["leg_loss_m"] for r in shown] == [row["leg_loss_m"] for row in rows]
    # the cutoffs table prints the legs of the JSON
    text = CliRunner().invoke(cli, ["cutoffs", str(path)]).output
    line = next(x for x in text.splitlines() if x.startswith(rows[-1]["name"] + " "))
    assert f" {rows[-1]['leg_gain_m']} " in line and f" {rows[-1]['leg_loss_m']} " in line


def test_legs_text_rounds_the_altitude_once(tmp_path):
    """Review h78 R8: the text table rounded the JSON's altitude (1397.46 m -> 1397.5 ->
    1398) where `cutoffs` and the roadbook round it once (1397)."""
    # ~2.2 km north, flat at 1397.46 m (written by hand: write_gpx keeps 0.1 m)
    pts = "".join(
        f'<trkpt lat="{45.0 + k * 1e-4:.4f}" lon="6.0"><ele>1397.46</ele></trkpt>'
        for k in range(200)
    )
    (tmp_path / "f.gpx").write_text(
        '<?xml version="1.0"?>\n<gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>\n',
        encoding="utf-8",
    )
    (tmp_path / "c.toml").write_text(
        'name = "Flat"\ngpx = "f.gpx"\nstart = 2024-06-01T08:00:00+02:00\nlimit = "1h"\n'
        'timezone = "Europe/Paris"\n\n[[checkpoints]]\nname = "Mid"\nkm = 1.0\n',
        encoding="utf-8",
    )
    r = run("legs", tmp_path / "c.toml")
    assert r.exit_code == 0, r.output
    mid = next(line.split() for line in r.output.splitlines() if line.startswith("Start "))
    assert mid[1] == "Mid" and mid[8] == "1397", mid
    cut = next(
        line.split()
        for line in run("cutoffs", tmp_path / "c.toml").output.splitlines()
        if line.startswith("Mid ")
    )
    assert cut[2] == "1397", cut


def test_export_marks_an_estimated_altitude_as_the_sketch_does(tmp_path):
    """W6: a checkpoint on a sketch place whose altitude is an estimate (alt_estimated) was
    exported as "alt 1170 m", as if published; `cutoffs` warns of it, and the runners'
    waypoint now says "alt ~1170 m (estimated)" as the sketch's own waypoint does."""
    (tmp_path / "p.toml").write_text(
        'name = "x"\n'
        '[[places]]\nname = "A"\nlat = 31.10\nlon = -7.90\nalt_m = 1700\n'
        '[[places]]\nname = "B"\nlat = 31.14\nlon = -7.90\nalt_m = 1170\nalt_estimated = true\n'
        '[[places]]\nname = "C"\nlat = 31.18\nlon = -7.90\nalt_m = 1500\n'
    )
    assert run("sketch", tmp_path / "p.toml", "-o", tmp_path / "s.gpx").exit_code == 0
    (tmp_path / "c.toml").write_text(
        'name = "c"\ngpx = "s.gpx"\nstart = 2026-09-26T05:00:00+01:00\nlimit = "6h"\n'
        '[[checkpoints]]\nname = "B"\nwaypoint = "B"\n'
        '[[checkpoints]]\nname = "C"\nwaypoint = "C"\n'
    )
    out = tmp_path / "out.gpx"
    r = run("export", tmp_path / "c.toml", "-o", out)
    assert r.exit_code == 0, r.output
    desc = {w.name: w.description for w in gpxpy.parse(out.read_text()).waypoints}
    assert "; alt ~1170 m (estimated); " in desc["B"], desc
    assert "; alt 1500 m; " in desc["C"], desc


# ---------------------------------------------------------------- h102: one course, every command

_LINE_M = 48_000.0


def _line_course(tmp_path, body: str, *, header: str = "") -> Path:
    """A straight 48 km track due east at 45 N (a point every 50 m, flat at 1000 m) and a
    course file on it: ``header`` goes before the tables, ``body`` after."""
    import numpy as np

    from coursekit.geodesy import distance
    from coursekit.gpx import write_gpx

    n = int(_LINE_M / 50) + 1
    lon = 6.0 + np.linspace(0.0, _LINE_M, n) / distance(45.0, 6.0, 45.0, 7.0)  # 1 deg [m]
    write_gpx(tmp_path / "line.gpx", np.full(n, 45.0), lon, np.full(n, 1000.0), name="line")
    path = tmp_path / "c.toml"
    path.write_text(
        'name = "Line"\ngpx = "line.gpx"\nstart = 2024-06-01T06:00:00+02:00\nlimit = "12h"\n'
        'timezone = "Europe/Paris"\n' + header + body
    )
    return path


# a station 300 m north of the track's km 24: beyond the default 250 m, within 400 m
_OFF_TRACK = '[[checkpoints]]\nname = "Village"\nlat = 45.0027\nlon = 6.3044\n'
_LOCATING = (
    ["legs"],
    ["check"],
    ["cutoffs"],
    ["export", "-o", "{tmp}/out.gpx"],
)


@pytest.mark.parametrize("cmd", _LOCATING, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("header", "option", "placed"),
    [
        ("", [], False),  # the default 250 m
        ("", ["--tolerance", "400"], True),
        ("tolerance = 400\n", [], True),  # the course file's key
        ("tolerance = 400\n", ["--tolerance", "100"], False),  # the option replaces it
        ("tolerance = 100\n", ["--tolerance", "400"], True),
    ],
)
def test_tolerance_means_the_same_in_every_command_that_locates_checkpoints(
    tmp_path, cmd, header, option, placed
):
    """J6: `cutoffs` had no --tolerance, and `check` planned with the course file's
    tolerance whatever --tolerance said (a checkpoint --tolerance placed became a [plan]
    error): every command locating one course's checkpoints takes the option, and it
    replaces the file's key in all of them."""
    course = _line_course(tmp_path, _OFF_TRACK, header=header)
    args = [a.format(tmp=tmp_path) for a in cmd[1:]]
    r = run(cmd[0], course, *args, *option)
    if placed:
        assert r.exit_code == 0, r.output
        assert "Error" not in r.output and "[plan]" not in r.output, r.output
    else:
        assert r.exit_code == 1, r.output
        assert "'Village'" in r.output and "tolerance" in r.output, r.output


def test_tolerance_option_has_one_help_text():
    """J6: one option, one help text, in each command that locates one course's
    checkpoints; the commands reading several courses say why they have none."""
    helps = {}
    for name in ("legs", "check", "cutoffs", "export", "backtest", "calibrate"):
        opt = next(o for o in cli.commands[name].params if o.name == "tolerance_m")
        helps[name] = (tuple(opt.opts), opt.help)
    assert len(set(helps.values())) == 1, helps
    for name in ("map", "roadbook", "event"):
        assert "tolerance" in cli.commands[name].help, name


def test_export_of_a_scaled_course_names_both_distances(tmp_path):
    """W7: with scale_to_declared, a waypoint is written at its place on the written
    (unscaled) track, and says both its published km and its km along that track: a watch
    measures the track, 48 km long, where the tables print 55."""
    import numpy as np

    course = _line_course(
        tmp_path,
        '[[declared]]\nsource = "regs"\ndistance_km = 55\n'
        '[[checkpoints]]\nname = "Mid"\nkm = 27.5\n',
        header="scale_to_declared = true\n",
    )
    out = tmp_path / "out.gpx"
    r = run("export", course, "-o", out)
    assert r.exit_code == 0, r.output
    g = gpxpy.parse(out.read_text())
    track = read_gpx(out)
    along = np.interp(
        [w.longitude for w in g.waypoints], track.lon, np.linspace(0.0, _LINE_M, len(track))
    )
    # at their true places on the written track (27.5 / 55 of its 48 km)
    assert np.allclose(along, [0.0, 24_000.0, _LINE_M], atol=1.0), along
    desc = {w.name: w.description for w in g.waypoints}
    assert desc["Mid"].startswith("km 27.5 (24.0 along this track); "), desc
    assert desc["Finish"].startswith("km 55.0 (48.0 along this track); "), desc
    assert desc["Start"].startswith("km 0.0; "), desc
    assert "km scaled to 'regs' (55.0 km); the track measures 48.0 km" in g.description


def test_export_simplified_and_scaled_gives_km_along_the_written_track(tmp_path):
    """h105: with --simplify on a scaled course the description said "the track measures
    38.7 km" and each waypoint "(15.9 along this track)", the unsimplified track's figures,
    where the GPX written measured 32.5 km (MTR 2024 cut to 37 km, --simplify 200). A zigzag
    2.2 times longer than its straight line, simplified to the line: the figures are the
    written track's."""
    import re

    import numpy as np

    from coursekit.geodesy import cumulative_distance, distance
    from coursekit.gpx import write_gpx

    # 10 km east at 45 N, zigzagging 100 m north and back every 200 m east
    east = np.arange(0.0, 10_000.1, 100.0)
    north = np.where(np.arange(east.size) % 2 == 1, 100.0, 0.0)
    lon = 6.0 + east / distance(45.0, 6.0, 45.0, 7.0)
    lat = 45.0 + north / distance(45.0, 6.0, 46.0, 6.0)
    write_gpx(tmp_path / "zz.gpx", lat, lon, np.full(lat.size, 1000.0), name="zz")
    course = tmp_path / "c.toml"
    course.write_text(
        'name = "ZZ"\ngpx = "zz.gpx"\nstart = 2024-06-01T06:00:00+02:00\nlimit = "8h"\n'
        'scale_to_declared = true\n[[declared]]\nsource = "regs"\ndistance_km = 30\n'
        '[[checkpoints]]\nname = "Mid"\nkm = 15\n'
    )
    out = tmp_path / "out.gpx"
    r = run("export", course, "-o", out, "--simplify", "150")
    assert r.exit_code == 0, r.output
    g = gpxpy.parse(out.read_text())
    written = read_gpx(out)
    cum = cumulative_distance(written.lat, written.lon)
    assert cum[-1] < 11_000.0, cum[-1]  # the zigzag is gone
    said = re.search(r"the track measures ([0-9.]+) km", g.description)
    assert said and abs(float(said.group(1)) * 1000 - cum[-1]) < 50.0, (g.description, cum[-1])
    mid = next(w for w in g.waypoints if w.name == "Mid")
    at = re.match(r"km 15\.0 \(([0-9.]+) along this track\)", mid.description)
    expect = float(np.interp(mid.longitude, written.lon, cum))
    assert at and abs(float(at.group(1)) * 1000 - expect) < 50.0, (mid.description, expect)


@pytest.mark.parametrize(("cutoff", "rel"), [("13h", "after"), ("12h", "at")])
def test_a_fixed_cutoff_past_the_limit_is_one_message(tmp_path, cutoff, rel):
    """W9: `check` said "... cutoff 2024-06-01T19:00:00+02:00 is after start + limit (...)"
    where `cutoffs` said "... key 'cutoff': the fixed cutoff (13.00 h) is after the limit
    (12.00 h)", and a cutoff at the limit came out of `check` as a [plan] error: one
    function words it for both."""
    course = _line_course(
        tmp_path, f'[[checkpoints]]\nname = "Mid"\nkm = 24\ncutoff = "{cutoff}"\n'
    )
    c = run("cutoffs", course)
    k = run("check", course, "--format", "json")
    assert c.exit_code == 1 and k.exit_code == 1
    msg = c.output.strip().removeprefix(f"Error: {course}: ")
    clock = f"Sat 2024-06-01 {int(cutoff[:2]) + 6}:00 ({cutoff[:2]}:00)"
    assert f"the fixed cutoff {clock} is {rel}" in msg, msg
    found = [f for f in json.loads(k.output)["findings"] if f["level"] == "error"]
    assert [(f["code"], f["message"]) for f in found] == [("cutoff-after-limit", msg)]


def test_iso_times_and_elapsed_seconds_round_a_half_second_alike():
    """_iso: the ISO time rounded its half second up where the ``*_elapsed_s`` beside it
    (Python's round) went to even: 10.5 s after the start was ...:11 beside 10."""
    import datetime as dt

    from coursekit.cli import _elapsed_s, _iso
    from coursekit.clock import after

    start = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    for s in (0.5, 1.5, 10.5, 3600.5, 7201.5, 0.49, 0.51):
        iso = _iso(after(start, s))
        back = dt.datetime.fromisoformat(iso)
        assert (back - start).total_seconds() == _elapsed_s(s), (s, iso, _elapsed_s(s))


def test_iso_times_in_the_hour_the_clocks_go_back_keep_their_offset():
    """_iso added its rounding second to the zoned time, and an aware ``+ timedelta`` drops
    ``fold``: in the hour the clocks go back every second occurrence was written with the
    first one's offset, an hour early (`cutoffs --format json` on a New York race starting
    at 01:30 EDT on 3 Nov 2024: a cutoff 1:15 after it, 01:45 EST, was written
    "01:45:00-04:00" beside cutoff_elapsed_s 4500)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from coursekit.cli import _elapsed_s, _iso
    from coursekit.clock import after

    start = dt.datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    for s in (1800.0, 2700.4, 3600.5, 4500.0, 5399.6):
        iso = _iso(after(start, s))
        back = dt.datetime.fromisoformat(iso)
        assert (back - start).total_seconds() == _elapsed_s(s), (s, iso, _elapsed_s(s))
    assert _iso(after(start, 4500)) == "2024-11-03T01:45:00-05:00"


def test_check_writes_limits_as_cutoffs_does(tmp_path):
    """A limit differing from a declared one by 30 s was "limit 12h00 differs from 12h00"
    (minutes only, and not as `cutoffs` writes a limit: "limit 12:00:30"); `check` now
    writes limits with clock.limit_hm, as `cutoffs` does."""
    course = _line_course(
        tmp_path,
        '[[declared]]\nsource = "regs"\nlimit = "12:00:30"\n'
        '[[declared]]\nsource = "web"\nlimit = "13h"\n',
    )
    msgs = [
        f["message"]
        for f in json.loads(run("check", course, "--format", "json").output)["findings"]
    ]
    assert any(m.startswith("limit 12:00 differs from 12:00:30 ") for m in msgs), msgs
    assert any(
        m.startswith("declared limits contradict: 12:00:30 ('regs') vs 13:00 ('web')") for m in msgs
    ), msgs
    head = run("cutoffs", course).output.splitlines()[0]
    assert "  limit 12:00  " in head, head


def test_check_declared_figures_contradicting_read_as_a_sentence(tmp_path):
    """Two sources' distances (D+, D-) that disagree read "declared distances contradict",
    not "declared distance contradict", as the limits' "declared limits contradict"."""
    course = _line_course(
        tmp_path,
        '[[declared]]\nsource = "regs"\ndistance_km = 21\ngain_m = 900\nloss_m = 900\n'
        '[[declared]]\nsource = "web"\ndistance_km = 25\ngain_m = 1200\nloss_m = 1200\n',
    )
    msgs = [
        f["message"]
        for f in json.loads(run("check", course, "--format", "json").output)["findings"]
        if f["code"] == "declared-conflict"
    ]
    assert "declared distances contradict: 21 km ('regs') vs 25 km ('web')" in msgs, msgs
    assert "declared D+ figures contradict: 900 m ('regs') vs 1200 m ('web')" in msgs, msgs
    assert "declared D- figures contradict: 900 m ('regs') vs 1200 m ('web')" in msgs, msgs


@pytest.mark.parametrize("cutoff", ['"11h"', "2024-06-01T18:00:30+02:00"])
def test_check_and_cutoffs_refuse_a_finish_cutoff_off_the_limit_alike(tmp_path, cutoff):
    """A finish cutoff 30 s off the limit passed `check` (it warned beyond 60 s only) while
    `cutoffs` refused it; 1 h off, `check` gave a warning and the plan's refusal again as a
    ``[plan]`` error in other words. Now one error, in the words `cutoffs` refuses with."""
    course = _line_course(
        tmp_path,
        '[[checkpoints]]\nname = "Mid"\nkm = 20\n'
        f'[[checkpoints]]\nname = "Finish"\nkm = 48\ncutoff = {cutoff}\n',
    )
    res = run("cutoffs", course)
    assert res.exit_code == 1
    line = res.output.strip().splitlines()[-1]
    assert line.startswith(f"Error: {course}: checkpoints[1] ('Finish') key 'cutoff': "), line
    said = line.split(f"{course}: ", 1)[1]
    assert "is not the limit, Sat 2024-06-01 18:00 (12:00)" in said
    found = json.loads(run("check", course, "--format", "json").output)["findings"]
    errors = [(f["code"], f["message"]) for f in found if f["level"] == "error"]
    assert errors == [("cutoff-finish", said)], errors


@pytest.mark.parametrize(
    ("row", "cutoff", "said"),
    [
        # a finish cutoff 30 s before the limit read "17:59 (12:00) is not the limit,
        # 18:00 (12:00)": the clock's seconds dropped, the elapsed time rounded
        (
            '[[checkpoints]]\nname = "Finish"\nkm = 48\n',
            "2024-06-01T17:59:30+02:00",
            "the finish's cutoff Sat 2024-06-01 17:59:30 (11:59:30) is not the limit, "
            "Sat 2024-06-01 18:00 (12:00)",
        ),
        # a cutoff 20 s after the limit read "18:00 (12:00) is after the limit, 18:00 (12:00)"
        (
            '[[checkpoints]]\nname = "Mid"\nkm = 24\n',
            "2024-06-01T18:00:20+02:00",
            "the fixed cutoff Sat 2024-06-01 18:00:20 (12:00:20) is after the limit, "
            "Sat 2024-06-01 18:00 (12:00)",
        ),
    ],
    ids=["finish", "after-limit"],
)
def test_a_cutoff_seconds_off_the_limit_is_written_with_its_seconds(tmp_path, row, cutoff, said):
    """W9: a fixed cutoff is a stated figure, written as the limit is (clock.limit_hm):
    with its seconds when it has some, never the limit's own time twice."""
    course = _line_course(tmp_path, row + f"cutoff = {cutoff}\n")
    c = run("cutoffs", course)
    k = run("check", course, "--format", "json")
    assert c.exit_code == 1 and k.exit_code == 1, (c.output, k.output)
    assert said in c.output, c.output
    found = [f["message"] for f in json.loads(k.output)["findings"] if f["level"] == "error"]
    assert any(said in m for m in found), found


@pytest.mark.parametrize("cmd", _LOCATING, ids=lambda c: c[0])
def test_tolerance_option_is_capped_as_the_course_files_key_is(tmp_path, cmd):
    """J6: the course file's 'tolerance' stops at MAX_TOLERANCE_M (farther, a checkpoint
    is not on the course), but --tolerance 50000 placed a station 20 km off the track at
    km 24 in every command: the option that replaces the key has the key's range."""
    from coursekit.course import MAX_TOLERANCE_M

    course = _line_course(tmp_path, '[[checkpoints]]\nname = "Far"\nlat = 45.18\nlon = 6.3044\n')
    args = [a.format(tmp=tmp_path) for a in cmd[1:]]
    r = run(cmd[0], course, *args, "--tolerance", "50000")
    assert r.exit_code == 2, r.output
    assert "--tolerance" in r.output and f"{MAX_TOLERANCE_M:g}" in r.output, r.output
    r = run(cmd[0], course, *args, "--tolerance", f"{MAX_TOLERANCE_M:g}")
    assert r.exit_code == 1 and "'Far' is 20004 m from the track" in r.output, r.output


def test_load_course_refuses_a_tolerance_the_course_file_may_not_set(tmp_path):
    """load_course(tolerance_m=...) replaces the file's key: it has the key's range."""
    from coursekit.course import MAX_TOLERANCE_M, load_course

    course = _line_course(tmp_path, "")
    with pytest.raises(ValueError, match="5000"):
        load_course(course, tolerance_m=MAX_TOLERANCE_M + 1)
    assert load_course(course, tolerance_m=MAX_TOLERANCE_M).tolerance_m == MAX_TOLERANCE_M
