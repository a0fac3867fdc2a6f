"""Planted defects: the data problems a real survey export has, planted at known rows and
listed in a manifest, so that the clean stage can be checked against them.

Per wave (counts fixed in :data:`DEFECT_PLAN`, rows drawn from the seed):

* ``duplicate_submission``: a partial copy of a respondent's row (first 3-8 items answered),
  submitted just before the complete one (at T0 the last copy 2 days after);
* ``text_label``: a Likert answer written as its label, with odd case / white space (T0 CSV);
* ``out_of_range``: a code outside the scale's range;
* ``missing_id``: an extra respondent (not in the panel) whose id cell is empty or blank;
* ``unmatched_followup``: an extra respondent whose follow-up id was never seen at baseline;
* ``id_format``: a follow-up id differing from the baseline id by case / white space;
* ``missing_date``: completion date missing;
* ``user_missing``: SPSS user-missing code -99 "Refused" (T2 .sav);
* ``level_spelling``: a category (e.g. the arm) written in other case / with spaces (only in
  plans of other studies, :mod:`pipeline.demo.controlled_layout`).

Rows are held in a :class:`WaveRows` working table (dicts with hidden ``_`` keys) until
:mod:`pipeline.demo.frames` turns them into the typed frame and the manifest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from pipeline.demo.layout import (
    DATE_COLUMN,
    ID_COLUMN,
    ITEM_COLUMNS,
    USER_MISSING_CODE,
    item_labels,
)

__all__ = [
    "DEFECT_PLAN",
    "LATER_WAVE_PLAN",
    "WaveRows",
    "wave_plan",
    "extra_roles",
    "add_extras",
    "plant_defects",
]

# Planted defects per wave. Counts are fixed; rows (and hence ids) are drawn from the seed.
DEFECT_PLAN: dict[str, dict] = {
    "T0": {
        "duplicate_submission": 3,  # partial copy; 2 submitted earlier, 1 two days later
        "text_label": [  # (column, count): true answer written as its label, odd case/spaces
            ("gm1", 2),
            ("gm3", 1),
            ("cb2", 2),
            ("ss1", 2),
            ("ss4", 2),
            ("lon1", 2),
            ("lon3", 1),
        ],
        "out_of_range": [("gm2", 8), ("cb1", 0), ("ss3", 8), ("eq_vas", 150)],
        "missing_id": 1,  # an extra respondent whose id cell is empty
        "missing_date": 1,
    },
    "T1": {
        "duplicate_submission": 2,
        "id_format": 4,  # canonical id written with different case / surrounding spaces
        "out_of_range": [("ss2", 0), ("lon3", 4)],
        "unmatched_followup": 2,
        "missing_id": 1,  # id cell holding white space only
        "missing_date": 1,
    },
    "T2": {
        "id_format": 2,
        "out_of_range": [("gm3", 8)],
        "unmatched_followup": 1,
        "user_missing": [("eq_vas", 2), ("lon1", 1)],  # SPSS user-missing -99 "Refused"
    },
}
#: Defects of every wave after T2 (``--waves`` > 3; CSV files, so no SPSS user-missing codes).
LATER_WAVE_PLAN: dict = {
    "duplicate_submission": 1,
    "id_format": 2,
    "out_of_range": [("cb3", 8)],
    "unmatched_followup": 1,
    "missing_date": 1,
}
ID_VARIANTS = ("{lo} ", " {id}", "{cap}-{num}", "{lo}", "{id}  ", " {lo}")
LABEL_VARIANTS = ("same", "lower", "upper", "padded", "title")


def label_variant(label: str, k: int) -> str:
    """The ``k``-th spelling variant (cycling through LABEL_VARIANTS) of an answer label."""
    kind = LABEL_VARIANTS[k % len(LABEL_VARIANTS)]
    if kind == "lower":
        return label.lower()
    if kind == "upper":
        return label.upper()
    if kind == "padded":
        return f" {label} "
    if kind == "title":
        return label.title()
    return label


def id_variant(pid: str, k: int) -> str:
    """The ``k``-th case / white-space variant (cycling through ID_VARIANTS) of an id."""
    prefix, num = pid.split("-", 1)
    return ID_VARIANTS[k % len(ID_VARIANTS)].format(
        id=pid, lo=pid.lower(), cap=prefix.capitalize(), num=num
    )


class WaveRows:
    """Mutable working table for one wave: rows as dicts with a hidden key, plus the defect log."""

    def __init__(self, wave: str):
        self.wave = wave
        self.rows: list[dict] = []
        self.defects: list[dict] = []

    def add(self, row: dict) -> dict:
        """Append ``row`` (giving it the next hidden ``_key``) and return it."""
        row["_key"] = len(self.rows)
        self.rows.append(row)
        return row

    def log(self, row: dict, defect: str, column: str, value, note: str = "", canonical=None):
        """Record a planted defect in ``row`` (manifest entry)."""
        self.defects.append(
            {
                "_key": row["_key"],
                "defect": defect,
                "column": column,
                "value": "" if value is None else str(value),
                "canonical_id": canonical if canonical is not None else row.get("_pid", ""),
                "note": note,
            }
        )


def wave_plan(wave: str) -> dict:
    """The defect plan of ``wave``: :data:`DEFECT_PLAN` for T0-T2, else :data:`LATER_WAVE_PLAN`."""
    return DEFECT_PLAN.get(wave, LATER_WAVE_PLAN)


def extra_roles(
    extras: list[int], later_waves: tuple[str, ...] = (), plan: dict | None = None
) -> dict[int, tuple[str, str]]:
    """Role (wave, defect) of each extra person: missing ids at T0, T1, then unmatched
    follow-up ids at T1, T2 and at each of ``later_waves`` (in the order of ``extras``).
    ``plan``: another study's defect plan (T0-T2 only; default :data:`DEFECT_PLAN`)."""
    it = iter(extras)
    roles: dict[int, tuple[str, str]] = {}
    get = wave_plan if plan is None else plan.__getitem__
    for w in ("T0", "T1"):
        for _ in range(get(w).get("missing_id", 0)):
            roles[next(it)] = (w, "missing_id")
    for w in ("T1", "T2", *later_waves):
        for _ in range(get(w).get("unmatched_followup", 0)):
            roles[next(it)] = (w, "unmatched_followup")
    return roles


