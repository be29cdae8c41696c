"""Properties of ``coursekit profile``'s course statistics on synthetic tracks.

Each property compares what :mod:`coursekit.profile` (and the ``profile`` command's JSON)
says with a truth computed here independently: the threshold rule on whole decimetres
(integers, no float tolerance), the splits' sums and edges, the steepest 1 km by brute
force over the same profile, the km-effort and ITRA bands on their edges, the altitude
range, and the data warnings of a clean track with one fault injected.
"""

from __future__ import annotations

import json
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from coursekit.cli import cli
from coursekit.gpx import Track, read_gpx
from coursekit.profile import (
    course_stats,
    data_warnings,
    itra_km_effort,
    itra_points,
    km_effort,
    make_profile,
    published_km_effort,
    splits,
    threshold_gain_loss,
)

SETTINGS = settings(max_examples=40, deadline=None)
M_PER_DEG_LAT = 111_195.0  # about; the truths below use the profile's own distance


# ------------------------------------------------------------------ builders


def _track(steps_m, ele, time=None) -> Track:
    """A track heading north with the given steps [m] (0: a duplicate point)."""
    steps = np.asarray(steps_m, float)
    lat = 45.0 + np.concatenate([[0.0], np.cumsum(steps)]) / M_PER_DEG_LAT
    n = lat.size
    return Track(
        lat=lat,
        lon=np.full(n, 6.5),
        elevation=np.asarray(ele, float),
        time=np.full(n, np.nan) if time is None else np.asarray(time, float),
        segment=np.zeros(n, int),
    )


def _write_gpx(path: Path, track: Track) -> Path:
    """The track as GPX 1.1 through gpxpy (NaN elevations and times left out)."""
    import gpxpy.gpx

    g = gpxpy.gpx.GPX()
    trk = gpxpy.gpx.GPXTrack(name="synthetic")
    g.tracks.append(trk)
    seg = gpxpy.gpx.GPXTrackSegment()
    trk.segments.append(seg)
    for la, lo, e, t in zip(track.lat, track.lon, track.elevation, track.time, strict=True):
        seg.points.append(
            gpxpy.gpx.GPXTrackPoint(
                float(la),
                float(lo),
                elevation=float(e) if np.isfinite(e) else None,
                time=datetime.fromtimestamp(float(t), UTC) if np.isfinite(t) else None,
            )
        )
    path.write_text(g.to_xml())
    return path


def _profile_json(track: Track, *args) -> dict:
    """``coursekit profile FILE --format json ARGS``'s record of the track."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_gpx(Path(tmp) / "t.gpx", track)
        res = CliRunner().invoke(cli, ["profile", str(path), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    return rec


def _threshold_truth(dm: list, m_dm: int) -> tuple[int, int, int | None]:
    """The threshold rule on whole decimetres (None: no elevation): gain, loss, the last
    reference. Written from the rule's statement, in integers."""
    gain = loss = 0
    ref = None
    for v in dm:
        if v is None:
            continue
        if ref is None:
            ref = v
        elif v - ref >= m_dm and v > ref:
            gain += v - ref
            ref = v
        elif ref - v >= m_dm and v < ref:
            loss += ref - v
            ref = v
    return gain, loss, ref


# elevations in whole decimetres (a GPX's 0.1 m), some missing
decimetres = st.lists(st.one_of(st.integers(1_000, 30_000), st.none()), min_size=1, max_size=120)
thresholds_dm = st.integers(0, 300)


def _metres(dm: list) -> np.ndarray:
    return np.array([np.nan if v is None else v / 10 for v in dm])


@st.composite
def tracks(draw, min_points=2, max_points=80, dup=True):
    """Steps of 1-300 m (some 0: duplicates) and an altitude walk in decimetres."""
    n = draw(st.integers(min_points, max_points))
    step = st.integers(0, 300) if dup else st.integers(1, 300)
    steps = draw(st.lists(step, min_size=n - 1, max_size=n - 1))
    dz = draw(st.lists(st.integers(-400, 400), min_size=n, max_size=n))
    dm = (15_000 + np.cumsum(dz)).tolist()
    return steps, dm


