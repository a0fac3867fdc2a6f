"""The demo study's questionnaire and file layout: waves, file names, columns, items, labels.

Modelled on the social prescribing pathway evaluation of Wakefield et al. (2022, J Health
Psychol 27(2):386-396): three waves (T0 pathway entry, T1 about 4 months, T2 6-9 months), the
social-identity measures group memberships (GM, 4 items), community belonging (CB, 3 items)
and social support (SS, 4 items) on a 1-7 agree scale, the three-item UCLA loneliness scale
(Hughes et al. 2004, Res Aging 26(6):655-672; 1-3 "Hardly ever" ... "Often") and the EQ VAS
(0-100) for quality of life. Everything here must agree with ``config/config.yaml``
(``tests/demo/test_demo_simulate.py`` checks it).
"""

from __future__ import annotations

DEFAULT_SEED = 20220201
DEFAULT_N = 630
WAVES = ("T0", "T1", "T2")
FILES = {
    "T0": "demo_T0_entry.csv",
    "T1": "demo_T1_4months.xlsx",
    "T2": "demo_T2_7months.sav",
}
#: months after entry of each wave (the config's ``waves[].months``); waves after T2 (the
#: ``--waves`` extension) follow every 3 months.
MONTHS = {"T0": 0, "T1": 4, "T2": 7}
LATER_WAVE_GAP_MONTHS = 3
MANIFEST_FILE = "demo_planted_defects.csv"
README_FILE = "README.md"
XLSX_SHEET = "Responses"
ID_COLUMN = "participant_id"
DATE_COLUMN = "completed_at"
GENDER_LEVELS = ("Woman", "Man", "Non-binary / other")
GENDER_PROBS = (0.63, 0.34, 0.03)
#: T2 re-asks gender (stored as a labelled numeric SPSS variable, codes 1-3 = GENDER_LEVELS).
T2_HAS_GENDER = True

CONSTRUCTS = ("gm", "cb", "ss", "lon", "qol")
SCALE_ITEMS = {
    "group_memberships": ("gm1", "gm2", "gm3", "gm4"),
    "belonging": ("cb1", "cb2", "cb3"),
    "support": ("ss1", "ss2", "ss3", "ss4"),
    "loneliness": ("lon1", "lon2", "lon3"),
    "qol": ("eq_vas",),
}
SCALE_CONSTRUCT = {
    "group_memberships": "gm",
    "belonging": "cb",
    "support": "ss",
    "loneliness": "lon",
    "qol": "qol",
}
#: valid answer range per scale (as in config/config.yaml ``scales.<key>.range``)
SCALE_RANGE = {
    "group_memberships": (1.0, 7.0),
    "belonging": (1.0, 7.0),
    "support": (1.0, 7.0),
    "loneliness": (1.0, 3.0),
    "qol": (0.0, 100.0),
}
REVERSE_ITEMS = ("ss4",)
ITEM_COLUMNS = tuple(it for items in SCALE_ITEMS.values() for it in items)
LIKERT7_ITEMS = SCALE_ITEMS["group_memberships"] + SCALE_ITEMS["belonging"] + SCALE_ITEMS["support"]
UCLA_ITEMS = SCALE_ITEMS["loneliness"]

AGREE7 = (
    "Strongly disagree",
    "Disagree",
    "Somewhat disagree",
    "Neither agree nor disagree",
    "Somewhat agree",
    "Agree",
    "Strongly agree",
)
UCLA3 = ("Hardly ever", "Some of the time", "Often")
USER_MISSING_CODE = -99.0
USER_MISSING_LABEL = "Refused"


def wave_ids(n_waves: int = len(WAVES)) -> tuple[str, ...]:
    """Wave ids of an ``n_waves`` study: T0, T1, ... (the demo's three, then T3, T4, ...)."""
    return tuple(f"T{t}" for t in range(n_waves))


def wave_months(wave: str) -> int:
    """Months after entry of ``wave`` (0, 4, 7, then every 3 months)."""
    t = int(wave[1:])
    return MONTHS.get(wave, MONTHS["T2"] + (t - 2) * LATER_WAVE_GAP_MONTHS)


def wave_file(wave: str) -> str:
    """File name of ``wave``: the demo's three as :data:`FILES`; later waves are CSV files."""
    return FILES.get(wave) or f"demo_{wave}_{wave_months(wave)}months.csv"


def item_labels(item: str) -> tuple[str, ...]:
    """Answer labels of a Likert/UCLA item (codes 1, 2, ... in order)."""
    return UCLA3 if item in UCLA_ITEMS else AGREE7


def fmt_id(i: int) -> str:
    """Canonical participant id ``SP-0001`` for person number ``i``."""
    return f"SP-{i:04d}"
