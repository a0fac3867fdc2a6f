"""The disclosure attack (issue 11): try to get every suppressed count back.

An attacker reads what funders read -- the public tables, the sentences and the figure labels --
and writes down what each tells about the true counts:

* a shown count fixes it; "<10" says 1..9; a range "116-124" says so; "[c]" says nothing;
* a percentage p (printed to d decimals) of a denominator n says the count lies in
  [(p - 0.5 * 10^-d) n / 100, (p + 0.5 * 10^-d) n / 100]; a share with its Wilson CI, each
  rounded to a whole per cent, allows only the counts k whose rounded share and CI match
  ("17% (95% CI 10% to 29%)" of 63 allows k = 11 only);
* counts add up: categories to their total, the flow to the response patterns, tables to each
  other (differencing).

A linear programme then asks, for every suppressed cell, its smallest and largest possible value
(scipy HiGHS; written here apart from ``pipeline.disclosure`` so that the two check each other).
A cell whose range is one value equal to its true value is recovered: the test fails.
Reference: Hundepool et al. (2012) *Statistical Disclosure Control*, sec. 4.2-4.3 (attacker
intervals of suppressed cells); R equivalent: ``sdcTable::attack``.

The attack must be able to fail: the crafted cases below rebuild the leaks of issue 11 (the
old reliable-change copy with its sentence, the old flow/pattern tables) and assert the attack
finds them; the same cases through today's code give nothing back.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.optimize import linprog
from scipy.stats import norm

from pipeline.attrition.figures import flow_labels, pattern_labels
from pipeline.attrition.public import public_flow_and_patterns
from pipeline.change.rci import public_rci_shares
from pipeline.disclosure import safe_percent, safe_share_text

ROOT = Path(__file__).resolve().parent.parent
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
        """"pct% (95% CI lo% to hi%)": only the counts whose rounded Wilson CI matches."""
        ok = [k for k in range(n + 1)
              if round(100 * k / n) == pct and tuple(round(100 * x) for x in _wilson(k, n, conf))
              == (lo, hi)]
        if ok:
            self.bound(key, min(ok), max(ok))

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
        cats = []
        for _, r in rows.iterrows():
            key = ("rci", c, w, r["category"])
            att.read(key, r["count"])
            if not _is_hidden(r["share"]) and pd.notna(r["share"]) and np.isfinite(n):
                att.share_value(key, float(r["share"]), int(n))
            if _is_hidden(r["count"]):
                secrets[key] = float(truth.loc[r["category"], "count"])
            if r["category"] in RCI_CATS and pd.notna(truth.loc[r["category"], "count"]):
                cats.append(key)
        if np.isfinite(n) and len(cats) == 3:
            att.total(float(n), cats)
        if sentences is None:
            continue
        for s in sentences.loc[(sentences["construct"] == c) & (sentences["wave"] == w)
                               & (sentences["kind"] == "reliable_change"), "sentence"]:
            m_n = re.search(r"Of the (\d+) people", s)
            for p, lo, hi, what in SENT.findall(s):
                att.share_with_ci(("rci", c, w, CAT_OF[what]), int(m_n.group(1)), int(p),
                                  int(lo), int(hi))
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


# ----------------------------------------------------------------------------- crafted cases
ISSUE_SHARES = pd.DataFrame({
    "construct": "belonging", "wave": "T2", "category": list(RCI_CATS), "count": [11, 44, 8],
    "n": 63, "share": [11 / 63, 44 / 63, 8 / 63], "ci_lower": np.nan, "ci_upper": np.nan,
    "flag": "", "status": "ok", "message": ""})


def _sentence(public: pd.DataFrame) -> pd.DataFrame:
    """An rci sentence built the safe way: a share only for a count the public table shows."""
    by = public.set_index("category")
    raw = ISSUE_SHARES.set_index("category")

    def part(cat):
        lo, hi = _wilson(int(raw.loc[cat, "count"]), 63, 0.95)
        return safe_share_text(raw.loc[cat, "count"], 63, 10, ci=(lo, hi),
                               hidden=_is_hidden(by.loc[cat, "count"])) or "an undisclosed number"
    text = (f"Of the 63 people with community belonging scores at entry and at 6-9 months, "
            f"{part('reliably_improved')} reliably improved and "
            f"{part('reliably_deteriorated')} reliably deteriorated.")
    return pd.DataFrame({"construct": ["belonging"], "kind": ["reliable_change"],
                         "wave": ["T2"], "sentence": [text]})


def test_attack_finds_the_issue_11_leak():
    """Old copy: 'improved' hidden, 44 'no reliable change' shown; the sentence's "17% (95% CI
    10% to 29%)" of 63 fixes improved at 11, so deteriorated = 63 - 44 - 11 = 8."""
    old = ISSUE_SHARES.astype({"count": object, "share": object})
    old["count"] = ["[c]", 44, "<10"]
    old.loc[[0, 2], "share"] = "[c]"
    sent = pd.DataFrame({"construct": ["belonging"], "kind": ["reliable_change"], "wave": ["T2"],
                         "sentence": ["Of the 63 people with community belonging scores at "
                                      "entry and at 6-9 months, 17% (95% CI 10% to 29%) reliably "
                                      "improved and fewer than 10 people reliably deteriorated."]})
    att = Attacker()
    secrets = read_rci(att, old, ISSUE_SHARES, sent)
    assert att.recovered(secrets) == {("rci", "belonging", "T2", "reliably_improved"): 11,
                                      ("rci", "belonging", "T2", "reliably_deteriorated"): 8}


