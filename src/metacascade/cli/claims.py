"""``metacascade claims``: rerun the seed statements' experiments and report the verdicts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from metacascade.claims.base import Verdict
from metacascade.claims.display import verdict_lines
from metacascade.claims.runner import (
    CLAIMS_HTML,
    CLAIMS_JSON,
    all_reproduced,
    parse_only,
    run_claims,
)
from metacascade.cli._common import console

STYLE = {"reproduced": "bold green", "not reproduced": "bold red", "illustrated": "bold blue",
         "error": "bold yellow", "not yet modelled": "dim"}
LINE_STYLE = {"FAIL": "red", "pass": "green"}


def _styled(line: str) -> str:
    """Colour the pass/FAIL word of a line (rich markup; the rest is escaped)."""
    from rich.markup import escape

    for word, style in LINE_STYLE.items():
        if f" {word}:" in line:
            head, tail = line.split(f" {word}:", 1)
            return f"{escape(head)} [{style}]{word}[/]:{escape(tail)}"
    return escape(line)


def verdict_table(verdicts: list[Verdict]) -> Table:
    """One row per statement: its status and, for a modelled claim, every validation target
    and check with its measured value, rule and pass/fail, then what was calibration."""
    table = Table(title="metacascade claims", show_header=True, header_style="bold",
                  show_lines=True)
    table.add_column("id")
    table.add_column("status")
    table.add_column("numbers: measured, tolerance, pass/fail", overflow="fold")
    for v in verdicts:
        status = f"[{STYLE[v.status]}]{v.status}[/]"
        if v.quick_undecided:
            status += "\n[yellow](quick: undecided)[/]"
        table.add_row(v.id, status, "\n".join(_styled(x) for x in verdict_lines(v)))
    return table


def claims(
    only: str | None = typer.Option(None, "--only", help="Comma-separated statement ids, "
                                    "e.g. S13,S15 [all of S1..S18]."),
    out: Path = typer.Option(Path("runs") / "claims", "--out",
                             help="Output folder for claims.json, claims.html and figures."),
    quick: bool = typer.Option(False, "--quick", help="Small samples: a check in seconds."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed passed to every experiment."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1,
                                    help="Worker processes [CPU count, at most 4]."),
) -> None:
    """Run the seed statements' experiments; print the verdicts; write claims.json and claims.html.

    Exit code 0 when every modelled claim is reproduced, 1 otherwise, 2 for bad input.
    """
    ids = parse_only(only)  # bad ids: MetacascadeError -> one message, exit code 2
    with console.status(f"running {len(ids)} claim(s){' (quick)' if quick else ''} ..."):
        verdicts = run_claims(ids, out_dir=out, quick=quick, seed=seed, parallel=jobs)
    console.print(verdict_table(verdicts))
    console.print(f"written [bold]{out / CLAIMS_JSON}[/] and [bold]{out / CLAIMS_HTML}[/]")
    raise typer.Exit(0 if all_reproduced(verdicts) else 1)