def add_extras(
    wv: WaveRows, roles: dict[int, tuple[str, str]], base_row: Callable[[int], dict]
) -> None:
    """Add this wave's extra respondents (rows without an id, unmatched follow-up ids)."""
    for person, (rw, role) in roles.items():
        if rw != wv.wave:
            continue
        row = wv.add(base_row(person))
        if role == "missing_id":
            row[ID_COLUMN] = None if wv.wave == "T0" else " "
            wv.log(
                row,
                "missing_id",
                ID_COLUMN,
                row[ID_COLUMN],
                "row without a usable id (extra respondent, not in the panel)",
                canonical="",
            )
        else:
            wv.log(
                row,
                "unmatched_followup",
                ID_COLUMN,
                row[ID_COLUMN],
                "follow-up id never seen at baseline",
            )


class _Picker:
    """Hands out ordinary rows (panel respondents) in a random order, each at most once."""

    def __init__(self, rng: np.random.Generator, ordinary: list[dict]):
        self.ordinary = ordinary
        self.pool = list(rng.permutation(len(ordinary)))
        self.used: set[int] = set()

    def take(self, pred: Callable[[dict], bool] = lambda r: True) -> dict:
        """Next unused ordinary row (in this wave's random order) satisfying ``pred``."""
        for j in self.pool:
            r = self.ordinary[j]
            if r["_key"] in self.used or not pred(r):
                continue
            self.used.add(r["_key"])
            return r
        raise RuntimeError("demo: ran out of rows to plant defects")