def test_attack_finds_nothing_in_todays_rci_copy():
    public = public_rci_shares(ISSUE_SHARES, 10)
    att = Attacker()
    secrets = read_rci(att, public, ISSUE_SHARES, _sentence(public))
    assert secrets and att.recovered(secrets) == {}
    assert "17% (95% CI 10% to 29%) reliably improved" in _sentence(public)["sentence"][0]


DEMO_FLOW = pd.DataFrame({"wave": ["T0", "T1", "T2"],
                          "label": ["Pathway entry", "About 4 months", "6-9 months"],
                          "responded": [630, 178, 63], "retained": [630, 178, 63],
                          "pct_baseline": [100, 28.25, 10.0],
                          "lost_since_previous": [np.nan, 452, 120],
                          "rejoined": [np.nan, 0, 5], "excluded_duplicate": [3, 2, 0]})
DEMO_PATTERNS = pd.DataFrame({"pattern": ["T0 only", "T0+T1", "T0+T2", "T0+T1+T2"],
                              "waves_answered": [1, 2, 2, 3], "n": [447, 120, 5, 58],
                              "pct": [70.95, 19.05, 0.79, 9.21]})


def test_attack_finds_a_pattern_shown_next_to_the_flow():
    """Showing 'answered every wave = 58' beside 63 answering at T2 gives 'came back' = 5."""
    flow_pub = DEMO_FLOW.astype(object)
    flow_pub.loc[2, ["lost_since_previous", "rejoined"]] = ["[c]", "<10"]
    flow_pub.loc[[0, 1], "excluded_duplicate"] = "<10"
    pats_pub = pd.DataFrame({"category": ["completed_all", "dropped_after_T1",
                                          "dropped_after_T0", "other"],
                             "n": [58, "[c]", "[c]", "<10"], "pct": [9.2, "[c]", "[c]", "[c]"]})
    att = Attacker()
    secrets = read_flow_patterns(att, flow_pub, pats_pub, DEMO_FLOW, DEMO_PATTERNS)
    got = att.recovered(secrets)
    assert got[("flow", "T2", "rejoined")] == 5
    assert got[("flow", "T2", "lost_since_previous")] == 120


