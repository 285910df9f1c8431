"""The validation sections (continuous marker, discrimination, pooled evidence, REMARK): their numbers are the
package's estimators (pinned to R / scikit-survival elsewhere), degenerate cohorts give reasons instead of
crashes, and the validation document prints what the package computes."""

import html as htmllib
import math
import re
import warnings

import numpy as np
import polars as pl
import pytest

import nlrstats
from nlrstats.data.cohort import bundled_cohort_path, cohort_from_frame, load_cohort
from nlrstats.present import validation_figures as vfig
from nlrstats.present import validation_narrative as vn
from nlrstats.present import validation_tables as vt
from nlrstats.present.format import format_ratio
from nlrstats.present.tables import as_html_block
from nlrstats.render import render_document
from nlrstats.study.analyze import analyze
from nlrstats.study.continuous import choose_knots
from nlrstats.study.plan import StudyPlan
from nlrstats.study.pooling import PublishedHRError, read_published_hrs
from nlrstats.study.remark import AUTHOR, PARTLY, REPORTED, reverse_km_followup
from nlrstats.study.validation import validation_sections

PUBLISHED = "tests/fixtures/meta_published.csv"


@pytest.fixture(scope="module")
def example():
    return load_cohort(bundled_cohort_path("example_validation.csv"), mapping=bundled_cohort_path("example_validation.toml"))


@pytest.fixture(scope="module")
def reconstruction():
    return load_cohort(bundled_cohort_path())


@pytest.fixture(scope="module")
def plan():
    return StudyPlan.fukuda2020().replace(bootstrap=30)


@pytest.fixture(scope="module")
def sections(example, reconstruction, plan):
    return validation_sections(plan, example, name="Example", reference=reconstruction,
                               reference_name="Reconstruction", published_hrs=PUBLISHED)


def test_knots_follow_events_per_coefficient():
    assert [choose_knots(e, 10) for e in (19, 20, 29, 30, 39, 40, 500)] == [None, 3, 3, 4, 4, 5, 5]
    assert choose_knots(0, 0) == 5


def test_continuous_section_is_hr_curve_and_per_doubling_of_the_cohort(sections, example, plan):
    for key in ("pfs", "os"):
        e = sections.continuous.endpoint(key)
        ep = plan.endpoint(key)
        data = plan.analysis_data(example, key)
        assert e.events == int(data[ep.event].sum()) and e.knots == choose_knots(e.events, 10)
        fit = nlrstats.coxph(f"{ep.formula} ~ rcs(nlr_d0, {e.knots})", data)
        cur = nlrstats.hr_curve(fit, "nlr_d0")
        assert e.reference == pytest.approx(float(data["nlr_d0"].median()))
        assert e.nonlinear_chisq == pytest.approx(cur.nonlinear_chisq, rel=1e-12)
        assert e.tidy()["estimate"].to_list() == pytest.approx(cur.tidy()["estimate"].to_list(), rel=1e-12)
        d = nlrstats.hr_per_doubling(nlrstats.coxph(f"{ep.formula} ~ log2(nlr_d0)", data), "nlr_d0")
        assert e.per_doubling.estimate == pytest.approx(d.estimate, rel=1e-12)


def test_reconstruction_states_why_the_spline_is_not_fitted(reconstruction, plan):
    c = validation_sections(plan, reconstruction).continuous
    assert c.pfs.curve is None and "fewer than the 20" in c.pfs.spline_reason
    assert c.pfs.per_doubling is not None  # 12 events >= 10 for one coefficient
    assert c.os.per_doubling is None and c.os.doubling_reason.startswith("not estimable: 9 events")


