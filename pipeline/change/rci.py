"""Individual change per construct and follow-up: reliable change and minimal important change.

Reliable change index (Jacobson & Truax 1991, :mod:`pipeline.stats.rci`) for participant i,
construct s and follow-up t (with scores at baseline and at t)::

    RCI = (x_t - x_0) / S_diff,   S_diff = sqrt(2) * SD_0 * sqrt(1 - r_xx)

with SD_0 the sample SD (ddof=1) of everyone's baseline score and r_xx the scale's reliability
(Cronbach's alpha from the reliability table, or a configured test-retest reliability, e.g. for
the single-item EQ VAS). "Reliably improved" is |RCI| > criterion (1.96) in the scale's good
direction (``higher_is_better``; for loneliness lower is better). With a configured minimal
important difference (scale ``mid``, from the study config or the instrument preset:
:func:`pipeline.clean.settings.meaningful_change`), "meaningfully improved" is a change of at
least ``mid`` points in the good direction; the shares table says where the MID came from
(``mid_source``: "preset" | "config"; ``mid_reference``: the paper, or the config key). Shares
carry Wilson (1927) score intervals. Their sentences are in :mod:`pipeline.change.sentences`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.change.messages import too_few_message
from pipeline.disclosure import SECONDARY_MARK, protect, published_counts
from pipeline.errors import DataError
from pipeline.stats.rci import CATEGORIES, rci_categories, s_diff, wilson_interval
from pipeline.status import Status
from pipeline.wording import short_citation

__all__ = ["reliability_from_table", "alpha_problems", "resolve_reliability", "reliable_change",
           "rci_shares", "public_rci_shares", "short_citation"]

log = logging.getLogger(__name__)
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value

SHARE_LABELS = {"improved": "reliably_improved", "unchanged": "no_reliable_change",
                "deteriorated": "reliably_deteriorated"}
INDIVIDUAL_COLUMNS = [
    "pid", "construct", "wave", "baseline", "followup", "diff", "rci", "category",
    "mid_improved",
]
SHARE_COLUMNS = [
    "analysis", "construct", "wave", "category", "count", "n", "share", "ci_lower", "ci_upper",
    "reliability", "reliability_source", "sd_baseline", "s_diff", "criterion", "mid",
    "mid_source", "mid_reference", "flag", "status", "message",
]


def _mid_parts(m: object) -> tuple[float | None, str, str]:
    """(mid, source, reference) of a MID given as a number (source unknown: "") or as a
    :class:`pipeline.clean.settings.MeaningfulChange` (``mid``, ``source``, ``reference``)."""
    if m is None:
        return None, "", ""
    if hasattr(m, "mid"):
        return float(m.mid), str(getattr(m, "source", "")), str(getattr(m, "reference", ""))
    return float(m), "", ""


def reliability_from_table(table: pd.DataFrame, wave: str) -> dict[str, float | None]:
    """Scale -> Cronbach's alpha at ``wave`` (the baseline) from the reliability table
    (``scale, wave, alpha, status``, written by the clean stage); None where not estimable."""
    need = {"scale", "wave", "alpha", "status"}
    if not need <= set(table.columns):
        raise DataError(
            f"reliability table lacks column(s) {sorted(need - set(table.columns))}; it should be "
            "results/<study>/tables/reliability.csv from the clean stage. Re-run the clean stage."
        )
    t = table[table["wave"] == wave]
    return {
        str(r.scale): (float(r.alpha) if r.status == OK and np.isfinite(r.alpha) else None)
        for r in t.itertuples()
    }


def alpha_problems(table: pd.DataFrame, wave: str) -> dict[str, str]:
    """Scale -> why Cronbach's alpha at ``wave`` is not estimable, from the reliability table's
    ``message`` (e.g. "single-item scale: internal consistency is not defined", too few
    complete cases); only scales whose alpha is missing."""
    if not {"scale", "wave", "status", "message"} <= set(table.columns):
        return {}
    t = table[(table["wave"] == wave) & (table["status"] != OK)]
    return {str(r.scale): str(r.message) for r in t.itertuples()
            if isinstance(r.message, str) and r.message}


def _no_reliability(scale: str, why: str | None) -> str:
    fix = (f"set change.reliability.{scale} to a published test-retest reliability to classify "
           "reliable change")
    if why and why.startswith("not applicable"):  # an index score: alpha does not apply
        return (f"no reliability for '{scale}': Cronbach's alpha does not apply to an index "
                f"score; {fix}")
    why = f" ({why})" if why else ""
    return f"no reliability for '{scale}': Cronbach's alpha at entry is not estimable{why}; {fix}"


def resolve_reliability(
    scales: Sequence[str],
    alpha: Mapping[str, float | None] | None,
    configured: Mapping[str, float] | None = None,
    problems: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per scale: reliability used, its source ("configured" | "alpha" | "") and why not.

    A configured value (e.g. EQ VAS test-retest) takes precedence over alpha. A reliability must
    lie strictly between 0 and 1; otherwise the scale's RCI is not estimable. ``problems``:
    scale -> why its alpha is missing (:func:`alpha_problems`), said in the problem text.
    """
    alpha = dict(alpha or {})
    configured = dict(configured or {})
    problems = dict(problems or {})
    rows = []
    for s in scales:
        if configured.get(s) is not None:
            r, src = float(configured[s]), "configured"
        elif alpha.get(s) is not None and np.isfinite(alpha[s]):
            r, src = float(alpha[s]), "alpha"
        else:
            rows.append({"construct": s, "reliability": np.nan, "reliability_source": "",
                         "problem": _no_reliability(s, problems.get(s))})
            continue
        problem = "" if 0 < r < 1 else (
            f"reliability of '{s}' is {r:.3g} ({src}); the RCI needs 0 < r < 1. Check the "
            "scale's items and reverse keys, or configure change.reliability."
        )
        rows.append({"construct": s, "reliability": r, "reliability_source": src,
                      "problem": problem})
    return pd.DataFrame(rows, columns=["construct", "reliability", "reliability_source", "problem"])


