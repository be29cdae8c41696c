"""The ``coursekit`` command line (click).

Only parses options, calls the library and formats output. Heavy modules are
imported inside each command so that ``coursekit profile`` does not pay for
folium or matplotlib. Every :class:`~coursekit.errors.CoursekitError` (and bad
option values) becomes one line ``Error: ...`` and exit status 1.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import math
import re
import sys
from pathlib import Path

import click

from . import __version__
from .clock import (
    DATED_S,
    clock_format,
    hm,
    in_zone,
    limit_hm,
    seconds_between,
    shown_elapsed,
    zone_abbreviation,
)
from .errors import CoursekitError, OptionError, PlanError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Input paths are checked by the loaders, which name the file in one `Error:` line
# (click's own check prints a usage block instead).
FILE = click.Path(readable=False, path_type=Path)
FORMAT = click.Choice(["text", "json", "csv"])


def _report_output(ctx, param, value):
    """-o of a report (standard output without it): ``-o -`` is standard output too, never
    a file named ``-`` (``-o ./-`` writes one), so it is never compared with the inputs."""
    if value is None or value == "-":
        return None
    return Path(value)


def _file_output(ctx, param, value):
    """A required -o (a GPX, an HTML page, a folder): ``-o -`` is refused, not taken as a
    file named ``-`` (the report commands read it as standard output; ``./-`` names one)."""
    if value is None:
        return None
    if value == "-":
        raise click.BadParameter(
            "'-' is standard output for reports; this command writes a file or folder:"
            " give its name (./- for one named -)",
            ctx=ctx,
            param=param,
        )
    return Path(value)


# -o of a report: the path as given (``./-`` is not ``-``), made a Path by _report_output
REPORT_OUTPUT = click.Path(readable=False, dir_okay=False, path_type=str)


def _companion_csv(output, tag: str, text: str | None, *, what: str, option: str) -> None:
    """The second table of a CSV output (one table a file, for spreadsheets), written as
    ``OUT-<tag>.csv`` beside ``-o OUT.csv``; without ``-o``, a note says where to find it.
    With no such table this run, one left by an earlier ``option`` run is removed: it would
    sit beside a table it no longer matches (the files written by one run are its output).
    """
    path = None
    if output is not None:
        path = output.with_name(f"{output.stem}-{tag}{output.suffix or '.csv'}")
    if text is not None:
        if path is None:
            click.echo(
                f"note: {what} are in --format json, or in OUT-{tag}.csv next to -o OUT.csv",
                err=True,
            )
        else:
            from .io import atomic_write_text

            atomic_write_text(path, text)
            click.echo(f"wrote {path}", err=True)
    elif path is not None and path.is_file():
        path.unlink()
        click.echo(f"removed {path} (from an earlier {option} run)", err=True)


def _figure_path(ctx, param, value):
    """--plot (repeatable): .png or .svg files, each written (``--plot a.png --plot a.svg``:
    both; a repeated path once); anything else is a usage error (exit 2), before any work."""
    for path in value:
        if path.suffix.lower() not in (".png", ".svg"):
            raise click.BadParameter(f"must end in .png or .svg, got {path.name!r}")
    return tuple(dict.fromkeys(value))


def _distinct_outputs(output, plot=(), inputs=()) -> None:
    """Refuse (usage error, before any work) an output that is another output or an input.

    A --plot path that is the -o path: the report written last replaced the figure
    (``profile --plot p.png -o p.png``). An output that is one of ``inputs`` (pairs of a
    label and a path: the course file, its track, --times, --params...) would destroy it
    (``export c.toml -o c.gpx``, c.gpx the course's own track)."""
    from .io import same_file

    outputs = [("-o", output)] if output is not None else []
    outputs += [("--plot", path) for path in plot]
    for option, path in outputs:
        for label, source in inputs:
            if source is not None and same_file(path, source):
                raise click.UsageError(f"{option} {path} is {label}: give the output its own path")
    if output is None:
        return
    for path in plot:
        if same_file(path, output):
            raise click.UsageError(
                f"--plot {path} and -o {output} are the same file: give each output its own path"
            )


def _course_inputs(course_file) -> list[tuple[str, Path]]:
    """The files a course file's command reads (for :func:`_distinct_outputs`): the course
    file and the track it names."""
    from .course import track_path

    inputs = [("the course file", Path(course_file))]
    track = track_path(course_file)
    if track is not None:
        rel, path = track
        inputs.append((f"the course's track (gpx = {rel!r} in {Path(course_file).name})", path))
    return inputs


def _event_inputs(target) -> list[tuple[str, Path]]:
    """The event, course and track files `event` and `map` read from TARGET (a course file,
    an event file or folder, a folder of events); none when TARGET is unreadable (the
    command's loader then says why)."""
    from .roadbook import discover

    try:
        events = discover(target)
    except (CoursekitError, OSError):
        return []
    target = Path(target)
    inputs = []
    if target.is_file() and all(target not in ev.course_paths for ev in events):
        inputs.append(("the event file", target))
    for ev in events:
        if (ev.folder / "event.toml").is_file():
            inputs.append(("an event file", ev.folder / "event.toml"))
        for path in ev.course_paths:
            inputs += _course_inputs(path)
    return inputs


ONCE_OPTIONS = frozenset(
    {"--output", "--round", "--format", "--model", "--fatigue", "--gain-threshold"}
)
"""Single-value options of which a second value is surely a mistake: given twice, a usage
error naming the option (click keeps the last: ``-o a -o b`` wrote only ``b``)."""


class _Command(click.Command):
    """A command refusing an option of :data:`ONCE_OPTIONS` given more than once (every
    command of the group; repeatable options, ``multiple=True``, are not concerned)."""

    def parse_args(self, ctx, args):
        if not ctx.resilient_parsing:
            # a first pass of click's own parser, for the order the options came in (the
            # options' values and errors are left to the real parse below)
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            if self.get_help_option(ctx) not in order:  # -h still shows the help
                counts: dict = {}
                for param in order:
                    counts[param] = counts.get(param, 0) + 1
                for param, n in counts.items():
                    if (
                        n > 1
                        and isinstance(param, click.Option)
                        and not param.multiple
                        and ONCE_OPTIONS & set(param.opts)
                    ):
                        names = " / ".join(repr(o) for o in param.opts)
                        raise click.UsageError(
                            f"Option {names} given {n} times: it takes one value, give it once",
                            ctx=ctx,
                        )
        return super().parse_args(ctx, args)


class _Group(click.Group):
    """A group that turns input errors into one clean line, and makes the files a command
    writes one output: a run that fails removes those it created (``io.output_group``).
    Its commands refuse a single-value option given twice (:class:`_Command`)."""

    command_class = _Command

    def invoke(self, ctx):
        from .io import output_group

        try:
            with output_group():  # a failed run removes the files and folders it created
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except CoursekitError as exc:
            raise click.ClickException(str(exc)) from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        except (OSError, MemoryError, RecursionError) as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except Exception as exc:  # a bug: still one line, never a traceback
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {exc}); please report it with the input"
            ) from None


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="coursekit")
def cli():
    """Plan trail-race courses and time barriers.

    \b
    Example:
        coursekit profile courses/haut/haut-120.gpx
        coursekit cutoffs courses/haut/haut-120.toml
    """


def main():  # console-script entry point
    try:
        cli(prog_name="coursekit")
    finally:
        # The command is done and its files are closed. Exiting, the interpreter runs a
        # last cyclic collection over every object numpy, click and the command made
        # (13 ms of a 0.35 s `coursekit profile` here); frozen objects are passed over.
        # The modules are still torn down and their objects freed as usual.
        gc.freeze()


# ---------------------------------------------------------------- helpers


def _num(x, nd=0):
    """JSON-safe number: NaN/inf -> None, rounded."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd) if nd else round(x)


def _cumulative_and_legs(cumulative, course=None) -> tuple[list, list]:
    """A cumulative D+ or D- per row and its legs as written [m]: the cumulative rounded to
    the metre, each leg the difference of the rounded cumulatives (0 on the first row), so
    the legs add up to the rows' values and to the total; each stays within 1 m of its own
    unrounded value (rounding the legs on their own drifted 1-2 m from the cumulative).
    Unknown (None: ``-`` in text, null in JSON) when ``course``'s track has no elevation."""
    prof = getattr(course, "profile", None)
    if prof is not None and not getattr(prof, "has_elevation", True):
        none = [None] * len(cumulative)
        return none, list(none)
    cum = [_num(x) for x in cumulative]
    legs = [0 if cum[0] is not None else None]
    for a, b in zip(cum[:-1], cum[1:], strict=True):
        legs.append(b - a if a is not None and b is not None else None)
    return cum, legs


def _fmt(x, spec="{:.0f}", missing="-"):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    text = spec.format(x)
    if text.startswith("-") and text[1:] == spec.format(0.0):
        return text[1:]  # -0.3 m is "0", not "-0"
    return text


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


def _along_total(prof) -> float:
    """Length measured on the slope (3D), as timing providers publish km [m]."""
    from .profile import along_course_distance

    return float(along_course_distance(prof)[-1]) if len(prof.track) else 0.0


MALLOC_MMAP_THRESHOLD = 64 << 20
MALLOC_TRIM_THRESHOLD = 256 << 20


def _keep_freed_memory() -> None:
    """Let glibc's malloc reuse the memory ``profile`` frees instead of asking for more.

    A profile makes and frees hundreds of arrays of a column's size (800 KB per 100k
    points). glibc maps each block over its mmap threshold afresh (the threshold is
    raised only as such blocks are freed, at most to 32 MB) and gives the top of its
    heap back to the system beyond twice that threshold, so the next array is new
    memory again, each 4 kB page a fault on first use (3-4 us each here, in a VM).
    Blocks under 64 MB (a column of 8 million points) now come from the heap, and up
    to 256 MB free at its top are kept until the process exits. The 100k-point noisy
    bench file: 34k -> 24k page faults and about 17 ms less for the whole process;
    on 1M points the peak RSS is unchanged (243 MB). The same figures: only where
    the arrays live changes. Not on other systems (no glibc ``mallopt``).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes  # (numpy imports it anyway)

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt(-3, MALLOC_MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
    mallopt(-1, MALLOC_TRIM_THRESHOLD)  # M_TRIM_THRESHOLD


def _profile_record(path: Path, prof, st, *, schematic: bool = False, along=None) -> dict:
    """``profile``'s JSON record of one file; ``along``: the km the tables count at each
    point (``along_course_distance``, on the map on a sketch) [m], None: the map's."""
    import numpy as np

    from .profile import itra_km_effort

    def on_tables_km(at):
        if along is None or not math.isfinite(at):
            return _num(at)
        return _num(float(np.interp(at, prof.distance, along)))

    return {
        "file": str(path),
        "name": prof.track.name,
        "points": st.points,
        "distance_m": _num(st.distance_m, 1),
        "distance_3d_m": _num(_along_total(prof), 1),
        "gain_m": _num(st.gain_m),
        "loss_m": _num(st.loss_m),
        "min_elevation_m": _num(st.min_elevation_m, 1),
        "max_elevation_m": _num(st.max_elevation_m, 1),
        # of the published figures (printed km + D+/100): hundredths, as ITRA adds them
        "km_effort": _num(st.km_effort, 2),
        "km_effort_itra": itra_km_effort(st.km_effort) if math.isfinite(st.km_effort) else None,
        "itra_points": st.itra_points,
        "gain_method": st.gain_method,
        "distance_method": st.distance_method,
        "steepest_up_1km_grade": _num(st.steepest_up_grade, 3),
        "steepest_up_1km_start_m": _num(st.steepest_up_at_m),
        "steepest_down_1km_grade": _num(st.steepest_down_grade, 3),
        "steepest_down_1km_start_m": _num(st.steepest_down_at_m),
        # the same starts on the km of the splits and of legs/cutoffs (km_basis)
        "steepest_up_1km_start_along_m": on_tables_km(st.steepest_up_at_m),
        "steepest_down_1km_start_along_m": on_tables_km(st.steepest_down_at_m),
        "km_basis": "slope"
        if along is not None and not schematic and prof.has_elevation
        else "map",
        "segments": int(prof.track.segment.max()) + 1 if len(prof.track) else 0,
        "waypoints": len(prof.track.waypoints),
        "schematic": schematic,
        "warnings": list(st.warnings),
    }


