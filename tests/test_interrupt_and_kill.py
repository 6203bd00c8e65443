"""Ctrl-C and kill -9 on real commands (issue 13: defects 1 and 5, "How it is checked").

* kill -9: ``metacascade run`` / ``cohort`` run in a forked child of this test process (the
  package is already imported, so a case costs a second, not an interpreter start) and are killed
  at random instants, many of them inside the write-and-commit window, which is located by
  watching the temporary sibling folder appear. The final folder must then hold the complete old
  or the complete new output (same file list and contents, timestamps aside), and the next run
  must remove every leftover.
* Ctrl-C: the real console command in a subprocess (its own process group, as in a terminal),
  interrupted while its worker pool computes: it must exit with 130 within 2 s, print
  ``interrupted``, leave no output and no running process.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metacascade.cli import main

PROVENANCE = "provenance.json"  # a literal, so that this module also runs against the old code

SRC = Path(__file__).resolve().parents[1] / "src"


# ---- comparing outputs ------------------------------------------------------------------------

def _strip(x: object) -> object:
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in ("created", "command")}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


def canonical(folder: Path) -> dict[str, object]:
    """Every file under ``folder``: JSON without creation times, anything else as bytes."""
    out: dict[str, object] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_dir():
            continue
        rel = str(p.relative_to(folder))
        if p.suffix == ".json":
            out[rel] = _strip(json.loads(p.read_text()))
        else:
            out[rel] = p.read_bytes()
    return out


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# ---- kill -9 ----------------------------------------------------------------------------------

def _fork_cli(cwd: Path, argv: list[str]) -> int:
    """Start ``metacascade ARGV`` in a forked child (stdout/stderr to /dev/null); return its pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 99
        try:
            os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.argv = ["metacascade", *argv]
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        finally:
            os._exit(code)
    return pid


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _run_to_end(cwd: Path, argv: list[str]) -> tuple[float, float]:
    """Run once to completion; return (seconds until the temporary folder appeared, total)."""
    t0 = time.perf_counter()
    pid = _fork_cli(cwd, argv)
    appeared = None
    while True:
        if appeared is None and any(".tmp-" in n for n in leftovers(cwd)):
            appeared = time.perf_counter() - t0
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            return (appeared if appeared is not None else 0.0), time.perf_counter() - t0
        time.sleep(0.0005)


def _commit_started(cwd: Path) -> bool:
    """provenance.json is the last file written into the temporary folder before the swap."""
    return any((cwd / n / PROVENANCE).exists() for n in leftovers(cwd) if ".tmp-" in n)


BIG = 1500  # files added to the previous output: replacing it takes a while


def _replacing(cwd: Path, inode: int) -> bool:
    """The previous output starts to change: another folder under its name, or files gone."""
    try:
        if os.stat(cwd / "out").st_ino != inode:
            return True
        with os.scandir(cwd / "out" / "previous") as it:
            return sum(1 for _ in it) < BIG
    except OSError:
        return True


def _kill_at(cwd: Path, argv: list[str], delay: float, start: str) -> int:
    """Start the command and SIGKILL it ``delay`` seconds after ``start``: its start ("run"),
    the appearance of its temporary folder ("write"), of the provenance file in it, i.e. the
    commit ("commit"), or the first change of the previous output ("replace"). Returns the exit
    status (negative: killed by that signal)."""
    inode = os.stat(cwd / "out").st_ino
    pid = _fork_cli(cwd, argv)
    t0 = time.perf_counter()
    if start != "run":
        ready = {"commit": _commit_started,
                 "write": lambda c: any(".tmp-" in n for n in leftovers(c)),
                 "replace": lambda c: _replacing(c, inode)}[start]
        while not ready(cwd):
            if os.waitpid(pid, os.WNOHANG)[0]:
                return 0
            time.sleep(0.0001)
        t0 = time.perf_counter()
    while time.perf_counter() - t0 < delay:
        time.sleep(0.0002)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return _wait(pid)


