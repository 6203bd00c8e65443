"""Verdicts as short text lines for the console: each compared number with its target, its
tolerance and pass/fail, the validation targets apart from the checks and from the calibration
data (so that "20.9 (target 21)" never reads as a pass beside a failed claim)."""

from __future__ import annotations

import math

from metacascade.claims.base import CHOSEN, MODELLED, Check, Target, Verdict

#: At most this many checks are listed one by one; beyond it, the failed ones and a count.
MAX_CHECK_LINES = 4


def fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.3g}"


def mark(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _line(kind: str, name: str, item: Target | Check) -> str:
    ref = item.target if isinstance(item, Target) else item.expected
    return f"{kind} {mark(item.passed)}: {name} = {fmt(item.measured)}, {item.tolerance.rule(ref)}"


def verdict_lines(v: Verdict) -> list[str]:
    """The lines of one verdict: validation targets, checks, calibration, quick-mode caveat."""
    if v.status == "not yet modelled":
        return ["no mechanism yet"]
    if v.status not in MODELLED:
        return [v.summary]
    lines = [_line("validation", k, t) for k, t in v.validation.items()]
    if not v.validation:
        lines.append("no validation target: no independent number tests it yet")
    checks = list(v.checks.items())
    if len(checks) <= MAX_CHECK_LINES:
        lines.extend(_line("check", k, c) for k, c in checks)
    else:
        lines.extend(_line("check", k, c) for k, c in checks if not c.passed)
        n_ok = sum(c.passed for _, c in checks)
        lines.append(f"checks: {n_ok} of {len(checks)} pass")
    data = [c for c in v.calibration.values() if c.how != CHOSEN]
    chosen = len(v.calibration) - len(data)
    if v.calibration:
        lines.append(f"calibration (not evidence): {len(data)} published number(s), "
                     f"{chosen} chosen value(s)")
    if v.quick_undecided:
        lines.append(f"quick mode: undecided ({v.quick_reason})")
    return lines
