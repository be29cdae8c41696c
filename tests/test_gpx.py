"""GPX reading: parity with gpxpy (the reference reader), fast path = general reader, times."""

from __future__ import annotations

import math
import os
import re
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import POINT_FORMS, in_form

from coursekit import gpx, gpxcheck
from coursekit.errors import GPXError
from coursekit.gpx import parse_time, read_gpx, write_gpx

# gpxpy keeps times to the microsecond (datetime); coursekit keeps every digit written.
TIME_TOL = 1e-6


def _gpxpy_points(path: Path):
    """What gpxpy reads: tracks -> segments -> points, or route points when no tracks."""
    import gpxpy

    with open(path, encoding="utf-8") as fh:
        g = gpxpy.parse(fh)
    pts = [p for t in g.tracks for s in t.segments for p in s.points]
    seg_of = []
    k = 0
    for t in g.tracks:
        for s in t.segments:
            if s.points:
                seg_of += [k] * len(s.points)
                k += 1
    if not pts:
        pts = [p for r in g.routes for p in r.points]
        seg_of = []
    return g, pts, seg_of


def _epoch(dt) -> float:
    if dt is None:
        return math.nan
    if dt.tzinfo is None:  # gpxpy leaves times without offset naive; both take them as UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _assert_same_as_gpxpy(path: Path, track):
    g, pts, seg_of = _gpxpy_points(path)
    assert len(track) == len(pts)
    np.testing.assert_array_equal(track.lat, [p.latitude for p in pts])
    np.testing.assert_array_equal(track.lon, [p.longitude for p in pts])
    ele = [math.nan if p.elevation is None else p.elevation for p in pts]
    np.testing.assert_array_equal(track.elevation, ele)  # NaN == NaN here
    np.testing.assert_allclose(
        track.time, [_epoch(p.time) for p in pts], rtol=0, atol=TIME_TOL, equal_nan=True
    )
    if seg_of:
        np.testing.assert_array_equal(track.segment, seg_of)
    wpts = [(w.name or "", w.latitude, w.longitude) for w in g.waypoints]
    assert [(w.name, w.lat, w.lon) for w in track.waypoints] == wpts
    np.testing.assert_array_equal(
        [w.elevation for w in track.waypoints],
        [math.nan if w.elevation is None else w.elevation for w in g.waypoints],
    )


def _corpus(realdata):
    files = sorted((realdata / "gpxpy_test_files").glob("*.gpx"))
    assert len(files) >= 25
    return files


def test_parity_with_gpxpy_on_its_corpus(realdata):
    """Every file of gpxpy's own test corpus: same points, or refused.

    gpxpy reads the 10 files without track or route points as an empty GPX;
    coursekit refuses them ("no track or route points"): there is nothing to
    measure. That is the only difference allowed here.
    """
    read = refused = 0
    for path in _corpus(realdata):
        _, pts, _ = _gpxpy_points(path)
        if not pts:
            with pytest.raises(GPXError, match="no track or route points"):
                read_gpx(path)
            refused += 1
            continue
        _assert_same_as_gpxpy(path, read_gpx(path))
        read += 1
    assert read >= 15 and refused >= 1


def test_fast_path_equals_general_reader(realdata):
    """The fast path, when it accepts a file, gives exactly what the lxml reader gives."""
    files = _corpus(realdata) + sorted(realdata.glob("*.gpx"))
    fast_used = 0
    for path in files:
        fast = gpx._read_fast(path, str(path), 10**8)
        try:
            slow = gpx._read_lxml(path, str(path), 10**8)
        except GPXError:
            assert fast is None
            continue
        if fast is None:
            continue
        fast_used += 1
        for k in ("lat", "lon", "elevation", "time", "segment"):
            np.testing.assert_array_equal(getattr(fast, k), getattr(slow, k), err_msg=k)
        assert fast.waypoints == slow.waypoints
        assert (fast.name, fast.kind) == (slow.name, slow.kind)
    assert fast_used >= 10


def test_parity_on_real_race_tracks(realdata):
    """The race tracks of the dev set, read against gpxpy (small ones: keep CI fast)."""
    files = [p for p in sorted(realdata.glob("*.gpx")) if p.stat().st_size < 1_500_000]
    assert files
    for path in files:
        _assert_same_as_gpxpy(path, read_gpx(path))


def test_two_segments_file(data_dir):
    t = read_gpx(data_dir / "two_segments.gpx")
    assert t.kind == "track" and t.name == "Two segments"
    np.testing.assert_array_equal(t.segment, [0, 0, 0, 1, 1])  # empty <trkseg/> vanishes
    np.testing.assert_array_equal(t.lat, [45.0, 45.001, 45.002, 45.003, 45.004])
    np.testing.assert_array_equal(t.elevation, [1000.5, np.nan, np.nan, 1003, 1004])
    t0 = 1717214400.0  # 2024-06-01T04:00:00Z
    np.testing.assert_array_equal(t.time, [t0, t0 + 1, t0 + 2.5, t0 + 3.25, np.nan])
    (w,) = t.waypoints
    assert (w.name, w.lat, w.lon, w.elevation, w.description, w.type, w.line) == (
        "Col & Refuge",
        45.5,
        6.5,
        1500.0,
        "water",
        "aid",
        5,
    )
    _assert_same_as_gpxpy(data_dir / "two_segments.gpx", t)


def test_gpx10_route(data_dir):
    t = read_gpx(data_dir / "route10.gpx")
    assert t.kind == "route" and t.name == "A route" and len(t) == 3
    np.testing.assert_array_equal(t.elevation, [10, 20, np.nan])
    assert np.isnan(t.time).all()
    _assert_same_as_gpxpy(data_dir / "route10.gpx", t)


