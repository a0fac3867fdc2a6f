"""Individual change: reliable change index (Jacobson & Truax 1991) and minimal important change.

For participant i, construct s and follow-up t (with scores at baseline and at t)::

    RCI = (x_t - x_0) / S_diff,   S_diff = sqrt(2) * SD_0 * sqrt(1 - r_xx)

with SD_0 the sample SD (ddof=1) of everyone's baseline score and r_xx the scale's reliability
(Cronbach's alpha from the reliability table, or a configured test-retest reliability, e.g. for
the single-item EQ VAS). "Reliably improved" is |RCI| > criterion (1.96) in the scale's good
direction (``higher_is_better``; for loneliness lower is better). With a configured minimal
important difference (scale ``mid``), "meaningfully improved" is a change of at least ``mid``
points in the good direction. Shares carry Wilson (1927) score intervals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.stats.mixed import too_few_message
from pipeline.errors import DataError

log = logging.getLogger(__name__)

CATEGORIES = ("improved", "unchanged", "deteriorated")
SHARE_LABELS = {"improved": "reliably_improved", "unchanged": "no_reliable_change",
                "deteriorated": "reliably_deteriorated"}
INDIVIDUAL_COLUMNS = [
    "pid", "construct", "wave", "baseline", "followup", "diff", "rci", "category",
    "mid_improved",
]
SHARE_COLUMNS = [
    "analysis", "construct", "wave", "category", "count", "n", "share", "ci_lower", "ci_upper",
    "reliability", "reliability_source", "sd_baseline", "s_diff", "criterion", "mid", "flag",
    "status", "message",
]


def wilson_interval(count, n, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a proportion count/n (vectorised; NaN where n = 0)."""
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + conf / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def reliability_from_table(table: pd.DataFrame, wave: str) -> dict[str, float | None]:
    """Scale -> Cronbach's alpha at ``wave`` (the baseline) from the reliability table
    (``scale, wave, alpha, status``, written by the clean stage); None where not estimable."""
    need = {"scale", "wave", "alpha", "status"}
    if not need <= set(table.columns):
        raise DataError(
            f"reliability table lacks column(s) {sorted(need - set(table.columns))}; it should be "
            "results/tables/reliability.csv from the clean stage. Re-run the clean stage."
        )
    t = table[table["wave"] == wave]
    return {
        str(r.scale): (float(r.alpha) if r.status == "ok" and np.isfinite(r.alpha) else None)
        for r in t.itertuples()
    }


