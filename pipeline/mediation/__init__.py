"""Serial mediation (PROCESS model 6; Hayes 2022): config specs, closed-form OLS, vectorised
bootstrap (percentile / BCa), bootstrap-then-impute MI, lavaan syntax for FIML, sentences."""

from pipeline.mediation.analysis import MediationResult, fit_chain, run_analyses, run_mediation
from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan
from pipeline.mediation.lavaan import chain_lavaan_syntax, mediation_lavaan_syntax
from pipeline.mediation.mi import mediation_boot_mi, mice_imputer
from pipeline.mediation.sentences import describe_mediation
from pipeline.mediation.spec import (
    Binding,
    MediationSpec,
    bootstrap_settings,
    build_specs,
    mi_settings,
    specs_from_config,
)

__all__ = [
    "Binding", "IndexPlan", "MediationResult", "MediationSpec", "ResamplePlan", "bootstrap_settings",
    "build_specs", "chain_lavaan_syntax", "describe_mediation", "fit_chain", "mediation_boot_mi",
    "mediation_lavaan_syntax", "mi_settings", "mice_imputer", "run_analyses", "run_mediation",
    "specs_from_config",
]
