"""Checks behind the fast GPX reader, which can start before anything heavy is imported.

:func:`coursekit.gpx.read_gpx` reads regularly written track files piece by piece,
with numpy or one regular expression per piece; that is only sound if the whole file
is well-formed XML with no DOCTYPE or processing instruction, no comment or CDATA
among the points (the header may have harmless ones, :func:`header_ok`), and if the
reader captured every ``<trkpt>``, ``<ele>``, ``<time>`` and ``<trkseg>``. This module
makes those checks (expat, tag counts) piece by piece; the tags are counted here or,
for points written ``<trkpt lat="`` (or ``lon`` first, or with ``'``; see
:func:`reader_counts`), by the reader. On big files the checks run in a forked child
process while the reader goes on (two cores).
It imports no numpy: ``coursekit profile`` calls :func:`start` first, so the check
also overlaps the import of numpy.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

__all__ = ["start", "take", "SKETCH_MARK", "is_sketch_gpx"]

SKETCH_MARK = "coursekit sketch (schematic)"
"""Text ``coursekit sketch`` writes in a GPX's creator and description: a track through
places, not a surveyed route (:func:`is_sketch_gpx`)."""


def is_sketch_gpx(path) -> bool:
    """True when the GPX file was written by ``coursekit sketch`` (its header says so)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return SKETCH_MARK.encode() in head


CHUNK = 1 << 18
"""Bytes read at a time; a piece ends after the last ``</trkpt>`` read [bytes].

The reader holds a piece's buffers and its regular-expression captures (~300 bytes
of Python objects per point) on top of the arrays read so far: 256 KB pieces keep
that to a few MB, and are also the fastest (in cache; a 100k-point recording reads
in 0.20 s, 0.22 s with 1 MB pieces, 0.23 s with 4 MB). A piece with no ``</trkpt>``
is cut at a ``>`` after 4 x CHUNK: more than 1 MB of waypoints in a row can make
the fast path hand over to the general reader."""
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
                    raise GiveUp(f"no tag in {4 * CHUNK} bytes")
                cut += 1
            else:
                cut += 8
            piece, buf = buf[:cut], buf[cut:]
            yield piece, False
        else:
            yield buf, True
            return


def has(piece: bytes, needle: bytes, rare: int = 1) -> bool:
    """``needle in piece``, fast when its rare byte (``needle[rare]``, the second by
    default) is absent: a one-byte search is a memchr, where a search for the whole
    needle steps through the piece about a byte at a time (0.1 ms per 256 KB piece)."""
    return needle[rare : rare + 1] in piece and needle in piece


