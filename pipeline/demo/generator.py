"""Seeded generator of the synthetic demo study shipped in ``data/raw/``.

The demo mimics a social prescribing pathway evaluation (Wakefield et al. 2022, J Health Psychol
27(2): pathway entry T0 N = 630, about 4 months T1 N = 178, 6-9 months T2 N = 63). It is written
so that the pipeline has something realistic to clean and something *known* to recover.

Usage::

    python -m pipeline.demo.generator --out data/raw --seed 20220201

``simulate_study(seed, n)`` is pure: it returns one raw DataFrame per wave (``{"T0": ..., "T1":
..., "T2": ...}``) exactly as it is written to the file, planted defects included.
``simulate_demo(seed, n)`` returns the same frames plus the ground truth (latent scores, response
indicators, the list of planted defects). ``write_demo(out_dir, seed)`` writes the three wave files
named in ``config/config.yaml`` (T0 CSV, T1 XLSX, T2 SPSS .sav), a manifest of the planted defects
(``demo_planted_defects.csv``) and ``README.md``; the files are byte-identical for the same seed
(and the same library versions).

True data-generating model
--------------------------
Five latent constructs per person and wave t = 0, 1, 2 (order: GM group memberships, CB community
belonging, SS social support, LON loneliness, QOL quality of life). Each latent score is

    eta[k, t] = mu[k, t] + RI[k] + w[k, t]

* ``RI`` (random intercepts, stable between-person part) and ``w`` (within-person part) each carry
  half of the variance (``ri_share = 0.5``); every construct has total variance 1 at every wave.
* Contemporaneous structural paths ``B`` (the same in the between part and the within part):

      CB  = a1 * GM                                a1  = 0.55
      SS  = d21 * CB + a2 * GM                     d21 = 0.55, a2 = 0.15
      LON = d32 * SS + d31 * CB                    d32 = -0.55, d31 = -0.15
      QOL = b3 * LON + c' * GM                     b3  = -0.50, c' = 0.10

  plus a disturbance per construct; no other direct paths (GM -> LON, CB -> QOL, SS -> QOL are 0).
  At T0 the observed-score (total) covariance therefore follows exactly this recursive model, so
  the serial indirect effect GM -> CB -> SS -> LON -> QOL is a1*d21*d32*b3 = 0.0832 (latent SD
  units); the other indirect paths GM -> SS -> LON -> QOL (a2*d32*b3) and GM -> CB -> LON -> QOL
  (a1*d31*b3) are 0.041 each; total GM -> QOL effect = 0.2657.
* Within-person lagged paths ``A`` (from wave t-1 to t, for t >= 1): autoregression 0.30 for
  every construct; cross-lags GM -> CB 0.10, CB -> SS 0.15, SS -> LON -0.10; all other
  cross-lags 0. Within-person innovation variances at T1 and T2 are set so that the within
  variance stays 0.5 (values in :func:`latent_moments` and data/raw/README.md).
* Means: ``mu[., 0] = 0``; the programme raises the GM intercept by 0.5 SD at T1 and T2 and the
  shift propagates through ``B``: mu[., 1] = mu[., 2] = (0.50, 0.275, 0.226, -0.166, 0.133) for
  (GM, CB, SS, LON, QOL).

Measurement: item response y* = loading * eta + sqrt(1 - loading^2) * e (e ~ N(0, 1)), then cut into
categories: response = 1 + number of thresholds below y* + location. Loadings GM (.80 .75 .70 .75),
CB (.85 .80 .75), SS (.80 .80 .75 .65), LON (.85 .85 .80). The 1-7 agree items use thresholds
(-1.5, -0.9, -0.4, 0.1, 0.6, 1.2) with locations GM -0.3, CB -0.1, SS +0.3; ss4 is reverse keyed
(raw answer = 8 - keyed answer). The UCLA 1-3 items use thresholds (-0.3, 0.7) with location +0.2
(a lonely referred population). EQ VAS = 62 + 20 * (0.9 * QOL + sqrt(0.19) * e), rounded to the
nearest 5 for 60% of people (heaping) and to an integer otherwise, clipped to 0-100.

Covariates (T0): age = round(18 + 72 * Beta(2.0, 1.8)) (18-90, mean about 56); gender Woman 63%,
Man 34%, "Non-binary / other" 3%. Covariates do not enter the structural model.

Response (MAR, depends only on observed answers): after item-level missingness (MCAR, 2% per
Likert item, 1.5% for EQ VAS),

    logit P(T1) = alpha1 + 0.02 (age - 55) - 0.25 (UCLA sum_T0 - 6) + 0.15 (GM mean_T0 - 4)
    logit P(T2 | responded T1)   = alpha2 + 0.02 (age - 55) + 0.25 (GM mean_T1 - 4)
    logit P(T2 | no T1 response) = alpha3 + 0.02 (age - 55) - 0.25 (UCLA sum_T0 - 6)

(UCLA sum prorated from answered items, GM mean over answered items; sample mean if none.) The
intercepts are calibrated on the realised sample so that the probabilities sum to 178 at T1, 58
at T2 among T1 responders and 5 at T2 among T1 non-responders; the Bernoulli draws are then
conditioned on exactly those totals (rejective sampling), so for n = 630 every seed gives the
published Ns 630 / 178 / 63 (panel members; the files hold a few more rows, see the defects).
For other n the targets scale with n / 630.

Planted defects (see ``DEFECT_PLAN`` and the manifest returned by :func:`simulate_demo`): partial
duplicate submissions, follow-up ids differing by case/white space, out-of-range codes, Likert
answers as text labels (T0 CSV), rows without an id, follow-up ids never seen at baseline, missing
completion dates and SPSS user-missing code -99 "Refused" (T2). Dates: entry between 2018-10-01
and 2019-09-30, T1 about 122 days later, T2 183-274 days after entry; file rows are in order of
completion date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from pipeline.seeds import seed_for

DEFAULT_SEED = 20220201
DEFAULT_N = 630
WAVES = ("T0", "T1", "T2")
FILES = {
    "T0": "demo_T0_entry.csv",
    "T1": "demo_T1_4months.xlsx",
    "T2": "demo_T2_7months.sav",
}
MANIFEST_FILE = "demo_planted_defects.csv"
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


@dataclass(frozen=True)
class DemoParams:
    """True parameters of the data-generating model (see the module docstring)."""

    a1: float = 0.55  # GM -> CB
    a2: float = 0.15  # GM -> SS
    d21: float = 0.55  # CB -> SS
    d31: float = -0.15  # CB -> LON
    d32: float = -0.55  # SS -> LON
    b3: float = -0.50  # LON -> QOL
    c_prime: float = 0.10  # GM -> QOL (direct)
    gm_shift: tuple[float, float, float] = (0.0, 0.5, 0.5)  # GM intercept per wave (SD units)
    ri_share: float = 0.5  # share of each construct's variance that is between-person
    ar: float = 0.30  # within-person autoregression, every construct
    lag_gm_cb: float = 0.10
    lag_cb_ss: float = 0.15
    lag_ss_lon: float = -0.10
    loadings: tuple[tuple[str, tuple[float, ...]], ...] = (
        ("gm", (0.80, 0.75, 0.70, 0.75)),
        ("cb", (0.85, 0.80, 0.75)),
        ("ss", (0.80, 0.80, 0.75, 0.65)),
        ("lon", (0.85, 0.85, 0.80)),
    )
    agree7_cuts: tuple[float, ...] = (-1.5, -0.9, -0.4, 0.1, 0.6, 1.2)
    agree7_location: tuple[tuple[str, float], ...] = (("gm", -0.3), ("cb", -0.1), ("ss", 0.3))
    ucla3_cuts: tuple[float, ...] = (-0.3, 0.7)
    ucla3_location: float = 0.2
    vas_mean: float = 62.0
    vas_sd: float = 20.0
    vas_loading: float = 0.9
    vas_heaping: float = 0.6  # share of people rounding EQ VAS to the nearest 5
    item_missing: float = 0.02
    vas_missing: float = 0.015
    expected_n1: float = 178.0
    expected_n2_from_t1: float = 58.0
    expected_n2_skip_t1: float = 5.0
    n_ref: float = 630.0  # expected follow-up Ns scale with n / n_ref
    resp_age: float = 0.02
    resp_t1_ucla: float = -0.25
    resp_t1_gm: float = 0.15
    resp_t2_gm: float = 0.25
    resp_t2_skip_ucla: float = -0.25


TRUE_PARAMS = DemoParams()

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
ID_VARIANTS = ("{lo} ", " {id}", "Sp-{num}", "{lo}", "{id}  ", " {lo}")
LABEL_VARIANTS = ("same", "lower", "upper", "padded", "title")


@dataclass
class DemoStudy:
    """A simulated study: the raw wave frames plus the ground truth."""

    frames: dict[str, pd.DataFrame]
    latent: pd.DataFrame  # one row per person-wave: true latent scores and response flags
    defects: pd.DataFrame  # manifest of planted defects
    params: DemoParams = field(default_factory=DemoParams)
    seed: int = DEFAULT_SEED


# ----------------------------------------------------------------------------------------------
# latent model
# ----------------------------------------------------------------------------------------------


def contemporaneous_paths(p: DemoParams = TRUE_PARAMS) -> np.ndarray:
    """B[outcome, predictor] over CONSTRUCTS (same in the between and the within part)."""
    ix = {c: i for i, c in enumerate(CONSTRUCTS)}
    b = np.zeros((5, 5))
    b[ix["cb"], ix["gm"]] = p.a1
    b[ix["ss"], ix["cb"]] = p.d21
    b[ix["ss"], ix["gm"]] = p.a2
    b[ix["lon"], ix["ss"]] = p.d32
    b[ix["lon"], ix["cb"]] = p.d31
    b[ix["qol"], ix["lon"]] = p.b3
    b[ix["qol"], ix["gm"]] = p.c_prime
    return b


def lagged_paths(p: DemoParams = TRUE_PARAMS) -> np.ndarray:
    """A[outcome at t, predictor at t-1] for the within-person part."""
    ix = {c: i for i, c in enumerate(CONSTRUCTS)}
    a = np.eye(5) * p.ar
    a[ix["cb"], ix["gm"]] = p.lag_gm_cb
    a[ix["ss"], ix["cb"]] = p.lag_cb_ss
    a[ix["lon"], ix["ss"]] = p.lag_ss_lon
    return a


def _fill_disturbances(b: np.ndarray, base: np.ndarray, target: float) -> np.ndarray:
    """Diagonal disturbance variances psi so that diag(inv(I-B) (base + diag(psi)) inv(I-B)') = target.

    B is lower triangular, so psi_k only moves construct k and later ones: solve in order.
    """
    inv = np.linalg.inv(np.eye(5) - b)
    psi = np.zeros(5)
    for k in range(5):
        psi[k] = 0.0
        cov = inv @ (base + np.diag(psi)) @ inv.T
        psi[k] = target - cov[k, k]
        if psi[k] <= 0:
            raise ValueError(f"demo parameters leave no disturbance variance for {CONSTRUCTS[k]}")
    return psi


def latent_moments(p: DemoParams = TRUE_PARAMS) -> dict[str, np.ndarray]:
    """Implied moments: disturbance variances, means per wave, within covariances per wave."""
    b = contemporaneous_paths(p)
    a = lagged_paths(p)
    inv = np.linalg.inv(np.eye(5) - b)
    psi_between = _fill_disturbances(b, np.zeros((5, 5)), p.ri_share)
    psi_within0 = _fill_disturbances(b, np.zeros((5, 5)), 1.0 - p.ri_share)
    sigma_w0 = inv @ np.diag(psi_within0) @ inv.T
    lag_cov = a @ sigma_w0 @ a.T
    psi_within1 = _fill_disturbances(b, lag_cov, 1.0 - p.ri_share)
    sigma_w1 = inv @ (lag_cov + np.diag(psi_within1)) @ inv.T
    psi_within2 = _fill_disturbances(b, a @ sigma_w1 @ a.T, 1.0 - p.ri_share)
    sigma_w2 = inv @ (a @ sigma_w1 @ a.T + np.diag(psi_within2)) @ inv.T
    means = np.array([inv @ np.array([s, 0, 0, 0, 0]) for s in p.gm_shift])
    return {
        "B": b,
        "A": a,
        "psi_between": psi_between,
        "psi_within_T0": psi_within0,
        "psi_within_T1": psi_within1,
        "psi_within_T2": psi_within2,
        "between_cov": inv @ np.diag(psi_between) @ inv.T,
        "within_cov": np.stack([sigma_w0, sigma_w1, sigma_w2]),
        "means": means,
    }


def _latent_scores(
    rng: np.random.Generator, n: int, p: DemoParams
) -> tuple[np.ndarray, np.ndarray]:
    """Return eta (n, 3 waves, 5 constructs) and the random intercepts (n, 5)."""
    m = latent_moments(p)
    inv = np.linalg.inv(np.eye(5) - m["B"])
    ri = (rng.standard_normal((n, 5)) * np.sqrt(m["psi_between"])) @ inv.T
    w = np.zeros((n, 3, 5))
    w[:, 0] = (rng.standard_normal((n, 5)) * np.sqrt(m["psi_within_T0"])) @ inv.T
    for t in (1, 2):
        psi = m[f"psi_within_T{t}"]
        u = w[:, t - 1] @ m["A"].T + rng.standard_normal((n, 5)) * np.sqrt(psi)
        w[:, t] = u @ inv.T
    eta = m["means"][None, :, :] + ri[:, None, :] + w
    return eta, ri


def _items(rng: np.random.Generator, eta: np.ndarray, p: DemoParams) -> dict[str, np.ndarray]:
    """Discrete item answers (float, no missing yet) for one wave from eta (n, 5)."""
    ix = {c: i for i, c in enumerate(CONSTRUCTS)}
    loadings = dict(p.loadings)
    location = dict(p.agree7_location)
    out: dict[str, np.ndarray] = {}
    n = eta.shape[0]
    for scale, items in SCALE_ITEMS.items():
        c = SCALE_CONSTRUCT[scale]
        if c == "qol":
            continue
        for it, lam in zip(items, loadings[c]):
            ystar = lam * eta[:, ix[c]] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            if c == "lon":
                code = 1 + np.searchsorted(np.asarray(p.ucla3_cuts), ystar + p.ucla3_location)
            else:
                code = 1 + np.searchsorted(np.asarray(p.agree7_cuts), ystar + location[c])
                if it in REVERSE_ITEMS:
                    code = 8 - code
            out[it] = code.astype(float)
    lam = p.vas_loading
    vas = p.vas_mean + p.vas_sd * (
        lam * eta[:, ix["qol"]] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    )
    heap = rng.random(n) < p.vas_heaping
    vas = np.where(heap, np.round(vas / 5) * 5, np.round(vas))
    out["eq_vas"] = np.clip(vas, 0, 100)
    return out


def _observed_ucla_sum(items: dict[str, np.ndarray]) -> np.ndarray:
    m = np.column_stack([items[c] for c in UCLA_ITEMS])
    with np.errstate(invalid="ignore"):
        s = np.nanmean(m, axis=1) * len(UCLA_ITEMS)
    return np.where(np.isnan(s), np.nanmean(s), s)


def _observed_gm_mean(items: dict[str, np.ndarray]) -> np.ndarray:
    m = np.column_stack([items[c] for c in SCALE_ITEMS["group_memberships"]])
    with np.errstate(invalid="ignore"):
        s = np.nanmean(m, axis=1)
    return np.where(np.isnan(s), np.nanmean(s), s)


def _calibrated_draw(rng: np.random.Generator, lin: np.ndarray, size: int) -> np.ndarray:
    """Bernoulli draws with P = expit(alpha + lin), conditioned on exactly ``size`` successes.

    alpha is chosen so that sum(P) = size; draws are repeated until the count equals ``size``
    (rejective / conditional Poisson sampling): each person's chance still follows the logistic
    model to O(1/size), and the realised N is the target N for every seed.
    """
    if len(lin) == 0 or size <= 0:
        return np.zeros(len(lin), dtype=bool)
    size = min(int(size), len(lin))
    target = min(size / len(lin), 0.999)
    alpha = brentq(lambda a: expit(a + lin).mean() - target, -30, 30, xtol=1e-12)
    prob = expit(alpha + lin)
    for _ in range(100_000):
        draw = rng.random(len(lin)) < prob
        if draw.sum() == size:
            return draw
    raise RuntimeError("demo: could not draw the requested number of responders")


# ----------------------------------------------------------------------------------------------
# the raw files
# ----------------------------------------------------------------------------------------------


def _label_variant(label: str, k: int) -> str:
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


def _id_variant(pid: str, k: int) -> str:
    num = pid.split("-", 1)[1]
    return ID_VARIANTS[k % len(ID_VARIANTS)].format(id=pid, lo=pid.lower(), num=num)


def _fmt_id(i: int) -> str:
    return f"SP-{i:04d}"


class _Wave:
    """Mutable working table for one wave: rows as dicts with a hidden key."""

    def __init__(self, wave: str):
        self.wave = wave
        self.rows: list[dict] = []
        self.defects: list[dict] = []

    def add(self, row: dict) -> dict:
        row["_key"] = len(self.rows)
        self.rows.append(row)
        return row

    def log(self, row: dict, defect: str, column: str, value, note: str = "", canonical=None):
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


def simulate_demo(
    seed: int = DEFAULT_SEED, n: int = DEFAULT_N, params: DemoParams = TRUE_PARAMS
) -> DemoStudy:
    """Simulate the demo study: raw frames (defects included) plus the ground truth."""
    if n < 100:
        raise ValueError("the demo study needs n >= 100 baseline participants")
    p = params
    rng = np.random.default_rng(seed_for(seed, f"demo/simulate/n={n}"))
    plan = DEFECT_PLAN
    n_extra_followup = plan["T1"]["unmatched_followup"] + plan["T2"]["unmatched_followup"]
    n_extra = plan["T0"]["missing_id"] + plan["T1"]["missing_id"] + n_extra_followup
    n_all = n + n_extra
    eta, ri = _latent_scores(rng, n_all, p)
    items = [_items(rng, eta[:, t], p) for t in range(3)]

    # item-level missingness (MCAR)
    for t in range(3):
        for col in ITEM_COLUMNS:
            rate = p.vas_missing if col == "eq_vas" else p.item_missing
            items[t][col][rng.random(n_all) < rate] = np.nan

    age = np.round(18 + 72 * rng.beta(2.0, 1.8, n_all)).astype(int)
    gender = rng.choice(len(GENDER_LEVELS), size=n_all, p=GENDER_PROBS)

    # ids: panel members SP-0001.. in order of entry date; extras get ids above n
    entry = rng.integers(0, 365, n_all)  # days after 2018-10-01
    perm = rng.permutation(n_all)  # which simulated person is a panel member / an extra
    panel, extras = perm[:n], list(perm[n:])
    order_panel = panel[np.argsort(entry[panel], kind="stable")]
    pid = np.empty(n_all, dtype=object)
    for rank, person in enumerate(order_panel):
        pid[person] = _fmt_id(rank + 1)
    extra_numbers = sorted(rng.choice(np.arange(n + 1, n + 100), size=n_extra, replace=False))
    for person, num in zip(extras, extra_numbers):
        pid[person] = _fmt_id(int(num))
    start = dt.date(2018, 10, 1)
    t1_lag = np.maximum(90, np.round(rng.normal(122, 12, n_all))).astype(int)
    t2_lag = rng.integers(183, 275, n_all)
    t2_lag = np.maximum(t2_lag, t1_lag + 30)
    dates = [
        np.array([start + dt.timedelta(days=int(d)) for d in entry]),
        np.array([start + dt.timedelta(days=int(d + l)) for d, l in zip(entry, t1_lag)]),
        np.array([start + dt.timedelta(days=int(d + l)) for d, l in zip(entry, t2_lag)]),
    ]

    # response (MAR on observed answers), panel members only
    scale_n = n / p.n_ref
    is_panel = np.zeros(n_all, dtype=bool)
    is_panel[panel] = True
    ucla0 = _observed_ucla_sum(items[0])
    gm0 = _observed_gm_mean(items[0])
    gm1 = _observed_gm_mean(items[1])
    lin1 = p.resp_age * (age - 55) + p.resp_t1_ucla * (ucla0 - 6) + p.resp_t1_gm * (gm0 - 4)
    resp1 = np.zeros(n_all, dtype=bool)
    resp1[panel] = _calibrated_draw(rng, lin1[panel], round(p.expected_n1 * scale_n))
    resp2 = np.zeros(n_all, dtype=bool)
    grp = panel[resp1[panel]]
    lin2 = p.resp_age * (age - 55) + p.resp_t2_gm * (gm1 - 4)
    resp2[grp] = _calibrated_draw(rng, lin2[grp], round(p.expected_n2_from_t1 * scale_n))
    grp = panel[~resp1[panel]]
    lin3 = p.resp_age * (age - 55) + p.resp_t2_skip_ucla * (ucla0 - 6)
    resp2[grp] = _calibrated_draw(rng, lin3[grp], round(p.expected_n2_skip_t1 * scale_n))

    # role of each extra person
    extras_iter = iter(extras)
    extra_role: dict[int, tuple[str, str]] = {}
    for w in ("T0", "T1"):
        for _ in range(plan[w]["missing_id"]):
            extra_role[next(extras_iter)] = (w, "missing_id")
    for w in ("T1", "T2"):
        for _ in range(plan[w]["unmatched_followup"]):
            extra_role[next(extras_iter)] = (w, "unmatched_followup")

    responded = [is_panel.copy(), resp1, resp2]
    panel_set = set(panel.tolist())

    def base_row(person: int, t: int) -> dict:
        row = {
            "_pid": pid[person],
            "_person": int(person),
            ID_COLUMN: pid[person],
            DATE_COLUMN: dates[t][person],
        }
        if t == 0:
            row["age"] = int(age[person])
            row["gender"] = GENDER_LEVELS[gender[person]]
        if t == 2 and T2_HAS_GENDER:
            row["gender"] = float(gender[person] + 1)
        for col in ITEM_COLUMNS:
            row[col] = items[t][col][person]
        return row

    waves: dict[str, _Wave] = {}
    for t, w in enumerate(WAVES):
        wv = _Wave(w)
        waves[w] = wv
        for person in np.flatnonzero(responded[t]):
            wv.add(base_row(int(person), t))
        for person, (rw, role) in extra_role.items():
            if rw != w:
                continue
            row = wv.add(base_row(person, t))
            if role == "missing_id":
                row[ID_COLUMN] = None if w == "T0" else " "
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
        # ordinary rows eligible for defects: panel respondents in the wave
        ordinary = [r for r in wv.rows if r["_person"] in panel_set]
        pool = list(rng.permutation(len(ordinary)))
        used: set[int] = set()

        def take(pred=lambda r: True, pool=pool, ordinary=ordinary, used=used) -> dict:
            """Next unused ordinary row (in this wave's random order) satisfying ``pred``."""
            for j in pool:
                r = ordinary[j]
                if r["_key"] in used or not pred(r):
                    continue
                used.add(r["_key"])
                return r
            raise RuntimeError("demo: ran out of rows to plant defects")

        spec = plan[w]
        for k in range(spec.get("duplicate_submission", 0)):
            src = take()
            dup = {key: val for key, val in src.items() if key != "_key"}
            keep = int(rng.integers(3, 9))
            for col in ITEM_COLUMNS[keep:]:
                dup[col] = np.nan
            later = k == spec["duplicate_submission"] - 1 and w == "T0"
            if later:
                dup[DATE_COLUMN] = src[DATE_COLUMN] + dt.timedelta(days=2)
            dup["_dup_of"] = src["_key"]
            dup["_dup_before"] = not later
            row = wv.add(dup)
            used.add(row["_key"])
            wv.log(
                row,
                "duplicate_submission",
                ID_COLUMN,
                row[ID_COLUMN],
                f"partial copy (first {keep} items answered) submitted "
                + ("2 days after" if later else "just before")
                + " the complete one",
            )
        for k, (col, count) in enumerate(spec.get("text_label", [])):
            for _ in range(count):
                r = take(lambda r, c=col: not np.isnan(r[c]))
                labels = UCLA3 if col in UCLA_ITEMS else AGREE7
                text = _label_variant(labels[int(r[col]) - 1], len(wv.defects))
                r[col] = text
                wv.log(r, "text_label", col, text, "Likert answer written as its label")
        for col, value in spec.get("out_of_range", []):
            r = take(lambda r, c=col: not np.isnan(r[c]))
            r[col] = float(value)
            wv.log(r, "out_of_range", col, value, "code outside the scale's range")
        for col, count in spec.get("user_missing", []):
            for _ in range(count):
                r = take(lambda r, c=col: not np.isnan(r[c]))
                r[col] = USER_MISSING_CODE
                wv.log(
                    r,
                    "user_missing",
                    col,
                    int(USER_MISSING_CODE),
                    'SPSS user-missing code -99 "Refused" (declared missing in the .sav)',
                )
        for k in range(spec.get("id_format", 0)):
            r = take()
            r[ID_COLUMN] = _id_variant(r["_pid"], len(wv.defects))
            wv.log(
                r,
                "id_format",
                ID_COLUMN,
                r[ID_COLUMN],
                "id differs from baseline by case/white space",
            )
        for _ in range(spec.get("missing_date", 0)):
            r = take()
            r["_true_date"] = r[DATE_COLUMN]
            r[DATE_COLUMN] = None
            wv.log(r, "missing_date", DATE_COLUMN, None, "completion date missing")

    frames: dict[str, pd.DataFrame] = {}
    manifests = []
    for w in WAVES:
        frame, manifest = _finish_wave(waves[w])
        frames[w] = frame
        manifests.append(manifest)
    defects = pd.concat(manifests, ignore_index=True)

    latent_rows = []
    for t, w in enumerate(WAVES):
        latent_rows.append(
            pd.DataFrame(
                {
                    "participant_id": pid.astype(str),
                    "in_panel": is_panel,
                    "wave": w,
                    "responded": responded[t] & is_panel,
                    **{f"eta_{c}": eta[:, t, i] for i, c in enumerate(CONSTRUCTS)},
                    **{f"ri_{c}": ri[:, i] for i, c in enumerate(CONSTRUCTS)},
                    "age": age,
                    "gender": np.asarray(GENDER_LEVELS, dtype=object)[gender],
                }
            )
        )
    latent = pd.concat(latent_rows, ignore_index=True)
    latent = latent.sort_values(["wave", "participant_id"], kind="stable").reset_index(drop=True)
    return DemoStudy(frames=frames, latent=latent, defects=defects, params=p, seed=seed)


def _finish_wave(wv: _Wave) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order rows as a survey export would, build the typed frame and the defect manifest."""
    rows = list(wv.rows)
    by_key = {r["_key"]: r for r in rows}

    def sort_key(r: dict):
        if "_dup_of" in r:
            src = by_key[r["_dup_of"]]
            d = r[DATE_COLUMN] or src[DATE_COLUMN]
            return (d, src["_pid"], 0 if r["_dup_before"] else 2)
        d = r[DATE_COLUMN]
        if d is None:  # missing date: keep the position of the (unknown) true date
            d = r["_true_date"] if "_true_date" in r else dt.date(1900, 1, 1)
        return (d, r["_pid"], 1)

    rows.sort(key=sort_key)
    data_row = {r["_key"]: i + 1 for i, r in enumerate(rows)}
    cols = [ID_COLUMN, DATE_COLUMN] + (["age", "gender"] if wv.wave == "T0" else [])
    if wv.wave == "T2" and T2_HAS_GENDER:
        cols.append("gender")
    cols += list(ITEM_COLUMNS)
    raw = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    frame = _typed(raw, wv.wave)
    man = pd.DataFrame(wv.defects)
    man.insert(0, "wave", wv.wave)
    man.insert(1, "file", FILES[wv.wave])
    man.insert(2, "data_row", [data_row[k] for k in man["_key"]])
    man.insert(3, "participant_id", [by_key[k][ID_COLUMN] for k in man["_key"]])
    man = man.drop(columns="_key").sort_values(["data_row", "defect", "column"], kind="stable")
    return frame, man.reset_index(drop=True)


def _typed(raw: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Column types as the file will hold them."""
    out = pd.DataFrame(index=raw.index)
    out[ID_COLUMN] = pd.Series(raw[ID_COLUMN].tolist(), dtype=object).where(
        raw[ID_COLUMN].notna(), None
    )
    if wave == "T0":  # CSV: ISO text dates; item columns may hold text labels
        out[DATE_COLUMN] = pd.Series(
            [d.isoformat() if d is not None else None for d in raw[DATE_COLUMN]],
            index=raw.index,
            dtype=object,
        )
        out["age"] = raw["age"].astype("Int64")
        out["gender"] = pd.Series(raw["gender"].tolist(), index=raw.index, dtype=object)
        for col in ITEM_COLUMNS:
            out[col] = pd.Series([_cell(v) for v in raw[col]], index=raw.index, dtype=object)
    elif wave == "T1":  # Excel: date cells, integer cells
        out[DATE_COLUMN] = pd.to_datetime(
            pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        ).astype("datetime64[s]")
        for col in ITEM_COLUMNS:
            out[col] = pd.array([_cell(v) for v in raw[col]], dtype="Int64")
    else:  # SPSS: dates, numeric doubles with NaN = system missing
        out[DATE_COLUMN] = pd.Series(raw[DATE_COLUMN].tolist(), dtype=object)
        if T2_HAS_GENDER:
            out["gender"] = raw["gender"].astype(float)
        for col in ITEM_COLUMNS:
            out[col] = raw[col].astype(float)
    return out


def _cell(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return int(v)


def simulate_study(seed: int, n: int = DEFAULT_N) -> dict[str, pd.DataFrame]:
    """One raw DataFrame per wave (T0, T1, T2), exactly as written to the files, defects included."""
    return simulate_demo(seed, n).frames


# ----------------------------------------------------------------------------------------------
# writers (byte-reproducible)
# ----------------------------------------------------------------------------------------------

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame, stamp: dt.datetime) -> bytes:
    """Excel workbook with fixed document timestamps and fixed zip entry times."""
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD"
    ) as xw:
        xw.book.properties.created = stamp
        xw.book.properties.creator = "pipeline.demo.generator"
        frame.to_excel(xw, sheet_name=XLSX_SHEET, index=False)
    # openpyxl stamps 'modified' with the current time on save and zip entries with the local
    # time: rewrite both so that the bytes depend on the data only
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + iso + m.group(3),
                    text,
                )
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def write_sav(frame: pd.DataFrame, path: Path, stamp: dt.datetime) -> None:
    """SPSS .sav with value labels, user-missing -99 and a fixed header timestamp."""
    import pyreadstat

    agree = {float(i + 1): lab for i, lab in enumerate(AGREE7)}
    ucla = {float(i + 1): lab for i, lab in enumerate(UCLA3)}
    labels: dict[str, dict] = {}
    for col in LIKERT7_ITEMS:
        labels[col] = dict(agree)
    for col in UCLA_ITEMS:
        labels[col] = dict(ucla)
    if "gender" in frame.columns:
        labels["gender"] = {float(i + 1): lab for i, lab in enumerate(GENDER_LEVELS)}
    missing: dict[str, list] = {}
    for col, _count in DEFECT_PLAN["T2"].get("user_missing", []):
        labels.setdefault(col, {})[USER_MISSING_CODE] = USER_MISSING_LABEL
        missing[col] = [USER_MISSING_CODE]
    column_labels = {
        ID_COLUMN: "Participant id",
        DATE_COLUMN: "Date questionnaire completed",
        "gender": "Gender",
        "eq_vas": "EQ VAS: your health today (0-100)",
    }
    for scale, items in SCALE_ITEMS.items():
        for i, it in enumerate(items, 1):
            column_labels.setdefault(
                it,
                f"{scale.replace('_', ' ').capitalize()} item {i}"
                + (" (reverse keyed)" if it in REVERSE_ITEMS else ""),
            )
    measure = {c: "ordinal" for c in LIKERT7_ITEMS + UCLA_ITEMS}
    measure.update({"eq_vas": "scale", ID_COLUMN: "nominal"})
    if "gender" in frame.columns:
        measure["gender"] = "nominal"
    fmt = {c: "F1.0" for c in LIKERT7_ITEMS + UCLA_ITEMS}
    fmt["eq_vas"] = "F3.0"
    if "gender" in frame.columns:
        fmt["gender"] = "F1.0"
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label="Social Cure demo study, T2 (synthetic)",
        column_labels={k: v for k, v in column_labels.items() if k in frame.columns},
        variable_value_labels=labels,
        missing_ranges=missing,
        variable_measure=measure,
        variable_format=fmt,
    )
    # the header holds the write time: creation date (9 bytes at offset 92) and time (8 at 101)
    data = bytearray(Path(path).read_bytes())
    if data[:4] != b"$FL2":
        raise RuntimeError("unexpected .sav header; cannot fix its timestamp")
    data[92:101] = stamp.strftime("%d %b %y").encode("ascii")
    data[101:109] = stamp.strftime("%H:%M:%S").encode("ascii")
    Path(path).write_bytes(bytes(data))


