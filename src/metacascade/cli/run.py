"""``metacascade run``: simulate one scenario and write results and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

SUMMARY_ROWS = [
    ("detection_day", "diagnosis (primary reaches detection size)", "day"),
    ("first_metastasis_day", "first metastasis expected (N = 1)", "day"),
    ("half_probability_day", "P(at least one metastasis) = 0.5", "day"),
    ("lead_time_days", "seeding precedes diagnosis by", "days"),
    ("lead_time_years", "seeding precedes diagnosis by (years)", "years"),
    ("resection_day", "resection of the primary", "day"),
    ("n_metastases_at_detection", "metastases at diagnosis, N", ""),
    ("p_any_metastasis_at_detection", "P(at least one) at diagnosis", ""),
    ("n_visible_at_detection", "visible metastases at diagnosis", ""),
    ("burden_at_detection_cells", "metastatic burden at diagnosis", "cells"),
    ("first_visible_metastasis_day", "first visible metastasis (relapse)", "day"),
    ("n_metastases_final", "metastases at the end", ""),
    ("metastatic_burden_cells_final", "metastatic burden at the end", "cells"),
]

BONE_ROWS = [
    ("bone_mass_min_percent", "bone mass, minimum", "%"),
    ("bone_mass_min_day", "bone mass minimum on day", "day"),
    ("bone_mass_final_percent", "bone mass at the end", "%"),
    ("bone_tumour_cells_final", "tumour in the bone lesion at the end", "cells"),
]


def _fmt(v: Any) -> str:
    if v is None:
        return "never"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:.3e}"
    return str(v)


def summary_table(summary: dict[str, Any], title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, label, unit in SUMMARY_ROWS:
        table.add_row(label or key, _fmt(summary.get(key)), unit)
    for key, label, unit in BONE_ROWS:
        if key in summary:
            table.add_row(label, _fmt(summary.get(key)), unit)
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

    loaded()
    sets = [*set_, f"simulation.seed={seed}"] if seed is not None else list(set_)
    sc = load_scenario(scenario, sets)
    stochastic = engine == "stochastic"
    target = out_folder(out, "stochastic" if stochastic else "run", force, root="runs",
                        name=sc.name)
    with console.status(Text(f"simulating {sc.name} ...")):
        result = simulate(sc, engine)
    with result.saving(target) as tmp:
        figures = save_run_figures(result, tmp)
        if stochastic:
            from metacascade.plotting.cellscale import save_cellscale_figures

            figures += save_cellscale_figures(result, tmp)
        write_json(tmp / "figures.json", figures, indent=None)
    if not quiet:
        console.print(summary_table(result.summary, f"metacascade run: {sc.name}"))
    cells = ("clones.csv, metastases.csv, clone_history.csv, genealogy.trees, "
             if stochastic else "")
    console.print(f"results written to {target.given} (summary.json, timeseries.csv, events.csv, "
                  f"result.zarr, scenario.toml, provenance.json, {cells}{', '.join(figures)})")
