"""The chains of a MICE run in parts: what a run of some of its chains gives
(:class:`Chains`), and the pieces :meth:`pipeline.stats.mice.MicePlan.result` gathers them with.

The imputation chains of the impute stage run as separate Snakemake jobs, a few chains each
(``impute_chains`` rules, :mod:`pipeline.missing_data.chains`); the impute job gathers them.
Chain i has its own generator and reads no other chain's values, so each chain gives the same
numbers in any part; here the parts' event notes are merged into the log one run of all chains
writes (issue 15, "parallel where the work is").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Chains", "ChainEvents", "check_chains", "merged_log"]


@dataclass
class Chains:
    """What chains ``first .. first + n - 1`` of a MICE run give (:meth:`MicePlan.run`):
    ``cells``: target -> its imputed values (chains x its missing rows); ``means`` / ``sds``:
    the traces (chains x iterations x targets, as :class:`MICEResult`); ``events``: the
    sampler's notes on their updates, one ``(variable, event, count, first key, last key,
    message)`` per (variable, event), keys ``(chain, iteration, variable index, step)``."""

    first: int
    cells: dict[str, np.ndarray]
    means: np.ndarray
    sds: np.ndarray
    events: list[tuple]

    @property
    def n(self) -> int:
        """Number of chains."""
        return int(self.means.shape[0])


class ChainEvents:
    """Collects the notes of a run of chains as :class:`EventLog` counts them (count, first and
    last key, last message), with chain numbers counted from the run's first chain, so runs of
    different chains merge into the log of one run of them all."""

    def __init__(self, first: int) -> None:
        self.first, self.rows = first, {}

    def note(self, var: str, event: str, msg: str, key: tuple | None = None) -> None:
        key = (key[0] + self.first, *key[1:])
        row = self.rows.get((var, event))
        if row is None:
            self.rows[(var, event)] = [1, key, key, msg]
            return
        row[0] += 1
        row[1] = min(row[1], key)
        if key >= row[2]:
            row[2], row[3] = key, msg

    def events(self) -> list[tuple]:
        return [(v, e, c, f, last, msg) for (v, e), (c, f, last, msg) in self.rows.items()]


def check_chains(plan: Any, parts: Sequence[Chains]) -> None:
    """ValueError unless ``parts`` (sorted by first chain) hold chains 0 .. m - 1 once each,
    every part with the plan's targets, missing cells and iterations."""
    nxt = 0
    for p in parts:
        if p.first != nxt:
            raise ValueError(f"chain {nxt} is {'missing' if p.first > nxt else 'given twice'}")
        shape = (p.n, plan.iterations, len(plan.model.targets))
        if p.means.shape != shape or p.sds.shape != shape:
            raise ValueError(f"the traces of chains {p.first}.. have shape {p.means.shape}, "
                             f"not {shape}")
        if sorted(p.cells) != sorted(plan.model.targets) or any(
                p.cells[c].shape != (p.n, int(plan.model.miss[c].sum())) for c in p.cells):
            raise ValueError(f"the imputed cells of chains {p.first}.. do not fit the data")
        nxt += p.n
    if nxt != plan.m:
        raise ValueError(f"the chains end at {nxt}, not at m={plan.m}")


def merged_log(setup: pd.DataFrame, parts: Sequence[Chains]) -> pd.DataFrame:
    """The event log of one run of all chains: the set-up notes, then the chains' notes summed
    over the parts, ordered by where a chain-by-chain run would first see them."""
    rows: dict[tuple, list] = {}
    for p in parts:
        for var, event, count, first, last, msg in p.events:
            row = rows.setdefault((var, event), [0, tuple(first), tuple(last), msg])
            row[0] += int(count)
            row[1] = min(row[1], tuple(first))
            if tuple(last) >= row[2]:
                row[2], row[3] = tuple(last), msg
    chain_rows = sorted(rows.items(), key=lambda kv: (kv[1][1], kv[0][1]))  # as EventLog
    out = [tuple(r) for r in setup.itertuples(index=False)]
    out += [(v, e, c, msg) for (v, e), (c, _, _, msg) in chain_rows]
    return pd.DataFrame(out, columns=["variable", "event", "count", "message"])
