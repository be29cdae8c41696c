"""The simulated field calibrated on a past edition's split times (`coursekit event --times`)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from coursekit.cli import cli
from coursekit.course import load_course
from coursekit.cutoffs import plan, plan_runner
from coursekit.errors import HistoryError
from coursekit.event import (
    Race,
    _history_race_from_csv,
    history_race,
    load_event_plan,
    simulate_race,
)
from coursekit.field import fit_reference_fatigue
from coursekit.history import timed_ends

H = 3600.0
START = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
NAMES = ["Start", "Aid 1", "Aid 2", "Aid 3", "Aid 4", "Finish"]
KM = [6.0, 12.0, 18.0, 24.0]


def _write_course(tmp_path: Path, limit="9h") -> Path:
    """A 30 km out-and-up course: 600 m climb, 600 m descent, rollers (GPX written here)."""
    s = np.arange(0.0, 30_001.0, 50.0)
    z = 800 + 600 * np.sin(np.pi * s / 30_000.0) + 20 * np.sin(2 * np.pi * s / 1500.0)
    lat = 31.0 + s / 111_000.0
    pts = "\n".join(
        f'<trkpt lat="{a:.6f}" lon="-7.900000"><ele>{e:.1f}</ele></trkpt>'
        for a, e in zip(lat, z, strict=True)
    )
    (tmp_path / "c.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>c</name><trkseg>'
        f"{pts}</trkseg></trk></gpx>"
    )
    pairs = zip(NAMES[1:-1], KM, strict=True)
    cps = "".join(f'\n[[checkpoints]]\nname = "{n}"\nkm = {k}\n' for n, k in pairs)
    path = tmp_path / "c.toml"
    path.write_text(
        f'name = "Test 30"\ngpx = "c.gpx"\nstart = {START.isoformat()}\nlimit = "{limit}"\n'
        'timezone = "Africa/Casablanca"\n' + cps
    )
    return path


def _past_field(p, *, median_s=5.5 * H, fatigue=0.4, n=3000, seed=0, start_compression=0.0):
    """Split times of a field around a known median runner of the pace model; with
    ``start_compression`` a, a runner's deviation weighs 1 - a exp(-tau_k / 0.79 h) on leg k
    (tau_k the median runner's time at the leg's middle)."""
    arr, _, _ = plan_runner(p)(median_s, fatigue)
    rng = np.random.default_rng(seed)
    theta = 0.15 * rng.standard_normal(n)
    r = np.diff(arr)
    h = 1.0 - start_compression * np.exp(-(np.cumsum(r) - r / 2) / (0.79 * H))
    legs = r[None, :] * np.exp(theta[:, None] * h + 0.03 * rng.standard_normal((n, 5)))
    E = np.c_[np.zeros(n), np.cumsum(legs, axis=1)]
    status = np.array(["FINISHER"] * n, dtype=object)
    quit_ = rng.random(n) < 0.1
    for i in np.nonzero(quit_)[0]:
        E[i, rng.integers(2, 6) :] = np.nan
        status[i] = "ABANDON"
    return arr, E, status.astype(str)


def _spring_forward_course(tmp_path: Path):
    """The course of :func:`_write_course` in Europe/Paris, starting at midnight before
    the clocks go forward (31 Mar 2024, 02:00 -> 03:00): its path, start and plan."""
    path = _write_course(tmp_path)
    start = dt.datetime(2024, 3, 31, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    text = path.read_text().replace(START.isoformat(), start.isoformat())
    path.write_text(text.replace("Africa/Casablanca", "Europe/Paris"))
    return path, start, plan(load_course(path))


def _write_times(path: Path, E, status, columns=NAMES):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["bib", "status", *columns])
        for i, (row, st) in enumerate(zip(E, status, strict=True)):
            stamps = [
                (START + dt.timedelta(seconds=float(t))).isoformat() if np.isfinite(t) else ""
                for t in row
            ]
            w.writerow([i + 1, st, *stamps])


def test_fit_reference_fatigue_recovers_the_model_runner(tmp_path):
    p = plan(load_course(_write_course(tmp_path)))
    runner = plan_runner(p)
    arr, _, _ = runner(5.5 * H, 0.36)
    f, fitted, _ = fit_reference_fatigue(arr, np.ones(arr.size, bool), runner)
    assert f == pytest.approx(0.36, abs=1e-9)
    np.testing.assert_allclose(fitted, arr, rtol=1e-9)
    # only the finish measured: any fatigue fits, the finish is kept
    f, fitted, _ = fit_reference_fatigue(arr, np.zeros(arr.size, bool), runner)
    assert fitted[-1] == pytest.approx(arr[-1])


def test_model_runner_scales_a_runner_faster_than_the_solver_allows(tmp_path):
    p = plan(load_course(_write_course(tmp_path)))
    arr, lead, v0 = plan_runner(p)(1.2 * H, 0.3)  # ~27 km/h on the flat: solve() refuses it
    assert arr[-1] == pytest.approx(1.2 * H, rel=1e-6)
    assert np.all(np.diff(arr) > 0)
    assert v0 > 30 / 3.6 * 0.9


def test_history_race_places_the_past_median_on_the_course(tmp_path):
    p = plan(load_course(_write_course(tmp_path)))
    arr, E, status = _past_field(p)
    race = history_race(p, E, status, source="synthetic")
    # the median finisher of the past field, placed by the pace model: within 2 % everywhere
    np.testing.assert_allclose(race.field_elapsed[1:], arr[1:], rtol=0.02)
    assert race.field.finish_share == pytest.approx(np.mean(status == "FINISHER"))
    assert 0.11 < race.field.spread < 0.19
    assert "synthetic" in race.field_note
    # barriers, leader and station windows stay this plan's
    np.testing.assert_array_equal(race.cutoff_elapsed, p.cutoff_elapsed)
    np.testing.assert_array_equal(race.first_arrival_elapsed, p.first_arrival_elapsed)
    sim = simulate_race(
        race,
        n_runners=3000,
        repetitions=4,
        seed=1,
    )
    fin = status == "FINISHER"
    for k, q in enumerate((0.1, 0.5, 0.9)):
        actual = np.quantile(E[fin, -1], q)
        assert sim.arrival_quantiles[k, -1] == pytest.approx(actual, rel=0.04)


def test_history_race_with_missing_checkpoint_columns(tmp_path):
    p = plan(load_course(_write_course(tmp_path)))
    arr, E, status = _past_field(p)
    E[:, [2, 3]] = np.nan  # two checkpoints were not timed last year
    race = history_race(p, E, status)
    np.testing.assert_allclose(race.field_elapsed[1:], arr[1:], rtol=0.02)
    assert "3 of 5 checkpoints timed" in race.field_note


def test_timed_ends_finds_start_and_finish_by_the_times():
    # columns out of course order: finish first, then start, then a checkpoint
    t = np.array([[300.0, 0.0, 100.0], [320.0, 5.0, 90.0], [np.nan, 2.0, 110.0]])
    assert timed_ends([None, 2, None], t) == ([1, 2, 0], ["start", "finish"])
    assert timed_ends([1, 2, 0], t) == ([1, 2, 0], [])  # mapped ends are kept
    # a loop: start and finish share the name "Village", the name found one column;
    # the times say it is the finish (passed last), and the start is the first column
    assert timed_ends([0, 2, None], t) == ([1, 2, 0], ["start"])
    # no start column: the earliest column is a checkpoint passed over hours -> not a start
    h = 3600.0
    t2 = np.array([[1 * h, 5 * h], [2 * h, 7 * h], [4 * h, 9 * h]])  # "Ravito", "Finish"
    mapping, found = timed_ends([None, None, 1], t2)
    assert mapping[0] is None and found == []


def test_cli_event_times_on_a_course_file(tmp_path):
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, seed=3)
    times = tmp_path / "past.csv"
    # last year's file says Départ/Arrivée and lists the finish first
    cols = ["Arrivée", "Départ", *NAMES[1:-1]]
    _write_times(times, E[:, [5, 0, 1, 2, 3, 4]], status, cols)
    args = ["event", str(course), "--simulate", "2000", "--repetitions", "4", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "--format", "json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)["simulation"]["races"][0]
    assert "past.csv" in r["field"]
    fin = status == "FINISHER"
    med = dt.datetime.fromisoformat(r["checkpoints"][-1]["arrival_p50"]) - START
    assert med.total_seconds() == pytest.approx(np.median(E[fin, -1]), rel=0.04)
    assert r["params"]["finish_share"] == pytest.approx(fin.mean(), abs=1e-3)
    # the same with the race named, and in text
    res = CliRunner().invoke(cli, [*args, "--times", f"Test 30={times}"])
    assert res.exit_code == 0, res.output
    assert "field fitted on past.csv" in res.output
    # the default field differs from the calibrated one
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert json.loads(res.output)["simulation"]["races"][0]["field"] is None


@pytest.mark.parametrize(
    "extra, message, code",
    [  # exit status 2: the option's value is wrong (a usage error); 1: the file named is
        (
            ["--times", "Nope={times}", "--simulate", "10"],
            "'--times': {course}: --times for 'Nope'",
            2,
        ),
        (["--times", "{times}"], "--times needs --simulate", 2),
        (["--times", "{bad}", "--simulate", "10"], "no column for the finish row", 1),
        (["--times", "{tmp}/missing.csv", "--simulate", "10"], "missing.csv", 1),
        (["--times", "{few}", "--simulate", "10"], "few.csv: fit_field: only 5 finishers", 1),
        (["--times", "{times}", "--times", "Test 30={times}", "--simulate", "10"], "twice", 2),
    ],
)
def test_cli_event_times_errors(tmp_path, extra, message, code):
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=200)
    _write_times(tmp_path / "t.csv", E, status)
    _write_times(tmp_path / "bad.csv", E[:, :1], status, ["Start"])
    _write_times(tmp_path / "few.csv", E[:5], status[:5])
    fill = {"times": tmp_path / "t.csv", "bad": tmp_path / "bad.csv", "tmp": tmp_path}
    fill["few"] = tmp_path / "few.csv"
    res = CliRunner().invoke(cli, ["event", str(course), *[x.format(**fill) for x in extra]])
    assert res.exit_code == code, res.output
    assert message.format(course=course) in res.output
    assert "Traceback" not in res.output


def test_load_event_plan_single_course_is_an_event_of_one(tmp_path):
    ev = load_event_plan(_write_course(tmp_path))
    assert [r.name for r in ev.races] == ["Test 30"]
    assert ev.name == "Test 30"


# ---------------------------------------------------------------- real data


def _realdata_course(tmp_path, realdata, realdata_index, rid, limit="26h") -> Path:
    """A course file of a realdata race-edition: its GPX, checkpoints at their declared km
    scaled to the track, no barrier."""
    from coursekit.gpx import read_gpx
    from coursekit.profile import make_profile

    e = next(x for x in realdata_index["editions"] if x["id"] == rid)
    with (realdata / e["files"]["checkpoints"]).open(encoding="utf-8") as fh:
        cps = list(csv.DictReader(fh))
    gpx = realdata / e["files"]["gpx"]
    length = make_profile(read_gpx(gpx)).total_distance
    scale = length / float(cps[-1]["distance_m"])
    lines = [
        f'name = "{rid}"',
        f'gpx = "{gpx}"',
        f"start = {e.get('start_local_corrected') or e['start']}",
        f'limit = "{limit}"',
    ]
    for c in cps[1:-1]:
        lines += ["[[checkpoints]]", f'name = "{c["short_name"]}"']
        lines += [f"km = {float(c['distance_m']) * scale / 1000:.3f}"]
    course = tmp_path / f"{rid}.toml"
    course.write_text("\n".join(lines) + "\n")
    return course


def test_templiers_endurance_2024_from_the_2023_field(tmp_path, realdata, realdata_index):
    """Last year's field on this year's course: arrival percentiles within 10 % at the finish."""
    e = next(x for x in realdata_index["editions"] if x["id"] == "templiers_endurance_2024")
    course = _realdata_course(tmp_path, realdata, realdata_index, "templiers_endurance_2024")
    past = realdata / "templiers_endurance_2023_times.csv"
    ev = load_event_plan(course, history={"": past})
    race = ev.races[0]
    sim = simulate_race(
        race,
        n_runners=1200,
        repetitions=20,
        seed=0,
    )
    # this year's actual finish times
    with (realdata / e["files"]["times"]).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    el = []
    for r in rows:
        if r["status"] == "FINISHER" and r["Départ"] and r["Arrivée"]:
            t0 = dt.datetime.fromisoformat(r["Départ"])
            el.append((dt.datetime.fromisoformat(r["Arrivée"]) - t0).total_seconds())
    actual = np.quantile(el, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(sim.arrival_quantiles[:, -1], actual, rtol=0.10)


@pytest.mark.parametrize(
    ("rid", "limit", "lo", "hi"),
    [
        ("templiers_endurance_2023", "26h", 0.25, 0.6),
        ("templiers_endurance_2024", "26h", 0.25, 0.6),
        ("templiers_gtt_2023", "19h", 0.0, 0.2),
        ("templiers_gtt_2024", "19h", 0.0, 0.2),
    ],
)
def test_templiers_start_compression_from_own_split_times(
    tmp_path, realdata, realdata_index, rid, limit, lo, hi
):
    """The start as each edition's split times show it (eighteenth sprint): at the
    Endurance the first checkpoint's slope is well below the pace model's (0.54 against
    0.67 at 1.1 h), so its field is compressed at the start; the GTT's is not (0.70-0.75
    against 0.68-0.69): fitted 0.39 / 0.45 and 0.01 / 0.13 (DEFAULT_FIELD 0.25)."""
    course = _realdata_course(tmp_path, realdata, realdata_index, rid, limit)
    ev = load_event_plan(course, history={"": realdata / f"{rid}_times.csv"})
    assert lo <= ev.races[0].field.start_compression <= hi


def test_cli_event_times_needs_a_race_name_on_an_event(tmp_path):
    root = Path(__file__).resolve().parent.parent / "courses" / "haut"
    if not (root / "event.toml").is_file():
        pytest.skip("bundled HAUT event not present")
    p = plan(load_course(_write_course(tmp_path)))
    _, E, status = _past_field(p, n=100)
    _write_times(tmp_path / "t.csv", E, status)
    args = ["event", str(root), "--simulate", "10", "--repetitions", "2"]
    res = CliRunner().invoke(cli, [*args, "--times", str(tmp_path / "t.csv")])
    assert res.exit_code == 2, res.output  # the option's value: click's usage error
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("Error: Invalid value for '--times': ")
    assert last.endswith("name the race, RACE=TIMES.csv")


def test_history_race_fits_on_measured_rows_only(tmp_path):
    """Checkpoints timed for 40 % of the field are interpolated by fit_field: not fitted on."""
    p = plan(load_course(_write_course(tmp_path)))
    arr, E, status = _past_field(p, median_s=5.5 * H)
    rng = np.random.default_rng(1)
    E[rng.random(len(E)) < 0.6, 1:5] = np.nan  # aids timed for ~40 % only
    race = history_race(p, E, status)
    assert "0 of 5 checkpoints timed" not in race.field_note
    assert "1 of 5 checkpoints timed" in race.field_note  # the finish
    np.testing.assert_allclose(race.field_elapsed[-1], arr[-1], rtol=0.02)


def test_history_race_takes_the_start_from_the_past_split_times(tmp_path):
    """The --times route's start compression is fitted on last year's slopes against the
    pace-model weights it simulates with (fit_start_compression): a past field whose
    deviations were compressed at the start (a = 0.6) gives a larger one than the same
    runners without, and the fit's other parameters do not move."""
    from coursekit.field import fit_field, fit_start_compression

    p = plan(load_course(_write_course(tmp_path)))
    _, E0, st0 = _past_field(p)
    _, E6, st6 = _past_field(p, start_compression=0.6)
    race0, race6 = history_race(p, E0, st0), history_race(p, E6, st6)
    fit6 = fit_field(E6, st6, leg_effort=race6.leg_effort, cutoff_elapsed=race6.cutoff_elapsed)
    a6 = fit_start_compression(fit6.slopes, fit6.reference_elapsed, race6.leg_weights)
    assert race6.field.start_compression == a6
    assert race6.field.start_compression > race0.field.start_compression + 0.3
    assert race6.field.spread == fit6.params.spread
    assert race6.field.leg_sigma == fit6.params.leg_sigma


