"""Profile figures (coursekit.figures): PNG/SVG, checkpoints, barriers, night, atomic writes."""

from __future__ import annotations

import itertools
import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from test_event import make_two_races
from test_roadbook import make_course

from coursekit.course import load_course
from coursekit.cutoffs import plan as make_plan
from coursekit.figures import along_axis, outline_svg, plot_points, profile_figure, profile_svg


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    course = load_course(make_course(tmp_path_factory.mktemp("day"), schematic=False))
    return course, make_plan(course)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    # starts at 20:00 in June in Morocco: the whole race is in the dark
    course = load_course(
        make_course(tmp_path_factory.mktemp("night"), start="2024-06-01T20:00:00+01:00")
    )
    return course, make_plan(course)


def test_png_and_svg(day, tmp_path):
    course, plan = day
    png = profile_figure(course.profile, tmp_path / "p.png", legs=plan.legs, plan=plan)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = profile_figure(course.profile, tmp_path / "p.SVG", legs=plan.legs, plan=plan)
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    # every checkpoint name with its barrier (matplotlib keeps each text as a comment)
    for name, cutoff in zip(plan.legs.names[1:], plan.cutoff[1:], strict=True):
        assert f"<!-- {name}  {cutoff:%a %H:%M} -->" in text
    assert "<!-- Alpha  Sat 07:00 -->" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.SVG", "p.png"]


def test_svg_is_deterministic(day):
    course, plan = day
    a = profile_svg(course.profile, legs=plan.legs, plan=plan, title="T")
    b = profile_svg(course.profile, legs=plan.legs, plan=plan, title="T")
    assert a == b


def test_night_is_hatched_only_at_night(day, night):
    course, plan = night
    assert plan.night_sections
    text = profile_svg(course.profile, legs=plan.legs, plan=plan)
    assert "<pattern" in text and "night (reference runner)" in text
    course, plan = day
    # a 06:00 start is at civil dawn (~05:57 at Imlil): no night section (a zero-length
    # one before NIGHT_SECTION_MIN_M)
    assert plan.night_sections == ()
    text = profile_svg(course.profile, legs=plan.legs, plan=plan)
    assert "<pattern" not in text and "night (reference runner)" not in text


@pytest.mark.parametrize("size", ["default", "roadbook"])
def test_profile_legend_is_outside_the_plot_area(night, size):
    """Black-box finding J (h105): the legend ("altitude", "night (reference runner)") was
    drawn at the lower left inside the axes, over the profile line. It now sits below the
    axes, under the km axis's ticks and label, whole within the figure."""
    import matplotlib.pyplot as plt

    from coursekit.figures import _draw
    from coursekit.roadbook import PRINT_WIDTH_IN, PROFILE_HEIGHT_IN

    course, plan = night
    kw = {"width": PRINT_WIDTH_IN, "height": PROFILE_HEIGHT_IN} if size == "roadbook" else {}
    fig = _draw(course.profile, legs=plan.legs, plan=plan, title="T", **kw)
    try:
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == [
            "altitude",
            "night (reference runner)",
        ]
        box = legend.get_window_extent(r)
        area = ax.get_window_extent(r)  # the data area: the line and the night's shading
        axis = ax.xaxis.get_tightbbox(r)  # the km ticks, their labels and "km"
        assert box.y1 <= area.y0, (box, area)
        assert box.y1 <= axis.y0 + 0.5, (box, axis)
        assert not box.overlaps(area) and not box.overlaps(axis)
        f = fig.bbox
        assert f.x0 <= box.x0 and box.x1 <= f.x1 and f.y0 <= box.y0 and box.y1 <= f.y1
    finally:
        plt.close(fig)


def test_along_axis_matches_tables_at_checkpoints(day):
    course, plan = day
    x = along_axis(course.profile, plan.legs)
    along = np.asarray(getattr(plan.legs, "along", plan.legs.distance), float)
    at = np.interp(np.asarray(plan.legs.distance, float), course.profile.distance, x)
    # piecewise-linear between track points 10 m apart: within a centimetre
    np.testing.assert_allclose(at, along, atol=0.01)
    assert np.all(np.diff(x) >= 0)
    np.testing.assert_array_equal(along_axis(course.profile), course.profile.distance)


