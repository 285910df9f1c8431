"""Captions and source notes that follow the plan and say honestly what the data are.

Every table's source note and every figure's caption names the data; when the data are the bundled
synthetic reconstruction of Fukuda et al. (2020) they say so, and when they are not, "synthetic" appears
nowhere. Captions name the plan's marker, so a document rendered with ``-P marker:plr`` says PLR.
Captions are plain text for great_tables and plotnine, and escaped markdown (``*_md``) for documents.
"""

from __future__ import annotations

from nlrstats.present.format import format_count_of
from nlrstats.present.text import markdown, md_escape
from nlrstats.study import published

__all__ = ["SYNTHETIC_NOTE", "source_note", "figure_caption", "figure_caption_md", "table_caption_md",
           "synthetic_mark", "cohort_name", "synthetic_notice_md", "comparison_caption_md"]

SYNTHETIC_NOTE = (f"Synthetic data: a reconstruction of {published.SHORT_NAME} that reproduces its published "
                  "aggregates; the rows are invented, not patients.")


def synthetic_mark(results) -> str:
    """The words that mark the reconstruction ("" for any other data)."""
    return SYNTHETIC_NOTE if results.synthetic else ""


def source_note(results, name: str | None = None) -> str:
    """``"my.csv (Kyoto 2018-2024)."`` plus the synthetic mark for the reconstruction (plain text; the
    table builders print it after "Data: ")."""
    label = f"{results.source}" + (f" ({name})" if name and name != results.source else "") + "."
    mark = synthetic_mark(results)
    return f"{label} {mark}" if mark else label


def figure_caption(results, text: str) -> str:
    """A figure's caption inside the image (plain text): ``text`` and, for the reconstruction, the mark."""
    mark = synthetic_mark(results)
    return f"{text}. {mark}" if mark else f"{text}."


@markdown
def figure_caption_md(results, text: str, name: str | None = None) -> str:
    """A document caption (markdown; user text escaped): ``text``, the cohort's name, the synthetic mark."""
    cohort = f" ({md_escape(name)})" if name else ""
    mark = synthetic_mark(results)
    return f"{text}{cohort}." + (f" {md_escape(mark)}" if mark else "")


@markdown
def table_caption_md(results, text: str, name: str | None = None) -> str:
    """A table's caption for documents: as :func:`figure_caption_md`."""
    return figure_caption_md(results, text, name)


def cohort_name(results, given: str | None = None) -> str:
    """The name a document gives the cohort: ``given``, else "Reconstruction of Fukuda 2020" for the
    bundled reconstruction, else the file's name."""
    if given:
        return str(given)
    return f"Reconstruction of {published.SHORT_NAME}" if results.synthetic else results.source


@markdown
def synthetic_notice_md(results) -> str:
    """The notice a replication opens with: synthetic rows, or which real file it analyses (markdown)."""
    if results.synthetic:
        body = (f"The patients of the original study are not public. This document analyses "
                f"*{md_escape(results.source)}*, a reconstruction designed to match every published aggregate "
                f"of {published.SHORT_NAME}. Individual rows are invented and must not be cited as patient data.")
        title = "Synthetic data"
    else:
        body = (f"This document runs the analysis of {published.SHORT_NAME} on *{md_escape(results.source)}* "
                f"({format_count_of(results.n, 'patient')}), not on the reconstruction; its numbers are this cohort's, set beside "
                "the published ones.")
        title = "Your data"
    return (f"::: {{.content-visible when-format=\"html\"}}\n::: {{.callout-important}}\n## {title}\n{body}\n:::\n:::\n\n"
            f"::: {{.content-hidden when-format=\"html\"}}\n**{title}.** {body}\n:::\n")


@markdown
def comparison_caption_md(named_results: dict, text: str) -> str:
    """A caption for a figure or table of several cohorts: ``text``, then the mark of each synthetic one."""
    marks = [f"{md_escape(name)}: {md_escape(SYNTHETIC_NOTE)}" for name, r in named_results.items() if r.synthetic]
    return f"{text}." + "".join(f" {m}" for m in marks)
