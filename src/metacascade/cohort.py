"""Virtual patient cohorts: ``n`` patients around a scenario, simulated on an executor.

:func:`simulate_cohort` draws ``n`` patients around a scenario (log-normal inter-patient variability
of any scenario value given by its dotted key), simulates them in batches on an executor
(:mod:`metacascade.parallel`) with :func:`metacascade.engines.patients.run_batch`, and returns one row
per patient; its summary (survival, relapse hazard, causes of death) is the cohort analysis of
:mod:`metacascade.analysis.cohort`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import pandas as pd

from metacascade.analysis.cohort import summarise
from metacascade.engines.patients import (
    COLUMNS,
    CohortSpec,
    batch_bytes,
    check_cohort,
    check_variability,
    run_batch,
)
from metacascade.limits import check_memory
from metacascade.options import check_int, check_seed
from metacascade.parallel import Executor, SerialExecutor, batches
from metacascade.result.cohort import CohortResult
from metacascade.scenario import Scenario

#: Memory of one finished patient row (bytes: the table, its concatenation and the task list;
#: measured 300-330 bytes per row with pandas ``memory_usage(deep=True)``, with a margin).
BYTES_PER_PATIENT = 1000.0

#: Default inter-patient variability (log-sd of a log-normal around the scenario value). Most of the
#: inter-animal variability of spontaneous metastasis is in the dissemination coefficient mu
#: (Benzekry et al. 2016 Cancer Res 76:535); sigma = 1 for mu and 0.25 for the growth rate are
#: assumptions of this package, stated as such.
DEFAULT_VARIABILITY: dict[str, float] = {"dissemination.mu": 1.0, "primary.rate_per_day": 0.25}


def _run(args: tuple[CohortSpec, int, int]) -> pd.DataFrame:
    spec, start, stop = args
    return run_batch(spec, start, stop)


def simulate_cohort(
    scenario: Scenario,
    n: int,
    variability: Mapping[str, float] | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    batch_size: int = 250,
    progress: Callable[[int], None] | None = None,
) -> CohortResult:
    """Simulate ``n`` virtual patients of ``scenario``.

    The result does not depend on the executor, the number of workers or ``batch_size`` (one
    random stream per patient).

    Parameters
    ----------
    scenario : Scenario
        The typical patient.
    n : int
        The number of patients (>= 1).
    variability : mapping of str to float, optional
        Dotted key -> log-normal standard deviation (dimensionless) of that parameter across
        patients (default :data:`DEFAULT_VARIABILITY`; ``{}`` for identical parameters, the
        patients then differ only by their random seeding).
    seed : int, optional
        Seed of the random number generator (default ``scenario.simulation.seed``).
    executor : Executor, optional
        An executor of :mod:`metacascade.parallel` (serial, processes, Dask; default serial).
    batch_size : int
        Number of patients per task.
    progress : callable, optional
        Called with the number of patients each finished batch held.

    Returns
    -------
    CohortResult
        The per-patient table (days, cells, counts), summary numbers and provenance.

    Raises
    ------
    ScenarioError
        A section the cohort cannot honour, an unknown varied key, or too little memory.

    Examples
    --------
    >>> import metacascade as mc
    >>> c = mc.simulate_cohort(mc.load_scenario("breast"), 20, seed=1)
    >>> c.summary["n_patients"], 0.0 <= c.summary["relapse_fraction"] <= 1.0
    (20, True)
    """
    n = check_int("--patients", n, 1)
    batch_size = check_int("--batch-size", batch_size, 1)
    check_memory(n * BYTES_PER_PATIENT, f"a cohort of {n:,} patients",
                 "simulate fewer patients (--patients)")
    var = dict(DEFAULT_VARIABILITY if variability is None else variability)
    check_cohort(scenario, var)  # every section acts or the cohort is refused (the refusal first)
    check_variability(scenario, var)
    seed = scenario.simulation.seed if seed is None else check_seed(seed)
    spec = CohortSpec(scenario=scenario, variability=var, seed=seed)
    ex = executor if executor is not None else SerialExecutor()
    local = max(1, min(int(getattr(ex, "workers", 1) or 1), os.cpu_count() or 1))
    check_memory(batch_bytes(spec, min(batch_size, n)) * local,
                 f"{local} cohort batch(es) of {min(batch_size, n)} patients at once",
                 "lower --batch-size or --workers")
    chunks = batches(n, batch_size)
    tasks = [(spec, a, b) for a, b in chunks]
    sizes = [b - a for a, b in chunks]
    done = iter(range(len(tasks)))
    finished: list[int] = []

    def tick(_: int) -> None:
        finished.append(next(done))
        if progress is not None:
            progress(sizes[len(finished) - 1])

    frames = ex.map(_run, tasks, tick)
    table = pd.concat(frames, ignore_index=True)
    table = table[COLUMNS + [c for c in table.columns if c not in COLUMNS]]
    return CohortResult(patients=table, summary=summarise(table, scenario), scenario=scenario,
                        seed=seed, variability=var)