def test_awkward_names_are_text(tmp_path):
    """'$' pairs used to be parsed as mathtext (and raise); long names broke the layout."""
    cps = (
        ("Price $5$ or $\\foo$", 3, ["water"], None),
        ("A" * 120, 6, [], None),
        ("<b>&amp;</b> -- -->", 9, [], None),
    )
    course = load_course(make_course(tmp_path, cps=cps))
    text = profile_svg(course.profile, legs=make_plan(course).legs, title="$x$ <t>")
    assert "<!-- Price $5$ or $\\foo$" in text
    assert "A" * 31 + "\u2026" in text and "A" * 40 not in text
    assert "<b>" not in text and "-->  " not in text


def test_bad_suffix_and_failed_write_leave_existing_file(day, tmp_path, monkeypatch):
    course, plan = day
    for name in ("p.png", "p.pdf"):
        (tmp_path / name).write_bytes(b"old")
    with pytest.raises(ValueError, match="p.pdf"):
        profile_figure(course.profile, tmp_path / "p.pdf")
    assert (tmp_path / "p.pdf").read_bytes() == b"old"

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        profile_figure(course.profile, tmp_path / "p.png", legs=plan.legs, plan=plan)
    assert (tmp_path / "p.png").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf", "p.png"]


def test_plot_points_within_a_quarter_pixel():
    import shapely

    rng = np.random.default_rng(3)
    n = 50_000  # a 1 Hz recording's worth
    x = np.linspace(0.0, 170.0, n)
    y = 1500 + 800 * np.sin(x / 9.0) + np.cumsum(rng.normal(0, 0.5, n))
    w, h, span = 1100.0, 360.0, 1.13 * float(np.ptp(y))
    keep = plot_points(x, y, width_px=w, height_px=h, y_span=span)
    assert keep[0] == 0 and keep[-1] == n - 1 and np.all(np.diff(keep) > 0)
    assert keep.size < n / 5
    px, py = x * w / 170.0, y * h / span
    line = shapely.LineString(np.column_stack([px[keep], py[keep]]))
    dev = shapely.distance(shapely.points(px, py), line).max()
    assert 0.1 < dev <= 0.25 + 1e-9
    # non-finite values: everything is drawn
    y[10] = np.nan
    assert plot_points(x, y, width_px=w, height_px=h, y_span=span).size == n


def test_outline_map_for_print(day):
    """The static map: numbered checkpoints with their km, deterministic, north up."""
    course, plan = day
    svg = outline_svg(course.profile, legs=plan.legs)
    assert svg == outline_svg(course.profile, legs=plan.legs)
    legs = plan.legs
    inner = range(1, len(legs.names) - 1)
    assert len(inner) >= 2
    for i in inner:
        assert f"<!-- {i}. {legs.names[i]} (km {legs.along[i] / 1000:.1f}) -->" in svg
    assert "<!-- N -->" in svg and " km -->" in svg  # north arrow and scale bar


def _line_outline(total_km, cps, *, turn_km=None):
    """The print map's figure of a synthetic course of ``total_km`` running east along the
    parallel 31 N from 7 W (back on itself after ``turn_km``, an out-and-back), with
    checkpoints ``cps``: ``[(name, km), ...]`` between a start and a finish."""
    from types import SimpleNamespace

    from coursekit.figures import _draw_outline

    km = np.linspace(0.0, total_km, 2001)
    east_km = km if turn_km is None else np.where(km <= turn_km, km, 2 * turn_km - km)
    lon = -7.0 + east_km / (111.32 * np.cos(np.radians(31.0)))
    track = SimpleNamespace(lat=np.full(km.size, 31.0), lon=lon)
    profile = SimpleNamespace(track=track, distance=km * 1000.0)
    names = ["Start", *(n for n, _ in cps), "Finish"]
    along = np.array([0.0, *(k for _, k in cps), total_km]) * 1000.0
    legs = SimpleNamespace(names=names, distance=along, along=along)
    return _draw_outline(profile, legs=legs)


