"""The claims S9, S17 and S18 on stochastic cell-scale patients: their helpers against analytic
values, and their quick verdicts honouring the contract (validation targets with sources,
calibration apart, a derived status)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metacascade.biology.growth import cells_from_diameter_mm
from metacascade.claims._cell_patients import Cohort, log_ratio, shared_driver_share
from metacascade.claims.runner import run_claims
from metacascade.claims.s09_stem_cells import d50_cm, risk_by_diameter
from metacascade.claims.s17_early_trait import clopper_pearson


def test_d50_of_a_known_curve():
    d = np.array([10.0, 20.0, 40.0])
    # log-linear between 20 mm (0.25) and 40 mm (0.75): the crossing is at sqrt(20 * 40) mm
    assert d50_cm(d, np.array([0.0, 0.25, 0.75])) == pytest.approx(math.sqrt(800) / 10)
    assert d50_cm(d, np.array([0.0, 0.1, 0.2])) is None


def test_risk_counts_only_surviving_metastases_founded_before_the_size():
    small = float(cells_from_diameter_mm(10.0))
    mets = [pd.DataFrame({"primary_cells_at_seeding": [small / 2, small / 4],
                          "cells_final": [0.0, 5.0]}),        # a survivor before 10 mm
            pd.DataFrame({"primary_cells_at_seeding": [small * 10], "cells_final": [3.0]}),
            pd.DataFrame({"primary_cells_at_seeding": [small / 2], "cells_final": [0.0]}),
            pd.DataFrame({"primary_cells_at_seeding": [], "cells_final": []})]
    risk = risk_by_diameter(mets, np.array([10.0, 30.0]))
    np.testing.assert_allclose(risk, [0.25, 0.5])


def test_clopper_pearson_of_all_successes():
    lo, hi = clopper_pearson(44, 44)
    assert lo == pytest.approx(0.025 ** (1 / 44)) and hi == 1.0


def test_shared_driver_share_pools_patients_with_truncal_drivers():
    c = Cohort(pd.DataFrame(), pd.DataFrame({"patient": [0, 1], "in_all": [1, 0],
                                             "in_any": [3, 2]}))
    assert shared_driver_share(c, truncal=3) == pytest.approx((6 + 1) / (6 + 5))
    assert shared_driver_share(Cohort(pd.DataFrame(), pd.DataFrame(
        {"patient": [], "in_all": [], "in_any": []}))) is None
    np.testing.assert_allclose(log_ratio([9.0], [0.0]), [1.0])


@pytest.fixture(scope="module")
def verdicts():
    return {v.id: v for v in run_claims(["S9", "S17", "S18"], quick=True, seed=0, parallel=1,
                                        html=False)}


def test_quick_verdicts_honour_the_contract(verdicts):
    for i in ("S9", "S17", "S18"):
        v = verdicts[i]
        assert v.status in ("reproduced", "not reproduced"), (i, v.summary)
        assert v.problems() == [], i
        assert v.validation and all(t.source for t in v.validation.values())
        assert not set(v.validation) & set(v.calibration)


def test_s9_no_stem_cells_no_metastasis(verdicts):
    v = verdicts["S9"]
    assert v.checks["metastases_without_stem_cells"].measured == 0.0
    assert v.checks["founded_after_resection"].measured == 0.0
    assert 0.0 <= v.measured["risk_at_2cm"] <= v.measured["risk_at_5cm"] <= 1.0


def test_s17_reports_both_hypotheses(verdicts):
    v = verdicts["S17"]
    for k in ("share_of_drivers_in_all_metastases", "median_log10_Lm_over_Lp"):
        assert k in v.validation and f"{k}_late" in v.measured
    assert "favour" in v.summary


def test_s18_one_target_per_cancer_type_and_ishaque(verdicts):
    v = verdicts["S18"]
    assert {"share_clonal_in_primary_breast", "share_clonal_in_primary_colorectal",
            "share_clonal_in_primary_lung", "share_of_snvs_shared_colorectal"} == set(v.validation)
    assert all(0 <= t.measured <= 1 for t in v.validation.values())
