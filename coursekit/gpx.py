"""Read GPX files into numpy arrays, and write them (with gpxpy).

The reader is a streaming parser (lxml ``iterparse``) that goes straight to
float64 arrays: it is the fast path used by every command. gpxpy stays the
reference reader (the parity test compares both on gpxpy's own corpus) and is
the writer, because its output is what watches and other tools are tested on.

Security: the parser never resolves entities, never touches the network and
refuses any ``<!DOCTYPE``/``<!ENTITY`` declaration (no GPX needs one), so
"billion laughs" and external-entity files are refused in bounded time.
"""

from __future__ import annotations

import functools
import gc
import math
import os
import re
import threading
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, compress, repeat
from pathlib import Path

import numpy as np

from . import gpxcheck  # the fast path's checks (no numpy: can start first)
from .errors import GPXError
from .gpxcheck import SKETCH_MARK, is_sketch_gpx
from .gpxcheck import GiveUp as _GiveUp
from .gpxcheck import has as _has
from .gpxcheck import pieces as _pieces

__all__ = [
    "Track",
    "Waypoint",
    "read_gpx",
    "parse_time",
    "write_gpx",
    "SKETCH_MARK",
    "is_sketch_gpx",
]

_HEAD_BYTES = 1 << 16
MAX_ABS_ELEVATION = 20_000.0
"""Elevations beyond this [m] are refused: no point on or above the Earth is there, and
values like 1e308 would make every distance and km-effort infinite."""
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Waypoint:
    """A named point of a GPX file (``<wpt>``).

    Attributes are in the GPX's own terms: ``lat``/``lon`` in degrees,
    ``elevation`` in metres (NaN when absent).
    """

    name: str
    lat: float
    lon: float
    elevation: float = math.nan
    description: str = ""
    type: str = ""
    line: int = 0


@dataclass(frozen=True, eq=False)
class Track:
    """The points of a GPX file as equal-length float64 arrays.

    Attributes
    ----------
    lat, lon : ndarray
        Position [degrees, WGS84].
    elevation : ndarray
        Altitude [m]; NaN where the file has no ``<ele>``.
    time : ndarray
        Seconds since 1970-01-01 UTC [s]; NaN where the file has no ``<time>``.
        Times written without an offset are taken as UTC (as gpxpy does).
    segment : ndarray of int
        Index of the segment each point belongs to (segment breaks are kept;
        segments of later ``<trk>`` elements continue the numbering).
    waypoints : tuple of Waypoint
    name : str
        The first track's (or route's) name, else the metadata name.
    kind : {"track", "route"}
        Where the points came from: ``<trkpt>`` if the file has any, else ``<rtept>``.
    route_points : tuple of Waypoint
        The route points that have a ``<name>`` (a planner's turns and checkpoints), in file
        order, when the points are the route's (``kind == "route"``): they are points of the
        course, found by name like the waypoints
        (:func:`coursekit.checkpoints.find_waypoint`). Empty for a track (a file's route
        beside its track may be another way).
    path : str
        The file it was read from (for messages).
    """

    lat: np.ndarray
    lon: np.ndarray
    elevation: np.ndarray
    time: np.ndarray
    segment: np.ndarray
    waypoints: tuple[Waypoint, ...] = ()
    name: str = ""
    kind: str = "track"
    path: str = ""
    metadata: dict = field(default_factory=dict)
    route_points: tuple[Waypoint, ...] = ()

    def __len__(self) -> int:
        return int(self.lat.size)

    @property
    def has_elevation(self) -> bool:
        return bool(np.isfinite(self.elevation).any())

    @property
    def has_time(self) -> bool:
        return bool(np.isfinite(self.time).any())


def _local(tag) -> str:
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    i = tag.rfind("}")
    return tag[i + 1 :] if i >= 0 else tag


_GPX_NAMESPACES = frozenset(
    ("http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/0")
)


def _gpx_local(tag, namespaces=_GPX_NAMESPACES) -> str:
    """The local name of a GPX element, or "" for an element of another namespace.

    GPX elements are those in no namespace, in the GPX 1.0 or 1.1 namespace or in
    ``namespaces`` (the general reader adds the root's, whatever it is: gpxpy
    drops the default namespace declaration and reads every unprefixed element).
    Elements of other namespaces (``<x:ele>`` in an extension) are not read, as
    gpxpy does not read them and the fast path's expressions do not see them.
    """
    if not isinstance(tag, str):
        return ""
    if tag[:1] != "{":
        return tag
    i = tag.find("}")
    return tag[i + 1 :] if tag[1:i] in namespaces else ""


def _float(text: str | None, what: str, path: str, line: int) -> float:
    if text is None:
        raise GPXError(f"{path}: line {line}: {what} is missing")
    try:
        value = float(text)
    except ValueError:
        raise GPXError(
            f"{path}: line {line}: {what} {text.strip()[:40]!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise GPXError(f"{path}: line {line}: {what} is {text.strip()!r}, not a finite number")
    return value


# The time forms gpxpy accepts (gpxpy.gpxfield.RE_TIMESTAMP): 1-2 digit fields,
# "T" or space, up to 15 fraction digits, "Z" or an offset +hh[:mm] (also U+2212).
_TIME_RE = re.compile(
    r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
    r"(\.[0-9]{1,15})?(Z|[+\-\u2212][0-9]{2}:?(?:[0-9]{2})?)?$"
)


def parse_time(text: str) -> float:
    """Parse a GPX time into seconds since the epoch (UTC) [s].

    Accepts the forms gpxpy accepts: ``YYYY-MM-DDTHH:MM:SS``, optional
    fraction (kept to the full precision written, gpxpy keeps microseconds),
    ``Z`` or an offset ``+hh:mm`` / ``+hhmm`` / ``+hh`` of less than a day. Times without an
    offset are taken as UTC. Raises ``ValueError`` when it is not such a time
    (gpxpy silently drops it; coursekit refuses it).
    """
    m = _TIME_RE.match(text.strip())
    if m is None:
        raise ValueError(f"not a GPX time: {text!r}")
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    base = datetime(y, mo, d, h, mi, sec, tzinfo=UTC).timestamp()  # validates fields
    tz = m.group(8)
    if tz and tz != "Z":
        sign = -1 if tz[0] in "-\u2212" else 1
        digits = tz[1:].replace(":", "")
        hh, mm = int(digits[:2]), int(digits[2:4] or 0)
        if hh > 23 or mm > 59:  # an offset is less than a day (as datetime's)
            raise ValueError(f"not a GPX time (offset {tz}): {text!r}")
        off = hh * 3600 + mm * 60
        base -= sign * off
    if m.group(7):  # after the offset (whole seconds, exact), as _utc_rows: one rounding
        base += float("0" + m.group(7))
    return base


_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])


def _time_form(text: bytes) -> tuple[int, int] | None:
    """``(fraction digits, offset form)`` of ``YYYY-MM-DDTHH:MM:SS[.f+][Z|+hh:mm|+hhmm|+hh]``.

    The offset form is the length of what follows the seconds and fraction: 0
    (no offset: UTC, as :func:`parse_time`), 1 (``Z``), 3 (``+hh``), 5
    (``+hhmm``) or 6 (``+hh:mm``). None for anything else.
    """
    if len(text) < 19:
        return None
    k = 19
    if text[19:20] == b".":
        k = 20
        while text[k : k + 1].isdigit():
            k += 1
        if k == 20 or k - 20 > 15:
            return None
    rest = len(text) - k
    if rest == 1 and text[k:] != b"Z":
        return None
    if rest not in (0, 1, 3, 5, 6):
        return None
    sign, colon = text[k : k + 1], text[k + 3 : k + 4] == b":"
    if rest > 1 and (sign not in (b"+", b"-") or (rest == 6) != colon):
        return None
    return (k - 20 if k > 19 else 0), rest


