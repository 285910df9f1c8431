"""Built-in Quarto renderer: parsing, parameters, HTML/DOCX/PDF output, failing cells, CLI."""

from __future__ import annotations

import argparse
import re
import struct
import zipfile
from pathlib import Path

import pytest

from nlrstats.render import RenderError, render_document
from nlrstats.render.cli import main as render_main
from nlrstats.render.cli import add_render_parser, parse_param, resolve_reports, run_render
from nlrstats.render.config import resolve_options
from nlrstats.render.execute import parameter_cell_source
from nlrstats.render.qmd import parse_qmd, split_cell_options

DOCS = Path(__file__).resolve().parent / "docs"
PARAMS = {"cutoff": 5, "cohort_name": "validation"}


# ---------------------------------------------------------------- parsing and options (no kernel)

def test_cell_options_are_yaml_and_removed_from_code():
    opts, code, n = split_cell_options('#| label: fig-a\n#| fig-cap: "A: b"\n#| tags: [parameters]\nx = 1\n#| not an option')
    assert opts == {"label": "fig-a", "fig-cap": "A: b", "tags": ["parameters"]}
    assert code == "x = 1\n#| not an option"
    assert n == 3


def test_invalid_cell_options_name_the_place():
    with pytest.raises(RenderError, match="chunk at line 3"):
        split_cell_options("#| label: [unclosed\nx = 1", where="doc.qmd, chunk at line 3")


def test_parse_qmd_front_matter_chunks_and_lines():
    doc = parse_qmd(DOCS / "failing.qmd")
    assert doc.front_matter["title"].startswith("A document")
    code = doc.code_chunks
    assert [c.line for c in code] == [5, 11, 15]
    assert code[2].options == {"label": "broken"}
    assert code[2].code_line == 17  # fence at 15, one option line


def test_parameter_cell_keeps_types():
    src = parameter_cell_source({"cutoff": 5, "ratio": 2.5, "name": "O'Brien \"x\"", "flag": True})
    ns: dict = {}
    exec(src, ns)
    assert ns["cutoff"] == 5 and isinstance(ns["cutoff"], int)
    assert ns["ratio"] == 2.5 and ns["name"] == "O'Brien \"x\"" and ns["flag"] is True
    with pytest.raises(RenderError, match="not a Python identifier"):
        parameter_cell_source({"bad-name": 1})


def test_cli_param_values_are_yaml_like_quarto():
    assert parse_param("cutoff:5") == ("cutoff", 5)
    assert parse_param("cutoff:7.5") == ("cutoff", 7.5)
    assert parse_param("data:/x/y.csv") == ("data", "/x/y.csv")
    assert parse_param("when:2020-01-02") == ("when", "2020-01-02")
    with pytest.raises(RenderError):
        parse_param("novalue")
    args = argparse.ArgumentParser()
    add_render_parser(args.add_subparsers())
    ns = args.parse_args(["render", "--cutoff", "5"])
    assert ns.cutoff == 5 and isinstance(ns.cutoff, int) and ns.func is run_render
    assert args.parse_args(["render", "--cutoff", "7.5"]).cutoff == 7.5
    with pytest.raises(SystemExit):
        args.parse_args(["render", "--cutoff", "high"])


def test_options_layering_follows_quarto():
    project = {"execute": {"echo": True}, "format": {"html": {"toc": True, "code-fold": True}, "docx": {"echo": False}}}
    front = {"title": "t", "format": {"html": {"code-fold": False}}}
    html = resolve_options(project, front, "html")
    assert html["toc"] is True and html["code-fold"] is False and html["title"] == "t"
    docx = resolve_options(project, front, "docx")
    assert docx["echo"] is False and "toc" not in docx
    assert resolve_options({"format": {"typst": {"papersize": "a4"}}}, {}, "pdf")["papersize"] == "a4"


def test_resolve_reports(tmp_path):
    (tmp_path / "_quarto.yml").write_text("project:\n  render:\n    - reports/*.qmd\n")
    (tmp_path / "reports").mkdir()
    for name in ("b", "a", "_partial"):
        (tmp_path / "reports" / f"{name}.qmd").write_text("# x\n")
    sub = tmp_path / "reports"
    assert [p.name for p in resolve_reports([], sub)] == ["a.qmd", "b.qmd"]
    assert resolve_reports(["b"], tmp_path) == [tmp_path / "reports" / "b.qmd"]
    with pytest.raises(RenderError, match="available: _partial, a, b"):
        resolve_reports(["nope"], tmp_path)


# ---------------------------------------------------------------- rendering (one kernel run per format)

@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("render")


@pytest.fixture(scope="module")
def html(outdir):
    path = render_document(DOCS / "features.qmd", params=PARAMS, to="html", engine="builtin", output_dir=outdir, quiet=True)
    return path.read_text(encoding="utf-8")


