"""The mediation stage's result tables: estimates and status rows of all methods stacked, one
sentence per analysis and method, and the tables each analysis's figures are drawn from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.mediation.sentences import describe_mediation
from pipeline.mediation.settings import MediationSettings
from pipeline.mediation.spec import MediationSpec
from pipeline.status import Status, status_row

__all__ = ["FIGURE_ORDER", "stack", "sentences_table", "figure_tables", "waiting_rows"]

#: methods in the figures: the path diagram shows the first one with estimates.
FIGURE_ORDER = ("fiml", "mi", "complete_case")


def stack(by_method: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The tables of all methods, one below the other (method order kept)."""
    return pd.concat(list(by_method.values()), ignore_index=True)


def sentences_table(tables: Mapping[str, pd.DataFrame], statuses: Mapping[str, pd.DataFrame],
                    specs: Sequence[MediationSpec], *, conf: float, warn_n: int) -> pd.DataFrame:
    """``analysis, method, sentence``: one plain-language sentence per analysis and method."""
    est, st = stack(tables), stack(statuses)
    rows = []
    for spec in specs:
        for method in tables:
            t = est[(est["analysis"] == spec.name) & (est["method"] == method)]
            s = st[(st["analysis"] == spec.name) & (st["method"] == method)]
            if len(s):
                rows.append({"analysis": spec.name, "method": method,
                             "sentence": describe_mediation(t, s, spec, conf=conf, warn_n=warn_n)})
    return pd.DataFrame(rows, columns=["analysis", "method", "sentence"])


def figure_tables(tables: Mapping[str, pd.DataFrame], spec: MediationSpec
                  ) -> dict[str, pd.DataFrame]:
    """Method -> the rows of analysis ``spec`` (methods with estimates only, FIGURE_ORDER)."""
    by_method = {m: tables[m][tables[m]["analysis"] == spec.name]
                 for m in FIGURE_ORDER if m in tables}
    return {m: t for m, t in by_method.items() if len(t)}


def waiting_rows(settings: MediationSettings) -> pd.DataFrame:
    """Status rows (one per method) of the analyses that wait for a wave (``waits_for_data``,
    the reason as message); they have no estimates, sentences or figures."""
    return pd.DataFrame([status_row(name, method, Status.WAITS_FOR_DATA, why,
                                    primary=(method == settings.primary))
                         for name, _, why in settings.waiting for method in settings.methods])
