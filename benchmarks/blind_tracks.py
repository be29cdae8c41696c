"""Blind synthetic GPX tracks for acceptance-testing ``coursekit profile``.

Written blind, in the tenth sprint, by an outside-style tester: without reading
tests/synthetic.py or benchmarks/bench_accuracy.py, the project's own two
families. A third, independent family, so that the automatic D+ and distance are
not only checked on the generators they were tuned on. Deterministic by seed;
numpy, scipy and pyproj only. ``benchmarks/bench_blind.py`` runs the check.

Usage (the files alone, e.g. to look at them)::

    python benchmarks/blind_tracks.py OUTDIR [--n 15] [--nclean 5] [--base-seed 1000]

writes OUTDIR/{a,b,c,clean}_NN.gpx and OUTDIR/truth.json. File ``kind_NN`` uses
seed base + offset + NN, offsets a 0, b 100, c 200, clean 300.

DESIGN
------
Course (one per file, seed -> everything):
  * length L ~ U(10, 60) km; climbing density d ~ U(20, 70) m/km, target gain
    G = clip(d*L, 300, 3000) m.
  * Site: one of Morocco (31.1N), Alps (45.9N), Reunion (-21.1), Pyrenees
    (42.8N), Colorado (38.5N), Norway (61.5N), Patagonia (-50.9).
  * Profile z(s) on a 1 m grid along the path: a sequence of segments -
    long climbs / descents of 100-1000 m (grade 6-28 %), plateaus 0.3-3 km
    (grade +-0-3 %), short counter-hills of 20-80 m inside climbs/descents;
    vertical scale adjusted towards G (max |grade| capped at ~40 %);
    corners rounded with a Gaussian of sigma 8-25 m.
  * Rollers: on 10-30 % of the course (1-4 stretches, preferably gentle
    ground) a chain of raised-cosine hills, each 6-14 m high (mean 10 m) and
    120-400 m long (wavelength).
  * Plan view: heading = slowly rotating base direction + OU wander (std
    35-70 deg, correlation 150-500 m along the path); on steep sections
    (|grade| > 12 %) with prob. 0.6 switchbacks: straight legs 40-200 m joined
    by 150-180 deg hairpins of radius 4-10 m.  ENU metres -> lat/lon with an
    azimuthal-equidistant WGS84 projection centred on the start.
TRUTH
  * true gain/loss = sum of positive / negative increments of the noise-free
    z(s) sampled every 1 m along the path (np.diff on the 1 m grid).
  * true distance = sum of WGS84 geodesic lengths (pyproj Geod.inv) between
    consecutive 1 m path points (noise free).
  * (a) files also get `gain_reachable`: gain of the noise-free, DEM-smoothed
    altitude at the file's own vertices (what a perfect denoiser could see).
  * clean files: `seg_sum_m` = geodesic sum of the segments of the file's own
    (rounded, as written) coordinates.
KINDS
  (a) route planner: vertices on the true path every U(smin, smax) m with
      10 <= smin < smax <= 40 (per-file); altitude = terrain smoothed by a
      Gaussian sigma_dem ~ U(0, 6) m (DEM-like) + white N(0, 1.5 m); no time.
  (b) 1 Hz watch, barometric altitude: runner speed v = vflat * Tobler factor
      of the local grade (vflat ~ U(2.6, 3.8) m/s), slow OU pace variation
      +-8 %, clipped to [1.5, 4.0] m/s; ~40 % of files have 1-3 stops of
      60-300 s (aid stations).  Altitude = terrain + drift (random walk on
      10-min knots, cubic-interpolated, std ~1.5-4 m at the end, plus a linear
      trend of +-0-4 m) + white N(0, 0.2-0.4) then quantised to 0.2 or 0.5 m.
  (c) 1 Hz watch, GPS altitude: same motion; altitude = terrain + AR(1) noise
      std 4-6 m, correlation time 5-60 s + white N(0, 0.5-1.0); 0.1 m output.
  (b) and (c) carry horizontal noise: AR(1) per axis (E, N), std 2.5-3.5 m,
      correlation 5-30 s.  truth.json records the raw noisy length too.
  clean: like (a) but altitude = DEM-smoothed terrain without noise; used for
      the <= 0.01 % distance check.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
from pyproj import Geod, Proj
from scipy.interpolate import CubicSpline
from scipy.signal import lfilter

GEOD = Geod(ellps="WGS84")
SITES = [
    ("Morocco", 31.10, -7.92),
    ("Alps", 45.92, 6.87),
    ("Reunion", -21.10, 55.48),
    ("Pyrenees", 42.80, 0.10),
    ("Colorado", 38.50, -107.0),
    ("Norway", 61.50, 7.50),
    ("Patagonia", -50.90, -73.10),
]
KINDS = [("a", 0), ("b", 100), ("c", 200), ("clean", 300)]  # kind, seed offset
T0 = 1717214400  # 2024-06-01T04:00:00Z, time of the first point of a recording


def gauss_smooth(z, sigma):
    """Gaussian smoothing on a 1 m grid (edge-padded)."""
    if sigma <= 0:
        return z.copy()
    r = int(4 * sigma) + 1
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    zp = np.concatenate([np.full(r, z[0]), z, np.full(r, z[-1])])
    return np.convolve(zp, k, mode="valid")


def ar1(rng, n, std, tau):
    """AR(1) / discretised OU at unit step, stationary std `std`, corr. `tau` steps.

    out[i] = a out[i-1] + e[i] as a first-order recursive filter (bitwise the
    same values as the plain loop: lfilter adds 0 * e[i-1], an exact zero).
    """
    a = math.exp(-1.0 / tau)
    e = rng.normal(0.0, std * math.sqrt(1 - a * a), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, std)
    if n > 1:
        out[1:], _ = lfilter([1.0], [1.0, -a], e[1:], zi=[a * out[0]])
    return out


def gain_loss(z):
    d = np.diff(z)
    return float(d[d > 0].sum()), float(-d[d < 0].sum())


def base_profile(rng, L):
    """Base profile (no rollers) on a 1 m grid, length L (m)."""
    segs = []  # (length_m, dz_m)
    total = 0.0
    state = rng.choice(["climb", "descent", "plateau"])
    while total < L * 1.05:
        if state in ("climb", "descent"):
            dh = rng.uniform(100, 1000)
            sign = 1 if state == "climb" else -1
            # split into pieces with occasional counter-hills of 20-80 m
            rem = dh
            while rem > 0:
                piece = min(rem, rng.uniform(80, 400))
                g = rng.uniform(0.06, 0.28)
                segs.append((piece / g, sign * piece))
                total += piece / g
                rem -= piece
                if rem > 0 and rng.random() < 0.3:
                    ch = rng.uniform(20, 80)
                    g2 = rng.uniform(0.05, 0.15)
                    segs.append((ch / g2, -sign * ch))
                    total += ch / g2
                    rem += ch
            state = rng.choice(["plateau", "descent" if sign > 0 else "climb"], p=[0.4, 0.6])
        else:
            ln = rng.uniform(300, 3000)
            g = rng.uniform(-0.03, 0.03)
            segs.append((ln, g * ln))
            total += ln
            state = rng.choice(["climb", "descent"])
    s_knots = np.concatenate([[0], np.cumsum([s[0] for s in segs])])
    z_knots = np.concatenate([[0], np.cumsum([s[1] for s in segs])])
    # stretch horizontally to exact L
    s_knots *= L / s_knots[-1] if s_knots[-1] > 0 else 1
    s = np.arange(0, int(L) + 1, dtype=float)
    z = np.interp(s, s_knots, z_knots)
    return s, z


def add_rollers(rng, s, zbase):
    n = len(s)
    L = s[-1]
    frac = rng.uniform(0.10, 0.30)
    nstretch = int(rng.integers(1, 5))
    rollers = np.zeros(n)
    mask = np.zeros(n, bool)
    grade = np.gradient(gauss_smooth(zbase, 50))
    gentle = np.abs(grade) < 0.06
    want = frac * L / nstretch
    for _ in range(nstretch):
        # prefer gentle ground: try a few random starts, keep the gentlest
        best, bestscore = None, -1
        for _t in range(8):
            st = rng.uniform(0, max(1, L - want))
            i0, i1 = int(st), int(min(L, st + want))
            sc = gentle[i0:i1].mean() if i1 > i0 else 0
            if sc > bestscore and not mask[i0:i1].any():
                best, bestscore = (i0, i1), sc
        if best is None:
            continue
        i0, i1 = best
        i = i0
        while i < i1:
            w = int(rng.uniform(120, 400))
            h = rng.uniform(6, 14)
            if i + w > n:
                break
            j = i + w  # always complete the hill (no step at the stretch end)
            t = np.arange(j - i) / w
            rollers[i:j] = h * 0.5 * (1 - np.cos(2 * np.pi * t))
            mask[i:j] = True
            i = j
    return rollers, mask


def make_plan(rng, s, zs):
    """Return x, y (ENU metres) of the path on the 1 m grid."""
    n = len(s)
    # heading = slowly rotating base direction + OU wander (std 35-70 deg,
    # correlation 150-500 m): bends of radius ~100 m-1 km, occasional loops.
    base = rng.uniform(0, 2 * np.pi) + np.cumsum(
        rng.normal(0, math.radians(90) / math.sqrt(5000), n)
    )
    wander = ar1(rng, n, math.radians(rng.uniform(35, 70)), rng.uniform(150, 500))
    theta0 = base + wander
    kappa = np.concatenate([np.diff(theta0), [0.0]])
    # switchbacks on steep sections: straight legs 40-200 m, hairpins 150-180 deg
    grade = np.gradient(gauss_smooth(zs, 30))
    steep = np.abs(grade) > 0.12
    i = 0
    sign = 1
    while i < n:
        if steep[i]:
            j = i
            while j < n and steep[j]:
                j += 1
            if j - i > 150 and rng.random() < 0.6:
                k = i
                while k < j:
                    leg = int(rng.uniform(40, 200))
                    kappa[k : min(k + leg, j)] = 0.0
                    k += leg
                    if k >= j:
                        break
                    r = rng.uniform(4, 10)
                    ang = math.radians(rng.uniform(150, 180))
                    arc = max(2, int(round(r * ang)))
                    kappa[k : min(k + arc, j)] = sign * ang / arc
                    sign = -sign
                    k += arc
            i = j
        else:
            i += 1
    theta = theta0[0] + np.concatenate([[0], np.cumsum(kappa[:-1])])
    dx = np.cos(theta)
    dy = np.sin(theta)
    x = np.concatenate([[0], np.cumsum(dx[:-1])])
    y = np.concatenate([[0], np.cumsum(dy[:-1])])
    return x, y


def make_course(seed):
    rng = np.random.default_rng(seed)
    L = rng.uniform(10_000, 60_000)
    d = rng.uniform(20, 70)
    G = float(np.clip(d * L / 1000, 300, 3000))
    site = SITES[int(rng.integers(len(SITES)))]
    s, zb = base_profile(rng, L)
    sig_corner = rng.uniform(8, 25)
    rollers, rmask = add_rollers(rng, s, zb)
    # scale base vertically toward G (rollers added after), cap the grade
    gb, _ = gain_loss(gauss_smooth(zb, sig_corner))
    gr, _ = gain_loss(rollers)
    factor = max(0.2, (G - 0.5 * gr) / max(gb, 1))
    maxg = np.max(np.abs(np.diff(gauss_smooth(zb, sig_corner))))
    factor = min(factor, 0.40 / max(maxg, 1e-6))
    zb = zb * factor
    z = gauss_smooth(zb, sig_corner) + rollers
    z0 = rng.uniform(200, 2500) if site[0] != "Reunion" else rng.uniform(50, 1500)
    z = z - z.min() + z0 if z.min() + z0 < 0 else z + z0
    x, y = make_plan(rng, s, z)
    proj = Proj(proj="aeqd", lat_0=site[1], lon_0=site[2], ellps="WGS84")
    lon, lat = proj(x, y, inverse=True)
    _, _, dd = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    gain, loss = gain_loss(z)
    return dict(
        rng=rng,
        s=s,
        z=z,
        x=x,
        y=y,
        lat=lat,
        lon=lon,
        proj=proj,
        site=site,
        rmask=rmask,
        true_gain=gain,
        true_loss=loss,
        true_dist=float(dd.sum()),
        roller_frac=float(rmask.mean()),
        roller_gain=gain_loss(rollers)[0],
    )


def write_gpx(path, lat, lon, ele, times=None, name="blind"):
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="blind_gen" xmlns="http://www.topografix.com/GPX/1/1">',
        f"<trk><name>{name}</name><trkseg>",
    ]
    for i in range(len(lat)):
        tt = ""
        if times is not None:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + int(times[i])))
            tt = f"<time>{stamp}</time>"
        lines.append(
            f'<trkpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"><ele>{ele[i]:.1f}</ele>{tt}</trkpt>'
        )
    lines.append("</trkseg></trk></gpx>")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def geod_len(lat, lon):
    _, _, d = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return float(d.sum())


def planner(c, path, noisy=True):
    rng = c["rng"]
    s = c["s"]
    smin = rng.uniform(10, 30)
    smax = rng.uniform(smin + 2, 40)
    idx = [0]
    while idx[-1] + smax < s[-1]:
        idx.append(idx[-1] + int(round(rng.uniform(smin, smax))))
    idx.append(len(s) - 1)
    idx = np.array(idx)
    sig_dem = rng.uniform(0, 6)
    zdem = gauss_smooth(c["z"], sig_dem)
    ele = zdem[idx] + (rng.normal(0, 1.5, len(idx)) if noisy else 0)
    lat = np.round(c["lat"][idx], 7)
    lon = np.round(c["lon"][idx], 7)
    write_gpx(path, lat, lon, ele)
    reach_gain, reach_loss = gain_loss(zdem[idx])
    return dict(
        n=len(idx),
        spacing=[round(smin, 1), round(smax, 1)],
        sigma_dem=round(sig_dem, 2),
        gain_reachable=reach_gain,
        loss_reachable=reach_loss,
        seg_sum_m=geod_len(lat, lon),
    )


def recording(c, path, alt_kind):
    rng = c["rng"]
    s, z = c["s"], c["z"]
    n = len(s)
    grade = np.gradient(gauss_smooth(z, 10))
    vflat = rng.uniform(2.6, 3.8)
    tob = np.exp(-3.5 * np.abs(grade + 0.05)) / math.exp(-3.5 * 0.05)
    pace_var = 1 + ar1(rng, n, 0.08, 2000)
    v = np.clip(vflat * tob * pace_var, 1.5, 4.0)
    tcum = np.concatenate([[0], np.cumsum(1.0 / v[:-1])])  # time at each metre
    stops = []
    if rng.random() < 0.4:
        for _ in range(int(rng.integers(1, 4))):
            stops.append((rng.uniform(0.1, 0.9) * s[-1], rng.uniform(60, 300)))
        stops.sort()
        for ss, dur in stops:
            tcum[int(ss) :] += dur
    T = int(tcum[-1])
    t = np.arange(0, T + 1, dtype=float)
    st = np.interp(t, tcum, s)  # position (m along path) at each second; flat during stops
    x = np.interp(st, s, c["x"])
    y = np.interp(st, s, c["y"])
    zt = np.interp(st, s, z)
    hstd = rng.uniform(2.5, 3.5)
    htau = rng.uniform(5, 30)
    xn = x + ar1(rng, len(t), hstd, htau)
    yn = y + ar1(rng, len(t), hstd, htau)
    lon, lat = c["proj"](xn, yn, inverse=True)
    meta = dict(
        h_std=round(hstd, 2),
        h_tau=round(htau, 1),
        vflat=round(vflat, 2),
        stops=[[round(a), round(b)] for a, b in stops],
        n=len(t),
    )
    if alt_kind == "baro":
        knot_dt = 600.0
        nk = int(T // knot_dt) + 3
        end_std = rng.uniform(1.5, 4.0)
        kn = np.concatenate(
            [[0], np.cumsum(rng.normal(0, end_std / math.sqrt(max(nk - 1, 1)), nk - 1))]
        )
        drift = CubicSpline(np.arange(nk) * knot_dt, kn)(t)
        trend = rng.uniform(-4, 4) * t / max(T, 1)
        wn = rng.uniform(0.2, 0.4)
        q = float(rng.choice([0.2, 0.5]))
        ele = zt + drift + trend + rng.normal(0, wn, len(t))
        ele = np.round(ele / q) * q
        meta.update(
            drift_end_std=round(end_std, 2),
            white=round(wn, 2),
            quant=q,
            drift_range=round(float(np.ptp(drift + trend)), 2),
        )
    else:
        vstd = rng.uniform(4, 6)
        vtau = rng.uniform(5, 60)
        wn = rng.uniform(0.5, 1.0)
        ele = zt + ar1(rng, len(t), vstd, vtau) + rng.normal(0, wn, len(t))
        meta.update(v_std=round(vstd, 2), v_tau=round(vtau, 1), white=round(wn, 2))
    write_gpx(path, lat, lon, ele, times=t)
    meta["raw_len"] = geod_len(np.round(lat, 7), np.round(lon, 7))
    return meta


def write_set(outdir, base_seed=1000, n=15, nclean=5, log=None):
    """Write the set's GPX files and truth.json into `outdir`; return the truth dict.

    `log`: a file to print one line per file to (None: quiet).
    """
    os.makedirs(outdir, exist_ok=True)
    truth = {}
    for kind, off in KINDS:
        for i in range(nclean if kind == "clean" else n):
            seed = base_seed + off + i
            c = make_course(seed)
            fn = f"{kind}_{i:02d}.gpx"
            p = os.path.join(outdir, fn)
            if kind == "a":
                m = planner(c, p, noisy=True)
            elif kind == "clean":
                m = planner(c, p, noisy=False)
            else:
                m = recording(c, p, "baro" if kind == "b" else "gps")
            m.update(
                kind=kind,
                seed=seed,
                site=c["site"][0],
                lat0=c["site"][1],
                true_gain=c["true_gain"],
                true_loss=c["true_loss"],
                true_dist=c["true_dist"],
                roller_frac=round(c["roller_frac"], 3),
                roller_gain=round(c["roller_gain"], 1),
            )
            truth[fn] = m
            if log is not None:
                print(
                    fn,
                    kind,
                    c["site"][0],
                    f"L={c['true_dist'] / 1000:.1f}km",
                    f"G={c['true_gain']:.0f} L={c['true_loss']:.0f}",
                    f"n={m['n']}",
                    file=log,
                )
    with open(os.path.join(outdir, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    return truth


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("outdir")
    ap.add_argument("--n", type=int, default=15, help="files per kind a, b, c")
    ap.add_argument("--nclean", type=int, default=5, help="clean planner files")
    ap.add_argument("--base-seed", type=int, default=1000)
    a = ap.parse_args()
    write_set(a.outdir, a.base_seed, a.n, a.nclean, log=sys.stderr)


if __name__ == "__main__":
    main()
