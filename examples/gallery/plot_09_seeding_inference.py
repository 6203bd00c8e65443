"""
When did it spread? Seeding inference on the published colorectal data
=======================================================================

Hu et al. (2019) summarised the exomes of 23 colorectal-cancer metastases by nine statistics
(S1-S4: mutations private to the primary above four allele-fraction cut-offs, S5-S8: private to
the metastasis, S9: clonal in the metastasis, subclonal in the primary). An ABC-SMC over the
size of the primary when a metastasis was seeded, with neutral growth of both tumours (SCIMET's
``NN`` model), gives a posterior of that size; the Gompertz growth of colorectal cancers (Hu et
al. 2020) turns it into years before diagnosis.

The settings here are small (two metastases, 100 particles, 1000 simulations each) so that the
example runs in seconds; ``metacascade infer-seeding examples/seeding/crc_summary_statistics_hu2019.tsv
--summary-statistics --cancer-type colorectal --out DIR`` runs every metastasis and the four
models with the default settings.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from metacascade import datasets
from metacascade.inference.reads import load_seeding_data
from metacascade.inference.seeding import timing_law
from metacascade.inference.seeding_abc import SeedingSettings, data_purity, infer_seeding_table

# the published table ships with the package (metacascade.datasets)
DATA = datasets.path("crc_metastases_summary_statistics_hu2019")
data = load_seeding_data(DATA, summary_statistics=True)
law = timing_law("colorectal")
settings = SeedingSettings(models=("NN",), population_size=100, max_simulations=1000,
                           purity=data_purity(data))
run = infer_seeding_table(data, law, seed=1, settings=settings, metastases=data.metastases[:2])
run.seeding

# %%
# The weighted posterior particles of each metastasis.
posterior = run.posterior()
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained")
for met, particles in posterior.groupby("met"):
    for ax, column, bins in ((axes[0], "log10_seeding_cells", np.linspace(2, 10, 33)),
                             (axes[1], "years_before_diagnosis", np.linspace(0, 5, 26))):
        ax.hist(particles[column], bins=bins, weights=particles["weight"], alpha=0.6,
                density=True, label=met)
axes[0].set(xlabel="log10 primary cells at seeding", ylabel="posterior density")
axes[1].set(xlabel="years before diagnosis")
axes[0].legend()
plt.show()

# %%
# The posterior predictive check: is each observed statistic inside the simulated range?
run.predictive().round(2)
