"""Start-up: whole-process times of the commands a user types, against another source tree.

Each figure is the wall time of a fresh ``python`` process (interpreter start, imports, numba
cache loading, the work, figures and files), as a user sees it:

- ``metacascade --help`` (target < 0.3 s);
- ``python -c "import metacascade"``;
- ``metacascade run iwata-hcc --out <tmp>`` with its figures (target < 1 s), numba caches warm
  (a warm-up run first compiles and caches every kernel the run needs);
- the same run with the numba cache cold (``NUMBA_CACHE_DIR`` set to an empty folder: every kernel
  is compiled), once;
- the same run where the optional ``dask`` is not installed (``metacascade[cluster]`` is optional;
  xarray imports ``dask.array`` when it is importable), measured by hiding it from the process;
- the *import floor* of the run (``import_floor``, and ``import_floor_no_dask`` without dask): a
  process that only imports the third-party modules the run loads (every module outside the
  standard library and metacascade that ``sys.modules`` holds at the end of an in-process run, in
  the order they were loaded; numba's typing and lowering registries, which the first kernel call
  loads, are among them) and does nothing else: no metacascade code, no simulation, no files, no
  figures. No change inside metacascade can make the run faster than its floor while it keeps
  those libraries (xarray, pandas and zarr for the result, numba for the kernels, matplotlib for
  the figures, pydantic and typer for the scenario and the command line).

The reference is another source tree of metacascade (``--before SRC``, e.g. a worktree of main at
the commit this branch started from), run with its own ``PYTHONPATH`` in the same session, the two
trees alternating so that a change of load on the (shared) machine hits both. Times are medians
(and minima) over ``--repeat`` runs in ms, with the median CPU time (user + system) of the
process, which moves less when other jobs share the cores; the load average before and after is
printed.

Run: ``PYTHONPATH=src python benchmarks/bench_startup.py --before /tmp/before/src`` (the last line
is a JSON object of the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"

#: The console script ``metacascade`` (``metacascade.cli:main``) as a ``-c`` program.
CLI = "import sys; from metacascade.cli import main; sys.argv[0] = 'metacascade'; sys.exit(main())"
#: The same, in a process where the optional dask cannot be imported (as without the extra).
CLI_NO_DASK = "import sys; sys.modules['dask'] = None; " + CLI.removeprefix("import sys; ")
#: Runs the command in-process, then writes (to the file named by the ``MODULES_OUT`` environment
#: variable) every loaded module outside the standard library and metacascade, in load order.
LIST_MODULES = (
    "import os, sys\n"
    "from metacascade.cli import main\n"
    "sys.argv[0] = 'metacascade'\n"
    "try:\n    main()\nexcept SystemExit as stop:\n    if stop.code:\n        raise\n"
    "std = set(sys.stdlib_module_names) | {'metacascade', '__main__'}\n"
    "names = [m for m, mod in list(sys.modules.items())\n"
    "         if mod is not None and m.split('.')[0] not in std]\n"
    "open(os.environ['MODULES_OUT'], 'w').write('\\n'.join(names))\n"
)
#: Imports the modules listed in the file ``sys.argv[1]`` (one per line), in order, and nothing
#: else, with the garbage collector off: the import floor of the command that loaded them.
IMPORT_ONLY = (
    "import gc, importlib, sys\n"
    "gc.disable()\n"  # a lower bound: no collections at all (the command line defers them)
    "failed = []\n"
    "for name in open(sys.argv[1]).read().split():\n"
    "    try:\n        importlib.import_module(name)\n"
    "    except Exception:\n        failed.append(name)\n"
    "if failed:\n    sys.exit(f'{len(failed)} modules did not import: {failed[:5]}')\n"
)


def wall(args: list[str], src: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process ``python args`` with
    ``PYTHONPATH=src`` (it must succeed). CPU time moves less than wall time when other jobs
    share the cores."""
    full = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg", **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=full, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with {src}:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def commands(out: Path) -> dict[str, list[str]]:
    run = ["run", "iwata-hcc", "--out", str(out), "--force"]
    return {
        "help": ["-c", CLI, "--help"],
        "import": ["-c", "import metacascade"],
        "run_iwata": ["-c", CLI, *run],
        "run_iwata_no_dask": ["-c", CLI_NO_DASK, *run],
    }


