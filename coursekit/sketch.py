"""Schematic tracks through an ordered list of places (``coursekit sketch``).

When no GPX of a course exists, a *sketch* joins its places by geodesic lines
densified every ~25 m, with the altitude interpolated linearly along the
distance between places. It is honest about being a sketch: no wiggle is
added, the GPX's creator and description say ``coursekit sketch
(schematic)`` (see :data:`coursekit.course.SKETCH_MARK`), and a course file
using it is schematic in every output.

Places file (TOML)::

    name = "HAUT 120 (sketch)"          # required
    description = "..."                 # optional
    source = "places.json"              # optional

    [[places]]                          # in course order, at least two
    name = "Imlil"                      # required
    lat = 31.137                        # required [degrees]
    lon = -7.919                        # required [degrees]
    alt_m = 1740                        # optional [m]; interpolated when absent (not at the ends)
    alt_estimated = false               # optional: alt_m is an estimate, not a published one
    schematic_position = false          # optional: position guessed, not known
    source = "..."                      # optional
    confidence = "medium"               # optional: high | medium | low
    note = "..."                        # optional

A places file must not look like a course file: ``gpx`` or ``start`` is an error.

An estimated altitude (``alt_estimated = true``, e.g. one value per place computed by
``courses/make_places.py`` for every race through it) is written in the GPX waypoint's
description as ``alt ~1790 m (estimated)`` for readers, and in its ``<type>`` as
``place (altitude estimated)`` (:data:`ALT_ESTIMATED_TYPE`): that field, which ``sketch``
writes and a description in free text cannot imitate by chance, is how ``coursekit check``
and the plans know it (:func:`is_alt_estimated`,
:func:`coursekit.checkpoints.estimated_altitude_notes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .course import SKETCH_MARK, _Ctx, _read_toml

__all__ = [
    "ALT_ESTIMATED_MARK",
    "ALT_ESTIMATED_TYPE",
    "Place",
    "Places",
    "SketchTrack",
    "is_alt_estimated",
    "load_places",
    "sketch_track",
    "write_sketch",
]

ALT_ESTIMATED_MARK = "(estimated)"
"""Written after the altitude in a sketch waypoint's description when it is an estimate
(for readers; programs read :data:`ALT_ESTIMATED_TYPE`)."""

PLACE_TYPE = "place"
"""``<type>`` of a sketch waypoint, followed by its qualifiers in parentheses, separated by
``"; "``: ``place``, ``place (schematic position)``, ``place (altitude estimated)``,
``place (schematic position; altitude estimated)``."""

ALT_ESTIMATED_TYPE = "altitude estimated"
"""Qualifier of a sketch waypoint's ``<type>`` when its altitude is an estimate."""


def _place_type(schematic_position: bool, alt_estimated: bool) -> str:
    q = [
        w
        for w, on in (
            ("schematic position", schematic_position),
            (ALT_ESTIMATED_TYPE, alt_estimated),
        )
        if on
    ]
    return PLACE_TYPE + (f" ({'; '.join(q)})" if q else "")


def is_alt_estimated(waypoint) -> bool:
    """Whether a GPX waypoint is a sketch place whose altitude is an estimate: its ``<type>``
    is :data:`PLACE_TYPE` with the qualifier :data:`ALT_ESTIMATED_TYPE` (as
    :func:`write_sketch` writes it), and it has an altitude."""
    t = (getattr(waypoint, "type", "") or "").strip()
    if not t.startswith(PLACE_TYPE + " (") or not t.endswith(")"):
        return False
    quals = [q.strip() for q in t[len(PLACE_TYPE) + 2 : -1].split(";")]
    return ALT_ESTIMATED_TYPE in quals and math.isfinite(getattr(waypoint, "elevation", math.nan))


_TOP = {"name", "description", "source", "places"}
_PLACE = {
    "name",
    "lat",
    "lon",
    "alt_m",
    "alt_estimated",
    "schematic_position",
    "source",
    "confidence",
    "note",
}
_CONFIDENCE = ("high", "medium", "low")


@dataclass(frozen=True)
class Place:
    """One place of a sketch: position [degrees], altitude [m] (NaN if unknown).

    ``alt_estimated``: the altitude is an estimate (no published one).
    """

    name: str
    lat: float
    lon: float
    alt_m: float = math.nan
    schematic_position: bool = False
    alt_estimated: bool = False
    source: str = ""
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class Places:
    """A places file: its name, description and places in course order."""

    name: str
    path: Path | None
    places: tuple[Place, ...]
    description: str = ""
    source: str = ""


