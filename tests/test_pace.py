"""Pace models against values worked from the papers, and their invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit import pace


# Minetti et al. 2002: Cr(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6
def _cr(i):
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


@pytest.mark.parametrize(
    ("grade", "expected"),
    [
        (0.0, 1.0),
        (0.10, _cr(0.10) / 3.6),  # 5.97 J/kg/m -> x1.66
        (0.20, _cr(0.20) / 3.6),
        (-0.10, _cr(-0.10) / 3.6),
        (0.45, _cr(0.45) / 3.6),
        (0.60, _cr(0.45) / 3.6),  # clipped to the measured range
    ],
)
def test_minetti2002(grade, expected):
    assert pace.minetti2002(grade) == pytest.approx(expected, rel=1e-12)


def test_minetti2002_values_from_the_paper():
    # Table values of the paper, running: 3.40 at 0 (our polynomial 3.6), ~1.73 minimum near -20 %
    assert pace.minetti2002(0.1) * 3.6 == pytest.approx(5.97, abs=0.01)
    g = np.linspace(-0.45, 0.0, 451)
    gmin = g[np.argmin(pace.minetti2002(g))]
    assert -0.20 < gmin < -0.16


@pytest.mark.parametrize(
    ("grade", "speed_kmh"),
    [
        (0.0, 6 * math.exp(-0.175)),
        (-0.05, 6.0),
        (0.10, 6 * math.exp(-0.525)),
        (-0.30, 6 * math.exp(-0.875)),
    ],
)
def test_tobler1993(grade, speed_kmh):
    v0 = 6 * math.exp(-3.5 * 0.05)  # 5.04 km/h on the flat
    assert pace.tobler1993(grade) == pytest.approx(v0 / speed_kmh, rel=1e-12)


def test_kay2012_shape():
    g = np.linspace(-0.5, 0.5, 1001)
    f = pace.kay2012(g)
    assert pace.kay2012(0.0) == 1.0
    assert g[np.argmin(f)] == pytest.approx(-0.10, abs=1e-3)
    assert pace.kay2012(-0.3) > 1.0  # steep descents are slow, unlike minetti2002
    assert pace.minetti2002(-0.3) < 1.0


@pytest.mark.parametrize(
    ("grade", "up", "down", "expected"),
    [(0.0, 10, 3, 1.0), (0.1, 10, 3, 2.0), (-0.2, 10, 3, 1.6), (0.05, 8, 0, 1.4)],
)
def test_trail(grade, up, down, expected):
    assert pace.trail(grade, up=up, down=down) == pytest.approx(expected)


def test_kme_grade_is_km_effort():
    # 1 km at +10 %: 1 km + 100 m D+ = 2 km-effort
    assert pace.kme_grade(0.1) == pytest.approx(2.0)
    assert pace.kme_grade(-0.1) == pytest.approx(1.0)


def test_grade_factor_unknown_model_names_valid_ones():
    with pytest.raises(ValueError, match="minetti2002.*tobler1993.*kay2012"):
        pace.grade_factor(0.1, model="naismith")


@pytest.mark.parametrize("model", list(pace.GRADE_MODELS))
def test_grade_factor_flat_is_one_and_vectorised(model):
    g = np.array([0.0, 0.1, -0.1])
    f = pace.grade_factor(g, model=model)
    assert f.shape == (3,)
    assert f[0] == pytest.approx(1.0)
    assert f[1] > 1.0


@given(st.floats(0, 0.6), st.floats(0, 0.6))
def test_trail_uphill_monotonic(a, b):
    lo, hi = sorted((a, b))
    assert pace.trail(hi) >= pace.trail(lo)


def test_fatigue_linear_speed_loss():
    # 0.14 per 100 km-effort: after 250 km-effort speed is 65 % of fresh
    assert pace.fatigue_factor(250, rate=0.14) == pytest.approx(1 / 0.65)
    assert pace.fatigue_factor(0, rate=0.5) == 1.0
    assert pace.fatigue_factor(1000, rate=0.5) == pytest.approx(1 / 0.3)  # floor


def test_night_factor_more_on_steep_ground():
    f = pace.night_factor([True, True, False], [0.0, 0.3, 0.3], base=0.1, steep=0.5)
    np.testing.assert_allclose(f, [1.1, 1.25, 1.0])


@pytest.mark.parametrize(("h", "expected"), [(0, 1.0), (750, 1.0), (1750, 1.06), (2750, 1.12)])
def test_wehrlin2006(h, expected):
    assert pace.wehrlin2006(h) == pytest.approx(expected)


def test_wehrlin2006_nan_is_low_altitude():
    assert pace.wehrlin2006(np.nan) == 1.0


def test_dwell_time_largest_service():
    t = {"water": 0.0, "hot_meal": 600.0, "drop_bag": 900.0}
    assert pace.dwell_time(["water", "hot_meal", "drop_bag"], table=t) == 900.0
    assert pace.dwell_time([], table=t) == 0.0


def test_kme_baseline_keeps_the_leader_and_the_opening_margin():
    """Black-box K3: ``--model kme`` is a rule for the barriers; the leader's ETA and the
    stations' opening margin stay the calibrated ones (it opened every station at the
    leader's central ETA, margin 0, and put the leader at 0.4 of the limit)."""
    k, t = pace.params_for("kme"), pace.TRAIL_2024
    assert (k.fatigue, k.night_base, k.night_steep, k.altitude) == (0.0, 0.0, 0.0, 0.0)
    assert (k.up, k.down) == (10.0, 0.0)
    for key in ("leader_fraction", "leader_fatigue", "leader_speed", "leader_weight"):
        assert getattr(k, key) == getattr(t, key), key
    assert k.leader_margin == t.leader_margin > 0.1


