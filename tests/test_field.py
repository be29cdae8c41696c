"""Field simulation and its fit on split times (coursekit.field): known shares and
times, conservation, reproducibility, parameters recovered from synthetic and real fields."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from dataclasses import fields, replace

import numpy as np
import pytest
from scipy.special import ndtri

from coursekit.field import (
    DEFAULT_FIELD,
    FieldParams,
    fatigue_weights,
    fit_field,
    fit_start_compression,
    history_outcomes,
    late_stops,
    pace_weights,
    simulate_field,
)
from coursekit.history import read_times

H = 3600.0


# ---------------------------------------------------------------- simulation


def _course(n=12, leg=3000.0, slack=1.0):
    r = np.r_[0.0, np.full(n - 1, leg)]
    eff = np.r_[0.0, np.linspace(5, 15, n - 1)]
    cut = np.cumsum(r) * slack
    cut[0] = np.nan
    return r, eff, cut


def test_simulation_reproducible():
    r, eff, cut = _course()
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=7, finish_share=0.8)
    a = simulate_field(r, seed=42, chunk_elements=20_000, **kw)
    b = simulate_field(r, seed=42, chunk_elements=20_000, **kw)
    c = simulate_field(r, seed=43, chunk_elements=20_000, **kw)
    for key in ("eliminated", "withdrawn", "reached", "occupancy", "last_arrival"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert not np.array_equal(a.last_arrival, c.last_arrival)


def test_occupancy_counted_a_few_repetitions_at_a_time(monkeypatch):
    """h74 F1: the minute bins (rows x minutes x repetitions) were counted in one pass,
    whatever the runners: 20 runners x 10,000 repetitions of HAUT 120 took 7.3 GB, and 1 x
    100,000 overflowed int32 (an error). Counted in passes of at most ``_OCC_BINS`` bins,
    the figures are the same, and memory no longer grows with the repetitions."""
    import tracemalloc

    import coursekit.field as field_module

    r, eff, cut = _course(n=4, leg=36_000.0)  # 30 h: 1,800 minute bins per row
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=5, finish_share=0.8, seed=7)
    tracemalloc.start()
    simulate_field(r, repetitions=3_000, **kw)  # in one pass: 484 MB at the peak
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100e6, peak  # 46 MB: 2,000,000 bins a pass
    one = simulate_field(r, repetitions=50, **kw)
    monkeypatch.setattr(field_module, "_OCC_BINS", 20_000)  # a few repetitions a pass
    many = simulate_field(r, repetitions=50, **kw)
    for key in ("occupancy", "occupancy_peak", "occupancy_peak_60min", "minute_occupancy"):
        np.testing.assert_array_equal(getattr(one, key), getattr(many, key), err_msg=key)


# identical runners, no noise, no withdrawal: every arrival known to the second
_SAME = FieldParams(
    spread=0.0,
    leg_sigma=0.0,
    dnf_share=0.0,
    level_sd=0.0,
    start_compression=0.0,
    chase_share=0.0,
    behind_hazard=0.0,
    skew=0.0,
    fatigue=0.0,
)


@pytest.mark.parametrize(
    "dwell_min, cut, offset_s, present_1",
    [
        # 1:50 to 2:30: present in hours 1 and 2, arriving in hour 1 only (h74 F3)
        (40, np.nan, 0.0, [0, 10, 10, 0]),
        # 1:50 to 4:00 sharp: [t, t + dwell] meets hour 4 at its first instant
        (130, np.nan, 0.0, [0, 10, 10, 10, 10]),
        # the clock origin 30 min before the start: 2:20 to 2:50, one clock hour
        (30, np.nan, 1800.0, [0, 0, 10, 0]),
        # a barrier they all miss (leave by 2:00): stopped there, present over their stop
        (40, 2 * H, 0.0, [0, 10, 10, 0]),
    ],
)
def test_present_counts_each_runner_from_his_arrival_to_the_end_of_his_stop(
    dwell_min, cut, offset_s, present_1
):
    """h74 F3: "runners present hour by hour" counted the arrivals only, so a declared stop
    (dwell) was ignored. Ten identical runners reach row 1 at 1:50 and stop there."""
    r = np.array([0.0, 110 * 60, dwell_min * 60 + H])
    sim = simulate_field(
        r,
        leg_effort=[0, 10, 10],
        dwell=[0, dwell_min * 60, 0],
        cutoff_elapsed=[np.nan, cut, np.nan],
        params=_SAME,
        ability_mean=0.0,
        hour_offset_s=offset_s,
        n_runners=10,
        repetitions=2,
        seed=0,
    )
    hours = len(present_1)
    present = np.pad(sim.present, ((0, 0), (0, max(hours - sim.present.shape[1], 0))))
    np.testing.assert_array_equal(present[1, :hours], present_1)
    assert present[1, hours:].sum() == 0
    arrival_hour = int((110 * 60 + offset_s) // H)
    assert sim.occupancy[1].tolist() == [
        10.0 if h == arrival_hour else 0.0 for h in range(sim.occupancy.shape[1])
    ]  # the arrivals per hour are unchanged
    np.testing.assert_array_equal(sim.present_peak[:, 1], [10, 10])
    if np.isfinite(cut):
        assert sim.eliminated[:, 1].tolist() == [10, 10] and sim.present[2].sum() == 0
    else:  # no stop at the finish: present at its arrival instant, as the arrivals
        np.testing.assert_array_equal(sim.present[2, : sim.occupancy.shape[1]], sim.occupancy[2])


def test_present_without_a_stop_is_the_arrivals_per_hour():
    """With no dwell a runner is present at his arrival instant only: a runner arriving at
    1:59 is present in hour 1, so ``present`` is ``occupancy`` and its peak the same."""
    r, eff, cut = _course()
    sim = simulate_field(
        r, leg_effort=eff, cutoff_elapsed=cut, n_runners=300, repetitions=5, seed=3
    )
    np.testing.assert_array_equal(sim.present, sim.occupancy)
    np.testing.assert_array_equal(sim.present_peak, sim.occupancy_peak)


def test_present_with_stops_in_passes_and_on_threads_is_one_count(monkeypatch):
    """A random field with 20-minute stops: each runner reaching a row is present in one
    or two clock hours (his arrival's and his departure's), so the present counts lie
    between the arrivals and twice them, hour by hour at least the arrivals; counted a few
    repetitions and runners at a time, or on threads, the figures are the same."""
    import coursekit.field as field_module

    r, eff, cut = _course(n=6, leg=2500.0, slack=1.3)
    dwell = np.r_[0.0, np.full(5, 1200.0)]
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, dwell=dwell, n_runners=200, repetitions=9)
    kw |= dict(seed=4, chunk_elements=200 * 5 * 2)  # chunks of two repetitions
    monkeypatch.setenv("COURSEKIT_THREADS", "1")
    one = simulate_field(r, **kw)
    hours = one.occupancy.shape[1]
    assert np.all(one.present[:, :hours] >= one.occupancy - 1e-12)
    assert np.all(one.present.sum(axis=1)[1:] > one.occupancy.sum(axis=1)[1:])
    assert np.all(one.present.sum(axis=1) <= 2 * one.occupancy.sum(axis=1) + 1e-9)
    assert np.all(one.present_peak >= one.occupancy_peak)
    monkeypatch.setattr(field_module, "_OCC_BINS", 3_000)  # a repetition or two a pass
    monkeypatch.setattr(field_module, "_PRESENT_VALUES", 150)  # one repetition a pass
    monkeypatch.setenv("COURSEKIT_THREADS", "3")
    many = simulate_field(r, **kw)
    for key in ("present", "present_peak", "occupancy"):
        np.testing.assert_array_equal(getattr(one, key), getattr(many, key), err_msg=key)


def test_present_is_counted_within_the_occupancy_memory_bound():
    """The F1 case (5 runners x 3,000 repetitions of a 30 h race) with a stop at every
    checkpoint: the hours present are counted in the same passes, memory stays bounded."""
    import tracemalloc

    r, eff, cut = _course(n=4, leg=36_000.0)
    tracemalloc.start()
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        dwell=[0.0, 1800.0, 1800.0, 0.0],
        n_runners=5,
        repetitions=3_000,
        finish_share=0.8,
        seed=7,
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100e6, peak
    assert sim.present.sum() > sim.occupancy.sum()


@pytest.mark.parametrize("share", [0.6, 0.8])
def test_finish_share_matches(share):
    r, eff, cut = _course(slack=1.0)
    n, reps = 20_000, 4
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        finish_share=share,
        seed=7,
        params=replace(DEFAULT_FIELD, level_sd=0.0),  # one edition: binomial error only
    )
    # sampling error of the run plus that of the 20,000-runner calibration sample
    se = math.sqrt(share * (1 - share) * (1 / (n * reps) + 1 / 20_000))
    assert abs(sim.finish_share - share) < 4 * se


def _short_race():
    """A 10 km race with its only barrier at the finish (HAUT 10's shape)."""
    r = np.array([0.0, 1800.0, 1800.0, 1800.0])
    eff = np.array([0.0, 5.0, 5.0, 5.0])
    cut = np.array([np.nan, np.nan, np.nan, 4 * 3600.0])
    return r, eff, cut


def test_default_level_times_out_at_most_eliminated_max():
    r, eff, cut = _short_race()
    n, reps = 20_000, 4
    one = replace(DEFAULT_FIELD, level_sd=0.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=n, repetitions=reps, seed=5)
    capped = simulate_field(r, params=one, **kw)
    share_only = simulate_field(r, params=replace(one, eliminated_max=None), **kw)
    out_capped = capped.eliminated.sum(axis=1).mean() / n
    out_share = share_only.eliminated.sum(axis=1).mean() / n
    # the finish share alone times out most non-finishers at the one barrier
    assert out_share > 0.12
    assert share_only.finish_share == pytest.approx(one.finish_share, abs=0.01)
    # capped: the cap's share of the field (sampling: n * reps + the 20,000 calibration)
    cap = one.eliminated_max
    se = math.sqrt(cap * (1 - cap) * (1 / (n * reps) + 1 / 20_000))
    assert abs(out_capped - cap) < 4 * se
    assert capped.finish_share > share_only.finish_share + 0.05


def test_explicit_finish_share_is_honoured_over_the_cap():
    r, eff, cut = _short_race()
    n = 20_000
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=2,
        seed=6,
        finish_share=0.7,
        params=replace(DEFAULT_FIELD, level_sd=0.0),
    )
    assert sim.finish_share == pytest.approx(0.7, abs=0.01)
    assert sim.eliminated.sum(axis=1).mean() / n > 2 * DEFAULT_FIELD.eliminated_max  # not capped


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan])
def test_eliminated_max_range(bad):
    with pytest.raises(ValueError, match="eliminated_max"):
        FieldParams(eliminated_max=bad)


def test_unreachable_finish_share():
    r, eff, cut = _course()
    with pytest.raises(ValueError, match="not reachable"):
        simulate_field(
            r,
            leg_effort=eff,
            cutoff_elapsed=cut,
            finish_share=0.95,
            params=FieldParams(dnf_share=0.2),
            seed=1,
        )