def load_places(path) -> Places:
    """Read a places TOML file (see module docstring).

    Raises
    ------
    CourseFileError
        Unknown or missing keys, wrong types, fewer than two places, or a file
        that looks like a course file (``gpx``/``start``).
    """
    path = Path(path)
    raw = _read_toml(path, "places")
    ctx = _Ctx(path, "")
    ctx.refuse_course_keys(
        raw,
        "a places file must not look like a course file (no gpx/start): give the "
        "course file to legs/check/export, and its places to sketch",
    )
    ctx.check_keys(raw, _TOP, "the places file")
    name = ctx.str_(raw, "name", required=True)
    items = raw.get("places")
    if not isinstance(items, list) or len(items) < 2:
        raise ctx.err("places", "needs at least two [[places]] tables, in course order")
    places = []
    for i, p in enumerate(items):
        c = _Ctx(path, f"places[{i}]")
        if not isinstance(p, dict):
            raise c.err(None, "expected a table")
        pname = c.str_(p, "name", required=True)
        c = _Ctx(path, f"places[{i}] ({pname!r})")
        c.check_keys(p, _PLACE, "[[places]]")
        lat = c.num(p, "lat", lo=-90, hi=90)
        lon = c.num(p, "lon", lo=-180, hi=180)
        if lat is None or lon is None:
            raise c.err(
                "lat" if lat is None else "lon",
                "is required (a place with no known coordinates gets an estimated position "
                "and schematic_position = true)",
            )
        alt = c.num(p, "alt_m", default=math.nan, lo=-500, hi=9000)
        estimated = c.bool_(p, "alt_estimated")
        if estimated and not math.isfinite(alt):
            raise c.err("alt_estimated", "needs the estimate in alt_m")
        conf = c.str_(p, "confidence", default="")
        if conf and conf not in _CONFIDENCE:
            raise c.err("confidence", f"expected one of {', '.join(_CONFIDENCE)}, got {conf!r}")
        places.append(
            Place(
                name=pname,
                lat=lat,
                lon=lon,
                alt_m=alt,
                schematic_position=c.bool_(p, "schematic_position"),
                alt_estimated=estimated,
                source=c.str_(p, "source", default=""),
                confidence=conf,
                note=c.str_(p, "note", default=""),
            )
        )
    places = _same_place_altitudes(places)
    _ends_have_altitudes(path, places)
    return Places(
        name=name,
        path=path,
        places=tuple(places),
        description=ctx.str_(raw, "description", default=""),
        source=ctx.str_(raw, "source", default=""),
    )


SAME_PLACE_M = 100.0
"""Two places this close [m] are one place: an altitude given for one serves the other."""


def _same_place_altitudes(places: list[Place]) -> list[Place]:
    """Places without ``alt_m`` take the altitude of the same place given elsewhere in the
    file: same name, or within :data:`SAME_PLACE_M` (a loop's finish, a place passed twice);
    a place within :data:`SAME_PLACE_M` of one with ``schematic_position`` is at that guessed
    position too."""
    from dataclasses import replace

    from .geodesy import distance

    known = [p for p in places if math.isfinite(p.alt_m)]
    guessed = [p for p in places if p.schematic_position]
    out = []
    for p in places:
        if not p.schematic_position and any(
            float(distance(p.lat, p.lon, q.lat, q.lon)) <= SAME_PLACE_M for q in guessed
        ):
            # the same guessed position, on another passage (an out-and-back's pass)
            p = replace(p, schematic_position=True)
        if not math.isfinite(p.alt_m):
            for q in known:
                near = float(distance(p.lat, p.lon, q.lat, q.lon)) <= SAME_PLACE_M
                if near or q.name.strip().casefold() == p.name.strip().casefold():
                    p = replace(p, alt_m=q.alt_m, alt_estimated=q.alt_estimated)
                    break
        out.append(p)
    return out


def _ends_have_altitudes(path: Path, places: list[Place]) -> None:
    """Refuse a first or last place without altitude when others have one: between places
    the altitude is interpolated, but beyond the last known one it could only be held (a
    loop back to its start at 6 m was drawn finishing at 900 m)."""
    alts = [p.alt_m for p in places]
    if not any(math.isfinite(a) for a in alts):
        return
    for i, which in ((0, "first"), (len(places) - 1, "last")):
        p = places[i]
        if not math.isfinite(p.alt_m):
            raise _Ctx(path, f"places[{i}] ({p.name!r})").err(
                "alt_m",
                f"is missing on the {which} place: an altitude is interpolated between "
                "places, not beyond them (give alt_m, or the same name or position as a "
                "place that has one)",
            )


