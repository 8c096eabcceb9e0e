"""Typed errors raised by ``core``: the UI turns each into a clear message, never a traceback."""


class GenreLabError(Exception):
    """Base class of every error ``core`` raises on purpose."""


class DatasetError(GenreLabError):
    """A folder or archive is not a dataset Genre Lab can read."""


class ArchiveError(DatasetError):
    """An archive is malformed, too large, or tries to write outside its destination."""


class DownloadError(GenreLabError):
    """A download failed, was interrupted, or did not match its checksum."""


class AudioError(GenreLabError):
    """An audio file cannot be decoded or is unusable (empty, silent, NaN...)."""


class ParamsError(GenreLabError, ValueError):
    """A parameter value is invalid; the message says which and why."""


class RunError(GenreLabError):
    """A run does not exist, or cannot be changed in its current state (``core.runs``)."""


class Cancelled(GenreLabError):
    """Long work was cancelled by the user."""


class QuotaError(GenreLabError):
    """Writing this would pass a disk quota (a user's or the server's); nothing was written."""
