"""Course files (contract 1, docs/course-file.md): properties on generated files (hypothesis).

Each property is what docs/course-file.md and DESIGN.md promise of a course file and of
what the commands make of it:

- every accepted file gives a coherent course: its legs table starts at 0 and ends at the
  course's length, in course order, a checkpoint placed by ``km`` on its km, one placed by
  position within its tolerance, each checkpoint once;
- every refused file is one line naming the file (the library's :class:`CoursekitError`,
  and ``Error: <file>: <problem>`` with exit 1 from the CLI), never a traceback;
- the durations (``limit``, ``cutoff``, ``dwell``) read what the doc lists, and a limit
  coursekit prints reads back as itself;
- the roadbook shows every text as written and never as markup, in pages whose file names
  are plain, distinct and inside the output folder.

The generated files are written by hand (a small TOML writer) beside a GPX written here.
The examples are derandomized, so the test is deterministic; the roadbook, slow, sees a
few examples only.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from coursekit.cli import cli
from coursekit.course import load_course, load_event, parse_duration
from coursekit.errors import CoursekitError
from coursekit.gpx import write_gpx

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

START = "2024-06-01T06:00:00+01:00"


def _q(x) -> str:
    """A TOML value: JSON writes strings, numbers, booleans and arrays as TOML reads them
    (non-ASCII kept, control characters escaped)."""
    return json.dumps(x, ensure_ascii=False)


def course_text(top: dict, checkpoints=(), extra: str = "") -> str:
    """A course file: ``top``'s keys (``start`` written bare, a TOML date-time), then one
    ``[[checkpoints]]`` table per dict, then ``extra`` as written."""
    lines = [f"{k} = {v if k == 'start' else _q(v)}" for k, v in top.items()]
    for cp in checkpoints:
        lines += ["", "[[checkpoints]]"] + [f"{k} = {_q(v)}" for k, v in cp.items()]
    return "\n".join(lines) + "\n" + extra


def base_top(**kw) -> dict:
    return {"name": "Prop 11", "gpx": "t.gpx", "start": START, "limit": "4h", **kw}


def run(*args):
    """``coursekit ARGS``: (exit code, output, exception other than the exit)."""
    res = CliRunner().invoke(cli, [str(a) for a in args])
    exc = res.exception if not isinstance(res.exception, SystemExit) else None
    return res.exit_code, res.output, exc


def assert_one_error_line(code, out, exc, path):
    """Exit 1 and one line ``Error: <path>...``: no traceback, no internal error."""
    assert exc is None, repr(exc)
    assert code == 1, out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith(f"Error: {path}"), out
    assert "internal error" not in out and "Traceback" not in out, out


# ---------------------------------------------------------------- regressions


@pytest.mark.parametrize(
    "where, text, fragment",
    [
        # the proposed limit of 0 was refused as "key 'limit': must be longer than zero",
        # naming a key the file does not have
        (
            "proposed",
            '\n[[proposed]]\nfield = "limit"\nvalue = "0h"\nbasis = "guess"\n',
            "proposed[0] key 'value'",
        ),
        # a declared limit of 0 was taken, and check warned "limit 4:00 differs from 0:00"
        ("declared", '\n[[declared]]\nsource = "rules"\nlimit = "0m"\n', "key 'limit'"),
        ("limit", "", "key 'limit'"),
    ],
)
def test_a_limit_of_zero_is_refused_where_it_is_written(tmp_path, where, text, fragment):
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    top = base_top()
    if where == "proposed":
        del top["limit"]
    if where == "limit":
        top["limit"] = "0m"
    path = tmp_path / "c.toml"
    path.write_text(course_text(top, extra=text), encoding="utf-8")
    with pytest.raises(CoursekitError, match=re.escape(fragment)) as err:
        load_course(path)
    assert "> 0" in str(err.value)
    if where == "declared":
        assert "declared[0] ('rules')" in str(err.value)
    assert_one_error_line(*run("cutoffs", path), path)


def test_zero_is_no_positive_duration_in_any_form():
    for text in ("0h", "0m", "0s", "0h0m0s", "0min", "0:00", "0:00:00", 0, 0.0):
        with pytest.raises(ValueError, match="> 0"):
            parse_duration(text, positive=True, hours_minutes=True)
        assert parse_duration(text, hours_minutes=True) == 0.0


def _loop(folder, name="loop"):
    """A symbolic link to itself (``name`` -> ``name``): resolving it loops."""
    os.symlink(name, folder / name)
    return name


def test_a_gpx_that_is_a_symlink_loop_is_one_error_line(tmp_path):
    """The course's ``gpx`` resolved with :meth:`Path.resolve`, which raises RuntimeError on
    a link loop (Python 3.11): every command said "internal error"."""
    path = tmp_path / "c.toml"
    path.write_text(course_text(base_top(gpx=_loop(tmp_path))), encoding="utf-8")
    with pytest.raises(CoursekitError, match="key 'gpx'"):
        load_course(path)
    assert_one_error_line(*run("cutoffs", path), path)
    assert_one_error_line(*run("roadbook", path, "-o", tmp_path / "rb"), path)
    assert not (tmp_path / "rb").exists()


@pytest.mark.parametrize("table", ["combined", "runners"])
def test_an_event_naming_a_symlink_loop_is_one_error_line(tmp_path, table):
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    for k in (1, 2):
        (tmp_path / f"r{k}.toml").write_text(course_text(base_top()), encoding="utf-8")
    loop = _loop(tmp_path)
    body = 'name = "Ev"\ncourses = ["r1.toml", "r2.toml"]\n'
    if table == "combined":
        body += f'[[combined]]\nname = "Both"\ncourses = ["r1.toml", "{loop}"]\n'
    else:
        body += f'[runners]\n"{loop}" = 10\n'
    event = tmp_path / "event.toml"
    event.write_text(body, encoding="utf-8")
    with pytest.raises(CoursekitError, match=f"{table}.*{loop}"):
        load_event(event)
    assert_one_error_line(*run("event", event), event)


def test_an_output_that_is_a_symlink_loop_is_no_internal_error(tmp_path):
    """``-o`` was resolved with :meth:`Path.resolve` to compare it with ``--plot``'s, which
    raised RuntimeError on a link loop: cutoffs, export and map said "internal error". The
    output replaces the link, as it replaces any file there (an atomic rename)."""
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    path = tmp_path / "c.toml"
    path.write_text(course_text(base_top()), encoding="utf-8")
    out = tmp_path / _loop(tmp_path)
    code, text, exc = run("cutoffs", path, "-o", out, "--format", "json")
    assert exc is None and code == 0, text
    assert json.loads(out.read_text(encoding="utf-8"))["course"] == "Prop 11"
