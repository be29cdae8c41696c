"""Locate checkpoints on the track, in course order; the legs table; course checks.

Checkpoints given by coordinates (``lat``/``lon`` or a GPX waypoint) are
projected onto the track's *segments* (not the nearest vertex) in a local
azimuthal equidistant projection (:func:`coursekit.geodesy.local_projection`),
with shapely's vectorised ``distance`` and ``line_locate_point`` on one
two-point line per segment.

Course order
------------
Each checkpoint is matched on the **first passage at or after the previous
checkpoint's distance**. A *passage* is a local minimum of the
distance-to-track function along the track that lies within the tolerance;
minima closer together than a rise of ``prominence`` metres (GPS wiggles of
one passage) are merged and the lower one kept. So a loop (start = finish), an
out-and-back and a village passed twice each come out at the right passage.

Entry/exit pairs: a checkpoint within :data:`SAME_PLACE_M` of the previous
checkpoint's position may be located *at* the previous checkpoint's distance
even when its own nearest point on the track lies a few metres before it.

Checkpoints placed by ``km`` are taken as given, on the profile's distance
(the scaled one when the course is scaled to its declared figures), clipped to
the course length (``check_course`` warns).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from .clock import limit_hm, seconds_between
from .course import DEFAULT_TOLERANCE_M, MAX_TOLERANCE_M
from .errors import CourseFileError
from .geodesy import interp_lon
from .profile import along_course_distance

__all__ = [
    "cutoff_limit_problem",
    "NAMED_CUT_MAX_M",
    "finish_cutoff_problem",
    "SAME_PLACE_M",
    "SAME_WAYPOINT_M",
    "Finding",
    "Located",
    "Legs",
    "locate",
    "locate_points",
    "find_waypoint",
    "course_legs",
    "declared_km_preference",
    "legs_from_located",
    "check_course",
    "end_notes",
    "FINISH_WORDS",
    "START_WORDS",
    "is_finish_name",
    "is_start_name",
    "is_finish_checkpoint",
    "is_start_checkpoint",
    "named_ends",
    "finish_km_notes",
    "gpx_cut_notes",
    "named_far_notes",
    "start_km_notes",
    "end_km_text",
    "km_slack_m",
    "clock_place_notes",
    "DECLARED_KM_WARN",
    "MAX_STRETCH_KM_EFFORT",
    "MAX_LEG_GRADE",
    "declared_km_notes",
    "DECLARED_STRETCH_SPREAD",
    "declared_stretch_notes",
    "estimated_altitude_notes",
    "located_from_legs",
    "duplicate_name_notes",
    "added_rows",
    "end_name_notes",
    "long_stretch_notes",
    "steep_leg_notes",
    "same_place_notes",
]

SAME_PLACE_M = 25.0
"""Two checkpoints closer than this are one place (an entry/exit pair) [m]."""

ONE_VISIT_M = 500.0
"""Passages of one checkpoint's position closer than this along the track are one visit
for the ``[passages]`` note [m]: a hairpin through a village, a loop round its square, the
two sides of a spur to the aid station (an outside review, h120: UTMB's Saint-Gervais
"passed 2 times, at km 21.5 and 21.6"). The placement still chooses among them."""

SAME_WAYPOINT_M = 100.0
"""Waypoints of one name this close to the first of them are one place [m]: a sketch writes a
place passed twice (an out-and-back's pass) as two waypoints of one name, as
:data:`coursekit.sketch.SAME_PLACE_M` joins them; the checkpoint's passage is then chosen in
course order, as for one placed by ``lat`` + ``lon``."""

END_SNAP_M = 100.0
"""The first (last) checkpoint placed this close along the track to its start (end) is the
start (finish) row [m], capped by the tolerance. Farther, it is a checkpoint of its own: a
bridge 200 m out of town is not the start, whatever the tolerance to the track."""

FINISH_WORDS = frozenset(
    {"finish", "arrivee", "arrival", "ziel", "meta", "arrivo", "llegada", "chegada"}
)
"""Words that name the finish (compared without case or accents): a last checkpoint whose
name starts with one (``"Arrivée Chamonix"``, ``"Finish"``), or a start word followed by one
(``"Start/Finish"``, ``"Départ-Arrivée"``), is the finish (:func:`named_ends`)."""

START_WORDS = frozenset({"start", "depart", "departure", "salida", "partenza", "partida"})
"""Words that name the start (compared without case or accents): a first checkpoint whose
name starts with one, or a finish word followed by one, is the start (:func:`named_ends`)."""

END_VISIT_M = 1000.0
"""Passages of a named start or finish closer than this along the track are one visit of
the place [m]: the start is in its first visit, the finish in its last (a town crossed at
km 3 and finished in at km 37), and within that visit on the passage nearest the point
(:func:`_end_passage`)."""

END_PASSAGE_M = 50.0
"""Within its visit, the finish goes on its last passage no more than this farther from the
point than the visit's nearest, the start on its first [m]: a finish loop through the village
past the arch (passages 0 and 30 m off) ends at the arch, but the street 100 m from it that
the GPX takes to the car park after the finish is not the finish."""

NAMED_CUT_MAX_M = 1000.0
"""Most of the GPX a start or finish known by its *name* alone cuts off, at each end [m]: a
walk from the car park, a watch that kept recording. Beyond it the name is more likely a
place's ("Salida", Colorado; "Meta") than the finish's, and the GPX is not cut; the keys
``start = true`` / ``finish = true`` cut any length."""


class Finding(NamedTuple):
    """One result of :func:`check_course`.

    ``level`` is ``"error"``, ``"warning"`` or ``"info"``; ``code`` a short
    stable identifier (``"off-track"``, ``"declared-conflict"``...).
    """

    level: str
    code: str
    message: str


class _Located5(NamedTuple):
    distance: np.ndarray
    offset: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    problems: tuple = ()


class Located(_Located5):
    """Where checkpoints lie on the course (one value per checkpoint).

    A named tuple of five fields, ``distance, offset, lat, lon, problems``, as before
    ``passages`` was added: ``passages`` is an attribute outside the tuple, so code that
    unpacks five values (``dist, off, lat, lon, problems = locate_points(...)``) still works.
    It is kept by ``_replace`` and pickling, and can be given as a sixth argument or by name.

    Attributes
    ----------
    distance : ndarray
        Distance along the course [m] (NaN when not found in ``collect`` mode).
    offset : ndarray
        Distance from the checkpoint's position to the track [m] (0 for km).
    lat, lon : ndarray
        Position on the track [degrees].
    problems : tuple of (index, code, message)
        Checkpoints that could not be placed (``collect`` mode only).
    passages : tuple of tuple of float
        Every passage of the track at each checkpoint's position, in course order
        [m] (one for a checkpoint placed by ``km``, none for one not found; in
        ``collect`` mode a checkpoint found but dropped for its order keeps its
        passages, with a NaN distance). Not part of the tuple (see above).
    """

    passages: tuple = ()

    def __new__(cls, distance, offset, lat, lon, problems=(), passages=()):
        self = super().__new__(cls, distance, offset, lat, lon, problems)
        self.passages = tuple(passages)
        return self

    def _replace(self, **kw):
        passages = kw.pop("passages", self.passages)
        return type(self)(*super()._replace(**kw), passages=passages)

    def __reduce__(self):
        return (type(self), (*self, self.passages))


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(s.casefold().split())


def find_waypoint(track, name: str):
    """The GPX waypoint called ``name``: exact match first, then ignoring case,
    accents and repeated spaces. Several of that name within :data:`SAME_WAYPOINT_M` of the
    first are one place (a sketch's place passed twice): the first is returned.

    Without a ``<wpt>`` of that name, the named route points of a GPX that is a route
    (``track.route_points``: a planner's turns and checkpoints, "#010") are searched the
    same way: they are points of the course. A ``<wpt>`` wins over a route point of its
    name.

    Raises
    ------
    CourseFileError
        No such waypoint or route point (the message lists some names of both) or several
        match, farther apart.
    """
    route = tuple(getattr(track, "route_points", ()) or ())
    for pool, what in ((track.waypoints, "waypoint"), (route, "route point")):
        w = _find_named(track, pool, name, what)
        if w is not None:
            return w
    known = [w.name for w in track.waypoints]
    known_route = list(dict.fromkeys(w.name for w in route))
    like = _similar_names(name, known + known_route)

    def listed(names):
        return ", ".join(repr(n) for n in names[:12]) + (" ..." if len(names) > 12 else "")

    if like:
        hint = " (did you mean " + " or ".join(repr(n) for n in like) + "?)"
    elif known or known_route:
        kinds = ([f"waypoints: {listed(known)}"] if known else []) + (
            [f"named route points: {listed(known_route)}"] if known_route else []
        )
        hint = " (" + "; ".join(kinds) + ")"
    else:
        hint = " (the GPX has no waypoints)"
    what = "waypoint or named route point called" if route else "waypoint named"
    raise CourseFileError(f"{track.path}: no {what} {name!r}{hint}")


def _find_named(track, pool, name: str, what: str):
    """The point of ``pool`` (waypoints, or named route points: ``what``) called ``name``,
    as :func:`find_waypoint` says; None when none is."""
    exact = [w for w in pool if w.name == name]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        apart = _spread_m(exact)
        if apart <= SAME_WAYPOINT_M:
            return exact[0]
        lines = ", ".join(str(w.line) for w in exact)
        raise CourseFileError(
            f"{track.path}: {what} {name!r} is ambiguous: {len(exact)} {what}s have that "
            f"name (lines {lines}), up to {apart:.0f} m apart: give the checkpoint's lat + lon"
        )
    key = _norm(name)
    loose = [w for w in pool if _norm(w.name) == key]
    if len(loose) == 1:
        return loose[0]
    if len(loose) > 1:
        apart = _spread_m(loose)
        if apart <= SAME_WAYPOINT_M:
            return loose[0]
        names = ", ".join(f"{w.name!r} (line {w.line})" for w in loose)
        raise CourseFileError(
            f"{track.path}: {what} {name!r} is ambiguous ignoring case and accents: {names}, "
            f"up to {apart:.0f} m apart: give the checkpoint's lat + lon"
        )
    return None


def _spread_m(waypoints) -> float:
    """Largest distance from the first of ``waypoints`` to the others [m]."""
    from .geodesy import distance

    w0 = waypoints[0]
    lat = np.array([w.lat for w in waypoints[1:]], float)
    lon = np.array([w.lon for w in waypoints[1:]], float)
    return float(np.max(distance(np.full(lat.size, w0.lat), np.full(lon.size, w0.lon), lat, lon)))


def _similar_names(name: str, known, n: int = 3) -> list[str]:
    """Waypoint names like ``name``, ignoring case and accents: those containing it as a word
    (``'Cogne'`` in ``'BaseVita-Cogne'``), then those sharing a word of 4 letters or more
    (``'rif. champillon'``: ``'Rifugio Letey Champillon'``), then close spellings
    (:mod:`difflib`)."""
    import difflib
    import re

    key = _norm(name)
    if not key:
        return []
    normed = {}
    for k in known:
        normed.setdefault(_norm(k), k)
    words = re.compile(r"(?<![0-9a-z])" + re.escape(key) + r"(?![0-9a-z])")
    out = [k for nk, k in normed.items() if words.search(nk)]
    tokens = {t for t in re.split(r"[^0-9a-z]+", key) if len(t) >= 4}
    shared = [
        (-len(tokens & set(re.split(r"[^0-9a-z]+", nk))), k) for nk, k in normed.items() if tokens
    ]
    out += [k for neg, k in sorted(shared) if neg < 0]
    out += [normed[c] for c in difflib.get_close_matches(key, list(normed), n=n, cutoff=0.75)]
    return list(dict.fromkeys(out))[:n]


class _Geometry:
    """The track in the local projection, as one shapely line per segment."""

    def __init__(self, profile, projection=None):
        import shapely

        from .geodesy import local_projection

        tr = profile.track
        self.lat = np.asarray(tr.lat, float)
        self.lon = np.asarray(tr.lon, float)
        self.dist = np.asarray(profile.distance, float)
        self.proj = projection or local_projection(self.lat, self.lon)
        self.x, self.y = self.proj.forward(self.lat, self.lon)
        n = self.x.size
        if n >= 2:
            a = np.column_stack([self.x[:-1], self.y[:-1]])
            b = np.column_stack([self.x[1:], self.y[1:]])
            self.segs = shapely.linestrings(np.stack([a, b], axis=1))
        else:
            self.segs = None

    def project(self, px: float, py: float):
        """The distance-to-track of (px, py) along the track: per segment, its distance [m]
        and the along-course distance of its foot [m], with between two segments the
        distance to their shared point and that point's along-course distance.

        A segment's distance is its nearest point's: on two segments whose feet are their
        shared point, or the two sides of a turnaround inside them, it stays the same while
        the track goes hundreds of metres away and back (a planner's out-and-back on long
        segments); the shared points' distances are the rise between the two passages.
        """
        import shapely

        pt = shapely.points(px, py)
        d = np.asarray(shapely.distance(self.segs, pt), float)
        with np.errstate(invalid="ignore"):
            t = shapely.line_locate_point(self.segs, pt, normalized=True)
        t = np.where(np.isfinite(t), t, 0.0)
        s = self.dist[:-1] + t * np.diff(self.dist)
        n = d.size
        d_all = np.empty(2 * n - 1)
        s_all = np.empty(2 * n - 1)
        d_all[0::2], s_all[0::2] = d, s
        d_all[1::2] = np.hypot(self.x[1:-1] - px, self.y[1:-1] - py)
        s_all[1::2] = self.dist[1:-1]
        return d_all, s_all

    def point_at(self, s: float):
        """(x, y) of the track at course distance ``s`` [m]."""
        return float(np.interp(s, self.dist, self.x)), float(np.interp(s, self.dist, self.y))

    def latlon_at(self, s: float):
        return float(np.interp(s, self.dist, self.lat)), float(interp_lon(s, self.dist, self.lon))


def _passages(d: np.ndarray, *, tol: float, prominence: float) -> list[int]:
    """Indices of the passages: local minima of ``d`` within ``tol``.

    Minima not separated by a rise of more than ``prominence`` (GPS wiggles of
    one passage) are merged, keeping the lowest.
    """
    inside = np.flatnonzero(d <= tol)
    if inside.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(inside) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [inside.size - 1]])
    out = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        run = inside[a : b + 1]
        dv = d[run].tolist()
        seeking_min = True
        best, best_d, top = -1, math.inf, -math.inf
        for j, dj in enumerate(dv):
            if seeking_min:
                if dj < best_d:
                    best, best_d = j, dj
                elif dj > best_d + prominence:
                    out.append(int(run[best]))
                    seeking_min, top = False, dj
            elif dj > top:
                top = dj
            elif dj < top - prominence:
                seeking_min, best, best_d = True, j, dj
        if seeking_min and best >= 0:
            out.append(int(run[best]))
    return out


FINE_PROMINENCE_M = 1.0
"""Rise of the distance-to-track that separates two local minima for the placement's
candidates [m] (the reported passages merge minima by the larger ``prominence``)."""


def _candidates(d, s, *, tol: float, prominence: float):
    """Placement candidates of one checkpoint: ``(s, d, excess, passage)`` per local
    minimum of ``d`` (distance to each segment and shared point, :meth:`_Geometry.project`
    [m]) within ``tol``, ``s`` the foot's course distance [m], ``passage`` True for the
    minima :func:`_passages` keeps.

    :func:`_passages` merges minima not separated by a rise of more than ``prominence``
    (the GPS wiggles of one passage). Merging decides which passages are reported, not
    which ones the placement may use: a merged-away minimum stays a candidate, with
    ``excess`` its distance beyond its passage's lowest minimum [m], so that it is used only
    when the order of the checkpoints needs it (an aid station 40 m before a turnaround,
    listed on the way up and on the way down, with the turnaround between them).
    """
    merged = _passages(d, tol=tol, prominence=prominence)
    if not merged:
        return []
    fine = _passages(d, tol=tol, prominence=min(FINE_PROMINENCE_M, prominence))
    fine = sorted(set(fine) | set(merged))
    prim = set(merged)
    ms = np.array(sorted(merged))
    out = []
    for j in fine:
        if j in prim:
            out.append((float(s[j]), float(d[j]), 0.0, True))
            continue
        # the merged passage it belongs to: of its neighbours, the one reached over the
        # lower rise of the distance-to-track
        k = int(np.searchsorted(ms, j))
        best = None
        for m in (ms[k - 1] if k > 0 else None, ms[k] if k < ms.size else None):
            if m is None:
                continue
            a, b = (m, j) if m < j else (j, m)
            rise = float(d[a : b + 1].max())
            if best is None or rise < best[0]:
                best = (rise, int(m))
        out.append((float(s[j]), float(d[j]), max(float(d[j] - d[best[1]]), 0.0), False))
    return out


KM_BEYOND_MAX = 1.10
"""A checkpoint's ``km`` past this multiple of the course length is refused (a typo such
as 60 for 6.0); up to it, it is placed at the finish with a warning (the organiser's km
table measured a little longer than the GPX) [-]."""


def km_slack_m(km: float) -> float:
    """How far past the end of the course [m] a checkpoint's ``km`` may fall unremarked.

    Half a unit of its last written decimal, at least 1 m: ``49.43`` 5 m, ``49.4`` 50 m
    (a TOML integer is read as a float: ``50`` is 50.0, 50 m). A km copied from a table
    that rounds (``legs`` prints 49.43 for 49.4267 km) is not "beyond the end".
    """
    decimals = _km_decimals(km)
    if decimals is None:
        return 1.0
    return max(1.0, 0.5 * 10.0 ** (3 - decimals))


def _km_decimals(km: float) -> int | None:
    """The decimals ``km`` is written with (``49.43``: 2; ``50.0``: 1), None in exponent
    notation."""
    text = repr(km)
    if "e" in text.lower():
        return None
    return len(text.split(".")[1]) if "." in text else 0


def end_km_text(end_m: float, km: float) -> str:
    """The course's end [m] as km, written to as many decimals as the checkpoint's ``km``
    beside it (at least 2, at most 3: the metre), so a km past the end by more than
    :func:`km_slack_m` never reads as before it ("km 10.008 is beyond the end (10.007
    km)", not "(10.01 km)")."""
    decimals = _km_decimals(km)
    return f"{end_m / 1000:.{min(3, max(2, decimals or 3))}f}"


def km_table_drift(specs, i: int, end_m: float) -> str:
    """What a ``km`` past the end says of the km listed before it, as a suffix of the
    ``km-beyond-end`` warning: the organiser's km table was measured longer than the GPX
    (UTMB 2024: the finish at km 176.6 on a 172.9 km track), so every checkpoint given by
    km before checkpoint ``i``, placed at its km as written, may sit too far along the
    track, more and more along the course;
    "" when none is given by km, or when ``i`` is not the last checkpoint given by km."""
    by_km = [j for j, sp in enumerate(specs) if sp.km is not None]
    if not by_km or by_km[-1] != i or len(by_km) < 2 or not end_m > 0:
        return ""
    longer = specs[i].km * 1000.0 / end_m - 1.0
    j = by_km[-2]
    late = specs[j].km * longer / (1.0 + longer)  # [km] if the table is uniformly longer
    return (
        f"; the km table runs {100 * longer:.1f} % longer than the track, so the "
        f"{len(by_km) - 1} checkpoint{'s' if len(by_km) > 2 else ''} given by km before it "
        f"may sit too far along it ({specs[j].name!r} by about {late:.1f} km if the "
        "difference is spread along the course): give them by coordinates or GPX waypoint"
    )


PREFER_KM_WEIGHT = 1.0
"""Cost of a passage per metre between its km and the km a checkpoint is expected at
(``prefer_km`` of :func:`locate_points`) [m of offset per m along]: a passage a kilometre
from its declared km loses against one at it even 1 km farther from the station (beyond
any tolerance), so on an out-and-back the declared km chooses the passage."""


def locate_points(
    profile,
    specs,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    projection=None,
    prominence_m: float | None = None,
    equal_m: float = SAME_PLACE_M,
    errors: str = "raise",
    source: str = "",
    along=None,
    prefer_km=None,
) -> Located:
    """Locate checkpoints along the course, in course order.

    Parameters
    ----------
    profile : Profile
        The course profile; its ``distance`` (possibly scaled) is the result's scale.
    specs : sequence of CheckpointSpec
        In course order.
    tolerance_m : float, default 250
        Largest distance from a checkpoint to the track [m], for the
        checkpoints without their own ``tolerance_m``.
    projection : LocalProjection, optional
        Defaults to one centred on the track.
    prominence_m : float, optional
        Rise of the distance-to-track between two minima for them to count as
        two passages [m]; default ``clip(tolerance / 5, 10, 50)`` with each
        checkpoint's tolerance.
    equal_m : float, default 25
        Passages closer than this to the checkpoint are equally good [m].
    errors : {"raise", "collect"}
        ``collect``: a checkpoint that cannot be placed gets NaN and a problem
        entry; the others are still placed.
    source : str
        File named in messages (default: the GPX).
    along : ndarray, optional
        Cumulative along-course distance at each track point [m] (see
        :func:`coursekit.profile.along_course_distance`): checkpoint ``km`` are read on this
        scale and converted to track distance. Default: the profile's distance.
    prefer_km : sequence of (float or None), optional
        Per spec, the km (on the scale of ``km``) where a checkpoint passed several times
        is expected (its ``declared_km`` on a course scaled to its declared figures): among
        its passages, the one nearest that km is taken, as far as the order of the
        checkpoints allows. None (or a None entry): no preference.

    Returns
    -------
    Located

    Notes
    -----
    Each checkpoint's candidates are every local minimum of its distance to the track
    within the tolerance (see :func:`_candidates`): the lowest of each passage (see
    :func:`_passages`), and the minima merged into it, at the cost of their distance
    beyond it (used when the order needs them: a station a few tens of metres before a
    turnaround, listed before and after it); a checkpoint placed by km has one
    candidate. The assignment minimises
    :math:`\\sum_i \\max(d_i - n_i - e, 0)` (:math:`d_i` the passage's distance to
    the checkpoint, :math:`n_i` that of its nearest passage, :math:`e` = ``equal_m``:
    passages within 25 m of the nearest tie) over non-decreasing distances along
    the course (a checkpoint within :data:`SAME_PLACE_M` before the previous
    one is put at the previous one's distance: entry/exit pairs), ties going
    to the earliest passage. So a checkpoint is matched on the first passage
    after the previous one, unless a later passage is clearly closer (a trail
    grazing the tolerance circle on a switchback before reaching the station).
    A checkpoint with a ``prefer_km`` adds :data:`PREFER_KM_WEIGHT` times the distance
    between a passage and that km to the passage's cost, so the passage that fits the km
    wins over a few metres of offset. Solved exactly by dynamic programming over the
    candidates.
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")
    if not tolerance_m > 0:
        raise ValueError(f"tolerance must be > 0 m, got {tolerance_m}")
    src = source or str(profile.track.path)
    geo = _Geometry(profile, projection)
    total = float(geo.dist[-1]) if geo.dist.size else 0.0
    n = len(specs)
    problems = []
    eps = 1e-9  # [cost/m]: ties go to the earliest passage

    def fail(i, code, msg):
        if errors == "raise":
            raise CourseFileError(msg)
        problems.append((i, code, msg))

    # the file's km are along-course (slope) km when ``along`` is given for every point
    use_along = along is not None and along.size == geo.dist.size and along[-1] > 0

    def km_of(s):  # track distance -> km on the scale of the file's ``km``
        if use_along:
            return float(np.interp(s, geo.dist, along)) / 1000.0
        return s / 1000.0

    # candidates (s, d) for each checkpoint
    cands: list[list[tuple[float, float]] | None] = []
    # each checkpoint's nearest passage [m]: the tie band is measured from it, so that a
    # station 120 m off a place passed twice is not put on whichever GPS line runs 4 m
    # nearer (6 km apart on an out-and-back); on the track (0 m) nothing changes
    near: dict[int, float] = {}
    # a merged-away minimum's distance beyond its passage's lowest (see _candidates), and
    # the passages reported (Located.passages) per checkpoint
    excess: dict[int, dict[float, float]] = {}
    reported: dict[int, tuple[float, ...]] = {}
    for i, sp in enumerate(specs):
        label = f"{src}: checkpoints[{i}] {sp.name!r}"
        if sp.km is not None:
            s_km = sp.km * 1000.0
            end_m = float(along[-1]) if use_along else total
            if s_km > KM_BEYOND_MAX * end_m:
                fail(
                    i,
                    "km-beyond-end",
                    f"{label}: km {sp.km:g} is beyond the end of the course (km "
                    f"{end_m / 1000:.2f}) by more than {100 * (KM_BEYOND_MAX - 1):.0f} %: a typo? "
                    "(km are along the course, on the slope)",
                )
                cands.append(None)
                continue
            if use_along:
                s_km = float(np.interp(s_km, along, geo.dist))
            # the finish placed by km is the course's end: its km is the organiser's
            # measurement of the course, not a place short of the GPX's end
            # (:func:`finish_km_notes` compares the two)
            # (the start placed by km, likewise, is the course's start; by its name alone
            # within NAMED_CUT_MAX_M of km 0: "Salida del bosque" at km 8 is not the start)
            if is_finish_checkpoint(specs, i):
                s_km = total
            elif _start_by_km(specs, i):
                s_km = 0.0
            cands.append([(min(s_km, total), 0.0)])
            continue
        if sp.waypoint is not None:
            try:
                w = find_waypoint(profile.track, sp.waypoint)
            except CourseFileError as exc:
                fail(i, "waypoint", f"{label}: {exc}")
                cands.append(None)
                continue
            plat, plon = w.lat, w.lon
        else:
            plat, plon = sp.lat, sp.lon
        px, py = (float(v) for v in geo.proj.forward(plat, plon))
        if geo.segs is None:
            d_all = np.array([math.hypot(px - geo.x[0], py - geo.y[0])])
            s_all = np.zeros(1)
        else:
            d_all, s_all = geo.project(px, py)
        jmin = int(np.argmin(d_all))
        tol = sp.tolerance_m if sp.tolerance_m is not None else tolerance_m
        prom = prominence_m if prominence_m is not None else min(max(tol / 5, 10.0), 50.0)
        cs = _candidates(d_all, s_all, tol=tol, prominence=prom)
        if not cs:
            fail(
                i,
                "off-track",
                f"{label} is {d_all[jmin]:.0f} m from the track (nearest at km "
                f"{km_of(float(s_all[jmin])):.2f}), beyond the tolerance of {tol:.0f} m "
                f"{_off_track_hint(float(d_all[jmin]))}",
            )
            cands.append(None)
            continue
        near[i] = min(c[1] for c in cs)
        cands.append(sorted((c[0], c[1]) for c in cs))
        excess[i] = {c[0]: c[2] for c in cs if not c[3]}
        prim = [c[0] for c in cs if c[3]]
        again = [
            c[0]
            for c in cs
            if not c[3]
            and c[1] <= near[i] + equal_m
            and min(abs(c[0] - q) for q in prim) > 2 * SAME_PLACE_M
        ]
        reported[i] = tuple(sorted(prim + again))
        if _start_spec(specs, i):
            # the start (named so, or start = true) is in its first visit, as named_ends
            # cuts the GPX there (the finish in its last: _final_state)
            cands[-1] = [cands[-1][_end_passage(cands[-1], last=False)]]

    def pref(i, s):  # the cost of passage ``s`` of checkpoint ``i`` away from its km
        k = prefer_km[i] if prefer_km is not None else None
        if k is None or specs[i].km is not None or len(cands[i]) < 2:
            return 0.0
        return PREFER_KM_WEIGHT * abs(km_of(s) - k) * 1000.0

    def extra(i, s):  # a merged-away minimum's cost: used when the order needs it
        return excess.get(i, {}).get(s, 0.0)

    # dynamic programming over the placed checkpoints, in order
    chain: list[int] = []  # checkpoints kept, in order
    states: list[list[tuple[float, float, int, float]]] = []  # (s, cum, back, d)
    for i, cs in enumerate(cands):
        if cs is None:
            continue
        new = []
        if not states:
            for s, d in cs:
                off = max(d - near.get(i, 0.0) - equal_m, 0.0) + extra(i, s)
                new.append((s, off + pref(i, s) + eps * s, -1, d))
        else:
            prev = states[-1]  # sorted by s
            ps = np.array([p[0] for p in prev])
            pc = np.array([p[1] for p in prev])
            pmin = np.minimum.accumulate(pc)
            parg = np.zeros(len(prev), int)
            for k in range(1, len(prev)):
                parg[k] = k if pc[k] < pc[parg[k - 1]] else parg[k - 1]
            # two km in decreasing order contradict the list (a typo: 2.98 for 3.98); the
            # slack is for entry/exit pairs by coordinates
            both_km = specs[i].km is not None and specs[chain[-1]].km is not None
            slack = 0.0 if both_km else SAME_PLACE_M
            for s, d in cs:
                k = int(np.searchsorted(ps, s + slack, side="right")) - 1
                if k < 0:
                    continue
                off = max(d - near.get(i, 0.0) - equal_m, 0.0) + extra(i, s)
                cost = pmin[k] + off + pref(i, s) + eps * s
                new.append((s, cost, int(parg[k]), d))
        if not new:
            fail(i, "order", _order_message(src, specs, cands, chain, states, i, km_of, total))
            continue
        new.sort(key=lambda t: t[0])
        # re-point back-references after sorting is not needed: back indexes prev states
        chain.append(i)
        states.append(new)

    dist = np.full(n, np.nan)
    off = np.full(n, np.nan)
    if chain:
        k = _final_state(states[-1], specs, chain[-1], total, tolerance_m)
        for pos in range(len(chain) - 1, -1, -1):
            s, _, back, d = states[pos][k]
            dist[chain[pos]] = s
            off[chain[pos]] = d
            k = back
        # entry/exit: a checkpoint a few metres before the previous one sits at its distance
        last = -math.inf
        for i in chain:
            dist[i] = max(dist[i], last)
            last = dist[i]
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    ok = np.isfinite(dist)
    if ok.any():
        lat[ok] = np.interp(dist[ok], geo.dist, geo.lat)
        lon[ok] = interp_lon(dist[ok], geo.dist, geo.lon)  # the short way across +-180
    passages = tuple(
        reported.get(i, tuple(c[0] for c in cs)) if cs else () for i, cs in enumerate(cands)
    )
    return Located(dist, off, lat, lon, tuple(problems), passages)


def _end_passage(passages, *, last: bool) -> int:
    """Index in ``passages`` (``(s, d, ...)`` tuples sorted by ``s``: distance along the track
    and from the point [m]) of the named finish (``last``) or start.

    Passages less than :data:`END_VISIT_M` apart are one visit of the place; the finish is in
    the last visit, the start in the first, on the visit's last (first) passage within
    :data:`END_PASSAGE_M` of its nearest.
    """
    order = range(len(passages) - 1, -1, -1) if last else range(len(passages))
    visit = []
    for j in order:
        if visit and abs(passages[j][0] - passages[visit[-1]][0]) >= END_VISIT_M:
            break
        visit.append(j)
    nearest = min(passages[j][1] for j in visit)
    return next(j for j in visit if passages[j][1] <= nearest + END_PASSAGE_M)


def _final_state(last_states, specs, i: int, total: float, tolerance_m: float) -> int:
    """Index of the cheapest placement of the last placed checkpoint ``i``; ties go to the
    earliest passage, except for the checkpoint listed last (the finish may be listed
    last, contract 1): a passage at the track's end (within :data:`END_SNAP_M`, at most the
    tolerance) as good as the best (within :data:`SAME_PLACE_M`) is the finish, not the
    pass the track makes near the arch before a last loop in town. The finish named so or
    marked ``finish = true`` (:func:`is_finish_checkpoint`) goes in its last visit
    (:func:`_end_passage`), wherever the GPX ends (:func:`named_ends` then ends the course
    there)."""
    cost = np.array([st[1] for st in last_states])
    k = int(np.argmin(cost))
    sp = specs[i]
    if i != len(specs) - 1 or sp.km is not None:
        return k
    if is_finish_checkpoint(specs, i):
        # the finish (named so, or finish = true) is in its last visit, as named_ends
        # cuts the GPX there: a town crossed at km 3 whose return passes 30 m off is
        # finished in at km 37, not at km 3; the street 100 m from the arch that the GPX
        # takes to the car park after it is not the finish
        return _end_passage([(st[0], st[3]) for st in last_states], last=True)
    tie = 1e-9 * max(total, 1.0) + 1e-9  # the tie-breaking term's size (eps x distance)
    tol = sp.tolerance_m if sp.tolerance_m is not None else tolerance_m
    snap = min(tol, END_SNAP_M)
    ends = [
        j
        for j, (s, c, _, d) in enumerate(last_states)
        if s >= total - snap and d <= SAME_PLACE_M and c <= cost[k] + tie
    ]
    return max(ends, key=lambda j: last_states[j][0]) if ends else k


def _order_message(src, specs, cands, chain, states, i, km_of, total) -> str:
    """One line naming checkpoint ``i``, which fits nowhere after the ones placed before it,
    and the checkpoint listed before it that comes later on the course.

    That one is the latest placed checkpoint whose every candidate lies beyond every
    candidate of ``i``; only when none does on its own (a checkpoint pushed to a later
    passage by those before it) the last placed one, at its earliest feasible position.
    """
    last_i = max(s for s, _ in cands[i])
    j, pushed = chain[-1], True
    for k in reversed(chain):
        slack = 0.0 if specs[k].km is not None and specs[i].km is not None else SAME_PLACE_M
        if min(s for s, _ in cands[k]) > last_i + slack:
            j, pushed = k, False
            break

    def where(k, ss):
        sp = specs[k]
        if sp.km is not None:
            return f"km {sp.km:g}"
        kms = sorted({round(km_of(x), 2) for x in ss})
        more = " ..." if len(kms) > 3 else ""
        return "km " + " or ".join(f"{x:.2f}" for x in kms[:3]) + more

    at_j = where(j, [s for s, _ in cands[j]])
    if pushed:  # len(chain) >= 2: a first placed checkpoint is never pushed
        p = chain[-2]
        at_j += (
            f": km {km_of(states[-1][0][0]):.2f} once after checkpoints[{p}] "
            f"{specs[p].name!r} at {where(p, [states[-2][0][0]])}"
        )
    pk = specs[j].km
    end_km = km_of(total)
    beyond = (
        f" ({specs[j].name!r} has km = {pk:g}, beyond the end of the course at km {end_km:.2f})"
        if pk is not None and pk > end_km + 0.001
        else ""
    )
    return (
        f"{src}: checkpoints out of order: checkpoints[{i}] {specs[i].name!r} "
        f"({where(i, [s for s, _ in cands[i]])}) comes before checkpoints[{j}] "
        f"{specs[j].name!r} ({at_j}), which is listed before it" + beyond
    )


FAR_OFF_TRACK_M = 1000.0
"""Distance from the track beyond which the off-track error asks to check the coordinates
before suggesting a ``tolerance`` [m]."""


def _off_track_hint(d: float) -> str:
    """What to do about a checkpoint ``d`` metres from the track: a ``tolerance`` that
    places it, while one is allowed (:data:`MAX_TOLERANCE_M`); farther, its position is
    likely wrong."""
    tol = _round_up_tolerance(d)
    if tol <= MAX_TOLERANCE_M:
        # a kilometre off the route is rarer than a typo in lat/lon (h120: a latitude off
        # by 0.1 was told "set tolerance = 4250", which would have put it out of order)
        check = "check its lat/lon first (a typo?); " if d > FAR_OFF_TRACK_M else ""
        return (
            f"({check}if the station is really that far from the route, set tolerance = "
            f"{tol} in its [[checkpoints]] table)"
        )
    return (
        f"(farther than any allowed tolerance, {MAX_TOLERANCE_M:.0f} m: check its lat/lon: "
        "swapped, a typo, another course's place?)"
    )


def _round_up_tolerance(d: float) -> int:
    """A tolerance to suggest for a checkpoint ``d`` metres from the track: the next 50 m."""
    return int(50 * (math.floor(d / 50.0) + 1))


def locate(
    profile, specs, *, tolerance_m: float = DEFAULT_TOLERANCE_M, projection=None
) -> np.ndarray:
    """Distance of each checkpoint along the course [m] (see :func:`locate_points`).

    Raises
    ------
    CourseFileError
        A checkpoint farther than ``tolerance_m`` from the track (naming it and
        its distance), one only near the track before the previous checkpoint,
        or an unknown/ambiguous waypoint.
    """
    return locate_points(profile, specs, tolerance_m=tolerance_m, projection=projection).distance


@dataclass(frozen=True, eq=False)
class Legs:
    """The legs table: one row per checkpoint, the start first and the finish last.

    Attributes
    ----------
    names : tuple of str
    distance : ndarray
        Cumulative distance along the course [m]; 0 for the start row, the
        course length for the finish row.
    elevation : ndarray
        Altitude of the track at the row [m] (NaN without elevation).
    gain, loss : ndarray
        Cumulative D+ and D- from the start [m].
    offset : ndarray
        Distance from the checkpoint's position to the track [m] (0 for km and
        implicit rows).
    services : tuple of tuple of str
    specs : tuple of CheckpointSpec or None
        None for the implicit start/finish rows.
    lat, lon : ndarray
        Position on the track [degrees].
    along : ndarray
        Cumulative along-course distance of each row [m], measured on the
        slope as timing providers publish it (:func:`coursekit.profile.along_course_distance`);
        equal to ``distance`` for schematic courses. ``distance`` is the
        position on the track's map distance (index into the profile arrays).
    passages : tuple of tuple of float, optional
        Every passage of the track at each row's checkpoint [m along the track] (see
        :class:`Located`); empty for implicit rows and for checkpoints placed by km.
    """

    names: tuple[str, ...]
    distance: np.ndarray
    elevation: np.ndarray
    gain: np.ndarray
    loss: np.ndarray
    offset: np.ndarray
    services: tuple[tuple[str, ...], ...]
    specs: tuple
    lat: np.ndarray
    lon: np.ndarray
    along: np.ndarray | None = None
    passages: tuple | None = None

    def __post_init__(self):
        if self.along is None:
            object.__setattr__(self, "along", np.asarray(self.distance, float).copy())

    def __len__(self) -> int:
        return len(self.names)

    @property
    def leg_along(self) -> np.ndarray:
        """Along-course (slope) distance from the previous row [m] (0 first)."""
        return np.diff(self.along, prepend=self.along[:1])

    @property
    def leg_distance(self) -> np.ndarray:
        """Distance from the previous row [m] (0 first)."""
        return np.diff(self.distance, prepend=self.distance[:1])

    @property
    def leg_gain(self) -> np.ndarray:
        """D+ from the previous row [m] (0 first)."""
        return np.diff(self.gain, prepend=self.gain[:1])

    @property
    def leg_loss(self) -> np.ndarray:
        """D- from the previous row [m] (0 first)."""
        return np.diff(self.loss, prepend=self.loss[:1])

    @property
    def km_effort(self) -> np.ndarray:
        """Cumulative km-effort of each row from the start: along-course km + D+/100 [-]."""
        return self.along / 1000.0 + self.gain / 100.0

    @property
    def leg_km_effort(self) -> np.ndarray:
        """km-effort of each leg: along-course km + D+/100 [-]."""
        return self.leg_along / 1000.0 + self.leg_gain / 100.0

    @property
    def drop_bag(self) -> np.ndarray:
        """True where the row's checkpoint has a drop bag."""
        return np.array([bool(sp is not None and sp.drop_bag) for sp in self.specs])

    @property
    def cutoff(self) -> tuple:
        """Fixed cutoff of each row (aware datetime) or None."""
        return tuple(sp.cutoff if sp is not None else None for sp in self.specs)