def test_html_is_one_self_contained_file(html, outdir):
    assert (outdir / "features.html").is_file()
    assert not any(p.is_dir() for p in outdir.iterdir())  # no *_files directory
    # nothing fetched from anywhere: no src/href pointing outside the file
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "mathjax" not in html.lower() and "require.js" not in html
    assert "<script" not in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 3


def test_html_title_block_and_toc(html):
    assert '<h1 class="title">Renderer feature test</h1>' in html
    assert '<p class="author">Test Author</p>' in html and '<p class="author">Second Author</p>' in html
    assert '<p class="date">2026-01-02</p>' in html
    assert '<nav id="TOC"' in html and 'href="#sec-params"' in html


def test_html_captions_numbered_and_refs_resolved(html):
    assert "<figcaption>Figure 1: Points by group, cut-off shown in the title</figcaption>" in html
    assert re.search(r'<figure id="fig-scatter">', html)
    assert re.search(r'<div id="tbl-groups"[^>]*>\s*<div class="quarto-caption table-caption">\s*Table 1: Counts per group', html)
    assert '<a href="#fig-scatter" class="quarto-xref">Figure 1</a>' in html
    assert '<a href="#tbl-groups" class="quarto-xref">Table 1</a>' in html
    assert '<a href="#tbl-groups" class="quarto-xref">1</a>' in html  # [-@tbl-groups]
    assert "@fig-" not in html and "@tbl-" not in html


def test_html_subfigures_side_by_side(html):
    assert re.search(r'<div id="fig-pair" class="quarto-float quarto-float-fig" data-layout-ncol="2">\s*'
                     r'<figure id="fig-pair-1">', html)
    assert '<figcaption aria-hidden="true">(a) Left panel</figcaption>' in html
    assert re.search(r'<div class="quarto-caption figure-caption">\s*Figure 2: Two panels side by side', html)
    assert '<a href="#fig-pair-2" class="quarto-xref">Figure 2 (b)</a>' in html


def test_html_params_override_defaults_with_types(html):
    # cutoff=5 overrides the default 8 and stays an int; cohort_name is a string; n_points keeps its default
    assert "Cut-off in use: <strong>5</strong> (int); points: 5." in html
    # inline `{python} expr`, evaluated in the kernel in document order
    assert "Inline: the cut-off is 5, doubled 10, for cohort <em>validation</em>." in html
    assert "<code>x = 1</code>" in html
    assert "Injected Parameters" not in html  # the injected cell is not shown


def test_error_true_shows_the_error_and_goes_on(html):
    assert re.search(r'<pre class="cell-output cell-output-error"><code>[^<]*ValueError', html)
    assert "ValueError: EXPECTED-ERROR-SHOWN" in html
    assert "After the expected error the document goes on." in html


def test_parameters_without_parameters_cell_warn(outdir, capfd):
    render_document(DOCS / "crossrefs.qmd", params={"cutoff": 5}, engine="builtin", output_dir=outdir)
    assert "warning: no cell tagged 'parameters' in crossrefs.qmd; parameters cutoff not used" in capfd.readouterr().err


def test_kernel_cwd_and_project_root(html):
    assert ("Kernel: cwd is the doc directory: True; project root has _quarto.yml: True; "
            "MPLCONFIGDIR set: True.") in html


def test_html_cell_options_honoured(html):
    assert "HIDDEN-INCLUDE-FALSE" not in html  # include: false hides code and output
    assert "OUTPUT-FALSE-MARKER" in html  # output: false keeps the (folded) code ...
    assert not re.search(r"cell-output[^>]*><code>OUTPUT-FALSE-MARKER", html)  # ... but no output
    assert "WARNING-FALSE-MARKER</code>" not in html.replace("&quot;", "")  # warning: false drops the warning
    assert "UserWarning: VISIBLE-WARNING-MARKER" in html
    assert "shown after warning" in html
    assert "cutoff = 8" not in html  # parameters cell has echo: false


def test_html_code_folded_and_callouts(html):
    folds = re.findall(r'<details class="code-fold"><summary>Code</summary>', html)
    assert len(folds) == 4  # scatter, table, output-false and warning-false cells echo their code
    assert re.search(r'<div class="callout callout-note">\s*<div class="callout-header">\s*About the cut-off', html)
    assert re.search(r'<div class="callout callout-warning">\s*<div class="callout-header">\s*Warning', html)
    assert ":::" not in html


