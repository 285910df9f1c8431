"""The study layer: the analysis plan of Fukuda et al. (In Vivo 2020) and its sections, on any cohort."""
