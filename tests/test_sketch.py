"""Sketches: geodesic legs densified, altitude interpolated, marked schematic."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coursekit.course import SKETCH_MARK, is_sketch_gpx
from coursekit.errors import CourseFileError
from coursekit.geodesy import segment_lengths
from coursekit.gpx import read_gpx
from coursekit.sketch import Place, load_places, sketch_track, write_sketch

COURSES = Path(__file__).parent / "data" / "courses"


def test_sketch_track_spacing_and_altitude():
    places = [
        Place("A", 45.0, 6.0, 1000.0),
        Place("B", 45.01, 6.0, 2000.0),
        Place("C", 45.01, 6.02, math.nan),
        Place("D", 45.0, 6.02, 1500.0),
    ]
    st = sketch_track(places, spacing=25)
    steps = segment_lengths(st.lat, st.lon)
    assert steps.max() <= 25.0 + 1e-6
    assert st.place_index[0] == 0 and st.place_index[-1] == st.lat.size - 1
    i_b = st.place_index[1]
    assert st.elevation[i_b] == pytest.approx(2000)
    # linear in distance between known altitudes (C is unknown: B -> D)
    i_d = st.place_index[3]
    mid = (st.distance[i_b] + st.distance[i_d]) / 2
    assert np.interp(mid, st.distance, st.elevation) == pytest.approx(1750, abs=1)
    # the A-B leg is a geodesic along the meridian
    np.testing.assert_allclose(st.lon[: i_b + 1], 6.0, atol=1e-9)


def test_write_sketch_is_marked_and_readable(tmp_path):
    places = load_places(COURSES / "mini-places.toml")
    out = tmp_path / "s.gpx"
    write_sketch(places, out)
    assert is_sketch_gpx(out)
    tr = read_gpx(out)
    assert [w.name for w in tr.waypoints] == ["Village", "Col", "Hamlet", "Village"]
    assert tr.waypoints[2].type == "place (schematic position)"
    import gpxpy

    g = gpxpy.parse(out.read_text())
    assert SKETCH_MARK in g.creator and SKETCH_MARK in g.description


def test_places_file_must_not_look_like_a_course(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('name = "x"\ngpx = "a.gpx"\n[[places]]\nname="a"\nlat=1\nlon=1\n')
    with pytest.raises(CourseFileError, match="key 'gpx'.*must not look like a course file"):
        load_places(p)
    p.write_text(
        'name = "x"\n[[places]]\nname="a"\nlat=1\nlon=1\nalt=3\n'
        '[[places]]\nname="b"\nlat=1\nlon=2\n'
    )
    with pytest.raises(CourseFileError, match=r"places\[0\] \('a'\) key 'alt': unknown key"):
        load_places(p)


def test_estimated_altitude_is_read_and_marked_in_the_waypoint(tmp_path):
    """F2 (sixteenth sprint): an estimated altitude (alt_estimated = true) is written
    "alt ~1790 m (estimated)" in the waypoint, so check and the plans can say so."""
    from coursekit.sketch import ALT_ESTIMATED_MARK

    p = tmp_path / "p.toml"
    p.write_text(
        'name = "x"\n[[places]]\nname = "a"\nlat = 45\nlon = 6\nalt_m = 1000\n'
        '[[places]]\nname = "b"\nlat = 45.01\nlon = 6\nalt_m = 1790\nalt_estimated = true\n'
    )
    places = load_places(p)
    assert [q.alt_estimated for q in places.places] == [False, True]
    write_sketch(places, tmp_path / "s.gpx")
    w = read_gpx(tmp_path / "s.gpx").waypoints
    assert ALT_ESTIMATED_MARK not in w[0].description and "alt 1000 m" in w[0].description
    assert f"alt ~1790 m {ALT_ESTIMATED_MARK}" in w[1].description
    p.write_text(
        'name = "x"\n[[places]]\nname = "a"\nlat = 45\nlon = 6\nalt_estimated = true\n'
        '[[places]]\nname = "b"\nlat = 45.01\nlon = 6\n'
    )
    with pytest.raises(CourseFileError, match="alt_estimated.*needs the estimate in alt_m"):
        load_places(p)


def test_estimated_altitude_is_a_field_of_the_waypoint_not_free_text(tmp_path):
    """Review 16/14: the mark "(estimated)" was looked for in the free-text description of
    any GPX waypoint, so a real GPX saying "(estimated)" made check and the plans announce
    an estimated altitude. The sketch writes it in the waypoint's <type>, which is read."""
    from coursekit.checkpoints import estimated_altitude_notes
    from coursekit.course import CheckpointSpec
    from coursekit.gpx import Waypoint, write_gpx
    from coursekit.sketch import ALT_ESTIMATED_TYPE, is_alt_estimated

    p = tmp_path / "p.toml"
    p.write_text(
        'name = "x"\n[[places]]\nname = "a"\nlat = 45\nlon = 6\nalt_m = 1000\n'
        '[[places]]\nname = "b"\nlat = 45.01\nlon = 6\nalt_m = 1790\nalt_estimated = true\n'
        '[[places]]\nname = "c"\nlat = 45.02\nlon = 6\nalt_m = 1500\nalt_estimated = true\n'
        "schematic_position = true\n"
    )
    write_sketch(load_places(p), tmp_path / "s.gpx")
    tr = read_gpx(tmp_path / "s.gpx")
    assert [w.type for w in tr.waypoints] == [
        "place",
        f"place ({ALT_ESTIMATED_TYPE})",
        f"place (schematic position; {ALT_ESTIMATED_TYPE})",
    ]
    assert [is_alt_estimated(w) for w in tr.waypoints] == [False, True, True]
    specs = [CheckpointSpec(n.upper(), None, None, None, n, (), None, 0.0, False) for n in "abc"]
    assert estimated_altitude_notes(tr, specs) == [
        "altitude estimated (none published) at B ~1790 m, C ~1500 m: one value per place "
        "(the places file's alt_estimated)"
    ]
    # a surveyed GPX whose waypoint description happens to say "(estimated)"
    write_gpx(
        tmp_path / "real.gpx",
        np.array([45.0, 45.01]),
        np.array([6.0, 6.0]),
        np.array([1000.0, 1100.0]),
        waypoints=[Waypoint("b", 45.01, 6.0, 1100.0, description="water (estimated)")],
    )
    assert estimated_altitude_notes(read_gpx(tmp_path / "real.gpx"), specs[1:2]) == []


