"""Adversarial files for the fast GPX reader: it reads what the general reader reads, or
hands over (None), with the numpy columns and with the expression alone, in-process and
with the check in a forked child, in one piece and in pieces cut between points."""

from __future__ import annotations

import datetime
import warnings

import pytest

from coursekit import gpx, gpxcheck
from coursekit.errors import GPXError

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">\n'
)


def _point(i: int, body: bytes | None = None) -> bytes:
    if body is None:
        body = b"<ele>%d</ele><time>2024-06-01T04:%02d:%02dZ</time>" % (1000 + i, i // 60, i % 60)
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
    ],
    ids=["between", "around", "trk-without-segment", "nested"],
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
        b"<trk>%s%s%s</trk>",  # no segment at all: one segment
        b"<trk><trkseg>%s<trkseg/>%s</trkseg><trkseg >%s</trkseg ></trk>",
        b"<trk><trkseg/><trkseg>%s</trkseg><trkseg></trkseg></trk><trk><trkseg>%s%s</trkseg></trk>",
    ],
    ids=["no-segment", "self-closing-inside", "empty-segments"],
)
def test_segments_the_fast_path_still_takes(tmp_path, monkeypatch, track):
    f = tmp_path / "s.gpx"
    f.write_bytes(HEAD + track % (_points(0, 20), _points(20, 30), _points(30, 50)) + b"</gpx>")
    assert gpx._read_fast(f, str(f), 10**6) is not None
    assert not _differences(f, monkeypatch)
