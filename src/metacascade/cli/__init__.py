"""The ``metacascade`` command line: a thin shell over the public API."""

from __future__ import annotations

import os
import sys

import typer

from metacascade._version import __version__
from metacascade.cli import cascade as _cascade
from metacascade.cli import claims as _claims
from metacascade.cli import cohort as _cohort
from metacascade.cli import fit as _fit
from metacascade.cli import report as _report
from metacascade.cli import run as _run
from metacascade.cli import scenarios as _scenarios
from metacascade.cli._common import console, fail
from metacascade.errors import MetacascadeError

app = typer.Typer(
    name="metacascade",
    help="Simulate, fit and time cancer metastasis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"metacascade {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Simulate, fit and time cancer metastasis (https://github.com/metacascade)."""


app.command("run")(_run.run)
app.command("claims")(_claims.claims)
app.command("report")(_report.report)
app.command("fit")(_fit.fit)
app.command("predict")(_fit.predict)
app.add_typer(_scenarios.app, name="scenarios")
app.add_typer(_cascade.app, name="cascade")
app.command("cohort")(_cohort.cohort)


def use_agg() -> None:
    """The command line only writes figure files: draw them with Agg, never on a display. The
    only place that selects a matplotlib backend (the library never does); through the
    environment when matplotlib is not imported yet, so that ``--help`` does not import it."""
    if "matplotlib" in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"


def main() -> None:
    """Console entry point: user errors print one message and exit with code 2."""
    use_agg()
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(code) is returned, not raised, here
            sys.exit(code)
    except MetacascadeError as exc:
        fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        fail("aborted")
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
