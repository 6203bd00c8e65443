import os
import sys

import pytest

from metacascade.cli import main

os.environ.setdefault("MPLBACKEND", "Agg")



@pytest.fixture
def run_cli():
    """Run the console entry point with an argv list as a user would; return its exit code."""

    def run(argv: list[str]) -> int:
        saved = sys.argv
        sys.argv = ["metacascade", *argv]
        try:
            main()
        except SystemExit as exc:
            return 0 if exc.code is None else int(exc.code)
        finally:
            sys.argv = saved
        return 0

    return run