def write_demo(
    out_dir: str | Path, seed: int = DEFAULT_SEED, n: int = DEFAULT_N, readme: bool = True
) -> dict[str, Path]:
    """Write the three wave files, the defect manifest and (optionally) README.md to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = simulate_demo(seed, n)
    paths = {w: out / FILES[w] for w in WAVES}
    last = max(d for f in study.frames.values() for d in pd.to_datetime(f[DATE_COLUMN]).dropna())
    stamp = dt.datetime.combine((last + pd.Timedelta(days=1)).date(), dt.time(9, 0, 0))
    paths["T0"].write_bytes(csv_bytes(study.frames["T0"]))
    paths["T1"].write_bytes(xlsx_bytes(study.frames["T1"], stamp))
    write_sav(study.frames["T2"], paths["T2"], stamp)
    paths["defects"] = out / MANIFEST_FILE
    paths["defects"].write_bytes(csv_bytes(study.defects))
    if readme:
        paths["readme"] = out / "README.md"
        paths["readme"].write_text(render_readme(study, paths), encoding="utf-8")
    return paths


# ----------------------------------------------------------------------------------------------
# documentation
# ----------------------------------------------------------------------------------------------


def _cronbach(df: pd.DataFrame) -> float:
    d = df.dropna()
    k = d.shape[1]
    return float(k / (k - 1) * (1 - d.var(ddof=1).sum() / d.sum(axis=1).var(ddof=1)))


def clean_items(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric, in-range, reverse-keyed item answers (for checks; the pipeline's clean stage is
    the real thing): text labels mapped, out-of-range and -99 set to missing."""
    lab = {s.lower(): float(i + 1) for i, s in enumerate(AGREE7)}
    ulab = {s.lower(): float(i + 1) for i, s in enumerate(UCLA3)}
    out = pd.DataFrame(index=frame.index)
    for col in ITEM_COLUMNS:
        mapping = ulab if col in UCLA_ITEMS else lab
        vals = [
            mapping.get(v.strip().lower(), np.nan)
            if isinstance(v, str)
            else (np.nan if v is None or pd.isna(v) else float(v))
            for v in frame[col].tolist()
        ]
        s = pd.Series(vals, index=frame.index, dtype=float)
        hi = 3 if col in UCLA_ITEMS else (100 if col == "eq_vas" else 7)
        lo = 0 if col == "eq_vas" else 1
        s = s.where((s >= lo) & (s <= hi))
        if col in REVERSE_ITEMS:
            s = 8 - s
        out[col] = s
    return out