def legs_from_located(
    profile, specs, located: Located, *, tolerance_m: float = DEFAULT_TOLERANCE_M, along=None
) -> Legs:
    """Build the legs table from located checkpoints (implicit start/finish rows added).

    The first checkpoint becomes the start row when it lies within
    :data:`END_SNAP_M` (at most ``tolerance_m``) of distance 0 along the track, else a
    row "Start" is added; the last becomes the finish row when as close to the end,
    else a row "Finish" is added (:func:`end_notes` says when that may not be meant).
    Start and finish rows sit exactly at 0 and at the course length. Checkpoints that
    could not be placed (NaN) are left out.
    """
    total = float(profile.total_distance)
    keep = [i for i in range(len(specs)) if np.isfinite(located.distance[i])]
    names = [specs[i].name for i in keep]
    dist = [float(located.distance[i]) for i in keep]
    off = [float(located.offset[i]) for i in keep]
    sps: list = [specs[i] for i in keep]
    passes: list = [
        tuple(located.passages[i]) if specs[i].km is None and i < len(located.passages) else ()
        for i in keep
    ]
    tr = profile.track
    snap = min(tolerance_m, END_SNAP_M)
    if not dist or dist[0] > snap:
        names.insert(0, "Start")
        dist.insert(0, 0.0)
        off.insert(0, 0.0)
        sps.insert(0, None)
        passes.insert(0, ())
    else:
        dist[0] = 0.0
    if len(dist) < 2 or dist[-1] < total - snap:
        names.append("Finish")
        dist.append(total)
        off.append(0.0)
        sps.append(None)
        passes.append(())
    else:
        dist[-1] = total
    d = np.asarray(dist, float)
    ele, gain, loss = profile.at(d)
    la = np.interp(d, profile.distance, tr.lat)
    lo = interp_lon(d, profile.distance, tr.lon)  # the short way across +-180
    al = d.copy() if along is None else np.interp(d, profile.distance, along)
    return Legs(
        names=tuple(names),
        distance=d,
        elevation=np.asarray(ele, float),
        gain=np.asarray(gain, float),
        loss=np.asarray(loss, float),
        offset=np.asarray(off, float),
        services=tuple(sp.services if sp is not None else () for sp in sps),
        specs=tuple(sps),
        lat=la,
        lon=lo,
        along=al,
        passages=tuple(passes),
    )


