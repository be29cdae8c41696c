"""Adversarial files for the fast GPX reader: it reads what the general reader reads, or
hands over (None), with the numpy columns and with the expression alone, in-process and
with the check in a forked child, in one piece and in pieces cut between points."""

from __future__ import annotations

import datetime
import re
import warnings

import numpy as np
import pytest
from synthetic import POINT_FORMS, in_form

from coursekit import gpx, gpxcheck
from coursekit.errors import GPXError

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">\n'
)


def _point(i: int, body: bytes | None = None) -> bytes:
    if body is None:
        t = b"2024-06-01T%02d:%02d:%02dZ" % (i // 3600, i // 60 % 60, i % 60)
        body = b"<ele>%d</ele><time>%s</time>" % (1000 + i, t)
    return b'<trkpt lat="%.7f" lon="%.7f">%s</trkpt>\n' % (45 + i * 1e-4, 6 + i * 1e-4, body)


def _points(a: int, b: int, body: bytes | None = None) -> bytes:
    return b"".join(_point(i, body) for i in range(a, b))


def _doc(body: bytes, head: bytes = HEAD) -> bytes:
    return head + b"<trk><name>T</name><trkseg>\n" + body + b"</trkseg></trk></gpx>\n"


def _differences(f, monkeypatch, chunks=(300, 997, 1 << 22), forks=(False, True)):
    """Where the fast path (numpy columns, or the expression alone) reads something else
    than the general reader: a list of (fork, chunk, numpy, what)."""
    try:
        slow = gpx._read_lxml(f, str(f), 10**6)
    except GPXError:
        slow = None
    real = gpx._vector_columns
    out = []
    for fork in forks:
        monkeypatch.setattr(gpxcheck, "FORK_BYTES", 0 if fork else 1 << 40)
        for chunk in chunks:
            monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
            for vector in (True, False):
                monkeypatch.setattr(gpx, "_vector_columns", real if vector else lambda *a: None)
                fast = gpx._read_fast(f, str(f), 10**6)
                if fast is None:
                    continue
                if slow is None:
                    out.append((fork, chunk, vector, "the general reader refuses"))
                    continue
                for k in ("lat", "lon", "elevation", "time", "segment"):
                    x, y = getattr(fast, k), getattr(slow, k)
                    if x.shape != y.shape or x.tobytes() != y.tobytes():  # bit-identical
                        out.append((fork, chunk, vector, k))
                if fast.waypoints != slow.waypoints:
                    out.append((fork, chunk, vector, "waypoints"))
                if fast.name != slow.name:
                    out.append((fork, chunk, vector, "name"))
    monkeypatch.setattr(gpx, "_vector_columns", real)
    return out


def test_an_overflowing_number_is_refused_without_a_warning(tmp_path):
    """numpy's cast of a long mantissa with a large exponent to float64 overflows with a
    RuntimeWarning (float() gives inf quietly): with warnings as errors, read_gpx raised
    it instead of the general reader's error; otherwise it printed a stray warning."""
    big = b"7770907643897514584.2989115197481e310"
    for where in (b"ele", b"lat"):
        point = (
            b'<trkpt lat="45.5" lon="6.5"><ele>%s</ele></trkpt>\n' % big
            if where == b"ele"
            else b'<trkpt lat="%s" lon="6.5"><ele>1</ele></trkpt>\n' % big
        )
        f = tmp_path / f"{where.decode()}.gpx"
        plain = b"<ele>1</ele>"
        f.write_bytes(_doc(_points(0, 10, plain) + point + _points(10, 20, plain)))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert gpx._read_fast(f, str(f), 10**6) is None
            with pytest.raises(GPXError, match="not a finite number"):
                gpx.read_gpx(f)


def test_a_fraction_with_an_offset_across_a_power_of_two_reads_the_same(tmp_path, monkeypatch):
    """parse_time added the fraction before the offset, _utc_rows after: (local + f) - off
    and (local - off) + f round differently when local and UTC straddle a power of two
    (2004-01-10T13:37:04Z is 2**30 s). The general reader parses one by one when a point
    has no <time>, the fast path a piece of uniform times with numpy: 1e-7 s apart."""
    base = datetime.datetime.fromtimestamp(2**30, datetime.UTC) + datetime.timedelta(hours=2)
    points = [_point(99, b"<ele>1</ele>")]  # no <time>: the general reader parses one by one
    for i in range(60):
        local = (base + datetime.timedelta(seconds=i - 30)).strftime("%Y-%m-%dT%H:%M:%S")
        points.append(_point(i, b"<ele>1</ele><time>%s.1+02:00</time>" % local.encode()))
    f = tmp_path / "t.gpx"
    f.write_bytes(_doc(b"".join(points)))
    assert not _differences(f, monkeypatch, forks=(False,))
    text = "2004-01-10T15:37:05.1+02:00"
    assert gpx.parse_time(text) == gpx._fast_utc_times([text.encode()])[0]


@pytest.mark.parametrize(
    "inside",
    [b'<trkpt lat="3" lon="4"></trkpt>', b"<trkseg></trkseg>", b"<trkseg/>"],
    ids=["trkpt", "trkseg", "trkseg-empty"],
)
@pytest.mark.parametrize("where", ["header", "track"])
def test_track_elements_inside_a_waypoint(tmp_path, monkeypatch, inside, where):
    """A <trkpt> or <trkseg> in a waypoint's extensions is one for the general reader
    (lxml's iterparse sees every element of the name); the fast path cut it out with
    the waypoint, dropping a point or a segment break."""
    wpt = b'<wpt lat="1" lon="2"><name>W</name><extensions>%s</extensions></wpt>\n' % inside
    if where == "header":
        data = HEAD + wpt + b"<trk><trkseg>\n" + _points(0, 40) + b"</trkseg></trk></gpx>\n"
    else:
        data = _doc(_points(0, 20) + wpt + _points(20, 40))
    f = tmp_path / "w.gpx"
    f.write_bytes(data)
    assert not _differences(f, monkeypatch)


_FOO = b'<gpx version="1.1" xmlns="http://foo.example/" xmlns:f="http://foo.example/">\n'
_OTHER = b'xmlns="http://other.example/"'


@pytest.mark.parametrize(
    "data",
    [
        # a prefix bound to the root's own namespace (not GPX's): <f:ele> is GPX's for the
        # general reader (as gpxpy, which reads the root's namespace), unseen by the fast path
        _doc(_points(0, 20) + _point(20, b"<ele>1</ele><f:ele>9</f:ele>") + _points(21, 40), _FOO),
        _doc(_points(0, 20) + _point(20, b"<f:ele>9</f:ele>") + _points(21, 40), _FOO),
        # a default namespace on <trkseg> or <trk>: their points are not GPX's
        HEAD
        + b"<trk><trkseg>\n"
        + _points(0, 20)
        + b"</trkseg><trkseg %s>" % _OTHER
        + _points(20, 40)
        + b"</trkseg></trk></gpx>",
        HEAD
        + b"<trk><trkseg>\n"
        + _points(0, 20)
        + b"</trkseg></trk><trk %s><trkseg>" % _OTHER
        + _points(20, 40)
        + b"</trkseg></trk></gpx>",
        HEAD + b"<trk %s><trkseg>\n" % _OTHER + _points(0, 40) + b"</trkseg></trk></gpx>",
    ],
    ids=["root-prefix-second-ele", "root-prefix-ele", "trkseg-default", "trk-default", "first"],
)
def test_namespace_declarations_that_move_elements_in_or_out_of_gpx(tmp_path, monkeypatch, data):
    f = tmp_path / "n.gpx"
    f.write_bytes(data)
    assert not _differences(f, monkeypatch)


@pytest.mark.parametrize(
    "waypoint",
    [
        b'<wpt lat="1" lon="2"><ele xmlns="http://x.example/">7</ele><name>W</name></wpt>',
        b'<wpt lat="1" lon="2"><name xmlns="http://x.example/">X</name><name>W</name></wpt>',
        b"<wpt lat='1' lon='2'><desc xmlns = 'http://x.example/'>D</desc><name>W</name></wpt>",
        b'<wpt xmlns="http://x.example/" lat="1" lon="2"><ele>7</ele><name>W</name></wpt>',
    ],
    ids=["on-ele", "on-name", "on-desc-single-quotes", "on-wpt"],
)
def test_a_default_namespace_declared_in_a_waypoint(tmp_path, monkeypatch, waypoint):
    """A default namespace (not GPX's) declared in a waypoint takes its elements out of
    GPX: the general reader (and gpxpy) read no such <ele>/<name>/<desc>, no such
    <wpt>; the fast path's waypoint parser, which knows no namespaces, read them (found
    by the differential fuzz)."""
    f = tmp_path / "w.gpx"
    f.write_bytes(_doc(waypoint + b"\n" + _points(0, 30)))
    assert not _differences(f, monkeypatch)


@pytest.mark.parametrize(
    ("metadata", "track"),
    [
        (b"", b"A<extensions><x/></extensions>B"),
        (b"", b"<b>x</b>T"),
        (b"<metadata><name>M<x/>N</name></metadata>", b"<b>x</b>T"),
        (b"<metadata><name>M<x/>N</name></metadata>", b""),
    ],
    ids=["text-around-a-child", "child-first", "child-first-metadata", "metadata-only"],
)
def test_a_name_holding_an_element(tmp_path, monkeypatch, metadata, track):
    """A <name> holding an element (mixed content, not GPX's string): the general reader
    takes its text before the element (lxml's ``.text``; gpxpy reads no name); the fast
    path's header reader joined all its text, the element's too ('AB', 'xT'; found by
    the differential fuzz)."""
    head = HEAD + metadata
    name = b"<name>%s</name>" % track if track else b""
    f = tmp_path / "n.gpx"
    f.write_bytes(head + b"<trk>%s<trkseg>\n" % name + _points(0, 30) + b"</trkseg></trk></gpx>")
    assert gpx._read_fast(f, str(f), 10**6) is not None
    assert not _differences(f, monkeypatch, forks=(False,))


def test_points_after_a_segment_ends_in_a_later_piece(tmp_path, monkeypatch):
    """Points outside any segment after a ``</trkseg>`` (not GPX; not read, as gpxpy): a piece that
    held the ``</trkseg>`` and no ``<trkseg`` was not looked at for segment steps, so the
    fast path numbered the points after it in the segment before (0, 0, 0, 1 where the
    general reader has 0, 1, 1, 2; found by the differential fuzz): it gives them up to
    the general reader, as it did when the ``</trkseg>`` shared a piece with a
    ``<trkseg``."""
    body = (
        _points(0, 5)
        + b"</trkseg>\n"
        + _points(5, 40)
        + b"<trkseg>\n</trkseg><trkseg>\n"  # (a start alone before a point: given up)
        + _points(40, 60)
    )
    f = tmp_path / "s.gpx"
    f.write_bytes(_doc(body))
    assert not _differences(f, monkeypatch)
    track = gpx.read_gpx(f)  # the 35 points outside a segment are not read (as gpxpy)
    assert len(track) == 25 and len(np.unique(track.segment)) == 2


def test_namespace_declarations_in_waypoints_the_fast_path_still_takes(tmp_path, monkeypatch):
    """No namespace, GPX's own or a prefix declared in a waypoint: the fast path reads it."""
    waypoints = (
        b'<wpt lat="1" lon="2"><ele xmlns="">7</ele><name>W</name></wpt>\n'
        b'<wpt lat="1" lon="3"><ele xmlns="http://www.topografix.com/GPX/1/1">8</ele></wpt>\n'
        b'<wpt lat="1" lon="4"><x:e xmlns:x="http://x.example/">9</x:e><name>V</name></wpt>\n'
    )
    f = tmp_path / "w.gpx"
    f.write_bytes(_doc(waypoints + _points(0, 30)))
    assert gpx._read_fast(f, str(f), 10**6) is not None
    assert not _differences(f, monkeypatch, forks=(False,))


def test_namespace_declarations_the_fast_path_still_takes(tmp_path, monkeypatch):
    """Declarations on the root or on extensions (other namespaces) keep the fast path."""
    head = HEAD.replace(b"<gpx ", b'<gpx xmlns:x="http://x.example/" ')
    ext = b'<ele>1</ele><extensions><hr xmlns="http://hr.example/">1</hr></extensions>'
    f = tmp_path / "n.gpx"
    f.write_bytes(_doc(_points(0, 20) + _point(20, ext) + _points(21, 40), head))
    assert gpx._read_fast(f, str(f), 10**6) is not None
    assert not _differences(f, monkeypatch, forks=(False,))


@pytest.mark.parametrize(
    "nested",
    [
        b'<trkpt lat="45.5" lon="6.5"><trkpt lat="45.6" lon="6.6"></trkpt></trkpt>\n',
        b'<trkpt lat="45.5" lon="6.5"><ele>1</ele><trkpt lat="45.6" lon="6.6"><ele>2</ele>'
        b"<time>2024-06-01T05:00:00Z</time></trkpt></trkpt>\n",
        b'<trkpt lat="45.5" lon="6.5"><ele>1</ele><time>2024-06-01T05:00:00Z</time>'
        b'<extensions><trkpt lat="45.6" lon="6.6"></trkpt></extensions></trkpt>\n',
    ],
    ids=["bare", "outer-without-time", "in-extensions"],
)
@pytest.mark.parametrize("body", [b"", None], ids=["bare-points", "usual-points"])
def test_a_point_inside_a_point(tmp_path, monkeypatch, nested, body):
    """The general reader takes a point at its end tag (the inner one first), the fast
    path at its start tag: a point nested in another was read in another order (with
    bare points, or when the outer point's missing <time> kept the counts right)."""
    f = tmp_path / "n.gpx"
    f.write_bytes(_doc(_points(0, 30, body) + nested + _points(30, 60, body)))
    assert not _differences(f, monkeypatch)


@pytest.mark.parametrize(
    "track",
    [
        b"<trk><trkseg>%s</trkseg>%s<trkseg>%s</trkseg></trk>",  # points between segments
        b"<trk>%s<trkseg>%s</trkseg>%s</trk>",  # before the first, after the last
        b"<trk><trkseg>%s</trkseg></trk><trk>%s</trk><trk><trkseg>%s</trkseg></trk>",
        b"<trk><trkseg>%s<trkseg>%s</trkseg>%s</trkseg></trk>",  # nested segments
        b"<trk><trkseg>%s<trkseg/>%s</trkseg><trkseg >%s</trkseg ></trk>",
        b"<trk>%s%s%s</trk>",  # no segment at all
    ],
    ids=["between", "around", "trk-without-segment", "nested", "self-closing-inside", "none"],
)
def test_points_outside_segments(tmp_path, monkeypatch, track):
    """The general reader numbers segments by their end tags, the fast path by their
    start tags: the same only when every point is in a segment, segments not nested."""
    f = tmp_path / "s.gpx"
    f.write_bytes(HEAD + track % (_points(0, 20), _points(20, 30), _points(30, 50)) + b"</gpx>")
    assert not _differences(f, monkeypatch)


@pytest.mark.parametrize(
    "track",
    [
        b"<trk><trkseg/><trkseg>%s</trkseg><trkseg></trkseg></trk><trk><trkseg>%s%s</trkseg></trk>",
        b"<trk><trkseg>%s</trkseg>\n<trkseg>%s</trkseg></trk><trk><trkseg >%s</trkseg ></trk>",
    ],
    ids=["empty-segments", "segments-and-tracks"],
)
def test_segments_the_fast_path_still_takes(tmp_path, monkeypatch, track):
    f = tmp_path / "s.gpx"
    f.write_bytes(HEAD + track % (_points(0, 20), _points(20, 30), _points(30, 50)) + b"</gpx>")
    assert gpx._read_fast(f, str(f), 10**6) is not None
    assert not _differences(f, monkeypatch)


_T = b"<time>2024-06-01T05:00:00Z</time>"
_CASES = {
    # tags the expressions must not mistake for a point's <ele> or <time>
    "ele-after-extensions": _point(30, _T + b"<extensions><hr>1</hr></extensions><ele>5</ele>"),
    "second-ele-in-extensions": _point(
        30, b"<ele>5</ele>" + _T + b"<extensions><ele>6</ele></extensions>"
    ),
    "prefixed-ele-in-extensions": _point(
        30,
        b"<ele>5</ele>" + _T + b"<extensions><x:ele>6"
        b"</x:ele><x:time>2024-06-01T09:00:00Z</x:time></extensions>",
    ),
    "elevation-timestamp": _point(30, b"<elevation>5</elevation><timestamp>1</timestamp>"),
    "ele-elevation": _point(30, b"<ele>5</ele><elevation>6</elevation>" + _T),
    "empty-ele": _point(30, b"<ele></ele>" + _T),
    "self-closing-ele": _point(30, b"<ele/>" + _T),
    "blank-ele": _point(30, b"<ele> </ele>" + _T),
    "empty-time": _point(30, b"<ele>5</ele><time></time>"),
    "ele-end-tag-space": _point(30, b"<ele>5</ele >" + _T),
    "time-end-tag-space": _point(30, b"<ele>5</ele>" + _T.replace(b"</time>", b"</time >")),
    "time-first": _point(30, _T + b"<ele>5</ele>"),
    # values
    "plus-exponent-underscore": b'<trkpt lat="+4.51e1" lon="6_0.5"><ele>1_0</ele>'
    + _T
    + b"</trkpt>\n",
    "spaces-in-values": b'<trkpt lat=" 45.1" lon="6.1 "><ele>\t5 </ele>' + _T + b"</trkpt>\n",
    "nan-ele": _point(30, b"<ele>nan</ele>" + _T),
    "inf-ele": _point(30, b"<ele>-inf</ele>" + _T),
    "hex-ele": _point(30, b"<ele>0x10</ele>" + _T),
    "lat-out-of-range": b'<trkpt lat="90.5" lon="6"><ele>5</ele>' + _T + b"</trkpt>\n",
    "long-value": b'<trkpt lat="45.%s" lon="6"><ele>5</ele>' % (b"1" * 50) + _T + b"</trkpt>\n",
    "entity-value": b'<trkpt lat="4&#53;" lon="6"><ele>5</ele>' + _T + b"</trkpt>\n",
    # times
    "time-with-fraction": _point(30, b"<ele>5</ele><time>2024-06-01T05:00:00.123Z</time>"),
    "time-with-offset": _point(30, b"<ele>5</ele><time>2024-06-01T07:00:00+02:00</time>"),
    "time-space-not-t": _point(30, b"<ele>5</ele><time>2024-06-01 05:00:00Z</time>"),
    "time-minus-sign": _point(30, b"<ele>5</ele><time>2024-06-01T07:00:00\xe2\x88\x9202:00</time>"),
    "time-blank-around": _point(30, b"<ele>5</ele><time>\n2024-06-01T05:00:00Z </time>"),
    "time-bad-day": _point(30, b"<ele>5</ele><time>2024-02-30T05:00:00Z</time>"),
    # the start tag
    "third-attribute": b'<trkpt lat="45.1" lon="6.1" x="1"><ele>5</ele>' + _T + b"</trkpt>\n",
    "tab-and-cr": b'<trkpt\tlat="45.1"\r\n lon="6.1"\r><ele>5</ele>\r\n\t' + _T + b"</trkpt>\n",
    "long-gaps": _point(30, b" " * 60 + b"<ele>5</ele>" + b"\n" * 60 + _T + b" " * 60),
    "self-closing-point": b'<trkpt lat="45.1" lon="6.1"/>\n',
    # segments, waypoints
    "self-closing-segment": b"<trkseg/>" + _point(30),
    "segment-with-space": b"</trkseg>\n<trkseg >" + _point(30),
    "waypoint-in-the-track": b'<wpt lat="1" lon="2" x="a>b"><ele>3</ele><name>W</name></wpt>\n'
    + _point(30),
    "self-closing-waypoint": b'<wpt lat="1" lon="2"/>\n' + _point(30),
    "route-after": b'</trkseg></trk><rte><rtept lat="1" lon="2"><ele>3</ele></rtept></rte>'
    b"<trk><trkseg>" + _point(30),
}


# the usual form and the two farthest from it (lon first, ' quotes, <time> first or not)
_SOME_FORMS = [POINT_FORMS[0], (True, "'", False), (True, "'", True)]


@pytest.mark.parametrize("form", _SOME_FORMS, ids=["usual", "lon-single", "lon-single-time"])
@pytest.mark.parametrize("case", sorted(_CASES))
def test_one_unusual_point_among_usual_ones(tmp_path, monkeypatch, case, form):
    """One unusual point (or tag) among 60 usual ones, in pieces cut around it: the fast
    path, numpy columns or expression, in-process or forked, reads what the general
    reader reads or hands over; the file's points written in the usual form or in
    another one (the unusual point too, where its start tag and tags are rewritten)."""
    head = HEAD.replace(b"<gpx ", b'<gpx xmlns:x="http://x.example/" ')
    f = tmp_path / "c.gpx"
    f.write_bytes(in_form(_doc(_points(0, 30) + _CASES[case] + _points(31, 60), head), form))
    assert not _differences(f, monkeypatch)


@pytest.mark.parametrize(
    "variant", ["bom-crlf", "wpt-first", "lon-first-later", "big-forked", "big-forked-lon-single"]
)
def test_whole_file_variants(tmp_path, monkeypatch, variant):
    """A BOM and CRLF; a waypoint in the piece of the first point; a
    first point <trkpt lat= and later ones lon first; a file past FORK_BYTES checked by
    the forked child as it is (no monkeypatch), with an <ele> hidden in an extension,
    its points written in the usual form or lon first with ' quotes (the reader counts
    the tags of both, the child only runs expat)."""
    data = _doc(_points(0, 60))
    if variant == "bom-crlf":
        data = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    elif variant == "wpt-first":
        data = data.replace(b"<trkseg>\n", b'<trkseg>\n<wpt lat="1" lon="2"></wpt>', 1)
    elif variant == "lon-first-later":
        later = _points(30, 60)
        swapped = re.sub(rb'lat="([^"]*)" lon="([^"]*)"', rb'lon="\2" lat="\1"', later)
        data = data.replace(later, swapped)
    else:
        n = gpxcheck.FORK_BYTES // len(_point(0)) + 100
        hidden = _T + b"<extensions><ele>7</ele></extensions>"
        if variant == "big-forked-lon-single":  # (the last point's own <ele> too)
            hidden = b"<ele>5</ele>" + hidden
        data = _doc(_points(0, n - 1) + _point(n - 1, hidden))
        assert len(data) > gpxcheck.FORK_BYTES
        if variant == "big-forked-lon-single":
            data = in_form(data, (True, "'", False))
    f = tmp_path / "v.gpx"
    f.write_bytes(data)
    if variant.startswith("big-forked"):
        assert gpx._read_fast(f, str(f), 10**7) is None
        f.write_bytes(data.replace(b"<extensions><ele>7</ele></extensions>", b""))
        assert gpx._read_fast(f, str(f), 10**7) is not None
        assert not _differences(f, monkeypatch, chunks=(1 << 18,), forks=(False,))
    else:
        assert not _differences(f, monkeypatch)


# Files in one of the seven other forms with one point (or every point) written so that
# a check of the numpy columns must give up, or read as written (from the differential
# fuzz of read_gpx against the general reader): each fails when one check of
# _vector_columns is taken out (the start tag, the second name, the counts) or lat and
# lon are not swapped back. Point 30 is lat 45.0030000, lon 6.0030000.
_P30 = (b"45.0030000", b"6.0030000")
_T30 = b"<time>2024-06-01T00:00:30Z</time>"
_FORM_CASES = {
    "lon-single-plain": ((True, "'", False), b"", b""),
    "lon-single-time-plain": ((True, "'", True), b"", b""),
    "lon-first-second-name-typo": ((True, '"', False), b'lat="45.0030000"', b'lax="45.0030000"'),
    "lon-single-time-first-name-typo": ((True, "'", True), b"lon='6.0030000'", b"lan='6.0030000'"),
    "lat-single-second-name-typo": ((False, "'", False), b"lon='6.0030000'", b"lom='6.0030000'"),
    "lon-single-time-every-point-sym-first": (
        (True, "'", True),
        b"'><time>",
        b"'><sym>s</sym><time>",
    ),
    "lon-single-apostrophes-between-points": (
        (True, "'", False),
        b"</time></trkpt>",
        b'</time><extensions><x:n>it\'s "q"</x:n></extensions></trkpt>',
    ),
    "lon-double-one-point-tab": (
        (True, '"', False),
        b'0" lat="45.0030000"',
        b'0"\tlat="45.0030000"',
    ),
}


def _same_as_general(f, monkeypatch, chunks=(300, 997, 1 << 18)):
    """``read_gpx`` reads what ``_read_lxml`` reads (bit for bit, waypoints too), or both
    refuse, with the file in pieces of each size: a list of what differs."""
    monkeypatch.setattr(gpxcheck, "FORK_BYTES", 1 << 40)
    try:
        slow = gpx._read_lxml(f, str(f), 10**6)
    except GPXError:
        slow = None
    out = []
    for chunk in chunks:
        monkeypatch.setattr(gpxcheck, "CHUNK", chunk)
        try:
            fast = gpx.read_gpx(f)
        except GPXError:
            fast = None
        if fast is None or slow is None:
            if (fast is None) != (slow is None):
                out.append((chunk, "one refuses"))
            continue
        for k in ("lat", "lon", "elevation", "time", "segment"):
            x, y = getattr(fast, k), getattr(slow, k)
            if x.shape != y.shape or x.tobytes() != y.tobytes():  # bit-identical
                out.append((chunk, k))
        if fast.waypoints != slow.waypoints:
            out.append((chunk, "waypoints"))
    return out


@pytest.mark.parametrize("case", sorted(_FORM_CASES))
def test_other_forms_read_as_the_general_reader(tmp_path, monkeypatch, case):
    """A file in one of the seven other forms with a point that the numpy columns must
    not take (another attribute name, quote, order or a tag before <time> in every
    point), or taken as written (lon first: lat and lon swapped back): ``read_gpx`` reads
    what the general reader reads, or both refuse."""
    form, old, new = _FORM_CASES[case]
    head = HEAD.replace(b"<gpx ", b'<gpx xmlns:x="http://x.example/" ')
    data = in_form(_doc(_points(0, 60), head), form)
    assert old in data
    data = data.replace(old, new)
    f = tmp_path / "f.gpx"
    f.write_bytes(data)
    assert not _same_as_general(f, monkeypatch)
