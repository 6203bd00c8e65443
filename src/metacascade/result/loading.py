"""``metacascade.result.load(dir)``: read any output folder, picking the class from its kind.

The kind comes from ``provenance.json``. A folder written before that file existed is recognised
by the file only its kind writes (``result.zarr``, ``patients.csv``, ...). Anything else is a
:class:`~metacascade.errors.DataError` naming the folder (exit code 2 on the command line).

The fit result is defined with the fitting code (:mod:`metacascade.inference.result`, a layer
above this one, because its records are the optimiser's); :data:`DEFINED_ABOVE` names that module
and it is imported only when a fit folder is loaded.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from metacascade.errors import DataError, shown
from metacascade.result.base import REGISTRY, SavedResult, result_folder
from metacascade.result.provenance import PROVENANCE, Provenance

#: Kinds whose class lives in a higher layer: kind -> module that registers it when imported.
DEFINED_ABOVE = {"fit": "metacascade.inference.result"}
#: The module of each kind of this layer, imported when such a folder is loaded (a command
#: imports only the kinds it writes; the cell-scale kinds import tskit, which is not light).
LAZY = {"run": "metacascade.result.run", "cohort": "metacascade.result.cohort",
        "injection": "metacascade.result.injection",
        "prediction": "metacascade.result.prediction", "claims": "metacascade.result.claims",
        "seeding": "metacascade.result.seeding", "stochastic": "metacascade.result.cellscale",
        "sequencing": "metacascade.result.sequencing"}
#: Folders older than ``provenance.json``: the file that tells each kind (checked in this order).
SIGNATURES = (("result.zarr", "run"), ("patients.csv", "cohort"), ("fates.csv", "injection"),
              ("estimates.json", "fit"), ("prediction.json", "prediction"),
              ("claims.json", "claims"))
# (the stochastic and sequencing kinds always have provenance.json)
#: The commands that write each kind (for messages).
COMMANDS = {"run": "run", "cohort": "cohort", "injection": "cascade inject", "fit": "fit",
            "prediction": "predict", "claims": "claims", "seeding": "infer-seeding",
            "stochastic": "run --engine stochastic", "sequencing": "sequence"}


def result_class(kind: str) -> type[SavedResult]:
    """The class that reads output folders of ``kind``."""
    if kind not in REGISTRY and kind in DEFINED_ABOVE:
        importlib.import_module(DEFINED_ABOVE[kind])
    if kind not in REGISTRY and kind in LAZY:
        importlib.import_module(LAZY[kind])
    if kind not in REGISTRY:
        raise DataError(f"output kind {kind!r} cannot be loaded; loadable: "
                        f"{', '.join(sorted(COMMANDS))}")
    return REGISTRY[kind]


def folder_kind(directory: str | Path) -> str:
    """The kind of an output folder (from ``provenance.json``, else from its files)."""
    folder = result_folder(directory)
    where = shown(str(folder))
    if (folder / PROVENANCE).exists():
        kind = Provenance.read(folder).kind
        if kind not in COMMANDS:
            raise DataError(f"{where} holds a metacascade {kind} output, which is not a result "
                            "folder")
        return kind
    for name, kind in SIGNATURES:
        if (folder / name).exists():
            return kind
    raise DataError(f"{where} is not a metacascade output folder (no {PROVENANCE}); give a "
                    "folder written by metacascade "
                    f"{', '.join(dict.fromkeys(COMMANDS.values()))}")


def load(directory: str | Path) -> SavedResult:
    """Read an output folder of any kind; returns a :class:`~metacascade.result.Result`,
    :class:`~metacascade.result.CohortResult`, :class:`~metacascade.result.InjectionResult`,
    :class:`~metacascade.FitResult`, :class:`~metacascade.result.PredictionResult`,
    :class:`~metacascade.result.ClaimsResult`, :class:`~metacascade.result.SeedingResult`, a
    cell-scale run or a sequencing folder. Nothing in the folder is unpickled or evaluated.

    Parameters
    ----------
    directory : str or Path
        A folder written by a result's ``save`` or by a metacascade command.

    Returns
    -------
    Result, CohortResult, InjectionResult, FitResult, PredictionResult or ClaimsResult
        The class named by the folder's ``provenance.json`` (``kind``), equal to what was saved.

    Raises
    ------
    DataError
        The folder is missing, not a metacascade output, or damaged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import metacascade as mc
    >>> r = mc.simulate("breast")
    >>> folder = r.save(pathlib.Path(tempfile.mkdtemp()) / "breast")
    >>> same = mc.load_result(folder)
    >>> type(same).__name__, same.summary == r.summary
    ('Result', True)
    """
    return result_class(folder_kind(directory)).load(directory)


__all__ = ["COMMANDS", "DEFINED_ABOVE", "LAZY", "folder_kind", "load", "result_class"]