def same_place_notes(legs) -> list[str]:
    """Two consecutive checkpoints placed at one point (a leg of 0 km: an entry/exit pair)
    where the track passes the second's position again before the next row: on an
    out-and-back listed without its turnaround, "A out" and "A back" both land on the
    outward passage (the list's order cannot tell them apart). ``check`` and ``cutoffs``
    warn; the placement is kept (entry/exit pairs are meant)."""
    passes = legs.passages
    if not passes:
        return []
    d = np.asarray(legs.distance, float)
    along = np.asarray(legs.along, float)
    out = []
    for j in range(1, len(d)):
        pair = legs.specs[j] is not None and legs.specs[j - 1] is not None
        if not pair or abs(d[j] - d[j - 1]) > SAME_PLACE_M:
            continue
        hi = d[j + 1] - SAME_PLACE_M if j + 1 < len(d) else math.inf
        later = [s for s in passes[j] if d[j] + SAME_PLACE_M < s <= hi]
        if not later:
            continue
        kms = [float(np.interp(s, d, along)) / 1000.0 for s in later]
        nd = _km_decimals_apart([along[j] / 1000, *kms])
        out.append(
            f"{legs.names[j - 1]!r} and {legs.names[j]!r} are placed at one point (km "
            f"{along[j] / 1000:.{nd}f}), a leg of 0 km as for an entry/exit pair, but the track "
            f"passes there again at km {_km_list(kms, nd)}: if {legs.names[j]!r} is that later "
            "passage, list a checkpoint between the two (the turnaround)"
        )
    return out


