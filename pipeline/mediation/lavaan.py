"""The serial-mediation model in lavaan syntax, for the FIML engine (``pipeline.sem.fit_sem``).

The chain's syntax is built by :func:`pipeline.sem.chain_syntax.chain_lavaan_syntax`
(engine-level, shared with the comparison wing's by-arm chains; re-exported here). Labels follow
the results table: a<j> (X -> M_j), d<j><i> (M_i -> M_j), b<j> (M_j -> Y), cp (X -> Y), and
``:=`` definitions of every specific indirect effect (ind_<mediators>), the total indirect
effect, the total effect and all pairwise contrasts (Hayes 2022, model 6). Covariates enter
every equation, as in PROCESS.
"""

from __future__ import annotations

from pipeline.mediation.frame import covariate_names
from pipeline.mediation.spec import MediationSpec
from pipeline.sem.chain_syntax import chain_lavaan_syntax

__all__ = ["chain_lavaan_syntax", "mediation_lavaan_syntax"]


def mediation_lavaan_syntax(spec: MediationSpec) -> str:
    """lavaan syntax of an analysis, with the variable names of its analysis frame
    (:func:`pipeline.mediation.frame.derive_frame`)."""
    return chain_lavaan_syntax(spec.x.column, [m.column for m in spec.mediators], spec.y.column,
                               covariate_names(spec))
