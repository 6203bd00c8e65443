"""The package version, read from the installed metadata (falls back to the source tree's)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("metacascade")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.1.0+source"
