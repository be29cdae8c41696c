"""Split-time files as other timing systems and spreadsheets export them: read correctly
(values checked) or refused in one line, ``Error: <file>: <problem>``, never misread."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from coursekit.errors import HistoryError
from coursekit.history import read_times

HEAD = "bib,status,category,sex,Start,A,Finish"
R1 = (
    "1,FINISHER,SE,MALE,2023-10-20T04:00:00+02:00,2023-10-20T05:00:00+02:00,"
    "2023-10-20T06:00:00+02:00"
)
R2 = "2,WITHDRAWN,SE,FEMALE,2023-10-20T04:00:00+02:00,2023-10-20T05:30:00+02:00,"
T0 = 1697767200.0  # 2023-10-20T04:00:00+02:00
PARIS = ZoneInfo("Europe/Paris")


def _write(tmp_path, data, name="t.csv"):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def _elapsed_h(st):
    return ((st.time - st.time[:, :1]) / 3600).round(4).tolist()


def _same(a, b):
    return all(
        (math.isnan(x) and math.isnan(y)) or x == y
        for ra, rb in zip(a, b, strict=True)
        for x, y in zip(ra, rb, strict=True)
    )


PLAIN = HEAD + "\n" + R1 + "\n" + R2 + "\n"
EXPECTED = [[0.0, 1.0, 2.0], [0.0, 1.5, math.nan]]


def _semicolon(text):
    return text.replace(",", ";")


READ = {
    "utf8 bom": "\ufeff" + PLAIN,
    "semicolons": _semicolon(PLAIN),
    "semicolons and bom": "\ufeff" + _semicolon(PLAIN),
    "tabs": PLAIN.replace(",", "\t"),
    "crlf": PLAIN.replace("\n", "\r\n"),
    "cr alone (old Mac Excel)": PLAIN.replace("\n", "\r"),
    "quoted fields": "\n".join(
        ",".join(f'"{c}"' for c in line.split(",")) for line in PLAIN.splitlines()
    )
    + "\n",
    "blank lines": HEAD + "\n\n" + R1 + "\n\r\n" + R2 + "\n\n\n",
    "rows with trailing empty fields": HEAD + "\n" + R1 + ",,\n" + R2 + ",,,\n",
    "header spaces and case": " Bib , STATUS ,Category,Sex, Start , A ,Finish\n" + R1 + "\n" + R2,
    "no final line break": PLAIN.rstrip("\n"),
    "spaced date and time": PLAIN.replace("T0", " 0"),
    "Z and milliseconds": PLAIN.replace("+02:00", ".000Z"),
}


@pytest.mark.parametrize("case", sorted(READ))
def test_exports_read_as_written(tmp_path, case):
    st = read_times(_write(tmp_path, READ[case]))
    assert st.columns == ("Start", "A", "Finish")
    assert st.bib == ("1", "2") and st.status == ("FINISHER", "WITHDRAWN")
    assert _same(_elapsed_h(st), EXPECTED)
    if "Z" not in case:
        assert st.time[0, 0] == T0


def test_decimal_comma_seconds_in_a_semicolon_file(tmp_path):
    """Excel in France writes a decimal comma: ISO 8601 allows it in the seconds."""
    text = (
        "bib;status;category;sex;Start;A;Finish\n"
        "1;FINISHER;SE;MALE;2023-10-20T04:00:00,5+02:00;2023-10-20T05:00:00,25+02:00;"
        "2023-10-20T06:00:00+02:00\n"
    )
    st = read_times(_write(tmp_path, text))
    assert st.time[0].tolist() == [T0 + 0.5, T0 + 3600.25, T0 + 7200]


def test_local_times_without_offset_read_in_the_course_zone(tmp_path):
    """``YYYY-MM-DD HH:MM:SS`` without an offset: wall times of the course's zone (CEST
    here), counted in ``naive``; with an offset, the offset (``+0200`` and `` +02:00``)."""
    text = HEAD + "\n1,FINISHER,SE,MALE,2023-10-20 04:00:00,2023-10-20 05:00,2023-10-21 06:00:00\n"
    st = read_times(_write(tmp_path, text), tz=PARIS)
    assert st.time[0].tolist() == [T0, T0 + 3600, T0 + 26 * 3600] and st.naive == 3
    text = (
        HEAD + "\n1,FINISHER,SE,MALE,2023-10-20 04:00:00+02:00,2023-10-20 05:00:00+0200,"
        "2023-10-20 06:00:00 +02:00\n"
    )
    st = read_times(_write(tmp_path, text), tz=PARIS)
    assert st.time[0].tolist() == [T0, T0 + 3600, T0 + 7200] and st.naive == 0


def test_missing_and_out_of_order_passages_kept_as_written(tmp_path):
    """An empty cell is a passage not timed (NaN); a later checkpoint timed earlier (a mat
    error) is kept as written: backtest and calibrate warn of it (backwards_note)."""
    text = (
        HEAD + "\n1,FINISHER,SE,MALE,2023-10-20T04:00:00+02:00,,2023-10-20T06:00:00+02:00\n"
        "2,FINISHER,SE,MALE,2023-10-20T04:00:00+02:00,2023-10-20T07:00:00+02:00,"
        "2023-10-20T06:00:00+02:00\n"
    )
    st = read_times(_write(tmp_path, text))
    assert _same(_elapsed_h(st), [[0.0, math.nan, 2.0], [0.0, 3.0, 2.0]])


def test_statuses_spelled_otherwise(tmp_path):
    rows = [
        R1.replace("FINISHER", "finisher"),
        R2.replace("WITHDRAWN", "Abandon"),
        "3" + R2[1:].replace("WITHDRAWN", "dnf"),
        "4" + R2[1:].replace("WITHDRAWN", "Out of time"),
        "5,dns,SE,MALE,,,",
    ]
    st = read_times(_write(tmp_path, HEAD + "\n" + "\n".join(rows) + "\n"))
    assert st.status == ("FINISHER", "WITHDRAWN", "WITHDRAWN", "OUT_OF_TIME")
    assert any("did not start" in w and "bib 5" in w for w in st.warnings)


def test_french_and_english_statuses_of_timing_exports(tmp_path):
    """French results write Arrivé(e), Abandon(né), ABD, Hors délai(s), Disqualifié(e),
    Non partant; English ones Finished, Did not finish, Timed out: each read as the status
    it stands for (accents ignored), where they were refused as unknown."""
    spelled = {
        "Arrivée": "FINISHER",
        "arrivé": "FINISHER",
        "Finished": "FINISHER",
        "ABD": "WITHDRAWN",
        "Abandonnée": "WITHDRAWN",
        "did not finish": "WITHDRAWN",
        "Hors délai": "OUT_OF_TIME",
        "hors-délais": "OUT_OF_TIME",
        "Timed out": "OUT_OF_TIME",
        "Disqualifié": "DISQUALIFIED",
    }
    rows = [
        f"{i},{word},SE,MALE,2023-10-20T04:00:00+02:00,2023-10-20T05:00:00+02:00,"
        for i, word in enumerate(spelled)
    ]
    rows.append("99,Non partant,SE,MALE,,,")
    for typo in ("DNSE", "ABDE"):  # no loose rule reads a typo as a status
        bad = HEAD + "\n" + R1.replace("FINISHER", typo) + "\n"
        with pytest.raises(HistoryError, match=f"unknown status '{typo}'"):
            read_times(_write(tmp_path, bad, name="typo.csv"))
    st = read_times(_write(tmp_path, HEAD + "\n" + "\n".join(rows) + "\n"))
    assert st.status == tuple(spelled.values())
    assert any("did not start" in w and "bib 99" in w for w in st.warnings)


# ------------------------------------------------------------------ refused in one line

REFUSED = {
    # case: (bytes, the message after "Error: <file>: ")
    "elapsed times": (
        HEAD + "\n1,FINISHER,SE,MALE,00:00:00,01:00:00,27:15:02\n",
        r"line 2, column 'Start': .*'00:00:00'",
    ),
    "elapsed over 99 h": (
        HEAD + "\n1,FINISHER,SE,MALE,2023-10-20T04:00:00+02:00,,101:15:02\n",
        r"line 2, column 'Finish': .*'101:15:02'",
    ),
    "day/month/year": (
        HEAD + "\n1,FINISHER,SE,MALE,20/10/2023 04:00,20/10/2023 05:00,20/10/2023 06:00\n",
        r"line 2, column 'Start': not an ISO 8601 time: '20/10/2023 04:00'",
    ),
    "duplicate runner": (HEAD + "\n" + R1 + "\n" + R1 + "\n", r"line 3: bib '1' already on line 2"),
    "unknown status": (
        HEAD + "\n" + R1.replace("FINISHER", "Pending") + "\n",
        r"line 2, column 'status': unknown status 'Pending'",
    ),
    "header and no rows": (HEAD + "\r\n\r\n", r"no runners: only a header row"),
    "last line truncated in a field": (
        HEAD + "\n" + R1 + "\n" + R1.replace("1", "2", 1)[:40],
        r"line 3: 5 fields, expected 7",
    ),
    "last line truncated in a time": (
        HEAD + "\n" + R1 + "\n" + R1.replace("1", "2", 1)[:-10],
        r"line 3, column 'Finish': not an ISO 8601 time: '2023-10-20T06:0'",
    ),
    "neither UTF-8 nor Windows-1252": (
        (HEAD.replace("Start", "Départ") + "\n" + R1 + "\n").encode("latin-1") + b"\x81\n",
        r"not UTF-8 text \(invalid continuation byte at line 1, byte \d+\), nor "
        r"Windows-1252 \(byte 0x81 at line 3, byte \d+\); save it as UTF-8",
    ),
    "UTF-8 accents and Windows-1252 ones": (
        (HEAD.replace("Start", "Départ") + "\n").encode()
        + (R1.replace("SE", "Vétéran") + "\n").encode("cp1252"),
        r"not UTF-8 text \(invalid continuation byte at line 2, byte \d+\), though other "
        r"accents in it are UTF-8: two encodings in one file\?; save it as UTF-8",
    ),
    "UTF-16 without its byte-order mark": (
        (HEAD.replace("Start", "Départ") + "\n" + R1 + "\n").encode("utf-16-le"),
        r"not UTF-8 text \(.*\) \(it holds NUL bytes: UTF-16 without a byte-order mark\?\)",
    ),
    "UTF-16 mark, then bytes UTF-16 cannot decode": (
        b"\xff\xfe" + HEAD.encode("utf-16-le") + b"\x00\xd8\n\x00",
        r"not UTF-16 text after its UTF-16 byte-order mark \(.* at byte \d+\); save it",
    ),
    "time under no name": (
        HEAD + ",\n" + R1 + ",2023-10-20T07:00:00+02:00\n",
        r"line 2: field 8 has no name in the header",
    ),
    "file cut inside its last time": (
        HEAD + "\n" + R1 + "\n" + R1.replace("1", "2", 1)[:-12],
        r"line 3, column 'Finish': the file ends inside this value, '2023-10-20T06'",
    ),
    "column of non-times": (
        HEAD + ",Rank\n" + R1 + ",1\n" + R2 + ",2\n",
        r"column 'Rank' is not a checkpoint's times",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_exports_refused_in_one_line(tmp_path, case):
    data, message = REFUSED[case]
    p = _write(tmp_path, data)
    with pytest.raises(HistoryError, match=rf"^{p}: {message}") as exc:
        read_times(p)
    assert "\n" not in str(exc.value)


# --------------------------------------------------------------------- through the CLI


def _course(tmp_path):
    """A flat 30 km course, start 04:00 +02:00 (Europe/Paris), 10 h, Start/A/Finish."""
    from coursekit.gpx import write_gpx

    n = 301
    lat = np.linspace(44.0, 44.0 + 30_000 / 111_195, n)
    write_gpx(tmp_path / "c.gpx", lat, np.full(n, 3.0), np.full(n, 400.0), name="c")
    cps = "".join(
        f'\n[[checkpoints]]\nname = "{name}"\nkm = {km}\n'
        for name, km in (("Start", 0), ("A", 10), ("Finish", 30))
    )
    (tmp_path / "c.toml").write_text(
        'name = "Flat 30"\ngpx = "c.gpx"\nstart = 2023-10-20T04:00:00+02:00\nlimit = "10h"\n'
        'timezone = "Europe/Paris"\n' + cps
    )
    return tmp_path / "c.toml"


@pytest.mark.parametrize("command", ["backtest", "calibrate"])
@pytest.mark.parametrize(
    "case",
    [
        "elapsed times",
        "neither UTF-8 nor Windows-1252",
        "duplicate runner",
        "time under no name",
        "file cut inside its last time",
    ],
)
def test_cli_refuses_in_one_line_without_traceback(tmp_path, command, case):
    from click.testing import CliRunner

    from coursekit.cli import cli

    course = _course(tmp_path)
    data, message = REFUSED[case]
    p = _write(tmp_path, data)
    r = CliRunner().invoke(cli, [command, str(course), "--times", str(p)])
    assert r.exit_code not in (0, None) and not isinstance(r.exception, HistoryError)
    assert "Traceback" not in r.output
    errors = [line for line in r.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {p}: ")


# ------------------------------------------------------------- columns without a name


def test_unnamed_empty_columns_are_dropped(tmp_path):
    """A spreadsheet's empty columns after the last (``Finish,,``): the header's fields
    without a name, empty in every row, are no checkpoint's. Two of them were refused as
    "duplicate checkpoint columns '' and ''"; one was read as a checkpoint named ''."""
    for head, tail in ((",,", ",,"), (",", ","), (",,", ""), (",,", ",")):
        text = HEAD + head + "\n" + R1 + tail + "\n" + R2 + tail + "\n"
        st = read_times(_write(tmp_path, text))
        assert st.columns == ("Start", "A", "Finish"), (head, tail)
        assert _same(_elapsed_h(st), EXPECTED)
    # between named columns too (a column emptied by hand)
    row = R1.replace(",2023-10-20T05", ",,2023-10-20T05")
    text = "bib,status,category,sex,Start,,A,Finish\n" + row
    st = read_times(_write(tmp_path, text + "\n"))
    assert st.columns == ("Start", "A", "Finish") and st.time[0, 1] == T0 + 3600


def test_unnamed_column_holding_a_time_is_refused(tmp_path):
    """A passage time under no name (LiveTrail's Templiers GTT 2023 source: 18 names, 19
    fields) cannot be matched to a checkpoint: it was read as a column named '', never
    used, without a word."""
    text = HEAD + ",\n" + R1 + ",\n" + R2 + "2023-10-20T06:30:00+02:00,2023-10-20T07:00:00+02:00\n"
    p = _write(tmp_path, text)
    with pytest.raises(HistoryError) as exc:
        read_times(p)
    assert str(exc.value) == (
        f"{p}: line 3: field 8 has no name in the header but holds "
        "'2023-10-20T07:00:00+02:00': name the column after its checkpoint, or empty it"
    )


# ------------------------------------------------------------------ a truncated file


@pytest.mark.parametrize("cut", [3, 6, 9, 12])
@pytest.mark.parametrize("tz", [None, PARIS])
def test_last_line_cut_inside_a_time_that_still_reads_is_refused(tmp_path, cut, tz):
    """A file cut short (a download interrupted) in its last time, where what is left still
    reads as one: ``...T07:45:00+02`` (an offset of whole hours), ``...T07:45:00`` or
    ``...T07:45`` (no offset: a local time, 2 h off without a zone), ``...T07`` (07:00). The
    runner's finish was read 45 min early or 2 h late, without a word (or with a warning that
    "elapsed times from a start column are unaffected")."""
    last = "2,FINISHER,SE,MALE,2023-10-20T04:00:00+02:00,2023-10-20T05:30:00+02:00,"
    cell = "2023-10-20T07:45:00+02:00"
    p = _write(tmp_path, HEAD + "\n" + R1 + "\n" + last + cell[:-cut])
    with pytest.raises(HistoryError) as exc:
        read_times(p, tz=tz)
    assert str(exc.value) == (
        f"{p}: line 3, column 'Finish': the file ends inside this value, {cell[:-cut]!r}, "
        "where the column's others are written like '2023-10-20T06:00:00+02:00' (a "
        "truncated file? export it again)"
    )
    # the same row ended by a line break was written so: read (the times without offset as
    # local times)
    p = _write(tmp_path, HEAD + "\n" + R1 + "\n" + last + cell[:-cut] + "\n")
    assert read_times(p, tz=tz).bib == ("1", "2")
    # and a complete last time without a final line break is the usual file
    p = _write(tmp_path, HEAD + "\n" + R1 + "\n" + last + cell)
    assert read_times(p, tz=tz).time[1, 2] == T0 + 3.75 * 3600


def test_undecodable_byte_named_at_its_line(tmp_path):
    """A byte neither UTF-8 nor Windows-1252 far down the file: the error said "at byte
    5091", the offset in the 8 KB chunk being decoded, not in the file (29,667): the
    organiser looked for it in the wrong place. It names the line, as a course file's does."""
    rows = "".join(f"{k}" + R1[1:] + "\n" for k in range(1, 301))
    data = (HEAD + "\n" + rows).encode() + "301,FINISHER,V\x81t,MALE,,,\n".encode("latin-1")
    p = _write(tmp_path, data)
    with pytest.raises(HistoryError) as exc:
        read_times(p)
    at = data.index(b"\x81")  # the first byte that is not UTF-8, from the file's start
    assert at > 8192
    assert str(exc.value) == (
        f"{p}: not UTF-8 text (invalid start byte at line 302, byte {at:,}), nor Windows-1252 "
        f"(byte 0x81 at line 302, byte {at:,}); save it as UTF-8"
    )


