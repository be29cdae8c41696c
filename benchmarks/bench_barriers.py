"""Computed time barriers against published ones on real races (../shared/realdata).

For each race-edition: the course is built from the realdata GPX and the
checkpoints CSV (checkpoints placed by their LiveTrail ``distance_m`` scaled to
the GPX length), nothing is copied into the repository. Printed per race:

- ``err%``: mean absolute error between computed and published barriers, in %
  of the limit (intermediate barriers only; start and finish are given);
- ``base%``: the same for the baseline, barriers proportional to km-effort;
- ``cut%``: share of the actual finishers that the computed barriers would
  have eliminated (passage later than the barrier), and ``pubcut%`` the same
  for the published barriers (a floor: runners were let through);
- ``pack%``: packed-field cut, a shape-only cut share (:func:`packed_field`): the
  slowest ``PACK_SHARE`` (a quarter) of the finishers, each one's passages rescaled by
  limit / his time at the course's end so that he ends exactly at the limit; the share
  of them later than some intermediate barrier. ``pubpack%`` the same for the published
  barriers (a floor, as ``pubcut%``);
- ``lead%``: mean over the checkpoints (finish included) of the error of the
  leader ETA against the first runner's actual passage there, in % of that
  first passage's elapsed time (``leadL%``: the same in % of the limit).

Then the same with leave-one-race-out cross-validation: the three free
parameters (climb cost ``up``, fatigue, downhill cost) are refitted on the other races by a grid
search (barriers rounded as printed; GRR and TDB share half a course and are
left out together) and the held-out race is predicted; the leader's fatigue is
refitted too, on the first passages. The finish is excluded from every
barrier mean (equal by construction).

The grid point minimises ``err + lam * cut + mu * pack`` (mean over the training
races): ``lam`` weighs a finisher cut against barrier error, ``mu`` (``--mu``, default
``MU`` = 0: not in the default objective) a packed-field cut. ``--lam-table`` prints
in-sample and leave-one-out results for several ``lam`` (the choice of the
default, ``LAM``, is a product decision recorded in docs/calibration.md), ``--mu-table``
the same for several ``mu`` at ``lam`` (fourteenth round).

Templiers races publish no finish limit: they are evaluated on the course
truncated at the last published barrier, whose time becomes the limit.

Usage::

    python benchmarks/bench_barriers.py [--realdata PATH] [--round MIN] [--no-cv] [--fit]
        [--lam L] [--mu M] [--lam-table] [--mu-table] [--external] [--by-coordinates]

After the in-sample table, an external check on races no fit has seen
(``EXTERNAL_RACES``: UTMB 2024, Grand Trail des Templiers 2025): their published
barriers (``benchmarks/data/*_barriers.csv``, facts with their source) against
``coursekit cutoffs`` on their GPX of ../shared/realdata, then a summary line;
``--external`` runs only this part.

``--by-coordinates``: after the in-sample table, the same table on the course files a
user writes with the checkpoints by ``lat``/``lon`` (the checkpoints CSV's coordinates)
instead of km, through :func:`coursekit.cutoffs.plan` as ``coursekit cutoffs`` runs
(:func:`coordinate_plan`), with the largest placement difference per race; no
cross-validation, no external check.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from coursekit.checkpoints import course_legs
from coursekit.course import load_course
from coursekit.cutoffs import course_effort, course_grid, plan, solve
from coursekit.gpx import read_gpx
from coursekit.history import backtest as run_backtest
from coursekit.history import elapsed_matrix, map_columns, read_times
from coursekit.pace import KME, TRAIL_2024, PaceParams, leader_time
from coursekit.profile import make_profile
from coursekit.sun import dark_intervals

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))

FULL = ["grr_2024", "mas_2024", "tdb_2024", "mtr_2024"]
PARTIAL = [
    "templiers_gtt_2023",
    "templiers_gtt_2024",
    "templiers_endurance_2023",
    "templiers_endurance_2024",
]
# races sharing course sections are held out together in cross-validation
GROUPS = {"grr_2024": "reunion-south", "tdb_2024": "reunion-south"}


def load_race(rid: str, realdata: Path = REALDATA) -> dict:
    """Course arrays, published barriers and split times of one race-edition."""
    idx = {e["id"]: e for e in json.loads((realdata / "index.json").read_text())["editions"]}
    e = idx[rid]
    track = read_gpx(realdata / e["files"]["gpx"])
    prof = make_profile(track)
    rows = list(csv.DictReader((realdata / e["files"]["checkpoints"]).open(encoding="utf-8")))
    rows = [r for r in rows if "déviation" not in r["name"]]  # off-course deviations
    offset_fix = e.get("start_local_corrected") is not None
    start = dt.datetime.fromisoformat(e.get("start_local_corrected") or e["start"])

    def when(text):
        t = dt.datetime.fromisoformat(text)
        if offset_fix:  # trap 2: local wall-clock written with +00:00
            t = t.replace(tzinfo=start.tzinfo)
        return t

    if rid == "mtr_2024":  # 14 h counted from 07:30 (the start checkpoint's cutoff)
        start = when(rows[0]["cutoff"])
    pub = []
    for r in rows:
        if r["cutoff"]:
            t = (when(r["cutoff"]) - start).total_seconds()
            if t < 0:  # trap 1: a night cutoff written on the start date
                t += 86400
            pub.append(t)
        else:
            pub.append(np.nan)
    pub = np.array(pub)
    d = np.array([float(r["distance_m"]) for r in rows])
    if e.get("finish_cutoff"):
        limit = (when(e["finish_cutoff"]) - start).total_seconds()
        last = len(rows) - 1
    else:  # Templiers: truncate at the last published barrier
        last = int(np.flatnonzero(np.isfinite(pub))[-1])
        limit = float(pub[last])
    scale = prof.total_distance / d[-1]
    cpd = d[: last + 1] * scale
    names = [r["name"] for r in rows[: last + 1]]
    latlon = [(float(r["lat"]), float(r["lon"])) for r in rows[: last + 1]]
    short = [r["short_name"] for r in rows[: last + 1]]
    pub = pub[: last + 1]
    pub[0] = 0.0
    pub[-1] = limit
    # truncate the profile at the last checkpoint
    k = int(np.searchsorted(prof.distance, cpd[-1], side="right"))
    dist = np.concatenate([prof.distance[:k], [cpd[-1]]])
    ele = np.concatenate([prof.elevation[:k], [np.interp(cpd[-1], prof.distance, prof.elevation)]])
    gain = np.concatenate([prof.gain[:k], [np.interp(cpd[-1], prof.distance, prof.gain)]])
    grid = course_grid(dist, ele, gain, cpd)
    lat, lon = float(np.mean(track.lat)), float(np.mean(track.lon))
    dark = dark_intervals(lat, lon, start, limit)
    st = read_times(realdata / e["files"]["times"])
    mapping, _how = map_columns(short, st.columns)
    el = elapsed_matrix(st, mapping, start_column=short[0] if short[0] in st.columns else None)
    # elapsed from the official start, not from the first wave's recorded passage
    t0 = np.nanmin(st.time[:, st.column(short[0])])
    shift = t0 - (start.timestamp() if not offset_fix else start.timestamp())
    if offset_fix:
        shift = t0 - start.replace(tzinfo=dt.UTC).timestamp()
    el = el + shift
    fin = st.finisher
    if last < len(rows) - 1:
        # finishers of the full race who passed the truncated course's end
        pass
    return {
        "id": rid,
        "names": names,
        "grid": grid,
        "published": pub,
        "limit": limit,
        "start": start,
        "dark": dark,
        "elapsed": el,
        "finisher": fin,
        # first runner's actual passage at each checkpoint [s from start]
        "first": np.array(
            [np.nanmin(c) if np.isfinite(c).any() else np.nan for c in el.T], dtype=float
        ),
        "truncated": last < len(rows) - 1,
        # for the course file by coordinates (coordinate_plan)
        "gpx": realdata / e["files"]["gpx"],
        "timezone": e.get("time_zone"),
        "latlon": latlon,
    }


def evaluate(race: dict, params, *, round_minutes=15) -> dict:
    sol = solve(
        race["grid"],
        limit_s=race["limit"],
        params=params,
        start=race["start"],
        dark=race["dark"],
        round_minutes=round_minutes,
        names=race["names"],
    )
    out = _scores(race, sol.cutoff, sol.first_arrival, sol.opens)
    out["sol"] = sol
    return out


def _scores(race: dict, cutoff, first_arrival, opens=None) -> dict:
    """Scores of barriers ``cutoff`` and leader ETAs ``first_arrival`` on ``race`` (one
    value per row of ``race["names"]``, s from the start; ``opens``: station openings,
    default the leader ETAs)."""
    pub = race["published"]
    m = np.isfinite(pub)
    m[0] = m[-1] = False
    err = np.abs(cutoff[m] - pub[m]) / race["limit"]
    bt = run_backtest(race["elapsed"], race["finisher"], cutoff)
    btp = run_backtest(race["elapsed"], race["finisher"], pub)
    packed = race.get("packed")
    if packed is None:
        packed = race["packed"] = packed_field(race)
    first = race["first"]
    ok = np.isfinite(first) & (first > 0)
    ok[0] = False
    dl = np.abs(first_arrival[ok] - first[ok])
    opens = opens if opens is not None else first_arrival
    return {
        "err": float(err.mean()) if err.size else np.nan,
        "n": int(m.sum()),
        "cut": bt.finishers_cut / max(bt.finishers, 1),
        "pubcut": btp.finishers_cut / max(btp.finishers, 1),
        "pack": packed_cut(packed, cutoff),
        "pubpack": packed_cut(packed, pub),
        "lead": float(np.mean(dl / first[ok])) if dl.size else np.nan,
        "leadL": float(np.mean(dl / race["limit"])) if dl.size else np.nan,
        "lead_finish": float(first_arrival[-1] / first[-1] - 1) if ok[-1] else np.nan,
        # signed leader error per checkpoint (finish included) in fraction of the first passage
        "lead_cp": (first_arrival - first) / np.where(ok, first, np.nan),
        # share of checkpoints where the leader ETA / the station opening is later than the
        # first runner's actual passage (the dangerous direction: the station not yet open)
        "late": float(np.mean(first_arrival[ok] > first[ok])) if dl.size else np.nan,
        "olate": float(np.mean(opens[ok] > first[ok])) if dl.size else np.nan,
    }


PACK_SHARE = 0.25
"""Share of a race's finishers, the slowest, that :func:`packed_field` keeps."""


