"""The disclosure attacker and its readers, shared by the attack tests
(``tests/test_disclosure_attack.py`` on the demo study, ``tests/test_disclosure_small_study.py``
on small generated studies): what each published number says about the true counts, and a
linear programme for every suppressed cell's smallest and largest possible value (see the
notes at the top of ``tests/test_disclosure_attack.py``)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.stats import norm

from pipeline.attrition.figures import flow_labels, pattern_labels

RCI_CATS = ("reliably_improved", "no_reliable_change", "reliably_deteriorated")
RANGE = re.compile(r"^\s*(\d+)\s*[-\u2013]\s*(\d+)\s*$")


# ----------------------------------------------------------------------------- the attacker
class Attacker:
    """What the published numbers say about the counts, and what follows from it."""

    def __init__(self):
        self.bounds: dict = {}
        self.eqs: list[dict] = []

    def bound(self, key, lo, hi):
        a, b = self.bounds.get(key, (0.0, math.inf))
        self.bounds[key] = (max(a, lo), min(b, hi))

    def read(self, key, shown, min_cell=10):
        """A published count cell: a number, "<10", "a-b", "[c]" or empty."""
        if shown is None or (isinstance(shown, float) and math.isnan(shown)):
            return
        text = str(shown).strip()
        if text.startswith("<"):
            self.bound(key, 1, int(text[1:]) - 1)
        elif (m := RANGE.match(text)):
            self.bound(key, int(m.group(1)), int(m.group(2)))
        else:
            try:
                v = float(text)
            except ValueError:
                return  # "[c]", "NA": says nothing
            self.bound(key, v, v)

    def percent(self, key, pct, n, decimals=0):
        """A percentage of a known denominator, printed to ``decimals``."""
        half = 0.5 * 10 ** -decimals
        self.bound(key, math.ceil((pct - half) * n / 100 - 1e-9),
                   math.floor((pct + half) * n / 100 + 1e-9))

    def share_value(self, key, share, n):
        """A share printed at full precision (a CSV float)."""
        self.bound(key, math.ceil(share * n - 1e-6), math.floor(share * n + 1e-6))

    def share_with_ci(self, key, n, pct, lo, hi, conf=0.95):
        """"pct% (95% CI lo% to hi%)": only the counts whose rounded Wilson CI matches; ``n``
        a number or the (lo, hi) of a printed range ("169-177": any n in it)."""
        ns = range(n[0], n[1] + 1) if isinstance(n, tuple) else [n]
        ok = [k for m in ns for k in range(m + 1)
              if round(100 * k / m) == pct and tuple(round(100 * x) for x in _wilson(k, m, conf))
              == (lo, hi)]
        if ok:
            self.bound(key, min(ok), max(ok))

    def percent_of_range(self, key, pct, n_lo, n_hi, decimals=0):
        """A percentage of a denominator known only as a range: any n in it."""
        half = 0.5 * 10 ** -decimals
        self.bound(key, math.ceil((pct - half) * n_lo / 100 - 1e-9),
                   math.floor((pct + half) * n_hi / 100 + 1e-9))

    def total(self, total, parts):
        """sum(parts) = total (a key or a number)."""
        eq = {p: eq_c for p, eq_c in zip(parts, [-1] * len(parts))}
        if isinstance(total, (int, float)):
            eq[("const",)] = float(total)
            self.bound(("const",), 1, 1)
        else:
            eq[total] = eq.get(total, 0) + 1
        self.eqs.append(eq)

    def ranges(self, keys):
        allk = list(dict.fromkeys([k for e in self.eqs for k in e] + list(self.bounds)
                                  + list(keys)))
        col = {k: i for i, k in enumerate(allk)}
        a = np.zeros((max(1, len(self.eqs)), len(allk)))
        for i, e in enumerate(self.eqs):
            for k, c in e.items():
                a[i, col[k]] += c
        bnd = [(self.bounds.get(k, (0, math.inf))[0],
                None if math.isinf(self.bounds.get(k, (0, math.inf))[1]) else self.bounds[k][1])
               for k in allk]
        out = {}
        for k in keys:
            ends = []
            for s in (1, -1):
                c = np.zeros(len(allk))
                c[col[k]] = s
                r = linprog(c, A_eq=a, b_eq=np.zeros(len(a)), bounds=bnd, method="highs")
                assert r.status != 2, "published numbers are inconsistent with each other"
                ends.append(math.inf if r.status == 3 else s * r.fun)
            out[k] = (math.ceil(ends[0] - 1e-7), math.floor(ends[1] + 1e-7))
        return out

    def recovered(self, secrets: dict) -> dict:
        """Suppressed cells (key -> true count) that come out at their true value."""
        got = self.ranges(list(secrets))
        return {k: got[k][0] for k, v in secrets.items() if got[k][0] == got[k][1] == v}


def _wilson(k, n, conf):
    z = norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _is_hidden(v) -> bool:
    return isinstance(v, str) and not re.fullmatch(r"-?\d+(\.\d+)?", v.strip())


# ----------------------------------------------------------------------------- readers
SENT = re.compile(r"(\d+)% \(95% CI (\d+)% to (\d+)%\) (reliably improved|reliably deteriorated|"
                  r"showed no reliable change)")
CAT_OF = {"reliably improved": "reliably_improved", "reliably deteriorated":
          "reliably_deteriorated", "showed no reliable change": "no_reliable_change"}


def read_rci(att: Attacker, public: pd.DataFrame, private: pd.DataFrame,
             sentences: pd.DataFrame | None) -> dict:
    """Reliable-change table (+ its sentences): returns the secrets (hidden cells)."""
    secrets = {}
    for (c, w), rows in public.groupby(["construct", "wave"], sort=False):
        truth = private[(private["construct"] == c) & (private["wave"] == w)].set_index("category")
        n = pd.to_numeric(rows["n"], errors="coerce").iloc[0]
        span = RANGE.match(str(rows["n"].iloc[0]))  # n printed as a range: any n in it
        n_key = ("rci", c, w, "n")
        att.read(n_key, rows["n"].iloc[0])
        cats = []
        for _, r in rows.iterrows():
            key = ("rci", c, w, r["category"])
            att.read(key, r["count"])
            if not _is_hidden(r["share"]) and pd.notna(r["share"]) and np.isfinite(n):
                att.share_value(key, float(r["share"]), int(n))
            elif not _is_hidden(r["share"]) and pd.notna(r["share"]) and span:
                att.percent_of_range(key, 100 * float(r["share"]), int(span.group(1)),
                                     int(span.group(2)))
            if _is_hidden(r["count"]):
                secrets[key] = float(truth.loc[r["category"], "count"])
            if r["category"] in RCI_CATS and pd.notna(truth.loc[r["category"], "count"]):
                cats.append(key)
        if (np.isfinite(n) or span) and len(cats) == 3:
            att.total(n_key, cats)
        if sentences is None:
            continue
        for s in sentences.loc[(sentences["construct"] == c) & (sentences["wave"] == w)
                               & (sentences["kind"] == "reliable_change"), "sentence"]:
            m_n = re.search(r"Of the (\d+)(?:-(\d+))? people", s)
            if m_n is None:  # "could not be assessed": no share to read
                continue
            sn = (int(m_n.group(1)), int(m_n.group(2) or m_n.group(1)))
            for p, lo, hi, what in SENT.findall(s):
                att.share_with_ci(("rci", c, w, CAT_OF[what]), sn, int(p), int(lo), int(hi))
    return secrets


def _flow_sums(att: Attacker, flow: pd.DataFrame, patterns: pd.DataFrame, waves: list):
    """Every flow count is a sum of fine response patterns (never published themselves);
    returns the patterns' wave sets and their cells."""
    sets = {p: set(p.replace(" only", "").split("+")) for p in patterns["pattern"]}
    fine = {p: ("fine", p) for p in sets}
    att.total(("flow", waves[0], "retained"), list(fine.values()))
    if flow["responded"].equals(flow["retained"]):
        for w in waves:
            att.total(("flow", w, "retained"), [("flow", w, "responded")])
    for i in range(1, len(waves)):
        w, v = waves[i], waves[i - 1]
        att.total(("flow", w, "retained"), [fine[p] for p, s in sets.items() if w in s])
        att.total(("flow", w, "lost_since_previous"),
                  [fine[p] for p, s in sets.items() if v in s and w not in s])
        att.total(("flow", w, "rejoined"),
                  [fine[p] for p, s in sets.items() if v not in s and w in s])
    return sets, fine