@cli.command()
@click.argument("files", metavar="FILE.gpx...", nargs=-1, required=True, type=FILE)
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
    # at most 100,000 km, 2.5 times round the Earth: one row for any course; 1e308 overflowed
    # ("internal error (OverflowError ...)", hostile-tests review, thirty-second sprint)
    type=click.FloatRange(min=0, min_open=True, max=100_000),
    default=None,
    metavar="KM",
    help="Add a table of splits every KM kilometres (with --format csv, written to "
    "OUT-splits.csv next to -o OUT.csv); at most 100000.",
)
@click.option(
    "--plot",
    type=click.Path(readable=False, dir_okay=False, path_type=Path),
    callback=_figure_path,
    multiple=True,
    metavar="OUT.png|OUT.svg",
    help="Draw the elevation profile of the first file; repeat it for more formats "
    "(--plot p.png --plot p.svg). With several files, give it once.",
)
@click.option(
    "-o",
    "--output",
    type=REPORT_OUTPUT,
    callback=_report_output,
    default=None,
    help="Write the report to this file instead of standard output.",
)
def profile(files, fmt, gain_threshold, split_km, plot, output):
    """Measure GPX files: distance, D+/D-, altitude range, km-effort, ITRA points.

    The text output names the D+ method briefly ("automatic (noise 6.5 m)",
    "threshold 10 m"); --format json gives every step and parameter in gain_method.

    \b
    Example:
        coursekit profile courses/haut/haut-120.gpx
        coursekit profile courses/haut/haut-120.gpx courses/haut/haut-80.gpx --format json
        coursekit profile courses/haut/haut-42.gpx --gain-threshold 10 --splits 1 --plot p.png
        coursekit profile courses/haut/haut-42.gpx --plot p.png --plot p.svg
    """
    _distinct_outputs(output, plot, [("an input file", f) for f in files])
    if len(plot) > 1 and len(files) > 1:  # one figure per file, or formats of the first?
        raise click.UsageError(
            f"--plot given {len(plot)} times with {len(files)} files: it draws the first "
            "file's profile in each format given; with several files give it once (run "
            "profile once per file to draw each)"
        )
    _keep_freed_memory()
    from .gpxcheck import start

    start(files[0])  # the file's XML check runs in the background while numpy is imported
    from .profile import gain_method_label

    results = []
    failed = []  # one bad file among several: the others are still checked
    bar = None
    work = [0] * len(files)
    if len(files) > 5 and sys.stderr.isatty():
        # the bar counts bytes, not files: a 4 MB recording takes 20-50 times a 24 kB
        # sketch; counted in files, ten recordings then a hundred sketches gave a first ETA
        # of 11 s with 0.8 s left
        work = [_profile_work(path) for path in files]
        bar = _progressbar(sum(work), "measuring")
        bar.__enter__()
    try:
        for path, done in zip(files, work, strict=True):
            try:
                rec = _profile_one(path, gain_threshold, split_km)
            except CoursekitError as exc:
                if len(files) == 1:
                    raise
                failed.append(str(exc))
                continue
            finally:
                if bar is not None:
                    bar.update(done)
            results.append(rec)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if failed:  # all or nothing (docs/guarantees.md), but every bad file named at once
        for msg in failed[:-1]:
            click.echo(f"Error: {msg}", err=True)
        raise click.ClickException(failed[-1])

    if plot:
        from .figures import profile_figure

        for path in plot:
            profile_figure(results[0][1], path)
            click.echo(f"wrote {path}", err=True)  # as -o says of the report

    if fmt == "json":
        text = json.dumps([r[3] for r in results], indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        # one table per file a spreadsheet loads: the summary here, the splits (same
        # keys and units as JSON) in OUT-splits.csv, as `event` writes OUT-occupancy.csv
        keys = [k for k in results[0][3] if k not in ("warnings", "splits")]
        rows = [[r[3][k] for k in keys] + ["; ".join(r[3]["warnings"])] for r in results]
        text = _csv(keys + ["warnings"], rows)
        split_text = None
        if split_km:
            split_keys = [
                "start_m",
                "end_m",
                "gain_m",
                "loss_m",
                "elevation_m",
                "map_start_m",
                "map_end_m",
            ]
            split_text = _csv(
                ["file", *split_keys],
                [
                    [r[3]["file"]] + [s[k] for k in split_keys]
                    for r in results
                    for s in r[3]["splits"]
                ],
            )
        _companion_csv(output, "splits", split_text, what="the splits", option="--splits")
    else:
        parts = []
        for path, _prof, st, rec in results:
            lines = [
                f"{path}" + (f"  ({rec['name']})" if rec["name"] else ""),
                f"  points        {st.points:,}"
                + (f" in {rec['segments']} segments" if rec["segments"] > 1 else ""),
                f"  distance      {st.distance_m / 1000:.2f} km  ({st.distance_method}); "
                f"on the slope {rec['distance_3d_m'] / 1000:.2f} km",
                f"  D+ / D-       {_fmt(st.gain_m)} m / {_fmt(st.loss_m)} m  "
                f"({gain_method_label(st.gain_method)})",
                f"  altitude      {_fmt(st.min_elevation_m)} to {_fmt(st.max_elevation_m)} m",
                (
                    f"  km-effort     {st.km_effort:.2f}  "
                    f"(ITRA rounds to {rec['km_effort_itra']}: ITRA points {st.itra_points})"
                    if st.itra_points is not None
                    else "  km-effort     - (no elevation: D+ unknown, no ITRA points)"
                ),
            ]
            # which km "from km" counts: those of legs and cutoffs (J8)
            basis = "on the slope" if rec["km_basis"] == "slope" else "on the map"
            up, down = st.steepest_up_grade, st.steepest_down_grade
            if math.isfinite(up) or math.isfinite(down):
                # a course that never descends has no steepest descent: "-", not a climb
                lines.append(
                    "  steepest km   up "
                    + (
                        f"{100 * up:.0f} % from km "
                        f"{rec['steepest_up_1km_start_along_m'] / 1000:.1f}"
                        if math.isfinite(up)
                        else "-"
                    )
                    + ", down "
                    + (
                        f"{100 * down:.0f} % from km "
                        f"{rec['steepest_down_1km_start_along_m'] / 1000:.1f}"
                        if math.isfinite(down)
                        else "-"
                    )
                    + f"  (km {basis})"
                )
            for w in st.warnings:
                lines.append(f"  warning: {w}")
            text_block = "\n".join(lines) + "\n"
            if split_km:
                nd = _split_decimals(split_km)
                rows = [
                    [
                        f"{s['start_m'] / 1000:.{nd}f}",
                        f"{s['end_m'] / 1000:.{nd}f}",
                        _fmt(s["gain_m"]),
                        _fmt(s["loss_m"]),
                        _fmt(s["elevation_m"]),
                    ]
                    for s in rec["splits"]
                ]
                text_block += (
                    f"\nsplits every {split_km:g} km {basis}, the km of legs and cutoffs\n"
                ) + _table(["from km", "to km", "D+ m", "D- m", "alt m"], rows, "rrrrr")
            parts.append(text_block)
        text = "\n".join(parts)
    _emit(text, output)


# ---------------- courses

_SCHEMATIC_BANNER = (
    "SCHEMATIC COURSE: the track is a sketch through places, not a surveyed route; "
    "distances and D+/D- are estimates"
)


def _tolerance_option(ctx, param, value):
    """--tolerance has the course file key's range: at most MAX_TOLERANCE_M (farther, a
    checkpoint is not on the course; --tolerance 50000 placed one 20 km off the track)."""
    from .course import MAX_TOLERANCE_M

    if value is not None and value > MAX_TOLERANCE_M:
        raise click.BadParameter(
            f"{value:g} m is more than {MAX_TOLERANCE_M:g} m, the largest tolerance a course "
            "file may set (farther, a checkpoint is not on the course)"
        )
    return value


TOLERANCE = click.option(
    "--tolerance",
    "tolerance_m",
    type=click.FloatRange(min=0, min_open=True),
    callback=_tolerance_option,
    default=None,
    metavar="M",
    help="Largest distance from a checkpoint to the track [m] (default: the course file's "
    "'tolerance', else 250; a checkpoint's own 'tolerance' wins).",
)
ROUND_GRIDS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440)
"""--round values: the clock grids, a divisor of 60 min or a multiple of 60 dividing a day
(7 gave barriers at 22:31 and 02:13) [min]. The coarse grids (240, 1440) can put barriers
together; the plan's warnings say so."""


def _round_grid(ctx, param, value):
    """--round: 0 or a clock grid (:data:`ROUND_GRIDS`); else click's usage error, exit 2."""
    if value and value not in ROUND_GRIDS:
        raise click.BadParameter(
            f"{value} is not a clock grid: use a divisor of 60 ("
            + ", ".join(str(g) for g in ROUND_GRIDS if g <= 60)
            + ") or a multiple of 60 that divides a day ("
            + ", ".join(str(g) for g in ROUND_GRIDS if g > 60)
            + "); 0 for no rounding"
        )
    return value


ROUND_OPTION = click.option(
    "--round",
    "round_minutes",
    type=click.IntRange(min=0),
    callback=_round_grid,
    default=15,
    show_default=True,
    metavar="MIN",
    help="Round barriers up to MIN on the clock: a divisor of 60 or a multiple of 60 that "
    "divides a day (0: no).",
)


def _courses_iso(dt):
    return dt.isoformat() if dt is not None else None


