"""coursekit event: the h117 review's findings (per-race field sizes, per-window peaks, the
sweep of a race without barriers, early arrivals)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundled import haut_event
from click.testing import CliRunner

from coursekit.cli import cli
from coursekit.course import MAX_RACE_RUNNERS, load_event
from coursekit.field import DEFAULT_FIELD

ROOT = Path(__file__).resolve().parents[1]
HAUT = ROOT / "courses" / "haut"


def _haut_pair(folder: Path, runners: str = "") -> Path:
    """An event of HAUT 21 and HAUT 10 (copied) with ``runners`` as its [runners] table."""
    return haut_event(folder, ("haut-21", "haut-10"), runners)


def test_event_file_runners_set_each_races_field_and_simulate_n_is_the_default(tmp_path):
    """h117 finding 1: one --simulate N for every race; a race's own field size wins."""
    ev = _haut_pair(tmp_path, '\n[runners]\n"haut-21.toml" = 70\n')
    args = ["event", str(ev), "--simulate", "30", "--repetitions", "2", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    sims = json.loads(res.stdout)["simulation"]["races"]
    assert {r["race"]: r["n_runners"] for r in sims} == {"HAUT 21": 70, "HAUT 10": 30}
    assert [r["n_runners_from_event_file"] for r in sims] == [True, False]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "HAUT 21 (70 runners, the event file's [runners])" in text.stdout
    assert "HAUT 10 (30 runners)" in text.stdout


@pytest.mark.parametrize(
    "table, problem",
    [
        ('"haut-21.toml" = 0', "0 starters is outside 1-"),
        (f'"haut-21.toml" = {MAX_RACE_RUNNERS + 1}', "starters is outside 1-"),
        ('"haut-21.toml" = 12.5', "expected a whole number of starters, got"),
        ('"haut-21.toml" = "300"', "expected a whole number of starters, got"),
        ('"haut-99.toml" = 300', "'haut-99.toml' is not one of the event's courses"),
        ('"haut-21.toml" = 3\n"./haut-21.toml" = 4', "is given twice"),
    ],
)
def test_event_file_runners_refused_with_one_line(tmp_path, table, problem):
    ev = _haut_pair(tmp_path, f"\n[runners]\n{table}\n")
    res = CliRunner().invoke(cli, ["event", str(ev), "--simulate", "10", "--repetitions", "1"])
    assert res.exit_code == 1, res.output
    line = res.stderr.strip()
    assert "\n" not in line and line.startswith(f"Error: {ev}: key 'runners': ")
    assert problem in line


def test_bundled_event_runners_name_listed_courses():
    for ev_file in sorted((ROOT / "courses").glob("*/event.toml")):
        ev = load_event(ev_file)
        assert set(ev.runners) <= set(ev.course_paths)


def test_each_staffing_window_has_its_own_peak_in_text_json_and_csv(tmp_path):
    """h117 finding 4: Amizmiz's start window (no arrivals) showed the station's peak, which
    is Sunday's finishes; the CSV repeated the station's figure on every window."""
    ev = ROOT / "courses" / "amizmiz" / "event.toml"
    args = ["event", str(ev), "--simulate", "100", "--repetitions", "4", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    (st,) = [s for s in d["stations"] if s["name"] == "Amizmiz"]
    assert len(st["windows"]) >= 2
    peaks = [w["peak_60min"] for w in st["windows"]]
    assert peaks[0] == 0 and st["occupancy"]["peak_60min"] > 0  # starters do not arrive
    assert max(peaks) == st["occupancy"]["peak_60min"]
    busiest = st["windows"][peaks.index(max(peaks))]
    assert busiest["peak_60min_start"] == st["occupancy"]["peak_60min_start"]
    assert busiest["open"] <= busiest["peak_60min_start"] <= busiest["close"]
    text = CliRunner().invoke(cli, args)
    (start_line,) = [ln for ln in text.stdout.splitlines() if ln.startswith("Amizmiz ")]
    assert f"{st['occupancy']['peak_60min']:.0f}" not in start_line.split("night")[-1]
    assert f"{max(peaks):.0f} from " in text.stdout
    out = tmp_path / "amizmiz.csv"
    res = CliRunner().invoke(cli, [*args, "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    import csv

    rows = [
        r
        for r in csv.DictReader(out.read_text(encoding="utf-8").splitlines())
        if r["station"] == "Amizmiz"
    ]
    by_window = {r["window_open"]: float(r["window_peak_arrivals_60min"]) for r in rows}
    assert sorted(by_window.values()) == sorted(peaks)
    assert {float(r["station_peak_arrivals_60min"]) for r in rows} == {max(peaks)}


def test_sweep_of_a_race_without_barriers_stops_at_its_limit():
    """h117 finding 7: Amizmiz 90 (no checkpoint between start and finish) printed its last
    runner Sun 13:09 for a Sun 07:00 limit: runners over the limit ran the whole course."""
    course = ROOT / "courses" / "amizmiz" / "amizmiz-90.toml"
    args = ["event", str(course), "--simulate", "300", "--repetitions", "10", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    finish = d["simulation"]["races"][0]["checkpoints"][-1]
    (passage,) = [p for s in d["stations"] for p in s["passages"] if p["row"] == 1]
    assert finish["eliminated"] > 0  # some runners were over the limit
    assert finish["last_arrival"] <= passage["cutoff"] < "2025-04-27T07:01"
    assert finish["last_arrival_p95"] <= passage["cutoff"]
    assert finish["arrival_p90"] <= finish["last_arrival"]


def test_no_station_receives_a_runner_after_the_race_limit():
    """h119 (h117 finding 7, in the simulation): the sweep ETA was only capped for display
    (h118); the simulated runners over Amizmiz 90's limit still reached the finish until Sun
    13:xx, in the station's arrivals and runners present per hour. The limit now stops them
    where it catches them, at the limit: no arrival, nobody present, in a later hour."""
    import datetime as dt

    course = ROOT / "courses" / "amizmiz" / "amizmiz-90.toml"
    args = ["event", str(course), "--simulate", "300", "--repetitions", "10", "--seed", "1"]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    (st,) = d["stations"]
    (passage,) = [p for p in st["passages"] if p["row"] == 1]
    limit = dt.datetime.fromisoformat(passage["cutoff"])
    occ = st["occupancy"]
    late = [
        (h, a)
        for h, a in zip(occ["hours"], occ["arrivals"], strict=True)
        if dt.datetime.fromisoformat(h) > limit and a > 0
    ]
    assert late == []
    assert not [
        (h, n)
        for h, n in zip(occ["present_hours"], occ["present"], strict=True)
        if dt.datetime.fromisoformat(h) > limit and n > 0
    ]
    finish = d["simulation"]["races"][0]["checkpoints"][-1]
    assert finish["eliminated"] > 0  # runners over the limit, counted at the finish
    assert any(
        a > 0
        for h, a in zip(occ["hours"], occ["arrivals"], strict=True)
        if dt.datetime.fromisoformat(h) == limit
    )  # pulled at the limit: its hour holds them


def _early_warnings(event, margin_s=1800.0, fastest=0.0):
    """The event simulated with the default field, its fast tail open (``fastest`` 0, the
    field before the thirty-third sprint: a long fast tail, runners before the openings) or
    floored; (summary, the early-arrival warnings)."""
    from dataclasses import replace

    from coursekit.event import event_summary, load_event_plan, simulate_event

    plan = load_event_plan(event, margin_s=margin_s)
    params = replace(DEFAULT_FIELD, fastest=fastest)
    sim = simulate_event(plan, n_runners=300, repetitions=40, seed=1, params=params)
    warns = [w for w in sim.warnings if "before it opens" in w or "before a station opens" in w]
    return event_summary(sim), warns


def test_runners_arriving_before_a_station_opens_are_warned_of():
    """h117 finding 3 (the warning): simulated runners arriving before a window opens got no
    warning, unlike the last runner after it closes."""
    import datetime as dt

    d, warns = _early_warnings(ROOT / "courses" / "amizmiz" / "event.toml")
    (line,) = [w for w in warns if w.startswith("station 'Amizmiz': ")]
    n = float(line.split(": ")[1].split()[0])
    assert n > 0 and "arrive before it opens Sat 10:10" in line and "--margin" in line
    (st,) = [s for s in d["stations"] if s["name"] == "Amizmiz"]
    opens = dt.datetime.fromisoformat(st["windows"][1]["open"])
    whole_hours_before = sum(
        a
        for h, a in zip(st["occupancy"]["hours"], st["occupancy"]["arrivals"], strict=True)
        if dt.datetime.fromisoformat(h) + dt.timedelta(hours=1) <= opens
    )
    assert whole_hours_before <= n + 0.05
    # a few tenths at many stations: one line naming them
    _, haut = _early_warnings(HAUT / "event.toml")
    (few,) = [w for w in haut if w.startswith("simulated runners arriving before a station")]
    assert "Tizi Oussem 0." in few and "Tamatert 0." in few
    # the team there six hours before the leader: nobody arrives before the opening
    _, none = _early_warnings(HAUT / "event.toml", margin_s=6 * 3600.0)
    assert none == []
    # the default field's fast tail floored at the winner's ratio (FieldParams.fastest):
    # nobody before the openings of HAUT either
    _, floored = _early_warnings(HAUT / "event.toml", fastest=DEFAULT_FIELD.fastest)
    assert floored == []
