"""Accuracy of the automatic gain and of the jitter-robust distance.

Prints, per synthetic kind (tests/synthetic.py, known truth) and per real file
(../shared/realdata, official or LiveTrail figures), the reference, coursekit's
auto figure and its error, and for comparison gpxpy's ``get_uphill_downhill()``
/ ``length_2d()`` and the raw sums, all measured in the same run.

Run: ``python benchmarks/bench_accuracy.py [--seeds N]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
REAL = ROOT.parent / "shared" / "realdata"

REAL_FILES = [  # file, reference gain [m], where the reference comes from
    ("utmb_2023_tracedetrail_noisy.gpx", 10_040, "official"),
    ("templiers_gtt_2025_tracedetrail.gpx", 3_436, "LiveTrail GTT 2024"),
    ("ccc_2024_strava_recording.gpx", 6_000, "runner blog ~6000"),
    ("tor330_2025_full_dem.gpx", 27_390, "ITRA (nominal 24,000)"),
    ("eiger_e250_2025_tracedetrail.gpx", 18_000, "official 2023"),
    ("marathon_tours_2022_recording.gpx", float("nan"), "flat road"),
    ("grr_2024.gpx", 10_141, "LiveTrail 16 m rule"),
    ("mas_2024.gpx", 3_856, "LiveTrail 14 m rule"),
    ("tdb_2024.gpx", 5_835, "LiveTrail 19 m rule"),
    ("mtr_2024.gpx", 2_599, "LiveTrail 6 m rule"),
    ("templiers_gtt_2024.gpx", 3_436, "LiveTrail 9 m rule"),
    ("templiers_endurance_2024.gpx", 4_296, "LiveTrail 10 m rule"),
    ("templiers_integrale_2024.gpx", 2_641, "LiveTrail 9 m rule"),
]


def _gpxpy(lat, lon, ele, time=None):
    import gpxpy.gpx

    seg = gpxpy.gpx.GPXTrackSegment()
    for la, lo, e in zip(lat, lon, ele, strict=True):
        seg.points.append(
            gpxpy.gpx.GPXTrackPoint(la, lo, elevation=None if np.isnan(e) else float(e))
        )
    up, _ = seg.get_uphill_downhill()
    return up, seg.length_2d()


def _err(x, ref):
    return f"{100 * (x / ref - 1):+7.2f}%" if np.isfinite(ref) and ref else "      -"


def main():
    from synthetic import KINDS, make_track

    from coursekit.geodesy import segment_lengths
    from coursekit.gpx import read_gpx
    from coursekit.profile import (
        auto_gain_loss,
        denoise_distance,
        make_profile,
        threshold_gain_loss,
    )

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    hdr = (
        f"{'case':34s} {'true D+':>8s} {'auto':>7s} {'err':>8s} {'gpxpy':>7s} {'err':>8s}"
        f" {'raw':>7s} {'err':>8s} | {'true D':>8s} {'auto':>8s} {'err':>8s}"
        f" {'raw':>8s} {'err':>8s} {'gpxpy2d':>8s} {'err':>8s}"
    )
    print(hdr)
    cases = [(k, s, {}) for k in KINDS for s in range(args.seeds)]
    cases += [("gps", 10 + s, {"ele_tau": tau}) for s, tau in enumerate((10.0, 60.0))]
    cases += [("gps", 20 + s, {"xy_tau": tau}) for s, tau in enumerate((3.0, 30.0))]
    # second, independent family: other terrain and noise drawn per seed
    cases += [(k, s, {"family": "b"}) for k in KINDS for s in range(2 * args.seeds)]
    cases += [("gps", 7, {"family": "b", "ele_tau": tau}) for tau in (5.0, 60.0)]
    errs = []
    for kind, seed, kw in cases:
        syn = make_track(kind, seed, **kw)
        d, _ = denoise_distance(syn.lat, syn.lon, syn.time)
        g = auto_gain_loss(d, syn.elevation, syn.time).gain[-1]
        raw_g = threshold_gain_loss(syn.elevation, 0).gain[-1]
        raw_d = segment_lengths(syn.lat, syn.lon).sum()
        gp_g, gp_d = _gpxpy(syn.lat, syn.lon, syn.elevation)
        true_d = raw_d if kind == "planner" else syn.true_distance
        tg = syn.true_gain
        errs.append((kind, 100 * (g / tg - 1)))
        lab = f"{kind} seed {seed} {kw or ''}"
        print(
            f"{lab:34s} {tg:8.0f} {g:7.0f} {_err(g, tg)} {gp_g:7.0f} {_err(gp_g, tg)}"
            f" {raw_g:7.0f} {_err(raw_g, tg)} | {true_d:8.0f} {d[-1]:8.0f} {_err(d[-1], true_d)}"
            f" {raw_d:8.0f} {_err(raw_d, true_d)} {gp_d:8.0f} {_err(gp_d, true_d)}"
        )
    print("(planner distance truth = its own polyline: the filter must leave it unchanged)")
    for kind in KINDS:
        e = np.array([x for k, x in errs if k == kind])
        print(
            f"auto D+ {kind:8s}: {np.sum(np.abs(e) <= 3)}/{e.size} within 3 %,"
            f" max |err| {np.abs(e).max():.1f} %, rms {np.sqrt(np.mean(e * e)):.1f} %"
        )
    if not (REAL / "index.json").is_file():
        print(f"real data not found at {REAL}")
        return
    for name, ref, src in REAL_FILES:
        t = read_gpx(REAL / name)
        p = make_profile(t)
        raw_g = threshold_gain_loss(t.elevation, 0).gain[-1]
        raw_d = segment_lengths(t.lat, t.lon).sum()
        gp_g, gp_d = _gpxpy(t.lat, t.lon, t.elevation)
        print(
            f"{name[:34]:34s} {ref:8.0f} {p.total_gain:7.0f} {_err(p.total_gain, ref)}"
            f" {gp_g:7.0f} {_err(gp_g, ref)} {raw_g:7.0f} {_err(raw_g, ref)} |"
            f" {'':8s} {p.total_distance:8.0f} {'':8s} {raw_d:8.0f} {'':8s} {gp_d:8.0f}"
            f"  [{src}]"
        )
        print(f"{'':36s}{p.gain_method}; {p.distance_method}")


if __name__ == "__main__":
    main()
