"""``metacascade cohort``: simulate virtual patients and write survival tables and figures."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from metacascade.cli._common import atomic_directory, console
from metacascade.cohort import DEFAULT_VARIABILITY, simulate_cohort
from metacascade.errors import MetacascadeError
from metacascade.parallel import make_executor
from metacascade.scenario import load_scenario


def _variability(items: list[str], none: bool) -> dict[str, float]:
    if none:
        return {}
    if not items:
        return dict(DEFAULT_VARIABILITY)
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        try:
            out[key.strip()] = float(raw)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise MetacascadeError(f"--vary {item!r}: expected dotted.key=SIGMA, "
                                   "e.g. --vary dissemination.mu=1.0")
    return out


def cohort(
    scenario: str = typer.Argument("breast", help="Built-in scenario name or a TOML file."),
    patients: int = typer.Option(1000, "--patients", "-n", help="Number of virtual patients."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed [simulation.seed]."),
    executor: str = typer.Option("processes", "--executor",
                                 help="serial | processes | dask."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes [cores]."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address (tcp://host:8786)."),
    vary: list[str] = typer.Option([], "--vary", help="Log-normal variability dotted.key=SIGMA "
                                   "(repeatable) [dissemination.mu=1, primary.rate_per_day=0.25]."),
    no_variability: bool = typer.Option(False, "--no-variability",
                                        help="Identical parameters for every patient."),
    set_: list[str] = typer.Option([], "--set", help="Override a scenario value dotted.key=value."),
    batch_size: int = typer.Option(250, "--batch-size", help="Patients per task."),
    out: Path | None = typer.Option(None, "--out", help="Output folder [cohorts/<scenario>]."),
) -> None:
    """Simulate a cohort; write patients.csv, summary.json, scenario.toml and figures."""
    if patients < 1:
        raise MetacascadeError(f"--patients = {patients}: must be at least 1")
    if batch_size < 1:
        raise MetacascadeError(f"--batch-size = {batch_size}: must be at least 1")
    if executor not in ("serial", "processes", "dask"):
        raise MetacascadeError(f"--executor {executor!r}: choose serial, processes or dask")
    sc = load_scenario(scenario, set_)
    var = _variability(vary, no_variability)
    target = out if out is not None else Path("cohorts") / sc.name
    ex = make_executor(executor, workers, scheduler)
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task(f"cohort {sc.name}", total=patients)
            result = simulate_cohort(sc, patients, var, seed, ex, batch_size=batch_size,
                                     progress=lambda k: bar.advance(task, k))
    finally:
        ex.close()
    from metacascade.plotting.cohort import save_cohort_figures

    with atomic_directory(target) as tmp:
        result.write_into(tmp)
        figures = save_cohort_figures(result, tmp)
    s = result.summary
    console.print(
        f"{s['n_patients']} patients: death of metastasis {s['death_fraction_metastasis']:.1%}, "
        f"of the primary {s['death_fraction_primary']:.1%}, relapse {s['relapse_fraction']:.1%}")
    console.print(f"results written to [bold]{target}[/] (patients.csv, summary.json, "
                  f"scenario.toml, {', '.join(figures)})")
