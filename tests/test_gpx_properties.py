"""GPX reading against gpxpy, the reference reader: properties on generated files (hypothesis).

Each drawn GPX document (GPX 1.0, 1.1 or no namespace, or every element prefixed; tracks,
segments, routes, waypoints; extensions holding elements named ``ele``/``time``; comments,
CDATA, entities, processing instructions, a BOM; numbers and times written in every form
writers use, and some no writer should) is read by :func:`coursekit.gpx.read_gpx` and by
gpxpy. Either both read the same points (lat, lon, elevation, time) and waypoints, or
coursekit refuses it with a :class:`GPXError` that gpxpy's own reading explains.

Where gpxpy is wrong, the document is given to gpxpy in a *twin* that says the same thing
in the form gpxpy can read, each difference named in :func:`_render`:

* elements prefixed with the GPX namespace (``<gpx:trkpt>``) or a default namespace written
  ``xmlns = "…"``: gpxpy removes the first ``xmlns="…"`` with a regular expression and reads
  only unprefixed elements, so it reads nothing at all; the twin is unprefixed;
* a time with white space around it (``<time> 2024-06-01T04:00:00Z </time>``): XML Schema
  collapses it, gpxpy's expression does not strip it and drops the time silently;
* a blank ``<ele>  </ele>``: gpxpy refuses it but reads an empty ``<ele></ele>`` as no
  elevation; coursekit reads both as no elevation.

Values gpxpy accepts and coursekit refuses on purpose (:func:`_explained`): elevations or
coordinates that are not finite (``nan``, ``inf``), coordinates out of range, times gpxpy
silently drops (``2024-06-01``, ``garbage``, a 31st of June, an offset of a day), and files
with no track or route point (gpxpy reads them as an empty GPX).
"""

from __future__ import annotations

import logging
import math
import re
import subprocess
import sys
import tempfile
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursekit.cli import cli
from coursekit.errors import GPXError
from coursekit.gpx import read_gpx

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same documents on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NS11 = "http://www.topografix.com/GPX/1/1"
NS10 = "http://www.topografix.com/GPX/1/0"
TIME_TOL = 1e-6  # gpxpy keeps times to the microsecond; coursekit every digit written

ELEVATIONS = [
    "1000", "+5", "1e2", ".5", "-0", "5.", " 12.5 ", "\n12\n", "1_0", "-3.25", "",
    "&#49;2", "<![CDATA[12]]>", "1<!--c-->2", "1<?pi x?>2", "  ",
]  # fmt: skip
BAD_ELEVATIONS = ["nan", "inf", "-inf", "abc", "0x10", "1e400"]
TIMES = [
    "2024-06-01T04:00:0{s}Z", "2024-06-01T06:00:0{s}+02:00", "2024-06-01T04:00:0{s}.123456789Z",
    "2024-06-01T04:00:0{s}", "2024-06-01 04:00:0{s}Z", "2024-06-01T09:30:0{s}+0530",
    "2024-06-01T06:00:0{s}+02", "2024-06-01T02:00:0{s}\u221202:00", "2024-6-1T4:0:{s}Z",
    "2024-06-01T04:00:0{s}.5-00:00", "2024-06-01T04:00:0{s}Z\n", "",
    "<![CDATA[2024-06-01T04:00:0{s}Z]]>", " 2024-06-01T04:00:0{s}Z ",
]  # fmt: skip
BAD_TIMES = ["2024-06-01", "garbage", "2024-06-31T04:00:00Z", "2024-06-01T04:00:0{s}+24:00"]
COORDINATES = ["{v:.6f}", "{v!r}", "{v:+.3f}", "{v:.2e}", " {v:.4f} ", "{v:.0f}.", "&#43;{a:.3f}"]
ODD_COORDINATES = ["91", "-90.5", "180.5", "nan", "inf", "", "x", "1e400"]
# children of a point besides its first <ele> and <time> (repeats, extensions, comments)
EXTRAS = [
    "<{p}name>P &amp; Q</{p}name>",
    "<!-- c -->",
    "<?pi x?>",
    "<{p}extensions><{p}ele>9999</{p}ele><x:ele>7</x:ele><x:time>2000-01-01T00:00:00Z</x:time>"
    "<x:hr><{p}time>1999-01-01T00:00:00Z</{p}time></x:hr></{p}extensions>",
    "<{p}ele>4321</{p}ele>",
    "<{p}time>2030-01-01T00:00:00Z</{p}time>",
    "<x:ele>55</x:ele>",
    '<{p}extensions><{p}trkpt lat="1" lon="2"><{p}ele>3</{p}ele></{p}trkpt></{p}extensions>',
]
ROOTS = {
    "gpx-1.1": ('<{p}gpx version="1.1" creator="t" xmlns="' + NS11 + '"{x}>', ""),
    "gpx-1.0": ('<{p}gpx version="1.0" creator="t" xmlns="' + NS10 + '"{x}>', ""),
    "no-namespace": ('<{p}gpx version="1.1" creator="t"{x}>', ""),
    "single-quotes": ("<{p}gpx version='1.1' xmlns='" + NS11 + "'{x}>", ""),
    "spaced-xmlns": ('<{p}gpx version="1.1" xmlns = "' + NS11 + '"{x}>', "gpx-1.1"),
    "prefixed": ('<{p}gpx version="1.1" xmlns:gpx="' + NS11 + '"{x}>', "gpx-1.1"),
}


