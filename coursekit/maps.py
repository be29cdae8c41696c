"""Interactive course maps (folium / Leaflet). The only module that imports folium.

folium builds the map itself (tile layers, layer control, scale bar); the
course line, the checkpoint markers, their popups and the km markers are drawn
by one small script fed with a JSON object, for three reasons:

* **Size.** The line is simplified (Douglas-Peucker in a local metric
  projection, tolerance :data:`DEFAULT_TOLERANCE_M` = 5 m) and sent as a
  Google *encoded polyline* (precision 1e-5 degree, about 1 m), decoded by a
  15-line function: a 170 km course weighs tens of kB, not megabytes.
  Statistics never come from this display geometry, always from the full
  track.
* **Safety.** Every text from a GPX or course file reaches the page as a JSON
  string (``<``, ``>``, ``&``, U+2028/U+2029 escaped, so ``</script>`` and
  ``<!--`` cannot close or comment out the script) and is put in the page with
  ``textContent``, never as HTML. folium's own popups interpolate HTML into a
  JavaScript template literal (where `` ` `` and ``${`` are live), so they are
  not used. Layer names, which Leaflet's layer control inserts as HTML, are
  HTML-escaped first. No user text (nor the encoded line) is handed to folium:
  branca re-parses the output of folium's templates as a Jinja template, where
  ``{{``, ``{%`` and ``{#`` are live (an encoded polyline holds them as often
  as a name may). The course script is added to the page as a literal string,
  and it, not folium, puts each race's layer in the layer control.
* **Offline.** Markers are ``DivIcon`` with inline SVG (Leaflet's default PNG
  icons are fetched by URL); the fullscreen button is a 10-line control
  (folium's plugin loads a CDN script); with ``offline=True`` Leaflet's script
  and stylesheet (from the ``xstatic-leaflet`` package, its images as data
  URIs) are inlined, so nothing but map tiles needs the network, and a
  message says so in the map when tiles fail. Without ``offline``, Leaflet
  comes from the CDN folium uses and the page shows a message instead of
  breaking when it cannot load. jQuery, Bootstrap and Font Awesome, which
  folium loads by default, are not needed by anything drawn here and are left
  out.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "SERVICE_LABELS",
    "GRADE_CLASSES",
    "MapParts",
    "simplify_line",
    "encode_polyline",
    "decode_polyline",
    "js_json",
    "clock_label",
    "display_tz",
    "course_clock_changes",
    "event_zone",
    "utc_offset",
    "zoned_clock",
    "checkpoint_rows",
    "course_map",
    "event_map",
    "map_parts",
    "map_html",
    "write_map",
    "leaflet_assets",
]

DEFAULT_TOLERANCE_M = 5.0
"""Tolerance of the display line's simplification [m] (Douglas-Peucker)."""

SERVICE_LABELS = {
    "water": "water",
    "food": "food",
    "hot_meal": "hot meal",
    "drop_bag": "drop bag",
    "medical": "medical",
    "toilets": "toilets",
    "bus": "shuttle bus",
}
"""How each known service is written in popups, tables and the legend."""

# marker icon per "most important" service: (key, letter, colour); Okabe-Ito palette
_ICONS = (
    ("drop_bag", "B", "#CC79A7"),
    ("hot_meal", "H", "#D55E00"),
    ("food", "F", "#E69F00"),
    ("water", "W", "#0072B2"),
    ("medical", "+", "#56B4E9"),
)
_RACE_COLOURS = ("#D55E00", "#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#000000")

GRADE_CLASSES = (
    (-math.inf, -0.15, "#0072B2", "down > 15 %"),
    (-0.15, -0.05, "#56B4E9", "down 5-15 %"),
    (-0.05, 0.05, "#009E73", "flat < 5 %"),
    (0.05, 0.15, "#E69F00", "up 5-15 %"),
    (0.15, math.inf, "#D55E00", "up > 15 %"),
)
"""Grade classes of the optional colouring: (low, high [rise/run], colour, label)."""

LEAFLET_CDN_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CDN_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
LEAFLET_SRI_JS = "sha256-WBkoXOwTeyKclOHuWtc+i2uENFpDZ9YPdf5Hf+D7ewM="
LEAFLET_SRI_CSS = "sha256-kLaT2GOSpHechhsozzB+flnD+zUyjE2LlfWPgU04xyI="
"""Subresource Integrity of the CDN files: the browser runs the script (and applies the
stylesheet) only when its hash is this one, so a published page never runs whatever the
CDN serves instead. They are the hashes Leaflet publishes for 1.9.3, equal to the
xstatic-leaflet copy that ``--offline`` inlines (a test checks it)."""


# ---------------------------------------------------------------- geometry and encoding