def resolve_reliability(
    scales: Sequence[str],
    alpha: Mapping[str, float | None] | None,
    configured: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per scale: reliability used, its source ("configured" | "alpha" | "") and why not.

    A configured value (e.g. EQ VAS test-retest) takes precedence over alpha. A reliability must
    lie strictly between 0 and 1; otherwise the scale's RCI is not estimable.
    """
    alpha = dict(alpha or {})
    configured = dict(configured or {})
    rows = []
    for s in scales:
        if configured.get(s) is not None:
            r, src = float(configured[s]), "configured"
        elif alpha.get(s) is not None and np.isfinite(alpha[s]):
            r, src = float(alpha[s]), "alpha"
        else:
            rows.append({"construct": s, "reliability": np.nan, "reliability_source": "",
                         "problem": f"no reliability for '{s}' (single-item scales have no alpha); "
                         f"set change.reliability.{s} to a published test-retest reliability to "
                         "classify reliable change"})
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
    mids: Mapping[str, float | None] | None = None,
    configured_reliability: Mapping[str, float] | None = None,
    criterion: float = 1.96,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per participant x construct x follow-up RCI and category, plus a per-scale info table.

    Returns ``(individual, info)``. ``individual`` holds only pairs with both scores; for a
    scale without a usable reliability ``rci``/``category`` are missing (the change and
    ``mid_improved`` are still given). ``info`` has ``construct, reliability,
    reliability_source, sd_baseline, s_diff, mid, higher_is_better, problem``.
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
    rel = resolve_reliability(scales, reliability, configured_reliability).set_index("construct")
    base, follow = wave_ids[0], wave_ids[1:]
    parts, info = [], []
    for s in scales:
        x = long.loc[long["wave"].isin(wave_ids)].pivot_table(
            index="pid", columns="wave", values=s, aggfunc="first"
        ).reindex(columns=wave_ids)
        sd0 = float(x[base].std(ddof=1)) if x[base].notna().sum() >= 2 else np.nan
        r = rel.loc[s, "reliability"]
        problem = rel.loc[s, "problem"]
        s_diff = np.sqrt(2) * sd0 * np.sqrt(1 - r) if not problem else np.nan
        if not problem and not (np.isfinite(s_diff) and s_diff > 0):
            problem = f"baseline SD of '{s}' is {sd0:.3g}; the RCI needs a positive baseline SD"
        if problem:
            log.warning("change/rci/%s: %s", s, problem)
            s_diff = np.nan
        sign = 1.0 if hib[s] else -1.0
        mid = mids.get(s)
        info.append({"construct": s, "reliability": r,
                     "reliability_source": rel.loc[s, "reliability_source"], "sd_baseline": sd0,
                     "s_diff": s_diff, "mid": mid if mid is not None else np.nan,
                     "higher_is_better": hib[s], "problem": problem})
        for w in follow:
            pair = x[[base, w]].dropna()
            diff = pair[w] - pair[base]
            rci = diff / s_diff
            good = sign * rci
            cat = np.where(good > criterion, "improved",
                           np.where(good < -criterion, "deteriorated", "unchanged"))
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
                      "flag": "small_n" if 0 < n < min_cell else ""}
            if n == 0:
                status, msg = "not_estimable", f"nobody has '{s}' at both {wave_ids[0]} and {w}"
            elif n < min_cell:
                status, msg = "not_estimable", too_few_message(
                    n, f"at both {base} and {w}", min_cell, "reliable change is not estimated")
            elif sc["problem"]:
                status, msg = "not_estimable", sc["problem"]
            else:
                status, msg = "ok", ""
            counts = sub["category"].value_counts()
            for cat in CATEGORIES:
                rows.append({**common, "category": SHARE_LABELS[cat],
                             "count": int(counts.get(cat, 0)) if status == "ok" else np.nan,
                             "status": status, "message": msg})
            if np.isfinite(sc["mid"]):
                ok = n >= max(min_cell, 1)
                rows.append({**common, "category": "mid_improved",
                             "count": int(sub["mid_improved"].sum()) if ok else np.nan,
                             "status": "ok" if ok else "not_estimable",
                             "message": "" if ok else msg if 0 < n else
                             f"nobody has '{s}' at both waves"})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    out["share"] = out["count"] / out["n"].where(out["n"] > 0)
    lo, hi = wilson_interval(out["count"], out["n"], conf)
    out["ci_lower"], out["ci_upper"] = lo, hi
    return out[SHARE_COLUMNS]


def rci_sentence(shares: pd.DataFrame, construct: str, wave: str, *, label: str,
                 wave_phrase: str, min_cell: int = 10) -> str:
    """Plain-language share of people with reliable change (Jacobson & Truax 1991) for one
    construct and follow-up, e.g. "Of the 177 people with community belonging scores at entry and
    at about 4 months, 10% (95% CI 6% to 15%) reliably improved and 4% (2% to 8%) reliably
    deteriorated." Counts below ``min_cell`` are not given as percentages ("fewer than 10"); when
    fewer than ``min_cell`` people have both scores (flag "small_n", whatever the status): "Too
    few people answered <wave> to describe individual change in X."."""
    rows = shares[(shares["construct"] == construct) & (shares["wave"] == wave)]
    name = label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label
    n_rows = pd.to_numeric(rows.get("n", pd.Series(dtype=float)), errors="coerce")
    flagged = rows.get("flag", pd.Series(dtype=object)).eq("small_n")
    if flagged.any() or ((n_rows > 0) & (n_rows < min_cell)).any():
        return f"Too few people answered {wave_phrase} to describe individual change in {name}."
    if rows.empty or (rows["status"] != "ok").all():
        msg = rows["message"].dropna().iloc[0] if len(rows) and rows["message"].notna().any() else ""
        reason = f" ({msg.rstrip('.')})" if msg else ""
        return (f"Reliable change in {name} {wave_phrase} could not be assessed{reason}.")
    by = rows.set_index("category")
    n = int(by["n"].iloc[0])
    if n < min_cell:
        return f"Too few people answered {wave_phrase} to describe individual change in {name}."

    def part(cat: str) -> str:
        if cat not in by.index:
            return "an unknown share"
        r = by.loc[cat]
        if 0 < int(r["count"]) < min_cell:
            return f"fewer than {min_cell} people"
        return (f"{100 * r['share']:.0f}% (95% CI {100 * r['ci_lower']:.0f}% to "
                f"{100 * r['ci_upper']:.0f}%)")

    return (f"Of the {n} people with {name} scores at entry and {wave_phrase}, "
            f"{part('reliably_improved')} reliably improved and "
            f"{part('reliably_deteriorated')} reliably deteriorated.")