def test_attack_finds_nothing_in_todays_flow_and_patterns():
    flow_pub, pats_pub = public_flow_and_patterns(DEMO_FLOW, DEMO_PATTERNS, 10,
                                                  dict(zip(DEMO_FLOW["wave"], DEMO_FLOW["label"])))
    att = Attacker()
    secrets = read_flow_patterns(att, flow_pub, pats_pub, DEMO_FLOW, DEMO_PATTERNS)
    assert len(secrets) >= 5 and att.recovered(secrets) == {}
    assert all(isinstance(v, str) or v >= 10 for v in pats_pub["n"])  # the chart is not empty


def test_safe_percent_cannot_pin_a_small_count():
    for n in (12, 63, 178, 630):
        for k in range(1, 10):
            text = safe_percent(k, n, 10)
            if text == "[c]":
                continue
            bound = int(re.match(r"under (\d+)%", text).group(1))
            allowed = [j for j in range(n + 1) if 100 * j / n < bound]
            assert set(range(1, 10)) <= set(allowed)  # says no more than "<10"
    assert safe_percent(11, 63, 10) == "17%" and safe_percent(11, 63, 10, hidden=True) == "[c]"
    assert safe_share_text(8, 63, 10) == "fewer than 10 people"


# ----------------------------------------------------------------------------- the demo run
@pytest.fixture(scope="module")
def demo(demo_workflow_run) -> Path:
    """The shared full run of the demo study (tests/conftest.py)."""
    return demo_workflow_run


@pytest.mark.e2e
def test_attack_on_the_demo_run(demo):
    """Every suppressed cell of the attrition and reliable-change outputs, from the public
    tables, the sentences (change_sentences.csv, attrition summary.json) and the figure labels."""
    t = demo / "tables"
    att = Attacker()
    secrets = read_rci(att, pd.read_csv(t / "change_rci_shares_public.csv"),
                       pd.read_csv(t / "change_rci_shares.csv"),
                       pd.read_csv(t / "change_sentences.csv"))
    flow = pd.read_csv(t / "attrition_flow.csv")
    pats_pub = pd.read_csv(t / "attrition_patterns_public.csv")
    secrets |= read_flow_patterns(att, pd.read_csv(t / "attrition_flow_public.csv"), pats_pub,
                                  flow, pd.read_csv(t / "attrition_patterns.csv"))
    summary = json.loads((demo / "attrition" / "summary.json").read_text())
    read_attrition_summary(att, summary["sentence"], flow)
    assert len(secrets) >= 10
    leaks = att.recovered(secrets)
    assert leaks == {}, f"suppressed cells recovered: {leaks}"


@pytest.mark.e2e
def test_attack_on_who_stayed_tables(demo):
    """Retained vs lost (attrition) beside the baseline description (change wing)."""
    t = demo / "tables"
    flow = pd.read_csv(t / "attrition_flow.csv")
    att = Attacker()
    secrets = read_who(att, pd.read_csv(t / "attrition_retained_vs_lost_public.csv"),
                       pd.read_csv(t / "attrition_retained_vs_lost.csv"), None, None,
                       int(flow.loc[0, "retained"]), dict(zip(flow["wave"], flow["retained"])))
    assert secrets and att.recovered(secrets) == {}
    # means with n: a mean of whole numbers, printed to 2 decimals, beside a hidden n
    wide = pd.read_parquet(demo / "clean" / "wide.parquet")
    rvl_pub = pd.read_csv(t / "attrition_retained_vs_lost_public.csv")
    steps = {v: 1.0 for v in rvl_pub["variable"].unique()
             if v in wide.columns and pd.api.types.is_numeric_dtype(wide[v])
             and np.allclose(wide[v].dropna() % 1, 0)}
    assert means_pin(att, rvl_pub, secrets, steps) == {}


