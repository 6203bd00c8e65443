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


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The outcome counts of the fuzz suite (tests/test_fuzz_cli.py), when it ran."""
    stats = next((getattr(m, "STATS", None) for name, m in list(sys.modules.items())
                  if name.endswith("test_fuzz_cli")), None)
    if not stats:
        return
    total: dict[str, int] = {}
    terminalreporter.write_sep("-", "fuzz cases (ok0: exit 0 and physical, ok2: clean exit 2)")
    for strategy, counts in stats.items():
        terminalreporter.write_line(f"{strategy:>15}: {dict(sorted(counts.items()))}")
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    terminalreporter.write_line(f"{'total':>15}: {dict(sorted(total.items()))} "
                                f"= {sum(total.values())} cases")