def _legs_records(course, legs) -> list[dict]:
    recs = []
    gain, leg_gain = _cumulative_and_legs(legs.gain, course)
    loss, leg_loss = _cumulative_and_legs(legs.loss, course)
    for i, name in enumerate(legs.names):
        sp = legs.specs[i]
        recs.append(
            {
                "name": name,
                "distance_m": _num(legs.along[i], 1),
                "elevation_m": _num(legs.elevation[i], 1),
                "gain_m": gain[i],
                "loss_m": loss[i],
                "leg_distance_m": _num(legs.leg_along[i], 1),
                "leg_gain_m": leg_gain[i],
                "leg_loss_m": leg_loss[i],
                "leg_km_effort": _num(legs.leg_km_effort[i], 2),
                "services": list(legs.services[i]),
                "drop_bag": bool(legs.drop_bag[i]),
                "cutoff": _courses_iso(sp.cutoff) if sp is not None else None,
                "offset_m": _num(legs.offset[i], 1),
                "lat": _num(legs.lat[i], 6),
                "lon": _num(legs.lon[i], 6),
                "map_distance_m": _num(legs.distance[i], 1),
                "implicit": sp is None,
            }
        )
    return recs


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@TOLERANCE
@click.option("-o", "--output", type=REPORT_OUTPUT, callback=_report_output, default=None)
def legs(course_file, fmt, tolerance_m, output):
    """The legs table of a course: distance, D+/D- and km-effort between checkpoints.

    Km are along the slope, as timing providers publish them (the map distance on a
    schematic course). In JSON each row's distance_m is on the slope and so is the
    top-level distance_3d_m (the finish row's); the top-level distance_m is the map
    distance, as in `coursekit profile`, also given as map_distance_m (the rows' name).

    \b
    Example:
        coursekit legs courses/haut/haut-120.toml
        coursekit legs courses/haut/haut-42.toml --format json
    """
    from .checkpoints import course_legs
    from .course import load_course
    from .profile import gain_method_label

    _distinct_outputs(output, inputs=_course_inputs(course_file))
    course = load_course(course_file, tolerance_m=tolerance_m)  # --tolerance replaces the key
    lg = course_legs(course)
    recs = _legs_records(course, lg)
    p = course.profile
    if fmt == "json":
        obj = {
            "course": course.name,
            "file": str(course_file),
            "schematic": course.schematic,
            # kept as it was (contract 2): the map distance, as `profile`'s distance_m; the
            # rows' distance_m are along the slope, as timing providers publish km: their
            # total is distance_3d_m (the finish row's), the map's also map_distance_m
            "distance_m": _num(p.total_distance, 1),
            "distance_3d_m": _num(float(lg.along[-1]), 1),
            "map_distance_m": _num(p.total_distance, 1),
            "gain_m": _num(p.total_gain),
            "loss_m": _num(p.total_loss),
            "distance_method": p.distance_method,
            "gain_method": p.gain_method,
            "checkpoints": recs,
        }
        text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        # no comment line above the header (csv.DictReader and pandas read it as the
        # header): a sketched course says so on every row, as the JSON's "schematic"
        keys = [k for k in recs[0] if k != "services"]
        rows = [[r[k] for k in keys] + [" ".join(r["services"]), course.schematic] for r in recs]
        text = _csv(keys + ["services", "schematic"], rows)
    else:
        head = []
        if course.schematic:
            head.append(_SCHEMATIC_BANNER)
        # lead with the distance the table's km count (the finish row), and say which
        dist = (
            f"{lg.along[-1] / 1000:.2f} km on the slope (map {p.total_distance / 1000:.2f} km)"
            if p.has_elevation and not course.schematic
            else f"{p.total_distance / 1000:.2f} km (map)"
        )
        head.append(
            f"{course.name}: {dist}, D+ {_fmt(p.total_gain if p.has_elevation else None)} m, "
            f"D- {_fmt(p.total_loss if p.has_elevation else None)} m "
            f"({p.distance_method}; {gain_method_label(p.gain_method)})"
        )
        rows = []
        # the text rounds the exact figures once, as `cutoffs` and the roadbook do (the
        # JSON's 1397.5 m, already rounded from 1397.46, printed 1398 where they say 1397)
        for i, r in enumerate(recs):
            rows.append(
                [
                    recs[i - 1]["name"] if i else "",
                    r["name"],
                    _fmt(float(lg.leg_along[i]) / 1000, "{:.1f}"),
                    _fmt(r["leg_gain_m"]),
                    _fmt(r["leg_loss_m"]),
                    _fmt(float(lg.along[i]) / 1000, "{:.1f}"),
                    _fmt(r["gain_m"]),
                    _fmt(r["loss_m"]),
                    _fmt(float(lg.elevation[i])),
                    _fmt(float(lg.leg_km_effort[i]), "{:.1f}"),
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


def _check_findings(course):
    from .checkpoints import Finding, check_course

    findings = list(check_course(course))
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
    checked = check_plan(pl)
    own = {cutoffs.sketch_warning(course), *cutoffs.course_warnings(course, pl.legs), *checked}
    for w in pl.warnings:
        if w not in own:  # check_course reports the sketch, the start offset, km past the end
            findings.append(Finding("warning", "cutoffs", w))
    for item in checked:
        if isinstance(item, Finding):
            findings.append(item)
        elif isinstance(item, tuple) and len(item) == 3:
            findings.append(Finding(*item))
        else:
            findings.append(Finding("warning", "cutoffs", str(item)))
    return findings


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
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
        coursekit check courses/haut/haut-42.toml --format json
    """
    from .course import load_course

    # --tolerance replaces the file's key for the whole check, the plan's included
    course = load_course(course_file, tolerance_m=tolerance_m)
    findings = _check_findings(course)
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


def _distance_scaled(course) -> bool:
    """Whether ``scale_to_declared`` stretched the course's distance (its km are not the
    track's)."""
    factor = (course.info.get("scale") or {}).get("distance", 1.0)
    return bool(course.scale_to_declared and math.isfinite(factor) and factor != 1.0)


def _track_km(course, legs, keep=None):
    """Where the rows lie along the GPX as written [m], when ``scale_to_declared`` stretched
    the distance (the tables' km are the declared ones, a watch measures the track) or a
    simplification shortened it, else None. The map distance of the unscaled track at each
    row's place; with ``keep`` (the indices of the track's points a simplification kept),
    along the simplified track, the one written (the whole track's figures were written
    beside a shorter line, h105; unscaled, the course's km alone were written beside a
    track 2 % shorter at --simplify 5, 9 % at 20: h140)."""
    import numpy as np

    from .geodesy import cumulative_distance

    if not _distance_scaled(course) and keep is None:
        return None
    lat, lon = course.track.lat, course.track.lon
    raw = cumulative_distance(lat, lon)
    at = np.interp(np.asarray(legs.distance, float), course.profile.distance, raw)
    if keep is None:
        return at
    # between two kept points, at the same share of the distance the course runs between
    # them (by point index, uneven spacing put a waypoint tens of metres off: h134)
    return np.interp(at, raw[keep], cumulative_distance(lat[keep], lon[keep]))


def _cp_description(course, legs, i, plan, track_m=None) -> str:
    """One waypoint's description: km, altitude, services and the plan's barrier (computed,
    or the course file's fixed one, marked so). ``track_m`` (:func:`_track_km`): on a
    scaled course, the km along the written track follow the published km."""
    from .checkpoints import find_waypoint
    from .errors import CourseFileError
    from .sketch import ALT_ESTIMATED_MARK, is_alt_estimated

    km = f"{legs.along[i] / 1000:.1f}"
    bits = [f"km {km}"]
    if track_m is not None and f"{track_m[i] / 1000:.1f}" != km:
        bits[0] += f" ({track_m[i] / 1000:.1f} along this track)"
    sp = legs.specs[i]
    estimated = False
    if sp is not None and getattr(sp, "waypoint", None) is not None:
        try:
            estimated = is_alt_estimated(find_waypoint(course.track, sp.waypoint))
        except CourseFileError:
            estimated = False
    if math.isfinite(legs.elevation[i]):
        # an estimate (a sketch place's alt_estimated) is written as `sketch` writes it
        bits.append(
            f"alt ~{legs.elevation[i]:.0f} m {ALT_ESTIMATED_MARK}"
            if estimated
            else f"alt {legs.elevation[i]:.0f} m"
        )
    if legs.services[i]:
        bits.append("services: " + ", ".join(legs.services[i]))

    def when(t):
        el = shown_elapsed(course.start, t)  # the minute the clock shows
        loc = in_zone(t, course.timezone)  # the zone's clock, not the offset written
        # as `cutoffs` writes it, with the zone the roadbook writes after a clock time
        # (clock.zone_abbreviation): a waypoint is read alone, on a watch on any clock
        zone = zone_abbreviation(loc)
        return f"{_clock(loc, course.limit_s > DATED_S)} {zone} ({_hm(el)})"

    if i and plan.no_barrier is not None and plan.no_barrier[i]:
        bits.append(f"no barrier (closes {when(plan.cutoff[i])})")
    elif i:
        bits.append(f"cutoff {when(plan.cutoff[i])}" + (" fixed" if plan.fixed[i] else ""))
    if i == len(legs.names) - 1 and _limit_proposed(course):
        bits.append("time limit proposed, not published")
    if course.schematic:
        bits.append("schematic course")
    return "; ".join(bits)


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False, dir_okay=False, path_type=str),
    required=True,
    callback=_file_output,
    help="The GPX to write.",
)
@click.option(
    "--simplify",
    "simplify_m",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="M",
    help="Simplify the track (Douglas-Peucker, M metres in a local projection and in altitude).",
)
@TOLERANCE
@ROUND_OPTION
def export(course_file, output, simplify_m, tolerance_m, round_minutes):
    """Write a GPX for runners: the track plus one waypoint per checkpoint.

    Each waypoint says its km, altitude, services and barrier: the one
    `coursekit cutoffs` computes (default model), or the course file's fixed
    cutoff ("fixed"); "no barrier (closes ...)" where nobody is stopped. Its
    clock time names the course's zone ("Sat 07:15 CEST (1:15)").

    \b
    Example:
        coursekit export courses/haut/haut-120.toml -o haut-120-watch.gpx
        coursekit export courses/haut/haut-42.toml -o out.gpx --simplify 5
    """

    from .checkpoints import course_legs
    from .course import SKETCH_MARK, load_course
    from .cutoffs import plan as make_plan
    from .gpx import Waypoint, write_gpx

    _distinct_outputs(output, inputs=_course_inputs(course_file))
    course = load_course(course_file, tolerance_m=tolerance_m)  # --tolerance replaces the key
    lg = course_legs(course)
    pl = make_plan(course, legs=lg, round_minutes=round_minutes)
    tr = course.track
    lat, lon, ele = tr.lat, tr.lon, tr.elevation
    desc = f"{course.name}: exported by coursekit from {course_file.name}"
    keep = None
    if simplify_m is not None and len(tr) > 2:
        from .geodesy import simplify_track

        # the profile too: a pass on the straight line between two kept points in plan was
        # dropped with its climb (utat-105 --simplify 5 lost Tizi n'Tacheddirt, 3230 m)
        keep = simplify_track(lat, lon, ele, tolerance_m=simplify_m)
        lat, lon, ele = lat[keep], lon[keep], ele[keep]
        desc += (
            f"; track simplified (Douglas-Peucker, tolerance {simplify_m:g} m in a local "
            f"projection and in altitude): {keep.size} of {len(tr)} points kept"
        )
    if course.schematic:
        desc += f"; {SKETCH_MARK}: the track is a sketch, not a surveyed route"
    track_m = _track_km(course, lg, keep)
    if track_m is not None and not _distance_scaled(course):
        if f"{track_m[-1] / 1000:.1f}" != f"{lg.along[-1] / 1000:.1f}":
            desc += (
                f"; the simplified track measures {track_m[-1] / 1000:.1f} km for the "
                f"course's {lg.along[-1] / 1000:.1f} km: a waypoint gives both km where "
                "they differ"
            )
    elif track_m is not None:
        desc += (
            f"; km scaled to {course.info['scale']['source']!r} ({lg.along[-1] / 1000:.1f} km); "
            f"the track measures {track_m[-1] / 1000:.1f} km: each waypoint is at its place "
            "on it and gives both km"
        )
    if _limit_proposed(course):
        desc += (
            f"; time limit {limit_hm(course.limit_s)} proposed, not published: every "
            "barrier rests on it"
        )
    wpts = [
        Waypoint(
            name=name,
            lat=float(lg.lat[i]),
            lon=float(lg.lon[i]),
            elevation=float(lg.elevation[i]),
            description=_cp_description(course, lg, i, pl, track_m),
            type="checkpoint",
        )
        for i, name in enumerate(lg.names)
    ]
    write_gpx(output, lat, lon, ele, name=course.name, description=desc, waypoints=wpts)
    click.echo(f"wrote {output} ({lat.size} points, {len(wpts)} checkpoints)", err=True)


@cli.command()
@click.argument("places_file", metavar="PLACES.toml", type=FILE)
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False, dir_okay=False, path_type=str),
    required=True,
    callback=_file_output,
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
        coursekit sketch courses/haut/haut-120.places.toml -o haut-120.gpx
    """
    from .sketch import load_places, write_sketch

    _distinct_outputs(output, inputs=[("the places file", places_file)])
    places = load_places(places_file)
    st = write_sketch(places, output, spacing=spacing)
    click.echo(
        f"wrote {output}: schematic, {len(places.places)} places, "
        f"{st.distance[-1] / 1000:.2f} km, {st.lat.size} points",
        err=True,
    )


# ---------------------------------------------------------------- cutoffs


class _RateEta:
    """The ETA of a progress bar from the rate measured since its first update.

    click's ETA is the time since the bar was created divided by the work done, times the
    work left: it counts what comes before the first unit of work (imports, a simulation's
    set-up, and its first chunk, which also computes the quantiles). Its first ETA of `event
    --simulate` was 1:32 with 9.5 s left. This one starts its clock at the first update and
    is shown once a second has been measured since; rounded up (click floors, and showed
    ``00:00:00`` while up to a second of work was left).
    """

    def __init__(self, clock=None):
        import time

        self.bar = None
        self.clock = clock or time.monotonic
        self.first = None  # (time, position) at the first update

    def __call__(self, _item=None) -> str | None:
        bar = self.bar
        if bar is None or bar.finished or not bar.pos:
            return None
        now = self.clock()
        if self.first is None:
            self.first = (now, bar.pos)
            return None
        t1, p1 = self.first
        if bar.pos <= p1 or now - t1 < 1.0:
            return None
        t = math.ceil((now - t1) / (bar.pos - p1) * (bar.length - bar.pos))
        return f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


def _progressbar(length: int, label: str):
    """click's progress bar on standard error with the ETA of :class:`_RateEta`."""
    eta = _RateEta()
    eta.bar = click.progressbar(
        length=length, label=label, file=sys.stderr, show_eta=False, item_show_func=eta
    )
    return eta.bar


