"""Behaviour of the table builders: headers, numbers, footnotes, escaping, themes, self-contained HTML.

Numbers asserted here are checked by hand or against R: DCR 8/9 vs 1/4 gives Fisher p = 0.05175
(R: fisher.test(matrix(c(8, 1, 1, 3), 2))$p.value), Clopper-Pearson 8/9 = 51.8%-99.7%
(R: binom.test(8, 9)$conf.int), median PFS 4.0 (3.1-NA) for NLR < 8 (R: print(survfit(...))).
"""

from __future__ import annotations

import html as html_lib
import re
import warnings

import polars as pl
import pytest

from nlrstats.present.tables import (analysis_names, as_html, as_html_block, as_latex, external_references, gt_cox, gt_flow,
                             gt_published_vs_reproduced, gt_response, gt_survival, gt_table_one)

from tests.conftest import paper_grouped
from tests.table_content import cells, footnotes, header_texts, row

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def cohort(bundled):
    return bundled


@pytest.fixture(scope="module")
def t1(cohort):
    from nlrstats.study.table_one import summarize
    return summarize(cohort)


@pytest.fixture(scope="module")
def resp(cohort):
    from nlrstats.study.response import response_by_group
    return response_by_group(cohort)


@pytest.fixture(scope="module")
def surv(cohort):
    from nlrstats.stats.survival import survdiff, survfit
    d = cohort.data
    f = {e: f"Surv({e}_months, {e}_event) ~ nlr_group" for e in ("pfs", "os")}
    return {e: survfit(x, d) for e, x in f.items()}, {e: survdiff(x, d) for e, x in f.items()}


# ---------------------------------------------------------------- Table 1

def test_table_one_headers_name_groups_with_n_overall_first(t1):
    heads = header_texts(cells(gt_table_one(t1)))
    assert heads[:5] == ["Characteristic", "Overall, N = 13", "NLR < 8, N = 9", "NLR ≥ 8, N = 4", "p-value"]
    last = header_texts(cells(gt_table_one(t1, overall="last")))
    assert last[1:4] == ["NLR < 8, N = 9", "NLR ≥ 8, N = 4", "Overall, N = 13"]


def test_table_one_every_p_value_has_a_footnote_naming_its_test(t1):
    p = cells(gt_table_one(t1))
    notes = footnotes(p)
    tests = dict(t1.tests().select("label", "test").iter_rows())
    n_p = 0
    for r in p.body:
        text, mark = r[-1]
        if text:
            n_p += 1
            assert mark, f"p-value of {r[0][0]} has no footnote"
            assert notes[mark] == tests[r[0][0].replace("10⁹", "10^9")]
    assert n_p == 11
    assert set(notes.values()) >= {"Wilcoxon rank sum test", "Fisher's exact test", "Median (Q1, Q3); n (%)"}


def test_table_one_values_and_p_formatting(t1):
    p = cells(gt_table_one(t1))
    age = row(p, "Age, years")
    # R: median(age) per group, quantile type 7 (see tests/fixtures of summary); Wilcoxon p 0.414,
    # printed by gtsummary's style_pvalue(digits = 2): 0.41
    assert [c[0] for c in age[1:]] == ["74.0 (69.0, 77.0)", "72.0 (68.0, 77.0)", "75.5 (73.5, 77.8)", "0.41"]
    assert row(p, "Distant metastasis")[2][0] == "7 (78%)"  # dichotomous: TRUE count on one row
    three = cells(gt_table_one(t1, p_digits=3))
    assert row(three, "Age, years")[-1][0] == "0.414"


def test_table_one_p_below_threshold_reads_less_than(cohort):
    from nlrstats.data.cohort import cohort_from_frame
    from nlrstats.data.simulate import simulate_cohort
    from nlrstats.study.table_one import summarize
    big = paper_grouped(cohort_from_frame(simulate_cohort(300, seed=3), source="simulated"))
    t = summarize(big)
    assert t.tests().filter(pl.col("variable") == "nlr_d0")["p_value"][0] < 1e-30
    p = cells(gt_table_one(t))
    assert row(p, "NLR")[-1][0] == "<0.001"
    assert "Pearson's Chi-squared test" in footnotes(p).values()


