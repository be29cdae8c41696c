"""Field simulation: speed, memory, and validation on past races.

Run: ``python benchmarks/bench_simulation.py [--quick] [--no-cap] [--no-start] [--level-oracle]
[--loo] [--seed N] [--ratio-level]``
(an in-sample line, the Réunion races with their own split times, is printed as a
sanity check and kept out of the totals; ``--no-cap``: the no-history route once
more with the level set by the finish share alone; ``--no-start``: every route
once more without the start compression; ``--level-oracle``: the no-history
route once more with the field's level read off the actual median finish, the
bound of a better level guess; ``--loo``: the no-history route once more with every
number of ``DEFAULT_FIELD`` and ``FIELD_SPEED_LOSS`` that comes from the data re-derived
without the target race (:func:`loo_path`); ``--seed N``: the validation routes' simulations with
seed N instead of 2024, to check a change on other random draws)

1. Speed: 10,000 runners x 30 checkpoints x 200 repetitions (target <= 2 s),
   peak memory (tracemalloc), and the ratio to the time numpy needs just to
   draw the leg noise (the irreducible cost), measured in the same run.
2. Fits: :func:`coursekit.field.fit_field` on every race of ../shared/realdata
   with split times and its barriers (the numbers behind ``DEFAULT_FIELD``):
   ability spread and skew, leg noise, fatigue, and the withdrawal hazards
   (km-effort ``dnf``/``kappa``, behind-the-next-barrier ``h0``/``gamma``,
   before the barrier after next ``h2``/``gamma2``, on the runner's own arrival at
   the barrier after the checkpoint ``h3``/``gamma3``), the slower runners' eased late
   deviation ``ease`` (``tail_ease``, with the slow/fast slope ratio in the notes),
   and the start compression (``start_compression``, ``start_time_s``) fitted on
   the slopes of the runners' deviations against the pace model's weights, over
   the ten race-editions (``DEFAULT_FIELD``) and, with ``start_time_s`` kept, per
   race (:func:`coursekit.field.fit_start_compression` on the source's own course:
   the cross-race route simulates with the source's, as ``event --times`` does).
3. Validation: each race is simulated with parameters fitted on *another*
   edition (Templiers 2023 <-> 2024) or, for the Réunion races (one edition),
   on a different race of the same event (said in the output). Compared with
   what happened: arrival percentiles (10th, 50th, 90th of elapsed time) at
   each checkpoint (target: within 10 %), eliminations per barrier (target:
   inside the simulated 5th-95th percentile band), finish share. The summary
   gives the share of (checkpoint, percentile) cells within 10 %. Model and
   measured table: docs/simulation.md.
   Actual eliminations are counted as the simulation counts them
   (:func:`actual_eliminations`): the ``OUT_OF_TIME`` runners plus every runner
   whose race ended at a barrier he reached after its time, whatever his status,
   by the clock (start waves). Every route prints, per barrier and in its
   totals, the ``OUT_OF_TIME`` count alone beside it (the yardstick before the
   sixteenth sprint's third part).

The reference runner of the target race is the pace model that sets the
barriers (``coursekit.cutoffs.solve`` with ``TRAIL_2024``: grade factors on the
smoothed GPX profile, altitude, fatigue, night), solved on the target's own
track, with one parameter fitted on the *source* race: the fatigue rate that
makes the model's runner match the source's median finisher. The leader of the
same model gives the per-leg weights (``coursekit.field.pace_weights``, as
``Race.from_plan`` does). The level: the source's median finisher fixes the
model's fresh flat speed, and the target's reference is the runner of that speed
on the target course, for every pair (thirty-fourth sprint; ``--ratio-level``:
the rule before it for the races with a limit, the Réunion ones, where the
median runner sat where the source's did relative to its limit, which moved
the Bourbon's field 16 % slow and the Diagonale's 13 % fast, mean p50 error: their
medians finish at 0.68 and 0.79 of their limits, but at the same 9.6 km/h fresh flat
speed).
Nothing of the target's split times is used. (Before: the reference leg cost
added the *cumulative* distance to each leg's climb, so early legs came out
~5x too fast: Domaine Vidot 0.4 h against 1.9 h actual.)

Real data are read from ../shared/realdata (never copied into the repo).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

import numpy as np

from coursekit.cutoffs import course_effort, course_grid, model_runner
from coursekit.field import (
    DEFAULT_FIELD,
    FIELD_SPEED_LOSS,
    fit_field,
    fit_reference_fatigue,
    fit_start_compression,
    history_outcomes,
    late_stops,
    pace_weights,
    simulate_field,
)
from coursekit.gpx import read_gpx
from coursekit.history import map_columns, read_times
from coursekit.pace import TRAIL_2024
from coursekit.profile import make_profile

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 2024
"""Seed of the validation routes' simulations (``--seed N``; 2024 by default)."""
RATIO_LEVEL = "--ratio-level" in sys.argv
"""The cross-race level rule before the thirty-fourth sprint for races with a limit
(:func:`reference_for`); the fresh-flat-speed rule for every pair by default."""

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
    # split times joined by name (columns are not in course order); elapsed from each
    # runner's own start passage (start waves; the wrong 2023 offsets cancel)
    st = read_times(REALDATA / e["files"]["times"])
    mapping, _ = map_columns([c["short_name"] for c in cps], st.columns)
    if any(m is None for m in mapping):
        raise SystemExit(f"{rid}: checkpoint without a split-time column")
    stamps = st.time[:, mapping]
    elapsed = stamps - stamps[:, :1]
    # the same passages by the clock, from the first wave's start (the barriers' origin,
    # ``cut``; in 2023 both carry the wrong +00:00, which cancels): a later wave's runner
    # meets the published barriers with less elapsed time (eliminations, actual_eliminations)
    clock = np.where(np.isfinite(elapsed), stamps - start.timestamp(), np.nan)
    status = np.array(st.status)
    # rows passed by < 50 % of finishers are branches (the 2023 deviations): not on the course
    fin = status == "FINISHER"
    keep = np.isfinite(elapsed[fin]).sum(axis=0) >= 0.5 * fin.sum()
    keep[0] = keep[-1] = True
    dropped = [c["name"] for c, k in zip(cps, keep, strict=True) if not k]
    cps = [c for c, k in zip(cps, keep, strict=True) if k]
    elapsed = elapsed[:, keep]
    clock = clock[:, keep]
    dist, gain, alt = dist[keep], gain[keep], alt[keep]
    up = np.diff(gain, prepend=0.0)
    down = np.maximum(up - np.diff(alt, prepend=alt[0]), 0.0)
    down[0] = 0.0
    cut = cut[keep]
    # the course for the pace model: GPX profile, checkpoints at their declared km scaled
    # to the track (the Templiers' configured km differ from the track, trap 10)
    track = read_gpx(REALDATA / e["files"]["gpx"])
    prof = make_profile(track)
    grid = course_grid(
        prof.distance, prof.elevation, prof.gain, dist * prof.total_distance / dist[-1]
    )
    if e.get("start_local_corrected"):  # trap 2: wall-clock written with +00:00
        start = dt.datetime.fromisoformat(e["start_local_corrected"])
    place = (float(np.mean(track.lat)), float(np.mean(track.lon)))
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
        "clock": clock,
        "status": status,
        "limit": e.get("limit_h"),
        "grid": grid,
        "start": start,
        "place": place,
    }