# ------------------------------------------------------------------ threshold rule


@SETTINGS
@given(decimetres, thresholds_dm)
@example([10141, 10241, 10141, 10241], 100)  # 1014.1 / 1024.1: exactly 10 m in decimal
def test_threshold_rule_matches_the_rule_in_integers(dm, m_dm):
    gl = threshold_gain_loss(_metres(dm), m_dm / 10)
    gain, loss, ref = _threshold_truth(dm, m_dm)
    assert gl.gain[-1] == pytest.approx(gain / 10, abs=1e-9)
    assert gl.loss[-1] == pytest.approx(loss / 10, abs=1e-9)
    # gain - loss is the last reference less the first altitude, and the last altitude
    # is less than the threshold from the last reference
    known = [v for v in dm if v is not None]
    if known:
        assert gain - loss == ref - known[0]
        assert abs(known[-1] - ref) < max(m_dm, 1)
    # cumulative: non-decreasing, 0 before the first altitude, flat over missing points
    assert np.all(np.diff(gl.gain) >= 0) and np.all(np.diff(gl.loss) >= 0)
    for k in range(len(dm)):
        prefix = _threshold_truth(dm[: k + 1], m_dm)
        assert gl.gain[k] == pytest.approx(prefix[0] / 10, abs=1e-9)
        assert gl.loss[k] == pytest.approx(prefix[1] / 10, abs=1e-9)


@SETTINGS
@given(decimetres)
def test_threshold_zero_reversed_swaps_gain_and_loss(dm):
    """At M = 0 every change counts: reversing the track swaps D+ and D- exactly."""
    e = _metres(dm)
    fwd, back = threshold_gain_loss(e, 0.0), threshold_gain_loss(e[::-1], 0.0)
    assert fwd.gain[-1] == pytest.approx(back.loss[-1], abs=1e-9)
    assert fwd.loss[-1] == pytest.approx(back.gain[-1], abs=1e-9)


def test_threshold_reversed_is_not_a_swap_above_zero():
    """Above 0 the rule depends on where it starts (its reference is the first point):
    it promises no symmetry, and none holds. 0, 6, 3 at 5 m: forward D+ 6 (0 -> 6, then
    3 is 3 m below); backward 3, 6, 0 counts nothing (6 and 0 are 3 m from 3)."""
    e = np.array([0.0, 6.0, 3.0])
    fwd, back = threshold_gain_loss(e, 5.0), threshold_gain_loss(e[::-1], 5.0)
    assert (fwd.gain[-1], fwd.loss[-1]) == (6.0, 0.0)
    assert (back.gain[-1], back.loss[-1]) == (0.0, 0.0)


