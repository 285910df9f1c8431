"""HTML snapshots of every table builder on the reconstructed cohort.

A snapshot fails on any change of the HTML. After an intended change, rewrite them with
``NLRSTATS_UPDATE_SNAPSHOTS=1 pytest tests/test_tables_snapshots.py`` and review the diff.
great_tables gives every table a random id; it is replaced by ``TABLEID`` before comparing.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "tables"
UPDATE = os.environ.get("NLRSTATS_UPDATE_SNAPSHOTS") == "1"


def normalise(html: str) -> str:
    """Replace great_tables' random table id (``<div id="abcdefghij"`` and ``#abcdefghij``)."""
    m = re.search(r'<div id="([A-Za-z0-9_-]+)"', html)
    assert m, "no table id found"
    return html.replace(m.group(1), "TABLEID").rstrip() + "\n"


def build_tables(cohort) -> dict:
    """Every builder on one cohort, as the report uses them."""
    from nlrstats.study.response import response_by_group
    from nlrstats.study.analyze import analyze
    from nlrstats.study.table_one import summarize
    from nlrstats.stats.survival import coxph, survdiff, survfit
    from nlrstats.present.tables import (gt_cox, gt_flow, gt_published_vs_reproduced, gt_response, gt_survival,
                                 gt_table_one)

    d, src = cohort.data, cohort.source
    surv = {e: f"Surv({e}_months, {e}_event) ~ nlr_group" for e in ("pfs", "os")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uni = [coxph(f"Surv(os_months, os_event) ~ {v}", d) for v in ("nlr_group", "age", "ecog", "sex")]
        multi = coxph("Surv(os_months, os_event) ~ nlr_group + ecog", d)
        published = analyze(cohort, bootstrap=0).compare_published()
    return {
        "flow": gt_flow(cohort),
        "table_one": gt_table_one(summarize(cohort), source=src),
        "table_one_journal": gt_table_one(summarize(cohort), source=src, theme="journal"),
        "response": gt_response(response_by_group(cohort), source=src),
        "survival": gt_survival({e: survfit(f, d) for e, f in surv.items()},
                                {e: survdiff(f, d) for e, f in surv.items()}, source=src),
        "cox": gt_cox(uni, multi, source=src),
        "published": gt_published_vs_reproduced(published, source=src),
    }


@pytest.fixture(scope="module")
def tables(bundled):
    return build_tables(bundled)


NAMES = ["flow", "table_one", "table_one_journal", "response", "survival", "cox", "published"]


@pytest.mark.parametrize("name", NAMES)
def test_snapshot(tables, name):
    from nlrstats.present.tables import as_html

    html = normalise(as_html(tables[name]))
    path = SNAPSHOTS / f"{name}.html"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {path.name}; run with NLRSTATS_UPDATE_SNAPSHOTS=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert html == expected, (f"{name} HTML changed; if intended, rerun with NLRSTATS_UPDATE_SNAPSHOTS=1 "
                              "and review the diff")


def test_normalise_replaces_every_occurrence_of_the_random_id(tables):
    from nlrstats.present.tables import as_html

    a, b = as_html(tables["flow"]), as_html(tables["flow"])
    assert a != b  # great_tables draws a new id per render ...
    assert normalise(a) == normalise(b)  # ... and nothing else differs
