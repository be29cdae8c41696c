"""Course files (contract 1, docs/course-file.md): properties on generated files (hypothesis).

Each property is what docs/course-file.md and DESIGN.md promise of a course file and of
what the commands make of it:

- every accepted file gives a coherent course: its legs table starts at 0 and ends at the
  course's length, in course order, a checkpoint placed by ``km`` on its km, one placed by
  position within its tolerance, each checkpoint once;
- every refused file is one line naming the file (the library's :class:`CoursekitError`,
  and ``Error: <file>: <problem>`` with exit 1 from the CLI), never a traceback;
- the durations (``limit``, ``cutoff``, ``dwell``) read what the doc lists, and a limit
  coursekit prints reads back as itself;
- the roadbook shows every text as written and never as markup, in pages whose file names
  are plain, distinct and inside the output folder.

The generated files are written by hand (a small TOML writer) beside a GPX written here.
The examples are derandomized, so the test is deterministic; the roadbook, slow, sees a
few examples only.
"""

from __future__ import annotations

import html
import json
import os
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coursekit.checkpoints import course_legs
from coursekit.cli import cli
from coursekit.clock import limit_hm
from coursekit.course import MAX_DURATION_S, load_course, load_event, parse_duration
from coursekit.errors import CoursekitError
from coursekit.gpx import write_gpx

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

START = "2024-06-01T06:00:00+01:00"


def _q(x) -> str:
    """A TOML value: JSON writes strings, numbers, booleans and arrays as TOML reads them
    (non-ASCII kept, control characters escaped)."""
    return json.dumps(x, ensure_ascii=False)


def course_text(top: dict, checkpoints=(), extra: str = "") -> str:
    """A course file: ``top``'s keys (``start`` written bare, a TOML date-time), then one
    ``[[checkpoints]]`` table per dict, then ``extra`` as written."""
    lines = [f"{k} = {v if k == 'start' else _q(v)}" for k, v in top.items()]
    for cp in checkpoints:
        lines += ["", "[[checkpoints]]"] + [f"{k} = {_q(v)}" for k, v in cp.items()]
    return "\n".join(lines) + "\n" + extra


def base_top(**kw) -> dict:
    return {"name": "Prop 11", "gpx": "t.gpx", "start": START, "limit": "4h", **kw}


def run(*args):
    """``coursekit ARGS``: (exit code, output, exception other than the exit)."""
    res = CliRunner().invoke(cli, [str(a) for a in args])
    exc = res.exception if not isinstance(res.exception, SystemExit) else None
    return res.exit_code, res.output, exc


def assert_one_error_line(code, out, exc, path):
    """Exit 1 and one line ``Error: <path>...``: no traceback, no internal error."""
    assert exc is None, repr(exc)
    assert code == 1, out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith(f"Error: {path}"), out
    assert "internal error" not in out and "Traceback" not in out, out


# ---------------------------------------------------------------- regressions


@pytest.mark.parametrize(
    "where, text, fragment",
    [
        # the proposed limit of 0 was refused as "key 'limit': must be longer than zero",
        # naming a key the file does not have
        (
            "proposed",
            '\n[[proposed]]\nfield = "limit"\nvalue = "0h"\nbasis = "guess"\n',
            "proposed[0] key 'value'",
        ),
        # a declared limit of 0 was taken, and check warned "limit 4:00 differs from 0:00"
        ("declared", '\n[[declared]]\nsource = "rules"\nlimit = "0m"\n', "key 'limit'"),
        ("limit", "", "key 'limit'"),
    ],
)
def test_a_limit_of_zero_is_refused_where_it_is_written(tmp_path, where, text, fragment):
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    top = base_top()
    if where == "proposed":
        del top["limit"]
    if where == "limit":
        top["limit"] = "0m"
    path = tmp_path / "c.toml"
    path.write_text(course_text(top, extra=text), encoding="utf-8")
    with pytest.raises(CoursekitError, match=re.escape(fragment)) as err:
        load_course(path)
    assert "> 0" in str(err.value)
    if where == "declared":
        assert "declared[0] ('rules')" in str(err.value)
    assert_one_error_line(*run("cutoffs", path), path)


