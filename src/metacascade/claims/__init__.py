"""Seed statements S1..S18 as rerunnable experiments (see :mod:`metacascade.claims.base`)."""

from metacascade.claims.base import (
    REGISTRY,
    STATUSES,
    Calibration,
    Check,
    Context,
    Sensitivity,
    Target,
    Tolerance,
    Verdict,
    derive_status,
    discover,
    experiment,
)
from metacascade.claims.statements import STATEMENTS

__all__ = ["REGISTRY", "STATEMENTS", "STATUSES", "Calibration", "Check", "Context", "Sensitivity",
           "Target", "Tolerance", "Verdict", "derive_status", "discover", "experiment"]