def test_from_plan_field_runner_loses_the_field_speed_share(tmp_path):
    """Without history the simulated field follows the model runner who loses
    FIELD_SPEED_LOSS of his speed by the finish (not the barriers' last finisher), with
    the field's own grade weights FIELD_GRADE (not the barriers')."""
    from coursekit.event import Race
    from coursekit.field import FIELD_GRADE, FIELD_SPEED_LOSS

    p = plan(load_course(_write_course(tmp_path)))
    race = Race.from_plan(p)
    # the plan's last finisher stays the reference of the station windows
    np.testing.assert_allclose(race.reference_elapsed, p.arrival_elapsed)
    effort = float(np.sum(race.leg_effort))
    field = p.params.with_(up=FIELD_GRADE[0], down=FIELD_GRADE[1])
    want, _, _ = plan_runner(p, params=field)(
        p.cutoff_elapsed[-1], FIELD_SPEED_LOSS / (effort / 100)
    )
    np.testing.assert_allclose(race.field_elapsed, want, rtol=1e-9)
    if (p.params.up, p.params.down) != FIELD_GRADE:  # the barriers' weights differ
        other, _, _ = plan_runner(p)(p.cutoff_elapsed[-1], FIELD_SPEED_LOSS / (effort / 100))
        assert np.abs(other - race.field_elapsed).max() > 60.0
    assert race.field_elapsed[-1] == pytest.approx(p.cutoff_elapsed[-1], rel=1e-6)
    # more fatigue than the last finisher: a larger share of the time spent late
    share_field = race.field_elapsed[1] / race.field_elapsed[-1]
    share_ref = race.reference_elapsed[1] / race.reference_elapsed[-1]
    assert share_field < share_ref - 0.01
    np.testing.assert_allclose(race.field_leg_s, np.diff(race.field_elapsed, prepend=0.0))


