"""Serial mediation (PROCESS models 4 and 6; Hayes 2022): settings and specs from the config,
closed-form OLS, vectorised bootstrap (percentile / BCa), bootstrap-then-impute MI and FIML (SEM
engine) behind one estimator interface, lavaan syntax, sentences and figures."""

from pipeline.mediation.analysis import estimators, run_analyses
from pipeline.mediation.bootstrap import IndexPlan, ResamplePlan
from pipeline.mediation.complete_case import CompleteCaseBootstrap, fit_chain
from pipeline.mediation.estimator import MediationEstimator, MediationResult
from pipeline.mediation.fiml import FIMLMonteCarlo
from pipeline.mediation.lavaan import chain_lavaan_syntax, mediation_lavaan_syntax
from pipeline.mediation.mi import BootMI, mice_imputer
from pipeline.mediation.sentences import describe_mediation
from pipeline.mediation.spec import Binding, MediationSpec, build_specs

__all__ = [
    "Binding", "BootMI", "CompleteCaseBootstrap", "FIMLMonteCarlo", "IndexPlan",
    "MediationEstimator", "MediationResult", "MediationSpec", "ResamplePlan", "build_specs",
    "chain_lavaan_syntax", "describe_mediation", "estimators", "fit_chain",
    "mediation_lavaan_syntax", "mice_imputer", "run_analyses",
]