def read_flow_patterns(att: Attacker, flow_pub: pd.DataFrame, pats_pub: pd.DataFrame | None,
                       flow: pd.DataFrame, patterns: pd.DataFrame) -> dict:
    """Flow and pattern tables, their figure labels, tied by the fine response patterns."""
    waves = list(flow["wave"])
    secrets = {}
    counts = [c for c in flow.columns if c in ("responded", "retained", "lost_since_previous",
                                               "rejoined") or c.startswith("excluded_")]
    for i, r in flow_pub.reset_index(drop=True).iterrows():
        for c in counts:
            key = ("flow", waves[i], c)
            att.read(key, r[c])
            if _is_hidden(r[c]):
                secrets[key] = float(flow.loc[i, c])
        if not _is_hidden(r["pct_baseline"]) and pd.notna(r["pct_baseline"]):
            att.percent(("flow", waves[i], "retained"), float(r["pct_baseline"]),
                        int(flow.loc[0, "retained"]), decimals=1)
    # figure labels: what the flow chart prints
    labels = flow_labels(flow_pub)
    for i, text in enumerate(labels["main"]):
        m = re.search(r"\n(\S+) (?:joined|answered)(?: \((\d+)% of baseline\))?", text)
        att.read(("flow", waves[i], "retained"), m.group(1))
        if m.group(2):
            att.percent(("flow", waves[i], "retained"), int(m.group(2)),
                        int(flow.loc[0, "retained"]))
    for i, text in enumerate(labels["side"]):
        for what, col in (("Lost since previous wave", "lost_since_previous"),
                          ("Back after missing a wave", "rejoined")):
            m = re.search(what + r": (\S+)", text)
            if m:
                att.read(("flow", waves[i], col), m.group(1))
    # every flow count is a sum of fine response patterns (never published themselves)
    sets, fine = _flow_sums(att, flow, patterns, waves)
    if pats_pub is None:
        return secrets
    truth = dict(zip(pats_pub["category"], _merged_truth(patterns, waves, pats_pub)))
    for (_, r), text in zip(pats_pub.iterrows(), pattern_labels(pats_pub)):
        key = ("cat", r["category"])
        att.read(key, r["n"])
        att.read(key, text.split(" (")[0])
        if not _is_hidden(r["pct"]) and pd.notna(r["pct"]):
            att.percent(key, float(r["pct"]), int(flow.loc[0, "retained"]), decimals=1)
        if _is_hidden(r["n"]):
            secrets[key] = float(truth[r["category"]])
        att.total(key, [fine[p] for p in _members(r["category"], sets, waves)])
    return secrets


