"""Validation of option values where the API parses them (the CLI passes them through).

Every public function that takes a count, a seed, a level or a scale from its caller checks it
here, so that Python users get the same one-line :class:`~metacascade.errors.OptionError` (a MetacascadeError and a ValueError) as
the command line, instead of a numpy error (or a silently wrong answer) deep inside the work.
Types are strict: a bool is not an integer, a string is not a number.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from metacascade.errors import OptionError, shown

#: Largest accepted seed (numpy's SeedSequence takes any non-negative integer; 2^63 - 1 keeps
#: seeds representable in every output format).
MAX_SEED = 2**63 - 1


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer in [lo, hi] (bounds optional); bools, floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise OptionError(f"{name} = {shown(value)}: must be an integer")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = (f"from {lo} to {hi}" if lo is not None and hi is not None
               else f"at least {lo}" if lo is not None else f"at most {hi}")
        raise OptionError(f"{name} = {shown(v)}: must be {rng}")
    return v


def check_seed(value: Any, name: str = "--seed") -> int:
    """A random seed: an integer from 0 to 2^63 - 1."""
    try:
        return check_int(name, value, 0, MAX_SEED)
    except OptionError as exc:
        if "must be from" in str(exc):
            raise OptionError(f"{name} = {shown(value)}: must be an integer from 0 to 2^63 - 1"
                              ) from None
        raise


def check_number(name: str, value: Any, *, gt: float | None = None, ge: float | None = None,
                 lt: float | None = None, le: float | None = None) -> float:
    """A finite real number within the given bounds (ints are exact numbers and accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise OptionError(f"{name} = {shown(value)}: must be a number")
    try:
        v = float(value)
    except OverflowError:
        raise OptionError(f"{name} = {shown(value)}: too large for a number") from None
    parts = []
    ok = math.isfinite(v)
    for op, bound, test in ((">", gt, lambda b: v > b), (">=", ge, lambda b: v >= b),
                            ("<", lt, lambda b: v < b), ("<=", le, lambda b: v <= b)):
        if bound is not None:
            parts.append(f"{op} {bound:g}")
            ok = ok and test(bound)
    if not ok:
        rng = " and ".join(parts)
        raise OptionError(f"{name} = {shown(value)}: must be a finite number"
                               + (f" {rng}" if rng else ""))
    return v


def check_level(value: Any, name: str = "--level") -> float:
    """A confidence or band level strictly between 0 and 1."""
    return check_number(name, value, gt=0.0, lt=1.0)