def pace_reference(race: dict, limit_s: float, fatigue: float = TRAIL_2024.fatigue):
    """Reference runner (finishing at ``limit_s``) and leader of the pace model on the course.

    :func:`coursekit.cutoffs.model_runner` with :data:`coursekit.pace.TRAIL_2024`
    (the barriers' model and solver, no rounding, no published barriers).
    Returns (arrival [s], leader [s], fresh flat speed v0 [m/s]).
    """
    if "runner" not in race:
        race["runner"] = runner_on(race, TRAIL_2024)
    return race["runner"](limit_s, fatigue)


def runner_on(race: dict, params):
    """`coursekit.cutoffs.model_runner` of ``params`` on the race's course, start and place."""
    return model_runner(
        race["grid"],
        params=params,
        start=race["start"],
        lat=race["place"][0],
        lon=race["place"][1],
        names=race["names"],
    )


def fit_fatigue(source: dict, median_elapsed: np.ndarray) -> float:
    """Pace-model fatigue fitted on the source's median finisher
    (:func:`coursekit.field.fit_reference_fatigue`, the step `coursekit event --times` uses)."""
    fin = source["status"] == "FINISHER"
    measured = np.isfinite(source["elapsed"][fin]).sum(axis=0) >= 20
    f, _, _ = fit_reference_fatigue(
        median_elapsed, measured, lambda t, f: pace_reference(source, t, f)
    )
    return f


def reference_for(target: dict, source: dict, fit, fatigue: float):
    """Reference of the target from the pace model, its absolute level from the source only.

    The source's median finisher fixes a fresh flat speed v0 of the pace model;
    the target's reference is the runner of that v0 on the target course (two
    solves: the limit for v0), and the field's median sits on it as the source's
    sat on its median finisher. That is what ``coursekit event --times`` does on
    the same course: its reference is the model runner finishing in the past
    median finisher's time, whatever the limits. With :data:`RATIO_LEVEL` and a
    limit on both races (the rule before the thirty-fourth sprint): the target's
    reference last finisher finishes at its limit and the median runner sits
    where the source's did relative to the source's limit; a race's median/limit
    ratio is the organiser's choice of limit (Réunion: 0.68-0.84 between races of
    one event), where the median finisher's fresh flat speed is the field's
    (Diagonale 9.58 km/h, Bourbon 9.64).
    The source's fatigue transfers as the median runner's speed loss over the
    whole course (rate x km-effort, :data:`coursekit.field.FIELD_SPEED_LOSS`),
    not as a rate per 100 km-effort.
    Returns (reference arrivals, leader arrivals, mu, description).
    """
    med_s = float(fit.reference_elapsed[-1])
    fatigue_t = fatigue * course_effort(source["grid"]) / course_effort(target["grid"])
    if RATIO_LEVEL and target["limit"] is not None and source["limit"] is not None:
        limit = float(target["cut"][-1])
        ref, lead, _ = pace_reference(target, limit, fatigue_t)
        mu = float(np.log(med_s / source["cut"][-1])) + fit.ability_mean
        how = f"median runner at {np.exp(mu):.3f} of the limit (from the source)"
        return ref, lead, mu, how
    _, _, v_s = pace_reference(source, med_s, fatigue)
    limit = med_s
    for _ in range(3):
        ref, lead, v_t = pace_reference(target, limit, fatigue_t)
        limit *= v_t / v_s
    ref, lead, v_t = pace_reference(target, limit, fatigue_t)
    how = (
        f"fresh flat speed of the source's median finisher ({v_s * 3.6:.2f} km/h) "
        f"-> {limit / 3600:.1f} h on this course"
    )
    return ref, lead, fit.ability_mean, how


def slowest_finisher_limit(race: dict) -> float:
    """A limit for a race that publishes none: its slowest finisher + 5 %, up to the hour [s]."""
    fin = race["status"] == "FINISHER"
    return float(np.ceil(1.05 * np.nanmax(race["elapsed"][fin, -1]) / 3600) * 3600)