def _labels(fig):
    """The checkpoint labels of a print map: (text, box on the figure [px])."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    return [
        (t.get_text(), Text.get_window_extent(t, renderer))
        for t in ax.texts
        if re.match(r"\d+(/\d+)*\. ", t.get_text())
    ]


def test_print_map_labels_do_not_overlap_on_a_dense_straight_course():
    """Fifteen stations every 10 km on an east-west line: every label readable (no two
    boxes overlap) and on the figure. Before, each label sat at the same offset from its
    marker and 16 of them made one illegible clump (review R6)."""
    import matplotlib.pyplot as plt

    cps = [(f"Station {k:02d}", 10.0 * k) for k in range(1, 16)]
    fig = _line_outline(160.0, cps)
    labels = _labels(fig)
    assert sorted(t for t, _ in labels) == sorted(
        f"{k}. Station {k:02d} (km {10.0 * k:.1f})" for k in range(1, 16)
    )
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not box_a.overlaps(box_b), (a, b)
    for text, box in labels:
        assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1), text
    plt.close(fig)


def test_print_map_labels_a_place_passed_twice_once():
    """An out-and-back passes the Bridge at km 5 and km 25: one label, "1/3. Bridge (km
    5.0, 25.0)", as the web map's one marker (two labels were drawn on one spot)."""
    import matplotlib.pyplot as plt

    fig = _line_outline(30.0, [("Bridge", 5.0), ("Turn", 15.0), ("Bridge", 25.0)], turn_km=15.0)
    assert sorted(t for t, _ in _labels(fig)) == [
        "1/3. Bridge (km 5.0, 25.0)",
        "2. Turn (km 15.0)",
    ]
    plt.close(fig)


def _two_race_summary() -> dict:
    """The event summary of two synthetic races, simulated (200 runners, 5 repetitions)."""
    from coursekit.event import event_summary, plan_event, simulate_event

    ev = simulate_event(
        plan_event(make_two_races(), name="Synthetic", night=False),
        n_runners=200,
        repetitions=5,
        seed=3,
    )
    return event_summary(ev)


def test_occupancy_figure_svg_deterministic_and_png_atomic(tmp_path):
    """The event's arrivals-per-hour chart: the same summary gives the same SVG bytes (the
    roadbook index embeds it), and a PNG is written whole."""
    from coursekit.figures import occupancy_figure

    summary = _two_race_summary()
    first = occupancy_figure(summary, None)
    assert first.startswith(b"<?xml") and b"Tizi Oussem" in first
    assert occupancy_figure(summary, None) == first
    out = occupancy_figure(summary, tmp_path / "occupancy.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupancy.png"]  # no temp file left
    with pytest.raises(ValueError, match=".png or .svg"):
        occupancy_figure(summary, tmp_path / "occupancy.pdf")
    assert not (tmp_path / "occupancy.pdf").exists()
    with pytest.raises(ValueError, match="no simulated station"):
        occupancy_figure(summary, None, stations=["Nowhere"])