def test_from_plan_field_runner_ignores_fixed_cutoffs(tmp_path):
    """Runners do not pace themselves on the organiser's fixed cutoffs: a generous
    fixed barrier moves the last finisher's reference but not the field's shape."""
    from coursekit.event import Race

    path = _write_course(tmp_path)
    free = Race.from_plan(plan(load_course(path)))
    text = path.read_text().replace('name = "Aid 1"\n', 'name = "Aid 1"\ncutoff = "4h"\n')
    path.write_text(text)
    fixed = Race.from_plan(plan(load_course(path)))
    assert fixed.cutoff_elapsed[1] == pytest.approx(4 * H)
    assert abs(fixed.reference_elapsed[1] - free.reference_elapsed[1]) > 0.05 * H
    np.testing.assert_allclose(fixed.field_elapsed, free.field_elapsed, rtol=1e-9)


def test_history_race_keeps_the_plan_reference_for_windows(tmp_path):
    p = plan(load_course(_write_course(tmp_path)))
    arr, E, status = _past_field(p)
    race = history_race(p, E, status, source="synthetic")
    np.testing.assert_allclose(race.reference_elapsed, p.arrival_elapsed)
    np.testing.assert_allclose(race.field_elapsed[1:], arr[1:], rtol=0.02)


def test_cli_event_times_reads_naive_times_in_the_course_zone(tmp_path):
    """`event --times` read split times without a UTC offset as UTC (backtest and calibrate
    read them in the course's zone): across a clock change (Paris, 31 Mar 2024, 02:00 ->
    03:00; no wall time read twice) every passage after it was an hour long. The same times
    written without their offsets now give the same simulation as with them, and a warning
    says how they were read."""
    path, start, p = _spring_forward_course(tmp_path)
    _, E, status = _past_field(p, n=400, seed=5)
    paris = ZoneInfo("Europe/Paris")
    for name, naive in (("aware.csv", False), ("naive.csv", True)):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["bib", "status", *NAMES])
            for i, (row, st) in enumerate(zip(E, status, strict=True)):
                t = [
                    (start + dt.timedelta(seconds=float(x))).astimezone(paris)
                    for x in np.nan_to_num(row)
                ]
                cells = [
                    (x.replace(tzinfo=None) if naive else x).isoformat() if np.isfinite(s) else ""
                    for x, s in zip(t, row, strict=True)
                ]
                w.writerow([i + 1, st, *cells])
    assert "2024-03-31T04:" in (tmp_path / "naive.csv").read_text()  # after the change
    args = ["event", str(path), "--simulate", "500", "--repetitions", "2", "--seed", "1"]
    out = {}
    for name in ("aware.csv", "naive.csv"):
        res = CliRunner().invoke(cli, [*args, "--times", str(tmp_path / name), "--format", "json"])
        assert res.exit_code == 0, res.output
        out[name] = json.loads(res.stdout)
    aware, naive = out["aware.csv"], out["naive.csv"]
    assert (
        naive["simulation"]["races"][0]["checkpoints"]
        == (aware["simulation"]["races"][0]["checkpoints"])
    )
    note = "have no UTC offset: read as local times of the course's time zone Europe/Paris"
    assert any(note in w and "naive.csv" in w for w in naive["warnings"])
    assert not any(note in w for w in aware["warnings"])