ACCENTED = HEAD.replace("Start", "Départ").replace("Finish", "Arrivée")


@pytest.mark.parametrize(
    "encoding, mark",
    [
        ("cp1252", b""),
        ("cp1252", b"\xef\xbb\xbf"),  # a UTF-8 mark before Windows-1252 text: the text's
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ],
)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_spreadsheet_encodings_read_with_a_warning(tmp_path, encoding, mark, eol):
    """Excel saves "CSV" in Windows-1252 on a Western-European Windows, and "Unicode
    text" in UTF-16 with a byte-order mark (tabs between fields): both were refused
    ("not UTF-8 text"), sending the organiser to re-export a file that says what it is.
    They are read, the accented names kept, with a warning naming the encoding."""
    text = ACCENTED + eol + R1 + eol + R2 + eol
    if encoding != "cp1252":
        text = text.replace(",", "\t")
    st = read_times(_write(tmp_path, mark + text.encode(encoding)))
    assert st.columns == ("Départ", "A", "Arrivée")
    assert st.bib == ("1", "2") and st.status == ("FINISHER", "WITHDRAWN")
    assert _same(_elapsed_h(st), EXPECTED) and st.time[0, 0] == T0
    name = "Windows-1252" if encoding == "cp1252" else "UTF-16"
    assert st.warnings[0].startswith(f"not UTF-8: read as {name} ")
    # the same text in UTF-8: no warning
    assert read_times(_write(tmp_path, text.encode())).warnings == ()


