"""Donor matching of predictive mean matching: ``mice``'s ``matchindex``, for many chains at once.

For each recipient (a missing value), the ``d`` observed rows whose predicted means are nearest
to the recipient's are its donors, and one of them is drawn at random. The rule is that of
``mice:::matchindex`` (mice's default matcher since 3.12; ``src/matchindex.cpp``, van Buuren
2018 §3.4.2), step by step:

1. shuffle the donors (a random permutation), so equal predicted means come in random order;
2. sort the shuffled means, stably;
3. draw ``h`` uniformly from 1..d for each recipient;
4. find the recipient's place in the sorted means (``lower_bound``: the first mean >= its own);
5. walk outwards from there, ``h`` steps, each step taking the nearer of the next mean on the
   left and the next on the right (the right one when the two are equally near; the other
   side's once one side is used up); the donor is the one taken at step ``h``.

A NaN mean follows numpy's convention (sorted last; a NaN recipient's place is after every
donor), where C++'s ``stable_sort`` and ``lower_bound`` leave NaN undefined or at the start.

Every step is a comparison of two numbers, so the donor does not depend on how a library orders
equal distances. (An ``argpartition`` of each recipient's window, which this replaces, does: on
numpy 2 it runs SIMD sorting networks chosen by the CPU, and on the duplicated rows of a
bootstrap sample, where most recipients' nearest distances tie, machines with and without AVX2
picked different donors from the same seed.)

Stacked: every argument has one row per chain, each chain drawing from its own generator in
the order a single chain draws (permutation, then the ``h``), so a chain's donors do not depend
on the other chains it is run with.
"""

from __future__ import annotations

import numpy as np

__all__ = ["match_rows"]

_FAST_SORT_MIN = 2048  # rows of donors from which _stable_argsort tries the unstable sort first
_SORT_QUERIES_MIN = 4096  # rows of donors from which _locate sorts each row of queries first


def match_rows(yhat_obs: np.ndarray, yhat_mis: np.ndarray, donors: int,
               rngs: list[np.random.Generator]) -> np.ndarray:
    """Donor of each recipient, as an index into its chain's observed rows (chains x
    recipients), by ``mice:::matchindex`` (module docstring); ``yhat_obs``: chains x donors,
    ``yhat_mis``: chains x recipients, one generator per chain. R: ``matchindex(d, t, k)``."""
    b, n_obs = yhat_obs.shape
    n_mis = yhat_mis.shape[1]
    d = int(max(1, min(donors, n_obs)))
    off = (np.arange(b) * n_obs)[:, None]
    perm = np.stack([rng.permutation(n_obs) for rng in rngs]).reshape(b, n_obs)
    perm += off
    order = perm.take(_stable_argsort(yhat_obs.take(perm)) + off)
    s = yhat_obs.take(order)  # (order holds flat indices; order - off: the row's own)
    pick = np.stack([rng.integers(0, d, size=n_mis) for rng in rngs]).reshape(b, n_mis)
    pos = _locate(s, yhat_mis)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, compared as in C++
        chosen = _walk(s, yhat_mis, pos, pick, d)
        if _may_not_be_finite(s, yhat_mis):
            # every distance of a recipient to its row lies between 0 and these two: where one
            # is not finite (an infinite or NaN mean, or a difference that overflows) the
            # padding's infinities could tie with a distance: the walk that checks ends
            odd = ~np.isfinite(yhat_mis - s[:, :1]) | ~np.isfinite(s[:, -1:] - yhat_mis)
            rows = np.flatnonzero(odd.any(axis=1))
            exact = _walk(s[rows], yhat_mis[rows], pos[rows], pick[rows], d, ends=True)
            chosen[rows] = np.where(odd[rows], exact, chosen[rows])
    return order.take(chosen + off) - off


def _may_not_be_finite(s: np.ndarray, q: np.ndarray) -> bool:
    """False when every mean is finite and no difference of two can overflow (all under
    2**1022 in size): four reductions, no array built, on the hot path of every update."""
    if s.size == 0 or q.size == 0:
        return False
    bound = np.abs([s.min(), s.max(), q.min(), q.max()]).max()  # (numpy's max keeps a NaN)
    return not bound < 2.0**1022  # NaN compares False: not finite


