"""The mediation chain pooled across schemes: one multi-group FIML model, schemes as groups.

The chain named in ``pooled.mediation`` (configured alike in every study, checked at start-up)
is fitted to the stacked wide data of all schemes with the scheme as the group
(:func:`pipeline.sem.multigroup.fit_multigroup`, lavaan's ``sem(..., group = "scheme",
missing = "ml", fixed.x = FALSE)``), twice:

* **free**: every path (a, d, b, c') its own in each scheme;
* **equal**: the chain's paths (a, d, b, c') equal across schemes (their labels in
  ``group_equal``: lavaan's ``group.equal`` with labels, ``c(a1, a1, a1)*x``); the
  covariates' coefficients, intercepts and (co)variances stay free per scheme. Equal
  ``"regressions"`` would also force the covariates' effects (age, the baseline levels) to be
  the same everywhere, so the test would answer another question than "do the chain's paths
  differ?".

The likelihood-ratio test of equal against free (``lavTestLRT``) answers "do the paths differ
across schemes?"; the equal-paths model gives the pooled paths and the pooled indirect effects
(``:=`` products of equal paths are the same in every group). ML estimation (the LR test is
then the plain chi-square difference). Beside it, because the studies' own FIML uses robust
(MLR) standard errors, the robust Wald test of the same hypothesis: the free model fitted under
MLR and ``lavTestWald`` of "each path equal in every scheme" with the sandwich covariance
(:func:`pipeline.sem.multigroup.wald_test_groups`); it does not assume normal data, the LR test
does. And the Satorra-Bentler (2001) scaled LR test of the same two fits (lavaan ``lavTestLRT``
of MLR fits; :mod:`pipeline.pooled.scaled`), robust to non-normal data too: the headline when
it can be computed, else the robust Wald test. ``pooled_mediation_test.csv`` has one row per
test (``test``: ``lr_ml``, ``lr_scaled_mlr``, ``wald_mlr``; ``scaling_factor``: the scaled
test's ``cd``; ``headline``: the row the sentence leads with).

The variables are built as the mediation wing builds them (a change score is the later wave
minus the earlier; a categorical covariate one 0/1 indicator per non-reference level; with
``adjust_baseline`` each chain variable's baseline level is a covariate), from the spec the
mediation wing's settings give.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.pooled.scaled import TEST_NAMES, mark_headline, scaled_row
from pipeline.status import Status, status_row
from pipeline.tables import write_table
from pipeline.wording import fmt_ci, fmt_num

__all__ = ["chain_labels", "chain_syntax", "chain_rows", "chain_frame", "fit_pooled_chain",
           "robust_wald", "run_mediation", "MEDIATION_COLUMNS", "TEST_COLUMNS", "TEST_NAMES"]

MEDIATION_COLUMNS = ["model", "group", "lhs", "op", "rhs", "label", "est", "se", "z", "pvalue",
                     "ci_lower", "ci_upper"]
TEST_COLUMNS = ["analysis", "test", "groups", "chisq_diff", "df_diff", "pvalue",
                "scaling_factor", "headline", "status", "message"]


def _paths(k: int) -> list[tuple[int, ...]]:
    """Every serial path through the mediators 1..k (non-empty ordered subsets)."""
    return [c for r in range(1, k + 1) for c in combinations(range(1, k + 1), r)]


def chain_labels(k: int) -> list[str]:
    """The labels of the chain's paths: a<j>, d<j><i>, b<j> and cp."""
    return ([f"a{j}" for j in range(1, k + 1)]
            + [f"d{j}{i}" for j in range(2, k + 1) for i in range(1, j)]
            + [f"b{j}" for j in range(1, k + 1)] + ["cp"])


def chain_syntax(x: str, mediators: list[str], y: str, covariates: list[str]) -> str:
    """lavaan syntax of X -> M1 -> ... -> Mk -> Y with labels a<j>, d<j><i>, b<j>, cp and the
    specific indirect effects ``ind_<j...>``, ``ind_total`` and ``total`` as ``:=``."""
    lines = []
    for j, m in enumerate(mediators, 1):
        rhs = [f"a{j}*{x}"] + [f"d{j}{i}*{mediators[i - 1]}" for i in range(1, j)] + covariates
        lines.append(f"{m} ~ " + " + ".join(rhs))
    rhs = [f"cp*{x}"] + [f"b{j}*{m}" for j, m in enumerate(mediators, 1)] + covariates
    lines.append(f"{y} ~ " + " + ".join(rhs))
    names = []
    for p in _paths(len(mediators)):
        terms = [f"a{p[0]}"] + [f"d{p[i + 1]}{p[i]}" for i in range(len(p) - 1)] + [f"b{p[-1]}"]
        names.append("ind_" + "".join(map(str, p)))
        lines.append(f"{names[-1]} := " + "*".join(terms))
    lines.append("ind_total := " + " + ".join(names))
    lines.append("total := cp + ind_total")
    return "\n".join(lines) + "\n"