def test_discrimination_equals_concordance_and_td_auc(sections, example, plan):
    rows = {(r.endpoint, r.label): r for r in sections.discrimination.rows}
    data = plan.analysis_data(example, "os")
    for label, col, sign in (("NLR", "nlr_d0", 1), ("LMR", "lmr_d0", -1)):
        r = rows[("os", label)]
        scored = data.with_columns((sign * pl.col(col)).alias(col))
        h = nlrstats.concordance(f"Surv(os_months, os_event) ~ {col}", scored, reverse=True)
        u = nlrstats.concordance(f"Surv(os_months, os_event) ~ {col}", scored, reverse=True, timewt="n/G2")
        assert r.harrell == pytest.approx(float(h.concordance[0]), rel=1e-12)
        assert r.uno == pytest.approx(float(u.concordance[0]), rel=1e-12)
        assert r.harrell_conf_high - r.harrell == pytest.approx(1.959963984540054 * float(h.std_error[0]))
        a = nlrstats.td_auc(data, f"Surv(os_months, os_event) ~ {col}", [6.0], B=30, seed=plan.seed,
                            direction="higher" if sign == 1 else "lower").tidy().row(0, named=True)
        assert (r.auc[0].estimate, r.auc[0].conf_low, r.auc[0].conf_high) == pytest.approx(
            (a["estimate"], a["conf_low"], a["conf_high"]), rel=1e-12)
    dich = rows[("os", "NLR ≥ 8 vs NLR < 8")]
    assert dich.dichotomised and dich.harrell is not None
    # LMR reversed: its C is 1 - C of LMR as given, apart from ties (no ties in a continuous ratio here)
    raw = nlrstats.concordance("Surv(os_months, os_event) ~ lmr_d0", data, reverse=True)
    assert rows[("os", "LMR")].harrell == pytest.approx(1 - float(raw.concordance[0]), rel=1e-9)


def test_pooling_is_rma_of_the_cohorts_and_published_rows(sections, example, reconstruction, plan, tmp_path):
    pub = pl.read_csv(PUBLISHED)
    own = analyze(example, plan, bootstrap=0).os.cox
    ref = analyze(reconstruction, plan, bootstrap=0).os.cox
    # the published file has a "Fukuda 2020" row: the reconstruction of the same patients is left out
    fit = nlrstats.rma(hr=[own.estimate, *pub["hr"]], conf_low=[own.conf_low, *pub["conf_low"]],
                       conf_high=[own.conf_high, *pub["conf_high"]])
    p = sections.pooling.os
    g = fit.glance().row(0, named=True)
    assert [s.label for s in p.studies] == ["Example", *pub["label"]] and p.method == "REML"
    assert any("Reconstruction left out" in n for n in p.notes)
    # the synthetic mark goes where the reconstruction is drawn: PFS pools it, OS does not
    assert "Synthetic" in vn.pooled_caption_md(sections, "pfs", "PFS", "Reconstruction")
    assert "ynthetic" not in vn.pooled_caption_md(sections, "os", "OS", "Reconstruction")
    for k in ("estimate", "conf_low", "conf_high", "pi_low", "pi_high", "tau2", "i2", "q"):
        assert getattr(p, k) == pytest.approx(g[k], rel=1e-12), k
    assert len(sections.pooling.pfs.studies) == 2  # the published rows have no endpoint column: OS by default
    others = pub.filter(pl.col("label") != "Fukuda 2020")
    path = tmp_path / "others.csv"
    others.write_csv(path)
    q = validation_sections(plan, example, results=sections.results, name="Example", reference=reconstruction,
                            reference_name="Reconstruction", published_hrs=path).pooling.os
    fit = nlrstats.rma(hr=[ref.estimate, own.estimate, *others["hr"]],
                       conf_low=[ref.conf_low, own.conf_low, *others["conf_low"]],
                       conf_high=[ref.conf_high, own.conf_high, *others["conf_high"]])
    assert q.estimate == pytest.approx(fit.glance()["estimate"][0], rel=1e-12) and len(q.studies) == 7


def test_published_hrs_errors_name_the_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,hr,conf_low,conf_high\nA,2,1,3\nB,0.5,0.9,1.2\n")
    with pytest.raises(PublishedHRError, match=r"row 2 \('B'\).*conf_low <= hr"):
        read_published_hrs(bad)
    (tmp_path / "cols.csv").write_text("study,hr\nA,2\n")
    with pytest.raises(PublishedHRError, match="missing column"):
        read_published_hrs(tmp_path / "cols.csv")
    with pytest.raises(PublishedHRError, match="no such file"):
        read_published_hrs(tmp_path / "none.csv")


