"""Who answered when: the STROBE participant flow and the response patterns.

Tables follow STROBE item 13 (numbers at each stage, reasons for non-participation). All counts
are raw here; funder-facing copies go through ``pipeline.attrition.public``.

Retention at wave ``w`` = ``responded_<w>`` in wide.parquet (one row per baseline participant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import DataError
from pipeline.wording import lower_first as in_sentence  # a label inside a sentence

__all__ = ["in_sentence", "EXCLUSION_REASONS", "responded", "pct", "participant_flow",
           "pattern_summary", "pattern_waves", "merged_patterns"]

# qc_log ``issue`` text -> exclusion reason (lower-cased substring match, first hit wins).
# The reasons of real exports (row filters, rows without answers) get a column only when some wave
# has them, so a study without them keeps its flow table as it was.
OPTIONAL_REASONS = ("by_rule", "no_answers")
# Rows of a long file that no wave takes (REDCap events or repeat instances no wave uses): logged
# once by the first wave reading the file, but not responses to it, so not exclusions of anyone
# (the same prefixes as pipeline.clean.link.FILE_LEVEL_ISSUES; data_quality.csv counts them).
FILE_LEVEL_ISSUES = ("event not used (", "instance not used (", "row not used (",
                     "empty row in a long file")
EXCLUSION_REASONS: dict[str, tuple[str, ...]] = {
    "by_rule": ("excluded by rule",),  # before "duplicate": a rule's text may contain any word
    "no_answers": ("no answers",),
    "duplicate": ("duplicate",),
    "missing_id": ("missing id", "missing_id", "no id", "empty id", "blank id", "id missing"),
    "not_in_baseline": ("not in baseline", "not_in_baseline", "unmatched", "not seen at baseline",
                        "no baseline"),
}



def responded(wide: pd.DataFrame, wave: str) -> pd.Series:
    """Boolean ``responded_<wave>`` column; DataError when it is absent."""
    col = f"responded_{wave}"
    if col not in wide.columns:
        raise DataError(
            f"wide data: column '{col}' is missing, so response at wave {wave} is unknown. "
            "Re-run the clean stage, or check that the wave id matches config 'waves'."
        )
    return wide[col].fillna(False).astype(bool)


def pct(num, den) -> float:
    """``100 * num / den``; NaN when ``den`` is 0."""
    return float(100.0 * num / den) if den else float("nan")


def _reason(issue: Any) -> str:
    text = str(issue).lower()
    for reason, keys in EXCLUSION_REASONS.items():
        if any(k in text for k in keys):
            return reason
    return "other"


def _exclusions(qc_log: pd.DataFrame | None, wave_ids: Sequence[str]) -> pd.DataFrame:
    """Rows dropped by cleaning, by wave (index) and reason (columns)."""
    log = qc_log if qc_log is not None else pd.DataFrame(columns=["wave", "issue", "action"])
    for col in ("wave", "issue", "action"):
        if col not in log.columns:
            raise DataError(f"qc_log: column '{col}' is missing. Re-run the clean stage.")
    file_level = log["issue"].astype(str).str.startswith(FILE_LEVEL_ISSUES)
    drops = log.loc[(log["action"] == "row_dropped") & ~file_level, ["wave", "issue"]].copy()
    drops["reason"] = drops["issue"].map(_reason)
    present = set(drops["reason"])
    reasons = [r for r in EXCLUSION_REASONS
               if r not in OPTIONAL_REASONS or r in present] + ["other"]
    if not len(drops):
        return pd.DataFrame(0, index=list(wave_ids), columns=reasons)
    return drops.groupby(["wave", "reason"]).size().unstack(fill_value=0).reindex(
        index=list(wave_ids), columns=reasons, fill_value=0)


def participant_flow(
    wide: pd.DataFrame,
    qc_log: pd.DataFrame | None,
    wave_ids: Sequence[str],
    wave_labels: Sequence[str] | Mapping[str, str] | None = None,
    *,
    long: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """STROBE item-13 style flow: one row per wave.

    Columns: ``wave, label, responded`` (rows for the wave in ``long`` if given, else baseline
    participants who responded), ``retained`` (responded and in baseline), ``pct_baseline``,
    ``lost_since_previous`` (retained at the previous wave, not at this one), ``rejoined``
    (not at the previous wave, back at this one), and ``excluded_<reason>`` counts of raw rows
    dropped by cleaning (qc_log ``action == "row_dropped"``; reason from the ``issue`` text:
    duplicate, missing_id, not_in_baseline, other, and by_rule / no_answers when present — see
    ``EXCLUSION_REASONS``; rows of a long file no wave takes are not exclusions).
    """
    if isinstance(wave_labels, Mapping):
        labels = [wave_labels.get(w, w) for w in wave_ids]
    else:
        labels = list(wave_labels) if wave_labels is not None else list(wave_ids)
    n0 = len(wide)
    excl = _exclusions(qc_log, wave_ids)
    rows = []
    prev = None
    for i, w in enumerate(wave_ids):
        # everyone in wide is a baseline participant
        r = responded(wide, w) if i > 0 else pd.Series(True, index=wide.index)
        n_resp = (int(long.loc[long["wave"] == w, "pid"].nunique()) if long is not None
                  else int(r.sum()))
        rows.append({
            "wave": w, "label": labels[i], "responded": n_resp, "retained": int(r.sum()),
            "pct_baseline": pct(r.sum(), n0),
            "lost_since_previous": int((prev & ~r).sum()) if prev is not None else np.nan,
            "rejoined": int((~prev & r).sum()) if prev is not None else np.nan,
            **{f"excluded_{k}": int(excl.loc[w, k]) for k in excl.columns},
        })
        prev = r
    out = pd.DataFrame(rows)
    for c in ("lost_since_previous", "rejoined"):
        out[c] = out[c].astype("Int64")
    return out


def pattern_summary(wide: pd.DataFrame, wave_ids: Sequence[str]) -> pd.DataFrame:
    """Which combinations of waves people answered: ``pattern, waves_answered, n, pct``.

    Every combination that includes the baseline wave is listed (zeros included), e.g.
    "T0 only", "T0+T1", "T0+T2", "T0+T1+T2"; percentages are of baseline participants.
    """
    base, follow = wave_ids[0], list(wave_ids[1:])
    flags = pd.DataFrame({w: responded(wide, w) for w in follow}, index=wide.index)
    combos = [c for k in range(len(follow) + 1) for c in combinations(follow, k)]
    rows = []
    for c in combos:
        hit = np.ones(len(wide), dtype=bool)
        for w in follow:
            hit &= flags[w].to_numpy() == (w in c)
        name = f"{base} only" if not c else "+".join([base, *c])
        rows.append({"pattern": name, "waves_answered": 1 + len(c), "n": int(hit.sum()),
                     "pct": pct(hit.sum(), len(wide))})
    return pd.DataFrame(rows)


def pattern_waves(pattern: str) -> list[str]:
    """'T0+T2' -> ['T0', 'T2']; 'T0 only' -> ['T0'] (names from :func:`pattern_summary`)."""
    return pattern.replace(" only", "").split("+")


def merged_patterns(
    patterns: pd.DataFrame,
    wave_ids: Sequence[str],
    wave_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Response patterns merged into the categories a funder reads (and small counts hide in).

    "Answered every wave"; "Dropped out after <wave>" for each wave but the last (answered
    every wave up to it and none after: monotone dropout); "Missed a wave, came back later"
    (every other pattern). Columns ``category, label, n, pct, members`` (``members``: the
    :func:`pattern_summary` patterns in the category, ';'-separated); percentages are of
    baseline participants. Categories with no member pattern (none, for two or more waves)
    are left out.
    """
    waves = list(wave_ids)
    labels = dict(wave_labels or {})
    members: dict[str, list[str]] = {"completed_all": []}
    members |= {f"dropped_after_{w}": [] for w in reversed(waves[:-1])}
    members["other"] = []
    for p in patterns["pattern"]:
        got = pattern_waves(p)
        if got == waves:
            members["completed_all"].append(p)
        elif got == waves[:len(got)]:
            members[f"dropped_after_{got[-1]}"].append(p)
        else:
            members["other"].append(p)
    n = patterns.set_index("pattern")["n"]
    total = float(n.sum())
    rows = []
    for cat, ms in members.items():
        if not ms:
            continue
        if cat == "completed_all":
            label = "Answered every wave"
        elif cat == "other":
            label = "Missed a wave, came back later"
        else:
            w = cat.removeprefix("dropped_after_")
            lab = labels.get(w, w)
            label = f"Dropped out after {in_sentence(lab)}" if lab != w else \
                f"Dropped out after {w}"
        k = int(n[ms].sum())
        rows.append({"category": cat, "label": label, "n": k, "pct": pct(k, total),
                     "members": ";".join(ms)})
    return pd.DataFrame(rows, columns=["category", "label", "n", "pct", "members"])