def end_notes(
    names,
    distance,
    total: float,
    tolerance_m: float,
    *,
    not_start: bool = False,
    not_finish: bool = False,
) -> list[str]:
    """Notes on a first or last checkpoint kept as a row of its own although it lies near
    the track's start or end: between the snap (:data:`END_SNAP_M`) and the course's
    tolerance, at most :data:`DEFAULT_TOLERANCE_M` (beyond that it is plainly a place of
    its own).

    ``names`` and ``distance`` [m along the track] are the placed checkpoints in course
    order; ``total`` is the track's length [m]. ``not_start`` (``not_finish``): the course
    file says the first (last) one is not the start (finish), ``start = false``
    (``finish = false``): no note advising to make it one.
    """
    out = []
    if not len(names):
        return out
    snap = min(tolerance_m, END_SNAP_M)
    near = min(tolerance_m, DEFAULT_TOLERANCE_M)
    d0, d1 = float(distance[0]), float(distance[-1])
    if snap < d0 <= near and not not_start:
        out.append(
            f"{names[0]!r} is {d0:.0f} m along the track from its start: a checkpoint of its "
            "own after the start row; if it is the start, give it start = true (or name it "
            "'Start'): the course then starts there"
        )
    if (len(names) > 1 or d0 > snap) and not not_finish:
        gap = total - d1
        if snap < gap <= near:
            out.append(
                f"{names[-1]!r} is {gap:.0f} m before the track's end: a checkpoint of its own "
                "before the finish row; if it is the finish, give it finish = true (or name "
                "it 'Finish'): the course then ends there"
            )
    return out


def _said_not(spec, key: str, listed_there: bool) -> bool:
    """The checkpoint listed first (last) says ``start = false`` (``finish = false``)."""
    return listed_there and getattr(spec, key, None) is False


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", _norm(name))


def is_finish_name(name: str) -> bool:
    """True when ``name`` says it is the finish: it starts with a word of
    :data:`FINISH_WORDS`, or with one of :data:`START_WORDS` followed by a finish word
    (a loop's ``"Start/Finish"``); case and accents ignored (``"ARRIVEE"``, ``"Arrivée"``)."""
    w = _words(name)
    return bool(w) and (
        w[0] in FINISH_WORDS or (w[0] in START_WORDS and any(x in FINISH_WORDS for x in w[1:]))
    )


def is_start_name(name: str) -> bool:
    """True when ``name`` says it is the start (:data:`START_WORDS`; see
    :func:`is_finish_name`)."""
    w = _words(name)
    return bool(w) and (
        w[0] in START_WORDS or (w[0] in FINISH_WORDS and any(x in START_WORDS for x in w[1:]))
    )


class NamedEnds(NamedTuple):
    """Where a course begins and ends on its GPX (:func:`named_ends`).

    ``start_m``, ``end_m``: distance along the track [m] (0 and the track's length when the
    course uses the GPX's ends); ``start``, ``finish``: the checkpoint names that put them
    there, or None. ``before_far_m`` (``after_far_m``): the GPX before (after) a start
    (finish) known by its name alone, farther than :data:`NAMED_CUT_MAX_M` from the GPX's
    start (end), so not cut [m]; 0 otherwise."""

    start_m: float
    end_m: float
    start: str | None
    finish: str | None
    before_far_m: float = 0.0
    after_far_m: float = 0.0


def is_finish_checkpoint(specs, i: int) -> bool:
    """True when checkpoint ``i`` of ``specs`` (in course order) is the course's finish: it
    is listed last and its key ``finish`` says so, or, without the key, its name does
    (:func:`is_finish_name`). ``finish = false`` opts out of the name (a water point named
    "Meta"); a lone checkpoint marked ``start = true`` is not the finish."""
    if i != len(specs) - 1:
        return False
    sp = specs[i]
    key = getattr(sp, "finish", None)
    if key is not None:
        return bool(key)
    if len(specs) == 1 and getattr(sp, "start", None):
        return False
    return is_finish_name(sp.name)


def is_start_checkpoint(specs, i: int) -> bool:
    """True when checkpoint ``i`` of ``specs`` is the course's start: listed first, and its
    key ``start`` says so, or, without the key, its name does (:func:`is_start_name`); a lone
    checkpoint that is the finish (:func:`is_finish_checkpoint`) is not also the start."""
    if i != 0 or not len(specs):
        return False
    sp = specs[0]
    key = getattr(sp, "start", None)
    if key is not None:
        return bool(key)
    if len(specs) == 1 and is_finish_checkpoint(specs, 0):
        return False
    return is_start_name(sp.name)


def _start_by_km(specs, i: int) -> bool:
    """Checkpoint ``i``, placed by ``km``, is the start row at km 0: marked ``start = true``
    at any km, or named as the start (:func:`is_start_checkpoint`) within
    :data:`NAMED_CUT_MAX_M` of km 0 ("Salida del bosque" at km 8 is a checkpoint)."""
    sp = specs[i]
    return (
        sp.km is not None
        and is_start_checkpoint(specs, i)
        and bool(getattr(sp, "start", None) or sp.km * 1000.0 <= NAMED_CUT_MAX_M)
    )


def _finish_spec(specs, i: int) -> bool:
    """Checkpoint ``i`` is the finish (:func:`is_finish_checkpoint`) placed by position."""
    return specs[i].km is None and is_finish_checkpoint(specs, i)


def _start_spec(specs, i: int) -> bool:
    """Checkpoint ``i`` is the start (:func:`is_start_checkpoint`) placed by position."""
    return specs[i].km is None and is_start_checkpoint(specs, i)


