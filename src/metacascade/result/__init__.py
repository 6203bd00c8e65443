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
"""

from metacascade.result.base import SavedResult
from metacascade.result.claims import ClaimsResult
from metacascade.result.cohort import CohortResult
from metacascade.result.injection import InjectionResult
from metacascade.result.loading import load
from metacascade.result.prediction import PredictionResult
from metacascade.result.provenance import PROVENANCE, Provenance
from metacascade.result.run import RESULT_STORE, TIMESERIES_COLUMNS, Result
from metacascade.result.seeding import SeedingResult

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
