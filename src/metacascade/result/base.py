"""What every result kind shares: the provenance record, ``save``/``saving`` through the one atomic
writer, and ``load`` of exactly what was saved.

A kind is a dataclass that subclasses :class:`SavedResult` and gives

* ``kind`` (the ``provenance.json`` kind) and :attr:`SavedResult.provenance` (its record);
* :meth:`SavedResult.write_into` (its files, into a folder that already exists);
* :meth:`SavedResult.read_from` (the same object back from those files).

Figures are not part of a result (results never draw themselves): the command line draws them
into the same temporary folder before the commit::

    with result.saving(out) as tmp:          # result files written, provenance.json not yet
        save_run_figures(result, tmp)        # figures join the same atomic commit
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

from metacascade.errors import DataError, shown
from metacascade.result.provenance import PROVENANCE, Provenance
from metacascade.result.writer import OutputFolder

#: Kind name -> the class that reads it (filled by :func:`register`).
REGISTRY: dict[str, type[SavedResult]] = {}


#: The numpydoc sections every kind's ``write_into`` and ``read_from`` share (``{cls}``: the
#: class name), appended by :func:`register` to the one-paragraph docstring each kind writes.
_SECTIONS = {
    "write_into": """

    Parameters
    ----------
    folder : Path
        An existing folder; :meth:`save` calls this on a temporary folder.
    """,
    "read_from": """

    Parameters
    ----------
    folder : Path
        A folder written by :meth:`write_into`.
    provenance : Provenance or None
        Its provenance record (None for folders older than ``provenance.json``).

    Returns
    -------
    {cls}
        The saved result, equal to the one that was written.

    Raises
    ------
    DataError
        A file is missing or damaged.
    """,
}


def register(cls: type[SavedResult]) -> type[SavedResult]:
    """Class decorator: ``metacascade.result.load`` reads folders of ``cls.kind`` with ``cls``;
    the kind's own ``write_into`` and ``read_from`` docstrings gain the shared numpydoc sections
    (:data:`_SECTIONS`), written once here."""
    REGISTRY[cls.kind] = cls
    for name, sections in _SECTIONS.items():
        member = cls.__dict__.get(name)
        func = getattr(member, "__func__", member)
        doc = getattr(func, "__doc__", None)
        if doc and "\nParameters\n" not in inspect.cleandoc(doc):
            func.__doc__ = (inspect.cleandoc(doc) + "\n\n"
                            + inspect.cleandoc(sections.format(cls=cls.__name__)) + "\n")
    return cls


def result_folder(directory: str | Path) -> Path:
    """``directory`` as a Path when it is an existing folder; else a DataError that says whether
    the path does not exist or is a file (results are folders)."""
    folder = Path(directory)
    if not folder.is_dir():
        where = shown(str(folder))
        if folder.exists():
            raise DataError(f"{where} is a file, not a folder: give the output folder of a "
                            "metacascade command")
        raise DataError(f"{where}: no such folder")
    return folder


class SavedResult:
    """Mixin of the result kinds (see the module docstring)."""

    kind: ClassVar[str] = ""
    #: The command that regenerates an output of this kind (for messages about old folders).
    regenerate: ClassVar[str] = "metacascade"

    # ---- to be given by each kind -------------------------------------------------------------
    @property
    def provenance(self) -> Provenance:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def write_into(self, folder: Path) -> None:  # pragma: no cover - every kind overrides it
        """Write the result's files into the existing ``folder`` (not atomic, no provenance)."""
        raise NotImplementedError

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> Self:  # pragma: no cover
        """The result stored in ``folder``; ``provenance`` is None for a folder written before
        ``provenance.json`` existed."""
        raise NotImplementedError

    # ---- shared ---------------------------------------------------------------------------------
    @contextmanager
    def saving(self, target: str | Path | OutputFolder, *, force: bool = False
               ) -> Iterator[Path]:
        """Write the result into a hidden temporary folder beside ``target`` and yield it (add
        figures there); when the block ends without an error, ``provenance.json`` is written and
        the folder takes the name ``target`` in one atomic step. An existing ``target`` is
        replaced only when it is an output of the same kind (or ``force``); ``target`` may be an
        :class:`OutputFolder` checked before a long computation."""
        folder = target if isinstance(target, OutputFolder) else \
            OutputFolder(target, self.kind, force=force)
        if folder.kind != self.kind:
            raise ValueError(f"a {self.kind} result cannot be saved as a {folder.kind} output")
        with folder.writing(lambda: self.provenance) as tmp:
            self.write_into(tmp)
            yield tmp

    def save(self, target: str | Path | OutputFolder, *, force: bool = False) -> Path:
        """Write the result (no figures) to the folder ``target`` atomically; returns its path.
        :meth:`load` gives back an equal result."""
        with self.saving(target, force=force):
            pass
        return target.given if isinstance(target, OutputFolder) else Path(target)

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        """Read a folder written by :meth:`save` (or by the command of this kind)."""
        folder = result_folder(directory)
        prov = Provenance.read(folder) if (folder / PROVENANCE).exists() else None
        if prov is not None and prov.kind != cls.kind:
            raise DataError(f"{shown(str(folder))} holds a metacascade {prov.kind} output, not a "
                            f"{cls.kind} output")
        return cls.read_from(folder, prov)

    def _legacy(self, folder: Path) -> str:
        return (f"{shown(str(folder))} was written by an older metacascade and lacks what is "
                f"needed; regenerate it with `{self.regenerate}`")


def missing(folder: Path, name: str, regenerate: str) -> DataError:
    """The error for a file an output folder should hold."""
    return DataError(f"{shown(str(folder / name))} not found: the folder is incomplete or not a "
                     f"metacascade output; regenerate it with `{regenerate}`")


def provenance_fields(prov: Provenance | None) -> dict[str, Any]:
    """The provenance fields every kind keeps (command; version, created and seed when known)."""
    if prov is None:
        return {"command": ()}
    return {"command": prov.command, "version": prov.version, "created": prov.created}


__all__ = ["REGISTRY", "SavedResult", "missing", "provenance_fields", "register"]
