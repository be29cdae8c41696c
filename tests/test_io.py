"""Atomic writes: no temporary file left behind, an existing file never destroyed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coursekit import io as ckio


def test_write_and_replace(tmp_path):
    f = tmp_path / "sub" / "out.txt"
    assert ckio.atomic_write_text(f, "héllo\n") == f
    assert f.read_text(encoding="utf-8") == "héllo\n"
    ckio.atomic_write_bytes(f, b"new")
    assert f.read_bytes() == b"new"
    assert sorted(p.name for p in f.parent.iterdir()) == ["out.txt"]


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch, where):
    f = tmp_path / "out.txt"
    f.write_text("old")

    def boom(*a, **k):
        raise Boom(where)

    if where == "write":
        monkeypatch.setattr(ckio.os, "fdopen", lambda fd, mode: _Failing(fd))
    elif where == "fsync":
        monkeypatch.setattr(ckio.os, "fsync", boom)
    else:
        monkeypatch.setattr(ckio.os, "replace", boom)
    with pytest.raises((Boom, OSError)):
        ckio.atomic_write_text(f, "new text")
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


_FDOPEN = os.fdopen


class _Failing:
    """A file object that writes half then fails (disk full)."""

    def __init__(self, fd):
        self.fh = _FDOPEN(fd, "wb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, data):
        self.fh.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")


def test_encoding_error_leaves_nothing(tmp_path):
    f = tmp_path / "out.txt"
    with pytest.raises(UnicodeEncodeError):
        ckio.atomic_write_text(f, "é", encoding="ascii")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_is_cleaned_too(tmp_path, monkeypatch):
    """KeyboardInterrupt (Ctrl-C) during the write also removes the temporary file."""
    f = tmp_path / "out.txt"
    f.write_text("old")

    def interrupt(*a):
        raise KeyboardInterrupt

    monkeypatch.setattr(ckio.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ckio.atomic_write_bytes(f, b"x" * 100_000)
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_new_file_gets_ordinary_permissions(tmp_path):
    """Not mkstemp's 0o600: a published page must be readable by a web server."""
    import os

    from coursekit.io import atomic_write_text

    umask = os.umask(0o022)
    try:
        out = atomic_write_text(tmp_path / "page.html", "<p>x</p>")
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644


def test_replaced_file_keeps_its_permissions(tmp_path):
    from coursekit.io import atomic_write_text

    out = tmp_path / "course.gpx"
    out.write_text("old")
    out.chmod(0o640)
    atomic_write_text(out, "new")
    assert out.read_text() == "new"
    assert out.stat().st_mode & 0o777 == 0o640


def test_device_target_is_written_not_replaced(tmp_path):
    """`-o /dev/null` (or a pipe) must never replace the device by a regular file."""
    import os
    import stat

    from coursekit.io import atomic_write_text

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        atomic_write_text(fifo, "hello")
        assert os.read(fd, 100) == b"hello"
    finally:
        os.close(fd)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_parent_is_a_file_is_a_clear_error(tmp_path):
    from coursekit.io import atomic_write_text

    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        atomic_write_text(tmp_path / "f" / "out.gpx", "data")


@pytest.mark.parametrize(
    ("command", "output", "shown"),
    [
        ("cutoffs", "keep.txt/x.json", "keep.txt/x.json"),
        ("legs", "keep.txt/a/b/x.csv", "keep.txt/a/b/x.csv"),
        ("roadbook", "keep.txt/rb", "keep.txt/rb/mini.html"),
    ],
)
def test_folder_that_is_a_file_error_line(tmp_path, monkeypatch, command, output, shown):
    # L4 (contract review): the documented form (docs/guarantees.md), no exception class
    # in front of the path, and the folder named is the file on the way (keep.txt), not
    # the folder under it that does not exist (roadbook's keep.txt/rb)
    from click.testing import CliRunner

    from coursekit.cli import cli

    course = Path(__file__).parent / "data" / "courses" / "mini.toml"
    monkeypatch.chdir(tmp_path)
    Path("keep.txt").write_text("x")
    r = CliRunner().invoke(cli, [command, str(course), "-o", output])
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == (
        f"Error: {shown}: cannot write: keep.txt is a file, not a folder"
    )
    assert sorted(os.listdir()) == ["keep.txt"] and Path("keep.txt").read_text() == "x"


def test_missing_folders_are_created(tmp_path):
    """The rule of every command: the output's missing folders are created (docs/guarantees.md)."""
    f = tmp_path / "a" / "b" / "out.txt"
    ckio.atomic_write_text(f, "x")
    assert f.read_text() == "x"


@pytest.mark.parametrize("where", ["mkstemp", "replace"])
def test_failed_write_removes_the_folders_it_created(tmp_path, monkeypatch, where):
    """A failed run leaves nothing: a write into ``a/b/`` that fails used to leave the empty
    folders ``a/b`` it had created. A folder that was there, or that holds something else
    by then, stays."""
    (tmp_path / "kept").mkdir()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckio.os if where == "replace" else ckio.tempfile, where, boom)
    with pytest.raises(OSError, match="out.txt: cannot write .No space left on device"):
        ckio.atomic_write_text(tmp_path / "a" / "b" / "out.txt", "x")
    with pytest.raises(OSError):
        ckio.atomic_write_text(tmp_path / "kept" / "c" / "out.txt", "x")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["kept"]


def _fail_on_call(monkeypatch, n):
    """Make the ``n``-th ``os.replace`` fail (a full disk), the ones before it work."""
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == n:
            raise OSError(28, "No space left on device (simulated)")
        return real(src, dst)

    monkeypatch.setattr(ckio.os, "replace", replace)
    return calls


def test_output_group_removes_what_the_run_created_when_a_later_write_fails(tmp_path, monkeypatch):
    """Review finding 3: the cleanup was per file, so when the SECOND file of a run failed,
    the first one and the folder created for it stayed. In a group, the files the run
    created and its folders go; a file it did not write, and one that was there before
    (replaced by then), stay."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "mine.txt").write_text("not coursekit's")
    (tmp_path / "old" / "before.txt").write_text("before")
    calls = _fail_on_call(monkeypatch, 3)
    with pytest.raises(OSError, match="c.txt: cannot write .No space left"), ckio.output_group():
        ckio.atomic_write_text(tmp_path / "new" / "deeper" / "a.txt", "a")
        ckio.atomic_write_text(tmp_path / "old" / "before.txt", "b")
        ckio.atomic_write_text(tmp_path / "old" / "c.txt", "c")
    assert len(calls) == 3
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == ["before.txt", "mine.txt"]
    assert (tmp_path / "old" / "before.txt").read_text() == "b"  # replaced, not restored
    # a group that succeeds keeps everything; SystemExit (a status) is not a failure
    with pytest.raises(SystemExit), ckio.output_group():
        ckio.atomic_write_text(tmp_path / "kept" / "d.txt", "d")
        raise SystemExit(1)
    assert (tmp_path / "kept" / "d.txt").read_text() == "d"
