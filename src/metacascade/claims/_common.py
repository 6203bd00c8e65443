"""Calibration data shared by several claims: what set the parameters of the cascade defaults and
of the ``breast-cascade`` scenario (listed in every verdict that runs them)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from metacascade import Scenario, load_scenario
from metacascade import cascade_calibration as stored_cascade_fit
from metacascade.claims.base import CHOSEN, Calibration

CASCADE_HOW = ("scripts/calibrate_cascade.py: MAP fit of nine cascade rates (biology/"
               "cascade_calibration.json)")
CASCADE_SETS = ("cascade rates (liver retention, extravasation, intravascular and "
                "post-extravasation death, dormancy entry and death, initiation, progression)")
BREAST_CASCADE_HOW = "scripts/calibrate_breast_cascade.py (least squares on log parameters)"
#: What ``scripts/calibrate_breast_cascade.py`` fits (the same numbers as its CALIBRATION_TARGETS).
EBCTCG = ("Early Breast Cancer Trialists' Collaborative Group. Lancet 2005;365:1687 (30 % distant "
          "recurrence: N = 0.357 at diagnosis)")
CARTER = "Carter CL, Allen C, Henson DE. Cancer 1989;63:181 (about 35 % node-positive) [L]"


def cascade_source(name: str) -> str:
    """The source of one calibration target of ``scripts/calibrate_cascade.py``."""
    return str(stored_cascade_fit()["sources"][name.split("_")[0]])


def cascade_calibration(model: dict[str, float] | None = None, note: str = ""
                        ) -> dict[str, Calibration]:
    """The six Luzzi/Fidler numbers the cascade rates were fitted to (``model``: the re-measured
    values, when the claim measures them)."""
    return {k: Calibration(float(spec["value"]), cascade_source(k), CASCADE_HOW, sets=CASCADE_SETS,
                           model=None if model is None else model.get(k), note=note)
            for k, spec in stored_cascade_fit()["targets"].items()}


def breast_cascade_calibration() -> dict[str, Calibration]:
    """The two human numbers that scale the ``breast-cascade`` scenario, and its cascade rates."""
    return {
        **cascade_calibration(),
        "expected_distant_metastases_at_diagnosis": Calibration(
            0.357, EBCTCG, BREAST_CASCADE_HOW, sets="cascade.progression_rate_per_day"),
        "p_node_positive_at_diagnosis": Calibration(
            0.35, CARTER, BREAST_CASCADE_HOW, sets="lymphatics.entry_per_area"),
    }


def niche_calibration(gain_only: bool = False) -> dict[str, Calibration]:
    """The pre-metastatic niche defaults (biology/niche.py), chosen by this package "so that
    priming precedes the first colonisation as Kaplan observed"."""
    p = load_scenario("breast-cascade").niche
    src = ("breast-cascade scenario, biology/niche.py defaults (assumptions of this package; Kaplan RN et al. Nature "
           "2005;438:820, qualitative)")
    why = "chosen so that priming precedes the first colonisation"
    out = {"niche_gain": Calibration(p.gain, src, CHOSEN, sets="niche.gain",
                                     note="fully primed organ 1 + gain times more receptive; "
                                          "the S10/S11 knock-out ratio 1/(1 + gain n) follows "
                                          "from it")}
    if gain_only:
        return out
    out.update({
        "niche_reference_cells": Calibration(p.reference_cells, src, CHOSEN,
                                             sets="niche.reference_cells", note=why),
        "niche_priming_rate_per_day": Calibration(p.priming_rate_per_day, src, CHOSEN,
                                                  sets="niche.priming_rate_per_day", note=why),
        "niche_decay_rate_per_day": Calibration(p.decay_rate_per_day, src, CHOSEN,
                                                sets="niche.decay_rate_per_day", note=why),
    })
    return out


def cells_shed(sc: Scenario, t: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64],
                                                                  npt.NDArray[np.float64]]:
    """Primary size (cells) and cumulative cells shed into the blood (cells, trapezoid rule) on
    the grid ``t`` (days) of a cascade scenario: the blood shedding rate (Butler & Gullino 1975,
    cells per cell^gamma per day) times the primary size to the power gamma, before survival in
    the circulation."""
    vp = np.asarray(sc.primary_law().size(t, sc.primary.initial_cells), dtype=np.float64).ravel()
    rate = sc.cascade_parameters().blood_shedding_rate_per_cell_day * np.maximum(vp, 0.0) ** \
        sc.dissemination.gamma
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    return vp, cum
