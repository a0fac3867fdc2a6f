"""What a stage reads and writes: the named inputs and outputs its Snakemake rule declares.

A rule passes its ``input`` and ``output`` (names -> path or list of paths) to the stage as one
JSON argument (``--io``). The stage asks for each file by name and may write only declared
outputs: :meth:`StageIO.output` and :meth:`StageIO.member` refuse anything undeclared, so a file
the workflow does not know about cannot appear under ``results/``.

The one file format shared by two wings lives here too: the imputations file, written by the
impute stage (:func:`write_imputed_cells`) and read by every reader of the imputations
(:func:`read_imputed`), which rebuilds one completed data set at a time from the clean wide
table and the imputed cells. pandas and pyarrow are imported only by those functions, so the
CLI stays light.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["StageIO"]

PathSpec = str | list[str]


def _paths(spec: PathSpec) -> list[Path]:
    return [Path(p) for p in ([spec] if isinstance(spec, str) else spec)]


@dataclass(frozen=True)
class StageIO:
    """Named input and output paths of one stage run (a rule's ``input`` and ``output``)."""

    inputs: Mapping[str, PathSpec] = field(default_factory=dict)
    outputs: Mapping[str, PathSpec] = field(default_factory=dict)
    wildcards: Mapping[str, str] = field(default_factory=dict)
    #: the rule's threads: worker processes a stage may use; results never depend on it
    threads: int = 1

    @classmethod
    def from_json(cls, text: str) -> StageIO:
        data = json.loads(text)
        return cls(inputs=data.get("input", {}), outputs=data.get("output", {}),
                   wildcards=data.get("wildcards", {}))

    def input(self, name: str) -> Path:
        """The single input file declared as ``name``."""
        (path,) = _paths(self.inputs[name])
        return path

    def inputs_of(self, name: str) -> list[Path]:
        """All input files declared under ``name`` (a list in the rule)."""
        return _paths(self.inputs[name])

    def output(self, name: str) -> Path:
        """The single output file declared as ``name`` (its folder is created)."""
        (path,) = _paths(self.outputs[name])
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def outputs_of(self, name: str) -> list[Path]:
        """All output files declared under ``name`` (folders created)."""
        paths = _paths(self.outputs[name])
        for p in paths:
            p.parent.mkdir(parents=True, exist_ok=True)
        return paths

    def member(self, name: str, filename: str) -> Path:
        """The output under ``name`` whose file name is ``filename`` (e.g. one figure of a list).

        Raises ``KeyError`` for a file the rule does not declare: a stage never writes an
        undeclared file.
        """
        for p in self.outputs_of(name):
            if p.name == filename:
                return p
        raise KeyError(f"{filename} is not a declared output '{name}' of this rule")

    def has_output(self, name: str) -> bool:
        return name in self.outputs


# --------------------------------------------------------------------------------------------
# The imputations file (results/imputed/imputations.parquet): imputed cells only
# --------------------------------------------------------------------------------------------

#: One row per missing cell of an imputed variable (``variable``, ``pid``), one column per
#: imputation (``imp_0`` ... ``imp_<m-1>``): the imputed value, or for a categorical variable the
#: code of its category (the categories, as text, in the schema metadata with m and the
#: imputation model's columns). An m x (missing cells) matrix, the pid stored once per cell.
CELL_KEYS = ["variable", "pid"]
_META = b"socialcure.imputations"


def imp_column(i: int) -> str:
    """The column of imputation ``i`` in the imputations file."""
    return f"imp_{i}"


def write_imputed_cells(cells, m: int, columns: list[str], levels: Mapping[str, list[str]],
                        path: str | Path) -> None:
    """Write the imputed cells (:data:`CELL_KEYS` + m columns ``imp_<i>``, one row per missing
    cell) to Parquet; m, the imputation ``columns`` and the ``levels`` (category labels) of
    categorical variables go in the schema metadata. The completed data sets are the clean wide
    table with these cells filled in (:func:`read_imputed`): the file is m x (missing cells),
    not m x (the wide table) (issue 15)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(cells[[*CELL_KEYS, *map(imp_column, range(m))]],
                                 preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META] = json.dumps({"m": int(m), "columns": list(columns), "levels": dict(levels)},
                             sort_keys=True).encode()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(meta), path)


def read_imputed(path: str | Path, wide):
    """The completed data sets of ``path`` (written by :func:`write_imputed_cells`) over
    ``wide`` (the clean wide table the imputations were made from), as an
    :class:`ImputedSets`: each is built only when asked for, one at a time. InputFileError
    when the file is not such a file or does not fit ``wide`` (rerun the impute rule)."""
    import pyarrow.parquet as pq

    from pipeline.errors import InputFileError

    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[_META])
        m, columns, levels = int(meta["m"]), list(meta["columns"]), dict(meta["levels"])
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InputFileError(f"{path} is not an imputations file of this pipeline ({exc}); "
                             "rerun the impute rule (delete the file and run snakemake)."
                             ) from None
    return ImputedSets(table.to_pandas(), m, columns, levels, wide, str(path))


class ImputedSets:
    """The m completed data sets of an imputations file over the wide table, built one at a
    time (``frames``, ``sets[i]``): the wide table's ``pid`` and imputation columns with the
    imputed cells filled. ``columns``: ``pid`` and the imputation model's columns."""

    def __init__(self, cells, m: int, columns: list[str], levels: Mapping[str, list[str]],
                 wide, source: str) -> None:
        import numpy as np

        from pipeline.errors import InputFileError

        self.m, self.columns, self.wide, self.source = m, ["pid", *columns], wide, source
        where = {p: i for i, p in enumerate(wide["pid"])}
        imp = [imp_column(i) for i in range(m)]
        self.cells: dict[str, tuple] = {}
        for var, sub in cells.groupby("variable", sort=False):
            pos = np.array([where.get(p, -1) for p in sub["pid"]], dtype=np.intp)
            absent = [c for c in imp if c not in sub.columns]
            if (absent or (pos < 0).any() or var not in wide.columns
                    or wide[var].iloc[pos].notna().any()):
                raise InputFileError(
                    f"{source}: the imputed cells of '{var}' do not fit the clean wide table "
                    "(participants not in it, values it has, or fewer than m imputations); the "
                    "imputations are older than the clean data: rerun the impute rule.")
            vals = sub[imp].to_numpy(dtype=float).T  # m x cells
            if str(var) in levels:
                observed = {str(v): v for v in wide[var].dropna().unique()}
                labels = np.asarray([observed.get(lv, lv) for lv in levels[str(var)]],
                                    dtype=object)
                vals = labels[vals.astype(int)]
            self.cells[str(var)] = (pos, vals, str(var) not in levels)

    def __len__(self) -> int:
        return self.m

    @property
    def empty(self) -> bool:
        return self.m == 0

    def has_missing(self, columns) -> bool:
        """Whether any of ``columns`` still has a missing value in a completed data set."""
        import numpy as np

        for c in columns:
            if c in self.cells:
                pos, vals, numeric = self.cells[c]
                if numeric and np.isnan(vals).any():
                    return True
            elif self.wide[c].isna().any():
                return True
        return False

    def column(self, i: int, name: str):
        """Column ``name`` of completed data set ``i`` (a Series over the wide table's index)."""
        col = self.wide[name]
        if name not in self.cells:
            return col.copy()
        pos, vals, numeric = self.cells[name]
        if numeric:
            values = col.to_numpy(dtype=float, copy=True)
            values[pos] = vals[i]
            return col._constructor(values, index=col.index, name=name)
        col = col.copy()
        col.iloc[pos] = vals[i]
        return col

    def frame(self, i: int, columns=None):
        """Completed data set ``i``: ``columns`` (default :attr:`columns`) of the wide table,
        imputation i's cells filled."""
        import pandas as pd

        cols = list(self.columns if columns is None else columns)
        return pd.DataFrame({c: self.column(i, c) for c in cols}, index=self.wide.index)

    def column_sets(self, columns):
        """Per completed data set, one after another, a mapping column -> Series of
        ``columns``: the cheapest way to read a few columns of every data set."""
        return ({c: self.column(i, c) for c in columns} for i in range(self.m))

    def frames(self, columns=None):
        """The completed data sets one after another (see :meth:`frame`)."""
        return (self.frame(i, columns) for i in range(self.m))

    def __getitem__(self, i: int):
        if not -self.m <= i < self.m:
            raise IndexError(f"imputation {i} of {self.m}")
        return self.frame(i % self.m)

    def __iter__(self):
        return self.frames()

