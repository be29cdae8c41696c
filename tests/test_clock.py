"""The one H:MM formatter of the outputs (:func:`coursekit.clock.hm`)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from coursekit.clock import after, hm


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
