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
CoursekitError), each library run and each command within SECONDS. Prints
the number of cases, the wall time and the rate; exit status 1 on any failure
(hypothesis prints the shrunk input).
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=8.0, help="time bound per run [s]")
    args = ap.parse_args()
    env = dict(
        os.environ,
        COURSEKIT_COURSE_FUZZ_EXAMPLES=str(args.examples),
        COURSEKIT_COURSE_FUZZ_SECONDS=str(args.seconds),
    )
    status = 0
    total = 0
    t_all = time.perf_counter()
    for label, share, test in TESTS:
        n = max(int(args.examples * share), 20)
        t = time.perf_counter()
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
        status |= r.returncode
    print(f"total: {total:,} cases passed in {time.perf_counter() - t_all:.0f} s, exit {status}")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
