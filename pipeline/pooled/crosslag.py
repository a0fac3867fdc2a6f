"""The cross-lag pooled across schemes: one multi-group model, schemes as groups.

The cross-lagged analysis named in ``pooled.crosslag`` (the same constructs in every study,
checked at start-up) is fitted to the stacked wide data of all schemes with the scheme as the
group (:func:`pipeline.sem.multigroup.fit_multigroup`), on the waves **every** scheme models
(``PooledSettings.crosslag_waves``; the waves left out are named in the sentence), twice:

* **free**: every path its own in each scheme;
* **equal**: the cross-lagged paths (construct A at t-1 -> construct B at t, A != B; one label
  per path and lag, ``cl_<from>_to_<to>_<wave>``) equal across schemes; autoregressive paths,
  intercepts and (co)variances stay free per scheme.

The likelihood-ratio test of equal against free (ML, lavaan ``lavTestLRT``) answers "do the
cross-lagged paths differ across schemes?"; beside it the robust Wald test of the same
hypothesis on the free model fitted under MLR (``lavTestWald``), as the studies' own cross-lags
use robust SEs, and the Satorra-Bentler (2001) scaled LR test of the two fits (``lavTestLRT`` of
MLR fits), the headline when it can be computed (:mod:`pipeline.pooled.scaled`; ``test``:
``lr_ml``, ``lr_scaled_mlr``, ``wald_mlr``; ``scaling_factor``, ``headline``). Models: the
CLPM (lavaan ``sem()``; needs 2 common waves) and the RI-CLPM (Hamaker, Kuiper & Grasman 2015;
Mulder & Hamaker 2021, lavaan ``lavaan()`` with ``int.ov.free = TRUE``; needs 3 common waves,
else a ``not_identified`` row with the reason), as each study's analysis configures them. Syntax
is built here from the crosslag settings (the crosslag wing's builders are its own;
``pipeline/sem/panel_syntax.py`` may take both later).
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import PipelineError
from pipeline.pooled.scaled import TEST_ORDER, mark_headline, scaled_row
from pipeline.status import Status

__all__ = ["clpm_syntax", "riclpm_syntax", "cross_labels", "cross_rows", "common_waves",
           "fit_pooled_crosslag", "run_crosslag", "MODEL_WORDS", "CROSSLAG_COLUMNS",
           "CROSSLAG_TEST_COLUMNS"]

CROSSLAG_COLUMNS = ["analysis", "model", "constraint", "group", "from", "to", "from_wave",
                    "to_wave", "type", "label", "est", "se", "pvalue", "ci_lower", "ci_upper"]
CROSSLAG_TEST_COLUMNS = ["analysis", "model", "test", "waves", "groups", "chisq_diff",
                         "df_diff", "pvalue", "scaling_factor", "headline", "status", "message"]
RICLPM_WAVES = 3


def _col(c: str, w: str) -> str:
    return f"{c}_{w}"


def _within(c: str, w: str) -> str:
    return f"w_{c}_{w}"


def cross_labels(constructs: list[str], waves: list[str]) -> list[str]:
    """One label per cross-lagged path and lag: ``cl_<from>_to_<to>_<wave>``."""
    return [f"cl_{s}_to_{d}_{cur}" for cur in waves[1:] for d in constructs for s in constructs
            if s != d]


def cross_rows(constructs: list[str], waves: list[str], model: str) -> list[str]:
    """The cross-lagged paths as parameter rows ("b_T1 ~ a_T0"), as :func:`cross_labels`."""
    name = _col if model == "clpm" else _within
    return [f"{name(d, cur)} ~ {name(s, prev)}" for prev, cur in zip(waves, waves[1:])
            for d in constructs for s in constructs if s != d]


def _lagged(constructs: list[str], waves: list[str], name) -> list[str]:
    lines = []
    for prev, cur in zip(waves, waves[1:]):
        for d in constructs:
            terms = [f"cl_{s}_to_{d}_{cur}*{name(s, prev)}" if s != d else name(s, prev)
                     for s in constructs]
            lines.append(f"{name(d, cur)} ~ " + " + ".join(terms))
    return lines


def clpm_syntax(constructs: list[str], waves: list[str]) -> str:
    """CLPM (lavaan ``sem()`` mode): each construct at t on every construct at t-1, cross-lags
    labelled per lag; wave-0 covariances and within-wave residual covariances."""
    lines = _lagged(constructs, waves, _col)
    for w in waves:
        lines += [f"{_col(a, w)} ~~ {_col(b, w)}" for i, a in enumerate(constructs)
                  for b in constructs[i + 1:]]
    return "\n".join(lines) + "\n"


def riclpm_syntax(constructs: list[str], waves: list[str]) -> str:
    """RI-CLPM (lavaan ``lavaan()`` mode, Mulder & Hamaker 2021): random intercepts, within
    components, lagged effects between them (cross-lags labelled per lag)."""
    lines = [f"RI_{c} =~ " + " + ".join(f"1*{_col(c, t)}" for t in waves) for c in constructs]
    lines += [f"{_within(c, t)} =~ 1*{_col(c, t)}" for c in constructs for t in waves]
    lines += _lagged(constructs, waves, _within)
    for t in waves:
        for j, a in enumerate(constructs):
            lines.append(f"{_within(a, t)} ~~ {_within(a, t)}")
            lines += [f"{_within(a, t)} ~~ {_within(b, t)}" for b in constructs[j + 1:]]
    for j, a in enumerate(constructs):
        lines += [f"RI_{a} ~~ RI_{a}"] + [f"RI_{a} ~~ RI_{b}" for b in constructs[j + 1:]]
    lines += [f"RI_{a} ~~ 0*{_within(b, waves[0])}" for a in constructs for b in constructs]
    return "\n".join(lines) + "\n"


def common_waves(waves: dict[str, list[str]]) -> tuple[list[str], dict[str, list[str]]]:
    """(the waves every study models, in the first study's order; per study the waves it
    models that are left out)."""
    first = next(iter(waves.values()))
    common = [w for w in first if all(w in ws for ws in waves.values())]
    return common, {n: [w for w in ws if w not in common] for n, ws in waves.items()}


def _data(frames: dict[str, pd.DataFrame], cols: list[str]) -> pd.DataFrame:
    data = pd.concat([f[cols].apply(pd.to_numeric, errors="coerce").assign(scheme=name)
                      for name, f in frames.items()], ignore_index=True)
    data["scheme"] = pd.Categorical(data["scheme"], categories=list(frames))
    return data


def _fail(row: dict, status: str, message: str) -> dict:
    return row | {"status": status, "message": message}


def fit_pooled_crosslag(frames: dict[str, pd.DataFrame], constructs: list[str],
                        waves: list[str], model: str, name: str
                        ) -> tuple[pd.DataFrame, list[dict]]:
    """(lagged-path rows of the free and equal fits, the LR, scaled LR and Wald test rows,
    headline marked) of one model over the schemes' wide frames. Not identified / failed fits
    are test rows with a reason."""
    base = {"analysis": name, "model": model, "waves": ";".join(waves), "groups": len(frames)}
    table, rows = _fit(frames, constructs, waves, model, name, base)
    return table, mark_headline(rows)


def _fit(frames, constructs, waves, model, name, base) -> tuple[pd.DataFrame, list[dict]]:
    """The fits and the three test rows (lr, scaled, wald), headline not yet marked."""
    from pipeline.sem.multigroup import fit_multigroup, lr_test_groups, wald_test_groups

    lr, wald = base | {"test": "lr_ml"}, base | {"test": "wald_mlr"}
    scaled = base | {"test": "lr_scaled_mlr"}
    need = RICLPM_WAVES if model == "riclpm" else 2
    why = ""
    if len(waves) < need:
        why = (f"{'an RI-CLPM' if model == 'riclpm' else 'a CLPM'} needs at least {need} "
               f"waves that every scheme has; the schemes share {len(waves)} "
               f"({', '.join(waves) or 'none'})")
    elif len(constructs) < 2:
        why = "cross-lagged paths need two or more constructs; the analysis has one"
    if why:
        return pd.DataFrame(columns=CROSSLAG_COLUMNS), [
            _fail(t, Status.NOT_IDENTIFIED.value, why) for t in (lr, scaled, wald)]
    syntax = (clpm_syntax if model == "clpm" else riclpm_syntax)(constructs, waves)
    mode = "sem" if model == "clpm" else "lavaan"
    data = _data(frames, [_col(c, w) for c in constructs for w in waves])
    labels = cross_labels(constructs, waves)
    try:
        free = fit_multigroup(syntax, data, "scheme", mode=mode, name=f"{model} (free)")
        equal = fit_multigroup(syntax, data, "scheme", mode=mode, group_equal=labels,
                               name=f"{model} (cross-lags equal)")
        bad = [r for r in (free, equal) if not r.ok]
        lr = _fail(lr, bad[0].status, bad[0].message) if bad else \
            lr | dict(lr_test_groups(equal, free)) | {"status": "ok", "message": ""}
        scaled = _fail(scaled, lr["status"], lr["message"]) if bad else \
            scaled | scaled_row(equal, free)
        robust = fit_multigroup(syntax, data, "scheme", mode=mode, estimator="MLR",
                                name=f"{model} (free, MLR)")
        if robust.ok:
            w = wald_test_groups(robust, cross_rows(constructs, waves, model))
            wald |= {"chisq_diff": w["chisq"], "df_diff": w["df"], "pvalue": w["pvalue"],
                     "status": "ok", "message": ""}
        else:
            wald = _fail(wald, robust.status, robust.message)
    except PipelineError as exc:
        return pd.DataFrame(columns=CROSSLAG_COLUMNS), [
            _fail(t, Status.NOT_ESTIMABLE.value, str(exc)) for t in (lr, scaled, wald)]
    rows = [_paths(r, constraint, constructs, waves, model)
            for constraint, r in (("free", free), ("equal", equal)) if r.ok]
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return (table.assign(analysis=name, model=model).reindex(columns=CROSSLAG_COLUMNS),
            [lr, scaled, wald])


def _paths(res, constraint: str, constructs: list[str], waves: list[str], model: str
           ) -> pd.DataFrame:
    """The lagged paths of a fit; in the equal fit a cross-lag once, for all schemes."""
    name = _col if model == "clpm" else _within
    where = {name(c, w): (c, w) for c in constructs for w in waves}
    est = res.estimates
    est = est[(est["op"] == "~") & est["lhs"].isin(where) & est["rhs"].isin(where)].copy()
    est[["to", "to_wave"]] = [where[v] for v in est["lhs"]]
    est[["from", "from_wave"]] = [where[v] for v in est["rhs"]]
    est["type"] = ["autoregressive" if a == b else "cross-lagged"
                   for a, b in zip(est["from"], est["to"])]
    if constraint == "equal":
        same = est["equal"].astype(bool)
        est = pd.concat([est[same].drop_duplicates(subset=["lhs", "rhs"]).assign(
            group="all schemes"), est[~same]])
    return est.assign(constraint=constraint)


MODEL_WORDS = {"clpm": "CLPM", "riclpm": "RI-CLPM"}


def run_crosslag(s, wides: dict[str, pd.DataFrame], labels: dict[str, str], io
                 ) -> tuple[list[dict], list[dict]]:
    """Fit every model of the pooled cross-lag, write ``pooled_crosslag.csv`` and
    ``pooled_crosslag_test.csv``; return (sentence rows, status rows)."""
    from pipeline.pooled.sentences import crosslag_sentence
    from pipeline.status import status_row
    from pipeline.tables import write_table

    constructs, waves = list(s.crosslag_constructs), list(s.crosslag_waves)
    cols = [_col(c, w) for c in constructs for w in waves]
    absent = {n: [c for c in cols if c not in wides[n]] for n in s.studies}
    absent = {n: c for n, c in absent.items() if c}
    tables, tests = [], []
    for model in s.crosslag_models:
        if absent:
            why = "; ".join(f"the clean data of {n} lack {', '.join(c)}" for n, c in
                            absent.items()) + " (rerun its clean rule)"
            tests += mark_headline([{"analysis": s.crosslag, "model": model, "test": t,
                                     "waves": ";".join(waves), "groups": len(s.studies),
                                     "status": Status.NOT_ESTIMABLE.value, "message": why}
                                    for t in TEST_ORDER])
            continue
        table, rows = fit_pooled_crosslag({n: wides[n] for n in s.studies}, constructs, waves,
                                          model, s.crosslag)
        tables.append(table)
        tests += rows
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    write_table(out.reindex(columns=CROSSLAG_COLUMNS), io.output("crosslag"))
    test_table = pd.DataFrame(tests).reindex(columns=CROSSLAG_TEST_COLUMNS)
    write_table(test_table, io.output("crosslag_test"))
    left = {n: ws for n, ws in s.crosslag_left_out if ws}
    sentences = []
    for model in s.crosslag_models:
        mine = [t for t in tests if t["model"] == model]
        sentences.append({"kind": "crosslag", "construct": "", "wave": model,
                          "status": mine[0]["status"], "sentence": crosslag_sentence(
                              mine, MODEL_WORDS[model],
                              [labels.get(c, c) for c in constructs], len(s.studies), waves,
                              left)})
    statuses = [status_row(f"crosslag/{s.crosslag}/{t['model']}", f"multigroup_{t['test']}",
                           t["status"], t["message"]) for t in tests if t["status"] != "ok"]
    return sentences, statuses
