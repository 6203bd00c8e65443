"""The one atomic writer: output folders and files that cannot destroy anything (issue 13).

Every command that writes results goes through :class:`OutputFolder` (or :func:`write_output_file`
for the single HTML report). The rules, checked before any work and again just before the commit:

* Paths come from the command line only. A scenario's ``name`` becomes at most a
  :func:`safe_slug` under a default folder (``runs/<slug>``), never a path.
* Never replaced, not even with ``force``: ``/``, the working directory and its parents, the home
  folder and its parents, a mount point.
* Without ``force`` also refused: a symbolic link, an existing file, and an existing folder that is
  neither empty nor a metacascade output of the same kind (recognised by ``provenance.json``).
  With ``force`` the link, file or folder itself is replaced (a link is never followed).
* The new output is written completely into a hidden sibling ``.<name>.tmp-<8 hex>`` and then takes
  the name in one step: ``renameat2(RENAME_EXCHANGE)`` on Linux swaps old and new atomically, so a
  kill -9 at any instant leaves the complete old or the complete new output under the name. Where
  the exchange is unavailable the old folder is renamed aside to ``.<name>.old-<8 hex>`` first; a
  kill between the two renames is repaired by the next run (the old folder is put back).
* Temporary and set-aside folders of earlier killed runs are removed by the next write to the same
  target, but only when they carry our marker, a ``provenance.json`` or nothing at all.
* Folders and files get the user's umask (``0o777 & ~umask``), not ``0o700``.
* Every output folder gets ``provenance.json`` (:class:`~metacascade.result.provenance.Provenance`),
  written last, just before the swap.

The result classes write through :meth:`metacascade.result.base.SavedResult.saving`; the single
HTML report through :func:`write_output_file`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from metacascade.errors import MetacascadeError
from metacascade.result import jsonio
from metacascade.result.provenance import KINDS, PROVENANCE, Provenance, read_record

#: Marker file inside a temporary folder while it is being written (pid and host of the writer).
PARTIAL_MARKER = ".metacascade-partial"

SLUG_MAX = 100
NAME_MAX_BYTES = 255
_STEM_MAX_BYTES = 200  # room for ".<stem>.tmp-12345678" within NAME_MAX_BYTES
_SUFFIX = re.compile(r"[0-9a-f]{8}")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                       errno.ENAMETOOLONG, errno.EIO, errno.EMLINK}


class OutputError(MetacascadeError):
    """An output path that metacascade refuses (it would destroy something) or cannot create."""


# ---- names ------------------------------------------------------------------------------------

def safe_slug(name: object) -> str:
    """A scenario name as one safe folder name: ASCII letters, digits, ``-``, ``_`` and ``.``
    (never leading, so never ``.``, ``..`` or hidden), at most :data:`SLUG_MAX` characters;
    ``"scenario"`` when nothing is left. ``"/etc"`` -> ``"etc"``, ``".."`` -> ``"scenario"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    text = text[:SLUG_MAX].rstrip("._-")
    return text or "scenario"


def default_output(root: str | Path, name: object) -> Path:
    """The default output folder of a scenario: ``root/<safe_slug(name)>``."""
    return Path(root) / safe_slug(name)


