"""Figures (matplotlib, Agg backend, imported only when a figure is drawn).

The course profile and outline (:func:`profile_figure`, :func:`profile_svg`,
:func:`outline_svg`), readable in black and white and by colour-blind readers:
the Okabe-Ito palette, night sections tinted *and* hatched, checkpoints drawn
as labelled ticks rather than told apart by colour. An event's runners
arriving per hour at each station (:func:`occupancy_figure`, from
:func:`coursekit.event.event_summary`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .clock import DATED_S, clock_format

__all__ = [
    "profile_figure",
    "profile_svg",
    "outline_svg",
    "along_axis",
    "plot_points",
    "occupancy_figure",
    "occupancy_panels",
]

_BLUE = "#0072B2"  # Okabe-Ito
_ORANGE = "#E69F00"
_GREY = "#999999"
_MAX_LABEL = 32  # characters of a checkpoint name shown on the figure


def _missing_glyphs_quiet(func):
    """Draw without matplotlib's "Glyph ... missing from font(s)" warnings: a name with a
    character the figure's font lacks (an emoji, a CJK name with DejaVu Sans) is drawn with
    the font's empty box for it, as a browser without the font shows one. The warnings
    printed several lines of Python to stderr per figure (a roadbook page draws three), and
    under ``-W error`` ended the command as an internal error."""
    import functools
    import warnings

    @functools.wraps(func)
    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
            return func(*args, **kwargs)

    return quiet


def along_axis(profile, legs=None) -> np.ndarray:
    """Distance of each track point on the scale of the tables [m].

    With ``legs`` the map distance is mapped piecewise-linearly onto the
    legs' along-course (slope) distance, so the figure's km equal the tables'
    at every checkpoint; without, the map distance.
    """
    d = np.asarray(profile.distance, float)
    if legs is None or len(legs) < 2:
        return d
    along = np.asarray(getattr(legs, "along", legs.distance), float)
    return np.interp(d, np.asarray(legs.distance, float), along)


def plot_points(
    x, y, *, width_px: float, height_px: float, y_span: float, x_span=None, tol_px=0.25
):
    """Indices of the points of a line worth drawing at a given figure size.

    Douglas-Peucker in figure pixels (``x_span``, by default ``x[-1] - x[0]``,
    spread over ``width_px``; ``y_span`` over ``height_px``) with a tolerance
    of ``tol_px`` [px]: the drawn line
    differs from the full one by at most a quarter pixel, and a 170 km course
    recorded every second plots a few thousand points, not a hundred thousand
    (which made the inline SVG megabytes). Lines with non-finite values are
    kept whole.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = x.size
    xr = (float(x[-1] - x[0]) if n else 0.0) if x_span is None else float(x_span)
    if n <= 2 or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))) or not xr > 0:
        return np.arange(n)
    import shapely

    px = (x - x[0]) * (width_px / xr)
    py = y * (height_px / y_span)
    line = shapely.linestrings(np.column_stack([px, py, np.arange(n, dtype=float)]))
    kept = shapely.get_coordinates(
        shapely.simplify(line, tol_px, preserve_topology=False), include_z=True
    )[:, 2]
    idx = np.unique(np.concatenate([[0, n - 1], np.rint(kept).astype(np.int64)]))
    return idx


# the notice on a profile without altitude: the file has none, or only 0 m everywhere
# (an app's "no altitude", read as missing by :func:`coursekit.profile.clean_elevation`)
_NO_ELEVATION = {
    False: "no elevation in the file",
    True: "elevation 0 m at every point (taken as missing)",
}


