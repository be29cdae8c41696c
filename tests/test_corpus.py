"""Corpus: every real GPX and every bundled course through the commands.

* Every ``*.gpx`` under ../shared/realdata (gpxpy's test corpus included) goes
  through ``coursekit profile``: it is read (exit 0) or refused with exactly one
  line ``Error: <file>: ...`` (exit 1), never a traceback. Skipped when the
  real data is absent.
* Every bundled course in courses/ goes through ``legs``, ``check``,
  ``cutoffs`` and ``export``: exit 0 (``check`` may exit 1 only with its own
  report of errors, no traceback).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REALDATA

from coursekit.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _gpx_params() -> list:
    """One parameter per real GPX file; without the real data, one skipped case that says
    so (an empty parameter set skips with pytest's "got empty parameter set" instead)."""
    if (REALDATA / "index.json").is_file():
        files = sorted(p for p in REALDATA.rglob("*") if p.suffix.lower() == ".gpx" and p.is_file())
        return [pytest.param(p, id=p.name) for p in files]
    reason = f"real data not available at {REALDATA} (needs ../shared/realdata)"
    return [pytest.param(None, id="no-realdata", marks=pytest.mark.skip(reason=reason))]


GPX = _gpx_params()
GPX_FILES = [p.values[0] for p in GPX if p.values[0] is not None]
COURSES = sorted(
    p
    for p in (ROOT / "courses").glob("*/*.toml")
    if p.name != "event.toml" and not p.name.endswith(".places.toml")
)


def _one_error_line(res, path) -> str:
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"Error: {path}: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("path", GPX)
def test_realdata_gpx_read_or_refused(realdata, path):
    res = CliRunner().invoke(cli, ["profile", str(path), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    if res.exit_code == 0:
        assert res.stdout.lstrip().startswith("[") and str(path) in res.stdout
        assert res.stderr == ""
    else:
        _one_error_line(res, path)


def test_realdata_corpus_is_there(realdata):
    """The walk above found the corpus (a wrong glob would make it pass vacuously)."""
    assert len(GPX_FILES) >= 20
    assert any(p.parent.name == "gpxpy_test_files" for p in GPX_FILES)


def test_realdata_all_files_in_one_run(realdata, tmp_path):
    """One ``profile`` over the readable files: one report each, written atomically."""
    runner = CliRunner()
    ok = [p for p in GPX_FILES if runner.invoke(cli, ["profile", str(p)]).exit_code == 0]
    assert len(ok) >= 10
    out = tmp_path / "all.csv"
    res = runner.invoke(cli, ["profile", *map(str, ok), "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(out.read_text().strip().splitlines()) == len(ok) + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv"]


@pytest.mark.parametrize("path", COURSES, ids=[p.stem for p in COURSES])
def test_bundled_course_commands(path, tmp_path):
    runner = CliRunner()
    for args in (["legs", str(path)], ["cutoffs", str(path), "--format", "json"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (args, res.output)
        assert res.exception is None
    res = runner.invoke(cli, ["check", str(path)])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    if res.exit_code == 1:
        assert "error: [" in res.stdout and "0 error(s)" not in res.stdout, res.output
    else:
        assert res.exit_code == 0 and " 0 error(s)" in " " + res.stdout.splitlines()[-1]
    out = tmp_path / "x.gpx"
    res = runner.invoke(cli, ["export", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"<?xml") and [p.name for p in tmp_path.iterdir()] == [
        "x.gpx"
    ]


def test_bundled_courses_found():
    assert len(COURSES) >= 10