def test_html_table_label_is_escaped(html):
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_crossrefs_sections_and_unresolved(outdir, capfd):
    out = render_document(DOCS / "crossrefs.qmd", to="html", engine="builtin", output_dir=outdir)
    html = out.read_text(encoding="utf-8")
    err = capfd.readouterr().err
    assert '<a href="#sec-methods" class="quarto-xref">Section 2</a>' in html
    assert re.search(r'<div id="tbl-plain" class="quarto-float quarto-float-tbl">\s*<div class="quarto-caption table-caption">\s*'
                     r'Table 1: A markdown table\s*</div>\s*<table>', html)
    assert "<figcaption>Figure 1: A markdown figure</figcaption>" in html
    assert "<strong>?@fig-missing</strong>" in html  # Quarto's marker for an unknown label
    assert "unresolved cross-reference @fig-missing" in err
    assert re.search(r'callout-header">\s*Custom <em>tip</em> title', html)
    assert "execute cell" not in err  # no code: no kernel
    assert '<math display="inline"' in html and "mathjax" not in html.lower() and "<script" not in html


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_docx_has_numbered_captions_native_table_and_retina_figure(outdir):
    out = render_document(DOCS / "features.qmd", params=PARAMS, to="docx", engine="builtin", output_dir=outdir, quiet=True)
    with zipfile.ZipFile(out) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        pngs = [z.read(n) for n in media if n.endswith(".png")]
    text = re.sub(r"<[^>]+>", "", xml)
    assert "Figure 1: Points by group, cut-off shown in the title" in text
    assert "Table 1: Counts per group (labels come from the data)" in text
    assert xml.count("<w:tbl>") == 1  # the great_tables HTML became a real Word table
    assert xml.count('<w:jc w:val="right" />') >= 3  # GT's right-aligned count column (header + 2 rows) stays right-aligned
    assert "<script>alert(1)</script>" in text.replace("&lt;", "<").replace("&gt;", ">")
    assert "About the cut-off" in text
    assert "df = pl.DataFrame" not in text  # docx: echo false from _quarto.yml
    assert "Cut-off in use: 5 (int)" in text
    assert "the cut-off is 5, doubled 10, for cohort validation" in text
    assert len(pngs) == 3 and all(_png_size(p) == (1280, 960) for p in pngs)  # retina: 2x the 640x480 display size
    assert "Figure 2: Two panels side by side" in text and "(b) Right panel" in text


def test_pdf_through_typst(outdir):
    out = render_document(DOCS / "features.qmd", params=PARAMS, to="pdf", engine="builtin", output_dir=outdir, quiet=True)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert re.search(rb"/Type/Pages/Count [1-4]\b", pdf)
    assert b"<rdf:li xml:lang=\"x-default\">Renderer feature test</rdf:li>" in pdf
    assert re.search(rb"/Title\(Results\)", pdf)  # outline entry from the headings
    # three colour images at retina size (each PNG's alpha channel is a separate DeviceGray mask)
    assert len(re.findall(rb"/Subtype/Image/Filter/FlateDecode/Width 1280/Height 960/ColorSpace \d+ 0 R", pdf)) == 3


# ---------------------------------------------------------------- failures

def test_failing_cell_raises_with_source_and_traceback(outdir):
    with pytest.raises(RenderError) as info:
        render_document(DOCS / "failing.qmd", engine="builtin", output_dir=outdir, quiet=True)
    msg = str(info.value)
    assert msg.startswith("failing.qmd: cell 3 of 3, line 15, label 'broken' failed.")
    assert " >18 | total = sum(values) / (b - 2)" in msg
    assert "  17 | values = [1, 2, 3]" in msg
    assert "ZeroDivisionError: division by zero" in msg
    assert "\x1b[" not in msg  # no terminal colour codes
    assert not (outdir / "failing.html").exists()


def test_cli_failing_cell_exits_nonzero_without_our_traceback(outdir, capfd):
    code = render_main([str(DOCS / "failing.qmd"), "--engine", "builtin", "--output-dir", str(outdir)])
    out, err = capfd.readouterr()
    assert code == 1
    assert "nlrstats render: error: failing.qmd: cell 3 of 3" in err
    assert "ZeroDivisionError: division by zero" in err
    assert "execute cell 3/3 (broken)" in err  # progress lines
    assert "nlrstats/render" not in err  # no traceback from our own code


def test_cli_usage_errors(outdir, capfd):
    assert render_main(["no-such-report", "--engine", "builtin"]) == 1
    assert "no-such-report: no report" in capfd.readouterr().err
    assert render_main([str(DOCS / "failing.qmd"), "--data", "/no/such/file.csv", "--engine", "builtin"]) == 1
    assert "--data /no/such/file.csv: no such file" in capfd.readouterr().err