def test_no_elevation_draws_no_altitude_line(tmp_path):
    """A track without elevation drew a blue altitude line at 0 m; now no line, a notice."""
    from coursekit.figures import _draw
    from coursekit.gpx import Track
    from coursekit.profile import make_profile

    n = 200
    track = Track(
        lat=45.0 + np.arange(n) * 10 / 111_150,
        lon=np.full(n, 6.0),
        elevation=np.full(n, np.nan),
        time=np.full(n, np.nan),
        segment=np.zeros(n, np.int64),
    )
    fig = _draw(make_profile(track))
    ax = fig.axes[0]
    assert not [ln for ln in ax.get_lines() if ln.get_label() == "altitude"]
    assert not ax.collections  # no fill under a line
    assert any("no elevation in the file" in t.get_text() for t in ax.texts)
    import matplotlib.pyplot as plt

    plt.close(fig)
    out = profile_figure(make_profile(track), tmp_path / "noele.png")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_all_zero_elevation_notice_says_zero_not_missing():
    """A file whose every <ele> is 0 (taken as no altitude) said "no elevation in the file",
    which the file contradicts; the notice now says what it has."""
    from coursekit.figures import _draw
    from coursekit.gpx import Track
    from coursekit.profile import make_profile

    n = 200
    track = Track(
        lat=45.0 + np.arange(n) * 10 / 111_150,
        lon=np.full(n, 6.0),
        elevation=np.zeros(n),
        time=np.full(n, np.nan),
        segment=np.zeros(n, np.int64),
    )
    prof = make_profile(track)
    assert not prof.has_elevation and prof.all_zero
    fig = _draw(prof)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("elevation 0 m at every point" in t for t in texts), texts
    assert not any("no elevation in the file" in t for t in texts)
    import matplotlib.pyplot as plt

    plt.close(fig)


def _tick_labels(svg: bytes) -> list[str]:
    """The x tick labels of a matplotlib SVG (each text is preceded by a comment of it)."""
    return re.findall(r"<!-- (\w{3} \d\d:\d\d|[^>]*\d\d-\d\d[^>]*) -->", svg.decode("utf-8"))


def test_occupancy_ticks_are_weekday_and_local_clock():
    """Ticks read "Sat 04:00" on local whole hours, right across a daylight-saving change.

    Before, matplotlib's automatic labels read "06-01 06" (6 January to a European reader)
    or "01 04:00", in UTC rather than the race's clock.
    """
    from coursekit.clock import after
    from coursekit.figures import occupancy_figure

    paris = ZoneInfo("Europe/Paris")

    def station(name, start, n):
        hours = [after(start, 3600.0 * h) for h in range(n)]
        return {
            "name": name,
            "key": name.lower(),
            "races": ["A", "B"],
            "occupancy": {
                "hours": [h.isoformat() for h in hours],
                "arrivals": [float(10 + k % 5) for k in range(n)],
            },
        }

    june = datetime(2024, 6, 1, 4, 0, tzinfo=ZoneInfo("Africa/Casablanca"))
    # clocks go back at 03:00 on Sunday 27 October 2024 in Paris: 02:00-03:00 twice
    october = datetime(2024, 10, 26, 20, 0, tzinfo=paris)
    summary = {"stations": [station("Short", june, 5), station("Night", october, 16)]}
    labels = _tick_labels(occupancy_figure(summary, None))
    assert labels and all(re.fullmatch(r"(Sat|Sun) \d\d:00", t) for t in labels), labels
    assert labels[:5] == ["Sat 04:00", "Sat 05:00", "Sat 06:00", "Sat 07:00", "Sat 08:00"]
    night = labels[5:]
    # 16 hours: a tick every 2 h on the local clock, starting at the race's 20:00
    assert night[0] == "Sat 20:00" and night[1] == "Sat 22:00"
    expected = []
    t = october
    while t < after(october, 16 * 3600.0):
        if t.astimezone(paris).hour % 2 == 0:
            expected.append(t.astimezone(paris).strftime("%a %H:%M"))
        t = after(t, 3600.0)
    assert night == expected
    assert night.count("Sun 02:00") == 2  # both 02:00s of that night, on their own offsets