@SETTINGS
@given(tracks(dup=False), thresholds_dm, st.data())
def test_profile_with_threshold_is_the_rule_on_the_file(tr, m_dm, data):
    """make_profile(gain_threshold=M) on a track with missing altitudes: the rule's
    figures (no 0 m in the series: no dropout cleaning)."""
    steps, dm = tr
    holes = data.draw(st.lists(st.integers(0, len(dm) - 1), max_size=len(dm) // 2))
    for k in holes:
        dm[k] = None
    assume(any(v is not None for v in dm))
    p = make_profile(_track(steps, _metres(dm)), gain_threshold=m_dm / 10)
    gain, loss, _ = _threshold_truth(dm, m_dm)
    assert p.total_gain == pytest.approx(gain / 10, abs=1e-9)
    assert p.total_loss == pytest.approx(loss / 10, abs=1e-9)
    st_ = course_stats(p)
    known = [v / 10 for v in dm if v is not None]
    # the range of the altitudes (gaps interpolated between them, within it)
    assert st_.min_elevation_m == min(known) and st_.max_elevation_m == max(known)


@SETTINGS
@given(tracks(min_points=3, max_points=50, dup=False), thresholds_dm, st.data())
def test_dropouts_to_zero_are_missing_for_the_rule_and_the_range(tr, m_dm, data):
    """Points written at 0 m inside a profile far above 0 (an app's missing altitude) are
    skipped by the threshold rule and are not the course's lowest altitude."""
    steps, dm = tr
    assume(min(dm) >= 500)  # every neighbour of a 0 m point is 50 m or more above it
    zeros = set(data.draw(st.lists(st.integers(0, len(dm) - 1), max_size=5)))
    kept = [None if k in zeros else v for k, v in enumerate(dm)]
    assume(any(v is not None for v in kept))
    written = [0 if v is None else v for v in kept]
    p = make_profile(_track(steps, _metres(written)), gain_threshold=m_dm / 10)
    gain, loss, _ = _threshold_truth(kept, m_dm)
    assert p.total_gain == pytest.approx(gain / 10, abs=1e-9)
    assert p.total_loss == pytest.approx(loss / 10, abs=1e-9)
    assert p.dropouts == len(zeros)
    s = course_stats(p)
    known = [v / 10 for v in kept if v is not None]
    assert s.min_elevation_m == min(known) and s.max_elevation_m == max(known)


# ------------------------------------------------------------------ splits


def _check_splits(p, sp, every, total):
    n = sp.start_m.size
    assert n >= 1
    assert sp.start_m[0] == 0.0 and sp.end_m[-1] == total
    assert np.array_equal(sp.start_m[1:], sp.end_m[:-1])
    # edges at multiples of the split length; every row but the last one split long
    assert np.array_equal(sp.start_m, every * np.arange(n))
    lengths = sp.end_m - sp.start_m
    assert np.allclose(lengths[:-1], every, rtol=0, atol=1e-9 * max(total, 1.0))
    if total > 0:
        assert 0 < lengths[-1] <= every * (1 + 1e-12)
    assert lengths.sum() == pytest.approx(total, rel=1e-12, abs=1e-9)
    # the rows add up to the totals (the cumulative D+/D- cut at the edges)
    assert sp.gain_m.sum() == pytest.approx(p.total_gain, abs=1e-6)
    assert sp.loss_m.sum() == pytest.approx(p.total_loss, abs=1e-6)
    assert np.all(sp.gain_m >= -1e-9) and np.all(sp.loss_m >= -1e-9)


@SETTINGS
@given(
    tracks(),
    st.one_of(st.none(), st.integers(0, 300)),
    st.sampled_from([100.0, 250.0, 1000.0, 1234.5, 5000.0]),
)
@example(([0, 120, 150, 90], [10000, 10200, 10200, 10200, 10200]), 50, 100.0)
def test_splits_add_up_and_cut_at_multiples(tr, m_dm, every):
    """On any track (duplicate points included: a planner repeats its first point with
    another altitude), the splits' D+/D- add up to the totals."""
    steps, dm = tr
    track = _track(steps, _metres(dm))
    p = make_profile(track, gain_threshold=None if m_dm is None else m_dm / 10)
    _check_splits(p, splits(p, every), every, p.total_distance)
    along = np.concatenate([[0.0], np.cumsum(np.diff(p.distance) * 1.01)])
    sp = splits(p, every, along=along)
    _check_splits(p, sp, every, float(along[-1]))
    assert sp.map_start_m[0] == 0.0 and sp.map_end_m[-1] == p.total_distance


def test_splits_keep_the_climb_of_a_repeated_first_point():
    """The start written twice, 20 m apart in altitude (a planner's first point and its
    elevation-model one): the threshold rule counts the 20 m at the second point; the
    first split has them, as the total does. It had 0 m: the cumulative D+ at km 0 was
    read at the repeated point (np.interp takes the last of equal distances)."""
    p = make_profile(_track([0, 100, 100], [1000, 1020, 1020, 1020]), gain_threshold=5)
    assert p.total_gain == 20.0
    sp = splits(p, 1000.0)
    assert sp.gain_m.tolist() == [20.0]


@settings(max_examples=10, deadline=None)
@given(tracks(min_points=5, max_points=40), st.integers(0, 100), st.sampled_from(["0.5", "1"]))
def test_cli_splits_add_up_to_the_printed_totals(tr, m_dm, every):
    """JSON: the splits' D+/D- add up to the printed D+/D- (the code says so), and the
    last split ends at the total on the km of ``km_basis``."""
    steps, dm = tr
    rec = _profile_json(
        _track(steps, _metres(dm)), "--gain-threshold", str(m_dm / 10), "--splits", every
    )
    rows = rec["splits"]
    assert sum(r["gain_m"] for r in rows) == rec["gain_m"]
    assert sum(r["loss_m"] for r in rows) == rec["loss_m"]
    assert rows[0]["start_m"] == 0 and rows[-1]["end_m"] == rec["distance_3d_m"]
    assert rows[-1]["map_end_m"] == rec["distance_m"]
    assert all(a["end_m"] == b["start_m"] for a, b in zip(rows, rows[1:], strict=False))


# ------------------------------------------------------------------ steepest 1 km


def _altitudes_at(d, e, x):
    """Every altitude the profile takes at each ``x`` (rows): the interpolation, and at
    a distance written more than once (a step) the altitude of each of its points."""
    at = np.interp(x, d, e)[:, None]
    near = np.abs(x[:, None] - d[None, :]) <= 1e-9
    return np.where(near, e[None, :], at), near.any(axis=1)


def _brute_steepest(d, e, length=1000.0):
    """Most and least rise over 1 km: starts on a fine grid and at every vertex, each
    end at its interpolation or at any point written at that distance."""
    starts = np.concatenate([np.linspace(0.0, d[-1] - length, 4001), d, d - length])
    starts = starts[(starts >= 0) & (starts <= d[-1] - length)]
    e0, _ = _altitudes_at(d, e, starts)
    e1, _ = _altitudes_at(d, e, starts + length)
    return (e1.max(axis=1) - e0.min(axis=1)).max(), (e1.min(axis=1) - e0.max(axis=1)).min()


def _is_a_window(d, e, at, rise, length=1000.0):
    """``rise`` is the rise of the window from ``at``, its ends read either way."""
    e0, _ = _altitudes_at(d, e, np.array([at]))
    e1, _ = _altitudes_at(d, e, np.array([at + length]))
    rises = (e1[0][:, None] - e0[0][None, :]).ravel()
    return bool(np.any(np.abs(rises - rise) <= 1e-6))


@SETTINGS
@given(tracks(min_points=3, max_points=60), st.one_of(st.none(), st.integers(0, 100)))
@example(
    ([0] * 27 + [1] + [0] * 15 + [101, 300, 300, 300], [15000] * 28 + [15001] * 15 + [15000] * 5),
    None,
)
def test_steepest_km_is_the_steepest_window(tr, m_dm):
    """At least as steep as any window by brute force on the same profile (a repeated
    point with another altitude is a step of it), and itself a window."""
    steps, dm = tr
    p = make_profile(_track(steps, _metres(dm)), gain_threshold=None if m_dm is None else m_dm)
    s = course_stats(p)
    d, e = p.distance, p.elevation
    if d[-1] < 1000.0:  # no 1 km to measure on: unknown, not a grade of a shorter piece
        assert all(math.isnan(x) for x in s[8:12])
        return
    up, down = _brute_steepest(d, e)
    if up > 1e-9:
        assert s.steepest_up_grade * 1000 >= up - 1e-9
        assert 0 <= s.steepest_up_at_m <= d[-1] - 1000
        assert _is_a_window(d, e, s.steepest_up_at_m, s.steepest_up_grade * 1000)
    elif up <= 0:
        assert math.isnan(s.steepest_up_grade) and math.isnan(s.steepest_up_at_m)
    if down < -1e-9:
        assert s.steepest_down_grade * 1000 <= down + 1e-9
        assert 0 <= s.steepest_down_at_m <= d[-1] - 1000
        assert _is_a_window(d, e, s.steepest_down_at_m, s.steepest_down_grade * 1000)
    elif down >= 0:
        assert math.isnan(s.steepest_down_grade) and math.isnan(s.steepest_down_at_m)


def test_steepest_km_falls_into_a_repeated_point():
    """A point written twice, 100 m apart in altitude, at km 0.5 of a flat 1.6 km: the
    threshold rule counts 100 m up and 100 m down there, and the km from just before
    0.5 to 1.5 falls 100 m. The steepest descent was NaN ("no km falls"): the windows
    were read at the repeated point's second altitude only."""
    p = make_profile(_track([500, 0, 1100], [1000, 1100, 1000, 1000]), gain_threshold=10)
    assert (p.total_gain, p.total_loss) == (100.0, 100.0)
    s = course_stats(p)
    assert s.steepest_down_grade == pytest.approx(-0.1)
    assert s.steepest_down_at_m == pytest.approx(p.distance[1])
    assert math.isnan(s.steepest_up_grade)


def test_cli_steepest_km_of_a_short_track_is_null():
    """Under 1 km of track there is no steepest km: null in JSON, no line in the text."""
    track = _track([100] * 8, [1000 + 30 * k for k in range(9)])
    rec = _profile_json(track)
    for key in ("grade", "start_m", "start_along_m"):
        assert rec[f"steepest_up_1km_{key}"] is None
        assert rec[f"steepest_down_1km_{key}"] is None
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_gpx(Path(tmp) / "t.gpx", track)
        res = CliRunner().invoke(cli, ["profile", str(path)])
    assert res.exit_code == 0 and "steepest" not in res.stdout


# ------------------------------------------------------------------ km-effort, ITRA

ITRA_EDGES = [(25, 1), (45, 2), (75, 3), (115, 4), (155, 5), (210, 6)]


@pytest.mark.parametrize(("edge", "pts"), ITRA_EDGES)
def test_itra_band_edges(edge, pts):
    """A band starts at its whole km-effort, which a km-effort from edge - 0.5 (halves
    up) reaches; edge - 0.51 is the band below."""
    for kme, want in ((edge, pts), (edge - 0.5, pts), (edge - 0.51, pts - 1), (edge + 0.49, pts)):
        assert itra_points(kme) == want, kme
    assert itra_km_effort(edge - 0.5) == edge and itra_km_effort(edge - 0.51) == edge - 1


@SETTINGS
@given(st.integers(0, 400_000), st.integers(0, 30_000), st.integers(0, 99))
def test_published_km_effort_on_hundredths(dist_dm, gain_m, frac):
    """km to 0.01 + D+ to the metre / 100, within 0.01 of km + D+/100; the points are
    those of its band."""
    d = dist_dm / 10
    g = gain_m + frac / 100
    kme = published_km_effort(d, g)
    assert kme == pytest.approx(round(d / 1000, 2) + round(g) / 100, abs=1e-9)
    assert abs(kme - km_effort(d, g)) <= 0.01 + 1e-9
    whole = math.floor(kme + 0.5)
    band = max([pts for edge, pts in ITRA_EDGES if whole >= edge], default=0)
    assert itra_points(kme) == band


@settings(max_examples=10, deadline=None)
@given(tracks(min_points=3, max_points=30, dup=False), st.integers(0, 100))
def test_cli_km_effort_is_the_printed_figures(tr, m_dm):
    steps, dm = tr
    rec = _profile_json(_track(steps, _metres(dm)), "--gain-threshold", str(m_dm / 10))
    p = make_profile(_track(steps, _metres(dm)), gain_threshold=m_dm / 10)
    kme = round(p.total_distance / 1000, 2) + round(p.total_gain) / 100
    assert rec["km_effort"] == pytest.approx(kme, abs=1e-9)
    assert rec["km_effort_itra"] == math.floor(rec["km_effort"] + 0.5)
    assert rec["itra_points"] == itra_points(rec["km_effort"])


# ------------------------------------------------------------------ elevation range


def test_no_elevation_gives_null_not_zero():
    """Without altitude (none written, or 0 m at every point) the range, D+/D- and
    km-effort are unknown: NaN in Stats, null in JSON, never 0."""
    for ele in ([np.nan] * 21, [0.0] * 21):
        track = _track([150] * 20, ele)
        s = course_stats(make_profile(track))
        assert math.isnan(s.min_elevation_m) and math.isnan(s.max_elevation_m)
        assert math.isnan(s.gain_m) and s.itra_points is None
        rec = _profile_json(track)
        for key in ("min_elevation_m", "max_elevation_m", "gain_m", "loss_m", "km_effort"):
            assert rec[key] is None, key
        assert rec["itra_points"] is None


# ------------------------------------------------------------------ data warnings


def _clean(n: int, seed: int) -> Track:
    """A clean recording: 10 s and 20-40 m apart, a smooth climb and descent."""
    rng = np.random.default_rng(seed)
    steps = rng.uniform(20, 40, n - 1)
    x = np.concatenate([[0.0], np.cumsum(steps)])
    ele = 1200 + 300 * np.sin(x / 3000) + 20 * np.sin(x / 400)
    return _track(steps, np.round(ele, 1), 1.7e9 + 10.0 * np.arange(n))


def _with(track: Track, **kw) -> Track:
    fields = dict(
        lat=track.lat, lon=track.lon, elevation=track.elevation, time=track.time,
        segment=track.segment,
    )  # fmt: skip
    fields.update(kw)
    return Track(**fields)


@settings(max_examples=20, deadline=None)
@given(st.integers(20, 200), st.integers(0, 10_000), st.data())
def test_data_warnings_name_each_injected_fault(n, seed, data):
    clean = _clean(n, seed)
    assert data_warnings(clean) == []
    k = data.draw(st.integers(1, n - 1), label="fault at")
    # a pause of over 5 min
    t = clean.time.copy()
    t[k:] += data.draw(st.floats(301, 7200))
    (w,) = data_warnings(_with(clean, time=t))
    assert "time gap" in w
    # a jump of 1-5 km between two points
    lat = clean.lat.copy()
    lat[k:] += data.draw(st.floats(1000, 5000)) / M_PER_DEG_LAT
    (w,) = data_warnings(_with(clean, lat=lat))
    assert "1 jump(s)" in w
    # a point written twice
    idx = np.insert(np.arange(n), k, k)
    dup = Track(clean.lat[idx], clean.lon[idx], clean.elevation[idx], clean.time[idx],
                clean.segment[idx])  # fmt: skip
    assert data_warnings(dup) == ["1 duplicate consecutive point"]
    # one altitude 80-500 m off, anywhere (the first and last points included; the
    # neighbours of a point are up to about 12 m from it on this track)
    j = data.draw(st.integers(0, n - 1), label="spike at")
    ele = clean.elevation.copy()
    ele[j] += data.draw(st.sampled_from([-1, 1])) * data.draw(st.floats(80, 500))
    assert data_warnings(_with(clean, elevation=ele)) == [
        "1 elevation spike(s) over 50 m from their neighbours"
    ]


def test_spike_at_the_first_point_is_reported(tmp_path):
    """A GPS's first fix often has its altitude wrong: +300 m at the first point of a
    clean recording is a spike, as anywhere else (the median of 5 padded with the end
    value three times took the spike itself as its neighbours' median: never reported)."""
    clean = _clean(60, 1)
    for j in (0, 59):
        ele = clean.elevation.copy()
        ele[j] += 300
        path = _write_gpx(tmp_path / f"spike{j}.gpx", _with(clean, elevation=ele))
        warnings = course_stats(make_profile(read_gpx(path))).warnings
        assert "1 elevation spike(s) over 50 m from their neighbours" in warnings


def test_profile_at_the_start_is_the_first_point():
    """Profile.at (the legs' rows, the splits' edges) reads km 0 at the first point of a
    start written twice with two altitudes: D+ 0 there, all 20 m in the first leg. It
    read the repeated point: the legs' start row had 20 m of D+ and the first leg none."""
    from coursekit.checkpoints import Located, legs_from_located

    p = make_profile(_track([0, 600, 600], [1000, 1020, 1020, 1020]), gain_threshold=5)
    ele, gain, loss = p.at(0.0)
    assert (ele, gain, loss) == (1000.0, 0.0, 0.0)
    ele, gain, _ = p.at(np.array([0.0, 300.0, p.total_distance]))
    assert ele.tolist() == [1000.0, 1020.0, 1020.0] and gain.tolist() == [0.0, 20.0, 20.0]
    none = np.array([])
    legs = legs_from_located(p, [], Located(none, none, none, none, ()))
    assert legs.gain.tolist() == [0.0, 20.0] and legs.elevation[0] == 1000.0