def test_mean_candidates_pin_a_small_hidden_n():
    """A mean 2.33 of whole numbers: n in 10..20 -> only n where 2.33 n is near a whole number
    (n = 3k); a table hiding n = 12 in 10..14 but printing the mean gives it back."""
    assert mean_candidates(28 / 12, 2, 10, 14) == [12]
    assert len(mean_candidates(64.95, 2, 169, 176)) == 8  # 176 people: every n fits


@pytest.mark.e2e
def test_attack_on_who_stayed_tables_with_the_baseline_description(demo):
    t = demo / "tables"
    flow = pd.read_csv(t / "attrition_flow.csv")
    att = Attacker()
    secrets = read_who(att, pd.read_csv(t / "attrition_retained_vs_lost_public.csv"),
                       pd.read_csv(t / "attrition_retained_vs_lost.csv"),
                       pd.read_csv(t / "descriptives_baseline_public.csv"),
                       pd.read_csv(t / "descriptives_baseline.csv"),
                       int(flow.loc[0, "retained"]), dict(zip(flow["wave"], flow["retained"])))
    assert att.recovered(secrets) == {}


FINDING_PART = re.compile(r"Of the (\S+) people who entered, (\S+?)(?: \((\d+)%, .*?\))? "
                          r"answered at")


def read_findings(att: Attacker, findings: pd.DataFrame, n0: int):
    """Participation rows of findings_public.csv: their counts, percentages and sentences."""
    for _, r in findings[findings["kind"] == "participation"].iterrows():
        key = ("flow", r["wave"], "responded")
        att.read(key, r["n_observed"])
        m = FINDING_PART.search(str(r["sentence"]))
        if m:
            att.read(key, m.group(2))
            if m.group(3):
                att.percent(key, int(m.group(3)), n0)


def test_findings_reader_finds_a_participation_leak():
    """A findings sentence printing a count the flow hides gives it back (crafted)."""
    flow_pub = DEMO_FLOW.astype(object)
    flow_pub.loc[2, ["responded", "retained", "pct_baseline", "lost_since_previous"]] = "[c]"
    flow_pub.loc[2, "rejoined"] = "<10"
    flow_pub.loc[[0, 1], "excluded_duplicate"] = "<10"
    findings = pd.DataFrame({"kind": ["participation"], "wave": ["T2"], "n_observed": ["[c]"],
                             "sentence": ["Of the 630 people who entered, 63 (10%, 95% CI "
                                          "(Wilson) 8% to 13%) answered at 6-9 months."]})
    att = Attacker()
    secrets = read_flow_patterns(att, flow_pub, None, DEMO_FLOW, DEMO_PATTERNS)
    assert att.recovered(secrets) == {}
    read_findings(att, findings, 630)
    assert att.recovered(secrets)[("flow", "T2", "retained")] == 63


@pytest.mark.e2e
def test_attack_with_the_findings_table(demo):
    """findings_public.csv (findings wing) beside the attrition and reliable-change outputs."""
    work = demo.parent
    cmd = [sys.executable, "-m", "snakemake", "results/tables/findings_public.csv", "-s",
           str(ROOT / "Snakefile"), "-d", str(work), "--cores", "2", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3000)
    if proc.returncode != 0:
        pytest.skip("findings table not built in this checkout: " + proc.stderr[-500:])
    t = demo / "tables"
    flow = pd.read_csv(t / "attrition_flow.csv")
    att = Attacker()
    secrets = read_flow_patterns(att, pd.read_csv(t / "attrition_flow_public.csv"),
                                 pd.read_csv(t / "attrition_patterns_public.csv"), flow,
                                 pd.read_csv(t / "attrition_patterns.csv"))
    findings = pd.read_csv(t / "findings_public.csv")
    read_findings(att, findings, int(flow.loc[0, "retained"]))
    assert findings["kind"].eq("participation").any()
    assert secrets and att.recovered(secrets) == {}


