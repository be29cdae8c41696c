"""Blind acceptance set: `coursekit profile` on a third, independent synthetic family.

The tracks come from ``benchmarks/blind_tracks.py``, written in the tenth sprint by
an outside-style tester who never read tests/synthetic.py or bench_accuracy.py
(design in its docstring): per base seed, 15 files of each kind (a) route-planner
tracks, (b) 1 Hz barometric recordings, (c) 1 Hz GPS-altitude recordings, and 5
clean planner tracks, with the truth computed from the noise-free 1 m path. The
files are generated in a temporary folder (never in the repository) and measured
in-process by the command users run, ``coursekit profile FILES... --format json``.

Prints per kind, against issue 2's targets:

- automatic gain and loss within ±3 % of the truth: count, mean and worst signed
  error; for planner tracks also the gain against ``gain_reachable`` (the
  noise-free DEM-smoothed altitude at the file's own vertices, what a perfect
  denoiser could see);
- distance: recordings against the true path (target ±1 %), with the raw noisy
  length's inflation for comparison; planner and clean tracks against the sum of
  their own segments (target ≤ 0.01 % change);
- the three worst files (largest gain or loss error) with their ``gain_method``.

Run: ``python benchmarks/bench_blind.py [--base-seed 1000] [--n 15] [--nclean 5]``
(``--per-file`` prints every file, ``--keep DIR`` writes the files to DIR instead
of a temporary folder). The tenth sprint's figures are in docs/gain.md ("Blind
acceptance set"); one set takes about 6 s (3 s to generate, 2 s to measure).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

LABELS = {
    "a": "route planner",
    "b": "1 Hz, barometric altitude",
    "c": "1 Hz, GPS altitude",
    "clean": "route planner, noise-free altitude",
}


def run_profile(files: list[Path], out: Path) -> list[dict]:
    """``coursekit profile FILES... --format json -o OUT``, in-process, as users run it."""
    from coursekit.cli import main

    argv = sys.argv
    sys.argv = ["coursekit", "profile", *map(str, files), "--format", "json", "-o", str(out)]
    try:
        main()
    except SystemExit as e:  # click's standalone mode exits, 0 on success
        if e.code:
            raise
    finally:
        sys.argv = argv
    return json.loads(out.read_text())


def _pct(x, ref):
    return 100 * (x / ref - 1)


def _worst(e):
    return e[np.argmax(np.abs(e))]


def _line(name, e, tol):
    return (
        f"{name} within {tol:g} %: {np.sum(np.abs(e) <= tol)}/{len(e)},"
        f" mean {np.mean(e):+.2f} %, worst {_worst(e):+.2f} %"
    )


def report(truth: dict, results: list[dict], per_file: bool) -> None:
    res = {Path(r["file"]).name: r for r in results}
    recordings = []
    for kind, label in LABELS.items():
        rows = []
        for fn, t in truth.items():
            if t["kind"] != kind:
                continue
            r = res[fn]
            row = dict(
                fn=fn,
                t=t,
                r=r,
                eg=_pct(r["gain_m"], t["true_gain"]),
                el=_pct(r["loss_m"], t["true_loss"]),
                ed=_pct(r["distance_m"], t["true_dist"]),
            )
            if "raw_len" in t:
                row["raw"] = _pct(t["raw_len"], t["true_dist"])
            if "seg_sum_m" in t:
                row["eseg"] = _pct(r["distance_m"], t["seg_sum_m"])
                row["egr"] = _pct(r["gain_m"], t["gain_reachable"])
            rows.append(row)
        if not rows:
            continue
        print(f"\nkind {kind} ({label}), {len(rows)} files")
        if per_file:
            for x in rows:
                t = x["t"]
                extra = (
                    f"dist {x['ed']:+6.2f} % (raw {x['raw']:+6.2f} %) stops {t['stops']}"
                    if "raw" in x
                    else f"dist vs segments {x['eseg']:+.4f} %, gain vs reachable"
                    f" {x['egr']:+5.2f} %, sigma_dem {t['sigma_dem']}, spacing {t['spacing']}"
                )
                print(
                    f"  {x['fn']:12s} {t['site']:9s} gain {t['true_gain']:6.0f}"
                    f" {x['eg']:+6.2f} %  loss {t['true_loss']:6.0f} {x['el']:+6.2f} %  {extra}"
                )
        eg = np.array([x["eg"] for x in rows])
        el = np.array([x["el"] for x in rows])
        print("  " + _line("gain", eg, 3))
        print("  " + _line("loss", el, 3))
        if "raw" in rows[0]:
            recordings += rows
            ed = np.array([x["ed"] for x in rows])
            raw = np.array([x["raw"] for x in rows])
            print(
                "  " + _line("distance vs true path", ed, 1) + f"; raw noisy length"
                f" {np.mean(raw):+.2f} % ({np.min(raw):+.1f} to {np.max(raw):+.1f} %)"
            )
        else:
            es = np.array([x["eseg"] for x in rows])
            egr = np.array([x["egr"] for x in rows])
            print(
                f"  distance vs segment sum: max |change| {np.max(np.abs(es)):.5f} %"
                f" (target 0.01 %); gain vs reachable: mean {np.mean(egr):+.2f} %,"
                f" worst {_worst(egr):+.2f} %"
            )
        print("  worst files:")
        for x in sorted(rows, key=lambda x: -max(abs(x["eg"]), abs(x["el"])))[:3]:
            print(
                f"    {x['fn']:12s} gain {x['eg']:+6.2f} %  loss {x['el']:+6.2f} %"
                f"  {x['r']['gain_method']}"
            )
    if recordings:
        ed = np.array([x["ed"] for x in recordings])
        stops = np.array([bool(x["t"]["stops"]) for x in recordings])
        print(
            f"\ndistance, all {len(ed)} recordings: {_line('', ed, 1).strip()};"
            f" with stops {np.sum(np.abs(ed[stops]) <= 1)}/{stops.sum()},"
            f" without {np.sum(np.abs(ed[~stops]) <= 1)}/{(~stops).sum()}"
        )


def main():
    import blind_tracks

    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--base-seed", type=int, default=1000)
    ap.add_argument("--n", type=int, default=15, help="files per kind a, b, c")
    ap.add_argument("--nclean", type=int, default=5, help="clean planner files")
    ap.add_argument("--per-file", action="store_true", help="print every file")
    ap.add_argument("--keep", type=Path, default=None, metavar="DIR", help="write files here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="coursekit-blind-") as tmp:
        folder = args.keep or Path(tmp)
        t0 = time.perf_counter()
        truth = blind_tracks.write_set(folder, args.base_seed, args.n, args.nclean)
        t1 = time.perf_counter()
        files = [folder / fn for fn in truth]
        results = run_profile(files, Path(tmp) / "profile.json")
        t2 = time.perf_counter()
    print(
        f"blind set, base seed {args.base_seed}: {args.n} files per kind, {args.nclean} clean"
        f" (generated in {t1 - t0:.0f} s, `coursekit profile` {t2 - t1:.0f} s)"
    )
    report(truth, results, args.per_file)


if __name__ == "__main__":
    main()
