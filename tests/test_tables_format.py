"""Number formatting for tables: p-values, medians, CIs, counts, headers, strata names."""

from __future__ import annotations

import math

import pytest

from nlrstats.present.format import (format_ci, format_estimate_ci, format_median_ci, format_n_pct,
                                    format_number, format_p, format_pct, group_header, strata_label)


@pytest.mark.parametrize("p, expected", [
    (0.051748, "0.052"),  # DCR Fisher p
    (0.0019733, "0.002"),
    (0.0123, "0.012"),
    (0.001, "0.001"),
    (0.00149, "0.001"),
    (0.00049, "<0.001"),  # would print 0.000
    (1e-39, "<0.001"),
    (0.0, "<0.001"),
    (0.9996, "1.000"),
    (1.0, "1.000"),
])
def test_format_p_three_decimals(p, expected):
    assert format_p(p) == expected


def test_format_p_digits_option_and_missing():
    assert format_p(0.0123, digits=2) == "0.01"
    assert format_p(0.004, digits=2) == "<0.01"
    assert format_p(0.00004, digits=4) == "<0.0001"
    assert format_p(None) == "" and format_p(float("nan"), missing="NA") == "NA"
    for bad in (-0.1, 1.2):
        with pytest.raises(ValueError, match="p-value"):
            format_p(bad)
    with pytest.raises(ValueError, match="p_digits"):
        format_p(0.5, digits=0)


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