def scale_scores(frame: pd.DataFrame) -> pd.DataFrame:
    items = clean_items(frame)
    return pd.DataFrame(
        {scale: items[list(cols)].mean(axis=1) for scale, cols in SCALE_ITEMS.items()}
    )


def render_readme(study: DemoStudy, paths: dict[str, Path] | None = None) -> str:
    """data/raw/README.md: the demo study, its true model, realised Ns and planted defects."""
    p = study.params
    m = latent_moments(p)
    frames = study.frames
    d = study.defects
    lines = []
    a = lines.append
    a("# Demo study (synthetic data)")
    a("")
    a(
        "Generated by `python -m pipeline.demo.generator --out data/raw --seed "
        f"{study.seed}` (`pipeline/demo.py`). Do not edit these files by hand: change the generator "
        "and re-run it. The same seed gives byte-identical files (with the same pandas, openpyxl "
        "and pyreadstat versions). Nothing here is real data."
    )
    a("")
    a(
        "It mimics a social prescribing pathway evaluation (people referred to community groups), "
        "modelled on Wakefield et al. 2022, J Health Psychol 27(2): T0 pathway entry N = 630, T1 about "
        "4 months N = 178, T2 6-9 months N = 63."
    )
    a("")
    a("## Files")
    a("")
    a("| wave | file | format | data rows | distinct raw ids | panel members responding |")
    a("|---|---|---|---|---|---|")
    lat = study.latent
    for w in WAVES:
        f = frames[w]
        ids = f[ID_COLUMN].dropna().astype(str).str.strip()
        ids = ids[ids != ""]
        nresp = int(lat.loc[(lat["wave"] == w) & lat["responded"]].shape[0])
        fmt = {
            "T0": "CSV, UTF-8, comma",
            "T1": f"Excel, sheet `{XLSX_SHEET}`",
            "T2": "SPSS .sav (value labels, user-missing -99)",
        }[w]
        a(f"| {w} | `{FILES[w]}` | {fmt} | {len(f)} | {ids.nunique()} | {nresp} |")
    a(f"| - | `{MANIFEST_FILE}` | CSV | {len(d)} | - | manifest of the planted defects |")
    a("")
    t1 = set(lat.loc[(lat.wave == "T1") & lat.responded, "participant_id"])
    t2 = set(lat.loc[(lat.wave == "T2") & lat.responded, "participant_id"])
    a(
        f"T2 responders: {len(t2 & t1)} also answered T1, {len(t2 - t1)} skipped T1. "
        '"Panel members responding" counts people from the baseline panel (after resolving id '
        "formatting and duplicates, excluding rows without an id and follow-up ids never seen at "
        "baseline): these are the Ns a correct clean stage should report."
    )
    a("")
    a(
        "Columns: `participant_id` (`SP-0001` ... in order of entry), `completed_at` (date), at T0 "
        "`age` (18-90) and `gender` (Woman / Man / Non-binary / other); items `gm1-gm4`, `cb1-cb3`, "
        "`ss1-ss4` (1-7 agree scale; `ss4` is reverse keyed as answered), `lon1-lon3` (UCLA-3, 1-3), "
        "`eq_vas` (0-100)."
        + (
            " The T2 file also re-asks `gender` (numeric codes 1 Woman, 2 Man, "
            "3 Non-binary / other, with value labels); covariates are read from T0."
            if T2_HAS_GENDER
            else ""
        )
    )
    a("")
    a("## True data-generating model")
    a("")
    a(
        "Latent scores per person and wave: eta[k,t] = mu[k,t] + RI[k] + w[k,t] for k in GM (group "
        f"memberships), CB (belonging), SS (support), LON (loneliness), QOL. Random intercepts carry "
        f"{p.ri_share:.0%} of each construct's variance and the within part the rest; every construct "
        "has variance 1 at every wave. Contemporaneous paths (same in the between and the within part):"
    )
    a("")
    a("| path | parameter | value |")
    a("|---|---|---|")
    for lab, name, val in [
        ("GM -> CB", "a1", p.a1),
        ("CB -> SS", "d21", p.d21),
        ("GM -> SS", "a2", p.a2),
        ("SS -> LON", "d32", p.d32),
        ("CB -> LON", "d31", p.d31),
        ("LON -> QOL", "b3", p.b3),
        ("GM -> QOL (direct)", "c'", p.c_prime),
    ]:
        a(f"| {lab} | {name} | {val:+.2f} |")
    a("")
    ind = p.a1 * p.d21 * p.d32 * p.b3
    a(
        f"All other contemporaneous paths are 0. Serial indirect effect GM -> CB -> SS -> LON -> QOL "
        f"= a1 d21 d32 b3 = {ind:.4f}; other indirect paths: GM->SS->LON->QOL = "
        f"{p.a2 * p.d32 * p.b3:.4f}, GM->CB->LON->QOL = {p.a1 * p.d31 * p.b3:.4f}; total GM -> QOL "
        f"= {ind + p.a2 * p.d32 * p.b3 + p.a1 * p.d31 * p.b3 + p.c_prime:.4f} (latent SD units). "
        "The observed scale scores carry measurement error, so observed-score estimates are "
        "attenuated relative to these latent values."
    )
    a("")
    a(
        "Disturbance variances at T0 (between + within = total): "
        + ", ".join(
            f"{c.upper()} {b_:.3f} + {w_:.3f}"
            for c, b_, w_ in zip(CONSTRUCTS, m["psi_between"], m["psi_within_T0"])
        )
        + "."
    )
    a("")
    a(
        f"Within-person lagged paths (t-1 -> t): autoregression {p.ar:.2f} for every construct; "
        f"GM -> CB {p.lag_gm_cb:+.2f}, CB -> SS {p.lag_cb_ss:+.2f}, SS -> LON {p.lag_ss_lon:+.2f}; "
        "other cross-lags 0. Within innovation variances (disturbances of the within part given the "
        "lagged and contemporaneous paths) at T1: "
        + ", ".join(f"{c.upper()} {v:.3f}" for c, v in zip(CONSTRUCTS, m["psi_within_T1"]))
        + "; at T2: "
        + ", ".join(f"{c.upper()} {v:.3f}" for c, v in zip(CONSTRUCTS, m["psi_within_T2"]))
        + "."
    )
    a("")
    a(
        "Means (latent SD units) by wave: the programme raises the GM intercept by "
        f"{p.gm_shift[1]:.2f} at T1 and {p.gm_shift[2]:.2f} at T2, propagated through the paths:"
    )
    a("")
    a("| wave | " + " | ".join(c.upper() for c in CONSTRUCTS) + " |")
    a("|---|" + "---|" * 5)
    for t, w in enumerate(WAVES):
        a(f"| {w} | " + " | ".join(f"{v:+.3f}" for v in m["means"][t]) + " |")
    a("")
    a(
        "Items: y* = loading x eta + sqrt(1 - loading^2) x noise, cut at thresholds. Loadings: "
        + "; ".join(f"{c.upper()} {', '.join(f'{x:.2f}' for x in ls)}" for c, ls in p.loadings)
        + f". Agree items (1-7) thresholds {list(p.agree7_cuts)} after adding a location "
        + ", ".join(f"{c.upper()} {v:+.1f}" for c, v in p.agree7_location)
        + "; `ss4` is stored reversed (8 - keyed answer). UCLA items (1-3) thresholds "
        f"{list(p.ucla3_cuts)}, location {p.ucla3_location:+.1f}. EQ VAS = {p.vas_mean:.0f} + "
        f"{p.vas_sd:.0f} x ({p.vas_loading} x QOL + sqrt({1 - p.vas_loading**2:.2f}) x noise), "
        f"rounded to the nearest 5 for {p.vas_heaping:.0%} of answers, clipped to 0-100. Item "
        f"missingness: MCAR, {p.item_missing:.1%} per Likert/UCLA item, {p.vas_missing:.1%} EQ VAS."
    )
    a("")
    a(
        "Age = round(18 + 72 Beta(2.0, 1.8)); gender Woman 63%, Man 34%, Non-binary / other 3% "
        "(no missing covariates). Covariates do not enter the structural model."
    )
    a("")
    a(
        "Response (missing at random given observed answers). The intercepts alpha are calibrated "
        "so that the probabilities sum to 178 at T1, 58 at T2 among T1 responders and 5 at T2 among "
        "T1 non-responders; the Bernoulli draws are conditioned on exactly these totals (rejective "
        "sampling), so the panel Ns are 630 / 178 / 63 for every seed (scaled for other n)."
    )
    a("")
    a(
        f"- logit P(T1) = alpha1 + {p.resp_age} (age - 55) {p.resp_t1_ucla:+} (UCLA sum T0 - 6) "
        f"{p.resp_t1_gm:+} (GM mean T0 - 4): older, less lonely people with more groups stay."
    )
    a(
        f"- logit P(T2 | answered T1) = alpha2 + {p.resp_age} (age - 55) {p.resp_t2_gm:+} "
        "(GM mean T1 - 4)."
    )
    a(
        f"- logit P(T2 | skipped T1) = alpha3 + {p.resp_age} (age - 55) "
        f"{p.resp_t2_skip_ucla:+} (UCLA sum T0 - 6)."
    )
    a("")
    # realised descriptives
    a("## Realised data (this seed)")
    a("")
    a("Cronbach's alpha (complete cases, cleaned items) and scale means by wave:")
    a("")
    a(
        "| scale | "
        + " | ".join(f"alpha {w}" for w in WAVES)
        + " | "
        + " | ".join(f"mean {w}" for w in WAVES)
        + " |"
    )
    a("|---|" + "---|" * 6)
    for scale, cols in SCALE_ITEMS.items():
        alphas, means = [], []
        for w in WAVES:
            it = clean_items(frames[w])
            alphas.append("-" if len(cols) == 1 else f"{_cronbach(it[list(cols)]):.2f}")
            means.append(f"{it[list(cols)].mean(axis=1).mean():.2f}")
        a(f"| {scale} | " + " | ".join(alphas) + " | " + " | ".join(means) + " |")
    a("")
    a("(Item means; the loneliness score in the config is a sum = 3 x the item mean.)")
    a("")
    a("## Planted defects")
    a("")
    a(
        f"Every planted defect is listed, with its data row (1-based among data rows; in the CSV and "
        f"the Excel sheet the spreadsheet row is data row + 1 because of the header), in "
        f"`{MANIFEST_FILE}`."
    )
    a("")
    a("| wave | defect | count | what a correct clean stage does |")
    a("|---|---|---|---|")
    action = {
        "duplicate_submission": "keeps the complete submission (rule most_complete_then_latest), logs the partial one",
        "text_label": "maps the label via `label_maps` (ignoring case and surrounding spaces)",
        "out_of_range": "sets the cell missing and logs it",
        "missing_id": "drops the row and logs it",
        "missing_date": "keeps the row with date missing (NaT) and logs it",
        "id_format": "matches the baseline id after trimming / case folding",
        "unmatched_followup": "drops (config `unmatched_followup: drop`) and logs",
        "user_missing": "treats -99 as missing (declared user-missing in the .sav)",
    }
    for (w, defect), g in d.groupby(["wave", "defect"], sort=True):
        a(f"| {w} | {defect} | {len(g)} | {action.get(defect, '')} |")
    a(f"| all | total | {len(d)} | |")
    a("")
    a("Details:")
    a("")
    for w in WAVES:
        g = d[d["wave"] == w]
        for _, r in g.iterrows():
            val = f"`{r['value']!r}`" if r["column"] != DATE_COLUMN else "(empty)"
            who = f"person {r['canonical_id']}" if r["canonical_id"] else "no panel member"
            a(
                f"- {w} row {r['data_row']}: {r['defect']} in `{r['column']}` = {val} "
                f"({who}): {r['note']}"
            )
    a("")
    a(
        "Expected clean counts: T0 has "
        f"{len(frames['T0'])} data rows = {int(((lat.wave == 'T0') & lat.responded).sum())} "
        f"participants + {int(((d.wave == 'T0') & (d.defect == 'duplicate_submission')).sum())} partial "
        f"duplicates + {int(((d.wave == 'T0') & (d.defect == 'missing_id')).sum())} row without an id."
    )
    a("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pipeline.demo.generator", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="baseline participants (default 630)")
    ap.add_argument("--no-readme", action="store_true", help="do not (re)write README.md")
    args = ap.parse_args(argv)
    paths = write_demo(args.out, args.seed, args.n, readme=not args.no_readme)
    for key, path in paths.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{key:8s} {path}  sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
