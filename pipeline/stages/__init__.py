"""I/O edges of the pipeline: each module reads inputs, calls pure functions, writes outputs.

Snakemake rules call these through ``python -m pipeline.cli <stage>``.
"""
