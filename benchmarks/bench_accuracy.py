"""Accuracy of the automatic gain and of the jitter-robust distance.

Prints, per synthetic kind (tests/synthetic.py, known truth) and per real file
(../shared/realdata, official or LiveTrail figures), the reference, coursekit's
auto figure and its error, and for comparison gpxpy's ``get_uphill_downhill()``
/ ``length_2d()`` and the raw sums, all measured in the same run.

Run: ``python benchmarks/bench_accuracy.py [--seeds N] [--sweep] [--heldout] [--band]``

``--band`` measures the uncertainty band the GPS-altitude warning quotes
(:data:`coursekit.profile.GPS_ALTITUDE_GAIN_BAND`): the automatic gain's absolute
error on the 40 held-out courses and on the 75 GPS-altitude files (kind c) of the
blind generator at base seeds 1000-9000 (benchmarks/blind_tracks.py, read as users
read them, ``read_gpx`` + ``make_profile``), by measured climb per km: count, share
within 3 % and 90th percentile, next to the band the code quotes (about 40 s).

``--heldout`` checks the automatic gain on 40 GPS-altitude courses kept out of
every tuning so far (seeds 900-919 of both families, family "a" with noise level,
correlation time and horizontal noise drawn from their own generator): the figure
to quote next to the sweep's when a change is judged on the sweep.

``--sweep`` adds a wider check of the dense-recording paths on 69 synthetic
GPS-altitude courses (three seeded sets: the cases below plus other noise
correlation times, noise levels and seeds of both families) and on the 83
distinct horizontal tracks among them: the current method against the former
one, measured in the same run (gain: sigma = 33 * noise instead of the AR(1)
calibration; distance: cut-off per sample instead of per metre).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
REAL = Path(os.environ.get("COURSEKIT_REALDATA", ROOT.parent / "shared" / "realdata"))

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
    ap.add_argument("--sweep", action="store_true", help="wider dense-recording check")
    ap.add_argument("--heldout", action="store_true", help="held-out GPS-altitude courses")
    ap.add_argument("--planner", action="store_true", help="route-planner sweep (120 courses)")
    ap.add_argument("--band", action="store_true", help="GPS-altitude uncertainty band")
    args = ap.parse_args()
    if args.band:
        band()
        return
    if args.sweep:
        sweep()
    if args.heldout:
        heldout()
    if args.planner:
        planner_sweep()
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
        if not e.size:
            continue
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


def _sweep_sets():
    """The three seeded sets of GPS-altitude cases of ``--sweep``: (label, seed, kwargs)."""
    s1 = [(s, {}) for s in range(3)]
    s1 += [(10, {"ele_tau": 10.0}), (11, {"ele_tau": 60.0})]
    s1 += [(20, {"xy_tau": 3.0}), (21, {"xy_tau": 30.0})]
    s1 += [(s, {"family": "b"}) for s in range(8)]
    s1 += [(7, {"family": "b", "ele_tau": t}) for t in (5.0, 60.0)]
    s1 += [(30 + i, {"family": "b", "ele_tau": t}) for i, t in enumerate((8.0, 15.0, 40.0))]
    s1 += [
        (40 + i, {"ele_tau": t, "ele_sigma": sg})
        for i, (t, sg) in enumerate(((5.0, 5.0), (20.0, 4.0), (45.0, 6.0)))
    ]
    rng = np.random.default_rng(123)
    s2 = [(100 + s, {"ele_tau": float(rng.choice([5, 8, 12, 20, 30, 45, 60]))}) for s in range(8)]
    s2 += [(100 + s, {"family": "b"}) for s in range(14)]
    rng = np.random.default_rng(777)
    s3 = [
        (200 + s, {"ele_tau": float(rng.uniform(5, 60)), "ele_sigma": float(rng.uniform(3, 7))})
        for s in range(10)
    ]
    s3 += [(200 + s, {"family": "b"}) for s in range(14)]
    rng = np.random.default_rng(99)
    xy = []
    for i in range(16):
        kw = {"xy_sigma": float(rng.uniform(1.5, 5.0))}
        kw["xy_tau"] = float(rng.choice([3.0, 5.0, 10.0, 20.0, 30.0]))
        if i % 2:
            kw["family"] = "b"
        xy.append((300 + i, kw))
    return {"set1": s1, "set2": s2, "set3": s3}, xy


def _heldout_cases():
    """GPS-altitude courses of ``--heldout``: (seed, kwargs), never used to tune the method."""
    rng = np.random.default_rng(20250611)
    cases = []
    for s in range(20):
        kw = {"ele_tau": float(rng.uniform(4, 70)), "ele_sigma": float(rng.uniform(3, 7))}
        kw["xy_sigma"] = float(rng.uniform(1.5, 5))
        kw["xy_tau"] = float(rng.choice([3.0, 5.0, 10.0, 20.0]))
        cases.append((900 + s, kw))
    cases += [(900 + s, {"family": "b"}) for s in range(20)]
    return cases


def heldout():
    """Automatic gain on the held-out GPS-altitude courses, one line each and a summary."""
    from synthetic import make_track

    import coursekit.profile as P

    errs = []
    print("held-out: auto gain, 1 Hz GPS altitude")
    for seed, kw in _heldout_cases():
        syn = make_track("gps", seed, **kw)
        d, _ = P.denoise_distance(syn.lat, syn.lon, syn.time)
        gl = P.auto_gain_loss(d, syn.elevation, syn.time)
        e = 100 * (gl.gain[-1] / syn.true_gain - 1)
        errs.append(e)
        fam = kw.get("family", "a")
        print(f"  {fam} {seed:4d} true {syn.true_gain:6.0f} err {e:+6.1f} %  {syn.description}")
    for fam, sl in (("a", slice(0, 20)), ("b", slice(20, 40)), ("all", slice(None))):
        print(f"  {fam:3s}: {_summary(errs[sl], 3)}")


BAND_BLIND_SEEDS = (1000, 3000, 5000, 7000, 9000)
"""Base seeds of benchmarks/blind_tracks.py whose kind c files measure the band."""


def band():
    """Gain error of GPS-altitude recordings by climb per km, against the band quoted."""
    import tempfile

    import blind_tracks
    from synthetic import make_track

    import coursekit.profile as P
    from coursekit.gpx import read_gpx

    rows = []  # (measured climb [m/km], error [%], fitted by the AR(1) branch)
    for seed, kw in _heldout_cases():
        syn = make_track("gps", seed, **kw)
        d, _ = P.denoise_distance(syn.lat, syn.lon, syn.time)
        gl = P.auto_gain_loss(d, syn.elevation, syn.time)
        g = float(gl.gain[-1])
        rows.append(
            (g / (d[-1] / 1000), 100 * (g / syn.true_gain - 1), "ar1-noise-sim" in gl.method)
        )
    for base in BAND_BLIND_SEEDS:
        with tempfile.TemporaryDirectory() as tmp:
            truth = blind_tracks.write_set(Path(tmp), base, 15, 0)
            for fn, t in truth.items():
                if t["kind"] != "c":
                    continue
                p = P.make_profile(read_gpx(Path(tmp) / fn))
                g = p.total_gain
                rows.append(
                    (
                        g / (p.total_distance / 1000),
                        100 * (g / t["true_gain"] - 1),
                        "ar1-noise-sim" in p.gain_method,
                    )
                )
    a = np.array(rows, float)
    climb, err, ar1 = a[:, 0], np.abs(a[:, 1]), a[:, 2] > 0
    print(
        f"GPS-altitude recordings: {len(a)} (40 held-out, {len(a) - 40} blind kind c at base"
        f" seeds {', '.join(map(str, BAND_BLIND_SEEDS))}); {int(ar1.sum())} took the AR(1) branch"
    )
    lo = 0.0
    for top, quoted in P.GPS_ALTITUDE_GAIN_BAND:
        m = (climb >= lo) & (climb < top)
        if m.any():
            print(
                f"  climb {lo:3.0f}-{top:3.0f} m/km: {int(m.sum()):3d} recordings, "
                f"{np.mean(err[m] <= 3):.0%} within 3 %, 90th percentile "
                f"{np.percentile(err[m], 90):4.1f} %, worst {err[m].max():4.1f} %; "
                f"quoted +-{100 * quoted:.0f} %"
            )
        lo = top


def _staircase_box(distance, elevation, step):
    """The 5 m resampling before the sixth sprint, for comparison in the same run: the
    cumulative integral interpolated *linearly*, i.e. each segment replaced by its mean."""
    total = distance[-1]
    n = max(int(np.ceil(total / step)) + 1, 2)
    grid = np.linspace(0.0, total, n)
    h = grid[1] - grid[0]
    area = np.concatenate(
        [[0.0], np.cumsum(0.5 * (elevation[1:] + elevation[:-1]) * np.diff(distance))]
    )
    lo = np.clip(grid - h / 2, 0.0, total)
    hi = np.clip(grid + h / 2, 0.0, total)
    width = hi - lo
    mean = (np.interp(hi, distance, area) - np.interp(lo, distance, area)) / np.where(
        width > 0, width, 1.0
    )
    return grid, np.where(width > 0, mean, np.interp(grid, distance, elevation))


def planner_sweep():
    """Automatic gain on route-planner tracks (sparse points, white DEM noise), current
    method against the fifth sprint's (staircase resampling, noise from plain second
    differences), same run.

    Sets: family "a" (10-40 m spacing, 1.5 m noise, 10 m rollers of 250-700 m: the issue's
    description) and family "b" (5-60 m spacing, 0.7-2.5 m noise, two roller trains), seeds
    500-539, never used for tuning; and family "a" with steep short rollers (10 m amplitude,
    wavelength 150 / 250 / 400 m, seeds 300-319).
    """
    from synthetic import make_track

    import coursekit.profile as P

    sets = {
        "a 500-539": [(s, {}) for s in range(500, 540)],
        "b 500-539": [(s, {"family": "b"}) for s in range(500, 540)],
    }
    for lam in (150.0, 250.0, 400.0):
        sets[f"a rollers {lam:.0f} m"] = [(s, {"roller_wavelength": lam}) for s in range(300, 320)]
    current = (P._box_resample, P._spaced_point_noise)
    former = (_staircase_box, lambda d, e: P._point_noise(e))
    print(
        "planner sweep: auto gain on route-planner tracks (current / former: staircase box"
        " and noise from plain second differences)"
    )
    for name, cases in sets.items():
        errs = {"current": [], "former": []}
        for seed, kw in cases:
            syn = make_track("planner", seed, **kw)
            d = P.denoise_distance(syn.lat, syn.lon)[0]
            for label, (box, noise) in (("current", current), ("former", former)):
                P._box_resample, P._spaced_point_noise = box, noise
                try:
                    g = P.auto_gain_loss(d, syn.elevation).gain[-1]
                finally:
                    P._box_resample, P._spaced_point_noise = current
                errs[label].append(100 * (g / syn.true_gain - 1))
        for label, e in errs.items():
            print(f"  {name:18s} {label:7s}: {_summary(e, 3)}, mean {np.mean(e):+.2f} %")


def _summary(e, tol):
    e = np.asarray(e)
    return (
        f"{np.sum(np.abs(e) <= tol):3d}/{e.size} within {tol:g} %"
        f" ({np.sum(np.abs(e) <= 2 * tol):3d} within {2 * tol:g} %),"
        f" median |err| {np.median(np.abs(e)):4.1f} %, rms {np.sqrt(np.mean(e * e)):5.2f} %,"
        f" max |err| {np.abs(e).max():5.1f} %"
    )


def sweep():
    """Current against former dense-recording methods on the sweep sets (same run)."""
    from synthetic import make_track

    import coursekit.profile as P

    sets, xy = _sweep_sets()
    seen = {}
    gain = {}
    for name, cases in sets.items():
        for seed, kw in cases:
            syn = make_track("gps", seed, **kw)
            key = (seed, kw.get("family", "a"), kw.get("xy_tau"), kw.get("xy_sigma"))
            seen.setdefault(key, syn)
            d, _ = P.denoise_distance(syn.lat, syn.lon, syn.time)
            new = P.auto_gain_loss(d, syn.elevation, syn.time).gain[-1]
            keep, P._GPS_ALT_MIN_SD = P._GPS_ALT_MIN_SD, float("inf")
            try:
                old = P.auto_gain_loss(d, syn.elevation, syn.time).gain[-1]
            finally:
                P._GPS_ALT_MIN_SD = keep
            tg = syn.true_gain
            gain.setdefault(name, []).append((100 * (new / tg - 1), 100 * (old / tg - 1)))
    for seed, kw in xy:
        key = (seed, kw.get("family", "a"), kw.get("xy_tau"), kw.get("xy_sigma"))
        seen.setdefault(key, make_track("gps", seed, **kw))
    print("sweep: auto gain, 1 Hz GPS altitude (current AR(1) calibration / former 33*noise)")
    allg = []
    for name, rows in gain.items():
        a = np.array(rows)
        allg.append(a)
        print(f"  {name} current: {_summary(a[:, 0], 3)}")
        print(f"  {name} former : {_summary(a[:, 1], 3)}")
    a = np.concatenate(allg)
    print(f"  all  current: {_summary(a[:, 0], 3)}")
    print(f"  all  former : {_summary(a[:, 1], 3)}")
    dist = []
    for syn in seen.values():
        d, _ = P.denoise_distance(syn.lat, syn.lon, syn.time)
        keep, P._CUTOFF_SPEED_ADAPT = P._CUTOFF_SPEED_ADAPT, False
        try:
            d0, _ = P.denoise_distance(syn.lat, syn.lon, syn.time)
        finally:
            P._CUTOFF_SPEED_ADAPT = keep
        t = syn.true_distance
        dist.append((100 * (d[-1] / t - 1), 100 * (d0[-1] / t - 1)))
    a = np.array(dist)
    print("sweep: distance, distinct horizontal tracks (current per metre / former per sample)")
    print(f"  current: {_summary(a[:, 0], 1)}")
    print(f"  former : {_summary(a[:, 1], 1)}")


if __name__ == "__main__":
    main()