def start_compression_fit(races: dict, fits: dict, index: dict) -> dict:
    """Fit ``start_compression`` and ``start_time_s`` of ``DEFAULT_FIELD`` on the split times.

    Per race-edition: the slope of each checkpoint's log time ratio on the
    finish's (``FieldFit.slopes``: how much of a runner's deviation from the
    median has built up there) against the same slope of the simulated field
    without compression (cumulative pace-model weights of ``Race.from_plan`` on
    the race's course file; Templiers: limit = slowest finisher + 5 %), both
    relative to the last checkpoint before the finish (the Endurance and
    Intégrale finish times carry extra noise that lowers every slope by ~20 %).
    The time axis is the model's median runner scaled to the real median
    finisher. Least squares of the compressed model's slopes, each race-edition
    weighted equally; then leaving one race out.
    Returns ``{"": (a, tau [h]), race: (a, tau [h]) without that race}``, a race being
    an id without its year (``grr``, ``templiers_gtt``).
    """
    import tempfile

    from scipy.optimize import minimize

    from coursekit.event import load_event_plan

    data = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rid, rd in races.items():
            limit = float(rd["cut"][-1]) if rd["limit"] is not None else slowest_finisher_limit(rd)
            race = load_event_plan(course_file(rd, rid, index, Path(tmp), limit)).races[0]
            f = fits[rid]
            r = race.field_leg_s[1:]
            ok = np.isfinite(f.slopes) & f.measured
            ok[0] = ok[-1] = False
            r = r * f.reference_elapsed[-1] / r.sum()
            data[rid] = (r, race.leg_weights, f.slopes, ok)

    def loss(p, keys):
        a, tau = p[0], np.exp(p[1]) * 3600
        tot = 0.0
        for k in keys:
            r, w, slope, ok = data[k]
            h = 1 - a * np.exp(-(np.cumsum(r) - r / 2) / tau)
            model = np.r_[np.nan, np.cumsum(r * w * h) / np.cumsum(r)]
            last = np.nonzero(ok)[0][-1]
            tot += float(np.mean((slope[ok] / slope[last] - model[ok] / model[last]) ** 2))
        return tot

    def fit(keys):
        best = min(
            (
                minimize(loss, [a0, np.log(t0)], args=(keys,), method="Nelder-Mead")
                for a0 in (0.2, 0.5)
                for t0 in (1.0, 3.0, 8.0)
            ),
            key=lambda res: res.fun,
        )
        return float(best.x[0]), float(np.exp(best.x[1])), float(best.fun)

    ids = sorted(data)
    a, tau, fun = fit(ids)
    print(
        f"start compression (slopes of the deviations against the pace model's): "
        f"start_compression {a:.2f}, start_time {tau:.2f} h (DEFAULT_FIELD "
        f"{DEFAULT_FIELD.start_compression}, {DEFAULT_FIELD.start_time_s / 3600:.2f} h); "
        f"mean squared slope error {fun / len(ids):.4f} "
        f"(none: {loss([0.0, 0.0], ids) / len(ids):.4f})"
    )
    groups = sorted({k.rsplit("_", 1)[0] for k in ids})
    loo = [fit([k for k in ids if k.rsplit("_", 1)[0] != g])[:2] for g in groups]
    print(
        f"   leaving one race out ({len(groups)} races): start_compression "
        f"{min(x[0] for x in loo):.2f}-{max(x[0] for x in loo):.2f}, start_time "
        f"{min(x[1] for x in loo):.2f}-{max(x[1] for x in loo):.2f} h"
    )
    return {"": (a, tau), **dict(zip(groups, loo, strict=True))}


class Comparison(NamedTuple):
    """What :func:`compare` measures, one race against one simulation."""

    obs: dict
    """:func:`coursekit.field.history_outcomes` of the split times (own-start elapsed)."""
    use: np.ndarray
    """Rows scored for the percentiles (passed by at least half as many finishers as the finish)."""
    qa: np.ndarray
    """Actual arrival percentiles (levels x rows) [s]."""
    qs: np.ndarray
    """Simulated arrival percentiles [s]."""
    err: np.ndarray
    """``|qs - qa| / qa``, NaN on rows not scored [-]."""
    elo: np.ndarray
    """Simulated eliminations per row, 5th percentile over the repetitions."""
    ehi: np.ndarray
    """Simulated eliminations per row, 95th percentile."""
    bars: np.ndarray
    """Rows with a published barrier (the start excepted)."""
    eliminated: np.ndarray
    """Actual eliminations per row as the simulation counts them (:func:`actual_eliminations`)."""
    timed_out: np.ndarray
    """Actual ``OUT_OF_TIME`` runners per row (``obs["eliminated"]``, the yardstick before)."""
    inside: list
    """Per barrier of ``bars``: ``eliminated`` inside the band."""
    inside_timed_out: list
    """Per barrier of ``bars``: ``timed_out`` inside the band."""
    stopped_late: np.ndarray
    """Per runner of the split times: his row of :func:`coursekit.field.late_stops` (by the
    clock), or -1."""

    def late_by_status(self, status: np.ndarray) -> str:
        """``"n stopped at a barrier reached late"``, with ``", k of them FINISHER"``."""
        late = self.stopped_late >= 0
        fin = int(np.sum(late & (status == "FINISHER")))
        return f"{late.sum()} stopped at a barrier reached late" + (
            f", {fin} of them FINISHER" if fin else ""
        )


def compare(tr: dict, sim) -> Comparison:
    """Simulation against what happened: percentile errors per cell, eliminations in band."""
    obs = history_outcomes(tr["elapsed"], tr["status"], cutoff_elapsed=tr["cut"])
    fin_real = np.isfinite(tr["elapsed"][tr["status"] == "FINISHER"]).sum(axis=0)
    use = fin_real >= 0.5 * fin_real[-1]
    use[0] = False
    qa, qs = obs["arrival_quantiles"], sim.arrival_quantiles
    with np.errstate(all="ignore"):
        err = np.abs(qs - qa) / qa
    err = np.where(use[None, :], err, np.nan)
    _, elo, ehi = sim.band(sim.eliminated)
    bars = np.nonzero(np.isfinite(tr["cut"]) & (np.arange(len(tr["cut"])) > 0))[0]
    elim, late = actual_eliminations(tr)
    oot = obs["eliminated"]
    inside = [bool(elo[j] <= elim[j] <= ehi[j]) for j in bars]
    inside_oot = [bool(elo[j] <= oot[j] <= ehi[j]) for j in bars]
    return Comparison(obs, use, qa, qs, err, elo, ehi, bars, elim, oot, inside, inside_oot, late)


def scored(tr: dict, sim):
    """:func:`compare` reduced to what the summary lines print: ``(comparison, worst error,
    cells within 10 %, cells, barriers with the actual eliminations in the band, barriers,
    barriers with the actual OUT_OF_TIME count in the band)``."""
    c = compare(tr, sim)
    within = int(np.sum(c.err[:, c.use] <= 0.10))
    n_in, n_oot = sum(c.inside), sum(c.inside_timed_out)
    return c, float(np.nanmax(c.err)), within, 3 * int(c.use.sum()), n_in, len(c.bars), n_oot