def test_zero_is_no_positive_duration_in_any_form():
    for text in ("0h", "0m", "0s", "0h0m0s", "0min", "0:00", "0:00:00", 0, 0.0):
        with pytest.raises(ValueError, match="> 0"):
            parse_duration(text, positive=True, hours_minutes=True)
        assert parse_duration(text, hours_minutes=True) == 0.0


def _loop(folder, name="loop"):
    """A symbolic link to itself (``name`` -> ``name``): resolving it loops."""
    os.symlink(name, folder / name)
    return name


def test_a_gpx_that_is_a_symlink_loop_is_one_error_line(tmp_path):
    """The course's ``gpx`` resolved with :meth:`Path.resolve`, which raises RuntimeError on
    a link loop (Python 3.11): every command said "internal error"."""
    path = tmp_path / "c.toml"
    path.write_text(course_text(base_top(gpx=_loop(tmp_path))), encoding="utf-8")
    with pytest.raises(CoursekitError, match="key 'gpx'"):
        load_course(path)
    assert_one_error_line(*run("cutoffs", path), path)
    assert_one_error_line(*run("roadbook", path, "-o", tmp_path / "rb"), path)
    assert not (tmp_path / "rb").exists()


@pytest.mark.parametrize("table", ["combined", "runners"])
def test_an_event_naming_a_symlink_loop_is_one_error_line(tmp_path, table):
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    for k in (1, 2):
        (tmp_path / f"r{k}.toml").write_text(course_text(base_top()), encoding="utf-8")
    loop = _loop(tmp_path)
    body = 'name = "Ev"\ncourses = ["r1.toml", "r2.toml"]\n'
    if table == "combined":
        body += f'[[combined]]\nname = "Both"\ncourses = ["r1.toml", "{loop}"]\n'
    else:
        body += f'[runners]\n"{loop}" = 10\n'
    event = tmp_path / "event.toml"
    event.write_text(body, encoding="utf-8")
    with pytest.raises(CoursekitError, match=f"{table}.*{loop}"):
        load_event(event)
    assert_one_error_line(*run("event", event), event)


def test_an_output_that_is_a_symlink_loop_is_no_internal_error(tmp_path):
    """``-o`` was resolved with :meth:`Path.resolve` to compare it with ``--plot``'s, which
    raised RuntimeError on a link loop: cutoffs, export and map said "internal error". The
    output replaces the link, as it replaces any file there (an atomic rename)."""
    write_gpx(tmp_path / "t.gpx", [45.0, 45.01], [6.0, 6.0], [1000.0, 1000.0], name="t")
    path = tmp_path / "c.toml"
    path.write_text(course_text(base_top()), encoding="utf-8")
    out = tmp_path / _loop(tmp_path)
    code, text, exc = run("cutoffs", path, "-o", out, "--format", "json")
    assert exc is None and code == 0, text
    assert json.loads(out.read_text(encoding="utf-8"))["course"] == "Prop 11"


def test_a_name_the_figures_font_lacks_draws_without_warnings(tmp_path):
    """A checkpoint named with an emoji (or CJK, which DejaVu Sans lacks): matplotlib warned
    "Glyph ... missing from font(s)" for each figure, several lines of Python on stderr per
    roadbook page, and an internal error under ``-W error`` (as pytest runs)."""
    import warnings

    from coursekit.figures import outline_svg, profile_svg

    write_track(tmp_path)
    path = tmp_path / "c.toml"
    cps = [{"name": "🏔️ Refuge", "km": 3.0}, {"name": "富士山", "km": 6.0}]
    path.write_text(course_text(base_top(name="⛰ 11"), cps), encoding="utf-8")
    course = load_course(path)
    legs = course_legs(course)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "<svg" in profile_svg(course.profile, legs=legs, title=course.name)
        assert "<svg" in outline_svg(course.profile, legs=legs)
    code, text, exc = run("roadbook", path, "-o", tmp_path / "rb")
    assert exc is None and code == 0, text
    assert "Warning" not in text


# ---------------------------------------------------------------- durations


