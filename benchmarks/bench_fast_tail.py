"""The simulated field's fast tail against the real one, in-sample (thirty-third sprint).

For each race-edition of ../shared/realdata with split times: the field fitted on its own
split times (``coursekit event RACE.toml --simulate N --times RACE_times.csv``, the course
file of ``bench_simulation.course_file``), as many runners as it had starters, and the
finish-time quantiles 0.1 %, 1 %, 5 %, 50 % of the finishers, real against simulated, with
and without the floor on the time multiplier (``FieldParams.fastest``: the winner's finish
over the median runner's). The quantiles the validation scores (10/50/90 %) are barely
touched by the floor; what it changes is the first arrivals a station's opening and its
first hours of occupancy depend on.

Usage::

    python benchmarks/bench_fast_tail.py [--repetitions 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_simulation as B  # noqa: E402
import numpy as np  # noqa: E402

from coursekit.event import load_event_plan, simulate_race  # noqa: E402

QUANTILES = (0.001, 0.01, 0.05, 0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repetitions", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not (B.REALDATA / "index.json").exists():
        sys.exit(f"real data not available ({B.REALDATA}): nothing to measure")
    index = json.loads((B.REALDATA / "index.json").read_text())
    print("finish time [h] at the quantiles of the finishers: real / simulated without the floor")
    print("/ with it (error of the simulated 0.1 % quantile in % of the real one)")
    print(f"{'race':26s} {'fastest':>7s} " + "  ".join(f"{f'q {q:g}':>20s}" for q in QUANTILES))
    err = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for e in index["editions"]:
            rid = e["id"]
            if "times" not in e.get("files", {}):
                continue
            tr = B.load_race(rid, index)
            limit = float(tr["cut"][-1]) if tr["limit"] is not None else None
            if limit is None:
                limit = B.slowest_finisher_limit(tr)
            path = B.course_file(tr, rid, index, Path(tmp), limit)
            race = load_event_plan(path, history={"": B.REALDATA / e["files"]["times"]}).races[0]
            n = int(np.isfinite(tr["elapsed"][:, 1:]).any(axis=1).sum())
            fin = tr["elapsed"][tr["status"] == "FINISHER", -1]
            real = np.quantile(fin[np.isfinite(fin)], QUANTILES) / 3600
            sims = {}
            for floor in (False, True):
                params = race.field if floor else dataclasses.replace(race.field, fastest=0.0)
                sim = simulate_race(
                    race,
                    params=params,
                    n_runners=n,
                    repetitions=a.repetitions,
                    seed=a.seed,
                    quantiles=QUANTILES,
                )
                sims[floor] = sim.arrival_quantiles[:, -1] / 3600
                err[floor].append(sims[floor][0] / real[0] - 1)
            cells = "  ".join(
                f"{r:5.2f}/{x:5.2f}/{y:5.2f}" + (" " * 3)
                for r, x, y in zip(real, sims[False], sims[True], strict=True)
            )
            print(
                f"{rid:26s} {race.field.fastest:7.3f} {cells}"
                f"({100 * err[False][-1]:+.0f} / {100 * err[True][-1]:+.0f} %)"
            )
    for floor in (False, True):
        e = 100 * np.asarray(err[floor])
        print(
            f"0.1 % quantile {'with' if floor else 'without'} the floor: mean error "
            f"{e.mean():+.1f} %, worst {e.min():+.1f} %, within 10 % on "
            f"{int(np.sum(np.abs(e) <= 10))}/{len(e)}"
        )


if __name__ == "__main__":
    main()
