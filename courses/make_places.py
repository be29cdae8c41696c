"""Write the places files (``*.places.toml``) of the bundled seed courses.

This is how the committed places files were made; it documents every
schematic position. Run it only to rebuild them from the research table::

    python courses/make_places.py [PATH/TO/places.json]   # default ../shared/places.json

The places files, not this script, are what ``courses/build.sh`` sketches; they
can be edited by hand (then do not rerun this script, or port the edit here).

Where places.json gives coordinates, they are copied with their source and
confidence. Where it gives none (``lat: null``) the place is positioned
*schematically* by one of two rules, stated in the place's note:

* ``between(A, B, f)``: the point at fraction ``f`` of the geodesic A -> B
  (a place described as lying between two others);
* ``offset(A, bearing, km)``: ``km`` from A on the given bearing (a place
  described as "4 km from Imlil up the Mizane valley", etc.).

Altitudes come from places.json when it has one; otherwise a schematic altitude
is chosen (stated in the note), or, for a place with none, one *estimate* is
computed for every route through it (:func:`estimate_altitudes`) and written
with ``alt_estimated = true``: the same aid station has one altitude in every
race (letting ``coursekit sketch`` interpolate each route between its own
neighbours gave Tekent 1867, 1895 and 1626 m in the HAUT 120, 80 and 42).

Routes with no published itinerary (HAUT 10, Amazigh Trail, all Ultra Trail
Amizmiz races) use *placeholder* points around the start, named "... placeholder
N": they carry no information beyond "a loop from this town"; for Amizmiz their
altitudes are chosen so that the sketch's D+ equals the proposed D+
(docs/seed-courses.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pyproj import Geod

HERE = Path(__file__).resolve().parent
SOURCE = "places.json of the coursekit seed research (../shared/places.json)"
GEOD = Geod(ellps="WGS84")

# ------------------------------------------------------------------ known places
# key -> (name in places.json, name used in our files)
KNOWN = {
    "setti_fatma": "Setti Fatma",
    "aguersioual": "Aguersioual",
    "oukaimeden": "Oukaïmeden (ski station / base camp)",
    "tacheddirt": "Tacheddirt",
    "azib_tamsoult": "Azib Tamsoult",
    "tizi_oussem": "Tizi Oussem",
    "ouirgane": "Ouirgane",
    "imlil": "Imlil",
    "asni": "Asni",
    "timichi": "Timichi",
    "amizmiz": "Amizmiz",
    "jbel_oukaimeden": "Jbel Oukaïmeden (summit)",
    "toubkal_refuge": "Toubkal (Neltner / CAF) refuge",
}
SHORT = {"oukaimeden": "Oukaïmeden", "jbel_oukaimeden": "Jbel Oukaïmeden"}

# schematic places: key -> (places.json name, our name, rule, alt_m or None, alt note)
SCHEMATIC = {
    "amsakrou": (
        "Amsakrou",
        "Amsakrou",
        ("offset", "jbel_oukaimeden", 285, 4.0),
        None,
        "",
        "valley W/NW of the Oukaïmeden massif (places.json notes)",
    ),
    "tizi_naddi": (
        "Tizi n'Eddi (pass)",
        "Tizi n'Addi",
        ("between", "oukaimeden", "tacheddirt", 0.5),
        None,
        "",
        "col between Oukaïmeden and Tacheddirt (first col of the UTAT and the Virée d'Ikkiss)",
    ),
    "tizi_ntamatert": (
        "Tizi n'Tamatert (pass)",
        "Tizi n'Tamatert",
        ("between", "imlil", "tacheddirt", 0.45),
        None,
        "",
        "road pass between Imlil and the Imenane valley (Tacheddirt)",
    ),
    "tamatert": (
        "Tamatert (village)",
        "Tamatert",
        ("between", "imlil", "tizi_ntamatert", 0.5),
        None,
        "",
        "village above Imlil on the way up to Tizi n'Tamatert",
    ),
    "aroumd": (
        "Aroumd",
        "Aroumd",
        ("offset", "imlil", 190, 2.5),
        None,
        "",
        "4 km (by path) from Imlil up the Mizane valley towards the Toubkal refuge",
    ),
    "ighouliden": (
        "Ighouliden waterfalls",
        "Ighouliden",
        ("offset", "azib_tamsoult", 0, 0.0),
        None,
        "",
        "at the Azib Tamsoult coordinates (places.json: the falls are a short walk from it); "
        "the altitude is the falls' (2550 m, one source) while Azib Tamsoult itself is given "
        "2250 m (2200-2500 quoted): the two sources disagree by ~300 m over a 10-15 min walk, "
        "the checkpoint is named for the falls, so their altitude is kept",
    ),
    "tekent": (
        "Tekenet",
        "Tekent",
        ("offset", "tizi_oussem", 320, 3.0),
        None,
        "altitude: none (the 1870 m of 'D'Knt' is for an unverified identity)",
        "down the Azzaden valley from Tizi Oussem (identity with 'D'Knt' not verified)",
    ),
    "assif_zagzawen": (
        "Assif Zagzawen",
        "Assif Zagzawen",
        ("offset", "ouirgane", 120, 8.0),
        None,
        "",
        "stream below the Takharkhourt plateau, ~5 h walk from Marigha via the Tikhfist azibs",
    ),
    "takharkhourt": (
        "Tizi n'Takhrhkhourte (Takharkhourt plateau)",
        "Takharkhourt plateau",
        ("between", "assif_zagzawen", "tiziyan", 0.5),
        None,
        "",
        "between Tizian and Assif Zegzaoun (trek description); not named in the regulations",
    ),
    "tiziyan": (
        "Tiziyan",
        "Tiziyan",
        ("offset", "ouirgane", 95, 8.0),
        None,
        "",
        "up the Azzaden river from Ouirgane (~6 h walk via Anraz, Torord, Tassa Ouirgane)",
    ),
    "imi_oughlad": (
        "Imi Oughlad",
        "Imi Oughlad",
        ("between", "asni", "imlil", 0.6),
        None,
        "",
        "roadside village on the Asni-Imlil road (construction point only)",
    ),
    "tinzert": (
        "Tinzert",
        "Tinzert",
        ("between", "imi_oughlad", "tiziyan", 0.5),
        None,
        "",
        "~4 h walk from Imi Oughlad through the Ouirgane park towards the Azzaden valley",
    ),
    "marigha": (
        "Marigha",
        "Marigha",
        ("between", "ouirgane", "asni", 0.25),
        None,
        "",
        "on the Asni-Ouirgane road, ~1 h walk beyond Anraz",
    ),
    "tikhfist": (
        "Tikhfist",
        "Tikhfist",
        ("between", "assif_zagzawen", "ouirgane", 0.5),
        1500,
        "altitude 1500 m schematic (invented: the azibs lie above Ouirgane; without it the HAUT 21 "
        "loop would be flat)",
        "azibs on the descent from Assif Zegzaoun towards the Nfiss river / Ouirgane lake",
    ),
    "tassa_ouirgane": (
        "Tassa Ouirgane",
        "Tassa Ouirgane",
        ("between", "ouirgane", "tiziyan", 0.4),
        None,
        "",
        "on the Azzaden river E of Ouirgane, after Anraz and Torord",
    ),
    "mzik": (
        "Mzik (village by Imlil)",
        "Mzik",
        ("offset", "imlil", 240, 0.8),
        None,
        "",
        "hamlet of the Imlil cluster, at the foot of Tizi n'Mzik",
    ),
    "tizi_nmzik": (
        "Tizi n'Mzik (pass)",
        "Tizi n'Mzik",
        ("between", "imlil", "tizi_oussem", 0.4),
        None,
        "",
        "pass between Imlil and the Azzaden valley (Tizi Oussem)",
    ),
    "ikkiss": (
        "Ikkiss",
        "Ikkiss",
        ("offset", "tacheddirt", 300, 3.5),
        None,
        "",
        "~4 km (by path) down-valley from Tacheddirt",
    ),
    "tizi_ntacheddirt": (
        "Tizi n'Tacheddirt (pass)",
        "Tizi n'Tacheddirt",
        ("between", "tacheddirt", "timichi", 0.35),
        None,
        "",
        "pass ~870 m above Tacheddirt on the way to the upper Ourika valley (Timichi)",
    ),
    "tizi_noukaimeden": (
        "Tizi n'Oukaïmeden (pass)",
        "Tizi n'Oukaïmeden",
        ("offset", "oukaimeden", 300, 1.5),
        None,
        "",
        "just above the Oukaïmeden plateau, on the station road",
    ),
}

# ------------------------------------------------------------------ routes
# Each route: (file stem, folder, name, [place keys]); placeholder loops are
# ("placeholder", start key, [(bearing, km, alt_m), ...]).
ROUTES = [
    (
        "haut-120",
        "haut",
        "HAUT 120 (schematic)",
        [
            "imlil",
            "aguersioual",
            "amsakrou",
            "oukaimeden",
            "tizi_naddi",
            "tacheddirt",
            "tizi_ntamatert",
            "tamatert",
            "aroumd",
            "ighouliden",
            "tizi_oussem",
            "tekent",
            "assif_zagzawen",
            "takharkhourt",
            "tiziyan",
            "tinzert",
            "marigha",
            "ouirgane",
        ],
    ),
    (
        "haut-80",
        "haut",
        "HAUT 80 (schematic)",
        [
            "imlil",
            "tamatert",
            "aroumd",
            "ighouliden",
            "tizi_oussem",
            "tekent",
            "assif_zagzawen",
            "takharkhourt",
            "tiziyan",
            "tinzert",
            "marigha",
            "ouirgane",
        ],
    ),
    (
        "haut-42",
        "haut",
        "HAUT 42 (schematic)",
        ["imlil", "mzik", "tizi_nmzik", "tizi_oussem", "tekent", "assif_zagzawen", "ouirgane"],
    ),
    (
        "haut-21",
        "haut",
        "HAUT 21 (schematic)",
        ["ouirgane", "tikhfist", "tassa_ouirgane", "marigha", "ouirgane"],
    ),
    (
        "haut-10",
        "haut",
        "HAUT 10 (schematic placeholder loop)",
        ("placeholder", "ouirgane", [(150, 1.8, 1250), (90, 2.2, 1250)]),
    ),
    (
        "utat-105",
        "atlas-quest",
        "Ultra Trail Atlas Toubkal 105 (schematic)",
        [
            "oukaimeden",
            "tizi_naddi",
            "tacheddirt",
            "tizi_ntacheddirt",
            "timichi",
            "imlil",
            "oukaimeden",
        ],
    ),
    (
        "marathon-42",
        "atlas-quest",
        "Atlas Marathon 42 (schematic)",
        ["oukaimeden", "timichi", "tizi_ntacheddirt", "tacheddirt", "tizi_naddi", "oukaimeden"],
    ),
    (
        "ikkiss-26",
        "atlas-quest",
        "Ikkiss Trail 26 (schematic)",
        [
            "oukaimeden",
            "tizi_naddi",
            "tacheddirt",
            "ikkiss",
            "amsakrou",
            "tizi_noukaimeden",
            "oukaimeden",
        ],
    ),
    (
        "amazigh-12",
        "atlas-quest",
        "Amazigh Trail 12 (schematic placeholder loop)",
        ("placeholder", "oukaimeden", [(200, 2.0, 2800), (260, 2.0, 2750)]),
    ),
]

# Amizmiz: placeholder loops south of the town; peaks alternate with returns to
# ~the town's altitude, peak rise = proposed D+ / number of peaks, so the
# sketch's D+ equals the proposed D+ (docs/seed-courses.md, "proposed D+").
AMIZMIZ_PROPOSED_GAIN = {90: 5000, 64: 3600, 42: 2300, 20: 1000, 10: 500}
AMIZMIZ_PEAKS = {90: 4, 64: 3, 42: 2, 20: 1, 10: 1}
AMIZMIZ_BASE = 1148.0  # places.json altitude of Amizmiz [m]


def _amizmiz_loop(km: int):
    """Placeholder loop points (bearing, distance km, altitude) for an Amizmiz race."""
    peaks = AMIZMIZ_PEAKS[km]
    rise = AMIZMIZ_PROPOSED_GAIN[km] / peaks
    radius = km / 7.0  # [km] the sketch is about half the race length; scaled anyway
    n = 2 * peaks  # peak, valley, ..., peak, valley (at the town's altitude), then the town
    pts = []
    for i in range(n):
        bearing = 110 + 140 * (i + 1) / (n + 1)  # a fan to the S of the town (into the Atlas)
        alt = AMIZMIZ_BASE + rise if i % 2 == 0 else AMIZMIZ_BASE
        pts.append((bearing, radius, alt))
    return pts


for _km in (90, 64, 42, 20, 10):
    ROUTES.append(
        (
            f"amizmiz-{_km}",
            "amizmiz",
            f"Ultra Trail Amizmiz {_km} (schematic placeholder loop)",
            ("placeholder", "amizmiz", _amizmiz_loop(_km)),
        )
    )


# ------------------------------------------------------------------ build


def _row(rows: dict, name: str) -> dict:
    for r in rows.values():
        if r["name"] == name:
            return r
    raise KeyError(name)


def resolve(places_json: Path) -> dict:
    """Every place key -> dict(name, lat, lon, alt_m, schematic, source, confidence, note)."""
    data = {p["name"]: p for p in json.loads(places_json.read_text(encoding="utf-8"))}
    out: dict[str, dict] = {}
    for key, jname in KNOWN.items():
        p = data[jname]
        assert p["lat"] is not None, jname
        out[key] = {
            "name": SHORT.get(key, jname),
            "lat": p["lat"],
            "lon": p["lon"],
            "alt_m": p["alt_m"],
            "schematic": False,
            "source": p["source"],
            "confidence": p["confidence"],
            "note": f"confidence: {p['confidence_detail']}",
        }

    def place(key):
        if key in out:
            return out[key]
        jname, name, rule, alt, alt_note, where = SCHEMATIC[key]
        p = data[jname]
        if rule[0] == "between":
            a, b = place(rule[1]), place(rule[2])
            az, _, dist = GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])
            lon, lat, _ = GEOD.fwd(a["lon"], a["lat"], az, dist * rule[3])
            how = f"between({a['name']}, {b['name']}, {rule[3]:g})"
        else:
            a = place(rule[1])
            lon, lat, _ = GEOD.fwd(a["lon"], a["lat"], rule[2], rule[3] * 1000.0)
            how = f"offset({a['name']}, bearing {rule[2]:g} deg, {rule[3]:g} km)"
        stated = alt is not None
        if stated:
            alt_txt = alt_note
        elif p["alt_m"] is not None:
            alt = p["alt_m"]
            alt_txt = f"altitude {alt:g} m from places.json"
        else:
            alt_txt = alt_note or "altitude unknown: interpolated by coursekit sketch"
        out[key] = {
            "name": name,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "alt_m": alt,
            # a stated schematic altitude is no more published than an estimate: flagged
            # alike, so every plan names it (Tikhfist's invented 1500 m was not)
            "alt_estimated": stated,
            "schematic": True,
            "source": p["source"],
            "confidence": p["confidence"],
            "note": (
                f"schematic position: {how}; {where}; {alt_txt}; "
                f"confidence: {p['confidence_detail']}"
            ),
        }
        return out[key]

    for key in SCHEMATIC:
        place(key)
    estimate_altitudes(out)
    return out


ALT_ROUND_M = 10.0
"""Altitude estimates are rounded to this [m] (they are not better than that)."""


def estimate_altitudes(resolved: dict) -> None:
    """Give every place with no altitude one estimate, the same in every route.

    For each route (placeholder loops aside) through the place, the altitude that the
    sketch would interpolate there: linear in the geodesic distance along the route
    between the route's places of known altitude (held constant beyond the first and
    last); the estimate is the mean over the routes, rounded to :data:`ALT_ROUND_M`.
    Known altitudes (places.json or a stated schematic one) are never changed, and the
    estimates are computed from known altitudes only (one pass, no estimate feeds
    another). Sets ``alt_m``, ``alt_estimated`` and appends the per-route values to the
    note.
    """
    per: dict[str, list[tuple[str, float]]] = {}
    for _stem, _folder, name, route in ROUTES:
        if isinstance(route, tuple):
            continue
        seq = [resolved[k] for k in route]
        d = [0.0]
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            d.append(d[-1] + GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2])
        known = [(d[i], p["alt_m"]) for i, p in enumerate(seq) if p["alt_m"] is not None]
        if not known:
            continue
        for i, k in enumerate(route):
            if resolved[k]["alt_m"] is not None:
                continue
            xs = [x for x, _ in known]
            ys = [y for _, y in known]
            if d[i] <= xs[0]:
                v = ys[0]
            elif d[i] >= xs[-1]:
                v = ys[-1]
            else:
                j = next(j for j in range(1, len(xs)) if xs[j] >= d[i])
                v = ys[j - 1] + (ys[j] - ys[j - 1]) * (d[i] - xs[j - 1]) / (xs[j] - xs[j - 1])
            per.setdefault(k, []).append((name.split(" (")[0], v))
    for k, vals in per.items():
        est = ALT_ROUND_M * round(sum(v for _, v in vals) / len(vals) / ALT_ROUND_M)
        p = resolved[k]
        p["alt_m"] = est
        p["alt_estimated"] = True
        each = ", ".join(f"{n} {v:.0f} m" for n, v in vals)
        how = (
            f"altitude estimated {est:g} m: the mean of what each route's sketch interpolates "
            f"between its known altitudes ({each}), one value for every race"
        )
        note = p["note"].replace("altitude unknown: interpolated by coursekit sketch; ", "")
        head, sep, tail = note.rpartition("; confidence: ")
        p["note"] = f"{head}; {how}{sep}{tail}" if sep else f"{note}; {how}"


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def places_toml(name: str, route, resolved: dict) -> str:
    lines = [
        "# Places for `coursekit sketch` (generated by courses/make_places.py; see its docstring).",
        "# schematic_position = true: no known coordinates; the position is a documented guess.",
        f"name = {_q(name)}",
        f"source = {_q(SOURCE)}",
        "",
    ]
    if isinstance(route, tuple):  # placeholder loop
        _, start_key, pts = route
        s = resolved[start_key]
        seq = [s]
        for i, (bearing, km, alt) in enumerate(pts, 1):
            lon, lat, _ = GEOD.fwd(s["lon"], s["lat"], bearing, km * 1000.0)
            seq.append(
                {
                    "name": f"{s['name']} placeholder {i}",
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                    "alt_m": round(alt, 1),
                    "schematic": True,
                    "source": "none: no itinerary published",
                    "confidence": "none",
                    "note": (
                        f"placeholder: offset({s['name']}, bearing {bearing:g} deg, {km:g} km),"
                        f" altitude {alt:g} m invented; only 'a loop from {s['name']}' is known"
                    ),
                }
            )
        seq.append(s)
    else:
        seq = [resolved[k] for k in route]
    for p in seq:
        lines.append("[[places]]")
        lines.append(f"name = {_q(p['name'])}")
        lines.append(f"lat = {p['lat']}")
        lines.append(f"lon = {p['lon']}")
        if p["alt_m"] is not None:
            lines.append(f"alt_m = {p['alt_m']}")
        if p.get("alt_estimated"):
            lines.append("alt_estimated = true")
        if p["schematic"]:
            lines.append("schematic_position = true")
        lines.append(f"source = {_q(p['source'])}")
        # places.json's level (high/medium/low/none) rates the row; a schematic position has
        # none, so only known positions carry it (the detail is in the note either way)
        if not p["schematic"] and p["confidence"] in ("high", "medium", "low"):
            lines.append(f"confidence = {_q(p['confidence'])}")
        if p["note"]:
            lines.append(f"note = {_q(p['note'])}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    src = Path(argv[0]) if argv else HERE.parent.parent / "shared" / "places.json"
    resolved = resolve(src)
    for stem, folder, name, route in ROUTES:
        path = HERE / folder / f"{stem}.places.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        from coursekit.io import atomic_write_text

        atomic_write_text(path, places_toml(name, route, resolved))
        print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
