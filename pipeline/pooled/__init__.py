"""The pooled wing: every scheme (study) of the run together (issue 15, "pooled across
schemes"): the scheme table, change pooled by a random-effects meta-analysis and the mediation
chain as a multi-group model with schemes as groups. Runs once per run (``RUN_WINGS``)."""