def named_ends(profile, specs, *, tolerance_m: float = DEFAULT_TOLERANCE_M, source: str = ""):
    """The course's own start and finish on a GPX that runs past them.

    A first checkpoint that is the start (:func:`is_start_checkpoint`: named so, or its key
    ``start = true``) or a last one that is the finish (:func:`is_finish_checkpoint`),
    placed by ``lat`` + ``lon`` or ``waypoint``, farther
    than :data:`END_SNAP_M` (at most ``tolerance_m``) along the track from its start (end),
    is where the course starts (ends): the GPX goes on to the car park, or the watch kept
    recording. Checkpoints placed by ``km`` count from the start so found and say nothing
    about it (they are left out here). The others are located in course order
    (:func:`locate_points`; the named start in its first visit, the named finish in its
    last, :func:`_end_passage`: a last loop through town past the arch stays in the course).

    Parameters
    ----------
    profile : Profile
        The GPX's profile (unscaled).
    specs : sequence of CheckpointSpec
    tolerance_m : float
        The course's tolerance [m] (a checkpoint's own ``tolerance`` wins for placing it).
    source : str
        File named in messages.

    Returns
    -------
    NamedEnds or None
        None when the course is the whole GPX and no named end was too far to cut.
    """
    n = len(specs)
    first = n >= 1 and _start_spec(specs, 0)
    last = n >= 1 and _finish_spec(specs, n - 1)
    if not (first or last):
        return None
    # the checkpoints placed by km count from the start so found, not from the GPX's: only
    # those placed by position are located here (no other one taken for an end)
    specs = [
        sp if k in (0, n - 1) else replace(sp, start=False, finish=False)
        for k, sp in enumerate(specs)
        if sp.km is None
    ]
    n = len(specs)
    loc = locate_points(profile, specs, tolerance_m=tolerance_m, errors="collect", source=source)
    if loc.problems:
        # a checkpoint not placed: the order no longer holds the named ends to their
        # passage, and its error must be measured on the whole GPX
        return None
    total = float(profile.total_distance)
    snap = min(tolerance_m, END_SNAP_M)
    a, b = 0.0, total
    # the start in its first visit, the finish in its last, within the order
    # (locate_points, _end_passage): a town crossed at km 3 and finished in at km 37 ends
    # the course at km 37
    d0, d1 = float(loc.distance[0]), float(loc.distance[-1])
    before_far = after_far = 0.0  # a name alone too far from the GPX's end to cut
    if first and math.isfinite(d0) and d0 > snap:
        if d0 <= NAMED_CUT_MAX_M or getattr(specs[0], "start", None):
            a = d0
        else:
            before_far = d0
    if last and math.isfinite(d1) and total - d1 > snap:
        if total - d1 <= NAMED_CUT_MAX_M or getattr(specs[-1], "finish", None):
            b = d1
        else:
            after_far = total - d1
    if not (a > 0 or b < total or before_far or after_far) or not b > a:
        return None
    return NamedEnds(
        a,
        b,
        specs[0].name if a > 0 else None,
        specs[-1].name if b < total else None,
        before_far,
        after_far,
    )


def _how_end(course, key: str) -> str:
    """How the course file makes its first (last) checkpoint the start (finish): ``"marked
    start = true"`` by the key, else ``"named as the start"``."""
    specs = tuple(getattr(course, "checkpoints", ()) or ())
    sp = (specs[0] if key == "start" else specs[-1]) if specs else None
    return f"marked {key} = true" if getattr(sp, key, None) else f"named as the {key}"


def gpx_cut_notes(course) -> list[str]:
    """One line for each end of the GPX that is not part of the course
    (``course.info["gpx_cut"]``, set by :func:`coursekit.course.load_course` from
    :func:`named_ends`): how many metres before the named start, after the named finish."""
    cut = (getattr(course, "info", {}) or {}).get("gpx_cut")
    if not cut:
        return []
    out = []
    if cut.get("start") is not None:
        out.append(
            f"the GPX starts {cut['before_start_m']:.0f} m before {cut['start']!r} (the first "
            f"checkpoint, {_how_end(course, 'start')}): the course starts there; those metres "
            "are not part of it"
        )
    if cut.get("finish") is not None:
        out.append(
            f"the GPX runs on {cut['after_finish_m']:.0f} m after {cut['finish']!r} (the last "
            f"checkpoint, {_how_end(course, 'finish')}): the course ends there; those metres "
            "are not part of it"
        )
    return out


def named_far_notes(course) -> list[str]:
    """One line for a first (last) checkpoint named as the start (finish) but farther than
    :data:`NAMED_CUT_MAX_M` from the GPX's start (end), which its name alone does not cut
    (``course.info["gpx_not_cut"]``, set by :func:`coursekit.course.load_course`): the row
    "Ziel" 1.9 km before the end followed by an added "Finish" said nothing."""
    far = (getattr(course, "info", {}) or {}).get("gpx_not_cut")
    if not far:
        return []
    out = []
    if far.get("start") is not None:
        out.append(
            f"{far['start']!r} (the first checkpoint) is named as the start but lies "
            f"{far['before_start_m'] / 1000:.1f} km into the GPX: the GPX is not cut there (a "
            f"name alone cuts at most {NAMED_CUT_MAX_M / 1000:g} km); give it start = true to "
            "start the course there, or start = false to keep it a checkpoint"
        )
    if far.get("finish") is not None:
        out.append(
            f"{far['finish']!r} (the last checkpoint) is named as the finish but lies "
            f"{far['after_finish_m'] / 1000:.1f} km before the GPX's end: the GPX is not cut "
            f"there (a name alone cuts at most {NAMED_CUT_MAX_M / 1000:g} km); give it finish "
            "= true to end the course there, or finish = false to keep it a checkpoint"
        )
    return out


def end_name_notes(specs, km) -> list[str]:
    """Checkpoints named as the start or the finish (:func:`is_start_name`,
    :func:`is_finish_name`) that are not the course's start or finish: "Finish" listed first
    at km 20, "Départ" listed last or in the middle of the list. ``km`` is each one's
    along-course km as printed (NaN when not placed). A likely typo or a list out of order,
    but a place may bear the name (a village "Depart"): a warning, the placement is kept.

    Not noted: a start name on the checkpoint listed first, a finish name on the one listed
    last (their own notes say where they are: ``start-km``, ``finish-km``,
    ``named-end-far``); a loop's one place listed first and last under a start (finish)
    name; a checkpoint whose key says it is not the start (``start = false``) or the finish
    (``finish = false``); ``start = true`` (``finish = true``) on the first (last)."""
    n = len(specs)
    ends_alike = n >= 2 and _norm(specs[0].name) == _norm(specs[-1].name)
    out = []
    for i, sp in enumerate(specs):
        start = is_start_name(sp.name) and getattr(sp, "start", None) is not False
        finish = is_finish_name(sp.name) and getattr(sp, "finish", None) is not False
        if i == 0 and (start or getattr(sp, "start", None)):
            continue  # the start, or a first checkpoint marked so
        if i == n - 1 and (finish or getattr(sp, "finish", None)):
            continue
        if i == n - 1 and start and ends_alike:
            continue  # a loop's start listed again as its finish ("Depart" ... "Depart")
        if i == 0 and finish and ends_alike:
            continue
        if not (start or finish):
            continue
        role = "start and finish" if start and finish else "start" if start else "finish"
        row = {
            "start": "the start is the first row",
            "finish": "the finish is the last row",
            "start and finish": "they are the first and last rows",
        }[role]
        keys = " and ".join(f"{r} = false" for r in ("start", "finish") if r in role)
        at = f" at km {km[i]:.1f}" if math.isfinite(km[i]) else ""
        out.append(
            f"checkpoints[{i}] {sp.name!r}{at} is named as the {role} but is not the course's "
            f"{role} (listed {i + 1} of {n}; {row}): a {role} name mid-course is likely a "
            "typo or a list out of order; it stays a checkpoint (a place of that name? give "
            f"it {keys})"
        )
    return out


def start_km_notes(specs) -> list[tuple[str, str]]:
    """The start placed by ``km`` (:func:`is_start_checkpoint`, moved to km 0 by
    :func:`locate_points`) when its km is not 0: one ``(severity, text)``, ``"info"`` within
    :data:`NAMED_CUT_MAX_M`, ``"warning"`` beyond (``start = true`` at km 5 is as likely a
    typo as the finish's km, :func:`finish_km_notes`)."""
    if not len(specs) or not _start_by_km(specs, 0):
        return []
    sp = specs[0]
    km_m = sp.km * 1000.0
    if not km_m > km_slack_m(sp.km):
        return []
    text = (
        f"{sp.name!r}, the start, is at km {sp.km:g} in the course file: the start row is km 0, "
        "the GPX's start; if the course starts on the way, place it by lat + lon or waypoint "
        "to start the course there"
    )
    return [("warning" if km_m > NAMED_CUT_MAX_M else "info", text)]


def finish_km_notes(specs, end_m: float) -> list[tuple[str, str]]:
    """The finish placed by ``km`` (:func:`is_finish_checkpoint`) compared with the course.

    :func:`locate_points` puts it at the course's end: its km is the organiser's
    measurement, and a GPX that ends at the finish measures a little more or less. When the
    file's km falls short of the course's length ``end_m`` [m, along the course, on the
    slope] by more than :func:`km_slack_m`, one ``(severity, text)``: ``"info"`` up to
    ``1 - 1 / KM_BEYOND_MAX`` of the course short (the two measures differ), ``"warning"``
    beyond (a typo in km, or a GPX of another course). A finish km beyond the end is the
    ``km-beyond-end`` warning's."""
    n = len(specs)
    if not n or specs[-1].km is None or not is_finish_checkpoint(specs, n - 1):
        return []
    sp = specs[-1]
    km_m = sp.km * 1000.0
    short = end_m - km_m
    if not short > km_slack_m(sp.km):
        return []
    if km_m > 0:
        # how much more the GPX measures than the km (the sentence's "% more"), and what
        # that does: the checkpoint moves by the difference, a share of the course
        text = (
            f"{sp.name!r}, the finish, is at km {sp.km:g} in the course file and the GPX "
            f"measures {end_m / 1000:.2f} km ({100.0 * short / km_m:.1f} % more): the finish "
            f"row is moved {short / 1000:.2f} km ({100.0 * short / end_m:.0f} % of the course) "
            f"on, to the GPX's end: km {end_m / 1000:.2f} on the tables"
        )
    else:
        # no percentage of 0 km: the whole course lies between the km and the row
        text = (
            f"{sp.name!r}, the finish, is at km {sp.km:g} in the course file, which leaves no "
            f"course: the finish row is moved {end_m / 1000:.2f} km (the whole course) on, to "
            "the GPX's end"
        )
    if km_m * KM_BEYOND_MAX < end_m:
        return [("warning", text + "; a typo in its km, or a GPX of another course?")]
    return [
        (
            "info",
            text + "; if the GPX runs on past the finish, place it by lat + lon or waypoint "
            "to end the course there",
        )
    ]


def clock_place_notes(course) -> list[str]:
    """A note when the course's clock (its ``timezone``, else the start's UTC offset) is not
    a clock of the start's place: solar noon there on the race's first day falls outside
    :data:`coursekit.sun.SOLAR_NOON_CLOCK` on it (``Europe/Paris`` copied into a course on
    Réunion puts every time, night section and station window 2 h early)."""
    import datetime as dt

    from .clock import in_zone
    from .sun import SOLAR_NOON_CLOCK, clock_misfit

    track = getattr(course, "track", None)
    if track is None or not len(track.lat):
        return []
    lat, lon = float(track.lat[0]), float(track.lon[0])
    if not (np.isfinite(lat) and np.isfinite(lon)):
        return []
    start = in_zone(course.start, course.timezone)
    noon = clock_misfit(lat, lon, start)
    if noon is None:
        return []
    off = start.utcoffset() or dt.timedelta(0)
    m = round(off.total_seconds() / 60)
    offset = f"UTC{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
    clock = (
        f"the time zone {course.timezone} ({offset} then)"
        if course.timezone
        else f"the start's UTC offset {offset} (no timezone given)"
    )
    lo, hi = (t.strftime("%H:%M") for t in SOLAR_NOON_CLOCK)
    return [
        f"{clock} does not fit the course's place: at the start ({lat:.4f}, {lon:.4f}) "
        f"the sun is highest at {noon:%H:%M} on that clock on {start:%a %Y-%m-%d}, where "
        f"every place's own time zone puts solar noon between {lo} and {hi}; check "
        "`timezone` and the start's UTC offset (every time shown is on that clock)"
    ]


def declared_km_preference(course):
    """The ``prefer_km`` of :func:`locate_points` for a course: each checkpoint's
    ``declared_km`` when the course is scaled to its declared figures (the profile is
    stretched so that the passage anchored on it is at that km, see
    :func:`coursekit.course.scale_profile`), else None."""
    if not getattr(course, "scale_to_declared", False):
        return None
    return [getattr(sp, "declared_km", None) for sp in course.checkpoints]


def course_legs(course, *, tolerance_m: float | None = None) -> Legs:
    """Locate a course's checkpoints and build its legs table.

    ``tolerance_m`` (largest distance from a checkpoint to the track [m])
    defaults to the course's (its file's ``tolerance`` key, else 250 m); a
    checkpoint's own ``tolerance`` wins over both.

    Raises
    ------
    CourseFileError
        A checkpoint cannot be placed (see :func:`locate`); the message names the
        course file.
    """
    if tolerance_m is None:
        tolerance_m = course.tolerance_m
    along = along_course_distance(course.profile, slope=not course.schematic)
    located = locate_points(
        course.profile,
        course.checkpoints,
        tolerance_m=tolerance_m,
        source=str(course.path),
        along=along,
        prefer_km=declared_km_preference(course),
    )
    return legs_from_located(
        course.profile, course.checkpoints, located, tolerance_m=tolerance_m, along=along
    )


# ---------------------------------------------------------------- checks


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else math.inf


DISTANCE_WARN = 0.05
"""Measured vs declared distance beyond this relative difference warns [-]."""
GAIN_WARN = 0.10
"""Measured vs declared D+/D- beyond this relative difference warns [-]."""
CONFLICT_REL = 0.01
"""Two declared sources differing by more than this (relative) contradict [-]."""


