"""Public data sets shipped with metacascade (sources, columns and licences in ``README.md`` here).

``path(name)`` gives the file of a data set and ``load(name)`` reads it as a pandas DataFrame, so
tests, examples and claims use the same copy a user has, never a path outside the package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from metacascade.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

#: Data set name -> file name (tab-separated unless the name ends in .csv).
FILES: dict[str, str] = {
    "neuroblastoma_benzekry2021": "neuroblastoma_benzekry2021.csv",
    "crc_metastases_summary_statistics_hu2019": "crc_metastases_summary_statistics_hu2019.tsv",
    "hu2020_paired_primary_met": "hu2020_paired_primary_met.tsv",
    "hu2020_met_timing": "hu2020_met_timing.tsv",
    "hu2020_doubling_times": "hu2020_doubling_times.tsv",
}


def names() -> list[str]:
    """Names of the shipped data sets."""
    return sorted(FILES)


def path(name: str) -> Path:
    """The file of data set ``name`` inside the installed package."""
    if name not in FILES:
        raise DataError(f"data set {name!r}: unknown; choose one of {', '.join(names())}")
    return Path(str(resources.files(__name__).joinpath(FILES[name])))


def load(name: str) -> pd.DataFrame:
    """Data set ``name`` as a DataFrame (columns as described in the README)."""
    import pandas as pd

    p = path(name)
    return pd.read_csv(p, sep="," if p.suffix == ".csv" else "\t")