def actual_eliminations(tr: dict) -> tuple[np.ndarray, np.ndarray]:
    """Actual eliminations per row, counted as the simulation counts them.

    The ``OUT_OF_TIME`` runners, at the row :func:`coursekit.field.history_outcomes` gives
    (the last row reached if reached after its barrier, else the next barrier), plus the
    runners of :func:`coursekit.field.late_stops` (whatever their status: every runner is
    counted once), both by the clock: the barriers are clock times, and a later start wave
    meets them with less elapsed time (the Mascareignes', Bourbon's and Templiers' waves,
    10-27 min).
    Returns ``(eliminated per row, late_stops row per runner)``.
    """
    clock, status, cut = tr["clock"], tr["status"], tr["cut"]
    elim = history_outcomes(clock, status, cutoff_elapsed=cut)["eliminated"]
    late = late_stops(clock, status, cutoff_elapsed=cut)
    return elim + np.bincount(late[late >= 0], minlength=len(cut)), late


def barrier_cells(tr: dict, c: Comparison) -> str:
    """One line per race: each barrier's actual eliminations, its ``OUT_OF_TIME`` count in
    brackets, and the simulated 5-95 % band."""
    cells = [
        f"{tr['names'][j][:14]} {c.eliminated[j]} ({c.timed_out[j]}) "
        f"[{c.elo[j]:.0f}-{c.ehi[j]:.0f}]"
        for j in c.bars
    ]
    return (
        f"eliminated actual (OUT_OF_TIME only) [sim band]: {'; '.join(cells)}  -> "
        f"{sum(c.inside)}/{len(c.bars)} inside the band "
        f"(OUT_OF_TIME only: {sum(c.inside_timed_out)}/{len(c.bars)})"
    )


def barriers_in_band(a: int, b: int, n: int) -> str:
    """``barriers in band a/n (OUT_OF_TIME only b/n)``: both yardsticks, labelled."""
    return f"barriers in band {a}/{n} (OUT_OF_TIME only {b}/{n})"


def summary_totals(out: list) -> str:
    """``cells a/b, barriers in band c/d (OUT_OF_TIME only e/d)`` summed over
    ``(id, ok, band, bars, worst, within, cells, band OUT_OF_TIME only)``."""
    band, band_oot, bars = (sum(o[k] for o in out) for k in (2, 7, 3))
    cells = f"cells {sum(o[5] for o in out)}/{sum(o[6] for o in out)}"
    return f"{cells}, {barriers_in_band(band, band_oot, bars)}"


def course_file(race: dict, rid: str, index: dict, folder: Path, limit_s: float) -> Path:
    """A course file of a realdata race, as an organiser would write it.

    GPX of the edition, checkpoints by km (declared km scaled to the track, as
    in :func:`load_race`), the published barriers as fixed cutoffs, and
    ``limit_s`` as the limit (the Templiers publish no finish cutoff).
    """
    e = next(x for x in index["editions"] if x["id"] == rid)
    km = race["grid"].node[race["grid"].cp_node] / 1000
    start = race["start"]
    lines = [
        f'name = "{rid}"',
        f'gpx = "{REALDATA / e["files"]["gpx"]}"',
        f"start = {start.isoformat()}",
        f'limit = "{int(np.ceil(limit_s / 60))}min"',
    ]
    for j in range(1, len(race["names"]) - 1):
        lines += ["", "[[checkpoints]]", f"name = {json.dumps(race['names'][j])}"]
        lines.append(f"km = {km[j]:.3f}")
        if np.isfinite(race["cut"][j]) and race["cut"][j] < limit_s:
            lines.append(f'cutoff = "{int(round(race["cut"][j] / 60))}min"')
    path = folder / f"{rid}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def history_path(races: dict, index: dict) -> list:
    """What `coursekit event COURSE.toml --simulate N --times PAST.csv` gives, edition to edition.

    The target's course file (GPX, checkpoints, published barriers) and the
    source edition's split-time CSV as published: columns matched by name
    (start and finish by the times), the field fitted by
    :func:`coursekit.event.history_race`. Limit: the source's slowest finisher
    + 5 %, rounded up to the hour (nothing of the target's times is used).
    """
    import tempfile

    from coursekit.event import load_event_plan, simulate_race

    print()
    print("== the user's path: coursekit event TARGET.toml --simulate N --times SOURCE_times.csv")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for target, source, why in PAIRS:
            if why != "other edition":
                continue
            tr, sr = races[target], races[source]
            limit = slowest_finisher_limit(sr)
            path = course_file(tr, target, index, Path(tmp), limit)
            e = next(x for x in index["editions"] if x["id"] == source)
            ev = load_event_plan(path, history={"": REALDATA / e["files"]["times"]})
            race = ev.races[0]
            n = int(np.isfinite(tr["elapsed"][:, 1:]).any(axis=1).sum())
            sim = simulate_race(
                race,
                n_runners=n,
                repetitions=200,
                seed=SEED,
            )
            c, mx, within, cells, band, nbars, band_oot = scored(tr, sim)
            print(
                f"   {target:26s} <- {source[-4:]}: worst percentile error {100 * mx:5.1f} % "
                f"{'ok' if mx <= 0.10 else 'MISSED'}; cells within 10 % {within}/{cells}; "
                f"{barriers_in_band(band, band_oot, nbars)}; limit {limit / 3600:.0f} h"
            )
            print(f"      {race.field_note}")
            if nbars:
                print(f"      {barrier_cells(tr, c)}")
            out.append((target, mx <= 0.10, band, nbars, mx, within, cells, band_oot))
    nq = sum(o[1] for o in out)
    print(f"   summary: within 10 % on {nq}/{len(out)} races, {summary_totals(out)}")
    return out


