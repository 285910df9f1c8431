"""Run the pandoc bundled with pypandoc-binary, and typst for PDF.

HTML: ``--standalone --embed-resources`` so the file fetches nothing when opened
(images, CSS inlined; math as MathML, no MathJax from a CDN). DOCX: native
tables and PNG figures. PDF: pandoc's typst writer, compiled by the ``typst``
Python package (no LaTeX, no network).
"""

from __future__ import annotations

import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

from nlrstats.render.errors import RenderError

__all__ = ["pandoc_path", "run_pandoc", "compile_typst", "resource_file"]


def resource_file(*parts: str) -> Path:
    return Path(str(resources.files("nlrstats.render").joinpath(*parts)))


def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - render extra not installed
        raise RenderError("the built-in renderer needs pandoc: pip install 'nlrstats[render]' (pypandoc-binary)") from None
    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:  # pragma: no cover
        raise RenderError(f"pandoc not found: {exc}") from None


def _flag(options: dict[str, Any], key: str, default: bool = False) -> bool:
    value = options.get(key, default)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes"))


def run_pandoc(markdown: Path, output: Path, to: str, options: dict[str, Any], resource_dirs: list[Path]) -> list[str]:
    """Convert the intermediate markdown to ``to`` (html, docx or typst) at ``output``; returns pandoc's cross-reference warnings."""
    writer = {"html": "html5", "docx": "docx", "typst": "typst"}[to]
    args = [
        pandoc_path(),
        str(markdown),
        "--from", "markdown",
        "--to", writer,
        "--standalone",
        "--output", str(output),
        "--lua-filter", str(resource_file("filters", "quarto.lua")),
        "--resource-path", ":".join(str(d) for d in resource_dirs),
        "--wrap", "none",
    ]
    if _flag(options, "toc"):
        args += ["--toc", "--toc-depth", str(options.get("toc-depth", 3))]
        args += ["--metadata", f"toc-title={options.get('toc-title', 'Table of contents')}"]
    if _flag(options, "number-sections"):
        args += ["--number-sections", "--metadata", "number-sections=true"]
    if to == "html":
        args += ["--embed-resources", "--mathml", "--css", str(resource_file("resources", "quarto.css"))]
        args += ["--metadata", "document-css=false"]
        # pagetitle is required by the HTML writer when there is no title
        if not options.get("title"):
            args += ["--metadata", f"pagetitle={markdown.stem}"]
    if to == "typst":
        # Quarto's typst options that map onto pandoc's typst template variables
        for key in ("papersize", "mainfont", "fontsize", "columns"):
            if options.get(key) is not None:
                args += ["--variable", f"{key}={options[key]}"]
    if to == "docx" and options.get("reference-doc"):
        args += ["--reference-doc", str(options["reference-doc"])]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed (exit {proc.returncode}) writing {output.name}:\n{proc.stderr.strip()}")
    unresolved = [line for line in proc.stderr.splitlines() if "unresolved cross-reference" in line]
    return unresolved


def compile_typst(source: Path, pdf: Path) -> None:
    """Compile a typst file to PDF with the ``typst`` package (bundled fonts, root ``/`` for absolute image paths)."""
    try:
        import typst
    except ImportError:
        raise RenderError("PDF output needs the 'typst' Python package (pip install typst); it is not installed") from None
    try:
        typst.compile(str(source), output=str(pdf), root="/")
    except Exception as exc:  # typst raises its own error types with the compiler's diagnostics
        raise RenderError(f"typst could not compile {source.name} to PDF:\n{exc}") from None
