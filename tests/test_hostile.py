"""Hostile and broken XML: refused with one line or read, in bounded time and memory.

Also the fuzz test: mutated GPX through read_gpx + make_profile + course_stats
+ splits may only raise CoursekitError. ``COURSEKIT_FUZZ_EXAMPLES`` raises the
number of cases (benchmarks/bench_fuzz.py runs >= 10,000).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from guards import HANG_SECONDS, assert_bounded, hang_guard, size_spy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_big_gpx  # noqa: E402

from coursekit.errors import CoursekitError, GPXError
from coursekit.gpx import read_gpx

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<gpx version="1.1"><trk><name>&lol9;</name><trkseg>
<trkpt lat="45" lon="6"><ele>1</ele></trkpt><trkpt lat="45.1" lon="6"><ele>2</ele></trkpt>
</trkseg></trk></gpx>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&xxe;</name><trkseg>
<trkpt lat="45" lon="6"/><trkpt lat="45.1" lon="6"/></trkseg></trk></gpx>
"""

POINTS = (
    b'<trkpt lat="45" lon="6"><ele>1</ele></trkpt><trkpt lat="45.1" lon="6"><ele>2</ele></trkpt>'
)


_HWM_PRELUDE = textwrap.dedent(
    """
    import json, re
    from coursekit.errors import GPXError
    from coursekit.gpx import read_gpx
    from lxml import etree  # imported by the general reader: not counted as its memory
    def hwm():  # the process's peak RSS (VmHWM: per address space, reset by exec) [MB]
        status = open("/proc/self/status").read()
        return int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024
    base = hwm()
    """
)
"""Start of the child scripts that measure ``read_gpx``'s memory: ``hwm()`` and ``base``."""


def _read_in_child(path):
    """read_gpx(path) in a child process: (points or None, name length, error, MB grown).

    "MB grown" is the child's peak RSS (VmHWM) during the read minus before it: an
    expanded entity, a tree kept at every nesting level or a value copied many times
    shows there, on any machine. The read fails as a hang after HANG_SECONDS only (its
    speed is in benchmarks/bench_fuzz.py).
    """
    code = _HWM_PRELUDE + textwrap.dedent(
        f"""
        try:
            t = read_gpx({str(path)!r})
            out = [len(t), len(t.name), "root:" in t.name, None]
        except GPXError as exc:
            out = [None, None, None, str(exc)]
        print(json.dumps(out + [hwm() - base]))
        """
    )
    try:
        run = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: read_gpx({path.name}) still running after {HANG_SECONDS:g} s")
    assert run.returncode == 0, run.stderr[-2000:]
    n, name_len, passwd, err, grown = json.loads(run.stdout)
    if err is not None:
        assert "\n" not in err and err.startswith(str(path))
    assert not passwd  # an external entity (file:///etc/passwd) was not read
    return n, name_len, err, grown


# Peak memory a read of these files (< 1 MB, or a 20 MB value) may add [MB]. Measured
# (lxml imported before): DTD 1 MB, deep nesting 28 MB, long values 12 MB (text) and
# 77 MB (a 20 MB attribute: a few linear copies). A billion-laughs expansion is ~3 GB;
# work kept per nesting level and per other level, or per character, far more.
READ_GROWTH_MB = 64.0
VALUE_MB = 20.0


@pytest.mark.parametrize("doc", [LAUGHS, XXE], ids=["billion_laughs", "external_entity"])
def test_dtd_refused(tmp_path, doc, monkeypatch):
    """Refused from the first 64 KB, before any parser sees the file: nothing expanded."""
    from coursekit import gpx

    f = tmp_path / "h.gpx"
    f.write_bytes(doc)
    parsed = []
    for fn in ("_read_fast", "_read_lxml"):  # count, then call the real parser
        real = getattr(gpx, fn)
        monkeypatch.setattr(gpx, fn, lambda *a, _r=real, _n=fn: parsed.append(_n) or _r(*a))
    with hang_guard("read_gpx of a DTD"), pytest.raises(GPXError) as exc:
        read_gpx(f)
    err = str(exc.value)
    assert "\n" not in err and err.startswith(str(f))
    assert "DOCTYPE/ENTITY declarations are not allowed" in err
    assert parsed == []


