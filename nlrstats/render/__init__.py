"""Render Quarto documents (``.qmd``) with Quarto when it is installed, or with nlrstats' built-in engine.

The built-in engine follows Quarto's Jupyter route: jupytext reads the chunks,
nbclient runs them in an ipykernel of the current interpreter, the outputs are
written back as pandoc markdown and pandoc (from ``pypandoc-binary``) writes a
self-contained HTML file, a Word document or typst for PDF, with a Lua filter
for Quarto's cross-references, callouts and code folding.
"""

from nlrstats.render.document import render_document, quarto_available
from nlrstats.render.errors import RenderError

__all__ = ["render_document", "quarto_available", "RenderError"]
