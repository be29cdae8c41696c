"""Tests of coursekit.profile: threshold rule, automatic gain, jitter-robust distance, stats."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import coursekit.profile as profile_module
from coursekit.geodesy import segment_lengths
from coursekit.gpx import Track, read_gpx
from coursekit.profile import (
    along_course_distance,
    auto_gain_loss,
    course_stats,
    data_warnings,
    denoise_distance,
    itra_points,
    km_effort,
    make_profile,
    slope_distance,
    splits,
    threshold_gain_loss,
)

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import make_track, with_stops  # noqa: E402

elev = st.lists(
    st.one_of(st.floats(-400, 8800, allow_nan=False), st.just(float("nan"))),
    min_size=1,
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(elev)
def test_threshold_zero_gain_minus_loss_is_net_change(values):
    e = np.array(values)
    gl = threshold_gain_loss(e, 0.0)
    ok = e[np.isfinite(e)]
    net = (ok[-1] - ok[0]) if ok.size else 0.0
    assert gl.gain[-1] - gl.loss[-1] == pytest.approx(net, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(elev, st.floats(0, 50))
def test_threshold_cumulative_non_decreasing_and_nan_skipped(values, m):
    e = np.array(values)
    gl = threshold_gain_loss(e, m)
    assert np.all(np.diff(gl.gain) >= 0) and np.all(np.diff(gl.loss) >= 0)
    ok = np.isfinite(e)
    gl2 = threshold_gain_loss(e[ok], m)
    assert (gl.gain[-1], gl.loss[-1]) == pytest.approx(
        (gl2.gain[-1] if ok.any() else 0.0, gl2.loss[-1] if ok.any() else 0.0)
    )


def test_threshold_rule_uses_greater_or_equal():
    gl = threshold_gain_loss([0.0, 5.0, 0.0, 4.9], 5.0)
    assert gl.gain[-1] == 5.0 and gl.loss[-1] == 5.0


def test_threshold_rejects_bad_threshold():
    with pytest.raises(ValueError):
        threshold_gain_loss([1.0, 2.0], -1.0)


LIVETRAIL = ["grr_2024", "mas_2024", "tdb_2024", "mtr_2024"] + [
    f"templiers_{r}_{y}" for r in ("gtt", "endurance", "integrale") for y in (2023, 2024)
]


@pytest.mark.parametrize("race", LIVETRAIL)
def test_threshold_rule_exact_on_livetrail(realdata, realdata_index, race):
    ed = next(e for e in realdata_index["editions"] if e["id"] == race)
    stats = ed["livetrail_track_stats"]
    p = make_profile(read_gpx(realdata / ed["files"]["gpx"]), gain_threshold=stats["threshold_m"])
    assert round(p.total_gain) == stats["elevation_gain_m"]
    assert round(p.total_loss) == stats["elevation_loss_m"]


# ---------------------------------------------------------------- automatic gain, synthetic truth


# Known misses of the current method, kept visible (strict: they must be fixed, not hidden):
# GPS altitude seed 2: gain -2.6 % but loss -6.2 %, see the benchmark.
_KNOWN_GAIN_MISSES = {("gps", 2)}
_GAIN_MISS_REASON = (
    "GPS altitude, AR(1)-calibrated smoothing: loss -6.2 % (gain -2.5 %); docs/gain.md"
)


@pytest.mark.parametrize(
    ("kind", "seed"),
    [
        pytest.param(
            k,
            s,
            marks=pytest.mark.xfail(
                (k, s) in _KNOWN_GAIN_MISSES, strict=True, reason=_GAIN_MISS_REASON
            ),
        )
        for k in ("planner", "baro", "gps")
        for s in (0, 1, 2)
    ],
)
def test_auto_gain_within_3_percent_of_truth(kind, seed):
    syn = make_track(kind, seed)
    d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
    gl = auto_gain_loss(d, syn.elevation, syn.time)
    assert gl.gain[-1] == pytest.approx(syn.true_gain, rel=0.03), gl.method
    assert gl.loss[-1] == pytest.approx(syn.true_loss, rel=0.03), gl.method
    assert np.all(np.diff(gl.gain) >= 0) and np.all(np.diff(gl.loss) >= 0)
    assert gl.method.startswith("auto:")


# Second, independent synthetic family (tests/synthetic.py, family "b": other terrain, noise
# levels and correlation times drawn per seed). Gain only: several of its courses are long
# monotone climbs whose true loss is < 10 % of the gain, where 3 % of the loss is a few metres.
# Known misses (AR(1)-calibrated smoothing): GPS altitude seed 0 (+10.0 %, 6.3 m noise with 51 s
# correlation: only its rate sd^2/tau is identifiable), seed 1 (-3.9 %, 49 s), seed 3 (+4.9 %).
_KNOWN_FAMILY_B_MISSES = {
    ("gps", 0): "gain +10.0 %: 6.3 m noise with 51 s correlation, only sd^2/tau identifiable",
    ("gps", 1): "gain -3.9 %: 49 s correlation, over-smoothed",
    ("gps", 3): "gain +4.9 %: AR(1)-calibrated sigma too small",
}


@pytest.mark.parametrize(
    ("kind", "seed"),
    [
        pytest.param(
            k,
            s,
            marks=pytest.mark.xfail(
                (k, s) in _KNOWN_FAMILY_B_MISSES,
                strict=True,
                reason="GPS altitude, " + _KNOWN_FAMILY_B_MISSES.get((k, s), "") + "; docs/gain.md",
            ),
        )
        for k in ("planner", "baro", "gps")
        for s in (0, 1, 2, 3)
    ],
)
def test_auto_gain_within_3_percent_second_family(kind, seed):
    syn = make_track(kind, seed, family="b")
    d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
    gl = auto_gain_loss(d, syn.elevation, syn.time)
    assert gl.gain[-1] == pytest.approx(syn.true_gain, rel=0.03), (gl.method, syn.description)


# GPS altitude whose noise decorrelates within 5-10 s (the former 33*noise rule over-smoothed
# these by 10-27 %). Known misses: the calibrated sigma is still a little small (+4 to +7 %).
_KNOWN_SHORT_TAU_MISSES = {
    (5.0, 0): "gain +4.1 %, loss +4.0 %",
    (5.0, 1): "gain +5.8 %",
    (10.0, 0): "gain +3.8 %, loss +3.5 %",
}


@pytest.mark.parametrize(
    ("tau", "seed"),
    [
        pytest.param(
            t,
            s,
            marks=pytest.mark.xfail(
                (t, s) in _KNOWN_SHORT_TAU_MISSES,
                strict=True,
                reason="GPS altitude, short correlation, under-smoothed: "
                + _KNOWN_SHORT_TAU_MISSES.get((t, s), "")
                + "; docs/gain.md",
            ),
        )
        for t in (5.0, 10.0)
        for s in (0, 1, 2)
    ],
)
def test_auto_gain_gps_altitude_short_correlation(tau, seed):
    syn = make_track("gps", seed, ele_tau=tau)
    d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
    gl = auto_gain_loss(d, syn.elevation, syn.time)
    assert gl.gain[-1] == pytest.approx(syn.true_gain, rel=0.03), gl.method
    assert gl.loss[-1] == pytest.approx(syn.true_loss, rel=0.03), gl.method


def test_dense_methods_named_gps_altitude_calibrated_baro_not():
    syn = make_track("gps", 0)
    d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
    m = auto_gain_loss(d, syn.elevation, syn.time).method
    assert "dense" in m and "calibrated:ar1-noise-sim" in m and "tau=" in m and "sd=" in m
    syn = make_track("baro", 0)
    d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
    m = auto_gain_loss(d, syn.elevation, syn.time).method
    assert "dense" in m and "33*noise" in m
    # without times the noise model cannot be fitted in seconds: the empirical rule
    syn = make_track("gps", 0)
    assert "33*noise" in auto_gain_loss(d, syn.elevation).method


def test_ar1_noise_is_the_recursion():
    from coursekit.profile import _ar1_noise

    n, sd, tau = 3000, 2.0, 7.0
    x = _ar1_noise(np.random.default_rng(4), n, sd, tau)
    rng = np.random.default_rng(4)
    phi = np.exp(-1 / tau)
    e = rng.standard_normal(n) * sd * np.sqrt(1 - phi * phi)
    e[0] = rng.standard_normal() * sd
    y = np.empty(n)
    y[0] = e[0]
    for i in range(1, n):
        y[i] = phi * y[i - 1] + e[i]
    np.testing.assert_allclose(x, y, atol=1e-9)
    big = _ar1_noise(np.random.default_rng(5), 400_000, 3.0, 20.0)
    assert big.std() == pytest.approx(3.0, rel=0.05)
    assert np.corrcoef(big[:-20], big[20:])[0, 1] == pytest.approx(np.exp(-1), abs=0.03)


@pytest.mark.parametrize(("sd", "tau"), [(5.0, 5.0), (4.0, 10.0)])
def test_fit_ar1_recovers_short_correlation_over_terrain(sd, tau):
    from coursekit.profile import _ar1_noise, _fit_ar1

    rng = np.random.default_rng(6)
    n = 9000
    d = np.cumsum(np.clip(3 + 0.3 * rng.standard_normal(n), 1, 5))
    terrain = 800 + 300 * np.sin(d / 4000) + 10 * np.sin(2 * np.pi * d / 400)
    e = terrain + _ar1_noise(rng, n, sd, tau) + 0.5 * rng.standard_normal(n)
    fsd, ftau, white = _fit_ar1(d, e, 1.0)
    assert fsd == pytest.approx(sd, rel=0.2) and ftau == pytest.approx(tau, rel=0.35)
    assert white < 1.0


def test_crossing_search_matches_the_ladder_scan():
    from coursekit.profile import _SIGMA_LADDER_M, _first_crossing_bisect

    for root in (2.0, 3.5, 17.0, 40.0, 113.0, 200.0):
        calls = []

        def bias(sg, root=root, calls=calls):
            calls.append(sg)
            return np.log(root / sg)

        for near in (3.0, 30.0, 115.0):
            got = _first_crossing_bisect(_SIGMA_LADDER_M, bias, near)
            want = float(np.clip(root, _SIGMA_LADDER_M[0], _SIGMA_LADDER_M[-1]))
            assert got == pytest.approx(want, rel=1e-9)
        assert len(calls) < 3 * 10


def test_sparse_calibration_adapts_to_noise_and_is_deterministic():
    rng = np.random.default_rng(5)
    d = np.cumsum(rng.uniform(10, 40, 1000))
    terrain = 600 + 10 * np.sin(2 * np.pi * d / 400) + 300 * np.sin(2 * np.pi * d / 9000)
    sig = {}
    for s in (0.5, 3.0):
        e = terrain + rng.normal(0, s, d.size)
        a = auto_gain_loss(d, e)
        b = auto_gain_loss(d, e)
        assert a.method == b.method and a.gain[-1] == b.gain[-1]
        assert "calibrated" in a.method and "sparse" in a.method
        sig[s] = float(a.method.split("+gauss")[1].split("m(")[0])
    assert sig[3.0] > 1.5 * sig[0.5]


def test_box_resample_is_the_exact_cell_mean_of_the_polyline():
    """Cell means of a sparse piecewise-linear profile, against a fine numerical average.

    A linear interpolation of the cumulative integral (the code before this test) returns
    each segment's mean inside the segment: a staircase that never reaches a vertex."""
    from coursekit.profile import _box_resample

    rng = np.random.default_rng(3)
    d = np.concatenate([[0.0], np.cumsum(rng.uniform(8, 45, 300))])
    d[50] = d[49]  # a duplicate distance (zero-length segment) is allowed
    e = rng.uniform(0, 30, d.size)
    grid, mean = _box_resample(d, e, 5.0)
    fine = np.linspace(0, d[-1], 400_001)
    ef = np.interp(fine, d, e)
    for g, m in zip(grid[1:-1:37], mean[1:-1:37], strict=True):
        cell = (fine >= g - 2.5) & (fine <= g + 2.5)
        assert m == pytest.approx(ef[cell].mean(), abs=0.02)


