"""The pooled report's content model: the schemes with their n and retention, change across
the schemes, the mechanism across the schemes, what was not pooled, and how it was done.

Built only from the pooled wing's tables (``results/pooled/tables``, already protected for
disclosure): the scheme table prints each count as ``pooled_schemes_public.csv`` prints it
("<10", a range "86-94" or ``[c]`` stay as written); every other number is an estimate, a
number of schemes or a test statistic. Rendered by the report wing's renderers (Typst PDF/UA-1
and HTML) like every study report.
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.blocks import method_words, not_estimable, scrub_section
from pipeline.report.model import Bullets, Notice, Paragraph, Report, Section, Table
from pipeline.report.numfmt import NO_VALUE, in_sentence, is_missing
from pipeline.report.pooled_sections import (
    PooledInputs,
    change_section,
    crosslag_section,
    mechanism_section,
    not_pooled_section,
)
from pipeline.report.pooled_settings import NO_DATE
from pipeline.report.pooled_tests import scheme_tests_section

__all__ = ["build_pooled_report", "scheme_table", "primary_methods", "caveats", "ALL"]

ALL = "All schemes"  # the totals row of pooled_schemes_public.csv (pipeline.pooled.schemes)
FEW_SCHEMES = 10  # below this the heterogeneity test has little power (Higgins & Thompson)


def _cell(v: object) -> str:
    """A printed count as it stands in the public table ("<10", "86-94", "[c]", "171")."""
    if is_missing(v):
        return NO_VALUE
    t = str(v).strip()
    return t[:-2] if t.endswith(".0") and t[:-2].isdigit() else t


def scheme_table(public: pd.DataFrame, settings) -> Table:
    """One row per scheme (its title), the entrants and, per follow-up wave, "responded
    (% of entrants)" as printed in the public table; the ``All schemes`` row last."""
    waves = (public.sort_values("wave_index", kind="stable")["wave"].astype(str)
             .drop_duplicates().tolist())
    follow = waves[1:]
    rows = []
    for scheme, g in public.groupby("scheme", sort=False):
        by_wave = {str(r.wave): r for r in g.itertuples()}
        first = g.sort_values("wave_index", kind="stable").iloc[0]
        name = ALL if scheme == ALL else settings.schemes.get(str(scheme), str(first["title"]))
        cells = [name, _cell(first["entered"])]
        for w in follow:
            r = by_wave.get(w)
            cells.append("not a wave of this scheme" if r is None else
                         f"{_cell(r.responded)} ({_cell(r.pct_entry)})")
        rows.append((scheme == ALL, tuple(cells)))
    rows.sort(key=lambda x: x[0])  # stable: schemes in order, the totals last
    header = ("Scheme", "Entered") + tuple(
        f"Answered at {in_sentence(settings.wave_labels.get(w, w))} ({w})" for w in follow)
    return Table(
        caption="The schemes: people who entered and who answered at each follow-up "
                "(% of those who entered)",
        header=header, rows=tuple(r for _, r in rows), key="pooled_schemes",
        widths=(2.4, 1.2) + (2.0,) * len(follow), counts=tuple(range(1, len(header))),
        note=f"Counts below {settings.min_cell} are shown as <{settings.min_cell}; a range "
             "(e.g. 86-94) or [c] marks a count hidden so that a small one cannot be worked "
             "out. A total is exact only when every scheme's count is; else it is the range "
             "the schemes' printed counts allow.")


def primary_methods(inp: PooledInputs, settings) -> Table | None:
    """Each scheme's primary method for missing answers (as its change table names it)."""
    rows = inp.table("pooled_change_schemes_public")
    if rows is None or "primary_method" not in rows.columns:
        return None
    out = []
    for scheme, title in settings.schemes.items():
        mine = rows[rows["scheme"].astype(str) == scheme]["primary_method"].dropna()
        mine = [str(m) for m in mine if str(m).strip()]
        methods = ", ".join(method_words(m) for m in dict.fromkeys(mine)) or \
            "no change estimate"
        out.append((title, methods))
    return Table(caption="Each scheme's primary method for missing answers",
                 header=("Scheme", "Primary method"), rows=tuple(out),
                 key="pooled_primary_methods", widths=(2.0, 3.0))


