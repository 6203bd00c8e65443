"""
A cohort: relapse-free survival with the numbers at risk
========================================================

``mc.simulate_cohort`` draws virtual patients around a typical one (log-normal variability of
the growth and dissemination rates) and returns a :class:`metacascade.CohortResult`: one row per
patient with the days of diagnosis, relapse and death. The survival curves are ordinary
Kaplan-Meier estimates (lifelines) of that table.
"""

# %%
import matplotlib.pyplot as plt
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts
from lifelines.statistics import logrank_test

import metacascade as mc

scenario = mc.load_scenario("breast")
cohort = mc.simulate_cohort(scenario, 300, seed=1)
patients = cohort.to_dataframe()
patients[["patient", "diagnosis_day", "relapse_after_surgery_days", "death_after_diagnosis_days",
          "death_cause"]].head()

# %%
# The summary gives the fractions and the survival at 5 and 10 years.
{k: cohort.summary[k] for k in ("n_patients", "relapse_fraction", "relapse_free_5y",
                                 "relapse_free_10y", "death_fraction_metastasis")}

# %%
# Relapse-free time after surgery: a relapse is the event, a patient without one is censored at
# the end of follow-up. The patients are split at the median of their dissemination rate ``mu``
# (per cell per day), which the cohort varies from patient to patient.
follow_up = cohort.summary["follow_up_days"]
median_mu = patients["dissemination.mu"].median()
fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
fitters = []
for high, group in patients.groupby(patients["dissemination.mu"] > median_mu):
    relapsed = group["relapse_after_surgery_days"].notna()
    days = group["relapse_after_surgery_days"].fillna(follow_up - group["resection_day"])
    label = f"mu {'above' if high else 'below'} the median (n = {len(group)})"
    km = KaplanMeierFitter(label=label).fit(days / 365.25, relapsed)
    km.plot_survival_function(ax=ax)
    fitters.append(km)
ax.set(xlabel="years after surgery", ylabel="relapse-free", ylim=(0, 1.02))
add_at_risk_counts(*fitters, ax=ax)
plt.show()

# %%
# The log-rank test of the two curves (lifelines):
low, high = (g for _, g in patients.groupby(patients["dissemination.mu"] > median_mu))
test = logrank_test(
    low["relapse_after_surgery_days"].fillna(follow_up - low["resection_day"]),
    high["relapse_after_surgery_days"].fillna(follow_up - high["resection_day"]),
    low["relapse_after_surgery_days"].notna(), high["relapse_after_surgery_days"].notna())
print(f"log-rank p = {test.p_value:.2g}")
