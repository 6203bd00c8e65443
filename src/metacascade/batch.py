"""Many patients of the organism engine at once, on an executor (:mod:`metacascade.parallel`).

The chunks of a batch (:mod:`metacascade.engines.batch`) run on the serial executor or on
forked worker processes that write their time series straight into arrays in shared anonymous
memory (:meth:`~metacascade.parallel.ProcessExecutor.map_shared`), so the (patients x days)
series, gigabytes for 10,000 patients over 10 years at daily output, are never pickled; only the
key-event rows travel back. The numbers do not depend on the executor, the number of workers or
the chunk size (bit for bit).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import xarray as xr

from metacascade.engines.batch import batch_result, plan_batch, run_chunk
from metacascade.parallel import Executor, ProcessExecutor, SerialExecutor
from metacascade.scenario import Scenario


def simulate_batch(scenarios: Sequence[Scenario], chunk: int = 16, workers: int = 1, *,
                   executor: Executor | None = None) -> tuple[xr.Dataset, pd.DataFrame]:
    """Simulate many patients (same growth laws and grid, any other parameters).

    Returns the time series with dimensions (patient, time_days) and a table of key events (one
    row per patient). ``workers`` > 1: chunks run on that many forked processes writing into
    shared memory. ``executor``: a serial or processes executor to use instead (its number of
    workers then counts; a Dask executor is refused: the series stay in this machine's memory).

    Parameters
    ----------
    scenarios : sequence of Scenario
        One scenario per patient (same growth laws and output grid in days).
    chunk : int
        The number of patients simulated together in one task.
    workers : int
        The number of forked worker processes (1: in this process).
    executor : Executor, optional
        A serial or processes executor of :mod:`metacascade.parallel` to use instead.

    Returns
    -------
    series : xarray.Dataset
        The time series over (patient, time_days), in cells and counts of metastases.
    events : pandas.DataFrame
        One row per patient: key event days (days) and the numbers at them.

    Examples
    --------
    >>> import metacascade as mc
    >>> s = mc.load_scenario("breast")
    >>> batch = [mc.load_scenario(s, [f"dissemination.mu={mu}"]) for mu in (1e-11, 4e-11)]
    >>> series, events = mc.simulate_batch(batch)
    >>> dict(series.sizes)["patient"], len(events)
    (2, 2)
    """
    if executor is None:
        ex: Executor = ProcessExecutor(workers) if workers > 1 else SerialExecutor()
    else:
        ex = executor
    plan = plan_batch(scenarios, chunk, workers if executor is None
                      else int(getattr(executor, "workers", 1) or 1))
    parts, out = ex.map_shared(run_chunk, plan.chunks, plan.series_shapes(), context=plan)
    return batch_result(plan, parts, out)
