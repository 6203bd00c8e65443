"""Helpers shared by the CLI commands."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console

from metacascade._atomic import atomic_directory

console = Console()
err_console = Console(stderr=True)

__all__ = ["atomic_directory", "console", "err_console", "fail"]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear error and exit (code 2 for bad input), without a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)