def _walk(s: np.ndarray, q: np.ndarray, pos: np.ndarray, pick: np.ndarray, d: int,
          ends: bool = False) -> np.ndarray:
    """Position in its row of ``s`` (sorted rows) of the mean taken at step ``pick + 1`` of the
    walk outwards from ``pos`` (``searchsorted`` left of each query ``q``): left when
    ``q - s[lo] < s[hi] - q``, else right (``matchindex``'s comparison, to the last bit).

    Each row is padded with ``d`` infinities on both sides, so a walk past its end meets an
    infinite distance (never nearer than a finite one) instead of a bounds check; that holds
    while every distance is finite. ``ends``: check each side's end instead, as ``matchindex``
    does (rows with a mean that is not finite, or a distance that overflows)."""
    b, n_obs = s.shape
    pad = d
    width = n_obs + 2 * pad
    flat = np.empty((b, width))
    flat[:, :pad] = -np.inf
    flat[:, pad + n_obs:] = np.inf
    flat[:, pad:pad + n_obs] = s
    flat = flat.reshape(-1)
    first = (np.arange(b) * width + pad)[:, None]  # flat index of each row's first mean
    lo = pos + first - 1
    high, went_left = np.empty((d,) + pos.shape, np.intp), np.empty((d,) + pos.shape, bool)
    dl, dr = np.empty(pos.shape), np.empty(pos.shape)
    for k in range(d):
        left, hi = went_left[k], high[k]  # each step's own rows: no copies
        np.add(lo, k + 1, out=hi)  # after k steps hi = lo + k + 1
        flat.take(lo, out=dl, mode="clip")  # every index is inside the padded rows
        np.subtract(q, dl, out=dl)
        flat.take(hi, out=dr, mode="clip")
        dr -= q
        np.less(dl, dr, out=left)
        if ends:  # left only while it has means; always when the right has none
            left &= lo >= first
            left |= hi >= first + n_obs
        lo -= left
    step = pick[None]  # the mean taken at step pick: hi there, or lo = hi - pick - 1
    chosen = np.take_along_axis(high, step, axis=0)[0]
    chosen -= np.take_along_axis(went_left, step, axis=0)[0] * (pick + 1)
    chosen -= first
    return chosen


def _stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, axis=1, kind="stable")``, tried first (rows of :data:`_FAST_SORT_MIN` or
    more) with numpy's unstable sort: where every row's values are distinct and not NaN the two
    orders are one (issue 15's profile: 100,000 predicted means, stable 8 ms, unstable 1.5)."""
    if x.shape[1] < _FAST_SORT_MIN:
        return np.argsort(x, axis=1, kind="stable")
    order = np.argsort(x, axis=1)
    s = np.take_along_axis(x, order, axis=1)
    if s.shape[1] and not (np.isnan(s[:, -1]).any() or (s[:, 1:] == s[:, :-1]).any()):
        return order
    return np.argsort(x, axis=1, kind="stable")


def _locate(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise ``np.searchsorted(s[i], q[i])`` (s sorted by row); with many donors each row of
    queries is sorted first, so a binary search over sorted queries stays in cache (issue 14's
    profile at 100,000 rows); a short row of donors is in cache anyway, and sorting the queries
    cost more than it saved (92 chains x 63 donors x 567 recipients: 7.9 ms vs 4.8)."""
    out = np.empty(q.shape, dtype=np.intp)
    if s.shape[1] < _SORT_QUERIES_MIN:
        for i in range(q.shape[0]):
            out[i] = np.searchsorted(s[i], q[i])
        return out
    o = np.argsort(q, axis=1)  # (equal queries get equal places in any order)
    qs = np.take_along_axis(q, o, 1)
    for i in range(q.shape[0]):
        out[i, o[i]] = np.searchsorted(s[i], qs[i])
    return out