@pytest.mark.parametrize("counts", [[11, 44, 8], [30, 5, 20], [4, 50, 9], [25, 60, 15]])
def test_attack_on_the_real_rci_copy_and_sentence(counts):
    """change.rci.public_rci_shares + change.sentences.rci_sentence, as the change stage runs
    them, on crafted groups (improved small, unchanged small, two small, none small)."""
    from pipeline.change.sentences import rci_sentence
    n = sum(counts)
    lo, hi = zip(*[_wilson(k, n, 0.95) for k in counts])
    raw = ISSUE_SHARES.assign(count=counts, n=n, share=[k / n for k in counts],
                              ci_lower=lo, ci_upper=hi)
    public = public_rci_shares(raw, 10)
    text = rci_sentence(raw, "belonging", "T2", label="Community belonging",
                        wave_phrase="at 6-9 months", min_cell=10, public=public)
    sent = pd.DataFrame({"construct": ["belonging"], "kind": ["reliable_change"],
                         "wave": ["T2"], "sentence": [text]})
    att = Attacker()
    secrets = read_rci(att, public, raw, sent)
    assert att.recovered(secrets) == {}, text


# ----------------------------------------------------------------------------- the rendered report
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


def report_texts(results: Path) -> dict[str, str]:
    """What a funder reads: the text of the PDF (``pdftotext -layout``) and of the HTML page
    (tags stripped; table cells and SVG text lines kept apart, as the PDF's layout keeps them)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text")
    pdf = subprocess.run(["pdftotext", "-layout", str(results / "report" / "demo_report.pdf"),
                          "-"], capture_output=True, text=True, check=True).stdout
    parser = _HTMLText()
    parser.feed((results / "report" / "demo_report.html").read_text(encoding="utf-8"))
    parser.close()
    return {"pdf": pdf, "html": "".join(parser.parts)}


def _norm(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2212", "-").replace("\u00a0", " ")


def _rci_cell(att: Attacker, key, cell: str, n: int):
    """A reliable-change cell: "23 (13%)", "146-154", "<10", "[c]", "70%"."""
    m = re.fullmatch(r"(?:(\S+) )?\((\d+)%\)|(\d+)%|(\S+)", cell.strip())
    if m.group(2) or m.group(3):
        att.percent(key, int(m.group(2) or m.group(3)), n)
    att.read(key, m.group(1) or m.group(4))


def _read_flow_table(att: Attacker, text: str, flow: pd.DataFrame) -> int:
    """The flow table of the report text; returns how many rows were read."""
    n0, rows, waves = int(flow.loc[0, "retained"]), 0, list(flow["wave"])
    # one row per wave: "T2 6-9 months  63  10%  116-124  <10  0  0  <10  0"
    cols = ["lost_since_previous", "rejoined", "excluded_duplicate", "excluded_missing_id",
            "excluded_not_in_baseline", "excluded_other"]
    for w, lab in zip(waves, flow["label"]):
        for m in re.finditer(rf"^\s*{w} {re.escape(str(lab))}\s+(.*)$", text, re.M):
            tok = m.group(1).split()
            if len(tok) not in (6, 8) or not tok[1].endswith("%"):
                continue
            att.read(("flow", w, "responded"), tok[0])
            att.percent(("flow", w, "retained"), float(tok[1][:-1]), n0)
            for c, v in zip(cols[-(len(tok) - 2):], tok[2:]):
                att.read(("flow", w, c), v)
            rows += 1
    return rows


def read_report_text(att: Attacker, text: str, flow: pd.DataFrame, labels: dict,
                     pattern_labels_: dict) -> dict:
    """Every count and percentage the report prints about participation, flow, response
    patterns and reliable change, as bounds on the cells (keys as in ``read_flow_patterns`` and
    ``read_rci``). Returns how many published values of each kind were read."""
    text = _norm(text)
    flat = re.sub(r"\s+", " ", text)
    waves = list(flow["wave"])
    n0 = int(flow.loc[0, "retained"])
    phrase = {str(lab).lower(): w for w, lab in zip(waves, flow["label"])}
    ph = "(" + "|".join(map(re.escape, phrase)) + ")"
    got = {"flow_rows": 0, "sentences": 0, "figure": 0, "rci_rows": 0, "patterns": 0}

    def resp(w):
        return ("flow", w, "retained")
    got["flow_rows"] = _read_flow_table(att, text, flow)
    # sentences and headline rows
    for k, w in re.findall(r"(\d+) people entered (?:the evaluation )?at " + ph, flat):
        att.read(resp(phrase[w]), k)
        got["sentences"] += 1
    for k, n, p, w in re.findall(r"(\S+) of (\d+) \((\d+)%\) answered at " + ph, flat):
        att.read(resp(phrase[w]), k)
        att.percent(resp(phrase[w]), int(p), int(n))
        got["sentences"] += 1
    for n, k, p, lo, hi, w in re.findall(r"Of the (\d+) people who entered, (\S+?) \((\d+)%, "
                                         r"95% CI \(Wilson\) (\d+)% to (\d+)%\) answered at " + ph,
                                         flat):
        att.read(resp(phrase[w]), k)
        att.share_with_ci(resp(phrase[w]), int(n), int(p), int(lo), int(hi))
        got["sentences"] += 1
    for m in re.finditer(r"Of \S+ people who joined, [^.]*\.", flat):
        read_attrition_summary(att, m.group(0), flow)
        got["sentences"] += 1
    for k, w, p in re.findall(r"(?<![(\w])(\d+) answered at " + ph
                              + r"(?: \((\d+)% of those who joined\))?", flat):
        att.read(resp(phrase[w]), k)
        if p:
            att.percent(resp(phrase[w]), int(p), n0)
        got["figure"] += 1
    for k, w in re.findall(r"\((\d+) answered at " + ph + r"\)", flat):
        att.bound(resp(phrase[w]), int(k), math.inf)  # people with a score <= people who answered
    # the flow chart's labels: a box "<label> (T1)" then "178 answered (28% of baseline)" and its
    # "Rows removed in cleaning" box; "Lost since ..." / "Back after ..." in wave order
    heads = [(m.start(), m.group(1)) for m in re.finditer(r"\((T\d+)\)", flat)]

    def wave_at(pos):
        before = [w for s, w in heads if pos - 250 < s < pos]
        return before[-1] if before else None
    for w, k, p in re.findall(r"\((T\d+)\) (?:Rows removed in cleaning: )?(\S+) (?:joined|"
                              r"answered)(?: \((\d+)% of baseline\))?", flat):
        att.read(resp(w), k)
        if p:
            att.percent(resp(w), int(p), n0)
        got["figure"] += 1
    for reason, col in (("duplicate", "excluded_duplicate"), ("missing id", "excluded_missing_id"),
                        ("not in baseline", "excluded_not_in_baseline"), ("other",
                                                                         "excluded_other")):
        for m in re.finditer(rf"(?<![\w-]){reason}: (\S+?),?(?= |$)", flat):
            if (w := wave_at(m.start())) in waves:
                att.read(("flow", w, col), m.group(1))
                got["figure"] += 1
    for what, col, first in (("Lost since previous wave", "lost_since_previous", 1),
                             ("Back after missing a wave", "rejoined", 2)):
        for w, v in zip(waves[first:], re.findall(what + r": (\S+)", flat)):
            att.read(("flow", w, col), v)
    # the change section: people with a score at every wave are among those who answered all
    for k in re.findall(r"people at every wave \(n = (\d+)\)", flat):
        att.bound(("cat", "completed_all"), int(k), math.inf)
    # response patterns, wherever a category is printed with its count
    for cat, lab in pattern_labels_.items():
        for v in re.findall(re.escape(lab) + r":? (\S+)", flat):
            att.read(("cat", cat), v.rstrip(",;."))
            got["patterns"] += 1
    got["rci_rows"] = _read_rci_tables(att, text, flow, labels)
    return got


def _read_rci_tables(att: Attacker, text: str, flow: pd.DataFrame, labels: dict) -> int:
    """Reliable-change tables of the report text: a caption "<label>: reliable change since
    entry", then one row per wave ("6-9 months  63  11 (17%)  43-51  <10"). Returns rows read."""
    cell, rows, waves = r"(\S+ \(\d+%\)|\S+)", 0, list(flow["wave"])
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"(.+?): reliable change since entry", line)
        if not m:
            continue
        name = re.sub(r"^\s*Table \d+: ", "", m.group(1)).strip()
        construct = next((c for c, lab in labels.items() if lab == name), None)
        for row in lines[i + 1:i + 8]:
            for w, lab in zip(waves, flow["label"]):
                r = re.fullmatch(rf"\s*{re.escape(str(lab))}\s+(\d+)\s+{cell}\s+{cell}\s+{cell}"
                                 r"\s*", row)
                if construct is None or r is None:
                    continue
                n = int(r.group(1))
                keys = [("rci", construct, w, c) for c in RCI_CATS]
                for key, v in zip(keys, r.groups()[1:]):
                    _rci_cell(att, key, v, n)
                att.total(float(n), keys)
                rows += 1
    return rows


