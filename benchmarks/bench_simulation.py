"""Field simulation: speed, memory, and validation on past races.

Run: ``python benchmarks/bench_simulation.py [--quick]``

1. Speed: 10,000 runners x 30 checkpoints x 200 repetitions (target <= 2 s),
   peak memory (tracemalloc), and the ratio to the time numpy needs just to
   draw the leg noise (the irreducible cost), measured in the same run.
2. Fits: :func:`coursekit.event.fit_field` on every race of ../shared/realdata
   with split times (the numbers behind ``DEFAULT_FIELD``).
3. Validation: each race is simulated with parameters fitted on *another*
   edition (Templiers 2023 <-> 2024) or, for the Réunion races (one edition),
   on a different race of the same event (said in the output). Compared with
   what happened: arrival percentiles (10th, 50th, 90th of elapsed time) at
   each checkpoint (target: within 10 %), eliminations per barrier (target:
   inside the simulated 5th-95th percentile band), finish share.

The reference runner of the target race comes from a small terrain model
fitted on the *source* race's median finisher (leg time = (a km + b D+ + c D-)
x (1 + phi x km-effort so far)), so nothing of the target's split times is
used. Réunion races have barriers and a limit: the median ability is solved
from the source race's finish share (as the product does). Templiers races
have almost no barriers: the median ability is the source's, on the terrain
model's absolute scale.

Real data are read from ../shared/realdata (never copied into the repo).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from coursekit.event import (
    _read_split_times,
    fit_field,
    history_outcomes,
    simulate_field,
)
from coursekit.pace import TRAIL_2024

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))

# target <- source (fit); "why" is printed
PAIRS = [
    ("grr_2024", "tdb_2024", "single edition: fitted on the Trail de Bourbon (same event)"),
    ("tdb_2024", "grr_2024", "single edition: fitted on the Diagonale des Fous (same event)"),
    ("mas_2024", "mtr_2024", "single edition: fitted on the Métis Trail (same event)"),
    ("mtr_2024", "mas_2024", "single edition: fitted on the Mascareignes (same event)"),
    ("templiers_gtt_2024", "templiers_gtt_2023", "other edition"),
    ("templiers_gtt_2023", "templiers_gtt_2024", "other edition"),
    ("templiers_endurance_2024", "templiers_endurance_2023", "other edition"),
    ("templiers_endurance_2023", "templiers_endurance_2024", "other edition"),
    ("templiers_integrale_2024", "templiers_integrale_2023", "other edition"),
    ("templiers_integrale_2023", "templiers_integrale_2024", "other edition"),
]


def load_race(rid: str, index: dict) -> dict:
    e = next(x for x in index["editions"] if x["id"] == rid)
    cps = list(csv.DictReader((REALDATA / e["files"]["checkpoints"]).open(encoding="utf-8")))
    start = dt.datetime.fromisoformat(e["start"])
    dist = np.array([float(c["distance_m"]) for c in cps])
    gain = np.array([float(c["elevation_gain_m"]) for c in cps])
    alt = np.array([float(c["altitude_m"]) for c in cps])
    up = np.diff(gain, prepend=0.0)
    down = np.maximum(up - np.diff(alt, prepend=alt[0]), 0.0)
    down[0] = 0.0
    cut = np.full(len(cps), np.nan)
    fixes = []
    for j, c in enumerate(cps):
        if j and c.get("cutoff"):
            s = (dt.datetime.fromisoformat(c["cutoff"]) - start).total_seconds()
            if s <= 0:  # trap 1: a night barrier dated on the start day
                s += 86400.0
                fixes.append(c["name"])
            cut[j] = s
    elapsed, status = _read_split_times(
        REALDATA / e["files"]["times"], [c["short_name"] for c in cps]
    )
    # rows passed by < 50 % of finishers are branches (the 2023 deviations): not on the course
    fin = status == "FINISHER"
    keep = np.isfinite(elapsed[fin]).sum(axis=0) >= 0.5 * fin.sum()
    keep[0] = keep[-1] = True
    dropped = [c["name"] for c, k in zip(cps, keep, strict=True) if not k]
    cps = [c for c, k in zip(cps, keep, strict=True) if k]
    elapsed = elapsed[:, keep]
    dist, gain, alt = dist[keep], gain[keep], alt[keep]
    up = np.diff(gain, prepend=0.0)
    down = np.maximum(up - np.diff(alt, prepend=alt[0]), 0.0)
    down[0] = 0.0
    cut = cut[keep]
    return {
        "id": rid,
        "names": [c["name"] for c in cps],
        "dist": dist,
        "up": up,
        "down": down,
        "kme": np.diff(dist, prepend=0.0) / 1000 + up / 100,
        "cut": cut,
        "fixes": [f for f in fixes if f not in dropped],
        "dropped": dropped,
        "elapsed": elapsed,
        "status": status,
        "limit": e.get("limit_h"),
    }


def effort_units(race: dict) -> np.ndarray:
    """Leg cost in equivalent flat metres with the pace module's trail weights."""
    p = TRAIL_2024
    return race["dist"][1:] + p.up * race["up"][1:] + p.down * race["down"][1:]


