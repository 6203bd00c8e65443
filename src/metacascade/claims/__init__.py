"""Seed statements S1..S18 as rerunnable experiments (see :mod:`metacascade.claims.base`)."""

from metacascade.claims.base import REGISTRY, Context, Verdict, discover, experiment
from metacascade.claims.statements import STATEMENTS

__all__ = ["REGISTRY", "STATEMENTS", "Context", "Verdict", "discover", "experiment"]
