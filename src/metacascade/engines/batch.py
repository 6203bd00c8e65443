"""Many patients of the organism engine at once: the per-chunk computation of a batch.

Each chunk of ``chunk`` patients is one vectorised :func:`~metacascade.engines.organism.solve`
call. The cohort width is shared by the whole batch; the FFT block is set per patient from its own
growth rates (rounded down to a power of two) and chunks only group patients with the same
block, so a patient's numbers do not depend on which chunk it falls in, nor on the number of
workers (bit for bit), and slow growers are not forced onto the short blocks of fast ones.

This module plans a batch (:func:`plan_batch`), computes one chunk into the output arrays
(:func:`run_chunk`) and assembles the result (:func:`batch_result`); the driver that maps the
chunks over an executor, writing the (patients x days) series into shared memory so that they are
never pickled, is :func:`metacascade.simulate_batch` (``metacascade/batch.py``, above the
executor layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from metacascade.engines import _dormancy as dm
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support, raise_problems
from metacascade.engines.organism import (
    SUPPORTS as ORGANISM_SUPPORTS,
)
from metacascade.engines.organism import (
    Patients,
    SystemicPath,
    apply_systemic,
    check_scenario,
    check_solve_memory,
    choose_step,
    fft_block,
    key_events,
    lethal_burden_rows,
    overflow_problems,
    patients_from_scenarios,
    solve,
    systemic_path,
)
from metacascade.errors import MetacascadeError, ScenarioError
from metacascade.limits import check_memory
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]

#: Time series written by :func:`~metacascade.engines.organism.solve`, one (patients, times) array each.
SERIES = ("n_metastases", "n_visible", "metastatic_burden_cells", "visible_burden_cells",
          "primary_cells", "p_any_metastasis", "birth_rate_per_day")


@dataclass(frozen=True)
class Chunk:
    """Patients of one vectorised solve (rows of the batch, in output order) and their FFT block."""

    rows: npt.NDArray[np.intp]
    block: int


@dataclass(frozen=True)
class BatchPlan:
    """Everything a chunk needs (shared read-only by all chunks) and the chunks themselves."""

    pat: Patients
    duration: float
    output_step: float
    secondary: bool
    h: float
    n_out: int
    chunks: list[Chunk]
    scenarios: tuple[Scenario, ...] = ()  # per patient (its lethal burdens)
    systemic: tuple[SystemicPath | None, ...] = ()  # per patient: time-varying growth
    dormancy: dm.DormancyBatch | None = None

    def series_shapes(self) -> dict[str, tuple[int, int]]:
        """The output arrays: one (patients, output times) array per name of :data:`SERIES`."""
        return {name: (self.pat.n, self.n_out) for name in SERIES}


def block_sizes(pat: Patients, h: float) -> npt.NDArray[np.intp]:
    """FFT block of every patient: its own :func:`fft_block` rounded to the nearest power of two (the
    transforms then have a power-of-two length, and patients group into few chunk families)."""
    raw = np.array([fft_block(pat.take(np.array([p])), h) for p in range(pat.n)])
    return (2 ** np.round(np.log2(raw))).astype(np.intp)


def plan_chunks(pat: Patients, h: float, chunk: int) -> list[Chunk]:
    """Chunks of at most ``chunk`` patients sharing one FFT block (largest blocks first)."""
    blocks = block_sizes(pat, h)
    out = []
    for b in np.unique(blocks)[::-1]:
        rows = np.nonzero(blocks == b)[0]
        out += [Chunk(rows[a : a + chunk], int(b)) for a in range(0, rows.size, chunk)]
    return out


def run_chunk(plan: BatchPlan, out: dict[str, Array], chunk: Chunk) -> list[dict[str, Any]]:
    """Solve one chunk, write its rows of every series into ``out`` and return its key events."""
    pat = plan.pat.take(chunk.rows)
    dormancy = None if plan.dormancy is None else plan.dormancy.take(chunk.rows)
    sol = solve(pat, plan.duration, plan.output_step, plan.secondary,
                max_step=plan.h, block=chunk.block, dormancy=dormancy)
    events = key_events(sol)
    if plan.systemic:  # patients with time-varying growth, solved together path by path
        paths = [plan.systemic[i] for i in chunk.rows]
        for path in dict.fromkeys(p for p in paths if p is not None):
            rows = np.array([i for i, p in enumerate(paths) if p == path], dtype=np.intp)
            apply_systemic(path, pat, sol, events, rows)
    for name in SERIES:
        out[name][chunk.rows] = sol.series[name]
    return events


def check_batch(scenarios: Sequence[Scenario], chunk: int, workers: int) -> None:
    """Refuse options and scenario mixes a batch cannot run (one line, naming the value)."""
    if not scenarios:
        raise MetacascadeError("simulate_batch: no scenarios given")
    if chunk < 1:
        raise MetacascadeError(f"simulate_batch: chunk = {chunk}: must be at least 1")
    if workers < 1:
        raise MetacascadeError(f"simulate_batch: workers = {workers}: must be at least 1")
    first = scenarios[0]
    sim = first.simulation
    if any(s.dissemination.model == "cascade" for s in scenarios):
        raise MetacascadeError("simulate_batch runs the power model; use "
                               "metacascade.engines.spread.solve_cascade for cascade scenarios")
    for s in scenarios[1:]:
        if (s.simulation.duration_days, s.simulation.output_step_days) != (
                sim.duration_days, sim.output_step_days):
            raise MetacascadeError(
                "simulate_batch: all scenarios must share simulation.duration_days and "
                "simulation.output_step_days")
        if s.dissemination.secondary != first.dissemination.secondary:
            raise MetacascadeError(
                "simulate_batch: all scenarios must share dissemination.secondary")
    for i, s in enumerate(scenarios):
        raise_problems("batch", check_batch_scenario(s), f"{s.name} (patient {i})")


def plan_batch(scenarios: Sequence[Scenario], chunk: int = 16, workers: int = 1) -> BatchPlan:
    """Check a batch and plan it: the patients, the internal step, the chunks. ``workers`` (the
    chunks solved at once) only enters the memory check."""
    check_batch(scenarios, chunk, workers)
    first = scenarios[0]
    sim = first.simulation
    secondary = first.dissemination.secondary
    n_out = int(np.floor(sim.duration_days / sim.output_step_days + 1e-9)) + 1
    check_memory(len(scenarios) * (len(SERIES) * 8.0 * n_out + 2000.0),
                 f"simulate_batch of {len(scenarios)} patients x {n_out} output points",
                 "simulate fewer patients at once, or raise simulation.output_step_days")
    pat = patients_from_scenarios(scenarios)
    for p, why in enumerate(overflow_problems(pat, sim.duration_days, secondary)):
        if why is not None:
            raise ScenarioError(f"simulate_batch, patient {p}: {why}")
    try:
        dormancy = dm.dormancy_batch(scenarios)
    except ValueError as exc:
        raise MetacascadeError(f"simulate_batch: {exc}") from None
    h, _ = choose_step(pat, sim.output_step_days, sim.max_internal_step_days, secondary)
    check_solve_memory(pat.take(np.arange(min(chunk * workers, pat.n))), sim.duration_days,
                       sim.output_step_days, secondary, h, dormancy is not None)
    paths = tuple(systemic_path(s) for s in scenarios)
    return BatchPlan(pat=pat, duration=sim.duration_days, output_step=sim.output_step_days,
                     secondary=secondary, h=h, n_out=n_out, chunks=plan_chunks(pat, h, chunk),
                     scenarios=tuple(scenarios),
                     systemic=paths if any(p is not None for p in paths) else (),
                     dormancy=dormancy)


def batch_result(plan: BatchPlan, parts: Sequence[list[dict[str, Any]]],
                 out: dict[str, Array]) -> tuple[xr.Dataset, pd.DataFrame]:
    """The time series (patient, time_days) and the key-event table (one row per patient) from
    the filled output arrays and every chunk's key events (in the order of ``plan.chunks``)."""
    rows: list[dict[str, Any]] = [{} for _ in range(plan.pat.n)]
    for c, part in zip(plan.chunks, parts, strict=True):
        for i, row in zip(c.rows, part, strict=True):
            rows[i] = row
    times = np.arange(plan.n_out, dtype=np.float64) * plan.output_step
    ds = xr.Dataset(
        {name: (("patient", "time_days"), out[name]) for name in SERIES},
        coords={"patient": np.arange(plan.pat.n), "time_days": times},
    )
    days, sites = lethal_burden_rows(times, out["primary_cells"], out["metastatic_burden_cells"],
                                     plan.scenarios)
    for row, day, site in zip(rows, days, sites, strict=True):
        row["lethal_burden_day"] = float(day) if np.isfinite(day) else None
        row["lethal_burden_site"] = site
    events = pd.DataFrame(rows)
    events.insert(0, "patient", np.arange(plan.pat.n))
    return ds, events


# ------------------------------------------------------------------------------------------
# The contract (engines/base.py): the organism engine's, without the bone lesion

SUPPORTS: tuple[Support, ...] = tuple(
    Support("bone", "no", "refused (run)") if s.key == "bone" else s for s in ORGANISM_SUPPORTS)


def check_batch_scenario(sc: Scenario) -> list[Problem]:
    """What :func:`simulate_batch` cannot honour in one patient's scenario: the organism engine's
    problems, and the bone lesion (a batch returns the metastatic series only)."""
    return check_scenario(sc, "batch") + sections.no_bone(sc, "batch")


class BatchChecker:
    """The checks of :func:`simulate_batch` (a command, not a single-run engine)."""

    name = "batch"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_batch_scenario(scenario)


CHECKER = BatchChecker()
