"""benchmarks/bench_simulation.py --quick: the issue's speed case alone (h117 finding 5)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def test_quick_times_the_issues_size_and_skips_the_validation(monkeypatch, capsys):
    """--quick timed 50 repetitions against the 2 s target of 200 and still ran the whole
    validation (64 s), while docs/simulation.md says "--quick for the speed case only"."""
    import bench_simulation as bench

    calls = []

    class _Sim:
        finish_share = 0.9

    def fake(reference, *, n_runners, repetitions, **kw):
        calls.append((n_runners, len(reference), repetitions))
        return _Sim()

    def no_validation(*a, **k):
        raise AssertionError("--quick ran the validation")

    monkeypatch.setattr(bench, "simulate_field", fake)
    monkeypatch.setattr(bench, "load_race", no_validation)
    monkeypatch.setattr(bench, "REALDATA", Path(__file__).parent)  # as if the data were there
    monkeypatch.setattr(bench.json, "loads", no_validation)
    bench.main(quick=True)
    timed = [c for c in calls if c[0] == 10_000]
    assert timed and all(c == (10_000, 30, 200) for c in timed)
    out = capsys.readouterr().out
    assert "10,000 runners x 30 checkpoints x 200 repetitions" in out
    assert "target 2.0 s" in out


def test_bench_read_forms_write_the_same_recording(tmp_path):
    """bench_read.py --form: the three forms hold the same points (what read_gpx gives is
    equal), and really are written differently (lon first with ', <time> before <ele>)."""
    import bench_read as bench
    import numpy as np

    from coursekit.gpx import read_gpx

    tracks, texts = {}, {}
    for form in bench.FORMS:
        path = bench.make_recording(tmp_path / f"{form}.gpx", 300, "garmin", form)
        texts[form] = path.read_text(encoding="utf-8")
        tracks[form] = read_gpx(path)
    assert "<trkpt lon='" in texts["lon-first"] and '<trkpt lat="' not in texts["lon-first"]
    first_point = {form: text[text.index("<trkpt") :] for form, text in texts.items()}
    assert first_point["time-first"].index("<time>") < first_point["time-first"].index("<ele>")
    assert first_point["usual"].index("<ele>") < first_point["usual"].index("<time>")
    for form in ("lon-first", "time-first"):
        for column in ("lat", "lon", "elevation", "time"):
            np.testing.assert_array_equal(
                getattr(tracks[form], column), getattr(tracks["usual"], column)
            )
