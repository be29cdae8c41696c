"""The command-line surface: every command has help with an example and is in the README."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursekit import __version__
from coursekit.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"coursekit, version {__version__}\n"


def test_group_help_lists_every_command():
    result = CliRunner().invoke(cli, ["-h"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name}" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"coursekit {name}" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_readme(name):
    assert f"coursekit {name}" in README


HEAVY = ("numpy", "folium", "matplotlib", "scipy", "shapely", "pyproj")


def _imported(script: str, modules) -> list[str]:
    """Run ``script`` in a fresh interpreter; which of ``modules`` it imported."""
    code = (
        script + f"import sys\nprint(','.join(m for m in {tuple(modules)!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_cli_import_is_light():
    """`import coursekit.cli` must not pull numpy, folium, matplotlib, scipy, shapely or pyproj
    (start-up time; `coursekit profile` starts the GPX check before importing numpy)."""
    assert _imported("import coursekit.cli\n", HEAVY) == []


def test_profile_imports_only_what_it_needs():
    """`coursekit profile` measures a GPX: it must not pay for the course, checkpoint or
    plotting layers (what a user waits for; issue 2's whole-process speed)."""
    gpx = Path(__file__).parent / "data" / "route10.gpx"
    script = (
        "import sys, contextlib, io\n"
        "from coursekit.cli import main\n"
        f"sys.argv = ['coursekit', 'profile', {str(gpx)!r}, '--format', 'json']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
    )
    course_layers = ("coursekit.course", "coursekit.checkpoints", "coursekit.cutoffs", "tomllib")
    assert _imported(script, course_layers + HEAVY[1:]) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_arguments_are_shown_as_file_kinds(name):
    """Arguments and file options are shown as what to give (COURSE.toml, EVENT.toml|EVENT_DIR,
    TIMES.csv...), never as click's default taken from the parameter's name (COURSE_FILE)."""
    import click

    command = cli.commands[name]
    help_lines = CliRunner().invoke(cli, [name, "--help"]).output.splitlines()
    # the usage line and the option lines (not the prose, which may name an option)
    usage = "\n".join(s for s in help_lines if s.startswith("Usage:") or s.lstrip().startswith("-"))
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.metavar, f"{name}: argument {param.name!r} has no metavar"
        shown_as_name = re.compile(rf"\s{re.escape((param.name or '').upper())}(?![\w.|])")
        assert not shown_as_name.search(usage), f"{name}: {param.name!r}"


def test_unknown_command_is_one_error_line():
    result = CliRunner().invoke(cli, ["nosuchcommand"])
    assert result.exit_code == 2
    assert "No such command" in result.output


@pytest.mark.parametrize("module", ["coursekit", "coursekit.cli"])
def test_module_forms_run_the_command(tmp_path, module):
    """`python -m coursekit` and `python -m coursekit.cli` are the `coursekit` command
    (the second one was a silent no-op with exit 0: a script calling it "passed")."""
    missing = tmp_path / "missing.gpx"
    out = subprocess.run(
        [sys.executable, "-m", module, "profile", str(missing)], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stderr.strip() == f"Error: {missing}: no such file"
    out = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("Usage: coursekit ")


def _north_course(tmp_path, start: str, limit: str, km: float = 10.0):
    """A course due north from 45°N 6°E of ``km`` with a climb, checkpoints every quarter."""
    import numpy as np

    from coursekit.gpx import write_gpx

    n = 400
    la = np.linspace(45.0, 45.0 + km / 111.13, n)
    write_gpx(tmp_path / "t.gpx", la, np.full(n, 6.0), 1000 + 300 * np.sin(np.linspace(0, 6, n)))
    cps = "".join(f'[[checkpoints]]\nname = "CP{q}"\nkm = {km * q / 4:.3f}\n' for q in (1, 2, 3))
    (tmp_path / "c.toml").write_text(
        f'name = "T"\ngpx = "t.gpx"\nstart = {start}\nlimit = "{limit}"\n'
        f'timezone = "Europe/Paris"\n{cps}'
    )
    return tmp_path / "c.toml"


def test_cutoffs_text_says_the_clock_change_and_dates_long_races(tmp_path):
    """The night the clocks go back (Paris, 26 Oct 2025 03:00 -> 02:00) the header named
    one offset for every row; a race over a week printed weekdays only, so a later barrier
    could read as earlier. The D+/D- columns are the leg's (JSON's are cumulative)."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    course = _north_course(tmp_path, "2025-10-25T20:00:00+02:00", "30h", km=100)
    out = CliRunner().invoke(cli, ["cutoffs", str(course)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[1] == (
        "clock change: Sun 03:00 UTC+02:00 becomes Sun 02:00 UTC+01:00; "
        "the times after it are on UTC+01:00"
    )
    table = next(ln for ln in lines if ln.startswith("checkpoint"))
    assert "leg D+" in table and "leg D-" in table and " D+ m" not in table
    assert "Sat 20:00 (0:00)" in out.output and "Sat 25 Oct" not in out.output
    # no change in June: no such line
    june = _north_course(tmp_path, "2025-06-21T20:00:00+02:00", "30h", km=100)
    assert "clock change" not in CliRunner().invoke(cli, ["cutoffs", str(june)]).output
    # ten days (a Tor des Glaciers is ~190 h): the date beside the weekday
    long = _north_course(tmp_path, "2025-06-21T10:00:00+02:00", "240h", km=450)
    out = CliRunner().invoke(cli, ["cutoffs", str(long)])
    assert out.exit_code == 0, out.output
    fin = next(ln for ln in out.output.splitlines() if ln.startswith("Finish"))
    assert "Tue 01 Jul 10:00 (240:00)" in fin, fin


def test_every_output_dates_races_over_a_week(tmp_path):
    """`cutoffs` wrote dates for races over 6.5 days, the roadbook, its map popups, the GPX
    export and `event` still wrote weekdays only: the finish of a 240 h race read "Tue 10:00",
    also the first Tuesday."""
    import json
    import re

    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.course import load_course
    from coursekit.roadbook import race_page

    long = _north_course(tmp_path, "2025-06-21T10:00:00+02:00", "240h", km=450)
    page = race_page(load_course(long)).html
    finish = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", page) if ">Finish<" in r)
    assert "Tue 01 Jul 10:00" in finish, finish
    data = json.loads(re.search(r"races = (\[.*?\]), groups = \[", page, re.S).group(1))
    popup = dict(data[0]["cps"][-1]["rows"])
    assert popup["cutoff"] == "Tue 01 Jul 10:00", popup
    out = tmp_path / "x.gpx"
    res = CliRunner().invoke(cli, ["export", str(long), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "cutoff Tue 01 Jul 10:00 CEST (240:00)" in out.read_text(encoding="utf-8")
    (tmp_path / "ev.toml").write_text('name = "E"\ncourses = ["c.toml"]\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["event", str(tmp_path / "ev.toml")])
    assert res.exit_code == 0, res.output
    assert "Tue 01 Jul 10:00" in res.output, res.output
    # a short race keeps the weekday alone
    short = _north_course(tmp_path / "s", "2025-06-21T10:00:00+02:00", "30h", km=100)
    page = race_page(load_course(short)).html
    assert "Sun 16:00" in page and "Sun 22 Jun" not in page


def test_legs_text_names_the_gain_method_briefly(tmp_path):
    """The legs header printed the developer's method string (`box5m+gauss...`); text now
    names it as `profile` does, the JSON keeps every step."""
    import json

    from click.testing import CliRunner

    from coursekit.cli import cli

    course = _north_course(tmp_path, "2025-06-21T08:00:00+02:00", "6h")
    text = CliRunner().invoke(cli, ["legs", str(course)]).output
    head = text.splitlines()[0]
    assert "automatic (noise" in head and "gauss" not in head and "calibrated" not in head
    rec = json.loads(CliRunner().invoke(cli, ["legs", str(course), "--format", "json"]).output)
    assert "gauss" in rec["gain_method"]


def test_legs_json_says_which_total_is_on_the_slope(tmp_path):
    """Black-box finding K5: the top-level distance_m of `legs --format json` is the map
    distance while every row's distance_m is on the slope, and no slope total was given. The
    top level keeps distance_m (contract 2, as `profile`) and adds distance_3d_m, the rows'
    total (the finish row's), and map_distance_m, the rows' name for the map distance."""
    course = _north_course(tmp_path, "2025-06-21T08:00:00+02:00", "6h")
    res = CliRunner().invoke(cli, ["legs", str(course), "--format", "json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)
    finish = rec["checkpoints"][-1]
    assert rec["distance_3d_m"] == finish["distance_m"]
    assert rec["distance_3d_m"] == pytest.approx(
        sum(r["leg_distance_m"] for r in rec["checkpoints"]), abs=0.5
    )
    assert rec["map_distance_m"] == rec["distance_m"] == finish["map_distance_m"]
    assert rec["distance_3d_m"] > rec["distance_m"]  # a climb: the slope is longer
    # the text leads with the same two figures
    head = CliRunner().invoke(cli, ["legs", str(course)]).output.splitlines()[0]
    slope, flat = rec["distance_3d_m"] / 1000, rec["distance_m"] / 1000
    assert f"{slope:.2f} km on the slope (map {flat:.2f} km)" in head


# ---------------------------------------------------------------- cutoffs --params

PARAMS_BAD = [
    ('[pace]\nup = "nine"\n', ".toml", "key 'up': expected a finite number, got a string 'nine'"),
    ('{"pace": {"up": null}}', ".json", "key 'up': expected a finite number, got null"),
    ("[pace]\nup = nan\n", ".toml", "key 'up': expected a finite number, got nan"),
    ("[pace]\nup = true\n", ".toml", "key 'up': expected a finite number, got a boolean True"),
    ('[pace]\nmodel = "bogus"\n', ".toml", "key 'model': unknown pace model 'bogus'; valid"),
    ("[pace]\nfatigue = 5\n", ".toml", "key 'fatigue': 5 is out of range: expected [0, 1)"),
    ("[pace]\nfatigue = -3\n", ".toml", "key 'fatigue': -3 is out of range: expected [0, 1)"),
    ("[pace]\nup = 1e9\n", ".toml", "key 'up': 1e+09 is out of range: expected [0, 30]"),
    ("[pace]\nleader_fraction = 5\n", ".toml", "key 'leader_fraction': 5 is out of range"),
    ("[pace]\nleader_weight = 2\n", ".toml", "key 'leader_weight': 2 is out of range"),
    ("[pace]\nleader_speed = 0\n", ".toml", "key 'leader_speed': 0 is out of range: expected (0"),
    ('{"model": ["trail"]}', ".json", "key 'model': unknown pace model ['trail']; valid"),
    ('{"model": {"a": 1}}', ".json", "key 'model': unknown pace model {'a': 1}; valid"),
    ('{"up": 1' + "0" * 400 + "}", ".json", "key 'up': expected a finite number, got an integer"),
    ("[1, 2]", ".json", "expected a table of pace parameters"),
    ('{"pace": 3}', ".json", "key 'pace': expected a table of pace parameters"),
]


@pytest.mark.parametrize(
    ("text", "suffix", "fragment"), PARAMS_BAD, ids=[p[2][:40] for p in PARAMS_BAD]
)
def test_params_file_values_are_checked(tmp_path, text, suffix, fragment):
    """Black-box finding 5: a bad value of a --params file gave an internal error, raw scipy
    text or "limit too short" blaming the course file, or was taken; now one line naming
    the parameter file and the key, exit 1, with the ranges of the CLI options."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / f"p{suffix}"
    params.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--params", str(params)])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {params}: "), res.stderr
    assert fragment in lines[0], lines[0]
    assert "internal error" not in lines[0]


def test_params_file_at_calibrate_bounds_is_accepted(tmp_path):
    """Control: every key at its calibrated value (calibrate's bounds included) passes."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / "p.toml"
    params.write_text(
        '[pace]\nmodel = "trail"\nup = 9.0\ndown = 15.0\nfatigue = 0.6\nnight_base = 0.0\n'
        "night_steep = 0.5\naltitude = 0.06\nleader_fraction = 0.4623\nleader_fatigue = 0.125\n"
        "leader_speed = 3.916\nleader_weight = 1\nleader_margin = 0.15\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--params", str(params)])
    assert res.exit_code == 0, res.output
    assert "model trail(up=9, down=15, fatigue=0.6," in res.stdout


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--model", "kme"], "--model"),
        (["--fatigue", "0"], "--fatigue"),
        (["--model", "trail", "--fatigue", "0.2"], "--model and --fatigue"),
    ],
)
def test_params_with_model_or_fatigue_is_a_usage_error(tmp_path, extra, named):
    """Black-box finding 6: --params silently overrode an explicit --model/--fatigue. The
    file holds the model and the fatigue: giving them again is a usage error (exit 2)."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / "p.toml"
    params.write_text("[pace]\nfatigue = 0.3\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--params", str(params), *extra])
    assert res.exit_code == 2, res.output
    assert f"Error: {named} cannot be combined with --params" in res.stderr
    help_text = CliRunner().invoke(cli, ["cutoffs", "--help"]).output
    assert "usage error" in " ".join(help_text.split())


def test_backtest_params_with_model_is_a_usage_error(tmp_path):
    """`backtest --params P --model kme` ignored --model without a word, as `cutoffs` did
    (finding 6): the same usage error (exit 2)."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / "p.toml"
    params.write_text("[pace]\nfatigue = 0.3\n", encoding="utf-8")
    times = tmp_path / "t.csv"
    times.write_text("bib,status,Start\n1,FINISHER,2024-06-01T06:00:00+02:00\n")
    args = ["backtest", str(course), "--times", str(times), "--params", str(params)]
    res = CliRunner().invoke(cli, [*args, "--model", "kme"])
    assert res.exit_code == 2, res.output
    assert "Error: --model cannot be combined with --params" in res.stderr
    help_text = CliRunner().invoke(cli, ["backtest", "--help"]).output
    assert "--model with --params is a usage error" in " ".join(help_text.split())


PARAMS_COMMANDS = [c for c in COMMANDS if "params_file" in {p.name for p in cli.commands[c].params}]


def test_params_option_is_on_cutoffs_and_backtest():
    assert PARAMS_COMMANDS == ["backtest", "cutoffs"]


@pytest.mark.parametrize("name", PARAMS_COMMANDS)
def test_params_help_names_exactly_the_options_it_excludes(tmp_path, name):
    """Review leftover: --params was declared twice with two help texts (backtest's without
    "(edit the file instead)"). One factory now, whose help names the command's own options
    that the file sets, and the same names are refused with it (exit 2)."""
    cmd = cli.commands[name]
    mine = [o for o in ("model", "fatigue") if o in {p.name for p in cmd.params}]
    (help_text,) = [p.help for p in cmd.params if p.name == "params_file"]
    assert help_text == (
        "Pace parameters written by `coursekit calibrate` (TOML/JSON). They include the model "
        f"and the fatigue: {' or '.join(f'--{o}' for o in mine)} with --params is a usage "
        "error (edit the file instead)."
    )
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / "p.toml"
    params.write_text("[pace]\nfatigue = 0.3\n", encoding="utf-8")
    times = tmp_path / "t.csv"
    times.write_text("bib,status,Start\n1,FINISHER,2024-06-01T06:00:00+02:00\n")
    args = [name, str(course), "--params", str(params)]
    args += ["--times", str(times)] if name == "backtest" else []
    for option, value in (("model", "kme"), ("fatigue", "0.2")):
        res = CliRunner().invoke(cli, [*args, f"--{option}", value])
        assert res.exit_code == 2, res.output
        if option in mine:
            assert f"Error: --{option} cannot be combined with --params" in res.stderr
        else:
            assert f"No such option '--{option}'" in res.stderr
    assert CliRunner().invoke(cli, args).exit_code == 0


def test_impossible_pace_blames_the_fatigue_or_the_params_file(tmp_path):
    """Black-box finding 9: ``--fatigue 0.99`` gave "limit too short" on the course file; the
    limit is enough with the calibrated fatigue, so the message names the option (and a
    parameter file when it is the file's values)."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    assert CliRunner().invoke(cli, ["cutoffs", str(course)]).exit_code == 0
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--fatigue", "0.99"])
    assert res.exit_code == 1, res.output
    line = res.stderr.strip()
    assert line.startswith("Error: --fatigue 0.99 makes the pace impossible ("), line
    assert "with the default fatigue of --model trail (0.1) the limit is enough" in line
    params = tmp_path / "p.toml"
    params.write_text("[pace]\nfatigue = 0.99\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--params", str(params)])
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith(f"Error: {params}: these pace parameters make the pace imposs")
    # a limit too short for any parameters is still the course file's
    short = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "3h", 80)
    res = CliRunner().invoke(cli, ["cutoffs", str(short), "--fatigue", "0.99"])
    assert res.exit_code == 1 and res.stderr.startswith(f"Error: {short}: limit too short")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0, True),
        (5, True),
        (60, True),
        (240, True),
        (1440, True),
        (7, False),
        (45, False),
        (90, False),
        (1000, False),
    ],
)
def test_round_takes_clock_grids_only(tmp_path, value, ok):
    """Black-box finding 14: ``--round 7`` gave barriers at 22:31 and 02:13. --round takes a
    divisor of 60 or a multiple of 60 that divides a day; anything else is click's usage
    error (exit 2) listing them. Coarse grids (240, 1440) stay: their warnings say when
    barriers come together."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--round", str(value)])
    if ok:
        assert res.exit_code == 0, res.output
    else:
        assert res.exit_code == 2, res.output
        assert f"Invalid value for '--round': {value} is not a clock grid" in res.stderr
        assert "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)" in res.stderr


def test_round_0_clock_and_elapsed_of_one_cell_agree(tmp_path):
    """Black-box finding 16: with ``--round 0`` a barrier at 19:29:32 read "Sat 19:29
    (2:00)" in `cutoffs`, `export`'s waypoints and the roadbook (seconds dropped from the
    clock, the elapsed time rounded). A barrier is written with its seconds dropped, both
    (leave before it: 19:29 (1:59)); the leader's ETA to the nearest minute, both."""
    import datetime as dt

    from coursekit.course import load_course
    from coursekit.roadbook import race_page

    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 30)
    text = course.read_text().replace(
        "km = 15.000\n", "km = 15.000\ncutoff = 2024-06-01T08:29:32+02:00\n"
    )
    course.write_text(text)
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--round", "0"])
    assert res.exit_code == 0, res.output
    rows = [ln for ln in res.output.splitlines() if re.match(r"(Start|CP\d|Finish) ", ln)]
    assert len(rows) == 5
    assert "Sat 08:29 (2:29)*" in rows[2], rows[2]
    start = dt.datetime(2024, 6, 1, 6, 0)
    cells = 0
    for row in rows:  # every clock time and its elapsed time, barriers and leader ETAs
        for clock, h, m in re.findall(r"Sat (\d\d:\d\d) \((\d+):(\d\d)\)", row):
            shown = start + dt.timedelta(hours=int(h), minutes=int(m))
            assert shown.strftime("%H:%M") == clock, row
            cells += 1
    assert cells == 10
    # the JSON keeps the exact time
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--round", "0", "--format", "json"])
    cp2 = json.loads(res.output)["checkpoints"][2]
    assert cp2["cutoff_elapsed_s"] == 2 * 3600 + 29 * 60 + 32
    # export's waypoints and the roadbook's table write it as `cutoffs` does
    out = tmp_path / "w.gpx"
    res = CliRunner().invoke(cli, ["export", str(course), "-o", str(out), "--round", "0"])
    assert res.exit_code == 0, res.output
    assert "cutoff Sat 08:29 CEST (2:29) fixed" in out.read_text(encoding="utf-8")
    page = race_page(load_course(course)).html
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", page) if ">CP2" in r)
    assert ">Sat 08:29</td>" in row and ">2:29</td>" in row, row