def _members(category, sets, waves):
    """Which fine patterns a merged category holds, from its name alone (what a reader knows)."""
    def monotone(s):
        return [w for w in waves if w in s] == waves[:len(s)]
    if category == "completed_all":
        return [p for p, s in sets.items() if s == set(waves)]
    if category.startswith("dropped_after_"):
        last = waves.index(category.removeprefix("dropped_after_"))
        return [p for p, s in sets.items() if monotone(s) and len(s) == last + 1]
    return [p for p, s in sets.items() if not monotone(s)]


def _merged_truth(patterns, waves, pats_pub):
    sets = {p: set(p.replace(" only", "").split("+")) for p in patterns["pattern"]}
    n = patterns.set_index("pattern")["n"]
    return [float(n[_members(c, sets, waves)].sum()) for c in pats_pub["category"]]


def read_attrition_summary(att: Attacker, sentence: str, flow: pd.DataFrame):
    """'Of 630 people who joined, 178 (28%) answered at ... and 63 (10%) at ...'."""
    waves = list(flow["wave"])
    m = re.match(r"Of (\S+) people who joined", sentence)
    att.read(("flow", waves[0], "retained"), m.group(1))
    for w, (k, p) in zip(waves[1:], re.findall(r"(\S+?)(?: \((\d+)%\))? (?:answered )?at ",
                                                 sentence.split(".")[0].split(", ", 1)[1])):
        att.read(("flow", w, "retained"), k)
        if p:
            att.percent(("flow", w, "retained"), int(p), int(flow.loc[0, "retained"]))


