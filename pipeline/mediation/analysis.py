"""Every configured analysis by every configured method, side by side.

The three estimators share one interface (:class:`pipeline.mediation.estimator.MediationEstimator`);
this module builds them from the settings and stacks their tables and status rows, flagging
the primary method (``missing_data.primary``) in a ``primary`` column.
"""

from __future__ import annotations

import pandas as pd

from pipeline.mediation.complete_case import CompleteCaseBootstrap
from pipeline.mediation.estimator import MediationEstimator
from pipeline.mediation.fiml import FIMLMonteCarlo
from pipeline.mediation.mi import BootMI, ImputeFn, mice_imputer
from pipeline.mediation.settings import MediationSettings
from pipeline.stats.mice import mice

__all__ = ["estimators", "run_analyses"]


def estimators(settings: MediationSettings, seed: int, impute_fn: ImputeFn | None = None,
               processes: int = 1) -> dict[str, MediationEstimator]:
    """Method -> estimator, in the configured order. ``impute_fn`` (default: MICE with the
    study's imputation model) imputes the bootstrap samples of the ``mi`` method;
    ``processes`` (the rule's threads) run the FIML bootstrap (``fiml.se: bootstrap``)."""
    common = {"seed": seed, "conf": settings.bootstrap.conf, "min_df": settings.min_df,
              "warn_n": settings.warn_n}
    b, mi = settings.bootstrap, settings.mi
    if impute_fn is None:
        impute_fn = mice_imputer(mice, iterations=mi.iterations, method=mi.method,
                                 donors=mi.donors, ridge=mi.ridge)
    make = {
        "complete_case": lambda: CompleteCaseBootstrap(B=b.B, ci=b.ci, chunk_draws=b.chunk_draws,
                                                       **common),
        "mi": lambda: BootMI(B=mi.B, M=mi.M, impute_fn=impute_fn, **common),
        "fiml": lambda: FIMLMonteCarlo(mc_draws=settings.mc_draws, se=settings.fiml_se,
                                       bootstrap_B=settings.fiml_bootstrap_B,
                                       processes=processes, **common),
    }
    return {m: make[m]() for m in settings.methods}


def run_analyses(wide: pd.DataFrame, settings: MediationSettings, seed: int,
                 impute_fn: ImputeFn | None = None, processes: int = 1
                 ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Method -> stacked result tables, method -> stacked status rows (every analysis), each
    with a ``primary`` column (True for ``settings.primary``). ``processes``: worker processes
    of the FIML bootstrap (results do not depend on it)."""
    tables, statuses = {}, {}
    for method, est in estimators(settings, seed, impute_fn, processes).items():
        table, status = est.fit_all(wide, settings.analyses)
        tables[method] = table.assign(primary=(method == settings.primary))
        statuses[method] = status.assign(primary=(method == settings.primary))
    return tables, statuses