@pytest.mark.parametrize("doc", [LAUGHS, XXE], ids=["billion_laughs", "external_entity"])
def test_dtd_after_a_long_comment(tmp_path, doc):
    """A DOCTYPE pushed beyond the first 64 KB is not expanded either (memory, name)."""
    f = tmp_path / "h.gpx"
    decl, rest = doc.split(b"\n", 1)
    f.write_bytes(decl + b"\n<!--" + b" " * 200_000 + b"-->\n" + rest)
    n, name_len, err, grown = _read_in_child(f)
    assert grown < READ_GROWTH_MB, grown
    if n is not None:
        assert name_len < 1000 and n == 2


def test_deep_nesting(tmp_path):
    """Refused at libxml2's depth limit: the parse stops near the start of the file
    (column of the error), not after walking 100,000 levels."""
    f = tmp_path / "deep.gpx"
    n = 100_000
    f.write_bytes(b"<gpx>" + b"<a>" * n + b"</a>" * n + b"</gpx>")
    points, _, err, grown = _read_in_child(f)
    assert points is None
    column = int(re.search(r"column (\d+)", err).group(1))
    assert column < 10_000, err  # the file is 700,011 bytes on one line
    assert grown < READ_GROWTH_MB, grown


def test_deep_nesting_inside_a_point(tmp_path):
    f = tmp_path / "deep.gpx"
    n = 100_000
    nest = b"<extensions>" + b"<a>" * n + b"</a>" * n + b"</extensions>"
    f.write_bytes(
        b'<gpx><trk><trkseg><trkpt lat="45" lon="6">'
        + nest
        + b"</trkpt>"
        + POINTS
        + b"</trkseg></trk></gpx>"
    )
    points, _, err, grown = _read_in_child(f)
    assert err is not None or points == 3
    assert grown < READ_GROWTH_MB, grown


@pytest.mark.parametrize("where", ["attribute", "text", "name"])
def test_very_long_values(tmp_path, where):
    big = b"1" * int(VALUE_MB * 1e6)
    if where == "attribute":
        body = b'<trkpt lat="' + big + b'" lon="6"/>' + POINTS
    elif where == "text":
        body = b'<trkpt lat="45" lon="6"><ele>' + big + b"</ele></trkpt>" + POINTS
    else:
        name = b"<name>" + b"x" * int(VALUE_MB * 1e6) + b"</name>"
        body = b'<trkpt lat="45" lon="6">' + name + b"</trkpt>" + POINTS
    f = tmp_path / "long.gpx"
    f.write_bytes(b"<gpx><trk><trkseg>" + body + b"</trkseg></trk></gpx>")
    points, _, err, grown = _read_in_child(f)
    if where in ("attribute", "text"):
        assert points is None  # 1e20000000 is not a finite number / over libxml2's limits
    # linear in the value: a few copies of it, no more
    assert grown < 5 * VALUE_MB, grown


