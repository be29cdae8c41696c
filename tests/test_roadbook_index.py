"""The roadbook index's staffing table (h117 review, finding 9)."""

from __future__ import annotations

import re
from pathlib import Path

from bundled import haut_event

from coursekit.event import load_event_plan
from coursekit.roadbook import build_roadbook

ROOT = Path(__file__).resolve().parents[1]


def test_index_staffing_table_lists_races_in_event_order_with_each_windows_peak(tmp_path):
    """The races column was sorted as text ("HAUT 10, HAUT 120, HAUT 21"); no peak load."""
    event = ROOT / "courses" / "haut" / "event.toml"
    build_roadbook(event, tmp_path / "rb", offline=True)
    (index,) = [p for p in (tmp_path / "rb").rglob("index.html")]
    html = index.read_text(encoding="utf-8")
    table = html[html.index('<table id="stations">') :]
    table = table[: table.index("</table>")]
    assert "<th>peak 60 min</th>" in table
    order = [load_event_plan(event).races[i].name for i in range(5)]
    assert order[:3] == ["HAUT 120", "HAUT 80", "HAUT 42"]
    rows = re.findall(r'<tr><td class="l">([^<]*)</td><td class="l">([^<]*)</td>(.*?)</tr>', table)
    assert rows
    for _, races, _rest in rows:
        names = races.split(", ")
        assert names == sorted(names, key=order.index), races
    tizi = [r for r in rows if r[0] == "Tizi Oussem"]
    assert tizi and tizi[0][1] == "HAUT 120, HAUT 80, HAUT 42"
    assert re.search(r"<td>(\d+)</td>$", tizi[0][2])  # its window's peak


def _pair(folder: Path, runners: str) -> Path:
    """HAUT 42 and HAUT 21 copied into ``folder`` with an event file ending in ``runners``."""
    return haut_event(folder, ("haut-42", "haut-21"), runners)


def _peaks_and_note(ev: Path, out: Path) -> tuple[list[int], str]:
    build_roadbook(ev, out, offline=True)
    html = (out / "index.html").read_text(encoding="utf-8")
    table = html[html.index('<table id="stations">') :]
    table = table[: table.index("</table>")]
    peaks = [int(x) for x in re.findall(r"<td>(\d+)</td></tr>", table)]
    note = html[html.index("Simulated field") :]
    return peaks, note[: note.index("</p>")]


def test_index_field_uses_the_event_files_runners_and_says_so(tmp_path):
    """The index simulated 200 runners per race and said so even when the event file's
    [runners] gave each race its own field size (coursekit event --simulate used it)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, plain_note = _peaks_and_note(_pair(tmp_path / "a", ""), tmp_path / "rb_a")
    sized, sized_note = _peaks_and_note(
        _pair(tmp_path / "b", '\n[runners]\n"haut-42.toml" = 900\n"haut-21.toml" = 900\n'),
        tmp_path / "rb_b",
    )
    assert "200 runners per race (an assumption" in plain_note
    assert "900 runners per race (the event file's [runners])" in sized_note
    assert "200" not in sized_note
    assert plain and len(sized) == len(plain)
    # 4.5 times the field: every shared window's peak grows (same seed, same model)
    assert all(s > p for s, p in zip(sized, plain, strict=True)), (plain, sized)
    assert sum(sized) > 3 * sum(plain)


def test_index_field_names_which_races_the_event_file_sizes(tmp_path):
    """One race sized by [runners], the other assumed: the note names each."""
    (tmp_path / "c").mkdir()
    _peaks, note = _peaks_and_note(
        _pair(tmp_path / "c", '\n[runners]\n"haut-42.toml" = 350\n'), tmp_path / "rb_c"
    )
    assert "HAUT 42 350 (the event file's [runners])" in note
    assert "HAUT 21 200 (an assumption" in note


def test_index_occupancy_chart_is_one_svg_per_shared_station_each_with_its_time_axis(tmp_path):
    """The chart was one tall SVG (HAUT: ten stations, 17 in): printed, it could not break
    between panels, and only its last panel had time labels. Now one SVG per shared
    station, in the staffing table's order, each labelled with the same time ticks."""
    event = ROOT / "courses" / "haut" / "event.toml"
    build_roadbook(event, tmp_path / "rb", offline=True)
    html = (tmp_path / "rb" / "index.html").read_text(encoding="utf-8")
    table = html[html.index('<table id="stations">') :]
    table = table[: table.index("</table>")]
    peaks = re.findall(r'<tr><td class="l">([^<]+)</td>.*?<td>(\d+)</td></tr>', table)
    # the stations with a peak are the shared ones; one where races only start (Imlil,
    # peak 0) has no arrivals to draw
    shared = [name for name, peak in peaks if int(peak) > 0]
    start = html.index("<h2>Aid stations: runners arriving per hour</h2>")
    chart = html[start : html.index("<h2>", start + 4)]
    panels = re.findall(r"<svg.*?</svg>", chart, re.S)
    titles = [re.search(r"<!-- (.+?) \((?:HAUT [^)]*)\) -->", svg)[1] for svg in panels]
    assert sorted(titles) == sorted(shared) and len(panels) >= 8, (titles, shared)
    ticks = [re.findall(r"<!-- ((?:Sat|Sun) \d\d:\d\d) -->", svg) for svg in panels]
    assert len(ticks[0]) >= 4 and all(t == ticks[0] for t in ticks), ticks


def test_discover_names_each_events_folder_courses_and_runners(tmp_path):
    """`discover` returns one named record per event: a folder of events, an event file with
    ``[runners]``, a lone course file and a folder of course files without an event file."""
    from coursekit.roadbook import discover

    found = discover(ROOT / "courses")
    assert [ev.folder.name for ev in found] == ["amizmiz", "atlas-quest", "haut"]
    haut = found[2]
    assert haut.course_paths[0].name == "haut-120.toml" and len(haut.course_paths) == 5
    assert haut.timezone == "Africa/Casablanca" and haut.name.endswith("HAUT 2024")

    (tmp_path / "pair").mkdir()
    event = _pair(tmp_path / "pair", '\n[runners]\n"haut-42.toml" = 300\n')
    (ev,) = discover(event)
    assert ev.folder == event.parent
    assert [p.name for p in ev.course_paths] == ["haut-42.toml", "haut-21.toml"]
    assert list(ev.runners.values()) == [300]

    (lone,) = discover(ev.course_paths[1])
    assert (lone.name, lone.course_paths, lone.runners, lone.timezone) == (
        "haut-21",
        [ev.course_paths[1]],
        {},
        None,
    )
    event.unlink()
    (folder,) = discover(event.parent)
    assert folder.name == "pair" and [p.name for p in folder.course_paths] == [
        "haut-21.toml",
        "haut-42.toml",
    ]