LOOP = (
    'name = "x"\n'
    '[[places]]\nname = "Saint-Paul"\nlat = -21.01589\nlon = 55.26093\nalt_m = 6\n'
    '[[places]]\nname = "Bellemene"\nlat = -21.01812\nlon = 55.30254\nalt_m = 405\n'
    '[[places]]\nname = "Piton"\nlat = -21.03\nlon = 55.33\nalt_m = 900\nalt_estimated = true\n'
    '[[places]]\nname = "Saint-Paul"\nlat = -21.01589\nlon = 55.26093\n'
)


@pytest.mark.parametrize(
    "last",
    [
        "",  # same name and position
        'name = "Saint-Paul"\nlat = -21.0162\nlon = 55.2610\n',  # same name, 35 m away
        'name = "saint-paul "\nlat = -21.05\nlon = 55.25\n',  # same name (case), 4 km away
    ],
)
def test_a_place_given_twice_takes_its_altitude_from_the_other(tmp_path, last):
    """Black-box test, seventeenth sprint (finding 9): a loop whose finish repeats the start
    without alt_m was held at the last known altitude (900 m), so the loop climbed 894 m
    and never came down. The same place (name, or within SAME_PLACE_M) gives its altitude."""
    p = tmp_path / "p.toml"
    text = LOOP if not last else LOOP.rsplit("[[places]]", 1)[0] + "[[places]]\n" + last
    p.write_text(text)
    places = load_places(p)
    assert places.places[-1].alt_m == 6 and not places.places[-1].alt_estimated
    st = sketch_track(places.places)
    assert st.elevation[-1] == pytest.approx(6)
    rise = np.diff(st.elevation)
    assert rise[rise > 0].sum() == pytest.approx(rise[rise < 0].sum() * -1, abs=1e-6)


def test_a_place_near_another_takes_its_altitude_even_under_another_name(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(
        LOOP.rsplit("[[places]]", 1)[0]
        + '[[places]]\nname = "Finish"\nlat = -21.0159\nlon = 55.2610\n'
    )
    assert load_places(p).places[-1].alt_m == 6


@pytest.mark.parametrize("which", ["first", "last"])
def test_an_end_place_without_altitude_is_refused(tmp_path, which):
    """Beyond the last known altitude the sketch could only hold it: refused, naming the place."""
    p = tmp_path / "p.toml"
    body = LOOP.rsplit("[[places]]", 1)[0] + '[[places]]\nname = "Far"\nlat = -21.1\nlon = 55.4\n'
    if which == "first":
        body = body.replace("alt_m = 6\n", "", 1).replace(
            'name = "Far"', 'name = "Far"\nalt_m = 10'
        )
    p.write_text(body)
    i, name = (0, "Saint-Paul") if which == "first" else (3, "Far")
    with pytest.raises(
        CourseFileError, match=rf"places\[{i}\] \('{name}'\) key 'alt_m': is missing on the {which}"
    ):
        load_places(p)


def test_a_place_repeated_at_a_guessed_position_is_marked_schematic_on_each_passage(tmp_path):
    """W5: an out-and-back's pass given twice at its guessed position was marked
    "schematic position" on the way out only: the waypoint of the way back (its map popup,
    the GPX) read as a surveyed position. Within SAME_PLACE_M of a schematic place, a place
    is at that guessed position too; 4 km away under the same name, it is not."""
    text = (
        'name = "x"\n'
        '[[places]]\nname = "Imlil"\nlat = 31.126372\nlon = -7.917829\nalt_m = 1740\n'
        '[[places]]\nname = "Pass"\nlat = 31.135827\nlon = -7.942694\nalt_m = 2489\n'
        "schematic_position = true\n"
        '[[places]]\nname = "Village"\nlat = 31.15\nlon = -7.98\nalt_m = 1800\n'
        '[[places]]\nname = "Pass"\nlat = 31.135827\nlon = -7.942694\n'
        '[[places]]\nname = "pass"\nlat = 31.17\nlon = -7.93\n'
        '[[places]]\nname = "Imlil"\nlat = 31.126372\nlon = -7.917829\n'
    )
    p = tmp_path / "p.toml"
    p.write_text(text)
    flags = [q.schematic_position for q in load_places(p).places]
    assert flags == [False, True, False, True, False, False]
    out = tmp_path / "s.gpx"
    write_sketch(load_places(p), out)
    types = [w.type for w in read_gpx(out).waypoints]
    assert types[1] == types[3] == "place (schematic position)", types
