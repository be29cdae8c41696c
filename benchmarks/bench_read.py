"""Speed and memory of the GPX reading layer against gpxpy, measured in the same run.

Generates (in a temporary folder, never in the repository) a 1 Hz watch
recording with timestamps, elevation and Garmin TrackPointExtension data, and the
same recording written one line per point without extensions, then measures:

a. in-process: ``read_gpx`` + ``make_profile`` against ``gpxpy.parse`` +
   ``length_2d()`` + ``get_uphill_downhill()``;
b. whole processes: ``coursekit profile FILE --format json`` against
   ``python -c "import gpxpy; ..."`` doing the same gpxpy calls (what a user
   waits for, imports included);
c. peak memory (``ru_maxrss`` of a child process) of ``coursekit profile`` on a
   1,000,000-point file (goal <= 500 MB). ``ru_maxrss`` of children is the
   largest process, not a sum: the XML check that ``coursekit profile`` forks
   (``coursekit.gpxcheck``, started before numpy is imported) holds one
   0.25-1 MB piece (2 MB above its start on 1M points) on top of the ~25 MB
   interpreter it shares with its parent, so add ~30 MB for the two together.

On a machine where other jobs keep the cores busy, the forked check cannot run
in parallel and both ratios drop (measured 9.0x and 9.4x with two other
single-core jobs running); run it on a quiet machine.

Usage::

    python benchmarks/bench_read.py [--points 100000] [--big-points 1000000] [--repeat 3]
        [--style garmin|plain|both]

Prints the ratios for each style of file (a watch export with extensions, and a plain
one-line-per-point file); the target is >= 10x on both (a) and (b). gpxpy is faster on
the plain file, and so is ``read_gpx``: the in-process ratio (a) is higher on it (measured
21.6x against 16.7x), the whole-process ratio (b), where coursekit's fixed costs
(interpreter, numpy) stay, is lower (10.7x against 11.7x). Both styles write points in the
usual form (lat then lon, double quotes, <ele> then <time>). (c) always reads a file of
the Garmin style, whatever ``--style``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="Garmin Connect" version="1.1"
  xmlns="http://www.topografix.com/GPX/1/1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
  xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/11.xsd">
  <metadata><time>2024-06-01T04:00:00.000Z</time></metadata>
  <trk>
    <name>Bench recording</name>
    <type>trail_running</type>
    <trkseg>
"""
TAIL = """    </trkseg>
  </trk>
</gpx>
"""
PT = (
    '      <trkpt lat="{lat:.7f}" lon="{lon:.7f}">\n'
    "        <ele>{ele:.1f}</ele>\n"
    "        <time>{t}</time>\n"
    "        <extensions>\n"
    "          <gpxtpx:TrackPointExtension>\n"
    "            <gpxtpx:hr>{hr}</gpxtpx:hr>\n"
    "            <gpxtpx:cad>{cad}</gpxtpx:cad>\n"
    "          </gpxtpx:TrackPointExtension>\n"
    "        </extensions>\n"
    "      </trkpt>\n"
)
STYLES = ("garmin", "plain")
PLAIN_PT = '<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele><time>{t}</time></trkpt>\n'
"""A point as the plainest exporters write it: one line, no extensions. Fewer elements
make gpxpy faster (about 3.4 s instead of 4.4 s per 100k points here) while the
fixed costs of a ``coursekit`` process (interpreter, numpy) stay: the harder ratio for
whole processes (b); in-process (a) the ratio is higher (read_gpx gains more)."""


