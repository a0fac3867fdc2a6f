"""The findings wing: one row per funder-facing claim, the single source of every sentence.

See ``README.md`` in this folder for the table's columns, the primary-method rule and the
wording rules (GRADE guidance 26 verbs, :mod:`pipeline.wording`).
"""