def read_who(att: Attacker, rvl_pub: pd.DataFrame, rvl: pd.DataFrame,
             desc_pub: pd.DataFrame | None, desc: pd.DataFrame | None, n0: int,
             retained: dict) -> dict:
    """Retained vs lost (attrition) and the baseline description (change): the same people
    counted twice. Level counts: retained + lost = whole sample (per wave); missing likewise;
    per group the levels plus missing add up to the group size (from the flow)."""
    secrets = {}
    for (w, var), rows in rvl_pub.groupby(["followup_wave", "variable"], sort=False):
        truth = rvl[(rvl["followup_wave"] == w) & (rvl["variable"] == var)]
        for g in ("retained", "lost"):
            cells = []
            for (_, r), (_, t) in zip(rows.iterrows(), truth.iterrows()):
                lev = "" if pd.isna(r["level"]) else r["level"]
                key = ("lvl", w, var, lev, g)
                att.read(key, r[f"n_{g}"])
                if _is_hidden(r[f"n_{g}"]):
                    secrets[key] = float(t[f"n_{g}"])
                cells.append(key)
            mkey = ("miss", w, var, g)
            att.read(mkey, rows.iloc[0][f"missing_{g}"])
            if _is_hidden(rows.iloc[0][f"missing_{g}"]):
                secrets[mkey] = float(truth.iloc[0][f"missing_{g}"])
            size = retained[w] if g == "retained" else n0 - retained[w]
            att.total(float(size), cells + [mkey])
        for _, r in rows.iterrows():
            lev = "" if pd.isna(r["level"]) else r["level"]
            att.total(("all", var, lev), [("lvl", w, var, lev, g) for g in ("retained", "lost")])
        att.total(("allmiss", var), [("miss", w, var, g) for g in ("retained", "lost")])
    if desc_pub is None:
        return secrets
    for (_, r), (_, t) in zip(desc_pub.iterrows(), desc.iterrows()):
        if r["variable"] == "participants":
            continue
        lev = "" if pd.isna(r["level"]) else r["level"]
        numeric = r["type"] == "numeric"
        if r["group"] == "baseline":
            cell, miss = ("all", r["variable"], lev), ("allmiss", r["variable"])
        else:
            w = r["group"].removeprefix("retained_")
            cell, miss = ("lvl", w, r["variable"], lev, "retained"), ("miss", w, r["variable"],
                                                                      "retained")
        for key, col in ((cell, "n" if numeric else "count"), (miss, "n_missing")):
            att.read(key, r[col])
            if _is_hidden(r[col]):
                secrets[key] = float(t[col])
    return secrets