def _draw(profile, *, legs=None, plan=None, title=None, width=11.0, height=3.6):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if legs is None and plan is not None:
        legs = plan.legs
    x = along_axis(profile, legs) / 1000.0
    has_ele = profile.has_elevation
    y = profile.elevation if has_ele else np.zeros_like(x)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    lo = float(np.nanmin(y)) if has_ele else 0.0
    hi = float(np.nanmax(y)) if has_ele else 1.0
    span = max(hi - lo, 50.0)
    base = lo - 0.05 * span
    if has_ele:
        # the plotted line only: a point per ~0.25 px is all the figure can show
        keep = plot_points(x, y, width_px=width * 100, height_px=height * 100, y_span=1.13 * span)
        ax.fill_between(x[keep], base, y[keep], color=_BLUE, alpha=0.18, linewidth=0)
        ax.plot(x[keep], y[keep], color=_BLUE, linewidth=1.4, label="altitude")
    else:
        # no altitude line at all: a line at 0 m would read as a course at sea level
        ax.text(
            0.5,
            0.5,
            _NO_ELEVATION[bool(getattr(profile, "all_zero", False))] + ": no altitude profile",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color="#000000",
        )
        ax.set_yticks([])
    # zero-length sections (dark at the very start or end) draw nothing: no legend entry
    nights = [(a, b) for a, b in (plan.night_sections if plan is not None else ()) if b > a]
    if nights:
        for k, (a, b) in enumerate(nights):
            xa = np.interp(a, profile.distance, x)
            xb = np.interp(b, profile.distance, x)
            ax.axvspan(
                xa,
                xb,
                facecolor="#000000",
                alpha=0.10,
                hatch="///",
                edgecolor=_GREY,
                linewidth=0,
                label="night (reference runner)" if k == 0 else None,
            )
    top = hi + 0.08 * span
    if legs is not None:
        along = np.asarray(getattr(legs, "along", legs.distance), float) / 1000.0
        no_barrier = getattr(plan, "no_barrier", None)  # barrier = false rows: no time
        # a race over a week: a weekday names two days, so the barriers are dated
        fmt = clock_format(plan is not None and float(plan.course.limit_s) > DATED_S)
        if plan is not None:
            # across a clock change, a barrier from the change on or in the repeated hour
            # carries its zone, as the roadbook's tables write it
            from .clock import zoned
            from .maps import course_clock_changes, display_tz

            tz, changes = display_tz(plan.course), course_clock_changes(plan.course)
        for i, name in enumerate(legs.names):
            ele = legs.elevation[i] if np.isfinite(legs.elevation[i]) else base
            ax.plot([along[i], along[i]], [base, ele], color=_ORANGE, linewidth=0.8, zorder=3)
            ax.plot(along[i], ele, marker="v", color="#000000", markersize=4, zorder=4)
            label = str(name)
            if len(label) > _MAX_LABEL:  # longer rotated labels break the layout
                label = label[: _MAX_LABEL - 1] + "\u2026"
            if plan is not None and i > 0 and not (no_barrier is not None and no_barrier[i]):
                cut = plan.cutoff[i]
                label += f"  {zoned(cut.strftime(fmt), cut, tz, changes)}"
            ax.text(
                along[i],
                top,
                label,
                rotation=90,
                fontsize=7,
                va="bottom",
                ha="center",
                color="#000000",
                parse_math=False,  # a "$" in a name is text, not mathtext (which can raise)
            )
    ax.set_xlim(float(x[0]), float(x[-1]) if x[-1] > x[0] else 1.0)
    ax.set_ylim(base, top)
    ax.set_xlabel("km")
    ax.set_ylabel("altitude (m)" if has_ele else "no altitude")
    ax.grid(True, color="#dddddd", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if nights:
        _legend_below(fig, ax)
    if title:
        ax.set_title(
            title, fontsize=10, loc="left", pad=70 if legs is not None else 6, parse_math=False
        )
    fig.tight_layout()
    return fig


def _legend_below(fig, ax) -> None:
    """The profile's legend in one row below the axes, under the km axis's ticks and label,
    flush left: inside the axes it covered the line (lower left, h105 J), and above them
    are the checkpoints' names. Its offset is the axis's height in points, which
    ``tight_layout`` keeps; ``tight_layout`` counts the legend and makes room for it."""
    from matplotlib.transforms import ScaledTranslation

    renderer = fig.canvas.get_renderer()
    below = ax.get_window_extent(renderer).y0 - ax.xaxis.get_tightbbox(renderer).y0  # [px]
    shift = ScaledTranslation(0.0, -(below + 2.0) / fig.dpi, fig.dpi_scale_trans)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=ax.transAxes + shift,
        ncol=2,
        fontsize=7,
        frameon=False,
        borderaxespad=0.0,
    )


