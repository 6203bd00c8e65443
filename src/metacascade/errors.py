"""Errors that users cause, reported as one clear message (the CLI exits with code 2)."""

from __future__ import annotations


class MetacascadeError(Exception):
    """Base class for errors caused by user input (bad scenario, bad file, bad option).

    ``hint`` (optional): one more line saying what to do instead (the CLI prints it under the
    error); ``problems``: the records behind an engine's refusal (``metacascade.engines.base``).
    """

    hint: str | None = None
    problems: list[object] = []  # noqa: RUF012 (read-only default; set per instance)


class ScenarioError(MetacascadeError, ValueError):
    """A scenario (file, built-in name or override) is missing, malformed or out of range."""


class DataError(MetacascadeError, ValueError):
    """An input data file is missing, malformed or out of range."""


class OptionError(MetacascadeError, ValueError):
    """An option value (a count, a seed, a level, a scale) is of the wrong type or out of range."""


class MemoryLimitError(MetacascadeError, ValueError):
    """A requested size (patients, cohorts, samples, points) needs more memory than the limit
    allows (see :mod:`metacascade.limits`)."""


#: At most this many characters of a user's value are echoed in an error message.
SHOWN_CHARS = 200


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` on one line and at most ``limit`` characters (the middle elided).

    Error messages quote the bad value so that users see what was read, but a value can be a
    10 MB string or a list nested thousands deep: its repr is cut, newlines are escaped and a
    repr that cannot be built (deep nesting) is described instead of raising.
    """
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # ValueError: int too large to convert to a string
        text = f"<{type(value).__name__} too deep or too large to show>"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) <= limit:
        return text
    head = max(limit - 40, 1)
    return f"{text[:head]}...<{len(text) - head - 20} chars>...{text[-20:]}"


def one_line(message: str, limit: int = 1000) -> str:
    """A message on one line of at most ``limit`` characters (for errors built from parts)."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
