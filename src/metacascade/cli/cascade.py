"""``metacascade cascade``: the metastatic cascade, cell by cell (injection experiments)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from metacascade._version import __version__
from metacascade.cli._common import (
    choice,
    console,
    finite,
    force_option,
    out_folder,
    out_option,
    seed_option,
)
from metacascade.engines.injection import FATE_COLUMNS, ROUTES, inject
from metacascade.scenario import cascade_parameters, load_scenario

app = typer.Typer(help="The metastatic cascade: follow injected cells through its steps.",
                  no_args_is_help=True, rich_markup_mode=None)

#: Published reference points drawn on the figure (day, fraction of injected cells).
MARKERS = {
    "portal-vein": {"micrometastasis": (3.0, 0.0225), "macrometastasis": (13.0, 0.0002),
                    "dormant_single": (13.0, 0.36)},
    "tail-vein": {"dead": (1.0, 0.99)},
}


def inject_command(
    cells: int = typer.Option(100_000, "--cells", min=1, max=100_000_000,
                              help="Number of injected cells (1 to 1e8)."),
    route: str = typer.Option("portal-vein", "--route", callback=choice(*ROUTES),
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
    sc = load_scenario(scenario, set_)
    params = cascade_parameters(sc, all_organs=True)
    target = out_folder(out, "injection", force)
    with console.status(Text(f"following {cells:,} cells for {days:g} days ...")):
        res = inject(cells, route, days, seed=seed, params=params)
    summary = dict(res.summary)
    summary.update(version=__version__, created=datetime.now(UTC).isoformat(timespec="seconds"),
                   seed=seed, scenario_name=sc.name,
                   scenario=sc.model_dump(mode="json", exclude_none=True))
    with target.writing(seed=seed, scenario_name=sc.name, cells=cells, route=route,
                        days=days) as tmp:
        res.fates[FATE_COLUMNS].to_csv(tmp / "fates.csv", index=False, float_format="%.9g")
        res.by_organ.to_csv(tmp / "fates_by_organ.csv", index=False, float_format="%.9g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        import matplotlib.pyplot as plt

        from metacascade.cascade_plots import plot_fates

        fig, ax = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
        try:
            plot_fates(res.fates, ax=ax, markers=MARKERS.get(route))
            ax.set_title(f"{cells:,} cells, {route} injection")
            fig.savefig(tmp / "fates.png", dpi=100)
        finally:
            plt.close(fig)
    table = Table(title=f"fates of {cells:,} cells ({route})", header_style="bold")
    for col in FATE_COLUMNS:
        table.add_column(col, justify="right")
    last = len(res.fates) - 1
    for i, row in res.fates.iterrows():
        if row["time_days"] in (90 / 1440, 1.0, 3.0, 13.0) or i == last:
            table.add_row(*(f"{row[c]:.4g}" for c in FATE_COLUMNS))
    console.print(table)
    console.print(f"overall efficiency {summary['overall_efficiency']:.3g} macroscopic tumours "
                  f"per injected cell; results written to {target.given}")


app.command("inject")(inject_command)
