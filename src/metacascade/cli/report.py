"""``metacascade report RUN_DIR``: a self-contained HTML report of one ``run`` output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from metacascade.cli._common import console
from metacascade.report import write_run_report


def report(
    run_dir: Path = typer.Argument(..., help="A folder written by `metacascade run`."),
    out: Path | None = typer.Option(None, "--out", help="HTML file [RUN_DIR/report.html]."),
) -> None:
    """Write report.html (summary, scenario, figures, provenance) for a `metacascade run` folder."""
    path = write_run_report(run_dir, out)
    console.print(f"report written to [bold]{path}[/]")