def test_noise_of_irregularly_spaced_points():
    """Sparse tracks: the noise estimate cancels linear terrain whatever the spacing (plain
    second differences read 1.1 m of noise off a noise-free 25 % ramp sampled every 10-40 m)
    and recovers white noise of known std on rolling terrain."""
    from coursekit.profile import _spaced_point_noise

    rng = np.random.default_rng(8)
    d = np.concatenate([[0.0], np.cumsum(rng.uniform(10, 40, 2000))])
    assert _spaced_point_noise(d, 300 + 0.25 * d) < 1e-9
    terrain = 300 + 0.1 * d + 8 * np.sin(2 * np.pi * d / 900)
    for s in (0.7, 1.5, 3.0):
        e = terrain + rng.normal(0, s, d.size)
        # the 2 % trimming of the largest residuals takes 6.6 % off a Gaussian's RMS
        assert _spaced_point_noise(d, e) == pytest.approx(0.934 * s, rel=0.06)


def test_auto_gain_keeps_steep_rollers_of_a_sparse_track():
    """Noise-free planner-like track, 10 m rollers of 250 m wavelength (25 % grades) on a climb,
    points 10-40 m apart: the automatic gain stays within 3 % of the polyline's own gain
    (-1.5 %; it was -5.2 % when the 5 m resampling was a staircase of segment means)."""
    rng = np.random.default_rng(11)
    d = np.concatenate([[0.0], np.cumsum(rng.uniform(10, 40, 800))])
    e = 500 + 0.02 * d + 10 * np.sin(2 * np.pi * d / 250)
    rises = np.diff(e)
    gl = auto_gain_loss(d, e)
    assert gl.gain[-1] == pytest.approx(rises[rises > 0].sum(), rel=0.03), gl.method


