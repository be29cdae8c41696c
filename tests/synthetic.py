"""Synthetic ground-truth tracks for the profile tests and the accuracy benchmark.

Each generator builds a known course (analytic terrain along a curvy trail with
switchbacks), computes its true length and its true gain/loss on a 0.25 m grid,
then samples it the way one kind of device would, with realistic noise:

``planner``
    Route-planner export: points 10-40 m apart (uniform random spacing) on the
    true path, DEM-like altitude = terrain + white noise (sigma 1.5 m),
    rounded to 0.1 m; no times.
``baro``
    1 Hz watch recording with barometric altitude: speed 2-4 m/s (an
    Ornstein-Uhlenbeck process around 3 m/s, correlation time 120 s, minus
    4 m/s per unit of grade, clipped to 2-4 m/s), horizontal GPS noise
    (AR(1) per axis, sigma 3 m, correlation time 10 s, plus 0.5 m white), and
    altitude = terrain + slow drift (AR(1), sigma 3 m, correlation time 1800 s,
    plus a linear drift of 2 m/h) + 0.1 m white noise, quantised to 0.2 m.
``gps``
    1 Hz recording with GPS altitude: same motion and horizontal noise;
    altitude = terrain + AR(1) noise (sigma 5 m, correlation time
    ``ele_tau`` = 30 s by default) + 0.5 m white, rounded to 0.1 m.

Terrain: a few big climbs and descents (raised-cosine ramps of 80-500 m over
1.5-6 km) plus rollers, sinusoids of 10 m amplitude (20 m crest to trough) and
250-700 m wavelength, everywhere, so a method that flattens small hills
under-counts by tens of percent. Horizontal path: heading integrated from a
random smooth curvature (radius >= 25 m), with switchback sequences (legs of
40-120 m joined by 180-degree hairpins of 5-12 m radius) where the grade
exceeds 18 %.

Family ``"b"`` (``make_track(..., family="b")``) is an independent second
family used to check that the automatic method generalises rather than fits
family ``"a"``: every parameter is drawn per seed. Terrain: ramps of 30-900 m
over 0.8-8 km (grades up to ~40 %), two superposed roller trains of amplitude
3-15 m (roller grade <= 30 %) and wavelengths 180-450 m and 450-1500 m
(+-30 % drift); ``planner``: spacing
U(5, 60) m, white noise 0.7-2.5 m; ``baro``: drift AR(1) 1-6 m with
correlation time 600-3600 s, plus 0-4 m/h; ``gps``: altitude AR(1) 3-7 m with
correlation time 5-60 s (unless given) + 0.3-1 m white; speed 1.5-5 m/s.

Everything is seeded (``numpy.random.default_rng(seed)``), so a failure can be
reproduced from the seed printed by the test. Positions are built in a local
plane (metres) and converted to WGS84 with an azimuthal equidistant projection
centred on the start, whose scale error over a 30 km course is below 1e-6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Synthetic",
    "terrain",
    "trail",
    "make_track",
    "with_stops",
    "KINDS",
    "write_gpx_with_time",
]

KINDS = ("planner", "baro", "gps")
_DS = 0.25  # fine grid of the truth [m]


@dataclass(frozen=True, eq=False)
class Synthetic:
    """A sampled synthetic track and its truth (SI units)."""

    kind: str
    seed: int
    lat: np.ndarray
    lon: np.ndarray
    elevation: np.ndarray
    time: np.ndarray  # [s], NaN when the kind has none
    true_distance: float  # length of the true path [m]
    true_gain: float  # [m]
    true_loss: float  # [m]
    roller_gain: float  # part of the true gain due to rollers alone [m]
    description: str


def _ar1(rng, n, sigma, tau, dt=1.0):
    """Stationary AR(1) (sampled Ornstein-Uhlenbeck): std ``sigma``, correlation time ``tau``."""
    phi = np.exp(-dt / tau)
    from scipy.signal import lfilter

    w = rng.normal(0.0, sigma * np.sqrt(1 - phi * phi), n)
    w[0] = rng.normal(0.0, sigma)
    return lfilter([1.0], [1.0, -phi], w)


def terrain(rng, length: float, roller_wavelength: float | None = None):
    """Elevation function of distance along the path and its roller part.

    Returns ``(s, z, rollers)`` on a 0.25 m grid: big climbs/descents from
    raised-cosine ramps plus 10 m amplitude sinusoidal rollers.
    ``roller_wavelength`` [m]: rollers of that wavelength (+-30 % drift)
    instead of 250-700 m; the random draws are the same.
    """
    s = np.arange(0.0, length + _DS, _DS)
    z = np.full(s.size, 800.0)
    pos = 0.0
    while pos < length:
        span = rng.uniform(1500.0, 6000.0)
        height = rng.uniform(80.0, 500.0) * rng.choice([-1.0, 1.0])
        if rng.random() < 0.25:  # flat stretch: rollers only
            height = 0.0
        u = np.clip((s - pos) / span, 0.0, 1.0)
        z += height * 0.5 * (1 - np.cos(np.pi * u))
        pos += span
    # rollers: 10 m amplitude, wavelength drifting between 250 and 700 m
    drift = np.sin(2 * np.pi * s / rng.uniform(3000, 8000) + rng.uniform(0, 6.3))
    if roller_wavelength is None:
        lam = 475.0 + 225.0 * drift
    else:
        lam = roller_wavelength * (1.0 + 0.3 * drift)
    phase = 2 * np.pi * np.cumsum(_DS / lam)
    rollers = 10.0 * np.sin(phase + rng.uniform(0, 6.3))
    return s, z + rollers, rollers


def terrain_b(rng, length: float):
    """Family ``"b"`` terrain: steeper/longer ramps, two roller trains of random size."""
    s = np.arange(0.0, length + _DS, _DS)
    z = np.full(s.size, 1200.0)
    pos = 0.0
    while pos < length:
        span = rng.uniform(800.0, 8000.0)
        height = rng.uniform(30.0, 900.0) * rng.choice([-1.0, 1.0])
        height = float(np.clip(height, -0.4 * span, 0.4 * span))
        if rng.random() < 0.15:
            height = 0.0
        u = np.clip((s - pos) / span, 0.0, 1.0)
        z += height * 0.5 * (1 - np.cos(np.pi * u))
        pos += span
    rollers = np.zeros(s.size)
    for lo, hi in ((180.0, 450.0), (450.0, 1500.0)):
        lam0 = rng.uniform(lo, hi)
        # amplitude 3-15 m, capped so that the rollers' own grade stays <= 30 %
        amp = min(rng.uniform(3.0, 15.0), 0.3 * 0.7 * lam0 / (2 * np.pi))
        lam = lam0 * (
            1 + 0.3 * np.sin(2 * np.pi * s / rng.uniform(2000, 9000) + rng.uniform(0, 6.3))
        )
        # amplitude modulated so that some stretches have no rollers at all
        env = np.clip(
            1.2 * np.sin(2 * np.pi * s / rng.uniform(4000, 12000) + rng.uniform(0, 6.3)), 0, 1
        )
        rollers += amp * env * np.sin(2 * np.pi * np.cumsum(_DS / lam) + rng.uniform(0, 6.3))
    return s, z + rollers, rollers


def _gain_loss(z):
    d = np.diff(z)
    return float(d[d > 0].sum()), float(-d[d < 0].sum())


def trail(rng, s, z):
    """Plane path (x, y) [m] along ``s``: curvy trail with switchbacks on steep parts."""
    n = s.size
    # smooth random curvature (std 1/150 per m), at most 1/25 per m
    kappa = _ar1(rng, n, 1.0 / 150.0, 400.0 / _DS)
    kappa = np.clip(kappa, -1 / 25.0, 1 / 25.0)
    grade = np.gradient(z, s)
    steep = np.abs(grade) > 0.18
    i = 0
    while i < n:  # hairpins: half-turns of radius r every 40-120 m in steep sections
        if steep[i]:
            leg = rng.uniform(40.0, 120.0)
            r = rng.uniform(5.0, 12.0)
            arc = np.pi * r
            j0 = i + int(leg / _DS)
            j1 = j0 + int(arc / _DS)
            if j1 >= n:
                break
            sign = 1.0 if (i // 7) % 2 else -1.0
            kappa[j0:j1] = sign / r
            i = j1
        else:
            i += int(20 / _DS)
    theta = rng.uniform(0, 2 * np.pi) + np.concatenate([[0.0], np.cumsum(kappa[:-1] * _DS)])
    x = np.concatenate([[0.0], np.cumsum(np.cos(theta[:-1]) * _DS)])
    y = np.concatenate([[0.0], np.cumsum(np.sin(theta[:-1]) * _DS)])
    return x, y


def densify(x, y, step: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """The polyline through the points ``(x, y)`` [m] with a point at least every ``step``
    m along each segment (its vertices kept)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    xs, ys = [x[:1]], [y[:1]]
    for i in range(x.size - 1):
        n = max(int(np.ceil(np.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) / step)), 1)
        t = np.arange(1, n + 1) / n
        xs.append(x[i] + t * (x[i + 1] - x[i]))
        ys.append(y[i] + t * (y[i + 1] - y[i]))
    return np.concatenate(xs), np.concatenate(ys)