def test_params_for():
    assert pace.params_for("trail") == pace.TRAIL_2024
    assert pace.params_for("kme") == pace.KME
    assert pace.params_for("tobler1993", fatigue=0.2).fatigue == 0.2
    with pytest.raises(ValueError, match="valid models"):
        pace.params_for("foo")
    with pytest.raises(ValueError, match="fatigue"):
        pace.params_for("trail", fatigue=1.5)


def test_leader_time_geometric_mean():
    lim, k = 30 * 3600.0, 178.0  # a 120 km / 5800 m race in 30 h
    by_limit = pace.leader_time(lim, k, fraction=0.4, speed=4.0, weight=1.0)
    by_effort = pace.leader_time(lim, k, fraction=0.4, speed=4.0, weight=0.0)
    assert by_limit == pytest.approx(0.4 * lim)
    assert by_effort == pytest.approx(178_000 / 4.0)
    half = pace.leader_time(lim, k, fraction=0.4, speed=4.0, weight=0.5)
    assert half == pytest.approx(math.sqrt(by_limit * by_effort))
    # vectorised, and longer courses take longer at a fixed limit
    t = pace.leader_time(lim, np.array([100.0, 200.0]), fraction=0.4, speed=4.0, weight=0.5)
    assert t[1] > t[0]
    with pytest.raises(ValueError, match="weight"):
        pace.leader_time(lim, k, fraction=0.4, speed=4.0, weight=1.5)


def test_default_leader_is_faster_than_the_limit_and_opens_earlier():
    p = pace.TRAIL_2024
    assert 0.0 < p.leader_weight < 1.0 and 0.0 < p.leader_margin < 0.5
    # a 100 km / 5000 m race in 30 h: the leader well inside the limit
    t = pace.leader_time(
        30 * 3600.0, 150.0, fraction=p.leader_fraction, speed=p.leader_speed, weight=p.leader_weight
    )
    assert 0.2 * 30 * 3600 < t < 0.6 * 30 * 3600


def test_params_ranges_hold_the_shipped_sets_and_calibrate_bounds():
    """The ranges a parameter file is checked against (``cutoffs --params``) hold the
    shipped parameter sets and every value ``calibrate`` can fit (review finding 1: the
    two tables lived apart and could drift)."""
    import dataclasses

    from coursekit.history import CALIBRATE_BOUNDS
    from coursekit.pace import KME, PARAMS_RANGES, TRAIL_2024, params_range_problem

    numeric = {f.name for f in dataclasses.fields(TRAIL_2024)} - {"model"}
    assert set(PARAMS_RANGES) == numeric
    for p in (TRAIL_2024, KME):
        for key in numeric:
            assert params_range_problem(key, getattr(p, key)) is None, (p.model, key)
    for key, (lo, hi) in CALIBRATE_BOUNDS.items():
        assert params_range_problem(key, lo) is None and params_range_problem(key, hi) is None
    problem = params_range_problem("leader_fraction", 1.0)
    assert problem.startswith("1 is out of range: expected (0, 1)")