def make_recording(path: Path, n: int, style: str = "garmin") -> Path:
    """Write an ``n``-point 1 Hz recording (about 3 m/s on rolling terrain).

    ``style`` "garmin": indented, heart rate and cadence extensions (a watch
    export); "plain": one line per point with elevation and time only."""
    import numpy as np

    rng = np.random.default_rng(1)
    s = np.arange(n) * 3.0  # m along a wandering line
    heading = np.cumsum(rng.normal(0, 0.02, n))
    x = np.cumsum(3.0 * np.cos(heading))
    y = np.cumsum(3.0 * np.sin(heading))
    lat = 45.9 + y / 111_132.0
    lon = 6.87 + x / (111_320.0 * math.cos(math.radians(45.9)))
    ele = 1000 + 400 * np.sin(s / 4000) + 10 * np.sin(s / 300) + rng.normal(0, 1.5, n)
    t0 = np.datetime64("2024-06-01T04:00:00", "s")
    stamps = np.datetime_as_string(t0 + np.arange(n).astype("timedelta64[s]")) + "Z"
    hr = rng.integers(100, 170, n)
    cad = rng.integers(70, 95, n)
    pt = PT if style == "garmin" else PLAIN_PT
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEAD)
        chunk = []
        for i in range(n):
            chunk.append(
                pt.format(lat=lat[i], lon=lon[i], ele=ele[i], t=stamps[i], hr=hr[i], cad=cad[i])
            )
            if len(chunk) == 10_000:
                fh.write("".join(chunk))
                chunk = []
        fh.write("".join(chunk))
        fh.write(TAIL)
    return path


def best_of(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


GPXPY_SCRIPT = (
    "import sys, json, gpxpy\n"
    "with open(sys.argv[1], encoding='utf-8') as f:\n"
    "    g = gpxpy.parse(f)\n"
    "ud = g.get_uphill_downhill()\n"
    "print(json.dumps({'distance_m': g.length_2d(), 'gain_m': ud.uphill, 'loss_m': ud.downhill}))\n"
)


def child(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS [MB], stdout)."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "if p.returncode: sys.exit(p.stderr)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([dt, rss, p.stdout]))\n"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
    )
    dt, rss, stdout = json.loads(out.stdout)
    return dt, rss, stdout


def coursekit_cmd(path: Path) -> list[str]:
    """The installed console script (what a user runs)."""
    exe = Path(sys.executable).with_name("coursekit")
    exe = str(exe) if exe.exists() else shutil.which("coursekit")
    return [exe, "profile", str(path), "--format", "json"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--big-points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--style", choices=(*STYLES, "both"), default="both", help="how the file is written"
    )
    args = ap.parse_args(argv)

    import gpxpy

    from coursekit.gpx import read_gpx
    from coursekit.profile import course_stats, make_profile

    with tempfile.TemporaryDirectory(prefix="coursekit-bench-") as tmp:
        tmp = Path(tmp)
        for style in STYLES if args.style == "both" else (args.style,):
            f = make_recording(tmp / f"recording-{style}.gpx", args.points, style)
            size = f.stat().st_size / 1e6
            what = "Garmin extensions, indented" if style == "garmin" else "one line per point"
            print(f"file: {args.points:,} points, {size:.1f} MB (1 Hz, time, ele, {what})")

            def ours(f=f):
                prof = make_profile(read_gpx(f))
                course_stats(prof)
                return prof

            def theirs(f=f):
                with open(f, encoding="utf-8") as fh:
                    g = gpxpy.parse(fh)
                g.length_2d()
                g.get_uphill_downhill()

            t_read = best_of(lambda f=f: read_gpx(f), args.repeat)
            t_ours = best_of(ours, args.repeat)
            t_ref = best_of(theirs, max(1, args.repeat - 1))
            print("(a) in-process")
            print(f"    read_gpx                       {t_read:8.3f} s")
            print(f"    read_gpx+make_profile+stats    {t_ours:8.3f} s")
            print(f"    gpxpy parse+length_2d+up/down  {t_ref:8.3f} s")
            print(f"    ratio                          {t_ref / t_ours:8.1f} x  (target >= 10)")

            ck = min(child(coursekit_cmd(f))[0] for _ in range(args.repeat))
            gp = min(
                child([sys.executable, "-c", GPXPY_SCRIPT, str(f)])[0]
                for _ in range(max(1, args.repeat - 1))
            )
            print("(b) whole processes")
            print(f"    coursekit profile --format json {ck:8.3f} s")
            print(f"    python -c 'import gpxpy; ...'   {gp:8.3f} s")
            print(f"    ratio                           {gp / ck:8.1f} x  (target >= 10)")
            f.unlink()

        if args.big_points:
            big = make_recording(tmp / "big.gpx", args.big_points)
            dt, rss, _ = child(coursekit_cmd(big))
            print(
                f"(c) {args.big_points:,} points ({big.stat().st_size / 1e6:.0f} MB): "
                f"coursekit profile {dt:.1f} s, peak RSS {rss:.0f} MB (goal <= 500 MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
