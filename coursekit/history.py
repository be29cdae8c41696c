"""Past split times: reading, column mapping, backtest of barriers, calibration.

Split-time CSV layout (LiveTrail exports, ../shared/realdata/*_times.csv):
``bib,status,category,sex`` then one column per checkpoint holding the ISO 8601
date and time of the passage (empty when not passed; a date alone, a clock time
alone or an elapsed time is an error naming the line and column). Fields are
separated by commas, or by semicolons or tabs when those give the header its
``bib`` and ``status`` columns (:data:`DELIMITERS`). The file is UTF-8 (a byte-order
mark allowed); one that is not is read as a spreadsheet writes it, UTF-16 after its
byte-order mark (Excel's "Unicode text") or Windows-1252 (Excel's "CSV" on a
Western-European Windows), with a warning naming the encoding; anything else is
refused naming the line and byte. The names of these four
columns ignore case (``Bib``, ``STATUS``); a ``bib`` or ``status`` column twice
is an error. Columns of runners' details (:data:`TEXT_COLUMNS`: ``name``,
``country``, ``club`` ... as in LiveTrail's own exports) are ignored, with a
warning naming them, unless one of their cells holds a passage time (a relay's
``Team`` change-over): then they are a checkpoint's. Every other column is a
checkpoint's, and one that holds no time, nor anything that looks like a date or a
time, in any row while others do is refused as a column ("not a checkpoint's times:
remove it"); a column of dates alone, or of one cell with a typo, names that cell.
Two checkpoint columns of the same name with case and spaces ignored (``Lac``,
``lac``) are an error. Columns are joined by *name*,
never by position: they are not always in course order. A header field without a
name (a spreadsheet's empty columns, ``Finish,,``) is no checkpoint's: dropped
when every row leaves it empty, an error naming the line and field when one holds
anything. Every row has the header's number of fields (trailing empty ones
excepted, and those of the header's last fields without a name), the file at least one
runner (a file that ends without a line break inside a passage time written as the beginning of
its column's others, ``...T07:45`` where they read ``...T07:45:00+02:00``, was cut short:
an error naming the line; a last value left empty is a passage not timed, as anywhere),
and each status is one of :data:`STATUSES` (case, spaces, hyphens and accents
ignored; :data:`STATUS_ALIASES`: ``DNF``, ``Abandon``, ``Arrivée``, ``Hors délai``...):
anything else is an error naming the line (the physical line the row begins on, a
quoted value may span lines). A runner who did not start (``DNS``, :data:`NOT_STARTED`)
is neither a finisher nor a starter: his row is left out, times included (a chip read in
the start pen must not move the first wave's gun, nor count him as passing a barrier),
with a warning.

Elapsed times are measured from the first wave's start in the start column
(:func:`start_origin`: the earliest start, unless one or two stray cells lie well before
the rest of a large field, so that a chip read before the gun moves nothing;
:func:`early_start_note` names such rows), not from the UTC offsets written in the file:
some exports carry a wrong offset (Templiers 2023 says +00:00 for local +02:00);
durations are unaffected. Times written without a UTC offset are local times of the
``tz`` given to :func:`read_times` (the course's time zone), read as UTC without one (a
warning says so).

Mapping checkpoints (course file) to columns, in this order, first match wins:

1. an explicit mapping given by the user (``{checkpoint name: column}``);
2. the same name (case and spaces ignored);
3. the checkpoint's GPX waypoint name, same rule;
4. the words of one name contained in the other's (accents and punctuation
   ignored, any script: ``Cresse`` / ``La Cresse``, ``Lac`` / ``Lac (km 12)``);
   numbers in the shorter name must be exactly the longer's (``Aid 2``
   never matches ``Aid 3 (km 2)``); only when that pairs
   one checkpoint with one column and nothing else;
5. the column is the checkpoint's name cut short word by word (LiveTrail's
   10-character short names: ``Ecole  Bel`` for ``Ecole Bellemène``, ``Sen.
   Scout`` for ``Sentier Scout``; :func:`looks_like`), one-to-one only as in 4;
6. by order, only when the file has exactly one column per checkpoint row,
   every checkpoint matched by rules 1-5 sits at its own column's position and
   at least one intermediate checkpoint is among them (so the order is confirmed
   by the names that do match; the start and finish alone confirm nothing).

No fuzzy matching: look-alike names (``MASSABIAU`` / ``Massebiau``) are
different places. A start or finish row left unmapped may then be given the
column the times say (:func:`timed_ends`), never one that looks like an
intermediate checkpoint's (:func:`looks_like`, truncated names included:
``Ecole  Bel`` for ``Ecole Bellemène``).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .clock import hm
from .errors import HistoryError, OptionError

__all__ = [
    "SplitTimes",
    "read_times",
    "map_columns",
    "timed_ends",
    "looks_like",
    "backwards_note",
    "swapped_message",
    "elapsed_matrix",
    "start_origin",
    "early_start_note",
    "origin_column",
    "STRAY_START_GAP",
    "STRAY_START_SHARE",
    "STRAY_START_MAX",
    "Backtest",
    "backtest",
    "FINISHER",
    "OUT_OF_TIME",
    "NOT_STARTED",
    "RUNNING_STATUSES",
    "STATUSES",
    "STATUS_ALIASES",
    "backwards_passages",
    "unused_columns_note",
    "calibrate",
    "CALIBRATE_BOUNDS",
    "calibrate_notes",
    "CALIBRATE_LAMBDA",
    "CALIBRATE_MIN_EFFECT",
    "CALIBRATE_MIN_TIMES",
    "implausible_passages",
    "implausible_note",
    "misfit_notes",
    "unfit_message",
    "fit_checks",
    "COLUMN_REMEDY",
    "MISFIT_SPEED",
    "MISFIT_SPREAD",
    "DELIMITERS",
    "FIXED_COLUMNS",
    "TEXT_COLUMNS",
    "times_zone",
    "naive_note",
]

FIXED_COLUMNS = ("bib", "status", "category", "sex")
"""Header names of the runner columns (case ignored: ``Bib``, ``STATUS``)."""
TEXT_COLUMNS = (
    "name",
    "firstname",
    "lastname",
    "surname",
    "country",
    "nationality",
    "club",
    "team",
    "gender",
)
"""Header names of columns holding runners' details, not a checkpoint's times
(LiveTrail's own exports have ``name`` and ``country``): ignored, with a warning naming
them, unless a cell holds a passage time (a relay's ``Team`` change-over): such a column
is a checkpoint's. Case, spaces, dots, hyphens and underscores are ignored (``First
name``, ``last_name``)."""
FINISHER = "FINISHER"
OUT_OF_TIME = "OUT_OF_TIME"  # eliminated by a barrier
NOT_STARTED = "DID_NOT_START"
RUNNING_STATUSES = ("ON_RACE",)
STATUSES = (
    FINISHER,
    "WITHDRAWN",
    OUT_OF_TIME,
    "DISQUALIFIED",
    "UNRANKED",
    "STOPPED_BY_ORGANIZATION",
    *RUNNING_STATUSES,
    NOT_STARTED,
)
"""Statuses of a split-time CSV (LiveTrail's, as in ../shared/realdata, and
:data:`NOT_STARTED`); case, spaces, hyphens and accents are ignored (``Out of time``,
``out-of-time``), and :data:`STATUS_ALIASES` are read as the status they stand for.
Anything else is an error naming the row. A runner who did not start is neither a finisher
nor a starter: :func:`read_times` leaves his row out (and any time it holds), with a
warning."""
STATUS_ALIASES = {
    "FINISHED": FINISHER,
    "ARRIVE": FINISHER,  # arrivé
    "ARRIVEE": FINISHER,  # arrivée
    "ABANDON": "WITHDRAWN",
    "ABANDONNE": "WITHDRAWN",  # abandonné
    "ABANDONNEE": "WITHDRAWN",  # abandonnée
    "ABD": "WITHDRAWN",
    "DNF": "WITHDRAWN",
    "DID_NOT_FINISH": "WITHDRAWN",
    "HORS_DELAI": OUT_OF_TIME,  # hors délai(s): stopped by a barrier
    "HORS_DELAIS": OUT_OF_TIME,
    "TIMED_OUT": OUT_OF_TIME,
    "DSQ": "DISQUALIFIED",
    "DISQUALIFIE": "DISQUALIFIED",  # disqualifié
    "DISQUALIFIEE": "DISQUALIFIED",  # disqualifiée
    "DNS": NOT_STARTED,
    "NON_PARTANT": NOT_STARTED,
}
"""Other spellings of the statuses, English and French as timing exports and
spreadsheets write them (case, spaces, hyphens and accents ignored: ``Arrivée``,
``hors-délai``)."""


@dataclass(frozen=True, eq=False)
class SplitTimes:
    """Split times of one race.

    Attributes
    ----------
    path : Path
    bib, status : tuple of str
        Per runner.
    columns : tuple of str
        Checkpoint columns, as in the file header (stripped).
    time : ndarray, shape (runners, columns)
        Passage times as POSIX seconds from the written offsets (NaN when empty).
    warnings : tuple of str
    naive : int
        Number of times written without a UTC offset (localised in ``tz`` of
        :func:`read_times`, else read as UTC).
    """

    path: Path
    bib: tuple
    status: tuple
    columns: tuple
    time: np.ndarray
    warnings: tuple
    naive: int = 0

    @property
    def finisher(self) -> np.ndarray:
        return np.array([s == FINISHER for s in self.status], dtype=bool)

    def column(self, name: str) -> int:
        return self.columns.index(name)


def _unaccented(text: str) -> str:
    """``text`` without its accents (``Arrivé`` -> ``Arrive``)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _parse_status(text: str, path, line: int) -> str:
    import re

    raw = text.strip()
    st = re.sub(r"[\s_-]+", "_", _unaccented(raw).upper())
    st = STATUS_ALIASES.get(st, st)
    if st in STATUSES:
        return st
    what = f"unknown status {raw!r}" if raw else "empty status"
    raise HistoryError(
        f"{path}: line {line}, column 'status': {what}; expected one of "
        f"{', '.join(STATUSES)} (case, spaces, hyphens and accents ignored; also "
        f"{', '.join(STATUS_ALIASES)})"
    )


def _parse_time(text: str, path, line: int, col: str, tz=None, naive=None, fold1=None) -> float:
    """POSIX seconds of an ISO 8601 time; one without a UTC offset is a wall time in
    ``tz`` (UTC without one) and is counted in ``naive`` (a one-element list). A wall time
    that ``tz`` repeats or skips (a DST change) is read with ``fold=0`` (the first
    occurrence, the offset before the change); its ``fold=1`` reading is appended to
    ``fold1`` (NaN for every other time), for :func:`_resolve_folds`."""
    text = text.strip()
    alt = math.nan
    if not text:
        if fold1 is not None:
            fold1.append(alt)
        return math.nan
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(
            f"{path}: line {line}, column {col!r}: not an ISO 8601 time: {text!r}{_hint(text)}"
        ) from None
    wrong = _no_clock(text)
    if wrong:  # a date alone was read as midnight
        raise HistoryError(f"{path}: line {line}, column {col!r}: {wrong}: {text!r}")
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz or dt.UTC)
        if naive is not None:
            naive[0] += 1
        if t.replace(fold=1).utcoffset() != t.utcoffset():
            alt = t.replace(fold=1).timestamp()
    if fold1 is not None:
        fold1.append(alt)
    return t.timestamp()