def simplify_line(lat, lon, *, tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
    """Indices of the points kept by a Douglas-Peucker simplification.

    Parameters
    ----------
    lat, lon : array_like
        Positions [degrees].
    tolerance_m : float, default 5
        Largest distance of a dropped point from the simplified line [m],
        measured in a local azimuthal equidistant projection (scale error
        < 0.1 % within 300 km of the course centre).

    Returns
    -------
    ndarray of int
        Increasing indices into ``lat``; the first and last point are always kept.
    """
    import shapely

    from .geodesy import local_projection

    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    if not tolerance_m >= 0:
        raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
    n = lat.size
    if n <= 2:
        return np.arange(n)
    x, y = local_projection(lat, lon).forward(lat, lon)
    # the point index rides along as Z, which GEOS keeps on the vertices it keeps
    line = shapely.linestrings(np.column_stack([x, y, np.arange(n, dtype=float)]))
    kept = shapely.get_coordinates(
        shapely.simplify(line, tolerance_m, preserve_topology=False), include_z=True
    )[:, 2]
    idx = np.unique(np.rint(kept).astype(np.int64))
    if idx[0] != 0:
        idx = np.concatenate([[0], idx])
    if idx[-1] != n - 1:
        idx = np.concatenate([idx, [n - 1]])
    return idx


def encode_polyline(lat, lon, *, precision: int = 5) -> str:
    """Google encoded-polyline string of positions rounded to ``10**-precision`` degree."""
    factor = 10**precision
    ilat = np.rint(np.asarray(lat, float) * factor).astype(np.int64)
    ilon = np.rint(np.asarray(lon, float) * factor).astype(np.int64)
    if ilat.size == 0:
        return ""
    d = np.empty((ilat.size, 2), np.int64)
    d[0] = ilat[0], ilon[0]
    d[1:, 0] = np.diff(ilat)
    d[1:, 1] = np.diff(ilon)
    out = []
    for v in d.ravel().tolist():
        v = ~(v << 1) if v < 0 else v << 1
        while v >= 0x20:
            out.append(chr((0x20 | (v & 0x1F)) + 63))
            v >>= 5
        out.append(chr(v + 63))
    return "".join(out)


def decode_polyline(text: str, *, precision: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`encode_polyline`: ``(lat, lon)`` arrays [degrees]."""
    vals = []
    i = 0
    while i < len(text):
        shift = result = 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 0x1F) << shift
            shift += 5
            if b < 0x20:
                break
        vals.append(~(result >> 1) if result & 1 else result >> 1)
    arr = np.cumsum(np.asarray(vals, np.int64).reshape(-1, 2), axis=0) / 10**precision
    return arr[:, 0], arr[:, 1]


def js_json(obj) -> str:
    """JSON for a ``<script>`` element: cannot close the element or open a comment.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` and the
    line separators U+2028/U+2029 are escaped (they end a JavaScript string in
    old engines). NaN and infinities are refused (use None).
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# ---------------------------------------------------------------- checkpoint rows


def display_tz(course) -> tzinfo | None:
    """The time zone times are shown in: the course's IANA zone, else its start's offset."""
    tz = getattr(course, "timezone", None)
    if tz:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz)
    start = getattr(course, "start", None)
    return start.tzinfo if start is not None else None


def course_clock_changes(course) -> list:
    """The clock changes (daylight saving) of the course's clock (:func:`display_tz`) during
    its time limit, as :func:`coursekit.clock.clock_changes` (none on a fixed offset): the
    changes every output of the race marks its times by (:func:`coursekit.clock.zoned`)."""
    from .clock import clock_changes

    tz = display_tz(course)
    if tz is None:
        return []
    return clock_changes(course.start.astimezone(tz), float(course.limit_s))


def event_zone(timezone: str | None, races) -> tuple[tzinfo | None, str]:
    """The one clock every time of an event's page or table is shown on, and its name.

    Parameters
    ----------
    timezone : str or None
        The event file's ``timezone`` (IANA name).
    races : iterable
        The event's courses or races (anything with a ``timezone`` attribute).

    Returns
    -------
    (tzinfo or None, str)
        The event's ``timezone`` when given; else the races' IANA zone when they all name
        the same one; else None (each time stays on its race's clock and is written with
        its UTC offset, :func:`zoned_clock`). The text names that clock for the page:
        ``"Europe/Paris (the event's time zone)"``.
    """
    from zoneinfo import ZoneInfo

    from .event import event_timezone

    tz = event_timezone(timezone, races)
    if tz:
        whose = "the event's" if timezone else "the races'"
        return ZoneInfo(tz), f"{tz} ({whose} time zone)"
    return None, "each race's own clock, with its UTC offset (the races have no common zone)"


def utc_offset(dt: datetime) -> str:
    """``"UTC+04:00"``: the UTC offset of an aware datetime (``"UTC"`` for zero)."""
    off = dt.utcoffset()
    m = round(off.total_seconds() / 60) if off is not None else 0
    if not m:
        return "UTC"
    return f"UTC{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"


def zoned_clock(dt: datetime | None, tz: tzinfo | None, **kwargs) -> str | None:
    """:func:`clock_label` on an event's clock (:func:`event_zone`): in ``tz``, or, when
    the event has no one zone (``tz`` None), on the time's own clock followed by its UTC
    offset (``"Sat 05:00 UTC+04:00"``)."""
    text = clock_label(dt, tz, **kwargs)
    if text is None or tz is not None or dt is None or dt.tzinfo is None:
        return text
    return f"{text} {utc_offset(dt)}"


def clock_label(
    dt: datetime | None,
    tz: tzinfo | None = None,
    *,
    day: bool = True,
    nearest: bool = False,
    dated: bool = False,
) -> str | None:
    """``"Sat 14:30"`` (or ``"14:30"``) in the course's time zone; None stays None.

    ``dated=True`` writes ``"Sat 01 Jun 14:30"`` (races over a week, where a weekday names
    two days: :data:`coursekit.clock.DATED_S`).

    Seconds are dropped (barriers sit on their rounding grid, and a station opening shown
    early is safe); ``nearest=True`` rounds to the nearest minute instead, as `coursekit
    cutoffs` shows the leader's ETA (04:45:32 is ``04:46``).
    """
    if dt is None:
        return None
    if nearest:
        from .clock import after

        dt = after(dt, 30.0)
    if tz is not None and dt.tzinfo is not None:
        dt = dt.astimezone(tz)
    if not day:
        return dt.strftime("%H:%M")
    from .clock import clock_format

    return dt.strftime(clock_format(dated))


def _rounded_leg(cumulative, i: int) -> float | None:
    """Leg ``i`` of a cumulative D+ or D- [m]: the difference of the two rows' values
    rounded to the metre (0 on the first row; None without elevation)."""
    if not i:
        return 0.0
    a, b = _finite(cumulative[i - 1]), _finite(cumulative[i])
    return float(round(b) - round(a)) if a is not None and b is not None else None


def _finite(x, nd=None):
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd) if nd is not None else x


def checkpoint_rows(course, legs=None, plan=None) -> list[dict]:
    """One record per row of the legs table, ready to show (SI values, aware datetimes).

    Parameters
    ----------
    course : Course
    legs : Legs, optional
        Defaults to ``plan.legs``; without both, the rows are the start and
        the finish of the profile.
    plan : Plan, optional
        Gives ``cutoff``, ``leader_eta``, ``opening`` (when the station must be
        ready: ``Plan.opens``, before the leader's ETA), ``night`` and ``fixed``;
        without it ``cutoff`` is the fixed barrier of the course file (if any).

    Returns
    -------
    list of dict
        Keys ``kind`` ("start", "checkpoint", "finish"), ``name``,
        ``distance_m``, ``elevation_m``, ``gain_m``, ``loss_m``,
        ``leg_distance_m``, ``leg_gain_m``, ``leg_loss_m``, ``lat``, ``lon``,
        ``services`` (tuple of str), ``drop_bag`` (bool), ``cutoff``,
        ``opening``, ``leader_eta`` (datetime or None), ``night``, ``fixed`` (bool or None),
        ``note`` (str).
    """
    if legs is None and plan is not None:
        legs = plan.legs
    prof = course.profile
    if legs is None:
        ele, gain, loss = prof.at(np.array([0.0, prof.total_distance]))
        # along-course (slope) km, as the tables count (the finish row's km)
        d = np.array([0.0, float(_along_track(course)[-1])])
        lat = prof.track.lat[[0, -1]]
        lon = prof.track.lon[[0, -1]]
        names = ("Start", "Finish")
        services: tuple = ((), ())
        specs: tuple = (None, None)
    else:
        # along-course (slope) km, as in the legs and cutoffs tables
        d = np.asarray(getattr(legs, "along", legs.distance), float)
        ele, gain, loss = (np.asarray(a, float) for a in (legs.elevation, legs.gain, legs.loss))
        lat, lon = np.asarray(legs.lat, float), np.asarray(legs.lon, float)
        names, services, specs = legs.names, legs.services, legs.specs
    n = d.size
    # without altitude the D+/D- are unknown, not 0 (`legs` and `cutoffs` print "-"): a
    # runner reading "0" takes the leg for flat
    has = bool(prof.has_elevation)
    rows = []
    for i in range(n):
        spec = specs[i]
        svc = tuple(services[i])
        cutoff = opening = leader = night = fixed = None
        barrier = getattr(spec, "barrier", True)  # False: barrier = false (closes only)
        if plan is not None:
            cutoff = plan.cutoff[i]
            leader = plan.first_arrival[i]
            opens = getattr(plan, "opens", ())
            opening = opens[i] if opens else leader
            night = bool(plan.night[i])
            fixed = bool(plan.fixed[i])
        elif spec is not None:
            cutoff = spec.cutoff
        rows.append(
            {
                "kind": "start" if i == 0 else ("finish" if i == n - 1 else "checkpoint"),
                "name": str(names[i]),
                "distance_m": float(d[i]),
                "elevation_m": _finite(ele[i]),
                "gain_m": _finite(gain[i]) if has else None,
                "loss_m": _finite(loss[i]) if has else None,
                "leg_distance_m": float(d[i] - d[i - 1]) if i else 0.0,
                # differences of the metres the cumulatives print, as `legs` and `cutoffs`
                # write them: the legs add up to the cumulative D+/D-
                "leg_gain_m": _rounded_leg(gain, i) if has else None,
                "leg_loss_m": _rounded_leg(loss, i) if has else None,
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "services": svc,
                "drop_bag": bool(getattr(spec, "drop_bag", False) or "drop_bag" in svc),
                "cutoff": cutoff,
                "opening": opening,
                "leader_eta": leader,
                "night": night,
                "fixed": fixed,
                "barrier": bool(barrier),
                "note": getattr(spec, "note", "") or "",
            }
        )
    return rows


def _icon_key(row) -> str:
    if row["kind"] in ("start", "finish"):
        return row["kind"]
    for key, _letter, _colour in _ICONS:
        if key in row["services"]:
            return key
    return "control"


_INTERNAL = re.compile(
    r"\[\[\w+\]\]"  # a course-file table: [[declared]], [[proposed]]
    r"|\bthis file\b|\bcourse files?\b"
    r"|\b[\w.-]+\.(?:md|toml|txt|py|json|gpx|csv)\b"  # a repository file: docs/seed-courses.md
    r"|\bseeds?/",
    re.IGNORECASE,
)
"""What marks a text of the course files as written for the organiser (it refers to the
course file, its tables or the repository's files), not for the runners."""


def for_runners(text: str) -> str | None:
    """``text`` as the published roadbook shows it; None when it is for the organiser.

    A parenthesis that only points at the course file or a repository file is dropped
    ("... starts at Imlil (reasons at the top of this file)." -> "... starts at Imlil.");
    a text that still refers to them is the organiser's (:data:`_INTERNAL`).
    """
    out = drop_file_refs(text)
    return None if _INTERNAL.search(out) else out


def drop_file_refs(text: str) -> str:
    """``text`` less its parentheses that point at the course file or a repository file."""
    return re.sub(r"\s*\(([^()]*)\)", lambda m: "" if _INTERNAL.search(m.group(1)) else m[0], text)


def _services_text(services) -> str:
    return ", ".join(SERVICE_LABELS.get(s, s) for s in services)


def _marker_record(row, tz, dated: bool = False, changes=()) -> dict:
    """A checkpoint's marker and popup rows; ``changes``: the race's clock changes
    (:func:`course_clock_changes`), after which (or in the hour they repeat) a time carries
    its zone, as the roadbook's tables write it (:func:`coursekit.clock.zoned`)."""
    from .clock import zoned

    def clock(t, nearest=False):
        return zoned(
            clock_label(t, tz, nearest=nearest, dated=dated), t, tz, changes, nearest=nearest
        )

    def metres(x, sign=""):
        return None if x is None else f"{sign}{x:,.0f} m".replace(",", " ")

    dp = metres(row["gain_m"], "+")
    dm = metres(row["loss_m"], "-")
    return {
        "name": row["name"],
        "icon": _icon_key(row),
        "lat": round(row["lat"], 5),
        "lon": round(row["lon"], 5),
        "rows": [
            [k, v]
            for k, v in (
                ("km", f"{row['distance_m'] / 1000:.1f}"),
                ("altitude", metres(row["elevation_m"])),
                ("D+ / D- from start", f"{dp} / {dm}" if dp and dm else None),
                (
                    "cutoff" if row.get("barrier", True) else "closes (no barrier)",
                    clock(row["cutoff"]),
                ),
                (  # the start row's ETA is the start, written as the start is
                    "leader ETA",
                    clock(row.get("leader_eta"), nearest=row["distance_m"] > 0),
                ),
                ("station opens", clock(row["opening"])),
                ("services", _services_text(row["services"]) or None),
                ("note", for_runners(row["note"]) if row["note"] else None),
            )
            if v is not None
        ],
    }


# ---------------------------------------------------------------- the map


_MAP_JS = r"""
(function () {
  var map = __MAP__, races = __DATA__, groups = [__GROUPS__], tiles = [__TILES__];
  var LAYERS = __LAYERS__;
  groups.forEach(function (g, k) { __CONTROL__.addOverlay(g, LAYERS[k]); });
  var ICONS = __ICONS__, GRADES = __GRADES__;
  function dec(s) {
    var i = 0, la = 0, lo = 0, out = [];
    function next() {
      var b, sh = 0, r = 0;
      do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
      return (r & 1) ? ~(r >> 1) : (r >> 1);
    }
    while (i < s.length) { la += next(); lo += next(); out.push([la * 1e-5, lo * 1e-5]); }
    return out;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function popup(c, race) {
    var d = el("div", "ck-pop"), t = el("table");
    d.appendChild(el("div", "ck-pop-name", c.name));
    if (race) { d.appendChild(el("div", "ck-pop-race", race)); }
    c.rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("th", null, r[0]));
      // "ck-v-km", not "ck-km": that class is the km markers' label (with its border)
      tr.appendChild(el("td", "ck-v-" + r[0].replace(/[^a-z]+/g, "-"), r[1]));
      t.appendChild(tr);
    });
    d.appendChild(t);
    return d;
  }
  var bounds = L.latLngBounds([]), drawn = [];  // drawn: the lines and marker places
  races.forEach(function (r, k) {
    var g = groups[k];
    if (r.runs) {
      r.runs.forEach(function (run) {
        var ll = dec(run[1]);
        L.polyline(ll, {color: GRADES[run[0]], weight: 4, opacity: 0.9})
          .bindTooltip(el("span", null, r.name), {sticky: true}).addTo(g);
        bounds.extend(ll);
        drawn.push(ll);
      });
    } else {
      var ll = dec(r.line);
      L.polyline(ll, {color: r.colour, weight: 4, opacity: 0.9})
        .bindTooltip(el("span", null, r.name), {sticky: true}).addTo(g);
      bounds.extend(ll);
      drawn.push(ll);
    }
    r.km.forEach(function (p) {
      L.circleMarker([p[0], p[1]], {radius: 3, color: "#000", weight: 1, fillColor: "#fff",
                                    fillOpacity: 1, interactive: false})
        .bindTooltip(String(p[2]), {permanent: true, direction: "right", offset: [3, 0],
                                    className: "ck-km", interactive: false}).addTo(g);
    });
    // one marker per place: the passages at one spot (start, a mid-race station and the
    // finish of a loop) share a marker showing every icon, and a popup listing each passage
    var places = r.places || r.cps.map(function (c, i) { return [i]; });
    places.forEach(function (idx) {
      var cs = idx.map(function (i) { return r.cps[i]; }), c0 = cs[0];
      var html = cs.map(function (c) { return ICONS[c.icon] || ICONS.control; }).join("");
      var cls = "ck-marker" + cs.map(function (c) { return " ck-" + c.icon; }).join("");
      if (cs.some(function (c) { return c.icon !== "start" && c.icon !== "finish"; })) {
        cls += " ck-cp";
      }
      var names = [];
      cs.forEach(function (c) { if (names.indexOf(c.name) < 0) { names.push(c.name); } });
      var title = names.join(" / ");
      if (cs.length > 1) {
        cls += " ck-place";
        title += " (km " + cs.map(function (c) { return c.rows[0][1]; }).join(", ") + ")";
      }
      var w = 24 * cs.length;
      drawn.push([[c0.lat, c0.lon]]);
      var m = L.marker([c0.lat, c0.lon], {
        title: title, alt: title, riseOnHover: true,
        icon: L.divIcon({className: cls, html: '<div class="ck-icons">' + html + "</div>",
                         iconSize: [w, 24], iconAnchor: [w / 2, 12], popupAnchor: [0, -10]})
      });
      var pop = el("div", "ck-pop-place");
      cs.forEach(function (c, k) {
        pop.appendChild(popup(c, races.length > 1 && k === 0 ? r.name : null));
      });
      m.bindPopup(pop, {maxWidth: 300, maxHeight: 360}).addTo(g);
    });
  });
  // no animation: the view folium set at zoom 11 would otherwise zoom to the course
  // for ~250 ms after load, and a click on a marker in that time is lost
  // the padding keeps the course clear of the zoom and full-screen buttons (top left) and
  // of the collapsed layer switcher (top right)
  if (bounds.isValid()) {
    map.fitBounds(bounds, {paddingTopLeft: [56, 20], paddingBottomRight: [60, 20],
                           animate: false});
  }

  var note = el("div", "ck-tile-note",
                "Map tiles need a network connection: the course, checkpoints and popups " +
                "work without them.");
  note.style.display = "none";
  map.getContainer().appendChild(note);
  tiles.forEach(function (t) {
    t.on("tileerror", function () { note.style.display = "block"; });
    t.on("tileload", function () { note.style.display = "none"; });
  });
  if (navigator.onLine === false) { note.style.display = "block"; }

  var Full = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var bar = el("div", "leaflet-bar ck-fullscreen"), a = el("a");
      a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" ' +
        'style="vertical-align:middle">' +
        '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#000" ' +
        'stroke-width="2"/></svg>';
      a.href = "#"; a.title = "Full screen"; a.setAttribute("role", "button");
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.preventDefault(e);
        var c = map.getContainer();
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (c.requestFullscreen) { c.requestFullscreen(); }
        else { c.classList.toggle("ck-pseudo-full"); map.invalidateSize(); }
      });
      bar.appendChild(a);
      return bar;
    }
  });
  new Full().addTo(map);
  document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });

  // the legend (bottom left) folds to its "Legend" button; it starts folded when, open, it
  // would cover the course or a marker at the view the map opens with (a narrow map: a
  // phone, a small window, a course passing the bottom-left corner)
  var Legend = L.Control.extend({
    options: {position: "bottomleft"},
    onAdd: function () {
      var d = el("div", "ck-legend"), body = el("div", "ck-legend-body");
      var btn = el("a", "ck-legend-toggle", "Legend");
      btn.href = "#"; btn.title = "Show or hide the legend"; btn.setAttribute("role", "button");
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      L.DomEvent.on(btn, "click", function (e) {
        L.DomEvent.preventDefault(e);
        fold(!d.classList.contains("ck-folded"));
      });
      function fold(on) {
        d.classList.toggle("ck-folded", on);
        btn.setAttribute("aria-expanded", on ? "false" : "true");
      }
      this.fold = fold;
      __LEGEND__.forEach(function (item) {
        var row = el("div");
        var sw = el("span", "ck-swatch");
        if (item[0].charAt(0) === "#") {
          sw.style.background = item[0]; sw.className += " ck-line";
        }
        else { sw.innerHTML = ICONS[item[0]]; }
        row.appendChild(sw);
        row.appendChild(el("span", null, item[1]));
        body.appendChild(row);
      });
      d.appendChild(btn);
      d.appendChild(body);
      fold(false);
      return d;
    }
  });
  var legend = new Legend().addTo(map);
  function covered(box) {  // box: the legend's rectangle in the map's pixels
    var pad = 4, x0 = box.left - pad, x1 = box.right + pad, y0 = box.top - pad,
        y1 = box.bottom + pad;
    function inside(p) { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1; }
    return drawn.some(function (ll) {
      var prev = null;
      return ll.some(function (q) {
        var p = map.latLngToContainerPoint(q), hit = inside(p);
        if (!hit && prev) {  // a segment may cross the box between two points
          var n = Math.ceil(prev.distanceTo(p) / 4);
          for (var i = 1; i < n && !hit; i++) {
            hit = inside(prev.add(p.subtract(prev).multiplyBy(i / n)));
          }
        }
        prev = p;
        return hit;
      });
    });
  }
  var c = map.getContainer().getBoundingClientRect(),
      b = legend.getContainer().getBoundingClientRect();
  if (covered({left: b.left - c.left, right: b.right - c.left, top: b.top - c.top,
               bottom: b.bottom - c.top})) {
    legend.fold(true);
  }
})();
"""

_MAP_CSS = """
.ck-marker { background: none; border: none; }
.ck-marker svg { display: block; filter: drop-shadow(0 1px 1px rgba(0,0,0,.5)); }
.ck-icons { display: flex; }
.ck-pop-place .ck-pop + .ck-pop { border-top: 1px solid #ccc; margin-top: 6px; padding-top: 4px; }
.ck-km { background: rgba(255,255,255,.85); border: 1px solid #555; border-radius: 3px;
  padding: 0 3px; font: 10px/1.3 sans-serif; box-shadow: none; color: #000; }
.ck-km::before { display: none; }
.ck-pop-name { font-weight: bold; font-size: 14px; margin-bottom: 2px; }
.ck-pop-race { color: #444; margin-bottom: 4px; }
.ck-pop table { border-collapse: collapse; }
.ck-pop th { text-align: left; font-weight: normal; color: #444; padding: 1px 8px 1px 0; }
.ck-pop td { padding: 1px 0; }
.ck-tile-note { position: absolute; z-index: 800; top: 10px; left: 50%;
  transform: translateX(-50%); background: #fff; border: 2px solid #D55E00; padding: 4px 10px;
  font: 13px/1.3 sans-serif; color: #000; border-radius: 4px; max-width: 70%;
  text-align: center; pointer-events: none; }
.ck-nomap { padding: 2em; font: 15px/1.4 sans-serif; background: #eee; height: 100%;
  box-sizing: border-box; }
.ck-fullscreen a { font-size: 18px; line-height: 30px; cursor: pointer; }
.leaflet-container:fullscreen { width: 100% !important; height: 100% !important; }
.ck-pseudo-full { position: fixed !important; inset: 0; z-index: 10000;
  width: 100vw !important; height: 100vh !important; }
.ck-legend { background: rgba(255,255,255,.9); padding: 4px 6px; border-radius: 4px;
  font: 11px/1.2 sans-serif; color: #000; box-shadow: 0 1px 4px rgba(0,0,0,.4); }
.ck-legend-body div { display: flex; align-items: center; gap: 4px; margin: 1px 0; }
.leaflet-container .ck-legend-toggle { display: block; font-weight: bold; color: #000;
  text-decoration: none; cursor: pointer; }
.ck-legend-toggle::before { content: "\\25BE  "; }
.ck-legend.ck-folded .ck-legend-toggle::before { content: "\\25B8  "; }
.ck-legend.ck-folded .ck-legend-body { display: none; }
.ck-swatch { display: inline-block; width: 16px; height: 16px; }
.ck-swatch svg { width: 16px; height: 16px; }
.ck-swatch.ck-line { height: 4px; }
"""


def _svg_circle(letter: str, colour: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
        f'<circle cx="12" cy="12" r="10" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        '<text x="12" y="16.5" text-anchor="middle" font-family="Arial,sans-serif" '
        f'font-size="13" font-weight="bold" fill="#fff">{letter}</text></svg>'
    )


@lru_cache(maxsize=1)
def _icons() -> dict:
    icons = {key: _svg_circle(letter, colour) for key, letter, colour in _ICONS}
    icons["control"] = _svg_circle("&#8226;", "#555555")
    icons["start"] = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
        '<circle cx="12" cy="12" r="10" fill="#009E73" stroke="#fff" stroke-width="2"/>'
        '<path d="M9 7 L17 12 L9 17 Z" fill="#fff"/></svg>'
    )
    icons["finish"] = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
        '<rect x="2" y="2" width="20" height="20" fill="#fff" stroke="#000" stroke-width="2"/>'
        '<path d="M3 3h6v6H3zM15 3h6v6h-6zM9 9h6v6H9zM3 15h6v6H3zM15 15h6v6h-6z" '
        'fill="#000"/></svg>'
    )
    return icons


def _legend(grade: bool) -> list:
    items = [["start", "start"], ["finish", "finish"]]
    items += [[key, SERVICE_LABELS[key]] for key, _l, _c in _ICONS]
    items.append(["control", "checkpoint (no service)"])
    if grade:
        items += [[c, label] for _lo, _hi, c, label in GRADE_CLASSES]
    return items


SAME_PLACE_M = 30.0
"""Checkpoint rows closer than this [m] share one map marker (:func:`_places`)."""


def _places(
    cps: list[dict], within_m: float = SAME_PLACE_M, *, ends_within_m: float | None = None
) -> list[list[int]]:
    """Indices of the marker records grouped by place, in course order.

    Rows within ``within_m`` of a group's first row join it: a loop's start, its mid-race
    passages at the start's village and its finish get one marker whose popup lists every
    passage (one marker each would stack, the last drawn hiding the others at every zoom).
    The finish (the last record) joins the start's group (the first record's) within
    ``ends_within_m`` [m] (default :data:`coursekit.figures.SAME_END_M`, the print map's
    rule): a loop whose GPX stops 40 m short of the arch has its two 24 px markers
    overlapping up to zoom 16, the finish drawn over the start.
    """
    from .geodesy import distance

    if ends_within_m is None:
        from .figures import SAME_END_M

        ends_within_m = SAME_END_M
    last = len(cps) - 1
    groups: list[list[int]] = []
    for i, c in enumerate(cps):
        for grp in groups:
            f = cps[grp[0]]
            lim = max(within_m, ends_within_m) if (grp[0] == 0 and i == last) else within_m
            if distance(f["lat"], f["lon"], c["lat"], c["lon"]) <= lim:
                grp.append(i)
                break
        else:
            groups.append([i])
    return groups


def _along_track(course, legs=None) -> np.ndarray:
    """Kilometre scale of the checkpoints at every track point [m].

    The along-course (slope) distance :func:`coursekit.checkpoints.course_legs` reads the
    checkpoints' km on (map distance for schematic sketches); map distance when ``legs``
    were built on it (their ``along`` equals their ``distance``).
    """
    from .profile import along_course_distance

    prof = course.profile
    if legs is not None:
        al = np.asarray(getattr(legs, "along", legs.distance), float)
        if np.array_equal(al, np.asarray(legs.distance, float)):
            return np.asarray(prof.distance, float)
    return along_course_distance(prof, slope=not getattr(course, "schematic", False))


def _km_every(total_m: float) -> float:
    return 5000.0 if total_m <= 60000 else 10000.0


def _unwrap_lon(lon, centre: float) -> np.ndarray:
    """``lon`` moved by whole turns into ``centre - 180 .. centre + 180`` [degrees].

    Leaflet joins 179.99 to -179.99 the long way round the world (and fits its view to the
    whole world): the map draws every layer of a course or an event on one continuous range
    around their middle (:func:`coursekit.geodesy.lon_centre`), beyond +-180 where a course
    crosses the antimeridian. A longitude already in the range is returned as is (the same
    float), non-finite ones too.
    """
    lon = np.asarray(lon, float)
    turns = np.rint((centre - lon) / 360.0)
    turns = np.where(np.isfinite(turns), turns, 0.0)
    return np.where(turns != 0.0, lon + 360.0 * turns, lon)


def _race_record(
    course, legs, plan, *, colour, tolerance_m, grade, km_every, lon0: float | None = None
) -> dict:
    """The race's JSON for the map script; every longitude drawn is unwrapped around ``lon0``
    (:func:`_unwrap_lon`; None: as in the track)."""
    prof = course.profile
    lat, lon = prof.track.lat, prof.track.lon
    idx = simplify_line(lat, lon, tolerance_m=tolerance_m)
    if lon0 is not None:
        lon = _unwrap_lon(lon, lon0)
    tz = display_tz(course)
    from .clock import DATED_S

    dated = course.limit_s > DATED_S
    changes = course_clock_changes(course)
    rows = checkpoint_rows(course, legs, plan)
    cps = [_marker_record(r, tz, dated, changes) for r in rows]
    places = _places(cps)  # on the true positions
    if lon0 is not None:
        for c, r in zip(cps, rows, strict=True):
            u = float(_unwrap_lon(r["lon"], lon0))
            if u != r["lon"]:  # the marker on the line's side of the antimeridian
                c["lon"] = round(u, 5)
    rec = {
        "name": str(course.name),
        "colour": colour,
        "cps": cps,
        "places": places,
    }
    if grade and prof.has_elevation and idx.size >= 2:
        from .profile import smoothed_grade

        g = smoothed_grade(prof.distance, prof.elevation)
        csum = np.concatenate([[0.0], np.cumsum(g)])
        # mean grade of the original points inside each simplified segment
        seg = (csum[idx[1:] + 1] - csum[idx[:-1]]) / (idx[1:] - idx[:-1] + 1)
        edges = np.array([c[1] for c in GRADE_CLASSES[:-1]])
        cls = np.searchsorted(edges, seg, side="right")
        runs = []
        start = 0
        for k in range(1, cls.size + 1):
            if k == cls.size or cls[k] != cls[start]:
                sel = idx[start : k + 1]
                runs.append([int(cls[start]), encode_polyline(lat[sel], lon[sel])])
                start = k
        rec["runs"] = runs
    else:
        rec["line"] = encode_polyline(lat[idx], lon[idx])
    # km markers on the checkpoints' scale: along the course on the slope (as the tables,
    # the popups and the timing providers count), placed back on the track's map distance
    along = _along_track(course, legs if legs is not None else getattr(plan, "legs", None))
    step = float(km_every) if km_every else _km_every(float(along[-1]))
    marks = np.arange(step, float(along[-1]) - 0.25 * step, step)
    if marks.size:
        d = np.interp(marks, along, prof.distance)
        mlat = np.interp(d, prof.distance, lat)
        mlon = np.interp(d, prof.distance, lon)
        rec["km"] = [
            [round(float(a), 5), round(float(b), 5), int(round(m / 1000))]
            for a, b, m in zip(mlat, mlon, marks, strict=True)
        ]
    else:
        rec["km"] = []
    return rec


@lru_cache(maxsize=1)
def _literal_script_class():
    """The folium element class of the course script (imports branca lazily).

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which
    compiles the text as a Jinja template a second time: a ``{{``, ``{%`` or ``{#`` in an
    encoded polyline or in a checkpoint name was evaluated or crashed the page. This element
    adds its text to the page's script as is: no template ever sees it.
    """
    from branca.element import Element

    class _Text(Element):
        def __init__(self, text: str):
            super().__init__()
            self._text = text

        def render(self, **kwargs) -> str:
            return self._text

    class LiteralScript(Element):
        def __init__(self, text: str):
            super().__init__()
            self._name = "CourseLayer"
            self._id = "ck"
            self._text = text

        def render(self, **kwargs) -> None:
            self.get_root().script.add_child(_Text(self._text), name=self.get_name())

    return LiteralScript


class _CourseLayer:
    """Factory of the folium element holding the course script (imports folium lazily)."""

    @staticmethod
    def make(map_name, groups, tiles, races, grade, control, layers):
        subs = {
            "__MAP__": map_name,
            "__GROUPS__": ", ".join(groups),
            "__TILES__": ", ".join(tiles),
            "__CONTROL__": control,
            "__LAYERS__": js_json(layers),
            "__ICONS__": js_json(_icons()),
            "__GRADES__": js_json([c[2] for c in GRADE_CLASSES]),
            "__LEGEND__": js_json(_legend(grade)),
            "__DATA__": js_json(races),
        }
        # one pass: a name holding "__DATA__" is not substituted in turn
        script = re.sub(r"__[A-Z]+__", lambda m: subs.get(m[0], m[0]), _MAP_JS)
        # the user's texts reach the page only here, as JSON in a script no template parses
        return _literal_script_class()(script)


def _as_seq(x, n, what):
    if x is None:
        return [None] * n
    if isinstance(x, list | tuple):
        if len(x) != n:
            raise ValueError(f"{what}: expected {n} items (one per course), got {len(x)}")
        return list(x)
    if n != 1:
        raise ValueError(f"{what}: expected a sequence of {n} items (one per course)")
    return [x]


def event_map(
    courses: Sequence,
    *,
    legs: Sequence | None = None,
    plans: Sequence | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    grade: bool = False,
    km_every: float | None = None,
):
    """A folium map of several races, each a layer that can be switched on and off.

    Parameters
    ----------
    courses : sequence of Course
    legs, plans : sequence of Legs / Plan (or None items), optional
        One per course; a plan's own legs are used when its legs item is None.
    tolerance_m : float, default 5
        Simplification tolerance of the displayed line [m] (:func:`simplify_line`).
    grade : bool, default False
        Colour the line by grade (:data:`GRADE_CLASSES`, from
        :func:`coursekit.profile.smoothed_grade` averaged over each simplified
        segment) instead of one colour per race.
    km_every : float, optional
        Distance between km markers [m]; default 5 km up to 60 km, else 10 km. The
        markers count km as the tables and popups do: along the course on the slope
        (map distance on schematic sketches).

    Returns
    -------
    folium.Map
        Render it with :func:`map_html` / :func:`map_parts` (which control
        the assets), not with ``Map.save``.
    """
    import folium

    courses = list(courses)
    if not courses:
        raise ValueError("event_map needs at least one course")
    legs = _as_seq(legs, len(courses), "legs")
    plans = _as_seq(plans, len(courses), "plans")
    from .geodesy import lon_centre

    lat = np.concatenate([c.profile.track.lat for c in courses])
    lon = np.concatenate([c.profile.track.lon for c in courses])
    # the middle of the shortest arc of longitudes: not across the Earth over +-180; every
    # layer is drawn on longitudes unwrapped around it (:func:`_unwrap_lon`)
    lon0 = lon_centre(lon)
    m = folium.Map(
        location=[0.5 * float(np.nanmin(lat) + np.nanmax(lat)), lon0],
        zoom_start=11,
        tiles=None,
        control_scale=True,
        width="100%",
        height="100%",
    )
    m._id = "ck"
    m.default_js = []
    m.default_css = []
    tiles = []
    for i, (name, label) in enumerate(
        (("OpenTopoMap", "OpenTopoMap (terrain)"), ("OpenStreetMap", "OpenStreetMap"))
    ):
        t = folium.TileLayer(name, name=label, overlay=False, control=True, show=i == 0)
        t._id = f"t{i}"
        t.add_to(m)
        tiles.append(t.get_name())
    groups = []
    races = []
    for i, (c, lg, pl) in enumerate(zip(courses, legs, plans, strict=True)):
        # no user text is given to folium (its templates' output is parsed as Jinja again):
        # the script adds the race's layer to the layer control under its name
        fg = folium.FeatureGroup(name=f"race {i}", overlay=True, control=False)
        fg._id = f"r{i}"
        fg.add_to(m)
        groups.append(fg.get_name())
        races.append(
            _race_record(
                c,
                lg,
                pl,
                colour=_RACE_COLOURS[i % len(_RACE_COLOURS)],
                tolerance_m=tolerance_m,
                grade=grade,
                km_every=km_every,
                lon0=lon0,
            )
        )
    # collapsed: open, the switcher is a 150 px box over the top right of the course
    lc = folium.LayerControl(collapsed=True)
    lc._id = "lc"
    lc.add_to(m)
    # layer names go into Leaflet's layer control as HTML: HTML-escaped here
    layers = [html.escape(str(c.name)) for c in courses]
    m.add_child(
        _CourseLayer.make(m.get_name(), groups, tiles, races, grade, lc.get_name(), layers),
        name="ck_course",
    )
    return m


def course_map(
    course,
    *,
    legs=None,
    plan=None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    grade: bool = False,
    km_every: float | None = None,
):
    """A folium map of one race: see :func:`event_map` for the options."""
    return event_map(
        [course],
        legs=[legs],
        plans=[plan],
        tolerance_m=tolerance_m,
        grade=grade,
        km_every=km_every,
    )


# ---------------------------------------------------------------- rendering


def _inline_script(text: str) -> str:
    return "<script>" + text.replace("</script", "<\\/script") + "</script>"


@lru_cache(maxsize=2)
def leaflet_assets(offline: bool) -> str:
    """``<link>``/``<script>`` tags for Leaflet: CDN links pinned by their hash
    (:data:`LEAFLET_SRI_JS`), or inlined from xstatic-leaflet.

    Offline, the stylesheet's images (the layer-control icon) become data URIs.
    """
    if not offline:
        return (
            f'<link rel="stylesheet" href="{LEAFLET_CDN_CSS}" integrity="{LEAFLET_SRI_CSS}" '
            'crossorigin="anonymous">\n'
            f'<script src="{LEAFLET_CDN_JS}" integrity="{LEAFLET_SRI_JS}" '
            'crossorigin="anonymous"></script>\n'
        )
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for img in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode((base / "images" / img).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{img})", f"url(data:image/png;base64,{data})")
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    return "<style>" + css.replace("</style", "<\\/style") + "</style>\n" + _inline_script(js)


@dataclass(frozen=True)
class MapParts:
    """A rendered map, to place in a page: ``head`` (assets and styles), ``body`` (the map
    ``<div>``) and ``script`` (a ``<script>`` element to put after it)."""

    head: str
    body: str
    script: str


def map_parts(m, *, offline: bool = False) -> MapParts:
    """Render a map made by :func:`course_map` / :func:`event_map` into :class:`MapParts`.

    ``offline=True`` inlines Leaflet (see :func:`leaflet_assets`). When
    Leaflet could not be loaded (no network, default mode) the map area shows
    a message instead of the page throwing errors.
    """
    fig = m.get_root()
    fig.render()
    header = fig.header.render()
    # folium's page-wide rules (html/body 100 %, #map absolute) are for a map-only page
    header = header.replace("<style>html, body {", "<style>.ck-unused-html-body {").replace(
        "<style>#map {", "<style>.ck-unused-map {"
    )
    head = leaflet_assets(offline) + header + "<style>" + _MAP_CSS + "</style>\n"
    name = m.get_name()
    fallback = (
        f"var d = document.getElementById({js_json(name)}); "
        "d.className += ' ck-nomap'; d.textContent = 'The interactive map could not load its "
        "script (Leaflet) from the network. The rest of this page works; an offline copy "
        "(coursekit ... --offline) carries the map with it.';"
    )
    script = _inline_script(
        "(function () {\nif (typeof L === 'undefined') { "
        + fallback
        + " return; }\n"
        + fig.script.render()
        + "\n})();"
    )
    return MapParts(head=head, body=fig.html.render(), script=script)


def map_html(m, *, title: str = "coursekit map", offline: bool = False) -> str:
    """A complete HTML page holding only the map (full window)."""
    parts = map_parts(m, offline=offline)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{parts.head}"
        "<style>html, body { height: 100%; margin: 0; } .ck-map { height: 100%; }</style>\n"
        f'</head>\n<body>\n<div class="ck-map">{parts.body}</div>\n{parts.script}\n'
        "</body>\n</html>\n"
    )


def write_map(path, m, *, title: str = "coursekit map", offline: bool = False) -> Path:
    """Write :func:`map_html` to ``path`` (atomically)."""
    from .io import atomic_write_text

    return atomic_write_text(path, map_html(m, title=title, offline=offline))
