"""coursekit: plan trail-race courses and time barriers.

The public API is re-exported here lazily (PEP 562), so that ``import
coursekit`` stays cheap and a command imports only what it needs.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "CoursekitError": "errors",
    "GPXError": "errors",
    "CourseFileError": "errors",
    "Track": "gpx",
    "Waypoint": "gpx",
    "read_gpx": "gpx",
    "write_gpx": "gpx",
    "Profile": "profile",
    "make_profile": "profile",
    "course_stats": "profile",
    "threshold_gain_loss": "profile",
    "auto_gain_loss": "profile",
    "splits": "profile",
    "segment_lengths": "geodesy",
    "cumulative_distance": "geodesy",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'coursekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