@FAST
@given(st.integers(1, int(MAX_DURATION_S)))
def test_a_limit_as_coursekit_prints_it_reads_back_as_itself(seconds):
    """docs/course-file.md: a limit may be written ``"46:45:30"``, as coursekit prints
    elapsed times; what :func:`limit_hm` prints is that limit again."""
    assert parse_duration(limit_hm(seconds), positive=True, hours_minutes=True) == seconds


@FAST
@given(
    st.integers(0, 1439),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["{h}h{m}m{s}s", "{h}h{m}m", "{h}h{m}", "{h}h {m}min {s}s", "{h}H{m}M{s}S"]),
)
def test_durations_with_units_add_up(h, m, s, form):
    text = form.format(h=h, m=m, s=s)
    assert parse_duration(text) == h * 3600 + m * 60 + (s if "{s}" in form else 0)


@FAST
@given(st.text(alphabet="0123456789hms:. in", max_size=12))
def test_any_duration_text_is_a_bounded_duration_or_a_one_line_error(text):
    for kw in ({}, {"positive": True, "hours_minutes": True}):
        try:
            v = parse_duration(text, **kw)
        except ValueError as exc:
            assert "\n" not in str(exc) and repr(text) in str(exc)
            continue
        assert 0 <= v <= MAX_DURATION_S and (v > 0 or not kw), (text, v)


# ---------------------------------------------------------------- generated course files

LENGTH_M = 11_000.0
N_POINTS = 221  # a point every 50 m
M_PER_DEG_LAT = 111_132.0

NAMES = (
    "Lac",
    "lac",
    "Lâc",
    "Lâc",  # the same, decomposed (NFD)
    "Col de l'Âne",
    'Q "quoted"',
    "A & B",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "{{ x }} ${y} `z`",
    "🏔️ Refuge",
    "ⵜⵉⵣⵉ",
    "../x",
    "/etc/passwd",
    "index",
    "x" * 300,
    "  padded  ",
    "\u202eevil",
)
name_st = st.one_of(
    st.sampled_from(NAMES),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20
    ).filter(lambda t: t.strip() and "\ufffe" not in t and "\uffff" not in t),
)


def write_track(folder, waypoints=()):
    """An 11 km track due north from 45 N 6 E, climbing and descending 200 m, with
    ``waypoints`` ((name, km, east [m]) each) as GPX waypoints."""
    from coursekit.gpx import Waypoint

    s = np.linspace(0.0, LENGTH_M, N_POINTS)
    lat = 45.0 + s / M_PER_DEG_LAT
    ele = 1000.0 + 200.0 * np.sin(s / 1500.0)
    wpts = [
        Waypoint(name, 45.0 + km * 1000 / M_PER_DEG_LAT, 6.0 + east / 78_850.0)
        for name, km, east in waypoints
    ]
    write_gpx(folder / "t.gpx", lat, np.full(s.size, 6.0), ele, name="t", waypoints=wpts)


@st.composite
def course_files(draw):
    """(top keys, checkpoints, waypoints): checkpoints in course order, each placed by km,
    lat + lon (up to 100 m off the track) or a waypoint, at least 300 m apart."""
    n = draw(st.integers(0, 6))
    slots = sorted(draw(st.lists(st.integers(1, 30), min_size=n, max_size=n, unique=True)))
    cps, wpts = [], []
    for k, slot in enumerate(slots):
        km = round(slot * LENGTH_M / 1000 / 31, 3)  # 0.35-10.6 km
        cp = {"name": draw(name_st)}
        how = draw(st.sampled_from(["km", "latlon", "waypoint"]))
        east = draw(st.floats(-100, 100))
        if how == "km":
            cp["km"] = km
        elif how == "latlon":
            cp["lat"] = 45.0 + km * 1000 / M_PER_DEG_LAT
            cp["lon"] = 6.0 + east / 78_850.0
        else:
            wname = f"{draw(name_st).strip()} #{k}"
            wpts.append((wname, km, east))
            cp["waypoint"] = draw(st.sampled_from([wname, wname.casefold(), f" {wname} "]))
        if draw(st.booleans()):
            cp["services"] = draw(st.lists(st.sampled_from(["water", "food"]), unique=True))
        if draw(st.integers(0, 4)) == 0:
            cp["cutoff"] = f"{1 + slot // 10}h{slot % 60:02d}"
        cps.append(cp)
    top = base_top(
        name=draw(name_st),
        limit=draw(st.sampled_from(["4h", "4:00", 4, "3h30", "240m", 6.5])),
    )
    if draw(st.booleans()):
        top["timezone"] = "Europe/Paris"
    return top, cps, wpts


