"""``metacascade report RUN_DIR``: a self-contained HTML report of one ``run`` output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from metacascade.cli._common import console, force_option
from metacascade.outputs import write_output_file
from metacascade.report import render_run_html


def report(
    run_dir: Path = typer.Argument(..., help="A folder written by `metacascade run`."),
    out: Path | None = typer.Option(None, "--out", help="HTML file [RUN_DIR/report.html]."),
    force: bool = force_option(),
) -> None:
    """Write report.html (summary, scenario, figures, provenance) for a `metacascade run` folder."""
    target = out if out is not None else run_dir / "report.html"
    path = write_output_file(target, render_run_html(run_dir), force=force)
    console.print(f"report written to {path}")
