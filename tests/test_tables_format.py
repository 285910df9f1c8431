"""The one number formatter: p-values (gtsummary's style_pvalue), ratios, rates, medians, CIs, counts, headers."""

from __future__ import annotations

import math

import pytest

from nlrstats.present.format import (format_statistic, format_ci, format_cut, format_estimate_ci, format_median_ci, format_n_pct,
                                     format_number, format_p, format_pct, format_rate, format_ratio_ci, group_header,
                                     p_phrase, strata_label)


# gtsummary's own example vector (?style_pvalue) and what its rule gives, by hand, at digits = 2 and 1
PVALS = [1, 0.999, 0.5, 0.25, 0.2, 0.197, 0.12, 0.10, 0.0999, 0.06, 0.03, 0.002, 0.001, 0.00099, 0.0002, 0.00002]
DIGITS2 = [">0.99", ">0.99", "0.50", "0.25", "0.20", "0.20", "0.12", "0.10", "0.10", "0.060", "0.030", "0.002",
           "0.001", "<0.001", "<0.001", "<0.001"]
DIGITS1 = [">0.9", ">0.9", "0.5", "0.3", "0.2", "0.2", "0.12", "0.10", "0.10", "0.060", "0.030", "0.002", "0.001",
           "<0.001", "<0.001", "<0.001"]


@pytest.mark.parametrize("p, two, one", list(zip(PVALS, DIGITS2, DIGITS1)))
def test_format_p_is_gtsummary_style_pvalue(p, two, one):
    assert format_p(p) == two
    assert format_p(p, digits=1) == one


@pytest.mark.parametrize("p, expected", [(0.051748, "0.052"), (0.1923, "0.19"), (0.0019733, "0.002"),
                                         (0.0, "<0.001"), (1e-39, "<0.001"), (0.125, "0.13")])
def test_format_p_paper_values_and_halves_rounded_up(p, expected):
    # 0.125 is 0.12499999... in binary; the reader sees 0.125 and gtsummary's round2 gives 0.13
    assert format_p(p) == expected


def test_format_p_digits_option_and_missing():
    assert format_p(0.0123, digits=3) == "0.012" and format_p(0.9995, digits=3) == ">0.999"
    assert format_p(None) == "" and format_p(float("nan"), missing="NA") == "NA"
    assert p_phrase(0.0517) == "p = 0.052" and p_phrase(0.0001) == "p < 0.001" and p_phrase(1.0) == "p > 0.99"
    assert p_phrase(None) == "p not available"
    for bad in (-0.1, 1.2):
        with pytest.raises(ValueError, match="p-value"):
            format_p(bad)
    with pytest.raises(ValueError, match="p_digits"):
        format_p(0.5, digits=0)


def test_one_rule_per_quantity():
    assert format_ratio_ci(10.439196, 1.826604, 59.660885) == "10.44 (1.83–59.66)"
    assert format_rate(8, 9, 8 / 9, 0.5175035, 0.9971909) == "8/9 (88.9%; 95% CI 51.8–99.7%)"
    assert format_cut(6.551503759) == "6.55"


def test_median_with_ci_not_reached():
    assert format_median_ci(4.0, 3.1, None) == "4.0 (3.1–NR)"
    assert format_median_ci(None, 5.2, None) == "NR (5.2–NR)"
    assert format_median_ci(10.2, 7.9, 14.0, digits=2) == "10.20 (7.90–14.00)"


def test_numbers_infinity_and_negative_zero():
    assert format_number(math.inf) == "∞" and format_number(-math.inf) == "-∞"
    assert format_number(-0.04) == "0.0"
    assert format_number(None) == "—"
    assert format_estimate_ci(2.5, 1.1, math.inf, digits=2) == "2.50 (1.10–∞)"
    assert format_ci(0.1, 0.25, 2) == "0.10–0.25"
    with pytest.raises(ValueError, match="digits"):
        format_number(1.0, digits=-1)


def test_counts_percent_headers_strata():
    assert format_n_pct(8, 9) == "8 (89%)"
    assert format_n_pct(1, 3, digits=1) == "1 (33.3%)"
    assert format_n_pct(0, 0) == "0"
    assert format_pct(0.4286, 1) == "42.9%"
    assert group_header("NLR < 8", 9) == "NLR < 8, N = 9"
    assert strata_label("nlr_group=NLR < 8") == "NLR < 8"
    assert strata_label("sex=F, nlr_group=NLR ≥ 8") == "F, NLR ≥ 8"
    assert strata_label(None) == "Overall"


@pytest.mark.parametrize("x, text", [(97887.236, "97,887.24"), (-1234.5, "-1,234.50"), (999.994, "999.99"),
                                     (999.995, "1,000.00"), (0.0, "0.00"), (None, "—"), (math.inf, "∞")])
def test_statistics_keep_two_decimals_and_separate_thousands_as_gtsummary(x, text):
    # style_number(x, digits = 2) with big.mark ",": a chi-square at 10^6 patients reads 97,887.24
    assert format_statistic(x) == text
