"""Write the mediation stage's results: tidy tables, status rows, sentences, figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pipeline.mediation.sentences import describe_mediation
from pipeline.mediation.spec import MediationSpec
from pipeline.tables import write_table


def write_mediation_outputs(tables: Mapping[str, pd.DataFrame], statuses: Mapping[str, pd.DataFrame],
                            specs: Sequence[MediationSpec], outdir: str | Path,
                            figures: bool = True) -> list[Path]:
    """``tables``/``statuses``: method -> stacked results of all analyses. Writes
    ``mediation_estimates.csv``, ``mediation_status.csv``, ``mediation_sentences.csv`` and, per
    analysis, ``mediation_<name>_path`` (first method) and ``mediation_<name>_forest`` figures."""
    outdir = Path(outdir)
    est = pd.concat(list(tables.values()), ignore_index=True)
    st = pd.concat(list(statuses.values()), ignore_index=True)
    written = [outdir / "mediation_estimates.csv", outdir / "mediation_status.csv",
               outdir / "mediation_sentences.csv"]
    write_table(est, written[0])
    write_table(st, written[1])
    rows = []
    for spec in specs:
        for method in tables:
            t = est[(est["analysis"] == spec.name) & (est["method"] == method)]
            s = st[(st["analysis"] == spec.name) & (st["method"] == method)]
            if len(s):
                rows.append({"analysis": spec.name, "method": method,
                             "sentence": describe_mediation(t, s, spec)})
    write_table(pd.DataFrame(rows, columns=["analysis", "method", "sentence"]), written[2])
    if figures:
        from pipeline.mediation.figures import plot_indirect_forest, plot_path_diagram

        for spec in specs:
            by_method = {m: t[t["analysis"] == spec.name] for m, t in tables.items()}
            by_method = {m: t for m, t in by_method.items() if len(t)}
            if not by_method:
                continue
            first = next(iter(by_method.values()))
            written += plot_path_diagram(first, spec, outdir / f"mediation_{spec.name}_path")
            written += plot_indirect_forest(by_method, outdir / f"mediation_{spec.name}_forest")
    return written
