"""The package version, read from the installed metadata (falls back to the source tree's).

Read on first use: ``importlib.metadata`` costs tens of milliseconds, which ``metacascade --help``
need not pay. ``from metacascade._version import __version__`` reads it at once; code on the
command line's start-up path calls :func:`version` where it needs the value.
"""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The installed version of metacascade (``0.1.0+source`` in an uninstalled source tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("metacascade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.1.0+source"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'metacascade._version' has no attribute {name!r}")