def test_outcomes_and_occupancy_conserved():
    r, eff, cut = _course(n=15)
    n, reps = 3000, 6
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        finish_share=0.7,
        hour_offset_s=1800.0,
        seed=5,
        chunk_elements=50_000,
    )
    # every runner ends once: finished, eliminated or withdrawn
    tot = sim.finishers + sim.eliminated.sum(axis=1) + sim.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, n)
    # arrivals never increase along the course; stopping at k still arrives at k
    assert np.all(np.diff(sim.reached, axis=1) <= 0)
    np.testing.assert_array_equal(
        sim.reached[:, :-1] - sim.reached[:, 1:],
        sim.eliminated[:, :-1] + sim.withdrawn[:, :-1],
    )
    # each passage counted once in the hourly occupancy
    np.testing.assert_allclose(sim.occupancy.sum(axis=1), sim.reached.mean(axis=0))
    assert np.all(sim.occupancy_peak <= sim.reached)
    # leaders and percentiles move forward along the course
    assert np.all(np.diff(sim.first_arrival, axis=1) > 0)
    assert np.all(np.diff(sim.arrival_quantiles, axis=1) > 0)
    # the start is in the bin of the 00:30 offset (bin 0), nothing before
    assert sim.occupancy[0, 0] == n


def test_identical_runners_known_times():
    r, eff, _ = _course(n=6)
    p = FieldParams(spread=0.0, leg_sigma=0.0, fatigue=0.5, dnf_share=0.0)
    sim = simulate_field(
        r, leg_effort=eff, n_runners=50, repetitions=2, params=p, ability_mean=-0.2, seed=0
    )
    w = fatigue_weights(r, eff, fatigue=0.5)
    expect = np.r_[0.0, np.cumsum(r[1:] * np.exp(-0.2 * w))]
    np.testing.assert_allclose(sim.arrival_quantiles[1], expect, rtol=1e-5)
    np.testing.assert_allclose(sim.last_arrival[0], expect, rtol=1e-5)
    assert sim.finish_share == 1.0
    # slower runners are relatively slower late: weights grow along the course
    assert np.all(np.diff(w) > 0)
    assert np.sum(r[1:] * w) / np.sum(r[1:]) == pytest.approx(1.0)


def test_dnf_share_without_barriers():
    r, eff, _ = _course()
    sim = simulate_field(
        r,
        leg_effort=eff,
        n_runners=20_000,
        repetitions=3,
        params=FieldParams(dnf_share=0.2, dnf_ability=0.8),
        ability_mean=0.0,
        seed=11,
    )
    share = sim.withdrawn.sum() / (20_000 * 3)
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / 60_000)
    assert sim.eliminated.sum() == 0
    # hazard proportional to effort: later (harder) legs lose more runners; nobody
    # withdraws at the finish line: the final leg's withdrawals are last seen one row before
    wd = sim.withdrawn.mean(axis=0)[1:]
    assert wd[-1] == 0 and wd[-2] > wd[0]
    assert sim.reached[:, -1].mean() == pytest.approx(sim.finishers.mean())


def test_no_withdrawal_at_the_finish_line():
    """A start-to-finish course with no checkpoint between (it printed "reached 500,
    withdrawn 21.0" at the finish): the withdrawals are booked at the start, where such a
    runner is last seen, and everyone reaching the finish has finished (or is timed out)."""
    r = np.array([0.0, 6 * 3600.0])
    sim = simulate_field(
        r,
        leg_effort=np.array([0.0, 40.0]),
        cutoff_elapsed=np.array([0.0, 9 * 3600.0]),
        n_runners=5_000,
        repetitions=4,
        params=FieldParams(dnf_share=0.1),
        seed=3,
    )
    assert sim.withdrawn[:, 1].sum() == 0
    assert sim.withdrawn[:, 0].mean() > 300  # ~10 % of 5,000
    reached = sim.reached[:, 1]
    assert np.array_equal(reached, sim.finishers + sim.eliminated[:, 1])


PARAMS_TRUTH = FieldParams(spread=0.2, leg_sigma=0.08, fatigue=0.6, dnf_share=0.0)


def _params_field(seed: int):
    """``(elapsed, status, leg_effort)`` of 4000 runners over 11 legs drawn from
    :data:`PARAMS_TRUTH` (also measured over seeds by benchmarks/bench_field_fit_seeds.py)."""
    rng = np.random.default_rng(seed)
    n, rows = 4000, 12
    r = np.r_[0.0, rng.uniform(2000, 5000, rows - 1)]
    eff = np.r_[0.0, rng.uniform(5, 15, rows - 1)]
    true = PARAMS_TRUTH
    w = fatigue_weights(r, eff, fatigue=true.fatigue)
    theta = true.spread * rng.standard_normal(n)
    legs = r[1:] * np.exp(theta[:, None] * w + true.leg_sigma * rng.standard_normal((n, rows - 1)))
    elapsed = np.c_[np.zeros(n), np.cumsum(legs, axis=1)]
    status = np.array(["FINISHER"] * n)
    # 10 % withdraw at a random checkpoint, slower ones more often
    quit_ = rng.random(n) < 0.1 * np.exp(theta / 0.2) / np.exp(0.5)
    for i in np.nonzero(quit_)[0]:
        elapsed[i, rng.integers(4, rows) :] = np.nan
        status[i] = "WITHDRAWN"
    return elapsed, status, eff


def test_fit_recovers_parameters():
    elapsed, status, eff = _params_field(2)
    fit = fit_field(elapsed, status, leg_effort=eff)
    # tolerances: |mean error| + 3 sd of the error over this generator's seeds 0-9
    # (bench_field_fit_seeds.py): spread -0.6 % sd 1.0 % (this seed -0.4 %);
    # leg_sigma -0.0 % sd 0.6 % (this seed -0.5 %; -4.6 % before the thirty-third
    # sprint's correction for each leg's own noise in the finish time); fatigue
    # -0.014 sd 0.008 (this seed -0.013)
    assert fit.params.spread == pytest.approx(0.2, rel=0.036)
    assert fit.params.leg_sigma == pytest.approx(0.08, rel=0.018)
    assert fit.params.fatigue == pytest.approx(0.6, abs=0.04)
    assert fit.params.dnf_share == pytest.approx(np.mean(status != "FINISHER"))  # who quit
    assert fit.params.dnf_ability > 0.3


def test_history_outcomes():
    E = np.array(
        [
            [0, 1 * H, 2 * H, 3 * H],  # finisher
            [0, 1.5 * H, np.nan, np.nan],  # withdrew at row 1
            [0, 2.5 * H, np.nan, np.nan],  # late at row 1's barrier (2 h)
            [0, 1.8 * H, np.nan, np.nan],  # out of time later: next barrier (row 3)
        ]
    )
    st = ["FINISHER", "WITHDRAWN", "OUT_OF_TIME", "OUT_OF_TIME"]
    out = history_outcomes(E, st, cutoff_elapsed=[np.nan, 2 * H, np.nan, 4 * H])
    assert out["eliminated"].tolist() == [0, 1, 0, 1]
    assert out["withdrawn"].tolist() == [0, 1, 0, 0]
    assert out["reached"].tolist() == [4, 4, 1, 1]
    assert out["finishers"] == 1 and out["starters"] == 4


def test_late_stops_are_eliminations_whatever_the_status():
    E = np.array(
        [
            [0, 2.5 * H, np.nan, np.nan],  # withdrawn at row 1, after its barrier (2 h)
            [0, 1.5 * H, np.nan, np.nan],  # withdrawn at row 1, on time
            [0, 2.5 * H, np.nan, np.nan],  # OUT_OF_TIME: history_outcomes places him
            [0, 1 * H, 2 * H, 4.5 * H],  # ranked after the finish barrier (4 h)
            [0, 1.9 * H, 3.9 * H, 4 * H],  # finished just on time (late is ``>``)
        ]
    )
    st = ["WITHDRAWN", "WITHDRAWN", "OUT_OF_TIME", "UNRANKED", "FINISHER"]
    cut = [np.nan, 2 * H, np.nan, 4 * H]
    assert late_stops(E, st, cutoff_elapsed=cut).tolist() == [1, -1, -1, 3, -1]
    # by the clock: the second runner started 40 min after the barriers' origin
    clock = E + np.array([0, 40 * 60, 0, 0, 0])[:, None]
    assert late_stops(clock, st, cutoff_elapsed=cut).tolist() == [1, 1, -1, 3, -1]


# ---------------------------------------------------------------- real data


def _split_times(path, columns):
    """Elapsed times [s from each runner's own first column] in ``columns`` order, and the
    statuses, from a split-time CSV (``history.read_times``; start waves, and wrong but
    constant UTC offsets, cancel)."""
    times = read_times(path)
    t = times.time[:, [times.columns.index(c.strip()) for c in columns]]
    return t - t[:, :1], np.array(times.status)


def test_fit_on_real_split_times(realdata):
    with (realdata / "templiers_integrale_2024_checkpoints.csv").open(encoding="utf-8") as fh:
        cps = list(csv.DictReader(fh))
    E, st = _split_times(
        realdata / "templiers_integrale_2024_times.csv", [c["short_name"] for c in cps]
    )
    dist = np.array([float(c["distance_m"]) for c in cps])
    gain = np.array([float(c["elevation_gain_m"]) for c in cps])
    kme = np.diff(dist, prepend=0) / 1000 + np.diff(gain, prepend=0) / 100
    fit = fit_field(E, st, leg_effort=kme)
    assert fit.params.finish_share == pytest.approx(690 / 722, abs=0.002)
    assert 0.05 < fit.params.spread < 0.5
    assert 0.02 < fit.params.leg_sigma < 0.3
    assert np.all(np.diff(fit.reference_elapsed) > 0)
    # median finisher of the Intégrale 2024: between 8 and 12 h
    assert 8 * H < fit.reference_elapsed[-1] < 12 * H


# ---------------------------------------------------------------- pace weights


def test_pace_weights_reproduce_the_leader_and_refuse_undefined_cases():
    # two runners of a synthetic pace model: leader fresher (less fatigue) than the reference
    legs = np.array([1000.0, 2000.0, 1500.0, 3000.0])
    ref = np.r_[0.0, np.cumsum(legs * np.linspace(1.0, 1.6, 4))]
    lead = np.r_[0.0, np.cumsum(0.4 * legs * np.linspace(1.0, 1.1, 4))]
    w = pace_weights(ref, lead)
    assert w.shape == (4,)
    theta = math.log(lead[-1] / ref[-1])
    np.testing.assert_allclose(np.diff(ref) * np.exp(theta * w), np.diff(lead), rtol=1e-12)
    # the leader loses less on late legs: slower runners are relatively slower late
    assert np.all(np.diff(w) > 0)
    assert pace_weights(ref, ref) is None  # no second runner
    bad = lead.copy()
    bad[2] = bad[1]  # a leg of zero time
    assert pace_weights(ref, bad) is None
    with pytest.raises(ValueError, match="must have the same length"):
        pace_weights(ref, lead[:-1])


# ---------------------------------------------------------------- withdrawals near barriers, skew