def test_table_one_missing_values_get_an_unknown_row_and_labels_are_escaped(cohort):
    from nlrstats.study.table_one import summarize
    d = cohort.data.with_columns(
        sex=pl.when(pl.col("patient_id") == "ATC01").then(pl.lit(XSS))
        .when(pl.col("patient_id") == "ATC02").then(None).otherwise(pl.col("sex")),
        age=pl.when(pl.col("patient_id") == "ATC03").then(None).otherwise(pl.col("age")))
    gt = gt_table_one(summarize(d), source=XSS)
    raw = as_html(gt)
    assert XSS not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    p = cells(gt)
    labels = [r[0][0] for r in p.body]
    assert XSS in labels  # shown as text
    unknown = [i for i, lab in enumerate(labels) if lab == "Unknown"]
    assert len(unknown) == 2  # age and sex
    sex_unknown = p.body[[i for i in unknown if labels.index("Sex") < i][-1]]
    # ATC02 is in the low group: Overall 1, NLR < 8 1, NLR ≥ 8 0
    assert [c[0] for c in sex_unknown[1:4]] == ["1", "1", "0"]
    none = cells(gt_table_one(summarize(d), missing="no"))
    assert "Unknown" not in [r[0][0] for r in none.body]


# ---------------------------------------------------------------- response

def test_response_dcr_p_is_0_052_and_exact_ci(resp):
    p = cells(gt_response(resp))
    heads = header_texts(p)
    assert "NLR < 8, N = 9" in heads and "NLR ≥ 8, N = 4" in heads and "Overall, N = 13" in heads
    dcr = row(p, "Disease control rate (CR + PR + SD)")
    # rates print with one decimal, as in prose (nlrstats.present.format)
    assert [c[0] for c in dcr] == ["Disease control rate (CR + PR + SD)", "9 (69.2%)", "8 (88.9%)", "1 (25.0%)",
                                   "0.052"]
    notes = footnotes(p)
    assert notes[dcr[-1][1]] == "Fisher's exact test"
    ci_rows = [r for r in p.body if r[0][0] == "95% CI"]
    # R: binom.test(9, 13), (8, 9), (1, 4)$conf.int
    assert [c[0] for c in ci_rows[1][1:4]] == ["38.6–90.9%", "51.8–99.7%", "0.6–80.6%"]
    assert "Clopper-Pearson" in notes[ci_rows[1][0][1]]
    assert [c[0] for c in row(p, "Partial response (PR)")[1:4]] == ["3 (23%)", "3 (33%)", "0 (0%)"]


def test_response_missing_response_is_its_own_row(cohort):
    from nlrstats.study.response import response_by_group
    d = cohort.data.with_columns(best_response=pl.when(pl.col("patient_id") == "ATC01").then(None)
                                 .otherwise(pl.col("best_response")))
    p = cells(gt_response(response_by_group(d)))
    unk = row(p, "Unknown (excluded)")
    assert unk[1][0] == "1"
    assert "Overall, N = 12" in header_texts(p)


# ---------------------------------------------------------------- survival

def test_survival_medians_events_logrank(surv):
    fits, lrs = surv
    p = cells(gt_survival(fits, lrs))
    groups = [r for r in p.body if r and r[0][0] in ("NLR < 8", "NLR ≥ 8")]
    assert len(groups) == 4  # strata names without "nlr_group="
    pfs_low = groups[0]
    assert [c[0] for c in pfs_low[1:3]] == ["8/9", "4.0 (3.1–NR)"]  # R print(survfit)
    assert pfs_low[-1][0] == f"{lrs['pfs'].p_value:.3f}" == "0.002"
    assert footnotes(p)[pfs_low[-1][1]] == "Log-rank test"
    assert [r[0][0] for r in p.body if len(r) == 1] == ["Progression-free survival", "Overall survival"]
    # PFS in the high group: all 4 progressed before 6 months, so S(6) = 0
    assert groups[1][3][0] == "0"


def test_survival_time_beyond_follow_up_is_marked(cohort):
    from nlrstats.stats.survival import survfit
    fit = survfit("Surv(os_months, os_event) ~ nlr_group", cohort.data)
    p = cells(gt_survival([fit], times=(6, 120)))
    low = [r for r in p.body if r[0][0] == "NLR < 8"][0]
    assert low[-1][0] == "—" and "censored" in footnotes(p)[low[-1][1]]
    assert "p-value" not in header_texts(p)  # no log-rank given


def test_survival_and_cox_show_patients_excluded_for_missing_data(cohort):
    from nlrstats.stats.survival import coxph, survdiff, survfit
    d = cohort.data.with_columns(
        os_months=pl.when(pl.col("patient_id") == "ATC01").then(None).otherwise(pl.col("os_months")),
        nlr_group=pl.when(pl.col("patient_id") == "ATC02").then(pl.lit(XSS))
        .otherwise(pl.col("nlr_group").cast(pl.String)))
    f = "Surv(os_months, os_event) ~ nlr_group"
    gt = gt_survival([survfit(f, d)], [survdiff(f, d)])
    p = cells(gt)
    unk = row(p, "Unknown (excluded)")
    assert unk[1][0] == "1" and "left out" in footnotes(p)[unk[0][1]]
    assert row(p, XSS)[1][0] == "1/1" and XSS not in as_html(gt)  # a group named by user data, escaped
    c = cells(gt_cox(coxph("Surv(os_months, os_event) ~ age", d)))
    span = [x for r in c.head for x in r if x[0].startswith("Univariable")][0]
    assert span[0] == "Univariable, N = 12"
    assert footnotes(c)[span[1]] == "Univariable: 8 events; 1 patient excluded for missing data."