def terrain_model(race: dict, median_elapsed: np.ndarray):
    """Fit leg = a x cost x (1 + phi x km-effort so far / 100) on the median finisher."""
    m = np.diff(median_elapsed)
    u = effort_units(race)
    kmid = np.cumsum(race["kme"])[1:] - race["kme"][1:] / 2
    best = None
    for phi in np.linspace(0, 1.0, 101):
        x = u * (1 + phi * kmid / 100)
        a = float(np.sum(x * m) / np.sum(x * x))
        res = float(np.sum((np.log(np.maximum(m, 1)) - np.log(a * x)) ** 2))
        if best is None or res < best[2]:
            best = (phi, a, res)
    return best[0], best[1]


def predict(race: dict, phi, a):
    kmid = np.cumsum(race["kme"])[1:] - race["kme"][1:] / 2
    legs = a * effort_units(race) * (1 + phi * kmid / 100)
    return np.r_[0.0, np.maximum(legs, 30.0)]


def reference_for(target: dict, source: dict, fit, same_race: bool):
    """Reference leg times of the target from the source race only."""
    if same_race:  # same course, other edition: the source's median finisher by distance
        frac_t = target["dist"] / target["dist"][-1]
        frac_s = source["dist"] / source["dist"][-1]
        R = np.interp(frac_t, frac_s, fit.reference_elapsed)
        return np.r_[0.0, np.maximum(np.diff(R), 30.0)], "source median finisher by distance"
    phi, a = terrain_model(source, fit.reference_elapsed)
    return predict(target, phi, a), f"pace-model cost x fatigue fitted on source (phi={phi:.2f})"