def module_list(run: list[str], src: Path, where: Path, *, no_dask: bool) -> Path:
    """The file ``where`` listing the third-party modules that ``metacascade run`` loads (see
    :data:`LIST_MODULES`), written by one in-process run with ``PYTHONPATH=src``."""
    hide = "import sys; sys.modules['dask'] = None\n" if no_dask else ""
    wall(["-c", hide + LIST_MODULES, *run], src, {"MODULES_OUT": str(where)})
    return where


def load() -> float:
    return os.getloadavg()[0]


def main() -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, help="the reference source tree (its src folder)")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="", help="comma-separated figures (help, import, "
                    "run_iwata, run_iwata_no_dask, import_floor, import_floor_no_dask, cold); "
                    "all by default")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    trees = {"": HERE}
    if args.before is not None:
        trees["before"] = args.before.resolve()
    fig: dict[str, object] = {"load_average_start": round(load(), 2)}
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        cmds = {k: v for k, v in commands(tmp / "run").items() if not only or k in only}
        warm = commands(tmp / "run")
        for src in trees.values():  # warm-up: numba caches, .pyc files, the page cache
            wall(warm["run_iwata"], src)
            wall(warm["help"], src)
        run = warm["run_iwata"][2:]  # the arguments after ``-c CLI``
        floors = {  # the import floor: measured once per repeat, with this tree's module lists
            name: ["-c", IMPORT_ONLY, str(module_list(run, HERE, tmp / f"{name}.txt",
                                                      no_dask=name.endswith("no_dask")))]
            for name in ("import_floor", "import_floor_no_dask") if not only or name in only}
        times: dict[str, list[tuple[float, float]]] = {f"{k}{'_' + t if t else ''}": []
                                                       for k in cmds for t in trees}
        times.update({name: [] for name in floors})
        for _ in range(args.repeat):
            for name, cmd in cmds.items():
                for tag, src in trees.items():
                    times[f"{name}{'_' + tag if tag else ''}"].append(wall(cmd, src))
            for name, cmd in floors.items():
                times[name].append(wall(cmd, HERE))
        for key, ts in times.items():
            fig[f"{key}_ms"] = round(1e3 * statistics.median(w for w, _ in ts), 1)
            fig[f"{key}_min_ms"] = round(1e3 * min(w for w, _ in ts), 1)
            fig[f"{key}_cpu_ms"] = round(1e3 * statistics.median(c for _, c in ts), 1)
        for tag, src in trees.items() if not only or "cold" in only else ():
            cache = tmp / f"numba-cache-{tag or 'this'}"
            cache.mkdir()
            # numba cache cold: every kernel compiled, once
            w, c = wall(warm["run_iwata"], src, {"NUMBA_CACHE_DIR": str(cache)})
            fig[f"run_iwata_cold_numba{'_' + tag if tag else ''}_ms"] = round(1e3 * w, 1)
            fig[f"run_iwata_cold_numba{'_' + tag if tag else ''}_cpu_ms"] = round(1e3 * c, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if "before" in trees:
        for name in cmds:
            for unit in ("ms", "cpu_ms"):
                ratio = float(fig[f"{name}_before_{unit}"]) / float(fig[f"{name}_{unit}"])
                fig[f"{name}_speedup{'_cpu' if unit == 'cpu_ms' else ''}"] = round(ratio, 2)
    for run_key, floor_key in (("run_iwata", "import_floor"),
                               ("run_iwata_no_dask", "import_floor_no_dask")):
        if f"{run_key}_ms" in fig and f"{floor_key}_ms" in fig:
            for unit in ("ms", "cpu_ms"):
                ratio = float(fig[f"{run_key}_{unit}"]) / float(fig[f"{floor_key}_{unit}"])
                fig[f"{run_key}_over_floor{'_cpu' if unit == 'cpu_ms' else ''}"] = round(ratio, 2)
    fig["help_target_ms"] = 300.0  # issue 14, item 6
    fig["run_iwata_target_ms"] = 1000.0
    fig["load_average_end"] = round(load(), 2)
    fig["repeat"] = args.repeat
    return fig


if __name__ == "__main__":
    figures = main()
    for key, value in figures.items():
        print(f"{key:40s} {value}")
    print(json.dumps(figures))