def _mostly(good: list, bad: list):
    """A value of ``good`` mostly, now and then one of ``bad`` (a file to refuse)."""
    return st.sampled_from(good * 10 + bad)


@st.composite
def _point(draw, tag: str) -> dict:
    """One point (``trkpt``, ``rtept`` or ``wpt``), as choices :func:`_render` writes."""
    odd = draw(st.integers(0, 40)) == 0

    def coordinate(limit):
        if odd and draw(st.booleans()):
            return draw(st.sampled_from(ODD_COORDINATES))
        v = draw(st.floats(-limit, limit, allow_nan=False))
        return draw(st.sampled_from(COORDINATES)).format(v=v, a=abs(v))

    lat, lon = coordinate(89.9), coordinate(179.9)
    kids = []
    if draw(st.integers(0, 3)):
        kids.append(("ele", draw(_mostly(ELEVATIONS, BAD_ELEVATIONS))))
    if draw(st.integers(0, 3)):
        when = draw(_mostly(TIMES, BAD_TIMES))
        kids.append(("time", when.format(s=draw(st.integers(0, 9)))))
    if draw(st.booleans()):
        kids.reverse()
    for extra in draw(st.lists(st.sampled_from(EXTRAS), max_size=2)):
        kids.insert(draw(st.integers(0, len(kids))), ("raw", extra))
    return {
        "tag": tag,
        "lat": (lat, draw(st.sampled_from(['"', "'"]))),
        "lon": (lon, draw(st.sampled_from(['"', "'"]))),
        "lon_first": draw(st.booleans()),
        "sep": draw(st.sampled_from([" ", "  ", "\n  ", "\t"])),
        "attr": draw(st.sampled_from(["", "", ' x="1"'])),
        "kids": kids,
        "gap": draw(st.sampled_from(["", "\n", " "])),
        "self_closing": not kids and draw(st.booleans()),
    }


@st.composite
def _part(draw) -> tuple:
    """A child of ``<gpx>``: a track, a route, a waypoint, metadata, or points misplaced."""
    kind = draw(st.sampled_from(["trk"] * 8 + ["rte", "rte", "wpt", "metadata", "misplaced"]))
    if kind == "wpt":
        return ("wpt", draw(_point("wpt")))
    if kind == "rte":
        return ("rte", draw(st.lists(_point("rtept"), max_size=4)))
    if kind == "metadata":
        return ("metadata", draw(_mostly(TIMES, BAD_TIMES)).format(s=1))
    if kind == "misplaced":
        where = draw(st.sampled_from(["trk-without-trkseg", "trkseg-in-gpx", "trkpt-in-gpx"]))
        return (where, draw(st.lists(_point("trkpt"), min_size=1, max_size=3)))
    segments = []
    for k in range(draw(st.integers(1, 3))):
        segments.append(draw(st.lists(_point("trkpt"), min_size=k == 0, max_size=5)))
    return ("trk", segments)


