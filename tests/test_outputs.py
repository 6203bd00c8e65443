"""metacascade.result.writer: output folders that cannot destroy anything (issue 13, defects 1).

Each test names the defect it guards against. The kill -9 tests fork a child that dies by SIGKILL at
a chosen instant of the commit (no test hook in the library: the child wraps the library's own
functions), then check that the final name holds the complete old or the complete new output.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from metacascade.errors import MetacascadeError
from metacascade.result import writer as outputs
from metacascade.result.provenance import Provenance, read_record
from metacascade.result.writer import (
    PARTIAL_MARKER,
    PROVENANCE,
    OutputError,
    OutputFolder,
    check_output,
    check_output_file,
    clean_stale,
    output_folder,
    safe_slug,
    write_output_file,
)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd = tmp/home/work with a file in it; HOME = tmp/home (so "home" is safe to test)."""
    home = tmp_path / "home"
    work = home / "work"
    work.mkdir(parents=True)
    (work / "precious.txt").write_text("keep me\n")
    (home / "notes.txt").write_text("keep me too\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    return work


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes); links as their target text."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            out[rel] = os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
    return out


def write_run(target: Path | str, text: str, **kw: object) -> None:
    with output_folder(target, "run", **kw) as tmp:  # type: ignore[arg-type]
        (tmp / "data.txt").write_text(text)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "more.txt").write_text(text * 3)


# ---- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "slug"), [
    ("breast", "breast"), ("..", "scenario"), ("", "scenario"), (".", "scenario"),
    ("/", "scenario"), ("[/]", "scenario"), ("/abs/path", "abs_path"), ("a/../b", "a_.._b"),
    (".hidden", "hidden"), ("café au lait", "cafe_au_lait"), ("x" * 300, "x" * 100),
    ("~/x", "x"), ("C:\\Windows", "C_Windows"), ("\x00\n", "scenario"),
])
def test_safe_slug_is_one_plain_folder_name(name: str, slug: str) -> None:
    assert safe_slug(name) == slug
    s = safe_slug(name)
    assert s not in (".", "..") and "/" not in s and "\\" not in s and len(s) <= 100
    assert s[0].isalnum()


# ---- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [".", "", "..", "../..", "./", "sub/..", "../work"])
@pytest.mark.parametrize("force", [False, True])
def test_never_the_working_directory_or_its_parents(sandbox: Path, target: str,
                                                    force: bool) -> None:
    before = tree(sandbox.parent)
    with pytest.raises(OutputError, match="working directory"):
        write_run(target, "new", force=force)
    assert tree(sandbox.parent) == before


@pytest.mark.parametrize("force", [False, True])
def test_never_root_or_home(sandbox: Path, force: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    home = sandbox.parent.parent / "users" / "someone"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))  # cwd is not inside this home: tested on its own
    with pytest.raises(OutputError, match="root folder"):
        check_output("/", "run", force=force)
    with pytest.raises(OutputError, match="home folder"):
        check_output(os.environ["HOME"], "run", force=force)
    with pytest.raises(OutputError, match="contains your home folder"):
        check_output(Path(os.environ["HOME"]).parent, "run", force=force)


def test_unrelated_folder_file_and_link_need_force(sandbox: Path) -> None:
    (sandbox / "mine").mkdir()
    (sandbox / "mine" / "thesis.tex").write_text("years of work")
    (sandbox / "real").mkdir()
    os.symlink(sandbox / "real", sandbox / "link")
    before = tree(sandbox)
    for target, why in [("mine", "not a metacascade output"), ("precious.txt", "existing file"),
                        ("link", "symbolic link")]:
        with pytest.raises(OutputError, match=why):
            write_run(target, "new")
    assert tree(sandbox) == before
    write_run("link", "forced", force=True)  # the link itself is replaced, its target untouched
    assert not os.path.islink("link") and (sandbox / "link" / "data.txt").read_text() == "forced"
    assert list((sandbox / "real").iterdir()) == []
    write_run("mine", "forced", force=True)
    assert (sandbox / "mine" / "data.txt").read_text() == "forced"


def test_other_kind_refused_same_kind_and_empty_accepted(sandbox: Path) -> None:
    with output_folder("c", "cohort") as tmp:
        (tmp / "patients.csv").write_text("id\n")
    with pytest.raises(OutputError, match="metacascade cohort output, not a run output"):
        write_run("c", "new")
    write_run("r", "one")
    write_run("r", "two")  # same kind: replaced
    assert (sandbox / "r" / "data.txt").read_text() == "two"
    (sandbox / "empty").mkdir()
    write_run("empty", "x")
    assert (sandbox / "empty" / "data.txt").read_text() == "x"