def test_behind_hazard_known_probabilities():
    # identical runners (no spread, no noise): every runner is at the same ratio q_k to the
    # next barrier at each checkpoint, so the share withdrawing there is known exactly
    rows = 6
    r = np.r_[0.0, np.full(rows - 1, 3600.0)]
    eff = np.r_[0.0, np.full(rows - 1, 10.0)]
    cut = np.array([np.nan, np.nan, np.nan, 3 * H * 1.1, np.nan, 5 * H * 1.3])
    p = FieldParams(
        spread=0.0, leg_sigma=0.0, fatigue=0.0, dnf_share=0.0, behind_hazard=0.3, behind_slope=15
    )
    n, reps, mu = 20_000, 3, 0.05
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        params=p,
        ability_mean=mu,
        seed=4,
    )
    t = np.exp(mu) * np.cumsum(r)  # every runner's arrivals
    R = np.cumsum(r)
    q = {
        1: t[1] * R[3] / (R[1] * cut[3]),
        2: t[2] * R[3] / (R[2] * cut[3]),
        3: t[3] * R[5] / (R[3] * cut[5]),
        4: t[4] * R[5] / (R[4] * cut[5]),
    }
    alive, expect = 1.0, np.zeros(rows)
    for k in range(1, 5):
        pk = 1 - math.exp(-0.3 * q[k] ** 15)
        expect[k] = alive * pk
        alive *= 1 - pk
    got = sim.withdrawn.sum(axis=0) / (n * reps)
    se = np.sqrt(expect * (1 - expect) / (n * reps))
    assert np.all(np.abs(got - expect) <= 4 * se + 1e-12), (got, expect)
    assert sim.eliminated.sum() == 0  # nobody is late at a barrier (1.1 and 1.3 x e^0.05)
    assert got[5] == 0  # nobody withdraws at the finish for being behind


def test_behind_hazard_turns_eliminations_into_withdrawals():
    r, eff, cut = _course(n=12, slack=1.0)
    cut[[1, 2, 3, 5, 6, 7, 9, 10]] = np.nan  # barriers at rows 4, 8 and the finish
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=5000, repetitions=4, seed=9)
    base = FieldParams(spread=0.2, leg_sigma=0.08, dnf_share=0.05, dnf_ability=0.0)
    a = simulate_field(r, params=base, ability_mean=-0.15, **kw)
    b = simulate_field(
        r, params=replace(base, behind_hazard=0.5, behind_slope=20), ability_mean=-0.15, **kw
    )
    assert b.eliminated.sum() < 0.5 * a.eliminated.sum()
    assert b.withdrawn.sum() > a.withdrawn.sum()
    tot = b.finishers + b.eliminated.sum(axis=1) + b.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 5000)


def _five_hour_field(quantiles=(0.1, 0.5, 0.9), **params):
    """Final-row arrival quantiles of 2 x 50,000 runners on 5 legs of 1 h, no leg noise,
    no withdrawals, the median runner at exp(0.1) of the reference."""
    sim = simulate_field(
        np.r_[0.0, np.full(5, 3600.0)],
        leg_effort=np.r_[0.0, np.full(5, 10.0)],
        leg_weights=np.ones(5),
        n_runners=50_000,
        repetitions=2,
        params=FieldParams(spread=0.2, leg_sigma=0.0, dnf_share=0.0, **params),
        ability_mean=0.1,
        seed=3,
        quantiles=quantiles,
    )
    return sim.arrival_quantiles[:, -1]


@pytest.mark.parametrize("skew", [0.0, 1.0, -0.5])
def test_skewed_ability_quantiles(skew):
    levels = np.array([0.1, 0.5, 0.9])
    z = ndtri(levels)
    g = 0.2 * z if skew == 0 else np.log1p(skew * 0.2 * z) / skew
    expect = 5 * 3600.0 * np.exp(0.1 + g)
    np.testing.assert_allclose(_five_hour_field(skew=skew), expect, rtol=0.005)
    if skew > 0:  # long fast tail, short slow tail in log time
        assert np.log(expect[1] / expect[0]) > np.log(expect[2] / expect[1])


@pytest.mark.parametrize("fastest", [0.0, 0.6])
def test_fastest_floors_the_fast_tail(fastest):
    # skew 1.0: g(z) = ln(1 + 0.2 z) runs to ln(0.05) as z -> -5; the floor holds the
    # fastest runner at 0.6 of the median runner's time (no leg noise, no fatigue)
    levels = (0.0005, 0.1, 0.5)
    q = _five_hour_field(levels, skew=1.0, fastest=fastest) / (5 * 3600.0 * np.exp(0.1))
    closed = np.log1p(0.2 * ndtri(np.array(levels)))
    np.testing.assert_allclose(q[1:], np.exp(closed[1:]), rtol=0.005)  # the body unchanged
    if fastest:
        assert q[0] == pytest.approx(0.6, rel=0.002)  # held at the floor
    else:
        assert q[0] == pytest.approx(math.exp(closed[0]), rel=0.01)  # 0.51: the open tail


def test_fit_fastest_is_the_winner_over_the_median_runner():
    # everyone finishes, log-normal abilities, little leg noise: the floor fitted is the
    # winner's finish over the median runner's
    rng = np.random.default_rng(5)
    n = 4001
    r = np.r_[0.0, np.full(6, 3000.0)]
    theta = 0.2 * rng.standard_normal(n)
    legs = r[1:] * np.exp(theta[:, None] + 0.005 * rng.standard_normal((n, 6)))
    elapsed = np.c_[np.zeros(n), np.cumsum(legs, axis=1)]
    fit = fit_field(elapsed, np.array(["FINISHER"] * n), leg_effort=np.r_[0.0, [10.0] * 6])
    finish = elapsed[:, -1]
    assert fit.params.fastest == pytest.approx(finish.min() / np.median(finish), rel=0.02)
    assert FieldParams().fastest == 0.0  # no floor unless fitted or given
    with pytest.raises(ValueError, match="fastest"):
        FieldParams(fastest=1.5)


def _synthetic_history(truth, n=6000, rows=12, seed=0, slack=(1.3, 1.3, 1.3, 1.3)):
    """Split times and statuses of a field drawn from the model of FieldParams (fatigue 0),
    leg by leg: a runner slower than the median and projected late at the next barrier
    runs the next leg with his deviation times (1 - chase_share), and a runner slower than
    the median has his deviation times 1 - tail_ease c_k on leg k. Barriers at rows 3, 6, 9
    and the finish at ``slack`` times the reference's arrival; the hazard on the barrier
    after next (ahead_hazard) needs different slacks to be told from the next one's."""
    from coursekit.field import _ability

    rng = np.random.default_rng(seed)
    r = np.r_[0.0, rng.uniform(2500, 4500, rows - 1)]
    eff = np.r_[0.0, rng.uniform(5, 12, rows - 1)]
    R = np.cumsum(r)
    cut = np.full(rows, np.nan)
    cut[[3, 6, 9, rows - 1]] = R[[3, 6, 9, rows - 1]] * np.asarray(slack)
    z = rng.standard_normal(n)
    dev = _ability(z, truth.spread, truth.skew)
    eps = truth.leg_sigma * rng.standard_normal((n, rows - 1))
    E = np.zeros((n, rows))
    cfrac = np.cumsum(eff) / eff.sum()
    from coursekit.field import _dnf_rate

    lam = _dnf_rate(truth.dnf_share, truth.dnf_ability)
    status = np.array(["FINISHER"] * n, dtype=object)
    alive = np.ones(n, bool)
    chasing = np.zeros(n, bool)
    # tail_ease: a slower runner's deviation times 1 - e c_k (c_k effort fraction mid-leg)
    ease = 1.0 - truth.tail_ease * (cfrac[1:] - np.diff(cfrac) / 2)
    for k in range(1, rows):
        d = np.where(chasing, (1 - truth.chase_share) * dev, dev)
        if truth.tail_ease > 0:
            d = np.where(dev > 0, d * ease[k - 1], d)
        E[:, k] = E[:, k - 1] + r[k] * np.exp(-0.1 + d + eps[:, k - 1])
        E[~alive, k] = np.nan
        late = alive & np.isfinite(cut[k]) & (E[:, k] > cut[k])
        status[late] = "OUT_OF_TIME"
        E[late, k + 1 :] = np.nan
        alive &= ~late
        if k == rows - 1:
            break
        b = next(j for j in range(k + 1, rows) if np.isfinite(cut[j]))
        q = E[:, k] * R[b] / (R[k] * cut[b])
        chasing = (q > 1) & (dev > 0)
        h = lam * np.exp(truth.dnf_ability * z) * (cfrac[k] - cfrac[k - 1])
        h = h + truth.behind_hazard * q**truth.behind_slope
        after = [j for j in range(b + 1, rows) if np.isfinite(cut[j])]
        if after and truth.ahead_hazard > 0:
            q2 = E[:, k] * R[after[0]] / (R[k] * cut[after[0]])
            h = h + truth.ahead_hazard * q2**truth.ahead_slope
        if truth.foresight_hazard > 0 and np.isfinite(cut[k + 1]):  # own arrival at b = k + 1
            dk = np.where(chasing, 1 - truth.chase_share, 1) * dev
            A = E[:, k] + r[k + 1] * np.exp(-0.1 + dk + eps[:, k])
            h = h + truth.foresight_hazard * np.nan_to_num(A / cut[k + 1]) ** truth.foresight_slope
        quit_ = alive & (rng.random(n) < -np.expm1(-h))
        status[quit_] = "WITHDRAWN"
        alive &= ~quit_
    return E, status.astype(str), eff, cut


HISTORY_TRUTH = FieldParams(
    spread=0.2,
    leg_sigma=0.06,
    fatigue=0.0,
    dnf_share=0.08,
    dnf_ability=0.0,
    behind_hazard=0.25,
    behind_slope=20.0,
    skew=0.8,
)
"""The field the fit-back tests draw their synthetic split times from."""


@functools.cache
def _history_fit(seed):
    """``_synthetic_history(HISTORY_TRUTH, seed=seed)`` and its fit (shared by the tests
    that fit the same field; nothing here is mutated)."""
    E, status, eff, cut = _synthetic_history(HISTORY_TRUTH, seed=seed)
    return E, status, eff, cut, fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut)


def test_fit_recovers_withdrawal_hazards_and_skew():
    E, status, eff, cut, fit = _history_fit(0)
    p = fit.params
    assert (status == "WITHDRAWN").sum() > 300 and (status == "OUT_OF_TIME").sum() > 20
    # tolerances: |mean error| + 3 sd of the error over seeds 0-19 of this field
    # (bench_field_fit_seeds.py); this test's seed 0 in brackets:
    # skew +0.21 sd 0.064 (+0.096): biased, only its sign is asserted here (a symmetric
    #   field fits -0.13..+0.06), the size in test_fit_history_ability_without_bias;
    # spread -5.4 % sd 1.1 % (-4.9 %): biased, also recorded there;
    # leg_sigma -0.1 % sd 0.6 % (-1.1 %; -4.5 % before the thirty-third sprint's
    #   correction, test_fit_history_leg_sigma_without_bias);
    # dnf_share -0.0015 sd 0.005 (+0.005); dnf_ability -0.006 sd 0.075 (+0.035);
    # behind_hazard -3.6 % sd 6.4 % (+6.0 %); behind_slope -0.9 % sd 5.0 % (+0.15 %)
    assert p.skew > 0.5
    assert p.spread == pytest.approx(0.2, rel=0.09)
    assert p.leg_sigma == pytest.approx(0.06, rel=0.019)
    assert p.dnf_share == pytest.approx(0.08, abs=0.017)
    assert p.dnf_ability == pytest.approx(0.0, abs=0.23)
    assert p.behind_hazard == pytest.approx(0.25, rel=0.23)
    assert p.behind_slope == pytest.approx(20.0, rel=0.16)
    # without the barriers the same split times give no behind-the-barrier hazard
    assert fit_field(E, status, leg_effort=eff).params.behind_hazard == 0.0