def _fast_utc_times(texts: list) -> np.ndarray | None:
    """Vectorised parse of ``YYYY-MM-DDTHH:MM:SS[.f+][Z|+hh:mm|+hhmm|+hh]`` (bytes).

    Every string must be written the same way as the first (same length, same
    fraction digits, same offset form; the offset itself may change, as at a
    change of summer time). Returns None when one is not (the caller then parses
    one by one). Exact: integer calendar arithmetic, no float rounding of the
    date; the same values as :func:`parse_time`.
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0)
    length = len(texts[0])
    joined = b"".join(texts)
    if len(joined) != n * length:
        return None
    return _utc_rows(np.frombuffer(joined, dtype=np.uint8).reshape(n, length))


def _utc_rows(a: np.ndarray) -> np.ndarray | None:
    """:func:`_fast_utc_times` on the texts as the rows of a uint8 matrix (n, length)."""
    n, length = a.shape
    if n == 0:
        return np.zeros(0)
    form = _time_form(a[0].tobytes())
    if form is None or length > 40:
        return None
    frac_len, tz = form
    end = length - tz  # the seconds and fraction end here
    fixed = [(4, 45), (7, 45), (10, 84), (13, 58), (16, 58)]
    if frac_len:
        fixed.append((19, 46))
    if tz == 1:
        fixed.append((end, 90))
    elif tz == 6:
        fixed.append((end + 3, 58))
    for col, ch in fixed:
        if not (a[:, col] == ch).all():
            return None
    if tz > 1 and not ((a[:, end] == 43) | (a[:, end] == 45)).all():  # + or -
        return None
    cols = [_DIGITS]
    if frac_len:
        cols.append(np.arange(20, end))
    offset_cols = {3: (1, 2), 5: (1, 2, 3, 4), 6: (1, 2, 4, 5)}.get(tz, ())
    cols.append(end + np.array(offset_cols, dtype=np.intp))
    dg = a[:, np.concatenate(cols)].astype(np.int64) - 48
    if ((dg < 0) | (dg > 9)).any():
        return None
    if tz > 1:  # an offset is less than a day, as parse_time checks
        o = dg[:, 14 + frac_len :]
        if (o[:, 0] * 10 + o[:, 1] > 23).any() or (tz > 3 and (o[:, 2] * 10 + o[:, 3] > 59).any()):
            return None
    if n > 1 and (dg[:, :8] == dg[0, :8]).all():
        # one date for every row (each piece of a recording but one across midnight):
        # that day counted once
        days = _one_day(dg[0, :8].tolist())
        if days is None:
            return None
        h = dg[:, 8] * 10 + dg[:, 9]
        mi = dg[:, 10] * 10 + dg[:, 11]
        s = dg[:, 12] * 10 + dg[:, 13]
        if (h > 23).any() or (mi > 59).any() or (s > 59).any():
            return None
        seconds = days * 86400 + h * 3600 + mi * 60 + s
        return _with_offset_and_fraction(a, dg, seconds, frac_len, tz, end)
    y = dg[:, 0] * 1000 + dg[:, 1] * 100 + dg[:, 2] * 10 + dg[:, 3]
    mo = dg[:, 4] * 10 + dg[:, 5]
    d = dg[:, 6] * 10 + dg[:, 7]
    h = dg[:, 8] * 10 + dg[:, 9]
    mi = dg[:, 10] * 10 + dg[:, 11]
    s = dg[:, 12] * 10 + dg[:, 13]
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    mdays = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(mo - 1, 0, 11)]
    mdays = mdays + ((mo == 2) & leap)
    if (
        (y < 1).any()
        or (mo < 1).any()
        or (mo > 12).any()
        or (d < 1).any()
        or (d > mdays).any()
        or (h > 23).any()
        or (mi > 59).any()
        or (s > 59).any()
    ):
        return None
    # days from civil (H. Hinnant's algorithm), proleptic Gregorian
    yy = y - (mo <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + np.where(mo > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    seconds = days * 86400 + h * 3600 + mi * 60 + s
    return _with_offset_and_fraction(a, dg, seconds, frac_len, tz, end)


def _one_day(digits: list) -> int | None:
    """Days from 1970-01-01 of the date ``YYYYMMDD`` (its 8 digits), as :func:`_utc_rows`
    counts them row by row (the same checks, the same integers); None if no such date."""
    y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]
    mo = digits[4] * 10 + digits[5]
    d = digits[6] * 10 + digits[7]
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    if y < 1 or not 1 <= mo <= 12 or d < 1:
        return None
    if d > (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[mo - 1] + (mo == 2 and leap):
        return None
    yy = y - (mo <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _with_offset_and_fraction(a, dg, seconds, frac_len: int, tz: int, end: int) -> np.ndarray:
    """The end of :func:`_utc_rows`: the UTC offset taken off, the fraction added."""
    if tz > 1:  # local time + offset: UTC = local - offset
        o = dg[:, 14 + frac_len :]
        off = (o[:, 0] * 10 + o[:, 1]) * 3600
        if tz > 3:
            off = off + (o[:, 2] * 10 + o[:, 3]) * 60
        seconds = seconds - np.where(a[:, end] == 45, -1, 1) * off
    out = seconds.astype(np.float64)
    if frac_len:  # ".fff" parsed like float() does in parse_time
        frac = np.ascontiguousarray(a[:, 19:end]).view(f"S{end - 19}").ravel()
        out += frac.astype(np.float64)
    return out


def _parse_times(texts: list, path: str, lines: list | None) -> np.ndarray:
    """Times as written (str or bytes, None/empty when absent) -> epoch seconds, NaN if absent."""
    if texts and isinstance(texts[0], bytes) and b"" not in texts:  # the usual case
        fast = _fast_utc_times(texts)
        if fast is not None:
            return fast
    out = np.full(len(texts), np.nan)
    present = [i for i, t in enumerate(texts) if t]
    if not present:
        return out
    sample = [texts[i] for i in present]
    if isinstance(sample[0], str):
        try:
            sample = [t.encode("ascii") for t in sample]
        except UnicodeEncodeError:
            sample = None
    if sample is not None and len(present) == len(texts):
        fast = _fast_utc_times([t.strip() for t in sample])
        if fast is not None:
            return fast
    for i in present:
        t = texts[i]
        if isinstance(t, bytes):
            t = t.decode("utf-8", "replace")
        if not t.strip():
            continue
        try:
            out[i] = parse_time(t)
        except (ValueError, OverflowError):
            where = f"line {lines[i]}: " if lines else ""
            raise GPXError(
                f"{path}: {where}time {t.strip()[:40]!r} is not an ISO 8601 time"
            ) from None
    return out


# ---------------------------------------------------------------- fast path
#
# Most big GPX files (watch recordings, planner exports) are written the same
# way: <trkpt lat=".." lon=".."> then <ele>, <time>, then extensions (or one of
# seven variants: lon first, single quotes, <time> before <ele>). For those
# the fast path reads the file in pieces, checks it is well-formed XML with
# expat (C, no callbacks after the header) and takes the numbers of a piece with
# numpy (_vector_columns: positions of '<' and of the quote, bulk casts; any of the
# eight forms written plainly) or else with one regular expression
# (_expression_columns). Every assumption is checked by counting tags. The checks
# (expat over the whole file, tag counts) run on big files in a forked child process
# (gpxcheck), in parallel, and the reader compares the counts when both are done; for
# files whose points start <trkpt lat=" (or lon=, or with ') the reader counts the tags
# itself (numpy counts them from the positions it has, in the same pass) and the child
# only runs expat;
# when anything is unusual (comments or CDATA among the points or hiding tags in the
# header, other attributes in <trkpt>, forms mixed in one file, prefixes, routes, entities
# in values, a bad value) it gives up and the general lxml reader reads the file, so both
# give the same Track.

_DEBUG = False
_COLUMNS = ("mark", "lat", "lon", "has_ele", "ele", "time")


@functools.cache
def _point_pattern(lon_first: bool = False, quote: bytes = b'"', time_first: bool = False):
    """The fast path's expression for one way of writing points, and its column order.

    The usual way is ``<trkpt lat="..." lon="...">`` then ``<ele>``, ``<time>``. Writers
    also put ``lon`` first, quote with ``'`` or (against the schema's order) write
    ``<time>`` before ``<ele>``: the file's first point chooses one of these eight forms,
    and a file that mixes them fails the tag counts and goes to the general reader.
    Returns ``(pattern, order)``: ``order[c]`` is the capture group (0-based) holding
    column ``_COLUMNS[c]``.
    """
    q = re.escape(quote)
    value = rb"([^" + quote + rb"<&]*)"
    lat = rb"lat=" + q + value + q
    lon = rb"lon=" + q + value + q
    ele = rb"(<ele>)([^<&]*)</ele>"
    tim = rb"<time>([^<&]*)</time>"
    attrs = lon + rb"\s+" + lat if lon_first else lat + rb"\s+" + lon
    body = (
        rb"(?:" + tim + rb"\s*)?(?:" + ele + rb")?"
        if time_first
        else rb"(?:" + ele + rb"\s*)?(?:" + tim + rb")?"
    )
    # one literal prefix "<trk" (an alternation at the top would disable re's fast scan)
    pattern = re.compile(rb"<trk(?:(seg)[\s>/]|pt\s+" + attrs + rb"\s*>\s*" + body + rb")")
    groups = ["mark", *(("lon", "lat") if lon_first else ("lat", "lon"))]
    groups += ["time", "has_ele", "ele"] if time_first else ["has_ele", "ele", "time"]
    return pattern, tuple(groups.index(c) for c in _COLUMNS)


_USUAL_FORM = (False, b'"', False)  # lat first, double quotes, <ele> before <time>
_FIRST_POINT = re.compile(rb"<trkpt\s[^>]*>")
_ELE_TIME = re.compile(rb"</ele>\s*<time>")
_TIME_ELE = re.compile(rb"</time>\s*<ele>")


def _form_of(piece: bytes) -> tuple[bool, bytes, bool]:
    """The form ``(lon_first, quote, time_first)`` of :func:`_point_pattern` in which the
    first ``<trkpt>`` of ``piece`` is written (the usual form when there is none, or when
    it is not one of the eight)."""
    m = _FIRST_POINT.search(piece)
    if m is None:
        return _USUAL_FORM
    tag = m.group()
    la, lo = tag.find(b"lat="), tag.find(b"lon=")
    quote = tag[la + 4 : la + 5] if la >= 0 else b'"'
    # <time> then <ele>: the first point with both says (the first may have neither)
    ele_time = _ELE_TIME.search(piece, m.start())
    time_ele = _TIME_ELE.search(piece, m.start())
    time_first = time_ele is not None and (ele_time is None or time_ele.start() < ele_time.start())
    return (0 <= lo < la, quote if quote in (b'"', b"'") else b'"', time_first)


_WHITESPACE = np.zeros(256, bool)
_WHITESPACE[list(b" \t\n\r\x0b\x0c")] = True  # what re's \s matches in bytes
_MAX_GAP = 40  # whitespace between a point's tags, at most [bytes] (else: the expression)


def _rows(a: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray | None:
    """The texts ``a[start[i]:stop[i]]`` as the rows of a matrix (n, longest), zero-padded.

    ``a`` is a piece's bytes followed by at least ``_MAX_GAP`` zeros. None when a
    text is longer than ``_MAX_GAP`` bytes (no number or time of the usual form is).
    """
    size = stop - start
    width = int(size.max()) if size.size else 0
    rows = a.size - _MAX_GAP + 1  # a window may start at the piece's end (width 0)
    if width > _MAX_GAP or (size < 0).any() or (size.size and start.max() >= rows):
        return None
    windows = np.lib.stride_tricks.as_strided(a, (rows, width), (1, 1), writeable=False)
    m = windows[start]
    m *= np.arange(width) < size[:, None]
    return m


def _numbers(a: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray | None:
    """The numbers written at ``a[start[i]:stop[i]]``, as ``float()`` reads them.

    numpy's cast of bytes to float64 parses each text as Python's ``float`` does
    (surrounding whitespace, ``1_0``, ``inf``: same values and same ValueError);
    the zero padding of :func:`_rows` is not part of the text (the ``S`` type
    drops trailing NULs; XML has no NUL).
    """
    m = _rows(a, start, stop)
    if m is None or (stop <= start).any():
        return None
    # a long mantissa with a large exponent ("1234567890123456789.5e300") overflows
    # with a RuntimeWarning where float() silently gives inf (refused by the caller)
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(m).view(f"S{m.shape[1]}").ravel().astype(np.float64)


def _vector_columns(piece: bytes, segment: int, start: int, form: tuple = _USUAL_FORM):
    """The fast path's columns of one piece without the expression, or None.

    Parameters
    ----------
    piece : bytes
        The piece of the file (:func:`gpxcheck.pieces`), waypoints cut out.
    segment : int
        The number of ``<trkseg>`` starts before the piece.
    start : int
        Where ``<ele>`` and ``<time>`` start to count: the file's first ``<trkpt``
        when it is in this piece, else 0.
    form : tuple
        ``(lon_first, quote, time_first)``, the way the file's first point is written
        (:func:`_form_of`, :func:`_point_pattern`).

    Returns
    -------
    tuple or None
        When every point is written as ``form`` says, plainly: ``<trkpt lat="…" lon="…">``
        (one space; ``lon`` first, ``'`` quotes as ``form`` says) then optionally
        ``<ele>…</ele>`` and ``<time>…</time>`` (``<time>`` first as ``form`` says)
        with only whitespace between the tags, the tags are found with numpy
        (positions of ``<`` and of the quote) and the numbers cast in bulk, with no
        Python object per point. What it returns is what the expression of ``form``
        captures: ``(counts, lat, lon, ele, time, seg)`` with counts ``(points, with
        <ele>, with <time>, <trkseg>)``. Those counts equal the piece's tags
        (``<trkpt``, ``<ele`` and ``<time`` from ``start``, ``<trkseg``), what
        :func:`gpxcheck.tag_counts` gives, from the same positions of ``<``. Anything
        else (another spacing, a point with an empty ``<ele>``, some points with a
        time and some without, times written in different lengths, ``&`` anywhere in
        the piece, a point in another form) returns None and the expression reads the
        piece.
    """
    lon_first, quote, time_first = form
    if b"&" in piece:
        return None
    buf = piece + bytes(_MAX_GAP)  # zeros after the piece: see _rows
    a = np.frombuffer(buf, np.uint8)
    # the 8 bytes from each position as one number (unaligned reads): a tag is
    # recognised with one comparison
    words = np.ndarray((len(piece) + _MAX_GAP - 7,), "<u8", buf, 0, (1,))  # up to 32 past

    def at(pos, text, w=None):  # where the bytes at ``pos`` (words ``w``) are ``text``
        w = words[pos] if w is None else w
        return w & _MASKS[len(text)] == int.from_bytes(text, "little")

    lt = np.flatnonzero(a == 60)  # '<'
    lt = lt[lt < len(piece)]
    lt_words = words[lt]
    late = lt >= start
    is_trk = at(lt, b"<trk", lt_words)
    trk, trk_words = lt[is_trk], lt_words[is_trk]
    is_seg = at(trk, b"<trkseg", trk_words)
    tags = (
        int(np.count_nonzero(at(trk, b"<trkpt", trk_words))),
        int(np.count_nonzero(at(lt, b"<ele", lt_words) & late)),
        int(np.count_nonzero(at(lt, b"<time", lt_words) & late)),
        int(np.count_nonzero(is_seg)),
    )
    after = a[trk + 4]
    seg_at = trk[is_seg]
    if seg_at.size:  # <trkseg followed by whitespace, '>' or '/' (as the expression)
        nxt = a[seg_at + 7]
        seg_at = seg_at[_WHITESPACE[nxt] | (nxt == 62) | (nxt == 47)]
    pt = trk[after == 112]  # 'p'
    n = pt.size
    # each point closes before the next opens (a point nested in another is read after
    # it by the general reader, which takes a point at its end): see _alternating
    close = lt[at(lt, b"</trkpt>", lt_words)]
    if close.size != n or (n and ((close <= pt).any() or (close[:-1] > pt[1:]).any())):
        return None
    if n == 0:
        counts = (0, 0, 0, seg_at.size)
        return (counts, None, None, None, None, None) if counts == tags else None
    # the start tag: <trkpt first="…" second="…"> (first, second: lat and lon, in order)
    first_name, second_name = (b"lon", b"lat") if lon_first else (b"lat", b"lon")
    if not (at(pt, b"<trkpt " + first_name[:1]) & at(pt + 8, first_name[1:] + b"=" + quote)).all():
        return None
    quotes = np.flatnonzero(a == quote[0])
    first_end = quotes[np.minimum(np.searchsorted(quotes, pt + 12), quotes.size - 1)]
    second_end = quotes[np.minimum(np.searchsorted(quotes, first_end + 7), quotes.size - 1)]
    if not (
        (first_end > pt + 12).all()
        and (second_end > first_end + 7).all()
        and at(first_end, quote + b" " + second_name + b"=" + quote).all()
        and (a[second_end + 1] == 62).all()  # '>'
    ):
        return None
    first_values = _numbers(a, pt + 12, first_end)
    second_values = _numbers(a, first_end + 7, second_end)
    if first_values is None or second_values is None:
        return None
    lat, lon = (second_values, first_values) if lon_first else (first_values, second_values)
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        return None  # (the expression then gives up on a value that is not finite)
    # the tags after each point's start tag: the k-th '<' after it
    first = np.searchsorted(lt, second_end)
    if first[-1] + 3 >= lt.size:  # the last point's tags would run past the piece
        lt = np.append(lt, np.full(4, len(piece)))

    def gap_ok(start, stop):  # only whitespace in a[start:stop]
        size = stop - start
        if not size.any():
            return True
        m = _rows(a, start, stop)
        return m is not None and bool(_WHITESPACE_OR_PAD[m].all())

    if not gap_ok(second_end + 2, lt[first]):
        return None
    # then <ele> and <time> (or <time> and <ele>), each in every point or in none; the
    # whitespace between the two tags as the expression's \s*
    ele = times = None
    n_ele = n_time = 0
    tag_at = first  # the index in lt of each point's next tag
    order = (b"time", b"ele") if time_first else (b"ele", b"time")
    for name in order:
        opening = lt[tag_at]
        present = int(np.count_nonzero(at(opening, b"<" + name + b">")))
        if present not in (0, n):
            return None
        if not present:
            continue
        closing = lt[tag_at + 1]
        tag_at = tag_at + 2
        if not at(closing, b"</" + name + b">").all():
            return None
        # (what follows the last tag the expression reads is not its business)
        if name != order[-1] and not gap_ok(closing + len(name) + 3, lt[tag_at]):
            return None
        value_at = opening + len(name) + 2
        if name == b"ele":
            ele = _numbers(a, value_at, closing)
            if ele is None or not np.isfinite(ele).all():
                return None
            n_ele = n
        else:
            size = closing - value_at
            if (size != size[0]).any():
                return None
            m = _rows(a, value_at, closing)
            times = None if m is None else _utc_rows(m)
            if times is None:
                return None
            n_time = n
    counts = (n, n_ele, n_time, seg_at.size)
    if counts != tags:
        return None
    ele = np.full(n, math.nan) if ele is None else ele
    times = np.full(n, math.nan) if times is None else times
    seg = segment + np.searchsorted(seg_at, pt)
    return counts, lat, lon, ele, times, seg


_MASKS = [(1 << (8 * k)) - 1 for k in range(9)]  # the low k bytes of a word
_WHITESPACE_OR_PAD = _WHITESPACE.copy()
_WHITESPACE_OR_PAD[0] = True  # the zero padding of _rows


# Comments/CDATA/DOCTYPE and processing instructions could hide or split tags: the
# check refuses them, except comments and CDATA in the header that hide none of the
# tags the expressions read (gpxcheck.header_ok). (<rtept> needs no check: routes are
# read only when there is no <trkpt>, and an <ele>/<time> of a route point after the
# first <trkpt> fails the counts.)
_WPT = re.compile(rb"<wpt[\s>].*?</wpt>", re.DOTALL)
_XMLNS = re.compile(rb"""\sxmlns(:[^\s=]+)?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_POINT_ANCESTORS = (b"gpx", b"trk", b"trkseg", b"trkpt")


def _declarations_ok(piece: bytes, head: _Head, root_at: int) -> bool:
    """False when a namespace declaration in ``piece`` moves elements in or out of GPX
    for the general reader where the fast path's expressions would not see it: a prefix
    bound to a GPX namespace or to the root's (``<f:ele>`` is then GPX's), a default
    namespace declared on ``<trk>``, ``<trkseg>`` or ``<trkpt>`` (their points are then
    another namespace's) or on a ``<gpx>`` that is not the root (at ``root_at``)."""
    for m in _XMLNS.finditer(piece):
        uri = m.group(2) if m.group(2) is not None else m.group(3)
        if head.root is None or b"&" in uri:
            return False
        if m.group(1):
            if uri.decode("utf-8", "replace") in head.namespaces:
                return False
            continue
        at = piece.rfind(b"<", 0, m.start())
        name = re.match(rb"<([^\s/>]*)", piece[at : m.start()])
        if at != root_at and (name is None or name.group(1) in _POINT_ANCESTORS):
            return False
    return True


def _waypoint_declarations_ok(wpt: re.Match, head: _Head) -> bool:
    """False when the waypoint ``wpt`` declares a default namespace that is not GPX's (nor
    none): the general reader, as gpxpy, does not read the elements in it (nor the
    ``<wpt>`` itself when declared there), where :func:`_waypoint`, which knows no
    namespaces, would."""
    for m in _XMLNS.finditer(wpt.group()):
        uri = m.group(2) if m.group(2) is not None else m.group(3)
        if not m.group(1) and uri and uri.decode("utf-8", "replace") not in head.namespaces:
            return False
    return True


_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_XMLDECL = gpxcheck.XMLDECL


class _Head:
    """expat callbacks for the header only: root name, metadata and first track names."""

    def __init__(self, parser):
        self.parser = parser
        self.stack: list[str] = []
        self.root = None
        self.namespaces = _GPX_NAMESPACES
        self.names: dict[str, str] = {}
        self.point_path: tuple | None = None
        self.text: list[str] | None = None
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        parser.StartDoctypeDeclHandler = self.refuse
        parser.EntityDeclHandler = self.refuse

    @staticmethod
    def refuse(*args):
        raise _GiveUp

    def start(self, tag, attrs):
        ns, _, local = tag.rpartition(" ")
        if self.text is not None:  # an element inside <name>: its text before it only
            self.names.setdefault(self.stack[-2], "".join(self.text).strip())
            self.text = None
        if self.root is None:
            self.root = local
            self.namespaces = _GPX_NAMESPACES | {ns}
            if local != "gpx":
                raise _GiveUp
        if ns and ns not in self.namespaces:
            local = ""  # not a GPX element (as the general reader)
        if local == "trkpt":
            self.point_path = tuple(self.stack)  # the first point's ancestors
            p = self.parser
            p.StartElementHandler = p.EndElementHandler = p.CharacterDataHandler = None
            return
        self.stack.append(local)
        if local == "name" and len(self.stack) == 3 and self.stack[1] in ("trk", "metadata"):
            self.text = []

    def end(self, tag):
        local = self.stack.pop()
        if self.text is not None and local == "name":
            self.names.setdefault(self.stack[-1], "".join(self.text).strip())
            self.text = None

    def data(self, text):
        if self.text is not None:
            self.text.append(text)


def _waypoint(raw: bytes, line: int, name: str) -> Waypoint:
    """Parse one ``<wpt>...</wpt>`` (UTF-8 bytes) like the general reader does."""
    import xml.parsers.expat

    p = xml.parsers.expat.ParserCreate()  # prefixes are declared on <gpx>, outside
    attrs: dict = {}
    fields: dict[str, str] = {}
    state = {"depth": 0, "child": None, "text": [], "done": False}

    def start(tag, a):
        state["depth"] += 1
        if state["depth"] == 1:
            attrs.update(a)
        elif state["depth"] == 2:
            # a prefixed child is another namespace's (the check refuses GPX prefixes)
            state["child"] = "" if ":" in tag else tag
            state["text"] = []
            state["done"] = False
        elif state["depth"] == 3:
            state["done"] = True  # lxml's .text stops at the first sub-element

    def end(tag):
        if state["depth"] == 2 and state["child"]:  # the first of each, as gpxpy
            fields.setdefault(state["child"], "".join(state["text"]).strip())
        state["depth"] -= 1

    def data(text):
        if state["depth"] == 2 and not state["done"]:
            state["text"].append(text)

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, data
    p.Parse(raw, True)
    return _make_waypoint(attrs.get("lat"), attrs.get("lon"), fields, name, line)


def _make_waypoint(lat: str | None, lon: str | None, fields: dict, name: str, line: int):
    """A :class:`Waypoint` from its attributes and child texts (both readers use this).

    Raises GPXError (file and line named) for a bad or out-of-range value; the fast
    path then hands the file to the general reader, which raises it again.
    """
    la = _float(lat, "wpt lat", name, line)
    lo = _float(lon, "wpt lon", name, line)
    if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
        raise GPXError(f"{name}: line {line}: waypoint position {la}, {lo} out of range")
    e = _float(fields["ele"], "wpt ele", name, line) if fields.get("ele") else math.nan
    return _waypoint_of(fields, la, lo, e, line)


def _waypoint_of(fields: dict, lat: float, lon: float, elevation: float, line) -> Waypoint:
    """A :class:`Waypoint` from a point's child texts (``name``, ``desc`` or else ``cmt``,
    ``type``): a ``<wpt>``, or a named ``<rtept>`` of a route."""
    return Waypoint(
        name=fields.get("name", ""),
        lat=lat,
        lon=lon,
        elevation=elevation,
        description=fields.get("desc", "") or fields.get("cmt", ""),
        type=fields.get("type", ""),
        line=line,
    )


def _count_newlines(path: Path, start: int, stop: int) -> int:
    """Newlines in bytes ``start:stop`` of a file (read again in pieces)."""
    n = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0 and (block := fh.read(min(left, gpxcheck.CHUNK))):
            n += block.count(b"\n")
            left -= len(block)
    return n


def _floats(values, keep=None) -> np.ndarray:
    """Numbers as written (bytes) -> float64, only where ``keep`` (bool array) is true."""
    if keep is not None:
        values = list(compress(values, keep))
    a = np.fromiter(map(float, values), np.float64, len(values))
    if not np.isfinite(a).all():
        raise _GiveUp
    return a


class _Columns:
    """The fast path's arrays (lat, lon, ele, time float64; seg int64), filled in place.

    One array per column, sized from the file's size, grown if needed and cut to the
    points read at the end, in place. Lists of per-piece arrays joined at the end
    held one column twice, and their small arrays, kept between the pieces' freed
    buffers, kept the heap's pages resident (with 4 MB pieces: 85 MiB above the start
    for 23 MiB of arrays on a 120 MB file).
    """

    def __init__(self):
        self.n = 0
        self.lat = self.lon = self.ele = self.time = np.empty(0)
        self.seg = np.empty(0, np.int64)

    def extend(self, n: int, expected: int) -> slice:
        """Room for ``n`` more points (``expected`` in all, a guess): where to write them."""
        start, stop = self.n, self.n + n
        if stop > self.lat.size:
            size = max(stop, expected, self.lat.size * 3 // 2)
            for k in ("lat", "lon", "ele", "time", "seg"):
                old = getattr(self, k)
                new = np.empty(size, old.dtype)  # pages never written are never resident
                new[:start] = old[:start]
                setattr(self, k, new)
        self.n = stop
        return slice(start, stop)

    def cut(self) -> None:
        """Cut the arrays to the points written, one column at a time.

        A copy of the written part (the peak grows by one column while it is made),
        not ``ndarray.resize(refcheck=False)``, which would leave any view of the old
        buffer pointing into freed memory.
        """
        for k in ("lat", "lon", "ele", "time", "seg"):
            a = getattr(self, k)
            if a.size != self.n:
                setattr(self, k, a[: self.n].copy())
            del a


_TRKSEG = re.compile(rb"<(/?)trk(seg)?(?=[\s>/])[^>]*>")
_NO_STEP = (False, False, False, False)


def _segment_steps(piece: bytes, gap: tuple | None) -> tuple | None:
    """The ``<trkseg>`` and ``<trk>`` starts and ends seen since the last point, after ``piece``.

    ``gap`` is ``(segment started, segment ended, track started, track ended)`` after the
    pieces before (None before the first point, whose segment is the first in both
    readers). The general reader numbers a point's segment by the ``<trkseg>`` *ends*
    before it, the fast path by the *starts*: the same segments when, between two points,
    a segment starts if and only if one ends (``<trkseg/>`` is both). Raises GiveUp when a
    step is only one of them: a point between segments or outside any in a track that has
    some, nested segments; or when a track ends and none starts (a ``<trkseg>`` outside a
    ``<trk>``, whose points the general reader does not read).
    """
    pos = 0
    for m in _TRKSEG.finditer(piece):
        if piece.find(b"<trkpt", pos, m.start()) >= 0:
            if gap is not None and (gap[0] != gap[1] or gap[2] != gap[3]):
                raise _GiveUp("a point outside a segment, or nested segments")
            gap = _NO_STEP
        if gap is not None:  # (before the first point: no step)
            closing, both = bool(m.group(1)), m.group().endswith(b"/>")
            k = 0 if m.group(2) else 2
            if k == 0 and not gap[1] and (both or not closing):
                # a segment (<trkseg/> too) starting inside the point's own: nested, none
                # of the file's for the general reader (as gpxpy)
                raise _GiveUp("nested segments")
            step = [*gap]
            step[k] = gap[k] or not closing or both
            step[k + 1] = gap[k + 1] or closing or both
            gap = tuple(step)
        pos = m.end()
    if piece.find(b"<trkpt", pos) >= 0:
        if gap is not None and (gap[0] != gap[1] or gap[2] != gap[3]):
            raise _GiveUp("a point outside a segment, or nested segments")
        gap = _NO_STEP
    return gap


def _alternating(piece: bytes) -> bool:
    """True when each ``<trkpt`` of ``piece`` is closed before the next one opens.

    The general reader takes a point at its end tag, the expressions at its start tag:
    a point nested in another (well-formed XML) is read in another order. A piece ends
    just after a ``</trkpt>`` (:func:`gpxcheck.pieces`): one ``</trkpt>`` after each
    ``<trkpt``, and as many ``</trkpt>`` as ``<trkpt``, is the usual alternation.
    """
    if b"<trkpt" not in piece:
        return b"</trkpt>" not in piece
    parts = piece.split(b"<trkpt")
    return piece.count(b"</trkpt>") == len(parts) - 1 and all(
        map(bytes.__contains__, parts[1:], repeat(b"</trkpt>"))
    )


def _expression_columns(piece: bytes, form: tuple, segment: int, name: str):
    """The fast path's columns of one piece, read with the expression of ``form``.

    Returns what :func:`_vector_columns` returns (``lat`` ... ``seg`` None when the
    piece has no point); raises :class:`_GiveUp` for a value that is not finite.
    """
    pattern, order = form
    ms = pattern.findall(piece)
    if not ms:
        return (0, 0, 0, 0), None, None, None, None, None
    # the columns of the captures: slices of one flat list (zip(*ms) makes
    # the same six tuples about three times slower)
    flat = list(chain.from_iterable(ms))
    mark, la, lo, has_e, e, t = (flat[c::6] for c in order)
    del flat
    n_mark = len(mark) - mark.count(b"")
    keep = None
    seg = segment
    if n_mark:  # <trkseg> boundaries in this piece
        is_mark = np.array([bool(x) for x in mark])
        keep = ~is_mark
        seg = segment + np.cumsum(is_mark)[keep]
        e = [x for x, m in zip(e, mark, strict=True) if not m]
        t = [x for x, m in zip(t, mark, strict=True) if not m]
        has_e = [x for x, m in zip(has_e, mark, strict=True) if not m]
    n = len(e)
    n_ele = n - has_e.count(b"")
    n_time = n - t.count(b"")
    counts = (n, n_ele, n_time, n_mark)
    if not n:
        return counts, None, None, None, None, None
    if n_ele == n and all(e):
        ele = _floats(e)
    else:  # some points without <ele> or with an empty one: NaN
        given = [float(x) for x in e if x.strip()]
        if not np.isfinite(given).all():
            raise _GiveUp  # the general reader names the point
        ele = [float(x) if x.strip() else math.nan for x in e]
    return counts, _floats(la, keep), _floats(lo, keep), ele, _parse_times(list(t), name, None), seg


def _read_fast(path: Path, name: str, max_points: int) -> Track | None:
    """Read a regularly written track file quickly, or return None (see above)."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    head = _Head(parser)  # the header only (names); the whole file: gpxcheck
    try:
        check = gpxcheck.take(path)
    except OSError as exc:
        raise GPXError(f"{name}: cannot read ({exc.strerror})") from None
    out = _Columns()
    captured: list = []  # per piece: what the expression captured, for the check's counts
    total = 0
    segment = 0
    # waypoint line numbers: newlines in the file's first `counted` bytes; the pieces
    # before a waypoint are counted only when one comes (no cost on a plain track)
    lines = counted = offset = 0
    waypoints: list[Waypoint] = []
    form = None  # how points are written (the first <trkpt> says)
    written = _USUAL_FORM  # ... as (lon_first, quote, time_first): _vector_columns reads
    self_counting = False  # the check leaves the counts to the reader (reader_counts)
    gap = None  # <trkseg> starts and ends since the last point (see _segment_steps)
    try:
        with open(path, "rb") as fh:
            ident = gpxcheck.identity(os.fstat(fh.fileno()))
            file_size = ident[2]
            for k, (piece, _last) in enumerate(_pieces(fh)):
                if parser.StartElementHandler is not None:  # until the first <trkpt>
                    parser.Parse(piece, False)
                if k == 0:
                    decl = _XMLDECL.match(piece)
                    enc = _ENCODING.search(decl.group()) if decl else None
                    if enc and enc.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii"):
                        raise _GiveUp("encoding")
                size, offset = len(piece), offset + len(piece)
                # 'x' and 'g': absent from the points of a watch without extensions
                if _has(piece, b"xmlns", 0):
                    root_at = piece.find(b"<gpx") if k == 0 else -1
                    if not _declarations_ok(piece, head, root_at):
                        raise _GiveUp("a namespace declaration the expressions cannot follow")
                has_wpt = _has(piece, b"<wpt")
                if has_wpt:
                    if counted < offset - size:
                        lines += _count_newlines(path, counted, offset - size)
                    counted = offset
                    kept, pos = [], 0
                    for m in _WPT.finditer(piece):
                        if b"<trk" in m.group():  # a point or segment the cut would drop
                            raise _GiveUp("<trk in a waypoint")
                        if b"xmlns" in m.group() and not _waypoint_declarations_ok(m, head):
                            raise _GiveUp("a default namespace declared in a waypoint")
                        line = lines + piece.count(b"\n", 0, m.start()) + 1
                        waypoints.append(_waypoint(m.group(), line, name))
                        kept.append(piece[pos : m.start()])
                        pos = m.end()
                    kept.append(piece[pos:])
                    lines += piece.count(b"\n")
                    piece = b"".join(kept)
                    if b"<wpt" in piece:
                        raise _GiveUp("wpt count")
                if gap != _NO_STEP or _has(piece, b"trkseg", 5):  # <trkseg or </trkseg
                    gap = _segment_steps(piece, gap)
                # the tag counts of a piece the check does not count are made here (`own`:
                # a piece with waypoints, on what is left; every piece when reader_counts
                # says so); <ele> and <time> count from the file's first <trkpt>
                start = 0
                if form is None:
                    first = piece.find(b"<trkpt")
                    start = first if first >= 0 else len(piece)
                    if first >= 0:
                        if head.point_path != ("gpx", "trk", "trkseg"):
                            raise _GiveUp("the first point is not in <gpx><trk><trkseg>")
                        written = _form_of(piece)
                        form = _point_pattern(*written)
                        self_counting = gpxcheck.reader_counts(piece, first)
                own_counts = has_wpt or self_counting
                cols = _vector_columns(piece, segment, start, written)
                if cols is None:
                    if not _alternating(piece):
                        raise _GiveUp("a point inside a point")
                    cols = _expression_columns(piece, form or _point_pattern(), segment, name)
                    own = gpxcheck.tag_counts(piece, start) if own_counts else None
                else:  # _vector_columns checked its counts against the piece's tags
                    own = cols[0] if own_counts else None
                counts, lat, lon, ele, tim, seg = cols
                captured.append((counts, own))
                segment += counts[3]
                n = counts[0]
                if not n:
                    continue
                total += n
                if total > max_points:
                    raise GPXError(f"{name}: more than {max_points:,} points (refused)")
                # room for as many points per byte in the rest of the file as so far, and
                # a quarter more (never written, never resident) rather than a copy to grow
                at = out.extend(n, min(total * file_size // offset * 5 // 4 + 1, max_points))
                out.lat[at] = lat
                out.lon[at] = lon
                out.ele[at] = ele
                out.time[at] = tim
                out.seg[at] = seg
        checked = check.result()
        if checked is None:
            raise _GiveUp("not well-formed, comment/CDATA past the header, DOCTYPE/PI, GPX prefix")
        checked_ident, counts = checked
        if checked_ident != ident or len(counts) != len(captured):
            raise _GiveUp("the file changed between the check and the reading")
        for theirs, (mine, own) in zip(counts, captured, strict=True):
            if (own or theirs) != mine:
                raise _GiveUp(f"counts {own or theirs} != captured {mine}")
    except (_GiveUp, xml.parsers.expat.ExpatError, ValueError, LookupError, GPXError) as exc:
        check.cancel()
        if _DEBUG:
            print(f"fast path gave up on {name}: {exc!r}")
        if isinstance(exc, GPXError) and "points (refused)" in str(exc):
            raise
        return None
    except OSError as exc:
        check.cancel()
        raise GPXError(f"{name}: cannot read ({exc.strerror})") from None
    except BaseException:
        check.cancel()
        raise
    if total == 0 or head.root != "gpx":
        return None
    out.cut()
    lat, lon, ele, tim, seg = out.lat, out.lon, out.ele, out.time, out.seg
    if lat.min() < -90 or lat.max() > 90 or lon.min() < -180 or lon.max() > 180:
        return None  # the general reader names the line
    # segments are non-decreasing: renumber 0..k-1 in place, without sorting, as the
    # running sum of the steps stored in the column (np.cumsum(steps, out=seg[1:])
    # would first copy the bool steps to a whole int64 column)
    steps = seg[1:] != seg[:-1]
    seg[0] = 0
    seg[1:] = steps
    np.cumsum(seg, out=seg)
    return Track(
        lat=lat,
        lon=lon,
        elevation=ele,
        time=tim,
        segment=seg,
        waypoints=tuple(waypoints),
        name=head.names.get("trk") or head.names.get("metadata", ""),
        kind="track",
        path=name,
    )


class _GCPause:
    """Pause the cyclic garbage collector while the fast path reads (a context manager).

    The fast path makes ~7 Python objects per point (captures), none in a cycle: the
    cyclic collector, triggered by their number, would only walk them (about 15 % of
    a 100k-point read). The collector's switch is process-wide: overlapping reads (in
    threads) share one pause, the first in records whether the collector was on and
    the last out switches it back on. (Each read saving ``gc.isenabled()`` and
    restoring it could leave it off for good: a read starting inside another saw it
    off, and switched it off after the other had switched it on again.)
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self._was_on = False

    def __enter__(self):
        with self._lock:
            if self._inside == 0:
                self._was_on = gc.isenabled()
                gc.disable()
            self._inside += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._was_on:
                gc.enable()
        return False

    def _after_fork_in_child(self):
        """A child forked during a read has no reader inside: the collector as before."""
        self._lock = threading.Lock()
        if self._inside:
            self._inside = 0
            if self._was_on:
                gc.enable()


_GC_PAUSE = _GCPause()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_GC_PAUSE._after_fork_in_child)


