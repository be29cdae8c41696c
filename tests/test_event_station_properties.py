"""Properties of ``coursekit event``'s shared stations under reordering and hostile input (h139).

The grouping, the windows and the JSON and text outputs are checked on generated races by
``tests/test_event_export_properties.py`` and ``tests/test_simulation_properties.py``; this
file adds what they do not: the stations do not depend on the order of the races in the
event file (their checkpoints, windows and names), a chain of checkpoints within the radius
is one station whatever the order, the CSV carries the JSON's windows on the event's clock,
the option values at their edges give a result or a one-line usage error, and event files
with hostile content give a one-line error naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from dataclasses import replace
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_event_export_properties import LAT0, LON0, M_LAT, M_LON, ZONES, races

from coursekit.event import Race, plan_event, station_table

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
H = 3600.0


def _race(name, names, xy, start, first, *, zone="Europe/Paris"):
    """A race through the places ``xy`` (metres from LAT0, LON0), the leader at ``first``
    [s from start], the reference and the barriers twice as late."""
    xy = np.asarray(xy, float)
    first = np.asarray(first, float)
    return Race(
        name=name,
        start=start,
        names=tuple(names),
        lat=LAT0 + xy[:, 1] * M_LAT,
        lon=LON0 + xy[:, 0] * M_LON,
        distance=first * 2.5,
        first_arrival_elapsed=first,
        cutoff_elapsed=2 * first,
        reference_elapsed=2 * first,
        leg_effort=np.r_[0.0, np.diff(first) / 400.0],
        timezone=zone,
    )


def _unordered_brackets(name: str) -> tuple:
    """A station name with the races in its brackets as a set: same-named stations kept
    apart list their races in the event file's order ("CP1 (A, B)"), as the passages are."""
    base, sep, rest = name.partition(" (")
    if not sep or not rest.endswith(")"):
        return (name, frozenset())
    return (base, frozenset(rest[:-1].split(", ")))


def _canon(stations):
    """The stations as a set: each by its checkpoints, with its name and its windows (the
    checkpoints each serves); the order of the passages inside a station, and of the races
    in a name's brackets, is the event file's race order (docs/outputs.md) and is left out."""
    out = {}
    for s in stations:
        rows = frozenset((p.race, p.row) for p in s.passages)
        windows = frozenset(
            (
                w.open,
                w.close,
                frozenset((s.passages[i].race, s.passages[i].row) for i in w.passages),
            )
            for w in s.windows
        )
        out[rows] = (_unordered_brackets(s.name), s.open, s.close, windows)
    return out


# ---------------------------------------------------------------- order of the races


