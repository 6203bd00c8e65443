"""Stochastic cell-scale patients for S17 and S18: SCIMET's design (Hu et al. 2019; see
docs/cellscale.md) with several metastases per patient.

A primary grows from one cell to 1e9 cells (b = 1, d = 0.7 per day: beta = 0.3), seeding
metastases as an inhomogeneous Poisson process over its cells; each metastasis grows from one
cell to 1e9 cells. Neutral mutations at 0.3 per daughter cell (1e-8 per bp x a 30 Mb exome), drivers at
SCIMET's 1e-5 per daughter with SCIMET's selection (birth rate x 1.3,
:func:`metacascade.engines.evolution.scimet_driver_fitness`). The metastatic trait (S17):
'early' = the founding clone carries it (every cell seeds alike); 'late' = a clone acquires it
at 1e-5 per daughter and cells without it seed 100 times less. Each surviving metastasis and the
primary are sequenced as one pooled bulk sample (depth NegBin(2, 100), purity 0.7) and compared
with SCIMET's statistics (Lp, Lm: private clonal mutations, CCF > 0.6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metacascade import (
    Scenario,
    load_scenario,
    sequencing_statistics,
    simulate_cell_scale,
    virtual_sequencing,
)

BETA = 0.3
MU = 0.3
#: Seeding rate kappa (per cell per day) of each hypothesis: chosen so that both give about two
#: surviving metastases per patient (the trait carriers are a small share of a 'late' primary).
SEEDING_RATE = {"early": 1.5e-9, "late": 1e-7}
TRAIT_FACTOR = 100.0
TRAIT_RATE = 1e-5
#: Drivers present from the cancer's first cell (truncal): three (Tomasetti, Marchionni & Nowak,
#: PNAS 2015;112:118, "only three driver gene mutations are required").
TRUNCAL_DRIVERS = 3
TOMASETTI = "Tomasetti C, Marchionni L, Nowak MA. PNAS 2015;112:118 (three driver mutations)"
PRESENT_CCF = 0.1
DEPTH, PURITY = 100.0, 0.7


PRIMARY = "primary"  # the primary's site name in the engine's tables
#: SCIMET's driver rate (per daughter cell) and selection: a birth-rate multiplier of 1.3 at
#: beta = 0.3 (:func:`metacascade.engines.evolution.scimet_driver_fitness`).
SCIMET_DRIVER_RATE, SCIMET_DRIVER_FITNESS = 1e-5, 1.3
#: Engine settings: one distant site, SCIMET's tumours grown to 1e9 cells, no detection.
NUMERICS = dict(organs=("distant",), organ_weights=(1.0,), stop_primary_at_cells=1e9,
                stop_metastases_at_cells=1e9, detection_cells=math.inf, history_records=0,
                exact_below_cells=1e3, track_mutations_below_cells=1e3)


def scenario(hypothesis: str) -> Scenario:
    """The SCIMET-like patient (module docstring) as a scenario: exponential growth at r = 0.3
    per day (b = r / beta = 1 per day), seeding mu X (every cell alike), no dormancy, no
    surgery."""
    return load_scenario("breast", [
        "primary.growth=exponential", f"primary.rate_per_day={BETA}", "primary.initial_cells=1",
        "metastasis.growth=same_as_primary", "metastasis.initial_cells=1",
        "dissemination.model=power", "dissemination.gamma=1",
        f"dissemination.mu={SEEDING_RATE[hypothesis]}", "dissemination.size_threshold_cells=0",
        "dissemination.start_day=0", "dissemination.latency_days=0",
        "dissemination.cluster_size=1", "dormancy.single_cell_fraction=0",
        f"mutation.net_growth_fraction={BETA}", f"mutation.rate_per_division={MU}",
        f"mutation.driver_rate_per_division={SCIMET_DRIVER_RATE}",
        f"mutation.driver_fitness={SCIMET_DRIVER_FITNESS}",
        f"mutation.metastatic_trait={hypothesis}",
        f"mutation.metastatic_trait_factor={TRAIT_FACTOR}",
        f"mutation.metastatic_trait_rate_per_division={TRAIT_RATE}",
        "treatment.resection_at_detection=false", "simulation.duration_days=160",
        "simulation.output_step_days=1"])


@dataclass
class Cohort:
    """Per metastasis (``mets``: patient, met_id, Lp, Lm, clonal_metastasis, shared_clonal,
    called_shared, private_primary, private_metastasis) and per patient with >= 2 metastases
    (``drivers``: patient, in_all, in_any; subclonal drivers, present = CCF >= 0.1)."""

    mets: pd.DataFrame
    drivers: pd.DataFrame


def simulate(hypothesis: str, n_patients: int, rng: np.random.Generator) -> Cohort:
    sc = scenario(hypothesis)
    rows, drv = [], []
    for i in range(n_patients):  # one compiled run per patient
        pt = simulate_cell_scale(sc, rng, **NUMERICS)
        alive = pt.metastases.loc[pt.metastases["cells_final"] > 0, "met_id"].tolist()
        if not alive:
            continue
        sites = [PRIMARY, *alive]
        muts = pt.mutations(sites)
        reads = virtual_sequencing(muts, {s: 1 for s in sites}, rng, depth=DEPTH,
                                   purity=PURITY)
        for m in alive:
            st = sequencing_statistics(reads, PRIMARY, m)
            rows.append({"patient": i, "met_id": m, "Lp": st["Lp"], "Lm": st["Lm"],
                         "clonal_metastasis": st["clonal_metastasis"],
                         "shared_clonal": st["shared_clonal"], "called_shared": st["shared"],
                         "private_primary": st["private_primary"],
                         "private_metastasis": st["private_metastasis"]})
        if len(alive) >= 2:
            cl = pt.clones
            par = cl["parent"].to_numpy()
            fit = cl["fitness"].to_numpy()
            is_driver = (par >= 0) & (fit > fit[np.maximum(par, 0)] * (1 + 1e-12))
            ccf = pt.ccf(alive).to_numpy()[is_driver] >= PRESENT_CCF
            drv.append({"patient": i, "in_all": int(ccf.all(axis=1).sum()),
                        "in_any": int(ccf.any(axis=1).sum())})
    mets = pd.DataFrame(rows, columns=["patient", "met_id", "Lp", "Lm", "clonal_metastasis",
                                       "shared_clonal", "called_shared", "private_primary",
                                       "private_metastasis"])
    return Cohort(mets, pd.DataFrame(drv, columns=["patient", "in_all", "in_any"]))


def shared_driver_share(c: Cohort, truncal: int = TRUNCAL_DRIVERS) -> float | None:
    """Drivers present in every metastasis of a patient over drivers present in any, pooled over
    patients with >= 2 metastases (as Reiter et al. 2018 pool theirs), truncal drivers
    included."""
    d = c.drivers
    if d.empty:
        return None
    k = truncal * len(d)
    return float((k + d["in_all"].sum()) / (k + d["in_any"].sum()))


def log_ratio(lm: pd.Series | np.ndarray, lp: pd.Series | np.ndarray) -> np.ndarray:
    """log10((Lm + 1) / (Lp + 1)): Hu et al.'s Lm/Lp, defined when Lp = 0."""
    return np.log10((np.asarray(lm, dtype=float) + 1.0) / (np.asarray(lp, dtype=float) + 1.0))
