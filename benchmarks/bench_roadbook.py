"""Roadbook budget on a 170 km course: HTML size <= 1.5 MB, build time <= 3 s (issue 5).

The course is the Grand Raid Réunion 2024 (Diagonale des Fous) from
../shared/realdata: ``grr_2024.gpx`` and the checkpoints of
``grr_2024_checkpoints.csv`` placed by their lat/lon, start
2024-10-17T22:00:00+04:00, limit 66 h. The course file is written into a
temporary folder (nothing copied into the repository).

Printed, each as a ratio to its budget:

- the HTML size of the race page, default and ``--offline``, and the share of
  it taken by the profile SVG and by the map data;
- the wall time of ``coursekit roadbook COURSE -o OUT`` as a process (Python
  start-up and imports included), default and offline;
- the time of :func:`coursekit.roadbook.race_page` in-process (course loaded
  and planned beforehand), split into its parts, with the load + plan time
  measured in the same run as the reference.

First, with no real data needed, the print map's label placement on a dense
course (h86 F7): :func:`coursekit.figures.outline_svg` of the bundled HAUT 120
track with 25 and 100 evenly spaced checkpoints, against the same map with
every label at one fixed offset (no search), measured in the same run, as a
ratio. At 100 checkpoints it was 3.5-3.9 s against 0.3 s (ratio 11-12) while
the placement made an annotation per offset tried; since each text is measured
once, 0.85 s (ratio 2.0-2.6 on a loaded 2-core machine), the rest being mostly
drawing the leader lines the placement chose. At 25 checkpoints, 1.5 either way.

Usage::

    python benchmarks/bench_roadbook.py [--realdata PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE_BUDGET = 1.5e6  # [bytes]
TIME_BUDGET = 3.0  # [s]
SERVICES = {"DRINK_SUPPLY": "water", "AID_STATION": "food", "EMERGENCY": "medical"}


def write_course(realdata: Path, folder: Path) -> Path:
    rows = list(csv.DictReader(open(realdata / "grr_2024_checkpoints.csv", encoding="utf-8")))
    lines = [
        'name = "Grand Raid Réunion 2024 — Diagonale des Fous"',
        f"gpx = {json.dumps(str(realdata / 'grr_2024.gpx'))}",
        "start = 2024-10-17T22:00:00+04:00",
        'limit = "66h"',
        'timezone = "Indian/Reunion"',
    ]
    for r in rows:
        svc = sorted({SERVICES[s] for s in r["services"].split(";") if s in SERVICES})
        lines += [
            "",
            "[[checkpoints]]",
            f"name = {json.dumps(r['name'], ensure_ascii=False)}",
            f"lat = {float(r['lat'])}",
            f"lon = {float(r['lon'])}",
            f"services = {json.dumps(svc)}",
        ]
    path = folder / "grr-2024.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dense_course(folder: Path, n: int) -> Path:
    """A course file of the bundled HAUT 120 track with ``n`` checkpoints evenly spaced."""
    gpx = ROOT / "courses" / "haut" / "haut-120.gpx"
    lines = [
        f'name = "{n} checkpoints"',
        f"gpx = {json.dumps(str(gpx))}",
        "start = 2024-06-01T04:00:00+01:00",
        'limit = "34h"',
        "schematic = true",
    ]
    for i in range(1, n + 1):
        lines += ["[[checkpoints]]", f'name = "Checkpoint number {i}"']
        lines += [f"km = {i * 60.0 / (n + 1):.2f}"]
    path = folder / f"dense-{n}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fixed_labels(fig, ax, labels) -> None:
    """The reference placement: every label beside its marker, no search."""
    for xy, text in labels:
        ax.annotate(
            text,
            xy,
            xytext=(6, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=7,
            annotation_clip=False,
            parse_math=False,
        )


def bench_print_map(repeat: int) -> None:
    """Print the time of the print map of a dense course against fixed labels (F7)."""
    from coursekit import figures
    from coursekit.checkpoints import course_legs
    from coursekit.course import load_course

    with tempfile.TemporaryDirectory() as tmp:
        for n in (25, 100):
            course = load_course(dense_course(Path(tmp), n))
            legs = course_legs(course)
            figures.outline_svg(course.profile, legs=legs)  # warm imports and font cache

            def best(f):
                return min(_timed(f) for _ in range(repeat))

            t_map = best(lambda c=course, lg=legs: figures.outline_svg(c.profile, legs=lg))
            placed = figures._place_labels
            figures._place_labels = _fixed_labels
            try:
                t_ref = best(lambda c=course, lg=legs: figures.outline_svg(c.profile, legs=lg))
            finally:
                figures._place_labels = placed
            print(
                f"print map, {n:3d} checkpoints: {t_map:5.2f} s; fixed-offset labels "
                f"reference {t_ref:5.2f} s; ratio {t_map / t_ref:5.2f}"
            )


def _timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def run_cli(args) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import sys; from coursekit.cli import cli; sys.exit(cli())"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--realdata",
        type=Path,
        default=Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata")),
    )
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    bench_print_map(a.repeat)
    if not (a.realdata / "grr_2024.gpx").is_file():
        print(f"skipped: {a.realdata}/grr_2024.gpx not found")
        return 0
    from coursekit import maps
    from coursekit.course import load_course
    from coursekit.cutoffs import plan as make_plan
    from coursekit.figures import profile_svg
    from coursekit.roadbook import race_page

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfile = write_course(a.realdata, tmp)

        def best(f):
            out = None
            ts = []
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                out = f()
                ts.append(time.perf_counter() - t0)
            return min(ts), out

        t_ref, (course, plan) = best(lambda: (lambda c: (c, make_plan(c)))(load_course(cfile)))
        race_page(course, plan=plan)  # warm imports
        prof = course.profile
        print(
            f"course: {course.name}: {len(prof.track.lat)} track points, "
            f"{prof.total_distance / 1000:.1f} km, {len(plan.legs.names)} rows in the legs table"
        )
        sizes = {}
        for offline in (False, True):
            t_page, page = best(lambda o=offline: race_page(course, plan=plan, offline=o))
            n = len(page.html.encode("utf-8"))
            sizes[offline] = n
            label = "offline" if offline else "default"
            print(
                f"race_page {label:8s}: {n / 1e6:6.3f} MB = {n / SIZE_BUDGET:5.2f} x budget; "
                f"{t_page:5.2f} s = {t_page / TIME_BUDGET:5.2f} x budget "
                f"(load+plan reference {t_ref:.2f} s, ratio {t_page / t_ref:.2f})"
            )
        t_svg, svg = best(lambda: profile_svg(prof, legs=plan.legs, plan=plan))
        t_map, parts = best(
            lambda: maps.map_parts(maps.course_map(course, plan=plan), offline=False)
        )
        data = parts.script
        print(
            f"  profile SVG {len(svg) / 1e3:7.1f} kB in {t_svg:.2f} s; "
            f"map script {len(data) / 1e3:7.1f} kB in {t_map:.2f} s; "
            f"Leaflet inlined {(sizes[True] - sizes[False]) / 1e3:.1f} kB"
        )
        for offline in (False, True):
            args = ["roadbook", str(cfile), "-o", str(tmp / f"out{offline}")]
            args += ["--offline"] if offline else []
            t_cli = min(run_cli(args) for _ in range(a.repeat))
            label = "--offline" if offline else "default"
            print(
                f"coursekit roadbook {label:9s} (process): {t_cli:5.2f} s = "
                f"{t_cli / TIME_BUDGET:5.2f} x budget"
            )
        # a dense 1 Hz recording (CCC 2024, no checkpoints): what the SVG decimation is for
        rec = a.realdata / "ccc_2024_strava_recording.gpx"
        if rec.is_file():
            (tmp / "ccc.toml").write_text(
                f'name = "CCC 2024 recording"\ngpx = {json.dumps(str(rec))}\n'
                'start = 2024-08-30T09:00:00+02:00\nlimit = "26h45m"\n',
                encoding="utf-8",
            )
            ccc = load_course(tmp / "ccc.toml")
            t_rec, page = best(lambda: race_page(ccc, offline=True))
            n = len(page.html.encode("utf-8"))
            sizes["ccc"] = n
            print(
                f"1 Hz recording ({len(ccc.profile.track.lat)} points) offline page: "
                f"{n / 1e6:.3f} MB = {n / SIZE_BUDGET:.2f} x budget; {t_rec:.2f} s"
            )
        ok = max(sizes.values()) <= SIZE_BUDGET
        print("size budget:", "OK" if ok else "OVER")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