@SETTINGS
@given(races(), st.randoms(use_true_random=False))
@example(
    # two races' checkpoints 100 m apart under two names, once each: one station, whose
    # name was the first race's in the event file ("Col", then "Refuge" once swapped)
    case=(
        [
            _race(
                "A",
                ["Start", "Col", "Finish"],
                [(0, 0), (0, 3000), (0, 9000)],
                dt.datetime(2024, 6, 1, 6, 0, tzinfo=ZoneInfo("Europe/Paris")),
                [0, H, 3 * H],
            ),
            _race(
                "B",
                ["Start", "Refuge", "Finish"],
                [(5000, 0), (0, 3100), (5000, 9000)],
                dt.datetime(2024, 6, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris")),
                [0, H, 3 * H],
            ),
        ],
        1800.0,
        1800.0,
        7200.0,
    ),
    rnd=random.Random(0),
).via("discovered failure")
def test_stations_do_not_depend_on_the_order_of_the_races(case, rnd):
    """Reordering the event file's courses gives the same stations: the same checkpoints,
    the same windows, the same name (a tie between two names went to the first race
    listed)."""
    rs, margin, sweep, gap = case
    kw = dict(margin_s=margin, sweep_s=sweep, gap_s=gap, night=False)
    want = _canon(station_table(rs, **kw))
    for _ in range(2):
        perm = list(rs)
        rnd.shuffle(perm)
        if perm == rs:
            perm = rs[::-1]
        got = _canon(station_table(perm, **kw))
        assert got.keys() == want.keys()
        for rows, value in want.items():
            assert got[rows] == value, (sorted(rows), [r.name for r in perm])
        opens = [s.open for s in station_table(perm, **kw)]
        assert opens == sorted(opens)


def test_a_station_of_two_names_is_named_alike_in_either_order():
    """HAUT 42's Tekent moved 2.5 km onto Assif (black-box F10): the station of A's Assif
    and B's stray Tekent was named after the first race listed, "Assif" or, with B first,
    "Tekent (B)" beside A's "Tekent (A)". The tie goes to the name no other station holds,
    in either order."""
    zone = ZoneInfo("Europe/Paris")
    s = dt.datetime(2024, 6, 1, 8, 0, tzinfo=zone)
    a = _race(
        "A",
        ["Start", "Tekent", "Assif", "Finish"],
        [(0, 0), (0, 5560), (0, 8062), (0, 11120)],
        s,
        [0, H, 1.5 * H, 2 * H],
    )
    b = _race(
        "B", ["Start", "Tekent", "Finish"], [(0, -11120), (0, 8084), (0, 22240)], s, [0, H, 2 * H]
    )
    for order in ([a, b], [b, a]):
        ev = plan_event(order, night=False)
        (assif,) = [
            st_ for st_ in ev.stations if {p.name for p in st_.passages} == {"Assif", "Tekent"}
        ]
        assert assif.name == "Assif"
        (w,) = [w for w in ev.warnings if "share a name" in w]
        assert w.endswith("; B's 'Tekent' is in station 'Assif'"), w


# ---------------------------------------------------------------- event files


def _write_course(
    folder, stem="a", name="A", start="2024-06-01T06:00:00+02:00", zone="Europe/Paris"
):
    """A 10 km course north of LAT0 (its GPX beside it) with checkpoints "Col" and "Lac"."""
    folder.mkdir(parents=True, exist_ok=True)
    pts = [(LAT0 + 0.09 * i / 50, LON0, 500 + 10 * i) for i in range(51)]
    trk = "".join(f'<trkpt lat="{a:.6f}" lon="{b:.6f}"><ele>{e}</ele></trkpt>' for a, b, e in pts)
    (folder / f"{stem}.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{trk}</trkseg></trk></gpx>'
    )
    toml = folder / f"{stem}.toml"
    toml.write_text(
        f'name = "{name}"\ngpx = "{stem}.gpx"\nstart = {start}\nlimit = "3h"\n'
        + (f'timezone = "{zone}"\n' if zone else "")
        + '\n[[checkpoints]]\nname = "Col"\nkm = 3\n\n[[checkpoints]]\nname = "Lac"\nkm = 6\n'
    )
    return toml


def test_two_folders_course_files_of_one_name_are_named_as_listed(tmp_path):
    """Two course files of one race name from two folders, both called a.toml, were
    refused as "a.toml and a.toml are both named 'A'", which reads as one file listed
    twice (a case the event file refuses in its own words): each is named as listed."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    _write_course(tmp_path / "ev")
    _write_course(tmp_path / "other")
    event = tmp_path / "ev" / "event.toml"
    event.write_text('name = "E"\ncourses = ["a.toml", "../other/a.toml"]\n')
    res = CliRunner().invoke(cli, ["event", str(event)])
    assert res.exit_code == 1, res.output
    (line,) = res.output.strip().splitlines()
    assert line == (
        f"Error: {event}: key 'courses': ../other/a.toml and a.toml are both named 'A': "
        "expected one name per race (tables are keyed by it)"
    )


@pytest.fixture(scope="module")
def two_races(tmp_path_factory):
    """An event of two races on one course, A at 06:00 and B at 09:00."""
    folder = tmp_path_factory.mktemp("two")
    _write_course(folder)
    _write_course(folder, "b", "B", "2024-06-01T09:00:00+02:00")
    (folder / "event.toml").write_text('name = "E"\ncourses = ["a.toml", "b.toml"]\n')
    return folder


@pytest.mark.parametrize(
    "option, value, seconds",
    [
        ("--margin", "0", 0.0),
        ("--margin", "00", 0.0),
        ("--sweep", "0.00", 0.0),
        ("--gap", "0m", 0.0),
        ("--margin", "1440h", 1440 * H),
        ("--sweep", "1h30", 5400.0),
        ("--gap", "1000h", 1000 * H),
        ("--radius", "0", 0.0),
        ("--radius", "1e7", 1e7),
        ("--margin", "1x", None),
        ("--margin", "-5m", None),
        ("--sweep", "5", None),
        ("--gap", "nan", None),
        ("--gap", "", None),
        ("--margin", "1441h", None),
        ("--radius", "-5", None),
        ("--radius", "1x", None),
        ("--radius", "inf", None),
    ],
)
def test_option_values_at_their_edges_give_a_result_or_a_usage_error(
    two_races, option, value, seconds
):
    """Each edge value of --margin/--sweep/--gap/--radius gives the JSON with the value
    read back, or one usage error naming the option (exit status 2), never a traceback.
    A zero needs no unit in any form: "00" was refused as "'00' has no unit: write
    --margin 00m for minutes" where "0" was taken."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    res = CliRunner().invoke(cli, ["event", str(two_races), "--format", "json", option, value])
    assert "Traceback" not in res.output
    if seconds is None:
        assert res.exit_code == 2, res.output
        assert f"Invalid value for '{option}'" in res.output or f"for {option}:" in res.output
        assert res.output.strip().splitlines()[-1].startswith("Error: ")
        return
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    key = {"--margin": "margin_s", "--sweep": "sweep_s", "--gap": "gap_s"}.get(option, "radius_m")
    assert out[key] == seconds
    if option == "--radius" and seconds >= 1e4:  # everything is one station
        assert len(out["stations"]) == 1
    for s in out["stations"]:
        for a, b in zip(s["windows"], s["windows"][1:], strict=False):
            gap = dt.datetime.fromisoformat(b["open"]) - dt.datetime.fromisoformat(a["close"])
            assert gap.total_seconds() > out["gap_s"]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_a_chain_within_the_radius_is_one_station_in_any_order(order):
    """Checkpoints 150 m apart in a line (A - B - C, A and C 300 m apart, over the 200 m
    radius) are one station: the groups are closed through the chain (group_stations),
    whatever the order of the races, and the station's window serves the three."""
    zone = ZoneInfo("Europe/Paris")
    t0 = dt.datetime(2024, 6, 1, 6, 0, tzinfo=zone)
    names = ("Col", "Refuge", "Lac")
    rs = [
        _race(
            f"R{k}",
            ["Start", names[k], "Finish"],
            [(k * 5000, 0), (0, 3000 + 150 * k), (k * 5000, 9000)],
            t0,
            [0, H, 2 * H],
        )
        for k in range(3)
    ]
    stations = station_table([rs[k] for k in order], night=False)
    (chain,) = [s for s in stations if len(s.passages) == 3]
    assert {(p.race, p.row) for p in chain.passages} == {("R0", 1), ("R1", 1), ("R2", 1)}
    assert chain.name == "Col"  # a three-way tie: the first in normalised order (same ETAs)
    assert len(chain.windows) == 1 and chain.windows[0].passages == (0, 1, 2)


@settings(SETTINGS, max_examples=20)
@given(races(), st.sampled_from((None, *ZONES)))
def test_csv_rows_carry_the_json_windows_on_the_event_clock(case, ev_zone):
    """Each CSV row's window columns are the JSON window serving its passage (ISO and, on
    the event's clock or else the race's, local with its UTC offset), and its dark flag."""
    from coursekit.cli import _event_csv
    from coursekit.event import event_summary, plan_event

    rs, margin, sweep, gap = case
    ev = replace(plan_event(rs, margin_s=margin, sweep_s=sweep, gap_s=gap), timezone=ev_zone)
    summary = event_summary(ev)
    table, _ = _event_csv(summary)
    rows = list(csv.DictReader(io.StringIO(table)))
    by = {r.name: r for r in rs}
    want = [(s, p) for s in summary["stations"] for p in s["passages"]]
    assert len(rows) == len(want)
    for row, (s, p) in zip(rows, want, strict=True):
        assert (row["station"], row["race"]) == (s["name"], p["race"])
        w = s["windows"][p["window"]]
        clock = ZoneInfo(summary["timezone"] or by[p["race"]].timezone)
        for key in ("open", "close"):
            t = dt.datetime.fromisoformat(w[key])
            assert dt.datetime.fromisoformat(row[f"window_{key}"]) == t
            local = t.astimezone(clock)
            assert row[f"window_{key}_local"] == local.strftime("%Y-%m-%d %H:%M")
            assert row[f"window_{key}_utc_offset"] == local.isoformat()[-6:]
        assert row["window_dark"] == str(w["dark_s"] > 0)