def packed_field(race: dict, share: float | None = None) -> np.ndarray:
    """The slowest finishers of ``race``, each rescaled to end exactly at the limit.

    Finishers (``race["finisher"]``) with a passage at the course's last row (the finish,
    or for a truncated Templiers race the last published barrier, as the limit) are
    ranked by that passage; the slowest ``ceil(share x n)`` are kept and each one's
    elapsed times multiplied by limit / his time at the last row, so that his pacing
    (the shape of his race) is kept and the packing of the field against the limit
    (race-specific) is removed. Returns the rescaled elapsed matrix (runners, rows); the
    last row is set to the limit exactly. ``share`` defaults to :data:`PACK_SHARE`.
    """
    share = PACK_SHARE if share is None else share
    el = race["elapsed"]
    end = el[:, -1]
    ok = np.asarray(race["finisher"], bool) & np.isfinite(end) & (end > 0)
    idx = np.flatnonzero(ok)
    k = int(np.ceil(share * idx.size))
    slow = idx[np.argsort(end[idx], kind="stable")[idx.size - k :]]
    out = el[slow] * (race["limit"] / end[slow])[:, None]
    out[:, -1] = race["limit"]
    return out


def packed_cut(packed: np.ndarray, cutoff) -> float:
    """Share of the rescaled finishers of :func:`packed_field` later than some
    intermediate barrier of ``cutoff`` (the rule of :func:`coursekit.history.backtest`)."""
    bt = run_backtest(packed, np.ones(len(packed), bool), cutoff)
    return bt.finishers_cut / max(bt.finishers, 1)