def test_rollers_matter_in_the_synthetic_truth():
    """The fixtures are meant to fail a method that flattens 10 m hills."""
    syn = make_track("planner", 0)
    assert syn.roller_gain > 0.3 * syn.true_gain


def test_auto_gain_flat_and_missing():
    d = np.linspace(0, 10_000, 2001)
    gl = auto_gain_loss(d, np.full(d.size, 100.0))
    assert gl.gain[-1] == 0 and gl.loss[-1] == 0
    gl = auto_gain_loss(d, np.full(d.size, np.nan))
    assert gl.gain[-1] == 0 and gl.method == "auto:no-elevation"


@pytest.mark.parametrize(
    ("distance", "elevation"),
    [
        ([0.0, 10.0], [100.0, 101.0]),  # the report: 0.75 m of gain
        ([0.0, 3.0], [100.0, 101.0]),  # shorter than one 5 m cell
        ([0.0, 12.5], [100.0, 101.0]),
        ([0.0, 4.0, 10.0], [100.0, 100.4, 101.0]),
        ([0.0, 1000.0], [500.0, 900.0]),
    ],
)
def test_auto_gain_of_a_straight_ramp_is_its_rise(distance, elevation):
    """The half cells at both ends of the 5 m resampling held the altitude a quarter of a
    cell inside the ends: a 10 m ramp rising 1 m had 0.75 m of gain."""
    gl = auto_gain_loss(np.array(distance), np.array(elevation))
    assert gl.gain[-1] == pytest.approx(elevation[-1] - elevation[0], abs=1e-9), gl.method
    assert gl.loss[-1] == pytest.approx(0.0, abs=1e-9)


def _spacing(draw, length, n):
    kind = draw(st.sampled_from(["even", "uniform", "clustered"]))
    if n == 2 or kind == "even":
        return np.linspace(0.0, length, n)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "uniform":
        inner = np.sort(rng.uniform(0.0, length, n - 2))
        return np.concatenate([[0.0], inner, [length]])
    steps = rng.exponential(1.0, n - 1) ** 2  # many tiny steps and a few long ones
    return np.concatenate([[0.0], np.cumsum(steps)]) * (length / steps.sum())


@st.composite
def ramps(draw):
    length = draw(st.floats(3.0, 20_000.0))
    n = draw(st.integers(2, 600))
    d = _spacing(draw, length, n)
    grade = draw(st.floats(-0.45, 0.45))
    return d, draw(st.floats(-400.0, 4800.0)) + grade * d


@settings(max_examples=150, deadline=None)
@given(ramps())
# denormal rises: the cumulative gain went down by a rounding step (gain 1.04e-322, 9.88e-323)
@example((np.linspace(0.0, 1000.0, 200), 5e-324 * np.linspace(0.0, 1000.0, 200)))
def test_auto_gain_of_any_noise_free_ramp_is_its_rise(ramp):
    """Any length from 3 m, any spacing (even, random, clustered: the dense path reads
    uneven spacing on a slope as noise and smooths up to 60 m), any grade: gain is the rise,
    loss the drop. The Gaussian smoothing extended the ends flat ("nearest"), so it also
    bent the ends of a ramp by ~0.4 sigma x grade each (a 177 m ramp rising 67.5 m: 54.6 m)."""
    d, e = ramp
    gl = auto_gain_loss(d, e)
    rise = float(e[-1] - e[0])
    tol = 1e-6 * max(1.0, abs(rise))
    assert gl.gain[-1] == pytest.approx(max(rise, 0.0), abs=tol), gl.method
    assert gl.loss[-1] == pytest.approx(max(-rise, 0.0), abs=tol), gl.method
    assert np.all(np.diff(gl.gain) >= 0) and np.all(np.diff(gl.loss) >= 0)


@pytest.mark.parametrize(
    ("distance", "elevation", "method"),
    [
        ([0.0], [1000.0], "auto:zero-length"),
        ([0.0, 0.0, 0.0], [1000.0, 1004.0, np.nan], "auto:zero-length"),  # points at one place
        ([0.0], [np.nan], "auto:no-elevation"),
        ([0.0, 0.0], [np.nan, np.nan], "auto:no-elevation"),
        ([0.0, 100.0], [np.nan, np.nan], "auto:no-elevation"),
    ],
)
def test_auto_gain_without_length_says_so(distance, elevation, method):
    """A track with elevations but no length was labelled ``auto:no-elevation``."""
    gl = auto_gain_loss(np.array(distance), np.array(elevation))
    assert gl.method == method
    assert np.all(gl.gain == 0) and np.all(gl.loss == 0) and gl.gain.size == len(distance)