def test_windows_1252_file_cut_short_is_still_refused(tmp_path):
    """The cut-short check needs the file's end: read from the decoded text."""
    cut = (ACCENTED + "\n" + R1 + "\n" + R1.replace("1", "3", 1)[:-12]).encode("cp1252")
    with pytest.raises(HistoryError, match=r"line 3, column 'Arrivée': the file ends inside"):
        read_times(_write(tmp_path, cut))


def test_times_with_and_without_offset_in_one_file_are_said(tmp_path):
    """A cell typed by hand without the offset the export writes elsewhere
    (``2023-10-20 07:45`` among ``...+02:00``): without a zone it is read as UTC, 2 h off
    the others, and the warning said "elapsed times from a start column are unaffected";
    with the course's zone, it is read right only if the file's offsets are (Templiers 2023
    wrote +00:00 for +02:00). Both say that the file mixes the two."""
    import types

    from coursekit.history import naive_note

    text = HEAD + "\n" + R1 + "\n2,FINISHER,SE,MALE,2023-10-20 04:00,2023-10-20 05:30,\n"
    p = _write(tmp_path, text)
    st = read_times(p)
    assert st.naive == 2 and st.time[1, 0] == T0 + 7200
    assert st.warnings == (
        "2 times have no UTC offset: read as UTC (no time zone given), while the file's other "
        "3 times have one: elapsed times between the two are off by that offset",
    )
    course = types.SimpleNamespace(timezone="Europe/Paris")
    st = read_times(p, tz=PARIS)
    assert st.time[1].tolist()[:2] == [T0, T0 + 5400] and st.warnings == ()
    assert naive_note(st, course) == (
        "2 times in t.csv have no UTC offset: read as local times of the course's time zone "
        "Europe/Paris, while the file's other 3 times have one: check that the two agree"
    )
    # all without an offset: as before
    st = read_times(_write(tmp_path, text.replace(R1, R1.replace("+02:00", ""))))
    assert st.warnings[0].endswith("elapsed times from a start column are unaffected")
    assert naive_note(read_times(st.path, tz=PARIS), course).endswith("time zone Europe/Paris")