def test_path_problems_are_one_line_errors(sandbox: Path) -> None:
    long = "x" * 256
    with pytest.raises(OutputError, match="longer than 255 bytes"):
        check_output(long, "run")
    with pytest.raises(OutputError, match="longer than 255 bytes"):
        check_output("é" * 128, "run")  # 256 bytes in UTF-8
    with pytest.raises(OutputError, match="not a folder"):
        check_output("precious.txt/out", "run")
    with pytest.raises(OutputError, match="NUL"):
        check_output("a\x00b", "run")
    # a parent metacascade cannot create (even as root): /proc refuses new folders
    if sys.platform.startswith("linux"):
        with pytest.raises(OutputError) as info:
            write_run("/proc/metacascade-no/out", "x")
        assert "\n" not in str(info.value)
    assert issubclass(OutputError, MetacascadeError)


# ---- writing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_folders_and_files_follow_the_umask(sandbox: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_run("out", "x")
        write_output_file("r.html", "<!DOCTYPE html><title>metacascade x</title>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat("out").st_mode) == 0o777 & ~umask
    assert stat.S_IMODE(os.stat("r.html").st_mode) == 0o666 & ~umask


def test_provenance_file(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["metacascade", "run", "breast"])
    record = Provenance("run", seed=7, scenario_name="breast", extra={"extra": [1.0, float("nan")]})
    with output_folder("out", "run", provenance=record):
        pass
    prov = json.loads((sandbox / "out" / PROVENANCE).read_text())
    assert prov["kind"] == "run" and prov["seed"] == 7 and prov["scenario_name"] == "breast"
    assert prov["command"] == ["metacascade", "run", "breast"]
    assert prov["version"] and prov["created"].endswith("+00:00")
    assert prov["extra"] == [1.0, None]
    assert read_record(sandbox / "out") == prov
    assert Provenance.read(sandbox / "out") == record
    assert not (sandbox / "out" / PARTIAL_MARKER).exists()


def test_an_error_while_writing_leaves_the_old_output(sandbox: Path) -> None:
    write_run("out", "old")
    before = tree(sandbox)
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), output_folder("out", "run") as tmp:
            (tmp / "data.txt").write_text("half")
            raise exc
        assert tree(sandbox) == before  # no temporary folder left either


