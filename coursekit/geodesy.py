"""Distances on the WGS84 ellipsoid and a local metric projection.

Distances are WGS84 geodesics. Steps shorter than 20 km (every step of a
course) are computed in numpy from the straight 3-D chord between the two
points (exact, no special case at the poles or the antimeridian) lengthened by
the arc correction ``c**3 / (24 R**2)``; the result is within 1e-7 relative of
Karney's geodesic (the test checks it against geographiclib). Longer steps use
Karney's algorithm as implemented in PROJ (``pyproj.Geod.inv``), imported only
then. A spherical formula (haversine) would be 0.1-0.5 % off depending on
latitude and heading. Snapping and geometry use an azimuthal equidistant
projection centred on the course, in metres.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "segment_lengths",
    "distance",
    "cumulative_distance",
    "ecef",
    "chord_to_geodesic",
    "geodesic_line",
    "LocalProjection",
    "local_projection",
    "mean_position",
    "lon_centre",
    "interp_lon",
    "simplify_track",
]


@lru_cache(maxsize=1)
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


# WGS84
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_R1 = _A * (1 - _F / 3)  # mean radius (2a + b) / 3 [m]
_CHORD_MAX = 20_000.0  # above this chord, use Karney's algorithm (pyproj) [m]


def _ecef(lat: np.ndarray, lon: np.ndarray):
    """Earth-centred Cartesian coordinates of points on the ellipsoid surface [m]."""
    phi = np.radians(lat)
    lam = np.radians(lon)
    sp = np.sin(phi)
    cp = np.cos(phi)
    n = _A / np.sqrt(1.0 - _E2 * sp * sp)
    return n * cp * np.cos(lam), n * cp * np.sin(lam), n * (1.0 - _E2) * sp


def ecef(lat, lon) -> np.ndarray:
    """Earth-centred, Earth-fixed coordinates of points on the WGS84 surface.

    Parameters
    ----------
    lat, lon : array_like
        Positions [degrees], ``n`` points (the height is taken as 0).

    Returns
    -------
    ndarray, shape (3, n)
        x, y, z [m]. A linear operation on these (e.g. a low-pass filter over
        a dense track) needs no map projection; :func:`chord_to_geodesic`
        turns chords between such points back into geodesic lengths.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    return np.stack(_ecef(lat, lon))


def chord_to_geodesic(chord) -> np.ndarray:
    """Geodesic length [m] of steps given their straight 3-D chords [m].

    ``c (1 + c^2 / (24 R^2))``: within 1e-7 relative of Karney's geodesic for
    chords under 20 km (see :func:`segment_lengths`); not meant for longer ones.
    """
    c = np.asarray(chord, dtype=np.float64)
    return c * (1.0 + c * c / (24.0 * _R1 * _R1))


