"""Crafted inputs for the findings wing: the demo study's config, tiny wing tables.

Imported by a unique module name (several test folders have a conftest.py, so
``from conftest import ...`` picks whichever was imported first); conftest.py re-exports
the fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.findings.settings import from_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cfg():
    return load_config(ROOT / "config" / "studies" / "demo.yaml", ROOT)


@pytest.fixture(scope="session")
def settings(cfg):
    return from_config(cfg)


def change_row(construct="qol", wave="T1", method="fiml", est=3.0, lo=1.0, hi=5.0, **kw):
    """One change_primary.csv row (contract columns; unadjusted CI unless given)."""
    row = dict(construct=construct, wave=wave, contrast=f"{wave} - T0", method=method,
               role="primary" if method == "fiml" else "sensitivity", est=est, se=1.0,
               ci_lower=lo, ci_upper=hi, ci_level=0.95, pvalue=0.01, ci_adjusted=False,
               ci_lower_adj=lo, ci_upper_adj=hi, pvalue_adj=0.01, p_adjust="none",
               n_contributing=630, n_observed=178, units="", scale_min=0, scale_max=100,
               baseline_sd=20.0, d=est / 20.0, d_z=est / 15.0, status="ok", message="")
    row.update(kw)
    return row


def change_table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def mediation_table(method="fiml", total=(2.0, 0.2, 4.0), direct=(1.0, -1.0, 3.0),
                    ind_total=(1.2, 0.1, 2.4), serial=(0.07, -0.02, 0.19), n=630,
                    n_outcome=174, analysis="social_cure_chain") -> pd.DataFrame:
    rows = []
    for etype, label, (e, lo, hi) in (("total", "total", total), ("direct", "cp", direct),
                                      ("indirect_total", "ind_total", ind_total),
                                      ("indirect_specific", "ind_123", serial),
                                      ("indirect_specific", "ind_1", (0.05, -0.8, 0.9))):
        rows.append(dict(analysis=analysis, method=method, effect_type=etype, label=label,
                         est=e, se=1.0, pvalue=0.05, ci_lower=lo, ci_upper=hi, n=n,
                         n_contributing=n, n_outcome=n_outcome))
    return pd.DataFrame(rows)


def tipping_table(conclusions: dict[float, str]) -> pd.DataFrame:
    return pd.DataFrame([dict(delta=d, conclusion=c, status="ok", message="")
                         for d, c in sorted(conclusions.items())])
