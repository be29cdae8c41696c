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
- ``lead%``: mean over the checkpoints (finish included) of the error of the
  leader ETA against the first runner's actual passage there, in % of that
  first passage's elapsed time (``leadL%``: the same in % of the limit).

Then the same with leave-one-race-out cross-validation: the two free
parameters (fatigue, downhill cost) are refitted on the other races by a grid
search (barriers rounded as printed; GRR and TDB share half a course and are
left out together) and the held-out race is predicted; the leader's fatigue is
refitted too, on the first passages. The finish is excluded from every
barrier mean (equal by construction).

The grid point minimises ``err + lam * cut`` (mean over the training races):
``lam`` weighs a finisher cut against barrier error. ``--lam-table`` prints
in-sample and leave-one-out results for several ``lam`` (the choice of the
default, ``LAM``, is a product decision recorded in docs/calibration.md).

Templiers races publish no finish limit: they are evaluated on the course
truncated at the last published barrier, whose time becomes the limit.

Usage::

    python benchmarks/bench_barriers.py [--realdata PATH] [--round MIN] [--no-cv] [--fit]
        [--lam L] [--lam-table]

After the in-sample table, an external check that no fit has seen: UTMB 2024's
published barriers (``benchmarks/data/utmb_2024_barriers.csv``, facts with their
source) against ``coursekit cutoffs`` on the UTMB GPX of ../shared/realdata.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from coursekit.cutoffs import course_effort, course_grid, solve
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
    pub = race["published"]
    m = np.isfinite(pub)
    m[0] = m[-1] = False
    err = np.abs(sol.cutoff[m] - pub[m]) / race["limit"]
    bt = run_backtest(race["elapsed"], race["finisher"], sol.cutoff)
    btp = run_backtest(race["elapsed"], race["finisher"], pub)
    first = race["first"]
    ok = np.isfinite(first) & (first > 0)
    ok[0] = False
    dl = np.abs(sol.first_arrival[ok] - first[ok])
    opens = sol.opens if sol.opens is not None else sol.first_arrival
    return {
        "err": float(err.mean()) if err.size else np.nan,
        "n": int(m.sum()),
        "cut": bt.finishers_cut / max(bt.finishers, 1),
        "pubcut": btp.finishers_cut / max(btp.finishers, 1),
        "lead": float(np.mean(dl / first[ok])) if dl.size else np.nan,
        "leadL": float(np.mean(dl / race["limit"])) if dl.size else np.nan,
        "lead_finish": float(sol.first_arrival[-1] / first[-1] - 1) if ok[-1] else np.nan,
        # signed leader error per checkpoint (finish included) in fraction of the first passage
        "lead_cp": (sol.first_arrival - first) / np.where(ok, first, np.nan),
        # share of checkpoints where the leader ETA / the station opening is later than the
        # first runner's actual passage (the dangerous direction: the station not yet open)
        "late": float(np.mean(sol.first_arrival[ok] > first[ok])) if dl.size else np.nan,
        "olate": float(np.mean(opens[ok] > first[ok])) if dl.size else np.nan,
        "sol": sol,
    }


FREE = ("fatigue", "down")
# grid of the free parameters: the metric (barriers rounded up to the clock) is a step
# function of them, so a grid search replaces Nelder-Mead (which stalled on the steps)
GRID = {
    "fatigue": np.round(np.arange(0.0, 0.301, 0.02), 3),
    "down": np.arange(0.0, 8.01, 0.5),
}
LEADER_GRID = np.round(np.arange(0.0, 0.201, 0.025), 3)
WEIGHT_GRID = np.round(np.arange(0.0, 1.001, 0.1), 2)
LAM = 2.0
"""Weight of the finishers cut against the barrier error in the fit (product decision:
docs/calibration.md; the smallest tabulated weight whose leave-one-out cut share is
under the issue's 0.5 %)."""
LAMS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)


