"""The missing-data wing: MICE imputations (with an R-hat convergence check), the primary
estimate by FIML (with the imputation model's variables as auxiliaries), MI, IPW and complete
cases, with no silent substitution of the configured primary method, and the delta-adjusted
(MNAR) tipping-point analysis in baseline SD units. See docs/design.md."""
