"""The one H:MM formatter of the outputs (:func:`coursekit.clock.hm`)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from coursekit.clock import after, hm, limit_hm, shown_elapsed


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0:00"),
        (29.9, "0:00"),
        (30.0, "0:01"),
        (89.0, "0:01"),
        (90.0, "0:02"),
        (150.0, "0:03"),  # round() gave 0:02 (halves to even)
        (34 * 3600.0, "34:00"),
        (100 * 3600.0 + 300.0, "100:05"),
        (-29.0, "0:00"),
        (-30.0, "-0:01"),
        (-300.0, "-0:05"),  # the CLI's formatter gave "-1:55"
        (-(3600.0 + 150.0), "-1:03"),
        (None, ""),
        (math.nan, ""),
        (math.inf, ""),
    ],
)
def test_hm(seconds, text):
    assert hm(seconds) == text


def test_hm_missing_and_clock_agree():
    """The CLI writes "-" for a missing time; the elapsed time and the clock time beside it
    (30 s added, seconds dropped) are rounded alike, halves included."""
    assert hm(None, missing="-") == "-" and hm(math.nan, missing="-") == "-"
    start = dt.datetime(2024, 6, 1, 4, 0, tzinfo=dt.UTC)
    for s in (0.0, 30.0, 90.0, 150.0, 3599.0, 5430.0, 86370.0):
        clock = after(after(start, s), 30.0).strftime("%H:%M")
        h, m = map(int, hm(s).split(":"))
        assert clock == f"{(4 + h) % 24:02d}:{m:02d}", s


def test_shown_elapsed_is_the_minute_the_clock_shows():
    """Black-box finding 16: with ``--round 0`` a barrier at 19:29:32 after a 17:30 start
    read "Sat 19:29 (2:00)": the clock's seconds dropped, the elapsed time rounded. The
    elapsed time written is now the clock's minute less the start's."""
    start = dt.datetime(2024, 10, 19, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=4)))
    barrier = after(start, 7172.0)  # 19:29:32
    assert barrier.strftime("%H:%M") == "19:29" and hm(7172.0) == "2:00"
    assert hm(shown_elapsed(start, barrier)) == "1:59"
    # the leader's ETA is shown to the nearest minute: 19:30 (2:00)
    assert after(barrier, 30.0).strftime("%H:%M") == "19:30"
    assert hm(shown_elapsed(start, barrier, nearest=True)) == "2:00"
    # the start's seconds are dropped as its row drops them
    assert shown_elapsed(after(start, 40.0), barrier) == 7140.0
    # real time across a clock change (Paris, 27 Oct 2024 03:00 -> 02:00)
    from zoneinfo import ZoneInfo

    paris = dt.datetime(2024, 10, 26, 22, 0, tzinfo=ZoneInfo("Europe/Paris"))
    t = after(paris, 5.5 * 3600 + 10.0)
    assert t.strftime("%H:%M") == "02:30" and t.utcoffset() == dt.timedelta(hours=1)
    assert hm(shown_elapsed(paris, t)) == "5:30"


def test_the_start_rows_leader_eta_is_the_start_as_written(tmp_path):
    """A start with seconds (07:31:52, the Métis Trail 2024's) showed the leader reaching
    the start line a minute late, "Sat 07:32 (0:01)", in `cutoffs`, the roadbook and the
    map: the ETA is rounded to the nearest minute, the start is written seconds dropped.
    The start row's ETA is the start itself, written as the start is."""
    import re

    import numpy as np
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.gpx import write_gpx

    la = np.linspace(45.0, 45.09, 400)
    write_gpx(tmp_path / "t.gpx", la, np.full(400, 6.0), np.full(400, 1000.0))
    (tmp_path / "c.toml").write_text(
        'name = "T"\ngpx = "t.gpx"\nstart = 2024-06-01T07:31:52+02:00\nlimit = "3h"\n'
        'timezone = "Europe/Paris"\n[[checkpoints]]\nname = "Mid"\nkm = 5\n'
    )
    run = CliRunner()
    out = run.invoke(cli, ["cutoffs", str(tmp_path / "c.toml")]).output
    start_row = next(line for line in out.splitlines() if line.startswith("Start "))
    assert start_row.count("Sat 07:31 (0:00)") == 2 and "07:32" not in start_row, out
    res = run.invoke(cli, ["roadbook", str(tmp_path / "c.toml"), "-o", str(tmp_path / "rb")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "rb" / "c.html").read_text()
    first = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", page, re.S).group(1)
    assert "Start" in first and "07:31" in first and "07:32" not in first, first
    res = run.invoke(cli, ["map", str(tmp_path / "c.toml"), "-o", str(tmp_path / "m.html")])
    assert res.exit_code == 0, res.output
    etas = re.findall(r'"leader ETA", ?"([^"]*)"', (tmp_path / "m.html").read_text())
    assert etas and etas[0] == "Sat 07:31", etas  # the start's popup
    (tmp_path / "event.toml").write_text('name = "E"\ncourses = ["c.toml"]\n')
    out = run.invoke(cli, ["event", str(tmp_path / "event.toml")]).output
    start_row = next(line for line in out.splitlines() if line.startswith("Start "))
    assert start_row.count("Sat 07:31") == 2 and "07:32" not in start_row, out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(34 * 3600, "34:00"), (50288, "13:58:08"), (76208, "21:10:08"), (59.6, "0:01"), (None, "")],
)
def test_limit_hm_keeps_the_seconds_of_a_limit_that_has_some(seconds, text):
    """L9 (twenty-fourth sprint, contract review): the Metis Trail's 13:58:08 limit was
    written 13:58 in the `cutoffs` header, 13:59 on its finish row."""
    assert limit_hm(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(3610.5, "1:00:11"), (3612.5, "1:00:13")])