def test_big_file_streams_with_bounded_memory(tmp_path):
    """~120 MB of track points read in a child process: peak RSS far below the file size.

    The child's high-water mark is VmHWM (per address space, reset by exec), not
    ``ru_maxrss``, which Linux carries over from the parent process across exec.
    """
    f = tmp_path / "big.gpx"
    n_points = write_big_gpx(f, 120_000_000)
    size_mb = f.stat().st_size / 1e6
    code = _HWM_PRELUDE + textwrap.dedent(
        f"""
        t = read_gpx({str(f)!r})
        print(len(t), base, hwm())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    n, base, peak = out.stdout.split()
    assert int(n) == n_points
    # arrays: 5 x 8 bytes per point; the file itself is never held whole
    assert float(peak) - float(base) < 0.4 * size_mb


# ---------------------------------------------------------------- fuzzing

BASE = (
    b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="fuzz" xmlns="http://www.topografix.com/GPX/1/1">
 <metadata><name>Fuzz</name></metadata>
 <wpt lat="45.0005" lon="6.0005"><ele>1010</ele><name>CP &amp; 1</name></wpt>
 <trk><name>Base</name><trkseg>
"""
    + b"".join(
        b'  <trkpt lat="%.6f" lon="%.6f"><ele>%.1f</ele><time>2024-06-01T04:%02d:%02dZ</time>'
        b"<extensions><hr>120</hr></extensions></trkpt>\n"
        % (45 + i * 2e-4, 6 + (i % 7) * 1e-4, 1000 + 3 * np.sin(i / 3), i // 60, i % 60)
        for i in range(40)
    )
    + b""" </trkseg></trk>
</gpx>
"""
)

VALUES = [
    b"nan",
    b"inf",
    b"-inf",
    b"1e999",
    b"",
    b" ",
    b"-91",
    b"91",
    b"181",
    b"-180.0000001",
    b"abc",
    b"1_0",
    b"0x1",
    b"\xff",
    b"-0",
    b"1e-320",
    b"90",
    b"-90",
    b"180",
]


@st.composite
def mutated(draw):
    data = BASE
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                [
                    "truncate",
                    "byte",
                    "insert",
                    "delete",
                    "value",
                    "attr",
                    "segments",
                    "one_point",
                    "duplicate",
                    "backwards",
                    "encoding",
                    "swap",
                ]
            )
        )
        n = len(data)
        if n == 0:
            break
        if op == "truncate":
            data = data[: draw(st.integers(0, n))]
        elif op == "byte":
            i = draw(st.integers(0, n - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif op == "insert":
            i = draw(st.integers(0, n))
            data = data[:i] + draw(st.binary(max_size=20)) + data[i:]
        elif op == "delete":
            i = draw(st.integers(0, n - 1))
            data = data[:i] + data[i + draw(st.integers(1, 40)) :]
        elif op == "value":
            import re

            spots = [
                m.span(1)
                for m in re.finditer(rb'(?:lat|lon)="([^"]*)"|<(?:ele|time)>([^<]*)<', data)
            ]
            if spots:
                a, b = draw(st.sampled_from(spots))
                if a < 0:
                    continue
                data = data[:a] + draw(st.sampled_from(VALUES)) + data[b:]
        elif op == "attr":
            which = draw(st.sampled_from([b'lat="', b'lon="']))
            i = data.find(which, draw(st.integers(0, n)))
            j = data.find(b'"', i + len(which)) if i >= 0 else -1
            if j >= 0:
                data = data[:i] + data[j + 1 :]
        elif op == "segments":
            data = data.replace(
                b"</trkpt>\n",
                b"</trkpt>\n</trkseg><trkseg></trkseg><trkseg>\n",
                draw(st.integers(1, 5)),
            )
        elif op == "one_point":
            s = data.find(b"<trkpt")
            e = data.rfind(b"</trkseg>")
            if s >= 0 and e > s:
                first_end = data.find(b"</trkpt>", s) + len(b"</trkpt>")
                data = data[:first_end] + data[e:]
        elif op == "duplicate":
            s = data.find(b"<trkpt")
            e = data.find(b"</trkpt>", s) + len(b"</trkpt>")
            if s >= 0 and e > s:
                data = data[:e] + data[s:e] * draw(st.integers(1, 5)) + data[e:]
        elif op == "backwards":
            data = data.replace(b"04:00:1", b"03:59:1")
        elif op == "encoding":
            enc = draw(st.sampled_from(["utf-16", "latin-1", "cp1252", "utf-32"]))
            text = data.decode("utf-8", "replace").replace("CP & 1", "CP é & 1")
            try:
                data = text.encode(enc, "replace")
            except (UnicodeError, LookupError):
                pass
        elif op == "swap":
            data = (
                data.replace(b'lat="', b'LAT="', 1)
                .replace(b'lon="', b'lat="', 1)
                .replace(b'LAT="', b'lon="', 1)
            )
    return data


FUZZ_EXAMPLES = int(os.environ.get("COURSEKIT_FUZZ_EXAMPLES", "300"))


# Known slow path (profile.py): a point at a pole followed by one at 45 deg (a 15,000 km
# jump) made auto_gain_loss resample millions of grid samples; its grid is now capped
# (_MAX_GRID). The tests assert the grid sizes; the time per case is printed by
# benchmarks/bench_fuzz.py (against the former 5 s bound).
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=FUZZ_EXAMPLES <= 300,
)
@given(data=mutated())
def test_fuzz_only_coursekit_errors(tmp_path_factory, data):
    from coursekit.profile import course_stats, make_profile, splits

    f = tmp_path_factory.mktemp("fz") / "f.gpx"
    f.write_bytes(data)
    with hang_guard(f"fuzz case {data[:80]!r}"), size_spy() as sizes:
        try:
            track = read_gpx(f)
            prof = make_profile(track)
            course_stats(prof)
            splits(prof, 1000.0)
            make_profile(track, gain_threshold=5.0)
        except CoursekitError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(f))
    assert_bounded(sizes, data[:80])


