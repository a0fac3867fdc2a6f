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


def _misfit(source: str, var: str):
    """The error of a cells file that does not fit the clean wide table."""
    from pipeline.errors import InputFileError

    return InputFileError(
        f"{source}: the imputed cells of '{var}' do not fit the clean wide table "
        "(participants not in it, values it has, or fewer than m imputations); the "
        "imputations are older than the clean data: rerun the impute rule.")


def imp_column(i: int) -> str:
    """The column of imputation ``i`` in the imputations file."""
    return f"imp_{i}"


def write_imputed_cells(cells, m: int, columns: list[str], levels: Mapping[str, list[str]],
                        path: str | Path) -> None:
    """Write the imputed cells (:data:`CELL_KEYS` + m columns ``imp_<i>``, one row per missing
    cell) to Parquet; m, the imputation ``columns`` and the ``levels`` (category labels) of
    categorical variables go in the schema metadata. The completed data sets are the clean wide
    table with these cells filled in (:func:`read_imputed`): the file is m x (missing cells),
    not m x (the wide table) (issue 15).

    ``cells``: one DataFrame, or an iterable of DataFrames (e.g. one per variable) streamed to
    the file one row group each, so the writer never holds more than one part."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    keep = [*CELL_KEYS, *map(imp_column, range(m))]
    schema = pa.schema([("variable", pa.string()), ("pid", pa.string()),
                        *((c, pa.float64()) for c in keep[2:])])
    meta = {_META: json.dumps({"m": int(m), "columns": list(columns), "levels": dict(levels)},
                              sort_keys=True).encode()}
    schema = schema.with_metadata(meta)
    parts = [cells] if isinstance(cells, pd.DataFrame) else cells
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema) as writer:
        for part in parts:
            if len(part):
                part = part[keep].astype({"variable": str, "pid": str})
                writer.write_table(pa.Table.from_pandas(part, schema=schema,
                                                        preserve_index=False))


def read_imputed(path: str | Path, wide):
    """The completed data sets of ``path`` (written by :func:`write_imputed_cells`) over
    ``wide`` (the clean wide table the imputations were made from), as an
    :class:`ImputedSets`: each is built only when asked for, one at a time. InputFileError
    when the file is not such a file or does not fit ``wide`` (rerun the impute rule)."""
    import pyarrow.parquet as pq

    from pipeline.errors import InputFileError

    try:
        meta = json.loads((pq.read_schema(path).metadata or {})[_META])
        m, columns, levels = int(meta["m"]), list(meta["columns"]), dict(meta["levels"])
        names = set(pq.read_schema(path).names)
        keys = pq.read_table(path, columns=CELL_KEYS)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InputFileError(f"{path} is not an imputations file of this pipeline ({exc}); "
                             "rerun the impute rule (delete the file and run snakemake)."
                             ) from None

    def read(name: str):  # one imputation's column at a time: never the whole file in memory
        return pq.read_table(path, columns=[name]).column(0) if name in names else None

    return ImputedSets(keys, m, columns, levels, wide, str(path), read)


def _cell_arrays(cells, m: int, wide_pids, read=None):
    """(variables, codes, pos, values) of a cells table (a pyarrow Table or a DataFrame), its
    cells grouped by variable (file order within a variable): the variable of each cell as
    sorted codes into ``variables``, its row in the wide table (``wide_pids``; -1: not there)
    and one m x cells float matrix of the imputed values (None when an imputation column is
    absent). Done in Arrow (dictionary codes, ``index_in``): no Python object per cell, and
    the matrix reordered as it is read (no second copy)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(cells, pa.Table):
        cells = pa.Table.from_pandas(cells, preserve_index=False)
    if cells.num_rows == 0:
        return [], np.zeros(0, np.int64), np.zeros(0, np.intp), np.empty((m, 0))
    var = pc.dictionary_encode(cells.column("variable").cast(pa.string())).combine_chunks()
    order = np.argsort(var.indices.to_numpy(zero_copy_only=False), kind="stable")
    found = pc.index_in(cells.column("pid").cast(pa.string()),
                        value_set=pa.array(wide_pids, type=pa.string()))
    pos = pc.fill_null(found, -1).to_numpy().astype(np.intp)[order]
    if read is None:
        def read(name):
            return cells.column(name) if name in cells.column_names else None
    values = np.empty((m, len(order)), dtype=float)
    for i in range(m):
        column = read(imp_column(i))
        if column is None:
            values = None
            break
        values[i] = column.to_numpy()[order]
    codes = var.indices.to_numpy(zero_copy_only=False)[order]
    return [str(v) for v in var.dictionary.to_pylist()], codes, pos, values


class ImputedSets:
    """The m completed data sets of an imputations file over the wide table, built one at a
    time (``frames``, ``sets[i]``): the wide table's ``pid`` and imputation columns with the
    imputed cells filled. ``columns``: ``pid`` and the imputation model's columns.

    The cells are held once: one m x (missing cells) matrix, each variable's block a view of
    it, its rows in the wide table found by one hash look-up of all pids (issue 15: at 100k x 5
    waves a per-cell Python look-up and a second copy cost seconds and hundreds of MB)."""

    def __init__(self, cells, m: int, columns: list[str], levels: Mapping[str, list[str]],
                 wide, source: str, read=None) -> None:
        import numpy as np

        self.m, self.columns, self.wide, self.source = m, ["pid", *columns], wide, source
        variables, codes, pos, values = _cell_arrays(cells, m, wide["pid"].astype(str), read)
        bounds = np.searchsorted(codes, np.arange(len(variables) + 1))
        self.cells: dict[str, tuple] = {}
        for k, var in enumerate(variables):
            p, lo, hi = pos[bounds[k]:bounds[k + 1]], bounds[k], bounds[k + 1]
            if (values is None or (p < 0).any() or var not in wide.columns
                    or wide[var].iloc[p].notna().any()):
                raise _misfit(source, var)
            vals = values[:, lo:hi]  # a view: m x cells
            if var in levels:
                observed = {str(v): v for v in wide[var].dropna().unique()}
                labels = np.asarray([observed.get(lv, lv) for lv in levels[var]],
                                    dtype=object)
                vals = labels[vals.astype(int)]
            self.cells[var] = (p, vals, var not in levels)

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


def completed_frames(imputations, columns: list[str]):
    """The completed data sets (``columns`` only), one at a time: an :class:`ImputedSets`
    builds each from its imputed cells; a sequence of DataFrames is used as it is."""
    import pandas as pd

    if hasattr(imputations, "column_sets"):
        return (pd.DataFrame(dict(cs)) for cs in imputations.column_sets(columns))
    return (frame[columns] for frame in imputations)