def shown(path: object, limit: int = 200) -> str:
    """A path or value for a one-line message: quoted, control characters escaped, shortened."""
    text = repr(os.fspath(path) if isinstance(path, os.PathLike) else str(path))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _stem(name: str) -> str:
    """``name`` cut to at most :data:`_STEM_MAX_BYTES` UTF-8 bytes (for temporary names)."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= _STEM_MAX_BYTES:
        return name
    return raw[:_STEM_MAX_BYTES].decode("utf-8", "ignore")


# ---- the checks -------------------------------------------------------------------------------

def _absolute(target: Path) -> Path:
    """``target`` as an absolute path whose parent folders are resolved (symbolic links included)
    but whose last component is not: a link named by ``target`` is the link itself."""
    raw = os.path.join(os.getcwd(), os.fspath(target))
    if len(raw) > 1:
        raw = raw.rstrip(os.sep) or os.sep
    head, name = os.path.split(raw)
    if name in ("", ".", ".."):
        return Path(os.path.realpath(raw))
    return Path(os.path.realpath(head)) / name


def _absolute_checked(given: Path, where: str) -> Path:
    text = os.fspath(given)
    if not text.strip():
        raise OutputError(f"{where}: empty path; name a folder")
    if "\x00" in text:
        raise OutputError(f"{where}: the path contains a NUL character")
    return _absolute(given)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _protected_reason(path: Path) -> str | None:
    """Why ``path`` may never be replaced, or None."""
    cwd = Path(os.path.realpath(os.getcwd()))
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if path == Path(path.anchor):
        return "it is the root folder"
    guarded = [(cwd, "the working directory"), (home, "your home folder")]
    ident = None if os.path.islink(path) else _identity(path)
    for base, what in guarded:
        for p in (base, *base.parents):
            same = path == p or (ident is not None and ident == _identity(p))
            if same:
                return f"it is {what}" if p == base else f"it contains {what}"
    with contextlib.suppress(OSError):
        if not os.path.islink(path) and os.path.isdir(path) and os.path.ismount(path):
            return "it is a mount point"
    return None


def _folder_state(path: Path, kind: str, where: str) -> tuple[str, str]:
    """(state, description) of an existing target: missing | empty | same | link | file |
    other-kind | foreign."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing", ""
    except OSError as exc:
        raise OutputError(f"{where}: cannot inspect it ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        return "link", "it is a symbolic link (metacascade does not write through links)"
    if not stat.S_ISDIR(st.st_mode):
        return "file", "it is an existing file"
    try:
        with os.scandir(path) as it:
            empty = next(it, None) is None
    except OSError as exc:
        raise OutputError(f"{where}: cannot read the folder ({exc.strerror})") from None
    if empty:
        return "empty", ""
    prov = read_record(path)
    if prov is None:
        return "foreign", (f"it is an existing folder that is not a metacascade output "
                           f"(no {PROVENANCE})")
    if prov["kind"] != kind:
        return "other-kind", f"it holds a metacascade {prov['kind']} output, not a {kind} output"
    return "same", ""


def _input_reason(path: Path, inputs: Sequence[str | Path]) -> str | None:
    """Why ``path`` may not be replaced because the command reads from it, or None: an output
    that is, or contains, one of the command's existing inputs would delete it (even with
    --force, which replaces folders, never the data a command was given)."""
    for given in inputs:
        if not os.path.lexists(given):
            continue
        source = Path(os.path.realpath(given))
        if source == path or path in source.parents:
            what = "is" if source == path else "contains"
            return f"it {what} this command's input {shown(given)}"
    return None


def check_output(target: str | Path, kind: str, *, force: bool = False,
                 option: str = "--out", inputs: Sequence[str | Path] = ()) -> Path:
    """Validate an output folder target; return its absolute path. Raises :class:`OutputError`
    with one line naming the option, the path and the reason. ``inputs``: the files and folders
    the command reads; an output that is or contains one is refused, even with ``force``."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    given = Path(target)
    where = f"{option} {shown(given)}"
    path = _absolute_checked(given, where)
    if len(path.name.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
        raise OutputError(f"{where}: the folder name is longer than {NAME_MAX_BYTES} bytes; "
                          "choose a shorter name")
    reason = _protected_reason(path) or _input_reason(path, inputs)
    if reason:
        raise OutputError(f"{where}: refused, {reason}; choose a new or empty folder "
                          "(--force never replaces it)")
    _check_parent(path, where)
    state, why = _folder_state(path, kind, where)
    if state in ("link", "file", "other-kind", "foreign") and not force:
        raise OutputError(f"{where}: refused, {why}; choose a new or empty folder, or add "
                          "--force to replace it")
    return path


def _check_parent(path: Path, where: str) -> None:
    """The nearest existing parent must be a writable folder."""
    p = path.parent
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    if not os.path.isdir(p):
        raise OutputError(f"{where}: cannot create it, {shown(p)} is not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{where}: cannot create it, the folder {shown(p)} is not writable")


# ---- swapping ---------------------------------------------------------------------------------

def _libc_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _libc_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).
    False when the system or the file system does not offer it."""
    if _RENAMEAT2 is None:
        return False
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in _NO_EXCHANGE:
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, target: Path) -> Path | None:
    """Give ``new`` the name ``target``; return where the replaced old entry now is (or None)."""
    if not os.path.lexists(target):
        os.rename(new, target)  # fails (ENOTEMPTY, ENOTDIR) if something appeared meanwhile
        return None
    if exchange(new, target):
        return new  # ``new`` now names the old entry
    aside = _fresh_name(target.parent, f".{_stem(target.name)}.old-")
    os.rename(target, aside)
    os.rename(new, target)
    return aside


def _remove(path: Path) -> None:
    """Delete a file, link or folder (a link is removed, never followed); errors are ignored
    (leftovers are cleaned by the next run). A folder gets our marker first and loses it last, so
    that a kill in the middle leaves a folder the next run recognises as its own leftover."""
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        marker = path / PARTIAL_MARKER
        marker.write_text(jsonio.dumps({"pid": os.getpid(), "host": socket.gethostname()},
                                       indent=None) + "\n", encoding="utf-8")
        with os.scandir(path) as it:
            entries = [Path(e.path) for e in it if e.name != PARTIAL_MARKER]
        for entry in entries:
            if os.path.isdir(entry) and not os.path.islink(entry):
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.unlink(entry)
        marker.unlink()
        os.rmdir(path)
    except OSError:
        pass