def test_profile_of_a_one_point_gpx_with_elevation_names_the_method(tmp_path):
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    write_gpx(tmp_path / "one.gpx", [45.0], [6.0], [1000.0], name="one")
    res = CliRunner().invoke(cli, ["profile", str(tmp_path / "one.gpx"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"gain_method": "auto:zero-length"' in res.output, res.output


def test_auto_gain_single_climb_exact():
    d = np.linspace(0, 5000, 501)
    e = 500 + 300 * 0.5 * (1 - np.cos(np.pi * d / 5000))
    gl = auto_gain_loss(d, e)
    assert gl.gain[-1] == pytest.approx(300, abs=1.0) and gl.loss[-1] < 1.0


# ---------------------------------------------------------------- distance


@pytest.mark.parametrize(("seed", "xy_tau"), [(s, t) for s in (0, 1, 2) for t in (3.0, 10.0, 30.0)])
def test_distance_within_1_percent_on_noisy_recordings(seed, xy_tau):
    syn = make_track("gps", seed, xy_tau=xy_tau)
    raw = segment_lengths(syn.lat, syn.lon).sum()
    assert raw > 1.05 * syn.true_distance  # the jitter really inflates the length
    d, method = denoise_distance(syn.lat, syn.lon, syn.time)
    assert d[-1] == pytest.approx(syn.true_distance, rel=0.01), method
    assert "jitter-filter" in method
    assert d.size == syn.lat.size and np.all(np.diff(d) >= 0)


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_distance_within_1_percent_second_family(seed):
    """Family b: speed 1.5-5 m/s per seed (seeds 2 and 5 run at ~5 m/s, where a cut-off fixed
    in cycles per sample cut the switchbacks: -4.3 and -4.6 %)."""
    syn = make_track("baro", seed, family="b")
    d, method = denoise_distance(syn.lat, syn.lon, syn.time)
    assert d[-1] == pytest.approx(syn.true_distance, rel=0.01), (method, syn.description)
    assert "step=" in method


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_distance_ignores_stops_at_aid_stations(seed, monkeypatch):
    """A watch left recording at aid stations (2 + 4 + 3 min standing still, 3 m of GPS
    jitter): the jitter's wander while stopped is not course (+220 to +240 m on these
    seeds, +0.9 to +1.2 %, when it was counted)."""
    base = make_track("baro", seed)
    syn = with_stops(base, [(0.2, 120), (0.5, 240), (0.8, 180)], seed=seed)
    d, method = denoise_distance(syn.lat, syn.lon, syn.time)
    assert d[-1] == pytest.approx(syn.true_distance, rel=0.01), method
    stopped = float(method.split("stops=")[1].split("s")[0])
    assert 0.5 * 540 < stopped <= 540, method
    # one missing time (a watch glitch) does not switch the detection off
    t_gap = syn.time.copy()
    t_gap[syn.time.size // 3] = np.nan
    assert "stops=" in denoise_distance(syn.lat, syn.lon, t_gap)[1]
    # what the stops add to the same recording without them, with and without detection
    d0 = denoise_distance(base.lat, base.lon, base.time)[0][-1]
    monkeypatch.setattr(profile_module, "_STOP_WINDOW_S", 0.0)
    d_all, method_all = denoise_distance(syn.lat, syn.lon, syn.time)
    assert "stops=" not in method_all
    assert abs(d[-1] - d0) < 0.5 * (d_all[-1] - d0)


def _switchbacks(speed, *, leg=60.0, radius=7.0, legs=10, seed=3):
    """A zigzag climb walked at ``speed`` [m/s] (legs ``leg`` m, hairpins of ``radius``,
    so legs 2 x radius apart), 1 Hz, AR(1) GPS jitter 3 m / 10 s per axis: lat, lon, t, length."""
    from synthetic import _ar1

    rng = np.random.default_rng(seed)
    per = leg + np.pi * radius
    one = np.concatenate(
        [np.linspace(0, leg, 121), leg + np.pi * radius * np.linspace(0, 1, 21)[1:]]
    )
    s = np.concatenate([one + k * per for k in range(legs)])
    k = (s // per).astype(int)
    u = s - k * per
    ang = np.clip((u - leg) / radius, 0, np.pi)
    x = np.where(u <= leg, u, leg + radius * np.sin(ang))
    x = np.where(k % 2 == 1, leg - x, x)
    y = np.where(u <= leg, 0.0, radius - radius * np.cos(ang)) + 2 * radius * k
    n = int(s[-1] / speed)
    at = np.linspace(0, s[-1], n)
    px = np.interp(at, s, x) + _ar1(rng, n, 3.0, 10.0)
    py = np.interp(at, s, y) + _ar1(rng, n, 3.0, 10.0)
    lat = 45.9 + py / 111_320.0
    lon = 6.87 + px / (111_320.0 * np.cos(np.radians(45.9)))
    return lat, lon, 1.7e9 + np.arange(n, dtype=float), float(s[-1])


@pytest.mark.parametrize("speed", [0.3, 0.5, 1.0])
def test_slow_switchbacks_are_not_a_stop(speed):
    """Hiking up switchbacks at 0.3-1 m/s: the runner comes back near where he was two
    minutes before but never stays inside 15 m."""
    lat, lon, t, length = _switchbacks(speed)
    d, method = denoise_distance(lat, lon, t)
    assert "stops=" not in method, method
    assert d[-1] == pytest.approx(length, rel=0.06)


@pytest.mark.parametrize("speed", [0.15, 0.2])
def test_a_very_slow_walk_taken_as_stops_keeps_its_length(speed, monkeypatch):
    """At 0.15-0.2 m/s with 3 m of jitter a walker can look stopped (41 of 91 and 5 of 68
    minutes here): each such stretch keeps the straight line across it, so the length does
    not collapse (without that bridge: -97 % and -69 %)."""
    lat, lon, t, length = _switchbacks(speed)
    d, method = denoise_distance(lat, lon, t)
    assert "stops=" in method
    monkeypatch.setattr(profile_module, "_STOP_WINDOW_S", 0.0)
    d_all, _ = denoise_distance(lat, lon, t)
    assert d[-1] > 0.75 * d_all[-1] and d[-1] > 0.85 * length


@pytest.mark.parametrize("hz", [2, 5])
def test_stop_window_is_in_seconds_at_any_rate(hz):
    """A 2 Hz or 5 Hz recording of a walk at 0.6 m/s has no stop: the window is 120 s, not
    120 samples (it was 24 s at 5 Hz: 1,080 m measured as 140 m)."""
    from synthetic import _ar1

    rng = np.random.default_rng(2)
    n = int(1080 / 0.6 * hz)
    x = np.linspace(0, 1080, n) + _ar1(rng, n, 3.0, 10.0 * hz)
    y = _ar1(rng, n, 3.0, 10.0 * hz)
    lat = 45.9 + y / 111_320.0
    lon = 6.87 + x / (111_320.0 * np.cos(np.radians(45.9)))
    d, method = denoise_distance(lat, lon, 1.7e9 + np.arange(n) / hz)
    assert "stops=" not in method, method


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_distance_unchanged_on_clean_planner(seed):
    syn = make_track("planner", seed)
    raw = segment_lengths(syn.lat, syn.lon).sum()
    d, method = denoise_distance(syn.lat, syn.lon, syn.time)
    assert abs(d[-1] / raw - 1) <= 1e-4 and method == "ellipsoidal"


def test_distance_raw_is_exact_sum():
    syn = make_track("gps", 0)
    d, method = denoise_distance(syn.lat, syn.lon, syn.time, method="raw")
    assert d[-1] == pytest.approx(segment_lengths(syn.lat, syn.lon).sum(), rel=1e-12)
    assert method == "ellipsoidal"
    with pytest.raises(ValueError, match="raw"):
        denoise_distance(syn.lat, syn.lon, method="smooth")


# ---------------------------------------------------------------- real files (honest tolerances)


@pytest.mark.parametrize(
    ("name", "official", "rel"),
    [
        ("utmb_2023_tracedetrail_noisy.gpx", 10_040, 0.10),
        ("templiers_gtt_2025_tracedetrail.gpx", 3_436, 0.10),
        ("ccc_2024_strava_recording.gpx", 6_000, 0.10),
    ],
)
def test_auto_gain_real_files(realdata, name, official, rel):
    p = make_profile(read_gpx(realdata / name))
    assert p.total_gain == pytest.approx(official, rel=rel), p.gain_method


def test_tor330_and_marathon(realdata):
    p = make_profile(read_gpx(realdata / "tor330_2025_full_dem.gpx"))
    assert 24_000 <= p.total_gain <= 29_500
    p = make_profile(read_gpx(realdata / "marathon_tours_2022_recording.gpx"))
    assert p.total_gain < 150
    assert p.total_distance == pytest.approx(42_195, rel=0.01)


# ---------------------------------------------------------------- stats helpers


def test_km_effort_and_itra_bands():
    """ITRA bands on the km-effort rounded to the nearest whole number (ITRA's classification:
    "65 km and 3500 m ascent -> 65 + 35 = 100", categories XXS 0-24 ... XXL >= 210)."""
    assert km_effort(80_000, 3_500) == pytest.approx(115.0)
    ks = (0, 24.4, 24.5, 44.4, 44.5, 74.5, 114.5, 154.5, 209.4, 209.5, 210)
    assert [itra_points(k) for k in ks] == [0, 0, 1, 1, 2, 3, 4, 5, 5, 6, 6]


def _synthetic_profile():
    syn = make_track("planner", 3)
    t = Track(
        lat=syn.lat,
        lon=syn.lon,
        elevation=syn.elevation,
        time=syn.time,
        segment=np.zeros(syn.lat.size, int),
    )
    return make_profile(t)


def test_splits_add_up():
    p = _synthetic_profile()
    sp = splits(p, 1000.0)
    assert sp.gain_m.sum() == pytest.approx(p.total_gain)
    assert sp.loss_m.sum() == pytest.approx(p.total_loss)
    assert sp.end_m[-1] == pytest.approx(p.total_distance)
    assert np.all(sp.end_m - sp.start_m <= 1000.0 + 1e-9)
    with pytest.raises(ValueError):
        splits(p, 0)


def test_steepest_km_starting_between_points():
    # a gentle 5 % climb, a 30 % wall, then flat: the steepest km ends at the top of the
    # wall and starts between two points (km 1.5 -> 2.5: 175 m); starts only at the
    # points found 150 m (km 2 -> 3)
    from coursekit.profile import _steepest

    d = np.array([0.0, 2000.0, 2500.0, 4000.0])
    e = np.array([0.0, 100.0, 250.0, 250.0])
    up, up_at, down, down_at = _steepest(d, e)
    assert up == pytest.approx(0.175) and up_at == pytest.approx(1500.0)
    up, up_at, down, down_at = _steepest(d, -e)
    assert down == pytest.approx(-0.175) and down_at == pytest.approx(1500.0)


def test_course_stats_steepest():
    p = _synthetic_profile()
    s = course_stats(p)
    assert s.steepest_up_grade > 0 > s.steepest_down_grade
    e0, _, _ = p.at([s.steepest_up_at_m, s.steepest_up_at_m + 1000])
    assert (e0[1] - e0[0]) / 1000 == pytest.approx(s.steepest_up_grade, abs=1e-9)
    assert s.gain_method == p.gain_method and s.points == p.track.lat.size


def test_slope_distance_synthetic():
    d = np.array([0, 100, 200, 300.0])
    e = np.array([0, 100, 100, 100.0])
    s = slope_distance(d, e, threshold=5)
    assert s[-1] == pytest.approx(np.hypot(100, 100) + 200)
    assert s[1] == pytest.approx(np.hypot(100, 100))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_along_course_distance_of_a_gps_altitude_recording(seed):
    """1 Hz recording, GPS altitude (AR(1) 5 m, 20 s, plus 0.5 m white) over hills with
    10 m rollers; no horizontal noise, so the map length is exact. The slope part of
    the length (3D - 2D) must be the terrain's, not the noise's: with grades over 30 m
    it came out 1.41-1.43 times too long here (1.7-3.8 on steadier terrain), over the
    gain's smoothing scale (Profile.grade_window, 90-128 m) 1.01-1.09 times."""
    rng = np.random.default_rng(seed)
    v, n = 3.0, 7000
    s = np.arange(n) * v
    z = 1200.0 + 180.0 * np.sin(2 * np.pi * s / 5200.0) + 5.0 * np.sin(2 * np.pi * s / 260.0)
    phi = np.exp(-1.0 / 20.0)
    noise = np.empty(n)
    noise[0] = rng.normal(0.0, 5.0)
    shocks = rng.normal(0.0, 5.0 * np.sqrt(1 - phi * phi), n)
    for i in range(1, n):
        noise[i] = phi * noise[i - 1] + shocks[i]
    e = z + noise + rng.normal(0.0, 0.5, n)
    track = Track(
        45.0 + s / 111_195.0, np.full(n, 6.0), e, np.arange(n, dtype=float), np.zeros(n, int)
    )
    prof = make_profile(track)
    fine = np.linspace(0.0, s[-1], 40 * n)
    zf = 1200.0 + 180.0 * np.sin(2 * np.pi * fine / 5200.0) + 5.0 * np.sin(2 * np.pi * fine / 260.0)
    true_excess = np.sum(np.hypot(np.diff(fine), np.diff(zf))) - fine[-1]
    excess = along_course_distance(prof)[-1] - prof.total_distance
    assert prof.grade_window > 60.0
    assert 0.85 < excess / true_excess < 1.25


def test_along_course_distance_on_a_ramp_ignores_altitude_noise():
    # a straight 12 % ramp, points every 10 m: the slope length is d * sqrt(1 + g^2);
    # 1.5 m of white altitude noise must not lengthen it (a point-to-point 3D sum would)
    d = np.arange(0.0, 3000.0 + 1, 10.0)
    e = 500.0 + 0.12 * d + np.random.default_rng(3).normal(0.0, 1.5, d.size)
    n = d.size
    track = Track(45.0 + d / 111_000.0, np.full(n, 6.0), e, np.full(n, np.nan), np.zeros(n, int))
    prof = make_profile(track)
    along = along_course_distance(prof)
    truth = prof.total_distance * np.sqrt(1.0 + 0.12**2)
    assert along[-1] == pytest.approx(truth, rel=1e-3)  # +0.06 % measured (30 m window)
    naive = np.sum(np.hypot(np.diff(prof.distance), np.diff(e)))
    assert naive - truth > 10 * abs(along[-1] - truth)
    assert np.all(np.diff(along) >= 0)
    np.testing.assert_array_equal(along_course_distance(prof, slope=False), prof.distance)


# ---------------------------------------------------------------- h20 black-box findings


def _line_track(ele, step_m=10.0, time=None):
    """A straight track due north, ``step_m`` apart, with the given elevations."""
    ele = np.asarray(ele, float)
    n = ele.size
    lat = 45.0 + np.arange(n) * step_m / 111_150.0
    return Track(
        lat=lat,
        lon=np.full(n, 6.0),
        elevation=ele,
        time=np.full(n, np.nan) if time is None else np.asarray(time, float),
        segment=np.zeros(n, np.int64),
    )


def _climb_with_dropouts(n=1001, idx=(100, 300, 500, 700, 900)):
    ele = np.linspace(2000.0, 2500.0, n)
    ele[list(idx)] = 0.0
    return ele


@pytest.mark.parametrize("threshold", [None, 5.0])
def test_zero_dropouts_are_missing_elevation_not_climbing(threshold):
    """Five <ele>0</ele> on a 2000->2500 m climb gave D+ 7885 m; they are missing now."""
    p = make_profile(_line_track(_climb_with_dropouts()), gain_threshold=threshold)
    st = course_stats(p)
    assert p.dropouts == 5
    # (the threshold rule loses up to its threshold at the top, as on any climb)
    tol = threshold or 1
    assert st.gain_m == pytest.approx(500, abs=tol) and st.loss_m == pytest.approx(0, abs=1)
    assert st.min_elevation_m == pytest.approx(2000) and st.km_effort < 16
    assert np.isnan(st.steepest_down_grade)
    assert any("5 points at exactly 0 m" in w and "dropouts" in w for w in st.warnings)
    assert not any("spike" in w for w in st.warnings)


def test_zero_dropout_rule_keeps_terrain():
    """Only exactly-0 points far from 0 are dropouts: a real spike, a sea-level start
    (neighbours a few metres from 0) and a 0 next to a 30 m point are kept."""
    ele = np.linspace(2000.0, 2500.0, 101)
    ele[50] = 2400.0  # a spike, but real data: not 0
    c = profile_module.clean_elevation(ele)
    assert c.dropouts == 0 and np.array_equal(c.elevation, ele)
    coast = np.concatenate([[0.0, 0.0, 2.0, 5.0, 0.0, 8.0], np.linspace(10, 500, 50)])
    c = profile_module.clean_elevation(coast)
    assert c.dropouts == 0 and np.array_equal(c.elevation, coast)
    c = profile_module.clean_elevation([100.0, 0.0, 30.0, 60.0])
    assert c.dropouts == 0
    # a run of zeros, and zeros at the end with NaN between, are dropouts
    c = profile_module.clean_elevation([1000.0, 0.0, 0.0, 1010.0, np.nan, 0.0, 0.0])
    assert c.dropouts == 4 and np.isnan(c.elevation[[1, 2, 5, 6]]).all()
    assert c.elevation[0] == 1000.0 and c.elevation[3] == 1010.0


def test_all_zero_elevation_is_no_elevation():
    """A file at 0 m everywhere (no altitude recorded) gave D+ 0 m and no warning: it is
    now handled as a file without <ele> (gain unknown) and says why."""
    p = make_profile(_line_track(np.zeros(200)))
    st = course_stats(p)
    assert p.all_zero and not p.has_elevation
    assert np.isnan(st.gain_m) and np.isnan(st.min_elevation_m)
    assert any("0 m at every point" in w for w in st.warnings)
    for th in (None, 10.0):
        assert np.isnan(
            course_stats(make_profile(_line_track(np.zeros(200)), gain_threshold=th)).gain_m
        )


def test_steepest_down_is_none_on_a_pure_climb():
    """The "down" km was the least steep km even when it climbed (+10 %)."""
    up = course_stats(make_profile(_line_track(np.linspace(0, 200, 201), step_m=10.0)))
    assert up.steepest_up_grade == pytest.approx(0.1, abs=1e-3)
    assert np.isnan(up.steepest_down_grade) and np.isnan(up.steepest_down_at_m)
    down = course_stats(make_profile(_line_track(np.linspace(200, 0, 201), step_m=10.0)))
    assert down.steepest_down_grade == pytest.approx(-0.1, abs=1e-3)
    assert np.isnan(down.steepest_up_grade) and np.isnan(down.steepest_up_at_m)
    flat = course_stats(make_profile(_line_track(np.full(201, 300.0), step_m=10.0)))
    assert np.isnan(flat.steepest_up_grade) and np.isnan(flat.steepest_down_grade)


def test_splits_no_zero_length_last_split():
    """A length 4e-8 m over a whole number of splits made a 20.0-20.0 km split."""
    p = make_profile(_line_track(np.linspace(500, 1500, 201), step_m=100.0))
    p2 = profile_module.Profile(
        track=p.track,
        distance=p.distance * (20000.00000004 / p.distance[-1]),
        elevation=p.elevation,
        gain=p.gain,
        loss=p.loss,
        gain_method=p.gain_method,
        distance_method=p.distance_method,
    )
    sp = splits(p2, 1000.0)
    assert sp.start_m.size == 20 and sp.start_m[-1] == 19000.0
    assert sp.end_m[-1] == pytest.approx(20000.0)
    # a real short last split is kept
    assert splits(p2, 3000.0).start_m.size == 7


def test_itra_points_use_the_km_effort_itra_rounds():
    """ITRA rounds the km-effort to the nearest whole number before its bands."""
    assert profile_module.itra_km_effort(74.95) == 75 and itra_points(74.95) == 3
    assert profile_module.itra_km_effort(74.4) == 74 and itra_points(74.4) == 2
    assert profile_module.itra_km_effort(74.5) == 75 and itra_points(74.5) == 3


def test_itra_counts_the_published_figures():
    """ITRA is given the distance and D+ an organiser publishes: 70 km and a 449.6 m climb
    are published as 70.00 km and 450 m, 74.50 km-effort, 75, 3 points. The unrounded sum,
    74.496, rounded to 74: 2 points, next to a printed 74.5."""
    pub = profile_module.published_km_effort
    assert itra_points(km_effort(70_000.0, 449.6)) == 2
    assert pub(70_000.0, 449.6) == 74.5 and itra_points(pub(70_000.0, 449.6)) == 3
    # the distance is published to 0.01 km: 69.996 km is 70.00 km
    assert pub(69_996.0, 450.3) == 74.5 and itra_points(pub(69_996.0, 450.3)) == 3
    assert pub(70_004.0, 445.4) == 74.45 and itra_points(pub(70_004.0, 445.4)) == 2
    assert pub(24_499.0, 0.4) == 24.5 and itra_points(pub(24_499.0, 0.4)) == 1


@settings(max_examples=300, deadline=None)
@given(
    d=st.floats(0.0, 400_000.0, allow_nan=False),
    g=st.floats(0.0, 30_000.0, allow_nan=False),
)
@example(d=70_000.0, g=449.6)
@example(d=114_995.0, g=4.6)
def test_published_km_effort_is_the_printed_figures_sum(d, g):
    """The km-effort is the printed km (2 decimals) + the printed D+ (metres) / 100, exactly,
    and ITRA's whole number is that sum rounded half up."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(f"{d / 1000:.2f}") + Decimal(f"{g:.0f}") / 100
    kme = profile_module.published_km_effort(d, g)
    assert f"{kme:.2f}" == f"{exact:.2f}"
    assert profile_module.itra_km_effort(kme) == int(exact.quantize(0, rounding=ROUND_HALF_UP))


def test_course_stats_classify_the_published_figures(tmp_path):
    """`course_stats` gives the published km-effort and its points at a band edge."""
    from coursekit.gpx import write_gpx

    lat = 45.0 + np.arange(71) * 1000.0 / 111_140.0  # 69,998.7 m due north
    ele = 1000.0 + 449.6 * np.arange(71) / 70
    write_gpx(tmp_path / "edge.gpx", lat, np.full(71, 6.0), ele, name="edge")
    p = make_profile(read_gpx(tmp_path / "edge.gpx"), gain_threshold=1.0)
    s = course_stats(p)
    assert f"{s.distance_m / 1000:.2f}" == "70.00" and round(s.gain_m) == 450
    assert s.km_effort == 74.5 and s.itra_points == 3


def test_threshold_warns_when_small_against_the_noise():
    """--gain-threshold 10 on altitude with ~6.5 m of noise counted 2.5x the D+ silently.
    The figure stays the threshold rule's; a warning names the noise."""
    rng = np.random.default_rng(1)
    ele = np.linspace(1000, 1500, 2001) + rng.normal(0, 6.5, 2001)
    p = make_profile(_line_track(ele, step_m=15.0), gain_threshold=10.0)
    assert p.elevation_noise == pytest.approx(6.5, rel=0.15)
    assert p.total_gain == threshold_gain_loss(ele, 10.0).gain[-1]  # unchanged
    st = course_stats(p)
    assert any("elevation noise about" in w and "10 m threshold" in w for w in st.warnings)
    # a threshold well above the noise, or the automatic method: no warning
    quiet = course_stats(make_profile(_line_track(ele, step_m=15.0), gain_threshold=20.0))
    assert not any("elevation noise" in w for w in quiet.warnings)
    auto = course_stats(make_profile(_line_track(ele, step_m=15.0)))
    assert not any("elevation noise" in w for w in auto.warnings)


@pytest.mark.parametrize("race", LIVETRAIL)
def test_threshold_noise_warning_silent_on_livetrail(realdata, realdata_index, race):
    """The providers' own thresholds (2.1-10 times the noise) are not warned about."""
    ed = next(e for e in realdata_index["editions"] if e["id"] == race)
    th = ed["livetrail_track_stats"]["threshold_m"]
    p = make_profile(read_gpx(realdata / ed["files"]["gpx"]), gain_threshold=th)
    assert profile_module.threshold_noise_warning(p) is None
    assert p.dropouts == 0


def test_threshold_noise_warning_on_utmb_noisy_export(realdata):
    p = make_profile(read_gpx(realdata / "utmb_2023_tracedetrail_noisy.gpx"), gain_threshold=10)
    assert round(p.total_gain) == 25682  # the rule's figure, unchanged
    assert "about 6.5 m against a 10 m threshold" in profile_module.threshold_noise_warning(p)


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("threshold:10m", "threshold 10 m"),
        ("threshold:6.5m", "threshold 6.5 m"),
        (
            "auto:noise=6.48m,sparse,box5m+gauss37.3m(calibrated:white-noise-sim,2x2draws,"
            "seed0)+zigzag2.0m",
            "automatic (noise 6.5 m)",
        ),
        ("auto:no-elevation", "automatic (no elevation)"),
        (
            "threshold:6m, scaled gain x1.0100 loss x0.9900 to 'x'",
            "threshold 6 m, scaled gain x1.0100 loss x0.9900 to 'x'",
        ),
        ("something else", "something else"),
    ],
)
def test_gain_method_label(method, label):
    assert profile_module.gain_method_label(method) == label


@pytest.mark.parametrize("n", [60, 997, 100_003])
@pytest.mark.parametrize("fc", [0.03, 0.1, 0.25])
def test_zero_phase_lowpass_has_its_response_away_from_the_ends(n, fc):
    """Sines through the jitter filter come out with gain 1 / (1 + (f/fc)^4) and no phase
    shift, whatever the length (prime, or short: the end padding is clamped)."""
    from coursekit.profile import _zero_phase_lowpass

    i = np.arange(n, dtype=float)
    freqs = [fc / 4, fc / 2, fc, 1.5 * fc]
    rows = np.array([np.sin(2 * np.pi * f * i + 0.3) for f in freqs])
    out = _zero_phase_lowpass(rows, fc)
    keep = slice(int(12 / fc), n - int(12 / fc))
    if keep.start >= keep.stop:  # too short for an interior: the shape and finiteness
        assert out.shape == rows.shape and np.isfinite(out).all()
        return
    for row, got, f in zip(rows, out, freqs, strict=True):
        gain = 1.0 / (1.0 + (f / fc) ** 4)
        np.testing.assert_allclose(got[keep], gain * row[keep], atol=1e-5)  # measured <= 4e-6


def test_box_cells_keep_the_grid_they_are_given():
    """The calibration resamples its simulated profiles on the profile's own grid: given
    that grid's spacing as the step, the size is recomputed one cell more on some lengths
    (30.07 m at 5 m: 30.07 / h = 7 + 1e-16), so the size is passed with it."""
    from coursekit.profile import _BoxCells

    d = np.linspace(0.0, 30.07, 40)
    own = _BoxCells(d, 5.0)
    h = own.grid[1] - own.grid[0]
    assert _BoxCells(d, h).grid.size == own.grid.size + 1  # the rounding this guards against
    again = _BoxCells(d, h, own.grid.size)
    np.testing.assert_array_equal(again.grid, own.grid)
    e = np.sin(d)
    np.testing.assert_array_equal(again.mean(e), own.mean(e))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_a_track_with_no_length_is_warned_of(n):
    """K14 (twenty-third review): one point, or points all at one position, measured 0 km
    with no warning (only "N duplicate consecutive points" for the second); a course file on
    it fails later. A track with some length keeps the duplicate-points warning."""
    z = np.full(n, 1000.0)
    still = Track(np.full(n, 45.0), np.full(n, 6.0), z, np.full(n, np.nan), np.zeros(n, int))
    st = course_stats(make_profile(still))
    assert st.distance_m == 0
    assert [w for w in st.warnings if "no course to measure (distance 0)" in w]
    assert not [w for w in st.warnings if "duplicate consecutive" in w]
    lat = np.array([45.0, 45.0, 45.001, 45.002])
    moving = Track(lat, np.full(4, 6.0), np.full(4, 1000.0), np.full(4, np.nan), np.zeros(4, int))
    w = course_stats(make_profile(moving)).warnings
    assert "1 duplicate consecutive point" in w and not [x for x in w if "no course" in x]


@pytest.mark.parametrize("with_segments", [True, False])
def test_jitter_filter_does_not_run_across_a_gap(with_segments):
    """h75 G1: a 1 Hz recording whose second half is 5 km away (a new segment after a
    shuttle, or a glitch): the gap counts once, as the straight line of the jump, and the
    distances before it do not move (the filter across it added ~13 % of the gap and moved
    the last point before it from km 3.0 to km 5.4)."""
    syn = make_track("baro", 0, length=8_000.0)
    k = syn.lat.size // 2
    d0, how = denoise_distance(syn.lat, syn.lon, syn.time)
    assert "jitter-filter" in how  # the case under test: a filtered recording
    lat = syn.lat.copy()
    lat[k + 1 :] += 0.045  # ~5 km north
    seg = np.repeat([0, 1], [k + 1, lat.size - k - 1]) if with_segments else None
    d, how = denoise_distance(lat, syn.lon, syn.time, segment=seg)
    assert "jitter-filter" in how
    old = segment_lengths(syn.lat[k : k + 2], syn.lon[k : k + 2])[0]
    jump = segment_lengths(lat[k : k + 2], syn.lon[k : k + 2])[0]
    assert jump > 4_900
    assert d[k + 1] - d[k] == pytest.approx(jump, rel=1e-9)  # the straight line, once
    assert d[k] == pytest.approx(d0[k], rel=0.003)  # the km before the gap stay put
    assert d[-1] == pytest.approx(d0[-1] - old + jump, rel=0.003)


def test_jump_warning_names_the_km_of_the_largest_jump():
    """h75 G4: the warning gave the size of the largest jump and the km of the first."""
    # 100 m steps due north, a 3 km jump at km 2 and a 6 km jump at km 7
    north = np.concatenate([np.arange(21) * 100.0, 5_000 + np.arange(21) * 100.0])
    north = np.concatenate([north, 13_000 + np.arange(21) * 100.0])
    lat = 45.0 + north / 111_132.0
    n = lat.size
    tr = Track(lat, np.full(n, 6.0), np.full(n, 500.0), np.full(n, np.nan), np.zeros(n, int))
    warn = [w for w in data_warnings(tr) if "jump" in w]
    steps = segment_lengths(lat, np.full(n, 6.0))
    d = np.concatenate([[0.0], np.cumsum(steps)])
    assert len(warn) == 1 and warn[0].startswith("2 jump(s) over ")
    assert steps[41] > 5_900 and steps[20] < 3_100  # the largest is the second
    assert warn[0].endswith(f"(largest {steps[41]:.0f} m at km {d[41] / 1000:.2f})"), warn


def test_threshold_rule_counts_a_change_of_exactly_m_with_decimals():
    """h75 G5: in binary 1024.1 - 1014.1 < 10, so a file alternating the two had D+ 0
    with --gain-threshold 10; a change of exactly M counts, as with whole metres."""
    ele = np.tile([1014.1, 1024.1], 21)[:41]
    gl = threshold_gain_loss(ele, 10.0)
    assert gl.gain[-1] == pytest.approx(200.0) and gl.loss[-1] == pytest.approx(200.0)
    assert threshold_gain_loss(ele, 10.001).gain[-1] == 0.0  # just above: nothing counts
    whole = threshold_gain_loss(np.tile([1000.0, 1010.0], 21)[:41], 10.0)
    assert whole.gain[-1] == gl.gain[-1].round()
    # the slope distance keeps the same points: one per change
    d = np.arange(41) * 100.0
    assert slope_distance(d, ele, threshold=10.0)[-1] == pytest.approx(40 * np.hypot(100, 10))


def test_a_time_that_jumps_back_is_not_also_a_gap():
    """h75 G8: ten points stamped an hour early made a "time gap over 5 min" of 60 min
    besides "time goes backwards"; a real 20 min pause is still one gap."""
    n = 600
    lat = 45.0 + np.arange(n) * 2.5 / 111_132.0
    t = np.arange(n, dtype=float)
    t[300:310] -= 3600.0
    tr = Track(lat, np.full(n, 6.0), np.full(n, 500.0), t, np.zeros(n, int))
    warn = data_warnings(tr)
    assert "time goes backwards 1 time(s)" in warn
    assert not any("time gap" in w for w in warn), warn
    t2 = np.arange(n, dtype=float)
    t2[400:] += 1200.0  # a real pause
    t2[300:310] -= 3600.0
    tr2 = Track(lat, np.full(n, 6.0), np.full(n, 500.0), t2, np.zeros(n, int))
    assert "1 time gap(s) over 5 min (largest 20 min)" in data_warnings(tr2)


def _recorded(kind: str, seed: int, **kw):
    syn = make_track(kind, seed, **kw)
    n = syn.lat.size
    return make_profile(Track(syn.lat, syn.lon, syn.elevation, syn.time, np.zeros(n, int)))


@pytest.mark.parametrize(("seed", "band"), [(0, "±6 %"), (1, "±12 %")])
def test_gps_altitude_warning_quotes_the_band_of_the_climb(seed, band):
    # family "a" seed 0 climbs 57 m/km, seed 1 37 m/km: either side of the 40 m/km class
    p = _recorded("gps", seed)
    climb = p.total_gain / (p.total_distance / 1000)
    w = profile_module.gps_altitude_warning(p)
    assert w is not None and "GPS altitude" in w
    assert f"uncertain by about {band} at {climb:.0f} m of climb per km" in w
    assert w in course_stats(p).warnings


@pytest.mark.parametrize("kind", ["planner", "baro"])
def test_gps_altitude_warning_silent_without_gps_altitude(kind):
    p = _recorded(kind, 0)
    assert profile_module.gps_altitude_warning(p) is None
    assert not any("GPS altitude" in w for w in course_stats(p).warnings)


def test_gps_altitude_warning_silent_for_the_threshold_rule_and_scaled_figures():
    syn = make_track("gps", 0)
    t = Track(syn.lat, syn.lon, syn.elevation, syn.time, np.zeros(syn.lat.size, int))
    assert profile_module.gps_altitude_warning(make_profile(t, gain_threshold=10)) is None
    p = make_profile(t)
    scaled = dataclasses.replace(
        p, gain_method=p.gain_method + ", scaled gain x1.0100 loss x0.9900 to 'x'"
    )
    assert profile_module.gps_altitude_warning(scaled) is None


def test_gps_altitude_band_is_ordered_and_ends_open():
    tops = [top for top, _ in profile_module.GPS_ALTITUDE_GAIN_BAND]
    assert tops == sorted(tops) and tops[-1] == float("inf")
    assert all(0 < b < 1 for _, b in profile_module.GPS_ALTITUDE_GAIN_BAND)