def flow_structure(att: Attacker, flow: pd.DataFrame, patterns: pd.DataFrame, categories):
    """What a reader knows without any number: every flow count and every response-pattern
    category is a sum of fine response patterns (as in ``read_flow_patterns``)."""
    waves = list(flow["wave"])
    sets, fine = _flow_sums(att, flow, patterns, waves)
    for cat in categories:
        att.total(("cat", cat), [fine[p] for p in _members(cat, sets, waves)])


def report_secrets(t: Path) -> dict:
    """The cells the public tables hide, with their true values from the analyst tables."""
    flow, flow_pub = pd.read_csv(t / "attrition_flow.csv"), pd.read_csv(
        t / "attrition_flow_public.csv", dtype=str)
    secrets = {}
    for i, w in enumerate(flow["wave"]):
        for c in flow.columns:
            if c in ("responded", "retained", "lost_since_previous", "rejoined") \
                    or c.startswith("excluded_"):
                if _is_hidden(flow_pub.loc[i, c]):
                    secrets[("flow", w, c)] = float(flow.loc[i, c])
    pats_pub = pd.read_csv(t / "attrition_patterns_public.csv", dtype={"n": str})
    truth = _merged_truth(pd.read_csv(t / "attrition_patterns.csv"), list(flow["wave"]), pats_pub)
    for (_, r), v in zip(pats_pub.iterrows(), truth):
        if _is_hidden(r["n"]):
            secrets[("cat", r["category"])] = v
    rci, rci_pub = pd.read_csv(t / "change_rci_shares.csv"), pd.read_csv(
        t / "change_rci_shares_public.csv", dtype={"count": str})
    for (_, r), (_, p) in zip(rci.iterrows(), rci_pub.iterrows()):
        if r["status"] == "ok" and _is_hidden(p["count"]):
            secrets[("rci", r["construct"], r["wave"], r["category"])] = float(r["count"])
    return secrets