def test_history_from_csv_passes_each_runners_start_wave_to_the_fit(tmp_path):
    """`event --times` reads each runner's start passage and hands his start after the
    first wave's to `history_race`, and it on to `fit_field`, which judges late stops by
    the clock: dropping either hand-over fits the second wave's late stops as withdrawals."""
    p = plan(load_course(_write_course(tmp_path)))
    cut = Race.from_plan(p).cutoff_elapsed
    _, E, status = _past_field(p, median_s=7.2 * H, n=3000, seed=5)
    status = status.astype(object)
    # two start waves: every other runner starts 20 min after the barriers' origin
    off = np.where(np.arange(len(E)) % 2 == 1, 1200.0, 0.0)
    E = np.round(E)  # split times in whole seconds, as the file has them
    clock = E + off[:, None]
    # a runner reaching a barrier late by the clock stops there, labelled WITHDRAWN (as the
    # Templiers label them), even when he is on time from his own start
    for i in range(len(E)):
        late = np.nonzero(np.isfinite(clock[i, 1:]) & (clock[i, 1:] > cut[1:]))[0]
        if late.size:
            j = int(late[0]) + 1
            E[i, j + 1 :] = np.nan
            status[i] = "WITHDRAWN"
    status = status.astype(str)
    on_time_from_own_start = ((E[:, 1:] <= cut[1:]) | np.isnan(E[:, 1:])).all(axis=1)
    late_by_the_clock_only = (status == "WITHDRAWN") & on_time_from_own_start
    assert late_by_the_clock_only.sum() >= 20  # second-wave runners, none of the first
    assert not late_by_the_clock_only[off == 0].any()
    stamps = np.c_[off, E[:, 1:] + off[:, None]]  # the start column: each runner's own start
    _write_times(tmp_path / "waves.csv", stamps, status)

    race = _history_race_from_csv(p, tmp_path / "waves.csv")
    wired = history_race(p, E, status, start_offset=off).field
    own_start = history_race(p, E, status).field
    assert race.field.dnf_share < own_start.dnf_share  # the late stops are no withdrawals
    for key in ("dnf_share", "dnf_ability", "behind_hazard", "behind_slope", "chase_share"):
        assert getattr(race.field, key) == pytest.approx(getattr(wired, key), rel=1e-9, abs=1e-12)


