"""What every CLI command shares: the consoles, the one error path, option ranges, output folders.

User strings (scenario names, paths, ids, values) are never interpreted as rich markup: the
consoles have markup and emoji off, and emphasis is given with ``style=`` or :class:`rich.text.Text`.
"""

from __future__ import annotations

import gc
import importlib
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from metacascade._version import version
from metacascade.errors import OptionError

if TYPE_CHECKING:
    from rich.progress import Progress

    from metacascade.result.writer import OutputFolder

console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)

#: Where a genuine bug should be reported.
ISSUES_URL = "https://github.com/metacascade/metacascade/issues"
#: Longest error line (characters) and longest echo of one bad value.
LINE_MAX = 300
VALUE_MAX = 200
SEED_MAX = 2**63 - 1
WORKERS_MAX = 1024
_SCHEDULER = re.compile(r"(?:(?:tcp|tls|ucx|ws|wss)://)?"
                        r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):"
                        r"(?P<port>[0-9]{1,5})")

#: The cyclic garbage collector's thresholds while a command imports its libraries (see
#: :func:`loading`), and the interpreter's own (restored by :func:`loaded`).
LOADING_GC_THRESHOLDS = (1_000_000, 50, 100)
DEFAULT_GC_THRESHOLDS = gc.get_threshold()

__all__ = ["console", "err_console", "fail", "interrupted", "one_line", "out_folder", "shorten"]


# ---- messages ---------------------------------------------------------------------------------

def shorten(value: object, limit: int = VALUE_MAX) -> str:
    """``repr(value)`` cut to ``limit`` characters (``...`` marks the cut): how a bad value is
    echoed in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(message: object, limit: int = LINE_MAX) -> str:
    """One printable line of at most ``limit`` characters: control characters escaped, white
    space collapsed; a long line keeps its start and its end (which names the allowed range)."""
    text = str(message).encode("utf-8", "backslashreplace").decode("utf-8")
    text = re.sub(r"\s+", " ", text).strip()
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
    if len(text) > limit:
        tail = min(90, limit // 3)
        text = text[: limit - tail - 5] + " ... " + text[-tail:]
    return text


def _print_error(message: object, hint: str | None = None) -> None:
    line = Text("error: ", style="bold red")
    line.append(one_line(message, LINE_MAX - len("error: ")))
    err_console.print(line)
    if hint:
        err_console.print(Text("hint: " + one_line(hint, LINE_MAX - len("hint: ")), style="dim"))


def fail(message: object, code: int = 2, hint: str | None = None) -> NoReturn:
    """Print one clear error (plus at most one hint line) and exit (2: bad input)."""
    _print_error(message, hint)
    sys.exit(code)


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit code 130 (128 + SIGINT), as shells expect."""
    err_console.print(Text("interrupted", style="bold yellow"))
    sys.exit(130)


def report_bug(exc: BaseException) -> NoReturn:
    """A genuine bug: the traceback, then a line asking to report it; exit code 1."""
    traceback.print_exception(exc, file=sys.stderr)
    _print_error(f"internal error in metacascade {version()} ({type(exc).__name__}); please "
                 f"report this at {ISSUES_URL} with the command and the traceback above")
    sys.exit(1)


# ---- option values, validated where they are parsed -------------------------------------------

def _bad(value: object, why: str) -> typer.BadParameter:
    return typer.BadParameter(f"{shorten(value)} {why}")


def finite(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False) -> Callable[[Any], Any]:
    """A typer callback: the (optional) float must be finite and within the bounds."""
    left = "" if lo is None else f"{lo:g} {'<' if lo_open else '<='} "
    right = "" if hi is None else f" {'<' if hi_open else '<='} {hi:g}"
    allowed = f"allowed {left}x{right}" if (lo is not None or hi is not None) else ""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        if not math.isfinite(value):
            raise _bad(value, f"is not a finite number{'; ' + allowed if allowed else ''}")
        low = lo is not None and (value <= lo if lo_open else value < lo)
        high = hi is not None and (value >= hi if hi_open else value > hi)
        if low or high:
            raise _bad(value, f"is out of range; {allowed}")
        return value

    return check