# the fit's bias on the ability terms of the barriers' field: mean error and sd over seeds
# 0-19 of _synthetic_history(HISTORY_TRUTH) (bench_field_fit_seeds.py); the test asks
# for the mean of seeds 0-2 within 3 sd / sqrt(3) of the truth
_HISTORY_BIAS = {
    # their cause (h116, docs/simulation.md's sprint log): the runners who withdraw behind
    # the barriers' pace before the early checkpoint are missing from its quantiles
    "skew": (0.8, "+0.21 (sd 0.064; 0.90-1.13), slow tail withdrawn before js", 0.064),
    "spread": (0.2, "-5.4 % (sd 1.1 %), slow tail withdrawn before js", 0.011 * 0.2),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            k,
            marks=pytest.mark.xfail(
                strict=True,
                raises=AssertionError,
                reason=f"fit_field's {k} is biased on barriers' fields, over 20 seeds: {v[1]}",
            ),
        )
        for k, v in _HISTORY_BIAS.items()
    ],
)
def test_fit_history_ability_without_bias(name):
    truth, _, sd = _HISTORY_BIAS[name]
    got = np.mean([getattr(_history_fit(seed)[4].params, name) for seed in (0, 1, 2)])
    assert got == pytest.approx(truth, abs=3 * sd / math.sqrt(3))


def test_fit_history_leg_sigma_without_bias():
    # each leg's residual is taken against the finish time, which holds that leg's own
    # noise: before the correction the fit was low by sqrt(1 - 2 w + sum w^2) (-4.5 % here,
    # sd 0.6 % over 20 seeds; benchmarks/bench_field_fit_seeds.py --leg-sigma); now -0.1 %
    got = np.mean([_history_fit(seed)[4].params.leg_sigma for seed in (0, 1, 2)])
    assert got == pytest.approx(HISTORY_TRUTH.leg_sigma, abs=3 * 0.006 * 0.06 / math.sqrt(3))


def test_fit_leg_sigma_on_unequal_legs():
    # one leg of 45 % of the race: its residual against the finish time keeps
    # 1 - 2 (0.45) + sum w^2 = 0.38 of its noise variance; the median over legs was
    # -5.5 % low before the correction (bench_field_fit_seeds.py --leg-sigma: +0.8 %, sd 1.0 %)
    rng = np.random.default_rng(11)
    n = 4000
    r = np.r_[0.0, 1500.0, 1500.0, 9000.0, 4000.0, 4000.0]
    theta = 0.2 * rng.standard_normal(n)
    legs = r[1:] * np.exp(theta[:, None] + 0.08 * rng.standard_normal((n, 5)))
    elapsed = np.c_[np.zeros(n), np.cumsum(legs, axis=1)]
    fit = fit_field(elapsed, np.array(["FINISHER"] * n), leg_effort=np.r_[0.0, [10.0] * 5])
    assert fit.params.leg_sigma == pytest.approx(0.08, rel=0.038)


def test_fit_late_stops_by_the_clock_are_eliminations_not_withdrawals():
    # a second start wave 20 min after the barriers' origin, and the timed-out runners
    # labelled WITHDRAWN (as the Templiers label them): with each runner's start offset the
    # fit is the same as with the true labels; from each runner's own start alone, those
    # of the second wave stopped at a barrier late by the clock (on time from their own
    # start) are withdrawal trials, and the behind-the-barrier hazard goes up
    E, status, eff, cut = _synthetic_history(HISTORY_TRUTH, n=3000)
    off = np.where(np.arange(len(status)) % 2 == 1, 1200.0, 0.0)
    own = E - off[:, None]
    own[:, 0] = 0.0
    labelled = np.where(status == "OUT_OF_TIME", "WITHDRAWN", status)
    assert (labelled == "WITHDRAWN").sum() > (status == "WITHDRAWN").sum()

    def fit(st, **kw):
        return fit_field(own, st, leg_effort=eff, cutoff_elapsed=cut, **kw).params

    true, seen = fit(status, start_offset=off), fit(labelled, start_offset=off)
    for k in ("dnf_share", "dnf_ability", "behind_hazard", "behind_slope", "foresight_hazard"):
        assert getattr(seen, k) == pytest.approx(getattr(true, k), rel=1e-9, abs=1e-12)
    assert fit(labelled).behind_hazard > 1.03 * fit(status).behind_hazard


def test_fit_withdrawals_on_real_split_times(realdata, realdata_index):
    # Grand Trail des Templiers 2024: barriers at 4 checkpoints (start offset correct in 2024)
    rid = "templiers_gtt_2024"
    e = next(x for x in realdata_index["editions"] if x["id"] == rid)
    with (realdata / e["files"]["checkpoints"]).open(encoding="utf-8") as fh:
        cps = list(csv.DictReader(fh))
    E, st = _split_times(realdata / e["files"]["times"], [c["short_name"] for c in cps])
    start = dt.datetime.fromisoformat(e["start"])
    cut = np.array(
        [
            (dt.datetime.fromisoformat(c["cutoff"]) - start).total_seconds()
            if j and c["cutoff"]
            else np.nan
            for j, c in enumerate(cps)
        ]
    )
    dist = np.array([float(c["distance_m"]) for c in cps])
    gain = np.array([float(c["elevation_gain_m"]) for c in cps])
    kme = np.diff(dist, prepend=0) / 1000 + np.diff(gain, prepend=0) / 100
    with_b = fit_field(E, st, leg_effort=kme, cutoff_elapsed=cut).params
    without = fit_field(E, st, leg_effort=kme).params
    # runners behind the barriers' pace withdraw: the hazard is there and takes part of
    # the withdrawals from the km-effort hazard
    assert 0.02 < with_b.behind_hazard < 2.0
    assert with_b.behind_slope > 3.0
    assert with_b.dnf_share < without.dnf_share
    # long fast tail, short slow tail of the log times
    assert with_b.skew > 0.3


def test_steep_behind_slope_does_not_overflow():
    """The fit allows slopes up to 200: the hazard saturates (certain withdrawal) without
    float32 overflow warnings (the suite turns warnings into errors)."""
    r, eff, cut = _course(n=12, slack=1.0)
    base = FieldParams(spread=0.2, leg_sigma=0.08, dnf_share=0.05, dnf_ability=0.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=2000, repetitions=2, seed=3)
    sim = simulate_field(
        r, params=replace(base, behind_hazard=0.2, behind_slope=200), ability_mean=-0.1, **kw
    )
    tot = sim.finishers + sim.eliminated.sum(axis=1) + sim.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 2000)


def test_simulation_same_result_on_any_number_of_threads(monkeypatch):
    """Chunks carry their own seeded streams: threads change the speed, not the result."""
    r, eff, cut = _course()
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=12, seed=5)
    kw["chunk_elements"] = 500 * 11 * 3  # four chunks
    out = []
    for n in ("1", "3"):
        monkeypatch.setenv("COURSEKIT_THREADS", n)
        out.append(simulate_field(r, **kw))
    a, b = out
    for key in ("finishers", "eliminated", "withdrawn", "reached", "occupancy", "occupancy_peak"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    np.testing.assert_array_equal(a.arrival_quantiles, b.arrival_quantiles)
    np.testing.assert_array_equal(a.last_arrival, b.last_arrival)


def test_level_is_solved_the_same_on_any_split_of_its_sample(monkeypatch):
    """The level's calibration sample is evaluated in parts (on threads): each runner's race
    is computed alone, so one part, four or eight give the same level and the same field."""
    import coursekit.field as field_module

    r, eff, cut = _course()
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=300, repetitions=4, seed=11)
    params = replace(DEFAULT_FIELD, chase_share=0.3, tail_ease=0.5)
    out = []
    for part, threads in ((20_000, "1"), (5_000, "1"), (5_000, "2"), (3_000, "3")):
        monkeypatch.setattr(field_module, "_CAL_PART", part)
        monkeypatch.setenv("COURSEKIT_THREADS", threads)
        out.append(simulate_field(r, params=params, **kw))
    for sim in out[1:]:
        assert sim.ability_mean == out[0].ability_mean
        np.testing.assert_array_equal(sim.eliminated, out[0].eliminated)


def test_level_sd_widens_the_bands_not_the_share():
    """One shift of the field per repetition (edition to edition): wider bands, same mean."""
    r, eff, cut = _course(slack=1.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=2000, repetitions=60, seed=3)
    base = FieldParams(spread=0.2, leg_sigma=0.05, fatigue=0.0, dnf_share=0.05)
    a = simulate_field(r, params=base, finish_share=0.7, **kw)
    b = simulate_field(r, params=replace(base, level_sd=0.05), finish_share=0.7, **kw)
    assert a.finish_share == pytest.approx(0.7, abs=0.01)
    assert b.finish_share == pytest.approx(0.7, abs=0.02)
    # finishers per repetition: binomial-like spread without, edition spread with
    assert np.std(b.finishers) > 3 * np.std(a.finishers)
    with pytest.raises(ValueError, match="level_sd"):
        FieldParams(level_sd=-0.1)


# ---------------------------------------------------------------- start compression


def test_start_compression_narrows_the_first_legs_around_the_median():
    """Noise-free runners are ordered by ability, so the 90th percentile at each row is the
    arrival of the runner at z = 1.2816: sum_k r_k exp(mu w_k + s z w_k h_k), with
    h_k = 1 - a exp(-tau_k / tau_0) and tau_k the median runner's mid-leg time (closed form).
    The median runner is unchanged; the late rows barely (the first hour is 1/11 of the race)."""
    r = np.array([0.0, 1800.0, 1800.0, 36000.0])  # 0.5 h, 0.5 h, 10 h legs
    w = np.array([0.9, 1.0, 1.1])
    mu, s = -0.5, 0.2  # the median runs 0.6 x the reference's times: h on his clock
    base = FieldParams(spread=s, leg_sigma=0.0, fatigue=0.0, dnf_share=0.0, skew=0.0)
    kw = dict(
        leg_effort=[0.0, 5.0, 5.0, 60.0],
        leg_weights=w,
        n_runners=20_000,
        repetitions=1,
        ability_mean=mu,
        seed=8,
        quantiles=(0.5, 0.9),
    )
    a, tau0 = 0.4, 1800.0
    off = simulate_field(r, params=base, **kw).arrival_quantiles
    on = simulate_field(
        r, params=replace(base, start_compression=a, start_time_s=tau0), **kw
    ).arrival_quantiles
    legs = r[1:] * np.exp(mu * w)
    h = 1 - a * np.exp(-(np.cumsum(legs) - legs / 2) / tau0)
    z90 = 1.2815516

    def arrivals(hk):
        return np.cumsum(r[1:] * np.exp(mu * w + s * z90 * w * hk))

    # the median runner's arrivals (sample median: 3 standard errors = 0.5 %)
    np.testing.assert_allclose(on[0, 1:], np.cumsum(legs), rtol=5e-3)
    np.testing.assert_allclose(off[0, 1:], np.cumsum(legs), rtol=5e-3)
    # the 90th percentile: closed form with and without the compression (sample: 0.5 %)
    np.testing.assert_allclose(on[1, 1:], arrivals(h), rtol=5e-3)
    np.testing.assert_allclose(off[1, 1:], arrivals(1.0), rtol=5e-3)
    # first checkpoint: the deviation is s w_1 h_1 (h_1 = 0.71 here)
    assert math.log(on[1, 1] / on[0, 1]) == pytest.approx(z90 * s * w[0] * h[0], rel=0.03)
    assert h[0] < 0.8
    assert math.log(on[1, 3] / on[0, 3]) > 0.97 * math.log(off[1, 3] / off[0, 3])
    with pytest.raises(ValueError, match="start_compression"):
        FieldParams(start_compression=1.5)