def _answered(col: str) -> Callable[[dict], bool]:
    return lambda r: not np.isnan(r[col])


def _plant_duplicates(
    rng: np.random.Generator, wv: WaveRows, pick: _Picker, count: int,
    items: tuple[str, ...] = ITEM_COLUMNS,
) -> None:
    for k in range(count):
        src = pick.take()
        dup = {key: val for key, val in src.items() if key != "_key"}
        keep = int(rng.integers(3, 9))
        for col in items[keep:]:
            dup[col] = np.nan
        later = k == count - 1 and wv.wave == "T0"
        if later:
            dup[DATE_COLUMN] = src[DATE_COLUMN] + dt.timedelta(days=2)
        dup["_dup_of"] = src["_key"]
        dup["_dup_before"] = not later
        row = wv.add(dup)
        pick.used.add(row["_key"])
        wv.log(
            row,
            "duplicate_submission",
            ID_COLUMN,
            row[ID_COLUMN],
            f"partial copy (first {keep} items answered) submitted "
            + ("2 days after" if later else "just before")
            + " the complete one",
        )


def _plant_cells(wv: WaveRows, pick: _Picker, spec: dict) -> None:
    """Text labels, out-of-range codes and SPSS user-missing codes in item cells."""
    for col, count in spec.get("text_label", []):
        for _ in range(count):
            r = pick.take(_answered(col))
            text = label_variant(item_labels(col)[int(r[col]) - 1], len(wv.defects))
            r[col] = text
            wv.log(r, "text_label", col, text, "Likert answer written as its label")
    for col, count in spec.get("level_spelling", []):
        for k in range(count):
            r = pick.take(lambda r, col=col: isinstance(r.get(col), str))
            r[col] = label_variant(r[col], 1 + k % (len(LABEL_VARIANTS) - 1))
            wv.log(r, "level_spelling", col, r[col], "category written in other case / spacing")
    for col, value in spec.get("out_of_range", []):
        r = pick.take(_answered(col))
        r[col] = float(value)
        wv.log(r, "out_of_range", col, value, "code outside the scale's range")
    for col, count in spec.get("user_missing", []):
        for _ in range(count):
            r = pick.take(_answered(col))
            r[col] = USER_MISSING_CODE
            wv.log(
                r,
                "user_missing",
                col,
                int(USER_MISSING_CODE),
                'SPSS user-missing code -99 "Refused" (declared missing in the .sav)',
            )


def _plant_ids_and_dates(wv: WaveRows, pick: _Picker, spec: dict) -> None:
    for _ in range(spec.get("id_format", 0)):
        r = pick.take()
        r[ID_COLUMN] = id_variant(r["_pid"], len(wv.defects))
        note = "id differs from baseline by case/white space"
        wv.log(r, "id_format", ID_COLUMN, r[ID_COLUMN], note)
    for _ in range(spec.get("missing_date", 0)):
        r = pick.take()
        r["_true_date"] = r[DATE_COLUMN]
        r[DATE_COLUMN] = None
        wv.log(r, "missing_date", DATE_COLUMN, None, "completion date missing")


def plant_defects(
    rng: np.random.Generator, wv: WaveRows, panel_set: set[int], plan: dict | None = None,
    items: tuple[str, ...] = ITEM_COLUMNS,
) -> None:
    """Plant this wave's defects (DEFECT_PLAN, or ``plan[wave]`` of another study with item
    columns ``items``) in rows of panel respondents, in place.

    Draw order: the permutation of ordinary rows, then one ``integers(3, 9)`` per duplicate.
    """
    ordinary = [r for r in wv.rows if r["_person"] in panel_set]
    pick = _Picker(rng, ordinary)
    spec = wave_plan(wv.wave) if plan is None else plan[wv.wave]
    _plant_duplicates(rng, wv, pick, spec.get("duplicate_submission", 0), items)
    _plant_cells(wv, pick, spec)
    _plant_ids_and_dates(wv, pick, spec)
