"""nlrstats.study.response: counts, ORR/DCR with Clopper-Pearson CIs and Fisher tests (hand-derivable values)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from nlrstats.stats.htest import binom_test, fisher_test
from nlrstats.study.response import RESPONSE_LEVELS, response_by_group


def seed_frame():
    # The seed paper's response table: NLR < 8: PR 3, SD 5, PD 1; NLR >= 8: SD 1, PD 3.
    low = ["PR"] * 3 + ["SD"] * 5 + ["PD"]
    high = ["SD"] + ["PD"] * 3
    return pl.DataFrame(
        {"nlr_group": pl.Series(["NLR < 8"] * 9 + ["NLR ≥ 8"] * 4, dtype=pl.Enum(["NLR < 8", "NLR ≥ 8"])),
         "best_response": low + high}
    )


def test_all_five_categories_with_zero_counts():
    r = response_by_group(seed_frame())
    t = r.tidy()
    assert t.height == 3 * 5  # two groups + Overall
    for g in ["NLR < 8", "NLR ≥ 8", "Overall"]:
        sub = t.filter(pl.col("group") == g)
        assert sub["category"].to_list() == list(RESPONSE_LEVELS)
        assert sub["pct"].sum() == pytest.approx(100.0)
    low = dict(t.filter(pl.col("group") == "NLR < 8").select("category", "n").iter_rows())
    assert low == {"CR": 0, "PR": 3, "SD": 5, "PD": 1, "NE": 0}
    assert t.filter((pl.col("group") == "NLR ≥ 8") & (pl.col("category") == "PD"))["pct"][0] == 75.0


def test_dcr_and_orr_match_the_paper_and_hand_values():
    r = response_by_group(seed_frame())
    rates = r.rates()
    dcr = {g: (x, n) for _, g, x, n, *_ in rates.filter(pl.col("endpoint") == "dcr").iter_rows()}
    assert dcr["NLR < 8"] == (8, 9) and dcr["NLR ≥ 8"] == (1, 4) and dcr["Overall"] == (9, 13)
    tests = dict(zip(r.tests()["endpoint"], r.tests()["p_value"]))
    assert tests["dcr"] == pytest.approx(0.05174825, abs=5e-9)
    # ORR 3/9 vs 0/4: hypergeometric weights C(9,x)C(4,3-x) = 4, 54, 144, 84 (x = 0..3) over 286;
    # outcomes no more likely than x = 3: 4 + 54 + 84.
    assert tests["orr"] == pytest.approx(142 / 286, rel=1e-12)
    # Clopper-Pearson for 0/4: upper limit 1 - 0.025^(1/4)
    orr_high = rates.filter((pl.col("endpoint") == "orr") & (pl.col("group") == "NLR ≥ 8")).row(0, named=True)
    assert orr_high["conf_low"] == 0 and orr_high["conf_high"] == pytest.approx(1 - 0.025 ** 0.25, rel=1e-12)
    dcr_low = rates.filter((pl.col("endpoint") == "dcr") & (pl.col("group") == "NLR < 8")).row(0, named=True)
    h = binom_test(8, 9)
    assert (dcr_low["conf_low"], dcr_low["conf_high"]) == (h.conf_low, h.conf_high)


def test_bor_fisher_is_the_groups_by_categories_table():
    r = response_by_group(seed_frame())
    assert r.bor_test.p_value == fisher_test([[3, 5, 1], [0, 1, 3]]).p_value
    # 2 x 3 table [[3,5,1],[0,1,3]] p-value by direct enumeration of all tables with these margins
    from itertools import product
    from math import comb

    def prob(a, b, c):  # first-row counts for PR, SD, PD; row sums 9, 4; column sums 3, 6, 4
        return comb(3, a) * comb(6, b) * comb(4, c) / comb(13, 9)

    obs = prob(3, 5, 1)
    p = sum(prob(a, b, 9 - a - b) for a, b in product(range(4), range(7))
            if 0 <= 9 - a - b <= 4 and prob(a, b, 9 - a - b) <= obs * (1 + 1e-7))
    assert r.bor_test.p_value == pytest.approx(p, rel=1e-10)


def test_two_group_odds_ratio_is_first_over_second():
    r = response_by_group(seed_frame())
    row = r.tests().filter(pl.col("endpoint") == "dcr").row(0, named=True)
    h = fisher_test([[8, 1], [1, 3]])
    assert row["estimate"] == h.estimate and row["conf_low"] == h.conf_low
    assert row["estimate"] > 1


def test_missing_responses_are_counted_not_dropped_silently():
    df = seed_frame().vstack(
        pl.DataFrame({"nlr_group": pl.Series(["NLR < 8", None], dtype=pl.Enum(["NLR < 8", "NLR ≥ 8"])),
                      "best_response": [None, "PR"]})
    )
    r = response_by_group(df)
    ex = dict(r.excluded.iter_rows())
    assert ex == {"missing best_response": 1, "missing nlr_group": 1}
    assert r.glance()["n_excluded"][0] == 2
    assert r.glance()["n"][0] == 13


def test_ne_stays_in_the_denominator():
    df = pl.DataFrame({"g": ["a", "a", "a", "b", "b"], "best_response": ["PR", "NE", "SD", "PD", "NE"]})
    r = response_by_group(df, by="g")
    rates = r.rates().filter(pl.col("group") == "a")
    assert rates.filter(pl.col("endpoint") == "orr")[["x", "n"]].row(0) == (1, 3)
    assert rates.filter(pl.col("endpoint") == "dcr")[["x", "n"]].row(0) == (2, 3)


def test_unknown_response_code_names_column_and_row():
    df = pl.DataFrame({"g": ["a", "b"], "best_response": ["PR", "partial"]})
    with pytest.raises(ValueError, match=r"best_response.*partial.*\[1\]"):
        response_by_group(df, by="g")
    with pytest.raises(KeyError, match="nope"):
        response_by_group(df, by="nope")


def test_group_order_and_three_groups():
    df = pl.DataFrame({"arm": ["z", "y", "x", "z", "y", "x", "x"],
                       "best_response": ["PR", "PD", "SD", "CR", "PD", "PD", "PR"]})
    r = response_by_group(df, by="arm")
    assert r.groups == ("x", "y", "z")
    # ORR table rows x, y, z: [1,2], [0,2], [2,0] -> r x 2 Fisher
    assert r.orr_test.p_value == fisher_test([[1, 2], [0, 2], [2, 0]]).p_value
    assert r.orr_test.estimate is None


def test_cohort_object_accepted():
    class FakeCohort:
        data = seed_frame()

    assert response_by_group(FakeCohort()).glance()["n"][0] == 13


def test_empty_group_rate_is_null_not_nan():
    df = pl.DataFrame({"g": pl.Series(["a", "a"], dtype=pl.Enum(["a", "b"])), "best_response": ["PR", "SD"]})
    r = response_by_group(df, by="g")
    assert r.groups == ("a",)
    assert r.orr_test is None
    assert not any(isinstance(v, float) and math.isnan(v) for v in r.rates()["estimate"].to_list() if v is not None)
