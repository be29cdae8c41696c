"""Hang guards and size spies for the hostile-input tests (no wall-clock speed bounds).

Speed targets live in benchmarks/ (bench_fuzz.py, bench_fuzz_courses.py). The tests
assert what a blow-up would change deterministically (samples built, points built,
memory) and fail on a *hang* only, after :data:`HANG_SECONDS`.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager

import pytest

HANG_SECONDS = 120.0
"""A run still going after this long is hung, on any machine [s]."""

MAX_GRID_SAMPLES = 1_000_002
"""Most samples of one resampling grid on a hostile input: ``auto_gain_loss`` and
``smoothed_grade`` cap their grids at ``_MAX_GRID`` (1,000,000 (+ 2)) samples, their step
growing beyond (``smoothed_grade``'s 10 m grid had 2,000,000 samples per jump across half
the Earth, h115)."""


class Hang(BaseException):
    """Raised by :func:`hang_guard` (a BaseException: ``except Exception`` does not eat it)."""


@contextmanager
def hang_guard(what, seconds: float = HANG_SECONDS):
    """Fail with "hang: ..." when the block is still running after ``seconds``.

    SIGALRM (main thread, POSIX): a guard against a run that never ends, not a speed
    bound; a code path that swallows the exception still fails the test afterwards.
    """
    fired = []

    def on_alarm(signum, frame):
        fired.append(True)
        raise Hang(f"hang: {what} still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    t = time.perf_counter()
    try:
        yield
    except Hang as exc:
        pytest.fail(str(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        record_time(time.perf_counter() - t)
    if fired:
        pytest.fail(f"hang: {what} still running after {seconds:g} s")


def record_time(seconds: float) -> None:
    """Append a run's duration to ``$COURSEKIT_FUZZ_TIMINGS`` (for the benchmarks only)."""
    path = os.environ.get("COURSEKIT_FUZZ_TIMINGS")
    if path:
        with open(path, "a") as fh:
            fh.write(f"{seconds:.6f}\n")


@contextmanager
def size_spy():
    """Record the size of every resampling grid and sketch built inside the block.

    Wraps (calls through) ``profile._resample``, ``profile._BoxCells`` and
    ``sketch.sketch_track``; yields a dict of lists: ``grid`` (samples per grid),
    ``box`` (the ``auto_gain_loss`` box grids, also in ``grid``) and ``sketch`` (points
    per sketch built).
    """
    from coursekit import profile, sketch

    sizes: dict[str, list[int]] = {"grid": [], "box": [], "sketch": []}
    real_resample, real_cells, real_sketch = (
        profile._resample,
        profile._BoxCells,
        sketch.sketch_track,
    )

    def resample(distance, elevation, step):
        grid, eg = real_resample(distance, elevation, step)
        sizes["grid"].append(grid.size)
        return grid, eg

    class Cells(real_cells):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            sizes["grid"].append(self.grid.size)
            sizes["box"].append(self.grid.size)

    def sketch_track(*a, **k):
        st = real_sketch(*a, **k)
        sizes["sketch"].append(st.lat.size)
        return st

    profile._resample, profile._BoxCells, sketch.sketch_track = resample, Cells, sketch_track
    try:
        yield sizes
    finally:
        profile._resample, profile._BoxCells, sketch.sketch_track = (
            real_resample,
            real_cells,
            real_sketch,
        )


def assert_bounded(sizes, what) -> None:
    """No grid beyond :data:`MAX_GRID_SAMPLES`, no box grid beyond ``_MAX_GRID`` + 2, no
    sketch beyond ``MAX_SKETCH_POINTS`` (+ 100) points."""
    from coursekit.profile import _MAX_GRID
    from coursekit.sketch import MAX_SKETCH_POINTS

    assert max(sizes["grid"], default=0) <= MAX_GRID_SAMPLES, (what, max(sizes["grid"]))
    # ceil(total / (total / _MAX_GRID)) + 1 can round one sample up
    assert max(sizes["box"], default=0) <= _MAX_GRID + 2, (what, max(sizes["box"]))
    # a sketch has at most one point more per place than its length over the spacing
    assert max(sizes["sketch"], default=0) <= MAX_SKETCH_POINTS + 100, (what, sizes["sketch"])
