"""Drug schedules: the days of the doses of a treatment event (every engine expands them here).

An event gives a ``drug``, a ``start_day`` (day), a ``dose`` (its unit belongs to the drug: an effect
level for the bone drugs, a log10 cell kill for adjuvant chemotherapy), an optional
``interval_days`` (day) and an optional ``n_doses``. Doses fall on ``start_day + k interval_days``,
k = 0 .. n - 1, where n is ``n_doses`` if given, else (with an interval) as many as fit before the
horizon, else 1; without an interval all ``n_doses`` doses fall on ``start_day``. Doses after the
horizon (the end of the simulation, in the event's own time origin) are not given. Which drugs an
engine understands, and from when its days count, is the engine's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: Drugs acting on the metastases of cohort patients (``engines/patients.py``): the dose is a log10
#: cell kill of growing micrometastases (log-kill hypothesis, Skipper, Schabel & Wilcox 1964;
#: Norton & Simon 1977). The bone drugs are :data:`metacascade.biology.bone.DRUGS`.
ADJUVANT_DRUGS = ("adjuvant_chemotherapy",)


class Schedule(Protocol):
    """What a treatment event provides (``metacascade.scenario.TreatmentEvent`` is one)."""

    @property
    def drug(self) -> str: ...

    @property
    def start_day(self) -> float: ...

    @property
    def dose(self) -> float: ...

    @property
    def interval_days(self) -> float | None: ...

    @property
    def n_doses(self) -> int | None: ...


@dataclass(frozen=True)
class Dose:
    """One dose of a drug: its name, its day and its effect level (Lemaire et al. 2004 drug terms).

    Parameters
    ----------
    drug : str
        ``denosumab``, ``opg_fc``, ``zoledronic_acid`` or ``bisphosphonate``.
    day : float
        Day of the dose (days from the start of the run).
    level : float
        Effect level of the dose (dimensionless; see :mod:`metacascade.engines.bone`).

    Examples
    --------
    >>> import metacascade as mc
    >>> mc.Dose("zoledronic_acid", 0.0, 100.0).level
    100.0
    """

    drug: str
    day: float
    level: float


def dose_days(event: Schedule, horizon_days: float) -> Array:
    """Days of the doses of one event up to ``horizon_days`` (the module docstring's rule)."""
    start = float(event.start_day)
    if event.interval_days is None:
        count = event.n_doses or 1
        step = 0.0
    else:
        step = float(event.interval_days)
        count = event.n_doses if event.n_doses is not None else int(
            np.floor((horizon_days - start) / step)) + 1
    days = start + step * np.arange(max(count, 0), dtype=np.float64)
    return days[days <= horizon_days]


def doses(events: Sequence[Schedule], horizon_days: float) -> list[Dose]:
    """Every dose of ``events`` up to ``horizon_days``, in order of day (events in their order on
    the same day)."""
    out = [Dose(ev.drug, float(day), float(ev.dose)) for ev in events
           for day in dose_days(ev, horizon_days)]
    return sorted(out, key=lambda d: d.day)
