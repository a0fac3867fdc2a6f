"""Several schemes of one programme (``--schemes S``): each scheme is a demo study of its own,
with its own seed and slightly different effects, written to its own folder.

* Scheme ``k`` (1..S) is named ``scheme_<k>`` (zero-padded to the width of S) and simulated
  with seed ``seed_for(seed, "demo/scheme/<k>")``, so schemes are independent of each other and
  of S: adding a scheme leaves the others' files unchanged.
* Its structural paths (a1, a2, d21, d31, d32, b3, c') and its programme effect (the GM shift
  after entry) are the demo's, each multiplied by a factor drawn uniformly from
  ``1 +/- spread`` (default 0.15) with the scheme's own generator (deviations halved where the
  model would be improper): schemes differ the way real schemes of one programme would, and a
  pooled analysis has heterogeneity to find.
* One scheme (S = 1) is the demo study itself, written where ``--out`` says.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from pipeline.demo.latent import latent_moments
from pipeline.demo.params import TRUE_PARAMS, DemoParams
from pipeline.demo.write import write_demo
from pipeline.seeds import seed_for

__all__ = ["SCHEME_PATHS", "scheme_names", "scheme_seed", "scheme_params", "write_schemes"]

#: paths that vary between schemes
SCHEME_PATHS = ("a1", "a2", "d21", "d31", "d32", "b3", "c_prime")


def scheme_names(schemes: int) -> list[str]:
    """``scheme_1`` ... ``scheme_S``, zero-padded so they sort in order."""
    width = len(str(schemes))
    return [f"scheme_{k:0{width}d}" for k in range(1, schemes + 1)]


def scheme_seed(seed: int, k: int) -> int:
    """Seed of scheme ``k`` (1-based): independent of the number of schemes."""
    return seed_for(seed, f"demo/scheme/{k}") % (2**31)


def scheme_params(
    seed: int, k: int, spread: float = 0.15, base: DemoParams = TRUE_PARAMS, waves: int = 3
) -> DemoParams:
    """The true parameters of scheme ``k``: the demo's paths and GM shift, each scaled by a
    factor uniform in ``1 +/- spread`` drawn from the scheme's own generator.

    The demo's loneliness disturbance is small (the chain explains most of it), so stronger
    paths can leave it no variance; the deviations from 1 are then halved until the model is
    proper (deterministic: the same seed and k give the same parameters).
    """
    rng = np.random.default_rng(seed_for(seed, f"demo/scheme/{k}/params"))
    factors = 1 + spread * (2 * rng.random(len(SCHEME_PATHS) + 1) - 1)
    for attempt in range(12):
        f = 1 + (factors - 1) / 2**attempt
        changes = {name: getattr(base, name) * x for name, x in zip(SCHEME_PATHS, f)}
        changes["gm_shift"] = tuple(s * f[-1] for s in base.gm_shift)
        params = dataclasses.replace(base, **changes)
        try:
            latent_moments(params, max(waves, 3))
        except ValueError:  # no disturbance variance left for a construct
            continue
        return params
    return base


def write_schemes(
    out_dir: str | Path,
    seed: int,
    n: int,
    waves: int = 3,
    schemes: int = 1,
    readme: bool = True,
) -> dict[str, dict[str, Path]]:
    """Write every scheme's files; returns ``{scheme name: {file key: path}}``.

    With one scheme this is :func:`pipeline.demo.write.write_demo` into ``out_dir``; with more,
    each scheme goes to ``out_dir/<scheme name>/``.
    """
    if schemes < 1:
        raise ValueError("the number of schemes must be at least 1")
    if schemes == 1:
        return {"demo": write_demo(out_dir, seed, n, readme=readme, waves=waves)}
    out = {}
    for k, name in enumerate(scheme_names(schemes), 1):
        out[name] = write_demo(
            Path(out_dir) / name,
            scheme_seed(seed, k),
            n,
            readme=False,
            waves=waves,
            params=scheme_params(seed, k, waves=waves),
        )
    return out
