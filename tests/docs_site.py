"""Build the documentation site once per test session (shared by test_docs and test_docs_browser).

The build is the one ``make docs`` runs: ``sphinx -W --keep-going -b html``, warnings are errors,
in a subprocess with this interpreter and this checkout's ``src`` first on the path.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@dataclass(frozen=True)
class Build:
    html: Path
    returncode: int
    output: str
    seconds: float


@functools.cache
def build_site() -> Build:
    """Build docs/ into a fresh temporary folder (cached for the session)."""
    tmp = Path(tempfile.mkdtemp(prefix="metacascade-docs-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    out = tmp / "html"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
         str(DOCS), str(out)],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    return Build(out, proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0)