def test_cli_event_times_refuses_times_that_do_not_fit_the_race(tmp_path):
    """Black-box finding K2: GRR split times on HAUT 120 ("1 of 14 checkpoints timed",
    median finisher 52 h against a 34 h limit) were fitted without a word, where backtest
    and calibrate refuse the same file: the same check (history.unfit_message), one error
    line, exit 1, whether the race is named or not."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=200)
    # another race's file: its start and finish, one column that is none of the checkpoints
    times = tmp_path / "other.csv"
    _write_times(times, E[:, [0, 2, 5]], status, ["Start", "X", "Finish"])
    args = ["event", str(course), "--simulate", "20", "--repetitions", "2", "--seed", "1"]
    for spec in (str(times), f"Test 30={times}"):
        res = CliRunner().invoke(cli, [*args, "--times", spec])
        assert res.exit_code == 1
        assert res.output == (
            f"Error: {times}: none of the 4 intermediate checkpoints of c.toml has a column in "
            "the file (checkpoints: 'Aid 1', 'Aid 2', 'Aid 3', 'Aid 4'; columns: 'Start', 'X', "
            "'Finish'): are these times of this race? Name the file's columns like the "
            "course's checkpoints\n"
        )
    # start and finish only: used when it fits the course, refused when its median
    # finisher is beyond the limit (another race's results)
    ends = tmp_path / "ends.csv"
    _write_times(ends, E[:, [0, 5]], status, ["Start", "Finish"])
    res = CliRunner().invoke(cli, [*args, "--times", str(ends)])
    assert res.exit_code == 0, res.output
    slow = tmp_path / "slow.csv"
    _write_times(slow, E[:, [0, 5]] * 2.0, status, ["Start", "Finish"])
    res = CliRunner().invoke(cli, [*args, "--times", str(slow)])
    assert res.exit_code == 1 and res.output.count("\n") == 1, res.output
    assert res.output.startswith(
        f"Error: {slow}: none of the 4 intermediate checkpoints of c.toml has a column in the "
        "file, and the median finisher reaches 'Finish' at "
    )
    assert "in slow.csv, beyond the limit (9:00)" in res.output


def test_cli_event_times_warns_of_a_median_finisher_beyond_the_limit(tmp_path):
    """K2: with its checkpoints timed, a file whose median finisher is beyond the limit is
    used, as backtest uses it, and warned of with backtest's words."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300)
    slow = tmp_path / "slow.csv"
    _write_times(slow, E * 1.8, status)
    args = ["event", str(course), "--simulate", "20", "--repetitions", "2", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--times", str(slow), "--format", "json"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    misfit = [
        w
        for w in warnings
        if w.startswith("Test 30: the median finisher reaches 'Finish' at ")
        and "in slow.csv, beyond the limit (9:00): the file does not fit the course" in w
    ]
    assert misfit, warnings
    # on standard error too, whatever the output, as backtest
    assert f"warning: {misfit[0]}" in res.stderr.splitlines()