def _render(fig, fmt: str) -> bytes:
    import matplotlib
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    # metadata Date=None and a fixed hash salt (the ids of the SVG's shared markers):
    # the same course gives byte-identical SVG
    meta = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "coursekit"}):
        fig.savefig(buf, format=fmt, metadata=meta)
    plt.close(fig)
    return buf.getvalue()


SAME_END_M = 50.0
"""Start and finish closer than this [m] (or than 2 % of the print map's span) are drawn as
one marker of two parts on the print map: the start circle inside the finish square."""


def _nice_length(x: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``x``."""
    k = 10.0 ** np.floor(np.log10(x))
    return float(max(m * k for m in (1.0, 2.0, 5.0) if m * k <= x))


def _draw_outline(profile, *, legs=None, width=7.0):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from .geodesy import local_projection

    lat, lon = profile.track.lat, profile.track.lon
    proj = local_projection(lat, lon)
    x, y = proj.forward(lat, lon)
    span = max(float(np.nanmax(x) - np.nanmin(x)), float(np.nanmax(y) - np.nanmin(y)), 100.0)
    # the figure takes the course's shape (north up), within 0.6-1.3 of its width
    ratio = (float(np.nanmax(y) - np.nanmin(y)) + 0.15 * span) / span
    height = width * float(np.clip(ratio, 0.6, 1.3))
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, dist = x[ok], y[ok], np.asarray(profile.distance, float)[ok]
    # a point per ~0.25 px of the figure is all it can show; equal scales on both axes
    side_px = min(width, height) * 100
    keep = plot_points(x, y, width_px=side_px, height_px=side_px, y_span=span, x_span=span)
    ax.plot(x[keep], y[keep], color=_BLUE, linewidth=1.6, solid_capstyle="round")
    # start and finish at one place (a loop, an out-and-back; within 2 % of the map's span,
    # where the two markers overlap on the page): the finish square drawn larger beneath the
    # start circle, a black frame round it, so that neither hides the other
    together = float(np.hypot(x[-1] - x[0], y[-1] - y[0])) <= max(SAME_END_M, 0.02 * span)
    start_size, finish_size = (6, 12) if together else (8, 7)
    ax.plot(
        x[0],
        y[0],
        marker="o",
        color="#009E73",
        markersize=start_size,
        zorder=6 if together else 5,
        label="start",
    )
    ax.plot(
        x[-1], y[-1], marker="s", color="#000000", markersize=finish_size, zorder=5, label="finish"
    )
    labels = []
    if legs is not None:
        d = np.asarray(legs.distance, float)
        cx = np.interp(d, dist, x)
        cy = np.interp(d, dist, y)
        along = np.asarray(getattr(legs, "along", legs.distance), float) / 1000.0
        inner = range(1, len(legs.names) - 1)
        for i in inner:
            ax.plot(
                cx[i],
                cy[i],
                marker="v",
                color=_ORANGE,
                markeredgecolor="#000000",
                markersize=7,
                zorder=6,
            )
        for group in _same_place(cx, cy, inner):
            names = list(dict.fromkeys(_short(legs.names[i]) for i in group))
            kms = ", ".join(f"{along[i]:.1f}" for i in group)
            text = f"{'/'.join(str(i) for i in group)}. {' / '.join(names)} (km {kms})"
            labels.append(((float(cx[group[0]]), float(cy[group[0]])), text))
    bar = _nice_length(span / 4)
    x0 = float(np.min(x))
    y0 = float(np.min(y)) - 0.06 * span
    ax.plot([x0, x0 + bar], [y0, y0], color="#000000", linewidth=2)
    ax.text(x0 + bar / 2, y0, f"{bar / 1000:g} km", ha="center", va="bottom", fontsize=7)
    ax.annotate(
        "N",
        xy=(0.97, 0.97),
        xytext=(0.97, 0.88),
        xycoords="axes fraction",
        ha="center",
        fontsize=8,
        arrowprops={"arrowstyle": "-|>", "color": "#000000"},
    )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    _place_labels(fig, ax, labels)
    return fig


def _short(name) -> str:
    label = str(name)
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "\u2026"


def _same_place(x, y, rows) -> list[list[int]]:
    """``rows`` grouped by place on the print map, in course order: a row within
    :data:`coursekit.maps.SAME_PLACE_M` of a group's first row joins it (a place passed
    twice gets one label, "2/4. Bridge (km 5.0, 25.0)", as one marker on the web map)."""
    from .maps import SAME_PLACE_M

    groups: list[list[int]] = []
    for i in rows:
        for grp in groups:
            if np.hypot(x[i] - x[grp[0]], y[i] - y[grp[0]]) <= SAME_PLACE_M:
                grp.append(i)
                break
        else:
            groups.append([i])
    return groups


def _label_offsets():
    """Where a checkpoint's label may go [pt from its marker], nearest first: beside the
    marker, then further up or down (with a leader line) in steps of one text line."""
    out = [(6, 4, "left", "bottom"), (6, -4, "left", "top")]
    out += [(-6, 4, "right", "bottom"), (-6, -4, "right", "top")]
    for level in range(1, 9):
        dy = 4 + 11 * level
        for dx, ha in ((6, "left"), (-6, "right"), (0, "center")):
            out += [(dx, dy, ha, "bottom"), (dx, -dy, ha, "top")]
    return out


def _place_labels(fig, ax, labels) -> None:
    """Annotate each ``((x, y), text)`` at the first offset of :func:`_label_offsets` where
    its box overlaps no label placed before it, no checkpoint marker, the legend, the scale
    or the north arrow, and stays on the figure; at the least-overlapping offset when none
    is free. Greedy, in course order, hence deterministic.

    Each text is laid out once per alignment (six), off the axes; its box at an offset is
    that layout moved to the offset's position, as matplotlib moves it, so the boxes, the
    costs and the choice are those of an annotation tried at every offset. The overlaps
    with every box taken are one numpy product per label; only the chosen offset becomes
    an annotation.
    """
    if not labels:
        return
    from matplotlib.text import Text
    from matplotlib.transforms import Affine2D, IdentityTransform

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    offsets = _label_offsets()
    steps = np.array([(dx, dy) for dx, dy, _, _ in offsets], float)  # [pt]
    aligns = list(dict.fromkeys((ha, va) for _, _, ha, va in offsets))
    which = np.array([aligns.index((ha, va)) for _, _, ha, va in offsets])
    # every box taken, as rows (x0, y0, x1, y1) [px]: texts, legend, markers, then labels
    taken = np.empty((len(ax.texts) + 1 + 2 * len(labels), 4))
    n = 0
    for artist in [*ax.texts, ax.get_legend()]:
        taken[n] = artist.get_window_extent(renderer).extents
        n += 1
    pad = 4.0 * fig.dpi / 72.0  # a marker's half size [px]
    for (px, py), _text in labels:
        mx, my = ax.transData.transform((px, py))
        taken[n] = (mx - pad, my - pad, mx + pad, my + pad)
        n += 1
    frame = fig.bbox.extents.tolist()
    for (px, py), text in labels:
        # the text's box at (0, 0) for each alignment [px]
        probe = Text(0, 0, text, fontsize=7, parse_math=False, transform=IdentityTransform())
        probe.set_figure(fig)
        layout = np.empty((len(aligns), 4))
        for k, (ha, va) in enumerate(aligns):
            probe.set_horizontalalignment(ha)
            probe.set_verticalalignment(va)
            layout[k] = probe.get_window_extent(renderer).extents
        # where an "offset points" annotation of (px, py) puts its text at each offset [px]
        ref = ax.transData.transform((px, py))
        at = Affine2D().scale(fig.dpi / 72).translate(*ref).transform(steps)
        boxes = layout[which] + np.tile(at, 2)
        x0, y0, x1, y1 = (boxes[:, k : k + 1] for k in range(4))
        t0, t1, t2, t3 = taken[:n].T
        w = np.minimum(x1, t2) - np.maximum(x0, t0)
        h = np.minimum(y1, t3) - np.maximum(y0, t1)
        shared = np.maximum(w, 0.0) * np.maximum(h, 0.0)  # [offset, box taken] [px²]
        best = None
        for k, row in enumerate(shared):
            # summed in the order of the boxes taken, as the greedy search always has
            cost = sum(row[row != 0.0].tolist())
            bx0, by0, bx1, by1 = box = boxes[k].tolist()
            cost += (bx1 - bx0) * (by1 - by0) - _overlap(box, frame)  # off the figure
            if best is None or cost < best[0]:
                best = (cost, k)
            if cost == 0:
                break
        k = best[1]
        dx, dy, ha, va = offsets[k]
        ax.annotate(
            text,
            (px, py),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=7,
            annotation_clip=False,
            parse_math=False,
            arrowprops=(
                {"arrowstyle": "-", "color": "#555555", "lw": 0.5, "shrinkA": 0, "shrinkB": 4}
                if abs(dy) > 4
                else None
            ),
        )
        taken[n] = boxes[k]
        n += 1


def _overlap(a, b) -> float:
    """Area shared by two boxes ``(x0, y0, x1, y1)`` [px²]."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