FREE = ("up", "fatigue", "down")
# grid of the free parameters: the metric (barriers rounded up to the clock) is a step
# function of them, so a grid search replaces Nelder-Mead (which stalled on the steps);
# ``down`` goes to 10 because the steeper climb costs (12, 14) pick 8 and more
GRID = {
    "up": np.array([6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0]),
    "fatigue": np.round(np.arange(0.0, 0.301, 0.02), 3),
    "down": np.arange(0.0, 10.01, 0.5),
}
LEADER_GRID = np.round(np.arange(0.0, 0.201, 0.025), 3)
WEIGHT_GRID = np.round(np.arange(0.0, 1.001, 0.1), 2)
LAM = 2.0
"""Weight of the finishers cut against the barrier error in the fit (product decision:
docs/calibration.md; the smallest tabulated weight whose leave-one-out cut share is
under the issue's 0.5 %)."""
LAMS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
MU = 0.0
"""Weight of the packed-field cut (:func:`packed_cut`) in the fit: 0, not in the default
objective (fourteenth round, docs/calibration.md)."""
MUS = (0.0, 1.0, 2.0)
"""Weights of ``--mu-table`` besides the a priori one, ``LAM`` x ``PACK_SHARE`` (0.5), fixed
before any run: the slowest quarter of a field all at the limit, each counted as a finisher
cut (``LAM``) times the quarter's share of the field; 1 and 2 are reported beside it."""


def grid_scores(races: list[dict], base=TRAIL_2024, *, round_minutes=15) -> tuple:
    """Error, finishers cut and packed-field cut of every race at every grid point
    (arrays ``[point, race]``)."""
    points = [tuple(float(x) for x in pt) for pt in itertools.product(*(GRID[k] for k in FREE))]
    err = np.empty((len(points), len(races)))
    cut = np.empty_like(err)
    pack = np.empty_like(err)
    for i, pt in enumerate(points):
        p = base.with_(**dict(zip(FREE, pt, strict=True)))
        for j, r in enumerate(races):
            ev = evaluate(r, p, round_minutes=round_minutes)
            err[i, j], cut[i, j], pack[i, j] = ev["err"], ev["cut"], ev["pack"]
    return points, err, cut, pack


def fit(
    races: list[dict],
    base=TRAIL_2024,
    *,
    round_minutes=15,
    scores=None,
    train=None,
    lam: float = LAM,
    mu: float = MU,
    excess: bool = False,
) -> tuple:
    """Fit the free parameters: grid point with the least mean of
    ``err + lam * cut + mu * pack``.

    ``err`` is a race's mean absolute barrier error, ``cut`` its share of finishers
    cut and ``pack`` its packed-field cut (:func:`packed_cut`), all fractions.
    ``scores`` from :func:`grid_scores` on ``races``; ``train`` a boolean mask of the
    races to fit on (default all). ``excess``: ``pack`` counts only above the published
    barriers' own packed-field cut (``max(pack - pubpack, 0)``). Ties go to the first
    grid point.
    """
    points, err, cut, pack = (
        scores if scores is not None else grid_scores(races, base, round_minutes=round_minutes)
    )
    train = np.ones(err.shape[1], bool) if train is None else np.asarray(train, bool)
    if excess:
        ref = np.array([packed_cut(packed_field(r), r["published"]) for r in races])
        pack = np.maximum(pack - ref[None, :], 0.0)
    loss = (err[:, train] + lam * cut[:, train] + mu * pack[:, train]).mean(axis=1)
    i = int(np.argmin(loss))
    return base.with_(**dict(zip(FREE, points[i], strict=True))), float(loss[i])


def _free(p: PaceParams) -> tuple:
    """The free parameters of ``p``, as a grid point of :func:`grid_scores`."""
    return tuple(float(getattr(p, k)) for k in FREE)


def _free_text(p: PaceParams) -> str:
    return " ".join(f"{k}={getattr(p, k):g}" for k in FREE)


def _leader_finish_data(races):
    """Limit [s], course km-effort [km] and first runner's time at the course end [s]."""
    lim = np.array([r["limit"] for r in races])
    k = np.array([course_effort(r["grid"]) for r in races])
    t = np.array([r["first"][-1] for r in races])
    ok = np.isfinite(t) & (t > 0)
    return lim[ok], k[ok], t[ok]


