"""Process-wide memory settings for our own worker processes."""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>


def keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse instead of returning it to the kernel.

    The engine's temporaries are megabytes each; by default glibc maps every such block afresh
    and unmaps it on free, so each chunk pays page faults again (about a fifth of the time on
    our VMs). Raising the mmap and trim thresholds keeps those blocks in the heap. This changes
    the whole process's allocator, so it is only applied in worker processes that metacascade
    starts (the batch and cohort pools). No-op where glibc's ``mallopt`` is unavailable."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 256 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):
        pass
