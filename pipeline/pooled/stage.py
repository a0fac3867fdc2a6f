"""Pooled stage: every scheme of the run together (scheme table, pooled change, mediation).

Reads each scheme's clean wide data, its ``change_primary.csv`` and its public attrition flow
(when those rules run for it); writes exactly the outputs of ``rules/pooled.smk`` under
``results/pooled/``. ``cfg`` is the run as a whole (:class:`pipeline.studies.Programme`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.pooled.change import pool_change, scheme_estimates
from pipeline.pooled.figures import plot_forest
from pipeline.pooled.schemes import public_schemes, scheme_counts
from pipeline.pooled.sentences import sentences_table
from pipeline.pooled.settings import from_programme
from pipeline.stage_io import StageIO
from pipeline.status import Status, status_row
from pipeline.tables import write_table
from pipeline.wording import units_text

log = logging.getLogger("pipeline.pooled")


def _by_study(io: StageIO, name: str) -> dict[str, Path]:
    """Input files ``name`` by study (``results/<study>/<folder>/<file>``)."""
    return {Path(p).parents[1].name: Path(p) for p in io.inputs.get(name, []) or []}


def _statuses(s, pooled: pd.DataFrame, rows: pd.DataFrame) -> list[dict]:
    out = [status_row(f"change/{k}", "meta_analysis", Status.NOT_RUN, f"not pooled: {why}")
           for k, why in s.skipped]
    out += [status_row(f"change/{r.construct}/{r.wave}", "meta_analysis", r.status, r.message)
            for r in pooled.itertuples() if r.status != "ok"]
    out += [status_row(f"change/{r.construct}/{r.wave}/{r.scheme}", "scheme_estimate",
                       r.status, r.message) for r in rows.itertuples() if r.status != "ok"]
    return out


def run(prog, io: StageIO) -> None:
    s = from_programme(prog)
    wides = {n: pd.read_parquet(p) for n, p in _by_study(io, "wide").items()}
    flows = {n: pd.read_csv(p, dtype=str, keep_default_na=False)
             for n, p in _by_study(io, "flow").items()}
    changes = _by_study(io, "change")
    min_cell = {n: int(s.study_info[n]["min_cell"]) for n in s.studies}

    table = scheme_counts({n: wides[n] for n in s.studies}, s.study_info)
    write_table(table, io.output("schemes"))
    public = public_schemes(table, flows, min_cell)
    write_table(public, io.output("schemes_public"))

    tables = {n: (pd.read_csv(changes[n]) if n in changes else None) for n in s.studies}
    rows = scheme_estimates(tables, s.constructs)
    pooled, rows = pool_change(rows, s.min_schemes, s.conf_level)
    write_table(pooled, io.output("change"))
    write_table(rows, io.output("change_schemes"))
    write_table(rows.drop(columns=["n_observed"]), io.output("change_schemes_public"))
    log.info("pooled change: %d construct x wave rows, %d ok", len(pooled),
             int((pooled["status"] == "ok").sum()))

    labels = {w: lab for n in s.studies for w, lab in s.study_info[n]["waves"]}
    for c in s.constructs:
        plot_forest(rows[rows["construct"] == c.key], pooled[pooled["construct"] == c.key],
                    f"{c.label}: change from entry, by scheme and pooled",
                    units_text(c.label, c.lo, c.hi, c.score), labels,
                    io.member("figures", f"pooled_change_{c.key}.png"))
        io.member("figures", f"pooled_change_{c.key}.svg")  # written by save_figure

    statuses = _statuses(s, pooled, rows)
    extra = [{"kind": "not_pooled", "construct": k, "wave": "", "status": "not_run",
              "sentence": f"{k} was not pooled: {why}."} for k, why in s.skipped]
    if s.mediation:
        from pipeline.pooled.mediation import run_mediation

        med_rows, med_status = run_mediation(prog, s, wides, io)
        extra += med_rows
        statuses += med_status
    if s.crosslag:
        from pipeline.pooled.crosslag import run_crosslag

        scales = next(iter(prog.configs.values())).scales
        scale_labels = {k: sc.label or k for k, sc in scales.items()}
        cl_rows, cl_status = run_crosslag(s, wides, scale_labels, io)
        extra += cl_rows
        statuses += cl_status
    write_table(sentences_table(public, pooled, s.constructs, labels, extra),
                io.output("sentences"))
    write_table(pd.DataFrame(statuses, columns=["analysis", "method", "status", "message"]),
                io.output("status"))