@pytest.mark.parametrize(
    "points",
    [
        [(90, 0), (90, 1), (90, 2)],  # at the pole: 7e-12 m apart
        [(45, 6), (45.00000000000001, 6)],  # the last digit of a float: 1e-9 m
    ],
    ids=["pole", "last-digit"],
)
def test_profile_of_a_track_shorter_than_a_nanometre(tmp_path, points, monkeypatch):
    """``coursekit profile`` on a track a fraction of a nanometre long: the grade
    regression's window counted in grid steps of that length (2e12 samples at the pole),
    and the command ended with "Error: MemoryError: Unable to allocate 16.0 TiB"."""
    from click.testing import CliRunner

    from coursekit.cli import cli

    body = "".join(
        f'<trkpt lat="{la}" lon="{lo}"><ele>{10 + i}</ele></trkpt>'
        for i, (la, lo) in enumerate(points)
    )
    f = tmp_path / "tiny.gpx"
    f.write_text(f'<gpx version="1.1"><trk><trkseg>{body}</trkseg></trk></gpx>')
    kernels = []
    real_convolve = np.convolve

    def convolve(a, v, *args, **kwargs):  # measure the grade regression's arrays
        kernels.append(max(np.size(a), np.size(v)))
        return real_convolve(a, v, *args, **kwargs)

    monkeypatch.setattr(np, "convolve", convolve)
    with hang_guard("profile of a nanometre track"), size_spy() as sizes:
        res = CliRunner().invoke(cli, ["profile", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    # a track of 2-3 points: grids of a few samples, the regression's window at most
    # ceil(80 m / 10 m) = 8 steps either side (it was 2e12 samples at the pole)
    assert kernels and max(kernels) <= 2 * 8 + 1 + max(sizes["grid"]), (kernels, sizes)
    assert max(sizes["grid"]) <= 10, sizes


def test_grade_grid_of_a_track_of_pole_to_pole_jumps_is_capped(tmp_path):
    """h113: the grade regression's 10 m grid had no cap: each jump from pole to pole
    between two consecutive points added 2,000,000 samples (5 jumps: 10 million, 80 MB an
    array). Its step grows beyond ``_MAX_GRID`` samples, as ``auto_gain_loss``'s does."""
    from click.testing import CliRunner

    from coursekit.cli import cli
    from coursekit.profile import _MAX_GRID

    body = "".join(
        f'<trkpt lat="{89.0 if i % 2 else -89.0}" lon="6"><ele>{10 + i}</ele></trkpt>'
        for i in range(6)
    )
    f = tmp_path / "poles.gpx"
    f.write_text(f'<gpx version="1.1"><trk><trkseg>{body}</trkseg></trk></gpx>')
    with hang_guard("profile of a track of pole-to-pole jumps"), size_spy() as sizes:
        res = CliRunner().invoke(cli, ["profile", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["distance_m"] > 5 * 19_000_000  # 5 jumps, ~19,800 km
    # the grade's grids (``_resample``), not only the box grids of auto_gain_loss
    grade = list(sizes["grid"])
    for n in sizes["box"]:
        grade.remove(n)
    assert grade, sizes
    assert max(grade) <= _MAX_GRID + 2, sizes
    assert_bounded(sizes, "pole-to-pole jumps")
