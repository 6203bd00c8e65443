"""Growth laws: closed forms against numerical integration of their right-hand sides (solve_ivp)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from metacascade.biology.growth import (
    Exponential,
    Gompertz,
    Logistic,
    PowerLaw,
    cells_from_diameter_mm,
    diameter_mm_from_cells,
)

LAWS = [
    Exponential(0.05),
    Gompertz(0.01, 1e11),
    Logistic(0.08, 1e9),
    PowerLaw(0.5, 2 / 3),
]


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name)
def test_closed_form_matches_ode(law):
    v0, t = 10.0, np.linspace(0, 300, 31)
    sol = solve_ivp(lambda _t, v: law.rhs(v), (0, 300), [v0], t_eval=t, rtol=1e-11, atol=1e-12,
                    method="LSODA")
    np.testing.assert_allclose(law.size(t, v0), sol.y[0], rtol=1e-7)


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name)
def test_age_at_size_inverts_size(law):
    ages = np.array([0.0, 3.0, 50.0, 200.0])
    sizes = law.size(ages, 10.0)
    np.testing.assert_allclose(law.age_at_size(sizes, 10.0), ages, rtol=1e-9, atol=1e-9)


def test_unreachable_size_is_infinite():
    assert np.isinf(Gompertz(0.01, 1e6).age_at_size(2e6, 1.0))
    assert np.isinf(Logistic(0.1, 1e6).age_at_size(5e6, 1.0))
    assert np.isinf(Exponential(0.1).age_at_size(0.5, 1.0))


def test_iwata_primary_reaches_diagnosis_in_654_days():
    # science.md §1.1: primary 1 -> 1.55e9 cells in 654.1 days (a = 0.00286, b = 7.3e10)
    age = Gompertz(0.00286, 7.3e10).age_at_size(1.55e9, 1.0)
    assert age == pytest.approx(654.1, abs=0.05)


def test_diameter_conversion():
    assert cells_from_diameter_mm(10.0) == pytest.approx(np.pi / 6 * 1e9)
    assert diameter_mm_from_cells(cells_from_diameter_mm(3.3)) == pytest.approx(3.3)
