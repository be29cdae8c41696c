"""Distances against Karney's geodesic (geographiclib, test-only oracle); local projection."""

from __future__ import annotations

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from coursekit.geodesy import cumulative_distance, local_projection, segment_lengths
from coursekit.gpx import read_gpx

G = Geodesic.WGS84


def _karney_length(lat, lon) -> float:
    return sum(
        G.Inverse(a, b, c, d)["s12"]
        for a, b, c, d in zip(lat[:-1], lon[:-1], lat[1:], lon[1:], strict=True)
    )


def _walk(lat0, lon0, n, step, seed, turn=0.3):
    """A wandering course built with geographiclib's direct problem (exact truth)."""
    rng = np.random.default_rng(seed)
    lat, lon, az = [lat0], [lon0], rng.uniform(0, 360)
    for _ in range(n - 1):
        az += rng.normal(0, turn) * 57.3
        d = G.Direct(lat[-1], lon[-1], az, step * rng.uniform(0.5, 1.5))
        lat.append(d["lat2"])
        lon.append(((d["lon2"] + 180) % 360) - 180)
    return np.array(lat), np.array(lon)


@pytest.mark.parametrize(
    ("lat0", "lon0", "step"),
    [
        (45.9, 6.9, 20.0),  # Alps, route-planner spacing
        (0.0, 0.0, 3.0),  # equator, 1 Hz recording
        (-33.9, 18.4, 500.0),
        (89.95, 10.0, 15.0),  # around the North pole
        (-89.99, 0.0, 5.0),  # at the South pole
        (65.0, 179.99, 30.0),  # across the antimeridian
        (10.0, -179.999, 300.0),
        (30.0, 100.0, 15_000.0),  # long steps
        (30.0, 100.0, 90_000.0),  # steps handed to PROJ
    ],
)
def test_course_length_matches_karney(lat0, lon0, step):
    lat, lon = _walk(lat0, lon0, 400, step, seed=int(abs(lat0 * 100 + lon0)))
    ours = cumulative_distance(lat, lon)[-1]
    ref = _karney_length(lat, lon)
    assert abs(ours - ref) / ref < 1e-4
    # and much closer than the contract, step by step
    steps = segment_lengths(lat, lon)
    karney = np.array(
        [
            G.Inverse(a, b, c, d)["s12"]
            for a, b, c, d in zip(lat[:-1], lon[:-1], lat[1:], lon[1:], strict=True)
        ]
    )
    np.testing.assert_allclose(steps, karney, rtol=1e-7, atol=1e-9)


def test_crossing_antimeridian_is_short():
    d = segment_lengths([0.0, 0.0], [179.9999, -179.9999])[0]
    assert d == pytest.approx(G.Inverse(0, 179.9999, 0, -179.9999)["s12"], rel=1e-9)
    assert d < 25


def test_over_the_pole_is_short():
    d = segment_lengths([89.99, 89.99], [0.0, 180.0])[0]
    assert d == pytest.approx(G.Inverse(89.99, 0, 89.99, 180)["s12"], rel=1e-7)


def test_antipodes_and_degenerate():
    assert segment_lengths([0, 0], [0, 180])[0] == pytest.approx(
        G.Inverse(0, 0, 0, 180)["s12"], rel=1e-9
    )
    assert segment_lengths([45.0], [6.0]).size == 0
    np.testing.assert_array_equal(cumulative_distance([45.0, 45.0], [6.0, 6.0]), [0, 0])


def test_real_courses_match_karney(realdata):
    for name in ("mtr_2024.gpx", "templiers_gtt_2024.gpx", "utmb_2023_tracedetrail_noisy.gpx"):
        t = read_gpx(realdata / name)
        ours = cumulative_distance(t.lat, t.lon)[-1]
        ref = _karney_length(t.lat, t.lon)
        assert abs(ours - ref) / ref < 1e-4, name


def test_local_projection_round_trip():
    lat, lon = _walk(45.9, 6.9, 300, 100.0, seed=5)
    proj = local_projection(lat, lon)
    x, y = proj.forward(lat, lon)
    la2, lo2 = proj.inverse(x, y)
    np.testing.assert_allclose(la2, lat, rtol=0, atol=1e-9)
    np.testing.assert_allclose(lo2, lon, rtol=0, atol=1e-9)
    # azimuthal equidistant: distance from the centre is the geodesic distance
    r = np.hypot(x, y)
    ref = [G.Inverse(proj.lat0, proj.lon0, a, b)["s12"] for a, b in zip(lat, lon, strict=True)]
    np.testing.assert_allclose(r, ref, rtol=1e-6, atol=1e-3)