def mean_candidates(mean: float, decimals: int, lo: int, hi: int, step: float = 1.0) -> list:
    """Group sizes n in [lo, hi] for which a mean of values on a grid of ``step`` (whole
    years, whole scale points) can round to ``mean``: the sum n * mean must be near a multiple
    of ``step``. One candidate = the mean pins a hidden n."""
    half = 0.5 * 10 ** -decimals
    out = []
    for n in range(max(lo, 1), hi + 1):
        a, b = (mean - half) * n / step, (mean + half) * n / step
        if math.floor(b + 1e-9) >= math.ceil(a - 1e-9):
            out.append(n)
    return out


def means_pin(att: Attacker, rvl_pub: pd.DataFrame, secrets: dict, steps: dict) -> dict:
    """Hidden group sizes pinned by a shown mean (``steps``: variable -> value grid)."""
    ranges = att.ranges([k for k in secrets if k[0] == "lvl"])
    found = {}
    for _, r in rvl_pub.iterrows():
        if r["variable"] not in steps or not pd.isna(r["level"]):
            continue
        for g in ("retained", "lost"):
            key = ("lvl", r["followup_wave"], r["variable"], "", g)
            if key not in ranges or _is_hidden(r[f"mean_{g}"]) or pd.isna(r[f"mean_{g}"]):
                continue
            lo, hi = ranges[key]
            if math.isinf(hi):
                continue
            cand = mean_candidates(float(r[f"mean_{g}"]), 2, lo, hi, steps[r["variable"]])
            if cand == [secrets[key]]:
                found[key] = cand[0]
    return found



class _HTMLText(HTMLParser):
    """The text of an HTML page as a reader sees it: table cells apart, one line per row,
    paragraph, caption and SVG text element; no style or script."""

    CELL, LINE = {"td", "th"}, {"tr", "p", "li", "div", "h1", "h2", "h3", "h4", "caption",
                                "figcaption", "br", "text", "title", "desc"}

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")
        self.parts.append("  " if tag in self.CELL else "\n" if tag in self.LINE else "")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)



