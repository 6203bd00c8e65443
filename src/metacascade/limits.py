"""Memory limits: sizes that multiply into memory are checked before any work is done.

Every engine and API function that allocates in proportion to a user's number (patients, birth
cohorts, output points, bootstrap samples, prediction draws, injected cells) estimates the bytes it
needs and calls :func:`check_memory` first, so that ``simulate_cohort(n=2**70)`` is refused in
microseconds with a message naming the limit instead of filling the machine.

The limit is ``METACASCADE_MEMORY_LIMIT_GB`` (gigabytes, decimal) when set, else half of the
machine's physical memory (``os.sysconf``), else 8 GB where that is unknown.
"""

from __future__ import annotations

import math
import os

from metacascade.errors import MemoryLimitError, MetacascadeError

ENV_VAR = "METACASCADE_MEMORY_LIMIT_GB"
#: Used when neither the environment variable nor the machine's memory size is known.
FALLBACK_BYTES = 8e9


def physical_memory_bytes() -> float | None:
    """Physical memory of the machine (bytes), or None where ``os.sysconf`` cannot tell."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or size <= 0:
        return None
    return float(pages) * float(size)


def memory_limit_bytes() -> float:
    """The memory one request may use (bytes): the environment variable, else half the RAM."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if raw:
        try:
            gb = float(raw)
        except ValueError:
            gb = math.nan
        if not (math.isfinite(gb) and gb > 0):
            raise MetacascadeError(f"{ENV_VAR} = {raw[:50]!r}: give a positive number of GB")
        return gb * 1e9
    ram = physical_memory_bytes()
    return FALLBACK_BYTES if ram is None else 0.5 * ram


def format_bytes(n: float) -> str:
    if not math.isfinite(n):
        return "an unbounded amount"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def check_memory(n_bytes: float, what: str, hint: str = "", limit: float | None = None) -> None:
    """Refuse (:class:`MemoryLimitError`) a request whose estimated memory exceeds the limit.

    ``what`` says what is being sized (e.g. "a cohort of 1.2e21 patients"); ``hint`` which value
    to lower. ``limit`` overrides :func:`memory_limit_bytes` (bytes).
    """
    cap = memory_limit_bytes() if limit is None else float(limit)
    need = float(n_bytes)
    if math.isfinite(need) and need <= cap:
        return
    src = f"set {ENV_VAR} to change it" if limit is None else "explicit limit"
    tail = f"; {hint}" if hint else ""
    raise MemoryLimitError(f"{what} needs about {format_bytes(need)} of memory, over the limit "
                           f"of {format_bytes(cap)} ({src}){tail}")