def speed(quick: bool):
    n, rows, reps = 10_000, 30, (50 if quick else 200)
    r = np.r_[0.0, np.full(rows - 1, 3000.0)]
    eff = np.r_[0.0, np.full(rows - 1, 6.0)]
    cut = np.cumsum(r) * 1.05
    cut[0] = np.nan
    simulate_field(r, leg_effort=eff, cutoff_elapsed=cut, n_runners=1000, repetitions=2, seed=0)
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    for _ in range(reps // 20):
        rng.standard_normal((20, rows - 1, n), dtype=np.float32)
    t_rng = time.perf_counter() - t0
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        sim = simulate_field(
            r, leg_effort=eff, cutoff_elapsed=cut, n_runners=n, repetitions=reps, seed=1
        )
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    simulate_field(r, leg_effort=eff, cutoff_elapsed=cut, n_runners=n, repetitions=reps, seed=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    full = n * (rows - 1) * reps * 4
    print(f"== speed: {n:,} runners x {rows} checkpoints x {reps} repetitions")
    print(
        f"simulate_field: {best:.2f} s (best of 3; target 2.0 s -> ratio {best / 2.0:.2f}); "
        f"drawing the leg noise alone: {t_rng:.2f} s (ratio {best / t_rng:.1f})"
    )
    print(
        f"peak memory {peak / 1e6:.0f} MB (chunked; all repetitions at once would need "
        f"{full / 1e6:.0f} MB per float32 array); finish share {sim.finish_share:.3f}"
    )
    print()


def main(quick: bool = False):
    speed(quick)
    if not (REALDATA / "index.json").is_file():
        print(f"real data not found at {REALDATA}: validation skipped")
        return
    index = json.loads((REALDATA / "index.json").read_text())
    ids = sorted({a for p in PAIRS for a in p[:2]})
    races = {rid: load_race(rid, index) for rid in ids}
    fits = {}
    print("== fit_field on each race (finish share, withdrawals, ability spread, leg noise, ...)")
    print(
        f"{'race':26s} {'finish':>6s} {'dnf':>5s} {'spread':>6s} {'sigma':>6s} "
        f"{'fatigue':>7s} {'kappa':>6s} {'mu':>6s}"
    )
    for rid in ids:
        rc = races[rid]
        f = fit_field(rc["elapsed"], rc["status"], leg_effort=rc["kme"], source=rid)
        fits[rid] = f
        p = f.params
        print(
            f"{rid:26s} {p.finish_share:6.3f} {p.dnf_share:5.3f} {p.spread:6.3f} "
            f"{p.leg_sigma:6.3f} {p.fatigue:7.2f} {p.dnf_ability:6.2f} {f.ability_mean:6.3f}"
            + (f"  ({'; '.join(f.notes)})" if f.notes else "")
        )
    keys = ("spread", "leg_sigma", "fatigue", "dnf_share", "dnf_ability", "finish_share")
    med = {k: float(np.median([getattr(fits[i].params, k) for i in ids])) for k in keys}
    print("median: " + ", ".join(f"{k}={v:.3f}" for k, v in med.items()))
    print()

    print("== validation: simulate with parameters fitted on another edition/race")
    print("(percentile errors = |simulated - actual| / actual elapsed time, at each checkpoint")
    print(" with data; eliminations: actual count inside the simulated 5-95 % band)")
    summary = []
    for target, source, why in PAIRS:
        tr, sr, fit = races[target], races[source], fits[source]
        ref, how = reference_for(tr, sr, fit, why == "other edition")
        has_bar = np.isfinite(tr["cut"][1:]).any() and tr["limit"] is not None
        n = int(np.isfinite(tr["elapsed"][:, 1:]).any(axis=1).sum())
        kw = dict(
            leg_effort=tr["kme"],
            cutoff_elapsed=tr["cut"],
            n_runners=n,
            repetitions=200,
            params=fit.params,
            seed=2024,
        )
        if has_bar:
            # scale: the source's median finisher as a fraction of its limit
            ratio = fit.reference_elapsed[-1] / sr["cut"][-1]
            ref = ref * tr["cut"][-1] / ref.sum()
            mu = float(np.log(ratio)) + fit.ability_mean
            sim = simulate_field(ref, ability_mean=mu, **kw)
            mode = f"median finisher at {ratio:.3f} of the limit, as in the source"
        else:
            sim = simulate_field(ref, ability_mean=fit.ability_mean, **kw)
            mode = "median ability of the source"
        obs = history_outcomes(tr["elapsed"], tr["status"], cutoff_elapsed=tr["cut"])
        fin_real = np.isfinite(tr["elapsed"][tr["status"] == "FINISHER"]).sum(axis=0)
        use = fin_real >= 0.5 * fin_real[-1]
        use[0] = False
        qa, qs = obs["arrival_quantiles"], sim.arrival_quantiles
        with np.errstate(all="ignore"):
            err = np.abs(qs - qa) / qa
        err = np.where(use[None, :], err, np.nan)
        em, elo, ehi = sim.band(sim.eliminated)
        bars = np.nonzero(np.isfinite(tr["cut"]) & (np.arange(len(tr["cut"])) > 0))[0]
        inside = [(elo[j] <= obs["eliminated"][j] <= ehi[j]) for j in bars]
        fs_real = obs["finishers"] / obs["starters"]
        fsm, fslo, fshi = sim.band(sim.finishers / sim.n_runners)
        mx = np.nanmax(err, axis=1)
        mean = np.nanmean(err, axis=1)
        ok_q = bool(np.all(mx <= 0.10))
        print(f"-- {target} <- {source} ({why}); {mode}; {n} starters")
        print(f"   reference: {how}")
        if tr["dropped"]:
            print(f"   branch rows left out (< 50 % of finishers): {', '.join(tr['dropped'])}")
        if tr["fixes"]:
            print(f"   barriers dated before the start moved by +24 h: {', '.join(tr['fixes'])}")
        print(
            "   arrival error p10/p50/p90: mean "
            + "/".join(f"{100 * v:.1f}" for v in mean)
            + " %, max "
            + "/".join(f"{100 * v:.1f}" for v in mx)
            + f" %  -> {'within 10 %' if ok_q else 'MISSED (>10 % somewhere)'}"
        )
        worst = int(np.nanargmax(np.where(use, np.nanmax(err, axis=0), -1.0)))
        print(
            f"   worst checkpoint {tr['names'][worst]!r}: actual p10/p50/p90 "
            + "/".join(f"{v / 3600:.1f}" for v in qa[:, worst])
            + " h, simulated "
            + "/".join(f"{v / 3600:.1f}" for v in qs[:, worst])
            + " h"
        )
        if len(bars):
            cells = [
                f"{tr['names'][j][:14]} {obs['eliminated'][j]} [{elo[j]:.0f}-{ehi[j]:.0f}]"
                for j in bars
            ]
            print(
                f"   eliminated actual [sim band]: {'; '.join(cells)}  -> "
                f"{sum(inside)}/{len(bars)} inside the band"
            )
        print(
            f"   finish share actual {fs_real:.3f}, simulated {fsm:.3f} "
            f"[{fslo:.3f}-{fshi:.3f}]; withdrawn actual {obs['withdrawn'].sum()}, "
            f"simulated {sim.withdrawn.sum(axis=1).mean():.0f}"
        )
        summary.append((target, ok_q, sum(inside), len(bars), float(np.nanmax(mx))))
    print()
    nq = sum(s[1] for s in summary)
    nb = sum(s[2] for s in summary)
    tb = sum(s[3] for s in summary)
    print(
        f"== summary: percentiles within 10 % on {nq}/{len(summary)} races; "
        f"eliminations inside the band at {nb}/{tb} barriers"
    )
    for t, ok, a, b, m in summary:
        print(
            f"   {t:26s} worst percentile error {100 * m:5.1f} %  {'ok' if ok else 'MISSED'}; "
            f"barriers {a}/{b}"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
