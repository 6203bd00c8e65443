"""``metacascade run``: simulate one scenario and write results and figures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from metacascade.cli._common import (
    choice,
    console,
    force_option,
    loaded,
    out_folder,
    out_option,
    seed_option,
)
from metacascade.engines.base import AUTO, engine_names

if TYPE_CHECKING:
    from metacascade.result import Result


def _fmt(v: Any) -> str:
    if v is None:
        return "never"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:.3e}"
    return str(v)


def summary_table(result: Result, title: str) -> Table:
    """The run's summary rows (:meth:`Result.summary_rows`); the lethal burden's sentence
    (:meth:`Result.death_note`) as the caption."""
    note = result.death_note()
    table = Table(title=title, show_header=True, header_style="bold",
                  caption=note or None, caption_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for row in result.summary_rows():
        style = "bold red" if row.key == "lethal_burden_day" and row.value is not None else None
        table.add_row(row.label or row.key, _fmt(row.value), row.unit_note, style=style)
    return table


def run(
    scenario: str = typer.Argument("breast", help="Built-in scenario name or a TOML file."),
    set_: list[str] = typer.Option([], "--set", help="Override a value: dotted.key=value "
                                   "(repeatable), e.g. --set dissemination.mu=1e-11."),
    out: Path | None = out_option(None, "Output folder [runs/<scenario name as a safe slug>]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the summary table."),
    force: bool = force_option(),
    engine: str = typer.Option(AUTO, "--engine", callback=choice(AUTO, *engine_names()),
                               help="auto | " + " | ".join(engine_names()) + " (auto: spread for "
                               "dissemination.model = cascade, else organism)."),
    seed: int | None = seed_option(None, "Random seed [simulation.seed] (recorded in "
                                   "provenance.json; the stochastic engine draws with it)."),
) -> None:
    """Simulate a scenario; write summary.json, timeseries (zarr + CSV), events.csv and PNG
    figures. With --engine stochastic also clones.csv, metastases.csv, clone_history.csv and
    genealogy.trees (one stochastic patient, drawn by --seed)."""
    from metacascade.api import simulate  # imported when the command runs
    from metacascade.plotting.run import save_run_figures
    from metacascade.result.jsonio import write_json
    from metacascade.scenario import load_scenario

    sets = [*set_, f"simulation.seed={seed}"] if seed is not None else list(set_)
    sc = load_scenario(scenario, sets)
    stochastic = engine == "stochastic"
    target = out_folder(out, "stochastic" if stochastic else "run", force, root="runs",
                        name=sc.name, inputs=[scenario])
    with console.status(Text(f"simulating {sc.name} ...")):
        result = simulate(sc, engine)
    with result.saving(target) as tmp:
        figures = save_run_figures(result, tmp)
        if stochastic:
            from metacascade.plotting.cellscale import save_cellscale_figures

            figures += save_cellscale_figures(result, tmp)
        write_json(tmp / "figures.json", figures, indent=None)
    loaded()  # a run imports until its last figure (engine kernels, zarr, matplotlib's renderer)
    if not quiet:
        console.print(summary_table(result, f"metacascade run: {sc.name}"))
    cells = ("clones.csv, metastases.csv, clone_history.csv, genealogy.trees, "
             if stochastic else "")
    console.print(f"results written to {target.given} (summary.json, timeseries.csv, events.csv, "
                  f"result.zarr, scenario.toml, provenance.json, {cells}{', '.join(figures)})")