@_missing_glyphs_quiet
def outline_svg(profile, *, legs=None) -> str:
    """A static map of the course (for print: no tiles), as an SVG document (text).

    The track on a local azimuthal equidistant projection (north up, equal
    scale on both axes), start and finish, numbered checkpoints with their km,
    a scale bar. Byte-identical between runs.
    """
    return _render(_draw_outline(profile, legs=legs), "svg").decode("utf-8")


@_missing_glyphs_quiet
def profile_svg(
    profile, *, legs=None, plan=None, title=None, width: float = 11.0, height: float = 3.6
) -> str:
    """The profile figure as an SVG document (text), e.g. to inline in a page.

    ``width`` and ``height`` [in] are the figure's size: its text is drawn in points at
    that size, so a page printing the figure at another width scales the text with it (the
    roadbook draws it at its printed width, :data:`coursekit.roadbook.PRINT_WIDTH_IN`).
    """
    fig = _draw(profile, legs=legs, plan=plan, title=title, width=width, height=height)
    return _render(fig, "svg").decode("utf-8")


@_missing_glyphs_quiet
def profile_figure(profile, out_path, *, legs=None, plan=None, title=None) -> Path:
    """Draw altitude against km to ``out_path`` (PNG or SVG, by suffix), atomically.

    Parameters
    ----------
    profile : Profile
    out_path : str or Path
        ``.png`` or ``.svg``.
    legs : Legs, optional
        Checkpoints to mark (ticks with names; the km axis follows the legs'
        along-course distance).
    plan : Plan, optional
        Adds each barrier's clock time and shades (tint + hatch) the night
        sections of the reference runner.
    title : str, optional
    """
    from .io import atomic_write_bytes

    out_path = Path(out_path)
    fmt = out_path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure must be .png or .svg, got {out_path.name!r}")
    data = _render(_draw(profile, legs=legs, plan=plan, title=title), fmt)
    return atomic_write_bytes(out_path, data)