def test_remark_checklist_fills_what_the_analysis_knows(sections, example, plan):
    r = sections.remark
    assert len(r.items) == 20 and r.count(REPORTED) + r.count(PARTLY) + r.count(AUTHOR) == 20
    status = {i.number: i.status for i in r.items}
    assert status[3] == status[5] == status[19] == status[20] == AUTHOR
    # reverse Kaplan-Meier: the median of the censoring "survival" curve
    rev = plan.analysis_data(example, "os").with_columns((1 - pl.col("os_event")).alias("c"))
    med = nlrstats.survfit("Surv(os_months, c) ~ 1", rev).median()["median"][0]
    assert r.followup == pytest.approx(med) and reverse_km_followup(plan, example)[0] == pytest.approx(med)
    events = int(plan.analysis_data(example, "pfs")["pfs_event"].sum())
    assert f"PFS: {example.n} patients, {events} events" in r.items[11].answer
    assert "prespecified" in r.items[10].answer
    halves = [as_html_block(vt.remark_table(sections, "Example", part=k)) for k in ("methods", "results")]
    assert ">11<" in halves[0] and ">12<" in halves[1] and ">11<" not in halves[1]
    with pytest.raises(ValueError, match="part must be"):
        vt.remark_table(sections, part="all")


def _degenerate():
    s = nlrstats.simulate_cohort(40, seed=4)
    return {
        **{f"{n} patient(s)": nlrstats.simulate_cohort(n, seed=3) for n in (1, 2, 3)},
        "all censored": s.with_columns(pl.lit(0).alias("pfs_event"), pl.lit(0).alias("os_event")),
        "one group empty": s.with_columns(pl.lit(1.0).alias("neutrophils_d0"), pl.lit(1.0).alias("lymphocytes_d0")),
    }