@st.composite
def _documents(draw) -> tuple[str, str]:
    """``(document, twin)``: a GPX document and the same for gpxpy (see the module's doc)."""
    model = {
        "root": draw(st.sampled_from(sorted(ROOTS))),
        "parts": draw(st.lists(_part(), min_size=1, max_size=4)),
        "sep": draw(st.sampled_from(["\n", "\r\n", "", "\n<!-- between -->\n", "\n<?pi b?>\n"])),
        "pre": draw(
            st.sampled_from(
                [
                    "",
                    '<?xml version="1.0" encoding="UTF-8"?>\n',
                    '\ufeff<?xml version="1.0"?>\n',
                    "<!-- hi -->\n",
                    "\ufeff",
                ]
            )
        ),
    }
    return _render(model, twin=False), _render(model, twin=True)


def _render(model: dict, *, twin: bool) -> str:
    """The document of ``model``; for gpxpy (``twin``) the forms it misreads rewritten."""
    root = model["root"]
    if twin and ROOTS[root][1]:
        root = ROOTS[root][1]  # unprefixed, xmlns="…"
    p = "gpx:" if root == "prefixed" else ""

    def point(pt: dict, tag: str | None = None) -> str:
        tag = tag or pt["tag"]
        (la, qa), (lo, qo) = pt["lat"], pt["lon"]
        attrs = [f"lat={qa}{la}{qa}", f"lon={qo}{lo}{qo}"]
        if pt["lon_first"]:
            attrs.reverse()
        head = f"<{p}{tag}{pt['sep']}{pt['sep'].join(attrs)}{pt['attr']}"
        if pt["self_closing"]:
            return head + "/>"
        kids = []
        for kind, text in pt["kids"]:
            if kind == "raw":
                kids.append(text.format(p=p))
                continue
            if twin and not text.strip():
                text = ""  # gpxpy refuses a blank <ele>, reads an empty one
            elif twin and kind == "time":
                text = text.strip()  # gpxpy drops a time with white space around it
            kids.append(f"<{p}{kind}>{text}</{p}{kind}>")
        return head + ">" + pt["gap"].join(kids) + f"</{p}{tag}>"

    parts = []
    for kind, body in model["parts"]:
        if kind == "wpt":
            parts.append(point(body))
        elif kind == "rte":
            pts = "\n".join(map(point, body))
            parts.append(f"<{p}rte><{p}name>R</{p}name>{pts}</{p}rte>")
        elif kind == "metadata":
            parts.append(f"<{p}metadata><{p}name>M &amp; N</{p}name><{p}time>{body}</{p}time>")
            parts[-1] += f"</{p}metadata>"
        elif kind == "trk":
            segments = [
                f"<{p}trkseg>" + "\n".join(map(point, seg)) + f"</{p}trkseg>"
                if seg
                else f"<{p}trkseg/>"
                for seg in body
            ]
            parts.append(f"<{p}trk><{p}name>T</{p}name>" + "\n".join(segments) + f"</{p}trk>")
        else:  # misplaced track points: none of the file's for gpxpy
            pts = "\n".join(point(pt) for pt in body)
            parts.append(
                {
                    "trk-without-trkseg": f"<{p}trk>{pts}</{p}trk>",
                    "trkseg-in-gpx": f"<{p}trkseg>{pts}</{p}trkseg>",
                    "trkpt-in-gpx": pts,
                }[kind]
            )
    x = ' xmlns:x="http://example.org/x"'
    head = ROOTS[root][0].format(p=p, x=x)
    sep = model["sep"]
    return model["pre"] + head + sep + sep.join(parts) + sep + f"</{p}gpx>\n"


