"""``metacascade cascade``: the metastatic cascade, cell by cell (injection experiments)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from metacascade._version import __version__
from metacascade.cli._common import atomic_directory, console
from metacascade.engines.injection import FATE_COLUMNS, ROUTES, inject
from metacascade.errors import MetacascadeError
from metacascade.scenario import cascade_parameters, load_scenario

app = typer.Typer(help="The metastatic cascade: follow injected cells through its steps.",
                  no_args_is_help=True)

#: Rows of the printed table: the times of the published reference points and the last day.
TABLE_DAYS = (90 / 1440, 1.0, 3.0, 13.0)


def inject_command(
    cells: int = typer.Option(100_000, "--cells", help="Number of injected cells (1 to 1e8)."),
    route: str = typer.Option("portal-vein", "--route",
                              help="Injection route: tail-vein, portal-vein or intracardiac."),
    days: float = typer.Option(14.0, "--days", help="Follow-up in days (0 < days <= 3650)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (recorded in summary.json)."),
    out: Path = typer.Option(Path("runs/inject"), "--out", help="Output folder."),
    scenario: str | None = typer.Option(None, "--scenario",
                                        help="Take the cascade.* and organs.* parameters from "
                                             "this scenario (name or TOML file)."),
    set_: list[str] = typer.Option([], "--set", help="Override a scenario value, e.g. "
                                   "--set cascade.adhesion_efficiency=0 (repeatable)."),
) -> None:
    """Inject cells and write fates.csv, fates_by_organ.csv, summary.json and fates.png."""
    if route not in ROUTES:
        raise MetacascadeError(f"--route {route!r} is not allowed; use one of {', '.join(ROUTES)}")
    if not 1 <= cells <= 100_000_000:
        raise MetacascadeError(f"--cells = {cells}: allowed 1 to 100000000")
    if not 0 < days <= 3650:
        raise MetacascadeError(f"--days = {days:g}: allowed > 0 and <= 3650")
    if seed < 0:
        raise MetacascadeError(f"--seed = {seed}: must be >= 0")
    params = None
    sc = None
    if scenario is not None or set_:
        sc = load_scenario(scenario or "breast", set_)
        params = cascade_parameters(sc, all_organs=True)
    with console.status(f"following {cells:,} cells for {days:g} days ..."):
        res = inject(cells, route, days, seed=seed, params=params)
    summary = dict(res.summary)
    summary.update(version=__version__, created=datetime.now(UTC).isoformat(timespec="seconds"),
                   scenario=None if sc is None else sc.model_dump(mode="json", exclude_none=True))
    with atomic_directory(out) as tmp:
        res.fates[FATE_COLUMNS].to_csv(tmp / "fates.csv", index=False, float_format="%.9g")
        res.by_organ.to_csv(tmp / "fates_by_organ.csv", index=False, float_format="%.9g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        from metacascade.plotting.injection import save_injection_figures

        save_injection_figures(res, tmp)
    console.print(fates_table(res.fates, f"fates of {cells:,} cells ({route})"))
    console.print(f"overall efficiency {summary['overall_efficiency']:.3g} macroscopic tumours "
                  f"per injected cell; results written to [bold]{out}[/]")


def _day(t: float) -> str:
    return f"{t * 1440:.0f} min" if t < 1 else f"day {t:g}"


def fates_table(fates: pd.DataFrame, title: str) -> Table:
    """One row per state, one column per reported time: the column headers are short times, so
    the table fits an 80-column terminal (the state names used to be cut as headers)."""
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