def insample_path(races: dict, index: dict) -> list:
    """IN-SAMPLE sanity line, not a validation: each Réunion race with its *own* split times.

    `coursekit event COURSE.toml --simulate N --times SAME_RACE_times.csv`: the course
    file of :func:`course_file` (published barriers and limit) and the same edition's CSV.
    The percentiles should be close (they are the data the field is fitted on); the
    eliminations show what the model's slow tail does at the barriers when the level and
    the spread are right (docs/simulation.md, "What is still missed"). Not in the totals.
    """
    import tempfile

    from coursekit.event import load_event_plan, simulate_race

    print()
    print(
        "== IN-SAMPLE (not validation): coursekit event RACE.toml --simulate N "
        "--times RACE_times.csv, the same edition"
    )
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for rid, tr in races.items():
            if tr["limit"] is None:
                continue
            path = course_file(tr, rid, index, Path(tmp), float(tr["cut"][-1]))
            e = next(x for x in index["editions"] if x["id"] == rid)
            race = load_event_plan(path, history={"": REALDATA / e["files"]["times"]}).races[0]
            n = int(np.isfinite(tr["elapsed"][:, 1:]).any(axis=1).sum())
            sim = simulate_race(race, n_runners=n, repetitions=200, seed=SEED)
            c, mx, within, cells, band, nbars, band_oot = scored(tr, sim)
            obs, oot = c.obs, int(c.timed_out.sum())
            print(
                f"   {rid:26s} worst {100 * mx:5.1f} %; "
                f"cells within 10 % {within}/{cells}; "
                f"{barriers_in_band(band, band_oot, nbars)}; finish share actual "
                f"{obs['finishers'] / obs['starters']:.2f}, simulated "
                f"{sim.finishers.mean() / sim.n_runners:.2f}; eliminated actual "
                f"{c.eliminated.sum()} ({oot} OUT_OF_TIME + {c.late_by_status(tr['status'])}, "
                f"by the clock), simulated "
                f"{sim.eliminated.sum(axis=1).mean():.0f}"
            )
            print(f"      {barrier_cells(tr, c)}")
            out.append((rid, mx <= 0.10, band, nbars, mx, within, cells, band_oot))
    print(f"   in-sample summary (not in the totals): {summary_totals(out)}")
    return out


def default_path(
    races: dict, index: dict, params=None, oracle: bool = False, fields=None, label=None
) -> list:
    """What `coursekit event COURSE.toml --simulate N` gives with no past split times.

    The race a user (or a reviewer) has no history for: the course file (GPX,
    checkpoints, published barriers, published limit) and nothing else, so the
    field is :data:`coursekit.field.DEFAULT_FIELD` and its level is set by the
    default finish share (at most ``eliminated_max`` of the starters timed out).
    Only races that publish a finish limit (the Réunion ones) can be written
    this way; the Templiers publish none. ``params``: another field, for a
    comparison (``--no-cap``: the finish share alone). ``oracle``: the level
    (``ability_mean``) is set so that the simulated median finish equals the
    actual one (``--level-oracle``): not a method (it reads the answer), the
    bound of any better guess of the field's level. ``fields``: per race id, the
    ``(FieldParams, FIELD_SPEED_LOSS)`` to simulate it with (``--loo``: re-derived without
    it); the speed loss is patched into :mod:`coursekit.event` while its course is read,
    then restored. Each row of the result: ``(id, ok, band, bars, worst, within, cells,
    band OUT_OF_TIME only, finish share actual, simulated, eliminated share actual,
    simulated)``.
    """
    import tempfile

    from coursekit import event as event_module
    from coursekit.event import load_event_plan, simulate_race

    print()
    if label is None:
        label = "default field" if params is None else f"eliminated_max={params.eliminated_max}"
    if oracle:
        label += "; level read off the actual median finish (oracle)"
    print(f"== no history: coursekit event COURSE.toml --simulate N ({label})")
    from coursekit import field

    kw = {"params": field.DEFAULT_FIELD if params is None else params}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for rid, race_data in races.items():
            if race_data["limit"] is None:
                continue
            path = course_file(race_data, rid, index, Path(tmp), float(race_data["cut"][-1]))
            loss = event_module.FIELD_SPEED_LOSS
            if fields is not None:
                kw["params"], event_module.FIELD_SPEED_LOSS = fields[rid]
            try:
                race = load_event_plan(path).races[0]
            finally:
                event_module.FIELD_SPEED_LOSS = loss
            n = int(np.isfinite(race_data["elapsed"][:, 1:]).any(axis=1).sum())
            if oracle:
                kw["ability_mean"] = _median_level(race, race_data, n, kw["params"])
            sim = simulate_race(race, n_runners=n, repetitions=200, seed=SEED, **kw)
            c = compare(race_data, sim)
            obs, use, qa, qs, err = c.obs, c.use, c.qa, c.qs, c.err
            mx = float(np.nanmax(err))
            within = int(np.sum(err[:, use] <= 0.10))
            with np.errstate(all="ignore"):
                signed = np.nanmean(np.where(use[None, :], (qs - qa) / qa, np.nan), axis=1)
            fin = obs["finishers"] / obs["starters"]
            print(
                f"   {rid:26s} worst {100 * mx:5.1f} %; "
                f"cells within 10 % {within}/{3 * use.sum()}; mean signed p10/p50/p90 "
                + "/".join(f"{100 * v:+.1f}" for v in signed)
                + f" %; {barriers_in_band(sum(c.inside), sum(c.inside_timed_out), len(c.bars))}"
                f"; finish share actual {fin:.2f}, "
                f"simulated {sim.finishers.mean() / sim.n_runners:.2f}; eliminated actual "
                f"{c.eliminated.sum() / obs['starters']:.3f} (OUT_OF_TIME only "
                f"{c.timed_out.sum() / obs['starters']:.3f}), simulated "
                f"{sim.eliminated.sum(axis=1).mean() / sim.n_runners:.3f}"
            )
            print(f"      {barrier_cells(race_data, c)}")
            out.append(
                (rid, mx <= 0.10, sum(c.inside), len(c.bars), mx, within, 3 * int(use.sum()))
                + (sum(c.inside_timed_out), float(fin))
                + (float(sim.finishers.mean() / sim.n_runners),)
                + (float(c.eliminated.sum() / obs["starters"]),)
                + (float(sim.eliminated.sum(axis=1).mean() / sim.n_runners),)
            )
    print(
        f"   summary: within 10 % on {sum(o[1] for o in out)}/{len(out)} races, "
        f"{summary_totals(out)}"
    )
    return out


