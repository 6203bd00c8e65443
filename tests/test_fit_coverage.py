"""Recovery on synthetic data: 95 % profile-likelihood intervals cover the true parameters at
close to the nominal rate (issue 8: between 90 and 99 % over 200 simulated data sets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metacascade.inference.data import from_frame
from metacascade.inference.fit import FitSettings, fit_subject
from metacascade.inference.model import make_predictor
from metacascade.scenario import load_scenario

KEYS = ("dissemination.mu", "detection.visible_diameter_mm")
TRUE = np.array([0.02, 8.0])
DAYS = [60.0, 65.0, 70.0, 75.0]  # after the first visible metastasis (tau = 56 d at 8 mm)
pytestmark = pytest.mark.filterwarnings(
    "ignore::metacascade.inference.fit.IdentifiabilityWarning")


def design() -> pd.DataFrame:
    return pd.DataFrame([{"id": "s", "time": str(t), "observable": o, "value": 1.0}
                         for t in DAYS for o in ("n_visible", "burden_marker")])


def coverage(n_sets: int, seed: int) -> tuple[np.ndarray, int]:
    sc = load_scenario("neuroblastoma")
    subject = from_frame(design())["s"]
    f = make_predictor(sc, subject, KEYS).predict(TRUE[None, :])[0]
    rng = np.random.default_rng(seed)
    hits = np.zeros(2)
    for r in range(n_sets):
        subject.value = f * (1 + 0.1 * rng.standard_normal(f.shape))
        fit = fit_subject(sc, subject, FitSettings(keys=KEYS, seed=r, n_starts=16))
        lo = np.where(np.isnan(fit.lower), 0.0, fit.lower)
        hi = np.where(np.isnan(fit.upper), np.inf, fit.upper)
        hits += (lo <= TRUE) & (hi >= TRUE)
    return hits / n_sets, n_sets


def test_coverage_200_sets() -> None:
    """~7 s: kept in the default suite (not marked slow)."""
    cov, n = coverage(200, 2026)
    # issue 8 criterion; with 200 sets the binomial sd of a 95 % rate is 1.5 %
    assert np.all(cov >= 0.90) and np.all(cov <= 0.99), cov
