"""Change under the configured primary missing-data method, the other methods beside it.

One table (results/tables/change_primary.csv, :data:`PRIMARY_COLUMNS`) with a row per construct,
follow-up wave and method: the mean change from entry (wave minus the first wave) over everyone
who entered the programme. The method named by ``missing_data.primary`` is ``role = primary``;
the others (:mod:`pipeline.change.methods`) are ``role = sensitivity``. A primary row that cannot
be estimated says why and names the method that stands in (``stands_in``); it is never replaced
silently. A second table (change_primary_means.csv, :data:`MEANS_COLUMNS`) holds the wave means
of every method that has them (the change figure draws the primary method's).

Intervals. ``ci_lower``/``ci_upper``: the unadjusted ``conf`` interval (t on the method's df:
MI Barnard-Rubin, IPW and complete cases n - 1; z for FIML and the mixed model), labelled
``ci_label`` ("95% CI"). ``pvalue_adj``: Holm (1979) (or Bonferroni, ``change.p_adjust``)
over the contrasts of one construct and method. ``ci_lower_adj``/``ci_upper_adj``: Bonferroni
simultaneous intervals (level ``1 - (1 - conf) / K`` for K contrasts), labelled ``ci_label_adj``
("95% CI, Bonferroni-adjusted over 2 contrasts"); Holm's step-down test has no simple compatible
intervals (Strassburger & Bretz 2008, Stat Med 27:4914), so the adjusted CI is the Bonferroni one
and says so. ``ci_adjusted`` is true when the adjusted columns differ from the unadjusted ones.

Effect sizes (both in this analyst table; ``funder_effect_size`` names the one for funders):
``d = est / baseline_sd`` with ``baseline_sd`` the observed SD at entry (ddof 1), the same for
every method so d differs only as the estimates do (CI ``d_ci_*`` = unadjusted CI / SD, SD taken
as fixed); ``d_z = est / sd_change`` with the method's SD of individual change (FIML: model
implied; MI: mean over imputations; others: observed pairs) (Cohen 1988; Lakens 2013). Funders
get d by default: it is on the scale of how much people differ at entry, does not grow with the
correlation between waves and uses the primary estimate for all entrants (``change.
funder_effect_size``).

A wave answered by fewer than ``min_cell`` people has no estimate under any method (status
not_estimable, as in the rest of the wing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.change import methods as mth
from pipeline.change.messages import too_few_message
from pipeline.change.settings import ChangeSettings
from pipeline.config import Scale
from pipeline.stats.distributions import norm_ppf, norm_sf, t_ppf, t_sf
from pipeline.stats.emmeans import adjust_pvalues, ci_level_adjusted
from pipeline.status import Status

__all__ = ["PRIMARY_COLUMNS", "MEANS_COLUMNS", "ScaleUnits", "change_primary", "figure_means"]

PRIMARY_COLUMNS = [
    "construct", "wave", "contrast", "method", "role", "est", "se", "ci_lower", "ci_upper",
    "ci_level", "pvalue", "ci_adjusted", "ci_lower_adj", "ci_upper_adj", "pvalue_adj",
    "p_adjust", "n_contributing", "n_observed", "units", "scale_min", "scale_max",
    "baseline_sd", "d", "d_z", "status", "message",
    # beyond the findings contract
    "ci_label", "ci_label_adj", "df", "n_pairs", "d_ci_lower", "d_ci_upper", "sd_change",
    "funder_effect_size", "stands_in", "se_type", "auxiliaries",
]
MEANS_COLUMNS = ["construct", "wave", "method", "role", "est", "se", "ci_lower", "ci_upper",
                 "ci_level", "n_contributing", "n_observed", "units", "status", "message"]
OK, NOT_ESTIMABLE = Status.OK.value, Status.NOT_ESTIMABLE.value


@dataclass(frozen=True)
class ScaleUnits:
    """A construct's score range and units ("points on the 3–9 Loneliness (UCLA-3) sum score")."""

    label: str
    lo: float
    hi: float
    score: str  # "sum score" | "mean item score" | "score"
    #: the step person scores are multiples of, at most: 1 point for answers on whole points
    #: and their sums or means; 0.1 for an index (EQ-5D value sets: 3 decimals). A lookup
    #: score (a published table's values) is on no lattice; 1 point is taken for it too
    #: (:func:`pipeline.disclosure.hidden_size_mean`)
    unit: float = 1.0

    @classmethod
    def from_scale(cls, sc: Scale) -> ScaleUnits:
        """The score's range: a sum of k items spans k x the item range (UCLA-3: 3-9)."""
        lo, hi = sc.score_range
        k = len(sc.items)
        kind = "score" if k == 1 else ("sum score" if sc.score == "sum" else "mean item score")
        return cls(sc.label or sc.key, float(lo), float(hi), kind,
                   0.1 if sc.score == "index" else 1.0)

    @property
    def units(self) -> str:
        return f"points on the {self.lo:g}\u2013{self.hi:g} {self.label} {self.score}"


