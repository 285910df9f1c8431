"""save_figure: journal sizes, formats by suffix, editable text in SVG and PDF."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re
from pathlib import Path

import matplotlib.image as mpimg
import polars as pl
import pytest

from nlrstats.data.cohort import load_cohort
from nlrstats.study.plan import StudyPlan
from nlrstats.present.plots import figure_size, km_plot, save_figure, theme_journal, waterfall_plot
from nlrstats.stats.survival import survfit

DATA = Path(__file__).resolve().parents[1] / "data" / "fukuda2020_reconstructed.csv"


@pytest.fixture(scope="module")
def plot():
    df = pl.DataFrame(
        {"patient_id": ["A", "B", "C"], "best_pct_change": [12.0, -35.0, -5.0], "nlr_group": ["NLR < 8", "NLR ≥ 8", "NLR < 8"]}
    )
    return waterfall_plot(df)


def _png_size(path: Path) -> tuple[int, int]:
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


def test_single_column_png_at_300_dpi(plot, tmp_path):
    out = save_figure(plot, tmp_path / "fig.png", width="single", height=2.0, dpi=300)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _png_size(out) == (1050, 600)


def test_double_column_and_inches(plot, tmp_path):
    assert _png_size(save_figure(plot, tmp_path / "d.png", width="double", height=3, dpi=50)) == (350, 150)
    assert _png_size(save_figure(plot, tmp_path / "i.png", width=4.0, height=2.5, dpi=40)) == (160, 100)
    # Default height: the builder's aspect (waterfall 0.7) times the width.
    assert _png_size(save_figure(plot, tmp_path / "a.png", width="single", dpi=40)) == (140, 98)
    # The aspect survives adding layers or labels.
    from plotnine import labs

    assert _png_size(save_figure(plot + labs(title="x"), tmp_path / "b.png", dpi=40)) == (140, 98)


def test_svg_keeps_text_as_text(plot, tmp_path):
    out = save_figure(plot, tmp_path / "fig.svg")
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert re.search(r"<text[^>]*>[^<]*NLR &lt; 8", text) or re.search(r"<text[^>]*>[^<]*NLR < 8", text)
    assert "Best change from baseline (%)" in text
    assert 'width="252pt"' in text  # 3.5 in x 72 pt


def test_pdf_embeds_truetype(plot, tmp_path):
    out = save_figure(plot, tmp_path / "fig.pdf", width="double", height=4)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"/FontFile2" in data  # TrueType (fonttype 42): text stays editable
    assert b"/Type3" not in data
    assert re.search(rb"/MediaBox \[ ?0 0 504 288 ?\]", data)


def test_editable_text_even_with_a_foreign_theme(plot, tmp_path):
    from plotnine import theme_gray

    out = save_figure(plot + theme_gray(), tmp_path / "gray.pdf")
    assert b"/FontFile2" in out.read_bytes()


def test_km_saves_all_formats(tmp_path):
    fit = survfit("Surv(os_months, os_event) ~ nlr_group", StudyPlan.fukuda2020().grouped(load_cohort(DATA)))
    p = km_plot(fit)
    for suffix in ("png", "svg", "pdf"):
        out = save_figure(p, tmp_path / f"km.{suffix}", dpi=60)
        assert out.stat().st_size > 1000
    svg = (tmp_path / "km.svg").read_text(encoding="utf-8")
    assert "Number at risk" in svg and "Survival probability" in svg
    assert _png_size(tmp_path / "km.png") == (210, round(3.5 * 0.85 * 60))


def test_bad_arguments(plot, tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        save_figure(plot, tmp_path / "fig.jpg")
    with pytest.raises(ValueError, match="single"):
        save_figure(plot, tmp_path / "fig.png", width="triple")
    with pytest.raises(TypeError, match="ggplot"):
        save_figure("not a plot", tmp_path / "fig.png")
    assert figure_size("double") == (7.0, 5.25)


def test_theme_sets_editable_text_rcparams():
    rc = theme_journal().rcParams
    assert rc["pdf.fonttype"] == 42 and rc["svg.fonttype"] == "none"


def test_display_size_follows_builder_aspect(plot):
    import matplotlib.pyplot as plt

    fig = plot.draw()
    try:
        assert tuple(fig.get_size_inches()) == pytest.approx((5.0, 3.5))
    finally:
        plt.close(fig)
