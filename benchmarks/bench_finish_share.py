"""Finish share against the course's size on real races (../shared/realdata).

Run: ``python benchmarks/bench_finish_share.py``

For every race-edition with split times: starters (runners with at least one passage),
finishers (status ``FINISHER``), their ratio, and the course's km-effort (the GPX's
distance and D+ as ``coursekit profile`` measures them). Then the rule behind
:func:`coursekit.field.finish_share_by_effort`: the hazard per km-effort ``h`` of
``f = exp(-h K)``, least squares of ``ln f`` on ``K`` through the origin, and how well it
predicts a race-edition it was not fitted on (leave one out), against the former
constant 0.78 and the median of the others. External check (never fitted): the
completion rates of UTMB, Western States and Leadville 2013 (Hoffman et al. 2014, BJSM
48(7) 618: 68, 72 and 52 % of the entrants), with their published distance and climb.
Real data are read from ../shared/realdata (never copied into the repo).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from coursekit.field import FINISH_SHARE_HAZARD, finish_share_by_effort
from coursekit.gpx import read_gpx
from coursekit.history import FINISHER, read_times
from coursekit.profile import km_effort, make_profile

ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))

EXTERNAL = (
    ("UTMB 2013", 168 + 9600 / 100, 0.68),
    ("Western States 2013", 161 + 5500 / 100, 0.72),
    ("Leadville 2013", 161 + 4800 / 100, 0.52),
)
"""(race, km-effort, finishers / entrants) from Hoffman et al. 2014 (entrants, not starters:
a lower bound of the finish share)."""


def finish_shares(realdata: Path = REALDATA) -> list[tuple[str, float, int, int]]:
    """``(id, km_effort, starters, finishers)`` of every race-edition with split times."""
    index = json.loads((realdata / "index.json").read_text(encoding="utf-8"))
    out = []
    for e in index["editions"]:
        if "times" not in e.get("files", {}):
            continue
        st = read_times(realdata / e["files"]["times"])
        started = np.isfinite(st.time).any(axis=1)
        fin = started & (np.asarray(st.status) == FINISHER)
        prof = make_profile(read_gpx(realdata / e["files"]["gpx"]))
        kme = km_effort(prof.total_distance, prof.total_gain)
        out.append((e["id"], float(kme), int(started.sum()), int(fin.sum())))
    return out


def hazard(k: np.ndarray, f: np.ndarray) -> float:
    """Least-squares ``h`` of ``ln f = -h K`` [1/km-effort]."""
    return float(-np.sum(k * np.log(f)) / np.sum(k * k))


def main() -> None:
    if not REALDATA.is_dir():
        print(f"real data not found at {REALDATA}: skipped")
        return
    rows = finish_shares()
    k = np.array([r[1] for r in rows])
    f = np.array([r[3] / r[2] for r in rows])
    h = hazard(k, f)
    print(f"{'race-edition':26s} {'km-effort':>9s} {'starters':>8s} {'finish':>7s} {'rule':>6s}")
    for (rid, kme, n, _), share in zip(rows, f, strict=True):
        print(f"{rid:26s} {kme:9.1f} {n:8d} {share:7.3f} {finish_share_by_effort(kme):6.3f}")
    print(f"hazard fitted {h:.5f} per km-effort (FINISH_SHARE_HAZARD {FINISH_SHARE_HAZARD})")
    errs = {"rule": [], "constant 0.78": [], "median of the others": []}
    for i in range(len(rows)):
        m = np.arange(len(rows)) != i
        errs["rule"].append(finish_share_by_effort(k[i], hazard=hazard(k[m], f[m])) - f[i])
        errs["constant 0.78"].append(0.78 - f[i])
        errs["median of the others"].append(float(np.median(f[m])) - f[i])
    print("leave one out, error of the predicted finish share:")
    for name, e in errs.items():
        e = np.asarray(e)
        print(
            f"   {name:22s} mean abs {np.mean(np.abs(e)):.3f}, rms {np.sqrt(np.mean(e**2)):.3f}, "
            f"bias {np.mean(e):+.3f}"
        )
    print("external (never fitted; entrants, not starters):")
    for name, kme, share in EXTERNAL:
        print(
            f"   {name:22s} {kme:5.0f} km-effort: {share:.2f}, "
            f"rule {finish_share_by_effort(kme):.2f}"
        )


if __name__ == "__main__":
    main()
