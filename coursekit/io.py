"""Atomic output: every file coursekit writes goes through here.

A file is written to a temporary file in the destination folder, flushed and
fsynced, then renamed over the destination (``os.replace`` is atomic on POSIX
and Windows). A failure at any point removes the temporary file and leaves any
existing output untouched.

A destination folder that does not exist is created with its missing parents
(``-o reports/2024/haut.json``, as ``roadbook -o site/`` creates its folder), for
every command; the folders a failed write created are removed again, so a failed
run leaves nothing behind.

A run that writes several files (``roadbook -o site/``, ``event -o OUT.csv --plot
fig.png``) writes them inside :func:`output_group`: when a later write (or anything
else) fails, the files the run had already created are removed again, and so are the
folders it created. A file the run had already *replaced* keeps its new content (the
former one is not kept to restore it).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_write_text", "atomic_write_bytes", "output_group", "same_file"]

# The writes of the current output group: (file created, folders created), in order.
_GROUP: contextvars.ContextVar[list[tuple[Path | None, list[Path]]] | None] = (
    contextvars.ContextVar("coursekit_output_group", default=None)
)


@contextlib.contextmanager
def output_group() -> Iterator[None]:
    """Make the files written inside one all-or-nothing output.

    When the block raises (anything but ``SystemExit``: a command that reports findings
    by its exit status has written its output), the files written inside it that did not
    exist before are removed, only those, and then the folders those writes created (the
    ones left empty). A group inside a group belongs to the outer one.
    """
    if _GROUP.get() is not None:
        yield
        return
    writes: list[tuple[Path | None, list[Path]]] = []
    token = _GROUP.set(writes)
    try:
        yield
    except SystemExit:
        raise
    except BaseException:
        for path, _ in reversed(writes):
            if path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        for _, folders in reversed(writes):
            _remove_folders(folders)
        raise
    finally:
        _GROUP.reset(token)


def _mode_for(path: Path) -> int:
    """Permissions of the output: those of the file it replaces, else 0o666 less the umask.

    (``mkstemp`` creates 0o600 files: a published roadbook would be unreadable by a web server.)
    """
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + rename); return the path."""
    path = Path(path)
    if path.exists() and not path.is_file():
        if path.is_dir():  # one line naming the path (not "IsADirectoryError: ...")
            raise OutputError(f"{path}: is a folder, not a file", errno.EISDIR)
        # a device or pipe (/dev/stdout, /dev/null, a FIFO): write to it, never replace it
        with open(path, "wb") as fh:
            fh.write(data)
        return path
    folder = path.parent if str(path.parent) else Path(".")
    created = _missing_folders(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        _remove_folders(created)
        msg = f"{path}: cannot write: {_file_on_the_way(folder)} is a file, not a folder"
        raise _FolderIsAFile(msg, errno.ENOTDIR) from None
    except OSError as exc:
        _remove_folders(created)
        raise _cannot_write(path, exc) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        _remove_folders(created)
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        existed = os.path.lexists(path)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        _remove_folders(created)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    writes = _GROUP.get()
    if writes is not None:
        writes.append((None if existed else path, created))
    return path


class _FolderIsAFile(OutputError, NotADirectoryError):
    """A folder on the way to an output is a file: an :class:`OutputError` (one line,
    ``Error: <path>: cannot write: <folder> is a file, not a folder``), and still the
    :class:`NotADirectoryError` it was, for callers that catch that."""


def _file_on_the_way(folder: Path) -> Path:
    """The first component of ``folder``, from its root, that exists and is not a folder
    (``keep.txt`` of ``keep.txt/rb``: ``keep.txt/rb`` does not exist); ``folder`` when
    none is (a race with another process)."""
    for f in (*reversed(folder.parents), folder):
        if f.exists() and not f.is_dir():
            return f
    return folder


def _missing_folders(folder: Path) -> list[Path]:
    """The folders ``folder.mkdir(parents=True)`` would create, deepest first."""
    out = []
    f = folder
    while not f.exists() and not f.is_symlink() and f != f.parent:
        out.append(f)
        f = f.parent
    return out


def _remove_folders(folders: list[Path]) -> None:
    """Remove the folders a failed write created (deepest first), those left empty only."""
    for f in folders:
        try:
            f.rmdir()
        except OSError:
            return


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    """The error to show for a failed write: the file asked for, not the temporary one
    ("report.txt: cannot write (Permission denied)")."""
    return OutputError(f"{path}: cannot write ({exc.strerror or exc})", exc.errno)


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (temp file + rename); return the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def same_file(a, b) -> bool:
    """Whether two paths name one file: the same resolved path, or (both existing) the same
    file through a hard link or a symbolic link (an output that would overwrite an input:
    the commands' -o, the roadbook's pages)."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
    except (OSError, RuntimeError):  # a symbolic-link loop
        pass
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one does not exist (yet)
        return False