@FAST
@given(course_files())
def test_an_accepted_course_file_gives_a_coherent_legs_table(tmp_path_factory, case):
    top, cps, wpts = case
    folder = tmp_path_factory.mktemp("c")
    write_track(folder, wpts)
    path = folder / "c.toml"
    path.write_text(course_text(top, cps), encoding="utf-8")
    course = load_course(path)
    assert course.name == top["name"].strip()
    assert [c.name for c in course.checkpoints] == [c["name"].strip() for c in cps]
    legs = course_legs(course)
    total = float(course.profile.total_distance)
    d = np.asarray(legs.distance)
    assert d[0] == 0.0 and d[-1] == pytest.approx(total)
    assert np.all(np.diff(d) >= 0) and np.all(np.diff(legs.along) >= 0)
    rows = [i for i, sp in enumerate(legs.specs) if sp is not None]
    assert [legs.specs[i] for i in rows] == list(course.checkpoints)  # each once, in order
    for i in rows:
        sp = legs.specs[i]
        assert legs.names[i] == sp.name
        if sp.km is not None and 0 < i < len(d) - 1:
            assert legs.along[i] == pytest.approx(sp.km * 1000, abs=1.0)
        if sp.km is None:
            assert legs.offset[i] <= course.tolerance_m


def _cp(cps, k):
    if not cps:
        cps.append({"name": "Only", "km": 5.0})
    return cps[k % len(cps)]


