"""``metacascade claims``: rerun the seed statements' experiments and report the verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from metacascade.cli._common import (
    console,
    force_option,
    loaded,
    out_folder,
    out_option,
    seed_option,
    workers_option,
)

if TYPE_CHECKING:
    from metacascade.claims.base import Verdict

STYLE = {"reproduced": "bold green", "not reproduced": "bold red", "illustrated": "bold blue",
         "error": "bold yellow", "not yet modelled": "dim"}
LINE_STYLE = {"FAIL": "red", "pass": "green"}


def _styled(line: str) -> Text:
    """A line with its pass/FAIL word coloured (a rich Text: user strings are never markup)."""
    for word, style in LINE_STYLE.items():
        if f" {word}:" in line:
            head, tail = line.split(f" {word}:", 1)
            return Text.assemble(f"{head} ", (word, style), f":{tail}")
    return Text(line)


def verdict_table(verdicts: list[Verdict]) -> Table:
    """One row per statement: its status and, for a modelled claim, every validation target
    and check with its measured value, rule and pass/fail, then what was calibration."""
    from metacascade.claims.display import verdict_lines

    table = Table(title="metacascade claims", show_header=True, header_style="bold",
                  show_lines=True)
    table.add_column("id")
    table.add_column("status")
    table.add_column("numbers: measured, tolerance, pass/fail", overflow="fold")
    for v in verdicts:
        status = Text(v.status, style=STYLE[v.status])
        if v.quick_undecided:
            status.append("\n(quick: undecided)", style="yellow")
        table.add_row(v.id, status, Text("\n").join(_styled(x) for x in verdict_lines(v)))
    return table


def claims(
    only: str | None = typer.Option(None, "--only", help="Comma-separated statement ids, "
                                    "e.g. S13,S15 [all of S1..S18]."),
    out: Path = out_option(Path("runs") / "claims",
                           "Output folder for claims.json, claims.html and figures."),
    quick: bool = typer.Option(False, "--quick", help="Small samples: a check in seconds."),
    seed: int = seed_option(0, "Random seed passed to every experiment."),
    jobs: int | None = workers_option(None, "Worker processes [CPU count, at most 4].",
                                      "--jobs", "-j"),
    force: bool = force_option(),
) -> None:
    """Run the seed statements' experiments; print the verdicts; write claims.json and claims.html.

    Exit code 0 when every modelled claim is reproduced, 1 otherwise, 2 for bad input.
    """
    from metacascade.claims.runner import (  # imported when the command runs
        all_reproduced,
        parse_only,
        run_claims,
    )
    from metacascade.result.claims import CLAIMS_HTML, CLAIMS_JSON

    loaded()
    ids = parse_only(only)  # bad ids: MetacascadeError -> one message, exit code 2
    target = out_folder(out, "claims", force)
    with console.status(Text(f"running {len(ids)} claim(s){' (quick)' if quick else ''} ...")):
        verdicts = run_claims(ids, out_dir=target, quick=quick, seed=seed, parallel=jobs)
    console.print(verdict_table(verdicts))
    console.print(f"written {out / CLAIMS_JSON} and {out / CLAIMS_HTML}")
    raise typer.Exit(0 if all_reproduced(verdicts) else 1)
