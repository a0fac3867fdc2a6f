"""Serial mediation (PROCESS models 4 and 6; Hayes 2022): settings and specs from the config,
closed-form OLS, vectorised bootstrap (percentile / BCa), bootstrap-then-impute MI and FIML (SEM
engine) behind one estimator interface, lavaan syntax, sentences and figures."""

import importlib

_WHERE = {
    "estimators": "analysis", "run_analyses": "analysis", "IndexPlan": "bootstrap",
    "ResamplePlan": "bootstrap", "CompleteCaseBootstrap": "complete_case",
    "fit_chain": "complete_case", "MediationEstimator": "estimator",
    "MediationResult": "estimator", "FIMLMonteCarlo": "fiml",
    "chain_lavaan_syntax": "lavaan", "mediation_lavaan_syntax": "lavaan", "BootMI": "mi",
    "mice_imputer": "mi", "describe_mediation": "sentences", "Binding": "spec",
    "MediationSpec": "spec", "build_specs": "spec",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Re-exports imported on first use (PEP 562): wings that read only `mediation.settings`
    (findings, report) do not pay for SciPy and the estimators at start-up."""
    if name not in _WHERE:
        raise AttributeError(f"module 'pipeline.mediation' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pipeline.mediation.{_WHERE[name]}"), name)
