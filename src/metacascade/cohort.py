"""Virtual patient cohorts: relapse-free and overall survival, relapse hazard, causes of death.

:func:`simulate_cohort` draws ``n`` patients around a scenario (log-normal inter-patient variability
of any scenario value given by its dotted key), simulates them in batches on an executor
(:mod:`metacascade.parallel`) with :func:`metacascade.engines.cohort.run_batch`, and returns one row
per patient. Survival estimators come from lifelines (Kaplan-Meier, Nelson-Aalen with a smoothed
hazard and its confidence band).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from metacascade.engines.cohort import (
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


# ----------------------------------------------------------------------------------------------
# Survival analysis (lifelines)


def relapse_free(table: pd.DataFrame, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days since surgery) and relapse indicators, censored at the end of follow-up.
    Patients never diagnosed within the simulation are left out."""
    d = table[table["diagnosis_day"].notna()]
    surgery = d["resection_day"].fillna(d["diagnosis_day"]).to_numpy()
    rel = d["relapse_day"].to_numpy()
    death = d["death_day"].to_numpy()
    event = np.isfinite(rel)
    end = np.where(np.isfinite(death), death, duration)
    time = np.where(event, rel, end) - surgery
    return np.maximum(time, 0.0), event


def overall(table: pd.DataFrame, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days since diagnosis) and death indicators."""
    d = table[table["diagnosis_day"].notna()]
    death = d["death_day"].to_numpy()
    event = np.isfinite(death)
    time = np.where(event, death, duration) - d["diagnosis_day"].to_numpy()
    return np.maximum(time, 0.0), event


def summarise(table: pd.DataFrame, scenario: Scenario) -> dict[str, Any]:
    """Cohort summary: death fractions (of all patients) by cause and KM medians."""
    from lifelines import KaplanMeierFitter

    n = len(table)
    cause = table["death_cause"].fillna("")
    duration = scenario.simulation.duration_days
    out: dict[str, Any] = {
        "n_patients": n,
        "n_diagnosed": int(table["diagnosis_day"].notna().sum()),
        "n_died_before_diagnosis": int(table["died_before_diagnosis"].sum())
        if "died_before_diagnosis" in table else 0,
        "death_fraction_metastasis": float((cause == "metastasis").sum() / n),
        "death_fraction_primary": float((cause == "primary").sum() / n),
        "relapse_fraction": float(table["relapse_day"].notna().sum() / n),
        "metastatic_at_diagnosis_fraction": float(table["metastatic_at_diagnosis"].sum() / n),
        "follow_up_days": duration,
    }
    deaths = int((cause != "").sum())
    out["n_deaths"] = deaths
    out["share_of_deaths_metastasis"] = float((cause == "metastasis").sum() / deaths) \
        if deaths else None
    organs = table.loc[cause == "metastasis", "death_organ"].value_counts()
    out["metastatic_deaths_by_organ"] = {str(k): int(v) for k, v in organs.items()}
    t, e = relapse_free(table, duration)
    # survival is conditional on diagnosis: undefined (None) when nobody was diagnosed
    out.update({"median_relapse_free_days": None, "median_overall_survival_days": None,
                "relapse_free_5y": None, "relapse_free_10y": None})
    if t.size:
        km = KaplanMeierFitter().fit(t, e)
        out["median_relapse_free_days"] = float(km.median_survival_time_)
        to, eo = overall(table, duration)
        km2 = KaplanMeierFitter().fit(to, eo)
        out["median_overall_survival_days"] = float(km2.median_survival_time_)
        for years in (5, 10):
            out[f"relapse_free_{years}y"] = float(km.predict(365.25 * years))
    return out


def relapse_hazard(table: pd.DataFrame, duration: float, bandwidth_days: float = 90.0,
                   step_days: float = 7.0) -> pd.DataFrame:
    """Smoothed relapse hazard after surgery (per day) with its 95 % confidence band, on a grid of
    ``step_days`` (Nelson-Aalen increments smoothed by an Epanechnikov kernel; lifelines). The band
    is undefined (NaN) where the smoothed hazard is zero."""
    from lifelines import NelsonAalenFitter

    t, e = relapse_free(table, duration)
    if t.size == 0:  # nobody diagnosed: the hazard after surgery is undefined
        return pd.DataFrame({"days": np.zeros(0), "hazard_per_day": np.zeros(0),
                             "lower": np.zeros(0), "upper": np.zeros(0)})
    grid = np.arange(0.0, float(t.max()) + step_days, step_days)
    naf = NelsonAalenFitter().fit(t, e, timeline=grid)
    h = naf.smoothed_hazard_(bandwidth_days).iloc[:, 0].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ci = naf.smoothed_hazard_confidence_intervals_(bandwidth_days).to_numpy()
    # lifelines returns the band as h exp(+-z sd/h) (log-transformed); order the two columns
    return pd.DataFrame({"days": grid, "hazard_per_day": h,
                         "lower": np.fmin(ci[:, 0], ci[:, 1]), "upper": np.fmax(ci[:, 0], ci[:, 1])})
