"""Presets: loneliness and support (UCLA-3, ULS-8, MSPSS) and the social-identity measures the
social-cure literature uses (EXITS group memberships, single-item social identification,
identity compatibility).

The anchor study's measures are not verified (../shared/methods-references.md: "the
instruments and their item counts and ranges ... UNVERIFIED"), so the social-identity presets
say so: their item counts and formats are the usual published formats as known to the
author; a study overrides ``items`` (and ``range``) with its own.
"""

from __future__ import annotations

from pipeline.instruments.model import Band, Instrument

__all__ = ["UCLA3", "ULS8", "MSPSS", "EXITS_MGM", "EXITS_CONTINUITY", "EXITS_NEW",
           "SOCIAL_IDENTIFICATION", "COMPATIBILITY"]

_FREE = "Published in the academic literature; free to use with citation (no licence known)."
_AGREE7 = ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
           "Somewhat agree", "Agree", "Strongly agree")

UCLA3 = Instrument(
    name="ucla3",
    title="Loneliness (UCLA-3)",
    items=("ucla3_1", "ucla3_2", "ucla3_3"),
    range=(1.0, 3.0),
    response_labels=("Hardly ever", "Some of the time", "Often"),
    score="sum",
    reference=(
        "Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT. A short scale for measuring loneliness "
        "in large surveys. Res Aging 2004;26(6):655-672."
    ),
    licence=_FREE,
    proration_note=(
        "No published proration rule; by default a score needs all 3 items. Lowering "
        "min_items prorates (person mean x 3), a project decision to disclose."
    ),
    bands=(Band("not lonely", 3, 5), Band("lonely", 6, 9)),
    bands_reference=(
        "A common convention (6 or more of 9 read as lonely); other studies use 4 or more, "
        "so the share depends on the cut-off: cite the cut-off you follow."
    ),
    higher_is="worse",
    verified=(
        "3 items coded 1-3, summed 3-9, no reverse keys: ../shared/methods-references.md "
        "(Hughes et al. 2004)."
    ),
    note="ONS adds the direct item 'How often do you feel lonely?' (configure it as its own "
         "scale).",
)

ULS8 = Instrument(
    name="uls8",
    title="Loneliness (ULS-8)",
    items=tuple(f"uls8_{i}" for i in range(1, 9)),
    range=(1.0, 4.0),
    response_labels=("Never", "Rarely", "Sometimes", "Often"),
    reverse=("uls8_3", "uls8_6"),
    score="sum",
    reference=(
        "Hays RD, DiMatteo MR. A short-form measure of loneliness. J Pers Assess "
        "1987;51(1):69-81."
    ),
    licence=_FREE,
    higher_is="worse",
    verified=(
        "NOT verified here: 8 items coded 1-4, summed 8-32, items 3 and 6 reverse-keyed as "
        "known to the author; check against the paper before use."
    ),
)

MSPSS = Instrument(
    name="mspss",
    title="Perceived social support (MSPSS)",
    items=tuple(f"mspss_{i}" for i in range(1, 13)),
    range=(1.0, 7.0),
    response_labels=("Very strongly disagree", "Strongly disagree", "Mildly disagree",
                     "Neutral", "Mildly agree", "Strongly agree", "Very strongly agree"),
    score="mean",
    reference=(
        "Zimet GD, Dahlem NW, Zimet SG, Farley GK. The Multidimensional Scale of Perceived "
        "Social Support. J Pers Assess 1988;52(1):30-41."
    ),
    licence=_FREE,
    verified=(
        "12 items scored 1-7, mean 1-7 (sum 12-84): ../shared/methods-references.md."
    ),
    note=(
        "Subscales (significant other 1, 2, 5, 10; family 3, 4, 8, 11; friends 6, 7, 9, 12) "
        "can be configured as scales of their own. The low / moderate / high bands circulated "
        "with scoring sheets are not bundled (not verified here)."
    ),
)

_EXITS_REF = (
    "Haslam C, Holme A, Haslam SA, Iyer A, Jetten J, Williams WH. Maintaining group "
    "memberships: social identity continuity predicts well-being after stroke. Neuropsychol "
    "Rehabil 2008;18(5-6):671-691 (Exeter Identity Transition Scales, EXITS)."
)
_UNVERIFIED = (
    "NOT verified here: the 4-item, 1-7 agreement format is the usual one as known to the "
    "author (../shared/methods-references.md marks it UNVERIFIED); give your own items and range."
)


def _exits(name: str, title: str, stem: str) -> Instrument:
    return Instrument(name=name, title=title, items=tuple(f"{stem}_{i}" for i in range(1, 5)),
                      range=(1.0, 7.0), response_labels=_AGREE7, score="mean",
                      reference=_EXITS_REF, licence=_FREE, verified=_UNVERIFIED)


EXITS_MGM = _exits("exits_multiple_groups", "Multiple group memberships (EXITS)", "exits_mgm")
EXITS_CONTINUITY = _exits("exits_group_continuity", "Groups maintained (EXITS)", "exits_cont")
EXITS_NEW = _exits("exits_new_groups", "New group memberships (EXITS)", "exits_new")

SOCIAL_IDENTIFICATION = Instrument(
    name="social_identification",
    title="Identification with the group (single item)",
    items=("sisi",),
    range=(1.0, 7.0),
    response_labels=_AGREE7,
    score="mean",
    reference=(
        "Postmes T, Haslam SA, Jans L. A single-item measure of social identification: "
        "reliability, validity, and utility. Br J Soc Psychol 2013;52(4):597-617 "
        "('I identify with [group]')."
    ),
    licence=_FREE,
    verified="NOT verified here: the 1-7 agreement format as known to the author.",
)

COMPATIBILITY = Instrument(
    name="identity_compatibility",
    title="Compatibility of the new group with other groups",
    items=("compat_1", "compat_2", "compat_3"),
    range=(1.0, 7.0),
    response_labels=_AGREE7,
    score="mean",
    reference=(
        "Iyer A, Jetten J, Tsivrikos D, Postmes T, Haslam SA. The more (and the more "
        "compatible) the merrier: multiple group memberships and identity compatibility as "
        "predictors of adjustment after life transitions. Br J Soc Psychol 2009;48:707-733."
    ),
    licence=_FREE,
    verified=(
        "NOT verified here: item count and format are placeholders; give your own items and "
        "range."
    ),
)
