"""The controlled demo study's questionnaire and files (``demo_controlled``): arms, waves, file
names, columns, items, ranges and the defect plan.

A non-randomised controlled evaluation: people referred to a social-prescribing programme and a
GP usual-care comparison group, three waves like the demo (T0 entry, T1 about 4 months, T2
about 7 months), files in ``data/raw/demo_controlled/`` (T0 CSV, T1 Excel, T2 SPSS). The demo's
five scales keep their items and labels; added are single-item social identification (``sisi``;
Postmes et al. 2013), identity compatibility (``compat_1..3``; Iyer et al. 2009), groups
maintained and new groups (EXITS, ``exits_cont_1..4``, ``exits_new_1..4``; Haslam et al. 2008)
and the number of GP visits in the last 3 months (``gp_visits``, 0-60). Everything here must
agree with ``config/studies/demo_controlled.yaml`` (``tests/demo/test_demo_controlled_layout.py``
checks it).
"""

from __future__ import annotations

from pipeline.demo.layout import SCALE_ITEMS as DEMO_SCALE_ITEMS
from pipeline.demo.layout import SCALE_RANGE as DEMO_SCALE_RANGE

DEFAULT_SEED = 20220313  # chosen: see the README (realised sample shows each planted effect)
DEFAULT_N = 750
#: arm levels in the config's order (the programme first, then the comparison group)
ARMS = ("Social prescribing", "Usual care")
PROGRAMME, USUAL_CARE = ARMS
ARM_COLUMN = "arm"
WAVES = ("T0", "T1", "T2")
STUDY_DIR = "demo_controlled"
FILES = {
    "T0": "demo_controlled_T0_entry.csv",
    "T1": "demo_controlled_T1_4months.xlsx",
    "T2": "demo_controlled_T2_7months.sav",
}
MANIFEST_FILE = "demo_controlled_planted_defects.csv"
ID_PREFIX = "SC"

SCALE_ITEMS: dict[str, tuple[str, ...]] = {
    **DEMO_SCALE_ITEMS,
    "identification": ("sisi",),
    "compatibility": ("compat_1", "compat_2", "compat_3"),
    "groups_maintained": tuple(f"exits_cont_{i}" for i in range(1, 5)),
    "new_groups": tuple(f"exits_new_{i}" for i in range(1, 5)),
    "gp_visits": ("gp_visits",),
}
SCALE_RANGE: dict[str, tuple[float, float]] = {
    **DEMO_SCALE_RANGE,
    "identification": (1.0, 7.0),
    "compatibility": (1.0, 7.0),
    "groups_maintained": (1.0, 7.0),
    "new_groups": (1.0, 7.0),
    "gp_visits": (0.0, 60.0),
}
ITEM_COLUMNS = tuple(it for items in SCALE_ITEMS.values() for it in items)
#: items answered on the 1-7 agree scale (value labels AGREE7)
AGREE7_ITEMS = tuple(
    it
    for scale, items in SCALE_ITEMS.items()
    if scale not in ("loneliness", "qol", "gp_visits")
    for it in items
)
#: the added scales' items and their latent construct (see :mod:`pipeline.demo.controlled_model`)
NEW_SCALE_CONSTRUCT = {
    "identification": "id",
    "compatibility": "comp",
    "groups_maintained": "cont",
    "new_groups": "new",
}
COLUMN_LABELS = {
    "sisi": "I identify with the groups I belong to",
    "gp_visits": "GP visits in the last 3 months",
}

#: planted defects per wave (as :data:`pipeline.demo.defects.DEFECT_PLAN`; rows from the seed)
DEFECT_PLAN: dict[str, dict] = {
    "T0": {
        "duplicate_submission": 2,
        "text_label": [("gm2", 1), ("cb1", 1), ("lon2", 2), ("sisi", 2), ("compat_2", 1)],
        "level_spelling": [("arm", 2)],  # an arm written in other case / with spaces
        "out_of_range": [("gm4", 8), ("eq_vas", 150), ("gp_visits", 80)],
        "missing_id": 1,
        "missing_date": 1,
    },
    "T1": {
        "duplicate_submission": 1,
        "id_format": 3,
        "out_of_range": [("ss2", 0), ("lon3", 4), ("compat_1", 9)],
        "unmatched_followup": 1,
        "missing_id": 1,
        "missing_date": 1,
    },
    "T2": {
        "id_format": 2,
        "out_of_range": [("cb3", 8)],
        "unmatched_followup": 1,
        "user_missing": [("eq_vas", 1), ("gp_visits", 2)],  # SPSS user-missing -99 "Refused"
    },
}


def fmt_id(i: int) -> str:
    """Participant id ``SC-0001`` for person number ``i``."""
    return f"{ID_PREFIX}-{i:04d}"