def read_gpx(path, *, max_points: int = 20_000_000) -> Track:
    """Read a GPX 1.0 or 1.1 file into a :class:`Track`.

    Parameters
    ----------
    path : str or Path
        The GPX file.
    max_points : int, default 20,000,000
        Refuse files with more track or route points than this (bounded memory).

    Returns
    -------
    Track

    Raises
    ------
    GPXError
        The file is missing, not XML, not GPX, has no points, or a point has a
        missing or out-of-range coordinate. The message names file and line.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise GPXError(f"{name}: no such file")
    if path.is_dir():
        raise GPXError(f"{name}: is a directory, not a GPX file")
    if not path.is_file():
        raise GPXError(f"{name}: not a regular file (a device or a pipe), not a GPX file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise GPXError(f"{name}: cannot read ({exc.strerror})") from None
    if not head.strip():
        raise GPXError(f"{name}: empty file, not GPX")
    if _DTD.search(head):
        raise GPXError(f"{name}: DOCTYPE/ENTITY declarations are not allowed in GPX (refused)")

    with _GC_PAUSE:
        track = _read_fast(path, name, max_points)
    if track is None:
        track = _read_lxml(path, name, max_points)
    ele = track.elevation  # two comparisons: no float temporary as large as the column
    bad = np.flatnonzero((ele > MAX_ABS_ELEVATION) | (ele < -MAX_ABS_ELEVATION))
    if bad.size:
        i = int(bad[0])
        raise GPXError(
            f"{name}: point {i + 1}: elevation {track.elevation[i]:g} m out of range "
            f"[-{MAX_ABS_ELEVATION:g}, {MAX_ABS_ELEVATION:g}] m"
        )
    return track


_TOML_MAX_BYTES = 1 << 20
"""Largest file :func:`_not_xml_kind` reads as TOML to say what it is [bytes]."""


def _not_xml_kind(path: Path) -> str | None:
    """What a file that is not XML is, when it is plainly one of coursekit's TOML inputs.

    Called only on the XML error path (the fast path never reads the file twice). A
    file that opens with ``<`` is broken XML, not TOML: None. Else the file (at most
    :data:`_TOML_MAX_BYTES`) is parsed as TOML and named by its keys: a course file
    (``gpx`` and ``start``), an event file (``courses``), a places file (``places``),
    any other TOML; None when it is not TOML either.
    """
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = fh.read(_TOML_MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > _TOML_MAX_BYTES or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(raw, dict) or not raw:
        return None
    if "gpx" in raw and "start" in raw:
        gpx = raw["gpx"] if isinstance(raw["gpx"], str) else None
        track = f"; its track is {gpx!r}" if gpx else ""
        return (
            "a course file (TOML), not GPX: give it to `coursekit legs`, `cutoffs`, `check` "
            f"or `roadbook` (`coursekit profile` reads a GPX{track})"
        )
    if "courses" in raw:
        return "an event file (TOML), not GPX: give it to `coursekit event`"
    if "places" in raw:
        return "a places file (TOML), not GPX: give it to `coursekit sketch`"
    return "a TOML file, not GPX"


_PLACES = {
    "trkpt": ("trkseg", "trk"),
    "trkseg": ("trk",),
    "rtept": ("rte",),
    "rte": (),
}
"""Where a GPX element is one of the file's: its ancestors from its parent up to the root
``<gpx>`` (excluded), as the schema places them and gpxpy reads them (child by child
from the root). (A ``<wpt>`` is still read wherever it is, as the fast path cuts it out.)"""


def _in_place(elem, ancestors: tuple, ns) -> bool:
    """True when ``elem``'s ancestors are ``ancestors`` (GPX elements, parent first) then the
    root: a ``<trkpt>`` in a ``<trkseg>`` in a ``<trk>`` of the ``<gpx>``, not one in an
    extension or in a ``<trk>`` without ``<trkseg>``."""
    up = elem.getparent()
    for tag in ancestors:
        if up is None or _gpx_local(up.tag, ns) != tag:
            return False
        up = up.getparent()
    return up is not None and up.getparent() is None


def _read_lxml(path: Path, name: str, max_points: int) -> Track:
    """The general reader: lxml ``iterparse``, any valid GPX, errors with line numbers."""
    from lxml import etree

    lat, lon, ele = array("d"), array("d"), array("d")
    seg = array("l")
    times: list = []
    lines: list = []
    trk_pts: list = [lat, lon, ele, seg, times, lines]
    rte_pts: list = [array("d"), array("d"), array("d"), array("l"), [], []]
    waypoints: list[Waypoint] = []
    rte_named: list[Waypoint] = []  # route points with a <name>
    names: dict[str, str] = {}
    segment = 0
    route = 0
    nan = math.nan
    n_points = 0
    misplaced = 0  # <trkpt> elements outside <gpx><trk><trkseg>, not read

    tags = ("{*}trkpt", "{*}rtept", "{*}wpt", "{*}trkseg", "{*}rte", "{*}name")
    ns = None  # the namespaces whose elements are GPX's (set at the first element)
    fh = None
    try:
        fh = open(path, "rb")  # noqa: SIM115 (closed in finally, also on errors)
        context = etree.iterparse(
            fh,
            events=("end",),
            tag=tags,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
        )
        for _, elem in context:
            if ns is None:  # the first element ended: its root's namespace is GPX's too
                top = elem
                while (up := top.getparent()) is not None:
                    top = up
                root_tag = top.tag if isinstance(top.tag, str) else ""
                ns = _GPX_NAMESPACES | {
                    root_tag[1 : root_tag.find("}")] if root_tag[:1] == "{" else ""
                }
            tag = _gpx_local(elem.tag, ns)
            if tag in _PLACES and not _in_place(elem, _PLACES[tag], ns):
                # a point, route or segment elsewhere (in an extension, a <trkpt> in a
                # <trk> without <trkseg>) is none of the file's, as gpxpy reads it
                if tag == "trkpt":
                    misplaced += 1
                continue
            if tag == "trkpt" or tag == "rtept":
                n_points += 1
                if n_points > max_points:
                    raise GPXError(f"{name}: more than {max_points:,} points (refused)")
                line = elem.sourceline or 0
                la = _float(elem.get("lat"), "lat", name, line)
                lo = _float(elem.get("lon"), "lon", name, line)
                if not -90.0 <= la <= 90.0:
                    raise GPXError(f"{name}: line {line}: latitude {la} out of range [-90, 90]")
                if not -180.0 <= lo <= 180.0:
                    raise GPXError(f"{name}: line {line}: longitude {lo} out of range [-180, 180]")
                e = nan
                t = None
                seen_ele = seen_time = False  # the first of each is read, as gpxpy does
                texts: dict = {}  # a route point's name, desc, cmt, type (the first of each)
                for child in elem:
                    ct = child.tag
                    if not isinstance(ct, str):
                        continue
                    if tag == "rtept" and ct.endswith(("name", "desc", "cmt", "type")):
                        texts.setdefault(_gpx_local(ct, ns), (child.text or "").strip())
                    if not seen_ele and ct.endswith("ele") and _gpx_local(ct, ns) == "ele":
                        seen_ele = True
                        text = child.text
                        if text is not None and text.strip():
                            e = _float(text, "ele", name, line)
                    elif not seen_time and ct.endswith("time") and _gpx_local(ct, ns) == "time":
                        seen_time = True
                        if child.text is not None and child.text.strip():
                            t = child.text
                if texts.get("name"):
                    rte_named.append(_waypoint_of(texts, la, lo, e, line))
                dest = trk_pts if tag == "trkpt" else rte_pts
                dest[0].append(la)
                dest[1].append(lo)
                dest[2].append(e)
                dest[3].append(segment if tag == "trkpt" else route)
                dest[4].append(t)
                dest[5].append(line)
            elif tag == "wpt":
                line = elem.sourceline or 0
                fields = {}
                for c in elem:  # the first of each, as gpxpy
                    fields.setdefault(_gpx_local(c.tag, ns), (c.text or "").strip())
                fields.pop("", None)
                waypoints.append(
                    _make_waypoint(elem.get("lat"), elem.get("lon"), fields, name, line)
                )
            elif tag == "trkseg":
                segment += 1
                continue  # children already consumed; clear below
            elif tag == "name":
                parent = elem.getparent()
                ptag = _gpx_local(parent.tag, ns) if parent is not None else ""
                if ptag in ("trk", "rte", "metadata") and ptag not in names:
                    names[ptag] = (elem.text or "").strip()
                continue  # a <wpt>'s name is read with the <wpt>
            elif tag == "rte":
                route += 1
            # free memory: the element and everything before it
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None and tag in ("trkpt", "rtept", "wpt"):
                while elem.getprevious() is not None:
                    del parent[0]
        root = context.root
    except etree.XMLSyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc).split("\n")[0]
        where = f"line {exc.lineno}" if getattr(exc, "lineno", None) else "line ?"
        # libxml2 ends its message with the position too: say it once, in front
        at = re.search(r",? line (\d+), column (\d+)$", msg)
        if at:
            msg, where = msg[: at.start()], f"line {at[1]}, column {at[2]}"
        what = _not_xml_kind(path)
        if what:
            raise GPXError(f"{name}: {what}") from None
        raise GPXError(f"{name}: not valid XML ({where}: {msg})") from None
    except UnicodeDecodeError as exc:
        raise GPXError(f"{name}: bad text encoding ({exc.reason})") from None
    except OSError as exc:
        raise GPXError(f"{name}: cannot read ({exc})") from None
    finally:
        if fh is not None:
            fh.close()

    if root is None or _local(root.tag) != "gpx":
        got = _local(root.tag) if root is not None else "none"
        raise GPXError(f"{name}: not a GPX file (root element is <{got}>, expected <gpx>)")

    kind = "track"
    pts = trk_pts
    if len(lat) == 0:
        if len(rte_pts[0]) == 0:
            where = (
                f" ({misplaced:,} <trkpt> outside <gpx><trk><trkseg>: not read)"
                if misplaced
                else ""
            )
            raise GPXError(f"{name}: no track or route points{where}")
        pts = rte_pts
        kind = "route"
    la = np.frombuffer(pts[0], dtype=np.float64).copy()
    lo = np.frombuffer(pts[1], dtype=np.float64).copy()
    el = np.frombuffer(pts[2], dtype=np.float64).copy()
    sg = np.asarray(pts[3], dtype=np.int64)
    if sg.size:
        # renumber so that segments are 0..k-1 in order of appearance (empty ones vanish)
        _, sg = np.unique(sg, return_inverse=True)
    tm = _parse_times(pts[4], name, pts[5])
    track_name = names.get("trk" if kind == "track" else "rte") or names.get("metadata", "")
    return Track(
        lat=la,
        lon=lo,
        elevation=el,
        time=tm,
        segment=sg.astype(np.int64),
        waypoints=tuple(waypoints),
        name=track_name,
        kind=kind,
        path=name,
        route_points=tuple(rte_named) if kind == "route" else (),
    )


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""The characters XML 1.0 does not allow in a document (tab, LF and CR it does)."""