DECLARED_KM_WARN = 0.20
"""A checkpoint whose km on the track differs from its ``declared_km`` by more than this
fraction of the declared km warns [-]. Published km are rounded ("approx. 40 km", "~5 km")
and a track's length differs from the organiser's by a few % (:data:`DISTANCE_WARN`); beyond
a fifth, the checkpoint is on another passage or place, or the track (a sketch scaled by one
factor, say) does not know the route between its places."""

MAX_STRETCH_KM_EFFORT = 40.0
"""Longest stretch between two stations (start, finish, a checkpoint that is a barrier or
has a service) before a warning [km-effort = km + D+/100]. In the ten LiveTrail
race-editions of the dev set (GRR, MAS, TDB, MTR 2024, Templiers 2023-2024; ../shared/realdata)
the longest leg between consecutive checkpoints is 32.6 km-effort (GRR 2024, Domaine Vidot ->
Notre Dame de la Paix, 19.3 km and 1330 m D+), the others 16-29. 40 km-effort is ~7.5 h for a
last finisher at the HAUT limits' 0.185-0.194 h per km-effort (docs/seed-courses.md): longer,
runners carry more than they can drink and eat, and nobody sees them or stops them."""

MAX_LEG_GRADE = 0.30
"""Largest plausible average D+ or D- per metre of a leg of at least
:data:`STEEP_LEG_MIN_M` [-] (300 m per km). The steepest legs of the dev set's LiveTrail
races are 0.16 (GRR 2024: 909 m over 5.6 km; TDB 928 m over 6.0 km) and 0.15 (Templiers,
over 3.2 km); a vertical kilometre (1000 m in 3.5-5 km) is 0.2-0.29. Beyond 0.30 on a leg
that long, the figures are wrong (a scaled sketch, a checkpoint on the wrong passage)."""

STEEP_LEG_MIN_M = 3000.0
"""Shortest leg :data:`MAX_LEG_GRADE` is checked on [m] (a short leg may be a wall)."""


DECLARED_STRETCH_SPREAD = 2.0
"""Largest ratio between the factors by which the ``declared_km`` of a scaled course stretch
two stretches of its track (start, anchors, finish) before a warning [-]. Published km are
rounded and a track's length differs from the organiser's by a few %: short stretches
between rounded km differ by tens of %; a factor twice another's is a checkpoint anchored
on another passage than the one meant, or a wrong declared km (an out-and-back's bridge
anchored on the way out: x3.8, then x0.26)."""


def declared_stretch_notes(course) -> list[str]:
    """One warning when the piecewise stretch of a scaled course through its ``declared_km``
    (``course.info["scale"]["anchors"]``) scales two of its stretches by factors more than
    :data:`DECLARED_STRETCH_SPREAD` apart, naming the stretches (and so the checkpoints)
    with the largest and smallest factors."""
    sc = getattr(course, "info", {}).get("scale") or {}
    anchors = sc.get("anchors") or []
    if not anchors:
        return []
    xs = [0.0] + [a[1] for a in anchors] + [float(sc["measured_m"])]
    ys = [0.0] + [a[2] for a in anchors] + [float(sc["declared_m"])]
    names = ["the start"] + [repr(a[0]) for a in anchors] + ["the finish"]
    f = [(ys[k] - ys[k - 1]) / (xs[k] - xs[k - 1]) for k in range(1, len(xs))]
    hi, lo = int(np.argmax(f)), int(np.argmin(f))
    if not f[hi] > DECLARED_STRETCH_SPREAD * f[lo]:
        return []

    def part(k):
        return f"x{f[k]:.2g} from {names[k]} to {names[k + 1]}"

    a, b = sorted((hi, lo))
    return [
        f"the declared km stretch the track unevenly: {part(a)}, {part(b)} (more than "
        f"{DECLARED_STRETCH_SPREAD:g} times apart): a declared_km meant for another passage "
        "of its place, or a wrong one? (check the declared km against the track's)"
    ]


DECLARED_KM_WARN_MIN = 0.1
"""... and by more than this [km]: a declared km 0 on the start row is not "beyond ±20 %"
at km 0.0."""


def declared_km_notes(specs, km) -> list[str]:
    """Checkpoints whose km on the track (``km``, per spec, NaN when not placed) differs
    from their ``declared_km`` by more than :data:`DECLARED_KM_WARN` (and more than
    :data:`DECLARED_KM_WARN_MIN`)."""
    out = []
    for sp, k in zip(specs, km, strict=True):
        dk = getattr(sp, "declared_km", None)
        if sp is None or dk is None or not math.isfinite(k):
            continue
        if abs(k - dk) > max(DECLARED_KM_WARN * dk, DECLARED_KM_WARN_MIN):
            rel = f" ({100 * (k - dk) / dk:+.0f} %)" if dk else ""
            out.append(
                f"{sp.name!r} is at km {k:.1f} on the track but its declared km is {dk:g}"
                f"{rel}, beyond ±{100 * DECLARED_KM_WARN:.0f} %: another passage or place, "
                "or the track does not follow the published route (a sketch? scale it to "
                "[[declared]] and it is stretched to the declared km)"
            )
    return out


def estimated_altitude_notes(track, specs) -> list[str]:
    """One note naming the checkpoints placed on a waypoint whose altitude is an estimate
    (a sketch's place with ``alt_estimated``: :func:`coursekit.sketch.is_alt_estimated`),
    with the estimate; [] when none."""
    from .sketch import is_alt_estimated

    seen = []
    for sp in specs:
        if sp is None or getattr(sp, "waypoint", None) is None:
            continue
        try:
            w = find_waypoint(track, sp.waypoint)
        except CourseFileError:
            continue
        if is_alt_estimated(w):
            item = f"{sp.name} ~{w.elevation:.0f} m"
            if item not in seen:
                seen.append(item)
    if not seen:
        return []
    return [
        "altitude estimated (none published) at "
        + ", ".join(seen)
        + ": one value per place (the places file's alt_estimated)"
    ]


def located_from_legs(specs, legs, profile):
    """Where each of ``specs`` is, read back from a legs table built from them (a plan's):
    the ``located`` (``distance``, ``lat``, ``lon`` [m, degrees], NaN for a spec with no
    row), the km printed for each spec (the row's along-course km) and the function from
    track distance [m] to printed km that :func:`duplicate_name_notes` takes, as
    :func:`check_course` has them from :func:`locate_points`.

    Rows are matched to specs by identity (the legs table keeps the spec objects), in one
    pass: the first spec of a given object, the last row of it."""
    from types import SimpleNamespace

    n = len(specs)
    dist, lat, lon, km = (np.full(n, np.nan) for _ in range(4))
    first: dict[int, int] = {}
    for i, sp in enumerate(specs):
        first.setdefault(id(sp), i)
    along = np.asarray(legs.along, float)
    for j, sp in enumerate(legs.specs):
        i = first.get(id(sp)) if sp is not None else None
        if i is not None:
            dist[i], lat[i], lon[i] = legs.distance[j], legs.lat[j], legs.lon[j]
            km[i] = along[j] / 1000.0
    along_pts = np.interp(profile.distance, np.asarray(legs.distance, float), along)

    def km_of(d):
        return float(np.interp(d, profile.distance, along_pts)) / 1000.0

    return SimpleNamespace(distance=dist, lat=lat, lon=lon), km, km_of


def added_rows(legs) -> list[tuple[str, str, float]]:
    """The rows a legs table adds itself (:func:`legs_from_located`: no checkpoint within
    :data:`END_SNAP_M` of the track's start or end): ``(role, name, km)`` with ``role``
    ``"start"`` or ``"finish"``, ``name`` the row's ("Start", "Finish") and ``km`` its
    along-course km, for :func:`duplicate_name_notes`'s ``added``."""
    specs = tuple(getattr(legs, "specs", ()) or ())
    if not specs:
        return []
    along = np.asarray(legs.along, float)
    out = []
    if specs[0] is None:
        out.append(("start", legs.names[0], float(along[0]) / 1000.0))
    if len(specs) > 1 and specs[-1] is None:
        out.append(("finish", legs.names[-1], float(along[-1]) / 1000.0))
    return out


def duplicate_name_notes(specs, located, km, tolerance_m, *, end_m=None, added=()) -> list[str]:
    """Checkpoint names used more than once (``coursekit check``'s warning, and the plan's):
    ``located`` has ``distance, lat, lon`` per spec (NaN when not placed), ``km`` converts a
    track distance to the km printed.

    ``end_m`` (the track's length [m]) given, the start and finish rows of a loop sharing
    their name are not warned of (DESIGN.md, contract 2: the start row's name may equal the
    finish's): the first and last checkpoints, alone with that name, placed within
    :data:`END_SNAP_M` (at most ``tolerance_m``) of the track's start and end.

    ``added`` (:func:`added_rows`): the start and finish rows the legs table adds, whose
    names count too: a checkpoint "Finish" at km 20 and the added "Finish" at the track's
    end are two rows of one name in every table."""
    seen: dict[str, list[int]] = {}
    for i, sp in enumerate(specs):
        seen.setdefault(_norm(sp.name), []).append(i)
    dist = np.asarray(located.distance, float)
    snap = min(tolerance_m, END_SNAP_M)
    out = []
    extra: dict[str, list] = {}
    for role, name, k in added:
        extra.setdefault(_norm(name), []).append((role, k))
    for key, idx in seen.items():
        rows = extra.get(key)
        if rows:
            # the checkpoints and the added row(s) of one name
            cps = ", ".join(
                f"checkpoints[{i}] (km {km(float(dist[i])):.1f})"
                if np.isfinite(dist[i])
                else f"checkpoints[{i}] (not placed)"
                for i in idx
            )
            ends = " and ".join(
                f"the {role} row added at the track's {'start' if role == 'start' else 'end'} "
                f"(km {k:.1f})"
                for role, k in rows
            )
            out.append(
                f"checkpoint name {specs[idx[0]].name!r} is used {len(idx) + len(rows)} times: "
                f"{cps} and {ends}, which coursekit adds as no checkpoint is there; tables and "
                "timing need distinct names: rename the checkpoint"
            )
            continue
        if (
            end_m is not None
            and idx == [0, len(specs) - 1]
            and dist[0] <= snap
            and dist[-1] >= end_m - snap
        ):
            continue  # the loop's start and finish rows (NaN, not placed, compares False)
        if len(idx) > 1:
            where = _duplicate_places(idx, specs, located, km, tolerance_m)
            d = [float(dist[i]) for i in idx]
            if where is None and all(np.isfinite(d)) and max(d) - min(d) <= SAME_PLACE_M:
                out.append(
                    f"checkpoint name {specs[idx[0]].name!r} is used {len(idx)} times "
                    f"(checkpoints[{', '.join(map(str, idx))}]), all at km {km(d[0]):.1f} on "
                    "one passage (legs of 0 km): listed twice by mistake? A place passed twice "
                    "has a checkpoint on each passage, with distinct names"
                )
                continue
            out.append(
                f"checkpoint name {specs[idx[0]].name!r} is used {len(idx)} times "
                f"(checkpoints[{', '.join(map(str, idx))}]): "
                + (where or "fine for a place passed twice")
                + ", but tables and timing need distinct names"
            )
    return out


def _is_station(sp) -> bool:
    return sp is not None and (bool(getattr(sp, "barrier", True)) or bool(sp.services))


def long_stretch_notes(legs) -> list[str]:
    """Stretches of more than :data:`MAX_STRETCH_KM_EFFORT` between two stations of a
    legs table (the start, the finish, and every checkpoint that is a barrier or has a
    service; a ``barrier = false`` row with no service is only a passage)."""
    names = list(legs.names)
    n = len(names)
    along = np.asarray(legs.along, float)
    gain = np.asarray(legs.gain, float)
    rows = [0] + [j for j in range(1, n - 1) if _is_station(legs.specs[j])] + [n - 1]
    out = []
    for a, b in zip(rows[:-1], rows[1:], strict=True):
        km = (along[b] - along[a]) / 1000.0
        up = float(gain[b] - gain[a]) if np.isfinite(gain[b] - gain[a]) else 0.0
        kme = km + up / 100.0
        if kme > MAX_STRETCH_KM_EFFORT:
            # D+ as the legs table adds it up: the difference of the rounded cumulatives
            if np.isfinite(gain[b] - gain[a]):
                up = float(round(float(gain[b])) - round(float(gain[a])))
            none = "no checkpoint" if b == a + 1 else "no aid station or barrier"
            out.append(
                f"{names[a]!r} -> {names[b]!r}: {km:.1f} km and {up:.0f} m D+ "
                f"({kme:.0f} km-effort) with {none} between them, more than "
                f"{MAX_STRETCH_KM_EFFORT:g} km-effort (33 at most in the ten real race-editions "
                "the model is calibrated on): list the aid stations or barriers on it (a "
                "stretch that has none stays warned of)"
            )
    return out


