"""The roadbook: one printable HTML page per race and an index per event.

A page holds the header (race, date, start, limit, distance, D+/D-, ITRA
points, a SCHEMATIC banner for sketched tracks), the interactive map
(:mod:`coursekit.maps`), the profile figure as inline SVG
(:mod:`coursekit.figures`), the legs and barriers table, and what the course
file says about equipment, food and notes. A print stylesheet lays it out on
A4 (the table's header repeats and a row is never cut across pages).

Every text from a GPX or course file goes through :func:`html.escape` (and,
inside the map's script, through JSON with ``<``, ``>``, ``&`` escaped): a
checkpoint called ``<script>...`` is shown, never run.

All pages are built in memory first and only then written, each atomically:
a failing course leaves no partial roadbook.
"""

from __future__ import annotations

import errno
import html
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from .clock import DATED_S, clock_changes, hm, limit_hm, seconds_between, shown_elapsed
from .clock import zoned as _zoned  # the one rule of a time's zone across a clock change
from .course import _INFO_KEYS
from .errors import CourseFileError, OutputError

__all__ = ["RacePage", "race_page", "build_roadbook", "discover", "Discovered", "MANIFEST"]

MANIFEST = ".coursekit-roadbook.json"
"""The file in a roadbook's output folder listing the files the last run wrote there (path
relative to the folder, and a SHA-256 of the content written): a later run removes the ones
it no longer writes, and only those still as written (:func:`build_roadbook`)."""

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --line: #ccc; --accent: #0072B2; --warn: #D55E00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.7rem; margin: .2rem 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--accent); }
.sub { color: var(--muted); margin: 0 0 .8rem; }
.banner { border: 2px solid var(--warn); color: var(--warn); padding: .5rem .8rem; margin: .6rem 0;
          font-weight: 600; background: #fff7f0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .4rem;
         margin: .6rem 0; padding: 0; list-style: none; }
.facts li { border: 1px solid var(--line); padding: .35rem .6rem; }
.facts b { display: block; font-size: 1.15rem; }
.facts small { display: block; }
.mapbox { height: 520px; border: 1px solid var(--line); }
.mapbox > div { height: 100%; }
.profile svg { width: 100%; height: auto; }
.printmap { display: none; }
.printmap svg { width: 100%; height: auto; max-height: 180mm; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .4rem; text-align: right;
         vertical-align: top; }