@pytest.mark.parametrize("command", ["run", "cohort"])
def test_kill_9_at_random_instants_leaves_old_or_new(tmp_path: Path, command: str) -> None:
    rng = random.Random(13)
    if command == "run":
        old_argv = ["run", "neuroblastoma", "-q", "--out", "out", "--set",
                    "simulation.duration_days=300"]
        new_argv = ["run", "neuroblastoma", "-q", "--out", "out", "--set",
                    "simulation.duration_days=365"]
    else:
        old_argv = ["cohort", "breast", "-n", "40", "--executor", "serial", "--out", "out",
                    "--seed", "1"]
        new_argv = ["cohort", "breast", "-n", "30", "--executor", "serial", "--out", "out",
                    "--seed", "2"]
    # reference outputs of the old and the new command; the first one in this process, so that
    # the forked children start with everything imported and compiled
    ref = tmp_path / "ref"
    ref.mkdir()
    cwd, argv0 = os.getcwd(), sys.argv
    try:
        os.chdir(ref)
        sys.argv = ["metacascade", *old_argv]
        main()  # returns on success
    finally:
        os.chdir(cwd)
        sys.argv = argv0
    shutil.copytree(ref / "out", tmp_path / "old_out", symlinks=True)
    old = canonical(ref / "out")
    tmp_at, total = _run_to_end(ref, new_argv)
    new = canonical(ref / "out")
    assert old != new

    work = tmp_path / "work"
    work.mkdir()
    outcomes = {"old": 0, "new": 0}
    starts = ["run", "write", "commit", "replace"]
    trials = 12
    for i in range(trials):
        shutil.rmtree(work)
        work.mkdir()
        shutil.copytree(tmp_path / "old_out", work / "out", symlinks=True)  # the previous output
        big = work / "out" / "previous"  # a large previous output: deleting it takes a while
        big.mkdir()
        for k in range(BIG):
            (big / f"f{k}.txt").write_text("x" * 100)
        before = canonical(work / "out")
        start = starts[i % 4]
        delay = {"run": rng.uniform(0.0, total), "write": rng.uniform(0.0, total - tmp_at),
                 "commit": rng.uniform(0.0, 0.02), "replace": 0.0}[start]
        status = _kill_at(work, new_argv, delay, start)
        got = canonical(work / "out")
        assert got in (before, new), f"trial {i}: a mix of old and new (status {status})"
        outcomes["old" if got == before else "new"] += 1
        assert status in (-signal.SIGKILL, 0)
    print(f"kill -9 of {command}: {outcomes}")
    assert outcomes["old"] >= 1 and outcomes["new"] >= 1  # kills before and after the commit ...
    # ... and the next run removes every leftover of the killed ones
    _run_to_end(work, new_argv)
    assert canonical(work / "out") == new
    assert leftovers(work) == []


# ---- Ctrl-C -----------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` (started by any of its threads)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def _group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of the process group."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(d.name))
    return alive


def _interrupt(tmp_path: Path, argv: list[str], to_group: bool, n_children: int,
               settle: float = 1.0) -> tuple[int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(SRC), MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "metacascade", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_children(proc.pid)) < n_children:  # the worker pool is up and computing
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(settle)
        t0 = time.monotonic()
        if to_group:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
        else:
            os.kill(proc.pid, signal.SIGINT)  # kill -INT of the main process only
        _, err = proc.communicate(timeout=30)
        seconds = time.monotonic() - t0
        time.sleep(0.3)
        assert _group_alive(proc.pid) == [], "worker processes survived the interruption"
        return proc.returncode, seconds, err.decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize("to_group", [True, False])
@pytest.mark.parametrize("command", ["cohort", "claims", "dask"])
def test_ctrl_c_stops_pools_within_2_s(tmp_path: Path, command: str, to_group: bool) -> None:
    if command == "cohort":
        argv = ["cohort", "breast", "-n", "200000", "--workers", "2", "--out", "res"]
    elif command == "dask":
        pytest.importorskip("distributed")
        argv = ["cohort", "breast", "-n", "200000", "--workers", "2", "--out", "res",
                "--executor", "dask"]
    else:
        argv = ["claims", "--only", "S13,S14", "--jobs", "2", "--out", "res"]
    code, seconds, err = _interrupt(tmp_path, argv, to_group, n_children=2,
                                    settle=4.0 if command == "dask" else 1.0)
    print(f"Ctrl-C of {command} ({'group' if to_group else 'main'}): {seconds:.2f} s")
    assert code == 130, err
    assert err.strip() == "interrupted", err  # one line, no traceback from any worker
    assert seconds < 2.0, seconds
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no temporary folder


def test_ctrl_c_while_writing_keeps_the_old_output(tmp_path: Path) -> None:
    """SIGINT once the temporary folder exists (figures being written): exit 130, the previous
    output untouched, the temporary folder gone."""
    env = dict(os.environ, PYTHONPATH=str(SRC), MPLBACKEND="Agg")
    argv = [sys.executable, "-m", "metacascade", "run", "neuroblastoma", "-q", "--out", "out"]
    subprocess.run(argv, cwd=tmp_path, env=env, check=True, capture_output=True)
    before = canonical(tmp_path / "out")
    proc = subprocess.Popen([*argv, "--set", "simulation.duration_days=300"], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not any(".tmp-" in n for n in leftovers(tmp_path)):
        assert proc.poll() is None
        time.sleep(0.0005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.decode().strip() == "interrupted", err
    assert canonical(tmp_path / "out") == before
    assert leftovers(tmp_path) == []