@pytest.mark.parametrize("model", ["trail", "minetti2002", "tobler1993", "kay2012", "kme"])
def test_model_line_shows_only_the_parameters_the_model_uses(tmp_path, model):
    """Black-box finding 14: ``--model minetti2002`` printed ``up=9, down=5``, parameters of
    the trail model only; the other grade models have their own and do not show them."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--model", model])
    assert res.exit_code == 0, res.output
    (line,) = [ln for ln in res.stdout.splitlines() if ln.startswith("model ")]
    assert line.startswith(f"model {model}(")
    assert ("up=" in line and "down=" in line) == (model == "trail"), line
    assert "fatigue=" in line


def test_params_file_model_builds_on_that_models_defaults(tmp_path):
    """Review finding 10: a parameter file was built on TRAIL_2024 whatever its ``model``:
    ``model = "kme"`` alone gave altitude 0.06 and night_steep 0.5, not --model kme's
    parameters. The file's keys now apply on ``params_for(model)``."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    params = tmp_path / "p.toml"
    params.write_text('[pace]\nmodel = "kme"\nleader_margin = 0.2\n', encoding="utf-8")
    by_file = CliRunner().invoke(
        cli, ["cutoffs", str(course), "--params", str(params), "--format", "json"]
    )
    by_option = CliRunner().invoke(
        cli, ["cutoffs", str(course), "--model", "kme", "--format", "json"]
    )
    assert by_file.exit_code == 0 and by_option.exit_code == 0, by_file.output + by_option.output
    a, b = json.loads(by_file.stdout), json.loads(by_option.stdout)
    # --model kme opens stations with TRAIL_2024's margin 0.15 (black-box K3); the file's 0.2
    assert "leader_margin=0.15)" in b["model"], b["model"]
    assert a["model"] == b["model"].replace("leader_margin=0.15)", "leader_margin=0.2)")
    assert [r["cutoff"] for r in a["checkpoints"]] == [r["cutoff"] for r in b["checkpoints"]]


