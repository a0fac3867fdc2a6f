"""Render the content model as Typst and compile it to a PDF/UA-1 document.

Every text enters the Typst source as a string literal (``#"..."``), never as markup, so no
character in the data can change the layout. Figures are the pipeline's SVG files with their
alt text; tables have a header row (``table.header``); headings carry labels for
cross-references. The PDF is tagged (PDF/UA-1: title, language, structure tree, alt text);
fonts are DejaVu (shipped with matplotlib, embedded, system fonts ignored) and the timestamp is
the report date, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

import typst

from pipeline.report.checklist import REF_MARK
from pipeline.report.model import (
    Block,
    Bullets,
    Code,
    Figure,
    Notice,
    Paragraph,
    Report,
    Section,
    Table,
)

__all__ = ["to_typst", "compile_pdf", "FONT_DIR", "typst_str"]

# DejaVu fonts shipped with matplotlib (found without importing it: the rule stays fast)
FONT_DIR = Path(importlib.util.find_spec("matplotlib").origin).parent / "mpl-data" / "fonts" / "ttf"


KEEP_TOGETHER = 16  # tables up to this many rows are kept on one page with their caption
MAX_FIGURE_HEIGHT = "19cm"  # a figure this tall at the text's width or taller is capped here
_TALL_RATIO = 1.15  # height / width above which a figure at the text's width (16.6 cm) is


def _tall(png: Path) -> bool:
    """Whether the figure (its PNG twin's pixel size) is taller than :data:`_TALL_RATIO` times
    its width; an unreadable PNG is not."""
    try:
        from PIL import Image  # matplotlib's own dependency

        with Image.open(png) as im:
            w, h = im.size
    except OSError:
        return False
    return h > _TALL_RATIO * w


def typst_str(text: str) -> str:
    """A Typst string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _cell(text: str, titles: dict[str, str]) -> str:
    if text.startswith(REF_MARK):
        key = text[len(REF_MARK):]
        return f"[#xref({typst_str(key)}, {typst_str(titles.get(key, key))})]"
    # long words (the findings ids the appendix adds, "[change.qol.T1@complete_case]"): allow
    # line breaks after . _ ~ @, or they run into the next column
    text = re.sub(r"\S{15,}", lambda m: re.sub(r"([._~@])", "\\1\u200b", m.group()), text)
    return f"[#{typst_str(text)}]"


def _table(t: Table, titles: dict[str, str]) -> str:
    cols = "(" + ", ".join(f"{w}fr" for w in t.widths) + ",)" \
        if len(t.widths) == len(t.header) else str(len(t.header))
    head = ", ".join(f"[#{typst_str(h)}]" for h in t.header)
    body = ",\n  ".join(", ".join(_cell(c, titles) for c in row) for row in t.rows)
    note = f"\n#text(size: 7.5pt)[#{typst_str(t.note)}]" if t.note else ""
    size = ("#show table: set text(size: 7.2pt)\n#show figure.caption: set text(size: 8pt)\n"
            "#show figure: set block(spacing: 0.7em)\n") if t.compact else ""
    if len(t.rows) <= KEEP_TOGETHER:  # a short table moves whole, never leaving its caption
        size += "#show figure: set block(breakable: false)\n"
    empty = typst_str(t.caption + ": not estimable because no result has rows.")
    return (f"#[{size}#figure(kind: table, caption: [#{typst_str(t.caption)}],\n"
            f" table(columns: {cols}, table.header({head}),\n  {body}))"
            f" <{t.key or 'table'}>]{note}\n") if t.rows else \
        f"#notice(\"not_estimable\", [#{empty}])\n"


def _block(b: Block, figdir: dict[Path, str], titles: dict[str, str]) -> str:
    if isinstance(b, Paragraph):
        lead = f"*#{typst_str(b.strong_lead)}* " if b.strong_lead else ""
        if not (b.text or lead):
            return ""
        body = f"{lead}#{typst_str(b.text)}"
        return f"#[#set text(size: 7.6pt)\n{body}]\n" if b.compact else f"{body}\n"
    if isinstance(b, Bullets):
        items = "".join(f"- #{typst_str(i)}\n" for i in b.items)
        return f"#[#set text(size: 7.6pt)\n#set list(spacing: 0.45em)\n{items}]\n" \
            if b.compact else items
    if isinstance(b, Notice):
        return f"#notice({typst_str(b.kind)}, [#{typst_str(b.text)}])\n"
    if isinstance(b, Table):
        return _table(b, titles)
    if isinstance(b, Figure):
        # a figure taller than its page allows (e.g. lags stacked) keeps its caption on its
        # page: its height is capped and the width follows
        size = f"height: {MAX_FIGURE_HEIGHT}, fit: \"contain\"" if _tall(b.png) else \
            "width: 100%"
        return (f"#figure(image({typst_str(figdir[b.svg])}, {size}, "
                f"alt: {typst_str(b.alt)}), caption: [#{typst_str(b.caption)}]) <fig-{b.key}>\n")
    if isinstance(b, Code):
        cap = f"*#{typst_str(b.caption)}*\n" if b.caption else ""
        return f"{cap}#raw({typst_str(b.text)}, block: true)\n"
    raise TypeError(type(b))


def _section(s: Section, level: int, figdir: dict[Path, str], titles: dict[str, str]) -> str:
    out = [f"#heading(level: {level})[#{typst_str(s.title)}] <{s.key}>\n"]
    out += [_block(b, figdir, titles) + "\n" for b in s.blocks]
    out += [_section(sub, level + 1, figdir, titles) for sub in s.subsections]
    return "".join(out)


def _titles(sections: tuple[Section, ...]) -> dict[str, str]:
    out: dict[str, str] = {"title": "Title page"}
    for s in sections:
        out[s.key] = s.title
        out.update(_titles(s.subsections))
    return out


def _figures(sections: tuple[Section, ...]) -> list[Path]:
    out: list[Path] = []
    for s in sections:
        out += [b.svg for b in s.blocks if isinstance(b, Figure)]
        out += _figures(s.subsections)
    return out


def to_typst(report: Report, figdir: dict[Path, str], logo: str | None = None) -> str:
    """The Typst source of ``report`` (figure paths mapped through ``figdir``)."""
    lang, _, region = report.language.partition("-")
    y, m, d = (int(x) for x in report.date.split("-"))
    meta = ", ".join(f"({typst_str(k)}, {typst_str(v)})" for k, v in report.meta)
    head = (
        '#import "template.typ": report, notice, xref\n'
        f"#show: report.with(title: {typst_str(report.title)}, lang: {typst_str(lang.lower())}, "
        f"region: {typst_str(region) if region else 'none'}, "
        f"date: datetime(year: {y}, month: {m}, day: {d}), meta: ({meta},), "
        f"primary: rgb({typst_str(report.colours['primary'])}), "
        f"accent: rgb({typst_str(report.colours['accent'])}), "
        f"logo: {typst_str(logo) if logo else 'none'}, "
        f"logo-alt: {typst_str('Logo of ' + (report.organisation or report.programme))}, "
        f"programme: {typst_str(report.programme)}, "
        f"organisation: {typst_str(report.organisation)})\n\n")
    titles = _titles(report.sections)
    return head + "".join(_section(s, 1, figdir, titles) for s in report.sections)


def compile_pdf(report: Report, template: Path) -> bytes:
    """Compile ``report`` with ``template`` to PDF/UA-1 bytes (fixed timestamp, fixed fonts)."""
    with tempfile.TemporaryDirectory(prefix="socialcure-report-") as tmp:
        root = Path(tmp)
        shutil.copyfile(template, root / "template.typ")
        figdir: dict[Path, str] = {}
        for i, svg in enumerate(dict.fromkeys(_figures(report.sections))):
            name = f"fig{i:02d}_{svg.name}"
            shutil.copyfile(svg, root / name)
            figdir[svg] = name
        logo = None
        if report.logo is not None:
            logo = "logo" + report.logo.suffix.lower()
            shutil.copyfile(report.logo, root / logo)
        (root / "main.typ").write_text(to_typst(report, figdir, logo), encoding="utf-8")
        stamp = dt.datetime.fromisoformat(report.date).replace(tzinfo=dt.timezone.utc)
        return typst.compile(str(root / "main.typ"), root=str(root), font_paths=[str(FONT_DIR)],
                             ignore_system_fonts=True, format="pdf", pdf_standards=["ua-1"],
                             timestamp=int(stamp.timestamp()))