def test_occupancy_ticks_carry_the_zone_across_a_clock_change_on_the_events_clock():
    """Review R2 follow-up: on the event's clock (``tz=``, a zone with daylight saving) the
    night the clocks go back, the axis read "Sun 02:00" twice. From the change on, and in
    the repeated hour, a tick carries its zone ("Sun 02:00 CEST", "Sun 02:00 CET"), as the
    tables' times do; without ``tz`` (no zone, only offsets) and in June, as before."""
    from coursekit.clock import after
    from coursekit.figures import occupancy_figure

    paris = ZoneInfo("Europe/Paris")
    start = datetime(2024, 10, 26, 23, 0, tzinfo=paris)
    hours = [after(start, 3600.0 * h) for h in range(6)]  # Sat 23:00 to Sun 03:00 CET

    def summary(hours):
        return {
            "stations": [
                {
                    "name": "Col",
                    "key": "col",
                    "races": ["A", "B"],
                    "occupancy": {
                        "hours": [h.isoformat() for h in hours],
                        "arrivals": [4.0, 6.0, 3.0, 2.0, 1.0, 1.0],
                    },
                }
            ]
        }

    change = datetime(2024, 10, 27, 1, 0, tzinfo=ZoneInfo("UTC"))  # 03:00 CEST = 02:00 CET
    want = []
    for h in hours:
        local = h.astimezone(paris)
        text = local.strftime("%a %H:%M")
        twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
        want.append(f"{text} {local.tzname()}" if h >= change or twice else text)
    assert want[:2] == ["Sat 23:00", "Sun 00:00"]
    assert want[3:5] == ["Sun 02:00 CEST", "Sun 02:00 CET"]  # the fixture spans the change
    svg = occupancy_figure(summary(hours), None, tz=paris).decode("utf-8")
    labels = re.findall(r"<!-- ((?:Sat|Sun) \d\d:\d\d(?: CES?T)?) -->", svg)
    assert labels == want
    # without the event's zone the summary's offsets are all there is: as before
    assert _tick_labels(occupancy_figure(summary(hours), None)) == [
        h.strftime("%a %H:%M") for h in hours
    ]
    # the same hours in June, on the same clock: no change, no zone
    june = [after(datetime(2024, 6, 1, 23, 0, tzinfo=paris), 3600.0 * h) for h in range(6)]
    assert _tick_labels(occupancy_figure(summary(june), None, tz=paris)) == [
        h.strftime("%a %H:%M") for h in june
    ]


def _north_course(tmp_path, limit: str, km: float):
    """``km`` due north from 45°N 6°E, a checkpoint every quarter, starting Sat 21 Jun 2025
    10:00 (Paris) with the given limit (as tests/test_cli.py's ``_north_course``)."""
    from coursekit.gpx import write_gpx

    tmp_path.mkdir(exist_ok=True)
    n = 400
    la = np.linspace(45.0, 45.0 + km / 111.13, n)
    write_gpx(tmp_path / "t.gpx", la, np.full(n, 6.0), 1000 + 300 * np.sin(np.linspace(0, 6, n)))
    cps = "".join(f'[[checkpoints]]\nname = "CP{q}"\nkm = {km * q / 4:.3f}\n' for q in (1, 2, 3))
    (tmp_path / "c.toml").write_text(
        f'name = "T"\ngpx = "t.gpx"\nstart = 2025-06-21T10:00:00+02:00\nlimit = "{limit}"\n'
        f'timezone = "Europe/Paris"\n{cps}'
    )
    return load_course(tmp_path / "c.toml")


def test_profile_barrier_labels_date_races_over_a_week(tmp_path):
    """Review finding 8: the profile's barrier labels printed "Tue 10:00" for the finish of
    a 240 h race (also the first Tuesday), while the roadbook table above it read "Tue 01
    Jul 10:00". Races over 6.5 days are dated; shorter ones keep the weekday alone."""
    course = _north_course(tmp_path, "240h", 450.0)
    svg = profile_svg(course.profile, plan=make_plan(course))
    assert "Finish  Tue 01 Jul 10:00" in svg, re.findall(r"Finish [^<]*", svg)
    short = _north_course(tmp_path / "s", "30h", 100.0)
    svg = profile_svg(short.profile, plan=make_plan(short))
    assert "Finish  Sun 16:00" in svg, re.findall(r"Finish [^<]*", svg)