def fit_leader_finish(races: list[dict], base=TRAIL_2024, *, weight=None) -> PaceParams:
    """Leader finish model (:func:`coursekit.pace.leader_time`) fitted on the first runners.

    ``leader_fraction`` and ``leader_speed``: geometric means over the races of the first
    runner's time / limit and of the course's km-effort / that time (each estimate
    unbiased in logarithm). ``leader_weight``: grid point of ``WEIGHT_GRID`` with the least
    mean absolute log error of the finish time if ``weight`` is ``"fit"``, else ``weight``
    (default: the base's, 0.5 in the default model: not fitted). Templiers races,
    truncated at their last published barrier, count as races ending there.
    """
    lim, k, t = _leader_finish_data(races)
    weight = base.leader_weight if weight is None else weight
    frac = float(np.exp(np.mean(np.log(t / lim))))
    speed = float(np.exp(np.mean(np.log(1000.0 * k / t))))
    if weight == "fit":
        errs = [
            np.mean(np.abs(np.log(leader_time(lim, k, fraction=frac, speed=speed, weight=w) / t)))
            for w in WEIGHT_GRID
        ]
        weight = float(WEIGHT_GRID[int(np.argmin(errs))])
    return base.with_(
        leader_fraction=round(frac, 4), leader_speed=round(speed, 3), leader_weight=weight
    )


def fit_leader(races: list[dict], base=TRAIL_2024, *, round_minutes=15, weight=None) -> PaceParams:
    """Leader parameters fitted on the first runners' actual passages.

    The finish model by :func:`fit_leader_finish`; then ``leader_fatigue``: grid point
    (``LEADER_GRID``) with the least mean relative error of the leader ETA at every
    checkpoint, the finish model fixed. ``leader_margin`` is not fitted (a policy).
    """
    p = fit_leader_finish(races, base, weight=weight)
    losses = []
    for lf in LEADER_GRID:
        q = p.with_(leader_fatigue=float(lf))
        losses.append(np.mean([evaluate(r, q, round_minutes=round_minutes)["lead"] for r in races]))
    return p.with_(leader_fatigue=float(LEADER_GRID[int(np.argmin(losses))]))


def _row(label, ev, extra=""):
    return (
        f"{label:32s} {ev['n']:3d} {100 * ev['err']:6.2f} {100 * ev['base']:6.2f} "
        f"{100 * ev['cut']:6.2f} {100 * ev['bcut']:6.2f} {100 * ev['pubcut']:7.2f} "
        f"{100 * ev['pack']:6.2f} {100 * ev['pubpack']:8.2f} "
        f"{100 * ev['lead']:6.1f} {100 * ev['leadL']:6.2f} {100 * ev['lead_finish']:+7.1f} "
        f"{100 * ev['late']:5.0f} {100 * ev['olate']:5.0f}" + extra
    )


HDR = (
    f"{'race':32s} {'n':>3s} {'err%':>6s} {'base%':>6s} {'cut%':>6s} {'bcut%':>6s} "
    f"{'pubcut%':>7s} {'pack%':>6s} {'pubpack%':>8s} "
    f"{'lead%':>6s} {'leadL%':>6s} {'leadfin':>7s} {'late%':>5s} {'olate%':>5s}"
)


def _mean_row(label, evs):
    keys = ("err", "base", "cut", "bcut", "pubcut", "pack", "pubpack", "lead", "leadL")
    keys += ("late", "olate")
    m = {k: float(np.nanmean([e[k] for e in evs])) for k in keys}
    fin = float(np.nanmean([abs(e["lead_finish"]) for e in evs]))
    return (
        f"{label:32s} {'':3s} {100 * m['err']:6.2f} {100 * m['base']:6.2f} "
        f"{100 * m['cut']:6.2f} {100 * m['bcut']:6.2f} {100 * m['pubcut']:7.2f} "
        f"{100 * m['pack']:6.2f} {100 * m['pubpack']:8.2f} "
        f"{100 * m['lead']:6.1f} {100 * m['leadL']:6.2f} {100 * fin:7.1f} "
        f"{100 * m['late']:5.0f} {100 * m['olate']:5.0f}"
    )


MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def _margin_rows(evs) -> list[str]:
    """Share of checkpoints where the station would open after the first runner's passage.

    The opening is ``(1 - m)`` times the leader ETA; with ``e`` the ETA's signed relative
    error at a checkpoint, it is late when ``(1 - m)(1 + e) > 1``. Per margin: the share
    over all checkpoints of all races, the worst race, and the mean opening advance
    ``1 - (1 - m)(1 + e)`` (how long before the first runner the station opens, in % of
    his elapsed time).
    """
    out = []
    for m in MARGINS:
        per = []
        adv = []
        for e in evs:
            x = e["lead_cp"][np.isfinite(e["lead_cp"])]
            per.append(((1 - m) * (1 + x) > 1).mean() if x.size else np.nan)
            adv.append(1 - (1 - m) * (1 + x))
        allx = np.concatenate(adv)
        out.append(
            f"{m:6.2f} {100 * np.mean(allx < 0):7.1f} {100 * np.nanmax(per):7.1f} "
            f"{100 * np.mean(allx):8.1f}"
        )
    return out


MARGIN_HDR = f"{'margin':>6s} {'late%':>7s} {'worst%':>7s} {'advance%':>8s}"


def _full_eval(race, p, round_minutes):
    ev = evaluate(race, p, round_minutes=round_minutes)
    bl = evaluate(race, KME, round_minutes=round_minutes)
    ev["base"], ev["bcut"] = bl["err"], bl["cut"]
    return ev


def _print_leader(races, evs):
    """Signed leader ETA error per checkpoint (finish last) and the opening margin table."""
    print("\nleader ETA - first runner's passage, % of that passage, per checkpoint:")
    for r, e in zip(races, evs, strict=True):
        x = e["lead_cp"][1:]
        print(
            f"  {r['id']:26s} "
            + " ".join("  -  " if not np.isfinite(v) else f"{100 * v:+5.0f}" for v in x)
        )
    print("\nstation opening = (1 - margin) x leader ETA, checkpoints of all races:")
    print("  " + MARGIN_HDR)
    for row in _margin_rows(evs):
        print("  " + row)