def _compressed_field(a, *, n=6000, seed=0):
    """Split times of finishers drawn with a known start compression ``a`` (tau_0
    DEFAULT_FIELD's start_time_s) on uneven weights w_k: short first legs (0.4-1.2 h), where
    the compression is seen, then long ones. Returns (elapsed, status, leg_effort, w)."""
    rng = np.random.default_rng(seed)
    r = np.r_[0.0, 1500.0, 2500.0, 4300.0, rng.uniform(6000, 12000, 9)]
    eff = np.r_[0.0, rng.uniform(4, 10, r.size - 1)]
    w = np.r_[0.7, 0.8, 0.9, np.linspace(0.95, 1.3, r.size - 4)]
    h = 1 - a * np.exp(-(np.cumsum(r[1:]) - r[1:] / 2) / DEFAULT_FIELD.start_time_s)
    theta = 0.2 * rng.standard_normal(n)
    eps = 0.06 * rng.standard_normal((n, r.size - 1))
    E = np.c_[np.zeros(n), np.cumsum(r[1:] * np.exp(theta[:, None] * w * h + eps), axis=1)]
    return E, np.array(["FINISHER"] * n), eff, w


@pytest.mark.parametrize("a", [0.0, 0.3, 0.6])
def test_fit_start_compression_recovers_a_known_compression(a):
    """Fields drawn with start compression 0, 0.3 and 0.6 give it back from their slopes
    (fit_field) against the weights they were drawn with; the median finisher is the
    reference, the slopes carry the leg noise of the finish."""
    got = []
    for seed in (0, 1, 2):
        E, st, eff, w = _compressed_field(a, seed=seed)
        fit = fit_field(E, st, leg_effort=eff)
        got.append(fit_start_compression(fit.slopes, fit.reference_elapsed, w))
    assert np.mean(got) == pytest.approx(a, abs=0.06)
    assert max(got) - min(got) <= 0.1


def test_fit_start_compression_tells_the_weights_apart():
    """The same split times measured against weights that already hold the compression
    (w_k h_k) give none, and against flatter first weights a larger one."""
    E, st, eff, w = _compressed_field(0.5)
    fit = fit_field(E, st, leg_effort=eff)
    R = fit.reference_elapsed
    r = np.diff(R)
    h = 1 - 0.5 * np.exp(-(np.cumsum(r) - r / 2) / DEFAULT_FIELD.start_time_s)
    assert fit_start_compression(fit.slopes, R, w * h) <= 0.06
    assert fit_start_compression(fit.slopes, R, w) == pytest.approx(0.5, abs=0.08)
    flat = w.copy()
    flat[:3] = 1.0  # the first legs weighed more: more compression to reach the same slopes
    assert fit_start_compression(fit.slopes, R, flat) > fit_start_compression(fit.slopes, R, w)


def test_fit_start_compression_without_slopes_and_bad_shapes():
    R = np.array([0.0, 1800.0, 3600.0, 7200.0])
    w = np.ones(3)
    one = np.array([np.nan, 0.8, np.nan, 1.0])  # one slope between the start and the finish
    assert fit_start_compression(one, R, w) == DEFAULT_FIELD.start_compression
    with pytest.raises(ValueError, match="disagree"):
        fit_start_compression(one, R, np.ones(4))


# ---------------------------------------------------------------- barrier chasing


def test_chasing_pulls_late_runners_toward_the_median():
    """Two legs of 1 h, a barrier at their end at 1.2 x the reference's 2 h: after leg 1 a
    runner at deviation d > ln 1.2 is projected late (q = e^d / 1.2 > 1) and runs leg 2 at
    e^((1 - c) d). Noise-free runners: the 99th percentile at the barrier is the runner at
    z = 2.326 (closed form), the median and every runner on time are unchanged. A third leg
    to a finish without a limit (h119: a race's limit, the finish's barrier, records a runner
    over it at the limit, so the late runners' own times would not show there)."""
    r = np.array([0.0, 3600.0, 3600.0, 3600.0])
    cut = np.array([np.nan, np.nan, 1.2 * 7200.0, np.nan])
    s, c = 0.2, 0.5
    base = FieldParams(
        spread=s, leg_sigma=0.0, fatigue=0.0, dnf_share=0.0, skew=0.0, chase_share=0.0
    )
    kw = dict(
        leg_effort=[0.0, 5.0, 5.0, 5.0],
        cutoff_elapsed=cut,
        leg_weights=[1.0, 1.0, 1.0],
        n_runners=20_000,
        repetitions=5,
        ability_mean=0.0,
        seed=3,
        quantiles=(0.5, 0.8, 0.99),
    )
    off = simulate_field(r, params=base, **kw).arrival_quantiles
    on = simulate_field(r, params=replace(base, chase_share=c), **kw).arrival_quantiles
    d99 = s * 2.3263479
    assert d99 > math.log(1.2)  # projected late after leg 1
    np.testing.assert_allclose(off[2, 2], 3600 * 2 * math.exp(d99), rtol=1e-2)
    np.testing.assert_allclose(
        on[2, 2], 3600 * (math.exp(d99) + math.exp((1 - c) * d99)), rtol=1e-2
    )
    # the first leg is run at the runners' own pace; the median runner is not late, and
    # the chasers (d > ln 1.2) stay behind him; at p80 (d = 0.168) chasers overtake
    np.testing.assert_array_equal(on[:, 1], off[:, 1])
    assert on[0, 2] == off[0, 2]
    assert on[1, 2] < off[1, 2]
    with pytest.raises(ValueError, match="chase_share"):
        FieldParams(chase_share=1.5)


def test_chase_arrivals_known_values():
    from coursekit.field import _chase_arrivals_2d

    x = np.zeros((3, 3))
    dev = np.array([[0.3, 0.3, 0.3], [-0.3, -0.3, -0.3], [0.1, 0.1, 0.1]])
    r = np.array([100.0, 100.0, 100.0])
    late_at = np.array([120.0, math.inf, math.inf])  # a barrier after leg 2 only
    t = _chase_arrivals_2d(x, dev, r, late_at, 0.5)
    e3, e1 = math.exp(0.3), math.exp(0.1)
    # runner 0: late after leg 1 (135 > 120), leg 2 at exp(0.15), no next barrier after
    np.testing.assert_allclose(t[0], np.cumsum([100 * e3, 100 * math.exp(0.15), 100 * e3]))
    # runner 1 is faster than the median, runner 2 on time (110.5 <= 120): own pace
    np.testing.assert_allclose(t[1], np.cumsum(100 * np.exp([-0.3] * 3)))
    np.testing.assert_allclose(t[2], np.cumsum([100 * e1] * 3))


def test_chase_share_zero_is_the_simulation_without_chasing():
    """c = 0 runs the vectorised simulation unchanged; a share so small that 1 - c rounds to
    1 in float32 runs the leg-by-leg loop: the same seed gives the same field exactly."""
    r, eff, cut = _course(slack=1.05)
    base = replace(DEFAULT_FIELD, chase_share=0.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=40, seed=11)
    kw["ability_mean"] = -0.05
    a = simulate_field(r, params=base, chunk_elements=60_000, **kw)
    b = simulate_field(r, params=replace(base, chase_share=1e-9), chunk_elements=60_000, **kw)
    assert a.eliminated.sum() > 100
    for key in ("finishers", "eliminated", "withdrawn", "reached", "arrival_quantiles"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    np.testing.assert_array_equal(a.occupancy, b.occupancy)


def test_chasing_times_out_fewer_at_the_same_level():
    """Barriers at rows 4, 8 and 11: runners projected late before row 4 chase it, so it
    stops fewer; some of them are stopped by the next barriers instead (they run their own
    pace again once back on time), and more finish."""
    r, eff, cut = _course(slack=1.05)
    cut[[1, 2, 3, 5, 6, 7, 9, 10]] = np.nan
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=2000, repetitions=20, seed=5)
    base = replace(DEFAULT_FIELD, chase_share=0.0, behind_hazard=0.0, level_sd=0.0)
    a = simulate_field(r, params=base, ability_mean=-0.1, **kw)
    b = simulate_field(r, params=replace(base, chase_share=0.6), ability_mean=-0.1, **kw)
    assert b.eliminated[:, 4].sum() < 0.8 * a.eliminated[:, 4].sum()
    assert b.eliminated.sum() < 0.9 * a.eliminated.sum()
    assert b.finishers.sum() > a.finishers.sum()


@pytest.mark.parametrize("chase", [0.0, 0.5])
def test_fit_recovers_chase_share(chase):
    truth = replace(HISTORY_TRUTH, chase_share=chase)
    got = []
    for seed in (0, 1):
        E, status, eff, cut = _synthetic_history(truth, seed=seed)
        p = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut).params
        got.append(p.chase_share)
        # the withdrawal hazards come out as without chasing: |mean error| + 3 sd over
        # seeds 0-19 (chase 0) and 0-5 (chase 0.5) of these fields (h114), the larger:
        # behind_hazard -3.6 % sd 6.4 % / -2.0 % sd 9.3 % (the 0.3 kept), behind_slope
        # -0.9 % sd 5.0 % / +2.3 % sd 4.9 %; seeds 0-1 within -12.5 %..+9.7 %, -1.1 %..+2.6 %
        assert p.behind_hazard == pytest.approx(0.25, rel=0.3)
        assert p.behind_slope == pytest.approx(20.0, rel=0.17)
    assert np.mean(got) == pytest.approx(chase, abs=0.08)
    # without barriers there is nothing to chase: not fitted (0)
    assert fit_field(E, status, leg_effort=eff).params.chase_share == 0.0


# ---------------------------------------------------------------- the barrier after next


def test_ahead_coef_known_values():
    from coursekit.field import _behind_coef

    R = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    lim = np.array([np.inf, 2.2, np.inf, 4.5, 6.0])  # barriers at rows 2, 4 and the finish
    np.testing.assert_allclose(
        _behind_coef(R, lim), [2 / 2.2, 4 / (2 * 4.5), 4 / (3 * 4.5), 5 / (4 * 6), 0]
    )
    # the barrier after next: row 4 from row 1, the finish from rows 2 and 3, none from row 4
    np.testing.assert_allclose(
        _behind_coef(R, lim, nth=2), [4 / 4.5, 5 / (2 * 6), 5 / (3 * 6), 0, 0]
    )