# ---------------------------------------------------------------- Cox

def test_cox_univariable_and_multivariable_side_by_side(cohort):
    from nlrstats.stats.survival import coxph
    d = cohort.data
    uni = [coxph(f"Surv(os_months, os_event) ~ {v}", d) for v in ("nlr_group", "age")]
    multi = coxph("Surv(os_months, os_event) ~ nlr_group + age", d)
    p = cells(gt_cox(uni, multi))
    heads = header_texts(p)
    assert "Univariable, N = 13" in heads and "Multivariable, N = 13" in heads
    spanners = [c for r in p.head for c in r if c[0].startswith(("Univariable", "Multivariable"))]
    assert [footnotes(p)[c[1]] for c in spanners] == ["Univariable: 9 events.", "Multivariable: 9 events."]
    hi = row(p, "NLR ≥ 8")
    t = uni[0].tidy().row(0, named=True)
    tm = multi.tidy().row(0, named=True)
    assert [c[0] for c in hi[1:]] == [
        f"{t['estimate']:.2f}", f"{t['conf_low']:.2f}–{t['conf_high']:.2f}", f"{t['p_value']:.3f}",
        f"{tm['estimate']:.2f}", f"{tm['conf_low']:.2f}–{tm['conf_high']:.2f}", f"{tm['p_value']:.3f}"]
    assert [c[0] for c in row(p, "NLR < 8")[1:3]] == ["—", "—"]  # reference level
    assert footnotes(p)[hi[3][1]] == "Wald test"


def test_cox_monotone_hr_is_infinite_with_firth_footnote(cohort):
    from nlrstats.stats.survival import coxph
    d = cohort.data.with_columns(died=pl.col("os_event") == 1)  # no events among died == False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mono = coxph("Surv(os_months, os_event) ~ died", d)
        firth = coxph("Surv(os_months, os_event) ~ nlr_group", d, firth=True)
    assert mono.monotone
    p = cells(gt_cox([mono, firth]))
    yes = row(p, "Yes")
    assert yes[1][0] == "∞" and yes[2][0] == "—"
    note = footnotes(p)[yes[1][1]]
    assert "monotone" in note.lower() and "Firth" in note
    hi = row(p, "NLR ≥ 8")
    notes = footnotes(p)
    assert "Firth" in notes[hi[1][1]] and notes[hi[3][1]] == "Penalised likelihood-ratio test (Firth)"


# ---------------------------------------------------------------- published, flow

def _published_frame():
    return pl.DataFrame({
        "quantity": ["DCR, NLR < 8", XSS, "Median OS"],
        "published": ["89%", "0.05", "10.2"], "kind": ["percent", "p", "number"],
        "reproduced_value": [0.889, 0.0412, None], "agrees": [True, False, None],
        "note": [None, "rounded to 2 decimals", "not computed"]},
        schema={"quantity": pl.String, "published": pl.String, "kind": pl.String,
                "reproduced_value": pl.Float64, "agrees": pl.Boolean, "note": pl.String})


def test_published_rows_flagged_in_text_and_colour():
    gt = gt_published_vs_reproduced(_published_frame())
    p = cells(gt)
    assert [c[0] for c in row(p, "DCR, NLR < 8")[1:4]] == ["89%", "88.9%", "✓ agrees"]
    bad = row(p, XSS)
    assert [c[0] for c in bad[1:4]] == ["0.05", "0.041", "✗ differs"]
    assert row(p, "Median OS")[2][0] == "not available"
    raw = as_html(gt)
    assert XSS not in raw
    # the differing row is shaded and bold (survives greyscale), the others are not
    tr = re.findall(r"<tr>(.*?)</tr>", raw, re.S)
    shaded = [t for t in tr if "#F4C7C3" in t]
    assert len(shaded) == 1 and "✗ differs" in shaded[0] and "font-weight: bold" in shaded[0]
    assert "1 of 3 numbers agree; 1 differs." in html_lib.unescape(raw)
    with pytest.raises(ValueError, match="'note'"):
        gt_published_vs_reproduced(_published_frame().drop("note"))