def _write_rows(path: Path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _stamp(t: float, *, naive: bool = False) -> str:
    if not np.isfinite(t):
        return ""
    x = START + dt.timedelta(seconds=float(t))
    return (x.replace(tzinfo=None) if naive else x).isoformat()


def test_cli_event_times_shows_the_files_reading_warnings(tmp_path):
    """Finding (event --times silent on the file): the warnings of reading a split-time file
    that `backtest` shows (runners' details columns ignored, DNS rows left out, rows with
    extra empty fields, times without a UTC offset read in the course's zone, backwards
    passages) were dropped or only in the report: each is now one `warning:` line on
    standard error naming the race and the file, and in the JSON's warnings, exit 0."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=2)
    rows = []
    for i, (row, st) in enumerate(zip(E, status, strict=True)):
        cells = [_stamp(t, naive=True) for t in row]
        rows.append([i + 1, f"Runner {i + 1}", st, *cells] + ([""] if i == 4 else []))
    rows[7][3 + 3] = _stamp(E[7, 1] - 60, naive=True)  # Aid 3 before Aid 1: a glitch
    rows.append([901, "Absent", "DNS", _stamp(0.0, naive=True), "", "", "", "", ""])
    rows.append([902, "Absent too", "DNS", "", "", "", "", "", ""])
    times = tmp_path / "past.csv"
    _write_rows(times, ["bib", "name", "status", *NAMES], rows)
    args = ["event", str(course), "--simulate", "200", "--repetitions", "2", "--seed", "1"]
    expected = [
        "Test 30: past.csv: column 'name' ignored: runners' details, not checkpoints' "
        "passage times",
        "Test 30: past.csv: 2 runners did not start (DID_NOT_START), left out: bibs 901, 902; "
        "the times of bib 901 ignored",
        "Test 30: past.csv: 1 rows have more fields than the header, all empty; extra fields "
        "ignored",
        "Test 30: 1800 times in past.csv have no UTC offset: read as local times of the "
        "course's time zone Africa/Casablanca",
        "Test 30: 1 runner in past.csv passed a checkpoint earlier than a previous one (bib 8): "
        "timing glitches, their times are used as written",
    ]
    n_naive = sum(bool(c) for r in rows[:300] for c in r[3:9])
    expected[3] = expected[3].replace("1800", str(n_naive))
    res = CliRunner().invoke(cli, [*args, "--times", str(times)])
    assert res.exit_code == 0, res.output
    err = res.stderr.splitlines()
    for w in expected:
        assert f"warning: {w}" in err, (w, err)
    # on standard error, not twice on the terminal: the report on standard output has them not
    for w in expected:
        assert w not in res.stdout
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "--format", "json"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    for w in expected:
        assert w in warnings, (w, warnings)
        assert f"warning: {w}" in res.stderr.splitlines()
    # a report written to a file keeps them (and standard error has them too)
    out = tmp_path / "report.txt"
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "-o", str(out)])
    assert res.exit_code == 0, res.output
    report = out.read_text().splitlines()
    for w in expected:
        assert f"warning: {w}" in report
        assert f"warning: {w}" in res.stderr.splitlines()


def test_cli_event_times_warns_of_implausible_finishers(tmp_path):
    """As backtest: finishers timed at the finish long after the limit and their previous
    passage (a wrong date) are warned of, naming the file; the fit uses them as written."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=4)
    fin = np.flatnonzero(status == "FINISHER")[:2]
    E[fin, -1] += 2 * 24 * H  # two days late: a wrong date
    times = tmp_path / "dates.csv"
    _write_times(times, E, status)
    args = ["event", str(course), "--simulate", "200", "--repetitions", "2", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "--format", "json"])
    assert res.exit_code == 0, res.output
    bibs = ", ".join(str(i + 1) for i in fin)
    w = (
        f"Test 30: 2 finishers in dates.csv passed a checkpoint after the limit and more than "
        f"half the limit after the previous passage (bib {bibs}): implausible times (a wrong "
        "date?), used as written: the field is fitted on them as they are"
    )
    assert w in json.loads(res.stdout)["warnings"]
    assert f"warning: {w}" in res.stderr.splitlines()


