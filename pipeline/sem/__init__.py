"""Structural equation models by ML / FIML, held to lavaan (see docs in each module).

Public API: :func:`fit_sem`, :func:`lr_test`, :class:`SEMResult`.
Modules: ``syntax`` (lavaan syntax parser), ``partable`` (parameter table and defaults),
``ram`` (model matrices, implied moments, Jacobian), ``fiml`` (likelihood by missing-data
pattern), ``em_saturated`` (h1 model), ``estimate`` (start values, optimiser), ``information``
(observed / expected / sandwich), ``fit_measures``, ``standardize``, ``defined`` (``:=``), ``fit``,
``montecarlo`` (Monte Carlo CIs of defined parameters).
"""

from pipeline.sem.fit import fit_sem, lr_test
from pipeline.sem.result import SEMResult

__all__ = ["SEMResult", "fit_sem", "lr_test"]
