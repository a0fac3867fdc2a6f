"""Imputation chains scattered over jobs: each ``impute_chains`` job runs a range of the m MICE
chains and writes their imputed cells and traces to a part; the impute job gathers the parts
(issue 15, "parallel where the work is"; the boot-MI blocks of mediation do the same).

Part k of K holds chains ``k m // K .. (k + 1) m // K - 1`` (none when m < K). Chain i draws from
its own generator, ``SeedSequence(seed).spawn(m)[i]`` with ``seed`` from the config seed and the
key ``impute/mice`` (:func:`pipeline.seeds.seed_for`), and reads no other chain's values, so a
chain gives the same numbers in whichever part it runs: the gathered imputations, traces and log
are byte-identical for any K and any number of cores (``tests/test_cores_identity.py``).

K is ``missing_data.chain_blocks``, fixed before the data are read (Snakemake needs the jobs
when it builds the graph, and m may be chosen from the data): ``auto`` is one part per
:data:`CHAINS_PER_BLOCK` chains of the largest m, at least 2 (a two-core laptop runs both at
once) and at most :data:`MAX_BLOCKS`; on a cluster give a number.

A part is a Parquet file: one row per chain and imputed variable (``chain``, ``variable``, its
imputed ``cells`` in the order of the variable's missing rows, its ``mean`` and ``sd`` trace
over the iterations); the schema metadata holds what the impute job checks the part against
(m, seed, iterations, the imputed variables and their missing cells, the chain range) and the
sampler's event notes. It holds no participant ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.config import Config
from pipeline.errors import InputFileError
from pipeline.missing_data.settings import sampler_section
from pipeline.stage_io import StageIO
from pipeline.stats.mice import Chains, MicePlan

__all__ = ["CHAINS_PER_BLOCK", "MAX_BLOCKS", "chain_blocks", "block_range", "block_params",
           "run_block", "write_block", "write_part", "read_part", "gather"]

#: chains per part when ``missing_data.chain_blocks`` is auto, and the most parts auto makes
CHAINS_PER_BLOCK, MAX_BLOCKS = 50, 8
_META = b"socialcure.imputation_chains"
log = logging.getLogger("pipeline.stats.mice")


def _redo(path: str | Path | None) -> str:
    """What to do about a part that does not fit."""
    where = Path(path).parent if path is not None else "results/<study>/imputed/parts"
    return f"delete the folder {where} and rerun snakemake"


def chain_blocks(cfg: Config) -> int:
    """The number of ``impute_chains`` jobs (parts) of the study: ``chain_blocks`` (at most the
    largest m), or for ``auto`` one per :data:`CHAINS_PER_BLOCK` chains of the largest m (m, or
    m_max when m is auto), at least 2 and at most :data:`MAX_BLOCKS` (never more than m)."""
    s = sampler_section(cfg)
    top = int(s["m_max"] if s["m"] == "auto" else s["m"])
    blocks = s.get("chain_blocks", "auto")
    if blocks == "auto":
        return max(1, min(top, MAX_BLOCKS, max(2, -(-top // CHAINS_PER_BLOCK))))
    return max(1, min(int(blocks), top))


def block_range(m: int, K: int, k: int) -> tuple[int, int]:
    """Chains ``lo..hi-1`` of part ``k`` of ``K`` (parts differ in size by at most one)."""
    if not 0 <= k < K:
        raise InputFileError(f"imputation chain part {k} is not one of the {K} configured parts "
                             "(missing_data.chain_blocks); rerun the workflow from the start.")
    return k * m // K, (k + 1) * m // K


def block_params(cfg: Config) -> str:
    """JSON of what an ``impute_chains`` job reads (its rule's params): the ``missing_data``
    settings of the sampler and its columns, the number of parts and the core keys that choose
    the columns and the seed; a change to e.g. the tipping-point grid reruns the impute job
    only."""
    s = sampler_section(cfg)
    keys = ("columns", "method", "m", "m_min", "m_max", "iterations", "donors", "ridge",
            "predictors")
    payload = {"missing_data": {k: s[k] for k in keys}, "chain_blocks": chain_blocks(cfg),
               "core": {k: cfg.raw.get(k) for k in ("seed", "waves", "scales", "covariates")}}
    return json.dumps(payload, sort_keys=True, default=str)


def run_block(plan: MicePlan, K: int, k: int) -> Chains:
    """Run the chains of part ``k`` of ``K``."""
    return plan.run(*block_range(plan.m, K, k))


def write_block(plan: MicePlan, K: int, io: StageIO) -> None:
    """The ``impute_chains`` job: run part ``io.wildcards["block"]`` of ``K`` and write it to
    the rule's ``part`` output."""
    part = run_block(plan, K, int(io.wildcards["block"]))
    log.info("MICE chains %d..%d of m=%d (part %s of %d)", part.first, part.first + part.n - 1,
             plan.m, io.wildcards["block"], K)
    write_part(plan, part, io.output("part"))


def _fingerprint(plan: MicePlan) -> dict:
    """What a part must share with the plan of the job that gathers it: the run's settings and
    a digest of the data its chains imputed (every model column's values, missing as NaN)."""
    digest = hashlib.sha256()
    for name, var in plan.model.vars.items():
        digest.update(name.encode() + b"\0" + np.ascontiguousarray(var.values).tobytes())
    return {"m": int(plan.m), "seed": int(plan.seed), "iterations": int(plan.iterations),
            "variables": list(plan.model.targets),
            "missing": [int(plan.model.miss[c].sum()) for c in plan.model.targets],
            "data": digest.hexdigest()[:16], "donors": int(plan.donors),
            "ridge": float(plan.ridge)}


def _lists(pieces: list[np.ndarray]):
    """A Parquet list<double> column from one array per row (values copied once, not per
    number: a part of a large study holds millions of cells)."""
    import pyarrow as pa

    sizes = np.fromiter((x.size for x in pieces), dtype=np.int64, count=len(pieces))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    values = np.concatenate(pieces) if pieces else np.empty(0)
    return pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values, pa.float64()))


