"""Long robustness runs: >= 10,000 fuzz cases and the full 500 MB file.

Usage::

    python benchmarks/bench_fuzz.py [--examples 10000] [--size-mb 500] [--skip-big]

1. Times the hostile files of tests/test_hostile.py (DTDs, deep nesting, 20 MB
   values, tracks shorter than a nanometre) and prints each time against its
   target (the bound the tests asserted before they only guarded hangs) and
   against a valid 40-point GPX read in the same run.
2. Runs tests/test_hostile.py::test_fuzz_only_coursekit_errors with
   ``COURSEKIT_FUZZ_EXAMPLES`` set (random seed, not derandomised) and prints
   the slowest case against SECONDS (target per case, formerly asserted).
3. Writes a ~500 MB GPX in a temporary folder and runs
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

import numpy as np

ROOT_TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(ROOT_TESTS))
from synthetic import write_big_gpx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _best(fn, repeat: int = 3) -> float:
    """Best of ``repeat`` runs of ``fn()`` [s]."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def hostile() -> None:
    """Time the hostile GPX cases against their targets (print only)."""
    import test_hostile as th
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.errors import GPXError
    from coursekit.gpx import read_gpx

    def read(path):
        try:
            read_gpx(path)
        except GPXError:
            pass

    n = 100_000
    big = b"1" * 20_000_000
    docs = {}
    for name, doc in (("billion laughs", th.LAUGHS), ("external entity", th.XXE)):
        decl, rest = doc.split(b"\n", 1)
        docs[f"DTD {name}"] = (doc, 1.0)
        docs[f"DTD {name} after 200 KB"] = (
            decl + b"\n<!--" + b" " * 200_000 + b"-->\n" + rest,
            2.0,
        )
    docs["deep nesting 100,000"] = (b"<gpx>" + b"<a>" * n + b"</a>" * n + b"</gpx>", 5.0)
    nest = b"<extensions>" + b"<a>" * n + b"</a>" * n + b"</extensions>"
    docs["deep nesting in a point"] = (
        b'<gpx><trk><trkseg><trkpt lat="45" lon="6">'
        + nest
        + b"</trkpt>"
        + th.POINTS
        + b"</trkseg></trk></gpx>",
        5.0,
    )
    values = {
        "attribute": b'<trkpt lat="' + big + b'" lon="6"/>',
        "text": b'<trkpt lat="45" lon="6"><ele>' + big + b"</ele></trkpt>",
        "name": b'<trkpt lat="45" lon="6"><name>' + b"x" * len(big) + b"</name></trkpt>",
    }
    for where, pt in values.items():
        body = b"<gpx><trk><trkseg>" + pt + th.POINTS + b"</trkseg></trk></gpx>"
        docs[f"20 MB value ({where})"] = (body, 10.0)
    runner = CliRunner()
    with tempfile.TemporaryDirectory(prefix="coursekit-hostile-") as tmp:
        ref = Path(tmp) / "ref.gpx"
        ref.write_bytes(th.BASE)
        t_ref = _best(lambda: read(ref))
        print(f"hostile GPX (best of 3; reference: read a valid 40-point GPX {t_ref * 1e3:.2f} ms)")
        for label, (data, bound) in docs.items():
            f = Path(tmp) / "h.gpx"
            f.write_bytes(data)
            dt = _best(lambda f=f: read(f))
            print(
                f"  {label:32s} {dt * 1e3:9.1f} ms  target < {bound:g} s ({dt / bound:6.1%} of it)"
                f"  {dt / t_ref:8.1f} x reference"
            )
        for label, pts in (
            ("pole", [(90, 0), (90, 1), (90, 2)]),
            ("last digit", [(45, 6), (45.00000000000001, 6)]),
        ):
            body = "".join(
                f'<trkpt lat="{la}" lon="{lo}"><ele>{10 + i}</ele></trkpt>'
                for i, (la, lo) in enumerate(pts)
            )
            f = Path(tmp) / "tiny.gpx"
            f.write_text(f'<gpx version="1.1"><trk><trkseg>{body}</trkseg></trk></gpx>')
            t_prof = _best(lambda: runner.invoke(cli, ["profile", str(ref), "--format", "json"]))
            dt = _best(lambda f=f: runner.invoke(cli, ["profile", str(f), "--format", "json"]))
            print(
                f"  {'profile, nanometre (' + label + ')':32s} {dt * 1e3:9.1f} ms  target < 5 s "
                f"({dt / 5.0:6.1%} of it)  {dt / t_prof:5.1f} x `profile` of the reference"
            )


def _timings(path: Path, seconds: float, what: str) -> None:
    """Print the slowest runs recorded by the tests (guards.record_time) against ``seconds``."""
    if not path.exists():
        print(f"{what}: no timings recorded")
        return
    t = np.sort(np.loadtxt(path, ndmin=1))
    print(
        f"{what}: {t.size:,} runs, median {np.median(t) * 1e3:.0f} ms, "
        f"p99 {np.quantile(t, 0.99):.2f} s, slowest {t[-1]:.2f} s; target < {seconds:g} s "
        f"({t[-1] / seconds:.0%} of it), {int(np.sum(t >= seconds))} over"
    )


def fuzz(examples: int, seconds: float) -> int:
    timings = Path(tempfile.mkdtemp(prefix="coursekit-fuzz-times-")) / "times.txt"
    env = dict(
        os.environ, COURSEKIT_FUZZ_EXAMPLES=str(examples), COURSEKIT_FUZZ_TIMINGS=str(timings)
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
    print(f"fuzz: {examples:,} cases, exit {r.returncode}, {time.perf_counter() - t:.0f} s")
    _timings(timings, seconds, "fuzz cases")
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
    ap.add_argument("--seconds", type=float, default=5.0, help="target time per case [s]")
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args(argv)
    hostile()
    rc = fuzz(args.examples, args.seconds)
    if not args.skip_big:
        big(args.size_mb)
    return rc


if __name__ == "__main__":
    sys.exit(main())