def _to_wgs84(x, y, lat0=45.9, lon0=6.87):
    from pyproj import Transformer

    crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = inv.transform(x, y)
    return np.asarray(lat, float), np.asarray(lon, float)


def make_track(
    kind: str,
    seed: int = 0,
    *,
    length: float = 25_000.0,
    ele_sigma: float | None = None,
    ele_tau: float = 30.0,
    xy_sigma: float = 3.0,
    xy_tau: float = 10.0,
    family: str = "a",
    roller_wavelength: float | None = None,
) -> Synthetic:
    """A synthetic track of the given kind (see the module docstring).

    Parameters
    ----------
    kind : {"planner", "baro", "gps"}
    seed : int
    length : float
        Length of the true path [m].
    ele_sigma : float, optional
        Altitude noise std [m] (default 1.5 planner, 3 baro drift, 5 gps).
    ele_tau : float
        Correlation time of the GPS altitude noise [s].
    xy_sigma, xy_tau : float
        Horizontal noise std per axis [m] and correlation time [s] (recordings).
    family : {"a", "b"}
        ``"b"``: the independent second family (see the module docstring);
        its noise parameters are drawn from the seed unless ``ele_sigma`` is
        given (and ``ele_tau`` differs from 30).
    roller_wavelength : float, optional
        Family "a" only: wavelength of the 10 m rollers [m] (default: drifting
        between 250 and 700 m); 250 m gives 25 % roller grades.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if family not in ("a", "b"):
        raise ValueError(f"family must be 'a' or 'b', got {family!r}")
    if family == "b":
        if roller_wavelength is not None:
            raise ValueError("roller_wavelength applies to family 'a' only")
        return _make_track_b(kind, seed, length, ele_sigma, ele_tau, xy_sigma, xy_tau)
    rng = np.random.default_rng(seed)
    s, z, rollers = terrain(rng, length, roller_wavelength)
    gain, loss = _gain_loss(z)
    roller_gain, _ = _gain_loss(rollers)
    x, y = trail(rng, s, z)
    true_length = float(s[-1])
    if kind == "planner":
        sig = 1.5 if ele_sigma is None else ele_sigma
        # like a planner's vertices: 10-40 m apart, closer in bends so that the
        # chord error stays below ~2 m (spacing <= sqrt(8 * 2 * radius))
        kap = np.abs(np.gradient(np.unwrap(np.arctan2(np.gradient(y), np.gradient(x))), s))
        cap = np.sqrt(16.0 / np.maximum(kap, 1e-9))
        pos = [0.0]
        while pos[-1] < true_length:
            i = int(pos[-1] / _DS)
            step = rng.uniform(10.0, 40.0)
            step = min(step, cap[i : i + int(step / _DS) + 1].min())
            pos.append(pos[-1] + max(step, 1.0))
        pos = np.asarray(pos[:-1] + [true_length])
        px, py = np.interp(pos, s, x), np.interp(pos, s, y)
        ele = np.round(np.interp(pos, s, z) + rng.normal(0, sig, pos.size), 1)
        t = np.full(pos.size, np.nan)
        desc = f"planner: spacing U(10,40) m, DEM noise white sigma {sig} m, rounded 0.1 m"
    else:
        # speed: OU around 3 m/s, clipped to [2, 4]
        nmax = int(true_length / 2.0) + 10
        base = 3.0 + _ar1(rng, nmax, 0.6, 120.0)
        grade_abs = np.abs(np.gradient(z, s))
        pos = [0.0]
        for k in range(nmax):  # slower on steep ground (switchbacks)
            g = grade_abs[min(int(pos[-1] / _DS), s.size - 1)]
            pos.append(pos[-1] + float(np.clip(base[k] - 4.0 * g, 2.0, 4.0)))
            if pos[-1] >= true_length:
                break
        pos = np.asarray(pos)
        pos = pos[pos < true_length]
        pos = np.append(pos, true_length)
        n = pos.size
        px = np.interp(pos, s, x) + _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        py = np.interp(pos, s, y) + _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        zt = np.interp(pos, s, z)
        t = 1.7e9 + np.arange(n, dtype=float)
        if kind == "baro":
            sig = 3.0 if ele_sigma is None else ele_sigma
            drift = _ar1(rng, n, sig, 1800.0) + 2.0 * np.arange(n) / 3600.0
            ele = np.round((zt + drift + rng.normal(0, 0.1, n)) / 0.2) * 0.2
            desc = (
                f"baro: 1 Hz, v 2-4 m/s, xy AR(1) {xy_sigma} m/{xy_tau} s; "
                f"drift AR(1) {sig} m/1800 s + 2 m/h, quantised 0.2 m"
            )
        else:
            sig = 5.0 if ele_sigma is None else ele_sigma
            ele = np.round(zt + _ar1(rng, n, sig, ele_tau) + rng.normal(0, 0.5, n), 1)
            desc = (
                f"gps: 1 Hz, v 2-4 m/s, xy AR(1) {xy_sigma} m/{xy_tau} s; "
                f"altitude AR(1) {sig} m/{ele_tau:g} s + 0.5 m white"
            )
    lat, lon = _to_wgs84(px, py)
    return Synthetic(
        kind=kind,
        seed=seed,
        lat=lat,
        lon=lon,
        elevation=np.asarray(ele, float),
        time=t,
        true_distance=true_length,
        true_gain=gain,
        true_loss=loss,
        roller_gain=roller_gain,
        description=desc,
    )


def _make_track_b(kind, seed, length, ele_sigma, ele_tau, xy_sigma, xy_tau) -> Synthetic:
    rng = np.random.default_rng(1_000_003 + seed)
    s, z, rollers = terrain_b(rng, length)
    gain, loss = _gain_loss(z)
    roller_gain, _ = _gain_loss(rollers)
    x, y = trail(rng, s, z)
    true_length = float(s[-1])
    if kind == "planner":
        sig = rng.uniform(0.7, 2.5) if ele_sigma is None else ele_sigma
        spacing = (5.0, rng.uniform(20.0, 60.0))
        pos = np.cumsum(rng.uniform(*spacing, int(true_length / spacing[0]) + 2))
        pos = np.concatenate([[0.0], pos[pos < true_length], [true_length]])
        px, py = np.interp(pos, s, x), np.interp(pos, s, y)
        ele = np.round(np.interp(pos, s, z) + rng.normal(0, sig, pos.size), 1)
        t = np.full(pos.size, np.nan)
        desc = f"planner-b: spacing U(5,{spacing[1]:.0f}) m, DEM noise white {sig:.2f} m"
    else:
        v0 = rng.uniform(1.5, 5.0)
        nmax = int(true_length / 1.0) + 10
        v = np.clip(v0 + _ar1(rng, nmax, 0.5, 90.0), 1.0, 6.0)
        pos = np.concatenate([[0.0], np.cumsum(v)])
        pos = np.append(pos[pos < true_length], true_length)
        n = pos.size
        px = np.interp(pos, s, x) + _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        py = np.interp(pos, s, y) + _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        zt = np.interp(pos, s, z)
        t = 1.7e9 + np.arange(n, dtype=float)
        if kind == "baro":
            sig = rng.uniform(1.0, 6.0) if ele_sigma is None else ele_sigma
            tau = rng.uniform(600.0, 3600.0)
            rate = rng.uniform(0.0, 4.0)
            drift = _ar1(rng, n, sig, tau) + rate * np.arange(n) / 3600.0
            ele = np.round((zt + drift + rng.normal(0, 0.15, n)) / 0.1) * 0.1
            desc = f"baro-b: v~{v0:.1f} m/s, drift AR(1) {sig:.1f} m/{tau:.0f} s + {rate:.1f} m/h"
        else:
            sig = rng.uniform(3.0, 7.0) if ele_sigma is None else ele_sigma
            tau = rng.uniform(5.0, 60.0) if ele_tau == 30.0 else ele_tau
            white = rng.uniform(0.3, 1.0)
            ele = np.round(zt + _ar1(rng, n, sig, tau) + rng.normal(0, white, n), 1)
            desc = f"gps-b: v~{v0:.1f} m/s, altitude AR(1) {sig:.1f} m/{tau:.0f} s + {white:.1f} m"
    lat, lon = _to_wgs84(px, py)
    return Synthetic(
        kind=kind,
        seed=seed,
        lat=lat,
        lon=lon,
        elevation=np.asarray(ele, float),
        time=t,
        true_distance=true_length,
        true_gain=gain,
        true_loss=loss,
        roller_gain=roller_gain,
        description=desc,
    )


def with_stops(syn: Synthetic, stops, *, xy_sigma=3.0, xy_tau=10.0, seed=0) -> Synthetic:
    """The same recording with the runner standing still at aid stations.

    ``stops`` is a sequence of ``(fraction, seconds)``: at the point at (or just before)
    that fraction of the samples the runner stays ``seconds`` (1 Hz samples inserted, times after it
    shifted); the watch keeps recording his position there with horizontal GPS noise
    (AR(1) per axis, ``xy_sigma`` m, ``xy_tau`` s, plus 0.5 m white) and his altitude. The
    truth (length, gain, loss) is unchanged: standing still covers no ground.
    """
    rng = np.random.default_rng(seed)
    lat, lon, ele, t = (np.asarray(a, float) for a in (syn.lat, syn.lon, syn.elevation, syn.time))
    pieces: list = []
    shift = 0.0
    last = 0
    m_per_deg = 111_320.0
    for frac, seconds in sorted(stops):
        i = int(frac * (lat.size - 1))
        n = int(seconds)
        pieces.append((lat[last:i], lon[last:i], ele[last:i], t[last:i] + shift))
        dx = _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        dy = _ar1(rng, n, xy_sigma, xy_tau) + rng.normal(0, 0.5, n)
        pieces.append(
            (
                lat[i] + dy / m_per_deg,
                lon[i] + dx / (m_per_deg * np.cos(np.radians(lat[i]))),
                np.full(n, ele[i]),
                t[i] + shift + np.arange(n, dtype=float),
            )
        )
        shift += n
        last = i
    pieces.append((lat[last:], lon[last:], ele[last:], t[last:] + shift))
    cat = [np.concatenate([p[k] for p in pieces]) for k in range(4)]
    return Synthetic(
        kind=syn.kind,
        seed=syn.seed,
        lat=cat[0],
        lon=cat[1],
        elevation=cat[2],
        time=cat[3],
        true_distance=syn.true_distance,
        true_gain=syn.true_gain,
        true_loss=syn.true_loss,
        roller_gain=syn.roller_gain,
        description=syn.description + f"; stops {list(stops)}",
    )


def write_gpx_with_time(path, syn: Synthetic) -> None:
    """Write a synthetic track as GPX 1.1 (with ``<time>`` when it has times), for CLI checks."""
    from datetime import UTC, datetime

    import gpxpy.gpx

    from coursekit.io import atomic_write_text

    g = gpxpy.gpx.GPX()
    trk = gpxpy.gpx.GPXTrack(name=f"synthetic {syn.kind} seed {syn.seed}")
    g.tracks.append(trk)
    seg = gpxpy.gpx.GPXTrackSegment()
    trk.segments.append(seg)
    for la, lo, e, t in zip(syn.lat, syn.lon, syn.elevation, syn.time, strict=True):
        tt = datetime.fromtimestamp(t, UTC) if np.isfinite(t) else None
        seg.points.append(gpxpy.gpx.GPXTrackPoint(la, lo, elevation=float(e), time=tt))
    atomic_write_text(path, g.to_xml())


def write_big_gpx(path, size_bytes: int) -> int:
    """A ~``size_bytes`` 1 Hz recording with heart-rate extensions, streamed to ``path``.

    Returns the number of track points written.

    For memory tests of the reader (``tests/test_hostile.py``,
    ``benchmarks/bench_fuzz.py``): blocks of 1,000 points written again and again.
    """
    block = b"".join(
        b'<trkpt lat="%.6f" lon="6.5"><ele>%d</ele><time>2024-06-01T04:%02d:%02dZ</time>'
        b"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr>"
        b"</gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        % (45 + i * 1e-5, i, i // 60, i % 60)
        for i in range(1000)
    )
    with open(path, "wb") as fh:
        fh.write(
            b'<?xml version="1.0"?>\n<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"'
            b' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
            b"<trk><trkseg>\n"
        )
        for _ in range(size_bytes // len(block)):
            fh.write(block)
        fh.write(b"</trkseg></trk></gpx>\n")
    return 1000 * (size_bytes // len(block))


# the eight ways of writing a GPX track point that coursekit.gpx._point_pattern reads:
# (lon_first, quote, time_first), the usual one first
POINT_FORMS = [(lon, q, t) for lon in (False, True) for q in ('"', "'") for t in (False, True)]


def in_form(data: bytes, form: tuple) -> bytes:
    """``data``, GPX whose points are written ``<trkpt lat="…" lon="…">`` with ``<ele>``
    before ``<time>``, with its points written in ``form`` (one of :data:`POINT_FORMS`)."""
    lon_first, quote, time_first = form
    q = quote.encode()

    def start_tag(m):
        lat = b"lat=%s%s%s" % (q, m.group(1), q)
        lon = b"lon=%s%s%s" % (q, m.group(2), q)
        return b"<trkpt %s %s>" % ((lon, lat) if lon_first else (lat, lon))

    data = re.sub(rb'<trkpt lat="([^"]*)" lon="([^"]*)">', start_tag, data)
    if time_first:
        data = re.sub(rb"(<ele>[^<]*</ele>)(\s*)(<time>[^<]*</time>)", rb"\3\2\1", data)
    return data