def reliable_change(
    long: pd.DataFrame,
    scales: Sequence[str],
    wave_ids: Sequence[str],
    reliability: Mapping[str, float | None] | None,
    higher_is_better: Mapping[str, bool] | None = None,
    mids: Mapping[str, object] | None = None,
    configured_reliability: Mapping[str, float] | None = None,
    criterion: float = 1.96,
    problems: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per participant x construct x follow-up RCI and category, plus a per-scale info table.

    Returns ``(individual, info)``. ``individual`` holds only pairs with both scores; for a
    scale without a usable reliability ``rci``/``category`` are missing (the change and
    ``mid_improved`` are still given). ``info`` has ``construct, reliability,
    reliability_source, sd_baseline, s_diff, mid, mid_source, mid_reference, higher_is_better,
    problem``. ``mids``: scale -> its MID as a number or a ``MeaningfulChange`` (which also
    gives the source and reference); ``higher_is_better`` as resolved by the change settings
    (config, else the instrument preset; true for a scale not named).
    """
    wave_ids = list(wave_ids)
    hib = {s: True for s in scales} | dict(higher_is_better or {})
    mids = dict(mids or {})
    missing = [s for s in scales if s not in long.columns]
    if missing:
        raise DataError(
            f"reliable change: score column(s) {missing} are not in long.parquet. Check the "
            "scale keys in config and that the score stage ran."
        )
    rel = resolve_reliability(scales, reliability, configured_reliability,
                              problems).set_index("construct")
    base, follow = wave_ids[0], wave_ids[1:]
    parts, info = [], []
    for s in scales:
        x = long.loc[long["wave"].isin(wave_ids)].pivot_table(
            index="pid", columns="wave", values=s, aggfunc="first"
        ).reindex(columns=wave_ids)
        sd0 = float(x[base].std(ddof=1)) if x[base].notna().sum() >= 2 else np.nan
        r = rel.loc[s, "reliability"]
        problem = rel.loc[s, "problem"]
        sdiff = s_diff(sd0, r) if not problem else np.nan
        if not problem and not (np.isfinite(sdiff) and sdiff > 0):
            problem = f"baseline SD of '{s}' is {sd0:.3g}; the RCI needs a positive baseline SD"
        if problem:
            log.warning("change/rci/%s: %s", s, problem)
            sdiff = np.nan
        sign = 1.0 if hib[s] else -1.0
        mid, mid_source, mid_reference = _mid_parts(mids.get(s))
        info.append({"construct": s, "reliability": r,
                     "reliability_source": rel.loc[s, "reliability_source"], "sd_baseline": sd0,
                     "s_diff": sdiff, "mid": mid if mid is not None else np.nan,
                     "mid_source": mid_source, "mid_reference": mid_reference,
                     "higher_is_better": hib[s], "problem": problem})
        for w in follow:
            pair = x[[base, w]].dropna()
            diff = pair[w] - pair[base]
            rci = diff / sdiff
            cat = rci_categories(rci.to_numpy(), criterion, hib[s])
            parts.append(pd.DataFrame({
                "pid": pair.index.to_numpy(), "construct": s, "wave": w,
                "baseline": pair[base].to_numpy(), "followup": pair[w].to_numpy(),
                "diff": diff.to_numpy(), "rci": rci.to_numpy(),
                "category": pd.Series(cat).where(np.isfinite(rci.to_numpy())).to_numpy(),
                "mid_improved": (sign * diff >= mid).to_numpy() if mid is not None
                else pd.array([pd.NA] * len(pair), dtype="boolean"),
            }))
    individual = (pd.concat(parts, ignore_index=True) if parts
                  else pd.DataFrame(columns=INDIVIDUAL_COLUMNS))
    return individual[INDIVIDUAL_COLUMNS], pd.DataFrame(info)


def rci_shares(
    individual: pd.DataFrame,
    info: pd.DataFrame,
    wave_ids: Sequence[str],
    criterion: float = 1.96,
    min_cell: int = 10,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Shares reliably improved / unchanged / deteriorated (and meaningfully improved, when a MID
    is configured) per construct and follow-up, with Wilson CIs. Plain counts.

    When fewer than ``min_cell`` people (but at least one) have both scores, ``flag`` is
    "small_n" and the shares are not reported: count, share and CI blank, status
    "not_estimable", message "only N people answered at both <baseline> and <wave> (fewer than
    <min_cell>); reliable change is not estimated" (``n`` keeps the plain count for analysts).
    """
    rows = []
    base = next(iter(wave_ids))
    for _, sc in info.iterrows():
        s = sc["construct"]
        for w in list(wave_ids)[1:]:
            sub = individual[(individual["construct"] == s) & (individual["wave"] == w)]
            n = len(sub)
            common = {"analysis": "change_rci", "construct": s, "wave": w, "n": n,
                      "reliability": sc["reliability"],
                      "reliability_source": sc["reliability_source"],
                      "sd_baseline": sc["sd_baseline"], "s_diff": sc["s_diff"],
                      "criterion": criterion, "mid": sc["mid"],
                      "mid_source": sc.get("mid_source", ""),
                      "mid_reference": sc.get("mid_reference", ""),
                      "flag": "small_n" if 0 < n < min_cell else ""}
            if n == 0:
                status, msg = NOT_ESTIMABLE, f"nobody has '{s}' at both {wave_ids[0]} and {w}"
            elif n < min_cell:
                status, msg = NOT_ESTIMABLE, too_few_message(
                    n, f"at both {base} and {w}", min_cell, "reliable change is not estimated")
            elif sc["problem"]:
                status, msg = NOT_ESTIMABLE, sc["problem"]
            else:
                status, msg = OK, ""
            counts = sub["category"].value_counts()
            for cat in CATEGORIES:
                rows.append({**common, "category": SHARE_LABELS[cat],
                             "count": int(counts.get(cat, 0)) if status == OK else np.nan,
                             "status": status, "message": msg})
            if np.isfinite(sc["mid"]):
                ok = n >= max(min_cell, 1)
                rows.append({**common, "category": "mid_improved",
                             "count": int(sub["mid_improved"].sum()) if ok else np.nan,
                             "status": OK if ok else NOT_ESTIMABLE,
                             "message": "" if ok else msg if 0 < n else
                             f"nobody has '{s}' at both waves"})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    out["share"] = out["count"] / out["n"].where(out["n"] > 0)
    lo, hi = wilson_interval(out["count"], out["n"], conf)
    out["ci_lower"], out["ci_upper"] = lo, hi
    return out[SHARE_COLUMNS]


def _printed_n(shares: pd.DataFrame, min_cell: int,
               group_sizes: Mapping[str, float] | None) -> dict[tuple, int | str | None]:
    """(construct, wave) -> the number with both scores as printed
    (:func:`pipeline.disclosure.published_counts` over every n of the table together, beside
    the number who answered at each wave, ``group_sizes``: those with both scores are among
    the answerers at entry and at the wave, so "177" beside 178 who entered would give back
    the one person without a score; it is printed "169-177")."""
    sizes = {str(w): float(v) for w, v in (group_sizes or {}).items()}
    first = next(iter(sizes), None)
    firsts = shares.groupby(["construct", "wave"], sort=False)["n"].first()
    counts = {k: pd.to_numeric(v, errors="coerce") for k, v in firsts.items()}
    groups = {k: [sizes[w] for w in (first, str(k[1])) if w in sizes] for k in counts}
    return published_counts(counts, min_cell, shown=sizes.values(), groups=groups)


def _range(text: object) -> tuple[float, float] | None:
    """(lo, hi) of a printed range ("169-177"); None for an exact count or a mark."""
    m = re.fullmatch(r"(\d+)-(\d+)", str(text))
    return (float(m.group(1)), float(m.group(2))) if m else None


def public_rci_shares(shares: pd.DataFrame, min_cell: int,
                      group_sizes: Mapping[str, float] | None = None,
                      baseline_exact: Mapping[str, bool] | None = None) -> pd.DataFrame:
    """Funder copy of :func:`rci_shares`: no hidden count recoverable from the table, its
    shares, CIs or the sentences that quote the shown ones.

    Within a construct and wave, improved + unchanged + deteriorated = n, so a small
    count ("<10") needs a second hidden cell: "no reliable change" first, the least
    informative (``pipeline.disclosure.protect`` with ``prefer_hidden``), shown as the range
    the other numbers allow ("43-51"). The share and CI of any hidden count are "[c]" (a share
    or its CI times n gives the count back). "Meaningfully improved" (MID) is its own count
    with the same rule: its complement (n minus it, the people who did not improve by the
    MID) is a latent cell that must not be small either, so a count within ``min_cell`` of n
    is shown as a range too. n is printed by :func:`_printed_n` (``group_sizes``: wave -> the
    number who answered, as the flow prints it): "<10" when small, a range ("169-177") when
    it is within ``min_cell`` of a group size or another n. A range n is not known to
    readers: the cells are protected against its range and must not pin it (shown counts that
    add up to n would give it back, and with it the few people without a score: one more cell
    is then hidden), and the shares and CIs of shown counts are not published (even in whole
    per cent, 16 (26%) and 41 (66%) of "54-62" give n = 62 back). A plain message says why
    nothing is estimated.

    The SDs behind the criterion are statistics of groups of people too: ``sd_baseline`` and
    ``s_diff`` (``sd_baseline`` times sqrt(2(1 - reliability)), the reliability printed
    beside it) are "[c]" where the number with a score at entry is not printed exactly
    (``baseline_exact``: scale -> printed exactly in the public baseline table, which hides
    that SD itself; a construct it does not list is taken as not exact). An SD to ten digits
    of scores on a fixed grid (whole points, twelfths of a 4-item mean) admits one n only:
    an attack on a 40-person study read n = 37 of "30-38" from it, and so the 2 people
    without a score.
    """
    public = shares.copy()
    for c in ("n", "count", "share", "ci_lower", "ci_upper"):
        public[c] = public[c].astype(object)
    printed = _printed_n(shares, min_cell, group_sizes)
    for key, rows in shares.groupby(["construct", "wave"], sort=False):
        n_span = _range(printed.get(key))
        cats = rows[rows["category"].isin(SHARE_LABELS.values()) & rows["count"].notna()]
        n = float(rows["n"].iloc[0])
        ranged = n_span is not None
        limits = {"n": n_span} if ranged else None
        known = [] if ranged else ["n"]
        # the categories add up to n: hide a second cell when one is small, and (n a range)
        # when the shown ones would give n back
        values = {i: float(cats.at[i, "count"]) for i in cats.index} | {"n": n}
        eqs = [{"n": 1} | {i: -1 for i in cats.index}] if len(cats) > 1 else []
        prots = [(list(cats.index), protect(
            values, eqs, list(cats.index), min_cell, known=known if eqs else [],
            prefer_hidden=[i for i in cats.index if cats.at[i, "category"] ==
                           "no_reliable_change"],
            limits=limits if eqs else None, guard=["n"] if ranged and eqs else ()))]
        for i in rows.index[rows["category"].eq("mid_improved") & rows["count"].notna()]:
            # the people not meaningfully improved: never printed, but n - count gives them
            c = float(rows.at[i, "count"])
            prots.append(([i], protect({i: c, ("not", i): n - c, "n": n},
                                       [{"n": 1, i: -1, ("not", i): -1}], [i, ("not", i)],
                                       min_cell, known=known, limits=limits)))
        for cells, prot in prots:
            for i in cells:
                public.at[i, "count"] = prot.text(i)
                if prot.hidden(i) or ranged:
                    # a share (even whole per cent) or its CI of a range n pins n: counts only
                    public.loc[i, ["share", "ci_lower", "ci_upper"]] = SECONDARY_MARK
        public.loc[rows.index, "n"] = printed.get(key)
    if baseline_exact is not None:  # both SDs are the SD at entry's (s_diff = sd sqrt(2(1 - r)),
        # r printed beside it); a construct not listed (a listing's count) is not known exact
        hidden = ~shares["construct"].map(lambda k: baseline_exact.get(k, False)).astype(bool)
        for c in ("sd_baseline", "s_diff"):
            if c in public.columns:
                public[c] = public[c].astype(object)
                public.loc[hidden, c] = SECONDARY_MARK
    few = shares["flag"].eq("small_n")
    public.loc[few, "message"] = (f"fewer than {min_cell} people answered at both waves; "
                                  "reliable change is not estimated")
    return public