def steep_leg_notes(legs) -> list[str]:
    """Legs of at least :data:`STEEP_LEG_MIN_M` whose average D+ or D- per metre exceeds
    :data:`MAX_LEG_GRADE`."""
    names = list(legs.names)
    d = legs.leg_along
    out = []
    for j in range(1, len(names)):
        if not d[j] >= STEEP_LEG_MIN_M:
            continue
        for what, v in (("D+", legs.leg_gain[j]), ("D-", legs.leg_loss[j])):
            if np.isfinite(v) and v / d[j] > MAX_LEG_GRADE:
                out.append(
                    f"leg {names[j - 1]!r} -> {names[j]!r}: {v:.0f} m {what} over "
                    f"{d[j] / 1000:.1f} km ({1000 * v / d[j]:.0f} m per km on average), more "
                    f"than {1000 * MAX_LEG_GRADE:.0f}: steeper than any real leg "
                    "(check the declared D+/D-, the places' altitudes, the checkpoints)"
                )
    return out


def _km_list(kms, nd: int = 1) -> str:
    """``"45.0 and 53.9"``, ``"3.1, 45.0 and 53.9"`` (``nd`` decimals)."""
    t = [f"{k:.{nd}f}" for k in kms]
    return t[0] if len(t) == 1 else ", ".join(t[:-1]) + " and " + t[-1]


def _km_decimals_apart(kms) -> int:
    """1, or 2 when ``kms`` (km) printed to one decimal would repeat a value (passages
    80 m apart around a turnaround: "km 5.0 and 5.0")."""
    t = [f"{k:.1f}" for k in kms]
    return 1 if len(set(t)) == len(t) else 2


def _passages_note(
    i, name, located, prev, nxt, km, profile, tolerance_m, prefer=None
) -> str | None:
    """Info for a checkpoint whose position the track passes several times between the
    previous placed checkpoint ``prev`` and the next one ``nxt`` (distances [m]; None for
    none: the start, the end), ± :data:`SAME_PLACE_M` (an out-and-back, a village crossed
    twice): where it could be and which passage it is on, so that a checkpoint listed out
    of course order shows. None when one passage is left in that window (the list's order
    chose it, as for every outward station of a well-ordered out-and-back), when the
    passages left are one visit (each less than :data:`ONE_VISIT_M` along the track from
    the next), and for the
    start and finish rows of a loop (placed within :data:`END_SNAP_M`, at most
    ``tolerance_m``, of the track's start or end: the start/finish rule). ``tolerance_m`` is
    the checkpoint's own tolerance when it has one."""
    ss = located.passages[i] if i < len(located.passages) else ()
    d = float(located.distance[i])
    if len(ss) < 2 or not math.isfinite(d):
        return None
    end = float(profile.distance[-1])
    snap = min(tolerance_m, END_SNAP_M)
    if (prev is None and d <= snap) or (i == len(located.distance) - 1 and d >= end - snap):
        return None
    lo = -math.inf if prev is None else prev - SAME_PLACE_M
    hi = math.inf if nxt is None else nxt + SAME_PLACE_M
    after = [s for s in ss if lo <= s <= hi]
    if len(after) < 2:
        return None  # one passage left between its neighbours: the order decides
    if all(b - a < ONE_VISIT_M for a, b in zip(after[:-1], after[1:], strict=True)):
        return None  # one visit (ONE_VISIT_M): which of its passages changes no leg much
    first = after[0]
    nd = _km_decimals_apart([km(s) for s in ss])
    if prefer is not None and min(after, key=lambda s: abs(km(s) - prefer)) == min(
        after, key=lambda s: abs(s - d)
    ):
        return (
            f"checkpoints[{i}] {name!r} is passed {len(ss)} times, at km "
            f"{_km_list((km(s) for s in ss), nd)}: placed at km {km(d):.{nd}f}, on the passage its "
            f"declared_km {prefer:g} is anchored on"
        )
    if abs(first - d) <= SAME_PLACE_M:
        how = "the first" if prev is None else "the first after the previous checkpoint"
    else:
        # not "nearer" alone: a passage nearer still may come after it (outside review,
        # thirty-second sprint: placed 13.5 m off at km 4.7 with a 0 m passage at km 5.0)
        how = (
            "a later one, nearer than the first after the previous checkpoint (the first "
            f"passage within {SAME_PLACE_M:.0f} m of the nearest: farther ones tie)"
        )
    return (
        f"checkpoints[{i}] {name!r} is passed {len(ss)} times, at km "
        f"{_km_list((km(s) for s in ss), nd)}: placed at km {km(d):.{nd}f}, on {how} "
        "(list the checkpoints in course order to place it on another passage)"
    )


def _duplicate_places(idx, specs, located, km, tolerance_m) -> str | None:
    """For checkpoints sharing a name: None when they are one place (passed several times),
    else where they are, e.g. "two different places, 7.0 km apart (km 38.2 and 45.2)"."""
    from .geodesy import segment_lengths

    ok = [i for i in idx if np.isfinite(located.distance[i])]
    if len(ok) < 2:
        return None
    tol = [specs[i].tolerance_m if specs[i].tolerance_m is not None else tolerance_m for i in ok]
    far = False
    for a in range(len(ok)):
        for b in range(a + 1, len(ok)):
            ia, ib = ok[a], ok[b]
            gap = float(
                segment_lengths(
                    [located.lat[ia], located.lat[ib]], [located.lon[ia], located.lon[ib]]
                )[0]
            )
            far = far or gap > max(tol[a], tol[b])
    if not far:
        return None
    kms = [km(float(located.distance[i])) for i in ok]
    if len(ok) == 2:
        return (
            f"two different places, {abs(kms[1] - kms[0]):.1f} km apart along the course "
            f"(km {_km_list(kms)})"
        )
    return f"not one place (km {_km_list(kms)})"


def cutoff_limit_problem(where: str, course, cutoff_s: float) -> str | None:
    """The error of a fixed cutoff at or after the course's limit, else None.

    One wording for `check` (``cutoff-after-limit``) and the plan (`cutoffs`, `export`,
    the roadbook): a barrier before the finish must be earlier than the finish's, the
    limit (at the limit, the solver would have no time left after it).

    Parameters
    ----------
    where : str
        The key in the form of the course file's errors:
        ``checkpoints[3] ('Refuge') key 'cutoff'``.
    course : Course
        Its ``start``, ``limit_s`` and ``timezone`` (the clock the times are written on).
    cutoff_s : float
        The fixed cutoff, elapsed from the start [s].

    Returns
    -------
    str or None
        ``"<where>: the fixed cutoff Sat 2024-06-01 19:00 (13:00) is after the limit,
        Sat 2024-06-01 18:00 (12:00)"``; None when the cutoff is before the limit.
    """
    limit_s = float(course.limit_s)
    if not cutoff_s >= limit_s:
        return None
    rel = "after" if cutoff_s > limit_s else "at"
    shown = _shown_elapsed
    return (
        f"{where}: the fixed cutoff {shown(course, cutoff_s)} is {rel} the limit, "
        f"{shown(course, limit_s)}"
    )


def _shown_elapsed(course, s: float) -> str:
    """``Sat 2024-06-01 19:00 (13:00)``: an elapsed time on the course's clock, written as
    the limit is (:func:`coursekit.clock.limit_hm`), with its seconds when it has some
    (``17:59:30 (11:59:30)``): a cutoff 30 s before the limit read ``17:59 (12:00)``, one
    20 s after it the limit's own ``18:00 (12:00)``."""
    from .clock import after, in_zone, whole_seconds

    t = in_zone(after(course.start, whole_seconds(s)), getattr(course, "timezone", None))
    clock = f"{t:%a %Y-%m-%d %H:%M:%S}" if t.second else f"{t:%a %Y-%m-%d %H:%M}"
    return f"{clock} ({limit_hm(s)})"


def finish_cutoff_problem(where: str, course, cutoff_s: float) -> str | None:
    """The error of a fixed cutoff on the finish row that is not the limit, else None.

    One wording for `check` (``cutoff-finish``) and the plan (`cutoffs`, `export`, the
    roadbook): the finish's barrier is the limit, so a cutoff written there must equal it
    (within a second).

    Parameters
    ----------
    where : str
        The key in the form of the course file's errors:
        ``checkpoints[5] ('Finish') key 'cutoff'``.
    course : Course
        Its ``start``, ``limit_s`` and ``timezone``.
    cutoff_s : float
        The fixed cutoff, elapsed from the start [s].

    Returns
    -------
    str or None
        ``"<where>: the finish's cutoff Sat 2024-06-01 17:00 (11:00) is not the limit,
        Sat 2024-06-01 18:00 (12:00): remove it or change the limit"``; None within 1 s of
        the limit, or for no cutoff (NaN).
    """
    limit_s = float(course.limit_s)
    if not math.isfinite(cutoff_s) or abs(cutoff_s - limit_s) <= 1:
        return None  # no cutoff (NaN), or the limit
    return (
        f"{where}: the finish's cutoff {_shown_elapsed(course, cutoff_s)} is not the limit, "
        f"{_shown_elapsed(course, limit_s)}: remove it or change the limit"
    )


_TRACK_SHAPE_WARNINGS = ("jump(s) over", "segments joined", "elevation spike", "outside the Earth")
"""The data warnings of :func:`coursekit.profile.data_warnings` that ``check`` repeats
(``gpx-data``): those about the course's line and altitude, not its recording."""