def segment_lengths(lat, lon, *, xyz=None) -> np.ndarray:
    """Ellipsoidal length of each step between consecutive points.

    Parameters
    ----------
    lat, lon : array_like
        Positions [degrees], ``n`` points.
    xyz : ndarray, shape (3, n), optional
        ``ecef(lat, lon)`` when the caller has it already (not converted twice).

    Returns
    -------
    ndarray
        ``n - 1`` lengths [m] (WGS84 geodesics, Karney 2013).

    Notes
    -----
    For a chord :math:`c` shorter than 20 km the geodesic length is
    :math:`s = c (1 + c^2 / (24 R^2))` with :math:`R` the mean radius; the
    neglected terms (variation of the radius of curvature with azimuth and
    latitude, :math:`O(c^5/R^4)`) and rounding are below 1e-7 relative. Longer steps are
    computed with Karney's algorithm [1]_ (``pyproj.Geod.inv``).

    References
    ----------
    .. [1] C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55 (2013).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if lat.size < 2:
        return np.zeros(0)
    x, y, z = _ecef(lat, lon) if xyz is None else xyz  # once per point, not per step end
    c = np.sqrt(np.diff(x) ** 2 + np.diff(y) ** 2 + np.diff(z) ** 2)
    return _geodesic_from_chord(c, lat[:-1], lon[:-1], lat[1:], lon[1:])


def distance(lat1, lon1, lat2, lon2) -> np.ndarray | float:
    """Ellipsoidal (WGS84) distance between points, with numpy broadcasting [m].

    Same method as :func:`segment_lengths` (3-D chord + arc correction below
    20 km, Karney's algorithm via PROJ beyond); e.g. a matrix of pairwise
    distances from ``lat[:, None], lon[:, None], lat[None, :], lon[None, :]``.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or array_like
        Positions [degrees], broadcast against each other.

    Returns
    -------
    ndarray or numpy.float64
        Distances [m] in the broadcast shape; a scalar (a ``float`` subclass)
        when every input is a scalar, as a numpy ufunc returns.
    """
    la1, lo1, la2, lo2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2))
    )
    shape = la1.shape
    la1, lo1, la2, lo2 = (np.atleast_1d(a) for a in (la1, lo1, la2, lo2))
    x1, y1, z1 = _ecef(la1, lo1)
    x2, y2, z2 = _ecef(la2, lo2)
    c = np.sqrt((x2 - x1) ** 2 + (y2 - y1) ** 2 + (z2 - z1) ** 2)
    return _geodesic_from_chord(c, la1, lo1, la2, lo2).reshape(shape)[()]


def _geodesic_from_chord(c, la1, lo1, la2, lo2) -> np.ndarray:
    """Geodesic lengths [m] from chords ``c`` [m] between the 1-D point arrays given:
    the arc correction below 20 km, Karney's algorithm (PROJ) beyond and for NaN."""
    dist = chord_to_geodesic(c)
    far = ~(c < _CHORD_MAX)  # also NaN input, left to PROJ
    if far.any():
        _, _, d = _geod().inv(lo1[far], la1[far], lo2[far], la2[far])
        dist[far] = d
    return dist


def cumulative_distance(lat, lon) -> np.ndarray:
    """Cumulative ellipsoidal distance from the first point [m], same length as ``lat``."""
    steps = segment_lengths(lat, lon)
    out = np.zeros(np.asarray(lat).size)
    np.cumsum(steps, out=out[1:])
    return out


def geodesic_line(lat1, lon1, lat2, lon2, *, spacing: float = 25.0):
    """Points along the geodesic between two places, about ``spacing`` metres apart.

    Returns ``(lat, lon)`` arrays including both ends.
    """
    g = _geod()
    _, _, dist = g.inv(lon1, lat1, lon2, lat2)
    n = max(int(np.ceil(dist / spacing)) - 1, 0)
    if n == 0:
        return np.array([lat1, lat2], float), np.array([lon1, lon2], float)
    mid = g.npts(lon1, lat1, lon2, lat2, n)
    lons = np.array([lon1] + [p[0] for p in mid] + [lon2])
    lats = np.array([lat1] + [p[1] for p in mid] + [lat2])
    return lats, lons


class LocalProjection:
    """Azimuthal equidistant projection centred on a point, in metres.

    Distances from the centre are exact; elsewhere the scale error is below
    0.1 % within ~300 km of the centre, plenty for snapping and simplifying.
    """

    def __init__(self, lat0: float, lon0: float):
        from pyproj import Transformer

        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        crs = f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +datum=WGS84 +units=m +no_defs"
        self._fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def forward(self, lat, lon):
        """(lat, lon) [degrees] -> (x, y) [m]."""
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def inverse(self, x, y):
        """(x, y) [m] -> (lat, lon) [degrees]."""
        lon, lat = self._inv.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lat, float), np.asarray(lon, float)


def lon_centre(lon: np.ndarray) -> float:
    """Middle of the shortest arc of longitudes holding every point [degrees].

    The middle of ``min``/``max`` unless the points straddle the antimeridian
    (their largest gap in longitude is not the one across +-180): there that
    middle lies on the other side of the Earth.
    """
    v = np.unique(np.mod(lon[np.isfinite(lon)] + 180.0, 360.0) - 180.0)
    lo, hi = float(np.nanmin(lon)), float(np.nanmax(lon))
    if v.size < 2:
        return 0.5 * (lo + hi)
    gaps = np.diff(v)
    k = int(np.argmax(gaps))
    if gaps[k] <= v[0] + 360.0 - v[-1]:  # the largest gap is the one across +-180
        return 0.5 * (lo + hi)
    west, east = v[k + 1], v[k] + 360.0  # the points span west .. east
    return float(np.mod(0.5 * (west + east) + 180.0, 360.0) - 180.0)


def interp_lon(x, xp, lon) -> np.ndarray:
    """``np.interp(x, xp, lon)`` for the longitudes of a track [degrees], in -180..180.

    Between two points either side of the antimeridian (179.9998, -179.9998) a plain
    interpolation gives about 0, the other side of the Earth: the track's longitudes are
    unwrapped first (no step over 180 degrees), the result brought back into -180..180. A
    track that never steps over 180 degrees gets ``np.interp`` itself (the same floats).
    """
    lon = np.asarray(lon, float)
    ok = np.isfinite(lon)
    if not np.any(np.abs(np.diff(lon[ok])) > 180.0):
        return np.interp(x, xp, lon)
    u = lon.copy()
    u[ok] = np.unwrap(lon[ok], period=360.0)
    v = np.asarray(np.interp(x, xp, u), float)
    return np.where(v >= 180.0, v - 360.0, np.where(v < -180.0, v + 360.0, v))