def _clock_ticks(ax, hours: Sequence[dt.datetime], *, most: int = 8, tz=None, changes=()) -> None:
    """Label the time axis "Sat 04:00" as the tables do, on whole local hours.

    Each label is read on its own hour's UTC offset (the summary's ISO times), so the clocks
    stay right across a daylight-saving change; at most ``most`` ticks, every 1, 2, 3, 4, 6,
    12 or 24 h (matplotlib's default labels were "06-01 06" or "01 04:00", in UTC). With
    ``changes``, the clock changes of the clock ``tz``, a tick from the first change on or
    in the repeated hour carries its zone, "Sun 02:00 CET" (:func:`coursekit.clock.zoned`),
    and there are at most 7 ticks.
    """
    import matplotlib.dates as mdates

    from .clock import zoned

    if not hours:
        return
    if changes:  # "Sun 02:00 CEST" is half as long again as "Sun 02:00": fewer ticks
        most = min(most, 7)
    step = next((k for k in (1, 2, 3, 4, 6, 12) if len(hours) / k <= most), 24)
    ticks = [h for h in hours if h.minute == 0 and h.hour % step == 0] or [hours[0]]
    ax.set_xticks(mdates.date2num(ticks))
    ax.set_xticklabels([zoned(h.strftime("%a %H:%M"), h, tz, changes) for h in ticks])
    ax.set_xlim(mdates.date2num(hours[0]), mdates.date2num(hours[-1] + dt.timedelta(hours=1)))