def test_occupancy_titles_are_text():
    """A "$" pair in a station or race name is text in the arrivals chart's panel titles.

    Before, the title was parsed as mathtext: "Refuge $\\foo$" raised ValueError, which the
    roadbook index took for "no station to draw" and dropped the chart.
    """
    from coursekit.clock import after
    from coursekit.figures import occupancy_figure

    start = datetime(2024, 6, 1, 4, 0, tzinfo=ZoneInfo("Africa/Casablanca"))
    hours = [after(start, 3600.0 * h).isoformat() for h in range(4)]
    summary = {
        "stations": [
            {
                "name": "Refuge $\\foo$",
                "key": "refuge",
                "races": ["Trail $5$", "B"],
                "occupancy": {"hours": hours, "arrivals": [3.0, 5.0, 2.0, 1.0]},
            }
        ]
    }
    svg = occupancy_figure(summary, None).decode("utf-8")
    assert "<!-- Refuge $\\foo$ (Trail $5$, B) -->" in svg


def test_occupancy_panels_share_a_time_axis_with_window_and_barriers():
    """Black-box F15: each panel had its own time axis (stations could not be compared by
    eye), and no station window or barrier was drawn. Now one time axis, the window shaded
    and each barrier at the station marked (a race's start is not a barrier)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from coursekit.figures import _draw_occupancy

    summary = _two_race_summary()
    recs = [s for s in summary["stations"] if s["occupancy"]["hours"]]
    assert len(recs) >= 2
    fig = _draw_occupancy(summary)
    axes = fig.axes
    assert len(axes) == len(recs)
    assert len({ax.get_xlim() for ax in axes}) == 1  # one time axis
    first = min(datetime.fromisoformat(h) for s in recs for h in s["occupancy"]["hours"])
    last = max(datetime.fromisoformat(s["close"]) for s in recs)
    lo, hi = axes[0].get_xlim()
    assert lo <= mdates.date2num(first) and hi >= mdates.date2num(last)
    for ax, s in zip(axes, recs, strict=True):
        window = [mdates.date2num(datetime.fromisoformat(s[k])) for k in ("open", "close")]
        (span,) = [p for p in ax.patches if p.get_alpha() == 0.07]  # the window (axvspan)
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
        assert [x0, x1] == pytest.approx(window, abs=1e-9), s["name"]
        cuts = sorted(
            {
                mdates.date2num(datetime.fromisoformat(p["cutoff"]))
                for p in s["passages"]
                if p["row"] > 0 and p["cutoff"]
            }
        )
        lines = sorted(
            float(ln.get_xdata()[0]) for ln in ax.get_lines() if ln.get_linestyle() == "--"
        )
        assert cuts and lines == pytest.approx(cuts), s["name"]
    labels = axes[0].get_legend_handles_labels()[1]
    assert {"station open", "barrier"} <= set(labels), labels
    plt.close(fig)


def test_union_hours_checks_the_span_before_listing_the_hours(monkeypatch):
    """Review finding 14: `_union_hours` listed every hour from the first to the last stamp
    and only then was the span compared with SHARED_AXIS_MAX_S: two races years apart
    listed ~10^5 datetimes to decide not to share the axis. The span is checked first."""
    import coursekit.clock as clock
    from coursekit.figures import SHARED_AXIS_MAX_S, _union_hours

    steps = []
    real = clock.after

    def counted(start, seconds):
        steps.append(seconds)
        return real(start, seconds)

    monkeypatch.setattr(clock, "after", counted)

    def rec(hour, close=None):
        return {"occupancy": {"hours": [hour]}, "open": hour, "close": close}

    apart = [rec("2024-06-01T04:00:00+01:00"), rec("2034-06-01T04:00:00+01:00")]
    assert _union_hours(apart) is None and steps == []
    near = [rec("2024-06-01T04:00:00+01:00", "2024-06-01T06:10:00+01:00")]
    near.append(rec("2024-06-01T05:00:00+01:00"))
    hours = _union_hours(near)
    assert [h.isoformat()[11:16] for h in hours] == ["04:00", "05:00", "06:00"]
    assert len(steps) == 2
    assert _union_hours(near, max_span_s=2 * 3600.0) is not None  # 04:00 to 06:00
    assert _union_hours(near, max_span_s=3600.0) is None
    assert SHARED_AXIS_MAX_S == 7 * 86400.0


def test_occupancy_axis_on_the_events_clock():
    """``tz=`` draws the time axis on the event's one clock (the roadbook index and
    `coursekit event --plot` pass the event file's zone): Paris is one hour ahead of the
    races' Africa/Casablanca in June."""
    from coursekit.clock import after
    from coursekit.figures import occupancy_figure

    start = datetime(2024, 6, 1, 4, 0, tzinfo=ZoneInfo("Africa/Casablanca"))
    summary = {
        "stations": [
            {
                "name": "Refuge",
                "key": "refuge",
                "races": ["A", "B"],
                "open": start.isoformat(),
                "close": after(start, 4 * 3600.0).isoformat(),
                "occupancy": {
                    "hours": [after(start, 3600.0 * h).isoformat() for h in range(5)],
                    "arrivals": [3.0, 5.0, 2.0, 1.0, 1.0],
                },
            }
        ]
    }
    assert _tick_labels(occupancy_figure(summary, None))[:2] == ["Sat 04:00", "Sat 05:00"]
    paris = _tick_labels(occupancy_figure(summary, None, tz=ZoneInfo("Europe/Paris")))
    assert paris[:2] == ["Sat 05:00", "Sat 06:00"]


