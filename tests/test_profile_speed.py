"""The twenty-first sprint's speed-ups of ``coursekit profile`` give the same answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import gpxcheck
from coursekit.gpx import Track
from coursekit.profile import clean_elevation, data_warnings


def _spikes_by_partition(ele: np.ndarray) -> int:
    """The spike count as data_warnings made it before (a partition of each window), on
    the altitudes it looks at (dropouts to 0 m taken out), the ends mirrored as it pads
    them (h133: padded with the end value, a spike at an end was its own median)."""
    from numpy.lib.stride_tricks import sliding_window_view

    e = clean_elevation(ele).elevation
    ev = e[np.isfinite(e)]
    if ev.size < 5:
        return 0
    med5 = np.partition(sliding_window_view(np.pad(ev, 2, mode="reflect"), 5), 2, axis=1)[:, 2]
    return int(np.count_nonzero(np.abs(ev - med5) > 50))


def _track(ele) -> Track:
    n = len(ele)
    return Track(
        lat=45.0 + 1e-4 * np.arange(n),
        lon=np.full(n, 6.0),
        elevation=np.asarray(ele, float),
        time=np.full(n, np.nan),
        segment=np.zeros(n, np.int64),
    )


def _spike_warning(track: Track) -> int:
    for w in data_warnings(track):
        if "elevation spike" in w:
            return int(w.split()[0])
    return 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from([0.0, -0.0, 60.0, 100.0, 500.0]), st.floats(-400, 8800)),
        min_size=5,
        max_size=60,
    )
)
def test_spikes_are_counted_with_the_median_of_5_as_a_partition_takes_it(ele):
    ev = np.asarray(ele, float)
    assert _spike_warning(_track(ev)) == _spikes_by_partition(ev)


def test_spikes_on_a_long_noisy_profile():
    rng = np.random.default_rng(3)
    ev = np.cumsum(rng.normal(0, 2, 20_000)) + 1000.0
    ev[rng.integers(0, ev.size, 40)] += rng.choice([-300.0, 300.0], 40)
    ev = np.round(ev)  # ties among the five
    expected = _spikes_by_partition(ev)
    assert expected > 0
    assert _spike_warning(_track(ev)) == expected


@given(st.binary(max_size=40), st.binary(min_size=1, max_size=8), st.integers(0, 7))
def test_has_is_in_whatever_byte_it_looks_for_first(piece, needle, rare):
    rare = min(rare, len(needle) - 1)
    assert gpxcheck.has(piece, needle, rare) == (needle in piece)


def test_keeping_freed_memory_is_harmless():
    from coursekit.cli import _keep_freed_memory

    _keep_freed_memory()
    _keep_freed_memory()  # twice: the same settings
    a = np.ones(200_000)
    del a
    assert np.ones(200_000).sum() == 200_000


DATES = (
    "2024-06-01",
    "2024-02-29",
    "2023-02-29",
    "2023-02-28",
    "2000-02-29",
    "1900-02-29",
    "2024-04-31",
    "2024-04-30",
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "1969-12-31",
    "1970-01-01",
    "2024-12-31",
    "2024-01-32",
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(DATES),
    st.lists(st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)), min_size=2),
    st.sampled_from(["Z", "", "+02:00", "-0530", "+01"]),
    st.sampled_from(["", ".5", ".123456"]),
)
def test_times_of_one_date_are_read_as_parse_time_reads_them(date, clock, zone, frac):
    """The rows of one date (a recording's piece) have their day counted once: the same
    values as parse_time, and no value where parse_time refuses one."""
    from coursekit.gpx import _fast_utc_times, parse_time

    texts = [f"{date}T{h:02d}:{m:02d}:{s:02d}{frac}{zone}" for h, m, s in clock]
    try:
        expected = [parse_time(t) for t in texts]
    except ValueError:
        expected = None
    fast = _fast_utc_times([t.encode() for t in texts])
    if expected is None:
        assert fast is None
    else:
        assert fast is not None
        np.testing.assert_array_equal(fast, expected)