LOO_MEDIANS = (
    "spread",
    "leg_sigma",
    "fatigue",
    "skew",
    "chase_share",
    "dnf_share",
    "dnf_ability",
    "behind_hazard",
    "behind_slope",
    "fastest",
)
"""The numbers of ``DEFAULT_FIELD`` that are medians of :func:`coursekit.field.fit_field` over
the ten race-editions (the withdrawals: each edition's joint maximum likelihood, medians)."""


def _race_of(rid: str) -> str:
    """The race of a race-edition id (``grr_2024`` -> ``grr``; the Templiers' two editions
    are one race)."""
    return rid.rsplit("_", 1)[0]


def speed_losses(races: dict, fits: dict) -> dict:
    """Per race-edition, the speed its median finisher loses by the finish, as
    ``FIELD_SPEED_LOSS`` was fitted: :func:`coursekit.field.fit_reference_fatigue` on the
    pace model with the field's grade weights (``FIELD_GRADE`` up 10, down 7, the weights of
    the barriers' model when it was fitted), rate x km-effort / 100 [-]. (The benchmark's
    other lines use ``TRAIL_2024``'s up 9, down 5: median 0.452 instead of 0.438.)"""
    from coursekit.field import FIELD_GRADE

    params = TRAIL_2024.with_(up=FIELD_GRADE[0], down=FIELD_GRADE[1])
    out = {}
    for rid, rc in races.items():
        run = runner_on(rc, params)
        fin = rc["status"] == "FINISHER"
        measured = np.isfinite(rc["elapsed"][fin]).sum(axis=0) >= 20
        f, _, _ = fit_reference_fatigue(fits[rid].reference_elapsed, measured, run)
        out[rid] = f * course_effort(rc["grid"]) / 100
    return out


def loo_fields(races: dict, start: dict) -> dict:
    """``DEFAULT_FIELD`` and ``FIELD_SPEED_LOSS`` re-derived from the data, the way they were
    derived, with every race-edition (key ``""``) and without each Réunion race (its id).

    - :data:`LOO_MEDIANS`: medians over the race-editions kept of :func:`fit_field` as the
      defaults were fitted (``ahead``, ``foresight`` and ``ease`` off, each runner's own
      start: the fit before the fourteenth to sixteenth sprints, which gives the defaults'
      withdrawals back; the other numbers do not depend on these options);
    - ``start_compression``, ``start_time_s``: :func:`start_compression_fit` on the
      race-editions kept (``start``, its result);
    - ``FIELD_SPEED_LOSS``: median of :func:`speed_losses` over the race-editions kept;
    - ``eliminated_max``: the largest ``OUT_OF_TIME`` share of the starters among them,
      rounded up to a whole percent (4.49 % at the Métis Trail -> 5 %; to the nearest
      percent it would be 4 %, not the default's 5 %).

    Kept: ``finish_share`` 0.78 (set by judgement, not a formula), ``level_sd`` (the
    Templiers' two editions only), and the terms that are 0 by decision (``ahead_hazard``)
    or whose median is 0 with or without any race (``foresight_hazard``, ``tail_ease``).
    Returns ``{key: (FieldParams, speed loss)}``.
    """
    ids = sorted(races)
    wfits = {}
    for rid in ids:
        rc = races[rid]
        wfits[rid] = fit_field(
            rc["elapsed"],
            rc["status"],
            leg_effort=rc["kme"],
            cutoff_elapsed=rc["cut"],
            ahead=False,
            foresight=False,
            ease=False,
            source=rid,
        )
    loss = speed_losses(races, wfits)
    oot = {}
    for rid in ids:
        rc = races[rid]
        obs = history_outcomes(rc["elapsed"], rc["status"], cutoff_elapsed=rc["cut"])
        oot[rid] = float(obs["eliminated"].sum() / obs["starters"])
    out = {}
    for target in [""] + [r for r in ids if races[r]["limit"] is not None]:
        keep = [r for r in ids if _race_of(r) != _race_of(target)]
        med = {
            k: float(np.median([getattr(wfits[r].params, k) for r in keep])) for k in LOO_MEDIANS
        }
        a, tau = start[_race_of(target) if target else ""]
        params = dataclasses.replace(
            DEFAULT_FIELD,
            **med,
            start_compression=a,
            start_time_s=tau * 3600,
            eliminated_max=float(np.ceil(100 * max(oot[r] for r in keep) - 1e-9) / 100),
            source=f"re-derived without {target}" if target else "re-derived on all ten",
        )
        out[target] = (params, float(np.median([loss[r] for r in keep])))
    print(
        "   OUT_OF_TIME share of the starters (eliminated_max: the largest, rounded up): "
        + ", ".join(f"{_race_of(k)} {100 * v:.2f} %" for k, v in oot.items())
    )
    print(
        "   speed lost by the finish (FIELD_GRADE pace model): "
        + ", ".join(f"{_race_of(k)} {v:.3f}" for k, v in loss.items())
    )
    return out


