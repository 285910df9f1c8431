"""Write executed chunks back as pandoc markdown, with Quarto's cell-option semantics.

What each option does here (as in Quarto):

* ``echo`` (default true): show the code; ``code-fold`` (true / "show") wraps it
  in a ``.code-fold`` div that the Lua filter turns into ``<details>``.
* ``include: false``: run the chunk, show nothing. ``output: false``: show no
  output. ``output: asis``: text output is written into the markdown raw.
* ``warning: false``: drop the chunk's stderr stream (Python warnings).
* ``label: fig-...`` + ``fig-cap``: the image becomes a pandoc figure with that
  id (numbered by the filter); ``label: tbl-...`` + ``tbl-cap``: the outputs are
  wrapped in a ``#tbl-...`` div with a ``.quarto-caption`` child.

Rich outputs: HTML becomes a raw ```` ```{=html} ```` block, PNG/JPEG/SVG are
written as files under ``figure_dir`` and referenced relative to its parent, the
folder of the markdown file (pandoc embeds them; typst reads them).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any


from nlrstats.render.execute import INLINE_EXPR, ExecutedChunk, strip_ansi

__all__ = ["to_markdown", "document_metadata"]

# Preference order of MIME types per output family (Quarto prefers HTML for HTML output).
_MIME_ORDER = {
    "html": ["text/markdown", "text/html", "image/svg+xml", "image/png", "image/jpeg", "text/latex", "text/plain"],
    "other": ["text/markdown", "image/png", "image/jpeg", "image/svg+xml", "text/html", "text/plain"],
}
_IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}


def _fence(text: str, attrs: str = "") -> str:
    """A fenced block longer than any backtick run inside ``text``."""
    runs = [len(m) for m in re.findall(r"`{3,}", text)]
    ticks = "`" * max([3, *[r + 1 for r in runs]])
    return f"{ticks}{attrs}\n{text.rstrip()}\n{ticks}"


def _quote_attr(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _opt(chunk_opts: dict[str, Any], doc_opts: dict[str, Any], key: str, default: Any) -> Any:
    if key in chunk_opts:
        return chunk_opts[key]
    if key in doc_opts:
        return doc_opts[key]
    return (doc_opts.get("execute") or {}).get(key, default)


def _text(data: Any) -> str:
    return "".join(data) if isinstance(data, list) else str(data)


class _Writer:
    def __init__(self, doc_opts: dict[str, Any], to: str, figure_dir: Path, stem: str):
        self.doc_opts = doc_opts
        self.family = "html" if to == "html" else "other"
        self.to = to
        self.figure_dir = figure_dir
        self.stem = stem
        self.n_images = 0

    def write_image(self, mime: str, data: Any, name: str) -> Path:
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        self.n_images += 1
        path = self.figure_dir / f"{name}-{self.n_images}.{_IMAGE_EXT[mime]}"
        if mime == "image/svg+xml":
            path.write_text(_text(data), encoding="utf-8")
        else:
            path.write_bytes(base64.b64decode(_text(data)))
        return path

    def chosen_mime(self, out: dict[str, Any]) -> str | None:
        data = out.get("data", {})
        return next((m for m in _MIME_ORDER[self.family] if m in data), None)

    def rich_output(self, out: dict[str, Any], asis: bool, fig_id: str | None, caption: str | None, name: str) -> str:
        """Markdown for a display_data/execute_result; an image with ``caption`` becomes a pandoc Figure with ``fig_id``."""
        data = out.get("data", {})
        meta = out.get("metadata", {})
        mime = self.chosen_mime(out)
        if mime is None:
            return ""
        value = data[mime]
        if mime == "text/markdown":
            return _text(value)
        if mime == "text/html":
            return _fence(_text(value), "{=html}")
        if mime == "text/latex":
            return _fence(_text(value), "{=latex}")
        if mime == "text/plain":
            text = _text(value)
            return text if asis else _fence(strip_ansi(text), " {.cell-output .cell-output-display}")
        path = self.write_image(mime, value, name)
        size = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
        attrs = []
        if fig_id and caption:
            attrs.append(f"#{fig_id}")
        if size.get("width"):
            attrs.append(f"width={int(size['width'])}px")
        if size.get("height") and self.family == "html":
            attrs.append(f"height={int(size['height'])}px")
        attr = "{" + " ".join(attrs) + "}" if attrs else ""
        # An image alone in a paragraph with a caption becomes a pandoc Figure. The path is relative
        # to the markdown's folder (pandoc and typst run there): an absolute temporary path would be
        # written into the docx as the picture's description and change on every render.
        return f"![{caption or ''}]({path.relative_to(self.figure_dir.parent).as_posix()}){attr}"

    def chunk(self, item: ExecutedChunk, index: int) -> str:
        c = item.chunk
        o = c.options
        if c.kind == "markdown":
            if not item.inline:
                return c.source
            values = iter(item.inline)
            return INLINE_EXPR.sub(lambda m: m.group(1) + next(values), c.source)
        include = _opt(o, self.doc_opts, "include", True)
        if include is False:
            return ""
        echo = _opt(o, self.doc_opts, "echo", True)
        output = _opt(o, self.doc_opts, "output", True)
        warning = _opt(o, self.doc_opts, "warning", True)
        label = o.get("label")
        label = str(label) if label else None
        parts: list[str] = []

        if echo:
            lang = c.language
            code = c.source.strip("\n")
            if echo == "fenced":
                code = "```{" + lang + "}\n" + code + "\n```"
            block = _fence(code, f" {{.{lang} .cell-code}}")
            fold = o.get("code-fold", self.doc_opts.get("code-fold", False))
            if self.family == "html" and fold not in (False, None, "none", "false"):
                summary = o.get("code-summary", self.doc_opts.get("code-summary", "Code"))
                open_attr = ' open="true"' if fold == "show" else ""
                block = f"::: {{.code-fold summary={_quote_attr(summary)}{open_attr}}}\n{block}\n:::"
            parts.append(block)

        fig_label = label if label and label.startswith("fig-") else None
        fig_cap = o.get("fig-cap")
        if isinstance(fig_cap, list):  # one caption per figure is not supported: the first is the caption
            fig_cap = fig_cap[0] if fig_cap else None
        subcaps = o.get("fig-subcap")
        if isinstance(subcaps, str):
            subcaps = [subcaps]
        outputs = list(item.outputs) if output is not False else []
        n_images = sum(
            1 for out in outputs
            if out.get("output_type") in ("display_data", "execute_result") and self.chosen_mime(out) in _IMAGE_EXT
        )
        # Quarto: several figures from one labelled cell (or fig-subcap) are sub-figures (a), (b), ...
        subfigures = bool(fig_label and (n_images > 1 or (subcaps and n_images >= 1)))
        body: list[str] = []
        captioned_figure = False
        n_image = 0
        if output is not False:
            asis = output == "asis"
            stream_buf: dict[str, list[str]] = {}

            def flush():
                for name in ("stdout", "stderr"):
                    text = "".join(stream_buf.pop(name, []))
                    if not text:
                        continue
                    if name == "stderr" and warning is False:
                        continue
                    if asis and name == "stdout":
                        body.append(text)
                    else:
                        body.append(_fence(strip_ansi(text), f" {{.cell-output .cell-output-{name}}}"))

            for out in outputs:
                kind = out.get("output_type")
                if kind == "stream":
                    stream_buf.setdefault(out.get("name", "stdout"), []).append(_text(out.get("text", "")))
                    continue
                flush()
                if kind == "error":
                    tb = strip_ansi("\n".join(out.get("traceback", [])))
                    body.append(_fence(tb, " {.cell-output .cell-output-error}"))
                elif kind in ("display_data", "execute_result"):
                    name = label or f"{self.stem}-cell-{index}"
                    fig_id, caption = None, None
                    if self.chosen_mime(out) in _IMAGE_EXT:
                        n_image += 1
                        if subfigures:
                            letter = "abcdefghijklmnopqrstuvwxyz"[(n_image - 1) % 26]
                            sub = subcaps[n_image - 1] if subcaps and n_image <= len(subcaps) else ""
                            fig_id, caption = f"{fig_label}-{n_image}", f"({letter}) {sub}".strip()
                        elif fig_label and fig_cap and not captioned_figure:
                            fig_id, caption = fig_label, str(fig_cap)
                            captioned_figure = True
                    md = self.rich_output(out, asis, fig_id, caption, name)
                    if md:
                        body.append(md)
            flush()

        layout = o.get("layout-ncol")
        layout_attr = f' layout-ncol="{int(layout)}"' if isinstance(layout, int) and layout > 1 else ""
        if label and label.startswith("tbl-"):
            cap = o.get("tbl-cap")
            inner = "\n\n".join(body)
            cap_md = f"::: {{.quarto-caption}}\n{cap}\n:::\n\n" if cap else ""
            body = [f"::::: {{#{label} .quarto-float .quarto-float-tbl}}\n{cap_md}{inner}\n:::::"]
        elif fig_label and not captioned_figure and (body or fig_cap):
            # Sub-figures, or a figure label on non-image output: a captioned div, caption below.
            cap_md = f"\n\n::: {{.quarto-caption}}\n{fig_cap}\n:::" if fig_cap else ""
            body = [f"::::: {{#{fig_label} .quarto-float .quarto-float-fig{layout_attr}}}\n" + "\n\n".join(body) + f"{cap_md}\n:::::"]
        elif layout_attr and body:
            body = [f"::::: {{.quarto-layout{layout_attr}}}\n" + "\n\n".join(body) + "\n:::::"]
        parts.extend(body)
        if not parts:
            return ""
        cls = " ".join(f".{x}" for x in str(o.get("classes", "")).split()) if o.get("classes") else ""
        ident = f"#{label}-cell " if label and not (fig_label or label.startswith("tbl-")) else ""
        return f":::::: {{.cell {ident}{cls}}}\n" + "\n\n".join(parts) + "\n::::::"


def document_metadata(front_matter: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Pandoc metadata for the title block: title, subtitle, author names, date, abstract, lang."""
    import datetime as _dt

    meta: dict[str, Any] = {}
    for key in ("title", "subtitle", "abstract", "lang", "description", "keywords"):
        if key in options:
            meta[key] = options[key]
    authors = options.get("author")
    if authors is not None:
        if not isinstance(authors, list):
            authors = [authors]
        names = []
        for a in authors:
            if isinstance(a, dict):
                name = a.get("name")
                if isinstance(name, dict):
                    name = name.get("literal") or " ".join(str(v) for v in (name.get("given"), name.get("family")) if v)
                names.append(str(name or ""))
            else:
                names.append(str(a))
        meta["author"] = [n for n in names if n]
    date = options.get("date")
    if date is not None:
        if date in ("today", "now", "last-modified"):
            date = _dt.date.today().isoformat()
        meta["date"] = str(date)
    return meta


def to_markdown(chunks: list[ExecutedChunk], options: dict[str, Any], metadata: dict[str, Any], to: str, figure_dir: Path, stem: str) -> str:
    """The whole document as pandoc markdown with a YAML metadata block."""
    writer = _Writer(options, to, figure_dir, stem)
    pieces = []
    if metadata:
        # JSON is valid YAML and quotes every string, so a title like 'a: b' stays a string.
        pieces.append("---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in metadata.items()) + "\n---")
    for i, item in enumerate(chunks):
        md = writer.chunk(item, i)
        if md.strip():
            pieces.append(md)
    return "\n\n".join(pieces) + "\n"
