"""nlrstats: neutrophil-to-lymphocyte ratio studies with R's numbers.

Layers (each imports only those before it):
cohort -> markers -> analyses (survival, response, tests, summary, cutpoint) -> study
-> presentation (tables, plots) -> documents (render).
"""

__version__ = "0.1.0"