class SketchTrack(NamedTuple):
    """Points of a sketch and where each place falls among them.

    ``lat, lon`` [degrees], ``elevation`` [m], ``place_index`` (index of each
    place's point), ``distance`` (cumulative [m]).
    """

    lat: np.ndarray
    lon: np.ndarray
    elevation: np.ndarray
    place_index: np.ndarray
    distance: np.ndarray


def sketch_track(places, *, spacing: float = 25.0) -> SketchTrack:
    """Join places by geodesic legs densified every ``spacing`` metres.

    Parameters
    ----------
    places : sequence of Place
    spacing : float, default 25
        Largest step between points [m].

    Returns
    -------
    SketchTrack
        Altitude interpolated linearly along distance between places that
        have one (held constant before the first / after the last known one;
        NaN everywhere when no place has an altitude).
    """
    from .geodesy import cumulative_distance, geodesic_line

    if not spacing > 0:
        raise ValueError(f"spacing must be > 0 m, got {spacing}")
    if len(places) < 2:
        raise ValueError("a sketch needs at least two places")
    lats, lons, idx = [np.array([places[0].lat])], [np.array([places[0].lon])], [0]
    n = 1
    for a, b in zip(places[:-1], places[1:], strict=True):
        la, lo = geodesic_line(a.lat, a.lon, b.lat, b.lon, spacing=spacing)
        lats.append(la[1:])
        lons.append(lo[1:])
        n += la.size - 1
        idx.append(n - 1)
    lat = np.concatenate(lats)
    lon = np.concatenate(lons)
    dist = cumulative_distance(lat, lon)
    place_index = np.asarray(idx, int)
    alt = np.array([p.alt_m for p in places], float)
    known = np.isfinite(alt)
    if known.any():
        ele = np.interp(dist, dist[place_index][known], alt[known])
        # each place's own point at its altitude: two places at one position (no distance
        # between them) both took the second's (h140)
        ele[place_index[known]] = alt[known]
    else:
        ele = np.full(lat.size, np.nan)
    return SketchTrack(lat, lon, ele, place_index, dist)


MAX_SKETCH_POINTS = 100_000
"""Largest number of points in a sketch (2,500 km at the default 25 m spacing)."""


def write_sketch(places: Places, path, *, spacing: float = 25.0) -> SketchTrack:
    """Write the sketch of ``places`` as a GPX marked schematic, with one waypoint per place."""
    from .errors import CourseFileError
    from .geodesy import segment_lengths
    from .gpx import Waypoint, write_gpx

    if len(places.places) >= 2 and spacing > 0:
        length = float(
            np.sum(segment_lengths([p.lat for p in places.places], [p.lon for p in places.places]))
        )
        if length / spacing > MAX_SKETCH_POINTS:
            raise CourseFileError(
                f"{places.path}: the places span {length / 1000:,.0f} km: more than "
                f"{MAX_SKETCH_POINTS:,} points every {spacing:g} m (a place in the wrong "
                "hemisphere or lat/lon swapped? else a larger --spacing)"
            )
    st = sketch_track(places.places, spacing=spacing)
    wpts = []
    guessed = []
    for p, i in zip(places.places, st.place_index.tolist(), strict=True):
        bits = [f"km {st.distance[i] / 1000:.2f}"]
        if math.isfinite(p.alt_m) and p.alt_estimated:
            bits.append(f"alt ~{p.alt_m:.0f} m {ALT_ESTIMATED_MARK}")
        elif math.isfinite(p.alt_m):
            bits.append(f"alt {p.alt_m:.0f} m")
        if p.schematic_position:
            bits.append("schematic position (no known coordinates)")
            guessed.append(p.name)
        if p.confidence:
            bits.append(f"confidence {p.confidence}")
        if p.source:
            bits.append(f"source: {p.source}")
        if p.note:
            bits.append(p.note)
        wpts.append(
            Waypoint(
                name=p.name,
                lat=p.lat,
                lon=p.lon,
                elevation=p.alt_m,
                description="; ".join(bits),
                type=_place_type(p.schematic_position, p.alt_estimated and math.isfinite(p.alt_m)),
            )
        )
    desc = (
        f"{SKETCH_MARK}: straight geodesic legs between {len(places.places)} places, "
        f"points every {spacing:g} m, altitude interpolated linearly between places; "
        "not a surveyed route."
    )
    if guessed:
        desc += " Positions guessed: " + ", ".join(guessed) + "."
    if places.description:
        desc += " " + places.description
    if places.source:
        desc += f" Places from {places.source}."
    write_gpx(
        path,
        st.lat,
        st.lon,
        st.elevation,
        name=places.name,
        description=desc,
        waypoints=wpts,
        creator=SKETCH_MARK,
    )
    return st
