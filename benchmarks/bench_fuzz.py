"""Long robustness runs: >= 10,000 fuzz cases and the full 500 MB file.

Usage::

    python benchmarks/bench_fuzz.py [--examples 10000] [--size-mb 500] [--skip-big]

1. Runs tests/test_hostile.py::test_fuzz_only_coursekit_errors with
   ``COURSEKIT_FUZZ_EXAMPLES`` set (random seed, not derandomised).
2. Writes a ~500 MB GPX in a temporary folder and runs
   ``coursekit profile FILE --format json`` in a child process, printing wall
   time and peak RSS (bounded memory: the file is streamed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT_TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(ROOT_TESTS))
from synthetic import write_big_gpx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def fuzz(examples: int, seconds: float) -> int:
    env = dict(
        os.environ, COURSEKIT_FUZZ_EXAMPLES=str(examples), COURSEKIT_FUZZ_SECONDS=str(seconds)
    )
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
            "tests/test_hostile.py::test_fuzz_only_coursekit_errors",
        ],
        cwd=ROOT,
        env=env,
    )
    print(
        f"fuzz: {examples:,} cases (time bound {seconds:g} s each), "
        f"exit {r.returncode}, {time.perf_counter() - t:.0f} s"
    )
    return r.returncode


def big(size_mb: int) -> None:
    with tempfile.TemporaryDirectory(prefix="coursekit-fuzz-") as tmp:
        f = Path(tmp) / "big.gpx"
        write_big_gpx(f, size_mb * 1_000_000)
        code = (
            "import resource, subprocess, sys, time, json\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "dt = time.perf_counter() - t\n"
            "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps([p.returncode, dt, rss, p.stderr[-300:]]))\n"
        )
        cmd = [
            sys.executable,
            "-c",
            "from coursekit.cli import main; main()",
            "profile",
            str(f),
            "--format",
            "json",
        ]
        rc, dt, rss, err = json.loads(
            subprocess.run(
                [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
            ).stdout
        )
        print(
            f"big file: {f.stat().st_size / 1e6:.0f} MB, exit {rc}, {dt:.1f} s, "
            f"peak RSS {rss:.0f} MB {err.strip()}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=5.0, help="time bound per case [s]")
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args(argv)
    rc = fuzz(args.examples, args.seconds)
    if not args.skip_big:
        big(args.size_mb)
    return rc


if __name__ == "__main__":
    sys.exit(main())