def choice(*allowed: str) -> Callable[[Any], Any]:
    """A typer callback: the string must be one of ``allowed``."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise _bad(value, f"is unknown; allowed {', '.join(allowed)}")
        return value

    return check


def choice_of(module: str, name: str) -> Callable[[Any], Any]:
    """:func:`choice` with the allowed values ``module.name`` (a tuple of strings), read when the
    option is parsed: the help of every command needs only this module, not the command's own
    heavy modules (they are imported when the command runs)."""

    def check(value: str | None) -> str | None:
        return choice(*getattr(importlib.import_module(module), name))(value)

    return check


def scheduler_address(value: str | None) -> str | None:
    """A typer callback for ``--scheduler``: a Dask address ``[tcp://]host:port``."""
    if value is None:
        return value
    hit = _SCHEDULER.fullmatch(value)
    if not hit or not 1 <= int(hit["port"]) <= 65535:
        raise _bad(value, "is not a Dask scheduler address; give [tcp://]host:port, "
                          "e.g. tcp://10.0.0.5:8786")
    return value


def check_executor(executor: str, workers: int | None, scheduler: str | None) -> None:
    """Refuse executor options the chosen executor would silently ignore: ``--scheduler``
    without ``--executor dask``, ``--workers`` other than 1 with ``--executor serial`` (one process), or any with
    ``--scheduler`` (the cluster's own workers run the tasks)."""
    if scheduler is not None and executor != "dask":
        raise OptionError(f"--scheduler is only used with --executor dask (not {executor})")
    if workers is not None and workers != 1 and executor == "serial":  # one worker: consistent
        raise OptionError(f"--workers {workers}: not used with --executor serial (one process); "
                          "drop it or choose --executor processes")
    if workers is not None and scheduler is not None:
        raise OptionError(f"--workers {workers}: not used with --scheduler (the cluster's own "
                          "workers run the tasks); drop one of them")


class BarOnFirstTask:
    """An executor that starts the rich ``progress`` display when it is first handed tasks.

    By then the command and the library it calls have checked everything they check before any
    work (options, data, memory estimates), so a validation error is never printed under a bar
    already drawn ("0/20"). :meth:`stop` ends the display if it started (rich's own ``stop``
    prints a blank line even then); every other attribute is the wrapped executor's."""

    def __init__(self, executor: Any, progress: Progress) -> None:
        self.executor = executor
        self.progress = progress
        self.started = False
        self.name: str = str(executor.name)

    def _start(self) -> None:
        if not self.started:
            self.started = True
            self.progress.start()

    def stop(self) -> None:
        if self.started:
            self.progress.stop()

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            progress: Callable[[int], None] | None = None) -> list[Any]:
        self._start()
        return list(self.executor.map(fn, tasks, progress))

    def map_shared(self, fn: Any, tasks: Sequence[Any], arrays: Any, context: Any = None,
                   progress: Callable[[int], None] | None = None) -> Any:
        self._start()
        return self.executor.map_shared(fn, tasks, arrays, context, progress)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.executor, name)


def seed_option(default: int | None = 0, help: str = "Random seed.") -> Any:
    """``--seed``: an integer in [0, 2**63 - 1] (numpy's SeedSequence takes any such value)."""
    return typer.Option(default, "--seed", min=0, max=SEED_MAX, help=help)


def workers_option(default: int | None, help: str, *flags: str) -> Any:
    """``--workers`` / ``--jobs``: worker processes, 1 to 1024."""
    return typer.Option(default, *(flags or ("--workers",)), min=1, max=WORKERS_MAX, help=help)


def out_option(default: Any, help: str) -> Any:
    """``--out``: the output folder (checked by :func:`out_folder` before any work)."""
    return typer.Option(default, "--out", help=help)


def force_option() -> Any:
    """``--force``: replace an existing folder, file or link that is not a metacascade output of
    the same kind (never ``.``, its parents, ``/``, the home folder or a folder holding the
    command's input)."""
    return typer.Option(False, "--force",
                        help="Replace an existing --out that is not a metacascade output of this "
                             "kind (never ., its parents, / , your home folder or a folder "
                             "holding this command's input).")


def out_folder(out: Path | None, kind: str, force: bool, *, root: str = "runs",
               name: object = None, inputs: Sequence[str | Path | None] = ()) -> OutputFolder:
    """The checked output folder: ``--out`` when given, else ``root/<safe slug of name>``.
    ``inputs``: what the command reads (data files, result folders, scenario files; a built-in
    scenario name is not a path): an output that is or contains one is refused."""
    from metacascade.result.writer import OutputFolder, default_output  # numpy: when a command runs

    target = out if out is not None else default_output(root, name)
    return OutputFolder(target, kind, force=force,
                        inputs=[i for i in inputs if i is not None and scenario_path(i)])


def scenario_path(given: str | Path) -> bool:
    """True when ``given`` names a file or folder on disk rather than a built-in scenario."""
    text = str(given)
    return isinstance(given, Path) or text.endswith(".toml") or os.sep in text


def loading() -> None:
    """Called by :func:`metacascade.cli.main` before the command runs: while the command imports
    numpy, numba, scipy, pandas, xarray and matplotlib (hundreds of thousands of objects that live
    as long as the process), the cyclic garbage collector waits for a million allocations. With
    the default thresholds its full collections rescanned everything imported so far, again and
    again (a fifth of the CPU time of ``metacascade run``); with 100,000 each collection still
    scanned the 100,000 newest objects, all of them modules, classes and functions.
    ``metacascade run iwata-hcc`` allocates about 430,000 objects in all, so it never collects; a
    command that never calls :func:`loaded` still cannot leak cycles without bound."""
    gc.set_threshold(*LOADING_GC_THRESHOLDS)


def loaded() -> None:
    """A command has imported what it needs: move every object so far to the collector's
    permanent generation (:func:`gc.freeze`: never scanned again; these are modules, classes and
    functions) and collect with the interpreter's thresholds from now on."""
    gc.freeze()
    gc.set_threshold(*DEFAULT_GC_THRESHOLDS)