def _hint(text: str) -> str:
    """How to write ``text``, a value that is no ISO 8601 time, when it looks like a
    clock or elapsed time (``27:15:02``) or a day/month/year date (``20/10/2023 04:00``),
    the two forms spreadsheets write; else nothing."""
    import re

    if re.fullmatch(r"\d+:\d{2}(?::\d{2}(?:[.,]\d+)?)?", text):
        return (
            " (a clock or elapsed time without its date: write each passage's date and time, "
            "2023-10-20T05:00:00+02:00)"
        )
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T]+(\d{1,2}:\d{2}(?::\d{2})?))?", text)
    if m:
        a, b, y, clock = m.groups()
        order, (d, mo) = ("month/day/year", (b, a)) if int(b) > 12 else ("day/month/year", (a, b))
        return (
            f" ({order}? write year-month-day and the time: {y}-{int(mo):02d}-{int(d):02d} "
            f"{clock.zfill(len(clock) + 1) if clock and clock[1] == ':' else clock or 'HH:MM'})"
        )
    return ""


def _no_clock(text: str) -> str | None:
    """What is wrong with an ISO 8601 text that :meth:`datetime.datetime.fromisoformat`
    accepts but that is not a passage time, or None: it must have a time of day after its
    date (calendar ``2023-10-20``, ``20231020`` or week ``2023-W42-5``, ``2023W425``),
    separated by ``T`` or a space (ISO 8601, RFC 3339). fromisoformat reads a date alone
    as midnight, and any character as the separator (``2023-10-20+02:00`` is 02:00)."""
    if len(text) > 11 and text[4] == "-" and text[7] == "-" and text[10] in "Tt ":
        return None  # the usual 2023-10-20T05:00:00+02:00, on the fast path
    import re

    m = re.match(r"\d{4}(?:-\d{2}-\d{2}|-W\d{2}-\d|-W\d{2}|W\d{3}|W\d{2}|\d{4})", text)
    rest = text[m.end() :] if m else text
    if len(rest) > 1 and rest[0] in "Tt ":
        return None
    if re.fullmatch(r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?", rest):
        return "a date without a time"
    return "not an ISO 8601 time"


def _resolve_folds(time: np.ndarray, fold1: np.ndarray) -> tuple[int, int]:
    """Wall times at a DST change, in place: an ambiguous one (the hour repeated when the
    clocks go back: ``fold1`` later than ``time``) takes its second occurrence when the
    first would put it before the runner's previous passage, in the file's column order
    (the course order in the usual layout; a file whose columns are in another order keeps
    the first occurrence where no earlier column is later). Returns (ambiguous,
    nonexistent): the counts of such times (a nonexistent one, in the hour skipped when
    the clocks go forward, keeps the offset before the change)."""
    amb = np.isfinite(fold1) & (fold1 > time)
    gap = np.isfinite(fold1) & (fold1 < time)
    for i in np.flatnonzero(amb.any(axis=1)):
        prev = -math.inf
        for c in range(time.shape[1]):
            v = time[i, c]
            if not math.isfinite(v):
                continue
            if amb[i, c] and v < prev:
                time[i, c] = v = fold1[i, c]
            prev = max(prev, v)
    return int(amb.sum()), int(gap.sum())


MAX_CSV_BYTES = 256 * 1024 * 1024
"""Largest split-time CSV read [bytes] (a 10,000-runner race is a few MB)."""


def read_times(path, *, tz=None) -> SplitTimes:
    """Read a split-time CSV (layout in the module docstring).

    Parameters
    ----------
    path : str or Path
    tz : datetime.tzinfo, optional
        Time zone of the times written without a UTC offset (the course's:
        ``ZoneInfo(course.timezone)``). Without one they are read as UTC, and
        a warning says so. A wall time repeated by a DST change is read as the
        occurrence after the runner's previous passage; a warning counts the
        repeated and the skipped ones.

    Raises
    ------
    HistoryError
        Missing file, text neither UTF-8 nor UTF-16 (after its byte-order mark) nor
        Windows-1252, missing ``bib``/``status`` columns (or either twice), no runners, a
        row whose number of fields is not the header's (trailing empty fields excepted), a
        value in a column without a name, a file cut short inside its last value, a
        status not in :data:`STATUSES`, bad timestamps (a date without a time among
        them), a checkpoint column holding no time while others do, two checkpoint
        columns of the same name with case and spaces ignored.
    """
    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, a device or a pipe
        raise HistoryError(f"{path}: not a regular file (expected a split-time CSV)")
    if path.is_file() and path.stat().st_size > MAX_CSV_BYTES:
        raise HistoryError(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MB: not a split-time CSV")
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
        with path.open("rb") as raw:  # a file cut short ends without a line break
            raw.seek(max(path.stat().st_size - 1, 0))
            ended = raw.read(1) in (b"", b"\n", b"\r")
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read split times: {exc.strerror}") from None
    try:
        with fh:
            return _read_text(path, fh, tz, ended)
    except UnicodeDecodeError:
        pass
    except csv.Error as exc:
        raise HistoryError(f"{path}: not a readable CSV file ({exc})") from None
    text, encoding = _decode_spreadsheet(path)
    try:
        st = _read_text(path, io.StringIO(text, newline=""), tz, text[-1:] in ("", "\n", "\r"))
    except csv.Error as exc:
        raise HistoryError(f"{path}: not a readable CSV file ({exc})") from None
    return dataclasses.replace(
        st,
        warnings=(
            f"not UTF-8: read as {encoding} (as a spreadsheet saves it); check the "
            "names, or save the file as UTF-8",
        )
        + st.warnings,
    )


def _read_text(path: Path, fh, tz, ended: bool) -> SplitTimes:
    """:func:`read_times` on the text stream ``fh`` of ``path``."""
    first = fh.readline()
    d = _delimiter(first)
    rows = csv.reader(itertools.chain([first] if first else [], fh), delimiter=d)
    return _read_rows(path, rows, tz, d, ended=ended)


def _decode_spreadsheet(path: Path) -> tuple:
    """The text of ``path``, not UTF-8, and its encoding's name, when a spreadsheet wrote
    it: UTF-16 with a byte-order mark (Excel's "Unicode text"), or Windows-1252 (Excel's
    "CSV" on a Western-European Windows). Anything else, a file with NUL bytes, bytes
    Windows-1252 leaves undefined, or UTF-8 accents beside bytes that are not UTF-8 (two
    encodings in one file: neither reading is right), is refused naming the first byte
    that is not UTF-8.
    """
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise HistoryError(
                f"{path}: not UTF-16 text after its UTF-16 byte-order mark ({exc.reason} at "
                f"byte {exc.start:,}); save it as UTF-8"
            ) from None
    nor = " (it holds NUL bytes: UTF-16 without a byte-order mark?)" if b"\x00" in data else ""
    # UTF-8 accents beside the bytes that are not: two encodings in one file (rows of a
    # spreadsheet pasted under an export), which no single reading gets right
    # (a UTF-8 byte-order mark alone: says UTF-8, but nothing in the text does)
    body_bytes = data.removeprefix(b"\xef\xbb\xbf")
    body = body_bytes.decode("utf-8", "replace")
    if not nor and any(127 < ord(c) != 0xFFFD for c in body):
        nor = ", though other accents in it are UTF-8: two encodings in one file?"
    if not nor:
        try:
            return body_bytes.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as exc:
            at = exc.start + len(data) - len(body_bytes)
            nor = f", nor Windows-1252 (byte 0x{data[at]:02X} {_at(data, at)})"
    where = _not_utf8(path)
    raise HistoryError(f"{path}: not UTF-8 text ({where}){nor}; save it as UTF-8")


def _not_utf8(path: Path) -> str:
    """Where ``path`` is not UTF-8: the reason, line and byte (from the file's start; the
    text stream's error counts from the chunk it was decoding)."""
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{exc.reason} {_at(data, exc.start + bom)}"
    return "undecodable"


def _at(data: bytes, at: int) -> str:
    """``at line L, byte B`` for the offset ``at`` of ``data`` (lines ended by LF, or by
    CR in a file without LF)."""
    head = data[:at]
    line = head.count(b"\n") + 1 if b"\n" in data else head.count(b"\r") + 1
    return f"at line {line}, byte {at:,}"


DELIMITERS = (",", ";", "\t")
"""Field separators of a split-time CSV, tried in this order on the header: the first
that gives it a ``bib`` and a ``status`` column is the file's (a spreadsheet saved
with a comma as decimal mark writes ``;``)."""


_SEPARATOR = {",": "comma", ";": "semicolon", "\t": "tab"}


def _delimiter(header: str) -> str:
    """The first of :data:`DELIMITERS` that splits ``header`` into fields with ``bib``
    and ``status``; a comma when none does (the error then names the missing column)."""
    split = {}
    for d in DELIMITERS:
        try:
            split[d] = {f.strip().casefold() for f in next(csv.reader([header], delimiter=d), [])}
        except csv.Error:
            continue
        if {"bib", "status"} <= split[d]:
            return d
    # neither gives both: the separator that finds one of them, so that the error names
    # the column really missing (a ';' header with 'bib' but no 'status' was read on
    # commas and said "no 'bib' column")
    for d, fields in split.items():
        if fields & {"bib", "status"} and len(fields) > 1:
            return d
    return ","


def _looks(header: list, delimiter: str = ",") -> str:
    """What a one-field header looks like when split on a semicolon or a tab (the fields
    that separator gives), for the error that it has no ``bib`` or ``status`` column; a
    header already split on one of them shows its fields."""
    if len(header) > 1 and delimiter in DELIMITERS[1:]:
        shown = ", ".join(repr(f) for f in header[:4]) + (", ..." if len(header) > 4 else "")
        return f" (the header looks {_SEPARATOR[delimiter]}-separated: {shown})"
    if len(header) != 1:
        return ""
    for d in DELIMITERS[1:]:
        fields = [f.strip() for f in header[0].split(d)]
        if len(fields) > 1:
            shown = ", ".join(repr(f) for f in fields[:4]) + (", ..." if len(fields) > 4 else "")
            return f" (the header looks {_SEPARATOR[d]}-separated: {shown})"
    return ""


def _key(name: str) -> str:
    """A header name as :data:`TEXT_COLUMNS` are written: casefolded, without spaces,
    dots, hyphens and underscores."""
    import re

    return re.sub(r"[\s._-]+", "", name.casefold())


def _count_words(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _bibs(bibs: list, shown: int = 10) -> str:
    more = f" and {len(bibs) - shown} more" if len(bibs) > shown else ""
    return ", ".join(bibs[:shown]) + more


def _is_time(text: str) -> bool:
    """Whether ``text`` is a passage time :func:`_parse_time` reads (not empty)."""
    try:
        return math.isfinite(_parse_time(text, "", 0, ""))
    except HistoryError:
        return False


def _looks_timed(text: str) -> bool:
    """Whether ``text`` looks like a date or a time, readable or not: a passage time, any
    text :meth:`datetime.datetime.fromisoformat` accepts (a date alone: ``2023-10-20``),
    an ISO date with a typo or a wrong separator (``2023-10-20T25:00``,
    ``2023-10-20_04:00``), a day/month/year date, or a clock or elapsed time
    (``05:00``, ``1:23:45``). A city, a rank or a name does not."""
    import re

    t = text.strip()
    if not t:
        return False
    try:
        dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        return True
    except ValueError:
        pass
    return bool(
        re.match(r"\d{4}-?(?:\d{2}-|W\d)|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", t)
        or re.search(r"\d:\d{2}", t)
    )


def _not_times(exc, path, line, i, row, header, tcols, times, rows) -> HistoryError:
    """The error for the cell of column ``i`` in ``row`` that ``_parse_time`` refused
    (``exc``): the cell's, unless no cell of its column holds a time, nor anything that
    looks like a date or a time (:func:`_looks_timed`; the rows read, ``times``, this
    ``row`` and those left in ``rows``), while other columns hold times: then the column
    is no checkpoint's (a runner's city, rank...), and the error says so. A column of
    dates alone, or a rarely passed checkpoint's only cell with a typo, names the cell; so
    does a file whose every column is in another format (clock times only,
    dd/mm/yyyy)."""
    k = tcols.index(i)
    if any(math.isfinite(t[k]) for t in times):
        return exc
    rest = [r for r in rows if len(r) > max(tcols)]
    if any(_looks_timed(r[i]) for r in [row, *rest]):
        return exc
    others = [j for j in tcols if j != i]
    if not (
        any(math.isfinite(v) for t in times for v in t)
        or any(_is_time(r[j]) for r in [row, *rest] for j in others)
    ):
        return exc
    return HistoryError(
        f"{path}: column {header[i]!r} is not a checkpoint's times (no row holds one; line "
        f"{line}: {row[i].strip()!r}): remove it (every column but bib, status, category, "
        f"sex and runners' details, {', '.join(TEXT_COLUMNS)}, is a checkpoint's passage "
        "times)"
    )


def _refuse_duplicates(path, header, cols) -> None:
    """A :class:`HistoryError` when two checkpoint columns ``cols`` (header indices) have
    the same name with case and spaces ignored, as the checkpoints are matched to them
    (``Lac`` and ``lac``: one of the two would be read for the checkpoint, silently)."""
    by: dict[str, list[int]] = {}
    for i in cols:
        by.setdefault(_norm(header[i]), []).append(i)
    dup = [at for at in by.values() if len(at) > 1]
    if not dup:
        return
    told = "; ".join(
        " and ".join(repr(header[i]) for i in at) + f" (fields {', '.join(str(i + 1) for i in at)})"
        for at in dup
    )
    raise HistoryError(
        f"{path}: duplicate checkpoint columns {told}, the same name with case and spaces "
        "ignored: keep one, or rename it"
    )


def _form(text: str) -> str:
    """How a value is written: its digits as ``9`` (``2023-10-20T07:45`` ->
    ``9999-99-99T99:99``)."""
    import re

    return re.sub(r"\d", "9", text.strip())


def _refuse_cut(path, line: int, col: str, text: str, others: dict) -> None:
    """A :class:`HistoryError` when ``text``, the last value of a file that ends without a
    line break, is written as the beginning of the other values of its column (``others``:
    ``{form: a value}``) and like none of them: the file was cut short inside it
    (``...T07:45:00+02:00`` cut to ``...T07:45:00``, ``...T07`` still reads as a time, and
    a wrong one). An empty value tells nothing (a passage not timed), and is read so; nor
    does one written without the seconds or fraction of a second of the others
    (``...T07:45`` among ``...T06:00:30``, ``...T07:45:00`` among ``...T06:00:00.250``:
    a cell typed by hand, a fraction written only when there is one)."""
    import re

    f = _form(text)
    if not f or f in others:
        return
    # a time of day written to the minute, the second or a fraction of it, where the others
    # go on with seconds or a fraction only (no offset): a coarser cell, not a cut (a cut
    # there would lose less than a minute)
    coarse = re.search(r"99:99(:99(\.9*)?)?$", f) is not None
    longer = [
        v
        for g, v in others.items()
        if g.startswith(f) and not (coarse and re.fullmatch(r"[9:.]*", g[len(f) :]))
    ]
    if longer:
        raise HistoryError(
            f"{path}: line {line}, column {col!r}: the file ends inside this value, "
            f"{text.strip()!r}, where the column's others are written like {longer[0]!r} (a "
            "truncated file? export it again)"
        )


def _read_rows(path: Path, rows, tz=None, delimiter: str = ",", *, ended=True) -> SplitTimes:
    """A :class:`SplitTimes` from the CSV ``rows`` of ``path`` (header first); ``ended``:
    whether the file ends with a line break (if not, its last value may be cut short:
    :func:`_refuse_cut`)."""
    warnings = []
    try:
        header = [h.strip() for h in next(rows)]
    except StopIteration:
        raise HistoryError(f"{path}: empty file, expected a header row") from None
    keys = [h.casefold() for h in header]
    for need in ("bib", "status"):
        if need not in keys:
            raise HistoryError(
                f"{path}: header has no {need!r} column{_looks(header, delimiter)} (a "
                "split-time file "
                f"needs 'bib' and 'status' ({', '.join(STATUSES)}); every other column but "
                f"'category', 'sex' and runners' details ({', '.join(TEXT_COLUMNS)}) is a "
                "checkpoint's passage times)"
            )
        at = [k for k, h in enumerate(keys) if h == need]
        if len(at) > 1:  # the second was ignored: which one is the runner's?
            raise HistoryError(
                f"{path}: header has {len(at)} {need!r} columns (fields "
                f"{', '.join(str(k + 1) for k in at)}): keep one"
            )
    # columns named as runners' details are read like the others, but a cell that is no
    # time is no error there: the column is a checkpoint's only if a cell holds a time (a
    # relay's "Team" change-over), and ignored otherwise
    details = {
        i for i, h in enumerate(header) if keys[i] not in FIXED_COLUMNS and _key(h) in TEXT_COLUMNS
    }
    # fields without a name (a spreadsheet's empty columns: "Finish,,"): no checkpoint's,
    # dropped; a row may stop before them, and one holding a value there is an error
    unnamed = [i for i, h in enumerate(header) if not h]
    named = max((i for i, h in enumerate(header) if h), default=-1) + 1
    tcols = [i for i, h in enumerate(keys) if h and h not in FIXED_COLUMNS]
    _refuse_duplicates(path, header, [i for i in tcols if i not in details])
    held: dict[int, int] = {}  # a details column: the first line holding a time
    bad: dict[int, HistoryError] = {}  # ... its first cell that is no time
    held_naive = dict.fromkeys(details, 0)

    def detail_time(i, text, line):
        n, f = [0], []
        try:
            v = _parse_time(text, path, line, header[i], tz, n, f)
        except HistoryError as exc:
            bad.setdefault(i, exc)
            v, f = math.nan, [math.nan]
        if math.isfinite(v):
            held.setdefault(i, line)
            held_naive[i] += n[0]
        fold1.extend(f)
        return v

    ib, ist = keys.index("bib"), keys.index("status")
    bibs, status, times = [], [], []
    extra = 0
    naive = [0]
    fold1: list[float] = []
    seen: dict[str, int] = {}
    absent: list[str] = []  # bibs of the runners who did not start
    absent_timed: list[str] = []  # ... whose row holds times anyway
    # line numbers are physical lines, where the record begins (a quoted value may span
    # lines: counting records put every later error a line early)
    end = getattr(rows, "line_num", 1)
    line = end
    # how the values of a full row's last column are written ({form: a value}), for a file
    # that ends without a line break: its last value may be cut short (_refuse_cut); not
    # gathered for a file that ends with one (nearly all: a regex per row saved)
    last = named - 1
    forms: dict[str, str] = {}
    final = None  # the row read last: (line, row)
    for row in rows:
        line, end = end + 1, getattr(rows, "line_num", end + 1)
        if not ended and final is not None and len(final[1]) > last and final[1][last].strip():
            forms.setdefault(_form(final[1][last]), final[1][last].strip())
        final = None
        if not row or all(not c.strip() for c in row):
            continue
        final = (line, row)
        if len(row) < named or any(c.strip() for c in row[len(header) :]):
            raise HistoryError(
                f"{path}: line {line}: {len(row)} fields, expected {len(header)} as in the "
                f"header (a truncated row, or a {_SEPARATOR[delimiter]} inside an unquoted "
                "value?)"
            )
        if len(row) > len(header):
            extra += 1  # trailing empty fields (a comma at the end of the row)
        for i in unnamed:
            if i < len(row) and row[i].strip():
                raise HistoryError(
                    f"{path}: line {line}: field {i + 1} has no name in the header but holds "
                    f"{row[i].strip()!r}: name the column after its checkpoint, or empty it"
                )
        # one row per runner: a bib twice (two exports pasted together, a chip re-imported)
        # counted the runner twice in every share, median and fit
        bib = row[ib].strip()
        if not bib:
            raise HistoryError(f"{path}: line {line}, column 'bib': empty bib (one row per runner)")
        if bib in seen:
            raise HistoryError(
                f"{path}: line {line}: bib {bib!r} already on line {seen[bib]} (one row per "
                "runner: two exports pasted together?)"
            )
        seen[bib] = line
        st = _parse_status(row[ist], path, line)
        if st == NOT_STARTED:
            # neither a finisher nor a starter: his times (a chip read in the start pen)
            # must not move the first wave's gun nor count him as passing a barrier
            absent.append(bib)
            if any(_is_time(row[i]) if i in details else row[i].strip() for i in tcols):
                absent_timed.append(bib)
            continue
        bibs.append(bib)
        status.append(st)
        cells = []
        for i in tcols:
            if i in details:
                cells.append(detail_time(i, row[i], line))
                continue
            try:
                cells.append(_parse_time(row[i], path, line, header[i], tz, naive, fold1))
            except HistoryError as exc:
                raise _not_times(exc, path, line, i, row, header, tcols, times, rows) from None
        times.append(cells)
    for i in sorted(held):
        if i in bad:  # a details column holding times: a checkpoint's, its bad cell an error
            raise HistoryError(
                f"{bad[i]} (column {header[i]!r} holds a time on line {held[i]}: read as a "
                "checkpoint's passage times)"
            )
        naive[0] += held_naive[i]
    ignored = [i for i in sorted(details) if i not in held]
    # a file without a final line break: its last value cut short, if a checkpoint's time
    # (a bib, status or runner's details beginning like another row's is no cut time)
    timed = last in tcols and last not in ignored
    if not ended and timed and final is not None and len(final[1]) == named:
        _refuse_cut(path, final[0], header[last], final[1][last], forms)
    if ignored:
        warnings.append(
            f"column{'s' if len(ignored) > 1 else ''} "
            f"{', '.join(repr(header[i]) for i in ignored)} ignored: runners' details, not "
            "checkpoints' passage times"
        )
    keep = [k for k, i in enumerate(tcols) if i not in ignored]
    cols = [tcols[k] for k in keep]
    if held:
        _refuse_duplicates(path, header, cols)
    names = [header[i] for i in cols]
    if absent:
        timed = (
            f"; the times of bib{'s' if len(absent_timed) > 1 else ''} "
            f"{_bibs(absent_timed)} ignored"
            if absent_timed
            else ""
        )
        warnings.append(
            f"{_count_words(len(absent), 'runner')} did not start ({NOT_STARTED}), left out: "
            f"bib{'s' if len(absent) > 1 else ''} {_bibs(absent)}{timed}"
        )
    if not bibs:
        if absent:
            raise HistoryError(f"{path}: no runners: every row is a runner who did not start")
        raise HistoryError(f"{path}: no runners: only a header row, expected one row per runner")
    if extra:
        warnings.append(
            f"{extra} rows have more fields than the header, all empty; extra fields ignored"
        )
    arr = np.array(times, dtype=float).reshape(len(times), len(tcols))[:, keep]
    if naive[0] and tz is None:
        aware = int(np.isfinite(arr).sum()) - naive[0]
        warnings.append(
            f"{naive[0]} times have no UTC offset: read as UTC (no time zone given), while "
            f"the file's other {aware} times have one: elapsed times between the two are off "
            "by that offset"
            if aware
            else f"{naive[0]} times have no UTC offset: read as UTC (no time zone given); "
            "elapsed times from a start column are unaffected"
        )
    folds = np.array(fold1, dtype=float).reshape(len(times), len(tcols))[:, keep]
    amb, gap = _resolve_folds(arr, folds)
    if amb or gap:
        parts = []
        if amb:
            parts.append(
                f"{amb} fall in the hour repeated when the clocks go back (each read as the "
                "occurrence after the runner's previous passage)"
            )
        if gap:
            parts.append(
                f"{gap} fall in the hour skipped when the clocks go forward (read with the "
                "offset before the change)"
            )
        warnings.append(
            f"of the {naive[0]} times without a UTC offset, {' and '.join(parts)}: check "
            "them, or write the offsets in the file"
        )
    return SplitTimes(
        path, tuple(bibs), tuple(status), tuple(names), arr, tuple(warnings), naive[0]
    )


def times_zone(course) -> dt.tzinfo:
    """Time zone of a course's split times written without a UTC offset (the ``tz`` of
    :func:`read_times`): the course's ``timezone``, else its start's UTC offset."""
    from zoneinfo import ZoneInfo

    zone = getattr(course, "timezone", None)
    return ZoneInfo(zone) if zone else course.start.tzinfo


def naive_note(st: SplitTimes, course) -> str | None:
    """The warning that ``st``'s times without a UTC offset were read in
    :func:`times_zone` of ``course`` (None when every time has one); when the file's other
    times have an offset, it says so: a cell typed by hand among an export's, read right
    only if the export's offsets are."""
    if not st.naive:
        return None
    zone = getattr(course, "timezone", None)
    where = (
        f"the course's time zone {zone}"
        if zone
        else f"the course start's UTC offset {course.start.strftime('%z')} (the course "
        "file gives no timezone; add one if the file's times are another clock's)"
    )
    aware = int(np.isfinite(st.time).sum()) - st.naive
    mixed = (
        f", while the file's other {aware} times have one: check that the two agree"
        if aware > 0
        else ""
    )
    return (
        f"{st.naive} times in {st.path.name} have no UTC offset: read as local times of "
        f"{where}{mixed}"
    )


def _norm(s: str) -> str:
    return " ".join(str(s).split()).casefold()


def _words(s: str) -> list[str]:
    """Words of a name in order, accents and punctuation dropped: "Mas de Bru (P88)" ->
    mas, de, bru, p88."""
    import re

    return re.findall(r"[^\W_]+", _unaccented(str(s).casefold()))


def _tokens(s: str) -> frozenset:
    """Words of a name as a set (:func:`_words`)."""
    return frozenset(_words(s))


def _nested(a: frozenset, b: frozenset) -> bool:
    """The words of one name contain the other's (rule 4 of the module docstring)."""
    if not (a and b and (a <= b or b <= a)):
        return False
    num_a = {w for w in a if w.isdigit()}
    num_b = {w for w in b if w.isdigit()}
    # a number in the shorter name tells places apart (Aid 2 / Aid 3 (km 2)); the longer
    # may add one (Lac / Lac (km 12)); a name of numbers only never matches
    short = num_a if len(a) <= len(b) else num_b
    same = num_a == num_b or not short
    return same and bool(a - num_a) and bool(b - num_b)


def _truncated(col: str, name: str) -> bool:
    """``col`` is ``name`` cut short, word by word (LiveTrail's 10-character short names:
    "Ecole  Bel" for "Ecole Bellemène", "Sen. Scout" for "Sentier Scout"): each word of
    the column begins a later word of the name, numbers equal."""
    a, b = _words(col), _words(name)
    if not a or sum(len(w) for w in a if not w.isdigit()) < 3:
        return False
    k = 0
    for w in a:
        while k < len(b) and not (b[k] == w or (not w.isdigit() and b[k].startswith(w))):
            k += 1
        if k == len(b):
            return False
        k += 1
    return True


def looks_like(column: str, name: str) -> bool:
    """Whether CSV column ``column`` may be the column of the place ``name``: the same
    name, the words of one contained in the other's, or ``name`` cut short."""
    return (
        _norm(column) == _norm(name)
        or _nested(_tokens(column), _tokens(name))
        or _truncated(column, name)
    )


def _unique_pairs(names, cols, out, used, match) -> list[tuple[int, int]]:
    """Unmapped (row, column) pairs for which ``match(column, name)`` holds, one-to-one
    only: a column matching two rows, or a row matching two columns, is left alone."""
    rows = [j for j in range(len(names)) if out[j] is None]
    free = [i for i in range(len(cols)) if i not in used]
    cand = {j: [i for i in free if match(cols[i], names[j])] for j in rows}
    by_col: dict[int, list[int]] = {}
    for j, cs in cand.items():
        for i in cs:
            by_col.setdefault(i, []).append(j)
    return [(j, cs[0]) for j, cs in cand.items() if len(cs) == 1 and len(by_col[cs[0]]) == 1]


def _explicit_rows(names, cols, explicit, names_source, columns_source) -> dict:
    """``{row: column index}`` of an explicit mapping; unknown names are errors, and so
    are a column given for two checkpoints and a checkpoint given twice (``--column A=B
    --column B=B``, a typo for ``A=A``, checked B's times against A's barrier):
    :class:`~coursekit.errors.OptionError`, naming ``--column``, the option that gives
    the mapping.

    A checkpoint or column is found by its exact name, else by the one name equal to
    it with case and spaces ignored.
    """

    def find(key, pool):
        if key in pool:
            return pool.index(key)
        hits = [i for i, x in enumerate(pool) if _norm(x) == _norm(key)]
        return hits[0] if len(hits) == 1 else None

    def where(src):
        return f"{src}: " if src else ""

    rows = {}
    for k, c in explicit.items():
        j = find(k, list(names))
        if j is None:
            raise HistoryError(
                f"{where(names_source)}checkpoint {k!r} given for column {c!r} is not in the "
                f"course; checkpoints: {', '.join(repr(n) for n in names)}"
            )
        i = find(c, cols)
        if i is None:
            raise HistoryError(
                f"{where(columns_source)}column {c!r} given for {names[j]!r} is not in the "
                f"split times; columns: {', '.join(repr(x) for x in cols)}"
            )
        if j in rows:  # the same checkpoint spelt two ways ('Lac' and 'lac')
            raise OptionError(
                f"--column: checkpoint {names[j]!r} given twice (columns {cols[rows[j]]!r} "
                f"and {cols[i]!r})"
            )
        if i in rows.values():
            other = next(r for r, c in rows.items() if c == i)
            raise OptionError(
                f"--column: column {cols[i]!r} given for both {names[other]!r} and {names[j]!r}"
            )
        rows[j] = i
    return rows


def map_columns(
    names, columns, *, waypoints=None, explicit=None, names_source=None, columns_source=None
) -> tuple[list, list[str]]:
    """Map checkpoint rows to CSV columns (rules in the module docstring).

    Parameters
    ----------
    names : sequence of str
        Checkpoint names in course order (start row first, finish last).
    columns : sequence of str
        CSV checkpoint columns.
    waypoints : sequence of str or None, optional
        GPX waypoint names of the checkpoints (None where not given).
    explicit : dict, optional
        ``{checkpoint name: column}`` given by the user (exact names, or the one name
        equal with case and spaces ignored).
    names_source, columns_source : str or Path, optional
        The files naming the checkpoints and the columns, to begin the error messages.

    Returns
    -------
    mapping : list of int or None
        Column index of each checkpoint (None: unmapped).
    how : list of str
        The rule used for each checkpoint ("explicit", "name", "waypoint",
        "words", "truncated", "order", "unmapped").

    Raises
    ------
    HistoryError
        An explicit mapping names a checkpoint or a column that does not exist.
    """
    cols = list(columns)
    ncol = {_norm(c): i for i, c in enumerate(cols)}
    explicit = explicit or {}
    wps = list(waypoints) if waypoints is not None else [None] * len(names)
    out: list = [None] * len(names)
    how = ["unmapped"] * len(names)
    used = set()
    for j, i in _explicit_rows(names, cols, explicit, names_source, columns_source).items():
        out[j], how[j] = i, "explicit"
        used.add(i)
    for j, n in enumerate(names):
        if out[j] is None and _norm(n) in ncol and ncol[_norm(n)] not in used:
            out[j], how[j] = ncol[_norm(n)], "name"
            used.add(out[j])
    for j, w in enumerate(wps):
        if out[j] is None and w and _norm(w) in ncol and ncol[_norm(w)] not in used:
            out[j], how[j] = ncol[_norm(w)], "waypoint"
            used.add(out[j])
    for j, i in _unique_pairs(names, cols, out, used, lambda c, n: _nested(_tokens(c), _tokens(n))):
        out[j], how[j] = i, "words"
        used.add(i)
    for j, i in _unique_pairs(names, cols, out, used, _truncated):
        out[j], how[j] = i, "truncated"
        used.add(i)
    inner = range(1, len(names) - 1)
    if (
        len(cols) == len(names)
        and all(out[j] in (None, j) for j in range(len(names)))
        and any(out[j] is not None for j in inner)
    ):
        # same count, every name match sits at its own position and at least one
        # intermediate checkpoint's does (the ends alone confirm nothing: "Depart, CP2, CP1,
        # Arrivee" with CP2 the later checkpoint put every runner backwards): fill the rest
        # by order
        for j in range(len(names)):
            if out[j] is None:
                out[j], how[j] = j, "order"
    return out, how


STRAY_START_GAP = 600.0
"""A start cell is a stray (a chip tested at the arch, a row dated a day early) only when
more than this [s] separates it from the next start time (:func:`start_origin`). Starts
closer together are one race: a mass start's chip times (seconds apart), a time-trial start
(runners every minute or three), start waves (9 to 15 min apart in LiveTrail's files of
../shared/realdata, each of hundreds of runners with one gun time, so never few rows)."""

STRAY_START_SHARE = 0.1
"""At most this share of the timed starts (rounded down, and :data:`STRAY_START_MAX`
rows) may be left before the origin as strays (:func:`start_origin`): the strays are a
small minority; in a field of fewer than 10 timed starts none (one early runner in a
handful may be the real first start, and no count can tell)."""

STRAY_START_MAX = 2
"""At most this many rows are left before the origin as strays (:func:`start_origin`): a
first wave of elites or of walkers, however small, has more runners than that."""


def start_origin(starts) -> float:
    """The race's start in a start column [POSIX s]: its earliest time, unless the earliest
    rows are a few stray cells well before the rest.

    The earliest ``k`` timed starts are strays, and the origin the next start, when ``k``
    is at most :data:`STRAY_START_MAX` and :data:`STRAY_START_SHARE` of the timed starts
    and more than :data:`STRAY_START_GAP` separates the ``k``-th from the next (the
    largest such ``k``). One start cell before the gun (a chip tested at the arch, a row
    dated a day early) is not the race's start: the plain earliest time would move every
    runner's elapsed time (one withdrawn row 45 min early put 158 of the 415 finishers of
    the real Métis Trail 2024 behind a barrier, against 2). A first wave, however small
    (elites 15 min before the mass), a time-trial start (runners minutes apart) and a
    small field keep their earliest start. :func:`early_start_note` names the rows left
    out.

    Parameters
    ----------
    starts : array_like
        Start passages [POSIX s], NaN when not timed.

    Returns
    -------
    float
        NaN when no start is timed.
    """
    s = np.sort(np.asarray(starts, float).ravel())
    s = s[np.isfinite(s)]
    if not s.size:
        return math.nan
    most = min(STRAY_START_MAX, math.floor(STRAY_START_SHARE * s.size), s.size - 1)
    for k in range(most, 0, -1):
        if s[k] - s[k - 1] > STRAY_START_GAP:
            return float(s[k])
    return float(s[0])


def early_start_note(starts, bibs, source, *, tz=None) -> str | None:
    """A warning naming the runners whose start is before the first wave's
    (:func:`start_origin`), with how much earlier; None when none.

    Parameters
    ----------
    starts : array_like
        Start passages [POSIX s], NaN when not timed.
    bibs : sequence of str
    source : str or Path
        The split-time file, named in the warning.
    tz : datetime.tzinfo, optional
        Zone the first wave's start is written in (UTC without one).
    """
    s = np.asarray(starts, float)
    t0 = start_origin(s)
    if not math.isfinite(t0):
        return None
    with np.errstate(invalid="ignore"):
        early = np.flatnonzero(s < t0)
    if not early.size:
        return None
    early = early[np.argsort(s[early], kind="stable")]  # the farthest first

    def gap(x: float) -> str:
        g = round(t0 - x)
        return f"{g // 3600}:{g % 3600 // 60:02d}:{g % 60:02d}"

    k = early.size
    eg = "; ".join(f"bib {bibs[i]}, {gap(s[i])} earlier" for i in early[:3])
    gun = dt.datetime.fromtimestamp(t0, tz or dt.UTC).isoformat()
    return (
        f"{k} runner{'s' if k > 1 else ''} in {Path(source).name} {'have' if k > 1 else 'has'} "
        f"a start time before the first wave's start {gun} ({eg}{'; ...' if k > 3 else ''}): "
        "not taken as the start (a chip read before the gun, a wrong date?); elapsed "
        "times are counted from the first wave"
    )


def origin_column(st: SplitTimes, mapping, start_column: str | None = None) -> np.ndarray | None:
    """The start passages elapsed times are counted from: ``start_column``'s, else the
    column mapped to the start row; None when neither has a time."""
    if start_column is not None:
        if start_column not in st.columns:
            raise HistoryError(
                f"{st.path}: start column {start_column!r} not found; columns: "
                f"{', '.join(st.columns)}"
            )
        return st.time[:, st.column(start_column)]
    if mapping and mapping[0] is not None and np.isfinite(st.time[:, mapping[0]]).any():
        return st.time[:, mapping[0]]
    return None


def elapsed_matrix(
    st: SplitTimes, mapping, *, start_column: str | None = None, start_ts: float | None = None
) -> np.ndarray:
    """Elapsed time of each runner at each mapped checkpoint [s from the first wave].

    The origin is the first wave's start (:func:`start_origin`) in ``start_column``;
    by default in the column mapped to the start row; else ``start_ts`` (POSIX
    seconds, e.g. the course start: then the file's UTC offsets must be right).
    Unmapped checkpoints give NaN columns. A start before the origin (a stray cell)
    gives that runner a negative elapsed time at the start (:func:`early_start_note`).
    """
    n = len(st.bib)
    out = np.full((n, len(mapping)), np.nan)
    for j, c in enumerate(mapping):
        if c is not None:
            out[:, j] = st.time[:, c]
    starts = origin_column(st, mapping, start_column)
    if starts is not None:
        t0 = start_origin(starts)
    elif start_ts is not None:
        t0 = float(start_ts)
    else:
        raise HistoryError(
            f"{st.path}: the start row is not mapped to a column; give --start-column"
        )
    return out - t0


class Backtest(NamedTuple):
    """Per checkpoint row: passages and the finishers a set of barriers would cut."""

    finishers_passed: np.ndarray  # int
    others_passed: np.ndarray  # int
    latest_finisher: np.ndarray  # elapsed [s] (NaN when none)
    cut_here: np.ndarray  # finishers passing later than the barrier (each barrier alone)
    finishers_cut: int  # finishers cut anywhere (each counted once)
    finishers: int
    first_cut: np.ndarray | None = None  # finishers this barrier stops first (sum: finishers_cut)


def backtest(elapsed: np.ndarray, finisher: np.ndarray, barriers) -> Backtest:
    """How many actual finishers the barriers would have eliminated.

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        From :func:`elapsed_matrix`.
    finisher : ndarray of bool
        Per runner.
    barriers : array_like
        Barrier per row [s from start] (NaN: none).

    Notes
    -----
    ``cut_here`` counts, per row, finishers who passed later than the barrier
    (the start row is never counted: later waves cross it after 0).
    ``finishers_cut`` counts each finisher once over the *intermediate*
    barriers: the finish barrier is the limit the race was run with.
    ``first_cut`` counts, per intermediate row, the finishers for whom it is the first
    barrier passed late (the one that would stop them): it adds up to ``finishers_cut``,
    where ``cut_here`` counts a finisher late at two barriers at both (0 at the start and
    finish rows).
    """
    b = np.asarray(barriers, float)
    e = np.asarray(elapsed, float)
    fin = np.asarray(finisher, bool)
    passed = np.isfinite(e)
    fp = (passed & fin[:, None]).sum(axis=0)
    op = (passed & ~fin[:, None]).sum(axis=0)
    ef = np.where(passed & fin[:, None], e, -np.inf)
    latest = ef.max(axis=0, initial=-np.inf)
    latest = np.where(np.isfinite(latest), latest, np.nan)
    with np.errstate(invalid="ignore"):
        late = passed & (e > b[None, :] + 0.5) & np.isfinite(b)[None, :]
    late[:, 0] = False  # wave starts pass the start line after "0"
    cut_here = (late & fin[:, None]).sum(axis=0)
    # finishers eliminated by the intermediate barriers (the limit itself is given)
    cut_any = int((late[:, 1:-1].any(axis=1) & fin).sum()) if late.shape[1] > 2 else 0
    first_cut = np.zeros(e.shape[1], np.int64)
    if late.shape[1] > 2:
        mid = late[:, 1:-1] & fin[:, None]
        hit = mid.any(axis=1)
        first_cut[1:-1] = np.bincount(mid[hit].argmax(axis=1), minlength=mid.shape[1])
    return Backtest(fp, op, latest, cut_here, cut_any, int(fin.sum()), first_cut)


CALIBRATE_BOUNDS = {"fatigue": (0.0, 0.6), "down": (0.0, 15.0)}
"""Search range of each parameter :func:`calibrate` fits."""

CALIBRATE_LAMBDA = 2.0
"""Weight of the finishers cut in :func:`calibrate`'s objective: rms residual [% of the
limit] + ``CALIBRATE_LAMBDA`` x finishers cut [% of the finishers]. λ = 2, the value of the
benchmark's objective (docs/calibration.md), taken a priori, not tuned on the races measured;
the error term differs (here the rms against the quantile curve, unrounded; there the mean
absolute error against the published barriers, rounded), so the two scales are not the same."""

CALIBRATE_MIN_EFFECT = 1e-3
"""The least that moving a parameter over its whole range (:data:`CALIBRATE_BOUNDS`) must
move the reference runner's passage at some timed intermediate checkpoint [fraction of the
limit] for :func:`calibrate` to fit it: 0.1 %, under a minute on a 14 h limit, where the
real files' fits leave rms residuals of 2 to 5 %. ``down`` on a course without descent
moves nothing."""

CALIBRATE_MIN_TIMES = 5
"""Finishers' times an intermediate checkpoint needs to count in :func:`calibrate`'s fit."""

CALIBRATE_GRID = (np.linspace(0.0, 0.6, 13), np.linspace(0.0, 15.0, 16))
"""Coarse grid (fatigue, down) :func:`calibrate` starts from: the cut term is a step
function, on whose plateaus a simplex alone stops."""


def calibrate(
    grid,
    elapsed,
    finisher,
    *,
    limit_s,
    start=None,
    dark=None,
    base=None,
    quantile=0.9,
    dwell=None,
    fixed=None,
    barrier=None,
    names=None,
    lam=CALIBRATE_LAMBDA,
    notes=None,
):
    """Fit fatigue and downhill cost to the slow finishers of one race.

    The target curve is, at each checkpoint, the ``quantile`` of the
    finishers' elapsed times (e.g. 0.9 = the slowest decile's boundary), scaled
    so that its finish equals the limit. The model's reference runner is fitted
    to it over two parameters (``fatigue``, ``down``); the others stay at
    ``base``. The objective is the rms residual [% of the limit] plus ``lam``
    times the share of this file's finishers [%] that the barriers solved at
    the candidate parameters would cut (:func:`backtest`'s count: passages
    later than an intermediate barrier): a fit to a quantile alone puts
    barriers on that curve, which the slowest finishers cross late (3-15 % of
    them on the calibration races, fifteenth sprint). The barriers are counted
    unrounded: rounding up to the clock only moves them later, so the barriers
    ``coursekit cutoffs`` prints cut no more finishers, and the fit does not sit
    on the edge of a rounding step that the next digit of a parameter flips.
    A coarse grid (:data:`CALIBRATE_GRID`) then a simplex from its best point.

    Parameters
    ----------
    grid : CourseGrid
    elapsed : ndarray, shape (runners, rows)
        From :func:`elapsed_matrix`.
    finisher : ndarray of bool
    limit_s : float
    start, dark : optional
        As :func:`coursekit.cutoffs.solve`.
    base : PaceParams, optional
        The parameters not fitted (default :data:`coursekit.pace.TRAIL_2024`).
    quantile : float, default 0.9
    dwell, fixed, barrier, names : array_like, optional
        As :func:`coursekit.cutoffs.solve`: the course's planned stops, fixed
        cutoffs [s] and rows that stop runners (``barrier = false`` rows cut
        nobody), so that the barriers are those ``coursekit cutoffs --params``
        gives.
    lam : float, default :data:`CALIBRATE_LAMBDA`
        Weight of the finishers cut; 0 gives the least-squares fit alone.
    notes : list, optional
        Appended to: a line for each parameter not fitted (kept at ``base``).

    Notes
    -----
    Only what the split times determine is fitted; the rest keeps its ``base`` value
    (said in ``notes``): a parameter whose whole range moves the reference runner's
    passage at every timed intermediate checkpoint by less than
    :data:`CALIBRATE_MIN_EFFECT` of the limit (``down`` on a course without descent),
    and, past as many parameters as there are intermediate checkpoints with
    :data:`CALIBRATE_MIN_TIMES` finishers' times, the others (``fatigue`` is fitted first:
    one checkpoint fitted two parameters to extreme values with a better rms than the
    full file's; none fits neither, the leader is still the finish's).

    Returns
    -------
    params : PaceParams
    rms : float
        Root-mean-square residual in fraction of the limit [-].
    """
    from scipy.optimize import minimize

    from .cutoffs import solve
    from .errors import PlanError
    from .pace import TRAIL_2024

    base = base or TRAIL_2024
    e = np.asarray(elapsed, float)
    fin = np.asarray(finisher, bool)
    if fin.sum() < 5:
        raise HistoryError("fewer than 5 finishers: cannot calibrate")
    ef = e[fin]
    ok = np.isfinite(ef).sum(axis=0) >= CALIBRATE_MIN_TIMES
    target = np.full(e.shape[1], np.nan)
    target[ok] = np.nanquantile(ef[:, ok], quantile, axis=0)
    if not (np.isfinite(target[-1]) and target[-1] > 0):
        raise HistoryError("the finish column has no finisher times: cannot calibrate")
    target = target * (limit_s / target[-1])
    rows = np.flatnonzero(np.isfinite(target))[1:-1]
    stops = np.ones(e.shape[1], bool) if barrier is None else np.asarray(barrier, bool)
    n_fin = int(fin.sum())
    bounds = dict(CALIBRATE_BOUNDS)
    start_at = {k: float(np.clip(getattr(base, k), *bounds[k])) for k in bounds}

    def solved(v):
        return solve(
            grid,
            limit_s=limit_s,
            params=base.with_(**v),
            dwell=dwell,
            fixed=fixed,
            start=start,
            dark=dark,
            round_minutes=0,
            names=names,
            barrier=barrier,
        )

    # what the timed rows determine: a parameter whose whole range moves no passage of the
    # reference runner (down on a course without descent) is not fitted, and no more
    # parameters than timed intermediate rows (fatigue first: down acts on descents only)
    free = []
    for key in bounds:
        if len(free) >= rows.size:
            why = (
                f"only {rows.size} intermediate checkpoint{'s' if rows.size != 1 else ''} "
                f"with {CALIBRATE_MIN_TIMES} finishers' times or more, for "
                f"{len(bounds)} parameters"
                if rows.size
                else f"no intermediate checkpoint with {CALIBRATE_MIN_TIMES} finishers' times"
            )
        else:
            try:
                ends = [solved({**start_at, key: b}).arrival[rows] for b in bounds[key]]
                moves = float(np.max(np.abs(ends[1] - ends[0]))) / limit_s
            except PlanError:  # an end of the range cannot make the fixed cutoffs
                moves = math.inf
            if moves >= CALIBRATE_MIN_EFFECT:
                free.append(key)
                continue
            lo, hi = bounds[key]
            why = (
                f"over its range [{lo:g}, {hi:g}] it moves the reference runner's passages at "
                f"the timed checkpoints by {100 * moves:.2f} % of the limit at most (a course "
                "without descent?)"
            )
        if notes is not None:
            notes.append(
                f"{key} is not fitted, kept at {getattr(base, key):g}: the split times cannot "
                f"determine it ({why})"
            )

    def values(x) -> dict:
        v = {k: getattr(base, k) for k in bounds}
        v.update({k: float(x[i]) for i, k in enumerate(free)})
        return v

    def evaluate(x) -> tuple[float, float]:
        """(rms residual [fraction of the limit], finishers cut [fraction])."""
        try:
            sol = solved(values(x))
        except PlanError:  # fixed cutoffs these parameters cannot meet
            return math.inf, 1.0
        r = (sol.arrival[rows] - target[rows]) / limit_s
        rms = math.sqrt(float(np.mean(r * r))) if r.size else 0.0
        if not lam:
            return rms, 0.0
        bt = backtest(e, fin, np.where(stops, sol.cutoff, np.nan))
        return rms, bt.finishers_cut / n_fin

    if not free:
        return base, evaluate([])[0]

    def cost(x):
        rms, cut = evaluate(x)
        return 100.0 * rms + lam * 100.0 * cut

    box = [bounds[k] for k in free]
    x0 = [start_at[k] for k in free]
    best = (cost(x0), x0)
    axes = [CALIBRATE_GRID[list(bounds).index(k)] for k in free]
    for x in itertools.product(*axes):
        c = cost(x)
        if c < best[0]:
            best = (c, [float(v) for v in x])
    res = minimize(
        cost,
        x0=best[1],
        method="Nelder-Mead",
        bounds=box,
        options={"xatol": 1e-3, "fatol": 1e-9, "maxiter": 200},
    )

    # the values written are rounded inside the box (a fit on a bound used to be scored by
    # the old penalty: "3162 %"); the cut term is a step function that the rounding can
    # flip, so both optima are scored again as written and the better one is kept
    digits = {"fatigue": 4, "down": 3}

    def written(x) -> tuple:
        return tuple(
            float(np.clip(round(float(v), digits[k]), *bounds[k]))
            for v, k in zip(x, free, strict=True)
        )

    x = min((written(res.x), written(best[1])), key=cost)
    return base.with_(**values(x)), evaluate(x)[0]


def implausible_passages(elapsed, limit_s: float) -> np.ndarray:
    """Runners with a passage after the limit and more than half the limit after their
    previous passage (a wrong date: Templiers Endurance 2024 has finishers timed at the
    finish two days after their last checkpoint).

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        Elapsed times in course order [s], NaN when not timed.
    limit_s : float

    Returns
    -------
    ndarray of bool, shape (runners,)
    """
    e = np.asarray(elapsed, float)
    if e.ndim != 2 or e.shape[1] < 2:
        return np.zeros(e.shape[0] if e.ndim else 0, dtype=bool)
    prev = np.fmax.accumulate(np.where(np.isfinite(e), e, -np.inf), axis=1)
    with np.errstate(invalid="ignore"):
        odd = (
            np.isfinite(e[:, 1:])
            & np.isfinite(prev[:, :-1])
            & (e[:, 1:] > limit_s)
            & (e[:, 1:] - prev[:, :-1] > 0.5 * limit_s)
        )
    return odd.any(axis=1)


def implausible_note(
    elapsed,
    finisher,
    bibs,
    limit_s: float,
    source,
    *,
    verdict: str = "they count as cut where they are late",
) -> str | None:
    """A warning naming the finishers with implausible passages (:func:`implausible_passages`),
    None when none; ``verdict`` says what is done with their times (``backtest``'s words by
    default)."""
    odd = implausible_passages(elapsed, limit_s) & np.asarray(finisher, bool)
    return _runners_note(
        odd,
        bibs,
        source,
        "finisher",
        "passed a checkpoint after the limit and more than half the limit after the previous "
        "passage",
        f"implausible times (a wrong date?), used as written: {verdict}",
    )


MISFIT_SPEED = (2.0, 20.0)
"""The median finisher's km-effort speed [km-effort/h] from the start to a checkpoint that
:func:`misfit_notes` takes as plausible. The real split times of ../shared/realdata (Grand
Raid Réunion, Templiers, 2023-2024) give 5.3 to 8.7 at the finish and up to 12.2 at the
first tenth of the course; the winners of those races run 11.7 to 17.2. Under 2 is slower
than walking on the flat with the stops included; over 20, the median finisher would run
at a marathon world-record pace (21 km/h)."""

MISFIT_SPREAD = 2.5
"""The most that the median finisher's km-effort speed from the start may vary between the
timed checkpoints past a tenth of the course (fastest / slowest) in :func:`misfit_notes`:
1.2 to 1.75 in ../shared/realdata (a fresh start, fatigue and stops); 2.9 to 14 for the times
of another race of the same set whose columns match some of the course's checkpoints (Grand
Raid Réunion's MAS times on the GRR course: 2.9)."""


def misfit_notes(
    elapsed, finisher, mapping, names, *, limit_s: float, source, km_effort=None, remedy=None
) -> list[str]:
    """Warnings that a split-time file plainly does not fit the course (another race's times,
    a wrong start, a wrong column matching).

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        Elapsed times in course order [s], NaN when not timed.
    finisher : ndarray of bool, shape (runners,)
    mapping : list
        The column of each row, None when it has none.
    names : sequence of str
        The rows' names, start first.
    limit_s : float
        The course's limit [s].
    source : str or Path
        The split-time file, named in the warnings.
    km_effort : ndarray, optional
        Cumulative km-effort of each row from the start (km + D+/100) [-]:
        ``legs.along / 1000 + legs.gain / 100``. Without it, the speed checks
        are not made.
    remedy : str, optional
        How to match the file's columns to the checkpoints, in the first warning;
        default :data:`COLUMN_REMEDY`.

    Returns
    -------
    list of str

    Notes
    -----
    Warned of, from the finishers' median passage at each timed row:

    - fewer than half of the intermediate checkpoints have a column;
    - the median finisher is beyond the limit, or at or before the start, at the
      last timed checkpoint;
    - else, with ``km_effort``: the median finisher's km-effort speed from the
      start to the last timed checkpoint is outside :data:`MISFIT_SPEED`;
    - else, that speed varies by more than :data:`MISFIT_SPREAD` between the
      timed checkpoints past a tenth of the course (a column matched to the
      wrong checkpoint).

    One line for the median finisher at most: a file beyond the limit is not
    also said to be too slow.

    The median finisher is not compared with a fraction of the limit: a short
    race may have a generous limit (a finisher at a fifth of it is no misfit),
    and on a tight one another race's times can sit well inside it.
    """
    out = []
    name = Path(source).name
    e = np.asarray(elapsed, float)
    fin = np.asarray(finisher, bool)
    inner = list(range(1, len(names) - 1))
    mapped = [j for j in inner if mapping[j] is not None]
    if len(inner) >= 2 and 2 * len(mapped) < len(inner):
        out.append(
            f"only {len(mapped)} of the {len(inner)} intermediate checkpoints have a column in "
            f"{name}: are these times of this race? (check the file, or "
            f"{remedy or COLUMN_REMEDY})"
        )
    timed = [j for j in range(1, len(names)) if mapping[j] is not None]
    med = {}
    if fin.any():
        for j in timed:
            col = e[fin, j]
            col = col[np.isfinite(col)]
            if col.size:
                med[j] = float(np.median(col))
    if not med:
        return out
    j = max(med)
    misfit = (
        "the file does not fit the course (another race's times, a wrong start or a wrong column?)"
    )
    if med[j] > limit_s or med[j] <= 0:  # one line for one misfit: the speeds are not looked at
        how = f"beyond the limit ({hm(limit_s)})" if med[j] > 0 else "at or before the start"
        out.append(
            f"the median finisher reaches {names[j]!r} at {hm(med[j])} in {name}, {how}: {misfit}"
        )
        return out
    if km_effort is None:
        return out
    kme = np.asarray(km_effort, float)
    speed = {
        k: kme[k] / (t / 3600.0)
        for k, t in med.items()
        if t > 0 and np.isfinite(kme[k]) and kme[k] >= 0.1 * kme[-1] > 0
    }
    lo, hi = MISFIT_SPEED
    if j in speed and not lo <= speed[j] <= hi:
        how = "faster than" if speed[j] > hi else "slower than"
        out.append(
            f"the median finisher reaches {names[j]!r} (km-effort {kme[j]:.1f}) at "
            f"{hm(med[j])} in {name}, {speed[j]:.1f} km-effort/h, {how} any race's median "
            f"finisher ({lo:g} to {hi:g}): {misfit}"
        )
    elif len(speed) >= 2:
        fast = max(speed, key=speed.get)
        slow = min(speed, key=speed.get)
        if speed[fast] > MISFIT_SPREAD * speed[slow]:
            out.append(
                f"the median finisher's km-effort speed from the start is "
                f"{speed[fast]:.1f} km-effort/h at {names[fast]!r} and {speed[slow]:.1f} at "
                f"{names[slow]!r} in {name} (more than {MISFIT_SPREAD:g} times apart): the "
                "passages do not follow the course's distances (a column matched to the "
                "wrong checkpoint, or another race's times?)"
            )
    return out


COLUMN_REMEDY = 'map the columns with --column "CHECKPOINT=COLUMN"'
"""How :func:`misfit_notes` and :func:`unfit_message` say to match a file's columns to the
course's checkpoints (``backtest`` and ``calibrate``; ``event --times``, which has no
``--column``, says its own)."""


def unfit_message(
    course_file, times, names, columns, mapping, misfit, *, start_column=None, remedy=None
) -> str | None:
    """Why split times in which none of the course's intermediate checkpoints has a
    column do not fit the course, None when they may be used.

    Such a file is refused when it has other columns that matched none (another race's
    checkpoints) or plainly does not fit the course (``misfit``, from
    :func:`misfit_notes`). A file of start and finish times only that fits the course
    passes: its finish still gives the leader and the limit. ``backtest``, ``calibrate``
    and ``event --times`` refuse with this one message.

    Parameters
    ----------
    course_file, times : str or Path
        The course file and the split-time file, named in the message.
    names : sequence of str
        The course's rows, start first.
    columns : sequence of str
        The file's columns.
    mapping : list
        The column (index into ``columns``) of each row, None when it has none.
    misfit : list of str
        :func:`misfit_notes` of the file on the course.
    start_column : str, optional
        A column given as the start's (not counted as an unmatched column).
    remedy : str, optional
        How to match the columns; default :data:`COLUMN_REMEDY`.

    Returns
    -------
    str or None
        ``"<times>: none of the N intermediate checkpoints of <course> has a column in the
        file ..."``, or None.
    """
    inner = range(1, len(names) - 1)
    if not len(inner) or any(mapping[j] is not None for j in inner):
        return None
    used = {c for c in mapping if c is not None}
    others = [c for k, c in enumerate(columns) if k not in used and c != start_column]
    what = (
        f"{times}: none of the {len(inner)} intermediate checkpoints of "
        f"{Path(course_file).name} has a column in the file"
    )
    if others:
        remedy = remedy or COLUMN_REMEDY
        return (
            f"{what} (checkpoints: {_names_list([names[j] for j in inner])}; columns: "
            f"{_names_list(columns)}): are these times of this race? "
            f"{remedy[:1].upper()}{remedy[1:]}"
        )
    # the median finisher's notes (the count of unmatched checkpoints is said above)
    bad = [m for m in misfit if "intermediate checkpoints have a column" not in m]
    return f"{what}, and {bad[0]}" if bad else None


def fit_checks(
    elapsed,
    finisher,
    mapping,
    names,
    columns,
    *,
    limit_s: float,
    course_file,
    source,
    km_effort=None,
    start_column=None,
    remedy=None,
) -> tuple[list[str], str | None]:
    """The fit checks of a split-time file on a course that ``backtest``, ``calibrate``
    and ``event --times`` make: :func:`misfit_notes` (warnings), then
    :func:`unfit_message` on them (the refusal, None when the file may be used).

    Parameters
    ----------
    elapsed, finisher, mapping, names, limit_s, km_effort, remedy
        As :func:`misfit_notes` (``km_effort``: :attr:`coursekit.checkpoints.Legs.km_effort`).
    columns, start_column
        As :func:`unfit_message`.
    course_file, source : str or Path
        The course file and the split-time file, named in the messages.

    Returns
    -------
    misfit : list of str
    unfit : str or None
    """
    misfit = misfit_notes(
        elapsed,
        finisher,
        mapping,
        names,
        limit_s=limit_s,
        source=source,
        km_effort=km_effort,
        remedy=remedy,
    )
    unfit = unfit_message(
        course_file,
        source,
        names,
        columns,
        mapping,
        misfit,
        start_column=start_column,
        remedy=remedy,
    )
    return misfit, unfit


def _names_list(names, most: int = 6) -> str:
    """``'A', 'B', 'C' and 4 more``: names quoted, at most ``most`` of them."""
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def timed_ends(
    mapping: list,
    stamps: np.ndarray,
    *,
    names=None,
    columns=None,
    waypoints=None,
    notes: list | None = None,
) -> tuple[list, list[str]]:
    """Start and finish rows without a column by name: the columns the times say.

    The start is the column most runners pass first, the finish the one most
    runners pass last (CSV columns need not be in course order, and
    "Départ"/"Arrivée" need not match "Start"/"Finish"). A start column must
    be passed first by 90 % of the runners timed there, within 2 h of its
    earliest passage (start waves), and a finish last by 90 %; otherwise the
    row stays unmapped (an error names it). On a loop whose start and finish
    share a name, the one column the name found goes where the times say.

    With the checkpoint ``names`` (course order), their GPX ``waypoints`` and the
    CSV ``columns``, a column that looks like an intermediate checkpoint's
    (:func:`looks_like`: "Ecole  Bel" for "Ecole Bellemène") is never taken as an
    end: a file without its start column has its first checkpoint passed first by
    everyone, and counting from it would shorten every elapsed time. Such a refusal
    is explained in ``notes`` (a list appended to) when given.

    Returns the mapping and which ends were found by the times.
    """
    mapping = list(mapping)
    t = np.where(np.isfinite(stamps), stamps, np.nan)
    rows = np.isfinite(t).sum(axis=1) >= 2
    if not rows.any():
        return mapping, []
    t = t[rows]
    first = np.bincount(np.nanargmin(t, axis=1), minlength=t.shape[1])
    last = np.bincount(np.nanargmax(t, axis=1), minlength=t.shape[1])
    timed = np.isfinite(t).sum(axis=0)
    if mapping[0] is not None and mapping[-1] is None and last[mapping[0]] > first[mapping[0]]:
        mapping[0], mapping[-1] = None, mapping[0]  # a loop's one column is its finish
    elif mapping[-1] is not None and mapping[0] is None and first[mapping[-1]] > last[mapping[-1]]:
        mapping[0], mapping[-1] = mapping[-1], None
    used = {c for c in mapping if c is not None}
    found = []
    for end, votes in ((0, first), (-1, last)):
        if mapping[end] is not None:
            continue
        c = int(np.argmax(votes))
        ok = c not in used and votes[c] >= 0.9 * timed[c]
        if ok and end == 0:
            col = t[:, c][np.isfinite(t[:, c])]
            # start waves within 2 h of the first (a stray cell before the gun not counted)
            ok = float(np.quantile(col, 0.95) - start_origin(col)) <= 2 * 3600.0
        like = _checkpoint_like(c, names, columns, waypoints) if ok else None
        if like is not None:
            ok = False
            if notes is not None:
                what = "start" if end == 0 else "finish"
                notes.append(
                    f"column {columns[c]!r}, passed {'first' if end == 0 else 'last'} by most "
                    f"runners, is not taken as the {what} row {names[end]!r}: it looks like the "
                    f"column of checkpoint {like!r} (map it explicitly if it is the {what}'s)"
                )
        if ok:
            mapping[end] = c
            used.add(c)
            found.append("start" if end == 0 else "finish")
    return mapping, found


def _checkpoint_like(c: int, names, columns, waypoints) -> str | None:
    """The intermediate checkpoint whose name or waypoint column ``c`` looks like, if any."""
    if names is None or columns is None or len(names) < 3:
        return None
    wps = list(waypoints) if waypoints is not None else [None] * len(names)
    for j in range(1, len(names) - 1):
        if any(x and looks_like(columns[c], x) for x in (names[j], wps[j])):
            return names[j]
    return None


def backwards_passages(stamps: np.ndarray) -> np.ndarray:
    """Runners with a passage earlier than at a previous checkpoint.

    Parameters
    ----------
    stamps : ndarray, shape (runners, rows)
        Passage times (or elapsed times) in course order, NaN when not timed.

    Returns
    -------
    ndarray of bool, shape (runners,)
        True for a runner timed at some checkpoint before (strictly) his latest
        passage at the checkpoints before it: a timing glitch (a wrong clock, a
        chip read twice, a runner sent back) that real files have.
    """
    t = np.asarray(stamps, float)
    if t.ndim != 2 or t.shape[1] < 2:
        return np.zeros(t.shape[0] if t.ndim else 0, dtype=bool)
    prev = np.fmax.accumulate(np.where(np.isfinite(t), t, -np.inf), axis=1)
    with np.errstate(invalid="ignore"):
        back = np.isfinite(t[:, 1:]) & (t[:, 1:] < prev[:, :-1])
    return back.any(axis=1)


def swapped_message(stamps: np.ndarray, names, columns, mapping, source, *, remedy=None):
    """The refusal of a column mapping that puts more than half of the runners timed at
    two checkpoints or more backwards (:func:`backwards_passages`), None otherwise.

    A few runners passing backwards are timing glitches (real files have one); most of
    them, a column matched to the wrong checkpoint: the backtest would count cuts, and
    calibrate fit parameters, on the times of the wrong place. The message names the pair
    of rows most of them pass in the wrong order, with their columns.

    Parameters
    ----------
    stamps : ndarray, shape (runners, rows)
        Passage times in course order, NaN when not timed.
    names : sequence of str
        The course's rows, start first.
    columns : sequence of str
        The file's columns.
    mapping : list
        The column (index into ``columns``) of each row, None when it has none.
    source : str or Path
        The split-time file, named first in the message.
    remedy : str, optional
        How to match the columns; default :data:`COLUMN_REMEDY`.

    Returns
    -------
    str or None
    """
    t = np.asarray(stamps, float)
    timed = np.isfinite(t).sum(axis=1) >= 2
    back = backwards_passages(t) & timed
    n, k = int(timed.sum()), int(back.sum())
    if not n or 2 * k <= n:
        return None
    pairs: dict[tuple[int, int], int] = {}
    for r in np.flatnonzero(back):
        row = np.where(np.isfinite(t[r]), t[r], -np.inf)
        prev = np.maximum.accumulate(row)
        j = int(np.flatnonzero(np.isfinite(t[r, 1:]) & (t[r, 1:] < prev[:-1]))[0]) + 1
        i = int(np.argmax(row[:j]))  # the earlier row passed later (its first such)
        pairs[(i, j)] = pairs.get((i, j), 0) + 1
    (i, j), _ = max(pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
    remedy = remedy or COLUMN_REMEDY
    return (
        f"{source}: {k} of the {n} runners timed at two checkpoints or more pass a checkpoint "
        f"earlier than a previous one, most of them {names[j]!r} (column "
        f"{columns[mapping[j]]!r}) before {names[i]!r} (column {columns[mapping[i]]!r}): "
        f"these columns look matched to the wrong checkpoints; {remedy}"
    )


def unused_columns_note(
    st: SplitTimes, mapping, course_file, *, start_column=None, remedy=None
) -> str | None:
    """A warning naming the columns of ``st`` that hold times but that no checkpoint row
    uses (None when every timed column is used).

    A timing point the course file does not list is harmless, but a column that stayed
    unused because its checkpoint was renamed leaves a checkpoint unchecked without a word:
    the warning names each column and how many times it holds, and how to map it.

    Parameters
    ----------
    st : SplitTimes
        The file read (:func:`read_times`).
    mapping : sequence of int or None
        Column index of each checkpoint row (:func:`map_columns`, :func:`timed_ends`).
    course_file : path
        The course file, named in the warning.
    start_column : str, optional
        The column given as the start (``--start-column``): used.
    remedy : str, optional
        How to map a column (default: :data:`COLUMN_REMEDY`).
    """
    used = {c for c in mapping if c is not None}
    if start_column is not None and start_column in st.columns:
        used.add(st.columns.index(start_column))
    idle = []
    for c, name in enumerate(st.columns):
        n = int(np.count_nonzero(np.isfinite(st.time[:, c])))
        if c not in used and n:
            idle.append(f"{name!r} ({n} time{'s' if n > 1 else ''})")
    if not idle:
        return None
    several = len(idle) > 1
    return (
        f"{Path(st.path).name}: column{'s' if several else ''} {', '.join(idle)} "
        f"match{'' if several else 'es'} no checkpoint of {Path(course_file).name}: not used "
        f"(a checkpoint renamed? {remedy or COLUMN_REMEDY})"
    )


def backwards_note(stamps: np.ndarray, bibs, source) -> str | None:
    """A warning naming how many runners have backwards passages (None when none)."""
    return _runners_note(
        backwards_passages(stamps),
        bibs,
        source,
        "runner",
        "passed a checkpoint earlier than a previous one",
        "timing glitches, their times are used as written",
    )


def _runners_note(mask, bibs, source, who: str, what: str, verdict: str) -> str | None:
    """``"<k> <who>s in <file> <what> (bib 12, 40, 7, ...): <verdict>"``, None when the mask
    is empty; the warnings on odd rows of a split-time file."""
    k = int(np.count_nonzero(mask))
    if not k:
        return None
    eg = ", ".join(str(bibs[i]) for i in np.flatnonzero(mask)[:3])
    return (
        f"{k} {who}{'s' if k > 1 else ''} in {Path(source).name} {what} (bib {eg}"
        f"{', ...' if k > 3 else ''}): {verdict}"
    )


def calibrate_notes(params) -> list[str]:
    """Notes for the fitted parameters at a bound of their range (:data:`CALIBRATE_BOUNDS`):
    the fit wanted beyond it, the value is the bound, not an estimate."""
    out = []
    for key, (lo, hi) in CALIBRATE_BOUNDS.items():
        v = float(getattr(params, key))
        tol = 1e-3 * (hi - lo)
        for b, side, beyond in ((lo, "lower", "less"), (hi, "upper", "more")):
            if abs(v - b) <= tol:
                out.append(
                    f"{key} = {v:g} is at the {side} bound of its range [{lo:g}, {hi:g}]: the "
                    f"split times want {beyond}, the value is the bound, not an estimate"
                )
    return out