def test_ahead_hazard_known_probabilities():
    """Identical runners: at rows 1 and 2 the next barrier is row 3 and the one after it the
    finish; at rows 3 and 4 there is no barrier after next. The share withdrawing at each
    checkpoint is 1 - exp(-h0 q^g - h2 q2^g2) exactly."""
    rows = 6
    r = np.r_[0.0, np.full(rows - 1, 3600.0)]
    eff = np.r_[0.0, np.full(rows - 1, 10.0)]
    cut = np.array([np.nan, np.nan, np.nan, 3 * H * 1.3, np.nan, 5 * H * 1.1])
    p = FieldParams(
        spread=0.0,
        leg_sigma=0.0,
        fatigue=0.0,
        dnf_share=0.0,
        behind_hazard=0.1,
        behind_slope=15,
        ahead_hazard=0.3,
        ahead_slope=12,
    )
    n, reps, mu = 20_000, 3, 0.05
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        params=p,
        ability_mean=mu,
        seed=4,
    )
    t = np.exp(mu) * np.cumsum(r)
    R = np.cumsum(r)
    alive, expect = 1.0, np.zeros(rows)
    for k in range(1, 5):
        b = 3 if k < 3 else 5
        h = 0.1 * (t[k] * R[b] / (R[k] * cut[b])) ** 15
        if k < 3:
            h += 0.3 * (t[k] * R[5] / (R[k] * cut[5])) ** 12
        expect[k] = alive * (1 - math.exp(-h))
        alive *= 1 - expect[k] / alive
    got = sim.withdrawn.sum(axis=0) / (n * reps)
    se = np.sqrt(expect * (1 - expect) / (n * reps))
    assert np.all(np.abs(got - expect) <= 4 * se + 1e-12), (got, expect)
    assert expect[1] > 0.1 and expect[2] > 0.1  # the term ahead does most of it there
    assert sim.eliminated.sum() == 0
    # behind_hazard 0: the term ahead alone
    only = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        params=replace(p, behind_hazard=0.0),
        ability_mean=mu,
        seed=4,
    )
    got = only.withdrawn.sum(axis=0) / (n * reps)
    p1 = 1 - math.exp(-0.3 * (t[1] * R[5] / (R[1] * cut[5])) ** 12)
    assert got[1] == pytest.approx(p1, abs=4 * math.sqrt(p1 * (1 - p1) / (n * reps)))
    assert got[3] == 0 and got[4] == 0
    with pytest.raises(ValueError, match="ahead_hazard"):
        FieldParams(ahead_hazard=-0.1)


def test_ahead_hazard_zero_is_the_simulation_without_it():
    """ahead_hazard 0 runs the former code; a hazard so small that every term is below the
    1e-4 cut runs the new one with the term zeroed: the same seed gives the same field."""
    r, eff, cut = _course(slack=1.05)
    base = replace(DEFAULT_FIELD, ahead_hazard=0.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=40, seed=11)
    for extra in ({"ability_mean": -0.05}, {}):  # given level, and solved from the share
        a = simulate_field(r, params=base, chunk_elements=60_000, **kw, **extra)
        b = simulate_field(
            r, params=replace(base, ahead_hazard=1e-30), chunk_elements=60_000, **kw, **extra
        )
        assert a.withdrawn.sum() > 100
        assert a.ability_mean == b.ability_mean
        for key in ("finishers", "eliminated", "withdrawn", "reached", "arrival_quantiles"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert DEFAULT_FIELD.ahead_hazard == 0.0  # the no-history route is the former one


def test_ahead_hazard_withdraws_before_the_barrier_after_next():
    """Barriers at rows 4, 8 and 11, the one at row 8 tight: the term ahead stops runners at
    the checkpoints before row 4 who would be late at row 8, so row 8 times out fewer."""
    r, eff, cut = _course(n=12, slack=1.25)
    cut[[1, 2, 3, 5, 6, 7, 9, 10]] = np.nan
    cut[8] = np.cumsum(r)[8] * 1.05
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=5000, repetitions=4, seed=9)
    base = FieldParams(spread=0.2, leg_sigma=0.08, dnf_share=0.05, dnf_ability=0.0)
    a = simulate_field(r, params=base, ability_mean=-0.1, **kw)
    b = simulate_field(
        r, params=replace(base, ahead_hazard=0.3, ahead_slope=20), ability_mean=-0.1, **kw
    )
    assert b.eliminated[:, 8].sum() < 0.7 * a.eliminated[:, 8].sum()
    assert b.withdrawn[:, 1:5].sum() > a.withdrawn[:, 1:5].sum()
    tot = b.finishers + b.eliminated.sum(axis=1) + b.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 5000)


AHEAD_SLACK = (1.35, 1.15, 1.3, 1.25)
"""Barriers of the ahead fit-back tests: the one after next is tighter than the next at
rows 1-3 and 7-9, looser at rows 4-6."""


def test_fit_recovers_ahead_hazard():
    truth = replace(HISTORY_TRUTH, ahead_hazard=0.15, ahead_slope=15.0)
    got = []
    for seed in (0, 1):
        E, status, eff, cut = _synthetic_history(truth, seed=seed, slack=AHEAD_SLACK)
        p = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut).params
        got.append((p.ahead_hazard, p.ahead_slope, p.behind_hazard, p.behind_slope))
        # the former fit (ahead=False) has no term ahead and the rest as before
        q = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut, ahead=False).params
        assert q.ahead_hazard == 0.0
    h2, g2, h0, g0 = np.mean(got, axis=0)
    # tolerances: |mean error| + 3 sd / sqrt(2) (a mean of two seeds), the error over seeds
    # 0-19 of this field (bench_field_fit_seeds.py); this mean of seeds 0-1 in
    # brackets: ahead_hazard -4.6 % sd 7.1 % (-4.4 %), ahead_slope +0.1 % sd 4.0 % (-0.04 %),
    # behind_hazard -1.9 % sd 6.9 % (-4.5 %), behind_slope +0.2 % sd 5.4 % (-6.1 %): the
    # accepted ranges of the two terms are disjoint (0.12-0.18 / 0.21-0.29, 13.6-16.4 /
    # 17.6-22.4), so the fit cannot swap them
    assert h2 == pytest.approx(0.15, rel=0.2)
    assert g2 == pytest.approx(15.0, rel=0.09)
    assert h0 == pytest.approx(0.25, rel=0.17)
    assert g0 == pytest.approx(20.0, rel=0.12)
    assert abs(h2 - 0.15) < abs(h2 - 0.25) and abs(h0 - 0.25) < abs(h0 - 0.15)
    assert abs(g2 - 15.0) < abs(g2 - 20.0) and abs(g0 - 20.0) < abs(g0 - 15.0)


def test_fit_finds_no_ahead_hazard_where_there_is_none():
    E, status, eff, cut = _synthetic_history(HISTORY_TRUTH, seed=0, slack=AHEAD_SLACK)
    p = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut).params
    # a negligible term: below 1 % per checkpoint for a runner at the barrier after next
    assert p.ahead_hazard < 0.01
    # |mean error| + 3 sd over seeds 0-9 of this field (h114): behind_hazard -1.4 % sd
    # 3.6 % (seed 0: -1.2 %), behind_slope +1.4 % sd 4.0 % (seed 0: -2.0 %)
    assert p.behind_hazard == pytest.approx(0.25, rel=0.12)
    assert p.behind_slope == pytest.approx(20.0, rel=0.14)


# ---------------------------------------------------------------- the runner's own arrival


def test_next_barrier_known_values():
    from coursekit.field import _next_barrier

    lim = np.array([np.inf, 2.2, np.inf, 4.5, 6.0])  # barriers at rows 2, 4 and the finish
    src, coef = _next_barrier(lim)  # the term at rows 1, 3 and 4, just before them
    np.testing.assert_array_equal(src, [1, 2, 3, 4, 4])
    np.testing.assert_allclose(coef, [1 / 2.2, 0, 1 / 4.5, 1 / 6.0, 0])


def test_foresight_hazard_known_probabilities():
    """Identical runners without noise, barriers at row 3 and the finish: the share
    withdrawing at rows 2 and 4 (just before them) is 1 - exp(-h3 (A_b / T_b)^g3) exactly,
    A_b their own arrival at the barrier; nobody withdraws at rows 1 and 3."""
    rows = 6
    r = np.r_[0.0, 3600.0, 1800.0, 5400.0, 3600.0, 3600.0]
    eff = np.r_[0.0, np.full(rows - 1, 10.0)]
    R = np.cumsum(r)
    cut = np.array([np.nan, np.nan, np.nan, R[3] * 1.1, np.nan, R[5] * 1.12])
    p = FieldParams(
        spread=0.0,
        leg_sigma=0.0,
        fatigue=0.0,
        dnf_share=0.0,
        foresight_hazard=0.2,
        foresight_slope=12,
    )
    n, reps, mu = 20_000, 3, 0.05
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        n_runners=n,
        repetitions=reps,
        params=p,
        ability_mean=mu,
        seed=4,
    )
    t = np.exp(mu) * R
    alive, expect = 1.0, np.zeros(rows)
    for k in (2, 4):  # the checkpoints just before the barriers at rows 3 and 5
        expect[k] = alive * (1 - math.exp(-0.2 * (t[k + 1] / cut[k + 1]) ** 12))
        alive *= 1 - expect[k] / alive
    got = sim.withdrawn.sum(axis=0) / (n * reps)
    se = np.sqrt(expect * (1 - expect) / (n * reps))
    assert np.all(np.abs(got - expect) <= 4 * se + 1e-12), (got, expect)
    assert expect[2] > 0.05 and expect[4] > 0.05
    assert sim.eliminated.sum() == 0
    with pytest.raises(ValueError, match="foresight_hazard"):
        FieldParams(foresight_hazard=-0.1)


def test_foresight_hazard_zero_is_the_simulation_without_it():
    """foresight_hazard 0 runs the former code; a hazard so small that every term is below
    the 1e-4 cut runs the new one with the term zeroed: the same seed gives the same field,
    with and without the chasing and the term ahead."""
    r, eff, cut = _course(slack=1.05)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=40, seed=11)
    for base in (DEFAULT_FIELD, replace(DEFAULT_FIELD, chase_share=0.0, ahead_hazard=0.05)):
        for extra in ({"ability_mean": -0.05}, {}):  # given level, and solved from the share
            a = simulate_field(r, params=base, chunk_elements=60_000, **kw, **extra)
            b = simulate_field(
                r,
                params=replace(base, foresight_hazard=1e-30),
                chunk_elements=60_000,
                **kw,
                **extra,
            )
            assert a.withdrawn.sum() > 100
            assert a.ability_mean == b.ability_mean
            for key in ("finishers", "eliminated", "withdrawn", "reached", "arrival_quantiles"):
                np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert DEFAULT_FIELD.foresight_hazard == 0.0  # the no-history route is the former one


def test_foresight_hazard_withdraws_those_who_will_be_late():
    """The term stops, before a barrier, the runners whose own legs take them past it: the
    barrier times out fewer, and more withdraw at the checkpoints before it."""
    r, eff, cut = _course(n=12, slack=1.25)
    cut[[1, 2, 3, 5, 6, 7, 9, 10]] = np.nan
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=5000, repetitions=4, seed=9)
    base = FieldParams(spread=0.2, leg_sigma=0.08, dnf_share=0.05, dnf_ability=0.0)
    a = simulate_field(r, params=base, ability_mean=0.0, **kw)
    b = simulate_field(
        r, params=replace(base, foresight_hazard=0.5, foresight_slope=30), ability_mean=0.0, **kw
    )
    assert b.eliminated[:, 4].sum() < 0.5 * a.eliminated[:, 4].sum()
    assert b.withdrawn[:, 1:4].sum() > a.withdrawn[:, 1:4].sum()
    tot = b.finishers + b.eliminated.sum(axis=1) + b.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 5000)