def _norm(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2212", "-").replace("\u00a0", " ")


def html_text(path: Path) -> str:
    """The text of an HTML page as a reader sees it (see ``_HTMLText``)."""
    parser = _HTMLText()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    parser.close()
    return "".join(parser.parts)


# ----------------------------------------------------------------------------- counts that differ
# Every count of people an output prints, read as a funder reads it; two of them that differ by
# 1 to min_cell - 1 give back a small group (entrants 12, "n = 11" with a score: the one
# missing), whatever the cells are called (pipeline.disclosure.published_counts).
# group sizes (how many people answered, had a score, were in an estimate); the counts of the
# categories of a group (levels, reliable-change classes, flow reasons) are read by the
# Attacker's equations instead (their differences are no group)
SIZE_COLUMN = re.compile(r"^(n|n_contributing|n_observed|responded|retained)$")
SIZE_HEADER = re.compile(r"^(People.*|Answered|Observed.*|n|N)$")
COUNT_PHRASE = [
    re.compile(r"\bn\s*=\s*([^\s,;)]+)"),
    re.compile(r"(?<![\w.\-])([^\s(]+)\s+(?:people|persons?|participants|respondents|entrants|"
               r"individuals)\b"),
    re.compile(r"(?<![\w.\-])([^\s(]+)\s+(?:answered|joined)\b"),
    re.compile(r"\bof\s+([^\s,;]+)\s+(?:answered|people)\b"),
    re.compile(r"(?<![\w.\-])([^\s(]+)\s+of them\b"),
]


class _Tables(HTMLParser):
    """The tables of an HTML page: per table its header and rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell, self.row, self.head, self.cap = [], None, None, False, None

    def handle_starttag(self, tag, attrs):
        if tag == "caption" and self.tables:
            self.cap = []
        elif tag == "table":
            self.tables.append({"header": [], "rows": [], "caption": ""})
        elif tag == "tr" and self.tables:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell, self.head = [], tag == "th"

    def handle_endtag(self, tag):
        if tag == "caption" and self.cap is not None:
            self.tables[-1]["caption"] = _norm("".join(self.cap))
            self.cap = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(_norm("".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.tables:
            t = self.tables[-1]
            (t["header"].extend if self.head and not t["header"] else t["rows"].append)(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.cap is not None:
            self.cap.append(data)


def _exact(token) -> int | None:
    t = str(token).strip().rstrip(".,;:")
    return int(t) if re.fullmatch(r"\d+", t) else None


def counts_in_text(text: str) -> list[int]:
    """Every count of people a text prints exactly ("12 people", "n = 11", "Of 630 people",
    "178 answered"); "<10", ranges ("621-629") and "[c]" print none."""
    flat = re.sub(r"\s+", " ", _norm(text))
    out = []
    for rx in COUNT_PHRASE:
        for m in rx.finditer(flat):
            if re.search(r"(?:than|least|most|under|of the|\d-)\s*$", flat[:m.start(1)]):
                continue  # "fewer than 10 people", "at least 10"
            if (v := _exact(m.group(1))) is not None:
                out.append(v)
    return out


def counts_in_html_tables(path: Path, skip=()) -> list[int]:
    """Every exact group size ("People", "Answered", ... columns) of an HTML page's tables,
    but those of the tables whose caption contains one of ``skip``."""
    parser = _Tables()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    out = []
    for t in parser.tables:
        if any(k in t.get("caption", "") for k in skip):
            continue
        cols = [i for i, h in enumerate(t["header"]) if SIZE_HEADER.match(h)]
        for row in t["rows"]:
            out += [v for i in cols if i < len(row) and (v := _exact(row[i])) is not None]
    return out


def counts_in_public_tables(tables: Path, text_columns=("sentence", "headline", "message",
                                                        "note", "estimand", "caveats")) -> dict:
    """file -> every exact group size of ``*_public.csv``: size columns and the counts
    their sentences print."""
    out = {}
    for p in sorted(Path(tables).glob("*_public.csv")):
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
        got = [v for c in t.columns if SIZE_COLUMN.match(c) for x in t[c]
               if (v := _exact(x)) is not None]
        got += [v for c in t.columns if c in text_columns for x in t[c]
                for v in counts_in_text(x)]
        out[p.name] = got
    return out


def small_differences(counts: dict, min_cell: int = 10) -> list[tuple]:
    """Pairs of exact published counts (``counts``: where -> counts) that differ by 1 to
    ``min_cell - 1``: each difference is a small group given back."""
    seen: dict[int, str] = {}
    for where, values in counts.items():
        for v in values:
            seen.setdefault(int(v), where)
    vals = sorted(seen)
    return [(seen[a], a, seen[b], b) for i, a in enumerate(vals) for b in vals[i + 1:]
            if 1 <= b - a <= min_cell - 1]


def published_count_sets(results: Path, skip_tables=(), skip_text=None,
                         skip_captions=()) -> dict:
    """where -> exact counts of people, from every output a funder reads: the public tables
    (size columns and sentences), the SVG figures' text and the report (HTML text and tables,
    PDF text). ``skip_*`` leave out a known, reported leak (public table names; a regex of
    text; report table captions) so that the rest is still checked."""
    def read(text):
        return counts_in_text(re.sub(skip_text, " ", _norm(text)) if skip_text else text)
    out = {f"tables/{k}": v for k, v in counts_in_public_tables(results / "tables").items()
           if k not in skip_tables}
    for svg in sorted((results / "figures").rglob("*.svg")):
        out[f"figures/{svg.name}"] = read(html_text(svg))
    for page in sorted((results / "report").glob("*.html")):
        out[f"report/{page.name}"] = read(html_text(page))
        out[f"report/{page.name} (tables)"] = counts_in_html_tables(page, skip_captions)
    for pdf in sorted((results / "report").glob("*.pdf")):
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                  text=True, check=True).stdout
            out[f"report/{pdf.name}"] = read(text)
    return out
