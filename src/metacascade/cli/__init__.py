"""The ``metacascade`` command line: a thin shell over the public API.

:func:`main` is the one error path: usage, path, value and data errors print one line (plus at
most one hint) and exit with code 2; Ctrl-C prints ``interrupted`` and exits with 130; anything
else is a bug, printed with its traceback and a request to report it (exit code 1).
"""

from __future__ import annotations

import difflib
import gc
import os
import re
import sys
from typing import Any

import typer

from metacascade._version import version
from metacascade.cli import cascade as _cascade
from metacascade.cli import claims as _claims
from metacascade.cli import cohort as _cohort
from metacascade.cli import fit as _fit
from metacascade.cli import report as _report
from metacascade.cli import run as _run
from metacascade.cli import scenarios as _scenarios
from metacascade.cli import seeding as _seeding
from metacascade.cli import sequence as _sequence
from metacascade.cli._common import (
    DEFAULT_GC_THRESHOLDS,
    console,
    fail,
    interrupted,
    loading,
    report_bug,
)
from metacascade.errors import MetacascadeError

app = typer.Typer(
    name="metacascade",
    help="Simulate, fit and time cancer metastasis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are printed as written (brackets, defaults and all)
)


def _version(value: bool) -> None:
    if value:
        console.print(f"metacascade {version()}")
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
app.command("infer-seeding")(_seeding.infer_seeding)
app.command("sequence")(_sequence.sequence)


def use_agg() -> None:
    """The command line only writes figure files: draw them with Agg, never on a display. The
    only place that selects a matplotlib backend (the library never does); through the
    environment when matplotlib is not imported yet, so that ``--help`` does not import it."""
    if "matplotlib" in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"


def _command_path(ctx: Any) -> str:
    """``metacascade cascade inject`` (the program name as users type it, whatever argv[0])."""
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["metacascade", *reversed(names)])


def _usage_hint(exc: typer.TyperException) -> str | None:
    """"did you mean ...?" for a misspelt option or command, else where to find the help."""
    ctx = getattr(exc, "ctx", None)
    near: list[str] = list(getattr(exc, "possibilities", None) or [])
    message = getattr(exc, "message", "")
    hit = re.match(r"No such command '([^']*)'", message)
    if hit and "Did you mean" not in message and ctx is not None \
            and hasattr(ctx.command, "list_commands"):
        near = difflib.get_close_matches(hit.group(1), ctx.command.list_commands(ctx), n=3)
    see = f"see '{_command_path(ctx)} --help'"
    if near:
        return f"did you mean {' or '.join(near)}? ({see})"
    return see


def _usage_error(exc: typer.TyperException) -> None:
    """Print a (vendored) click usage error as one line plus one hint and exit with code 2."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # a group, no command
        names = ", ".join(ctx.command.list_commands(ctx))
        fail("missing command", hint=f"choose one of {names} (see "
                                     f"'{_command_path(ctx)} --help')")
    if getattr(exc, "possibilities", None):
        message = exc.message  # the suggestions go to the hint line
    else:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    fail(message, hint=_usage_hint(exc))


def main() -> None:
    """Console entry point: the one error path of every command (see the module docstring)."""
    use_agg()
    loading()
    try:
        code = app(standalone_mode=False)
    except MetacascadeError as exc:
        fail(str(exc), hint=exc.hint)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        fail("aborted", code=1)
    except KeyboardInterrupt:
        interrupted()
    except typer.TyperException as exc:  # typer's bundled click: usage and parameter errors
        _usage_error(exc)
    except Exception as exc:
        report_bug(exc)
    finally:  # a command that failed before loaded(): the interpreter's collector again
        gc.set_threshold(*DEFAULT_GC_THRESHOLDS)
    if code == 130:  # typer turns KeyboardInterrupt into Exit(130)
        interrupted()
    if isinstance(code, int) and code:
        sys.exit(code)
