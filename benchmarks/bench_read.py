"""Speed and memory of the GPX reading layer against gpxpy, measured in the same run.

Generates (in a temporary folder, never in the repository) a 1 Hz watch
recording with timestamps, elevation and Garmin TrackPointExtension data, the
same recording written one line per point without extensions, and that plain file
with GPS noise (a watch with GPS altitude), then measures:

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
        [--style garmin|plain|noisy|all]

Prints the ratios for each style of file (a watch export with extensions, a plain
one-line-per-point file, and the plain file with GPS noise; ``all``, or its former name
``both``, the default, runs the three); the target is >= 10x on (a) and (b). gpxpy is
faster on the plain file, and so is ``read_gpx``: the in-process ratio (a) is higher on
it, the whole-process ratio (b), where coursekit's fixed costs (interpreter, numpy) stay,
is lower. The "noisy" file (3 m AR(1) noise per horizontal axis, 20 s correlation; 5 m
AR(1) altitude noise, 30 s) is what a user's watch file costs: the jitter filter and the
altitude noise calibration run on it, and the clean styles skip both. It is read as fast
as the plain one, and its profile takes about 0.1 s more. All styles write points in the
usual form (lat then lon, double quotes, <ele> then <time>). (c) always reads a file of
the Garmin style, whatever ``--style``.

Measured in one session, nineteenth sprint, before -> after its changes (``--repeat 5``,
load 0.9-1.1 on two cores): garmin (a) 16.6x -> 17.3x, (b) 12.8x -> 13.8x; plain (a)
21.8x -> 23.7x, (b) 12.0x -> 13.1x (0.273 -> 0.249 s); noisy (a) 12.2x -> 16.0x
(0.251 -> 0.195 s), (b) 7.7x -> 8.8x (0.412 -> 0.374 s against 3.2 s): under the
target on the noisy file as a whole process. There ~0.2 s are spent before and after
the profile itself (interpreter, imports, the 0.1 s read, exit), and the exact jitter
filter and calibration take ~0.1 s more. (c) peak RSS 225 -> 265 MB (the AR(1) fit now
measures two lags at once, on two threads).

Twentieth sprint (``--repeat 5``, quiet machine, load ~0.7): the usual form's columns are
read with numpy instead of the expression, the reader counts their tags itself (the
forked check runs expat only), and the jitter filter pads to a fast FFT length by odd
reflection. read_gpx 0.088 -> 0.057-0.069 s on the noisy file; (b) garmin 13.8x ->
14.7x (0.292 s), plain 13.1x -> 16.2x (0.197 s), noisy 8.8-9.3x -> 11.4-11.7x (0.270-0.281
s against 3.16-3.20 s). With one other single-core job running, noisy (b) drops to 8.7x
(0.367 s): the two threads and the forked check then share one core. (c) 264 MB.
After the same sprint's adversarial review (six more hand-over checks in the reader):
garmin 13.7x (0.319 s), plain 14.9x (0.213 s), noisy 11.2x (0.284 s against 3.19 s).

Twenty-first sprint (malloc keeps freed memory, rarer substring searches, one day per
piece of times, the median of 5 by minima and maxima), ``--repeat 5``, load ~0.9 (one
other job), old and new trees run one after the other: noisy (b) 11.2x / 11.5x (0.286 /
0.276 s) -> 12.6x / 12.1x (0.259 / 0.262 s) in two rounds; all styles in one run each:
garmin 14.2x -> 16.3x, plain 14.4x -> 15.6x, (c) 1.9 s, 264 MB -> 1.8 s, 238 MB. The
best of 5 hides part of it: the median of 21 runs alternating the two trees went
306 -> 272 ms on the noisy file (the console script).
Thirty-seventh sprint: the points written lon first with ' quotes, or <time> before <ele>,
take the numpy path too (``--form``; before, the regular expression read them). In one
run at load ~2 (a test run beside it), ``--style noisy --big-points 0 --repeat 5``:
usual / lon-first / time-first read_gpx 0.112 (one slow best-of-5) / 0.061 / 0.061 s, (b)
12.4x / 13.2x / 11.9x; before the change, interleaved with it on a 100k-point noisy file,
lon-first 9.4x and time-first 8.8x (read 124-146 ms) against the usual form's 11.8x.
"""

from __future__ import annotations

