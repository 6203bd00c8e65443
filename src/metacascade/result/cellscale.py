"""One stochastic cell-scale patient (``metacascade run --engine stochastic``): the run's outputs
plus its clones, metastases, clone history and the genealogy of sampled cells (issue 15).

Folder (``kind = "stochastic"``): everything a ``run`` folder holds (:mod:`.run`) and ::

    clones.csv         one row per clone: clone_id, site, parent, birth_day, n_mutations,
                       fitness, trait, cells (its own final cells at its site)
    metastases.csv     one row per metastasis: met_id, organ, founding_day,
                       primary_cells_at_seeding, founder_clone, cluster_size, cells_final, dormant
    clone_history.csv  the primary's large clones over time: day, clone_id, parent (nearest kept
                       ancestor), cells (own), subtree_cells (the Muller plot)
    genealogy.trees    the genealogy of sampled cells (tskit's format: ``tskit.load``)

The tables are exact (column types in ``provenance.json``); the genealogy is tskit's own file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd
import tskit

from metacascade.errors import DataError, shown
from metacascade.result.base import missing, register
from metacascade.result.files import column_types, read_csv, write_csv
from metacascade.result.provenance import Provenance
from metacascade.result.run import Result

CLONES = "clones.csv"
METASTASES = "metastases.csv"
HISTORY = "clone_history.csv"
GENEALOGY = "genealogy.trees"
#: The contract columns of the tables (in this order).
CLONE_COLUMNS = ["clone_id", "site", "parent", "birth_day", "n_mutations", "fitness", "trait",
                 "cells"]
METASTASIS_COLUMNS = ["met_id", "organ", "founding_day", "primary_cells_at_seeding",
                      "founder_clone", "cluster_size", "cells_final", "dormant"]
HISTORY_COLUMNS = ["day", "clone_id", "parent", "cells", "subtree_cells"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="float64") for c in columns})


@register
@dataclass
class CellScaleResult(Result):
    """A :class:`Result` with the cell scale's records: ``clones``, ``metastases`` and
    ``clone_history`` (DataFrames with the columns of the module docstring) and ``genealogy``
    (a ``tskit.TreeSequence`` of sampled cells; populations = ``sites`` in order)."""

    kind = "stochastic"
    regenerate = "metacascade run SCENARIO --engine stochastic --out DIR"

    clones: pd.DataFrame | None = None
    metastases: pd.DataFrame | None = None
    clone_history: pd.DataFrame | None = None
    genealogy: tskit.TreeSequence | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, cols in (("clones", CLONE_COLUMNS), ("metastases", METASTASIS_COLUMNS),
                           ("clone_history", HISTORY_COLUMNS)):
            df = getattr(self, name)
            df = _empty(cols) if df is None else df
            lost = [c for c in cols if c not in df.columns]
            if lost:
                raise ValueError(f"{name}: missing column(s) {', '.join(lost)}")
            setattr(self, name, df[cols].reset_index(drop=True))

    @property
    def sites(self) -> list[str]:
        """The primary then every metastasis (the ``site`` coordinate of the time series)."""
        return [str(s) for s in self.timeseries["site"].to_numpy()]

    @property
    def provenance(self) -> Provenance:
        assert self.clones is not None and self.metastases is not None
        assert self.clone_history is not None
        extra: dict[str, Any] = {"engine": "stochastic", "n_clones": len(self.clones),
                                 "n_metastases": len(self.metastases)}
        if self.genealogy is not None:
            extra["genealogy_samples"] = int(self.genealogy.num_samples)
        return Provenance(self.kind, version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra=extra,
                          columns={CLONES: column_types(self.clones),
                                   METASTASES: column_types(self.metastases),
                                   HISTORY: column_types(self.clone_history)})

    def write_into(self, folder: Path) -> None:
        """The run's files, then the cell-scale tables and ``genealogy.trees``."""
        assert self.clones is not None and self.metastases is not None
        assert self.clone_history is not None
        super().write_into(folder)
        write_csv(self.clones, folder / CLONES)
        write_csv(self.metastases, folder / METASTASES)
        write_csv(self.clone_history, folder / HISTORY)
        if self.genealogy is not None:
            self.genealogy.dump(str(folder / GENEALOGY))

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> CellScaleResult:
        base = Result.read_from.__func__(Result, folder, provenance)  # type: ignore[attr-defined]
        kw = {f.name: getattr(base, f.name) for f in fields(Result)}
        cols = provenance.columns if provenance is not None else {}
        tables: dict[str, Any] = {}
        for name, attr in ((CLONES, "clones"), (METASTASES, "metastases"),
                           (HISTORY, "clone_history")):
            if not (folder / name).is_file():
                raise missing(folder, name, cls.regenerate)
            tables[attr] = read_csv(folder / name, cols.get(name), hint=f"regenerate it with "
                                    f"`{cls.regenerate}`")
        ts = None
        if (folder / GENEALOGY).is_file():
            try:
                ts = tskit.load(str(folder / GENEALOGY))
            except (tskit.FileFormatError, OSError, ValueError) as exc:
                raise DataError(f"{shown(str(folder / GENEALOGY))}: not a tskit tree sequence "
                                f"({type(exc).__name__})") from None
        return cls(**kw, **tables, genealogy=ts)


__all__ = ["CLONE_COLUMNS", "METASTASIS_COLUMNS", "CellScaleResult"]
