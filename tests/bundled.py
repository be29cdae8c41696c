"""Copies of the bundled courses for tests that need an event of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

HAUT = Path(__file__).resolve().parents[1] / "courses" / "haut"


def haut_event(folder: Path, stems: tuple[str, ...], extra: str = "") -> Path:
    """An event file in ``folder`` over copies of HAUT's ``stems`` (course file, GPX and
    places file of each), in that order, ending with ``extra`` (e.g. a [runners] table)."""
    for stem in stems:
        for suffix in (".toml", ".gpx", ".places.toml"):
            src = HAUT / f"{stem}{suffix}"
            if src.is_file():
                shutil.copy(src, folder / src.name)
    ev = folder / "event.toml"
    courses = ", ".join(f'"{s}.toml"' for s in stems)
    ev.write_text(
        f'name = "pair"\ncourses = [{courses}]\ntimezone = "Africa/Casablanca"\n' + extra,
        encoding="utf-8",
    )
    return ev
