"""A small map over a local process pool (swappable for the project's executor later)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 2))


def pmap(func: Callable[[T], R], items: Iterable[T], workers: int = 1) -> list[R]:
    """``[func(x) for x in items]``, in order; in a process pool when ``workers > 1``.

    ``func`` and the items must be picklable (module-level functions, dataclasses).
    """
    seq = list(items)
    if workers <= 1 or len(seq) <= 1:
        return [func(x) for x in seq]
    n = min(workers, len(seq))
    chunk = max(1, len(seq) // (4 * n))
    with ProcessPoolExecutor(max_workers=n) as ex:
        return list(ex.map(func, seq, chunksize=chunk))
