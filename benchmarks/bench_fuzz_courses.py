"""Long robustness run of course files through the library and every course command.

Usage::

    python benchmarks/bench_fuzz_courses.py [--examples 10000] [--seconds 8]

Runs the fuzz tests of tests/test_commands_hostile.py with
``COURSEKIT_COURSE_FUZZ_EXAMPLES`` set (random seed, not derandomised):

* ``test_fuzz_courses_only_coursekit_errors``: EXAMPLES mutated course files
  (+ GPX) through load_course, course_legs, cutoffs.plan, check_course and
  ``coursekit legs|check|cutoffs|export``;
* places files (``sketch``), split-time CSVs (``backtest``, ``calibrate``) and
  event files (``event``): EXAMPLES / 3 each.

Every case may only end in exit 0 or one ``Error: ...`` line (library:
CoursekitError). Prints the number of cases, the wall time and the rate, and
the slowest library run or command against SECONDS (the target per run the
tests asserted before they only guarded hangs); exit status 1 on any failure
(hypothesis prints the shrunk input). First times the 13 hostile options and
the sketch across the globe of the tests (targets 5 s and 3 s, formerly
asserted) against ``coursekit legs`` of the same course in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    ("courses", 1.0, "test_fuzz_courses_only_coursekit_errors"),
    ("places", 1 / 3, "test_fuzz_places_only_coursekit_errors"),
    ("split times", 1 / 3, "test_fuzz_split_times_only_coursekit_errors"),
    ("events", 1 / 3, "test_fuzz_event_only_coursekit_errors"),
]


def hostile() -> None:
    """Time the hostile options and the globe sketch against their targets (print only)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import tempfile

    import test_commands_hostile as tc
    from click.testing import CliRunner

    from coursekit.cli import cli

    def best(argv, repeat=3):
        out = []
        for _ in range(repeat):
            t = time.perf_counter()
            CliRunner().invoke(cli, argv)
            out.append(time.perf_counter() - t)
        return min(out)

    with tempfile.TemporaryDirectory(prefix="coursekit-hostile-") as tmp:
        sub = {
            "GPX": str(tc.HAUT / "haut-21.gpx"),
            "COURSE": str(tc.HAUT / "haut-21.toml"),
            "PLACES": str(tc.HAUT / "haut-21.places.toml"),
            "EVENT": str(tc.HAUT),
            "OUT": str(Path(tmp) / "out.gpx"),
        }
        t_ref = best(["legs", sub["COURSE"]])
        print(f"hostile options (best of 3; reference: legs haut-21 {t_ref * 1e3:.0f} ms)")
        far = Path(tmp) / "far.toml"
        far.write_text(
            'name = "P"\n[[places]]\nname = "A"\nlat = 45.0\nlon = 6.0\n'
            '[[places]]\nname = "B"\nlat = -45.0\nlon = 6.0\n'
        )
        cases = [(" ".join(a), [sub.get(x, x) for x in a], 5.0) for a in tc.HOSTILE_OPTIONS]
        cases.append(("sketch across the globe", ["sketch", str(far), "-o", sub["OUT"]], 3.0))
        for label, argv, bound in cases:
            dt = best(argv)
            print(
                f"  {label[:60]:60s} {dt * 1e3:7.0f} ms  target < {bound:g} s "
                f"({dt / bound:5.1%} of it)  {dt / t_ref:5.1f} x reference"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=8.0, help="target time per run [s]")
    args = ap.parse_args()
    hostile()
    env = dict(os.environ, COURSEKIT_COURSE_FUZZ_EXAMPLES=str(args.examples))
    import tempfile

    tmp_times = tempfile.mkdtemp(prefix="coursekit-fuzz-times-")
    status = 0
    total = 0
    t_all = time.perf_counter()
    for label, share, test in TESTS:
        n = max(int(args.examples * share), 20)
        t = time.perf_counter()
        env["COURSEKIT_FUZZ_TIMINGS"] = str(Path(tmp_times) / f"{test}.txt")
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:hypothesispytest",  # its failure report imports libcst (DeprecationWarning)
                "-W",
                "ignore::DeprecationWarning",
                f"tests/test_commands_hostile.py::{test}",
            ],
            cwd=ROOT,
            env=env,
        )
        dt = time.perf_counter() - t
        if r.returncode == 0:
            total += n
            print(f"{label}: {n:,} cases passed, {dt:.0f} s ({n / dt:.1f} cases/s)", flush=True)
        else:
            print(f"{label}: FAILED (exit {r.returncode}), {dt:.0f} s; input above", flush=True)
        times = Path(env["COURSEKIT_FUZZ_TIMINGS"])
        if times.exists():
            ts = sorted(float(x) for x in times.read_text().split())
            times.unlink()
            print(
                f"  {len(ts):,} runs timed, slowest {ts[-1]:.2f} s; target < {args.seconds:g} s "
                f"({ts[-1] / args.seconds:.0%} of it), {sum(x >= args.seconds for x in ts)} over"
            )
        status |= r.returncode
    print(f"total: {total:,} cases passed in {time.perf_counter() - t_all:.0f} s, exit {status}")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