def grid_scores(races: list[dict], base=TRAIL_2024, *, round_minutes=15) -> tuple:
    """Error and finishers cut of every race at every grid point (arrays ``[point, race]``)."""
    points = [(f, d) for f in GRID["fatigue"] for d in GRID["down"]]
    err = np.empty((len(points), len(races)))
    cut = np.empty_like(err)
    for i, (f, d) in enumerate(points):
        p = base.with_(fatigue=float(f), down=float(d))
        for j, r in enumerate(races):
            ev = evaluate(r, p, round_minutes=round_minutes)
            err[i, j], cut[i, j] = ev["err"], ev["cut"]
    return points, err, cut


def fit(
    races: list[dict],
    base=TRAIL_2024,
    *,
    round_minutes=15,
    scores=None,
    train=None,
    lam: float = LAM,
) -> tuple:
    """Fit the free parameters: grid point with the least mean of ``err + lam * cut``.

    ``err`` is a race's mean absolute barrier error and ``cut`` its share of finishers
    cut (both fractions). ``scores`` from :func:`grid_scores` on ``races``; ``train`` a
    boolean mask of the races to fit on (default all). Ties go to the first grid point.
    """
    points, err, cut = (
        scores if scores is not None else grid_scores(races, base, round_minutes=round_minutes)
    )
    train = np.ones(err.shape[1], bool) if train is None else np.asarray(train, bool)
    loss = (err[:, train] + lam * cut[:, train]).mean(axis=1)
    i = int(np.argmin(loss))
    f, d = points[i]
    return base.with_(fatigue=float(f), down=float(d)), float(loss[i])


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
        f"{100 * ev['lead']:6.1f} {100 * ev['leadL']:6.2f} {100 * ev['lead_finish']:+7.1f} "
        f"{100 * ev['late']:5.0f} {100 * ev['olate']:5.0f}" + extra
    )


HDR = (
    f"{'race':32s} {'n':>3s} {'err%':>6s} {'base%':>6s} {'cut%':>6s} {'bcut%':>6s} "
    f"{'pubcut%':>7s} {'lead%':>6s} {'leadL%':>6s} {'leadfin':>7s} {'late%':>5s} {'olate%':>5s}"
)


