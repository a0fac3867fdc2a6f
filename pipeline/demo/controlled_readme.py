"""data/raw/demo_controlled/README.md: the controlled study, its true model, Ns per arm and the
planted defects. Every number comes from the simulated study or the true parameters."""

from __future__ import annotations

import pandas as pd

from pipeline.demo.controlled_layout import (
    ARMS,
    DEFAULT_N,
    FILES,
    MANIFEST_FILE,
    STUDY_DIR,
    WAVES,
)
from pipeline.demo.layout import ID_COLUMN, XLSX_SHEET
from pipeline.demo.readme import CLEAN_ACTION

__all__ = ["render_controlled_readme", "COMMAND"]

COMMAND = "python -m pipeline.demo --study controlled --out data/raw/{dir} --seed {seed}"
FORMATS = {
    "T0": "CSV, UTF-8, comma",
    "T1": f"Excel, sheet `{XLSX_SHEET}`",
    "T2": "SPSS .sav (value labels, user-missing -99)",
}
ACTIONS = {
    **CLEAN_ACTION,
    "level_spelling": "matches the configured level ignoring case and surrounding spaces",
}


def _files(study) -> list[str]:
    lat = study.latent
    out = [
        "## Files",
        "",
        f"| wave | file | format | data rows | responding: {ARMS[0]} | {ARMS[1]} |",
        "|---|---|---|---|---|---|",
    ]
    for w in WAVES:
        r = lat[(lat["wave"] == w) & lat["responded"]]
        n_arm = [int((r["arm"] == a).sum()) for a in ARMS]
        out.append(f"| {w} | `{FILES[w]}` | {FORMATS[w]} | {len(study.frames[w])} | "
                   f"{n_arm[0]} | {n_arm[1]} |")
    out.append(f"| - | `{MANIFEST_FILE}` | CSV | {len(study.defects)} | - | - |")
    return out + [
        "",
        "Responding counts are panel members (after resolving id formats and duplicates, "
        "without rows lacking an id or follow-up ids never seen at entry): the Ns a correct "
        "clean stage reports.",
        "",
        f"Columns: `{ID_COLUMN}` (`SC-0001` ... in order of entry), `completed_at`; at T0 `age`, "
        "`gender` and `arm` (Social prescribing / Usual care); every wave the demo's items "
        "(`gm1-gm4`, `cb1-cb3`, `ss1-ss4` with `ss4` reverse keyed, `lon1-lon3` UCLA-3 1-3, "
        "`eq_vas` 0-100), `sisi` (1-7, \"I identify with the groups I belong to\"), "
        "`compat_1-compat_3`, `exits_cont_1-exits_cont_4`, `exits_new_1-exits_new_4` (1-7 "
        "agree) and `gp_visits` (GP visits in the last 3 months, 0-60). T2 re-asks `gender` "
        "as codes 1-3 with value labels.",
        "",
        "Group listing (T0 and T1 only): \"which of these groups do you belong to?\", one "
        "column per group type (`grp_sports`, `grp_faith`, `grp_arts`, `grp_volunteering`, "
        "`grp_social_club`, `grp_community`, `grp_learning`, `grp_peer_support`) and "
        "`grp_none` (\"none of these\"); T0 as a checkbox export (1 / blank), T1 as 1 / 0. "
        "About 3% leave the list blank at a wave (a missing listing). Drawn from its own random "
        "stream, after everything else: keeping an entry group is more likely with a higher "
        "latent groups-maintained score at T1, ticking a new group with a higher latent "
        "new-groups score at T1, and more groups at entry with a higher latent "
        "groups-maintained score at T0 (`pipeline/demo/controlled_listings.py`).",
        "",
    ]


def _model(p) -> list[str]:
    c = p.chain
    return [
        "## True data-generating model",
        "",
        "The full equations are in `pipeline/demo/controlled_model.py`; the values in "
        "`pipeline/demo/controlled_params.py`. In short:",
        "",
        f"- Not randomised: {p.programme_share:.0%} of the people at entry are in the "
        f"programme arm; it is {p.age_shift:g} years older and {p.lon_entry:g} latent SD "
        "lonelier at entry.",
        "- The demo's RI-CLPM and serial chain GM -> CB -> SS -> LON -> QOL "
        f"(a1 {c.a1:+.2f}, d21 {c.d21:+.2f}, d32 {c.d32:+.2f}, b3 {c.b3:+.2f}), with the GM "
        f"intercept after entry {p.gm_shift_programme[1]:g} latent SD higher in the programme "
        f"arm and {p.gm_shift_usual[1]:g} in usual care, and a further direct fall in "
        f"loneliness of {-p.lon_programme[1]:g} in the programme arm after entry. Difference "
        "in the change of the UCLA-3 sum T0 -> T1 (programme minus usual care) about -0.6 "
        "points on 3-9.",
        f"- Moderation: after entry, loneliness moves with the change in GM by "
        f"{p.mod_identification:+.2f} per SD of identification at entry and "
        f"{p.mod_compatibility:+.2f} per SD of compatibility at entry (stronger benefit for "
        "people who identify with their groups and whose groups fit together).",
        f"- GP visits: negative binomial (size {p.gp_size:g}) with a random intercept (SD "
        f"{p.gp_ri_sd:g}); log rate {p.gp_lon:+.2f} per SD of loneliness, {p.gp_cb:+.2f} per "
        f"SD of belonging, {p.gp_programme[1]:+.2f} in the programme arm after entry: rate "
        "ratio T1 vs T0 about 0.8 in the programme arm, about 1 in usual care.",
        "- Dropout MAR on age, loneliness and group memberships (as the demo) plus a small arm "
        "term; item answers missing completely at random (2%).",
        "",
        "The seed was chosen among 20220301-20220320 as one whose realised sample shows each "
        "planted effect close to its population value (tests/demo/test_demo_controlled_effects.py "
        "checks them on these files and on a large sample).",
        "",
    ]


def _defects(d: pd.DataFrame) -> list[str]:
    out = ["## Planted defects", "", "| wave | defect | count | the clean stage |",
           "|---|---|---|---|"]
    for (w, kind), g in d.groupby(["wave", "defect"], sort=True):
        out.append(f"| {w} | {kind} | {len(g)} | {ACTIONS.get(kind, '')} |")
    return out + ["", f"Every defect, with its data row, is listed in `{MANIFEST_FILE}`.", ""]


def render_controlled_readme(study) -> str:
    """The README text of a simulated controlled study."""
    n = int(study.latent.loc[study.latent["wave"] == "T0", "in_panel"].sum())
    head = [
        "# Controlled demo study (synthetic data)",
        "",
        f"Generated by `{COMMAND.format(dir=STUDY_DIR, seed=study.seed)}"
        + (f" --n {n}" if n != DEFAULT_N else "")
        + "` (`pipeline/demo/controlled_*.py`). Do not edit these files by hand: change the "
        "generator and re-run it. The same seed gives byte-identical files. Nothing here is "
        "real data. Configuration: `config/studies/demo_controlled.yaml`.",
        "",
        "A non-randomised controlled evaluation: a social-prescribing programme arm and a GP "
        "usual-care arm, three waves (T0 entry, T1 about 4 months, T2 about 7 months).",
        "",
    ]
    lines = head + _files(study) + _model(study.params) + _defects(study.defects)
    return "\n".join(lines)