def test_limit_hm_rounds_a_half_second_up_as_the_clock_beside_it(seconds, text):
    """h106 finding D: limit_hm rounded with ``round`` (10.5 -> 10, to even) while the
    clock time and elapsed seconds beside it use clock.whole_seconds (halves up): a limit
    ending on a half second was written 1 s before its own clock time."""
    assert limit_hm(seconds) == text


def test_clock_changes_name_both_clocks_and_the_repeated_hour():
    """The changes during a race (shared by `coursekit cutoffs` and the roadbook): the
    instant on the old and the new clock; a clock time of the repeated hour is ``repeated``;
    a zone's abbreviation, or its UTC offset where it has none."""
    from zoneinfo import ZoneInfo

    from coursekit.clock import clock_change_text, clock_changes, repeated, zone_abbreviation

    paris = ZoneInfo("Europe/Paris")
    start = dt.datetime(2024, 10, 26, 22, 0, tzinfo=paris)
    (c,) = clock_changes(start, 20 * 3600.0)
    assert (c.before.strftime("%H:%M"), c.at.strftime("%H:%M")) == ("03:00", "02:00")
    assert c.before.timestamp() == c.at.timestamp() and (c.old, c.new) == (
        dt.timedelta(hours=2),
        dt.timedelta(hours=1),
    )
    assert clock_change_text(c) == (
        "Sun 03:00 UTC+02:00 becomes Sun 02:00 UTC+01:00; the times after it are on UTC+01:00"
    )
    first, second = after(start, 4.5 * 3600), after(start, 5.5 * 3600)  # 02:30 twice
    assert first.strftime("%H:%M") == second.strftime("%H:%M") == "02:30"
    assert repeated(first) and repeated(second) and not repeated(after(start, 3600.0))
    assert (zone_abbreviation(first), zone_abbreviation(second)) == ("CEST", "CET")
    casa = dt.datetime(2024, 6, 1, 6, 0, tzinfo=ZoneInfo("Africa/Casablanca"))
    assert zone_abbreviation(casa) == "UTC+01:00"
    assert clock_changes(dt.datetime(2024, 6, 1, 6, 0, tzinfo=paris), 86400.0) == []