def _fresh_name(parent: Path, prefix: str) -> Path:
    return parent / f"{prefix}{secrets.token_hex(4)}"


def _make_temp(parent: Path, name: str) -> Path:
    """A new empty hidden folder beside the target, with the user's umask and our marker."""
    for _ in range(100):
        tmp = _fresh_name(parent, f".{_stem(name)}.tmp-")
        try:
            os.mkdir(tmp, 0o777)  # the kernel applies the umask (mkdtemp would give 0o700)
        except FileExistsError:
            continue
        marker = {"pid": os.getpid(), "host": socket.gethostname()}
        (tmp / PARTIAL_MARKER).write_text(jsonio.dumps(marker, indent=None) + "\n",
                                          encoding="utf-8")
        return tmp
    raise OutputError(f"cannot create a temporary folder in {shown(parent)}")  # pragma: no cover


def _writer_alive(folder: Path) -> bool:
    """True when the marker names a live process on this host (a run still writing)."""
    try:
        doc = jsonio.loads((folder / PARTIAL_MARKER).read_text(encoding="utf-8"))
        pid, host = int(doc["pid"]), str(doc["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname():
        return True  # another machine on a shared file system: leave it alone
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours(folder: Path) -> bool:
    """A leftover folder that metacascade made: our marker, a provenance file, or empty."""
    if os.path.islink(folder) or not os.path.isdir(folder):
        return False
    if (folder / PARTIAL_MARKER).is_file() or read_record(folder) is not None:
        return True
    try:
        with os.scandir(folder) as it:
            return next(it, None) is None
    except OSError:
        return False


def clean_stale(target: str | Path) -> list[Path]:
    """Remove the ``.<name>.tmp-*`` and ``.<name>.old-*`` folders that killed runs left beside
    ``target``; when ``target`` itself is missing, a set-aside old output is put back first.
    Returns the paths removed or restored."""
    path = _absolute(Path(target))
    parent, stem = path.parent, _stem(path.name)
    tmp_prefix, old_prefix = f".{stem}.tmp-", f".{stem}.old-"
    done: list[Path] = []
    try:
        entries = sorted(os.scandir(parent), key=lambda e: e.name)
    except OSError:
        return done
    for entry in entries:
        p = Path(entry.path)
        for prefix in (old_prefix, tmp_prefix):
            if not (entry.name.startswith(prefix) and _SUFFIX.fullmatch(entry.name[len(prefix):])):
                continue
            if prefix == old_prefix and not os.path.lexists(path):
                with contextlib.suppress(OSError):
                    os.rename(p, path)  # a kill between "old aside" and "new in": put it back
                    done.append(p)
            elif _ours(p) and not _writer_alive(p):
                _remove(p)
                done.append(p)
    return done


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C during the few system calls of the commit (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    try:
        old = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if got and callable(old):
            old(signal.SIGINT, None)


def _environment_error(exc: OSError, where: str) -> OutputError | None:
    if exc.errno in _ENVIRONMENT_ERRNOS:
        return OutputError(f"{where}: {exc.strerror or exc}")
    return None


# ---- the writer -------------------------------------------------------------------------------

class OutputFolder:
    """A checked output folder. ``OutputFolder(path, kind)`` validates the target at once (so a
    long computation is not wasted on a refused path); :meth:`writing` yields a temporary folder to
    fill and swaps it in with ``provenance.json`` when the block ends without an error."""

    def __init__(self, target: str | Path, kind: str, *, force: bool = False,
                 option: str = "--out", inputs: Sequence[str | Path] = ()) -> None:
        self.given = Path(target)
        self.kind = kind
        self.force = force
        self.option = option
        self.inputs = tuple(inputs)
        self.path = check_output(self.given, kind, force=force, option=option,
                                 inputs=self.inputs)

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.given)!r}, kind={self.kind!r})"

    @contextmanager
    def writing(self, provenance: Provenance | Callable[[], Provenance] | None = None
                ) -> Iterator[Path]:
        """Yield a hidden temporary folder beside the target; when the block ends without an
        error, write ``provenance.json`` (``provenance``, or a callable giving it once the block
        has run: the record of a result made inside the block) and swap the folder in."""
        where = f"{self.option} {shown(self.given)}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o777)
        except OSError as exc:
            raise OutputError(f"{where}: cannot create the folder {shown(self.path.parent)} "
                              f"({exc.strerror or exc})") from None
        clean_stale(self.path)
        tmp: Path | None = None
        old: Path | None = None
        committed = False
        try:
            with _sigint_deferred():  # no Ctrl-C between creating the folder and owning it
                try:
                    tmp = _make_temp(self.path.parent, self.path.name)
                except OSError as exc:
                    raise OutputError(f"{where}: cannot write into {shown(self.path.parent)} "
                                      f"({exc.strerror or exc})") from None
            try:
                yield tmp
                record = provenance() if callable(provenance) else provenance
                record = Provenance(self.kind) if record is None else record
                if record.kind != self.kind:
                    raise ValueError(f"a {record.kind} provenance for a {self.kind} output")
                record.write(tmp)
            except OSError as exc:
                err = _environment_error(exc, f"{where}: cannot write the output")
                if err is None:
                    raise
                raise err from None
            with _sigint_deferred():
                check_output(self.given, self.kind, force=self.force, option=self.option,
                             inputs=self.inputs)
                (tmp / PARTIAL_MARKER).unlink()
                try:
                    old = _swap_in(tmp, self.path)
                except OSError as exc:
                    raise OutputError(f"{where}: cannot move the finished output into place "
                                      f"({exc.strerror or exc}); did the folder change while "
                                      "metacascade was writing?") from None
                committed = True
            if old is not None:  # outside the deferral: a big old output may take a while
                _remove(old)
        finally:
            if not committed and tmp is not None:
                _remove(tmp)


