"""``metacascade cascade``: the metastatic cascade, cell by cell (injection experiments)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from metacascade.cli._common import (
    choice_of,
    console,
    finite,
    force_option,
    loaded,
    out_folder,
    out_option,
    seed_option,
)

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(help="The metastatic cascade: follow injected cells through its steps.",
                  no_args_is_help=True, rich_markup_mode=None)

#: Rows of the printed table: the times of the published reference points and the last day.
TABLE_DAYS = (90 / 1440, 1.0, 3.0, 13.0)


def inject_command(
    cells: int = typer.Option(100_000, "--cells", min=1, max=100_000_000,
                              help="Number of injected cells (1 to 1e8)."),
    route: str = typer.Option("portal-vein", "--route", callback=choice_of("metacascade.engines.injection", "ROUTES"),
                              help="Injection route: tail-vein, portal-vein or intracardiac."),
    days: float = typer.Option(14.0, "--days", callback=finite(0.0, 3650.0, lo_open=True),
                               help="Follow-up in days (0 < days <= 3650)."),
    seed: int = seed_option(0, "Random seed (recorded in summary.json)."),
    out: Path = out_option(Path("runs/inject"), "Output folder."),
    scenario: str = typer.Option("breast", "--scenario",
                                 help="Take the cascade.* and organs.* parameters from this "
                                      "scenario (name or TOML file)."),
    set_: list[str] = typer.Option([], "--set", help="Override a scenario value, e.g. "
                                   "--set cascade.adhesion_efficiency=0 (repeatable)."),
    force: bool = force_option(),
) -> None:
    """Inject cells and write fates.csv, fates_by_organ.csv, summary.json and fates.png."""
    from metacascade.engines.injection import inject  # when the command runs
    from metacascade.scenario import cascade_parameters, load_scenario

    loaded()
    sc = load_scenario(scenario, set_)
    params = cascade_parameters(sc, all_organs=True)
    target = out_folder(out, "injection", force, inputs=[scenario])
    with console.status(Text(f"following {cells:,} cells for {days:g} days ...")):
        res = inject(cells, route, days, seed=seed, params=params, scenario=sc)
    from metacascade.plotting.injection import save_injection_figures

    with res.saving(target) as tmp:
        save_injection_figures(res, tmp)
    console.print(fates_table(res.fates, f"fates of {cells:,} cells ({route})"))
    console.print(f"overall efficiency {res.summary['overall_efficiency']:.3g} macroscopic "
                  f"tumours per injected cell; results written to {target.given}")


def _day(t: float) -> str:
    return f"{t * 1440:.0f} min" if t < 1 else f"day {t:g}"


def fates_table(fates: pd.DataFrame, title: str) -> Table:
    """One row per state, one column per reported time: the column headers are short times, so
    the table fits an 80-column terminal (the state names used to be cut as headers)."""
    from metacascade.engines.injection import FATE_COLUMNS

    t = fates["time_days"].to_numpy()
    rows = [i for i, ti in enumerate(t) if ti in TABLE_DAYS or i == len(t) - 1]
    table = Table(title=title, header_style="bold")
    table.add_column("fraction of cells", no_wrap=True)
    for i in rows:
        table.add_column(_day(float(t[i])), justify="right", no_wrap=True)
    for col in FATE_COLUMNS[1:]:
        v = fates[col].to_numpy()
        table.add_row(col.replace("_", " "), *(f"{v[i]:.4g}" for i in rows))
    return table


app.command("inject")(inject_command)
