"""The comparison's analysis frame: the programme indicator and the centred covariates.

From the clean wide table (one row per entrant) build the numeric columns every method uses:

* ``programme_arm``: 1 for the programme arm, 0 for the reference arm, NaN when unknown;
* each ``adjust_for`` covariate, centred at its mean over the entrants whose arm is known
  (categorical ones as 0/1 indicators ``<cov>_lvl<i>`` of their non-first levels, centred the
  same way). Centring makes each regression's intercept the reference arm's mean at the
  sample's average covariates, so the within-arm changes are read at the same covariates as
  the difference in change (which centring does not alter);
* auxiliary variables (Graham 2003) as in the change wing: every other scale at every wave
  plus every other covariate (``auto``), none, or the listed wide columns.

A group column whose values are not the two arms, or an arm nobody is in, is a DataError
naming the column and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import DataError

__all__ = ["ARM", "Design", "build_design"]

ARM = "programme_arm"


@dataclass(frozen=True)
class Design:
    """The frame and the names of its columns."""

    frame: pd.DataFrame
    reference: str
    programme: str
    covariates: tuple[str, ...]  # centred model covariates (the adjusted analyses)
    covariate_means: dict[str, float]
    auxiliaries: tuple[str, ...]  # auto auxiliaries besides the outcomes (FIML)
    dropped: int  # entrants without a known arm (not in any estimate)


def _levels(values: pd.Series, configured: Sequence[str] | None) -> list[str]:
    seen = sorted({str(v) for v in values.dropna()})
    if configured:
        return [lv for lv in configured if lv in seen] + [lv for lv in seen
                                                          if lv not in configured]
    return seen


def _arms(wide: pd.DataFrame, group: str, reference: str | None, programme: str | None,
          levels: Sequence[str] | None) -> tuple[str, str]:
    if group not in wide.columns:
        raise DataError(f"comparison: the group column '{group}' (comparison.group) is not in "
                        "the clean wide data; check covariates.<key> in the config.")
    seen = _levels(wide[group], levels)
    if len(seen) != 2:
        raise DataError(
            f"comparison: the group column '{group}' has {len(seen)} arm(s) in the data "
            f"({', '.join(seen) or 'none'}); the comparison needs exactly two. Check the arm "
            f"at entry, or merge levels with covariates.{group}.level_map.")
    ref = reference if reference is not None else seen[0]
    if ref not in seen:
        raise DataError(f"comparison: nobody is in the reference arm '{ref}' "
                        f"(comparison.reference); the arms in '{group}' are {', '.join(seen)}.")
    prog = programme if programme is not None else next(lv for lv in seen if lv != ref)
    return ref, prog


def _indicators(x: pd.Series, name: str, levels: Sequence[str] | None) -> dict[str, pd.Series]:
    lv = _levels(x, levels)
    text = x.astype(object).where(x.notna())
    return {f"{name}_lvl{i}": (text.astype(str) == v).astype(float).where(text.notna())
            for i, v in enumerate(lv[1:], start=2)}


def _expand(wide: pd.DataFrame, keys: Sequence[str], types: Mapping[str, str],
            levels: Mapping[str, Sequence[str] | None]) -> dict[str, pd.Series]:
    cols: dict[str, pd.Series] = {}
    for c in keys:
        if c not in wide.columns:
            continue
        if types.get(c, "numeric") == "numeric":
            cols[c] = pd.to_numeric(wide[c], errors="coerce").astype(float)
        else:
            cols.update(_indicators(wide[c], c, levels.get(c)))
    return cols


def build_design(wide: pd.DataFrame, *, group: str, reference: str | None,
                 programme: str | None, adjust_for: Sequence[str],
                 covariate_types: Mapping[str, str],
                 covariate_levels: Mapping[str, Sequence[str] | None],
                 scales: Sequence[str], waves: Sequence[str], outcomes: Sequence[str],
                 auxiliary: str | Sequence[str] = "auto",
                 centre: Mapping[str, float] | None = None) -> Design:
    """The frame of the entrants whose arm is known (``pid``, ``programme_arm``, centred
    covariates, every ``<scale>_<wave>`` and the auxiliary columns); see the module notes.
    ``centre``: the covariate means to centre at (default: this frame's own)."""
    ref, prog = _arms(wide, group, reference, programme, covariate_levels.get(group))
    arm = wide[group].astype(object).where(wide[group].notna()).astype(str)
    known = wide[group].notna() & arm.isin([ref, prog])
    w = wide.loc[known].reset_index(drop=True)
    frame = pd.DataFrame({"pid": w["pid"].to_numpy(),
                          ARM: (arm[known].to_numpy() == prog).astype(float)})
    covs = _expand(w, adjust_for, covariate_types, covariate_levels)
    means = {c: float(np.nanmean(v)) if v.notna().any() else 0.0 for c, v in covs.items()}
    if centre is not None:  # the observed data's means (a completed data set: MI)
        means = {c: float(centre.get(c, m)) for c, m in means.items()}
    for c, v in covs.items():
        frame[c] = (v - means[c]).to_numpy()
    for s in scales:
        for wv in waves:
            if f"{s}_{wv}" in w.columns:
                frame[f"{s}_{wv}"] = pd.to_numeric(w[f"{s}_{wv}"], errors="coerce").to_numpy()
    if auxiliary == "none":
        aux: list[str] = []
    elif auxiliary == "auto":
        others = [c for c in covariate_types if c != group and c not in adjust_for]
        extra = _expand(w, others, covariate_types, covariate_levels)
        for c, v in extra.items():
            frame[c] = v.to_numpy()
        aux = [f"{s}_{wv}" for s in scales if s not in outcomes for wv in waves
               if f"{s}_{wv}" in frame.columns] + list(extra)
    else:
        named = [a for a in auxiliary if a != group and a not in adjust_for]
        extra = _expand(w, [a for a in named if a in covariate_types], covariate_types,
                        covariate_levels)
        for c, v in extra.items():
            frame[c] = v.to_numpy()
        aux = [a for a in named if a in frame.columns and a not in covariate_types] + list(extra)
    return Design(frame, ref, prog, tuple(covs), means, tuple(dict.fromkeys(aux)),
                  int((~known).sum()))
