"""The ``coursekit`` command line (click).

Only parses options, calls the library and formats output. Heavy modules are
imported inside each command so that ``coursekit profile`` does not pay for
folium or matplotlib. Every :class:`~coursekit.errors.CoursekitError` (and bad
option values) becomes one line ``Error: ...`` and exit status 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

import click

from . import __version__
from .errors import CoursekitError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

FILE = click.Path(exists=False, dir_okay=False, path_type=Path)
FORMAT = click.Choice(["text", "json", "csv"])


class _Group(click.Group):
    """A group that turns input errors into one clean line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except CoursekitError as exc:
            raise click.ClickException(str(exc)) from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        except (OSError, MemoryError, RecursionError) as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="coursekit")
def cli():
    """Plan trail-race courses and time barriers.

    \b
    Example:
        coursekit profile course.gpx
        coursekit cutoffs courses/haut/haut-120.toml
    """


def main():  # console-script entry point
    cli(prog_name="coursekit")


# ---------------------------------------------------------------- helpers


def _num(x, nd=0):
    """JSON-safe number: NaN/inf -> None, rounded."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd) if nd else round(x)


def _fmt(x, spec="{:.0f}", missing="-"):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    return spec.format(x)


def _emit(text: str, output: Path | None):
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        from .io import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"wrote {output}", err=True)


def _table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """Plain-text table, right-aligned numbers (align: one char per column, l or r)."""
    widths = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    align = align or "l" + "r" * (len(headers) - 1)

    def line(cells):
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=False)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def _csv(headers: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


# ---------------------------------------------------------------- profile


def _profile_record(path: Path, prof, st) -> dict:
    return {
        "file": str(path),
        "name": prof.track.name,
        "points": st.points,
        "distance_m": _num(st.distance_m, 1),
        "gain_m": _num(st.gain_m),
        "loss_m": _num(st.loss_m),
        "min_elevation_m": _num(st.min_elevation_m, 1),
        "max_elevation_m": _num(st.max_elevation_m, 1),
        "km_effort": _num(st.km_effort, 1),
        "itra_points": st.itra_points,
        "gain_method": st.gain_method,
        "distance_method": st.distance_method,
        "steepest_up_1km_grade": _num(st.steepest_up_grade, 3),
        "steepest_up_1km_start_m": _num(st.steepest_up_at_m),
        "steepest_down_1km_grade": _num(st.steepest_down_grade, 3),
        "steepest_down_1km_start_m": _num(st.steepest_down_at_m),
        "segments": int(prof.track.segment.max()) + 1 if len(prof.track) else 0,
        "waypoints": len(prof.track.waypoints),
        "warnings": list(st.warnings),
    }


@cli.command()
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option(
    "--gain-threshold",
    type=click.FloatRange(min=0),
    default=None,
    metavar="M",
    help="Use the threshold rule with M metres (as timing providers publish) "
    "instead of the automatic noise-robust method.",
)
@click.option(
    "--splits",
    "split_km",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="KM",
    help="Add a table of splits every KM kilometres.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="OUT.png|OUT.svg",
    help="Draw the elevation profile (first file).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of standard output.",
)
def profile(files, fmt, gain_threshold, split_km, plot, output):
    """Measure GPX files: distance, D+/D-, altitude range, km-effort, ITRA points.

    \b
    Example:
        coursekit profile course.gpx
        coursekit profile a.gpx b.gpx --format json
        coursekit profile course.gpx --gain-threshold 10 --splits 1 --plot profile.png
    """
    from .gpx import read_gpx
    from .profile import course_stats, make_profile, splits

    results = []
    iterator = files
    bar = None
    if len(files) > 5 and sys.stderr.isatty():
        bar = click.progressbar(files, label="measuring", file=sys.stderr)
        iterator = bar.__enter__()
    try:
        for path in iterator:
            track = read_gpx(path)
            prof = make_profile(track, gain_threshold=gain_threshold)
            st = course_stats(prof)
            rec = _profile_record(path, prof, st)
            if split_km:
                sp = splits(prof, split_km * 1000)
                rec["splits"] = [
                    {
                        "start_m": _num(a, 1),
                        "end_m": _num(b, 1),
                        "gain_m": _num(g),
                        "loss_m": _num(lo),
                        "elevation_m": _num(e, 1),
                    }
                    for a, b, g, lo, e in zip(*sp, strict=True)
                ]
            results.append((path, prof, st, rec))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)

    if plot is not None:
        from .figures import profile_figure

        profile_figure(results[0][1], plot)

    if fmt == "json":
        text = json.dumps([r[3] for r in results], indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        keys = [k for k in results[0][3] if k not in ("warnings", "splits")]
        rows = [[r[3][k] for k in keys] + ["; ".join(r[3]["warnings"])] for r in results]
        text = _csv(keys + ["warnings"], rows)
        if split_km:
            text += "\n" + _csv(
                ["file", "start_km", "end_km", "gain_m", "loss_m", "elevation_m"],
                [
                    [
                        r[3]["file"],
                        s["start_m"] / 1000,
                        s["end_m"] / 1000,
                        s["gain_m"],
                        s["loss_m"],
                        s["elevation_m"],
                    ]
                    for r in results
                    for s in r[3]["splits"]
                ],
            )
    else:
        parts = []
        for path, _prof, st, rec in results:
            lines = [
                f"{path}" + (f"  ({rec['name']})" if rec["name"] else ""),
                f"  points        {st.points:,}"
                + (f" in {rec['segments']} segments" if rec["segments"] > 1 else ""),
                f"  distance      {st.distance_m / 1000:.2f} km  ({st.distance_method})",
                f"  D+ / D-       {_fmt(st.gain_m)} m / {_fmt(st.loss_m)} m  ({st.gain_method})",
                f"  altitude      {_fmt(st.min_elevation_m)} to {_fmt(st.max_elevation_m)} m",
                f"  km-effort     {st.km_effort:.1f}  (ITRA points {st.itra_points})",
            ]
            if math.isfinite(st.steepest_up_grade):
                lines.append(
                    f"  steepest km   up {100 * st.steepest_up_grade:.0f} % from km "
                    f"{st.steepest_up_at_m / 1000:.1f}, down {100 * st.steepest_down_grade:.0f} %"
                    f" from km {st.steepest_down_at_m / 1000:.1f}"
                )
            for w in st.warnings:
                lines.append(f"  warning: {w}")
            text_block = "\n".join(lines) + "\n"
            if split_km:
                rows = [
                    [
                        f"{s['start_m'] / 1000:.1f}",
                        f"{s['end_m'] / 1000:.1f}",
                        _fmt(s["gain_m"]),
                        _fmt(s["loss_m"]),
                        _fmt(s["elevation_m"]),
                    ]
                    for s in rec["splits"]
                ]
                text_block += "\n" + _table(
                    ["from km", "to km", "D+ m", "D- m", "alt m"], rows, "rrrrr"
                )
            parts.append(text_block)
        text = "\n".join(parts)
    _emit(text, output)


# ---------------- courses

_SCHEMATIC_BANNER = (
    "SCHEMATIC COURSE: the track is a sketch through places, not a surveyed route; "
    "distances and D+/D- are estimates"
)
TOLERANCE = click.option(
    "--tolerance",
    "tolerance_m",
    type=click.FloatRange(min=0, min_open=True),
    default=250.0,
    show_default=True,
    metavar="M",
    help="Largest distance from a checkpoint to the track [m].",
)
COURSE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _iso(dt):
    return dt.isoformat() if dt is not None else None


def _legs_records(course, legs) -> list[dict]:
    recs = []
    for i, name in enumerate(legs.names):
        sp = legs.specs[i]
        recs.append(
            {
                "name": name,
                "distance_m": _num(legs.distance[i], 1),
                "elevation_m": _num(legs.elevation[i], 1),
                "gain_m": _num(legs.gain[i]),
                "loss_m": _num(legs.loss[i]),
                "leg_distance_m": _num(legs.leg_distance[i], 1),
                "leg_gain_m": _num(legs.leg_gain[i]),
                "leg_loss_m": _num(legs.leg_loss[i]),
                "leg_km_effort": _num(legs.leg_km_effort[i], 2),
                "services": list(legs.services[i]),
                "drop_bag": bool(legs.drop_bag[i]),
                "cutoff": _iso(sp.cutoff) if sp is not None else None,
                "offset_m": _num(legs.offset[i], 1),
                "lat": _num(legs.lat[i], 6),
                "lon": _num(legs.lon[i], 6),
                "implicit": sp is None,
            }
        )
    return recs


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=COURSE)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@TOLERANCE
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def legs(course_file, fmt, tolerance_m, output):
    """The legs table of a course: distance, D+/D- and km-effort between checkpoints.

    \b
    Example:
        coursekit legs courses/haut/haut-120.toml
        coursekit legs course.toml --format json
    """
    from .checkpoints import course_legs
    from .course import load_course

    course = load_course(course_file)
    lg = course_legs(course, tolerance_m=tolerance_m)
    recs = _legs_records(course, lg)
    p = course.profile
    if fmt == "json":
        obj = {
            "course": course.name,
            "file": str(course_file),
            "schematic": course.schematic,
            "distance_m": _num(p.total_distance, 1),
            "gain_m": _num(p.total_gain),
            "loss_m": _num(p.total_loss),
            "distance_method": p.distance_method,
            "gain_method": p.gain_method,
            "checkpoints": recs,
        }
        text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        keys = [k for k in recs[0] if k != "services"]
        rows = [[r[k] for k in keys] + [" ".join(r["services"])] for r in recs]
        text = _csv(keys + ["services"], rows)
        if course.schematic:
            text = "# " + _SCHEMATIC_BANNER + "\n" + text
    else:
        head = []
        if course.schematic:
            head.append(_SCHEMATIC_BANNER)
        head.append(
            f"{course.name}: {p.total_distance / 1000:.2f} km, D+ {_fmt(p.total_gain)} m, "
            f"D- {_fmt(p.total_loss)} m ({p.distance_method}; {p.gain_method})"
        )
        rows = []
        for i, r in enumerate(recs):
            rows.append(
                [
                    recs[i - 1]["name"] if i else "",
                    r["name"],
                    _fmt(r["leg_distance_m"] / 1000, "{:.1f}"),
                    _fmt(r["leg_gain_m"]),
                    _fmt(r["leg_loss_m"]),
                    _fmt(r["distance_m"] / 1000, "{:.1f}"),
                    _fmt(r["gain_m"]),
                    _fmt(r["loss_m"]),
                    _fmt(r["elevation_m"]),
                    _fmt(r["leg_km_effort"], "{:.1f}"),
                    " ".join(r["services"]),
                    "yes" if r["drop_bag"] else "",
                ]
            )
        text = (
            "\n".join(head)
            + "\n\n"
            + _table(
                [
                    "from",
                    "to",
                    "leg km",
                    "leg D+",
                    "leg D-",
                    "km",
                    "D+",
                    "D-",
                    "alt m",
                    "km-effort",
                    "services",
                    "drop bag",
                ],
                rows,
                "llrrrrrrrrll",
            )
        )
    _emit(text, output)


def _check_findings(course, tolerance_m):
    from .checkpoints import Finding, check_course

    findings = list(check_course(course, tolerance_m=tolerance_m))
    if any(f.level == "error" for f in findings):
        return findings
    try:
        from . import cutoffs
    except ImportError:
        return findings
    check_plan = getattr(cutoffs, "check_plan", None)
    plan_fn = getattr(cutoffs, "plan", None)
    if check_plan is None or plan_fn is None:
        return findings
    try:
        pl = plan_fn(course)
    except CoursekitError as exc:
        findings.append(Finding("error", "plan", str(exc)))
        return findings
    for item in check_plan(pl):
        if isinstance(item, Finding):
            findings.append(item)
        elif isinstance(item, tuple) and len(item) == 3:
            findings.append(Finding(*item))
        else:
            findings.append(Finding("warning", "cutoffs", str(item)))
    return findings


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=COURSE)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@TOLERANCE
def check(course_file, fmt, tolerance_m):
    """Check a course file: declared figures, checkpoints, loop, fixed cutoffs.

    Exit status 1 when there is any error; warnings are listed.

    \b
    Example:
        coursekit check courses/haut/haut-120.toml
        coursekit check course.toml --format json
    """
    from .course import load_course

    course = load_course(course_file)
    findings = _check_findings(course, tolerance_m)
    n_err = sum(f.level == "error" for f in findings)
    n_warn = sum(f.level == "warning" for f in findings)
    if fmt == "json":
        obj = {
            "course": course.name,
            "file": str(course_file),
            "schematic": course.schematic,
            "errors": n_err,
            "warnings": n_warn,
            "findings": [f._asdict() for f in findings],
        }
        click.echo(json.dumps(obj, indent=2, ensure_ascii=False))
    else:
        lines = []
        if course.schematic:
            lines.append(_SCHEMATIC_BANNER)
        lines.append(f"{course_file}: {course.name}")
        for f in findings:
            lines.append(f"  {f.level}: [{f.code}] {f.message}")
        lines.append(f"{n_err} error(s), {n_warn} warning(s)")
        click.echo("\n".join(lines))
    if n_err:
        raise SystemExit(1)


def _cp_description(course, legs, i) -> str:
    sp = legs.specs[i]
    bits = [f"km {legs.distance[i] / 1000:.1f}"]
    if math.isfinite(legs.elevation[i]):
        bits.append(f"alt {legs.elevation[i]:.0f} m")
    if legs.services[i]:
        bits.append("services: " + ", ".join(legs.services[i]))
    if sp is not None and sp.cutoff is not None:
        el = (sp.cutoff - course.start).total_seconds()
        loc = sp.cutoff
        bits.append(
            f"cutoff {loc.strftime('%a %H:%M')} ({int(el // 3600)}h{int(el % 3600) // 60:02d})"
        )
    if course.schematic:
        bits.append("schematic course")
    return "; ".join(bits)


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=COURSE)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The GPX to write.",
)
@click.option(
    "--simplify",
    "simplify_m",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="M",
    help="Simplify the track (Douglas-Peucker, M metres in a local projection).",
)
@TOLERANCE
def export(course_file, output, simplify_m, tolerance_m):
    """Write a GPX for runners: the track plus one waypoint per checkpoint.

    \b
    Example:
        coursekit export courses/haut/haut-120.toml -o haut-120-watch.gpx
        coursekit export course.toml -o out.gpx --simplify 5
    """
    import numpy as np

    from .checkpoints import course_legs
    from .course import SKETCH_MARK, load_course
    from .gpx import Waypoint, write_gpx

    course = load_course(course_file)
    lg = course_legs(course, tolerance_m=tolerance_m)
    tr = course.track
    lat, lon, ele = tr.lat, tr.lon, tr.elevation
    desc = f"{course.name}: exported by coursekit from {course_file.name}"
    if simplify_m is not None and len(tr) > 2:
        import shapely

        from .geodesy import local_projection

        proj = local_projection(lat, lon)
        x, y = proj.forward(lat, lon)
        line = shapely.linestrings(np.column_stack([x, y, np.arange(x.size, dtype=float)]))
        simp = shapely.simplify(line, simplify_m, preserve_topology=False)
        keep = np.rint(shapely.get_coordinates(simp, include_z=True)[:, 2]).astype(int)
        lat, lon, ele = lat[keep], lon[keep], ele[keep]
        desc += (
            f"; track simplified (Douglas-Peucker, tolerance {simplify_m:g} m in a local "
            f"projection): {keep.size} of {len(tr)} points kept"
        )
    if course.schematic:
        desc += f"; {SKETCH_MARK}: the track is a sketch, not a surveyed route"
    wpts = [
        Waypoint(
            name=name,
            lat=float(lg.lat[i]),
            lon=float(lg.lon[i]),
            elevation=float(lg.elevation[i]),
            description=_cp_description(course, lg, i),
            type="checkpoint",
        )
        for i, name in enumerate(lg.names)
    ]
    write_gpx(output, lat, lon, ele, name=course.name, description=desc, waypoints=wpts)
    click.echo(f"wrote {output} ({lat.size} points, {len(wpts)} checkpoints)", err=True)


@cli.command()
@click.argument("places_file", metavar="PLACES.toml", type=COURSE)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The GPX to write.",
)
@click.option(
    "--spacing",
    type=click.FloatRange(min=1),
    default=25.0,
    show_default=True,
    metavar="M",
    help="Largest step between track points [m].",
)
def sketch(places_file, output, spacing):
    """Draw a schematic GPX through an ordered list of places (marked schematic).

    \b
    Example:
        coursekit sketch haut-120-places.toml -o haut-120.gpx
    """
    from .sketch import load_places, write_sketch

    places = load_places(places_file)
    st = write_sketch(places, output, spacing=spacing)
    click.echo(
        f"wrote {output}: schematic, {len(places.places)} places, "
        f"{st.distance[-1] / 1000:.2f} km, {st.lat.size} points",
        err=True,
    )