def test_fit_recovers_foresight_hazard():
    truth = replace(HISTORY_TRUTH, foresight_hazard=0.3, foresight_slope=20.0)
    got = []
    for seed in (0, 1):
        E, status, eff, cut = _synthetic_history(truth, seed=seed)
        p = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut).params
        got.append((p.foresight_hazard, p.foresight_slope, p.behind_hazard, p.behind_slope))
        # the former fit (foresight=False) has no such term
        q = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut, foresight=False).params
        assert q.foresight_hazard == 0.0
    h3, g3, h0, g0 = np.mean(got, axis=0)
    # the error over seeds 0-19 of this field (bench_field_fit_seeds.py), and this mean
    # of seeds 0-1 in brackets: foresight_hazard +7.4 % sd 18.8 % (-20.5 %), foresight_slope
    # +0.8 % sd 10.6 % (-13.9 %), behind_hazard -4.8 % sd 8.0 % (-2.6 %), behind_slope
    # -0.6 % sd 5.3 % (+0.9 %). The low values of seeds 0-1 are noise, not a bias (over 20
    # seeds the fit is centred: 0.23-0.43 and 16-23.4). Tolerances |mean| + 3 sd / sqrt(2)
    # (a mean of two seeds); for foresight_hazard that is 0.47, kept at the former 0.35
    assert h3 == pytest.approx(0.3, rel=0.35)
    assert g3 == pytest.approx(20.0, rel=0.24)
    assert h0 == pytest.approx(0.25, rel=0.22)
    assert g0 == pytest.approx(20.0, rel=0.12)


def test_fit_finds_no_foresight_hazard_where_there_is_none():
    """Six fields drawn without the term: the likelihood-ratio test (5 %) keeps none on at
    least four (in 16 such fields it kept 0.013 and 0.09 on two), and the other hazards
    come back."""
    kept = 0
    for seed in range(6):
        p = _history_fit(seed)[4].params
        kept += p.foresight_hazard > 0
        assert p.foresight_hazard < 0.15
        # behind_hazard -3.6 % sd 6.4 % over seeds 0-19 (h114): |mean| + 3 sd; seeds 0-5
        # here -12.5 % to +6.0 %
        assert p.behind_hazard == pytest.approx(0.25, rel=0.23)
    assert kept <= 2


def test_foresight_hazard_divides_by_the_published_barrier():
    """Review finding 7: the fit divides the arrival at the barrier by the published barrier
    (split times carry no planned stop), the simulation divided by barrier - dwell: with a
    slope of 74, a 15 min stop at a 24 h barrier doubled the fitted hazard. Now both use the
    published barrier: a stop at the barrier leaves the withdrawals before it unchanged."""
    r, eff, cut = _course(n=12, slack=1.25)
    cut[[1, 2, 3, 5, 6, 7, 9, 10]] = np.nan
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=5000, repetitions=4, seed=9)
    p = FieldParams(
        spread=0.2, leg_sigma=0.08, dnf_share=0.05, foresight_hazard=0.05, foresight_slope=74
    )
    dw = np.zeros(cut.size)
    dw[4] = 0.01 * cut[4]
    a = simulate_field(r, params=p, ability_mean=0.0, **kw)
    b = simulate_field(r, params=p, ability_mean=0.0, dwell=dw, **kw)
    np.testing.assert_array_equal(b.withdrawn[:, :4], a.withdrawn[:, :4])
    assert a.withdrawn[:, 3].sum() > 50  # the term is at work there
    assert b.eliminated[:, 4].sum() > a.eliminated[:, 4].sum()  # the stop still eliminates


def test_fit_tells_the_foresight_gain_in_its_notes():
    """Review finding 7: the foresight term's log-likelihood gain went out through a
    function attribute (``_fit_withdrawals.last_gain``), set only when the term was fitted,
    so a later fit could leave a stale value. It is in ``FieldFit.notes`` now, per fit."""
    from coursekit.field import _fit_withdrawals

    E, status, eff, cut = _synthetic_history(
        replace(HISTORY_TRUTH, foresight_hazard=0.3, foresight_slope=20.0), seed=0
    )
    fit = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut)
    note = [n for n in fit.notes if n.startswith("foresight_hazard: log-likelihood gain ")]
    assert len(note) == 1 and note[0].endswith("> 3, kept"), fit.notes
    assert float(note[0].split()[3]) > 3.0
    assert not hasattr(_fit_withdrawals, "last_gain")
    # not fitted: no note
    fit = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut, foresight=False)
    assert not [n for n in fit.notes if n.startswith("foresight_hazard")], fit.notes


# ---------------------------------------------------------------- slower runners' late legs


def test_tail_ease_zero_is_the_simulation_without_it():
    """``tail_ease`` 0 (DEFAULT_FIELD's) runs the former code: the same seed gives the same
    field as a FieldParams without the attribute set, with and without chasing; a tiny
    value changes nothing measurable but goes through the new path."""
    r, eff, cut = _course(slack=1.05)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=500, repetitions=40, seed=11)
    for chase in (0.0, 0.3):
        base = replace(DEFAULT_FIELD, chase_share=chase)
        assert base.tail_ease == 0.0
        a = simulate_field(r, params=base, ability_mean=-0.05, chunk_elements=60_000, **kw)
        eased = replace(base, tail_ease=1e-12)
        b = simulate_field(r, params=eased, ability_mean=-0.05, chunk_elements=60_000, **kw)
        assert a.eliminated.sum() > 100
        for key in ("finishers", "eliminated", "withdrawn", "reached"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    # the no-history default solves its level through the same code whether tail_ease is 0
    # or tiny (same level, same field), and the level it solves does what it is solved for:
    # on this course the cap binds, the barriers eliminate eliminated_max of the field
    # within sampling error (one edition, level_sd 0: 8,000 runners + the 20,000-runner
    # calibration sample), and every starter finishes, is eliminated or withdraws once
    then = replace(DEFAULT_FIELD, level_sd=0.0)
    kw = dict(leg_effort=eff, cutoff_elapsed=cut, n_runners=2000, repetitions=4, seed=3)
    c = simulate_field(r, params=then, **kw)
    d = simulate_field(r, params=replace(then, tail_ease=1e-12), **kw)
    assert d.ability_mean == c.ability_mean
    for key in ("finishers", "eliminated", "withdrawn", "reached"):
        np.testing.assert_array_equal(getattr(c, key), getattr(d, key))
    assert c.capped
    cap = then.eliminated_max
    out = c.eliminated.sum(axis=1).mean() / 2000
    se = math.sqrt(cap * (1 - cap) * (1 / 8000 + 1 / 20_000))
    assert abs(out - cap) < 4 * se
    tot = c.finishers + c.eliminated.sum(axis=1) + c.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 2000)


def test_slow_weights_known_values():
    from coursekit.field import _slow_weights

    # legs of effort 1, 1, 2: mid-leg effort fractions 1/8, 3/8, 3/4
    w = _slow_weights([1.0, 2.0, 1.0], [1.0, 1.0, 2.0], 0.4)
    np.testing.assert_allclose(w, [1 - 0.4 / 8, 2 * (1 - 0.4 * 3 / 8), 1 - 0.4 * 3 / 4])
    np.testing.assert_array_equal(_slow_weights([1.0, 2.0], [1.0, 1.0], 0.0), [1.0, 2.0])


def test_tail_ease_shortens_the_slow_tail_late_not_the_fast_one():
    """With ``tail_ease`` the runners slower than the median lose less late in the race:
    the late p90 comes earlier, the p10 does not move, and fewer are timed out."""
    r, eff, cut = _course(slack=1.15)
    base = replace(DEFAULT_FIELD, chase_share=0.0, behind_hazard=0.0, level_sd=0.0, dnf_share=0.0)
    eased = replace(base, tail_ease=0.5)
    # without barriers: every runner reaches every row, the quantiles compare directly
    kw = dict(leg_effort=eff, n_runners=4000, repetitions=10, seed=2, ability_mean=0.0)
    qa = simulate_field(r, params=base, **kw).arrival_quantiles
    qb = simulate_field(r, params=eased, **kw).arrival_quantiles
    np.testing.assert_array_equal(qb[0], qa[0])  # p10: faster than the median
    np.testing.assert_allclose(qb[1], qa[1], rtol=0.005)  # the median: about unchanged
    assert qb[2, -1] < 0.97 * qa[2, -1]  # late p90
    assert qb[2, 1] > 0.995 * qa[2, 1]  # early p90 barely moves
    # with the barriers: fewer timed out late in the race, about as many early
    kw["cutoff_elapsed"] = cut
    a = simulate_field(r, params=base, **kw)
    b = simulate_field(r, params=eased, **kw)
    assert b.eliminated[:, 7:].sum() < 0.7 * a.eliminated[:, 7:].sum()
    assert b.eliminated[:, 1].sum() > 0.95 * a.eliminated[:, 1].sum()


@pytest.mark.parametrize("ease", [0.0, 0.4])
def test_fit_recovers_tail_ease(ease):
    """Synthetic fields drawn with a known ``tail_ease`` give it back (the other parameters
    as without it); ``ease=False`` is the former fit (0)."""
    truth = replace(HISTORY_TRUTH, tail_ease=ease)
    got = []
    for seed in (0, 1, 2):
        E, status, eff, cut = _synthetic_history(truth, seed=seed)
        fit = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut)
        got.append(fit.params.tail_ease)
        # -3.6 % sd 6.4 % (ease 0, seeds 0-19) and -2.9 % sd 6.3 % (ease 0.4, seeds 0-5)
        # over these fields (h114): |mean error| + 3 sd; seeds 0-2: -12.5 %..+6.0 %
        assert fit.params.behind_hazard == pytest.approx(0.25, rel=0.23)
        assert any(n.startswith("tail_ease: slow/fast slope ratio") for n in fit.notes)
        q = fit_field(E, status, leg_effort=eff, cutoff_elapsed=cut, ease=False).params
        assert q.tail_ease == 0.0
    # a mean of three seeds: +0.0045 sd 0.007 (ease 0, seeds 0-19), -0.010 sd 0.020
    # (ease 0.4, seeds 0-5) (h114); |mean| + 3 sd / sqrt(3) = 0.016 / 0.045; seeds 0-2
    # give +0.003 / -0.010
    assert np.mean(got) == pytest.approx(ease, abs=0.05)
    assert max(got) - min(got) < 0.2


def test_peak_over_any_60_minutes_counts_a_bunch_straddling_the_hour_whole():
    """Black-box finding 7: the peak was the largest clock-hour count, so a bunch arriving
    around the hour was split (>= 240 of 300 within 22 min showed 176). All 300 runners of
    this field reach the first checkpoint within about 20 minutes of the hour: the
    clock-hour peak is about half of them, the 60-minute peak all of them."""
    p = replace(DEFAULT_FIELD, spread=0.04, leg_sigma=0.02, dnf_share=0.0, level_sd=0.0)
    sim = simulate_field(
        [0, 3600.0, 1800.0],
        leg_effort=[0, 10, 5],
        n_runners=300,
        repetitions=8,
        params=p,
        ability_mean=0.0,
        seed=1,
    )
    lo, hi = sim.arrival_quantiles[0, 1], sim.arrival_quantiles[-1, 1]
    assert lo < H < hi and hi - lo < 1200  # 10 % to 90 % within 20 min, across the hour
    assert sim.occupancy_peak[:, 1].mean() < 200  # the clock hours split the bunch
    np.testing.assert_array_equal(sim.occupancy_peak_60min[:, 1], 300)
    np.testing.assert_array_equal(sim.occupancy_peak_60min[:, 0], 300)  # the starters
    # the per-minute arrivals hold every passage once, like the hourly ones
    np.testing.assert_allclose(sim.minute_occupancy.sum(axis=1), sim.reached.mean(axis=0))
    assert np.all(sim.occupancy_peak_60min >= sim.occupancy_peak)