def attack_report(results: Path, text: str) -> tuple[dict, dict, dict]:
    """Read one rendered text; returns (recovered cells, the secrets, what was read)."""
    t = results / "tables"
    flow, patterns = pd.read_csv(t / "attrition_flow.csv"), pd.read_csv(
        t / "attrition_patterns.csv")
    pats_pub = pd.read_csv(t / "attrition_patterns_public.csv", dtype={"n": str})
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    labels = {c: s.get("label", c) for c, s in cfg["scales"].items()}
    att = Attacker()
    flow_structure(att, flow, patterns, pats_pub["category"])
    got = read_report_text(att, text, flow, labels,
                           dict(zip(pats_pub["category"], pats_pub["label"])))
    secrets = report_secrets(t)
    return att.recovered(secrets), secrets, got


def _crafted_lines(results: Path) -> tuple[str, str, tuple, tuple]:
    """Two leaks the old report could have printed: a flow row with the exact number lost
    (its range is what hides 'came back'), and a reliable-change row printing the unchanged share
    (what hides the deteriorated count). Returns the lines and the cells each should give back."""
    t = results / "tables"
    flow = pd.read_csv(t / "attrition_flow.csv")
    pub = pd.read_csv(t / "attrition_flow_public.csv", dtype=str)
    i = next(i for i in range(1, len(flow)) if RANGE.match(str(pub.loc[i, "lost_since_previous"]))
             and _is_hidden(pub.loc[i, "rejoined"]))
    r = pub.loc[i].copy()
    r["lost_since_previous"] = str(int(flow.loc[i, "lost_since_previous"]))
    row = " ".join([r["wave"], r["label"], r["responded"], f"{float(r['pct_baseline']):.0f}%",
                    *r[["lost_since_previous", "rejoined", "excluded_duplicate",
                        "excluded_missing_id", "excluded_not_in_baseline",
                        "excluded_other"]].fillna("")])
    rci = pd.read_csv(t / "change_rci_shares.csv")
    rpub = pd.read_csv(t / "change_rci_shares_public.csv", dtype={"count": str})
    labels = dict(zip(flow["wave"], flow["label"]))
    for (c, w), g in rpub[rpub["status"] == "ok"].groupby(["construct", "wave"], sort=False):
        cnt = dict(zip(g["category"], g["count"]))
        true = rci[(rci["construct"] == c) & (rci["wave"] == w)].set_index("category")["count"]
        n = int(g["n"].iloc[0])
        k = int(true["no_reliable_change"])
        p = round(100 * k / n)
        if (not _is_hidden(cnt["reliably_improved"]) and _is_hidden(cnt["reliably_deteriorated"])
                and [j for j in range(n + 1) if round(100 * j / n) == p] == [k]):
            cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
            lab = cfg["scales"][c].get("label", c)
            rci_line = (f"{lab}: reliable change since entry\n  {labels[w]}  {n}  "
                        f"{cnt['reliably_improved']}  {p}%  {cnt['reliably_deteriorated']}")
            return (row, rci_line, ("flow", flow.loc[i, "wave"], "rejoined"),
                    ("rci", c, w, "reliably_deteriorated"))
    raise AssertionError("no reliable-change group to craft a leak from")


@pytest.mark.e2e
def test_attack_on_the_rendered_report(demo):
    """The attack on what the report prints (issue 12): the text of the PDF and of the HTML.
    Every count and percentage about participation, the flow, response patterns and reliable
    change is read as published; the hidden cells of the public tables (true values from the
    analyst tables) must not come back. Crafted lines added to the same text must be caught."""
    texts = report_texts(demo)
    row, rci_line, flow_key, rci_key = _crafted_lines(demo)
    for kind, text in texts.items():
        leaks, secrets, got = attack_report(demo, text)
        assert len(secrets) >= 10, secrets
        n_waves = len(pd.read_csv(demo / "tables" / "attrition_flow.csv"))
        assert got["flow_rows"] == n_waves and got["sentences"] >= 3 and got["rci_rows"] >= 2, \
            (kind, got)
        assert leaks == {}, f"{kind}: suppressed cells recovered from the report text: {leaks}"
        # it can fail: the same text with an exact count beside the hidden one, or a share
        leaks, _, _ = attack_report(demo, text + "\n" + row + "\n")
        assert flow_key in leaks, (kind, row)
        leaks, _, _ = attack_report(demo, text + "\n" + rci_line + "\n")
        assert rci_key in leaks, (kind, rci_line)
