"""Fitting models to tumour measurements (issue 8): data, likelihood, fits, population, prediction."""
