"""The missing-data wing: MICE imputations, the primary estimate by complete cases, IPW and MI,
and the delta-adjusted (MNAR) tipping-point analysis. See docs/design.md."""