MISTAKES = {
    "km as a string": lambda top, cps, k: _cp(cps, k).update(km="3", lat=None),
    "negative km": lambda top, cps, k: _cp(cps, k).update(km=-1.5, lat=None),
    "km beyond the end": lambda top, cps, k: cps.append({"name": "Far", "km": 50}),
    "km decreasing": lambda top, cps, k: cps.extend(
        [{"name": "P", "km": 8}, {"name": "Q", "km": 7}]
    ),
    "two placements": lambda top, cps, k: _cp(cps, k).update(km=2.0, waypoint="W"),
    "no placement": lambda top, cps, k: cps.insert(k % (len(cps) + 1), {"name": "Nowhere"}),
    "lat without lon": lambda top, cps, k: cps.append({"name": "Half", "lat": 45.05}),
    "unknown waypoint": lambda top, cps, k: cps.append({"name": "W", "waypoint": "No such"}),
    "unknown key": lambda top, cps, k: _cp(cps, k).update(kms=3),
    "unknown service": lambda top, cps, k: _cp(cps, k).update(services=["spa"]),
    "ambiguous cutoff": lambda top, cps, k: _cp(cps, k).update(cutoff="12:00"),
    "finish not last": lambda top, cps, k: (
        cps[:0].append(0)
        or cps.extend([{"name": "F", "km": 1, "finish": True}, {"name": "G", "km": 2}])
    ),
    "limit 0": lambda top, cps, k: top.update(limit=["0h", 0, "0:00"][k % 3]),
    "limit without unit": lambda top, cps, k: top.update(limit="34"),
    "limit absurd": lambda top, cps, k: top.update(limit=["1e9h", 1e9, "9999:00"][k % 3]),
    "no limit": lambda top, cps, k: top.pop("limit"),
    "no name": lambda top, cps, k: top.update(name="  "),
    "gpx a folder": lambda top, cps, k: top.update(gpx=[".", "sub dir ü/"][k % 2]),
    "gpx missing": lambda top, cps, k: top.update(gpx="nope ü.gpx"),
    "start without offset": lambda top, cps, k: (
        top.update(start="2024-06-01T06:00:00") or top.pop("timezone", None)
    ),  # a local date-time is read only with a timezone
    "start quoted": lambda top, cps, k: top.update(start=_q(START)),
    "timezone unknown": lambda top, cps, k: top.update(timezone="Mars/Olympus"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
@settings(FAST, max_examples=6)
@given(case=course_files(), k=st.integers(0, 5))
def test_a_mistake_is_one_line_naming_the_file(tmp_path_factory, mistake, case, k):
    """Each mistake refused by the library (loading, then placing the checkpoints) as one
    line starting with the course file, and by ``coursekit cutoffs`` as ``Error: <file>:
    ...`` with exit 1."""
    top, cps, wpts = case
    top, cps = dict(top), [dict(c) for c in cps]
    MISTAKES[mistake](top, cps, k)
    cps = [{a: b for a, b in c.items() if b is not None} for c in cps]
    folder = tmp_path_factory.mktemp("m")
    write_track(folder, wpts)
    (folder / "sub dir ü").mkdir()
    path = folder / "c.toml"
    path.write_text(course_text(top, cps), encoding="utf-8")
    with pytest.raises(CoursekitError) as err:
        course_legs(load_course(path))
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and "\n" not in msg, msg
    assert_one_error_line(*run("cutoffs", path), path)


# ---------------------------------------------------------------- the roadbook


class _Markup(HTMLParser):
    """The tags of a page, and any attribute a text could have smuggled in."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.bad: list = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.bad.append((tag, key, value))


@settings(FAST, max_examples=3)
@given(course_files())
@example(
    (
        base_top(name=NAMES[7]),
        [
            {"name": NAMES[7], "km": 1.0, "services": ["water"]},
            {"name": NAMES[8], "lat": 45.0 + 3000 / M_PER_DEG_LAT, "lon": 6.0005},
            {"name": NAMES[5], "waypoint": "W & <b>"},
            {"name": NAMES[9], "km": 7.0, "cutoff": "2h30"},
            {"name": NAMES[12], "km": 9.0},
            {"name": NAMES[15], "km": 10.0},
        ],
        [("W & <b>", 5.0, 40.0)],
    )
)
def test_roadbook_shows_every_name_as_written_in_distinct_plain_files(tmp_path_factory, case):
    """Two course files whose names give one file name ("Trail A", "trail_a") and names
    from :data:`NAMES`: every page a plain file name of its own inside the output folder;
    every name shown escaped in the table and the title, never as markup; the map's
    scripts hold the names only inside JSON strings. Or, for a course the barriers refuse
    (a fixed cutoff after the limit), one error line and no page."""
    top, cps, wpts = case
    folder = tmp_path_factory.mktemp("rb")
    write_track(folder, wpts)
    for stem in ("Trail A", "trail_a"):
        (folder / f"{stem}.toml").write_text(course_text(top, cps), encoding="utf-8")
    out = folder / "out"
    code, text, exc = run("roadbook", folder, "-o", out)
    assert exc is None, repr(exc)
    if code:
        assert_one_error_line(code, text, exc, folder)
        assert not out.exists()
        return
    pages = sorted(p.relative_to(out).as_posix() for p in out.iterdir() if p.suffix == ".html")
    assert pages == ["index.html", "trail-a-2.html", "trail-a.html"]
    names = [top["name"].strip()] + [c["name"].strip() for c in cps]
    for page in pages:
        html_text = (out / page).read_text(encoding="utf-8")
        markup = _Markup()
        markup.feed(html_text)
        assert markup.bad == [] and "img" not in markup.tags
        for script in re.findall(r"<script[^>]*>(.*?)</script>", html_text, re.S):
            if not script.startswith("/* @preserve"):  # Leaflet's own
                assert "alert" not in re.sub(r'"(?:[^"\\]|\\.)*"', '""', script)
        if page != "index.html":
            shown = html_text.split('<table id="checkpoints"', 1)[-1]
            for name in names[1:]:
                assert html.escape(name, quote=True) in shown, name
            assert f"<h1>{html.escape(names[0], quote=True)}</h1>" in html_text