def _xml_text(text: str | None) -> str | None:
    """``text`` with the characters XML 1.0 forbids replaced, so that a GPX written with it
    can be read back: C0 controls (a vertical tab pasted from a spreadsheet) become a space,
    lone surrogates and U+FFFE/U+FFFF the replacement character U+FFFD."""
    if not text:
        return text
    return _XML_FORBIDDEN.sub(lambda m: " " if m.group() < " " else "\ufffd", text)


def write_gpx(
    path,
    lat,
    lon,
    elevation=None,
    *,
    name: str = "",
    description: str = "",
    waypoints=(),
    creator: str = "coursekit",
) -> None:
    """Write one track (and waypoints) as GPX 1.1 with gpxpy, atomically.

    Parameters
    ----------
    path : str or Path
        Output file; written to a temporary file in the same folder then renamed,
        so a failure never leaves a partial file nor destroys an existing one.
    lat, lon, elevation : array_like
        Track points [degrees, degrees, m]; NaN elevations are left out.
    waypoints : iterable of Waypoint

    Notes
    -----
    Characters XML 1.0 forbids in the texts (names, descriptions, types, creator) are
    replaced: C0 control characters by a space, lone surrogates and U+FFFE/U+FFFF by
    U+FFFD (course files refuse them; this keeps any caller's GPX readable).
    """
    import gpxpy.gpx

    name = _xml_text(name)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = _xml_text(creator)
    gpx.name = name or None
    gpx.description = _xml_text(description) or None
    trk = gpxpy.gpx.GPXTrack(name=name or None)
    gpx.tracks.append(trk)
    seg = gpxpy.gpx.GPXTrackSegment()
    trk.segments.append(seg)
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ele = np.full(lat.shape, np.nan) if elevation is None else np.asarray(elevation, dtype=float)
    for la, lo, e in zip(lat.tolist(), lon.tolist(), ele.tolist(), strict=True):
        seg.points.append(
            gpxpy.gpx.GPXTrackPoint(
                round(la, 7), round(lo, 7), elevation=None if math.isnan(e) else round(e, 1)
            )
        )
    for w in waypoints:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                round(w.lat, 7),  # as the track points: 1 cm, not every float digit
                round(w.lon, 7),
                elevation=None if math.isnan(w.elevation) else round(w.elevation, 1),
                name=_xml_text(w.name),
                description=_xml_text(w.description) or None,
                type=_xml_text(w.type) or None,
            )
        )
    from .io import atomic_write_text

    atomic_write_text(path, gpx.to_xml(version="1.1"))
