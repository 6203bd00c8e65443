"""Write reads.tsv: a small synthetic read-count table in the infer-seeding input format.

Synthetic (no real patient data): one primary (2 samples) and one liver metastasis (2 samples).
Mutation classes and their cancer-cell fractions (CCF) in primary / metastasis:
25 truncal (1 / 1), 4 primary-private clonal (1 / 0), 12 primary-private subclonal (0.1-0.6 / 0),
10 metastasis-private clonal (0 / 1), 8 metastasis-private subclonal (0 / 0.1-0.5), 3 clonal in
the metastasis and subclonal in the primary (0.15 / 1). Depth ~ negative binomial (mean 100,
size 5); alt reads ~ Binomial(depth, VAF) with VAF = purity * CCF / (purity * (major + minor)
+ (1 - purity) * normal) for one mutated copy. Run: python make_example.py (seed 2026).
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(2026)
samples = [("P1", "primary", 0.70), ("P2", "primary", 0.65), ("L1", "liver", 0.60),
           ("L2", "liver", 0.55)]
classes = [("truncal", 25, (1, 1), (1, 1)), ("primary_clonal", 4, (1, 1), (0, 0)),
           ("primary_subclonal", 12, (0.1, 0.6), (0, 0)), ("met_clonal", 10, (0, 0), (1, 1)),
           ("met_subclonal", 8, (0, 0), (0.1, 0.5)), ("met_clonal_primary_subclonal", 3,
                                                       (0.15, 0.15), (1, 1))]
rows = []
k = 0
for _, n, p_ccf, m_ccf in classes:
    for _ in range(n):
        k += 1
        chrom, pos = rng.integers(1, 23), rng.integers(1_000_000, 200_000_000)
        ref, alt = rng.choice(list("ACGT"), size=2, replace=False)
        major, minor = (2, 1) if rng.random() < 0.1 else (1, 1)
        for sid, site, purity in samples:
            lo, hi = p_ccf if site == "primary" else m_ccf
            ccf = rng.uniform(lo, hi) if hi > lo else lo
            depth = max(10, int(rng.negative_binomial(5, 5 / 105)))
            vaf = purity * ccf / (purity * (major + minor) + (1 - purity) * 2)
            a = int(rng.binomial(depth, vaf))
            rows.append({"mutation_id": f"chr{chrom}:{pos}:{ref}>{alt}", "sample_id": sid,
                         "site": site, "ref_counts": depth - a, "alt_counts": a,
                         "major_cn": major, "minor_cn": minor, "normal_cn": 2,
                         "tumour_content": purity})
pd.DataFrame(rows).to_csv(Path(__file__).with_name("reads.tsv"), sep="\t", index=False)
