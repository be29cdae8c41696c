"""`coursekit profile`: outputs (contract 2) and one-line errors on bad input."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner

from coursekit.cli import cli

CONTRACT2 = {
    "file",
    "name",
    "points",
    "distance_m",
    "gain_m",
    "loss_m",
    "min_elevation_m",
    "max_elevation_m",
    "km_effort",
    "itra_points",
    "gain_method",
    "warnings",
}


def _run(*args):
    return CliRunner().invoke(cli, ["profile", *map(str, args)])


def _course(tmp_path, n=300, name="c.gpx"):
    """A straight 1.5 km climb due north: 5 m steps, 0.1 m up per step."""
    pts = "\n".join(
        f'<trkpt lat="{45 + i * 5 / 111_150:.8f}" lon="6.0"><ele>{1000 + 0.1 * i:.1f}</ele></trkpt>'
        for i in range(n)
    )
    f = tmp_path / name
    f.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Climb</name><trkseg>\n'
        f"{pts}\n</trkseg></trk></gpx>\n"
    )
    return f


def test_json_contract(tmp_path):
    a, b = _course(tmp_path), _course(tmp_path, 100, "d.gpx")
    r = _run(a, b, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert isinstance(data, list) and len(data) == 2
    for rec in data:
        assert CONTRACT2 <= set(rec)
    rec = data[0]
    assert rec["file"] == str(a) and rec["name"] == "Climb" and rec["points"] == 300
    assert rec["distance_m"] == pytest.approx(1495, rel=2e-3)
    assert rec["min_elevation_m"] == 1000.0 and rec["max_elevation_m"] == 1029.9
    assert rec["itra_points"] == 0 and isinstance(rec["warnings"], list)
    assert data[1]["points"] == 100


def test_text_and_csv(tmp_path):
    a = _course(tmp_path)
    r = _run(a)
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == f"{a}  (Climb)"
    assert "points        300" in r.stdout and "km-effort" in r.stdout
    r = _run(a, _course(tmp_path, 100, "d.gpx"), "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["points"] for row in rows] == ["300", "100"]
    assert CONTRACT2 <= set(rows[0])


def test_text_has_no_negative_zero(tmp_path):
    """A coastal start at -0.3 m (the Atlas Mountain Race route ends at the sea) prints
    "altitude      0 to ...", not "-0 to ..."; a real -1 m stays negative."""
    f = _course(tmp_path)
    f.write_text(f.read_text().replace("<ele>1000.0</ele>", "<ele>-0.3</ele>", 1))
    r = _run(f)
    assert r.exit_code == 0, r.output
    assert "  altitude      0 to 1030 m" in r.stdout, r.stdout
    f.write_text(f.read_text().replace("<ele>-0.3</ele>", "<ele>-1.0</ele>", 1))
    assert "  altitude      -1 to 1030 m" in _run(f).stdout


def test_splits(tmp_path):
    a = _course(tmp_path)
    r = _run(a, "--splits", "0.5", "--format", "json")
    assert r.exit_code == 0
    sp = json.loads(r.stdout)[0]["splits"]
    assert [s["start_m"] for s in sp] == [0, 500, 1000]
    assert sp[-1]["end_m"] == pytest.approx(1495, rel=2e-3)
    r = _run(a, "--splits", "1")
    assert "from km" in r.stdout and "D+ m" in r.stdout
    # longer than the course: one row; absurdly long (1e308 overflowed to an internal
    # error): a usage error naming the range
    sp = json.loads(_run(a, "--splits", "100000", "--format", "json").stdout)[0]["splits"]
    assert [s["start_m"] for s in sp] == [0]
    r = _run(a, "--splits", "1e308")
    assert r.exit_code == 2 and "0<x<=100000" in r.stderr and "internal" not in r.stderr


BAD = {
    "empty": (b"", "empty file"),
    "not_xml": (b"this is not xml at all\n", "not valid XML"),
    "not_gpx": (b'<?xml version="1.0"?><kml><Document/></kml>', "not a GPX file"),
    "no_points": (b'<gpx version="1.1"><trk><trkseg/></trk></gpx>', "no track or route points"),
    "truncated": (
        b'<gpx version="1.1"><trk><trkseg><trkpt lat="45" lon="6"><ele>1</ele></trkpt>'
        b'<trkpt lat="45.1" lon="6"><el',
        # the position once, in front (libxml2 repeats it at the end of its message)
        "not valid XML (line 1, column ",
    ),
    "lat_range": (
        b'<gpx><trk><trkseg><trkpt lat="91" lon="6"/><trkpt lat="45" lon="6"/></trkseg></trk>'
        b"</gpx>",
        "latitude 91.0 out of range",
    ),
    "lon_range": (
        b'<gpx><trk><trkseg><trkpt lat="1" lon="-181"/><trkpt lat="45" lon="6"/></trkseg></trk>'
        b"</gpx>",
        "longitude -181.0 out of range",
    ),
    "missing_lat": (
        b'<gpx><trk><trkseg><trkpt lon="6"/><trkpt lat="45" lon="6"/></trkseg></trk></gpx>',
        "lat is missing",
    ),
    "nan_lat": (
        b'<gpx><trk><trkseg><trkpt lat="nan" lon="6"/><trkpt lat="45" lon="6"/></trkseg></trk>'
        b"</gpx>",
        "not a finite number",
    ),
    "binary": (bytes(range(256)) * 40, "not valid XML"),
    "utf16_garbage": ("<gpx>\udcff".encode("utf-8", "surrogatepass"), "not valid XML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line(tmp_path, case):
    data, problem = BAD[case]
    f = tmp_path / f"{case}.gpx"
    f.write_bytes(data)
    r = _run(f)
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    assert lines[0].startswith(f"Error: {f}: ")
    assert problem in lines[0]
    assert lines[0].count(", column ") <= 1, lines[0]
    assert "Traceback" not in r.output


def test_missing_file_and_directory(tmp_path):
    r = _run(tmp_path / "nope.gpx")
    assert r.exit_code == 1
    assert r.output == f"Error: {tmp_path / 'nope.gpx'}: no such file\n"
    r = _run(tmp_path)
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) >= 1


def test_bad_file_among_good_ones(tmp_path):
    good = _course(tmp_path)
    bad = tmp_path / "bad.gpx"
    bad.write_bytes(b"<gpx>")
    r = _run(good, bad, "--format", "json")
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [r.output.strip()]
    assert r.output.startswith(f"Error: {bad}: ")


def test_output_not_destroyed_on_failure(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous")
    bad = tmp_path / "bad.gpx"
    bad.write_bytes(b"")
    r = CliRunner().invoke(cli, ["profile", str(bad), "-o", str(out)])
    assert r.exit_code == 1
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.gpx", "report.json"]


# ---------------------------------------------------------------- h20 black-box findings


def _gpx(tmp_path, name, eles, step_m=10.0):
    """A straight track due north, ``step_m`` apart; None writes a point without <ele>."""
    pts = "\n".join(
        f'<trkpt lat="{45 + i * step_m / 111_150:.8f}" lon="6.0">'
        + ("" if e is None else f"<ele>{e:g}</ele>")
        + "</trkpt>"
        for i, e in enumerate(eles)
    )
    f = tmp_path / name
    f.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n'
        f"{pts}\n</trkseg></trk></gpx>\n"
    )
    return f


def test_zero_dropouts_cli(tmp_path):
    eles = [2000 + 0.5 * i for i in range(1001)]
    for i in (100, 300, 500, 700, 900):
        eles[i] = 0
    f = _gpx(tmp_path, "drop.gpx", eles)
    r = _run(f, "--format", "json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)[0]
    assert rec["gain_m"] == 500 and rec["loss_m"] == 0 and rec["min_elevation_m"] == 2000.0
    assert any("5 points at exactly 0 m" in w for w in rec["warnings"])


def test_all_zero_elevation_cli(tmp_path):
    """All-zero altitude is reported like a file without <ele>: null gain, and a warning."""
    r = _run(_gpx(tmp_path, "zero.gpx", [0] * 300), "--format", "json")
    rec = json.loads(r.stdout)[0]
    assert rec["gain_m"] is None and rec["loss_m"] is None and rec["min_elevation_m"] is None
    assert any("altitude is 0 m at every point" in w for w in rec["warnings"])
    none = json.loads(_run(_gpx(tmp_path, "none.gpx", [None] * 300), "--format", "json").stdout)
    assert none[0]["gain_m"] is None
    # no altitude, no D+: the km-effort and the ITRA points are unknown too (they were a
    # flat course's, 3.0 km-effort and 0 points, beside a null D+)
    for rec in (none[0], json.loads(r.stdout)[0]):
        assert rec["km_effort"] is None and rec["km_effort_itra"] is None
        assert rec["itra_points"] is None
    text = _run(tmp_path / "none.gpx").output
    assert "km-effort     - (no elevation: D+ unknown, no ITRA points)" in text
    # with altitude (all 1000 m: a real flat course) the figures are there
    flat = json.loads(_run(_gpx(tmp_path, "flat.gpx", [1000] * 300), "--format", "json").stdout)
    # (a km-effort of the km as printed, 2.99: km + 0 m / 100)
    assert flat[0]["km_effort"] == round(flat[0]["distance_m"] / 1000, 2) == 2.99
    assert flat[0]["itra_points"] == 0


def test_steepest_down_on_a_pure_climb_cli(tmp_path):
    f = _gpx(tmp_path, "up.gpx", [0.1 * i * 10 for i in range(1001)])  # 10 % over 10 km
    rec = json.loads(_run(f, "--format", "json").stdout)[0]
    assert rec["steepest_up_1km_grade"] == 0.1
    assert rec["steepest_down_1km_grade"] is None and rec["steepest_down_1km_start_m"] is None
    text = _run(f).stdout
    assert "  steepest km   up 10 % from km " in text and text.rstrip().endswith(
        ", down -  (km on the slope)"
    )


def test_csv_splits_one_table_per_file(tmp_path):
    """--format csv --splits wrote two tables (km, then m) into one CSV. The summary CSV
    is one table; the splits go to OUT-splits.csv, in metres as in JSON."""
    a = _course(tmp_path)
    r = _run(a, "--splits", "0.5", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert len(rows) == 2 and len(rows[0]) == len(rows[1])
    assert "OUT-splits.csv" in r.stderr
    out = tmp_path / "report.csv"
    r = _run(a, "--splits", "0.5", "--format", "csv", "-o", out)
    assert r.exit_code == 0, r.output
    assert len(list(csv.reader(io.StringIO(out.read_text())))) == 2
    sp = list(csv.DictReader(io.StringIO((tmp_path / "report-splits.csv").read_text())))
    assert list(sp[0]) == [
        "file",
        "start_m",
        "end_m",
        "gain_m",
        "loss_m",
        "elevation_m",
        "map_start_m",
        "map_end_m",
    ]
    assert [float(s["start_m"]) for s in sp] == [0, 500, 1000]
    # a later run without --splits removes the splits that no longer match
    r = _run(a, "--format", "csv", "-o", out)
    assert r.exit_code == 0 and not (tmp_path / "report-splits.csv").exists()


def test_threshold_small_against_noise_warns_cli(tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    eles = (np.linspace(1000, 1500, 2001) + rng.normal(0, 6.5, 2001)).round(1).tolist()
    f = _gpx(tmp_path, "noisy.gpx", eles, step_m=15.0)
    r = _run(f, "--gain-threshold", "10")
    assert r.exit_code == 0, r.output
    assert "warning: elevation noise about 6." in r.stdout and "10 m threshold" in r.stdout
    assert "warning: elevation noise" not in _run(f, "--gain-threshold", "25").stdout


def test_itra_km_effort_shown_as_itra_rounds(tmp_path):
    """A km-effort of 74.95 printed 74.9 next to 3 ITRA points (75-114): the rounded
    value the points come from is shown, and is in JSON as km_effort_itra."""
    f = _gpx(tmp_path, "flat.gpx", [100] * 7496, step_m=10.0)  # 74.95 km, flat
    rec = json.loads(_run(f, "--format", "json").stdout)[0]
    assert rec["km_effort"] == pytest.approx(74.9, abs=0.051)
    assert rec["km_effort_itra"] == 75 and rec["itra_points"] == 3
    assert "(ITRA rounds to 75: ITRA points 3)" in _run(f).stdout


def test_itra_points_of_the_printed_figures_at_a_band_edge(tmp_path):
    """70 km and a 449.6 m climb printed "70.00 km", "450 m", "km-effort 74.5 (ITRA rounds to
    74: ITRA points 2)": the unrounded 74.496 was rounded. ITRA, given the published 70.00 km
    and 450 m, counts 74.50, 75, 3 points; text and JSON now give those."""
    eles = [1000 + 449.6 * i / 70 for i in range(71)]
    f = _gpx(tmp_path, "edge.gpx", eles, step_m=1000.11)  # 70,000.1 m
    rec = json.loads(_run(f, "--gain-threshold", "1", "--format", "json").stdout)[0]
    assert rec["distance_m"] == pytest.approx(70_000, abs=4) and rec["gain_m"] == 450
    assert rec["km_effort"] == 74.5 and rec["km_effort_itra"] == 75 and rec["itra_points"] == 3
    text = _run(f, "--gain-threshold", "1").stdout
    assert "  distance      70.00 km " in text and "  D+ / D-       450 m / 0 m " in text
    assert "  km-effort     74.50  (ITRA rounds to 75: ITRA points 3)\n" in text


def test_printed_km_effort_is_the_printed_distance_and_gain(tmp_path):
    """The text's km-effort is its km + its D+/100 to the hundredth: 70.04 km and 445 m are
    74.49, not 74.5 next to "ITRA rounds to 74"."""
    eles = [1000 + 445.4 * i / 70 for i in range(71)]
    f = _gpx(tmp_path, "edge.gpx", eles, step_m=1000.7)  # 70,041.4 m
    text = _run(f, "--gain-threshold", "1").stdout
    assert "  distance      70.04 km " in text and "  D+ / D-       445 m / 0 m " in text
    assert "  km-effort     74.49  (ITRA rounds to 74: ITRA points 2)\n" in text
    rec = json.loads(_run(f, "--gain-threshold", "1", "--format", "json").stdout)[0]
    assert rec["km_effort"] == 74.49 and rec["km_effort_itra"] == 74


def test_gain_method_short_in_text_full_in_json(tmp_path):
    a = _course(tmp_path)
    text = _run(a).stdout
    line = next(x for x in text.splitlines() if x.startswith("  D+ / D-"))
    assert line.endswith("(automatic (noise 0.0 m))"), line
    assert "gauss" not in text and "calibrated" not in text
    rec = json.loads(_run(a, "--format", "json").stdout)[0]
    assert rec["gain_method"].startswith("auto:noise=") and "gauss" in rec["gain_method"]
    assert _run(a, "--gain-threshold", "10").stdout.count("(threshold 10 m)") == 1


def test_every_bad_file_among_several_is_named(tmp_path):
    """`profile folder/*.gpx` stopped at the first broken export: every file is now read
    and each bad one named on its own line; all or nothing, so no output and exit 1."""
    a, b = _course(tmp_path), _course(tmp_path, 100, "d.gpx")
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx>")
    out = tmp_path / "r.json"
    out.write_text("previous")
    r = _run(a, tmp_path / "missing.gpx", bad, b, "--format", "json", "-o", str(out))
    assert r.exit_code == 1 and r.stdout == "" and out.read_text() == "previous"
    err = r.stderr.strip().splitlines()
    assert len(err) == 2 and all(ln.startswith("Error: ") for ln in err), r.stderr
    assert "missing.gpx" in err[0] and "bad.gpx" in err[1] and "Traceback" not in r.stderr


def test_plot_of_another_kind_is_a_usage_error(tmp_path):
    """A bad option value exits 2 before any work (docs/guarantees.md); it exited 1."""
    r = _run(_course(tmp_path), "--plot", str(tmp_path / "x.pdf"))
    assert r.exit_code == 2 and "must end in .png or .svg" in r.output
    assert not (tmp_path / "x.pdf").exists()
    r = _run(_course(tmp_path), "--plot", str(tmp_path / "x.SVG"))
    assert r.exit_code == 0 and (tmp_path / "x.SVG").read_bytes().startswith(b"<?xml")


def test_plot_given_twice_writes_both(tmp_path):
    """Black-box finding 20: `--plot a.svg --plot b.png` wrote only b.png (click keeps the
    last value of an option given twice). Each format given is written; with several
    files, several --plot are refused before any work (a figure per file, or formats of
    the first? the command does not guess)."""
    a = _course(tmp_path)
    svg, png = tmp_path / "out" / "a.svg", tmp_path / "b.png"
    r = _run(a, "--plot", svg, "--plot", png, "--plot", svg)
    assert r.exit_code == 0, r.output
    assert svg.read_bytes().startswith(b"<?xml") and png.read_bytes()[:4] == b"\x89PNG"
    # a bad one among them: a usage error before any work, none written
    r = _run(a, "--plot", tmp_path / "c.svg", "--plot", tmp_path / "d.pdf")
    assert r.exit_code == 2 and "must end in .png or .svg, got 'd.pdf'" in r.output
    assert not (tmp_path / "c.svg").exists()
    b = _course(tmp_path, 100, "d.gpx")
    r = _run(a, b, "--plot", tmp_path / "e.svg", "--plot", tmp_path / "f.svg")
    assert r.exit_code == 2, r.output
    assert "--plot given 2 times with 2 files: it draws the first file's profile" in r.output
    assert not list(tmp_path.glob("[ef].svg"))
    assert _run(a, b, "--plot", tmp_path / "e.svg").exit_code == 0  # once: the first file


def test_plot_and_report_on_one_path_is_a_usage_error(tmp_path, monkeypatch):
    """Black-box finding K7: `profile X.gpx --plot p.png -o p.png` wrote the figure, then the
    report over it (exit 0, "wrote p.png"). The same path for two outputs is refused before
    any work (however written); a figure written is said on standard error as -o says of the
    report."""
    gpx = _course(tmp_path)
    png = tmp_path / "p.png"
    monkeypatch.chdir(tmp_path)
    for other in (png, "p.png", tmp_path / "sub" / ".." / "p.png"):
        r = _run(gpx, "--plot", png, "-o", other)
        assert r.exit_code == 2, r.output
        assert r.stderr.splitlines()[-1] == (
            f"Error: --plot {png} and -o {other} are the same file: give each output its own path"
        )
        assert not png.exists()
    report = tmp_path / "p.txt"
    r = _run(gpx, "--plot", png, "-o", report)
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and r.stderr == f"wrote {png}\nwrote {report}\n"
    assert png.read_bytes()[:4] == b"\x89PNG" and report.read_text().startswith(str(gpx))
    # to standard output: the report there, the figure said on standard error
    r = _run(gpx, "--plot", png, "--format", "json")
    assert r.exit_code == 0 and r.stderr == f"wrote {png}\n"
    assert json.loads(r.stdout)[0]["file"] == str(gpx)


def test_a_sketch_gpx_is_flagged_schematic(tmp_path):
    """L10 (twenty-fourth sprint, contract review): `profile` of a GPX written by `coursekit
    sketch` gave `warnings: []` and no schematic flag, though the README says every output
    of a sketch says so (62 km / 2174 m D+ for the HAUT 120's 120 km / 6400 m)."""
    places = tmp_path / "p.toml"
    places.write_text(
        'name = "S"\n[[places]]\nname = "A"\nlat = 45.0\nlon = 6.0\nalt_m = 1000\n'
        '[[places]]\nname = "B"\nlat = 45.05\nlon = 6.0\nalt_m = 1500\n'
    )
    sk = tmp_path / "s.gpx"
    assert CliRunner().invoke(cli, ["sketch", str(places), "-o", str(sk)]).exit_code == 0
    plain = _course(tmp_path)
    r = _run(sk, plain, "--format", "json")
    assert r.exit_code == 0, r.output
    s, p = json.loads(r.stdout)
    assert s["schematic"] is True and p["schematic"] is False
    assert s["warnings"][0].startswith("schematic sketch (written by coursekit sketch)")
    assert not [w for w in p["warnings"] if "sketch" in w]
    assert "warning: schematic sketch" in _run(sk).output


def test_splits_add_up_to_the_totals_as_printed(tmp_path):
    """h75 G2: each split's D+/D- was rounded on its own, so the splits drifted from the
    totals (GRR at 0.1 km: +6 m D+, -17 m D-); they are rounded as the legs table is."""
    # rollers of 0.4 m per 10 m step: every 100 m split has a fractional D+ and D-
    eles = [1000 + 2.0 * abs(((i * 0.37) % 4) - 2) + 0.013 * i for i in range(2001)]
    f = _gpx(tmp_path, "roll.gpx", eles)
    for every in ("0.1", "0.3", "1"):
        rec = json.loads(_run(f, "--splits", every, "--format", "json").stdout)[0]
        sp = rec["splits"]
        assert sum(s["gain_m"] for s in sp) == rec["gain_m"], every
        assert sum(s["loss_m"] for s in sp) == rec["loss_m"], every


def test_splits_without_elevation_are_unknown(tmp_path):
    """h75 G3: a file without altitude printed D+/D- 0 in every split, beside a null total."""
    f = _gpx(tmp_path, "none.gpx", [None] * 300)
    rec = json.loads(_run(f, "--splits", "1", "--format", "json").stdout)[0]
    assert rec["gain_m"] is None and len(rec["splits"]) == 3
    assert all(s["gain_m"] is None and s["loss_m"] is None for s in rec["splits"])
    text = _run(f, "--splits", "1").stdout.splitlines()
    assert text[-1].split()[2:] == ["-", "-", "-"], text[-1]


@pytest.mark.parametrize(
    "every, first_rows", [("0.25", ["0.00 0.25", "0.25 0.50"]), ("0.05", ["0.00 0.05"])]
)
def test_split_km_labels_show_the_edges(tmp_path, every, first_rows):
    """h75 G7: 0.25 km splits were labelled 0.0-0.2, 0.2-0.5 (0.05 km: 0.1 0.1, ...)."""
    text = _run(_course(tmp_path), "--splits", every).stdout.splitlines()
    head = next(i for i, ln in enumerate(text) if ln.startswith("from km"))
    rows = [" ".join(ln.split()[:2]) for ln in text[head + 2 : head + 2 + len(first_rows)]]
    assert rows == first_rows


def _steep(tmp_path):
    """h91 J8: a 40 % descent (map km 0-1), flat (1-2), a 50 % climb (2-3), flat to 3.5
    map km, 10 m steps: on the slope 1 km of map is 1077 m (descent) and 1118 m (climb)."""

    def ele(x):
        if x <= 1000:
            return 2000 - 0.4 * x
        if x <= 2000:
            return 1600.0
        return 1600 + 0.5 * (min(x, 3000) - 2000)

    return _gpx(tmp_path, "steep.gpx", [ele(10.0 * i) for i in range(351)])


def test_splits_and_steepest_km_count_the_km_of_legs(tmp_path):
    """h91 J8: the splits and the steepest km counted map km (the Eiger's last split
    ended at 266.1 while legs and cutoffs finish at 269.6, on the slope) and did not
    say which. They count the km of legs (on the slope) and say so; the map km are
    kept beside them."""
    f = _steep(tmp_path)
    down, climb = 1000 * math.hypot(1, 0.4), 1000 * math.hypot(1, 0.5)  # 1077, 1118 m
    rec = json.loads(_run(f, "--splits", "1", "--format", "json").stdout)[0]
    assert rec["km_basis"] == "slope"
    assert rec["distance_3d_m"] == pytest.approx(down + 1000 + climb + 500, rel=2e-3)
    sp = rec["splits"]
    assert [s["start_m"] for s in sp] == [0, 1000, 2000, 3000]
    assert sp[-1]["end_m"] == rec["distance_3d_m"]
    assert sp[-1]["map_end_m"] == rec["distance_m"]
    # slope km 1 is on the descent, at map 1000 / 1.077: 371 m lower than the start
    assert sp[0]["map_end_m"] == pytest.approx(1000 * 1000 / down, abs=10)
    assert sp[0]["elevation_m"] == pytest.approx(2000 - 0.4 * 1000 * 1000 / down, abs=4)
    # slope km 2 is on the flat, 2000 - 1077 m past map km 1
    assert sp[1]["map_end_m"] == pytest.approx(1000 + 2000 - down, abs=10)
    # the steepest climb starts at map km 2.0, the legs' km 2.1
    assert rec["steepest_up_1km_grade"] == pytest.approx(0.5, abs=0.01)
    assert rec["steepest_up_1km_start_m"] == pytest.approx(2000, abs=15)
    assert rec["steepest_up_1km_start_along_m"] == pytest.approx(down + 1000, abs=15)
    text = _run(f, "--splits", "1").stdout.splitlines()
    steep = next(ln for ln in text if ln.startswith("  steepest km"))
    assert steep.startswith("  steepest km   up 50 % from km 2.1, down -40 % from km 0.0")
    assert steep.endswith("(km on the slope)")
    head = text.index(next(ln for ln in text if ln.startswith("from km")))
    assert text[head - 1] == "splits every 1 km on the slope, the km of legs and cutoffs"
    assert text[-1].split()[:2] == ["3.0", f"{rec['distance_3d_m'] / 1000:.1f}"]