def caveats(inp: PooledInputs, settings) -> tuple[str, ...]:
    """The honest caveats: few schemes, mixed methods, not a comparison of schemes."""
    k = len(settings.schemes)
    out = []
    if k < FEW_SCHEMES:
        out.append(f"Only {k} schemes are pooled. With so few, the test of whether the schemes "
                   "differ has little power: it can miss real differences, so 'did not differ "
                   "detectably' is not evidence that the schemes are alike; the prediction "
                   "intervals are wide for the same reason.")
    rows = inp.table("pooled_change_schemes_public")
    if rows is not None and "primary_method" in rows.columns:
        used = {str(m) for m in rows["method"].dropna() if str(m).strip()}
        if len(used) > 1:
            out.append("The pooled change mixes methods for missing answers ("
                       + ", ".join(method_words(m) for m in sorted(used))
                       + "): each scheme's primary method is named in the table above, and "
                       "where another method stood in for it, the note under each outcome "
                       "says so.")
    out.append("The schemes were not randomised against each other: differences between them "
               "may reflect who they served as much as what they did.")
    out.append("Each scheme's own report has its full results, and its checks of the data.")
    return tuple(out)


def _summary(inp: PooledInputs, settings) -> Section:
    blocks: list = [Paragraph(s) for s in inp.sentences("schemes")]
    said = [s for s in inp.sentences("change") if s.startswith("Across")]
    if said:
        blocks.append(Paragraph("What changed across the schemes:", strong_lead="Change."))
        blocks.append(Bullets(tuple(said)))
    blocks += [Paragraph(s, strong_lead="Mechanism.") for s in inp.sentences("mediation")]
    said = inp.table("pooled_sentences")
    if said is not None:  # cross-lags compared (a model not compared is in its section)
        ok = said[(said["kind"].astype(str) == "crosslag") & (said["status"].astype(str) == "ok")]
        blocks += [Paragraph(str(s), strong_lead="Cross-lags.") for s in ok["sentence"]]
    blocks += [Notice(c, kind="caveat") for c in caveats(inp, settings)[:1]]
    return Section("summary", "Summary", tuple(blocks))


def _schemes(inp: PooledInputs, settings) -> Section:
    public = inp.table("pooled_schemes_public")
    if public is None or public.empty:
        return Section("pooled_schemes", "The schemes", (not_estimable(
            "The scheme table", "the pooled stage wrote no scheme table"),))
    return Section("pooled_schemes", "The schemes", (
        *[Paragraph(s) for s in inp.sentences("schemes")], scheme_table(public, settings)))


def _about(inp: PooledInputs, settings) -> Section:
    blocks: list = [Paragraph(
        "Each scheme was analysed on its own first, with its own primary method for missing "
        "answers. The pooled change combines those results in a random-effects meta-analysis "
        "(REML between-scheme variance, Knapp-Hartung confidence interval, Cochran's Q test "
        "and I\u00b2). The mechanism, when configured, is one multi-group model of all the "
        "schemes' data (full-information maximum likelihood, the schemes as groups), fitted "
        "with its paths free and held equal; whether the paths differ between schemes is "
        "answered by the Satorra-Bentler scaled likelihood-ratio test, which allows for data "
        "that are not normally distributed (or, when it cannot be computed, the robust Wald "
        "test), with the plain likelihood-ratio test and the robust Wald test beside it.",
        strong_lead="How the schemes were pooled.")]
    methods = primary_methods(inp, settings)
    if methods is not None:
        blocks.append(methods)
    blocks.append(Bullets(caveats(inp, settings)))
    blocks.append(Paragraph(f"Configuration {settings.config_hash}; pooled tables in "
                            "results/pooled/tables.", strong_lead="Reproducing this report."))
    return Section("pooled_about", "How this was done, and its limits", tuple(blocks))


def build_pooled_report(inp: PooledInputs, settings) -> Report:
    """The whole pooled report (pure: no file is read or written here)."""
    body = [_summary(inp, settings), _schemes(inp, settings), change_section(inp, settings)]
    mech = mechanism_section(inp, settings)
    cross = crosslag_section(inp, settings)
    body += [s for s in (mech, cross, scheme_tests_section(inp, settings)) if s is not None]
    body += [not_pooled_section(inp, settings), _about(inp, settings)]
    # no date configured: the line is left out (the stage logs what to set; a funder-facing
    # page carries no config hint); NO_DATE stays the PDF's fixed internal timestamp
    dated = (("Date", settings.date),) if settings.date != NO_DATE else ()
    meta = (("Schemes", str(len(settings.schemes))), *dated,
            ("Configuration", settings.config_hash))
    if settings.organisation:
        meta = (("Organisation", settings.organisation),) + meta
    return Report(
        title=settings.title, language=settings.language, date=settings.date, meta=meta,
        sections=tuple(scrub_section(s, settings.min_cell) for s in body),
        programme=settings.programme, organisation=settings.organisation,
        colours={"primary": settings.primary_colour, "accent": settings.accent_colour})