@pytest.mark.parametrize(
    "head, rows",
    [
        # the bib last: '12' begins like '123'
        ("status,Start,Finish,bib", ["FINISHER,{s},{f},123", "FINISHER,{s},{f},12"]),
        # a runner's name last: 'Jean' begins like 'Jeanne'
        ("bib,status,Start,Finish,name", ["1,FINISHER,{s},{f},Jeanne", "2,FINISHER,{s},{f},Jean"]),
        # the status last: 'Abandon' begins like 'Abandonné' (both WITHDRAWN)
        ("bib,Start,Finish,status", ["1,{s},{f},Abandonné", "2,{s},{f},Abandon"]),
    ],
)
def test_file_without_final_line_break_is_read_whatever_its_last_column(tmp_path, head, rows):
    """A complete file that merely lacks a final line break, whose last column is no
    checkpoint's (the bib, a runner's details, the status): its last value beginning like
    another row's is no cut time. It was refused as "the file ends inside this value"."""
    s, f = "2023-10-20T04:00:00+02:00", "2023-10-20T06:00:00+02:00"
    text = head + "\n" + "\n".join(r.format(s=s, f=f) for r in rows)
    st = read_times(_write(tmp_path, text))
    assert len(st.bib) == 2 and st.columns == ("Start", "Finish")
    assert st.time[1].tolist() == [T0, T0 + 7200]