def chain_rows(x: str, mediators: list[str], y: str) -> list[str]:
    """The chain's paths as parameter rows ("m1 ~ x", "m2 ~ m1", "y ~ m2", ...), in the order
    of :func:`chain_labels`."""
    k = len(mediators)
    return ([f"{m} ~ {x}" for m in mediators]
            + [f"{mediators[j - 1]} ~ {mediators[i - 1]}" for j in range(2, k + 1)
               for i in range(1, j)]
            + [f"{y} ~ {m}" for m in mediators] + [f"{y} ~ {x}"])


def _value(wide: pd.DataFrame, b) -> pd.Series:
    cols = [pd.to_numeric(wide[c], errors="coerce") for c in b.source_columns]
    return cols[1] - cols[0] if b.change else cols[0]


def chain_frame(wide: pd.DataFrame, spec) -> tuple[pd.DataFrame, list[str]]:
    """(numeric frame of the chain's variables, the covariate names) for one scheme."""
    out: dict[str, pd.Series] = {spec.x.column: _value(wide, spec.x)}
    covs: list[str] = []
    for key in spec.covariates:
        col = wide[spec.covariate_columns.get(key, key)]
        if key in spec.categorical:
            levels = list(spec.categorical[key])
            for lv in levels[1:]:
                name = f"{key}_{''.join(ch if ch.isalnum() else '_' for ch in lv)}"
                out[name] = (col.astype(str) == lv).astype(float).where(col.notna())
                covs.append(name)
        else:
            out[key] = pd.to_numeric(col, errors="coerce")
            covs.append(key)
    for b in (*spec.scale_covariates, *spec.baseline_bindings):
        out[b.column] = _value(wide, b)
        covs.append(b.column)
    for b in (*spec.mediators, spec.y):
        out[b.column] = _value(wide, b)
    return pd.DataFrame(out, index=wide.index).astype(float), covs


def fit_pooled_chain(frames: dict[str, pd.DataFrame], spec, covs: list[str]):
    """(free fit, equal-paths fit, LR test dict) of the chain over the schemes' frames."""
    from pipeline.sem.multigroup import fit_multigroup, lr_test_groups

    data = pd.concat([f.assign(scheme=name) for name, f in frames.items()], ignore_index=True)
    data["scheme"] = pd.Categorical(data["scheme"], categories=list(frames))
    # drop covariate indicators that do not vary within every scheme (not estimable there)
    keep = [c for c in covs if all(f[c].nunique(dropna=True) > 1 for f in frames.values())]
    syntax = chain_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column, keep)
    data = data.drop(columns=[c for c in covs if c not in keep])
    free = fit_multigroup(syntax, data, "scheme", name=f"{spec.name} (free paths)")
    equal = fit_multigroup(syntax, data, "scheme", group_equal=chain_labels(len(spec.mediators)),
                           name=f"{spec.name} (equal paths)")
    test = None
    if free.ok and equal.ok:
        test = lr_test_groups(equal, free)
    return free, equal, test


def robust_wald(frames: dict[str, pd.DataFrame], spec, covs: list[str]) -> dict:
    """The robust Wald test that the chain's paths are equal across schemes: the free model
    under MLR, ``lavTestWald`` of every path equal in every scheme. A row of
    ``pooled_mediation_test.csv`` (``test = wald_mlr``); a failed fit gives its status."""
    from pipeline.sem.multigroup import fit_multigroup, wald_test_groups

    data = pd.concat([f.assign(scheme=name) for name, f in frames.items()], ignore_index=True)
    data["scheme"] = pd.Categorical(data["scheme"], categories=list(frames))
    keep = [c for c in covs if all(f[c].nunique(dropna=True) > 1 for f in frames.values())]
    meds = [m.column for m in spec.mediators]
    syntax = chain_syntax(spec.x.column, meds, spec.y.column, keep)
    data = data.drop(columns=[c for c in covs if c not in keep])
    row = {"test": "wald_mlr"}
    try:
        fit = fit_multigroup(syntax, data, "scheme", estimator="MLR",
                             name=f"{spec.name} (free paths, MLR)")
        if not fit.ok:
            return row | {"status": fit.status, "message": fit.message}
        w = wald_test_groups(fit, chain_rows(spec.x.column, meds, spec.y.column))
    except PipelineError as exc:
        return row | {"status": Status.NOT_ESTIMABLE.value, "message": str(exc)}
    return row | {"chisq_diff": w["chisq"], "df_diff": w["df"], "pvalue": w["pvalue"],
                  "status": "ok", "message": ""}


