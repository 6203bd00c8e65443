#!/usr/bin/env python
"""Scale the cascade of the built-in ``breast`` scenario to human breast cancer (rerunnable).

The cascade defaults describe B16 melanoma cells in mice (Luzzi 1998; Fidler 1970), about four
orders of magnitude more efficient than human breast-cancer cells (Coumans et al. 2013: one
metastasis per 6e7 disseminated cells). Two human numbers fix the two least known
factors of the ``breast-cascade`` scenario:

- ``cascade.progression_rate_per_day`` (micrometastasis -> progressive growth): the expected
  number of distant metastases at diagnosis (1e9 cells) is 0.357, i.e. P(distant metastasis)
  = 0.30 as in the power-model ``breast`` scenario (EBCTCG, Lancet 2005);
- ``lymphatics.entry_per_area``: P(lymph-node metastasis at diagnosis) = 0.35 (about a third of
  breast cancers are node-positive at diagnosis; Carter, Allen & Henson, Cancer 1989;63:181,
  SEER 24,740 cases [L]).

Solved with ``scipy.optimize.least_squares`` on log parameters. Prints the TOML lines to paste in
``src/metacascade/scenarios/breast-cascade.toml`` (``--write`` rewrites them in place).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

import metacascade as mc
from metacascade.engines.spread import solve_cascade

FILE = Path(__file__).resolve().parents[1] / "src/metacascade/scenarios/breast-cascade.toml"
TARGET_DISTANT = 0.357
TARGET_NODE_P = 0.35
#: What this script fits, machine-readable (read by tests/test_claims.py: no claim may use one of
#: these numbers as a validation target): quantity -> published value, source, parameters set.
CALIBRATION_TARGETS = {
    "expected_distant_metastases_at_diagnosis": {
        "value": TARGET_DISTANT,
        "source": "Early Breast Cancer Trialists' Collaborative Group. Lancet 2005;365:1687",
        "sets": ["cascade.progression_rate_per_day"]},
    "p_node_positive_at_diagnosis": {
        "value": TARGET_NODE_P, "source": "Carter CL, Allen C, Henson DE. Cancer 1989;63:181",
        "sets": ["lymphatics.entry_per_area"]},
}


def at_detection(progression: float, entry: float) -> tuple[float, float]:
    sc = mc.load_scenario(str(FILE), [f"cascade.progression_rate_per_day={progression!r}",
                                      f"lymphatics.entry_per_area={entry!r}"])
    cs = solve_cascade([sc])
    organs = cs.organs
    det = float(mc.engines.organism.patients_from_scenarios([sc]).detection_day()[0])
    at = cs.sol.at(det)["n_metastases"]
    ln = organs.index("lymph_node")
    distant = float(at.sum() - at[ln])
    return distant, float(at[ln])


def residuals(x: np.ndarray) -> np.ndarray:
    distant, node = at_detection(math.exp(x[0]), math.exp(x[1]))
    p_node = -math.expm1(-node)
    return np.array([math.log(distant / TARGET_DISTANT), math.log(p_node / TARGET_NODE_P)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the values in the TOML file")
    args = ap.parse_args(argv)
    fit = least_squares(residuals, np.log([1e-6, 1.0]), xtol=1e-10, ftol=1e-12)
    prog, entry = (float(math.exp(v)) for v in fit.x)
    distant, node = at_detection(prog, entry)
    print(f"progression_rate_per_day = {prog:.6g}")
    print(f"entry_per_area = {entry:.6g}")
    print(f"distant N at diagnosis {distant:.4g} (target {TARGET_DISTANT}); "
          f"P(node+) {-math.expm1(-node):.4g} (target {TARGET_NODE_P})")
    if args.write:
        text = FILE.read_text()
        text = re.sub(r"(?m)^progression_rate_per_day = \S+", f"progression_rate_per_day = {prog:.6g}",
                      text)
        text = re.sub(r"(?m)^entry_per_area = \S+", f"entry_per_area = {entry:.6g}", text)
        FILE.write_text(text)
        print(f"written {FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