SHARED_AXIS_MAX_S = 7 * 86400.0
"""Stations drawn on one shared time axis when all their hours and windows fit in this span
[s]; beyond (an event over several weeks), each panel keeps its own axis (hour bars on a
month-long axis would be invisible)."""


def _hour_floor(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _union_hours(recs, max_span_s: float = SHARED_AXIS_MAX_S) -> list[dt.datetime] | None:
    """Every clock hour from the first to the last of the panels' hours and windows, each
    on its own UTC offset where a panel gives it (gaps continue the previous hour's); None
    when they span more than ``max_span_s`` [s] (no shared axis), decided on the first and
    last stamps before any hour is listed (races years apart would list ~10^5 hours)."""
    from .clock import after

    known: dict[float, dt.datetime] = {}
    for s in recs:
        for h in s["occupancy"]["hours"]:
            t = dt.datetime.fromisoformat(h)
            known.setdefault(t.timestamp(), t)
        for key in ("open", "close"):  # the hours holding them (drawn to the hour's end)
            if s.get(key):
                t = _hour_floor(dt.datetime.fromisoformat(s[key]))
                known.setdefault(t.timestamp(), t)
    stamps = sorted(known)
    if stamps[-1] - stamps[0] > max_span_s:
        return None
    out = [known[stamps[0]]]
    while out[-1].timestamp() < stamps[-1]:
        nxt = after(out[-1], 3600.0)
        out.append(known.get(nxt.timestamp(), nxt))
    return out


def _axis_changes(hours: Sequence[dt.datetime], tz) -> list:
    """The clock changes of ``tz`` from the first of ``hours`` to the end of the last (none
    without ``tz``)."""
    from .clock import clock_changes

    if tz is None or not hours:
        return []
    first, last = hours[0].timestamp(), hours[-1].timestamp()
    return clock_changes(dt.datetime.fromtimestamp(first, tz), last + 3600.0 - first)


def _window_and_barriers(ax, s: dict, *, legend: bool) -> None:
    """Shade each of the station's staffing windows (``windows``; a summary without them:
    ``open`` to ``close``) and mark each barrier there (not the starts)."""
    import matplotlib.dates as mdates

    windows = s.get("windows") or ([s] if s.get("open") and s.get("close") else [])
    for k, w in enumerate(windows):
        a, b = (mdates.date2num(dt.datetime.fromisoformat(w[x])) for x in ("open", "close"))
        ax.axvspan(
            a,
            b,
            facecolor="#000000",
            alpha=0.07,
            linewidth=0,
            zorder=0,
            label="station open" if legend and k == 0 else None,
        )
    cuts = sorted(
        {p["cutoff"] for p in s.get("passages", ()) if p.get("row", 1) > 0 and p.get("cutoff")}
    )
    for k, c in enumerate(cuts):
        ax.axvline(
            mdates.date2num(dt.datetime.fromisoformat(c)),
            color=_ORANGE,
            linewidth=1.2,
            linestyle="--",
            zorder=3,
            label="barrier" if legend and k == 0 else None,
        )


@_missing_glyphs_quiet
def occupancy_figure(
    summary: dict,
    path,
    *,
    stations: Sequence[str] | None = None,
    dpi=110,
    tz=None,
    changes: Sequence | None = None,
):
    """Bar charts of the runners arriving per hour at each station (matplotlib).

    One panel per station on a shared time axis (when the stations' hours fit in
    :data:`SHARED_AXIS_MAX_S`), so stations compare by eye; each panel shades the
    station's staffing windows (``windows``, each ``open`` to ``close``) and marks its
    barriers (dashed, the races' ``cutoff`` there; a race's start is not a barrier).
    Arrivals are the summary's means over the repetitions; a race's starters are not
    arrivals.

    Parameters
    ----------
    summary : dict
        From :func:`coursekit.event.event_summary` of a simulated event.
    path : str or Path or None
        Output .png or .svg (written atomically); None returns the SVG bytes.
        Another suffix is a ValueError, as for :func:`profile_figure`.
    stations : sequence of str, optional
        Station names to draw (default: every station with arrivals: a station where
        races only start has none).
    tz : tzinfo, optional
        The clock of the time axis (an event's one clock, :func:`coursekit.maps.event_zone`);
        default: the summary's times as written (the earliest race's clock).
    changes : sequence of ClockChange, optional
        The clock changes of ``tz`` to mark the axis by (the roadbook index passes its
        page's, :func:`coursekit.clock.clock_changes`): a tick from the first one on, or in
        the hour repeated when the clocks go back, carries its zone ("Sun 02:00 CET"), as
        the tables' times do. Default: those of ``tz`` over the chart's hours; none without
        ``tz``.
    """
    from .io import atomic_write_bytes

    suffix = Path(path).suffix.lower().lstrip(".") if path is not None else "svg"
    if suffix not in ("png", "svg"):
        raise ValueError(f"figure must be .png or .svg, got {Path(path).name!r}")
    if tz is not None:
        summary = _on_clock(summary, tz)
    else:
        changes = ()
    fig = _draw_occupancy(summary, stations=stations, dpi=dpi, tz=tz, changes=changes)
    data = _render(fig, suffix)  # byte-identical SVG for the same summary
    if path is None:
        return data
    return atomic_write_bytes(path, data)


@_missing_glyphs_quiet
def occupancy_panels(
    summary: dict,
    *,
    stations: Sequence[str] | None = None,
    dpi=110,
    tz=None,
    changes: Sequence | None = None,
) -> list[bytes]:
    """The panels of :func:`occupancy_figure` as one SVG each, for a page that prints.

    One SVG of one tall figure was a single block on paper: a printer moved it whole to
    the next page (a page left blank under its heading) and then cut it across pages
    wherever the page ended, and only the last page had the time axis's labels. Each panel
    here has its own time labels; they keep the one shared time axis (the same hours and
    ticks on every panel, :func:`_union_hours`) when the drawn stations fit in
    :data:`SHARED_AXIS_MAX_S`, and the legend is on the first. Parameters as
    :func:`occupancy_figure`'s (no ``path``: the SVG bytes come back, in station order).
    """
    if tz is not None:
        summary = _on_clock(summary, tz)
    else:
        changes = ()
    recs = _drawn_stations(summary, stations, "occupancy_panels")
    union = _union_hours(recs)
    return [
        _render(
            _draw_occupancy(
                {**summary, "stations": [s]},
                dpi=dpi,
                tz=tz,
                changes=changes,
                axis_hours=union,
                legend=i == 0,
            ),
            "svg",
        )
        for i, s in enumerate(recs)
    ]


def _drawn_stations(summary: dict, stations, caller: str) -> list[dict]:
    """The stations of ``summary`` with simulated arrivals, those named in ``stations``
    (all when None); a ValueError naming ``caller`` when none is left."""
    from .event import normalize_name

    recs = [s for s in summary["stations"] if s.get("occupancy") and s["occupancy"]["hours"]]
    if stations is not None:
        want = {normalize_name(x) for x in stations}
        recs = [s for s in recs if s["key"] in want]
    if not recs:
        raise ValueError(f"{caller}: no simulated station to draw (run with --simulate)")
    return recs


def _on_clock(summary: dict, tz) -> dict:
    """The stations of ``summary`` with the times the chart reads (hours, window,
    barriers) written on the clock ``tz``."""

    def iso(t):
        return dt.datetime.fromisoformat(t).astimezone(tz).isoformat() if t else t

    stations = []
    for s in summary["stations"]:
        s = dict(s)
        for key in ("open", "close"):
            s[key] = iso(s.get(key))
        if s.get("windows"):
            s["windows"] = [
                {**w, "open": iso(w["open"]), "close": iso(w["close"])} for w in s["windows"]
            ]
        s["passages"] = [{**p, "cutoff": iso(p.get("cutoff"))} for p in s.get("passages", ())]
        if s.get("occupancy"):
            s["occupancy"] = {**s["occupancy"], "hours": [iso(h) for h in s["occupancy"]["hours"]]}
        stations.append(s)
    return {**summary, "stations": stations}


def _draw_occupancy(
    summary: dict, *, stations=None, dpi=110, tz=None, changes=(), axis_hours=None, legend=True
):
    """The figure of :func:`occupancy_figure` (a matplotlib Figure); ``changes`` None: those
    of ``tz`` over the drawn hours. ``axis_hours``: the hours of a time axis shared with
    panels drawn apart (:func:`occupancy_panels`), else those of the drawn stations;
    ``legend``: whether the first panel has the legend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    recs = _drawn_stations(summary, stations, "occupancy_figure")
    n = len(recs)
    union = _union_hours(recs) if axis_hours is None else axis_hours
    shared = union is not None
    fig, axes = plt.subplots(
        n, 1, figsize=(8, 1.6 * n + 0.6), dpi=dpi, squeeze=False, sharex=shared
    )
    for i, (ax, s) in enumerate(zip(axes[:, 0], recs, strict=True)):
        o = s["occupancy"]
        hours = [dt.datetime.fromisoformat(h) for h in o["hours"]]
        _window_and_barriers(ax, s, legend=legend and i == 0)
        ax.bar(
            hours,
            o["arrivals"],
            width=1 / 24,
            align="edge",
            color=_BLUE,
            zorder=2,
            label="runners arriving per clock hour (mean)" if legend and i == 0 else None,
        )
        ax.set_ylabel("runners/h", fontsize=7)
        # a "$" in a station or race name is text, not mathtext (which can raise)
        title = f"{s['name']} ({', '.join(s['races'])})"
        ax.set_title(title, fontsize=8, loc="left", parse_math=False)
        if not shared:
            own = _axis_changes(hours, tz) if changes is None else changes
            _clock_ticks(ax, hours, tz=tz, changes=own)
        ax.tick_params(labelsize=7)
    if shared:
        own = _axis_changes(union, tz) if changes is None else changes
        _clock_ticks(axes[-1, 0], union, most=10, tz=tz, changes=own)
    if any(ax.get_legend_handles_labels()[1] for ax in axes[:1, 0]):
        axes[0, 0].legend(loc="upper right", fontsize=6, frameon=False)
    if axis_hours is None:
        fig.tight_layout()
    else:  # panels drawn apart: the same margins, so that their time axes line up
        w, h = fig.get_size_inches()
        fig.subplots_adjust(left=0.6 / w, right=1 - 0.15 / w, bottom=0.3 / h, top=1 - 0.3 / h)
    return fig