def test_pairwise_distance_matches_consecutive_steps_and_karney():
    """geodesy.distance broadcasts; on consecutive points it equals segment_lengths."""
    from geographiclib.geodesic import Geodesic

    from coursekit.geodesy import distance, segment_lengths

    lat = np.array([31.1, 31.1005, 31.2, 45.0, -33.9])
    lon = np.array([-7.9, -7.9003, -7.8, 6.9, 18.4])
    np.testing.assert_array_equal(
        distance(lat[:-1], lon[:-1], lat[1:], lon[1:]), segment_lengths(lat, lon)
    )
    m = distance(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert m.shape == (5, 5) and np.all(np.diag(m) == 0) and np.allclose(m, m.T)
    for i in range(5):
        for j in range(5):
            ref = Geodesic.WGS84.Inverse(lat[i], lon[i], lat[j], lon[j])["s12"]
            assert abs(m[i, j] - ref) <= 1e-7 * max(ref, 1.0)


@pytest.mark.parametrize(
    ("lat1", "lon1", "lat2", "lon2"),
    [
        (45.0, 6.0, 45.01, 6.0),  # chord formula
        (45.0, 6.0, 46.0, 6.0),  # 111 km: handed to PROJ
        (0.0, 0.0, 0.0, 180.0),  # antipodes
    ],
)
def test_distance_of_scalars_is_a_float(lat1, lon1, lat2, lon2):
    """One point to one point, like a ufunc: a float, not a TypeError beyond 20 km."""
    from coursekit.geodesy import distance

    d = distance(lat1, lon1, lat2, lon2)
    assert isinstance(d, float) and np.ndim(d) == 0
    assert d == pytest.approx(G.Inverse(lat1, lon1, lat2, lon2)["s12"], rel=1e-7)
    # array-likes keep their broadcast shape
    assert distance([lat1], lon1, [lat2], lon2).shape == (1,)
    assert np.isnan(distance(lat1, lon1, float("nan"), lon2))


def test_mean_position_across_the_antimeridian():
    """Two points 107 m apart on either side of 180 deg: their mean is between them (the
    plain mean of the longitudes, 0, is on the other side of the Earth), at the middle of
    the geodesic joining them (geographiclib)."""
    from coursekit.geodesy import distance, mean_position

    lat, lon = mean_position([-16.8, -16.8001], [179.9995, -179.9995])
    line = G.InverseLine(-16.8, 179.9995, -16.8001, -179.9995)
    mid = line.Position(line.s13 / 2)
    assert distance(lat, lon, mid["lat2"], mid["lon2"]) < 0.01
    assert abs(lon) > 179.999
    # the same points without the seam: the plain mean, to well under a millimetre
    lat2, lon2 = mean_position([45.0, 45.0009], [6.9995, 7.0005])
    assert distance(lat2, lon2, 45.00045, 7.0) < 1e-3


def test_mean_position_leaves_out_nan_and_keeps_one_point():
    from coursekit.geodesy import mean_position

    assert mean_position([31.1, np.nan], [-8.0, -7.0]) == pytest.approx((31.1, -8.0), abs=1e-12)
    assert np.isnan(mean_position([np.nan], [np.nan])).all()
    assert np.isnan(mean_position([], [])).all()


def test_interp_lon_across_the_antimeridian():
    """Interpolated longitudes go the short way across 180 deg, in -180..180; a track that
    never crosses gets np.interp's own floats."""
    from coursekit.geodesy import interp_lon

    x = np.array([0.0, 1.0, 2.0])
    lon = np.array([179.9, -179.9, -179.7])
    got = interp_lon(np.array([0.25, 0.75, 1.5]), x, lon)
    assert got == pytest.approx([179.95, -179.95, -179.8], abs=1e-9)
    assert abs(interp_lon(0.5, x, lon)) == pytest.approx(180.0, abs=1e-9)
    assert np.all((got >= -180.0) & (got < 180.0))
    west = np.array([-179.9, 179.9])  # westwards
    assert interp_lon(0.25, x[:2], west) == pytest.approx(-179.95, abs=1e-9)
    plain = np.array([6.1, 6.3, 6.2])
    q = np.linspace(0.0, 2.0, 17)
    assert np.array_equal(interp_lon(q, x, plain), np.interp(q, x, plain))
