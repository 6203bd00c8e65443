"""The results of every metacascade command, with one provenance record, one JSON encoder, one
atomic writer and ``save``/``load`` that round-trip exactly.

* :mod:`~metacascade.result.jsonio`: the JSON encoder and decoder of every output file;
* :mod:`~metacascade.result.provenance`: :class:`Provenance`, the ``provenance.json`` record;
* :mod:`~metacascade.result.writer`: the atomic writer of output folders and files;
* :mod:`~metacascade.result.files`: exact CSV tables and checked zarr stores;
* :mod:`~metacascade.result.base`: :class:`SavedResult`, ``save``/``saving``/``load``;
* one module per kind: :mod:`~metacascade.result.run` (:class:`Result`),
  :mod:`~metacascade.result.cohort`, :mod:`~metacascade.result.injection`,
  :mod:`~metacascade.result.prediction`, :mod:`~metacascade.result.claims`,
  :mod:`~metacascade.result.seeding`; the fit result is
  :class:`metacascade.FitResult` (:mod:`metacascade.inference.result`);
* :func:`load`: any output folder, the class picked from its kind.

The names below are imported on first use (PEP 562), so a command imports the kinds it writes and
not the others (``metacascade run`` never imports the claims, cohort or seeding results);
:func:`load` imports the module of the kind it reads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers see the names; nothing is imported at run time
    from metacascade.result.base import SavedResult
    from metacascade.result.claims import ClaimsResult
    from metacascade.result.cohort import CohortResult
    from metacascade.result.injection import InjectionResult
    from metacascade.result.loading import load
    from metacascade.result.prediction import PredictionResult
    from metacascade.result.provenance import PROVENANCE, Provenance
    from metacascade.result.run import RESULT_STORE, TIMESERIES_COLUMNS, Result
    from metacascade.result.seeding import SeedingResult

#: Public name -> its submodule, imported on first use.
_HOME = {
    "PROVENANCE": "provenance",
    "RESULT_STORE": "run",
    "TIMESERIES_COLUMNS": "run",
    "ClaimsResult": "claims",
    "CohortResult": "cohort",
    "InjectionResult": "injection",
    "PredictionResult": "prediction",
    "Provenance": "provenance",
    "Result": "run",
    "SavedResult": "base",
    "SeedingResult": "seeding",
    "load": "loading",
}

__all__ = [
    "PROVENANCE",
    "RESULT_STORE",
    "TIMESERIES_COLUMNS",
    "ClaimsResult",
    "CohortResult",
    "InjectionResult",
    "PredictionResult",
    "Provenance",
    "Result",
    "SavedResult",
    "SeedingResult",
    "load",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'metacascade.result' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"metacascade.result.{home}"), name)
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
