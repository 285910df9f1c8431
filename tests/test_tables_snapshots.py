"""Content snapshots of every study table on the reconstructed cohort: what a reader sees, not the HTML.

Each snapshot (``tests/snapshots/tables/<name>.json``) holds the table's title, column headers, every body
cell with its footnote marks, the footnotes and the source notes. Styling and markup may change freely;
a changed number, label, footnote or note fails. After an intended change, rewrite them with
``NLRSTATS_UPDATE_SNAPSHOTS=1 pytest tests/test_tables_snapshots.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from tests.table_content import table_content

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "tables"
UPDATE = os.environ.get("NLRSTATS_UPDATE_SNAPSHOTS") == "1"


def build_tables(results, other) -> dict:
    """Every table of the study, as the documents build them, plus the journal theme and a Cox table;
    ``other`` is a second analysis (another cut-off) for the side-by-side table."""
    from nlrstats.present import study_tables as t
    from nlrstats.present.tables import gt_cox, gt_table_one
    from nlrstats.stats.survival import coxph

    d = results.plan.grouped(results.cohort)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uni = [coxph(f"Surv(os_months, os_event) ~ {v}", d) for v in ("nlr_group", "age", "ecog", "sex")]
        multi = coxph("Surv(os_months, os_event) ~ nlr_group + ecog", d)
    name = "Reconstruction"
    return {
        "flow": t.flow_table(results, name),
        "table_one": t.table_one(results, name),
        "table_one_journal": gt_table_one(results.table_one, source=results.source, theme="journal"),
        "response": t.response_table(results, name),
        "survival": t.survival_table(results, name),
        "cox": gt_cox(uni, multi, source=results.source),
        "cox_pfs": t.cox_table(results, "pfs", name),
        "published": t.published_table(results, name),
        "side_by_side": t.side_by_side_table({"Reconstruction": results, "At NLR 5": other}),
    }


@pytest.fixture(scope="module")
def tables(bundled):
    from nlrstats.study.analyze import analyze

    return build_tables(analyze(bundled, bootstrap=0), analyze(bundled, bootstrap=0, cutoff=5))


NAMES = ["flow", "table_one", "table_one_journal", "response", "survival", "cox", "cox_pfs", "published",
         "side_by_side"]


@pytest.mark.parametrize("name", NAMES)
def test_snapshot(tables, name):
    content = table_content(tables[name])
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}; run with NLRSTATS_UPDATE_SNAPSHOTS=1 to create it")
    expected = json.loads(path.read_text(encoding="utf-8"))
    for part in ("title", "header", "footnotes", "source_notes"):
        assert content[part] == expected[part], f"{name}: {part} changed"
    assert len(content["body"]) == len(expected["body"]), f"{name}: number of rows changed"
    for i, (got, want) in enumerate(zip(content["body"], expected["body"])):
        assert got == want, f"{name}: row {i} changed"