def _epoch(dt) -> float:
    if dt.tzinfo is None:  # gpxpy leaves times without offset naive; both take them as UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _gpxpy_read(text: str) -> dict:
    """What gpxpy reads of ``text``: the points (tracks', else routes'), every point and
    waypoint (coursekit checks them all), and whether it dropped a time it could not read."""
    import gpxpy
    import gpxpy.gpxfield

    dropped = []
    converter = gpxpy.gpxfield.TIME_TYPE
    parse = type(converter).from_string

    def spy(string):
        value = parse(converter, string)
        if value is None and string and string.strip():
            dropped.append(string)
        return value

    converter.from_string = spy
    logging.getLogger("gpxpy").disabled = True
    try:
        g = gpxpy.parse(text)
    finally:
        del converter.from_string
    route = [pt for r in g.routes for pt in r.points]
    track = [pt for t in g.tracks for s in t.segments for pt in s.points]
    rows = []
    for pt in track or route:
        try:
            when = math.nan if pt.time is None else _epoch(pt.time)
        except (ValueError, OverflowError):  # an offset of a day or more
            when = math.nan
            dropped.append(str(pt.time))
        ele = math.nan if pt.elevation is None else pt.elevation
        rows.append((pt.latitude, pt.longitude, ele, when))
    every = [(pt.latitude, pt.longitude, pt.elevation) for pt in track + route + list(g.waypoints)]
    waypoints = [
        (w.latitude, w.longitude, math.nan if w.elevation is None else w.elevation)
        for w in g.waypoints
    ]
    return {"points": rows, "every": every, "waypoints": waypoints, "dropped": dropped}


def _explained(message: str, ref: dict) -> bool:
    """True when gpxpy's reading of the file shows why coursekit refuses it (``message``)."""
    values = [v for row in ref["every"] for v in row if v is not None]
    if "no track or route points" in message:
        return not ref["points"]
    if "not a finite number" in message:
        return not all(map(math.isfinite, values))
    if "out of range" in message:
        return any(abs(la) > 90 or abs(lo) > 180 for la, lo, _ in ref["every"])
    if "is not an ISO 8601 time" in message:
        return bool(ref["dropped"])
    return False


def _same(a: float, b: float, tol: float = 0.0) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


def _check(document: str, twin: str, tmp: Path) -> None:
    """coursekit reads ``document`` as gpxpy reads ``twin``, or refuses it for a reason."""
    path = tmp / "g.gpx"
    path.write_bytes(document.encode("utf-8"))
    try:
        track, refusal = read_gpx(path), None
    except GPXError as exc:
        track, refusal = None, str(exc)
    try:
        ref = _gpxpy_read(twin)
    except Exception as exc:  # gpxpy refuses: so does coursekit
        assert refusal is not None, f"gpxpy refuses ({exc}), coursekit reads it"
        return
    if refusal is not None:
        assert refusal.startswith(f"{path}: ") and "\n" not in refusal, refusal
        assert _explained(refusal, ref), f"coursekit refuses ({refusal}), gpxpy reads {ref}"
        return
    mine = list(zip(track.lat, track.lon, track.elevation, track.time, strict=True))
    assert len(mine) == len(ref["points"]), (len(mine), len(ref["points"]))
    for i, (a, b) in enumerate(zip(mine, ref["points"], strict=True)):
        assert all(map(_same, a[:3], b[:3])), (i, a, b)
        assert _same(a[3], b[3], TIME_TOL), (i, a, b)
    waypoints = [(w.lat, w.lon, w.elevation) for w in track.waypoints]
    assert len(waypoints) == len(ref["waypoints"]), (waypoints, ref["waypoints"])
    for a, b in zip(waypoints, ref["waypoints"], strict=True):
        assert all(map(_same, a, b)), (a, b)


@SETTINGS
@given(doc=_documents())
def test_read_gpx_reads_what_gpxpy_reads_or_refuses(doc):
    """The points and waypoints of every drawn document are gpxpy's, or it is refused."""
    with tempfile.TemporaryDirectory() as tmp:
        _check(*doc, Path(tmp))


