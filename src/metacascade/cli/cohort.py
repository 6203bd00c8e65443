"""``metacascade cohort``: simulate virtual patients and write survival tables and figures."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from metacascade.cli._common import (
    BarOnFirstTask,
    check_executor,
    choice_of,
    console,
    force_option,
    loaded,
    out_folder,
    out_option,
    scheduler_address,
    seed_option,
    workers_option,
)
from metacascade.errors import MetacascadeError, OptionError

#: Most patients one command accepts (the memory estimate of the cohort engine refuses less).
PATIENTS_MAX = 10**9


def _variability(items: list[str], none: bool) -> dict[str, float]:
    if none and items:
        raise OptionError(f"--vary {items[0]!r} and --no-variability conflict: give one of them "
                          "(--no-variability: identical parameters for every patient)")
    if none:
        return {}
    if not items:
        from metacascade.cohort import DEFAULT_VARIABILITY

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
    patients: int = typer.Option(1000, "--patients", "-n", min=1, max=PATIENTS_MAX,
                                 help="Number of virtual patients."),
    seed: int | None = seed_option(None, "Random seed [simulation.seed]."),
    executor: str = typer.Option("processes", "--executor", callback=choice_of("metacascade.parallel", "EXECUTORS"),
                                 help="serial | processes | dask."),
    workers: int | None = workers_option(None, "Worker processes [cores]."),
    scheduler: str | None = typer.Option(None, "--scheduler", callback=scheduler_address,
                                         help="Dask scheduler address (tcp://host:8786); "
                                              "needs --executor dask."),
    vary: list[str] = typer.Option([], "--vary", help="Log-normal variability dotted.key=SIGMA "
                                   "(repeatable) [dissemination.mu=1, primary.rate_per_day=0.25]."),
    no_variability: bool = typer.Option(False, "--no-variability",
                                        help="Identical parameters for every patient."),
    set_: list[str] = typer.Option([], "--set", help="Override a scenario value dotted.key=value."),
    batch_size: int = typer.Option(250, "--batch-size", min=1, max=PATIENTS_MAX,
                                   help="Patients per task."),
    out: Path | None = out_option(None, "Output folder [cohorts/<scenario name as a safe slug>]."),
    force: bool = force_option(),
) -> None:
    """Simulate a cohort; write patients.csv, summary.json, scenario.toml and figures."""
    from metacascade.cohort import simulate_cohort  # imported when the command runs
    from metacascade.parallel import make_executor
    from metacascade.scenario import load_scenario

    loaded()
    check_executor(executor, workers, scheduler)
    sc = load_scenario(scenario, set_)
    var = _variability(vary, no_variability)
    target = out_folder(out, "cohort", force, root="cohorts", name=sc.name,
                        inputs=[scenario])
    ex = make_executor(executor, workers, scheduler)
    # the bar starts when the cohort's first batches are handed out: after all of its checks
    bar = Progress(TextColumn("{task.description}", markup=False, style="bold"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    runner = BarOnFirstTask(ex, bar)
    try:
        task = bar.add_task(f"cohort {sc.name}", total=patients)
        result = simulate_cohort(sc, patients, var, seed, runner, batch_size=batch_size,
                                 progress=lambda k: bar.advance(task, k))
    finally:
        runner.stop()
        ex.close()
    from metacascade.plotting.cohort import save_cohort_figures

    with result.saving(target) as tmp:
        figures = save_cohort_figures(result, tmp)
    s = result.summary
    console.print(
        f"{s['n_patients']} patients: death of metastasis {s['death_fraction_metastasis']:.1%}, "
        f"of the primary {s['death_fraction_primary']:.1%}, relapse {s['relapse_fraction']:.1%}")
    console.print(f"results written to {target.given} (patients.csv, summary.json, "
                  f"scenario.toml, provenance.json, {', '.join(figures)})")