def test_impossible_fatigue_advice_follows_the_direction(tmp_path, monkeypatch):
    """Review finding 10: "lower --fatigue" was the advice even for a --fatigue under the
    model's default; the advice now compares with the default, and the course path is not
    repeated inside the parentheses."""
    import coursekit.cutoffs as cutoffs
    from coursekit.errors import PlanError

    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "10h", 80)
    real = cutoffs.plan

    def plan(c, **kw):  # a fixed-cutoff piece too fast for a runner flatter than 0.05
        p = kw.get("params")
        fatigue = kw["fatigue"] if p is None and kw.get("fatigue") is not None else None
        if fatigue is not None and fatigue < 0.05:
            raise PlanError(f"{c.path}: fixed cutoff at 'CP1' too early")
        return real(c, **kw)

    monkeypatch.setattr(cutoffs, "plan", plan)
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--fatigue", "0.01"])
    assert res.exit_code == 1, res.output
    line = res.stderr.strip()
    assert line.endswith("the limit is enough: raise --fatigue"), line
    assert "(fixed cutoff at 'CP1' too early)" in line, line
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--fatigue", "0.99"])
    assert res.stderr.strip().endswith("the limit is enough: lower --fatigue"), res.stderr
    assert f"({course}:" not in res.stderr


def test_progress_eta_is_measured_from_the_first_update():
    """Review leftover: click's ETA counts the time before the first unit of work (a
    simulation's set-up and first chunk): `event --simulate` showed 1:32 with 9.5 s left; and
    it floors (00:00:00 with up to a second left). The ETA is measured from the first
    update, shown once a second is measured, rounded up."""
    from types import SimpleNamespace

    from coursekit.cli import _RateEta

    now = [0.0]
    eta = _RateEta(clock=lambda: now[0])
    eta.bar = bar = SimpleNamespace(pos=0, length=100, finished=False)
    assert eta() is None  # nothing done yet
    now[0], bar.pos = 3.0, 1  # 3 s of set-up for the first unit: click would say 4:57
    assert eta() is None
    now[0], bar.pos = 3.5, 6
    assert eta() is None  # under a second measured
    now[0], bar.pos = 4.0, 11  # 0.1 s a unit since: 8.9 s left (click: 32 s)
    assert eta() == "00:00:09"
    now[0], bar.pos = 12.7, 98  # 0.2 s left: not 00:00:00
    assert eta() == "00:00:01"
    now[0], bar.pos = 4000.0, 99
    assert eta() == "00:00:41"
    bar.pos, bar.finished = 100, True
    assert eta() is None