def _estimates(free, equal) -> pd.DataFrame:
    parts = []
    for model, res in (("free", free), ("equal", equal)):
        if not res.ok:
            continue
        est = res.estimates[res.estimates["op"].isin(["~", ":="])].copy()
        if model == "equal":  # equal paths and their products: one pooled row each
            same = (est["op"] == ":=") | est["equal"].astype(bool)
            pooled = est[same].drop_duplicates(subset=["lhs", "op", "rhs"])
            est = pd.concat([pooled.assign(group="all schemes"), est[~same]])
        parts.append(est.assign(model=model))
    if not parts:
        return pd.DataFrame(columns=MEDIATION_COLUMNS)
    return pd.concat(parts, ignore_index=True)[MEDIATION_COLUMNS]


def run_mediation(prog, s, wides: dict[str, pd.DataFrame], io) -> tuple[list[dict], list[dict]]:
    """Fit, write ``pooled_mediation.csv`` and ``pooled_mediation_test.csv``; return (sentence
    rows, status rows)."""
    from pipeline.pooled.sentences import mediation_sentence

    specs = {n: next(a for a in mediation_settings(c).analyses if a.name == s.mediation)
             for n, c in prog.configs.items()}
    spec = specs[s.studies[0]]
    frames, covs = {}, []
    for n in s.studies:
        frames[n], covs = chain_frame(wides[n], specs[n])
    statuses, test_row = [], {"analysis": s.mediation, "test": "lr_ml", "groups": len(frames)}
    try:
        free, equal, test = fit_pooled_chain(frames, spec, covs)
    except PipelineError as exc:
        free = equal = test = None
        test_row |= {"status": Status.NOT_ESTIMABLE.value, "message": str(exc)}
    if free is not None:
        bad = [r for r in (free, equal) if not r.ok]
        test_row |= ({"status": "ok", "message": ""} | dict(test) if test is not None else
                     {"status": bad[0].status, "message": bad[0].message})
    if test_row["status"] != "ok":
        statuses.append(status_row(f"mediation/{s.mediation}", "multigroup_fiml",
                                   test_row["status"], test_row["message"]))
    est = _estimates(free, equal) if free is not None else pd.DataFrame(
        columns=MEDIATION_COLUMNS)
    write_table(est, io.output("mediation"))
    wald = {"analysis": s.mediation, "groups": len(frames)} | robust_wald(frames, spec, covs)
    if wald["status"] != "ok":
        statuses.append(status_row(f"mediation/{s.mediation}", "multigroup_fiml_mlr_wald",
                                   wald["status"], wald["message"]))
    scaled = {"analysis": s.mediation, "test": "lr_scaled_mlr", "groups": len(frames)} | (
        scaled_row(equal, free) if test_row["status"] == "ok" else
        {"status": test_row["status"], "message": test_row["message"]})
    if scaled["status"] != "ok" and test_row["status"] == "ok":
        statuses.append(status_row(f"mediation/{s.mediation}", "multigroup_fiml_mlr_scaled",
                                   scaled["status"], scaled["message"]))
    tests = mark_headline([test_row, scaled, wald])
    write_table(pd.DataFrame(tests).reindex(columns=TEST_COLUMNS), io.output("mediation_test"))
    label = spec.label or s.mediation
    sentence = mediation_sentence(tests, label, len(frames))
    pooled = est[(est["model"] == "equal") & (est["lhs"] == "ind_total")]
    if len(pooled) and np.isfinite(pooled["est"].iloc[0]):
        r = pooled.iloc[0]
        head = next(t for t in tests if t["headline"])
        differ = head.get("status") == "ok" and float(head["pvalue"]) < 0.05
        sentence += (f" With the paths held equal, the pooled total indirect effect was "
                     f"{fmt_num(r['est'], 3)} ({fmt_ci(r['ci_lower'], r['ci_upper'], 3)})"
                     + ("; since the paths differ, this average hides the schemes' differences"
                        if differ else "") + ".")
    return ([{"kind": "mediation", "construct": "", "wave": "", "status": test_row["status"],
              "sentence": sentence}], statuses)
