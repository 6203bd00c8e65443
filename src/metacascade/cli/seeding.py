"""``metacascade infer-seeding``: when was each metastasis seeded? (issue 16)

A thin shell over :func:`metacascade.inference.seeding_abc.infer_seeding_table`. Everything the
command needs is checked before any simulation (the data, the cancer type or scenario, the
output folder), so bad input exits with code 2 and leaves no output. The folder holds
``seeding.csv`` (one row per metastasis; the contract columns), ``posterior.parquet`` and
``posterior.csv`` (weighted particles), ``diagnostics.csv`` (model probabilities, the analytic first guess, the SMC's
tolerance and stop reason), ``predictive.csv`` (posterior predictive check), ``observed.csv``
(the statistics inferred from), ``provenance.json`` and the figures ``seeding_posterior.png`` and
``predictive.png``, written through :class:`metacascade.result.SeedingResult` (one atomic
commit; ``metacascade report DIR`` reads it back).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from metacascade.cli._common import (
    BarOnFirstTask,
    check_executor,
    choice_of,
    console,
    finite,
    force_option,
    out_folder,
    out_option,
    scheduler_address,
    seed_option,
    workers_option,
)
from metacascade.errors import MetacascadeError, OptionError, ScenarioError

MODELS = ("NN", "NS", "SN", "SS")
#: Largest known --mutation-rate (per daughter cell per division): ten times the upper end of
#: SCIMET's prior (3). The simulated pairs' mutations grow with the rate (at 100 one pair of
#: tiny runs took 1.7 GB and three minutes, at 1e6 the process ran out of memory).
MUTATION_RATE_MAX = 30.0


def _models(text: str) -> tuple[str, ...]:
    names = tuple(m.strip().upper() for m in text.split(",") if m.strip())
    bad = [m for m in names if m not in MODELS]
    if not names or bad:
        raise ScenarioError(f"--models {text!r}: give a comma-separated subset of "
                            f"{', '.join(MODELS)}")
    return names


def infer_seeding(
    data: Path = typer.Argument(..., help="Read counts (TSV/CSV: mutation_id, sample_id, site, "
                                "ref_counts, alt_counts[, major_cn, minor_cn, normal_cn, "
                                "tumour_content]) or, with --summary-statistics, SCIMET's "
                                "table (Met, S1..S9)."),
    summary_statistics: bool = typer.Option(False, "--summary-statistics",
                                            help="DATA is a SCIMET summary-statistics table."),
    cancer_type: str = typer.Option(..., "--cancer-type",
                                    help="colorectal | breast | lung (Hu 2020 Gompertz growth) "
                                         "or a scenario name / TOML file (its primary growth)."),
    seed: int = seed_option(0, "Random seed (same seed, same posterior on any executor)."),
    out: Path = out_option(..., "Output folder (written atomically)."),
    executor: str = typer.Option("processes", "--executor", callback=choice_of("metacascade.parallel", "EXECUTORS"),
                                 help="serial | processes | dask."),
    workers: int | None = workers_option(None, "Worker processes [cores]."),
    scheduler: str | None = typer.Option(None, "--scheduler", callback=scheduler_address,
                                         help="Dask scheduler address (tcp://host:8786); "
                                              "needs --executor dask."),
    models: str = typer.Option("NN,NS,SN,SS", "--models",
                               help="Growth/selection models compared (SCIMET's four: neutral "
                                    "or selection in the primary / the metastasis)."),
    mutation_rate: float | None = typer.Option(
        None, "--mutation-rate", callback=finite(0.0, MUTATION_RATE_MAX, lo_open=True),
        help="Known mutation rate (per daughter cell per division in the sequenced territory); "
             "inferred when not given."),
    primary_site: str | None = typer.Option(None, "--primary-site", show_default="primary",
                                            help="The value of 'site' that names the primary "
                                                 "tumour (read counts only)."),
    metastases: str | None = typer.Option(None, "--metastases",
                                          help="Only these metastases (comma-separated)."),
    population_size: int = typer.Option(400, "--population-size", min=20, max=100_000,
                                        help="Particles per SMC generation."),
    max_simulations: int = typer.Option(20_000, "--max-simulations", min=1000,
                                        max=10_000_000,
                                        help="Most simulations per metastasis."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG figures."),
    force: bool = force_option(),
) -> None:
    """Infer when each metastasis was seeded (primary size and years before diagnosis)."""
    from metacascade.inference.reads import PRIMARY_SITE, load_seeding_data
    from metacascade.inference.seeding import timing_law
    from metacascade.inference.seeding_abc import (
        SeedingProgress,
        SeedingSettings,
        data_purity,
        infer_seeding_table,
        observed_statistics,
    )
    from metacascade.parallel import make_executor

    check_executor(executor, workers, scheduler)
    if summary_statistics and primary_site is not None:
        raise OptionError(f"--primary-site {primary_site!r}: not used with --summary-statistics "
                          "(a SCIMET table has one row per metastasis and no 'site' column)")
    target = out_folder(out, "seeding", force, inputs=[data, cancer_type])
    try:
        law = timing_law(cancer_type)
    except MetacascadeError as exc:
        raise ScenarioError(f"--cancer-type {cancer_type!r}: neither colorectal, breast, lung "
                            f"nor a scenario ({exc})") from None
    seeding_data = load_seeding_data(data, summary_statistics=summary_statistics,
                                     primary_site=primary_site or PRIMARY_SITE)
    settings = SeedingSettings(models=_models(models), mutation_rate=mutation_rate,
                               population_size=population_size,
                               max_simulations=max_simulations,
                               purity=data_purity(seeding_data))
    observed = observed_statistics(seeding_data)
    chosen = [m.strip() for m in metastases.split(",")] if metastases else None
    unknown = [m for m in chosen or [] if m not in set(observed["Met"])]
    if unknown:
        raise ScenarioError(f"--metastases: {unknown[0]!r} is not in {data} (metastases: "
                            f"{', '.join(observed['Met'])})")
    ex = make_executor(executor, workers, scheduler)
    # the bar starts when the first simulations are handed out: after all of the checks
    bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=False)
    runner = BarOnFirstTask(ex, bar)
    try:
        task = bar.add_task("metastases", total=len(chosen or observed))

        def show(p: SeedingProgress) -> None:
            if p.generation is None:
                bar.advance(task, 1)
                bar.update(task, description=f"{p.met}: done")
                return
            g = p.generation
            bar.update(task, description=(
                f"{p.met} ({p.index + 1}/{p.total}): generation {g.generation}, "
                f"tolerance {g.epsilon:.3g}, acceptance {g.acceptance_rate:.2f}, "
                f"{g.n_simulations:,} simulations"))

        run = infer_seeding_table(seeding_data, law, seed=seed, settings=settings,
                                  executor=runner, metastases=chosen, progress=show)
    finally:
        runner.stop()
        ex.close()
    result = run.to_result(data=str(data), cancer_type=cancer_type)
    seeding = result.seeding
    names: list[str] = []
    with result.saving(target) as tmp:
        if figures:
            from metacascade.plotting.seeding import save_seeding_figures

            names = save_seeding_figures(result.posterior, result.predictive, tmp,
                                         law.detection_cells, law.diagnosis_cells, seeding)
    table = Table(title=f"metacascade infer-seeding: {len(seeding)} metastases ({law.label})")
    for col in ("met", "log10 N_s [Q1, Q3]", "years before diagnosis [95 %]", "p_early",
                "model"):
        table.add_column(col, justify="left" if col == "met" else "right")
    for _, r in seeding.iterrows():
        table.add_row(str(r["met"]),
                      f"{r['log10_seeding_cells_median']:.2f} [{r['log10_seeding_cells_q1']:.2f}"
                      f", {r['log10_seeding_cells_q3']:.2f}]",
                      f"{r['years_before_diagnosis_median']:.2f} "
                      f"[{r['years_before_diagnosis_lower']:.2f}, "
                      f"{r['years_before_diagnosis_upper']:.2f}]",
                      f"{r['p_early']:.2f}", str(r["model"]))
    console.print(table)
    pts = result.early_patients()
    console.print(f"early (posterior Q3 below {law.detection_cells:.0e} cells): "
                  f"{int(sum(m.early for m in run.metastases))} of {len(run.metastases)} "
                  f"metastases, {int(pts['early'].sum())} of {len(pts)} patients")
    console.print(f"results written to {target.given} (seeding.csv, posterior.parquet, "
                  "posterior.csv, diagnostics.csv, predictive.csv, observed.csv, provenance.json"
                  f"{''.join(', ' + n for n in names)})")
