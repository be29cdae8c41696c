"""Checks behind the fast GPX reader, which can start before anything heavy is imported.

:func:`coursekit.gpx.read_gpx` reads regularly written track files with one regular
expression per piece of the file; that is only sound if the whole file is well-formed
XML with no comment, CDATA, DOCTYPE or processing instruction, and if the expression
captured every ``<trkpt>``, ``<ele>``, ``<time>`` and ``<trkseg>``. This module makes
those checks (expat, tag counts) piece by piece. They take about as long as the
reading itself, so on big files they run in a forked child process while the reader
goes on (two cores). It imports no numpy: ``coursekit profile`` calls :func:`start`
first, so the check also overlaps the import of numpy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["start", "take"]

CHUNK = 1 << 22
"""Bytes read at a time; a piece ends after the last ``</trkpt>`` read [bytes]."""
FORK_BYTES = 4 << 20
"""Below this file size the checks run in-process (a fork costs about a millisecond)."""
XMLDECL = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^<>]*\?>")


class GiveUp(Exception):
    """The fast path does not handle this file: use the general reader."""


def pieces(fh):
    """Cut an open file into pieces that end just after a ``</trkpt>`` (never inside a point).

    Yields ``(piece, last)``. Deterministic: the reader and the check cut the same pieces.
    """
    buf = b""
    while True:
        chunk = fh.read(CHUNK)
        buf += chunk
        if chunk:
            cut = buf.rfind(b"</trkpt>")
            if cut < 0:
                if len(buf) < 4 * CHUNK:
                    continue
                cut = buf.rfind(b">")
                if cut < 0:
                    raise GiveUp("no tag in 16 MB")
                cut += 1
            else:
                cut += 8
            piece, buf = buf[:cut], buf[cut:]
            yield piece, False
        else:
            yield buf, True
            return


def has(piece: bytes, needle: bytes) -> bool:
    """``needle in piece``, fast when its rare second byte is absent (memchr)."""
    return needle[1:2] in piece and needle in piece


def check_pieces(path: Path) -> list | None:
    """The whole-file part of the fast reader's checks, piece by piece.

    The file must be well-formed XML (expat, no callbacks, bounded memory) and have no
    comment, CDATA, DOCTYPE or processing instruction after the XML declaration. Returns,
    per piece, the counts of ``<trkpt``, ``<ele`` and ``<time`` (the last two from the
    file's first ``<trkpt``) and ``<trkseg`` (what the regular expression must have
    captured), or None for a
    piece with waypoints (the reader counts those itself); None for the whole result
    when a check fails.
    """
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    counts: list = []
    seen = False
    try:
        with open(path, "rb") as fh:
            for k, (piece, last) in enumerate(pieces(fh)):
                parser.Parse(piece, last)
                scan = piece
                if k == 0:
                    decl = XMLDECL.match(piece)
                    scan = piece[decl.end() :] if decl else piece
                if has(scan, b"<!") or has(scan, b"<?"):
                    return None
                if has(piece, b"<wpt"):
                    counts.append(None)
                    continue
                start = 0
                if not seen:
                    start = piece.find(b"<trkpt")
                    seen = start >= 0
                n_ele = piece.count(b"<ele", start) if seen else 0
                n_time = piece.count(b"<time", start) if seen else 0
                counts.append((piece.count(b"<trkpt"), n_ele, n_time, piece.count(b"<trkseg")))
    except (xml.parsers.expat.ExpatError, GiveUp, OSError, ValueError):
        return None
    return counts


class PieceCheck:
    """:func:`check_pieces` on a file, in a forked child while the reader goes on.

    The regular-expression reading and the checks (expat, tag counts) each take
    about half the time of a big file; on POSIX the checks run in a child process
    that sends its result through a pipe, so the two use two cores. Elsewhere, for
    small files or if the fork fails, :meth:`result` runs them in-process.
    """

    def __init__(self, path: Path, size: int):
        self.path = path
        self.pid = None
        self.fd = None
        if size < FORK_BYTES or not hasattr(os, "fork"):
            return
        try:
            r, w = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            return
        if pid == 0:  # child: never returns into the caller's code
            code = 2
            try:
                os.close(r)
                counts = check_pieces(path)
                text = "bad" if counts is None else repr(counts)
                data = text.encode("ascii")
                while data:
                    data = data[os.write(w, data) :]
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self) -> list | None:
        if self.pid is None:
            return check_pieces(self.path)
        import ast

        parts = []
        while block := os.read(self.fd, 1 << 16):
            parts.append(block)
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        self.pid = self.fd = None
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            return check_pieces(self.path)  # the child died: check here
        text = b"".join(parts).decode("ascii")
        return None if text == "bad" else ast.literal_eval(text)

    def cancel(self) -> None:
        if self.pid is not None:
            import signal

            try:
                os.kill(self.pid, signal.SIGKILL)
                os.close(self.fd)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = self.fd = None


_pending: dict = {}


def _key(path: Path):
    st = path.stat()
    return (str(path), st.st_size, st.st_mtime_ns)


def start(path) -> None:
    """Start checking ``path`` now (in the background for big files), for a later
    :func:`take`. Does nothing if the file cannot be read (the reader will say why)."""
    path = Path(path)
    try:
        key = _key(path)
        if not path.is_file() or key in _pending:
            return
        _pending[key] = PieceCheck(path, key[1])
    except OSError:
        return


def take(path) -> PieceCheck:
    """The check started by :func:`start` for this file (same size and time), or a new one.

    Raises OSError if the file cannot be read.
    """
    path = Path(path)
    key = _key(path)
    check = _pending.pop(key, None)
    for other in _pending.values():  # never leave a child behind
        other.cancel()
    _pending.clear()
    return check if check is not None else PieceCheck(path, key[1])