def loo_path(races: dict, index: dict, start: dict, base: list) -> None:
    """``--loo``: the no-history route with the defaults re-derived without the target race.

    ``base``: :func:`default_path`'s rows with the defaults as they are (in-sample: their
    medians include the target). Runs the route with the defaults re-derived on all ten
    race-editions (the control: what re-deriving changes without leaving anything out),
    without the target (:func:`loo_fields`), and two variations of the leave-one-out field
    on the numbers not re-derived faithfully or not re-derived: the start compression kept
    at the defaults' (today's code gives 0.25 / 0.80 h on all ten, not 0.33 / 0.79 h), and
    the finish share at 0.81 (the median of the other Réunion races' finish shares) instead
    of 0.78.
    """
    print()
    print("== leave one race out: DEFAULT_FIELD and FIELD_SPEED_LOSS re-derived without the target")
    fields = loo_fields(races, start)
    shown = LOO_MEDIANS + ("start_compression", "start_time_s", "eliminated_max")
    print(f"   {'':18s} " + " ".join(f"{k[:11]:>11s}" for k in shown) + "  speed_loss")

    def row(name, p, loss):
        vals = [getattr(p, k) / (3600 if k == "start_time_s" else 1) for k in shown]
        print(f"   {name:18s} " + " ".join(f"{v:11.3f}" for v in vals) + f"  {loss:10.3f}")

    row("DEFAULT_FIELD", DEFAULT_FIELD, FIELD_SPEED_LOSS)
    row("all ten", *fields[""])
    for k, v in fields.items():
        if k:
            row(f"without {_race_of(k)}", *v)
    ids = [r for r in races if races[r]["limit"] is not None]
    runs = [("in-sample default", base)]
    runs.append(
        (
            "re-derived, all ten",
            default_path(
                races,
                index,
                fields={r: fields[""] for r in ids},
                label="defaults re-derived on all ten (control)",
            ),
        )
    )
    loo = {r: fields[r] for r in ids}
    runs.append(
        ("leave one out", default_path(races, index, fields=loo, label="leave one race out"))
    )
    keep_start = {
        r: (
            dataclasses.replace(
                p,
                start_compression=DEFAULT_FIELD.start_compression,
                start_time_s=DEFAULT_FIELD.start_time_s,
            ),
            loss,
        )
        for r, (p, loss) in loo.items()
    }
    runs.append(
        (
            "LOO, start kept",
            default_path(
                races, index, fields=keep_start, label="leave one race out, start compression kept"
            ),
        )
    )
    cap = {r: (dataclasses.replace(p, eliminated_max=0.04), loss) for r, (p, loss) in loo.items()}
    runs.append(
        (
            "LOO, cap 0.04",
            default_path(races, index, fields=cap, label="leave one race out, eliminated_max 0.04"),
        )
    )
    share = {r: (dataclasses.replace(p, finish_share=0.81), loss) for r, (p, loss) in loo.items()}
    runs.append(
        (
            "LOO, finish 0.81",
            default_path(races, index, fields=share, label="leave one race out, finish_share 0.81"),
        )
    )
    print()
    print(
        f"== leave one race out, summary (seed {SEED}): cells within 10 %; barriers in band; "
        "worst error; finish share; eliminated share (simulated; actual in brackets)"
    )
    for name, out in runs:
        print(f"   {name}: {summary_totals(out)}")
        for o in out:
            print(
                f"      {o[0]:10s} cells {o[5]:2d}/{o[6]:2d}; barriers {o[2]:2d}/{o[3]:2d}; "
                f"worst {100 * o[4]:5.1f} %; finish {o[9]:.2f} ({o[8]:.2f}); "
                f"eliminated {o[11]:.3f} ({o[10]:.3f})"
            )


def _median_level(race, race_data: dict, n: int, params) -> float:
    """``ability_mean`` whose simulated median finish is the actual one (bisection)."""
    from coursekit.event import simulate_race

    obs = history_outcomes(
        race_data["elapsed"], race_data["status"], cutoff_elapsed=race_data["cut"]
    )
    target = obs["arrival_quantiles"][1, -1]
    lo, hi = -1.0, 1.0
    for _ in range(14):
        mid = 0.5 * (lo + hi)
        sim = simulate_race(
            race, n_runners=n, repetitions=20, seed=7, params=params, ability_mean=mid
        )
        lo, hi = (lo, mid) if sim.arrival_quantiles[1, -1] > target else (mid, hi)
    return 0.5 * (lo + hi)


