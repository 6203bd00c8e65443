"""The stem-cell reservoir of the primary tumour (S9).

Only a stem-like (tumour-initiating) subpopulation can found a metastasis; the other cells that
leave the primary may lodge and survive as single cells but never divide into a colony
(the cancer-stem-cell model: Al-Hajj et al., PNAS 2003;100:3983 [L]; Enderling, Hlatky & Hahnfeldt,
Br J Cancer 2009 [L]; Zhdanov, Phys Rev E 2009;79:061913, niches for cancer stem cells). The primary
keeps its stem-like fraction while it stands and so keeps seeding ("a reservoir for tumour stem
cells", S9); resection removes the reservoir, and seeding from the primary stops.

``fraction`` (dimensionless, in [0, 1]) is the share of shed cells that are stem-like; the default
0.05 is an order of magnitude between limiting-dilution estimates of tumour-initiating cells
(1 in 1e4 to 1 in 4 depending on the assay; Quintana et al., Nature 2008;456:593 [L]). The
post-arrival cascade rates are calibrated with this fraction, so changing it changes the
efficiency in proportion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StemCellReservoir:
    """Stem-like fraction of the shed cells (1) and the day the primary is resected (day)."""

    fraction: float = field(default=0.05, metadata={"source": (
        "Order of tumour-initiating-cell fractions (Quintana 2008) [L]; the cascade calibration "
        "uses it.")})
    resection_day: float = np.inf

    def seeding_fraction(self, t: npt.ArrayLike) -> Array:
        """Stem-like fraction of the cells shed by the primary at time t: 0 after resection."""
        t = np.asarray(t, dtype=np.float64)
        return np.where(t < self.resection_day, self.fraction, 0.0)