import argparse
import math
import re
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
STYLES = ("garmin", "plain", "noisy")
FORMS = ("usual", "lon-first", "time-first")
"""How the points are written (``--form``): "usual", ``<trkpt lat="…" lon="…">`` then
``<ele>``, ``<time>`` (the schema's order; Garmin, Strava, gpxpy); "lon-first",
``<trkpt lon='…' lat='…'>`` (lon first, single quotes); "time-first", ``<time>``
before ``<ele>``. The reader takes all three with numpy (thirty-seventh sprint; before,
the other two went through its regular expression at about twice the read time)."""
PLAIN_PT = '<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele><time>{t}</time></trkpt>\n'
"""A point as the plainest exporters write it: one line, no extensions. Fewer elements
make gpxpy faster (about 3.4 s instead of 4.4 s per 100k points here) while the
fixed costs of a ``coursekit`` process (interpreter, numpy) stay: the harder ratio for
whole processes (b); in-process (a) the ratio is higher (read_gpx gains more)."""
NOISY_XY_M, NOISY_XY_TAU_S = 3.0, 20.0
NOISY_ELE_M, NOISY_ELE_TAU_S = 5.0, 30.0
"""The "noisy" style: the plain file of a watch with GPS altitude, AR(1) noise of 3 m per
horizontal axis (20 s correlation) and of 5 m on the altitude (30 s) instead of the
smooth 1.5 m. What a user's watch file costs: the jitter filter and the altitude noise
calibration run on it, not on the clean styles."""


def in_form(pt: str, form: str) -> str:
    """The point template ``pt`` written in ``form`` (:data:`FORMS`)."""
    if form == "lon-first":
        pt = pt.replace('lat="{lat:.7f}" lon="{lon:.7f}"', "lon='{lon:.7f}' lat='{lat:.7f}'")
    elif form == "time-first":
        pt = re.sub(r"(<ele>\{ele:\.1f\}</ele>)(\s*)(<time>\{t\}</time>)", r"\3\2\1", pt)
    elif form != "usual":
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    return pt


def make_recording(path: Path, n: int, style: str = "garmin", form: str = "usual") -> Path:
    """Write an ``n``-point 1 Hz recording (about 3 m/s on rolling terrain).

    ``style`` "garmin": indented, heart rate and cadence extensions (a watch
    export); "plain": one line per point with elevation and time only; "noisy":
    written like "plain", with GPS noise (:data:`NOISY_XY_M`). ``form``: how the
    points are written (:data:`FORMS`)."""
    import numpy as np

    rng = np.random.default_rng(1)
    s = np.arange(n) * 3.0  # m along a wandering line
    heading = np.cumsum(rng.normal(0, 0.02, n))
    x = np.cumsum(3.0 * np.cos(heading))
    y = np.cumsum(3.0 * np.sin(heading))
    terrain = 1000 + 400 * np.sin(s / 4000) + 10 * np.sin(s / 300)
    ele = terrain + rng.normal(0, 1.5, n)
    if style == "noisy":  # its own generator: the other styles' files stay as they were
        from coursekit.profile import _ar1_noise

        noise = np.random.default_rng(2)
        x = x + _ar1_noise(noise, n, NOISY_XY_M, NOISY_XY_TAU_S)
        y = y + _ar1_noise(noise, n, NOISY_XY_M, NOISY_XY_TAU_S)
        ele = terrain + _ar1_noise(noise, n, NOISY_ELE_M, NOISY_ELE_TAU_S)
    lat = 45.9 + y / 111_132.0
    lon = 6.87 + x / (111_320.0 * math.cos(math.radians(45.9)))
    t0 = np.datetime64("2024-06-01T04:00:00", "s")
    stamps = np.datetime_as_string(t0 + np.arange(n).astype("timedelta64[s]")) + "Z"
    hr = rng.integers(100, 170, n)
    cad = rng.integers(70, 95, n)
    pt = in_form(PT if style == "garmin" else PLAIN_PT, form)
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
        "--style",
        choices=(*STYLES, "all", "both"),
        default="all",
        help="how the file is written ('both', its former name, is 'all')",
    )
    ap.add_argument(
        "--form",
        choices=FORMS,
        default="usual",
        help="how each point is written: lat or lon first, <ele> or <time> first (FORMS)",
    )
    args = ap.parse_args(argv)

    import gpxpy

    from coursekit.gpx import read_gpx
    from coursekit.profile import course_stats, make_profile

    with tempfile.TemporaryDirectory(prefix="coursekit-bench-") as tmp:
        tmp = Path(tmp)
        for style in STYLES if args.style in ("all", "both") else (args.style,):
            f = make_recording(tmp / f"recording-{style}.gpx", args.points, style, args.form)
            size = f.stat().st_size / 1e6
            what = {
                "garmin": "Garmin extensions, indented",
                "plain": "one line per point",
                "noisy": "one line per point, GPS noise: 3 m horizontal, 5 m altitude",
            }[style]
            print(
                f"file: {args.points:,} points, {size:.1f} MB (1 Hz, time, ele, {what}; "
                f"points written {args.form})"
            )

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
