"""Render the content model as one semantic HTML page (no JavaScript).

Headings in order (h1 title, h2 sections, h3 subsections), ``<table>`` with ``<caption>`` and
``<th scope="col">``, ``<figure>`` with ``<figcaption>`` and the SVG figure inline with
``role="img"``, ``<title>`` and ``<desc>`` (the generated alt text), notes as ``role="note"``;
WCAG 2.2 AA colours (config ``report.colours``). The SVG's ids are prefixed per figure so that
several inline figures cannot collide.
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

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
from pipeline.report.settings import TEMPLATE_DIR

__all__ = ["to_html", "inline_svg"]

_NOTICE_LEAD = {"not_estimable": "Not estimable. ", "caveat": "Caveat. ", "foreword": "",
                "not_run": ""}


def inline_svg(path: Path, key: str, title: str, desc: str) -> str:
    """The SVG file as inline markup: no XML prolog, ids prefixed with ``key``, sized by CSS,
    ``role="img"`` labelled by its new ``<title>`` and ``<desc>``."""
    text = path.read_text(encoding="utf-8")
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{key}-{m.group(1)}"', text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{key}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{key}-{m.group(1)}"', text)
    head_end = text.index(">") + 1
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end - 1])
    head += (f' role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">'
             f'<title id="{key}-title">{escape(title)}</title>'
             f'<desc id="{key}-desc">{escape(desc)}</desc>')
    return head + text[head_end:]


def _cell(text: str, titles: dict[str, str]) -> str:
    if text.startswith(REF_MARK):
        key = text[len(REF_MARK):]
        return f'<a href="#{escape(key)}">{escape(titles.get(key, key))}</a>'
    return escape(text)


def _table(t: Table, titles: dict[str, str]) -> str:
    if not t.rows:  # never an empty table
        return _block(Notice(f"{t.caption}: not estimable because no result has rows."),
                      titles)
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in t.header)
    count = ' class="count"'
    rows = "".join(
        "<tr>" + "".join(
            f"<td{count if i in t.counts else ''}>{_cell(c, titles)}</td>"
            for i, c in enumerate(row)) + "</tr>\n" for row in t.rows)
    note = f"<p class=\"table-note\">{escape(t.note)}</p>" if t.note else ""
    return (f'<div class="table-wrap" role="region" aria-label="{escape(t.caption)}" '
            f'tabindex="0"><table id="{escape(t.key)}"><caption>{escape(t.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>\n{rows}</tbody></table></div>{note}\n")


def _block(b: Block, titles: dict[str, str]) -> str:
    if isinstance(b, Paragraph):
        lead = f"<strong>{escape(b.strong_lead)}</strong> " if b.strong_lead else ""
        return f"<p>{lead}{escape(b.text)}</p>\n"
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b.items) + "</ul>\n"
    if isinstance(b, Notice):
        lead = _NOTICE_LEAD.get(b.kind, "")
        return (f'<div class="notice {escape(b.kind)}" role="note"><p>'
                + (f"<strong>{lead.strip()}</strong> " if lead else "")
                + f"{escape(b.text)}</p></div>\n")
    if isinstance(b, Table):
        return _table(b, titles)
    if isinstance(b, Figure):
        svg = inline_svg(b.svg, "svg-" + b.key, b.caption, b.alt)
        return (f'<figure id="fig-{escape(b.key)}">{svg}'
                f"<figcaption>{escape(b.caption)}</figcaption></figure>\n")
    if isinstance(b, Code):
        return (f"<figure><figcaption>{escape(b.caption)}</figcaption>"
                f'<pre tabindex="0"><code>{escape(b.text)}</code></pre></figure>\n')
    raise TypeError(type(b))


def _section(s: Section, number: str, level: int, titles: dict[str, str]) -> str:
    h = f"h{min(level, 6)}"
    out = [f'<section id="{escape(s.key)}" aria-labelledby="{escape(s.key)}-h">'
           f'<{h} id="{escape(s.key)}-h">{number} {escape(s.title)}</{h}>\n']
    out += [_block(b, titles) for b in s.blocks]
    out += [_section(sub, f"{number}.{i}", level + 1, titles)
            for i, sub in enumerate(s.subsections, 1)]
    return "".join(out) + "</section>\n"


def _titles(sections: tuple[Section, ...]) -> dict[str, str]:
    out: dict[str, str] = {"title": "Title page"}
    for s in sections:
        out[s.key] = s.title
        out.update(_titles(s.subsections))
    return out


_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def _logo(report: Report) -> str:
    """The configured logo as an inline image (data URI) with its alt text."""
    if report.logo is None:
        return ""
    data = base64.b64encode(report.logo.read_bytes()).decode("ascii")
    mime = _MIME.get(report.logo.suffix.lower(), "image/png")
    alt = escape("Logo of " + (report.organisation or report.programme))
    return f'<img src="data:{mime};base64,{data}" alt="{alt}">'


def to_html(report: Report) -> str:
    """The report as a standalone HTML5 document (CSS inline, figures inline)."""
    css = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    c = report.colours
    colours = f":root {{ --primary: {c['primary']}; --accent: {c['accent']}; }}"
    meta = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report.meta)
    titles = _titles(report.sections)
    toc = "".join(f'<li><a href="#{escape(s.key)}">{i} {escape(s.title)}</a></li>'
                  for i, s in enumerate(report.sections, 1))
    body = "".join(_section(s, str(i), 2, titles) for i, s in enumerate(report.sections, 1))
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(report.language)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report.title)}</title>\n<style>\n{colours}\n{css}</style>\n</head>\n<body>\n"
        f'<header class="title-page" id="title">{_logo(report)}<h1>{escape(report.title)}</h1>'
        f"<p>{escape(report.programme)}</p><dl class=\"meta\">{meta}</dl></header>\n"
        f'<nav aria-label="Contents"><h2>Contents</h2><ul class="toc">{toc}</ul></nav>\n'
        f"<main>\n{body}</main>\n</body>\n</html>\n")