def check_course(course, *, tolerance_m: float | None = None) -> list[Finding]:
    """Everything inconsistent in a course file, as findings.

    Checks: measured distance/D+/D- against every ``[[declared]]`` source
    (warning beyond ±5 % distance, ±10 % D+/D-); declared sources that
    contradict each other (pairwise, beyond 1 % or any different limit);
    checkpoints off track or out of order (errors), beyond the course length,
    duplicated names, away from their ``declared_km`` (:data:`DECLARED_KM_WARN`); a
    stretch between stations longer than :data:`MAX_STRETCH_KM_EFFORT`; a leg steeper
    on average than :data:`MAX_LEG_GRADE`; a loop that does not close; fixed cutoffs that go
    backwards, fall before the start or after start + limit (errors).
    ``tolerance_m`` defaults to the course's, as in :func:`course_legs`.

    Returns
    -------
    list of Finding
        In the order above; ``level == "error"`` means the file must be fixed.
    """
    if tolerance_m is None:
        tolerance_m = course.tolerance_m
    out: list[Finding] = []
    p = course.profile
    f = out.append
    if course.schematic:
        f(
            Finding(
                "info",
                "schematic",
                "schematic course: the track is a sketch through places, not a surveyed "
                "route; distances and D+/D- are estimates",
            )
        )
    if course.info.get("start_localised"):
        f(
            Finding(
                "info",
                "start-localised",
                f"start written without UTC offset, localised in {course.timezone}: "
                f"{course.start.isoformat()}",
            )
        )
    if course.info.get("start_offset_note"):
        f(Finding("warning", "start-offset", course.info["start_offset_note"]))
    for note in course.info.get("ambiguous_times", ()):
        f(Finding("warning", "ambiguous-time", note))
    for note in clock_place_notes(course):
        f(Finding("warning", "timezone-place", note))
    for pr in course.info.get("proposed", []):
        f(
            Finding(
                "info",
                "proposed",
                f"proposed {pr['field']} = {pr['value']} (not published; basis: {pr['basis']})",
            )
        )
    if not p.has_elevation:
        msg = "the GPX has no elevation: D+/D- unavailable"
        sc = course.info.get("scale") or {}
        if "none" in (sc.get("gain_method"), sc.get("loss_method")):
            msg += (
                " (the declared D+/D- is not applied: scale_to_declared scales the distance only)"
            )
        f(Finding("warning", "no-elevation", msg))
    # what `profile` says of the track's shape (a 5 km straight jump between two tracks
    # makes every leg across it wrong); its times, duplicates and missing altitudes are not
    # the course's (no-elevation above)
    from .profile import data_warnings

    for msg in data_warnings(p.track, p.distance, steps=getattr(p, "raw_steps", None)):
        if any(k in msg for k in _TRACK_SHAPE_WARNINGS):
            f(Finding("warning", "gpx-data", f"the GPX: {msg}"))

    # measured vs declared
    scaled = course.info.get("scale")
    measured = {"distance": p.total_distance, "gain": p.total_gain, "loss": p.total_loss}
    for d in course.declared:
        for key, val, lim, unit in (
            ("distance", d.distance_m, DISTANCE_WARN, "km"),
            ("gain", d.gain_m, GAIN_WARN, "m"),
            ("loss", d.loss_m, GAIN_WARN, "m"),
        ):
            if val is None or (key != "distance" and not p.has_elevation):
                continue
            m = measured[key]
            r = _rel(m, val)
            slope = None
            if key == "distance" and not course.schematic:
                # declared km may be map or slope km (organisers publish either: a route
                # planner's map km, a timing provider's slope km): warned only when both
                # are beyond the limit; the message leads with the slope km the tables print
                slope = float(along_course_distance(p)[-1])
                r = min(r, _rel(slope, val))
            if r > lim:
                show = (
                    (lambda x: f"{x / 1000:.1f} km") if unit == "km" else (lambda x: f"{x:.0f} m")
                )

                def by(x, val=val):
                    return f"{100 * (x - val) / val:+.1f} %"

                what = {"distance": "distance", "gain": "D+", "loss": "D-"}[key]
                beyond = f"beyond ±{100 * lim:.0f} %"
                source = f"{show(val)} declared by {d.source!r}"
                if slope is not None and val and show(slope) != show(m):
                    text = (
                        f"measured distance {show(slope)} on the slope, the km the tables "
                        f"print ({show(m)} on the map{'; both scaled' if scaled else ''}), "
                        f"differs from {source} by {by(slope)} (map {by(m)}; {beyond} on both)"
                    )
                else:
                    text = (
                        f"measured {what} {show(m)}"
                        + (" (scaled)" if scaled else "")
                        + f" differs from {source}"
                        + (f" by {by(m)} ({beyond})" if val else "")
                    )
                f(Finding("warning", f"declared-{key}", text))
        if d.limit_s is not None and abs(d.limit_s - course.limit_s) > 1:
            f(
                Finding(
                    "warning",
                    "declared-limit",
                    f"limit {limit_hm(course.limit_s)} differs from {limit_hm(d.limit_s)} "
                    f"declared by {d.source!r}",
                )
            )
    # declared sources against each other
    decl = course.declared
    for a in range(len(decl)):
        for b in range(a + 1, len(decl)):
            da, db = decl[a], decl[b]
            for attr, what, fmt in (
                ("distance_m", "distances", lambda x: f"{x / 1000:g} km"),
                ("gain_m", "D+ figures", lambda x: f"{x:g} m"),
                ("loss_m", "D- figures", lambda x: f"{x:g} m"),
            ):
                va, vb = getattr(da, attr), getattr(db, attr)
                if va is None or vb is None:
                    continue
                if abs(va - vb) > CONFLICT_REL * max(abs(va), abs(vb)):
                    f(
                        Finding(
                            "warning",
                            "declared-conflict",
                            f"declared {what} contradict: {fmt(va)} ({da.source!r}) vs "
                            f"{fmt(vb)} ({db.source!r})",
                        )
                    )
            if (
                da.limit_s is not None
                and db.limit_s is not None
                and abs(da.limit_s - db.limit_s) > 1
            ):
                f(
                    Finding(
                        "warning",
                        "declared-conflict",
                        f"declared limits contradict: {limit_hm(da.limit_s)} ({da.source!r}) "
                        f"vs {limit_hm(db.limit_s)} ({db.source!r})",
                    )
                )

    # checkpoints
    specs = course.checkpoints
    along = along_course_distance(p, slope=not course.schematic)
    prefer = declared_km_preference(course)
    located = locate_points(
        p,
        specs,
        tolerance_m=tolerance_m,
        errors="collect",
        source=str(course.path),
        along=along,
        prefer_km=prefer,
    )
    for _i, code, msg in located.problems:
        f(Finding("error", code, msg))
    placed = [i for i in range(len(specs)) if np.isfinite(located.distance[i])]
    for msg in end_notes(
        [specs[i].name for i in placed],
        located.distance[placed],
        float(p.total_distance),
        tolerance_m,
        not_start=bool(placed) and _said_not(specs[placed[0]], "start", placed[0] == 0),
        not_finish=bool(placed)
        and _said_not(specs[placed[-1]], "finish", placed[-1] == len(specs) - 1),
    ):
        f(Finding("warning", "near-end", msg))
    for msg in gpx_cut_notes(course):
        f(Finding("info", "gpx-cut", msg))
    for msg in named_far_notes(course):
        f(Finding("warning", "named-end-far", msg))
    total = float(along[-1])  # checkpoint km are along-course (slope) km
    for level, msg in start_km_notes(specs):
        f(Finding(level, "start-km", msg))
    for level, msg in finish_km_notes(specs, total):
        f(Finding(level, "finish-km", msg))

    def _km(track_d):
        return float(np.interp(track_d, p.distance, along)) / 1000.0

    last_km = None
    placed_prev = None  # distance of the previous placed checkpoint
    for i, sp in enumerate(specs):
        if sp.km is not None:
            if total + km_slack_m(sp.km) < sp.km * 1000.0 <= KM_BEYOND_MAX * total:
                f(
                    Finding(
                        "warning",
                        "km-beyond-end",
                        f"checkpoints[{i}] {sp.name!r} at km {sp.km:g} is beyond the end of "
                        f"the course ({end_km_text(total, sp.km)} km): placed at the finish"
                        + km_table_drift(specs, i, total),
                    )
                )
        dist_i = located.distance[i]
        if np.isfinite(dist_i):
            if last_km is not None and dist_i < last_km[1] - 1.0:
                f(
                    Finding(
                        "error",
                        "order",
                        f"checkpoints[{i}] {sp.name!r} (km {_km(dist_i):.2f}) comes before "
                        f"the previous checkpoint {last_km[0]!r} (km {_km(last_km[1]):.2f})",
                    )
                )
            last_km = (sp.name, dist_i)
            tol_i = sp.tolerance_m if sp.tolerance_m is not None else tolerance_m
            if located.offset[i] > 0.5 * tol_i:
                f(
                    Finding(
                        "info",
                        "offset",
                        f"checkpoints[{i}] {sp.name!r} is {located.offset[i]:.0f} m from the track",
                    )
                )
            nxt = next((float(x) for x in located.distance[i + 1 :] if np.isfinite(x)), None)
            pref = prefer[i] if prefer is not None else None
            note = _passages_note(i, sp.name, located, placed_prev, nxt, _km, p, tol_i, pref)
            if note:
                f(Finding("info", "passages", note))
            placed_prev = dist_i
    legs = legs_from_located(p, specs, located, tolerance_m=tolerance_m, along=along)
    km_placed = [_km(d) if np.isfinite(d) else math.nan for d in located.distance]
    for msg in end_name_notes(specs, km_placed):
        f(Finding("warning", "end-name-mid", msg))
    for msg in duplicate_name_notes(
        specs, located, _km, tolerance_m, end_m=float(p.distance[-1]), added=added_rows(legs)
    ):
        f(Finding("warning", "duplicate-name", msg))
    for msg in declared_km_notes(specs, km_placed):
        f(Finding("warning", "declared-km", msg))
    for msg in declared_stretch_notes(course):
        f(Finding("warning", "declared-km-stretch", msg))
    for msg in estimated_altitude_notes(course.track, specs):
        f(Finding("info", "estimated-altitude", msg))
    for msg in same_place_notes(legs):
        f(Finding("warning", "same-place", msg))
    for msg in long_stretch_notes(legs):
        f(Finding("warning", "long-stretch", msg))
    if p.has_elevation:
        for msg in steep_leg_notes(legs):
            f(Finding("warning", "steep-leg", msg))
    # the last checkpoint just short of the end: an implicit "Finish" row is added after it
    fin = [i for i in range(len(specs)) if np.isfinite(located.distance[i])]
    if fin:
        i = fin[-1]
        short = float(p.distance[-1] - located.distance[i])  # on the track, like the tolerance
        # beyond what end_notes ("near-end") covers; the row is kept whatever the tolerance
        # (the finish snaps within END_SNAP_M at most), so a raised one is no cure (h96 B2)
        near = min(tolerance_m, DEFAULT_TOLERANCE_M)
        if near < short <= max(1000.0, 0.01 * float(p.distance[-1])):
            f(
                Finding(
                    "warning",
                    "finish-after-last",
                    f"checkpoints[{i}] {specs[i].name!r} is {short:.0f} m before the end of the "
                    "track: a 'Finish' row is added at the end, barrier = the limit; if "
                    f"{specs[i].name!r} is the finish, give it finish = true (or name it "
                    "'Finish'): the course then ends there",
                )
            )
    # loop
    tr = course.track
    # the first and last checkpoints named alike are the start and the finish only when they
    # sit at the track's two ends (two stations "A" mid-course say nothing about a loop)
    d0, d1 = (float(located.distance[0]), float(located.distance[-1])) if specs else (0, 0)
    names_loop = (
        len(specs) >= 2
        and _norm(specs[0].name) == _norm(specs[-1].name)
        and d0 <= tolerance_m
        and float(p.distance[-1]) - d1 <= tolerance_m
    )
    if course.loop or names_loop:
        from .geodesy import segment_lengths

        gap = (
            float(segment_lengths([tr.lat[0], tr.lat[-1]], [tr.lon[0], tr.lon[-1]])[0])
            if (len(tr) >= 2)
            else 0.0
        )
        if gap > tolerance_m:
            why = "loop = true" if course.loop else f"start and finish are both {specs[0].name!r}"
            cut = course.info.get("gpx_cut") or {}
            hint = (
                f"; list {cut['finish']!r} first as well (or a first checkpoint with start = "
                "true) to start the course there too"
                if cut.get("finish") and not cut.get("start")
                else ""
            )
            f(
                Finding(
                    "warning",
                    "loop-open",
                    f"{why}, but the track ends {gap:.0f} m from where it starts{hint}",
                )
            )
    # fixed cutoffs
    start = course.start
    end = course.finish_deadline
    # the first checkpoint placed within the snap of 0 is the start row, as the tables
    # build it (legs_from_located: END_SNAP_M, at most the tolerance); 100-250 m along,
    # `check` called it the start row and its cutoff ignored while `cutoffs` applied it
    snap = min(tolerance_m, END_SNAP_M)
    placed = [i for i in range(len(specs)) if np.isfinite(located.distance[i])]
    start_row = placed[0] if placed and located.distance[placed[0]] <= snap else None
    # the last checkpoint placed within the snap of the end is the finish row
    finish_row = (
        placed[-1]
        if placed
        and placed[-1] == len(specs) - 1
        and located.distance[placed[-1]] >= p.distance[-1] - snap
        else None
    )
    prev = None
    for i, sp in enumerate(specs):
        c = sp.cutoff
        if c is None:
            continue
        where = f"checkpoints[{i}] {sp.name!r} cutoff {c.isoformat()}"
        key = f"checkpoints[{i}] ({sp.name!r}) key 'cutoff'"
        if i == start_row:
            # timing providers list the start with a "cutoff" at the gun: the start row's
            # barrier is the start itself, whatever is written
            if abs(seconds_between(start, c)) > 1:
                f(
                    Finding(
                        "warning",
                        "cutoff-start-row",
                        f"{where} is on the start row and is not the start "
                        f"{start.isoformat()}: the start row's barrier is the start, this "
                        "cutoff is ignored (remove it, or correct the start)",
                    )
                )
        elif seconds_between(start, c) <= 0:
            late = c + dt.timedelta(days=1)  # a date-time written with the start's date
            hint = (
                f" (the next day, {late.isoformat()}, would be inside the race)"
                if 0 < seconds_between(start, late) <= seconds_between(start, end)
                else ""
            )
            at = "at" if seconds_between(start, c) == 0 else "before"
            f(
                Finding(
                    "error",
                    "cutoff-before-start",
                    f"{where} is {at} the start {start.isoformat()}{hint}",
                )
            )
        elif i != finish_row:
            # in the plan's words (cutoff_limit_problem); the finish row's barrier is the
            # limit (cutoff-finish, below)
            late = cutoff_limit_problem(key, course, seconds_between(start, c))
            if late:
                f(Finding("error", "cutoff-after-limit", late))
        if prev is not None and seconds_between(prev[1], c) < 0:
            f(
                Finding(
                    "error",
                    "cutoff-order",
                    f"{where} is earlier than the cutoff of {prev[0]!r} "
                    f"({prev[1].isoformat()}) before it",
                )
            )
        prev = (sp.name, c)
    if (
        specs
        and specs[-1].cutoff is not None
        and np.isfinite(located.distance[-1])
        and (located.distance[-1] >= p.distance[-1] - snap)  # the finish row; track distances
    ):
        # in the plan's words, an error as the plan refuses it (it was a warning beyond
        # 60 s, then the plan's refusal again as a [plan] error)
        n = len(specs) - 1
        bad = finish_cutoff_problem(
            f"checkpoints[{n}] ({specs[n].name!r}) key 'cutoff'",
            course,
            seconds_between(start, specs[-1].cutoff),
        )
        if bad:
            f(Finding("error", "cutoff-finish", bad))
    return out
