"""Long-format data: parsing, the 'diagnosis' time, events, covariates and row-numbered errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from metacascade.errors import DataError
from metacascade.inference.data import load_observations

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "d.csv"
    p.write_text(text)
    return p


def test_example_file_matches_shared_data() -> None:
    import pandas as pd

    from metacascade import datasets

    src = pd.read_csv(datasets.path("neuroblastoma_benzekry2021"), float_precision="round_trip")
    data = load_observations(EXAMPLE)
    assert len(data.ids) == 45
    s = data["1"]
    assert s.diagnosis_primary_cells == pytest.approx(1142.8590474984067e9, rel=1e-15)
    assert s.observable == ["n_visible", "burden_marker"]
    assert s.at_diagnosis.all()
    assert list(s.value) == [51.0, 1183.0]
    assert s.covariates["os_months"] == 14.0 and s.covariates["death"] == 1
    for r in src.itertuples():
        sub = data[str(r.id)]
        assert sub.diagnosis_primary_cells == pytest.approx(r.primary_volume_cm3 * 1e9, rel=1e-15)
        assert list(sub.value) == [r.siopen_score, r.ldh_ui_per_l]


def test_numeric_times_events_censoring(tmp_path: Path) -> None:
    p = write(tmp_path, "id,time,observable,value,censored,group\n"
              "a,0,primary_volume_mm3,2,0,x\n"
              "a,10,metastatic_burden_cells,1e5,1,x\n"
              "a,12,resection,,,x\n"
              "b,diagnosis,primary_cells,1e9,,y\n"
              "b,diagnosis,resection,,,y\n"
              "b,diagnosis,n_visible,3,,y\n")
    d = load_observations(p)
    a = d["a"]
    assert a.resection_day == 12.0
    assert a.scenario_overrides() == {"treatment.resection_day": 12.0,
                                      "treatment.resection_at_detection": False}
    assert list(a.censored) == [False, True]
    assert np.array_equal(a.row, [2, 3])
    b = d["b"]
    assert b.resection_at_diagnosis and b.diagnosis_primary_cells == 1e9
    assert b.scenario_overrides()["treatment.resection_at_detection"] is True
    assert d.covariates.loc["b", "group"] == "y"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id,time,value\n1,0,3\n", "missing column(s) observable"),
        ("id,time,observable,value\n1,-2,n_visible,3\n", "row 2: column 'time' = '-2'"),
        ("id,time,observable,value\n1,0,n_visible,3\n1,abc,n_visible,3\n",
         "row 3: column 'time' = 'abc': not a number"),
        ("id,time,observable,value\n1,0,n_visible,3\n1,1,n_visible,many\n",
         "row 3: column 'value' = 'many': not a number"),
        ("id,time,observable,value\n1,,n_visible,3\n", "row 2: column 'time'"),
        ("id,time,observable,value\n1,0,siopen,3\n", "row 2: column 'observable' = 'siopen'"),
        ("id,time,observable,value\n1,0,n_visible,-3\n", "row 2: column 'value' = -3"),
        ("id,time,observable,value\n1,diagnosis,primary_cells,1e9\n2,0,n_visible,1\n",
         "id '1' has no observations"),
        ("id,time,observable,value,age\n1,0,n_visible,1,3\n1,2,n_visible,1,4\n",
         "row 3: column 'age' = 4"),
        ("id,time,observable,value,censored\n1,0,n_visible,1,maybe\n",
         "row 2: column 'censored' = 'maybe'"),
    ],
)
def test_errors_name_row_column_value(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(DataError) as err:
        load_observations(write(tmp_path, text))
    assert fragment in str(err.value)


def test_missing_file() -> None:
    with pytest.raises(DataError, match="not found"):
        load_observations("/nonexistent/file.csv")