def mean_position(lat, lon) -> tuple[float, float]:
    """Mean position of points, on the unit sphere: one place for several (a shared station).

    Parameters
    ----------
    lat, lon : array_like
        Positions [degrees]; points with a NaN coordinate are left out.

    Returns
    -------
    (float, float)
        Latitude and longitude [degrees, longitude in [-180, 180]] of the normalised mean
        of the points' unit vectors; NaN, NaN when no point is finite (or the points'
        vectors cancel out, antipodal points).

    Notes
    -----
    The plain means of latitudes and longitudes put points on both sides of the
    antimeridian (179.999 and -179.999) at longitude 0, the other side of the Earth. The
    mean of the unit vectors :math:`(\\cos\\phi\\cos\\lambda, \\cos\\phi\\sin\\lambda,
    \\sin\\phi)` has no seam; for points a few hundred metres apart it is their plain
    mean to within 1e-7 degrees (second order in the spread).
    """
    lat = np.asarray(lat, dtype=np.float64).reshape(-1)
    lon = np.asarray(lon, dtype=np.float64).reshape(-1)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return float("nan"), float("nan")
    phi, lam = np.radians(lat[ok]), np.radians(lon[ok])
    x = float(np.mean(np.cos(phi) * np.cos(lam)))
    y = float(np.mean(np.cos(phi) * np.sin(lam)))
    z = float(np.mean(np.sin(phi)))
    h = float(np.hypot(x, y))
    if not np.hypot(h, z) > 1e-12:
        return float("nan"), float("nan")
    return float(np.degrees(np.arctan2(z, h))), float(np.degrees(np.arctan2(y, x)))


def local_projection(lat, lon) -> LocalProjection:
    """A :class:`LocalProjection` centred on the middle of the bounding box of the points.

    The longitude box is the shortest arc holding the points, so a course across
    the antimeridian is centred on itself.
    """
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    return LocalProjection(0.5 * (np.nanmin(lat) + np.nanmax(lat)), lon_centre(lon))


def simplify_track(lat, lon, elevation=None, *, tolerance_m: float) -> np.ndarray:
    """Indices of the points a Douglas-Peucker simplification of a track keeps, its
    profile included.

    A point is dropped only when it lies within ``tolerance_m`` of the simplified line in
    a local projection (:func:`local_projection`) *and* its elevation within
    ``tolerance_m`` of the simplified profile (linear between the kept points along the
    distance): a pass that lies on the straight line between two kept points in plan is
    kept, where a plane simplification dropped it with its climb.

    Parameters
    ----------
    lat, lon : array_like
        Positions [degrees].
    elevation : array_like, optional
        Altitudes [m]; NaN ones (and None) constrain nothing.
    tolerance_m : float
        Largest horizontal and vertical distance of a dropped point [m], >= 0.

    Returns
    -------
    ndarray of int
        Increasing indices into ``lat``; the first and last point are always kept.
    """
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    if not tolerance_m >= 0:
        raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
    n = lat.size
    if n <= 2:
        return np.arange(n)
    z = np.full(n, np.nan) if elevation is None else np.asarray(elevation, float)
    x, y = local_projection(lat, lon).forward(lat, lon)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    keep = np.zeros(n, bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        px, py = x[a + 1 : b] - x[a], y[a + 1 : b] - y[a]
        dx, dy = x[b] - x[a], y[b] - y[a]
        d2 = dx * dx + dy * dy
        t = np.clip((px * dx + py * dy) / d2, 0.0, 1.0) if d2 > 0 else np.zeros(px.size)
        err = np.hypot(px - t * dx, py - t * dy)
        span = s[b] - s[a]
        f = (s[a + 1 : b] - s[a]) / span if span > 0 else np.zeros(px.size)
        err = np.fmax(err, np.abs(z[a + 1 : b] - (z[a] + f * (z[b] - z[a]))))
        i = int(np.nanargmax(err)) if not np.isnan(err).all() else 0
        if err[i] > tolerance_m:
            k = a + 1 + i
            keep[k] = True
            stack += [(a, k), (k, b)]
    return np.flatnonzero(keep)