th { background: #f2f2f2; }
td.l, th.l { text-align: left; }
tr.night td { background: #f4f4f8; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.note { color: var(--muted); font-size: .85rem; }
ul.cols { columns: 2; }
ul.cols li { break-inside: avoid; page-break-inside: avoid; }
td.t { white-space: nowrap; }
.proposed { color: var(--warn); font-weight: 600; }
.facts small.proposed { display: inline; }
details.organiser { margin-top: 1.6rem; }
details.organiser summary { font-weight: 600; cursor: pointer; }
nav a { margin-right: 1rem; }
.wide { overflow-x: auto; }
/* a wide table scrolls in its box (a phone): its first column (the checkpoint, the station,
   the race) stays in view, opaque over the cells scrolling under it, night rows shaded */
.wide td:first-child, .wide th:first-child { position: sticky; left: 0; z-index: 1;
  box-shadow: inset -1px 0 0 var(--line); }
.wide td:first-child { background: #fff; }
.wide tr.night td:first-child { background: #f4f4f8; }
@media (max-width: 600px) {
  body { padding: .8rem .7rem 2rem; }
  ul.cols { columns: 1; }
  .profile { overflow-x: auto; }
  .profile svg { min-width: 560px; }
}
@media print {
  .wide, .profile { overflow: visible; }
  .wide td:first-child, .wide th:first-child { position: static; box-shadow: none; }
  .profile svg { min-width: 0; }
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .mapbox { display: none; }
  .printmap { display: block; break-inside: avoid; }
  .noprint { display: none; }
  h2 { break-after: avoid; }
  .keep { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 8pt; }
  th, td { padding: .15rem .2rem; }
  /* backgrounds are dropped in print by default: the night rows' tint and the header's grey
     are printed, the tint darker so that a laser printer keeps it */
  th, tr.night td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr.night td, .wide tr.night td:first-child { background: #e4e4ec; }
  a { color: inherit; text-decoration: none; }
}
"""


PRINT_WIDTH_IN = (210.0 - 2 * 12.0) / 25.4
"""The text width of a printed page [in]: A4 less the print CSS's 12 mm margins (186 mm).
The race page's profile is drawn at this width, which is the width it prints at, so the
sizes of its text are those on paper."""

PROFILE_HEIGHT_IN = 3.6
"""Height of the race page's profile [in] (the rotated checkpoint labels take its top)."""

KEEP_TABLE_ROWS = 20
"""A race page's checkpoints table of at most this many rows (start and finish included) is
printed on one page with its heading and note, moved whole to the next page when it would
be split: HAUT 120's 15 rows are 340 px at 8 pt, a third of A4's 1032 px text height, and
20 rows of two lines each still fit. A longer table is split across pages, its header
repeated on each and no row cut: Chromium pushes an unbreakable block taller than a page to
a fresh page and splits it there all the same (a 47-row table: one page more, no gain)."""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _slug(text: str, *, fallback: str = "race") -> str:
    """A file name from ``text``: ASCII letters and digits, lower case, runs of anything
    else as one "-" ("Trail A" and "trail_a": "trail-a"). A name with no Latin letter
    (Arabic, Tifinagh) gives ``fallback`` plus 8 hex digits of its SHA-1, so that two such
    names do not both become one page."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    t = re.sub(r"[^A-Za-z0-9]+", "-", t).strip("-").lower()
    if t:
        return t
    import hashlib

    return f"{fallback}-{hashlib.sha1(str(text).encode('utf-8')).hexdigest()[:8]}"


def _unique(slug: str, taken: set[str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... the first not in ``taken`` (case folded: a
    case-insensitive file system), which it joins."""
    name, n = slug, 1
    while name.casefold() in taken:
        n += 1
        name = f"{slug}-{n}"
    taken.add(name.casefold())
    return name


def _clock(
    dt: datetime | None, tz, *, nearest: bool = False, dated: bool = False, changes=()
) -> str:
    """``"Sat 04:45"`` as the map's popups write it (:func:`coursekit.maps.clock_label`:
    seconds dropped, or ``nearest=True`` rounded, the leader's ETA; ``dated``: with the
    date, for races over a week); "" for None. ``changes``: the clock changes on the page
    (:func:`coursekit.clock.clock_changes`): a time from the first one on, or in the hour
    that happens twice, is followed by its zone (``"Sun 02:15 CEST"``, :func:`_zoned`)."""
    from .maps import clock_label

    text = clock_label(dt, tz, nearest=nearest, dated=dated) or ""
    return _zoned(text, dt, tz, changes, nearest=nearest)


def _clock_change_note(changes, dated: bool, *, where: str = "") -> str:
    """The page's note on its clock changes ("" without one): when the clocks go back or
    forward, and how the times after the change are marked."""
    if not changes:
        return ""
    from .clock import after, clock_format, offset_text, zone_abbreviation

    def zone(moment, offset) -> str:  # "CEST (UTC+02:00)", or "UTC+02:00" alone
        name, off = zone_abbreviation(moment), offset_text(offset)
        return name if name == off else f"{name} ({off})"

    fmt = clock_format(dated)
    said = []
    for c in changes:
        way = "back" if c.new < c.old else "forward"
        said.append(
            f"at {c.before.strftime(fmt)} {zone(after(c.at, -60.0), c.old)} the clocks go "
            f"{way} to {c.at.strftime(fmt)} {zone(c.at, c.new)}"
        )
    back = any(c.new < c.old for c in changes)
    text = (
        f"Clock change{where}: "
        + "; ".join(said)
        + ". Times from the change on are followed by their zone"
        + (", as are those of the hour that happens twice" if back else "")
        + "; elapsed times are real time."
    )
    return f'<p class="note" id="clock-change">{_e(text)}</p>\n'


def _distance_note(map_m: float) -> str:
    return "map " + _num(map_m / 1000, 1, " km")


def _num(x, nd=0, unit=""):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    s = f"{x:,.{nd}f}".replace(",", "\u202f")
    return s + unit


def _split_texts(value) -> tuple[object, list[str]]:
    """(what runners see, the organiser's texts) of an [info] value (str, list or dict)."""
    from . import maps

    if isinstance(value, str):
        pub = maps.for_runners(value)
        return (pub or None), ([] if pub == value else [value] if pub is None else [])
    if isinstance(value, (list, tuple)):
        pub, org = [], []
        for v in value:
            t = maps.for_runners(str(v))
            if t is None:
                org.append(str(v))
            else:
                pub.append(t)
        return pub, org
    return value, []


_PROPOSED_LABELS = {
    "limit": "time limit",
    "start": "start",
    "gain_m": "D+",
    "loss_m": "D-",
    "distance_km": "distance",
}
"""The headline name of a ``[[proposed]]`` field (other fields are shown by their name)."""


def _proposed_value(p: dict, tz) -> str:
    """A proposed value as the page shows the same field: ``34:30 h``, ``5 000 m``..."""
    field, value = p.get("field", ""), p.get("value", "")
    if field == "limit" and "value_s" in p:
        return hm(p["value_s"]) + " h"
    if field in ("gain_m", "loss_m") and isinstance(value, (int, float)):
        return _num(float(value), 0, " m")
    if field == "distance_km" and isinstance(value, (int, float)):
        return _num(float(value), 1, " km")
    if field == "start" and isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return value
        dt = dt.astimezone(tz) if tz is not None and dt.tzinfo is not None else dt
        return f"{dt:%a %d %b %Y %H:%M}"
    return str(value)


def _round10(x: float) -> float:
    return float(round(x / 10.0) * 10.0)


def _profile_caption(course) -> str:
    """A schematic course's note under its profile: what the line shows against the header.

    The line joins the known altitudes of the sketch's places, so it climbs far less
    than the declared D+ of a mountain race; :func:`coursekit.course.scale_profile`
    puts the missing metres in the tables (``gain_method`` ``"spread"``: evenly along
    the course; ``"factor"``: the line's climbs multiplied), as ``info["scale"]``
    records. "" for a surveyed course.
    """
    if not course.schematic:
        return ""
    prof = course.profile
    scale = course.info.get("scale") if isinstance(course.info, dict) else None
    scale = scale if isinstance(scale, dict) and prof.has_elevation else {}
    km = float(prof.total_distance) / 1000.0
    drawn, header, spread, factor = [], [], [], []
    for what, total, key in (("D+", prof.total_gain, "gain"), ("D-", prof.total_loss, "loss")):
        extra = float(scale.get(f"{key}_added_m") or 0.0)
        k = float(scale.get(key) or 1.0)
        if scale.get(f"{key}_method") == "spread" and extra > 0:
            line = total - extra
            spread.append(f"{_num(extra / km, 0, ' m')} {what}")
        elif k > 0 and abs(k - 1.0) > 1e-3:
            line = total / k
            factor.append(f"{what} x{k:.2f}")
        else:
            continue
        drawn.append(f"{_num(_round10(line), 0, ' m')} {what}")
        header.append(f"{what} {_num(total, 0, ' m')}")
    text = "Schematic course: the line is the sketch, through the known altitudes of its places"
    if not drawn:
        text += "; its climbs are the D+ and D- shown."
    else:
        text += (
            f" ({' and '.join(drawn)}). The {' and '.join(header)} of the header include relief "
            "it does not show"
        )
        if spread:
            per_km = " and ".join(spread)
            text += f", spread evenly along the course in the tables (about {per_km} per km)"
        if factor:
            text += f"; the tables multiply the line's climbs ({', '.join(factor)})"
        text += "."
    return f'<p class="note" id="profile-note">{_e(text)}</p>\n'


@dataclass(frozen=True)
class RacePage:
    """A rendered race page: file name, HTML text and the facts the index lists."""

    filename: str
    html: str
    name: str
    start: datetime
    distance_m: float
    gain_m: float
    limit_s: float
    schematic: bool
    plan: object
    map_distance_m: float | None = None
    on_slope: bool = False
    """``distance_m`` is along the course on the slope (the tables' km); else map distance."""
    proposed: tuple[str, ...] = ()
    """The fields (``"start"``, ``"limit"``, ``"gain_m"``...) whose value is proposed, not
    published (the course file's ``[[proposed]]`` tables): the index labels them."""


def _list_block(title: str, value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        body = f"<p>{_e(value)}</p>"
    elif isinstance(value, (list, tuple)):
        cls = ' class="cols"' if len(value) > 6 else ""
        body = f"<ul{cls}>" + "".join(f"<li>{_e(v)}</li>" for v in value) + "</ul>"
    elif isinstance(value, dict):
        body = "<ul>" + "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in value.items())
        body += "</ul>"
    else:
        body = f"<p>{_e(value)}</p>"
    return f"<h2>{_e(title)}</h2>\n{body}\n"


def race_page(course, *, plan=None, offline: bool = False, nav: str = "") -> RacePage:
    """Render one race's roadbook page (HTML text); nothing is written.

    Parameters
    ----------
    course : Course
    plan : Plan, optional
        Defaults to :func:`coursekit.cutoffs.plan` of the course.
    offline : bool
        Inline Leaflet so the page works with no network (tiles excepted).
    nav : str
        HTML of a navigation line (links to the event index), already escaped.
    """
    from . import maps
    from .figures import outline_svg, profile_svg
    from .profile import itra_km_effort, itra_points, published_km_effort

    if plan is None:
        from .cutoffs import plan as make_plan

        plan = make_plan(course)
    legs = plan.legs
    tz = maps.display_tz(course)
    dated = course.limit_s > DATED_S  # over a week: a weekday names two days
    prof = course.profile
    rows = maps.checkpoint_rows(course, legs, plan)
    total_m = float(rows[-1]["distance_m"])
    gain = prof.total_gain if prof.has_elevation else float("nan")
    loss = prof.total_loss if prof.has_elevation else float("nan")
    # km-effort from the map distance, as ``coursekit profile`` and ITRA count it (the
    # tables' km are on the slope: 1 % more on TOR330, 616 against 610 km-effort)
    # unknown without altitude: the km-effort and the ITRA points count the D+ (a flat
    # course's figures would be printed as facts); of the published figures (km to 0.01,
    # D+ to the metre) as ITRA is given them, so the points are `profile`'s at a band edge
    kme = published_km_effort(float(prof.total_distance), gain) if math.isfinite(gain) else None
    m = maps.course_map(course, plan=plan)
    parts = maps.map_parts(m, offline=offline)
    # at its printed size, so that its 7 pt labels print at 7 pt (11 in wide, they were 4.7)
    svg = profile_svg(prof, legs=legs, plan=plan, width=PRINT_WIDTH_IN, height=PROFILE_HEIGHT_IN)
    svg = svg[svg.find("<svg") :]  # drop the XML prolog and doctype for inlining
    outline = outline_svg(prof, legs=legs)
    outline = outline[outline.find("<svg") :]
    start_local = course.start.astimezone(tz) if tz is not None else course.start
    # daylight-saving changes during the race (none on a fixed offset): said under the
    # sub-header, and the times they make ambiguous carry their zone
    changes = maps.course_clock_changes(course)
    proposed = (
        [p for p in course.info.get("proposed", []) if isinstance(p, dict)]
        if isinstance(course.info, dict)
        else []
    )

    out = []
    out.append('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    out.append(f"<title>{_e(course.name)} — roadbook</title>\n")
    out.append('<meta name="generator" content="coursekit">\n')
    out.append(parts.head)
    out.append(f"<style>{_CSS}</style>\n</head>\n<body>\n")
    if nav:
        out.append(f'<nav class="noprint">{nav}</nav>\n')
    out.append(f"<h1>{_e(course.name)}</h1>\n")
    prop = {p.get("field"): p for p in proposed}
    mark = '<small class="proposed">proposed</small>'
    out.append(
        f'<p class="sub">Start {_e(f"{start_local:%A %d %B %Y, %H:%M}")}'
        f" ({_e(course.timezone or start_local.strftime('%z'))})"
        + (f" {mark}" if "start" in prop else "")
        + f" · time limit {_e(limit_hm(course.limit_s))} h"
        + (f" {mark}" if "limit" in prop else "")
        + "</p>\n"
    )
    out.append(_clock_change_note(changes, dated))
    if course.schematic:
        out.append(
            '<div class="banner" id="schematic">SCHEMATIC COURSE — the track is a sketch through '
            "known places, not a surveyed route. Distances, D+/D-, the map line and the barriers "
            "are estimates for planning, not for navigation.</div>\n"
        )
    # the distance the tables count (checkpoint km): along the course on the slope, except
    # on schematic sketches and tracks without altitude, where it is the map distance
    map_m = float(prof.total_distance)
    on_slope = not course.schematic and prof.has_elevation
    facts = [
        (
            ("distance on the slope", _num(total_m / 1000, 1, " km"), _distance_note(map_m))
            if on_slope
            else ("distance (map)", _num(total_m / 1000, 1, " km"))
        ),
        ("D+", _num(gain, 0, " m") or "unknown"),
        ("D-", _num(loss, 0, " m") or "unknown"),
        ("km-effort", _num(itra_km_effort(kme), 0) if kme is not None else "unknown"),
        ("ITRA points", str(itra_points(kme)) if kme is not None else "unknown"),
        ("time limit", limit_hm(course.limit_s) + " h"),
        ("checkpoints", str(max(len(rows) - 2, 0))),
    ]
    # the headline fields a [[proposed]] table sets: labelled "proposed" where shown
    proposed_fact = {"time limit": "limit", "D+": "gain_m", "D-": "loss_m"}
    proposed_fact["distance (map)"] = proposed_fact["distance on the slope"] = "distance_km"
    out.append(
        '<ul class="facts">'
        + "".join(
            f"<li>{_e(f[0])}"
            + (f" {mark}" if proposed_fact.get(f[0]) in prop else "")
            + f"<b>{_e(f[1])}</b>"
            + (f'<small class="note">{_e(f[2])}</small>' if len(f) > 2 else "")
            + "</li>"
            for f in facts
        )
        + "</ul>\n"
    )
    if course.declared:
        srcs = "; ".join(
            f"{_e(maps.drop_file_refs(d.source))}: "
            + ", ".join(
                x
                for x in (
                    _num(d.distance_m / 1000, 1, " km") if d.distance_m else "",
                    _num(d.gain_m, 0, " m D+") if d.gain_m else "",
                    _num(d.loss_m, 0, " m D-") if d.loss_m else "",
                )
                if x
            )
            for d in course.declared
        )
        out.append(f'<p class="note">Published figures — {srcs}</p>\n')
    if proposed:  # the values; how each was obtained is in the notes for the organiser
        out.append(
            '<p class="note" id="proposed">'
            + "; ".join(
                f"{_e(_PROPOSED_LABELS.get(p.get('field'), p.get('field')))}: "
                f"{_e(_proposed_value(p, tz))} (proposed, not published)"
                for p in proposed
            )
            + ".</p>\n"
        )
    out.append('<h2 class="noprint">Map</h2>\n')
    out.append(f'<div class="mapbox">{parts.body}</div>\n')
    out.append(
        '<p class="note noprint">Map tiles © OpenTopoMap / OpenStreetMap contributors; '
        "they need a network connection, the course and checkpoints do not.</p>\n"
    )
    out.append(
        '<div class="printmap"><h2>Map</h2>\n'
        '<p class="note">Static map for print: the course line, start, finish and numbered '
        f"checkpoints (no background map).</p>\n{outline}</div>\n"
    )
    # one block, so that print never leaves the heading at the foot of a page
    out.append(
        f'<section class="keep" id="profile"><h2>Profile</h2>\n<div class="profile">{svg}</div>\n'
        f"{_profile_caption(course)}</section>\n"
    )
    out.append(_daylight_html(plan, tz, changes))
    # one block with its heading and note: print keeps a table that fits one page whole
    keep = ' class="keep"' if len(rows) <= KEEP_TABLE_ROWS else ""
    out.append(
        f'<section{keep} id="checkpoints"><h2>Checkpoints, barriers and opening times</h2>\n'
    )
    margin = getattr(getattr(plan, "params", None), "leader_margin", None)
    out.append(
        '<p class="note">Barrier = latest departure from the checkpoint; leader = expected '
        "first arrival; opens = when the station must be ready"
        + (
            f" (the leader's ETA less {margin:.0%} of the leader's elapsed time: winners beat "
            "the ETA by up to ~15 %)"
            if margin
            else ""
        )
        + (
            ". km are measured along the course on the slope, as timing providers publish them"
            if on_slope
            else ". km are map distance (no slope correction: "
            + ("a schematic sketch's altitude is invented)" if course.schematic else "no altitude)")
        )
        + f". Pace model: {_e(plan.model)}.</p>\n"
    )
    out.append(
        '<div class="wide"><table id="legs"><thead><tr><th class="l">checkpoint</th><th>km</th>'
        "<th>leg km</th><th>leg D+</th><th>leg D-</th><th>alt m</th><th>barrier</th>"
        "<th>elapsed</th>"
        '<th>leader</th><th>opens</th><th class="l">services</th><th class="l">night</th>'
        "</tr></thead>\n<tbody>"
    )
    for i, r in enumerate(rows):
        night = bool(r["night"])
        svc = ", ".join(maps.SERVICE_LABELS.get(s, s) for s in r["services"])
        barrier = _clock(r["cutoff"] if i else course.start, tz, dated=dated, changes=changes)
        bcls = ' class="t"'  # a clock time is never wrapped ("Sat" over "04:00")
        if not r.get("barrier", True):  # barrier = false: when the station may close
            barrier, bcls = f"none (closes {barrier})", ""
        # the minute the barrier shows (seconds dropped), not the elapsed time rounded
        elapsed = shown_elapsed(course.start, plan.cutoff[i]) if i else 0.0
        leader = {"nearest": bool(i), "dated": dated, "changes": changes}
        out.append(
            f'<tr class="{"night" if night else ""}"><td class="l">{_e(r["name"])}'
            + (" <small>(fixed)</small>" if r.get("fixed") else "")
            + f"</td><td>{_num(r['distance_m'] / 1000, 1)}</td>"
            f"<td>{_num(r['leg_distance_m'] / 1000, 1) if i else ''}</td>"
            f"<td>{_num(r['leg_gain_m'], 0) if i else ''}</td>"
            f"<td>{_num(r['leg_loss_m'], 0) if i else ''}</td>"
            f"<td>{_num(r['elevation_m'], 0)}</td>"
            f'<td{bcls}>{_e(barrier)}</td><td class="t">{_e(hm(elapsed))}</td>'
            f'<td class="t">{_e(_clock(r["leader_eta"], tz, **leader))}</td>'
            f'<td class="t">{_e(_clock(r["opening"], tz, dated=dated, changes=changes))}</td>'
            f'<td class="l">{_e(svc)}{" · drop bag" if r["drop_bag"] and "drop_bag" not in r["services"] else ""}</td>'  # noqa: E501
            f'<td class="l">{"night" if night else ""}</td></tr>\n'
        )
    out.append("</tbody></table></div></section>\n")
    from .cutoffs import proposed_note

    # the page labels each proposed value where it shows it (and lists them in a note):
    # the plan's warning, written in the course file's words, is not repeated. The plan's
    # warnings are advice to the organiser ("round to 5 min", "checkpoints[0, 2]", "the
    # places file"): folded with the organiser's notes, never printed on the runners' page
    # (what runners must know of them is on the page already: the schematic banner, the
    # unknown D+, the barriers themselves)
    info = course.info if isinstance(course.info, dict) else {}
    organiser: list[str] = [w for w in plan.warnings if w != proposed_note(course)]

    def block(title, value):
        # texts written for the organiser (they point at the course file) are kept out
        pub, org = _split_texts(value)
        organiser.extend(org)
        return _list_block(title, pub)

    out.append(block("Mandatory equipment", info.get("equipment")))
    out.append(block("Food and drink at the aid stations", info.get("food")))
    out.append(block("Notes", info.get("notes")))
    for key, value in info.items():
        # the course file's [info] tables only: the loader's own bookkeeping in the same
        # dict (scale, start_offset_note, ...) is shown elsewhere or is a plan warning
        if key not in _INFO_KEYS or key in ("equipment", "food", "notes"):
            continue
        if isinstance(value, (str, list, tuple, dict)) and value:
            out.append(block(key.replace("_", " ").capitalize(), value))
    out.append(
        _organiser_block(
            [
                f"{_PROPOSED_LABELS.get(p.get('field'), p.get('field'))} "
                f"{_proposed_value(p, tz)} (proposed): {p.get('basis', '')}"
                + (f" — {p['note']}" if p.get("note") else "")
                for p in proposed
            ]
            + organiser
        )
    )
    out.append(
        f'<p class="note">Made with coursekit from {_e(Path(course.path).name)} and '
        f"{_e(Path(course.gpx_path).name)}.</p>\n"
    )
    out.append(parts.script)
    out.append("\n</body>\n</html>\n")
    return RacePage(
        filename=_slug(Path(course.path).stem) + ".html",
        html="".join(out),
        name=course.name,
        start=course.start,
        distance_m=total_m,
        gain_m=gain,
        limit_s=course.limit_s,
        schematic=course.schematic,
        plan=plan,
        map_distance_m=map_m,
        on_slope=on_slope,
        proposed=tuple(str(p.get("field")) for p in proposed),
    )


def _daylight_html(plan, tz, changes=()) -> str:
    """The race page's "Daylight" block: each race date's sun times and the night sections
    in km, the figures `coursekit cutoffs` prints (:func:`coursekit.sun.day_parts`,
    :attr:`coursekit.cutoffs.Plan.night_along`), on the course's clock."""
    from .sun import day_parts

    def clock(t) -> str:
        return _zoned(f"{t.astimezone(tz) if tz is not None else t:%H:%M}", t, tz, changes)

    days = "".join(
        f"<li><b>{_e(f'{d.date:%A %d %B %Y}')}</b>: "
        + _e(", ".join(day_parts(d, clock=clock)).replace(", (", " ("))
        + "</li>"
        for d in plan.sun
    )
    if not days:
        return ""
    night = ", ".join(f"km {a / 1000:.1f}–{b / 1000:.1f}" for a, b in plan.night_along)
    return (
        '<section class="keep" id="daylight"><h2>Daylight</h2>\n'
        f"<ul>{days}</ul>\n"
        + (f'<p id="night">Night (reference runner): {_e(night)}</p>\n' if night else "")
        + '<p class="note">Sun times at the middle of the course, on the race&#x27;s clock; '
        "dark = the sun more than 6° below the horizon (civil twilight), the night of the "
        "pace model"
        + (
            ". Night: the km the reference runner, finishing at the time limit, covers in "
            "the dark (shaded on the profile); a faster runner's night falls elsewhere"
            if night
            else ""
        )
        + ".</p></section>\n"
    )


def _organiser_block(texts: list[str]) -> str:
    """The texts written for the organiser (the plan's warnings, the course files' notes that
    point at the file): folded on screen, never printed."""
    if not texts:
        return ""
    return (
        '<details class="organiser noprint" id="organiser"><summary>Notes for the organiser '
        "(not printed)</summary>\n<ul>"
        + "".join(f"<li>{_e(t)}</li>" for t in texts)
        + "</ul></details>\n"
    )


def _start_text(start: datetime, tz) -> str:
    """``"Sat 19 Oct 2024 05:00"`` on the index's clock ``tz``; with its UTC offset when the
    index has no one clock (``tz`` None, :func:`coursekit.maps.event_zone`)."""
    from .maps import utc_offset

    if tz is not None:
        return f"{start.astimezone(tz):%a %d %b %Y %H:%M}"
    return f"{start:%a %d %b %Y %H:%M} {utc_offset(start)}"


def _race_start(p: RacePage):
    """The race's start on its own clock (its course's zone), as its page shows it."""
    from .maps import display_tz

    tz = display_tz(p.plan.course)
    return p.start.astimezone(tz) if tz is not None else p.start


def _index_changes(pages: list[RacePage], tz) -> list:
    """The clock changes of the index's clock ``tz`` from the first race's start to the last
    one's limit plus the sweep (:func:`_stations_html`); none without one clock (every time
    then carries its UTC offset)."""
    if tz is None or not pages:
        return []
    first = min(pages, key=lambda p: p.start.timestamp()).start.astimezone(tz)
    end = max(p.start.timestamp() + p.limit_s for p in pages) + SWEEP_S
    return clock_changes(first, end - first.timestamp())


def _event_index(
    name: str,
    pages: list[RacePage],
    stations_html: str,
    info: dict,
    offline: bool,
    zone: tuple = (None, ""),
    changes=(),
    nav: str = "",
    warnings=(),
) -> str:
    """The event's index page; every time on it is on one clock, ``zone``
    (:func:`coursekit.maps.event_zone`), named under the races' table; ``changes``: that
    clock's changes during the event (:func:`_index_changes`); ``nav``: HTML of a
    navigation line (the link up to the roadbooks' index when there are several events),
    already escaped; ``warnings``: the event plan's warnings for the organiser (folded
    with the event file's notes for the organiser, never printed)."""

    tz, zone_name = zone

    def mark(p: RacePage, field: str) -> str:
        return ' <small class="proposed">proposed</small>' if field in p.proposed else ""

    rows = "".join(
        f'<tr><td class="l"><a href="{_e(p.filename)}">{_e(p.name)}</a>'
        f"{' <small>(schematic)</small>' if p.schematic else ''}</td>"
        f"<td>{_e(_zoned(_start_text(_race_start(p), tz), p.start, tz, changes))}"
        f"{mark(p, 'start')}</td>"
        f"<td>{_num(p.distance_m / 1000, 1)}{mark(p, 'distance_km')}</td>"
        f"<td>{_num(p.gain_m, 0)}{mark(p, 'gain_m')}</td>"
        f"<td>{_e(limit_hm(p.limit_s))}{mark(p, 'limit')}</td></tr>\n"
        for p in pages
    )
    if any(p.proposed for p in pages):
        rows_note = (
            '<p class="note">proposed: not published by the organiser; each race page '
            "says which values are proposed.</p>\n"
        )
    else:
        rows_note = ""
    notes, organiser = "", list(warnings)
    if isinstance(info, dict):
        pub, own = _split_texts(info.get("notes"))
        notes = _list_block("Notes", pub)
        organiser += own
    clock_note = f'<p class="note" id="clock">Times on this page: {_e(zone_name)}.</p>\n'
    if changes:
        span = max(p.start.timestamp() + p.limit_s for p in pages) - min(
            p.start.timestamp() for p in pages
        )
        clock_note += _clock_change_note(changes, span > DATED_S, where=" during the event")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(name)} — roadbook</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + (f'<nav class="noprint">{nav}</nav>\n' if nav else "")
        + f"<h1>{_e(name)}</h1>\n<h2>Races</h2>\n"
        '<div class="wide"><table id="races"><thead><tr><th class="l">race</th><th>start</th>'
        f"<th>km</th><th>D+ m</th><th>limit</th></tr></thead>\n<tbody>{rows}</tbody>"
        "</table></div>\n"
        f"{rows_note}{_km_note(pages)}{clock_note}{stations_html}{notes}{_organiser_block(organiser)}"
        '<p class="note">Made with coursekit.</p>\n</body>\n</html>\n'
    )


def _km_note(pages: list[RacePage]) -> str:
    """Which distance the index's km column is: each race's finish km, as its tables."""
    slope = [p for p in pages if p.on_slope]
    flat = [p for p in pages if not p.on_slope]
    if slope and flat:
        text = (
            "km: the finish km of each race's tables, along the course on the slope "
            "(map distance for " + ", ".join(p.name for p in flat) + ")."
        )
    elif slope:
        text = "km: along the course on the slope, as in each race's tables."
    else:
        text = "km: map distance, as in each race's tables."
    return f'<p class="note">{_e(text)}</p>\n'


SWEEP_S = 1800.0
"""A station closes this long after its latest barrier, for the sweep [s]."""


def _stations_html(pages: list[RacePage], tz, changes=(), runners=None) -> str:
    """Staffing windows of the stations shared by the event's races (coursekit.event), on
    the index's clock ``tz`` (:func:`coursekit.maps.event_zone`; None: each time on its
    race's clock, with its UTC offset); with ``changes`` (:func:`_index_changes`), the
    times they make ambiguous carry their zone (:func:`_zoned`). ``runners``: the event
    file's ``[runners]`` (``{course path: starters}``), the field size of the races it
    names in the simulated field (the others: :data:`FIELD_RUNNERS`), as ``coursekit event
    --simulate`` uses it."""
    from .maps import zoned_clock

    try:
        from .event import Race, plan_event
    except ImportError:  # pragma: no cover
        return ""
    races = [Race.from_plan(p.plan).with_starters(runners or {}, p.plan.course.path) for p in pages]
    margin_s, sweep_s = 1800.0, SWEEP_S
    ev = plan_event(races, name="event", margin_s=margin_s, sweep_s=sweep_s)
    lead = {getattr(getattr(p.plan, "params", None), "leader_margin", None) for p in pages}
    lead = lead.pop() if len(lead) == 1 else None
    if not ev.stations:
        return ""
    summary = _field_summary(ev)
    charts = _occupancy_html(ev, tz, changes, summary)
    # each staffing window's busiest 60 minutes of the chart's field (shared stations only)
    peaks = {
        st["name"]: [w.get("peak_60min") for w in st["windows"]]
        for st in (summary or {}).get("stations", ())
        if len(st.get("races", ())) > 1
    }
    race_order = {r.name: i for i, r in enumerate(races)}  # the event file's order
    dated = (
        seconds_between(min(st.open for st in ev.stations), max(st.close for st in ev.stations))
        > DATED_S
    )

    def when(t) -> str:
        return _e(_zoned(zoned_clock(t, tz, dated=dated) or "", t, tz, changes))

    body = []
    for st in ev.stations:
        if len({ps.race for ps in st.passages}) < 1:
            continue
        # one row per staffing window (a station no race needs for hours closes between)
        for k, w in enumerate(st.windows):
            rn = ", ".join(
                sorted({st.passages[i].race for i in w.passages}, key=race_order.__getitem__)
            )
            pk = peaks.get(st.name, [None] * len(st.windows))[k]
            body.append(
                f'<tr><td class="l">{_e(st.name) if k == 0 else ""}</td>'
                f'<td class="l">{_e(rn)}</td>'
                f'<td class="t">{when(w.open)}</td><td class="t">{when(w.close)}</td>'
                f'<td class="l">{"yes" if w.dark_s > 0 else ""}</td>'
                + (f"<td>{'' if pk is None else f'{pk:.0f}'}</td>" if peaks else "")
                + "</tr>\n"
            )
    return (
        "<h2>Aid stations: staffing windows</h2>\n"
        '<p class="note">Open = the earlier of (earliest leader ETA of any race minus '
        f"{margin_s / 60:.0f} min) and the opening the pace model gives ("
        + (f"{1 - lead:.0%} of the leader's elapsed time: " if lead else "")
        + "the leader ETA's error was up to ~15 % on the races measured, more on multi-day "
        f"races); close = latest barrier plus {sweep_s / 60:.0f} min for the sweep. A station "
        f"no race needs for more than {ev.gap_s / 3600:g} h closes in between: one row per "
        "staffing window."
        + (
            " Peak 60 min: the most runners arriving within any 60 minutes in that window, "
            f"shared stations only, of the simulated field below: {_field_size_text(summary)}."
            "</p>\n"
            if peaks
            else "</p>\n"
        )
        + '<div class="wide"><table id="stations"><thead><tr><th class="l">station</th>'
        '<th class="l">races</th>'
        '<th>open</th><th>close</th><th class="l">in the dark</th>'
        + ("<th>peak 60 min</th>" if peaks else "")
        + "</tr></thead>\n"
        f"<tbody>{''.join(body)}</tbody></table></div>\n"
        f"{charts}"
    )


FIELD_RUNNERS = 200
"""Runners per race of the illustrative field simulated for the event index's occupancy
charts, for a race the event file's ``[runners]`` does not size: an assumption stated on
the page, not a registration figure."""


def _field_size_text(summary: dict) -> str:
    """How many runners the index's field simulated, race by race, and where each number
    comes from (the event file's ``[runners]``, or :data:`FIELD_RUNNERS` assumed)."""
    races = ((summary or {}).get("simulation") or {}).get("races") or []
    given = [r for r in races if r.get("n_runners_from_event_file")]
    assumed = [r for r in races if not r.get("n_runners_from_event_file")]
    parts = []
    if given:
        sizes = {r["n_runners"] for r in given}
        parts.append(
            (
                f"{sizes.pop():,} runners per race"
                if len(sizes) == 1 and not assumed
                else ", ".join(f"{r['race']} {r['n_runners']:,}" for r in given)
            )
            + " (the event file's [runners])"
        )
    if assumed:
        parts.append(
            (
                f"{FIELD_RUNNERS} runners per race"
                if not given
                else ", ".join(f"{r['race']} {FIELD_RUNNERS}" for r in assumed)
            )
            + " (an assumption, not a registration figure)"
        )
    return "; ".join(parts) if parts else f"{FIELD_RUNNERS} runners per race (an assumption)"


def _field_summary(ev) -> dict | None:
    """The event summary of the index's seeded field (:data:`FIELD_RUNNERS` per race, 40
    repetitions), or None when no station is shared (a single race, or races sharing
    nothing: no chart, and no simulation is run)."""
    from .event import event_summary, simulate_event

    if not any(len(st.races) > 1 for st in ev.stations):
        return None
    return event_summary(simulate_event(ev, n_runners=FIELD_RUNNERS, repetitions=40, seed=1))


_DEF = re.compile(r'<path id="[^"]+"[^>]*/>')
"""A definition matplotlib writes in an SVG's ``<defs>``: a glyph of a font
(``DejaVuSans-53``) or a tick marker (``m92f08c24f9``), its id a hash of what it draws."""
_DEFS = re.compile(r"<defs>.*?</defs>", re.S)


def _shared_defs(svgs: list[str]) -> list[str]:
    """``svgs`` to inline in one page, each definition written once: a later SVG's copy
    of an identical one (same id, same drawing) is dropped, its ``<use>`` finds the first
    in the page. The index's occupancy panels share their glyphs and tick markers (~10 kB
    each)."""
    seen: set[str] = set()

    def once(m: re.Match) -> str:
        if m[0] in seen:
            return ""
        seen.add(m[0])
        return m[0]

    return [_DEFS.sub(lambda d: _DEF.sub(once, d[0]), svg) for svg in svgs]


def _occupancy_html(ev, tz=None, changes=(), summary=None) -> str:
    """Arrivals per hour at the shared stations, from a seeded simulation of the field (its
    time axis on the index's clock ``tz``, its ticks marked by the index's clock
    ``changes`` as its tables' times are, :func:`coursekit.clock.zoned`); ``summary``:
    :func:`_field_summary`'s, when already run."""
    from .figures import occupancy_panels

    summary = summary if summary is not None else _field_summary(ev)
    if summary is None:
        return ""
    shared = [s["name"] for s in summary["stations"] if len(s.get("races", ())) > 1]
    if not shared:
        return ""
    try:  # one SVG per station: on paper, each panel with its time axis on one page
        panels = occupancy_panels(summary, stations=shared, tz=tz, changes=changes)
    except ValueError:
        return ""
    svgs = _shared_defs([svg.decode("utf-8") for svg in panels])
    divs = [f'<div class="profile keep">{svg[svg.find("<svg") :]}</div>\n' for svg in svgs]
    # the heading and the note stay with the first panel (a page never ends on them)
    return (
        '<section class="keep" id="occupancy"><h2>Aid stations: runners arriving per hour</h2>\n'
        f'<p class="note">Simulated field: {_field_size_text(summary)}, pushed through the '
        "same pace model as the barriers; "
        "mean over 40 seeded repetitions. Use it to size food and volunteer shifts.</p>\n"
        f"{divs[0]}</section>\n" + "".join(divs[1:])
    )


class Discovered(NamedTuple):
    """One event (or lone race) found by :func:`discover`."""

    name: str
    """The event's name (a lone course file: its stem; a folder of course files: its name)."""
    folder: Path
    """The folder holding the event (its ``event.toml``, if any, and the pages' links)."""
    course_paths: list[Path]
    """The course files, in the event file's order."""
    info: dict
    """The event file's ``[info]`` table (empty without an event file)."""
    timezone: str | None
    """The event file's time zone (None without one)."""
    runners: dict
    """The event file's ``[runners]``: ``{course path: starters}`` (empty without one)."""


def discover(target) -> list[Discovered]:
    """What to build from a path: one :class:`Discovered` per event.

    A course file is a single race; an event file (by its content, whatever its name:
    :func:`coursekit.course.is_event_file`) or a folder with ``event.toml`` is an event; a
    folder of such folders (like the repository's ``courses/``) is several.
    """
    from .course import is_event_file, load_event

    target = Path(target)
    if not target.exists():
        raise CourseFileError(f"{target}: no such course file or folder")
    if target.is_file():
        if target.name == "event.toml" or is_event_file(target):
            ev = load_event(target)
            return [_discovered(ev, target.parent)]
        return [Discovered(target.stem, target.parent, [target], {}, None, {})]
    if (target / "event.toml").is_file():
        ev = load_event(target)
        return [_discovered(ev, target)]
    found = []
    for sub in sorted(p for p in target.iterdir() if p.is_dir()):
        if (sub / "event.toml").is_file():
            ev = load_event(sub)
            found.append(_discovered(ev, sub))
    if not found:
        tomls = sorted(p for p in target.glob("*.toml") if not p.name.endswith(".places.toml"))
        if tomls:
            return [Discovered(target.name, target, tomls, {}, None, {})]
        raise CourseFileError(
            f"{target}: no event.toml, no event folders and no course files found"
        )
    return found


def _discovered(ev, folder: Path) -> Discovered:
    return Discovered(ev.name, folder, list(ev.course_paths), ev.info, ev.timezone, ev.runners)


def build_roadbook(
    target, out_dir, *, offline: bool = False, progress=None, on_stale=None
) -> list[Path]:
    """Build the roadbook of a course file, an event folder or a folder of events.

    Writes ``OUT/<event>/<race>.html`` and ``OUT/<event>/index.html`` per
    event, plus ``OUT/index.html`` when there are several events (a single
    course file gives ``OUT/<race>.html`` and ``OUT/index.html``). ``<race>`` is the course
    file's name and ``<event>`` the folder's, as ASCII (:func:`_slug`); names that give one
    file name (``Trail A`` and ``trail_a``, a course file ``index.toml``) get ``-2``,
    ``-3``... in the listed order, so that no page replaces another. Everything is
    built in memory first; files are then written atomically, as one output
    (:func:`coursekit.io.output_group`): when a write fails, the files this call
    created and the folders it created are removed.

    ``OUT`` holds one roadbook: the run lists what it wrote in ``OUT/`` :data:`MANIFEST`,
    and removes the files the previous run listed there that it did not write now (a race
    taken out of the event, a renamed one), then the folders they leave empty. It never
    removes a file no run listed, nor one changed since it was written (its SHA-256
    differs), nor anything outside ``OUT``; those are kept. Each such file is passed to
    ``on_stale(path, removed)`` (``removed`` False when kept).

    Returns the written pages (not the manifest).
    """
    from . import maps
    from .course import load_course
    from .event import _event_zone_offset_notes
    from .io import atomic_write_text, output_group, same_file

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CourseFileError(f"{out_dir}: exists and is not a folder")
    if (out_dir / MANIFEST).is_dir():  # before any page is written
        raise OutputError(
            f"{out_dir / MANIFEST}: is a folder, not a file: the roadbook lists the files it "
            "writes in it (to remove them when a later run no longer writes them); remove or "
            "rename that folder",
            errno.EISDIR,
        )
    events = discover(target)
    files: dict[Path, str] = {}
    summary = []
    several = len(events) > 1
    # every page its own file: names that slug alike ("Trail A", "trail_a"), a course file
    # called index.toml, two event folders alike get -2, -3... in the listed order (one
    # page overwrote the other, and the index linked both races to it)
    folders: set[str] = set()
    read = [Path(target)]  # the files this run reads: no page may be written over one
    for ev in events:
        read.append(ev.folder / "event.toml")
        slug = _unique(_slug(ev.folder.name, fallback="event"), folders) if several else ""
        sub = out_dir / slug if several else out_dir
        pages = []
        taken = {"index"}  # the event's index page
        for cp in ev.course_paths:
            course = load_course(cp)
            read += [course.path, course.gpx_path]
            nav = '<a href="index.html">← event index</a>' + (
                '<a href="../index.html">all events</a>' if several else ""
            )
            page = race_page(course, offline=offline, nav=nav)
            page = replace(page, filename=_unique(page.filename[: -len(".html")], taken) + ".html")
            pages.append(page)
            files[sub / page.filename] = page.html
            if progress is not None:
                progress(cp)
        from .event import MAX_EVENT_SPAN_DAYS, check_event_span, event_span

        ev_file = Path(target) if Path(target).is_file() else ev.folder / "event.toml"
        courses = [p.plan.course for p in pages]
        span_notes = []
        if ev_file.is_file():  # an event file lists one edition's races: refused beyond
            check_event_span(ev_file, courses)
        elif (span := event_span(courses))[0] > MAX_EVENT_SPAN_DAYS:
            # a folder of course files, not an event: races years apart share no staffing
            days, first, last = span
            span_notes.append(
                f"{first.name} starts {first.start:%Y-%m-%d} and {last.name} "
                f"{last.start:%Y-%m-%d}, {days:.0f} days apart: not one event, so no table "
                "of shared stations (an event file per edition gives one)"
            )
        # one clock for the whole index (docs/course-file.md, event file: timezone)
        zone = maps.event_zone(ev.timezone, [p.plan.course for p in pages])
        changes = _index_changes(pages, zone[0])
        stations = "" if span_notes else _stations_html(pages, zone[0], changes, ev.runners)
        up = '<a href="../index.html">← all events</a>' if several else ""
        # a start whose offset is not the event zone's there, as `coursekit event` warns
        warns = span_notes + [
            w for p in pages for w in _event_zone_offset_notes(p.plan.course, ev.timezone)
        ]
        files[sub / "index.html"] = _event_index(
            ev.name, pages, stations, ev.info, offline, zone, changes, nav=up, warnings=warns
        )
        summary.append((ev.name, f"{slug}/index.html", pages))
    if several:
        items = "".join(
            f'<li><a href="{_e(href)}">{_e(name)}</a> — '
            + ", ".join(_e(p.name) for p in pages)
            + "</li>\n"
            for name, href, pages in summary
        )
        files[out_dir / "index.html"] = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Roadbooks</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>Roadbooks</h1>\n<ul>{items}</ul>\n"
            '<p class="note">Made with coursekit.</p>\n</body>\n</html>\n'
        )
    for path in [*files, out_dir / MANIFEST]:
        for source in read:
            if same_file(path, source):
                raise OutputError(
                    f"{path}: the roadbook would write its page over {source}, which it "
                    "reads: write the roadbook into another folder (-o)",
                    errno.EEXIST,
                )
    previous = _read_manifest(out_dir)
    listed = {p.relative_to(out_dir).as_posix(): _sha256(text) for p, text in files.items()}
    written = []
    with output_group():  # a failed write removes the pages and folders written before it
        for path, text in files.items():
            written.append(atomic_write_text(path, text))
        # last: a run that fails before it leaves the previous list in place
        atomic_write_text(out_dir / MANIFEST, _manifest_text(listed))
    for rel in sorted(set(previous) - set(listed)):
        path = out_dir / rel
        try:
            removed = _remove_stale(out_dir, path, previous[rel])
        except (OSError, ValueError):  # a name the system refuses: not a file we wrote
            removed = None
        if removed is not None and on_stale is not None:
            on_stale(path, removed)
    return written


def _sha256(text: str) -> str:
    """The SHA-256 of a page as :func:`coursekit.io.atomic_write_text` writes it (UTF-8)."""
    return _sha256_bytes(text.encode("utf-8"))


def _manifest_text(listed: dict[str, str]) -> str:
    import json

    from . import __version__

    return (
        json.dumps(
            {
                "written_by": f"coursekit {__version__} roadbook",
                "about": "the files the last `coursekit roadbook` run wrote into this folder "
                "(path: sha256); the next run removes those it no longer writes, if unchanged",
                "files": listed,
            },
            indent=1,
            sort_keys=False,
        )
        + "\n"
    )


def _read_manifest(out_dir: Path) -> dict[str, str]:
    """The previous run's ``{relative path: sha256}``; empty when there is none or it cannot
    be read as one (then nothing is removed)."""
    import json

    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if _plain_relative(k) and isinstance(v, str)}


def _plain_relative(rel) -> bool:
    """A manifest entry this module could have written: a relative POSIX path with no
    ``..``, no NUL and not the manifest itself (anything else, e.g. edited by hand, is
    ignored: never removed, never an error)."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        return False
    parts = rel.split("/")
    return not rel.startswith("/") and ".." not in parts and rel != MANIFEST and "" not in parts


def _remove_stale(out_dir: Path, path: Path, sha: str) -> bool | None:
    """Remove ``path``, a file the previous run wrote and this one did not, when it is still
    what was written; True when removed, False when kept (changed since, not a plain file),
    None when it is already gone or lies outside ``out_dir`` (never touched). Then the
    folders it leaves empty, up to ``out_dir``."""
    import os

    root = Path(os.path.realpath(out_dir))
    real = Path(os.path.realpath(path))
    if root not in real.parents or Path(os.path.normpath(path)) != path:
        return None  # "../x", an absolute path, a link out of the folder: not ours
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_file():
        return False
    try:
        if _sha256_bytes(path.read_bytes()) != sha:
            return False
        path.unlink()
    except OSError:
        return False
    folder = path.parent
    while folder != out_dir and out_dir in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent
    return True


def _sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
