"""``metacascade report DIR``: a self-contained HTML report of any command's output folder."""

from __future__ import annotations

from pathlib import Path

import typer

from metacascade.cli._common import console, force_option, loaded


def report(
    run_dir: Path = typer.Argument(..., metavar="DIR",
                                   help="A folder written by `metacascade run`, `cohort`, "
                                        "`cascade inject`, `fit`, `predict` or `claims`."),
    out: Path | None = typer.Option(None, "--out", help="HTML file [DIR/report.html]."),
    force: bool = force_option(),
) -> None:
    """Write report.html (summary, figures, scenario, provenance) for an output folder; the kind
    is read from its provenance.json."""
    from metacascade.report import write_report  # imported when the command runs

    loaded()
    path = write_report(run_dir, out, force=force)
    console.print(f"report written to {path}")
