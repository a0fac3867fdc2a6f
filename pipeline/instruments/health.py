"""Presets: EQ-5D-5L (index from a value set) and the EQ VAS.

The England 5L value set (Devlin et al. 2018) is bundled and the default: its 20 decrements
were checked against the published set as transcribed in the R package ``eq5d`` (file
``data-raw/VT.csv``, column England) and reproduce the published range (55555 = -0.285). The
NICE DSU mapping to the 3L set (NICE's reference case since 2019) depends on age and sex and
the new UK 5L set is under consultation: both are declared, not bundled -- choosing one is
refused with the reason.
"""

from __future__ import annotations

from pipeline.instruments.model import MID, Instrument, ValueSet

__all__ = ["ENGLAND_5L", "EQ5D5L", "EQ_VAS", "DIMENSIONS"]

DIMENSIONS = ("mobility", "self-care", "usual activities", "pain/discomfort",
              "anxiety/depression")
_EQ_LICENCE = (
    "EQ-5D is (c) EuroQol Research Foundation: every use needs registration at euroqol.org "
    "(free for many non-commercial uses; commercial use licensed)."
)

ENGLAND_5L = ValueSet(
    name="england_devlin2018",
    title="England EQ-5D-5L value set (Devlin et al. 2018)",
    reference=(
        "Devlin NJ, Shah KK, Feng Y, Mulhern B, van Hout B. Valuing health-related quality of "
        "life: an EQ-5D-5L value set for England. Health Econ 2018;27(1):7-22."
    ),
    verified=(
        "Decrements checked against the R package eq5d (fragla/eq5d, data-raw/VT.csv, column "
        "England): start 1, no constant; 55555 gives the published minimum -0.285."
    ),
    bundled=True,
    start=1.0,
    # decrement of level 1..5 for MO, SC, UA, PD, AD (positive numbers are subtracted)
    decrements=(
        (0.0, 0.058, 0.076, 0.207, 0.274),
        (0.0, 0.050, 0.080, 0.164, 0.203),
        (0.0, 0.050, 0.063, 0.162, 0.184),
        (0.0, 0.063, 0.084, 0.276, 0.335),
        (0.0, 0.078, 0.104, 0.285, 0.289),
    ),
)

NICE_DSU = ValueSet(
    name="nice_dsu_mapping",
    title="NICE DSU mapping of EQ-5D-5L to the 3L UK value set",
    reference=(
        "Hernandez Alava M, Pudney S, Wailoo A. Estimating the relationship between EQ-5D-5L "
        "and EQ-5D-3L: results from a UK population study. PharmacoEconomics 2023;41:199-207 "
        "(NICE DSU report 2022)."
    ),
    verified="not bundled",
    bundled=False,
    note=(
        "the NICE DSU mapping is a table by profile, age and sex that could not be checked "
        "against its published source here; it is declared but not bundled. Compute it with "
        "the DSU's own tool (or R eq5d's eq5dmap) and configure the result as a scale"
    ),
)

UK_5L_2026 = ValueSet(
    name="uk_5l_2026",
    title="New UK EQ-5D-5L value set (under NICE consultation)",
    reference="Rowen D, et al. (2026); NICE consultation nice.org.uk/consultations/3296.",
    verified="not bundled",
    bundled=False,
    note=(
        "the new UK 5L value set is under consultation and its coefficients could not be "
        "verified here; it is declared but not bundled"
    ),
)

EQ5D5L = Instrument(
    name="eq5d5l",
    title="Health-related quality of life (EQ-5D-5L index)",
    items=("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad"),
    range=(1.0, 5.0),
    response_labels=("No problems", "Slight problems", "Moderate problems", "Severe problems",
                     "Unable to / extreme problems"),
    score="index",
    value_sets=(ENGLAND_5L, NICE_DSU, UK_5L_2026),
    default_value_set=ENGLAND_5L.name,
    proration="none",
    proration_note="An index needs the whole profile: all 5 dimensions, never prorated.",
    reference=(
        "Herdman M, Gudex C, Lloyd A, et al. Development and preliminary testing of the new "
        "five-level version of EQ-5D (EQ-5D-5L). Qual Life Res 2011;20:1727-1736."
    ),
    licence=_EQ_LICENCE,
    verified=ENGLAND_5L.verified,
    note=(
        "Items are the five dimensions in the order mobility, self-care, usual activities, "
        "pain/discomfort, anxiety/depression, coded 1-5. No MID is set: published estimates "
        "depend on the value set and population (e.g. 0.08 for the UK 3L index in cancer, "
        "Pickard et al. 2007; none found here for the England 5L set); set scales.<k>.mid with "
        "its reference. NICE's reference case uses the DSU mapping, not bundled here."
    ),
)

EQ_VAS = Instrument(
    name="eq_vas",
    title="Self-rated health (EQ VAS)",
    items=("eq_vas",),
    range=(0.0, 100.0),
    response_labels=("0 = the worst health you can imagine",
                     "100 = the best health you can imagine"),
    score="mean",
    reference=(
        "EuroQol Research Foundation. EQ-5D-5L user guide (EQ VAS: 0-100, worst to best "
        "imaginable health)."
    ),
    licence=_EQ_LICENCE,
    mid=MID(
        value=7.0,
        low=7.0,
        high=12.0,
        reference=(
            "Pickard AS, Neary MP, Cella D. Estimation of minimally important differences in "
            "EQ-5D utility and VAS scores in cancer. Health Qual Life Outcomes 2007;5:70 "
            "(VAS: 8 to 12 anchored on performance status, 7 to 10 on FACT-G quintiles; the "
            "authors read the lower end, 7, as closest to the MID)."
        ),
        note="value = lower end of the range, as the authors suggest; estimated in cancer",
    ),
    verified="0-100 range: ../shared/methods-references.md (euroqol.org). MID: the cited "
             "paper's abstract (read here).",
)