def _crit(conf: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    q = 0.5 + conf / 2
    return np.where(np.isfinite(df), t_ppf(q, np.where(np.isfinite(df), df, 1.0)),
                    norm_ppf(q))


def _intervals(t: pd.DataFrame, conf: float, p_adjust: str) -> pd.DataFrame:
    """Unadjusted CI and p; within construct x method the adjusted p and Bonferroni CIs."""
    est, se, df = (t[c].to_numpy(float) for c in ("est", "se", "df"))
    crit = _crit(conf, df)
    t["ci_lower"], t["ci_upper"] = est - crit * se, est + crit * se
    with np.errstate(divide="ignore", invalid="ignore"):
        zt = np.abs(est / se)
    t["pvalue"] = np.where(np.isfinite(df), 2 * t_sf(zt, np.where(np.isfinite(df), df, 1)),
                           2 * norm_sf(zt))
    t["ci_level"], t["p_adjust"] = conf, p_adjust
    t["ci_label"] = f"{conf:.0%} CI"
    for c in ("pvalue_adj", "ci_lower_adj", "ci_upper_adj"):
        t[c] = np.nan
    t["ci_adjusted"], t["ci_label_adj"] = False, t["ci_label"]
    ok = (t["status"] == OK) & (t["kind"] == "contrast")
    for _, idx in t[ok].groupby(["construct", "method"]).groups.items():
        k = len(idx)
        level = ci_level_adjusted(conf, k, p_adjust)
        c = _crit(level, t.loc[idx, "df"].to_numpy(float))
        t.loc[idx, "pvalue_adj"] = adjust_pvalues(t.loc[idx, "pvalue"].to_numpy(float), p_adjust)
        t.loc[idx, "ci_lower_adj"] = t.loc[idx, "est"] - c * t.loc[idx, "se"]
        t.loc[idx, "ci_upper_adj"] = t.loc[idx, "est"] + c * t.loc[idx, "se"]
        if level != conf:
            t.loc[idx, "ci_adjusted"] = True
            t.loc[idx, "ci_label_adj"] = f"{conf:.0%} CI, Bonferroni-adjusted over {k} contrasts"
    return t


def _withhold_small(t: pd.DataFrame, wide: pd.DataFrame, base: str, min_cell: int
                    ) -> pd.DataFrame:
    """Observed counts; no estimate for a wave answered by fewer than ``min_cell`` people."""
    col = t["construct"] + "_" + t["wave"]
    t["n_observed"] = [int(wide[c].notna().sum()) for c in col]
    t["n_pairs"] = [int((wide[c].notna() & wide[f"{k}_{base}"].notna()).sum())
                    for c, k in zip(col, t["construct"])]
    small = (t["n_observed"] < min_cell) & t["status"].isin([OK, NOT_ESTIMABLE])
    t.loc[small, "status"] = NOT_ESTIMABLE
    t.loc[small, "message"] = [too_few_message(n, f"at {w}", min_cell)
                               for n, w in zip(t.loc[small, "n_observed"], t.loc[small, "wave"])]
    bad = t["status"] != OK
    t.loc[bad, ["est", "se", "sd_change"]] = np.nan
    return t


def _stand_ins(t: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """For a primary row that is not ok: the first ok method (in ``order``) that stands in."""
    t["stands_in"] = ""
    for i in t.index[(t["role"] == "primary") & (t["status"] != OK)]:
        r = t.loc[i]
        same = t[(t["construct"] == r["construct"]) & (t["wave"] == r["wave"])
                 & (t["kind"] == r["kind"]) & (t["status"] == OK)]
        for m in order:
            if m in set(same["method"]):
                t.loc[i, "stands_in"] = m
                said = str(r["message"]).rstrip(".")
                t.loc[i, "message"] = (f"{said}; {m} stands in for the primary method "
                                       f"({r['method']})").lstrip("; ")
                break
    return t


def _raw_rows(construct: str, waves: Sequence[str], settings: ChangeSettings, *, frame,
              wide, covariates, scales, lmm, imputations, weights, min_cell) -> list[dict]:
    rows: list[dict] = []
    for m in settings.change_methods:
        if m == "fiml" and settings.auxiliary == "auto":
            continue  # one joint fit for every construct (see change_primary)
        if m == "fiml":
            aux = mth.auxiliaries_for(construct, scales, waves, covariates, settings.auxiliary,
                                      frame)
            rows += mth.fiml_rows(frame, construct, waves, aux, settings.fiml_se,
                                  settings.conf_level, min_obs=min_cell)
        elif m == "mi":
            named = ([f"{s}_{w}" for s in scales if s != construct for w in waves]
                     + list(covariates) if settings.auxiliary == "auto" else
                     [] if settings.auxiliary == "none" else list(settings.auxiliary))
            rows += mth.mi_rows(imputations, wide, construct, waves, auxiliaries=named)
        elif m == "ipw":
            rows += mth.ipw_rows(wide, weights, construct, waves)
        elif m == "complete_case":
            rows += mth.complete_case_rows(wide, construct, waves)
        elif m == "lmm":
            rows += mth.lmm_rows(lmm["means"], lmm["contrasts"], lmm["status"], wide, construct,
                                 waves)
    return rows


def change_primary(wide: pd.DataFrame, units: Mapping[str, ScaleUnits], waves: Sequence[str],
                   covariates: Mapping[str, str], settings: ChangeSettings,
                   lmm: Mapping[str, pd.DataFrame], *,
                   imputations=None,
                   weights: pd.DataFrame | None = None, min_cell: int = 10
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(change_primary table, wave-means table) for every construct of ``units``.

    ``wide``: one row per entrant (``pid``, covariates, ``<scale>_<wave>``); ``lmm``: the mixed
    model's tables (``means``, ``contrasts``, ``status`` of :func:`pipeline.change.analysis.
    change_tables`); ``imputations``: the completed data sets
    (:func:`pipeline.stage_io.read_imputed`, or stacked with ``_imp``); ``weights``: ``pid`` +
    ``ipw_<wave>``; ``covariates``: key -> type.
    """
    waves, scales = list(waves), list(units)
    frame = mth.model_frame(wide, covariates)
    rows = []
    if "fiml" in settings.change_methods and settings.auxiliary == "auto":
        cov_cols = mth.auxiliaries_for("", [], waves, covariates, "auto", frame)
        rows += mth.fiml_rows_joint(frame, scales, waves, cov_cols, settings.fiml_se,
                                    settings.conf_level, min_obs=min_cell)
    for k in scales:
        rows += _raw_rows(k, waves, settings, frame=frame, wide=wide, covariates=covariates,
                          scales=scales, lmm=lmm, imputations=imputations, weights=weights,
                          min_cell=min_cell)
    t = pd.DataFrame(rows, columns=mth.RAW_KEYS)
    t["role"] = np.where(t["method"] == settings.primary, "primary", "sensitivity")
    t = _withhold_small(t, wide, waves[0], min_cell)
    t = _intervals(t, settings.conf_level, settings.p_adjust)
    t = _stand_ins(t, settings.change_methods)
    t["units"] = t["construct"].map({k: u.units for k, u in units.items()})
    t["scale_min"] = t["construct"].map({k: u.lo for k, u in units.items()})
    t["scale_max"] = t["construct"].map({k: u.hi for k, u in units.items()})
    t["baseline_sd"] = t["construct"].map(
        {k: float(wide[f"{k}_{waves[0]}"].std(ddof=1)) for k in scales})
    t["d"] = t["est"] / t["baseline_sd"]
    t["d_ci_lower"] = t["ci_lower"] / t["baseline_sd"]
    t["d_ci_upper"] = t["ci_upper"] / t["baseline_sd"]
    t["d_z"] = t["est"] / t["sd_change"]
    t["contrast"] = t["wave"] + f" - {waves[0]}"
    t["funder_effect_size"] = settings.funder_effect_size
    t["se_type"] = np.where(t["method"] == "fiml", settings.fiml_se,
                            np.where(t["method"] == "lmm", "model", "standard"))
    order = {m: i for i, m in enumerate(settings.change_methods)}
    t = t.assign(_c=t["construct"].map({k: i for i, k in enumerate(scales)}),
                 _w=t["wave"].map({w: i for i, w in enumerate(waves)}),
                 _m=t["method"].map(order)).sort_values(["_c", "_w", "_m"], kind="stable")
    contrasts = t[t["kind"] == "contrast"].reset_index(drop=True)
    means = t[t["kind"] == "mean"].reset_index(drop=True)
    return contrasts[PRIMARY_COLUMNS], means[MEANS_COLUMNS]


_FIGURE_LABEL = {
    "fiml": "Mean (95% CI), all {n} entrants: full-information maximum likelihood\n"
            "with auxiliary variables (missing answers assumed missing at random)",
    "mi": "Mean (95% CI), all {n} entrants: multiple imputation\n"
          "(missing answers assumed missing at random)",
    "ipw": "Mean (95% CI) of the people who answered,\nweighted for who stayed in the study",
    "lmm": "Mixed-model mean (95% CI), everyone who took part\n(adjusted for age and gender)",
}


def figure_means(primary_means: pd.DataFrame, lmm_means: pd.DataFrame, construct: str,
                 order: Sequence[str]) -> tuple[pd.DataFrame, str, str]:
    """The change figure's table for ``construct``: the wave means of the first method in
    ``order`` (the primary first) with every mean estimated, plus the observed completers'
    means; ``n`` = people observed at the wave. Returns (table, method, legend label); a
    stand-in method says so in the label."""
    pm = primary_means[primary_means["construct"] == construct]
    have = [m for m in order if len(pm[pm["method"] == m])
            and pm.loc[pm["method"] == m, "status"].eq(OK).all()]
    method = have[0] if have else order[0]
    rows = pm[pm["method"] == method].assign(n=lambda d: d["n_observed"])
    lm = lmm_means[lmm_means["construct"] == construct]
    waves = lm.drop_duplicates("wave").set_index("wave")[["wave_index", "months"]]
    rows = rows.join(waves, on="wave")
    comp = lm[lm["method"] == "observed_completers"]
    table = pd.concat([rows, comp], ignore_index=True)[
        ["construct", "method", "wave", "wave_index", "months", "est", "ci_lower", "ci_upper",
         "n", "status", "message"]]
    n_all = pd.to_numeric(rows["n_contributing"], errors="coerce").max()
    label = _FIGURE_LABEL.get(method, method).format(n=int(n_all) if n_all == n_all else "")
    if method != order[0]:
        label += f"\n(stands in for {order[0]}, which could not be estimated)"
    return table, method, label