def _simulation_bar(ev, repetitions: int):
    """The progress bar of ``event --simulate`` and the ``progress`` callback for
    :func:`coursekit.event.simulate_event` (called with the repetitions done, race after
    race). The bar counts each race's repetitions times its rows: a repetition of HAUT 120
    (15 rows) takes ten times one of HAUT 10 (2 rows), and counted in repetitions the first
    ETA, after HAUT 120, was 2.5 times the time left."""
    rows = [len(race.reference_leg_s) for race in ev.races]
    bar = _progressbar(repetitions * sum(rows), "simulating")
    bar.__enter__()
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        while n > 0:
            k = min(done // repetitions, len(rows) - 1)
            step = min(n, (k + 1) * repetitions - done) if k < len(rows) - 1 else n
            bar.update(step * rows[k])
            done += step
            n -= step

    return bar, progress


SKETCH_PROFILE_WARNING = (
    "schematic sketch (written by coursekit sketch): the distance and D+/D- are those of "
    "straight legs between places, not of the course; a course file declaring the race's "
    "figures scales them"
)
"""``profile``'s warning on a GPX that ``coursekit sketch`` wrote."""


def _split_decimals(split_km: float) -> int:
    """Decimals of km that tell ``--splits KM``'s edges apart: 1, or as many as KM has
    (0.25 -> 2; up to 3, a metre: 0.05 km splits printed 0.1 0.1, 0.1 0.2, ...)."""
    nd = 1
    while nd < 3 and abs(split_km * 10**nd - round(split_km * 10**nd)) > 1e-6:
        nd += 1
    return nd


def _profile_one(path, gain_threshold, split_km):
    """``(path, profile, stats, JSON record)`` of one GPX file of ``profile``."""
    from .gpx import is_sketch_gpx, read_gpx
    from .profile import along_course_distance, course_stats, make_profile, splits

    track = read_gpx(path)
    prof = make_profile(track, gain_threshold=gain_threshold)
    st = course_stats(prof)
    sketch = is_sketch_gpx(path)
    if sketch:  # what `coursekit sketch` wrote: every output says so
        st = st._replace(warnings=(SKETCH_PROFILE_WARNING, *st.warnings))
    # the km the legs and cutoffs tables count: on the slope (on the map on a sketch or
    # without altitude), so "km 42" of a split or of the steepest km is km 42 of the legs
    along = along_course_distance(prof, slope=not sketch) if len(prof.track) else None
    rec = _profile_record(path, prof, st, schematic=sketch, along=along)
    if split_km:
        sp = splits(prof, split_km * 1000, along=along)
        # rounded as the legs table is: the splits add up to the total D+ and D- as printed
        _, gains = _cumulative_and_legs([0.0, *itertools.accumulate(sp.gain_m)])
        _, losses = _cumulative_and_legs([0.0, *itertools.accumulate(sp.loss_m)])
        rec["splits"] = [
            {
                "start_m": _num(a, 1),
                "end_m": _num(b, 1),
                "gain_m": g,
                "loss_m": lo,
                "elevation_m": _num(e, 1),
                "map_start_m": _num(ma, 1),
                "map_end_m": _num(mb, 1),
            }
            for a, b, g, lo, e, ma, mb in zip(
                sp.start_m,
                sp.end_m,
                gains[1:],
                losses[1:],
                sp.elevation_m,
                sp.map_start_m,
                sp.map_end_m,
                strict=True,
            )
        ]
    return path, prof, st, rec


PROFILE_FILE_WORK = 128 * 1024
"""What ``profile``'s progress bar counts for a file besides its bytes (a file's time is
about a fixed part plus a part per byte). On the 59 GPX files of the real-data corpus and
the bundled courses in random orders, the time left predicted after 3, 10 or 25 files is off
by x1.26 (median; x1.78 at the 90th percentile) counting bytes + 128 kB, by x1.79 (x4.9)
counting files."""


def _profile_work(path) -> int:
    """A file's share of ``profile``'s progress bar: its size and :data:`PROFILE_FILE_WORK`
    (a file that cannot be read counts that alone: it fails fast)."""
    try:
        size = Path(path).stat().st_size if Path(path).is_file() else 0
    except OSError:
        size = 0
    return size + PROFILE_FILE_WORK


def _limit_proposed(course) -> bool:
    """:func:`coursekit.cutoffs.limit_proposed` (imported when a command needs it)."""
    from .cutoffs import limit_proposed

    return limit_proposed(course)


def _hm(seconds) -> str:
    """Elapsed seconds as H:MM (:func:`coursekit.clock.hm`), ``"-"`` when missing."""
    return hm(seconds, missing="-")


def _clock(t, dated: bool = False) -> str:
    return t.strftime(clock_format(dated))


def _clock_nearest(t, dated: bool = False) -> str:
    """Clock time rounded to the nearest minute, as :func:`coursekit.clock.hm` rounds the
    elapsed beside it (halves up)."""
    from .clock import after

    return _clock(after(t, 30.0), dated)


def _clock_change_lines(start, seconds: float, dated: bool = False) -> list[str]:
    """One line per daylight-saving change during the race: the times printed after it
    are on the new offset, and an hour of clock time may happen twice."""
    from .clock import clock_change_text, clock_changes

    return [f"clock change: {clock_change_text(c, dated)}" for c in clock_changes(start, seconds)]


def _iso(t) -> str:
    """ISO 8601 to the second, rounded as :func:`_elapsed_s` rounds the ``*_elapsed_s``
    beside it, halves up (:func:`coursekit.clock.whole_seconds`; ``isoformat`` truncates: a
    time 1 s before its elapsed seconds, h96 B1; ``round`` went to even at 0.5 s, h102)."""
    from .clock import after, whole_seconds

    # clock.after adds in UTC: an aware ``+ timedelta`` on the zone's clock drops ``fold``,
    # and wrote the second occurrence of the hour the clocks go back with the first
    # one's offset (h105)
    up = whole_seconds(t.microsecond / 1e6)
    return after(t.replace(microsecond=0), up).isoformat(timespec="seconds")


def _elapsed_s(x) -> int | None:
    """An elapsed time for JSON/CSV [s]: to the whole second as :func:`_iso` writes the
    time beside it (halves up, :func:`coursekit.clock.whole_seconds`); NaN -> None."""
    from .clock import whole_seconds

    if x is None or not math.isfinite(float(x)):
        return None
    return whole_seconds(x)


def _sun_line(d) -> str:
    """One date's sun times for the cutoffs header (a SunDay; events in the date's order)."""
    from .sun import day_parts

    return "  ".join([f"sun {d.date:%a %Y-%m-%d}", *day_parts(d)])


def _cutoffs_record(p) -> dict:

    legs = p.legs
    rows = []
    n = len(legs.names)
    leg_d = legs.leg_along
    gain, leg_g = _cumulative_and_legs(legs.gain, p.course)
    loss, leg_l = _cumulative_and_legs(legs.loss, p.course)
    barrier = p.is_barrier
    for j in range(n):
        rows.append(
            {
                "name": legs.names[j],
                "distance_m": _num(legs.along[j], 1),
                "map_distance_m": _num(legs.distance[j], 1),
                "elevation_m": _num(legs.elevation[j], 1),
                "gain_m": gain[j],
                "loss_m": loss[j],
                "leg_distance_m": _num(leg_d[j], 1),
                "leg_gain_m": leg_g[j],
                "leg_loss_m": leg_l[j],
                "cutoff": _iso(p.cutoff[j]),
                "cutoff_elapsed_s": _elapsed_s(p.cutoff_elapsed[j]),
                "first_arrival": _iso(p.first_arrival[j]),
                "first_arrival_elapsed_s": _elapsed_s(p.first_arrival_elapsed[j]),
                "opens": _iso(p.opens[j]) if p.opens else None,
                "opens_elapsed_s": _elapsed_s(p.opens_elapsed[j]) if p.opens else None,
                "arrival_elapsed_s": _elapsed_s(p.arrival_elapsed[j]),
                "required_pace_s_per_m": _num(p.required_pace[j], 4),
                "dwell_s": _num(p.dwell[j]) if p.dwell is not None else 0,
                "night": bool(p.night[j]),
                "fixed": bool(p.fixed[j]),
                "barrier": bool(barrier[j]),
            }
        )
    sun = [
        {
            "date": d.date.isoformat(),
            "dawn": _iso(d.dawn) if d.dawn else None,
            "sunrise": _iso(d.sunrise) if d.sunrise else None,
            "sunset": _iso(d.sunset) if d.sunset else None,
            "dusk": _iso(d.dusk) if d.dusk else None,
            "polar": d.polar or None,
        }
        for d in p.sun
    ]
    return {
        "course": p.course.name,
        "start": _iso(p.cutoff[0]),
        "limit_s": _num(p.course.limit_s),
        # the limit of a [[proposed]] table (none published): every barrier rests on it
        "limit_proposed": _limit_proposed(p.course),
        "model": p.model,
        "schematic": bool(getattr(p.course, "schematic", False)),
        "night_sections": [{"start_m": _num(a, 1), "end_m": _num(b, 1)} for a, b in p.night_along],
        "sun": sun,
        "warnings": list(p.warnings),
        "checkpoints": rows,
    }


def _params_option(*conflicts: str):
    """The ``--params PARAMS.toml`` option (``params_file``) of a command whose options
    ``conflicts`` (``"model"``, ``"fatigue"``) the file sets: its help names them, and the
    command refuses them with it (:func:`_params_conflict`, run before the command's body),
    so the help and the check cannot disagree."""
    import functools

    named = " or ".join(f"--{c}" for c in conflicts)
    option = click.option(
        "--params",
        "params_file",
        type=FILE,
        default=None,
        metavar="PARAMS.toml",
        help="Pace parameters written by `coursekit calibrate` (TOML/JSON). They include the "
        f"model and the fatigue: {named} with --params is a usage error (edit the file "
        "instead).",
    )

    def decorator(f):
        @functools.wraps(f)
        def command(*args, **kwargs):
            _params_conflict(kwargs["params_file"], conflicts)
            return f(*args, **kwargs)

        return option(command)

    return decorator


def _params_conflict(params_file, options) -> None:
    """--params with one of ``options`` (--model, --fatigue) given on the command line: a
    usage error (exit 2); the parameter file sets them."""
    from click.core import ParameterSource

    if params_file is None:
        return
    ctx = click.get_current_context()
    given = [
        f"--{name}"
        for name in options
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    ]
    if given:
        raise click.UsageError(
            f"{' and '.join(given)} cannot be combined with --params: the parameter file "
            f"sets the model and the fatigue ({params_file}); edit it instead"
        )


def _load_plan(course_path, model, round_minutes, fatigue, params_file=None, tolerance_m=None):
    """The cutoffs plan of a course file. When the plan is impossible with the pace
    parameters given (``--fatigue``, ``--params``) but possible with the calibrated ones,
    the message blames those parameters, not the course file's limit."""
    from .checkpoints import course_legs
    from .course import load_course
    from .cutoffs import plan
    from .pace import params_for

    course = load_course(course_path, tolerance_m=tolerance_m)
    legs = course_legs(course)
    params = _read_params(params_file) if params_file else None

    def make(params, fatigue):
        return plan(
            course,
            model=model,
            fatigue=fatigue,
            round_minutes=round_minutes,
            legs=legs,
            params=params,
        )

    try:
        return make(params, fatigue)
    except PlanError as exc:
        if params is None and fatigue is None:
            raise
        # the defaults of the model asked for: the file's model, else --model
        default = params_for(params.model if params is not None else model)
        try:
            make(default, None)
        except CoursekitError:
            raise exc from None  # the default parameters fail too: the course is to blame
        why = str(exc)
        why = why.removeprefix(f"{course.path}: ").removeprefix(f"{course_path}: ")
        if params is not None:
            raise PlanError(
                f"{params_file}: these pace parameters make the pace impossible on this "
                f"course ({why}); the default parameters of model {default.model} fit the "
                "limit"
            ) from None
        way = "lower" if fatigue > default.fatigue else "raise"
        raise PlanError(
            f"--fatigue {fatigue:g} makes the pace impossible ({why}); with the default "
            f"fatigue of --model {model} ({default.fatigue:g}) the limit is "
            f"enough: {way} --fatigue"
        ) from None


def _read_params(path: Path):
    """A parameter set written by `coursekit calibrate` (TOML or JSON), every value checked:
    a bad one is ``<file>: key '<key>': <problem>``."""
    import dataclasses
    import tomllib

    from .course import unknown_key_note
    from .pace import GRADE_MODELS, TRAIL_2024, params_for, params_range_problem

    if not path.is_file():
        raise ValueError(f"{path}: no such parameter file (or not a regular file)")
    if path.stat().st_size > 1_000_000:
        raise ValueError(f"{path}: too large for a parameter file (over 1 MB)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read pace parameters: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a table of pace parameters ([pace] or an object)")
    data = data.get("pace", data)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: key 'pace': expected a table of pace parameters")
    known = {f.name for f in dataclasses.fields(TRAIL_2024)}
    bad = [k for k in data if k not in known]
    if bad:  # the first, as the course file names an unknown key, in its words
        raise ValueError(
            f"{path}: key {bad[0]!r}: unknown pace parameter {unknown_key_note(bad[0], known)}"
        )
    for key, v in data.items():
        where = f"{path}: key {key!r}"
        if key == "model":
            if not isinstance(v, str) or v not in GRADE_MODELS:
                raise ValueError(
                    f"{where}: unknown pace model {v!r}; valid models: {', '.join(GRADE_MODELS)}"
                )
            continue
        if not _finite(v):
            kind = {str: "a string", bool: "a boolean", list: "an array", dict: "a table"}
            if isinstance(v, int) and not isinstance(v, bool):
                got = f"an integer of {len(str(abs(v)))} digits"
            elif isinstance(v, float):
                got = repr(v)
            else:
                got = "null" if v is None else f"{kind.get(type(v), type(v).__name__)} {v!r}"
            raise ValueError(f"{where}: expected a finite number, got {got}")
        problem = params_range_problem(key, float(v))
        if problem:
            raise ValueError(f"{where}: {problem}")
    # on the named model's defaults, as --model gives them (kme: no fatigue nor altitude)
    base = params_for(data.get("model", "trail"))
    return base.with_(**{k: float(v) for k, v in data.items() if k != "model"})


def _finite(v) -> bool:
    """A number (not a boolean) that converts to a finite float (a JSON integer of 400
    digits does not: OverflowError)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


MODEL_CHOICE = click.Choice(["trail", "minetti2002", "tobler1993", "kay2012", "kme"])
MODEL_OPTION = click.option(
    "--model",
    type=MODEL_CHOICE,
    default="trail",
    show_default=True,
    help="Grade model of the reference runner (kme: proportional to km-effort).",
)


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@MODEL_OPTION
@ROUND_OPTION
@click.option(
    "--fatigue",
    type=click.FloatRange(0, 1, max_open=True),
    default=None,
    metavar="F",
    help="Speed lost per 100 km-effort (default: calibrated). Not with --params.",
)
@_params_option("model", "fatigue")
@TOLERANCE
@click.option(
    "-o",
    "--output",
    type=REPORT_OUTPUT,
    callback=_report_output,
    default=None,
    help="Write to this file instead of standard output.",
)
def cutoffs(course_file, fmt, model, round_minutes, fatigue, params_file, tolerance_m, output):
    """Time barriers at every checkpoint inside the overall limit, leader ETAs and night.

    Each barrier is the departure deadline of a reference last finisher who
    reaches the finish exactly at the limit (slower uphill, downhill, at
    night, at altitude and as fatigue builds up). Fixed cutoffs of the course
    file are kept.

    The leader's ETA (and so when a station opens) also depends on the limit:
    in the default model the leader's finish is the geometric mean of 0.39 x the limit and the
    course's km-effort at 14.1 km-effort/h, since a generous limit is set for
    slow terrain (docs/calibration.md). A limit loosened for hikers therefore
    delays the leader's ETA and the openings (14 h -> 18 h: about 13 % later).

    \b
    Example:
        coursekit cutoffs courses/haut/haut-120.toml
        coursekit cutoffs courses/haut/haut-120.toml --format json -o cutoffs.json
        coursekit cutoffs courses/haut/haut-120.toml --round 5 --fatigue 0.2
    """
    inputs = _course_inputs(course_file) + [("the --params file", params_file)]
    _distinct_outputs(output, inputs=inputs)
    p = _load_plan(course_file, model, round_minutes, fatigue, params_file, tolerance_m)
    rec = _cutoffs_record(p)
    if fmt == "json":
        text = json.dumps(rec, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        # the JSON's top-level flags on every row (a CSV has no header block), appended last
        keys = [k for k in rec["checkpoints"][0]]
        flags = [rec["schematic"], rec["limit_proposed"]]
        rows = [[r[k] for k in keys] + flags for r in rec["checkpoints"]]
        text = _csv(keys + ["schematic", "limit_proposed"], rows)
        for w in p.warnings:  # the table has no room for them: on standard error
            click.echo(f"warning: {w}", err=True)
    else:
        legs = p.legs
        dated = p.course.limit_s > DATED_S
        head = [
            f"{p.course.name}  start {_clock(p.cutoff[0])} {p.cutoff[0]:%Y-%m-%d}  "
            f"limit {limit_hm(p.course.limit_s)}"
            + (" (proposed, not published)" if _limit_proposed(p.course) else "")
            + f"  clock {_zone(p.cutoff[0], p.course)}",
            *_clock_change_lines(p.cutoff[0], p.course.limit_s, dated),
            f"model {p.model}",
        ]
        head += [_sun_line(d) for d in p.sun]
        if p.night_sections:
            head.append(
                "night (reference runner): "
                + ", ".join(f"km {a / 1000:.1f}-{b / 1000:.1f}" for a, b in p.night_along)
            )
        rows = []
        _, leg_g = _cumulative_and_legs(legs.gain, p.course)  # as the JSON writes them
        _, leg_l = _cumulative_and_legs(legs.loss, p.course)
        no_barrier = p.no_barrier  # barrier = false rows (the start is never one)
        for j, name in enumerate(legs.names):
            pace = p.required_pace[j]
            # one minute for the clock and the elapsed time: a barrier's seconds dropped
            # (leave before it), the leader's ETA to the nearest minute
            start = p.cutoff[0]
            cut = f"{_clock(p.cutoff[j], dated)} ({_hm(shown_elapsed(start, p.cutoff[j]))})"
            rows.append(
                [
                    name,
                    f"{legs.along[j] / 1000:.1f}",
                    _fmt(legs.elevation[j]),
                    _fmt(leg_g[j]) if j else "",
                    _fmt(leg_l[j]) if j else "",
                    (f"[{cut}]" if no_barrier[j] else cut) + ("*" if p.fixed[j] else ""),
                    # the start row's ETA is the start, written as the start is
                    f"{_clock_nearest(p.first_arrival[j], dated) if j else _clock(start, dated)} "
                    f"({_hm(shown_elapsed(start, p.first_arrival[j], nearest=bool(j)))})",
                    _clock(p.opens[j], dated) if p.opens else "",
                    f"{pace * 1000 / 60:.1f}" if j and math.isfinite(pace) else "",
                    "night" if p.night[j] else "",
                ]
            )
        text = (
            "\n".join(head)
            + "\n\n"
            + _table(
                [
                    "checkpoint",
                    "km",
                    "alt m",
                    "leg D+",
                    "leg D-",
                    "cutoff (elapsed)",
                    "leader ETA",
                    "opens",
                    "min/km",
                    "night",
                ],
                rows,
                "lrrrrlllrl",
            )
        )
        if p.fixed.any():
            text += "* fixed in the course file\n"
        if no_barrier.any():
            text += (
                "[ ] no barrier (barrier = false): the reference last finisher's passage, "
                "when the station may close\n"
            )
        for w in p.warnings:
            text += f"warning: {w}\n"
    _emit(text, output)


def _history_setup(
    course_file, times, start_column, columns, *, tolerance_m=None, need_checkpoint=False
):
    """The course, its legs and the split times mapped to its rows (backtest, calibrate).

    ``need_checkpoint``: a course with intermediate checkpoints none of which has a column
    in the times is an error (``calibrate``: parameters fitted on the finish alone, of
    another race's file, would be written as if they fitted this course; ``backtest``:
    no barrier checked, "0 of N finishers cut" of another race's file)."""
    import dataclasses

    import numpy as np

    from .checkpoints import course_legs
    from .course import load_course
    from .history import (
        backwards_note,
        early_start_note,
        elapsed_matrix,
        fit_checks,
        implausible_note,
        map_columns,
        naive_note,
        origin_column,
        read_times,
        swapped_message,
        timed_ends,
        times_zone,
        unused_columns_note,
    )

    course = load_course(course_file, tolerance_m=tolerance_m)
    legs = course_legs(course)
    # times without a UTC offset are wall times of the course's zone (as a naive start is);
    # without a zone, of the course start's offset
    st = read_times(times, tz=times_zone(course))
    explicit = {}
    for item in columns:
        if "=" not in item:
            raise ValueError(f"--column expects CHECKPOINT=COLUMN, got {item!r}")
        k, v = item.split("=", 1)
        k, v = k.strip(), v.strip()
        if explicit.get(k, v) != v:  # the later one silently replaced the first
            raise OptionError(
                f"--column: checkpoint {k!r} given twice, for columns {explicit[k]!r} and {v!r}"
            )
        explicit[k] = v
    wps = [getattr(s, "waypoint", None) if s is not None else None for s in legs.specs]
    mapping, how = map_columns(
        legs.names,
        st.columns,
        waypoints=wps,
        explicit=explicit,
        names_source=course_file,
        columns_source=times,
    )
    # a start or finish row the names did not map: the column the times say, as `event
    # --times` does ("Départ" for "Millau" when the columns are out of course order),
    # never a column that looks like an intermediate checkpoint's
    warnings = list(st.warnings)
    naive = naive_note(st, course)
    if naive:
        warnings.append(naive)
    ends, _ = timed_ends(
        mapping, st.time, names=legs.names, columns=st.columns, waypoints=wps, notes=warnings
    )
    for j in (0, len(mapping) - 1):
        if ends[j] != mapping[j]:
            how[j] = "times" if ends[j] is not None else "unmapped"
    mapping = ends
    if start_column is None and mapping[0] is None:
        offsets = "the UTC offsets written in the file" if not st.naive else "their time zone"
        warnings.append(
            f"the start row {legs.names[0]!r} has no column in {Path(times).name}: "
            f"elapsed times are counted from the course's start "
            f"({course.start.isoformat()}) with {offsets}; "
            "if they are wrong, give --start-column"
        )
    if mapping[-1] is None:
        warnings.append(
            f"the finish row {legs.names[-1]!r} has no column in {Path(times).name}: "
            f"finish times not checked; {_finish_hint(legs.names[-1], st, mapping, legs.names)}"
        )
    stamps = np.full((len(st.bib), len(mapping)), np.nan)
    for j, c in enumerate(mapping):
        if c is not None:
            stamps[:, j] = st.time[:, c]
    # most runners backwards: a column matched to the wrong checkpoint, not timing glitches
    swapped = swapped_message(stamps, legs.names, st.columns, mapping, times)
    if swapped:
        raise ValueError(swapped)
    back = backwards_note(stamps, st.bib, times)
    if back:
        warnings.append(back)
    idle = unused_columns_note(st, mapping, course_file, start_column=start_column)
    if idle:
        warnings.append(idle)
    el = elapsed_matrix(st, mapping, start_column=start_column, start_ts=course.start.timestamp())
    # a start cell before the first wave (a chip tested at the arch, a wrong date) is not the
    # origin: named, so that the user knows which row the file has wrong
    starts = origin_column(st, mapping, start_column)
    early = (
        early_start_note(starts, st.bib, times, tz=times_zone(course))
        if starts is not None
        else None
    )
    if early:
        warnings.append(early)
    odd = implausible_note(el, st.finisher, st.bib, course.limit_s, times)
    if odd:
        warnings.append(odd)
    # a file that plainly does not fit the course (the median finisher beyond the limit, at
    # an implausible km-effort speed, or at speeds that do not follow the course's distances):
    # one line on standard error, whatever the output (the run goes on: exit 0), and in the
    # warnings of a JSON or TOML output
    misfit, unfit = fit_checks(
        el,
        st.finisher,
        mapping,
        legs.names,
        st.columns,
        limit_s=course.limit_s,
        course_file=course_file,
        source=times,
        km_effort=legs.km_effort,
        start_column=start_column,
    )
    if need_checkpoint and unfit:
        raise ValueError(unfit)
    for w in misfit:
        click.echo(f"warning: {w}", err=True)
    st = dataclasses.replace(st, warnings=tuple(misfit + warnings))
    return course, legs, st, mapping, how, el, misfit


def _finish_hint(name, st, mapping, names) -> str:
    """How to map an unmapped finish row: the column most runners pass last (an explicit
    --column wins over the name that matched it to an intermediate row)."""
    import numpy as np

    t = st.time[np.isfinite(st.time).sum(axis=1) >= 2]
    if not t.size:
        return f'map it with --column "{name}=COLUMN"'
    c = int(np.argmax(np.bincount(np.nanargmax(t, axis=1), minlength=t.shape[1])))
    rows = [j for j, m in enumerate(mapping) if m == c]
    now = f", now matched to {names[rows[0]]!r}" if rows else ""
    return f'map it with --column "{name}={st.columns[c]}" (the column most runners pass last{now})'


HISTORY_OPTIONS = [
    click.option("--times", type=FILE, metavar="TIMES.csv", required=True, help="Split-time CSV."),
    click.option(
        "--start-column",
        default=None,
        metavar="NAME",
        help="Column whose earliest time is the start (default: the start row's).",
    ),
    click.option(
        "--column",
        "columns",
        multiple=True,
        metavar="CHECKPOINT=COLUMN",
        help="Map a checkpoint to a CSV column explicitly (repeatable).",
    ),
    TOLERANCE,
]


def _history_options(f):
    for opt in reversed(HISTORY_OPTIONS):
        f = opt(f)
    return f


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
@_history_options
@MODEL_OPTION
@ROUND_OPTION
@_params_option("model")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("-o", "--output", type=REPORT_OUTPUT, callback=_report_output, default=None)
def backtest(
    course_file,
    times,
    start_column,
    columns,
    tolerance_m,
    model,
    round_minutes,
    params_file,
    fmt,
    output,
):
    """Check computed barriers against a past edition's split times.

    Per barrier: finishers and non-finishers who passed, the latest finisher's
    passage, and how many actual finishers the barrier would have eliminated.
    Checkpoints are matched to CSV columns by name, then GPX waypoint name,
    then by order, and the start and finish rows left over by the times
    (shown in the `column` column); use --column to force one. A file in which
    none of the course's intermediate checkpoints has a column is refused (as
    by calibrate), unless it holds start and finish times only and fits the
    course.

    \b
    Example:
        coursekit backtest course.toml --times times_2024.csv
        coursekit backtest course.toml --times t.csv --column "Cilaos=Cilaos (Stade)"
        coursekit backtest course.toml --times t.csv --params pace.toml
    """
    import numpy as np

    from .cutoffs import plan
    from .history import backtest as run_backtest

    inputs = _course_inputs(course_file) + [("the --times file", times)]
    _distinct_outputs(output, inputs=inputs + [("the --params file", params_file)])
    params = _read_params(params_file) if params_file else None
    course, legs, st, mapping, how, el, misfit = _history_setup(
        course_file, times, start_column, columns, tolerance_m=tolerance_m, need_checkpoint=True
    )
    p = plan(course, model=model, round_minutes=round_minutes, legs=legs, params=params)
    # rows with barrier = false stop nobody: not counted as cuts
    bt = run_backtest(el, st.finisher, np.where(p.is_barrier, p.cutoff_elapsed, np.nan))
    # intermediate barriers without a column: nobody can be counted as cut there
    unchecked = [
        legs.names[j]
        for j in range(1, len(legs.names) - 1)
        if p.is_barrier[j] and mapping[j] is None
    ]
    warnings = list(st.warnings)
    if unchecked:
        k = len(unchecked)
        warnings.insert(
            0,
            f"{_count(k, 'barrier')} not checked, no column in {Path(times).name}: "
            f"{', '.join(repr(n) for n in unchecked)} (the columns: {', '.join(st.columns)}; "
            'map one with --column "CHECKPOINT=COLUMN")',
        )
    recs = []
    for j, name in enumerate(legs.names):
        recs.append(
            {
                "name": name,
                "column": st.columns[mapping[j]] if mapping[j] is not None else None,
                "matched_by": how[j],
                "cutoff_elapsed_s": _elapsed_s(p.cutoff_elapsed[j]),
                "barrier": bool(p.is_barrier[j]),
                "finishers_passed": int(bt.finishers_passed[j]),
                "others_passed": int(bt.others_passed[j]),
                "latest_finisher_elapsed_s": _num(bt.latest_finisher[j]),
                "finishers_cut": int(bt.cut_here[j]),
                # each finisher once, at the first barrier that stops him (the counts add
                # up to the total); "finishers_cut" counts each barrier on its own
                "finishers_first_cut": (
                    int(bt.first_cut[j]) if 0 < j < len(legs.names) - 1 else None
                ),
            }
        )
    summary = {
        "course": course.name,
        "times": str(times),
        "model": p.model,
        "finishers": bt.finishers,
        "finishers_cut": bt.finishers_cut,
        "barriers_not_checked": unchecked,
        "warnings": warnings,
        "checkpoints": recs,
    }
    if fmt == "json":
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        keys = list(recs[0])
        text = _csv(keys, [[r[k] for k in keys] for r in recs])
        for w in warnings:  # the table has no room for them: on standard error
            if w not in misfit:  # already there
                click.echo(f"warning: {w}", err=True)
    else:
        rows = [
            [
                r["name"],
                r["column"] or "-",
                r["matched_by"],
                _hm(r["cutoff_elapsed_s"]) if r["barrier"] or not j else "none",
                str(r["finishers_passed"]),
                str(r["others_passed"]),
                _hm(r["latest_finisher_elapsed_s"]),
                str(r["finishers_cut"]),
                "-" if r["finishers_first_cut"] is None else str(r["finishers_first_cut"]),
            ]
            for j, r in enumerate(recs)
        ]
        text = _table(
            [
                "checkpoint",
                "column",
                "by",
                "barrier",
                "finishers",
                "others",
                "latest fin.",
                "cut alone",
                "cut first",
            ],
            rows,
            "lllrrrrrr",
        )
        text += (
            "cut alone: finishers later than this barrier, each barrier on its own (a finisher "
            "late at two barriers is in both); cut first: those it would stop first (they add "
            "up to the total below; the finish is the limit the race was run with)\n"
        )
        share = 100.0 * bt.finishers_cut / max(bt.finishers, 1)
        k = len(unchecked)
        skipped = f" ({_count(k, 'barrier')} not checked: no column)" if k else ""
        text += (
            f"\n{bt.finishers_cut} of {bt.finishers} finishers ({share:.2f} %) would have "
            f"been eliminated by the intermediate barriers{skipped}\n"
        )
        for w in warnings:
            # the misfits are on standard error already: not twice on a terminal, but in a
            # report written with -o (as event's --times warnings)
            if output is not None or w not in misfit:
                text += f"warning: {w}\n"
    _emit(text, output)


@cli.command()
@click.argument("course_file", metavar="COURSE.toml", type=FILE)
@_history_options
@click.option(
    "--quantile",
    type=click.FloatRange(0.5, 1.0),
    default=0.9,
    show_default=True,
    help="Finishers' quantile the reference runner follows.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True
)
@click.option("-o", "--output", type=REPORT_OUTPUT, callback=_report_output, default=None)
def calibrate(course_file, times, start_column, columns, tolerance_m, quantile, fmt, output):
    """Fit the pace model (fatigue, downhill cost, leader) to a past edition's split times.

    The reference runner is fitted to the finishers' QUANTILE passage times
    scaled to the limit, penalised by the share of the file's finishers its
    barriers would cut (rms % of the limit + 2 x % cut: λ = 2, the value of the
    benchmark's objective, taken a priori); the leader to the first finisher. The output
    says how many of the file's finishers the calibrated barriers (rounded to
    15 min) would cut. The result can be passed back with `coursekit cutoffs
    --params` and checked with `coursekit backtest --params`. A file in which
    none of the course's intermediate checkpoints has a column is refused
    (map them with --column), unless it holds start and finish times only and
    fits the course; nothing is written. Only what the times determine is
    fitted: down not on a course without descent, and no more parameters than
    intermediate checkpoints timed (fatigue first); a note names the others,
    kept at their defaults.

    \b
    Example:
        coursekit calibrate course.toml --times times_2024.csv -o pace.toml
        coursekit cutoffs course.toml --params pace.toml
        coursekit backtest course.toml --times times_2024.csv --params pace.toml
    """
    import dataclasses

    import numpy as np

    from .cutoffs import course_setup, plan, plan_dark, spec_arrays
    from .history import backtest as run_backtest
    from .history import calibrate as fit
    from .history import calibrate_notes
    from .pace import PARAMS_RANGES, params_range_problem

    _distinct_outputs(output, inputs=_course_inputs(course_file) + [("the --times file", times)])
    course, legs, st, mapping, how, el, misfit = _history_setup(
        course_file, times, start_column, columns, tolerance_m=tolerance_m, need_checkpoint=True
    )
    if mapping[-1] is None:
        raise ValueError(
            f"{times}: the finish row {legs.names[-1]!r} has no column, cannot calibrate (the "
            f"finishers' times are scaled to the limit at the finish); "
            f"{_finish_hint(legs.names[-1], st, mapping, legs.names)}"
        )
    grid, start, lat, lon = course_setup(course, legs)
    # the barriers `cutoffs` gives: the course's stops, fixed cutoffs and barrier = false
    # rows, from the checkpoints (not from a plan at the default parameters, which may not
    # make the limit where the calibrated ones do)
    dwell, fixed, no_barrier = spec_arrays(course, legs)
    dark = plan_dark(course, lat, lon, start)
    unfitted: list[str] = []  # the parameters the split times cannot determine
    try:
        params, rms = fit(
            grid,
            el,
            st.finisher,
            limit_s=course.limit_s,
            start=start,
            dark=dark,
            quantile=quantile,
            dwell=dwell,
            fixed=fixed,
            barrier=~no_barrier,
            names=list(legs.names),
            notes=unfitted,
        )
    except (CoursekitError, ValueError) as exc:
        msg = str(exc)
        raise ValueError(msg if str(times) in msg else f"{times}: {msg}") from None
    fin = st.finisher
    lead = np.nanmin(np.where(fin, el[:, -1], np.nan)) if fin.any() else math.nan
    fraction = round(float(lead / course.limit_s), 4) if math.isfinite(lead) else math.nan
    leader_note = None
    if 0.0 < fraction < 1.0:
        # the edition's own winner: the fraction of the limit alone (weight 1)
        params = params.with_(leader_fraction=fraction, leader_weight=1.0)
    elif math.isfinite(lead):
        leader_note = (
            f"the first finisher of {Path(times).name} reaches the finish at {_hm(lead)}, "
            f"{'beyond' if lead > 0 else 'at or before'} the "
            f"{'limit' if lead > 0 else 'start'} ({_hm(course.limit_s)} limit): leader not "
            f"fitted, kept at the defaults (leader_fraction {params.leader_fraction:g}, "
            f"leader_weight {params.leader_weight:g}); check the file's start times"
        )
    # what is written must be read back by `cutoffs --params` (the same ranges)
    bad = [
        f"{k} = {getattr(params, k)!r}: {problem}"
        for k in PARAMS_RANGES
        if (problem := params_range_problem(k, getattr(params, k)))
    ]
    if bad:
        raise ValueError(f"{times}: calibrated parameters out of range: {'; '.join(bad)}")

    # what `backtest --params` will say of these parameters, and of the defaults
    def finishers_cut(pl):
        return run_backtest(
            el, fin, np.where(pl.is_barrier, pl.cutoff_elapsed, np.nan)
        ).finishers_cut

    calibrated = plan(course, legs=legs, params=params)
    cut = {"calibrated": finishers_cut(calibrated), "defaults": None}
    try:
        cut["defaults"] = finishers_cut(plan(course, legs=legs))
    except PlanError:
        pass  # the defaults do not make the limit: nothing to compare with
    round_minutes = calibrated.round_minutes
    n_fin = int(fin.sum())
    defaults = (
        cut["defaults"]
        if cut["defaults"] is not None
        else "none, they cannot make the limit (no plan)"
    )
    cut_line = (
        f"finishers of {Path(times).name} the calibrated barriers (rounded to "
        f"{round_minutes:g} min) would cut: {cut['calibrated']} of {n_fin} "
        f"({100.0 * cut['calibrated'] / max(n_fin, 1):.2f} %); the default parameters': "
        f"{defaults}"
    )
    warnings = list(st.warnings)
    unused = [legs.names[j] for j in range(1, len(legs.names) - 1) if mapping[j] is None]
    if unused:
        warnings.insert(
            0,
            f"not fitted, no column in {Path(times).name}: "
            f"{', '.join(repr(n) for n in unused)} (the columns: {', '.join(st.columns)}; "
            'map one with --column "CHECKPOINT=COLUMN")',
        )
    notes = unfitted + calibrate_notes(params) + ([leader_note] if leader_note else [])
    d = dataclasses.asdict(params)
    if fmt == "json":
        text = (
            json.dumps(
                {
                    "pace": d,
                    "rms_fraction_of_limit": round(rms, 5),
                    "finishers": n_fin,
                    "finishers_cut": cut["calibrated"],
                    "finishers_cut_defaults": cut["defaults"],
                    "notes": notes,
                    "warnings": warnings,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    else:
        text = f"# coursekit calibrate {course_file.name} --times {times.name}\n"
        text += f"# rms residual {100 * rms:.2f} % of the limit (quantile {quantile:g})\n"
        text += f"# {cut_line}\n"
        text += "".join(f"# note: {n}\n" for n in notes)
        text += "".join(f"# warning: {w}\n" for w in warnings)
        text += "[pace]\n"
        for k, v in d.items():
            text += f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v!r}\n"
    _emit(text, output)
    if output is not None:  # the file's comment, where the user looks
        click.echo(cut_line, err=True)


# ---------------- event


def _finish_shares(values) -> float | dict | None:
    """--finish-share: one share (a bare SHARE), or {race name: share} ("" for a bare
    SHARE beside named races); each share in (0, 1)."""
    if not values:
        return None
    out: dict[str, float] = {}
    for item in values:
        key, sep, text = item.rpartition("=")
        key = key.strip()
        try:
            share = float(text)
        except ValueError:
            share = math.nan
        if not 0 < share < 1:  # NaN too
            raise click.BadParameter(
                f"{item!r}: expected SHARE or RACE=SHARE with SHARE between 0 and 1 "
                "(e.g. 0.9, or 'HAUT 42=0.93')",
                param_hint="'--finish-share'",
            )
        if key in out:
            what = f"race {key!r}" if key else "every race (a bare SHARE)"
            raise click.UsageError(f"--finish-share given twice for {what}")
        out[key] = share
    return out[""] if list(out) == [""] else out


SIMULATE_OPTIONS = {
    "n_runners": "'--simulate'",
    "repetitions": "'--repetitions'",
    "finish_share": "'--finish-share'",
}
"""The `event` option of each keyword argument of :func:`coursekit.event.simulate_event`,
named by its :class:`~coursekit.errors.OptionError` (a usage error of those options)."""


def _event_duration(text: str, option: str = "") -> float:
    """An option's duration; a bad value is click's usage error (exit status 2), and a bare
    0 in any form ("0", "00", "0.00") is accepted (no unit needed for nothing)."""
    from .course import parse_duration

    bare = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", bare) and float(bare) == 0:  # "0", "00", "0.00"
        return 0.0
    if re.fullmatch(r"\d+(\.\d+)?", bare):  # the course file's advice is TOML's, not ours
        raise click.BadParameter(
            f"{bare!r} has no unit: write {option or 'it'} {bare}m for minutes or "
            f"{bare}h for hours (also 1h30, 90s)",
            param_hint=option,
        )
    try:
        return parse_duration(text)
    except (CoursekitError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _finite_radius(value: float) -> float:
    """--radius: a finite distance (click's FloatRange lets inf and nan through, which
    the grouping then refused as an input error naming ``radius_m``)."""
    if not math.isfinite(value):
        raise click.BadParameter(
            f"{value}: expected a distance in metres (a finite number >= 0)",
            param_hint="'--radius'",
        )
    return value


@cli.command()
@click.argument(
    "event_path", metavar="EVENT.toml|EVENT_DIR", type=click.Path(readable=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    default="text",
    show_default=True,
    help="The event's one clock is the event file's timezone, else the races' shared zone: "
    "the text is on it, the JSON names it (top-level timezone) and the CSV's local columns "
    "(*_local) are on it, named in the timezone column, each with its UTC offset (the ISO "
    "columns keep each time's own offset). With no such clock, each CSV row is on its "
    "race's.",
)
@click.option(
    "--margin",
    default="30m",
    show_default=True,
    help="A station opens this long before the first runner's ETA, or at the plan's "
    "opening (the leader's ETA less 15 % of his elapsed time) when that is earlier.",
)
@click.option(
    "--sweep",
    default="30m",
    show_default=True,
    help="A station closes this long after its latest barrier.",
)
@click.option(
    "--gap",
    default="2h",
    show_default=True,
    help="A station no race needs for longer than this (from one race's barrier plus "
    "--sweep to the next one's opening) closes in between: it has several staffing windows.",
)
@click.option(
    "--radius",
    "radius_m",
    type=click.FloatRange(min=0),
    callback=lambda ctx, param, value: _finite_radius(value),
    default=200.0,
    show_default=True,
    metavar="M",
    help="Checkpoints within M metres of each other are one station; so are checkpoints "
    "with the same name up to 1 km apart.",
)
@click.option(
    "--simulate",
    "n_runners",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Simulate N runners per race: eliminations per barrier, runners per hour, sweep. "
    "A race given its starters in the event file's [runners] table is simulated with those "
    "(they win over N; N is the default for the others).",
)
@click.option(
    "--repetitions",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Repetitions of the simulation (bands are 5th-95th percentiles over them).",
)
@click.option(
    "--finish-share",
    "finish_shares",
    multiple=True,
    metavar="[RACE=]SHARE",
    help="Share of starters who finish, honoured as given: SHARE for every race, "
    "RACE=SHARE for one (repeatable; RACE is the race's name). Without it: 0.78 (mountain "
    "ultras), but the barriers time out at most 5 % of the starters, so where 0.78 would "
    "time out more the field is made faster and more finish (86-91 % on the bundled "
    "events; a warning says so); see DEFAULT_FIELD. A race under 75 km-effort is warned "
    "about, with the share past races give its size (capped at 0.95, reached under 43 "
    "km-effort).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Random seed (same seed, same result); default a drawn one, printed with the results.",
)
@click.option(
    "--times",
    "times",
    multiple=True,
    metavar="[RACE=]TIMES.csv",
    help="Calibrate RACE's simulated field on a past edition's split times (repeatable; "
    "RACE is the race name or course file stem, omitted for a single course file).",
)
@click.option(
    "--plot",
    type=click.Path(readable=False, dir_okay=False, path_type=Path),
    callback=_figure_path,
    metavar="OUT.png|OUT.svg",
    multiple=True,
    help="Draw the runners arriving per clock hour at each station (needs --simulate); "
    "repeat it for more formats (--plot o.png --plot o.svg).",
)
@click.option(
    "-o",
    "--output",
    type=REPORT_OUTPUT,
    callback=_report_output,
    default=None,
    help="Write the report to this file instead of standard output.",
)
def event(
    event_path,
    fmt,
    margin,
    sweep,
    gap,
    radius_m,
    n_runners,
    repetitions,
    finish_shares,
    seed,
    times,
    plot,
    output,
):
    """Staffing windows of aid stations shared by an event's races; simulate the field.

    A station opens --margin before the earliest first runner of any race (or
    at the plan's opening, 15 % of the leader's elapsed time before his ETA,
    when that is earlier) and closes --sweep after the latest barrier; where no
    race needs it for longer than --gap it closes in between, so it may have
    several staffing windows (one line each); "dark" means it is staffed in the
    dark. The leader's ETA grows with a race's limit (see coursekit cutoffs
    --help): a looser limit opens the stations later. With --simulate: expected
    eliminations per
    barrier (5-95 % band), the peak at each station (the most runners arriving within
    any 60 minutes, a sliding window: the staffing figure), and the last runner's ETA;
    the runners per clock hour are in the JSON and the occupancy CSV/--plot.

    Checkpoints are located with each course file's 'tolerance' (else 250 m):
    there is no --tolerance, which would replace every race's at once.

    \b
    Example:
        coursekit event courses/haut
        coursekit event courses/haut/event.toml --format json --margin 1h
        coursekit event courses/haut --simulate 300 --seed 1 --plot occupancy.png
    """
    from .event import event_summary, load_event_plan, simulate_event
    from .figures import occupancy_figure
    from .maps import event_zone

    _distinct_outputs(output, plot)
    margin_s = _event_duration(margin, "--margin")
    sweep_s = _event_duration(sweep, "--sweep")
    gap_s = _event_duration(gap, "--gap")
    history = {}
    for item in times:
        key, _, csv_path = (
            ("", "", item) if Path(item).is_file() or "=" not in item else (item.partition("="))
        )
        key = key.strip()
        if key in history:
            what = f"race {key!r}" if key else "the course (a bare TIMES.csv)"
            raise click.UsageError(f"--times given twice for {what}")
        history[key] = Path(csv_path.strip())
    if history and not n_runners:
        raise click.UsageError("--times needs --simulate N")
    inputs = [("a --times file", path) for path in history.values()]
    _distinct_outputs(output, plot, _event_inputs(event_path) + inputs)
    finish_share = _finish_shares(finish_shares)
    if finish_share is not None and not n_runners:
        raise click.UsageError("--finish-share needs --simulate N")
    try:
        ev = load_event_plan(
            event_path,
            margin_s=margin_s,
            sweep_s=sweep_s,
            radius_m=radius_m,
            history=history,
            gap_s=gap_s,
        )
    except OptionError as exc:  # a RACE= naming no race: a usage error, as --finish-share's
        raise click.BadParameter(str(exc), param_hint="'--times'") from None
    # what reading the --times files found (DNS rows, ignored columns, naive times, a file
    # that does not fit): on standard error whatever the output, as backtest's misfits,
    # before the simulation runs
    for w in ev.history_warnings:
        click.echo(f"warning: {w}", err=True)
    if n_runners:
        bar = None
        progress = None
        if n_runners * repetitions >= 200_000 and sys.stderr.isatty():
            bar, progress = _simulation_bar(ev, repetitions)
        if seed is None:  # drawn, and reported, so that any run can be repeated
            import secrets

            seed = secrets.randbelow(2**31)
        try:
            ev = simulate_event(
                ev,
                n_runners=n_runners,
                repetitions=repetitions,
                finish_share=finish_share,
                seed=seed,
                progress=progress,
            )
        except OptionError as exc:  # a value given the races refuse: its option's usage error
            # (a --finish-share naming no race or beyond the field's reach, --simulate x
            # --repetitions beyond MAX_SIMULATED; docs/guarantees.md), before the simulation
            hint = " / ".join(SIMULATE_OPTIONS.get(k, repr(k)) for k in exc.option) or None
            raise click.BadParameter(exc.detail, param_hint=hint) from None
        except ValueError as exc:
            raise PlanError(f"{event_path}: {exc}") from None
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    summary = event_summary(ev)
    zone = event_zone(ev.timezone, ev.races)  # one clock, as the roadbook index's
    if plot:
        if not n_runners:
            raise click.UsageError("--plot needs --simulate N")
        for path in plot:
            occupancy_figure(summary, path, tz=zone[0])
    if fmt == "json":
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text, occupancy = _event_csv(summary)
        _companion_csv(
            output,
            "occupancy",
            occupancy,
            what="the runners per hour at each station",
            option="--simulate",
        )
        for w in summary["warnings"]:  # the table has no room for them: on standard error
            if w not in ev.history_warnings:  # there already
                click.echo(f"warning: {w}", err=True)
    else:
        shown = set(ev.history_warnings) if output is None else set()  # not twice on a terminal
        kept = [w for w in summary["warnings"] if w not in shown]
        text = _event_text(ev, {**summary, "warnings": kept}, zone)
    _emit(text, output)


_SIM_COLUMNS = (
    "reached",
    "withdrawn",
    "eliminated",
    "eliminated_p05",
    "eliminated_p95",
    "arrival_p10",
    "arrival_p50",
    "arrival_p90",
    "last_arrival",
)


def _event_csv(summary) -> tuple[str, str | None]:
    """The event as one CSV table, one row per station and race passing it (with the
    simulation's columns when there is one, and last the staffing window serving that
    passage: ``open``/``close`` span all of a station's windows), and the runners per
    hour at each station as a second CSV (None without a simulation): a spreadsheet reads
    one table a file.
    The simulation's checkpoints are joined to the station rows by (race, row): a name can
    be used twice in a race (an out-and-back's start and finish, a place passed twice).
    The ``*_local`` columns are on the event's one clock (``summary["timezone"]``,
    :func:`coursekit.event.event_timezone`), else each row on its race's."""
    sim = {}
    if summary["simulation"]:
        for r in summary["simulation"]["races"]:
            for j, c in enumerate(r["checkpoints"]):
                sim[(r["race"], j)] = c
    head = [
        "station",
        "open",
        "close",
        "station_night",
        "station_peak_arrivals_per_hour",
        "race",
        "checkpoint",
        "distance_km",
        "first_arrival",
        "cutoff",
        "race_night",
    ]
    if sim:
        head += [*_SIM_COLUMNS, "peak_arrivals_per_hour"]
    # for spreadsheets (they read ISO times with an offset as text): the same times as
    # local "YYYY-MM-DD HH:MM" on the event's one clock (else on the row's race's), that
    # clock's zone, the UTC offset of each local column (a clock change can fall between a
    # station's opening and its barrier), and what the means are over
    head += [*(f"{k}_local" for k in _LOCAL_COLUMNS), "timezone"]
    head += [f"{k}_utc_offset" for k in _LOCAL_COLUMNS]
    if sim:
        # the staffing peaks: within any 60 minutes (the columns above are per clock
        # hour, kept for scripts that read them); last, so that columns keep their places
        head += ["repetitions", "station_peak_arrivals_60min", "peak_arrivals_60min"]
    # the staffing window serving the row's passage (open/close above span every window
    # of the station); last, so that columns keep their places
    head += ["window_open", "window_close", "window_open_local", "window_close_local"]
    # their UTC offsets, as every other *_local column has; last, for the same reason
    head += ["window_open_utc_offset", "window_close_utc_offset"]
    if sim:
        # the runners present per clock hour, each over his planned stop (dwell); the
        # arrivals' figures without one; last, for the same reason
        head += ["station_peak_present_per_hour", "peak_present_per_hour"]
    # whether the window serving the row is staffed in the dark (the text's "dark", the
    # JSON's windows[].dark_s): station_night is any window's; last, for the same reason
    head += ["window_dark"]
    if sim:
        # the busiest 60 minutes of the staffing window serving the row (a shift's figure;
        # station_peak_arrivals_60min is the station's, maybe another window's); last
        head += [
            "window_peak_arrivals_60min",
            "window_peak_60min_start",
            "window_peak_60min_start_local",
            "window_peak_60min_start_utc_offset",
        ]
    import datetime as _dt
    from zoneinfo import ZoneInfo

    # one clock per event (event.event_timezone); without one, each row on its race's
    # (its zone, else its start's UTC offset), every column of the row on that one clock
    zone = summary.get("timezone") or ""
    race_zone = {r["name"]: r.get("timezone") or "" for r in summary.get("races", [])}
    race_tz = {
        r["name"]: (
            ZoneInfo(zone or r["timezone"])
            if zone or r.get("timezone")
            else _dt.datetime.fromisoformat(r["start"]).tzinfo
        )
        for r in summary.get("races", [])
    }
    rows = []
    for s in summary["stations"]:
        occ = s.get("occupancy") or {}
        peak, peak60 = occ.get("peak"), occ.get("peak_60min")
        for p in s["passages"]:
            row = [
                s["name"],
                s["open"],
                s["close"],
                s["night"],
                peak,
                p["race"],
                p["name"],
                _num(p["distance_m"] / 1000, 2) if p["distance_m"] is not None else None,
                p["first_arrival"],
                p["cutoff"],
                p["night"],
            ]
            if sim:
                c = sim.get((p["race"], p["row"]), {})
                row += [c.get(k) for k in _SIM_COLUMNS] + [c.get("peak_hourly")]
            stamps = {"open": s["open"], "close": s["close"]}
            stamps |= {k: p[k] for k in ("first_arrival", "cutoff")}
            tz = race_tz.get(p["race"])
            row += [_local(stamps[k], tz) for k in _LOCAL_COLUMNS]
            row += [zone or race_zone.get(p["race"], "")]
            row += [_utc_offset(stamps[k], tz) for k in _LOCAL_COLUMNS]
            if sim:
                row += [summary["simulation"]["repetitions"], peak60, c.get("peak_60min")]
            win = (s.get("windows") or [s])[p.get("window", 0)]
            row += [win["open"], win["close"], _local(win["open"], tz), _local(win["close"], tz)]
            row += [_utc_offset(win["open"], tz), _utc_offset(win["close"], tz)]
            if sim:
                row += [occ.get("present_peak"), c.get("present_peak_hourly")]
            row += [bool(win.get("dark_s", s["night"]))]
            if sim:  # the window's own busiest 60 minutes (station_peak_* is the station's)
                at = win.get("peak_60min_start")
                row += [win.get("peak_60min"), at, _local(at, tz), _utc_offset(at, tz)]
            rows.append(row)
    table = _csv(head, rows)
    if not sim:
        return table, None
    reps = summary["simulation"]["repetitions"]
    ztz = ZoneInfo(zone) if zone else None  # no event clock: the hours' own (the origin's)
    occ = []
    for s in summary["stations"]:
        o = s.get("occupancy")
        if not o:
            continue
        # the hours of the arrivals, then those of runners still present (a stop running
        # past the last arrival's hour: no arrival then); the same hours without a stop
        arrivals = dict(zip(o["hours"], o["arrivals"], strict=True))
        present = dict(zip(o.get("present_hours", ()), o.get("present", ()), strict=True))
        for h in sorted(arrivals.keys() | present.keys(), key=_dt.datetime.fromisoformat):
            row = [s["name"], h, arrivals.get(h, 0.0), _local(h, ztz), zone]
            occ.append([*row, _utc_offset(h, ztz), reps, present.get(h, 0.0)])
    occ_head = ["station", "hour", "arrivals", "hour_local", "timezone", "utc_offset"]
    return table, _csv([*occ_head, "repetitions", "present"], occ)


_LOCAL_COLUMNS = ("open", "close", "first_arrival", "cutoff")


def _local(iso, tz=None) -> str | None:
    """``2024-06-01T04:00:00+01:00`` as ``2024-06-01 04:00``: the wall clock of ``tz`` (a
    tzinfo; None: the time's own offset), in a form spreadsheets read as a date-time (the
    ISO column keeps the offset for scripts)."""
    if not iso:
        return None
    if tz is not None:
        import datetime as _dt

        iso = _dt.datetime.fromisoformat(iso).astimezone(tz).isoformat()
    return f"{iso[:10]} {iso[11:16]}"


def _utc_offset(iso, tz=None) -> str | None:
    """The UTC offset of an ISO time with offset, ``+01:00``, on the clock of ``tz``."""
    if not iso:
        return None
    if tz is not None:
        import datetime as _dt

        iso = _dt.datetime.fromisoformat(iso).astimezone(tz).isoformat()
    return iso[19:]


def _zone(t, course) -> str:
    """The clock the times are printed on: ``Africa/Casablanca (UTC+01:00)``, or the
    offset alone when the course file names no time zone."""
    off = t.strftime("%z")
    off = f"UTC{off[:3]}:{off[3:]}" if off else "UTC"
    tz = getattr(course, "timezone", None)
    return f"{tz} ({off})" if tz else f"{off} (no time zone in the course file)"


def _minutes(seconds: float) -> str:
    """An option's duration as given: ``"120 min"``, ``"1 min 30 s"``, ``"45 s"`` (whole
    minutes as before; a duration with seconds is not rounded to minutes)."""
    m, s = divmod(round(seconds), 60)
    if not s:
        return f"{m} min"
    return f"{m} min {s} s" if m else f"{s} s"


def _count(n: int, noun: str) -> str:
    """``"1 race"``, ``"3 races"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _event_text(ev, summary, zone=(None, "")) -> str:
    import datetime as _dt

    from .clock import clock_change_text, clock_changes, zoned
    from .event import FIXED_BARRIER_SHARE
    from .maps import zoned_clock

    # an event over a week long (first open to last close) writes dates with the weekdays
    span = [(s["open"], s["close"]) for s in summary["stations"] if s["open"] and s["close"]]
    dated = (
        bool(span)
        and seconds_between(
            min(_dt.datetime.fromisoformat(a) for a, _ in span),
            max(_dt.datetime.fromisoformat(b) for _, b in span),
        )
        > DATED_S
    )

    # the event's clock's changes from the first opening to the last closing (none without
    # one clock: every time then carries its UTC offset): the times from the first change
    # on, and those of an hour that happens twice, carry their zone, as in the roadbook
    # (clock.zoned; "open Sun 01:00 close Sun 01:00" was an hour's window, EDT then EST)
    changes = []
    if zone[0] is not None and span:
        first = min(_dt.datetime.fromisoformat(a) for a, _ in span).astimezone(zone[0])
        last = max(_dt.datetime.fromisoformat(b) for _, b in span)
        changes = clock_changes(first, seconds_between(first, last))

    def clock(iso):  # on the event's clock (maps.event_zone), else with the UTC offset
        if iso is None:
            return "-"
        t = _dt.datetime.fromisoformat(iso)
        return zoned(zoned_clock(t, zone[0], dated=dated), t, zone[0], changes)

    out = [
        f"{summary['event']}: {_count(len(summary['races']), 'race')}, "
        f"{_count(len(summary['stations']), 'station')}"
        f" (margin {_minutes(ev.margin_s)}, sweep {_minutes(ev.sweep_s)},"
        f" closed when empty for over {_minutes(ev.gap_s)}, shared within {ev.radius_m:.0f} m)",
        f"times: {zone[1]}" if zone[1] else "",
        *(f"clock change: {clock_change_text(c, dated)}" for c in changes),
        "",
    ]
    sim = summary["simulation"]
    # a start row's runners leave, they do not arrive (no arrival peak): shown apart
    starters = {r["race"]: r["checkpoints"][0]["reached"] for r in (sim["races"] if sim else ())}
    # a planned stop (dwell) somewhere: the runners present per clock hour are not the
    # arrivals, so the tables show their peak too (without one, as before)
    stops = bool(sim) and any(float(d) > 0 for r in ev.races for d in list(r.dwell)[1:])
    n_rows = {r["name"]: r["checkpoints"] for r in summary.get("races", ())}
    rows = []
    for s in summary["stations"]:
        windows = s.get("windows") or [{"open": s["open"], "close": s["close"]}]
        # one line per staffing window, on the first of the passages it serves
        order = sorted(range(len(s["passages"])), key=lambda i: s["passages"][i].get("window", 0))
        for n, i in enumerate(order):
            p = s["passages"][i]
            first = n == 0
            k = p.get("window", 0)
            opens = n == 0 or s["passages"][order[n - 1]].get("window", 0) != k
            # the race's own checkpoint name where the station has another (a start or
            # finish row at a place, a checkpoint folded into a station within the radius);
            # a start or finish row always (a station called "Start" left it blank, where
            # the CSV and JSON say "Start")
            end_row = p.get("row") in (0, n_rows.get(p["race"], 0) - 1)
            own = p["name"] if p["name"] != s["name"] or end_row else ""
            rows.append(
                [
                    s["name"] if first else "",
                    clock(windows[k]["open"]) if opens else "",
                    clock(windows[k]["close"]) if opens else "",
                    ("dark" if windows[k].get("dark_s", s["night"]) else "") if opens else "",
                    p["race"],
                    own,
                    f"{p['distance_m'] / 1000:.1f}" if p["distance_m"] is not None else "-",
                    clock(p["first_arrival"]),
                    clock(p["cutoff"]),
                    "night" if p["night"] else "",
                ]
            )
            if sim:  # the simulation's columns (none without one: no empty columns)
                # each staffing window its own busiest 60 minutes (a shift's figure), and
                # when they start, on the window's first line
                wp = windows[k].get("peak_60min") if opens and s.get("occupancy") else None
                wat = windows[k].get("peak_60min_start")
                rows[-1] += [
                    (
                        ""
                        if wp is None
                        else _fmt(wp, "{:.0f}") + (f" from {clock(wat)}" if wat and wp else "")
                    ),
                    _fmt(starters.get(p["race"]), "{:.0f}") if p["row"] == 0 else "",
                ]
            if stops:
                occ = s.get("occupancy")
                rows[-1].append(_fmt(occ["present_peak"]) if first and occ else "")
    out.append(
        _table(
            [
                "station",
                "open",
                "close",
                "dark",
                "race",
                "checkpoint",
                "km",
                "first ETA",
                "cutoff",
                "night",
                *(["peak 60 min", "starting"] if sim else []),
                *(["present peak/h"] if stops else []),
            ],
            rows,
            "llllllrlll" + ("lr" if sim else "") + ("r" if stops else ""),
        )
    )
    if sim:
        out.append(
            "peak 60 min: per staffing window, the most runners arriving within any 60 "
            "minutes (a sliding window, not clock hours) and when those 60 minutes start, all "
            "the races the window serves, on the mean arrivals per minute over "
            f"{sim['repetitions']} repetitions (a race's starters are not arrivals: "
            "'starting' gives them on its start row); per clock hour: --format json or csv, "
            "--plot."
        )
        if stops:
            out.append(
                "present peak/h: most runners at the station in one clock hour, each from his "
                "arrival to the end of his planned stop (dwell), all races, mean over "
                f"{sim['repetitions']} repetitions (per clock hour: --format json or csv)."
            )
    for c in summary.get("combined", ()):
        why = (
            "cumulative: the sum of the stage times; a stage not started or not finished "
            "is a withdrawal"
            if c["ranking"] == "cumulative"
            else c["ranking"]
        )
        out.append(f"\nCombined ranking {c['name']} ({why}):")
        out.append(
            _table(
                ["stage", "race", "start", "limit", "finish by"],
                [
                    [
                        str(g["stage"]),
                        g["race"],
                        clock(g["start"]),
                        _hm(g["limit_s"]) if g["limit_s"] is not None else "-",
                        clock(g["finish_deadline"]),
                    ]
                    for g in c["stages"]
                ],
                "rllrl",
            )
        )
        if c["note"]:
            out.append(f"  {c['note']}")
    if sim:
        # no one field: every race calibrated on its history, or races without history
        # simulated differently (a finish share given to one): each race says its own
        per_race = sim["params"] is None and any(not r.get("field") for r in sim["races"])
        field = (
            sim["params"]["source"]
            if sim["params"]
            else "per race (see each race)"
            if per_race
            else "calibrated per race"
        )
        out.append(
            f"\nSimulation: {sim['repetitions']} repetitions, seed {sim['seed']}; field: {field}"
        )
        out.append(
            "  counts are means over the repetitions; 'withdrew after': runners last seen "
            "at that checkpoint before withdrawing (on the start row, on the first leg); "
            "'peak 60 min': each repetition's most arrivals within any 60 minutes, averaged; "
            "'10 %', 'median', '90 %': arrival times among the runners who reach it "
            "(at the finish, among those who reach it: the finishers, not the starters)"
        )
        for r in sim["races"]:
            fs = r["finish_share"]
            out.append(
                f"\n{r['race']} ({r['n_runners']} runners"
                + (", the event file's [runners]" if r.get("n_runners_from_event_file") else "")
                + f"): finish {100 * fs['mean']:.1f} %"
                f" [{100 * fs['p05']:.1f}-{100 * fs['p95']:.1f}]"
            )
            if r.get("field"):
                out.append(f"  {r['field']}")
            elif per_race:
                out.append(f"  field: {r['params']['source']}")
            rows = [
                [
                    c["name"],
                    _fmt(c["reached"]),
                    _fmt(c["withdrawn"], "{:.1f}"),
                    f"{_fmt(c['eliminated'], '{:.1f}')} [{_fmt(c['eliminated_p05'])}-"
                    f"{_fmt(c['eliminated_p95'])}]",
                    clock(c["arrival_p10"]),
                    clock(c["arrival_p50"]),
                    clock(c["arrival_p90"]),
                    clock(c["last_arrival"]),
                    _fmt(c["peak_60min"]),
                    *([_fmt(c["present_peak_hourly"])] if stops else []),
                ]
                for c in r["checkpoints"]
            ]
            out.append(
                _table(
                    [
                        "checkpoint",
                        "reached",
                        "withdrew after",
                        "eliminated [5-95%]",
                        "10 %",
                        "median",
                        "90 %",
                        "last (sweep)",
                        "peak 60 min",
                        *(["present peak/h"] if stops else []),
                    ],
                    rows,
                    "lrrrlllll" + ("r" if stops else ""),
                )
            )
            # next to the eliminations: a fixed barrier the field the limit gives would
            # miss far more often (the simulated field is made faster to meet it)
            for c in r.get("fixed_barriers", ()):
                if c["eliminated_share_without_fixed"] > FIXED_BARRIER_SHARE:
                    out[-1] = out[-1].rstrip("\n")  # right under the table
                    out.append(
                        f"note: the fixed barrier at {c['name']} ({clock(c['cutoff'])}) "
                        f"eliminates {100 * c['eliminated_share_without_fixed']:.0f} % of the "
                        "starters of the field the limit gives (simulated without the fixed "
                        f"barriers), {100 * c['eliminated_share']:.0f} % in this table: this "
                        "field is made faster to meet it (see the warnings)"
                    )
    for w in summary["warnings"]:
        out.append(f"warning: {w}")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------- roadbook


@cli.command("map")
@click.argument(
    "target",
    metavar="COURSE.toml|EVENT.toml|DIR",
    type=click.Path(readable=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(readable=False, dir_okay=False, path_type=str),
    required=True,
    callback=_file_output,
    help="The HTML file to write.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Inline Leaflet: the page works with no network (map tiles excepted).",
)
@click.option("--grade", is_flag=True, help="Colour the course line by grade.")
def map_command(target, output, offline, grade):
    """Interactive map of a race, or of an event's races as layers.

    An event file is read as one whatever its name; a folder is its event.toml.

    Course line (simplified for display, tolerance 5 m), start and finish, one
    marker per checkpoint with an icon by service and a popup (km, altitude,
    D+/D-, barrier, opening time), km markers, OpenTopoMap and OpenStreetMap
    tiles, scale bar, fullscreen.

    Checkpoints are located with each course file's 'tolerance' (else 250 m):
    there is no --tolerance, which would replace every race's at once.

    \b
    Example:
        coursekit map courses/haut/haut-120.toml -o haut-120-map.html --offline
        coursekit map courses/haut -o haut-map.html
    """
    from . import maps
    from .course import load_course
    from .cutoffs import plan as make_plan
    from .roadbook import discover

    _distinct_outputs(output, inputs=_event_inputs(target))
    events = discover(target)
    paths = [p for ev in events for p in ev.course_paths]
    courses = [load_course(p) for p in paths]
    plans = [make_plan(c) for c in courses]
    m = maps.event_map(courses, plans=plans, grade=grade)
    if len(courses) == 1:
        title = courses[0].name
    elif len(events) == 1:
        title = events[0].name
    else:  # a folder of events: name them all, not only the first
        title = " · ".join(ev.name for ev in events)
    maps.write_map(output, m, title=title, offline=offline)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.argument(
    "target",
    metavar="COURSE.toml|EVENT.toml|DIR",
    type=click.Path(readable=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(readable=False, file_okay=False, path_type=str),
    required=True,
    callback=_file_output,
    help="Folder to write the pages into.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Inline every script and stylesheet: the pages work with no network (map tiles excepted).",
)
def roadbook(target, out_dir, offline):
    """Publishable roadbook: one HTML page per race and an index per event.

    Reads a course file, an event file (whatever its name), a folder holding
    event.toml, or a folder of such folders.

    Header (date, start, limit, distance, D+/D-, ITRA points; a banner when the
    track is a sketch), the map, the profile with barriers and night sections,
    the checkpoints table (km, leg D+/D-, barrier, opening time, services),
    equipment, food and notes from the course file; prints on A4.

    Checkpoints are located with each course file's 'tolerance' (else 250 m):
    there is no --tolerance, which would replace every race's at once.

    \b
    Example:
        coursekit roadbook courses/ -o roadbook/
        coursekit roadbook courses/haut -o haut/ --offline
        coursekit roadbook courses/haut/haut-120.toml -o out/

    OUT holds one roadbook: the pages the last run wrote there (listed in
    OUT/.coursekit-roadbook.json) that this run does not write, a race taken
    out of the event, are removed if unchanged; no other file is touched.
    """
    from .roadbook import build_roadbook

    def progress(path):  # after each race's page is built (all are written at the end)
        click.echo(f"  built the page of {path}", err=True)

    def stale(path, removed):
        if removed:
            click.echo(f"  removed {path} (written by the last run, not by this one)", err=True)
        else:
            click.echo(
                f"warning: kept {path}: written by the last run, not by this one, but changed "
                "since (remove it by hand if it is not needed)",
                err=True,
            )

    written = build_roadbook(target, out_dir, offline=offline, progress=progress, on_stale=stale)
    click.echo(f"wrote {len(written)} pages into {out_dir}", err=True)


if __name__ == "__main__":  # python -m coursekit.cli
    main()