@pytest.mark.parametrize(
    "others, last, seconds",
    [
        # fractions of a second written only when there are some (Python's isoformat)
        ("2023-10-20T06:00:00.250", "2023-10-20T07:45:00", 0),
        ("2023-10-20T06:00:00.250", "2023-10-20T07:45:00.5", 0.5),
        # a spreadsheet's cell typed without seconds among exported ones
        ("2023-10-20 06:00:30", "2023-10-20 07:45", 0),
    ],
)
def test_last_time_written_to_a_coarser_second_is_no_cut(tmp_path, others, last, seconds):
    """A complete file without a final line break whose last time is written without the
    seconds or fraction its column's others have: what a cut there could lose is less than
    a minute, and the value is the one the file holds. It was refused as "the file ends
    inside this value"; a cut in the hours, minutes or UTC offset still is (above)."""
    head = "bib,status,Start,Finish\n"
    text = head + f"1,FINISHER,2023-10-20T04:00:00,{others}\n2,FINISHER,2023-10-20T04:00:00,{last}"
    st = read_times(_write(tmp_path, text), tz=PARIS)
    assert st.time[1, 1] - st.time[1, 0] == 3.75 * 3600 + seconds
    # a cut in the minutes is still refused ('2023-10-20T07' reads as 07:00)
    cut = text[: len(text) - len(last) + 13]
    with pytest.raises(HistoryError, match=f"the file ends inside this value, {cut[-13:]!r}"):
        read_times(_write(tmp_path, cut), tz=PARIS)