def _folds(races):
    for j, r in enumerate(races):
        g = GROUPS.get(r["id"], r["id"])
        yield j, r, np.array([GROUPS.get(x["id"], x["id"]) != g for x in races])


EXTERNAL_DIR = ROOT / "benchmarks" / "data"
EXTERNAL_RACES = (
    {
        "label": "UTMB 2024",
        "gpx": "utmb_2023_tracedetrail_noisy.gpx",  # 2023 Trace de Trail export, noisy altitude
        "barriers": "utmb_2024_barriers.csv",
        "start": "2024-08-30T18:00:00+02:00",
        "limit": "46h30min",
        "timezone": "Europe/Paris",
        "winner_s": 19 * 3600 + 54 * 60 + 23,  # first FINISHER of TrailPacer's times_2024.csv
    },
    {
        "label": "Grand Trail des Templiers 2025",
        "gpx": "templiers_gtt_2025_tracedetrail.gpx",  # Trace de Trail export, noisy altitude
        "barriers": "templiers_gtt_2025_barriers.csv",
        "start": "2025-10-19T05:10:00+02:00",
        "limit": None,  # none published: truncated at the last barrier (as in load_race)
        "timezone": "Europe/Paris",
        "winner_s": None,
    },
)
"""Races never used in a fit, with published barriers (facts and sources in the CSV files of
``benchmarks/data``) and a GPX of ../shared/realdata. ``limit`` None: no finish limit is
published; the course is truncated at the last published barrier, whose time is the limit."""
EXTERNAL_NOT_FOUND = (
    ("CCC 2024", "ccc_2024_strava_recording.gpx"),
    ("TOR330 Tor des Geants 2025", "tor330_2025_full_dem.gpx"),
    ("Eiger Ultra Trail E250 2025", "eiger_e250_2025_tracedetrail.gpx"),
)
"""GPX tracks of ../shared/realdata whose published barriers could not be found with a source
(searched in the stored pages, docs and GitHub corpora, November 2026): not checked.

Searched again in the seventeenth sprint, with nothing citable for these editions: the
MagicTrailRun/TrailPacer2025 tree (``data/TrailPacer/UTMB`` holds the UTMB race only, no CCC);
danielissing/race-predictor (the GPX of TOR330 and E250, no cutoffs); the code index for the
checkpoint names (Refuge Bertone, Champex-Lac, Valgrisenche, Gressoney, Lötschenpass, TOR330,
live.torxtrail.com, ``barriere_horaire``); the stored pages of torxtrail.com (the TORX 2025
regulations page is stored only up to its opening sections), eiger.utmb.world and the CCC
race reports. Found but not usable: a CCC **2026** barrier table in a runner's page whose
repository the index does not name (another edition, not citable). Facts found for when the
barriers turn up: CCC 2024 start Fri 2024-08-30 09:00 in Courmayeur
(https://run247.com/race-previews/utmb-ccc-2024-how-to-follow-watch-live-tracking-previous-winners),
winner Hayden Hawks 10:20:11 (https://podisti.net/index.php/cronache/item/12146-ultra-trail-du-mont-blanc-vincono-bouillard-e-schide.html);
TOR330 limit 150 h, TORX 2025 on 12-20 September 2025 (https://torxtrail.com/fr/reglement);
E250 limit 95 h (https://marathonhandbook.com/from-setback-to-comeback-10-key-lessons-learned-after-i-failed-eiger-e250-ultra-trail/,
an earlier edition)."""


def _published_elapsed(text: str, start: dt.datetime) -> float:
    """A published barrier [s from the start]: an ISO date-time, or hours after the start
    (``"4.42h"``, as some sources give them)."""
    text = text.strip()
    if text.endswith("h") and "T" not in text:
        return float(text[:-1]) * 3600.0
    return (dt.datetime.fromisoformat(text) - start).total_seconds()


def _read_external(path: Path) -> list[dict]:
    return list(csv.DictReader(line for line in path.open(encoding="utf-8") if line[0] != "#"))


def _truncated_gpx(gpx: Path, out: Path, profile, cut_m: float) -> None:
    """``gpx`` cut at ``cut_m`` along-course metres (slope length), written to ``out``."""
    from coursekit.gpx import write_gpx
    from coursekit.profile import along_course_distance

    trk = profile.track
    s = along_course_distance(profile)
    k = int(np.searchsorted(s, cut_m, side="right"))
    lat = np.append(trk.lat[:k], np.interp(cut_m, s, trk.lat))
    lon = np.append(trk.lon[:k], np.interp(cut_m, s, trk.lon))
    ele = np.append(trk.elevation[:k], np.interp(cut_m, s, profile.elevation))
    write_gpx(out, lat, lon, ele, name=f"{gpx.stem} (truncated)")