def test_engine_quarto_missing_is_a_clear_error(monkeypatch, outdir, capfd):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert render_main([str(DOCS / "failing.qmd"), "--engine", "quarto", "--output-dir", str(outdir)]) == 1
    assert "no 'quarto' executable is on PATH" in capfd.readouterr().err


def _fake_quarto(bindir: Path, log: Path, layout: str) -> None:
    """A stand-in 'quarto' that records its arguments, environment and parameters, and writes the
    output where the real Quarto 1.7 does: under --output-dir keeping the document's folder in the
    project (``reports/x.html``), or next to a document that is not part of a project."""
    bindir.mkdir()
    fake = bindir / "quarto"
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {log}\n'
        f'echo "QUARTO_PYTHON=$QUARTO_PYTHON" >> {log}.env\n'
        'doc="$2"; stem=$(basename "$doc" .qmd); out=""; params=""\n'
        'while [ $# -gt 0 ]; do case "$1" in --output-dir) out="$2";; --execute-params) params="$2";; esac; shift; done\n'
        f'[ -n "$params" ] && cp "$params" {log}.params\n'
        + ('mkdir -p "$out/reports"; echo "<html></html>" > "$out/reports/$stem.html"\n' if layout == "project"
           else 'echo "<html></html>" > "$(dirname "$doc")/$stem.html"\n')
    )
    fake.chmod(0o755)


def test_quarto_engine_finds_the_output_in_quartos_project_layout(monkeypatch, tmp_path, capfd):
    project = tmp_path / "proj"
    (project / "reports").mkdir(parents=True)
    (project / "_quarto.yml").write_text("project:\n  output-dir: _output\n  render:\n    - reports/*.qmd\n")
    (project / "reports" / "doc.qmd").write_text((DOCS / "features.qmd").read_text())
    log = tmp_path / "args.txt"
    _fake_quarto(tmp_path / "bin", log, "project")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.delenv("QUARTO_PYTHON", raising=False)
    data = tmp_path / "cohort.csv"  # a valid cohort: render checks --data before anything runs
    data.write_bytes((DOCS.parents[1] / "data" / "fukuda2020_reconstructed.csv").read_bytes())
    outdir = tmp_path / "out"
    code = render_main([str(project / "reports" / "doc.qmd"), "--data", str(data), "--cutoff", "5",
                        "--cohort-name", "2020", "--output-dir", str(outdir), "-q"])
    assert code == 0, capfd.readouterr().err
    args = log.read_text().splitlines()
    assert args[:4] == ["render", str(project / "reports" / "doc.qmd"), "--to", "html"]
    assert "--output-dir" in args and "--execute-params" in args
    import json, sys
    # typed parameters: a cohort called "2020" stays a string (-P would make it a number)
    assert json.loads(Path(f"{log}.params").read_text()) == {"cohort_name": "2020", "data": str(data), "cutoff": 5}
    assert f"QUARTO_PYTHON={sys.executable}" in Path(f"{log}.env").read_text()
    assert (outdir / "doc.html").is_file()  # moved out of Quarto's out/reports/doc.html
    assert [p.name for p in outdir.iterdir()] == ["doc.html"]  # the staging directory is gone


def test_quarto_engine_lone_document_and_users_quarto_python(monkeypatch, tmp_path, capfd):
    doc = tmp_path / "lone" / "doc.qmd"
    doc.parent.mkdir()
    doc.write_text("---\ntitle: x\n---\n\nText.\n")
    log = tmp_path / "args.txt"
    _fake_quarto(tmp_path / "bin", log, "lone")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setenv("QUARTO_PYTHON", "/opt/my/python")
    out = render_document(doc, engine="auto", output_dir=tmp_path / "out", quiet=True)
    assert out == tmp_path / "out" / "doc.html" and out.is_file()
    assert "--output-dir" not in log.read_text().splitlines()  # Quarto refuses it for a lone document
    assert "QUARTO_PYTHON=/opt/my/python" in Path(f"{log}.env").read_text()  # the user's choice is kept
    assert not (doc.parent / "doc.html").exists()


def test_quarto_failure_names_what_was_written(monkeypatch, tmp_path):
    project = tmp_path / "proj"
    (project / "reports").mkdir(parents=True)
    (project / "_quarto.yml").write_text("project:\n  render:\n    - reports/*.qmd\n")
    (project / "reports" / "doc.qmd").write_text("# x\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "quarto").write_text('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --output-dir ] && out="$2"; shift; done\n'
                                   'mkdir -p "$out/elsewhere"; echo x > "$out/elsewhere/other.html"\n')
    (bindir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    with pytest.raises(RenderError, match=r"wrote no doc.html under --output-dir \(it wrote: elsewhere/other.html\)"):
        render_document(project / "reports" / "doc.qmd", engine="quarto", output_dir=tmp_path / "out", quiet=True)