def test_simulation_bar_counts_repetitions_times_rows():
    """A repetition of HAUT 120 (15 rows) takes about ten times one of HAUT 10 (2): counted
    in repetitions, the first ETA after HAUT 120 was 2.5 times the time left. The callback
    gets repetitions race after race, in chunks that may span two races."""
    from types import SimpleNamespace

    from coursekit.cli import _simulation_bar

    races = [SimpleNamespace(reference_leg_s=[0.0] * k) for k in (15, 2, 5)]
    bar, progress = _simulation_bar(SimpleNamespace(races=races), 10)
    try:
        assert bar.length == 10 * 22
        progress(4)
        assert bar.pos == 4 * 15
        progress(8)  # 6 of the first race, 2 of the second
        assert bar.pos == 10 * 15 + 2 * 2
        progress(8)
        progress(10)
        assert bar.pos == bar.length
    finally:
        bar.__exit__(None, None, None)


def test_profile_bar_counts_bytes(tmp_path):
    """`profile` with many files: a 4 MB recording takes 20-50 times a 24 kB sketch, and the
    bar counted files (a first ETA of 11 s with 0.8 s left after ten recordings). It counts
    each file's bytes and a fixed part now (a file that cannot be read: the fixed part)."""
    from coursekit.cli import PROFILE_FILE_WORK, _profile_work

    (tmp_path / "a.gpx").write_bytes(b"x" * 4_000_000)
    (tmp_path / "b.gpx").write_bytes(b"x" * 24_000)
    assert _profile_work(tmp_path / "a.gpx") == 4_000_000 + PROFILE_FILE_WORK
    assert _profile_work(tmp_path / "b.gpx") == 24_000 + PROFILE_FILE_WORK
    assert _profile_work(tmp_path / "missing.gpx") == PROFILE_FILE_WORK
    assert _profile_work(tmp_path) == PROFILE_FILE_WORK