def external_race(
    race: dict, realdata: Path = REALDATA, params=TRAIL_2024, *, verbose: bool = True
) -> dict | None:
    """One race's published barriers against ``coursekit cutoffs``.

    The course file is what a user writes: the race's GPX of ../shared/realdata, the
    start, the limit, the time zone, the timing points by km (the published km scaled to
    the track's slope length) or by GPX waypoint name (a ``waypoint`` column), no cutoffs.
    Without a published limit the GPX is cut at the last published barrier (written to a
    temporary folder) and that barrier is the limit. Barriers come from the default model
    through :func:`coursekit.cutoffs.plan`, exactly as the command prints them. Prints the
    error per barrier in % of the limit, the km-effort baseline (barriers proportional to
    the cumulative km-effort) and, with a sourced winner's time, the leader's finish.
    ``params``: the model (default the default's, as the command); ``verbose`` False
    prints nothing. The result's ``computed`` lists the computed barriers [h] at the
    published ones, finish excluded.
    """
    from coursekit.course import parse_duration
    from coursekit.profile import along_course_distance

    gpx = realdata / race["gpx"]
    say = print if verbose else (lambda *a, **k: None)
    if not gpx.is_file():
        say(f"\n{race['label']}: skipped, {gpx} not found")
        return None
    rows = _read_external(EXTERNAL_DIR / race["barriers"])
    start = dt.datetime.fromisoformat(race["start"])
    pub = [_published_elapsed(r["cutoff"], start) if r["cutoff"] else None for r in rows]
    if race["limit"] is None:
        last = max(j for j, t in enumerate(pub) if t is not None)
        limit = pub[last]
        limit_text = f"{limit / 3600:.4f}"
    else:
        last = len(rows) - 1
        limit = parse_duration(race["limit"])
        limit_text = f'"{race["limit"]}"'
    tz = f'timezone = "{race["timezone"]}"\n' if race.get("timezone") else ""
    by_waypoint = "waypoint" in rows[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "course.toml"
        head = f'name = "{race["label"]}"\ngpx = "{gpx}"\nstart = {start.isoformat()}\n'
        path.write_text(head + f"limit = {limit_text}\n" + tz)
        full = load_course(path)
        total = float(along_course_distance(full.profile)[-1]) / 1000
        scale = total / float(rows[-1]["km"]) if rows[-1].get("km") else 1.0
        if last < len(rows) - 1:  # truncate the track at the last published barrier
            cut = Path(tmp) / "truncated.gpx"
            _truncated_gpx(gpx, cut, full.profile, float(rows[last]["km"]) * scale * 1000)
            head = head.replace(f'gpx = "{gpx}"', f'gpx = "{cut}"')
        cps = ""
        for r in rows[1:last]:
            if by_waypoint and r.get("waypoint"):
                where = f'waypoint = "{r["waypoint"]}"'
            else:
                where = f"km = {float(r['km']) * scale:.3f}"
            cps += f'\n[[checkpoints]]\nname = "{r["name"]}"\n{where}\n'
        path.write_text(head + f"limit = {limit_text}\n" + tz + cps)
        pl = plan(load_course(path), params=params)
    kme = np.cumsum(pl.legs.leg_km_effort)
    err, base, names, computed = [], [], [], []
    trunc = f", truncated at {rows[last]['name']}" if last < len(rows) - 1 else ""
    say(f"\nexternal check, never fitted: {race['label']} published barriers{trunc}")
    say(f"{'checkpoint':22s} {'published':>9s} {'computed':>9s} {'err%':>6s} {'base%':>6s}")
    for j in range(last):
        if pub[j] is None:
            continue
        e = (pl.cutoff_elapsed[j] - pub[j]) / limit
        b = (limit * kme[j] / kme[-1] - pub[j]) / limit
        err.append(e)
        base.append(b)
        names.append(rows[j]["name"])
        computed.append(float(pl.cutoff_elapsed[j]) / 3600)
        say(
            f"{rows[j]['name'][:22]:22s} {pub[j] / 3600:8.2f}h {pl.cutoff_elapsed[j] / 3600:8.2f}h "
            f"{100 * e:+6.2f} {100 * b:+6.2f}"
        )
    lead = float(pl.first_arrival_elapsed[-1])
    out = {
        "label": race["label"],
        "err": float(np.mean(np.abs(err))),
        "base": float(np.mean(np.abs(base))),
        "signed": np.array(err),
        "names": names,
        "computed": computed,
        "limit": limit,
        "lead_finish": np.nan,
    }
    line = (
        f"mean |error| {100 * out['err']:.2f} % of the limit over {len(err)} barriers "
        f"(km-effort baseline {100 * out['base']:.2f} %); leader finish {lead / 3600:.2f} h"
    )
    if race.get("winner_s"):
        out["lead_finish"] = lead / race["winner_s"] - 1
        line += (
            f" against the winner's {race['winner_s'] / 3600:.2f} h "
            f"({100 * out['lead_finish']:+.1f} %)"
        )
    else:
        line += " (no sourced winner's time)"
    say(line)
    return out


def external_check(realdata: Path = REALDATA) -> list[dict]:
    """Every race of :data:`EXTERNAL_RACES` (:func:`external_race`), then a summary line."""
    res = [r for r in (external_race(x, realdata) for x in EXTERNAL_RACES) if r is not None]
    if res:
        pooled = np.concatenate([np.abs(r["signed"]) for r in res])
        print(
            f"\nexternal races: {len(res)}, {pooled.size} barriers; mean over races of the "
            f"mean |error| {100 * np.mean([r['err'] for r in res]):.2f} % of the limit "
            f"(km-effort baseline {100 * np.mean([r['base'] for r in res]):.2f} %), "
            f"over barriers {100 * pooled.mean():.2f} %"
        )
    print(
        "not checked (no published barriers found with a source): "
        + ", ".join(f"{label} ({g})" for label, g in EXTERNAL_NOT_FOUND)
    )
    return res


def coordinate_plan(race: dict, folder: Path, params=TRAIL_2024, *, round_minutes=15):
    """Barriers of ``race`` from the course file with its checkpoints by coordinates.

    The file is what a user writes: the race's GPX, start, limit and time zone, every
    checkpoint of ``race["names"]`` (start and finish too) by ``lat``/``lon`` of the
    checkpoints CSV, no cutoffs; written to ``folder`` and planned by
    :func:`coursekit.cutoffs.plan`. A truncated race (Templiers) is cut where its last
    row, the last published barrier, is located by its coordinates on the whole track.

    Returns
    -------
    plan : Plan
    plan_kme : Plan
        The same checkpoints with the km-effort baseline (:data:`coursekit.pace.KME`).
    shift : ndarray
        Placement by coordinates minus by km (``race["grid"]``), per row [m of track].
    """
    rows = "".join(
        f'\n[[checkpoints]]\nname = "{n}"\nlat = {la}\nlon = {lo}\n'
        for n, (la, lo) in zip(race["names"], race["latlon"], strict=True)
    )
    head = (
        f'name = "{race["id"]}"\nstart = {race["start"].isoformat()}\n'
        f'limit = {race["limit"] / 3600:.6f}\ntimezone = "{race["timezone"]}"\n'
    )
    path = folder / f"{race['id']}.toml"
    gpx = race["gpx"]
    if race["truncated"]:  # cut at the last row, located on the whole track
        path.write_text(f'gpx = "{gpx}"\n' + head + rows)
        full = load_course(path)
        cut = course_legs(full).along[len(race["names"]) - 1]
        gpx = folder / f"{race['id']}.gpx"
        _truncated_gpx(race["gpx"], gpx, full.profile, float(cut))
    path.write_text(f'gpx = "{gpx}"\n' + head + rows)
    course = load_course(path)
    legs = course_legs(course)
    if legs.names != tuple(race["names"]):
        raise RuntimeError(f"{race['id']}: rows {legs.names} != {race['names']}")
    pl = plan(course, legs=legs, params=params, round_minutes=round_minutes)
    pk = plan(course, legs=legs, params=KME, round_minutes=round_minutes)
    shift = legs.distance - race["grid"].node[race["grid"].cp_node]
    return pl, pk, shift


def coordinate_table(races: list[dict], params=TRAIL_2024, *, round_minutes=15) -> list[dict]:
    """The in-sample table with the checkpoints by coordinates (:func:`coordinate_plan`).

    Same columns, plus ``maxdkm``: the largest placement difference by coordinates minus
    by km [km of track] and the checkpoint where it is.
    """
    print(
        "\ncheckpoints by coordinates (course file -> coursekit.cutoffs.plan), "
        "maxdkm = largest |coordinates - km| placement:"
    )
    print(HDR + f" {'maxdkm':>7s}")
    evs = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in races:
            pl, pk, shift = coordinate_plan(r, Path(tmp), params, round_minutes=round_minutes)
            ev = _scores(r, pl.cutoff_elapsed, pl.first_arrival_elapsed, pl.opens_elapsed)
            bl = _scores(r, pk.cutoff_elapsed, pk.first_arrival_elapsed)
            ev["base"], ev["bcut"] = bl["err"], bl["cut"]
            j = int(np.argmax(np.abs(shift)))
            evs.append(ev)
            label = r["id"] + (" (trunc)" if r["truncated"] else "")
            print(_row(label, ev, f" {shift[j] / 1000:+7.2f} {r['names'][j]}"))
    print(_mean_row("mean", evs))
    return evs


def mu_table(races, scores, *, lam=LAM, mus=None, realdata: Path = REALDATA) -> list[dict]:
    """In-sample, leave-one-race-out and external results per weight ``mu`` of the
    packed-field cut in the objective ``err + lam * cut + mu * pack`` (fourteenth round).

    Per variant (each ``mu`` of ``mus``, default 0, the a priori ``lam`` x
    :data:`PACK_SHARE` and the rest of :data:`MUS`; then the a priori ``mu`` on the excess
    over the published barriers' own packed cut, ``excess``): the point fitted on all races, its
    in-sample err / cut / pack (means over races, %), the same leave one race out (the
    point refitted without the race, as the leave-one-out table), the external error on
    UTMB 2024 and GTT 2025 at the in-sample point, and UTMB 2024's computed barriers [h]
    (the published barrier checkpoints, finish excluded, in course order).
    """
    prior = lam * PACK_SHARE
    if mus is None:
        mus = sorted({0.0, prior, *MUS})
    variants = [(mu, False) for mu in mus] + [(prior, True)]
    print(
        f"\nper weight mu of the packed-field cut (lam {lam:g}; err / cut / pack %, "
        "mean over races):"
    )
    print(
        f"{'mu':>9s} {'in err':>6s} {'cut':>5s} {'pack':>6s} {'loo err':>7s} {'cut':>5s} "
        f"{'pack':>6s} {'UTMB':>5s} {'GTT25':>5s}  in-sample fit"
    )
    out = []
    for mu, excess in variants:
        p, _ = fit(races, scores=scores, lam=lam, mu=mu, excess=excess)
        k = scores[0].index(_free(p))
        ins = np.array([scores[i][k] for i in (1, 2, 3)])
        loo = []
        for j, _r, mask in _folds(races):
            q, _ = fit(races, scores=scores, train=mask, lam=lam, mu=mu, excess=excess)
            kq = scores[0].index(_free(q))
            loo.append([scores[i][kq, j] for i in (1, 2, 3)])
        loo = np.array(loo).T
        ext = [external_race(x, realdata, p, verbose=False) for x in EXTERNAL_RACES]
        ee = [np.nan if e is None else e["err"] for e in ext]
        label = f"{mu:g}" + (" excess" if excess else "")
        print(
            f"{label:>9s} {100 * ins[0].mean():6.2f} {100 * ins[1].mean():5.2f} "
            f"{100 * ins[2].mean():6.2f} {100 * loo[0].mean():7.2f} {100 * loo[1].mean():5.2f} "
            f"{100 * loo[2].mean():6.2f} {100 * ee[0]:5.2f} {100 * ee[1]:5.2f}  {_free_text(p)}"
        )
        utmb = ext[0]["computed"] if ext[0] is not None else []
        print(f"{'':9s} UTMB 2024 barriers [h]: " + " ".join(f"{h:g}" for h in utmb))
        out.append({"mu": mu, "excess": excess, "params": p, "in": ins, "loo": loo, "ext": ee})
    return out


def main(argv=None):
    global PACK_SHARE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realdata", type=Path, default=REALDATA)
    ap.add_argument("--round", type=float, default=15, dest="round_minutes")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--fit", action="store_true", help="print the parameters fitted on all races")
    ap.add_argument("--lam", type=float, default=LAM, help="weight of the cut share in the fit")
    ap.add_argument(
        "--mu", type=float, default=MU, help="weight of the packed-field cut in the fit"
    )
    ap.add_argument(
        "--pack-share",
        type=float,
        default=PACK_SHARE,
        help="share of the slowest finishers in the packed-field cut",
    )
    ap.add_argument(
        "--mu-table",
        action="store_true",
        help="in-sample, leave-one-out and external results per mu (packed-field cut)",
    )
    ap.add_argument(
        "--lam-table", action="store_true", help="in-sample and leave-one-out results per lam"
    )
    ap.add_argument(
        "--leader-weight",
        default=None,
        help="leader weight w in the fits: a number, or 'fit' (WEIGHT_GRID); default the model's",
    )
    ap.add_argument(
        "--leader", action="store_true", help="leader error per checkpoint and margin table"
    )
    ap.add_argument(
        "--external", action="store_true", help="only the external check (races never fitted)"
    )
    ap.add_argument(
        "--by-coordinates",
        action="store_true",
        help="then the in-sample table with the checkpoints by lat/lon through a course file",
    )
    a = ap.parse_args(argv)
    if a.external:
        external_check(a.realdata)
        return 0
    PACK_SHARE = a.pack_share
    if a.leader_weight not in (None, "fit"):
        a.leader_weight = float(a.leader_weight)
    if not (a.realdata / "index.json").is_file():
        print(f"real data not found at {a.realdata}", file=sys.stderr)
        return 1
    rnd = a.round_minutes
    t = time.perf_counter()
    races = [load_race(r, a.realdata) for r in FULL + PARTIAL]
    print(f"loaded {len(races)} races in {time.perf_counter() - t:.1f} s")
    print(f"model: {TRAIL_2024.describe()}  round {rnd:g} min\n")
    print(HDR)
    evs = []
    for r in races:
        ev = _full_eval(r, TRAIL_2024, rnd)
        evs.append(ev)
        print(_row(r["id"] + (" (trunc)" if r["truncated"] else ""), ev))
    print(_mean_row("mean", evs))
    if a.leader:
        _print_leader(races, evs)
    if a.by_coordinates:
        cevs = coordinate_table(races, round_minutes=rnd)
        if a.leader:
            _print_leader(races, cevs)
        print(f"\ntotal {time.perf_counter() - t:.1f} s")
        return 0
    external_check(a.realdata)
    scores = None
    if a.fit or a.lam_table or a.mu_table or not a.no_cv:
        t1 = time.perf_counter()
        scores = grid_scores(races, round_minutes=rnd)
        print(f"\ngrid of {len(scores[0])} parameter sets in {time.perf_counter() - t1:.0f} s")
    if a.fit:
        p, f = fit(races, scores=scores, lam=a.lam, mu=a.mu)
        p = fit_leader(races, p, round_minutes=rnd, weight=a.leader_weight)
        print(
            f"\nfitted on all races (lam {a.lam:g}, mu {a.mu:g}): {p.describe()}  "
            f"(mean loss {100 * f:.2f} %)"
        )
    if a.lam_table:
        print("\nin-sample and leave-one-race-out per lam (err% / cut%, mean over races):")
        print(
            f"{'lam':>5s} {'in err':>7s} {'in cut':>7s} {'loo err':>8s} {'loo cut':>8s}"
            "  in-sample fit"
        )
        for lam in LAMS:
            p, _ = fit(races, scores=scores, lam=lam)
            ins = [evaluate(r, p, round_minutes=rnd) for r in races]
            loo = []
            for j, _r, mask in _folds(races):
                q, _ = fit(races, scores=scores, train=mask, lam=lam)
                k = scores[0].index(_free(q))
                loo.append((scores[1][k, j], scores[2][k, j]))
            loo = np.array(loo)
            print(
                f"{lam:5g} {100 * np.mean([e['err'] for e in ins]):7.2f} "
                f"{100 * np.mean([e['cut'] for e in ins]):7.2f} {100 * loo[:, 0].mean():8.2f} "
                f"{100 * loo[:, 1].mean():8.2f}  {_free_text(p)}"
            )
    if a.mu_table:
        mu_table(races, scores, lam=a.lam, realdata=a.realdata)
    if not a.no_cv:
        print(
            f"\nleave-one-race-out (lam {a.lam:g}, mu {a.mu:g}; up, fatigue, down, leader "
            "refitted without the race):"
        )
        print(HDR + "  fitted")
        cv = []
        for _j, r, mask in _folds(races):
            train = [x for x, k in zip(races, mask, strict=True) if k]
            p, _ = fit(races, scores=scores, train=mask, lam=a.lam, mu=a.mu)
            p = fit_leader(train, p, round_minutes=rnd, weight=a.leader_weight)
            ev = _full_eval(r, p, rnd)
            cv.append(ev)
            extra = (
                f"  {_free_text(p)} "
                f"leader f={p.leader_fraction:g} v={3.6 * p.leader_speed:.1f} "
                f"w={p.leader_weight:g} fat={p.leader_fatigue:g}"
            )
            print(_row(r["id"], ev, extra))
        print(_mean_row("mean", cv))
        if a.leader:
            _print_leader(races, cv)
    print(f"\ntotal {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