@pytest.mark.parametrize("what", list(_degenerate()))
def test_degenerate_cohorts_report_reasons(what, reconstruction):
    cohort = cohort_from_frame(_degenerate()[what], source=what)
    plan = StudyPlan.fukuda2020().replace(bootstrap=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = validation_sections(plan, cohort, reference=reconstruction, reference_name="Reconstruction")
        texts = [vn.continuous_sentence(v, k) + vn.discrimination_sentence(v, k) + vn.pooled_sentence(v, k)
                 for k in ("pfs", "os")] + [vn.remark_sentence(v)]
        for table in (vt.continuous_table(v, what), vt.discrimination_table(v, what), vt.remark_table(v, what)):
            as_html_block(table)
        for key in ("pfs", "os"):
            for fig in (vfig.hr_curve_figure(v, key), vfig.pooled_figure(v, key, "Reconstruction")):
                assert fig is None or hasattr(fig, "draw")
    assert v.continuous.pfs.curve is None and "not estimable" in v.continuous.pfs.spline_reason
    assert v.pooling.pfs.estimate is None and v.pooling.pfs.reason.startswith("not estimable")
    assert any("not estimable" in t for t in texts)
    if what == "all censored":
        assert all(r.reason and "0 event" in r.reason for r in v.discrimination.rows)
        assert v.remark.followup is not None


# --- the document --------------------------------------------------------------------------------------
def text_of(path) -> str:
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    raw = re.sub(r'<img [^>]*src="data:[^"]*"[^>]*>', " ", raw)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", raw))
    return re.sub(r"\s+", " ", text.translate({0x2019: "'", 0x2018: "'", 0x201c: '"', 0x201d: '"'}))  # smart quotes


def plain(md: str) -> str:
    """A markdown sentence as the reader sees it: emphasis marks and escapes gone."""
    return re.sub(r"\s+", " ", re.sub(r"\\(.)", r"\1", md.replace("**", "")))


@pytest.fixture(scope="module")
def rendered(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("validation_sections")
    path = render_document(root / "reports" / "validation.qmd",
                           params={"bootstrap": 0, "published_hrs": str(root / PUBLISHED)}, to="html",
                           engine="builtin", output_dir=out, quiet=True)
    return text_of(path)


@pytest.mark.slow
def test_document_shows_the_sections_with_package_numbers(rendered, example, reconstruction, root):
    plan = StudyPlan.fukuda2020().replace(bootstrap=0)
    results = analyze(example, plan)
    v = validation_sections(plan, example, results=results, name="Validation cohort", reference=reconstruction,
                            reference_name="Reconstruction of Fukuda 2020", published_hrs=root / PUBLISHED)
    for heading in ("The marker as a continuous variable", "Discrimination", "Pooled evidence", "REMARK checklist"):
        assert heading in rendered
    for key in ("pfs", "os"):
        for sentence in (vn.continuous_sentence(v, key), vn.discrimination_sentence(v, key),
                         vn.pooled_sentence(v, key)):
            assert plain(sentence) in rendered, sentence
    assert plain(vn.remark_sentence(v)) in rendered
    assert f"pooling {1 + 6} studies" in rendered and format_ratio(v.pooling.os.estimate) in rendered  # 6 published rows
    assert "Reconstruction of Fukuda 2020 left out" in rendered
    # the new sections follow the cut-off; the reproducibility statement closes the document
    assert rendered.rindex("REMARK checklist") < rendered.rindex("Reproducibility")
    # (headings also stand in the table of contents at the top: the last occurrence is the body's)
    assert rendered.rindex("Does the prespecified cut-off hold here?") < rendered.rindex("The marker as a continuous")
    # the Cox models are captioned tables of the survival section, not untitled tables among the new ones
    for endpoint in ("progression-free", "overall"):
        assert f"Cox regression for {endpoint} survival (univariable; multivariable when events allow)" in rendered
    assert rendered.rindex("Cox regression for overall survival") < rendered.rindex("The marker as a continuous")
    assert "author to complete" in rendered
    assert not math.isnan(v.continuous.os.nonlinear_p)
    assert np.isfinite(v.discrimination.rows[0].harrell)


def test_auc_bootstrap_is_capped_by_the_section_budget():
    from nlrstats.study.discrimination import AUC_BOOTSTRAP_MIN, affordable_auc_bootstrap
    from nlrstats.study.robustness import BOOTSTRAP_BUDGET

    assert affordable_auc_bootstrap(200, 120, 24) == 200  # the example export: as the plan asks
    assert affordable_auc_bootstrap(200, 10_000, 24) == BOOTSTRAP_BUDGET // (10_000 * 24) == 20
    assert affordable_auc_bootstrap(200, 25_000, 24) == 0  # 8 resamples: no interval rather than a thin one
    assert affordable_auc_bootstrap(200, 1_000_000, 8) == 0 and affordable_auc_bootstrap(0, 50, 8) == 0
    assert AUC_BOOTSTRAP_MIN == 20


def test_large_cohorts_assess_only_the_plans_marker_and_say_why(example, monkeypatch):
    # the rule is by size (ALL_MARKERS_MAX patients); lowered here so the 120-patient export triggers it
    from nlrstats.study import discrimination

    monkeypatch.setattr(discrimination, "ALL_MARKERS_MAX", 100)
    monkeypatch.setattr(discrimination, "BOOTSTRAP_BUDGET", 120 * 8 * 25)  # 25 resamples for 8 series
    plan = StudyPlan.fukuda2020().replace(bootstrap=200)
    d = discrimination.discrimination_section(plan, example)
    assert d.markers_limited and d.B == 25 and d.B_requested == 200
    own = [r for r in d.rows if r.marker == "nlr"]
    others = [r for r in d.rows if r.marker != "nlr"]
    assert len(own) == 4 and all(r.harrell is not None for r in own)
    assert others and all(r.harrell is None and "only the plan's marker" in r.reason for r in others)
    text = vn.auc_bootstrap_text(d)
    assert "over 25 resamples of the 200 requested" in text and "resampled patients" in text


def test_pooling_from_the_cohorts_analysis_equals_pooling_from_a_fresh_fit(example, reconstruction):
    # validation_sections hands pooling the analysis it already has instead of fitting the endpoints again
    from nlrstats.study.pooling import pooling_section

    plan = StudyPlan.fukuda2020().replace(bootstrap=0)
    kw = dict(name="Validation cohort", reference=reconstruction, reference_name="Reconstruction")
    fresh = pooling_section(plan, example, **kw)
    reused = pooling_section(plan, example, results=analyze(example, plan), **kw)
    for key in ("pfs", "os"):
        a, b = fresh.endpoint(key), reused.endpoint(key)
        assert a.studies == b.studies and a.notes == b.notes
        assert (a.estimate, a.conf_low, a.conf_high, a.tau2) == (b.estimate, b.conf_low, b.conf_high, b.tau2)