@settings(SETTINGS, max_examples=60)
@given(doc=_documents())
def test_profile_reads_or_says_one_line(doc):
    """``coursekit profile --format json`` on a drawn document: a report (exit 0), or one
    line ``Error: <file>: <problem>`` (exit 1), never a traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.gpx"
        path.write_bytes(doc[0].encode("utf-8"))
        res = CliRunner().invoke(cli, ["profile", str(path), "--format", "json"])
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        if res.exit_code == 0:
            assert res.stdout.lstrip().startswith("[") and res.stderr == ""
        else:
            assert res.exit_code == 1, res.output
            lines = res.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: "), res.stderr


@settings(SETTINGS, max_examples=1)
@given(docs=st.lists(_documents(), min_size=8, max_size=8))
def test_profile_as_a_process(docs, tmp_path_factory):
    """The same through ``python -m coursekit.cli`` as users run it, one process per file:
    the exit status and stderr are the process's own, not the test runner's."""
    tmp = tmp_path_factory.mktemp("profile")
    for k, (document, _) in enumerate(docs):
        path = tmp / f"g{k}.gpx"
        path.write_bytes(document.encode("utf-8"))
        res = subprocess.run(
            [sys.executable, "-m", "coursekit.cli", "profile", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert "Traceback" not in res.stderr, res.stderr
        if res.returncode == 0:
            assert res.stdout.lstrip().startswith("[") and res.stderr == ""
        else:
            assert res.returncode == 1 and res.stdout == "", (res.returncode, res.stdout)
            assert re.fullmatch(rf"Error: {re.escape(str(path))}: [^\n]+\n", res.stderr)


@pytest.mark.parametrize(
    "body",
    [
        '<trk><trkpt lat="45" lon="6"><ele>1</ele></trkpt></trk>',
        '<trkseg><trkpt lat="45" lon="6"><ele>1</ele></trkpt></trkseg>',
        '<trkpt lat="45" lon="6"><ele>1</ele></trkpt>',
    ],
    ids=["trk-without-trkseg", "trkseg-in-gpx", "trkpt-in-gpx"],
)
def test_points_outside_a_track_segment_are_not_read(tmp_path, body):
    """A <trkpt> outside <gpx><trk><trkseg> is none of the file's for gpxpy (it reads the
    tree child by child); coursekit read it. Now neither does, and the refusal says why."""
    path = tmp_path / "m.gpx"
    path.write_text(f'<gpx version="1.1" xmlns="{NS11}">{body}</gpx>')
    with pytest.raises(GPXError, match=r"no track or route points \(1 <trkpt> outside"):
        read_gpx(path)
    _check(path.read_text(), path.read_text(), tmp_path)


@pytest.mark.parametrize(
    "where",
    ["trkpt-extensions", "wpt-extensions", "rte"],
)
def test_a_point_in_an_extension_is_not_read(tmp_path, where):
    """A <trkpt> inside another point's <extensions> (or in a route) added a point to the
    track where gpxpy reads none."""
    inner = '<trkpt lat="1" lon="2"><ele>3</ele></trkpt>'
    pts = ['<trkpt lat="45" lon="6"><ele>10</ele></trkpt>', '<trkpt lat="45.1" lon="6"/>']
    head = f'<gpx version="1.1" xmlns="{NS11}">'
    if where == "trkpt-extensions":
        pts[0] = pts[0].replace("</trkpt>", f"<extensions>{inner}</extensions></trkpt>")
    elif where == "wpt-extensions":
        head += f'<wpt lat="44" lon="5"><extensions>{inner}</extensions></wpt>'
    else:
        head += f"<rte>{inner}</rte>"
    path = tmp_path / "x.gpx"
    path.write_text(head + "<trk><trkseg>" + "".join(pts) + "</trkseg></trk></gpx>")
    track = read_gpx(path)
    assert track.lat.tolist() == [45.0, 45.1]
    _check(path.read_text(), path.read_text(), tmp_path)
