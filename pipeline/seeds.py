"""Seeds that do not depend on job order or core count."""

from __future__ import annotations

import hashlib


def seed_for(base_seed: int, job_key: str) -> int:
    """Derive a 63-bit seed from the configured seed and a stable job key.

    ``numpy.random.default_rng(seed_for(cfg.seed, "mediation/main/bootstrap"))`` gives the same
    stream whatever else runs, in whatever order.
    """
    digest = hashlib.sha256(f"{int(base_seed)}::{job_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
