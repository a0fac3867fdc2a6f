"""The side-by-side timing protocol shared by the benchmarks (issue 14).

Ours and the peer run the same work on the same data, interleaved in one session: after
``warmup`` untimed rounds of each, every round times each contender once, and the order of the
contenders rotates from round to round so that a slow spell of the shared machine does not fall
on one side only. Each contender is a callable returning its own elapsed seconds (Python:
``time.perf_counter`` around the call; an R peer: measured inside R by
:class:`benchmarks.rworker.RWorker`). Reported: median and min-max over the rounds, and the
ratio of the medians (peer / ours: above 1 means ours is faster).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """A contender that runs ``fn`` and returns its wall time (perf_counter) in seconds."""

    def run() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    return run


def interleave(contenders: Mapping[str, Callable[[], float]], repeats: int = 7,
               warmup: int = 1) -> dict[str, list[float]]:
    """Seconds of each contender over ``repeats`` interleaved rounds (after ``warmup`` rounds)."""
    names = list(contenders)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(warmup + repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t = contenders[name]()
            if r >= warmup:
                out[name].append(t)
    return out


def summary_line(name: str, seconds: list[float]) -> str:
    """``name  median ... s  (min ... - max ..., n runs)``."""
    return (f"{name:<34s} median {statistics.median(seconds):9.4f} s   "
            f"(min {min(seconds):.4f} - max {max(seconds):.4f}, {len(seconds)} runs)")


def ratio(peer: list[float], ours: list[float]) -> float:
    """Median of the peer / median of ours (> 1: ours is faster)."""
    return statistics.median(peer) / statistics.median(ours)


def report(times: Mapping[str, list[float]], ours: str, peer: str | None,
           label: str) -> str:
    """Print every contender's line and return the ratio line (the caller prints it last)."""
    for name, secs in times.items():
        print(summary_line(name, secs))
    if peer is None or peer not in times:
        return f"{label}: peer not timed"
    lo = min(times[peer]) / max(times[ours])
    hi = max(times[peer]) / min(times[ours])
    return (f"{label}: {peer} / {ours} = {ratio(times[peer], times[ours]):.2f}x "
            f"(medians; extremes {lo:.2f}-{hi:.2f}x)")
