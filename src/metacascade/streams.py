"""Reproducible random streams: one generator per patient (or job), independent of where it runs.

Every random number in metacascade comes from an explicit :class:`numpy.random.Generator`; the
stream of item ``index`` of a run with seed ``seed`` is the ``index``-th child of
``SeedSequence(seed)`` (O'Neill 2014, PCG64), so a patient gets the same numbers on any executor
and number of workers. It sits in the foundation layer because engines (which sample patients)
and the executors (which hand out work) both need it.
"""

from __future__ import annotations

import numpy as np


def patient_stream(seed: int, index: int) -> np.random.Generator:
    """The random generator of patient ``index``: the ``index``-th child of ``SeedSequence(seed)``
    (identical to ``SeedSequence(seed).spawn(index + 1)[index]``)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))