def test_cli_event_times_says_which_columns_were_matched_by_order(tmp_path):
    """Columns matched to the checkpoints by their position only (backtest's `by order`)
    are named in the race's field note, as the ends found by the times are. (One name,
    'Aid 1', confirms the order: without one, no column is matched by position, H3.)"""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=6)
    times = tmp_path / "codes.csv"
    _write_times(times, E, status, ["Start", "Aid 1", "CP2", "CP3", "CP4", "Finish"])
    args = ["event", str(course), "--simulate", "200", "--repetitions", "2", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "--format", "json"])
    assert res.exit_code == 0, res.output
    note = json.loads(res.stdout)["simulation"]["races"][0]["field"]
    assert note.endswith(
        "; matched by order: 'Aid 2' = column 'CP2', 'Aid 3' = column 'CP3', 'Aid 4' = column 'CP4'"
    ), note


def test_cli_event_times_warns_of_naive_times_in_a_clock_change(tmp_path):
    """A time without a UTC offset in the hour skipped when the clocks go forward (Paris,
    31 Mar 2024, 02:00 -> 03:00) is read with the offset before the change: backtest warns
    of it, `event --times` now does too, naming the race and the file."""
    path, start, p = _spring_forward_course(tmp_path)
    _, E, status = _past_field(p, n=300, seed=7)
    paris = ZoneInfo("Europe/Paris")
    rows = []
    for i, (row, st) in enumerate(zip(E, status, strict=True)):
        cells = [
            (start + dt.timedelta(seconds=float(x))).astimezone(paris).replace(tzinfo=None)
            if np.isfinite(x)
            else ""
            for x in row
        ]
        rows.append([i + 1, st, *[c.isoformat() if c else "" for c in cells]])
    i = int(np.flatnonzero(np.isfinite(E[:, 2]) & (E[:, 2] > 1.5 * H))[0])
    rows[i][3] = "2024-03-31T02:10:00"  # Aid 1 in the skipped hour
    times = tmp_path / "spring.csv"
    _write_rows(times, ["bib", "status", *NAMES], rows)
    args = ["event", str(path), "--simulate", "200", "--repetitions", "2", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--times", str(times), "--format", "json"])
    assert res.exit_code == 0, res.output
    n = sum(bool(c) for r in rows for c in r[2:])
    w = (
        f"Test 30: spring.csv: of the {n} times without a UTC offset, 1 fall in the hour "
        "skipped when the clocks go forward (read with the offset before the change): check "
        "them, or write the offsets in the file"
    )
    assert w in json.loads(res.stdout)["warnings"]
    assert f"warning: {w}" in res.stderr.splitlines()


def test_event_times_one_stray_start_cell_moves_no_start_offset(tmp_path):
    """A withdrawn runner's start cell 45 min before the gun (a chip read at the arch) was
    the origin of every runner's start offset in `event --times` (the plain earliest
    cell), as it was of `backtest`'s elapsed times (H1): the fitted field is now the one of
    the file without it, and a warning names the row."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=11)
    clean = tmp_path / "clean.csv"
    _write_times(clean, E, status)
    i = int(np.flatnonzero(status != "FINISHER")[0])
    E2 = E.copy()
    E2[i, 0] = -2700.0
    stray = tmp_path / "stray.csv"
    _write_times(stray, E2, status)
    a = load_event_plan(course, history={"": clean}).races[0]
    b_plan = load_event_plan(course, history={"": stray})
    b = b_plan.races[0]
    assert b.field == replace(a.field, source="stray.csv")
    assert np.array_equal(b.field_elapsed, a.field_elapsed)
    assert any(
        "1 runner in stray.csv has a start time before the first wave's start" in w
        and f"bib {i + 1}, 0:45:00 earlier" in w
        for w in b_plan.warnings
    ), b_plan.warnings


def test_event_times_refuses_columns_that_put_most_runners_backwards(tmp_path):
    """Two columns swapped (Aid 2's times under Aid 1's name and the reverse): every runner
    passes backwards; `backtest` refuses it (H3) and so does `event --times`, naming them."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=12)
    cols = list(NAMES)
    cols[1], cols[2] = cols[2], cols[1]
    times = tmp_path / "swapped.csv"
    _write_times(times, E, status, cols)
    with pytest.raises(
        HistoryError, match=r"swapped\.csv: .*'Aid 2' .*before 'Aid 1'.*matched to the wrong"
    ):
        load_event_plan(course, history={"": times})


def test_cli_event_csv_gives_the_warnings_on_standard_error(tmp_path):
    """h88: `event --format csv` dropped the event's own warnings (a proposed limit's here),
    which the text report prints and the JSON holds: the table has no room for them, so each
    is one `warning:` line on standard error, as `backtest --format csv` does, with the CSV
    on standard output or in a file; the --times file's warnings (there already) once."""
    course = _write_course(tmp_path)
    p = plan(load_course(course))
    _, E, status = _past_field(p, n=300, seed=2)
    rows = [
        [i + 1, st, *map(_stamp, row)] for i, (row, st) in enumerate(zip(E, status, strict=True))
    ]
    rows.append([901, "DNS", "", "", "", "", "", ""])
    times = tmp_path / "past.csv"
    _write_rows(times, ["bib", "status", *NAMES], rows)
    text = course.read_text().replace('limit = "9h"\n', "")
    course.write_text(text + '[[proposed]]\nfield = "limit"\nvalue = "9h"\nbasis = "a guess"\n')
    args = ["event", str(course), "--simulate", "200", "--repetitions", "2", "--seed", "1"]
    args += ["--times", str(times)]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    assert any("proposed, not published" in w for w in warnings)
    assert any("did not start" in w for w in warnings)  # a --times file's
    expected = sorted(f"warning: {w}" for w in warnings)
    res = CliRunner().invoke(cli, [*args, "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert sorted(x for x in res.stderr.splitlines() if x.startswith("warning: ")) == expected
    assert "warning" not in res.stdout and "proposed, not" not in res.stdout
    out = tmp_path / "e.csv"
    res = CliRunner().invoke(cli, [*args, "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(x for x in res.stderr.splitlines() if x.startswith("warning: ")) == expected
    assert "proposed, not" not in out.read_text()
