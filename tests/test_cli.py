"""The command-line surface: every command has help with an example and is in the README."""

from __future__ import annotations

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
    assert "cutoff Tue 01 Jul 10:00 (240:00)" in out.read_text(encoding="utf-8")
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