COURSES = Path(__file__).parent.parent / "courses" / "haut"


@pytest.mark.parametrize(
    "args, name",
    [
        (["cutoffs", "{course}", "-o", "{tmp}/a.txt", "-o", "{tmp}/b.txt"], "'-o' / '--output'"),
        (["cutoffs", "{course}", "-o", "{tmp}/a.txt", "--output", "{tmp}/b.txt"], "--output"),
        (["cutoffs", "{course}", "--round", "5", "--round", "15"], "'--round'"),
        (["cutoffs", "{course}", "--format", "json", "--format", "csv"], "'--format'"),
        (["cutoffs", "{course}", "--model", "trail", "--model", "kme"], "'--model'"),
        (["cutoffs", "{course}", "--fatigue", "0.2", "--fatigue", "0.3"], "'--fatigue'"),
        (["export", "{course}", "-o", "{tmp}/a.gpx", "-o", "{tmp}/b.gpx"], "'--output'"),
        (["profile", "{gpx}", "--gain-threshold", "2", "--gain-threshold", "5"], "--gain-thr"),
        (["event", "{course}", "--format", "csv", "--format", "json"], "'--format'"),
        (["check", "{course}", "--format", "json", "--format", "text"], "'--format'"),
    ],
)
def test_a_single_value_option_given_twice_is_a_usage_error(tmp_path, args, name):
    """`-o a -o b`, `--round 5 --round 15`: click kept the last value without a word (the
    run wrote b only, barriers on 15 minutes). A usage error naming the option, exit 2,
    before any work: no file written."""
    args = [
        a.format(course=COURSES / "haut-21.toml", gpx=COURSES / "haut-21.gpx", tmp=tmp_path)
        for a in args
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "given 2 times" in res.output and name in res.output, res.output
    assert "Traceback" not in res.output
    assert not list(tmp_path.iterdir())


def test_repeatable_options_stay_repeatable(tmp_path):
    course, gpx = COURSES / "haut-21.toml", COURSES / "haut-21.gpx"
    res = CliRunner().invoke(
        cli,
        ["profile", str(gpx), "--plot", str(tmp_path / "a.svg"), "--plot", str(tmp_path / "b.svg")],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a.svg").is_file() and (tmp_path / "b.svg").is_file()
    res = CliRunner().invoke(
        cli, ["cutoffs", str(course), "--round", "5", "-o", str(tmp_path / "c")]
    )
    assert res.exit_code == 0, res.output
    # --help after a repeated option is still help
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--round", "5", "--round", "5", "-h"])
    assert res.exit_code == 0 and "Example:" in res.output


def test_a_proposed_limit_is_labelled_in_every_plan_output(tmp_path):
    """L2 (twenty-fourth sprint, contract review): a limit from a [[proposed]] table (none
    published; Amizmiz 42's 12 h) was labelled only by `check` and the roadbook: `cutoffs`
    (text and JSON), `export` and `event` printed its barriers as if the limit were
    published. A limit that is not a whole minute is written with its seconds (L9)."""
    import json

    from click.testing import CliRunner

    from coursekit.cli import cli

    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "5h", km=20)
    text = course.read_text().replace('limit = "5h"\n', "")
    text += '[[proposed]]\nfield = "limit"\nvalue = "5h"\nbasis = "a guess"\n'
    course.write_text(text)
    res = CliRunner().invoke(cli, ["cutoffs", str(course)])
    assert res.exit_code == 0, res.output
    assert " limit 5:00 (proposed, not published)  clock " in res.output.splitlines()[0]
    assert "warning: proposed, not published ([[proposed]] in the course file): limit = 5h;" in (
        res.output
    )
    rec = json.loads(CliRunner().invoke(cli, ["cutoffs", str(course), "--format", "json"]).output)
    assert rec["limit_proposed"] is True and any("proposed" in w for w in rec["warnings"])
    out = tmp_path / "w.gpx"
    assert CliRunner().invoke(cli, ["export", str(course), "-o", str(out)]).exit_code == 0
    gpx = out.read_text()
    assert "time limit 5:00 proposed, not published: every barrier rests on it" in gpx
    assert "time limit proposed, not published</desc>" in gpx  # the finish waypoint
    ev = tmp_path / "event.toml"
    ev.write_text('name = "E"\ncourses = ["c.toml"]\n')
    rec = json.loads(CliRunner().invoke(cli, ["event", str(ev), "--format", "json"]).output)
    assert [r["limit_proposed"] for r in rec["races"]] == [True]
    # a published limit: none of it; and one of 5:00:09 is written with its seconds
    course.write_text(_north_course(tmp_path, "2024-06-01T06:00:00+02:00", "5h", 20).read_text())
    course.write_text(course.read_text().replace('limit = "5h"', "limit = 5.0025"))
    res = CliRunner().invoke(cli, ["cutoffs", str(course)])
    assert res.exit_code == 0, res.output
    assert " limit 5:00:09  clock " in res.output.splitlines()[0]
    assert "proposed" not in res.output
    rec = json.loads(CliRunner().invoke(cli, ["cutoffs", str(course), "--format", "json"]).output)
    assert rec["limit_proposed"] is False


@pytest.mark.parametrize(
    "args, label",
    [
        (["export", "{c}", "-o", "{d}/t.gpx"], "the course's track (gpx = 't.gpx' in c.toml)"),
        (["export", "{c}", "-o", "{d}/sym.gpx"], "the course's track (gpx = 't.gpx' in c.toml)"),
        (["export", "{c}", "-o", "{d}/hard.gpx"], "the course's track (gpx = 't.gpx' in c.toml)"),
        (["export", "{c}", "-o", "{d}/sub/../c.toml"], "the course file"),
        (["legs", "{c}", "-o", "{d}/c.toml"], "the course file"),
        (["cutoffs", "{c}", "--params", "{d}/p.toml", "-o", "{d}/p.toml"], "the --params file"),
        (["backtest", "{c}", "--times", "{d}/t.csv", "-o", "{d}/t.csv"], "the --times file"),
        (
            [
                "backtest",
                "{c}",
                "--times",
                "{d}/t.csv",
                "--params",
                "{d}/p.toml",
                "-o",
                "{d}/p.toml",
            ],
            "the --params file",
        ),
        (["calibrate", "{c}", "--times", "{d}/t.csv", "-o", "{d}/c.toml"], "the course file"),
        (["calibrate", "{c}", "--times", "{d}/t.csv", "-o", "{d}/t.csv"], "the --times file"),
        (["profile", "{d}/t.gpx", "-o", "{d}/t.gpx"], "an input file"),
        (["sketch", "{d}/pl.toml", "-o", "{d}/pl.toml"], "the places file"),
        (["map", "{c}", "-o", "{d}/t.gpx"], "the course's track (gpx = 't.gpx' in c.toml)"),
        (["event", "{c}", "-o", "{d}/c.toml"], "the course file"),
    ],
)
def test_an_output_over_an_input_is_a_usage_error(tmp_path, args, label):
    """H5: `export c.toml -o c.gpx` (c.gpx the course's own track, the natural name beside
    it) replaced the surveyed track, `calibrate -o COURSE.toml` the course file and
    `backtest -o TIMES.csv` the split times, exit 0. A usage error before any work, the
    inputs untouched, also through a symbolic or a hard link."""
    import os

    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "4h")
    (tmp_path / "sym.gpx").symlink_to(tmp_path / "t.gpx")
    os.link(tmp_path / "t.gpx", tmp_path / "hard.gpx")
    (tmp_path / "sub").mkdir()
    (tmp_path / "p.toml").write_text('model = "trail"\n')
    (tmp_path / "t.csv").write_text("bib,Start,Finish\n1,06:00,08:00\n")
    (tmp_path / "pl.toml").write_text('name = "P"\n[[places]]\nname = "A"\nlat = 45\nlon = 6\n')
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    args = [a.format(c=course, d=tmp_path) for a in args]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert (
        res.output.splitlines()[-1]
        == f"Error: -o {args[-1]} is {label}: give the output its own path"
    )
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize(
    "dash, args",
    [
        ("c.toml", ["legs", "./-"]),
        ("c.toml", ["cutoffs", "./-", "--format", "json"]),
        ("event", ["event", "./-", "--format", "csv"]),
        ("t.gpx", ["profile", "./t.gpx", "./-"]),
    ],
)
def test_output_dash_is_standard_output_never_an_input(tmp_path, monkeypatch, dash, args):
    """F6 (h86): `-o -` was taken as a file named `-`, compared with the inputs: with a
    course file named `-` in the folder, `legs ./- -o -` was refused as "-o - is the course
    file" (and without one, a report went to a file named `-`). `-o -` is standard output,
    as without -o; `-o ./-` is still the file `-`, refused over that input."""
    import shutil

    _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "4h")
    if dash == "event":
        (tmp_path / "-").write_text('name = "E"\ncourses = ["c.toml"]\n')
    else:
        shutil.copy(tmp_path / dash, tmp_path / "-")
    monkeypatch.chdir(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    res = CliRunner().invoke(cli, [*args, "-o", "-"])
    assert res.exit_code == 0, res.output
    assert res.stdout == plain.stdout and res.stdout
    assert "wrote" not in res.stderr
    res = CliRunner().invoke(cli, [*args, "-o", "./-"])
    assert res.exit_code == 2
    assert res.output.splitlines()[-1].endswith(": give the output its own path")
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_output_dash_writes_no_file_named_dash(tmp_path, monkeypatch):
    """F6: without an input named `-`, `cutoffs c.toml -o -` wrote the report to a new file
    `-` in the current folder; it goes to standard output."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "4h")
    monkeypatch.chdir(tmp_path)
    plain = CliRunner().invoke(cli, ["cutoffs", course.name])
    res = CliRunner().invoke(cli, ["cutoffs", course.name, "-o", "-"])
    assert res.exit_code == 0, res.output
    assert res.stdout == plain.stdout
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["export", "map", "roadbook"])
def test_file_output_dash_is_refused_not_a_file_named_dash(tmp_path, monkeypatch, command):
    """After F6: the commands whose -o is a file or folder (export, sketch, map, roadbook)
    took `-o -` as a file named `-`, while the reports read it as standard output; it is
    a usage error naming the option, and `-o ./-` still names a file."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "4h")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, [command, course.name, "-o", "-"])
    assert res.exit_code == 2, res.output
    assert "'-o'" in res.output and "give its name" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "-").exists()
    res = CliRunner().invoke(cli, [command, course.name, "-o", "./-"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "-").exists()


def test_cutoffs_csv_gives_the_warnings_on_standard_error(tmp_path):
    """h88 (found beside event's): `cutoffs --format csv` dropped the plan's warnings (a
    proposed limit's here) that the text prints and the JSON holds: each is one `warning:`
    line on standard error, as `backtest --format csv` does, none in the table."""
    course = _north_course(tmp_path, "2024-06-01T06:00:00+02:00", "5h", km=20)
    text = course.read_text().replace('limit = "5h"\n', "")
    course.write_text(text + '[[proposed]]\nfield = "limit"\nvalue = "5h"\nbasis = "a guess"\n')
    res = CliRunner().invoke(cli, ["cutoffs", str(course), "--format", "json"])
    warnings = json.loads(res.stdout)["warnings"]
    assert any("proposed, not published" in w for w in warnings)
    for extra in ([], ["-o", str(tmp_path / "c.csv")]):
        res = CliRunner().invoke(cli, ["cutoffs", str(course), "--format", "csv", *extra])
        assert res.exit_code == 0, res.output
        err = [x for x in res.stderr.splitlines() if x.startswith("warning: ")]
        assert err == [f"warning: {w}" for w in warnings]
        table = (tmp_path / "c.csv").read_text() if extra else res.stdout
        assert "warning" not in table and "proposed, not" not in table


def test_readme_cutoffs_tour_is_what_the_command_prints():
    """Black-box finding h91 J7: the README's `coursekit cutoffs courses/haut/haut-120.toml`
    block printed `km 60.2-90.5` for the second night while the command prints another
    section: every line the README shows (the `...` elision aside) is a line of the output."""
    block = README.split("$ coursekit cutoffs courses/haut/haut-120.toml\n", 1)[1]
    shown = [ln for ln in block.split("```", 1)[0].splitlines() if ln and ln != "..."]
    course = Path(__file__).parent.parent / "courses" / "haut" / "haut-120.toml"
    result = CliRunner().invoke(cli, ["cutoffs", str(course)])
    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()

    def is_printed(line):  # "model trail(up=9, ...)" shows the start of a printed line
        head = line.split("...", 1)[0]
        return line in printed or ("..." in line and any(p.startswith(head) for p in printed))

    assert [ln for ln in shown if not is_printed(ln)] == []


OUTPUTS = (Path(__file__).parent.parent / "docs" / "outputs.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_cutoffs_output_key_is_documented(fmt):
    """Black-box finding h91 J2: `cutoffs --format json` wrote keys beyond DESIGN's contract 2
    (`arrival_elapsed_s`, `required_pace_s_per_m`, `night`, `night_sections` ...) documented
    nowhere a user reads; docs/outputs.md (linked from the README) names every one."""
    # a start in the dark: the JSON has night sections, hence their keys
    course = Path(__file__).parent.parent / "courses" / "haut" / "haut-120.toml"
    result = CliRunner().invoke(cli, ["cutoffs", str(course), "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        obj = json.loads(result.stdout)
        keys = set(obj) | set(obj["checkpoints"][0]) | set(obj["sun"][0])
        assert obj["night_sections"]
        keys |= {k for s in obj["night_sections"] for k in s}
    else:
        keys = set(result.stdout.splitlines()[0].split(","))
    assert sorted(k for k in keys if f"`{k}`" not in OUTPUTS) == []
    assert "docs/outputs.md" in README