def test_flow_names_counts_and_errors(results):
    p = cells(gt_flow(results))
    assert [r[0][0] for r in p.body] == ["Baseline NLR", "Best overall response", "NLR change by day 14",
                                         "Progression-free survival", "Overall survival"]
    assert "Data: fukuda2020_reconstructed.csv" in [r[0][0] for r in p.foot]
    frame = pl.DataFrame({"analysis": ["os", XSS], "n_in": [13, 13], "excluded": [1, 0],
                          "reason": ["missing os_months (1)", None], "n_analysed": [12, 13]})
    q = cells(gt_flow(frame, source="x.csv", names=analysis_names(results.plan)))
    assert [c[0] for c in q.body[0]] == ["Overall survival", "13", "1", "missing os_months (1)", "12"]
    assert cells(gt_flow(frame)).body[0][0][0] == "os"  # a bare frame: codes as given
    assert q.body[1][0][0] == XSS and XSS not in as_html(gt_flow(frame))
    with pytest.raises(ValueError, match="n_analysed"):
        gt_flow(frame.with_columns(n_analysed=pl.lit(3)))
    with pytest.raises(ValueError, match="'reason'"):
        gt_flow(frame.drop("reason"))


# ---------------------------------------------------------------- output, themes

@pytest.fixture(scope="module")
def results(cohort):
    from nlrstats.study.analyze import analyze
    return analyze(cohort, bootstrap=0)


@pytest.fixture(scope="module")
def all_tables(cohort, results):
    from nlrstats.study.analyze import analyze
    from tests.test_tables_snapshots import build_tables
    return build_tables(results, analyze(cohort, bootstrap=0, cutoff=5))


def test_html_is_self_contained_and_css_scoped(all_tables):
    for name, gt in all_tables.items():
        raw = as_html(gt)
        assert "http" not in raw, name
        assert external_references(raw) == [], name
        css = raw[raw.find("<style>"):raw.find("</style>")]
        tid = re.search(r'<div id="(\w+)"', raw).group(1)
        selectors = re.findall(r"(?m)^\s*([^{}\n]+?)\s*\{", css)
        assert len(selectors) > 40, name
        for sel in selectors:
            for part in sel.split(","):
                assert part.strip().startswith(f"#{tid}"), f"{name}: unscoped selector {part!r}"


def test_external_font_is_detected_and_refused(all_tables):
    from great_tables import google_font
    gt = all_tables["flow"].opt_table_font(font=google_font("Roboto"))
    assert any("fonts.googleapis.com" in x for x in external_references(gt.as_raw_html()))
    with pytest.raises(ValueError, match="external"):
        as_html(gt)


def test_html_block_for_quarto(all_tables):
    block = as_html_block(all_tables["survival"])
    assert block.startswith("```{=html}\n<div id=") and block.endswith("</div>\n```")


def test_journal_theme_is_compact_without_stripes(t1):
    default = as_html(gt_table_one(t1))
    journal = as_html(gt_table_one(t1, theme="journal"))
    assert 'class="gt_row gt_center gt_striped"' in default
    assert "gt_striped" not in journal.split("<tbody")[1]
    assert "font-size: 12px" in journal and "font-size: 14px" in default
    with pytest.raises(ValueError, match="theme"):
        gt_table_one(t1, theme="nature")


def test_marks_and_indents_survive_pandoc_into_word_and_typst(all_tables):
    """The docx/typst route reads the HTML table with pandoc's HTML reader (Quarto does the same)."""
    import pypandoc
    md = pypandoc.convert_text(as_html(all_tables["response"]), "markdown", format="html",
                               extra_args=["--columns=200"])
    assert "0.052^b^" in md  # a superscript, not "0.052b" or "0.0522"
    assert "\u2003Partial response (PR)" in md
    typ = pypandoc.convert_text(as_html(all_tables["response"]), "typst", format="html")
    assert "0.052#super[b]" in typ


def test_latex_has_a_tabular_with_footnotes_under_it(all_tables):
    for name in ("flow", "table_one", "response", "survival", "cox", "published"):
        tex = as_latex(all_tables[name])
        assert "\\begin{tabular" in tex and "\\end{tabular" in tex, name
    tex = as_latex(all_tables["table_one"])
    assert "NLR \\textless{} 8, N = 9" in tex
    m = re.search(r"0\.41\\textsuperscript\{(\w)\}", tex)
    assert m and f"\\textsuperscript{{{m.group(1)}}}Wilcoxon rank sum test" in tex
    assert "Fisher's exact test" in tex and "&#x27;" not in tex
    # great_tables itself refuses footnotes in LaTeX, which is why as_latex exists
    with pytest.raises(NotImplementedError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        all_tables["table_one"].as_latex()