def write_part(plan: MicePlan, part: Chains, path: str | Path) -> None:
    """Write ``part`` (chains of ``plan``) to ``path`` as described in the module docstring."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    targets = plan.model.targets
    rows = [(i, j, c) for i in range(part.n) for j, c in enumerate(targets)]
    table = pa.table({
        "chain": pa.array([part.first + r[0] for r in rows], pa.int64()),
        "variable": pa.array([r[2] for r in rows], pa.string()),
        "cells": _lists([part.cells[c][i] for i, _, c in rows]),
        "mean": _lists([part.means[i, :, j] for i, j, _ in rows]),
        "sd": _lists([part.sds[i, :, j] for i, j, _ in rows]),
    })
    meta = {**_fingerprint(plan), "first": int(part.first), "chains": part.n,
            "events": [[v, e, int(n), list(f), list(la), msg]
                       for v, e, n, f, la, msg in part.events]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata({_META: json.dumps(meta, sort_keys=True)}),
                   path)


def read_part(plan: MicePlan, path: str | Path) -> Chains:
    """The chains in part ``path``; InputFileError when it is not a part of this run (another
    seed, m, iterations or data: the part is stale) or its rows do not have the lengths the run
    gives them."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[_META])
        first, n = int(meta["first"]), int(meta["chains"])
        fits = all(meta[k] == v for k, v in _fingerprint(plan).items())
        cols = {k: table.column(k).combine_chunks() for k in ("variable", "cells", "mean", "sd")}
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InputFileError(f"{path} is not an imputation chain part of this pipeline ({exc}); "
                             f"{_redo(path)}.") from None
    if not fits:
        raise InputFileError(f"{path} was made for another imputation run (its m, seed, "
                             f"iterations or data differ); {_redo(path)}.")
    targets, it = plan.model.targets, plan.iterations
    missing = [int(plan.model.miss[c].sum()) for c in targets]
    sizes = np.tile(np.asarray(missing, dtype=np.int64), n)
    if (cols["variable"].to_pylist() != targets * n
            or not np.array_equal(cols["cells"].value_lengths().to_numpy(), sizes)
            or any(not (cols[k].value_lengths().to_numpy() == it).all() for k in ("mean", "sd"))):
        raise InputFileError(f"{path} does not hold the imputed cells and traces of "
                             f"{n} chains x {len(targets)} variables; {_redo(path)}.")
    flat = {k: cols[k].flatten().to_numpy(zero_copy_only=False) for k in ("cells", "mean", "sd")}
    ends = np.cumsum(sizes)
    cells = {c: np.stack([flat["cells"][ends[r] - sizes[r]:ends[r]]
                          for r in range(j, n * len(targets), len(targets))]
                         ) if n else np.empty((0, missing[j]))
             for j, c in enumerate(targets)}
    trace = {k: np.ascontiguousarray(flat[k].reshape(n, len(targets), it).transpose(0, 2, 1))
             for k in ("mean", "sd")}
    events = [(v, e, int(c), tuple(f), tuple(la), msg) for v, e, c, f, la, msg in meta["events"]]
    return Chains(first, cells, trace["mean"], trace["sd"], events)


def gather(plan: MicePlan, paths: Sequence[str | Path]):
    """The MICE result of ``plan`` from its parts (:meth:`MicePlan.result`); InputFileError
    naming the parts when they do not hold every chain once."""
    parts = [read_part(plan, p) for p in paths]
    try:
        return plan.result(parts)
    except ValueError as exc:
        redo = _redo(paths[0] if paths else None)
        raise InputFileError(f"the imputation chain parts {', '.join(map(str, paths))} do not "
                             f"fit together ({exc}); {redo}.") from None