def _mean_row(label, evs):
    keys = ("err", "base", "cut", "bcut", "pubcut", "lead", "leadL", "late", "olate")
    m = {k: float(np.nanmean([e[k] for e in evs])) for k in keys}
    fin = float(np.nanmean([abs(e["lead_finish"]) for e in evs]))
    return (
        f"{label:32s} {'':3s} {100 * m['err']:6.2f} {100 * m['base']:6.2f} "
        f"{100 * m['cut']:6.2f} {100 * m['bcut']:6.2f} {100 * m['pubcut']:7.2f} "
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


EXTERNAL = ROOT / "benchmarks" / "data" / "utmb_2024_barriers.csv"
UTMB_GPX = "utmb_2023_tracedetrail_noisy.gpx"
UTMB_WINNER_S = 19 * 3600 + 54 * 60 + 23


def external_check(realdata: Path = REALDATA) -> dict | None:
    """UTMB 2024's published barriers against ``coursekit cutoffs``: a race no fit has seen.

    The course file is what a user writes: the UTMB GPX of ../shared/realdata
    (2023 Trace de Trail export, noisy altitude), start Fri 18:00, limit 46 h 30,
    the timing points by km (the published km scaled to the track's slope
    length), no cutoffs. Barriers come from the default model through
    :func:`coursekit.cutoffs.plan`, exactly as the command prints them. Published
    barriers and km: ``benchmarks/data/utmb_2024_barriers.csv`` (facts, with
    their source). Prints the error per barrier and its mean in % of the limit,
    the km-effort baseline, and the leader's finish against the winner's time.
    """
    import tempfile

    from coursekit.checkpoints import along_course_distance
    from coursekit.course import load_course
    from coursekit.cutoffs import plan

    gpx = realdata / UTMB_GPX
    if not gpx.is_file():
        print(f"\nexternal check skipped: {gpx} not found")
        return None
    rows = list(csv.DictReader(line for line in EXTERNAL.open(encoding="utf-8") if line[0] != "#"))
    start = dt.datetime.fromisoformat("2024-08-30T18:00:00+02:00")
    limit = 46.5 * 3600
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "utmb.toml"
        head = (
            f'name = "UTMB 2024"\ngpx = "{gpx}"\nstart = {start.isoformat()}\nlimit = "46h30min"\n'
        )
        path.write_text(head)
        total = float(along_course_distance(load_course(path).profile)[-1]) / 1000
        scale = total / float(rows[-1]["km"])
        cps = "".join(
            f'\n[[checkpoints]]\nname = "{r["name"]}"\nkm = {float(r["km"]) * scale:.3f}\n'
            for r in rows[1:-1]
        )
        path.write_text(head + cps)
        pl = plan(load_course(path))
    kme = np.cumsum(pl.legs.leg_km_effort)
    err, base = [], []
    print("\nexternal check, never fitted: UTMB 2024 published barriers (benchmarks/data)")
    print(f"{'checkpoint':22s} {'published':>9s} {'computed':>9s} {'err%':>6s} {'base%':>6s}")
    for j, r in enumerate(rows[:-1]):
        if not r["cutoff"]:
            continue
        pub = (dt.datetime.fromisoformat(r["cutoff"]) - start).total_seconds()
        e = (pl.cutoff_elapsed[j] - pub) / limit
        b = (limit * kme[j] / kme[-1] - pub) / limit
        err.append(e)
        base.append(b)
        print(
            f"{r['name'][:22]:22s} {pub / 3600:8.2f}h {pl.cutoff_elapsed[j] / 3600:8.2f}h "
            f"{100 * e:+6.2f} {100 * b:+6.2f}"
        )
    lead = float(pl.first_arrival_elapsed[-1])
    out = {
        "err": float(np.mean(np.abs(err))),
        "base": float(np.mean(np.abs(base))),
        "lead_finish": lead / UTMB_WINNER_S - 1,
    }
    print(
        f"mean |error| {100 * out['err']:.2f} % of the limit over {len(err)} barriers "
        f"(km-effort baseline {100 * out['base']:.2f} %); leader finish {lead / 3600:.2f} h "
        f"against the winner's {UTMB_WINNER_S / 3600:.2f} h ({100 * out['lead_finish']:+.1f} %)"
    )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realdata", type=Path, default=REALDATA)
    ap.add_argument("--round", type=float, default=15, dest="round_minutes")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--fit", action="store_true", help="print the parameters fitted on all races")
    ap.add_argument("--lam", type=float, default=LAM, help="weight of the cut share in the fit")
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
    a = ap.parse_args(argv)
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
    external_check(a.realdata)
    scores = None
    if a.fit or a.lam_table or not a.no_cv:
        t1 = time.perf_counter()
        scores = grid_scores(races, round_minutes=rnd)
        print(f"\ngrid of {len(scores[0])} parameter sets in {time.perf_counter() - t1:.0f} s")
    if a.fit:
        p, f = fit(races, scores=scores, lam=a.lam)
        p = fit_leader(races, p, round_minutes=rnd, weight=a.leader_weight)
        print(f"\nfitted on all races (lam {a.lam:g}): {p.describe()}  (mean loss {100 * f:.2f} %)")
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
                loo.append(
                    (
                        scores[1][scores[0].index((q.fatigue, q.down)), j],
                        scores[2][scores[0].index((q.fatigue, q.down)), j],
                    )
                )
            loo = np.array(loo)
            print(
                f"{lam:5g} {100 * np.mean([e['err'] for e in ins]):7.2f} "
                f"{100 * np.mean([e['cut'] for e in ins]):7.2f} {100 * loo[:, 0].mean():8.2f} "
                f"{100 * loo[:, 1].mean():8.2f}  fatigue={p.fatigue:g} down={p.down:g}"
            )
    if not a.no_cv:
        print(
            f"\nleave-one-race-out (lam {a.lam:g}; fatigue, down, leader refitted "
            "without the race):"
        )
        print(HDR + "  fitted")
        cv = []
        for _j, r, mask in _folds(races):
            train = [x for x, k in zip(races, mask, strict=True) if k]
            p, _ = fit(races, scores=scores, train=mask, lam=a.lam)
            p = fit_leader(train, p, round_minutes=rnd, weight=a.leader_weight)
            ev = _full_eval(r, p, rnd)
            cv.append(ev)
            extra = (
                f"  fatigue={p.fatigue:g} down={p.down:g} "
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
