"""The content model of the report: one tree, rendered twice (Typst -> PDF, and HTML).

Builders (``front``, ``results``, ``appendix``) turn result tables into these blocks; the
renderers (``typst_render``, ``html_render``) only lay them out. Every number in a block was
formatted from a table by :mod:`pipeline.report.numfmt`; templates hold no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Paragraph", "Bullets", "Notice", "Table", "Figure", "Code", "Section", "Report",
           "Block"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong_lead: str = ""  # optional bold lead-in ("Quality of life.")
    compact: bool = False  # smaller type in the PDF (the one-page summary)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    compact: bool = False  # smaller type in the PDF (the one-page summary)


@dataclass(frozen=True)
class Notice:
    """A boxed note: ``kind`` = not_estimable (a stage gave no result), caveat or foreword."""

    text: str
    kind: str = "not_estimable"


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    key: str = ""  # stable id (HTML id, tests)
    widths: tuple[float, ...] = ()  # relative column widths (PDF)
    counts: tuple[int, ...] = ()  # indexes of columns holding counts (disclosure-checked)
    compact: bool = False  # smaller type in the PDF (the one-page summary)


@dataclass(frozen=True)
class Figure:
    key: str
    svg: Path
    png: Path
    caption: str
    alt: str  # generated from the data (alt_text.py)


@dataclass(frozen=True)
class Code:
    text: str
    caption: str = ""
    lang: str = ""


Block = Paragraph | Bullets | Notice | Table | Figure | Code


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()
    new_page: bool = True


@dataclass(frozen=True)
class Report:
    """The whole report: document metadata (title page) and the sections in order."""

    title: str
    language: str
    date: str
    meta: tuple[tuple[str, str], ...]  # title-page rows (label, value)
    sections: tuple[Section, ...]
    programme: str = ""
    organisation: str = ""
    logo: Path | None = None
    colours: dict[str, str] = field(default_factory=dict)
    foreword: str | None = None

    def section_keys(self) -> list[str]:
        return [s.key for s in self.sections]
