"""Exceptions raised for bad input files and options.

Every message names the file (and where possible the field, line or key) so
that the command line can print it as a single ``Error: ...`` line.
"""

from __future__ import annotations

__all__ = [
    "CoursekitError",
    "GPXError",
    "CourseFileError",
    "HistoryError",
    "PlanError",
    "OutputError",
    "OptionError",
]


class CoursekitError(Exception):
    """Base class of every error caused by the user's input (not by a bug)."""


class GPXError(CoursekitError):
    """A GPX file that cannot be read: missing, not XML, not GPX, no points, bad values."""


class CourseFileError(CoursekitError):
    """A course, event or places TOML file with a missing, unknown or wrong key."""


class HistoryError(CoursekitError):
    """A split-times CSV that cannot be read."""


class PlanError(CoursekitError):
    """A plan that cannot be made: limit too short, contradicting fixed cutoffs."""


class OutputError(CoursekitError, OSError):
    """An output file that cannot be written (a read-only folder, a full disk); the
    message names the file asked for, never the temporary file. Also an :class:`OSError`
    (``errno`` kept), for callers that catch those."""

    def __init__(self, message: str, errno: int | None = None):
        super().__init__(message)
        self.errno = errno

    def __str__(self) -> str:
        return self.args[0]


class OptionError(CoursekitError, ValueError):
    """A value given along with the input files that does not fit them: ``--times RACE=``
    or ``--finish-share RACE=`` naming no race of the event, a finish share the field cannot
    reach, more runner-repetitions than a simulation takes. The command line reports it as
    a usage error of that option (exit status 2, as for every other bad option value). Also
    a :class:`ValueError`, for callers of the library that catch those.

    Parameters
    ----------
    message : str
        The one line, naming the file and the keyword argument at fault.
    option : tuple of str, optional
        The library's keyword arguments whose values are refused (``("finish_share",)``,
        ``("n_runners", "repetitions")``): the command line names its options for them.
    detail : str, optional
        The message without the keyword's own words, for a caller that names the option
        itself (the command line's ``Invalid value for '--finish-share': ...``); default
        ``message``.
    """

    def __init__(self, message: str, *, option: tuple[str, ...] = (), detail: str | None = None):
        super().__init__(message)
        self.option = tuple(option)
        self.detail = message if detail is None else detail