def _regular(n=50, *, lonfirst=False, comment=False, prefix="", bom=False, wpt=False):
    g = prefix[1:] + ":" if prefix else ""
    lines = [f'<{g}gpx version="1.1" xmlns{prefix}="http://www.topografix.com/GPX/1/1">']
    if wpt:
        lines.append(f'<{prefix[1:]}{":" if prefix else ""}wpt lat="1" lon="2"><name>W</name>')
        lines.append(f"</{prefix[1:]}{':' if prefix else ''}wpt>")
    p = prefix[1:] + ":" if prefix else ""
    lines.append(f"<{p}trk><{p}name>T</{p}name><{p}trkseg>")
    for i in range(n):
        a = f'lat="{45 + i * 1e-4:.7f}" lon="{6 + i * 1e-4:.7f}"'
        if lonfirst:
            a = f'lon="{6 + i * 1e-4:.7f}" lat="{45 + i * 1e-4:.7f}"'
        lines.append(
            f"<{p}trkpt {a}><{p}ele>{1000 + i}</{p}ele>"
            f"<{p}time>2024-06-01T04:{i // 60:02d}:{i % 60:02d}Z</{p}time>"
            + ("<!-- c -->" if comment and i == 3 else "")
            + f"<{p}extensions><x>1</x></{p}extensions></{p}trkpt>"
        )
    lines.append(f"</{p}trkseg></{p}trk></{p}gpx>")
    text = "\n".join(lines).encode()
    return (b"\xef\xbb\xbf" if bom else b"") + text


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"lonfirst": True},
        {"comment": True},
        {"prefix": ":g"},
        {"bom": True},
        {"wpt": True},
        {"prefix": ":g", "wpt": True},
    ],
    ids=str,
)
def test_variants_read_the_same(tmp_path, opts):
    """Layouts the fast path takes or hands over give the same arrays."""
    ref = tmp_path / "ref.gpx"
    ref.write_bytes(_regular())
    f = tmp_path / "v.gpx"
    f.write_bytes(_regular(**opts))
    a, b = read_gpx(ref), read_gpx(f)
    for k in ("lat", "lon", "elevation", "time", "segment"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert b.name == "T"
    assert len(b.waypoints) == (1 if opts.get("wpt") else 0)
    if opts.get("prefix"):
        # gpxpy ignores namespaces and finds no <trk> in <g:gpx><g:trk>: it reads an
        # empty file. coursekit reads elements by local name in any namespace.
        _, pts, _ = _gpxpy_points(f)
        assert pts == []
    else:
        _assert_same_as_gpxpy(f, b)


def test_fast_path_is_used_on_regular_files(tmp_path):
    f = tmp_path / "r.gpx"
    f.write_bytes(_regular(wpt=True))
    assert gpx._read_fast(f, str(f), 10**6) is not None


def test_fast_path_pieces(tmp_path, monkeypatch):
    """Files longer than one read buffer are cut between points, never inside one."""
    monkeypatch.setattr(gpxcheck, "CHUNK", 997)
    f = tmp_path / "r.gpx"
    f.write_bytes(_regular(400, wpt=True))
    fast = gpx._read_fast(f, str(f), 10**6)
    slow = gpx._read_lxml(f, str(f), 10**6)
    assert fast is not None and len(fast) == 400
    for k in ("lat", "lon", "elevation", "time", "segment"):
        np.testing.assert_array_equal(getattr(fast, k), getattr(slow, k))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-01T04:00:00Z", 1717214400.0),
        ("2024-06-01T04:00:00", 1717214400.0),
        ("2024-06-01 04:00:00Z", 1717214400.0),
        ("2024-06-01T06:00:00+02:00", 1717214400.0),
        ("2024-06-01T06:00:00+0200", 1717214400.0),
        ("2024-06-01T02:30:00-01:30", 1717214400.0),
        ("2024-06-01T06:00:00+02", 1717214400.0),
        ("2024-06-01T04:00:00.25Z", 1717214400.25),
        ("2024-6-1T4:0:0Z", 1717214400.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("2000-02-29T00:00:00Z", 951782400.0),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == pytest.approx(expected, abs=1e-9)
    import gpxpy.gpxfield

    assert _epoch(gpxpy.gpxfield.parse_time(text)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2024-06-01",
        "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "",
        "2024-06-01T04:00:00+99:99",  # offsets are less than a day (gpxpy: unusable time)
        "2024-06-01T04:00:00+24:00",
        "2024-06-01T04:00:00-02:60",
        "2024-06-01T04:00:00+9999",
    ],
)
def test_parse_time_refuses(text):
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize("zone", ["+99:99", "+24:00", "-0260", "+30"])
def test_an_offset_of_a_day_or_more_is_refused(tmp_path, zone):
    """``+99:99`` was read as an offset of 100 h 39 min (the fast path's and parse_time's
    arithmetic took any two digits); gpxpy makes a time whose UTC offset raises. Every
    point written so: the vectorised times (the fast path's usual case) refuse it too."""
    assert gpx._fast_utc_times([f"2024-06-01T04:00:0{i}{zone}".encode() for i in range(3)]) is None
    f = tmp_path / "z.gpx"
    f.write_bytes(_regular(5).replace(b"Z</time>", zone.encode() + b"</time>"))
    with pytest.raises(GPXError, match=rf"z\.gpx: line 3: time '2024-06-01T04:00:00\{zone}'"):
        read_gpx(f)


def test_vectorised_times_equal_parse_time():
    rng = np.random.default_rng(3)
    stamps = rng.integers(-2_000_000_000, 4_000_000_000, 500)
    texts = [np.datetime_as_string(np.datetime64(int(s), "s")) + ".123Z" for s in stamps.tolist()]
    fast = gpx._fast_utc_times([t.encode() for t in texts])
    assert fast is not None
    np.testing.assert_array_equal(fast, [parse_time(t) for t in texts])
    np.testing.assert_allclose(fast, stamps + 0.123, rtol=0, atol=1e-6)
    # an impossible date is not taken by the vectorised parser
    assert gpx._fast_utc_times([b"2023-02-29T00:00:00Z"]) is None


def test_vectorised_times_with_offsets_or_without_zone_equal_parse_time():
    """Offsets (+hh:mm, +hhmm, +hh, changing within a file as at a change of summer time),
    no zone at all (UTC) and fractions: one form per file, parsed like parse_time.
    Strings that parse_time refuses are never taken by the vectorised parser."""
    rng = np.random.default_rng(5)
    stamps = rng.integers(-2_000_000_000, 4_000_000_000, 300)
    base = [np.datetime_as_string(np.datetime64(int(s), "s")) for s in stamps.tolist()]
    forms = {
        "+hh:mm": lambda h, m, sign: f"{sign}{h:02d}:{m:02d}",
        "+hhmm": lambda h, m, sign: f"{sign}{h:02d}{m:02d}",
        "+hh": lambda h, m, sign: f"{sign}{h:02d}",
        "none": lambda h, m, sign: "",
    }
    for name, zone in forms.items():
        for frac in ("", ".5", ".123456"):
            texts = [
                b + frac + zone(int(rng.integers(0, 15)), int(rng.choice([0, 30, 45])), sign)
                for b, sign in zip(base, rng.choice(["+", "-"], len(base)), strict=True)
            ]
            fast = gpx._fast_utc_times([t.encode() for t in texts])
            assert fast is not None, (name, frac)
            np.testing.assert_array_equal(fast, [parse_time(t) for t in texts], err_msg=name)
    for bad in (
        [b"2024-06-01T04:00:00+02:00", b"2024-06-01T04:00:00x02:00"],  # not a sign
        [b"2024-06-01T04:00:00+02:00", b"2024-06-01T04:00:00+0200 "],  # form changes
        [b"2024-06-01T04:00:00+02:00", b"2024-06-01T04:00:00+02:0x"],  # not a digit
        [b"2024-06-01T04:00:00+2:00"],
        [b"2024-06-01T04:00:00.Z"],
    ):
        assert gpx._fast_utc_times(bad) is None, bad


def test_bad_time_is_refused_with_line(tmp_path):
    """gpxpy silently drops a time it cannot parse; coursekit names the line instead."""
    f = tmp_path / "t.gpx"
    f.write_bytes(_regular(5).replace(b"2024-06-01T04:00:02Z", b"2024-06-01T04:00:62Z"))
    with pytest.raises(GPXError, match=r"t\.gpx: line \d+: time '2024-06-01T04:00:62Z'"):
        read_gpx(f)


def test_latitude_out_of_range_refused(tmp_path):
    """gpxpy accepts lat="95" silently; coursekit refuses it, naming file and line."""
    import gpxpy

    f = tmp_path / "bad.gpx"
    f.write_bytes(_regular(5).replace(b'lat="45.0002000"', b'lat="95.0002000"'))
    assert gpxpy.parse(f.read_text()).tracks[0].segments[0].points[2].latitude == 95.0002
    with pytest.raises(GPXError, match=r"bad\.gpx: line 5: latitude 95\.0002 out of range"):
        read_gpx(f)


def test_bad_elevation_refused(tmp_path):
    """gpxpy turns <ele>abc</ele> into None; coursekit refuses it."""
    f = tmp_path / "bad.gpx"
    f.write_bytes(_regular(5).replace(b"<ele>1002</ele>", b"<ele>abc</ele>"))
    with pytest.raises(GPXError, match=r"line 5: ele 'abc' is not a number"):
        read_gpx(f)


def test_max_points(tmp_path):
    f = tmp_path / "r.gpx"
    f.write_bytes(_regular(20))
    with pytest.raises(GPXError, match="more than 10 points"):
        read_gpx(f, max_points=10)


def test_write_then_read(tmp_path):
    lat = np.array([45.0, 45.001, 45.002])
    lon = np.array([6.0, 6.001, 6.0])
    ele = np.array([1000.0, np.nan, 1010.0])
    w = gpx.Waypoint("CP1", 45.001, 6.001, 1005.0, "food", "aid")
    out = tmp_path / "o.gpx"
    write_gpx(out, lat, lon, ele, name="Course", waypoints=[w])
    t = read_gpx(out)
    np.testing.assert_array_equal(t.lat, lat)
    np.testing.assert_array_equal(t.elevation, ele)
    assert t.name == "Course"
    assert t.waypoints[0].name == "CP1" and t.waypoints[0].description == "food"


def test_waypoints_are_written_to_the_track_points_precision(tmp_path):
    """Black-box finding h91 J6: `export` wrote checkpoint waypoints projected on the track
    with every float digit (lat="46.57170322308727") while track points keep 7 decimals
    (1 cm): the waypoints are rounded the same way."""
    from xml.etree import ElementTree

    w = gpx.Waypoint("CP1", 45.00123456789012, 6.00098765432101, 1005.0, "food", "aid")
    out = tmp_path / "o.gpx"
    write_gpx(out, [45.0, 45.002], [6.0, 6.002], waypoints=[w])
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    (wpt,) = ElementTree.parse(out).getroot().findall("g:wpt", ns)
    assert (wpt.get("lat"), wpt.get("lon")) == ("45.0012346", "6.0009877")
    (trkpt, _) = ElementTree.parse(out).getroot().findall(".//g:trkpt", ns)
    assert trkpt.get("lat") == "45.0"


def test_write_drops_characters_xml_forbids(tmp_path):
    """Control characters, lone surrogates and U+FFFF in the texts would make a GPX no XML
    parser reads (gpxpy escapes & < > only): replaced, and the file reads back."""
    from xml.etree import ElementTree

    w = gpx.Waypoint("Aid\x0bA", 45.001, 6.001, 1005.0, "bell\x07 \ud800 \uffff", "cp\x00")
    out = tmp_path / "o.gpx"
    write_gpx(out, [45.0, 45.002], [6.0, 6.0], name="T\x1b[31m", description="d\x0c", waypoints=[w])
    ElementTree.parse(out)  # well-formed XML
    t = read_gpx(out)
    assert t.name == "T [31m"
    assert t.waypoints[0].name == "Aid A"
    assert t.waypoints[0].description == "bell  \ufffd \ufffd"
    assert "\ttab" in _write_read_name(tmp_path, "keep\ttab")  # tab is allowed in XML


def _write_read_name(tmp_path, name: str) -> str:
    out = tmp_path / "n.gpx"
    write_gpx(out, [45.0, 45.002], [6.0, 6.0], waypoints=[gpx.Waypoint(name, 45.0, 6.0, 1.0)])
    return read_gpx(out).waypoints[0].name


def _segments(n_seg=3, n=40) -> bytes:
    body = [b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>S</name>']
    for s in range(n_seg):
        body.append(b"<trkseg>")
        for i in range(n):
            body.append(
                f'<trkpt lat="{45 + (s * n + i) * 1e-4:.7f}" lon="6.1"><ele>{100 + i}</ele>'
                f"<time>2024-06-01T04:{s:02d}:{i:02d}Z</time></trkpt>\n".encode()
            )
        body.append(b"</trkseg>")
    body.append(b"</trk></gpx>")
    return b"".join(body)


def test_fast_path_arrays_grow_and_are_cut(tmp_path, monkeypatch):
    """The arrays are sized from the points per byte read so far: after a first piece of
    waypoints they grow, and are cut to the points read (same as the general reader)."""
    monkeypatch.setattr(gpxcheck, "CHUNK", 997)
    wpts = b"".join(f'<wpt lat="45" lon="6"><name>W{i}</name></wpt>\n'.encode() for i in range(60))
    data = _segments(4, 60).replace(b"<trk>", wpts + b"<trk>", 1).replace(b"<ele>130</ele>", b"")
    f = tmp_path / "g.gpx"
    f.write_bytes(data)
    fast = gpx._read_fast(f, str(f), 10**6)
    slow = gpx._read_lxml(f, str(f), 10**6)
    assert fast is not None and len(fast) == 240 and len(fast.waypoints) == 60
    assert np.isnan(fast.elevation).sum() == 4
    for k in ("lat", "lon", "elevation", "time", "segment"):
        np.testing.assert_array_equal(getattr(fast, k), getattr(slow, k))
        assert getattr(fast, k).flags.owndata  # no hidden room behind a view


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize("chunk", [997, 1 << 22], ids=["small-pieces", "one-piece"])
def test_fast_path_checks_in_a_child_process(tmp_path, monkeypatch, fork, chunk):
    """The whole-file checks give the same answer run in a forked child or in-process,
    whatever the piece size: same arrays as the general reader, segments included."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
    for data, n_seg in ((_regular(300, wpt=True), 1), (_segments(), 3)):
        f = tmp_path / "r.gpx"
        f.write_bytes(data)
        fast = gpx._read_fast(f, str(f), 10**6)
        slow = gpx._read_lxml(f, str(f), 10**6)
        assert fast is not None
        assert int(fast.segment.max()) + 1 == n_seg
        for k in ("lat", "lon", "elevation", "time", "segment"):
            np.testing.assert_array_equal(getattr(fast, k), getattr(slow, k))


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize(
    "damage",
    [
        (b"<x>1</x></extensions>", b"<x>1</y></extensions>"),  # mismatched tag inside a point
        (b"<extensions>", b"<!-- c --><extensions>"),  # a comment could hide tags
        (b"</trkseg></trk></gpx>", b"</trkseg></trk>"),  # truncated
        (b"<ele>1200</ele>", b"<ele>1200</ele><ele>1</ele>"),  # a second <ele> not captured
    ],
    ids=["mismatched", "comment", "truncated", "extra-ele"],
)
def test_fast_path_refuses_what_it_cannot_vouch_for(tmp_path, monkeypatch, fork, damage):
    """Damage in the middle of a file makes the fast path hand over (None); the general
    reader then reads it or names the problem."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    monkeypatch.setattr(gpxcheck, "CHUNK", 997)
    data = _regular(300)
    old, new = damage
    i = data.index(old, len(data) // 2)
    f = tmp_path / "d.gpx"
    f.write_bytes(data[:i] + new + data[i + len(old) :])
    assert gpx._read_fast(f, str(f), 10**6) is None


def _same_or_refused(f):
    fast = gpx._read_fast(f, str(f), 10**6)
    try:
        slow = gpx._read_lxml(f, str(f), 10**6)
    except GPXError:
        slow = None
    if fast is None:
        return True
    assert slow is not None
    for k in ("lat", "lon", "elevation", "time", "segment"):
        np.testing.assert_array_equal(getattr(fast, k), getattr(slow, k), err_msg=k)
    assert fast.waypoints == slow.waypoints
    return False


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
def test_fast_path_unusual_files_same_or_refused(tmp_path, monkeypatch, fork):
    """Review cases: a point nested in a point cut after a waypoint, a prefix bound to the
    GPX namespace, 'nan' beside a missing <ele>, a waypoint after the track."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    head = b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
    pts = b"".join(
        f'<trkpt lat="{45 + i * 1e-4:.7f}" lon="6"><ele>{i}</ele>'
        f"<time>2024-06-01T04:00:{i:02d}Z</time></trkpt>\n".encode()
        for i in range(40)
    )
    nested = (
        b'<trkpt lat="45.5" lon="6.5"><ele>1</ele><trkpt lat="45.6" lon="6.6"><ele>2</ele>'
        b"</trkpt><time>2024-06-01T05:00:00Z</time></trkpt>\n"
    )
    wpt = b'<wpt lat="45" lon="6"><name>W</name></wpt>\n'
    cases = {
        "nested-after-wpt": head
        + wpt
        + b"<trk><trkseg>"
        + pts
        + nested
        + pts
        + b"</trkseg></trk></gpx>",
        "gpx-prefix": head.replace(b"<gpx ", b'<gpx xmlns:g="http://www.topografix.com/GPX/1/1" ')
        + b"<trk><trkseg>"
        + pts
        + b"<g:trkpt lat='45.9' lon='6'><g:ele>5</g:ele></g:trkpt>"
        + pts
        + b"</trkseg></trk></gpx>",
        "nan-beside-missing": head
        + b"<trk><trkseg>"
        + pts
        + b'<trkpt lat="45.7" lon="6"></trkpt><trkpt lat="45.8" lon="6"><ele>nan</ele></trkpt>'
        + pts
        + b"</trkseg></trk></gpx>",
        "wpt-after-track": head
        + b"<trk><trkseg>"
        + pts * 3
        + b"</trkseg></trk>\n"
        + wpt
        + b"</gpx>",
    }
    for name, data in cases.items():
        f = tmp_path / f"{name}.gpx"
        f.write_bytes(data)
        chunks = [997, 1 << 22]
        if name == "nested-after-wpt":  # cut right after the inner point
            i = data.index(b"<ele>2</ele></trkpt>") + len(b"<ele>2</ele></trkpt>")
            chunks.append(i)
        for chunk in chunks:
            monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
            refused = _same_or_refused(f)
            if name in ("gpx-prefix", "nan-beside-missing"):
                assert refused, name
            if name == "wpt-after-track":
                assert not refused


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize(
    "root_ns",
    ["http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/1/", ""],
    ids=["gpx-1.1", "mistyped-namespace", "no-namespace"],
)
def test_readers_ignore_elements_of_other_namespaces(tmp_path, monkeypatch, fork, root_ns):
    """<x:ele>, <x:time>, <x:trkpt> or a waypoint's <x:name> are another namespace's: the
    general reader read them (lxml's {*}) where the fast path and gpxpy do not. Both readers
    now read only GPX elements (no namespace, GPX 1.0/1.1, or the root's own namespace,
    whatever it is, as gpxpy), and agree with gpxpy."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    xmlns = f' xmlns="{root_ns}"' if root_ns else ""
    head = f'<gpx version="1.1"{xmlns} xmlns:x="http://example.org/x">\n'
    head += '<wpt lat="45" lon="6"><x:name>not mine</x:name><name>W</name></wpt>\n'
    head += '<wpt lat="45.1" lon="6"><x:name>only foreign</x:name></wpt>\n'
    head += "<trk><x:name>no</x:name><name>T</name><trkseg>\n"
    pts = []
    for i in range(120):
        body = f"<ele>{1000 + i}</ele>" if i % 3 else ""
        body += f"<time>2024-06-01T04:00:{i % 60:02d}Z</time>" if i % 4 else ""
        body += "" if i % 3 else f"<x:ele>{5000 + i}</x:ele>"
        body += "" if i % 4 else "<x:time>2024-06-01T09:00:00Z</x:time>"
        if i == 50:
            body += '<extensions><x:trkpt lat="1" lon="1"><x:ele>7</x:ele></x:trkpt></extensions>'
        pts.append(f'<trkpt lat="{45 + i * 1e-4:.7f}" lon="6">{body}</trkpt>\n')
    f = tmp_path / "ns.gpx"
    f.write_text(head + "".join(pts) + "</trkseg></trk></gpx>\n")
    for chunk in (997, 1 << 22):
        monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
        assert not _same_or_refused(f)
    t = read_gpx(f)
    assert len(t) == 120 and np.isnan(t.elevation).sum() == 40 and np.isnan(t.time).sum() == 30
    assert t.name == "T" and [w.name for w in t.waypoints] == ["W", ""]
    slow = gpx._read_lxml(f, str(f), 10**6)
    assert slow.name == "T" and slow.waypoints == t.waypoints
    _assert_same_as_gpxpy(f, t)


def _written(i: int, lon_first: bool, quote: str, time_first: bool) -> str:
    """Point ``i`` written in one of the fast path's eight forms (some without <ele> or
    <time>)."""
    lat = f"lat={quote}{45 + i * 1e-4:.7f}{quote}"
    lon = f"lon={quote}{6 + i * 2e-4:.7f}{quote}"
    ele = f"<ele>{1000 + (i % 13) * 0.5}</ele>" if i % 7 else ""
    tim = f"<time>2024-06-01T04:{i // 60:02d}:{i % 60:02d}Z</time>" if i % 11 else ""
    body = tim + "\n   " + ele if time_first else ele + "\n   " + tim
    return f"  <trkpt {lon + ' ' + lat if lon_first else lat + ' ' + lon}>{body}</trkpt>\n"


def _forms_file(n: int, form=None) -> bytes:
    head = '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">\n'
    head += '<wpt lat="45" lon="6"><name>W</name></wpt>\n<trk><trkseg>\n'
    pts = []
    for i in range(n):
        pts.append(_written(i, *(form(i) if callable(form) else form)))
        if i == n // 2:
            pts.append("</trkseg><trkseg>\n")
    return (head + "".join(pts) + "</trkseg></trk></gpx>\n").encode()


FORMS = [(lf, q, tf) for lf in (False, True) for q in ('"', "'") for tf in (False, True)]


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize(
    "form", FORMS, ids=lambda f: f"lon_first={f[0]},quote={f[1]},time_first={f[2]}"
)
def test_fast_path_reads_points_written_in_any_order_or_quote(tmp_path, monkeypatch, fork, form):
    """lon before lat, single quotes, <time> before <ele>: read by the fast path (it handed
    such files to the general reader, 2.3x slower on 100k points), the same as that reader."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    monkeypatch.setattr(gpxcheck, "CHUNK", 997)
    f = tmp_path / "forms.gpx"
    f.write_bytes(_forms_file(300, form))
    assert not _same_or_refused(f)
    fast = gpx._read_fast(f, str(f), 10**6)
    assert len(fast) == 300 and np.isnan(fast.elevation).sum() == 43 and fast.segment[-1] == 1
    assert np.isnan(fast.time).sum() == 28


def test_fast_path_refuses_a_file_mixing_forms(tmp_path):
    """The first point chooses the form; a later point written otherwise fails the tag
    counts and the general reader reads the file."""
    f = tmp_path / "mixed.gpx"
    f.write_bytes(_forms_file(300, lambda i: (i >= 200, '"', False)))
    assert gpx._read_fast(f, str(f), 10**6) is None
    a, b = read_gpx(f), gpx._read_lxml(f, str(f), 10**6)
    for k in ("lat", "lon", "elevation", "time", "segment"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k), err_msg=k)


_HEADERS = {
    "exporter-comment": b"<!-- Created by a route planner <https://example.org> -->\n",
    "cdata-description": b"<metadata><name>M<!-- x -->N</name>"
    b"<desc><![CDATA[<p>Trail & <b>roads</b></p>]]></desc></metadata>\n",
    "comment-in-waypoint": b'<wpt lat="45.1" lon="6.1"><name>A<!-- c -->B</name>'
    b"<desc><![CDATA[x < y]]></desc></wpt>\n",
}


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize("header", list(_HEADERS), ids=str)
def test_fast_path_takes_harmless_comments_and_cdata_in_the_header(
    tmp_path, monkeypatch, fork, header
):
    """An exporter's comment or a CDATA description before the first point no longer sends
    the file to the general reader (5x slower on 100k points); same Track as that reader."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    for chunk in (997, 1 << 22):
        monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
        data = _forms_file(300, (False, '"', False))
        data = data.replace(b"<wpt ", _HEADERS[header] + b"<wpt ", 1)
        f = tmp_path / "h.gpx"
        f.write_bytes(data)
        assert not _same_or_refused(f), chunk
        fast = gpx._read_fast(f, str(f), 10**6)
        assert len(fast) == 300
        if header == "comment-in-waypoint":
            assert [w.name for w in fast.waypoints] == ["AB", "W"]
        if header == "cdata-description":
            assert fast.name == "MN"


@pytest.mark.parametrize("fork", [False, True], ids=["in-process", "forked"])
@pytest.mark.parametrize(
    "hidden",
    [
        b'<!-- <trkpt lat="1" lon="1"><ele>5</ele></trkpt> -->',
        b'<!-- <wpt lat="1" lon="1"></wpt> -->',
        b"<![CDATA[</trkseg><trkseg>]]>",
        b"<!-- not closed before the first point ",
        b"<!DOCTYPE gpx>",
        b"<?pi data?>",
    ],
    ids=["commented-point", "commented-waypoint", "cdata-segment", "open", "doctype", "pi"],
)
def test_fast_path_refuses_header_comments_that_hide_tags(tmp_path, monkeypatch, fork, hidden):
    """A commented-out point, waypoint or segment in the header would be read by the
    expressions: such files (and DOCTYPE, processing instructions, a comment still open
    at the first point) go to the general reader, which skips what is commented out."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
    data = _forms_file(60, (False, '"', False))
    n = 60
    if hidden.endswith(b"point "):  # the comment hides the first point
        i = data.index(b"</trkpt>") + len(b"</trkpt>")
        data = data.replace(b"<trkpt", hidden + b"<trkpt", 1)
        data = data[: i + len(hidden)] + b"-->" + data[i + len(hidden) :]
        n = 59
    else:
        data = data.replace(b"<wpt ", hidden + b"<wpt ", 1)
    f = tmp_path / "h.gpx"
    f.write_bytes(data)
    assert gpx._read_fast(f, str(f), 10**6) is None
    if hidden.startswith((b"<!--", b"<![CDATA[")):
        t = read_gpx(f)
        assert len(t) == n and len(t.waypoints) == 1


def test_gpxcheck_header_ok():
    ok = gpxcheck.header_ok
    assert ok(b"<gpx><!-- a -->") and ok(b"<!----><![CDATA[]]>") and ok(b"<desc>no marks</desc>")
    assert not ok(b"<!-- a ") and not ok(b"<![CDATA[ a ") and not ok(b"<!DOCTYPE x>")
    assert not ok(b"<!-- <trkseg> -->") and not ok(b"<!-- </wpt> -->")
    assert ok(b"<!-- <a href=x> -->")  # other tags in a comment are harmless


def test_gc_pause_of_overlapping_reads_leaves_the_collector_on(tmp_path, monkeypatch):
    """read_gpx pauses the cyclic GC around the fast path. Each call read gc.isenabled()
    then called gc.disable(): a second thread reading "disabled" (the first one inside)
    and disabling after the first had re-enabled it left the GC off for good. Here the
    thread switch between the two calls is forced (it also happened with 8 threads and
    sys.setswitchinterval(1e-6) reading a small file 20,000 times each)."""
    import gc
    import threading

    f = tmp_path / "t.gpx"
    f.write_text(
        '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="45" lon="6"><ele>1</ele></trkpt></trkseg></trk></gpx>'
    )
    a_inside, b_asked, a_done, b_done = (threading.Event() for _ in range(4))
    real_fast = gpx._read_fast

    def fast(*args):
        if threading.current_thread().name == "A":
            a_inside.set()
            b_asked.wait(5)  # B asks whether the GC is on while A reads
        return real_fast(*args)

    class SwitchingGC:
        """gc, with B's thread switched out just after gc.isenabled() (until A is done)."""

        def __getattr__(self, name):
            return getattr(gc, name)

        def isenabled(self):
            on = gc.isenabled()
            if threading.current_thread().name == "B":
                b_asked.set()
                a_done.wait(1)  # (a fixed reader may hold A back: no deadlock)
            return on

    def run(name):
        try:
            gpx.read_gpx(f)
        finally:
            (a_done if name == "A" else b_asked).set()
            if name == "B":
                b_done.set()

    was_on = gc.isenabled()
    gc.enable()
    monkeypatch.setattr(gpx, "gc", SwitchingGC())
    monkeypatch.setattr(gpx, "_read_fast", fast)
    try:
        a = threading.Thread(target=run, args=("A",), name="A")
        a.start()
        assert a_inside.wait(5)
        b = threading.Thread(target=run, args=("B",), name="B")
        b.start()
        a.join(10)
        b.join(10)
        assert a_done.is_set() and b_done.is_set()
        assert gc.isenabled()
    finally:
        if was_on:
            gc.enable()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
# Python >= 3.12 warns of fork() in a process with threads (the point of this test)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_gc_pause_not_inherited_by_a_child_forked_during_a_read(tmp_path, monkeypatch):
    """A process forked (by another thread) while a read is inside the GC pause has no
    reader to end it: its collector is switched back on."""
    import gc
    import threading

    f = tmp_path / "t.gpx"
    f.write_text(
        '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="45" lon="6"><ele>1</ele></trkpt></trkseg></trk></gpx>'
    )
    inside, forked = threading.Event(), threading.Event()
    real_fast = gpx._read_fast

    def fast(*args):
        inside.set()
        forked.wait(5)
        return real_fast(*args)

    monkeypatch.setattr(gpx, "_read_fast", fast)
    was_on = gc.isenabled()
    gc.enable()
    reader = threading.Thread(target=gpx.read_gpx, args=(f,))
    try:
        reader.start()
        assert inside.wait(5) and not gc.isenabled()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: report and leave at once
            os.write(w, b"1" if gc.isenabled() else b"0")
            os._exit(0)
        os.close(w)
        answer = os.read(r, 1)
        os.close(r)
        os.waitpid(pid, 0)
        forked.set()
        reader.join(10)
        assert answer == b"1"
        assert gc.isenabled()
    finally:
        forked.set()
        reader.join(10)
        if was_on:
            gc.enable()


def test_forked_check_survives_ignored_sigchld(tmp_path, monkeypatch):
    """With SIGCHLD ignored the child is reaped by the kernel: the answer still counts."""
    import signal

    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0)
    f = tmp_path / "r.gpx"
    f.write_bytes(_regular(200))
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        fast = gpx._read_fast(f, str(f), 10**6)
    finally:
        signal.signal(signal.SIGCHLD, old)
    assert fast is not None and len(fast) == 200


def test_a_started_check_never_vouches_for_another_version(tmp_path, monkeypatch):
    """A check started on one version of a file is not used for a rewritten one, even of the
    same size and modification time."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0)
    f = tmp_path / "r.gpx"
    good = _regular(200)
    f.write_bytes(good)
    st = f.stat()
    gpxcheck.start(f)
    bad = good.replace(b"<x>1</x>", b"<x>1</y>", 1)
    assert len(bad) == len(good)
    f.write_bytes(bad)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert gpx._read_fast(f, str(f), 10**6) is None
    with pytest.raises(GPXError):
        read_gpx(f)


def test_start_forks_exactly_from_the_size_threshold(tmp_path, monkeypatch):
    """`gpxcheck.start` (what `coursekit profile` calls before importing numpy) forks for files
    of FORK_BYTES or more and checks smaller ones in-process; `take` hands that check over."""
    f = tmp_path / "r.gpx"
    f.write_bytes(_regular(200))
    size = f.stat().st_size
    for threshold, forked in ((size, True), (size + 1, False)):
        monkeypatch.setattr(gpxcheck, "FORK_BYTES", threshold)
        for started in (True, False):  # take() alone starts one itself
            if started:
                gpxcheck.start(f)
            check = gpxcheck.take(f)
            assert (check.pid is not None) == forked
            ident, counts = check.result()
            assert ident == gpxcheck.identity(f.stat()) and counts


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            'name = "X"\ngpx = "x.gpx"\nstart = 2024-06-01T04:00:00+01:00\nlimit = "4h"\n',
            "a course file (TOML), not GPX: give it to `coursekit legs`, `cutoffs`, `check` "
            "or `roadbook` (`coursekit profile` reads a GPX; its track is 'x.gpx')",
        ),
        ('name = "E"\ncourses = ["a.toml"]\n', "an event file (TOML), not GPX"),
        ('name = "P"\n[[places]]\nname = "A"\n', "a places file (TOML), not GPX"),
        ("a = 1\n", "a TOML file, not GPX"),
    ],
)
def test_a_toml_input_given_as_gpx_is_named(tmp_path, text, expected):
    """F7 of the sixteenth sprint's black-box test: ``profile haut-120.toml`` said "not valid
    XML (line 1: Start tag expected...)"; the error now says what the file is."""
    f = tmp_path / "course.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(GPXError) as exc:
        read_gpx(f)
    assert str(exc.value).startswith(f"{f}: {expected}")
    assert "XML" not in str(exc.value)


@pytest.mark.parametrize("text", ["this is not xml at all\n", "<gpx><trk>", "a = \n"])
def test_broken_xml_and_non_toml_still_say_not_valid_xml(tmp_path, text):
    f = tmp_path / "x.gpx"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(GPXError, match="not valid XML"):
        read_gpx(f)


# ----------------------------------------------------------- the vectorised columns

_GAPS = ["", "", "\n", "\n    ", "\t", " \r\n"]


_FORMS = POINT_FORMS


def _form_id(form) -> str:
    lon_first, quote, time_first = form
    first = "lon" if lon_first else "lat"
    quotes = "single" if quote == "'" else "double"
    return f"{first}-{quotes}-{'time' if time_first else 'ele'}-first"


@st.composite
def _point_texts(draw, form):
    """One ``<trkpt>`` as writers write it in ``form`` (``(lon_first, quote, time_first)``,
    the eight forms of ``gpx._point_pattern``), mostly plainly, sometimes not, and now and
    then in another form (a file that mixes forms)."""
    lon_first, q, time_first = draw(st.sampled_from([form] * 12 + _FORMS))
    lat = draw(st.floats(-89.9, 89.9, allow_nan=False))
    lon = draw(st.floats(-179.9, 179.9, allow_nan=False))
    digits = draw(st.integers(0, 9))
    first, second = ("lon", "lat") if lon_first else ("lat", "lon")
    la, lo = f"{lat:.{digits}f}", f"{lon:.{digits}f}"
    one, two = (lo, la) if lon_first else (la, lo)
    a, b = f"{first}={q}{one}{q}", f"{second}={q}{two}{q}"
    other = "'" if q == '"' else '"'
    attrs = draw(
        st.sampled_from(
            [f"{a} {b}"] * 6
            + [f"{a}  {b}", f"{a} {b} ", f"{first}={q} {one}{q} {b}"]
            + [f"{a} {second}={other}{two}{other}"]  # quotes mixed in one tag
        )
    )
    gap = draw(st.sampled_from(_GAPS))
    # text after the start tag or between the tags (the expression stops there)
    lead, between = (draw(st.sampled_from([gap] * 6 + ["x", " x "])) for _ in range(2))
    tags = []
    ele = draw(st.sampled_from(["1000.5", "-3", "12e1", "", " 7 ", None, "1_0"]))
    if ele is not None:
        tags.append(f"<ele>{ele}</ele>")
    when = draw(
        st.sampled_from(
            [
                "2024-06-01T04:00:0{s}Z",
                "2024-06-01T04:00:0{s}.5Z",
                "2024-06-01T06:00:0{s}+02:00",
                "2024-06-01T04:00:0{s}",
                None,
            ]
        )
    )
    if when is not None:
        tags.append(f"<time>{when.format(s=draw(st.integers(0, 9)))}</time>")
    parts = [f"<trkpt {attrs}>", lead, between.join(tags[::-1] if time_first else tags)]
    parts.append(draw(st.sampled_from(["", "<extensions><hr>140</hr></extensions>"])))
    parts.append(f"{gap}</trkpt>")
    mark = draw(st.sampled_from([""] * 8 + ["</trkseg><trkseg>", "<trkseg/>"]))
    return mark + "".join(parts) + "\n"


@st.composite
def _tracks(draw):
    """``(form, points)``: the points of a track, written mostly in ``form``."""
    form = draw(st.sampled_from(_FORMS))
    return form, draw(st.lists(_point_texts(form), min_size=1, max_size=30))


def _piece_columns_agree(data: bytes, form) -> None:
    """The numpy columns of ``data`` read as one piece in ``form`` are None or exactly the
    expression's captures (counts, values, segments)."""
    key = (form[0], form[1].encode(), form[2])
    start = data.find(b"<trkpt")
    vector = gpx._vector_columns(data, 0, start, key)
    if vector is None:
        return
    expression = gpx._expression_columns(data, gpx._point_pattern(*key), 0, "p.gpx")
    assert vector[0] == expression[0]
    for k, (x, y) in enumerate(zip(vector[1:], expression[1:], strict=True)):
        np.testing.assert_array_equal(x, y, err_msg=gpx._COLUMNS[k + 1])


@settings(max_examples=300, deadline=None)
@given(track=_tracks(), chunk=st.sampled_from([300, 1 << 20]))
def test_vector_columns_read_what_the_expression_reads(track, chunk):
    """The columns taken with numpy equal the expression's captures, piece by piece, in
    each of the eight forms (lat or lon first, either quote, <ele> or <time> first): the
    fast path with and without them gives the same Track (or both hand over), and that
    Track is the general reader's."""
    form, points = track
    head = '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n'
    data = (head + "".join(points) + "</trkseg></trk></gpx>").encode()
    _piece_columns_agree(data, form)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "p.gpx"
        f.write_bytes(data)
        old_chunk, old_vector = gpxcheck.CHUNK, gpx._vector_columns
        used = []

        def spy(*args):
            out = old_vector(*args)
            used.append(out is not None)
            return out

        try:
            gpxcheck.CHUNK = chunk
            gpx._vector_columns = spy
            vector = gpx._read_fast(f, str(f), 10**6)
            gpx._vector_columns = lambda *args: None
            expression = gpx._read_fast(f, str(f), 10**6)
        finally:
            gpxcheck.CHUNK, gpx._vector_columns = old_chunk, old_vector
        assert (vector is None) == (expression is None)
        if vector is not None:
            for k in ("lat", "lon", "elevation", "time", "segment"):
                np.testing.assert_array_equal(getattr(vector, k), getattr(expression, k), k)
        _same_or_refused(f)


@pytest.mark.parametrize("form", _FORMS, ids=_form_id)
def test_vector_columns_take_every_form(tmp_path, monkeypatch, form):
    """Points written plainly (one line per point, indented tags, segments, no <time>, no
    <ele>) in any of the eight forms are read by the numpy columns, not by the
    expression, as the general reader reads them. The seven forms other than the usual
    one (lon first, single quotes, <time> before <ele>) were the expression's until the
    thirty-seventh sprint: 1.5-2x slower."""
    monkeypatch.setattr(gpxcheck, "CHUNK", 997)
    used = []
    real = gpx._vector_columns
    monkeypatch.setattr(
        gpx, "_vector_columns", lambda *a: used.append(real(*a) is not None) or real(*a)
    )
    pretty = _regular(300).replace(b"><ele>", b">\n  <ele>").replace(b"</ele><", b"</ele>\n  <")
    variants = {
        "plain": _regular(300),
        "pretty": pretty,
        "segments": _regular(300).replace(
            b'</trkpt>\n<trkpt lat="45.01', b'</trkpt></trkseg><trkseg><trkpt lat="45.01'
        ),
        "no-time": re.sub(rb"<time>[^<]*</time>", b"", _regular(300)),
        "no-ele": re.sub(rb"<ele>[^<]*</ele>", b"", pretty),
    }
    for name, data in variants.items():
        used.clear()
        f = tmp_path / f"{name}.gpx"
        written = in_form(data, form)
        assert written != data or form == _FORMS[0] or name in ("no-time", "no-ele"), name
        f.write_bytes(written)
        assert not _same_or_refused(f), name
        assert used and all(used), name
        track = read_gpx(f)
        assert len(track) == 300 and np.isfinite(track.lat).all(), name
    assert read_gpx(tmp_path / "segments.gpx").segment.max() >= 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<ele>1002</ele>", b"<ele>1002</ele><ele>5</ele>"),
        (b"<ele>1002</ele>", b"<ele></ele><ele>5</ele>"),
        (
            b"<time>2024-06-01T04:00:02Z</time>",
            b"<time>2024-06-01T04:00:02Z</time><time>2024-06-01T09:00:00Z</time>",
        ),
        (b"<name>W</name>", b"<name>W</name><name>V</name><ele>7</ele><ele>8</ele>"),
        (b"<name>W</name>", b"<name>W</name><ele></ele><ele>8</ele>"),
    ],
    ids=[
        "ele-twice",
        "empty-ele-first",
        "time-twice",
        "waypoint-name-ele-twice",
        "waypoint-empty-ele-first",
    ],
)
def test_a_repeated_child_is_read_as_gpxpy_reads_it(tmp_path, old, new):
    """A point (or waypoint) with two <ele>, <time> or <name>: gpxpy reads the first (an
    empty first <ele> is no elevation); the general reader took the last. The fast path
    hands such files over (its tag counts), so both readers now read the first."""
    f = tmp_path / "twice.gpx"
    f.write_bytes(_regular(5, wpt=True).replace(old, new, 1))
    t = read_gpx(f)
    _assert_same_as_gpxpy(f, t)


_NAMED_ROUTE = """<?xml version="1.0"?>
<gpx version="1.1" creator="coursekit tests" xmlns="http://www.topografix.com/GPX/1/1">
  <rte><name>Planned</name>
    <rtept lat="45.0" lon="6.0"><ele>1000</ele><name>#001</name></rtept>
    <rtept lat="45.01" lon="6.0"><name>#002</name><desc>turn left</desc></rtept>
    <rtept lat="45.02" lon="6.0"/>
    <rtept lat="45.03" lon="6.0"><name>Col</name><type>summit</type></rtept>
  </rte>
</gpx>
"""


def test_named_route_points_are_kept_when_the_route_is_the_course(tmp_path):
    """h109 item 2: a planner's route (<rtept> only) names its turns and checkpoints ("#010",
    "Col"); the reader dropped the names, so a checkpoint ``waypoint = "#010"`` could not be
    placed. They are kept as ``Track.route_points`` (Waypoints, with their line), for a file
    whose points are the route's; a track's file keeps none (its route may be another)."""
    path = tmp_path / "r.gpx"
    path.write_text(_NAMED_ROUTE)
    t = read_gpx(path)
    assert t.kind == "route" and t.waypoints == ()
    assert [w.name for w in t.route_points] == ["#001", "#002", "Col"]
    w1, w2, col = t.route_points
    assert (w1.lat, w1.lon, w1.elevation, w1.line) == (45.0, 6.0, 1000.0, 4)
    assert w2.description == "turn left" and math.isnan(w2.elevation) and w2.line == 5
    assert col.type == "summit" and col.lat == 45.03 and col.line == 7
    # a track and a route: the points are the track's; the route's names are not kept
    trk = _NAMED_ROUTE.replace(
        "</gpx>",
        '<trk><trkseg><trkpt lat="45.0" lon="6.0"/><trkpt lat="45.1" lon="6.0"/></trkseg></trk>'
        "</gpx>",
    )
    path.write_text(trk)
    t = read_gpx(path)
    assert t.kind == "track" and t.route_points == ()