def speed():
    """The issue's case at its size: 10,000 runners x 30 checkpoints x 200 repetitions
    against the 2 s target (``--quick`` runs this alone; it used 50 repetitions, a quarter of
    the work, against the same 2 s)."""
    n, rows, reps = 10_000, 30, 200
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
    if "--no-start" in sys.argv:  # every route without the start compression
        from coursekit import field

        field.DEFAULT_FIELD = dataclasses.replace(field.DEFAULT_FIELD, start_compression=0.0)
        print("--no-start: DEFAULT_FIELD.start_compression = 0 (fits inherit it)")
    speed()
    if quick:  # the speed case only (docs/simulation.md)
        return
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
        f"{'fatigue':>7s} {'kappa':>6s} {'mu':>6s} {'h0':>6s} {'gamma':>6s} {'skew':>5s} "
        f"{'chase':>5s} {'h2':>6s} {'gamma2':>6s} {'h3':>6s} {'gamma3':>6s} {'ease':>5s} "
        f"{'fast':>5s}"
    )
    for rid in ids:
        rc = races[rid]
        f = fit_field(
            rc["elapsed"],
            rc["status"],
            leg_effort=rc["kme"],
            cutoff_elapsed=rc["cut"],
            start_offset=np.nan_to_num(rc["clock"][:, 0]),  # start waves: late by the clock
            source=rid,
        )
        fits[rid] = f
        p = f.params
        print(
            f"{rid:26s} {p.finish_share:6.3f} {p.dnf_share:5.3f} {p.spread:6.3f} "
            f"{p.leg_sigma:6.3f} {p.fatigue:7.2f} {p.dnf_ability:6.2f} {f.ability_mean:6.3f} "
            f"{p.behind_hazard:6.3f} {p.behind_slope:6.1f} {p.skew:5.2f} {p.chase_share:5.2f} "
            f"{p.ahead_hazard:6.3f} {p.ahead_slope:6.1f} "
            f"{p.foresight_hazard:6.3f} {p.foresight_slope:6.1f} {p.tail_ease:5.2f} "
            f"{p.fastest:5.3f}" + (f"  ({'; '.join(f.notes)})" if f.notes else "")
        )
    keys = (
        "spread",
        "leg_sigma",
        "fatigue",
        "dnf_share",
        "dnf_ability",
        "finish_share",
        "behind_hazard",
        "behind_slope",
        "skew",
        "chase_share",
        "ahead_hazard",
        "ahead_slope",
        "foresight_hazard",
        "foresight_slope",
        "tail_ease",
        "fastest",
    )
    med = {k: float(np.median([getattr(fits[i].params, k) for i in ids])) for k in keys}
    print("median: " + ", ".join(f"{k}={v:.3f}" for k, v in med.items()))
    print()

    start_fits = start_compression_fit(races, fits, index)
    print()

    fatigue = {}
    for rid in ids:
        fatigue[rid] = fit_fatigue(races[rid], fits[rid].reference_elapsed)
    print(
        "pace-model fatigue fitted on each race's median finisher (per 100 km-effort; "
        f"TRAIL_2024 has {TRAIL_2024.fatigue} for the last finisher): "
        + ", ".join(f"{k} {v:.2f}" for k, v in fatigue.items())
    )
    loss = {k: v * course_effort(races[k]["grid"]) / 100 for k, v in fatigue.items()}
    print(
        "   as speed lost by the finish (rate x km-effort / 100, TRAIL_2024's grade weights "
        f"up {TRAIL_2024.up:g}, down {TRAIL_2024.down:g}): "
        + ", ".join(f"{k} {v:.2f}" for k, v in loss.items())
        + f"; median {np.median(list(loss.values())):.3f}, leaving one out "
        + "-".join(
            f"{np.median([v for j, v in loss.items() if j != k]):.3f}"
            for k in (min(loss, key=loss.get), max(loss, key=loss.get))
        )
    )
    field_loss = speed_losses(races, fits)
    print(
        f"   the same with FIELD_GRADE's weights, as FIELD_SPEED_LOSS = {FIELD_SPEED_LOSS} "
        f"was fitted: median {np.median(list(field_loss.values())):.3f}"
    )
    # the start compression of each source, on the pace-model weights it is simulated with
    # on its own course (as coursekit.event.history_race does on last year's split times)
    start = {}
    for rid in ids:
        ref_s, lead_s, _, _ = reference_for(races[rid], races[rid], fits[rid], fatigue[rid])
        ws = pace_weights(ref_s, lead_s)
        a = DEFAULT_FIELD.start_compression
        if ws is not None:
            a = fit_start_compression(fits[rid].slopes, fits[rid].reference_elapsed, ws)
        start[rid] = a
    print(
        "start_compression fitted per race on its slopes against the pace-model weights "
        f"(DEFAULT_FIELD {DEFAULT_FIELD.start_compression}): "
        + ", ".join(f"{k} {v:.2f}" for k, v in start.items())
    )
    print()
    print("== validation: simulate with parameters fitted on another edition/race")
    print("(percentile errors = |simulated - actual| / actual elapsed time, at each checkpoint")
    print(" with data; eliminations: actual count inside the simulated 5-95 % band)")
    print(
        "(actual eliminations as the simulation counts them: OUT_OF_TIME runners + runners whose\n"
        " race ended at a barrier they reached after its time, whatever their status, by the\n"
        " clock (barriers are clock times; start waves); the OUT_OF_TIME count alone, the\n"
        " yardstick before, in brackets and in 'OUT_OF_TIME only' totals)"
    )
    summary = []
    for target, source, why in PAIRS:
        tr, sr, fit = races[target], races[source], fits[source]
        ref_el, lead_el, mu, how = reference_for(tr, sr, fit, fatigue[source])
        n = int(np.isfinite(tr["elapsed"][:, 1:]).any(axis=1).sum())
        sim = simulate_field(
            np.diff(ref_el, prepend=0.0),
            leg_effort=tr["kme"],
            cutoff_elapsed=tr["cut"],
            leg_weights=pace_weights(ref_el, lead_el),
            n_runners=n,
            repetitions=200,
            params=dataclasses.replace(fit.params, start_compression=start[source]),
            ability_mean=mu,
            seed=SEED,
        )
        mode = (
            f"pace model (cutoffs.solve, TRAIL_2024, fatigue {fatigue[source]:.2f} from the source)"
        )
        c = compare(tr, sim)
        obs, use, qa, qs, err = c.obs, c.use, c.qa, c.qs, c.err
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
        colmax = np.max(np.where(np.isfinite(err), err, -1.0), axis=0)
        worst = int(np.argmax(np.where(use, colmax, -1.0)))
        print(
            f"   worst checkpoint {tr['names'][worst]!r}: actual p10/p50/p90 "
            + "/".join(f"{v / 3600:.1f}" for v in qa[:, worst])
            + " h, simulated "
            + "/".join(f"{v / 3600:.1f}" for v in qs[:, worst])
            + " h"
        )
        if len(c.bars):
            print(f"   {barrier_cells(tr, c)}")
        wd_late = int(np.sum((c.stopped_late >= 0) & (tr["status"] != "FINISHER")))
        print(
            f"   finish share actual {fs_real:.3f}, simulated {fsm:.3f} "
            f"[{fslo:.3f}-{fshi:.3f}]; withdrawn actual {obs['withdrawn'].sum()} by status, "
            f"{obs['withdrawn'].sum() - wd_late} without the {wd_late} stopped at a barrier "
            f"reached late; simulated {sim.withdrawn.sum(axis=1).mean():.0f}"
        )
        within = int(np.sum(err[:, use] <= 0.10))
        summary.append(
            (target, ok_q, sum(c.inside), len(c.bars), float(np.nanmax(mx)), within)
            + (int(3 * use.sum()), sum(c.inside_timed_out))
        )
    history_path(races, index)
    insample_path(races, index)
    base = default_path(races, index)
    if "--loo" in sys.argv:
        loo_path(races, index, start_fits, base)
    if "--no-cap" in sys.argv:
        from coursekit import field

        default_path(races, index, dataclasses.replace(field.DEFAULT_FIELD, eliminated_max=None))
    if "--level-oracle" in sys.argv:
        default_path(races, index, oracle=True)
    print()
    nq = sum(s[1] for s in summary)
    nb = sum(s[2] for s in summary)
    tb = sum(s[3] for s in summary)
    nw = sum(s[5] for s in summary)
    tw = sum(s[6] for s in summary)
    nbo = sum(s[7] for s in summary)
    print(
        f"== summary: percentiles within 10 % on {nq}/{len(summary)} races "
        f"({nw}/{tw} = {100 * nw / tw:.0f} % of (checkpoint, percentile) cells); "
        f"eliminations inside the band at {nb}/{tb} barriers (actual eliminations as the "
        f"simulation counts them: OUT_OF_TIME + stopped at a barrier reached late, by the "
        f"clock); OUT_OF_TIME only, the yardstick before: {nbo}/{tb}"
    )
    for t, ok, a, b, m, w, tw_, bo in summary:
        print(
            f"   {t:26s} worst percentile error {100 * m:5.1f} %  {'ok' if ok else 'MISSED'}; "
            f"cells within 10 % {w}/{tw_}; {barriers_in_band(a, bo, b)}"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
