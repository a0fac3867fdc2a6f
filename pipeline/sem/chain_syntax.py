"""The serial-mediation chain in lavaan syntax: a pure text builder (Hayes 2022, model 6).

Engine-level so that every wing builds the same chain: the mediation wing fits it by FIML to the
whole sample (:mod:`pipeline.mediation.lavaan`), the comparison wing by arm as a multi-group
model (:mod:`pipeline.comparison.chains`). Labels: a<j> (X -> M_j), d<j><i> (M_i -> M_j), b<j>
(M_j -> Y), cp (X -> Y), and ``:=`` definitions of every specific indirect effect
(ind_<mediators>, in PROCESS order: by first mediator, then length), the total indirect effect,
the total effect and all pairwise contrasts. Covariates enter every equation, as in PROCESS.
"""

from __future__ import annotations

from itertools import combinations, pairwise

__all__ = ["serial_paths", "path_label", "path_product", "chain_path_labels",
           "chain_lavaan_syntax"]


def serial_paths(k: int) -> list[tuple[int, ...]]:
    """Ordered subsets of mediators 0..k-1 in PROCESS order (first mediator, then length)."""
    out = []
    for first in range(k):
        for size in range(k - first):
            for rest in combinations(range(first + 1, k), size):
                out.append((first, *rest))
    return out


def path_label(path: tuple[int, ...]) -> str:
    """``ind_12`` for the path (0, 1)."""
    return "ind_" + "".join(str(i + 1) for i in path)


def path_product(path: tuple[int, ...]) -> str:
    """``a1*d21*b2`` for the path (0, 1)."""
    terms = [f"a{path[0] + 1}"]
    terms += [f"d{j + 1}{i + 1}" for i, j in pairwise(path)]
    terms.append(f"b{path[-1] + 1}")
    return "*".join(terms)


def chain_path_labels(k: int) -> list[str]:
    """The labels of the chain's paths with ``k`` mediators, in table order: a<j>, d<j><i>,
    b<j>, cp (what "the chain's paths are equal across groups" constrains)."""
    return ([f"a{j}" for j in range(1, k + 1)]
            + [f"d{j}{i}" for j in range(2, k + 1) for i in range(1, j)]
            + [f"b{j}" for j in range(1, k + 1)] + ["cp"])


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
