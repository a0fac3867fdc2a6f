"""The parts of a MICE run (pipeline/stats/mice_parts.py): the event notes of chains run in
separate parts merge into the log one run of all chains writes (EventLog)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.stats.mice_chains import EventLog
from pipeline.stats.mice_parts import ChainEvents, Chains, merged_log

M, ITER, VARS = 6, 3, ["a", "b", "c"]

# one note: (chain, iteration, variable index, step, event, message)
_note = st.tuples(st.integers(0, M - 1), st.integers(0, ITER - 1), st.integers(0, 2),
                  st.integers(0, 1), st.sampled_from(["predictor_removed", "ridge"]),
                  st.sampled_from(["m1", "m2", "m3"]))


def _in_run_order(notes):
    """Notes as a run emits them: by chain block, iteration, variable, step (a chain's notes in
    its own order; within an update the chains of a block in order)."""
    return sorted(set(notes), key=lambda n: (n[1], n[2], n[3], n[0]))


@settings(max_examples=150, deadline=None)
@given(notes=st.lists(_note, max_size=40), cut=st.integers(0, M))
@example(notes=[(0, 0, 0, 1, "predictor_removed", "m1"), (0, 0, 0, 1, "ridge", "m2"),
                (1, 0, 0, 0, "ridge", "m1")], cut=1)  # two events first seen in one update
def test_notes_split_at_any_chain_merge_into_one_runs_log(notes, cut):
    notes = _in_run_order(notes)
    whole = EventLog()
    whole.note("k", "constant", "set-up note")
    for c, it, j, step, event, msg in notes:
        whole.note(VARS[j], event, msg, (c, it, j, step))
    parts, setup = [], EventLog()
    setup.note("k", "constant", "set-up note")
    for lo, hi in ((0, cut), (cut, M)):
        rec = ChainEvents(lo)
        for c, it, j, step, event, msg in notes:
            if lo <= c < hi:  # a part numbers its chains from 0
                rec.note(VARS[j], event, msg, (c - lo, it, j, step))
        empty = np.empty((hi - lo, ITER, 0))
        parts.append(Chains(lo, {}, empty, empty, rec.events()))
    pd.testing.assert_frame_equal(merged_log(setup.frame(), parts), whole.frame())


def test_chain_events_count_first_and_last_like_the_event_log():
    rec = ChainEvents(first=4)
    rec.note("y", "ridge", "first", (1, 0, 2, 1))
    rec.note("y", "ridge", "later", (0, 2, 2, 1))
    rec.note("y", "ridge", "latest", (1, 2, 2, 1))
    ((var, event, count, first, last, msg),) = rec.events()
    assert (var, event, count) == ("y", "ridge", 3)
    assert first == (4, 2, 2, 1) and last == (5, 2, 2, 1) and msg == "latest"
