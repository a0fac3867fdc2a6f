"""Rules of the core study config that a JSON Schema cannot express (keys that refer to others).

Called by :func:`pipeline.config.validate_dict` after the schema check; each problem names the
config key, what is wrong and the fix.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.config_listings import listing_problems

__all__ = ["cross_key_problems"]


def cross_key_problems(cfg: dict[str, Any], ids: list[str]) -> list[str]:
    """Problems of the keys added for real exports: ``range_by_wave``, the covariates' wave /
    event / level map, repeat instances, ``id_pattern`` and ``group_listings``."""
    problems = _range_by_wave_problems(cfg["scales"], ids)
    problems += _covariate_problems(cfg.get("covariates") or {}, ids)
    problems += _wave_entry_problems(cfg["waves"])
    problems += listing_problems(cfg, ids)
    pattern = cfg.get("id_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(
                f"config key id_pattern: '{pattern}' is not a regular expression ({exc}); e.g. "
                "'SP\\d{4}' for SP0001."
            )
    return problems


def _range_by_wave_problems(scales: dict[str, Any], ids: list[str]) -> list[str]:
    problems = []
    for key, sc in scales.items():
        lo, hi = sc["range"]
        for wave_id, (wlo, whi) in (sc.get("range_by_wave") or {}).items():
            where = f"config key scales.{key}.range_by_wave.{wave_id}"
            if wave_id not in ids:
                problems.append(f"{where}: '{wave_id}' is not a wave id {ids}.")
            elif whi - wlo != hi - lo:
                problems.append(
                    f"{where}: [{wlo}, {whi}] must span as many codes as the scale's range "
                    f"[{lo}, {hi}] (the wave's codes are shifted onto the range, not stretched)."
                )
    return problems


def _covariate_problems(covariates: dict[str, Any], ids: list[str]) -> list[str]:
    problems = []
    for key, cov in covariates.items():
        where = f"config key covariates.{key}"
        if cov.get("wave") and cov["wave"] not in ids:
            problems.append(f"{where}.wave: '{cov['wave']}' is not a wave id {ids}.")
        if cov.get("event") and cov.get("first_nonempty"):
            problems.append(
                f"{where}: give either 'event' (the event the covariate is recorded on) or "
                "'first_nonempty: true', not both."
            )
        lmap = cov.get("level_map")
        if lmap is not None and cov["type"] != "categorical":
            problems.append(
                f"{where}.level_map: only a categorical covariate has levels to map to."
            )
        elif lmap is not None and cov.get("levels"):
            bad = sorted({str(v) for v in lmap.values() if v is not None} - set(cov["levels"]))
            if bad:
                problems.append(
                    f"{where}.level_map: {bad} are not among the covariate's levels "
                    f"{cov['levels']}; map each answer to one of the levels (or null)."
                )
    return problems


def _wave_entry_problems(waves: list[dict[str, Any]]) -> list[str]:
    problems = []
    for w in waves:
        if w.get("repeat_instrument") and w.get("instance") is None:
            problems.append(
                f"config key waves ({w['id']}).repeat_instrument: give the wave's 'instance' "
                "(the redcap_repeat_instance whose rows form this wave) as well."
            )
    return problems
