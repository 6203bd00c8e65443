"""Start-up: ``import metacascade`` and ``metacascade --help`` load no heavy library, the public
names still resolve (PEP 562), and each command imports only what it uses. Times are measured in
``benchmarks/bench_startup.py``, never here; these tests check which modules a fresh process
loads."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import metacascade

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("numpy", "scipy", "pandas", "xarray", "zarr", "numba", "matplotlib", "lifelines",
         "dask", "pydantic", "jinja2", "tskit", "importlib.metadata")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in modules)


def test_import_metacascade_loads_no_heavy_library() -> None:
    assert heavy(loaded_after("import metacascade")) == []


def test_help_loads_no_heavy_library() -> None:
    code = ("import sys, contextlib, io\nfrom metacascade.cli import main\n"
            "sys.argv = ['metacascade', '--help']\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main()")
    assert heavy(loaded_after(code)) == []


@pytest.mark.parametrize("command", ["run", "cohort", "claims", "fit", "predict", "report",
                                     "cascade inject", "scenarios list"])
def test_command_help_loads_no_heavy_library(command: str) -> None:
    """A command's help builds its parameters: typer (0.29) coerces them with pydantic, which
    reads its plugins' entry points (importlib.metadata); nothing else heavy is loaded."""
    code = ("import sys, contextlib, io\nfrom metacascade.cli import main\n"
            f"sys.argv = ['metacascade', *{command.split()!r}, '--help']\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main()")
    typers_own = {"pydantic", "importlib.metadata"}
    assert [m for m in heavy(loaded_after(code)) if m not in typers_own] == []


def test_a_simulation_does_not_load_what_it_does_not_use() -> None:
    """The organism engine needs numpy, numba, scipy.fft and xarray; not the fitting, survival,
    plotting or ODE libraries (numba itself loads scipy.linalg's BLAS, scipy.fft loads
    scipy.special, and xarray loads dask when it is installed)."""
    mods = loaded_after("import metacascade as mc\nmc.simulate(mc.load_scenario('iwata-hcc'))")
    assert {"numpy", "numba", "xarray", "scipy.fft"} <= mods
    unused = ("matplotlib", "lifelines", "scipy.optimize", "scipy.stats", "scipy.signal",
              "scipy.integrate", "tskit", "zarr")
    assert [m for m in unused if m in mods] == []


def test_public_names_resolve_lazily_and_dir_is_complete() -> None:
    names = set(dir(metacascade))
    assert set(metacascade.__all__) <= names
    for name in metacascade.__all__:
        obj = getattr(metacascade, name)
        assert obj is not None, name
        if callable(obj) and hasattr(obj, "__module__") and name != "__version__":
            assert obj.__module__.startswith("metacascade"), (name, obj.__module__)
    assert metacascade.simulate_batch.__module__ == "metacascade.batch"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        metacascade.not_a_name  # noqa: B018
    star: dict[str, object] = {}
    exec("from metacascade import *", star)  # noqa: S102 - the star import users may write
    assert set(metacascade.__all__) <= set(star)


def test_version_is_read_once_on_first_use() -> None:
    from metacascade._version import version

    assert metacascade.__version__ == version()
    assert "importlib.metadata" not in loaded_after("import metacascade._version")
    assert "importlib.metadata" in loaded_after("import metacascade\nmetacascade.__version__")


def test_the_cli_collector_settings_are_restored() -> None:
    """While a command loads its libraries the collector runs rarely; afterwards it is the
    interpreter's again, with what was loaded frozen (never rescanned)."""
    from metacascade.cli._common import DEFAULT_GC_THRESHOLDS, loaded, loading

    before = gc.get_freeze_count()
    try:
        loading()
        assert gc.get_threshold()[0] > DEFAULT_GC_THRESHOLDS[0]
        loaded()
        assert gc.get_threshold() == DEFAULT_GC_THRESHOLDS
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
        gc.set_threshold(*DEFAULT_GC_THRESHOLDS)


def test_the_result_package_imports_each_kind_on_first_use() -> None:
    """``metacascade.result`` names resolve lazily (PEP 562): the run result needs pandas and
    xarray, not matplotlib, zarr (imported when a store is written or read) or the other kinds."""
    assert heavy(loaded_after("import metacascade.result")) == []
    mods = loaded_after("from metacascade.result import Result")
    assert {"pandas", "xarray"} <= mods
    assert [m for m in ("matplotlib", "zarr", "numba", "lifelines", "tskit") if m in mods] == []
    others = ("claims", "cohort", "injection", "prediction", "seeding", "cellscale", "sequencing")
    assert [k for k in others if f"metacascade.result.{k}" in mods] == []


def test_load_imports_the_kind_it_reads(tmp_path: Path) -> None:
    """``load`` of a folder in a fresh process: the class of its kind, imported for it."""
    folder = metacascade.simulate("iwata-hcc").save(tmp_path / "run")
    code = (f"import metacascade.result as R\nr = R.load({str(folder)!r})\n"
            "assert type(r).__name__ == 'Result', type(r)")
    mods = loaded_after(code)
    assert "metacascade.result.run" in mods
    assert "metacascade.result.claims" not in mods


def test_metacascade_run_imports_only_what_it_writes(tmp_path: Path) -> None:
    """A whole ``metacascade run``: the organism engine, zarr, CSV and Agg figures; no fitting,
    survival, ODE or genealogy library, no other result kind and no other plotting module."""
    out = tmp_path / "run"
    code = ("import sys\nfrom metacascade.cli import main\n"
            f"sys.argv = ['metacascade', 'run', 'iwata-hcc', '--out', {str(out)!r}, '-q']\n"
            "main()")
    mods = loaded_after(code)
    assert (out / "summary.json").is_file() and (out / "metastases.png").is_file()
    assert {"numba", "xarray", "zarr", "matplotlib.backends.backend_agg"} <= mods
    unused = ("lifelines", "scipy.optimize", "scipy.stats", "scipy.integrate", "tskit",
              "matplotlib.pyplot")
    assert [m for m in unused if m in mods] == []
    assert sorted(m for m in mods if m.startswith("metacascade.plotting.")) == [
        "metacascade.plotting.run", "metacascade.plotting.style"]
    assert sorted(m for m in mods if m.startswith("metacascade.result.")) == [
        "metacascade.result.base", "metacascade.result.files", "metacascade.result.jsonio",
        "metacascade.result.provenance", "metacascade.result.run", "metacascade.result.writer"]


def test_metacascade_run_does_not_collect_while_it_loads(tmp_path: Path) -> None:
    """``run`` imports until its last figure, so the collector keeps the loading thresholds until
    then: its collections rescanned the libraries (about 14 % of its CPU time); now it makes none."""
    out = tmp_path / "run"
    code = ("import gc, sys\nimport metacascade.cli as cli\nafter = []\n"
            "gc.callbacks.append(lambda phase, info: phase == 'stop' and after.append(info))\n"
            f"sys.argv = ['metacascade', 'run', 'iwata-hcc', '--out', {str(out)!r}, '-q']\n"
            "cli.main()\ngc.callbacks.clear()\nprint('COLLECTIONS', len(after))")
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    assert (out / "metastases.png").is_file()
    assert done.stdout.strip().splitlines()[-1] == "COLLECTIONS 0"
