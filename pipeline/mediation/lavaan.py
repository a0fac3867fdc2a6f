"""The serial-mediation model in lavaan syntax, for the FIML engine (``pipeline.sem.fit_sem``).

Labels follow the results table: a<j> (X -> M_j), d<j><i> (M_i -> M_j), b<j> (M_j -> Y), cp
(X -> Y), and ``:=`` definitions of every specific indirect effect (ind_<mediators>), the total
indirect effect, the total effect and all pairwise contrasts (Hayes 2022, model 6). Covariates
enter every equation, as in PROCESS.
"""

from __future__ import annotations

from itertools import combinations

from pipeline.mediation.effects import path_label, path_product, serial_paths
from pipeline.mediation.frame import covariate_names
from pipeline.mediation.spec import MediationSpec


def chain_lavaan_syntax(x: str, mediators: list[str] | tuple[str, ...], y: str,
                        covariates: list[str] | tuple[str, ...] = ()) -> str:
    """lavaan model syntax of the chain X -> M1 -> ... -> Mk -> Y with labelled paths."""
    k = len(mediators)
    covs = list(covariates)
    lines = []
    for j, m in enumerate(mediators):
        rhs = [f"a{j + 1}*{x}"] + [f"d{j + 1}{i + 1}*{mediators[i]}" for i in range(j)] + covs
        lines.append(f"{m} ~ " + " + ".join(rhs))
    rhs = [f"cp*{x}"] + [f"b{j + 1}*{m}" for j, m in enumerate(mediators)] + covs
    lines.append(f"{y} ~ " + " + ".join(rhs))
    paths = serial_paths(k)
    lines += [f"{path_label(p)} := {path_product(p)}" for p in paths]
    lines.append("ind_total := " + " + ".join(path_label(p) for p in paths))
    lines.append("total := cp + ind_total")
    for p1, p2 in combinations(paths, 2):
        lines.append(f"con_{path_label(p1)[4:]}_{path_label(p2)[4:]} := "
                     f"{path_label(p1)} - {path_label(p2)}")
    return "\n".join(lines) + "\n"


def mediation_lavaan_syntax(spec: MediationSpec) -> str:
    """lavaan syntax of an analysis, with the variable names of its analysis frame
    (:func:`pipeline.mediation.frame.derive_frame`)."""
    return chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                               covariate_names(spec))
