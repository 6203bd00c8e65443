"""Errors that users cause, reported as one clear message (the CLI exits with code 2)."""

from __future__ import annotations


class MetacascadeError(Exception):
    """Base class for errors caused by user input (bad scenario, bad file, bad option)."""


class ScenarioError(MetacascadeError, ValueError):
    """A scenario (file, built-in name or override) is missing, malformed or out of range."""


class DataError(MetacascadeError, ValueError):
    """An input data file is missing, malformed or out of range."""