def test_occupancy_shades_each_staffing_window_not_the_span():
    """Black-box finding 6: the chart shaded a station shared by races hours apart as open
    all day. Each window is shaded, the gap between them is not, and on the event's clock
    (``tz=``) the windows move with the axis."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from test_event import _night_and_evening

    from coursekit.event import event_summary, plan_event, simulate_event
    from coursekit.figures import _draw_occupancy, _on_clock

    ev = plan_event(list(_night_and_evening()), night=False)
    ev = simulate_event(ev, n_runners=100, repetitions=3, seed=1)
    summary = event_summary(ev)
    (col,) = [s for s in summary["stations"] if s["name"] == "Col"]
    assert len(col["windows"]) == 2
    fig = _draw_occupancy(summary, stations=["Col"])
    (ax,) = fig.axes
    spans = sorted(
        (p.get_x(), p.get_x() + p.get_width()) for p in ax.patches if p.get_alpha() == 0.07
    )
    want = [
        tuple(mdates.date2num(datetime.fromisoformat(w[k])) for k in ("open", "close"))
        for w in col["windows"]
    ]
    assert spans == [pytest.approx(w, abs=1e-9) for w in want]
    assert ax.get_legend_handles_labels()[1].count("station open") == 1
    plt.close(fig)
    utc = _on_clock(summary, ZoneInfo("UTC"))
    (col_utc,) = [s for s in utc["stations"] if s["name"] == "Col"]
    assert col_utc["windows"][0]["open"] == "2024-10-18T21:10:00+00:00"


def _end_markers(fig):
    """The print map's start and finish markers: {label: Line2D}."""
    ax = fig.axes[0]
    return {ln.get_label(): ln for ln in ax.lines if ln.get_label() in ("start", "finish")}


def test_print_map_start_and_finish_at_one_place_are_both_visible():
    """W8: on an out-and-back (start and finish at one place) the finish square (7 pt) was
    drawn over the start circle (8 pt) at the same zorder and hid it. Now the marker drawn on
    top is the smaller one, so the one beneath shows round it; the legend has both entries.
    Apart (a point-to-point course), each keeps its own marker."""
    import matplotlib.pyplot as plt

    fig = _line_outline(30.0, [("Turn", 15.0)], turn_km=15.0)
    m = _end_markers(fig)
    start, finish = m["start"], m["finish"]
    assert np.allclose(start.get_xydata(), finish.get_xydata())
    top, below = sorted((start, finish), key=lambda ln: ln.get_zorder(), reverse=True)
    assert top.get_zorder() > below.get_zorder()
    assert top.get_markersize() < below.get_markersize() - 3, (top, below)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["start", "finish"], legend
    plt.close(fig)
    fig = _line_outline(30.0, [("Mid", 15.0)])
    m = _end_markers(fig)
    assert m["start"].get_markersize() == 8 and m["finish"].get_markersize() == 7
    plt.close(fig)