def test_disk_full_is_a_clean_error(sandbox: Path) -> None:
    import errno

    with pytest.raises(OutputError, match="No space left"), output_folder("out", "run"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert not Path("out").exists()


def test_the_target_is_checked_again_before_the_swap(sandbox: Path) -> None:
    target = OutputFolder("out", "run")
    with pytest.raises(OutputError, match="not a metacascade output"), \
            target.writing() as tmp:
        (tmp / "data.txt").write_text("new")
        Path("out").mkdir()
        Path("out/user.txt").write_text("appeared meanwhile")
    assert tree(sandbox / "out") == {"user.txt": b"appeared meanwhile"}
    assert [p.name for p in sandbox.iterdir() if p.name.startswith(".")] == []


def test_exchange_is_available_here(tmp_path: Path) -> None:
    """The atomic swap this machine's tests rely on (Linux >= 3.15 on ext4, xfs, btrfs, tmpfs)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1").write_text("a")
    (tmp_path / "b").mkdir()
    assert outputs.exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "1").read_text() == "a" and not any((tmp_path / "a").iterdir())


def test_fallback_without_exchange(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "exchange", lambda a, b: False)
    write_run("out", "old")
    write_run("out", "new")
    assert (sandbox / "out" / "data.txt").read_text() == "new"
    assert [p.name for p in sandbox.iterdir() if p.name.startswith(".")] == []


# ---- leftovers of killed runs -----------------------------------------------------------------

def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_stale_temporary_folders_are_cleaned(sandbox: Path) -> None:
    dead = sandbox / ".out.tmp-0123abcd"
    dead.mkdir()
    (dead / PARTIAL_MARKER).write_text(json.dumps({"pid": _dead_pid(), "host": os.uname()[1]}))
    (dead / "half.csv").write_text("1,2")
    alive = sandbox / ".out.tmp-89abcdef"  # a run still writing (our parent process is alive)
    alive.mkdir()
    (alive / PARTIAL_MARKER).write_text(json.dumps({"pid": os.getppid(), "host": os.uname()[1]}))
    foreign = sandbox / ".out.tmp-deadbeef"  # matches the pattern but is not ours
    foreign.mkdir()
    (foreign / "user.txt").write_text("mine")
    empty = sandbox / ".out.tmp-00000000"  # killed between mkdir and the marker
    empty.mkdir()
    other = sandbox / ".out.tmp-xyz"  # not our pattern
    other.mkdir()
    write_run("out", "new")
    left = sorted(p.name for p in sandbox.iterdir() if p.name.startswith("."))
    assert left == [".out.tmp-89abcdef", ".out.tmp-deadbeef", ".out.tmp-xyz"]


def test_a_set_aside_old_output_is_put_back(sandbox: Path) -> None:
    """A kill between "old aside" and "new in" (fallback path) leaves no folder under the name:
    the next run restores the old one before anything else."""
    aside = sandbox / ".out.old-0123abcd"
    aside.mkdir()
    (aside / "data.txt").write_text("old")
    (aside / PROVENANCE).write_text(json.dumps({"kind": "run", "version": "0"}))
    assert clean_stale("out") == [aside]
    assert (sandbox / "out" / "data.txt").read_text() == "old"


# ---- kill -9 at chosen instants of the commit -------------------------------------------------

def _killed_child(sandbox: Path, patch: Callable[[], None]) -> None:
    """Fork; the child installs ``patch`` (which SIGKILLs it at some instant) and replaces the
    output; the parent waits and checks the child really died by SIGKILL."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.chdir(sandbox)
            patch()
            write_run("out", "new")
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _expected(text: str) -> dict[str, bytes]:
    return {"data.txt": text.encode(), "sub/more.txt": (text * 3).encode()}


def _files(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(folder).items() if k != PROVENANCE}


@pytest.mark.parametrize("instant", ["before swap", "after swap", "while deleting the old",
                                     "fallback between renames", "fallback after renames"])
def test_kill_at_the_commit_leaves_old_or_new(sandbox: Path, instant: str) -> None:
    write_run("out", "old")
    # enough old files that deleting them takes a while
    for i in range(200):
        (sandbox / "out" / "sub" / f"f{i}.txt").write_text(str(i))
    old_files = _files(sandbox / "out")

    def patch() -> None:
        real_swap, real_rename, real_rmtree = outputs._swap_in, os.rename, outputs.shutil.rmtree
        if instant == "before swap":
            outputs._swap_in = lambda new, target: _die()  # type: ignore[assignment,return-value]
        elif instant == "after swap":
            def swap(new: Path, target: Path) -> Path | None:
                real_swap(new, target)
                _die()
                return None
            outputs._swap_in = swap  # type: ignore[assignment]
        elif instant == "while deleting the old":
            def rmtree(path: str | Path, ignore_errors: bool = False) -> None:
                files = sorted(Path(path).rglob("*.txt"))
                for f in files[: len(files) // 2]:
                    f.unlink()
                (Path(path).parent / PROVENANCE).unlink(missing_ok=True)  # the worst order
                _die()
            outputs.shutil.rmtree = rmtree  # type: ignore[assignment]
        else:
            outputs.exchange = lambda a, b: False  # type: ignore[assignment]
            calls: list[int] = []

            def rename(a: str | Path, b: str | Path) -> None:
                calls.append(1)
                if instant == "fallback between renames" and len(calls) == 2:
                    _die()
                real_rename(a, b)
                if instant == "fallback after renames" and len(calls) == 2:
                    _die()
            outputs.os.rename = rename  # type: ignore[assignment]
        del real_rmtree

    _killed_child(sandbox, patch)
    final = sandbox / "out"
    if instant == "fallback between renames":
        assert not final.exists()  # the only window without exchange: repaired below
    else:
        assert _files(final) in (old_files, _expected("new")), instant
        if instant != "before swap":
            assert _files(final) == _expected("new")
    clean_stale("out")
    assert _files(final) in (old_files, _expected("new"))
    write_run("out", "next")  # the next run cleans every leftover
    assert _files(final) == _expected("next")
    assert [p.name for p in sandbox.iterdir() if p.name.startswith(".")] == []


# ---- single files -----------------------------------------------------------------------------

def test_report_file_refusals(sandbox: Path) -> None:
    html = "<!DOCTYPE html>\n<html><head><title>metacascade run: x</title></head></html>\n"
    Path("folder").mkdir()
    for target, why in [("folder", "it is a folder"), ("precious.txt", "did not write"),
                        (".", "working directory")]:
        with pytest.raises(OutputError, match=why):
            write_output_file(target, html)
    assert Path("precious.txt").read_text() == "keep me\n"
    write_output_file("r.html", html)
    write_output_file("r.html", html.replace("x", "y"))  # our own report: replaced
    assert "run: y" in Path("r.html").read_text()
    os.symlink("precious.txt", "l.html")
    with pytest.raises(OutputError, match="symbolic link"):
        check_output_file("l.html")
    write_output_file("l.html", html, force=True)
    assert Path("precious.txt").read_text() == "keep me\n" and not os.path.islink("l.html")
    assert [p.name for p in sandbox.iterdir() if p.name.startswith(".")] == []