def test_minute_window_peak_is_the_most_arrivals_in_any_60_minutes():
    """`minute_window_peak` against a brute count over every window of 60 consecutive
    minute bins, with several repetitions and rows, and series shorter than the window."""
    from coursekit.field import minute_window_peak

    rng = np.random.default_rng(0)
    for _ in range(50):
        m = int(rng.integers(1, 300))
        a = rng.poisson(rng.uniform(0.1, 5), (3, 2, m))
        got = minute_window_peak(a)
        for r in range(3):
            for k in range(2):
                want = max(a[r, k, x : x + 60].sum() for x in range(m))
                assert got[r, k] == want


# ---------------------------------------------------------------- default finish share


def test_finish_share_by_effort_is_bounded_and_never_rises_with_size():
    """Black-box finding 10: the default finish share was 0.78 for every race. It is now
    exp(-h K) within [0.78, 0.95]: an 11 km loop is not a mountain ultra."""
    from coursekit.field import FINISH_SHARE_BOUNDS, finish_share_by_effort

    k = np.linspace(0.0, 600.0, 601)
    f = finish_share_by_effort(k)
    assert np.all(np.diff(f) <= 0)
    assert f[0] == f[40] == FINISH_SHARE_BOUNDS[1] == 0.95  # short races: the upper bound
    assert f[-1] == f[215] == FINISH_SHARE_BOUNDS[0] == 0.78  # long ultras: as before
    assert finish_share_by_effort(75.0) == pytest.approx(np.exp(-0.00118 * 75.0))
    assert finish_share_by_effort(15.4) == 0.95  # the black-box 11.4 km loop, 406 m D+
    assert finish_share_by_effort(100.0, hazard=0.0, bounds=(0.5, 0.9)) == 0.9
    for bad in ((0.9, 0.8), (0.0, 0.9), (0.8, 1.0)):
        with pytest.raises(ValueError, match="bounds"):
            finish_share_by_effort(10.0, bounds=bad)
    with pytest.raises(ValueError, match="km_effort"):
        finish_share_by_effort(-1.0)


def test_finish_share_hazard_is_the_fit_on_the_real_races(realdata):
    """FINISH_SHARE_HAZARD is the least-squares hazard of ln(finishers / starters) on the
    km-effort of the ten race-editions with split times, and leaving one out it predicts
    a race's finish share better than the former constant 0.78 (docs/simulation.md)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_finish_share import finish_shares, hazard

    from coursekit.field import FINISH_SHARE_HAZARD, finish_share_by_effort

    rows = finish_shares(realdata)
    assert len(rows) == 10
    k = np.array([r[1] for r in rows])
    f = np.array([r[3] / r[2] for r in rows])
    assert 0.70 < f.min() and f.max() < 0.96
    assert hazard(k, f) == pytest.approx(FINISH_SHARE_HAZARD, abs=5e-6)
    loo, const = [], []
    for i in range(len(rows)):
        m = np.arange(len(rows)) != i
        loo.append(abs(finish_share_by_effort(k[i], hazard=hazard(k[m], f[m])) - f[i]))
        const.append(abs(0.78 - f[i]))
    # the claim: leaving one out, the rule beats the constant by a wide margin; the figures
    # themselves (0.048 and 0.093 mean abs) are benchmarks/bench_finish_share.py's output,
    # quoted in docs/simulation.md: only bounded here, so a rule that got worse than the
    # quoted "within 0.048" (to two decimals) fails without pinning the third
    assert np.mean(loo) < 0.6 * np.mean(const)
    assert np.mean(loo) < 0.05


def _no_barrier_but_the_limit(n=10, leg=3000.0, slack=1.0, dwell=600.0):
    """A course with no barrier before the finish: the race's limit (``slack`` times the
    reference runner's finish) on the finish row only; a planned stop at every aid station."""
    r = np.r_[0.0, np.full(n - 1, leg)]
    eff = np.r_[0.0, np.linspace(5, 15, n - 1)]
    cut = np.full(n, np.nan)
    cut[-1] = slack * float(np.sum(r))
    dw = np.r_[0.0, np.full(n - 2, dwell), 0.0]
    return r, eff, cut, dw


def test_the_race_limit_closes_every_row_without_a_barrier():
    """h119 (h117 review finding 7): a runner over the race's limit ran every remaining
    station and was timed out only at the finish (Amizmiz 90: last runner Sun 13:09 for a
    Sun 07:00 limit). He is stopped at the first row he reaches after the limit, counted there
    as eliminated, his passage recorded at the limit: no row receives a runner after it."""
    r, eff, cut, dw = _no_barrier_but_the_limit()
    limit, off, n, reps = float(cut[-1]), 1800.0, 2000, 6
    sim = simulate_field(
        r,
        leg_effort=eff,
        cutoff_elapsed=cut,
        dwell=dw,
        n_runners=n,
        repetitions=reps,
        ability_mean=0.05,  # a slow field: its median runner over the limit
        # runners who do not see the limit coming (the behind-the-barrier hazard would have
        # most of them withdraw before it)
        params=replace(DEFAULT_FIELD, behind_hazard=0.0),
        hour_offset_s=off,
        seed=3,
        chunk_elements=40_000,
    )
    # stopped where the limit catches them, not only at the finish
    assert np.all(sim.eliminated[:, 1:-1].sum(axis=1) > 0)
    assert sim.finishers.mean() > 0.2 * n
    # no passage after the limit (elapsed from the start, the barriers' clock)
    assert np.nanmax(sim.last_arrival) <= limit
    assert np.nanmax(sim.arrival_quantiles) <= limit
    # nor in the arrivals per minute and per hour (the limit's own minute holds the pulled)
    last_min = int((limit + off) // 60)
    assert sim.minute_occupancy[:, last_min + 1 :].sum() == 0
    assert sim.minute_occupancy[1:-1, last_min].sum() > 0
    assert sim.occupancy[:, int((limit + off) // H) + 1 :].sum() == 0
    # present: no later than the planned stop of a runner pulled at the limit
    assert sim.present[:, int((limit + off + dw.max()) // H) + 1 :].sum() == 0
    # every runner ends once; stopping at k still arrives at k
    tot = sim.finishers + sim.eliminated.sum(axis=1) + sim.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, n)
    np.testing.assert_array_equal(
        sim.reached[:, :-1] - sim.reached[:, 1:],
        sim.eliminated[:, :-1] + sim.withdrawn[:, :-1],
    )
    np.testing.assert_array_equal(sim.reached[:, -1], sim.finishers + sim.eliminated[:, -1])
    np.testing.assert_allclose(sim.occupancy.sum(axis=1), sim.reached.mean(axis=0))
    # the eliminations' band: the limit's rows, where the runners were
    mean, lo, hi = sim.band(sim.eliminated)
    assert np.all(lo <= mean) and np.all(mean <= hi) and hi[1:-1].sum() > 0


def test_the_race_limit_after_an_earlier_barrier():
    """h119: with a barrier on the first third, that barrier still eliminates the runners late
    there, and the limit stops the runners over it at the rows after it (none before it: the
    barrier is earlier than the limit)."""
    r, eff, cut, dw = _no_barrier_but_the_limit(n=12, dwell=0.0)
    cut[4] = 1.02 * float(np.sum(r[:5]))  # a barrier on the first third
    p = replace(DEFAULT_FIELD, behind_hazard=0.0)
    kw = dict(leg_effort=eff, dwell=dw, n_runners=3000, repetitions=4, ability_mean=0.0, params=p)
    sim = simulate_field(r, cutoff_elapsed=cut, seed=11, **kw)
    limit = float(cut[-1])
    assert sim.eliminated[:, 4].sum() > 0  # the barrier still eliminates
    assert sim.eliminated[:, 5:-1].sum() > 0  # and the limit at the rows after it
    assert sim.eliminated[:, 1:4].sum() == 0  # nobody over the limit before the barrier
    assert np.nanmax(sim.last_arrival) <= limit
    assert np.nanmax(sim.last_arrival[:, 4]) <= limit
    tot = sim.finishers + sim.eliminated.sum(axis=1) + sim.withdrawn.sum(axis=1)
    np.testing.assert_array_equal(tot, 3000)


@pytest.mark.parametrize("rows", [2, 3])
def test_a_barrier_lets_through_no_runner_after_it_by_float32_rounding(rows):
    """h128 (tests/test_simulation_properties.py): arrivals are float32 and were compared with
    the barriers rounded to the nearest float32, so a runner after a barrier by less than
    half a float32 step (0.03 ms at 1000 s, 16 ms at 100 h) passed it: a finisher arrived
    after the race's limit, against "no row receives a runner after the limit". Identical
    runners (no spread, no noise) arrive at row 1 at exactly float32(1000.1) s; the barrier
    there is a quarter step earlier, so every one of them is late: eliminated there, his
    passage at the limit at the latest."""
    p = FieldParams(spread=0.0, leg_sigma=0.0, fatigue=0.5, dnf_share=0.0, behind_hazard=0.0)
    t32 = np.float32(1000.1)
    barrier = float(t32) - float(np.spacing(t32)) / 4  # float32(barrier) == t32
    assert np.float32(barrier) == t32 and float(t32) > barrier
    r = np.r_[0.0, 1000.1, np.full(rows - 2, 500.0)]
    cut = np.full(rows, np.nan)
    cut[1] = barrier  # the limit on one leg, an intermediate barrier on two
    if rows > 2:
        cut[-1] = 5000.0
    sim = simulate_field(
        r,
        leg_effort=np.r_[0.0, np.full(rows - 1, 10.0)],
        cutoff_elapsed=cut,
        n_runners=5,
        repetitions=2,
        params=p,
        ability_mean=0.0,
        seed=0,
    )
    np.testing.assert_array_equal(sim.eliminated[:, 1], 5)
    np.testing.assert_array_equal(sim.finishers, 0)
    if rows == 2:
        assert np.nanmax(sim.last_arrival) <= barrier


def test_a_field_within_the_limit_is_unchanged_by_it():
    """h119: the limit at every row stops only runners over it: a field well inside it gives
    the same results, to the last bit, as the same seed with no limit at all (barrier chasing
    off: with a barrier the chase runs leg by leg, a different summation)."""
    r, eff, cut, dw = _no_barrier_but_the_limit(slack=3.0)
    p = replace(DEFAULT_FIELD, chase_share=0.0)
    kw = dict(leg_effort=eff, dwell=dw, n_runners=1500, repetitions=5, params=p, ability_mean=-0.1)
    a = simulate_field(r, cutoff_elapsed=cut, seed=8, hour_offset_s=900.0, **kw)
    b = simulate_field(r, cutoff_elapsed=None, seed=8, hour_offset_s=900.0, **kw)
    assert a.eliminated.sum() == 0 and np.nanmax(a.last_arrival) < 0.7 * cut[-1]
    for key in (f.name for f in fields(a) if isinstance(getattr(a, f.name), np.ndarray)):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
