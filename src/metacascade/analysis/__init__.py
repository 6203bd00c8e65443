"""Analysis of results: virtual sequencing and summary statistics of simulated and observed data."""
