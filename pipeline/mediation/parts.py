"""Boot-MI scattered over jobs: each ``mediation_mi_block`` job imputes a range of the B
bootstrap samples and writes their Gram matrices; the mediation job pools them (issue 15,
"parallel where the work is").

Block k of K holds samples ``k B // K .. (k + 1) B // K - 1``. A sample's resampled rows come
from the analysis's resampling plan and its imputations from its own seed
(``mediation/<name>/boot_mi/<b>``), so a sample's Gram matrices are the same numbers whichever
job computes them: the pooled tables are byte-identical for any K and any number of cores.
A part is a Parquet file with one row per analysis, sample and imputation (the q x q Gram
matrix flattened), or one row per analysis whose imputation failed in the block (the error's
kind and message, raised again when the mediation job pools that analysis).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import DataError, InputFileError, ModelError
from pipeline.mediation.mi import BootMI, ImputeFn
from pipeline.mediation.spec import MediationSpec

__all__ = ["block_range", "block_frame", "PartsImputer", "COLUMNS"]

COLUMNS = ["analysis", "draw", "imputation", "error", "message", "gram"]
_ERRORS = {"DataError": DataError, "ModelError": ModelError}


def block_range(B: int, K: int, k: int) -> tuple[int, int]:
    """Samples ``lo..hi-1`` of block ``k`` of ``K`` (blocks differ in size by at most one)."""
    if not 0 <= k < K:
        raise InputFileError(f"boot-MI block {k} is not one of the {K} configured blocks "
                             "(mediation.mi.blocks); rerun the workflow from the start.")
    return k * B // K, (k + 1) * B // K


def block_frame(est: BootMI, wide: pd.DataFrame, specs: Sequence[MediationSpec], K: int,
                k: int) -> pd.DataFrame:
    """The rows of part ``k`` of ``K``: every analysis's Gram matrices of the block's samples
    (an analysis that is not estimable has no rows: the mediation job says why)."""
    rows = []
    for spec in specs:
        try:
            p = est.prepare(wide, spec)
        except (DataError, ModelError):
            continue
        lo, hi = block_range(p.plan.B, K, k)
        try:
            grams = est.grams(p, spec, lo, hi)
        except (DataError, ModelError) as exc:
            rows.append((spec.name, -1, -1, type(exc).__name__, str(exc), []))
            continue
        for b in range(hi - lo):
            for m in range(grams.shape[1]):
                rows.append((spec.name, lo + b, m, "", "", grams[b, m].reshape(-1).tolist()))
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {"draw": "int64", "imputation": "int64"})


class PartsImputer:
    """The study's imputer, with the Gram matrices of its samples read from the parts
    (``gram_source`` of :class:`pipeline.mediation.mi.BootMI`)."""

    def __init__(self, impute_fn: ImputeFn, paths: Sequence[Path]) -> None:
        self.impute_fn = impute_fn
        self.many = getattr(impute_fn, "many", None)
        self.parts = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True) \
            if paths else pd.DataFrame(columns=COLUMNS)

    def __call__(self, data: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
        return self.impute_fn(data, m, seed)

    def gram_source(self, analysis: str, B: int, M: int, q: int) -> np.ndarray:
        """``(B, M, q, q)`` Gram matrices of ``analysis`` from the parts, in sample order; the
        first failed block's error raised again; InputFileError when parts are missing."""
        rows = self.parts[self.parts["analysis"] == analysis]
        failed = rows[rows["error"] != ""]
        if len(failed):
            first = failed.iloc[0]
            raise _ERRORS.get(first["error"], ModelError)(first["message"])
        rows = rows.sort_values(["draw", "imputation"], kind="stable")
        if len(rows) != B * M or not np.array_equal(rows["draw"].to_numpy(),
                                                    np.repeat(np.arange(B), M)):
            raise InputFileError(
                f"mediation analysis '{analysis}': the boot-MI parts under "
                "results/<study>/mediation/parts/ hold "
                f"{rows['draw'].nunique()} of the {B} bootstrap samples; delete them and rerun.")
        return np.stack(rows["gram"].map(np.asarray).to_list()).reshape(B, M, q, q)
