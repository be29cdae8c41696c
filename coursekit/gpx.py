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

import math
import re
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .errors import GPXError

__all__ = ["Track", "Waypoint", "read_gpx", "parse_time", "write_gpx"]

_HEAD_BYTES = 1 << 16
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


def parse_time(text: str) -> float:
    """Parse an ISO 8601 time as written in GPX into seconds since the epoch (UTC).

    Accepts ``Z``, ``+hh:mm`` offsets, fractional seconds and naive times
    (taken as UTC, like gpxpy). Raises ``ValueError`` when it is not a time.
    """
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # fromisoformat (3.11) takes most forms; gpxpy also allows a space separator
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _parse_times(texts: list, path: str, lines: list) -> np.ndarray:
    out = np.full(len(texts), np.nan)
    present = [i for i, t in enumerate(texts) if t is not None]
    if not present:
        return out
    sample = [texts[i] for i in present]
    # Fast path: every time is UTC with a trailing Z -> numpy parses the lot at once.
    if all(t.endswith("Z") and "T" in t for t in sample):
        try:
            stamps = np.array([t[:-1] for t in sample], dtype="datetime64[ns]")
            out[present] = stamps.astype("int64") / 1e9
            return out
        except ValueError:
            pass
    for i in present:
        try:
            out[i] = parse_time(texts[i])
        except ValueError:
            raise GPXError(
                f"{path}: line {lines[i]}: time {texts[i].strip()[:40]!r} is not an ISO 8601 time"
            ) from None
    return out


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
    from lxml import etree

    path = Path(path)
    name = str(path)
    if not path.exists():
        raise GPXError(f"{name}: no such file")
    if path.is_dir():
        raise GPXError(f"{name}: is a directory, not a GPX file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise GPXError(f"{name}: cannot read ({exc.strerror})") from None
    if not head.strip():
        raise GPXError(f"{name}: empty file, not GPX")
    if _DTD.search(head):
        raise GPXError(f"{name}: DOCTYPE/ENTITY declarations are not allowed in GPX (refused)")

    lat, lon, ele = array("d"), array("d"), array("d")
    seg = array("l")
    times: list = []
    lines: list = []
    trk_pts: list = [lat, lon, ele, seg, times, lines]
    rte_pts: list = [array("d"), array("d"), array("d"), array("l"), [], []]
    waypoints: list[Waypoint] = []
    names: dict[str, str] = {}
    segment = 0
    route = 0
    nan = math.nan
    n_points = 0

    tags = ("{*}trkpt", "{*}rtept", "{*}wpt", "{*}trkseg", "{*}rte", "{*}trk", "{*}metadata")
    try:
        context = etree.iterparse(
            str(path),
            events=("end",),
            tag=tags,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
        )
        for _, elem in context:
            tag = _local(elem.tag)
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
                for child in elem:
                    ct = child.tag
                    if not isinstance(ct, str):
                        continue
                    if ct.endswith("ele") and _local(ct) == "ele":
                        text = child.text
                        if text is not None and text.strip():
                            e = _float(text, "ele", name, line)
                    elif ct.endswith("time") and _local(ct) == "time":
                        if child.text is not None and child.text.strip():
                            t = child.text
                dest = trk_pts if tag == "trkpt" else rte_pts
                dest[0].append(la)
                dest[1].append(lo)
                dest[2].append(e)
                dest[3].append(segment if tag == "trkpt" else route)
                dest[4].append(t)
                dest[5].append(line)
            elif tag == "wpt":
                line = elem.sourceline or 0
                la = _float(elem.get("lat"), "wpt lat", name, line)
                lo = _float(elem.get("lon"), "wpt lon", name, line)
                if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
                    raise GPXError(
                        f"{name}: line {line}: waypoint position {la}, {lo} out of range"
                    )
                fields = {_local(c.tag): (c.text or "").strip() for c in elem}
                e = nan
                if fields.get("ele"):
                    e = _float(fields["ele"], "wpt ele", name, line)
                waypoints.append(
                    Waypoint(
                        name=fields.get("name", ""),
                        lat=la,
                        lon=lo,
                        elevation=e,
                        description=fields.get("desc", "") or fields.get("cmt", ""),
                        type=fields.get("type", ""),
                        line=line,
                    )
                )
            elif tag == "trkseg":
                segment += 1
                continue  # children already consumed; clear below
            elif tag in ("trk", "rte", "metadata"):
                for c in elem:
                    if _local(c.tag) == "name" and c.text and tag not in names:
                        names[tag] = c.text.strip()
                if tag == "rte":
                    route += 1
                elif tag == "trk":
                    # points of a <trk> without <trkseg> would be invalid GPX; keep numbering
                    pass
            # free memory: the element and everything before it
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None and tag in ("trkpt", "rtept", "wpt"):
                while elem.getprevious() is not None:
                    del parent[0]
        root = context.root
    except etree.XMLSyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc).split("\n")[0]
        line = exc.lineno if getattr(exc, "lineno", None) else "?"
        raise GPXError(f"{name}: not valid XML (line {line}: {msg})") from None
    except UnicodeDecodeError as exc:
        raise GPXError(f"{name}: bad text encoding ({exc.reason})") from None
    except OSError as exc:
        raise GPXError(f"{name}: cannot read ({exc})") from None

    if root is None or _local(root.tag) != "gpx":
        got = _local(root.tag) if root is not None else "none"
        raise GPXError(f"{name}: not a GPX file (root element is <{got}>, expected <gpx>)")

    kind = "track"
    pts = trk_pts
    if len(lat) == 0:
        if len(rte_pts[0]) == 0:
            raise GPXError(f"{name}: no track or route points")
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
    )


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
    """
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = creator
    gpx.name = name or None
    gpx.description = description or None
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
                w.lat,
                w.lon,
                elevation=None if math.isnan(w.elevation) else round(w.elevation, 1),
                name=w.name,
                description=w.description or None,
                type=w.type or None,
            )
        )
    from .io import atomic_write_text

    atomic_write_text(path, gpx.to_xml(version="1.1"))