@contextmanager
def output_folder(target: str | Path, kind: str, *, force: bool = False,
                  provenance: Provenance | None = None) -> Iterator[Path]:
    """Check ``target`` and write it atomically in one step (see :class:`OutputFolder`)."""
    with OutputFolder(target, kind, force=force).writing(provenance) as tmp:
        yield tmp


# ---- single files (the HTML report) -----------------------------------------------------------

def is_metacascade_report(path: str | Path) -> bool:
    """True for an HTML report written by metacascade (its head names metacascade)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "ignore")
    except OSError:
        return False
    return head.lstrip().lower().startswith("<!doctype html") and "<title>metacascade" in head


def check_output_file(target: str | Path, *, force: bool = False, option: str = "--out",
                      recognise: Callable[[Path], bool] = is_metacascade_report) -> Path:
    """Validate the target of a single output file; return its absolute path."""
    given = Path(target)
    where = f"{option} {shown(given)}"
    path = _absolute_checked(given, where)
    if len(path.name.encode("utf-8", "surrogateescape")) > NAME_MAX_BYTES:
        raise OutputError(f"{where}: the file name is longer than {NAME_MAX_BYTES} bytes")
    reason = _protected_reason(path)
    if reason:
        raise OutputError(f"{where}: refused, {reason}")
    _check_parent(path, where)
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{where}: cannot inspect it ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{where}: refused, it is a folder; give a file name, e.g. "
                              f"{shown(given / 'report.html')}")
        if stat.S_ISLNK(st.st_mode) and not force:
            raise OutputError(f"{where}: refused, it is a symbolic link; give another name or "
                              "add --force to replace the link")
        if stat.S_ISREG(st.st_mode) and not recognise(path) and not force:
            raise OutputError(f"{where}: refused, it is an existing file that metacascade did not "
                              "write; give another name or add --force to replace it")
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise OutputError(f"{where}: refused, it is not a regular file")
    return path


def write_output_file(target: str | Path, text: str, *, force: bool = False,
                      option: str = "--out",
                      recognise: Callable[[Path], bool] = is_metacascade_report) -> Path:
    """Write ``text`` to ``target`` atomically (temporary sibling, then rename) after the checks of
    :func:`check_output_file`; returns the path as given."""
    given = Path(target)
    path = check_output_file(given, force=force, option=option, recognise=recognise)
    where = f"{option} {shown(given)}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o777)
        prefix = f".{_stem(path.name)}.tmp-"
        for entry in os.scandir(path.parent):  # leftovers of killed runs
            if entry.name.startswith(prefix) and _SUFFIX.fullmatch(entry.name[len(prefix):]) \
                    and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        tmp = _fresh_name(path.parent, prefix)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"{where}: cannot write it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        with _sigint_deferred():
            check_output_file(given, force=force, option=option, recognise=recognise)
            os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        err = _environment_error(exc, f"{where}: cannot write it")
        if err is None:
            raise
        raise err from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return given


__all__ = [
    "KINDS",
    "PROVENANCE",
    "OutputError",
    "OutputFolder",
    "check_output",
    "check_output_file",
    "clean_stale",
    "default_output",
    "exchange",
    "is_metacascade_report",
    "output_folder",
    "safe_slug",
    "shown",
    "write_output_file",
]