def identity(st: os.stat_result) -> tuple:
    """What tells one version of a file from another (device, inode, size, times)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# a prefix bound to the GPX namespace (<g:trkpt>): the reader's expressions assume none
_GPX_PREFIX = re.compile(rb"xmlns:[\w.-]+\s*=\s*[\"']http://www\.topografix\.com/GPX/")


# what a comment or CDATA section in the header must not contain: the reader's
# expressions would take a point, segment or waypoint written inside it
_HIDDEN_TAGS = (b"<trk", b"</trk", b"<wpt", b"</wpt", b"<rte", b"<ele", b"<time", b"<gpx")


def header_ok(head: bytes) -> bool:
    """True if every ``<!`` in ``head`` (the file before its first ``<trkpt``) opens a
    comment or CDATA section that closes in ``head`` and hides no tag of the reader's.

    Exporters write a comment (``<!-- Created by ... -->``) or a CDATA description in
    the header; elsewhere (between points) comments and CDATA still send the file to
    the general reader. DOCTYPE and processing instructions are always refused.
    """
    pos = head.find(b"<!")
    while pos >= 0:
        if head.startswith(b"<!--", pos):
            close, skip = head.find(b"-->", pos + 4), 4
        elif head.startswith(b"<![CDATA[", pos):
            close, skip = head.find(b"]]>", pos + 9), 9
        else:
            return False
        if close < 0:
            return False
        body = head[pos + skip : close]
        if b"<" in body and any(tag in body for tag in _HIDDEN_TAGS):
            return False
        pos = head.find(b"<!", close + 3)
    return True


def tag_counts(piece: bytes, start: int, seen: bool = True) -> tuple:
    """Counts of ``<trkpt``, ``<ele`` and ``<time`` (from ``start``, the first
    ``<trkpt`` of the file, when the piece holds it; none before it), ``<trkseg``."""
    n_ele = piece.count(b"<ele", start) if seen else 0
    n_time = piece.count(b"<time", start) if seen else 0
    return piece.count(b"<trkpt"), n_ele, n_time, piece.count(b"<trkseg")


def reader_counts(piece: bytes, first: int) -> bool:
    """True when the reader counts the tags itself, from the piece holding the file's
    first ``<trkpt`` (at ``first``) on: the points start ``<trkpt lat="`` (or ``lon``
    first, or ``'`` quotes), as those the reader takes with numpy, which counts the tags
    for it in the same pass (see ``coursekit.gpx._vector_columns``); the check then only
    checks the XML."""
    return piece.startswith(_COUNTED_STARTS, first)


_COUNTED_STARTS = (b'<trkpt lat="', b"<trkpt lat='", b'<trkpt lon="', b"<trkpt lon='")


def check_pieces(path: Path) -> tuple | None:
    """The whole-file part of the fast reader's checks, piece by piece.

    The file must be well-formed XML (expat, no callbacks, bounded memory), have no
    DOCTYPE or processing instruction after the XML declaration, no comment or CDATA
    after its first ``<trkpt`` (before it, see :func:`header_ok`), and bind no prefix
    to the GPX namespace. Returns ``(identity, counts)``: the :func:`identity` of the
    file read, and per piece the counts of ``<trkpt``, ``<ele`` and ``<time`` (the last
    two from the file's first ``<trkpt``) and ``<trkseg`` (what the regular expression
    must have captured), or None for a piece with waypoints and, when
    :func:`reader_counts` says so, for every piece from the first point on (the
    reader counts those itself). None when a check fails.
    """
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    counts: list = []
    seen = False
    counting = True  # until the first point says the reader counts (reader_counts)
    try:
        with open(path, "rb") as fh:
            ident = identity(os.fstat(fh.fileno()))
            for k, (piece, last) in enumerate(pieces(fh)):
                parser.Parse(piece, last)
                lo = 0
                if k == 0:
                    decl = XMLDECL.match(piece)
                    lo = decl.end() if decl else 0
                start = 0
                was_seen = seen
                if not seen:
                    start = piece.find(b"<trkpt")
                    seen = start >= 0
                    start = max(start, 0)
                    head = piece[lo:start] if seen else piece[lo:]
                    if has(head, b"<?") or (has(head, b"<!") and not header_ok(head)):
                        return None
                    lo = start if seen else len(piece)
                scan = piece[lo:] if lo else piece
                if has(scan, b"<!") or has(scan, b"<?"):
                    return None
                if b"topografix.com/GPX" in piece and _GPX_PREFIX.search(piece):
                    return None
                if seen and not was_seen:  # decided once, on the first point
                    counting = not reader_counts(piece, start)
                if has(piece, b"<wpt") or not counting:
                    counts.append(None)
                    continue
                counts.append(tag_counts(piece, start, seen))
    except (xml.parsers.expat.ExpatError, GiveUp, OSError, ValueError):
        return None
    return ident, counts


_FORK = sys.platform.startswith("linux") and os.environ.get("COURSEKIT_NO_FORK", "") in ("", "0")


class PieceCheck:
    """:func:`check_pieces` on a file, in a forked child while the reader goes on.

    The regular-expression reading and the checks (expat, tag counts) each take
    about half the time of a big file; on Linux the checks run in a child process
    that sends its result through a pipe, so the two use two cores. Elsewhere (no
    fork, or macOS where forking without exec is discouraged), with the
    environment variable ``COURSEKIT_NO_FORK=1``, for small files or if the fork
    fails, :meth:`result` runs them in-process.
    """

    def __init__(self, path: Path, size: int):
        self.path = path
        self.pid = None
        self.fd = None
        if size < FORK_BYTES or not _FORK:
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
            try:
                code = 2
                os.close(r)
                result = check_pieces(path)
                data = (repr(result) + "\nend").encode("ascii")
                while data:
                    data = data[os.write(w, data) :]
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self) -> tuple | None:
        """What :func:`check_pieces` returns (waits for the child)."""
        if self.pid is None:
            return check_pieces(self.path)
        import ast

        parts = []
        try:
            while block := os.read(self.fd, 1 << 16):
                parts.append(block)
        finally:
            os.close(self.fd)
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:  # SIGCHLD ignored, or reaped elsewhere
                pass
            self.pid = self.fd = None
        text = b"".join(parts).decode("ascii", "replace")
        if not text.endswith("\nend"):
            return check_pieces(self.path)  # the child died before answering: check here
        return ast.literal_eval(text[: -len("\nend")])

    def cancel(self) -> None:
        if self.pid is not None:
            import signal

            for step in (
                lambda: os.kill(self.pid, signal.SIGKILL),
                lambda: os.close(self.fd),
                lambda: os.waitpid(self.pid, 0),
            ):
                try:
                    step()
                except OSError:  # already gone, or reaped elsewhere
                    pass
            self.pid = self.fd = None


_pending: dict = {}


def _key(path: Path):
    return (str(path), *identity(path.stat()))


def start(path) -> None:
    """Start checking ``path`` now (in the background for big files), for a later
    :func:`take`. Does nothing if the file cannot be read (the reader will say why).

    A check that is never taken keeps its finished child process (a zombie) and a
    pipe until the next :func:`take` or the end of the process.
    """
    path = Path(path)
    try:
        key = _key(path)
        if not path.is_file() or key in _pending:
            return
        _pending[key] = PieceCheck(path, key[3])
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
    return check if check is not None else PieceCheck(path, key[3])
