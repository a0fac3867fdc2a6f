"""Where the simple slopes are probed: the moderator values of ``moderation.analyses.<a>.probe``.

- ``sd`` (default): the moderator's mean and one SD either side (estimated with the model:
  FIML's ML mean and SD, or among the complete cases).
- ``anchors``: the moderator's labelled response points -- lowest, middle (odd count) and
  highest -- from its instrument preset's response labels or, failing that, from its label
  map (for a single item 1-7 agreement scale: 1 "Strongly disagree", 4 "Neither agree nor
  disagree", 7 "Strongly agree"). A mean score is probed at its response scale's points (a
  person whose average answer is that point); a sum score at ``k`` times them (that answer to
  every item). A lookup or index score, or a moderator without labelled points, is refused.
- ``values``: the analyst's values, each with an optional label; a value outside the scale's
  possible range is refused (ConfigError naming the key).
- ``percentiles``: the 16th, 50th and 84th (or the configured) percentiles of the moderator
  among the people analysed (R ``quantile(type = 7)``).

A point outside the range observed among the people analysed is kept and flagged
(``within_observed``) -- the slope there is an extrapolation, and the sentence says so.
Resolved at start-up (:func:`resolve_probe`) except the data-dependent ``sd`` and
``percentiles`` points (:func:`probe_points`). :func:`who` words a point for the sentences
("who strongly agreed that they identified with their group").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.instruments import INSTRUMENTS
from pipeline.wording import lower_first

__all__ = ["Probe", "ProbePoint", "resolve_probe", "probe_points", "who", "plain_label",
           "DEFAULT_PERCENTILES", "STATEMENTS", "SD_POINTS"]

DEFAULT_PERCENTILES = (16.0, 50.0, 84.0)
#: what agreeing with a preset's item says (for "people who strongly agreed that ...")
STATEMENTS = {"social_identification": "they identified with their group"}
#: (at, SDs from the mean) of the default probe
SD_POINTS = (("mean - 1 SD", -1.0), ("mean", 0.0), ("mean + 1 SD", 1.0))


@dataclass(frozen=True)
class Probe:
    """A resolved ``probe``: ``kind`` sd | anchors | values | percentiles; ``points``
    (value, label) for anchors and values; ``percentiles``; ``statement`` (anchors' words);
    ``answer`` single | mean | sum (how a moderator score relates to one answer)."""

    kind: str = "sd"
    points: tuple[tuple[float, str], ...] = ()
    percentiles: tuple[float, ...] = ()
    statement: str = ""
    answer: str = "single"


@dataclass(frozen=True)
class ProbePoint:
    """One probe point: ``at`` (the table's name of it), the value ``w``, ``label`` (anchor or
    analyst's label; '' for sd and percentiles), ``position`` low | middle | high (lowest /
    highest point of the probe; middle for the rest)."""

    at: str
    w: float
    label: str = ""
    position: str = "middle"


def _anchor_labels(cfg: Config, key: str, where: str) -> list[tuple[float, str]]:
    """(response value, label) of every labelled response point of scale ``key``."""
    sc = cfg.scales[key]
    lo, hi = sc.range
    inst = INSTRUMENTS.get(sc.instrument) if sc.instrument else None
    n_points = int(round(hi - lo)) + 1
    if inst is not None and inst.response_labels and len(inst.response_labels) == n_points \
            and float(lo).is_integer():
        return [(lo + i, lab) for i, lab in enumerate(inst.response_labels)]
    out: dict[float, str] = {}
    for text, value in (sc.label_map or {}).items():
        v = float(value)
        if lo <= v <= hi and not re.fullmatch(r"\s*[-+0-9.]+\s*", str(text)):
            out.setdefault(v, str(text))
    if len(out) < 2:
        raise ConfigError(f"config key {where}: probe 'anchors' needs labelled response points "
                          f"of scale '{key}' (an instrument preset with response labels, or a "
                          "label_map), and it has none; use probe 'sd', 'percentiles' or "
                          "{values: [..]} instead.")
    return sorted(out.items())


def _anchors(cfg: Config, key: str, where: str) -> tuple[tuple[tuple[float, str], ...], str]:
    sc = cfg.scales[key]
    if sc.score not in ("mean", "sum"):
        raise ConfigError(f"config key {where}: scale '{key}' is scored by '{sc.score}', whose "
                          "score is not an answer point; probe 'anchors' cannot be used; use "
                          "'sd', 'percentiles' or {values: [..]}.")
    labels = _anchor_labels(cfg, key, where)
    picks = [labels[0], labels[len(labels) // 2], labels[-1]] if len(labels) % 2 else \
        [labels[0], labels[-1]]
    k = len(sc.items) if sc.score == "sum" else 1
    answer = "single" if len(sc.items) == 1 else sc.score
    return tuple((v * k, lab) for v, lab in dict.fromkeys(picks)), answer


def resolve_probe(cfg: Config, where: str, raw: object, moderator: str,
                  statement: str | None, score_range: tuple[float, float]) -> Probe:
    """The analysis's ``probe`` (``where`` = its config key) resolved against the moderator
    (a scale, or a derived group count without a response scale; ``score_range``: its possible
    range); ConfigError naming the key for anchors it lacks or a value it cannot take."""
    where = f"{where}.probe"
    sc = cfg.scales.get(moderator)
    lo, hi = score_range
    answer = "single" if sc is None or len(sc.items) == 1 else sc.score
    said = statement if statement is not None else STATEMENTS.get(
        sc.instrument if sc is not None and sc.instrument else "", "")
    if raw in (None, "sd"):
        return Probe()
    if raw == "percentiles":
        return Probe("percentiles", percentiles=DEFAULT_PERCENTILES)
    if raw == "anchors":
        if sc is None:
            raise ConfigError(f"config key {where}: '{moderator}' is a count with no response "
                              "scale, so it has no anchors; use 'sd', 'percentiles' or "
                              "{values: [..]} (e.g. values: [0, 1, 3]).")
        points, answer = _anchors(cfg, moderator, where)
        return Probe("anchors", points=points, statement=said, answer=answer)
    if isinstance(raw, dict) and "percentiles" in raw:
        return Probe("percentiles", percentiles=tuple(sorted(float(p)
                                                             for p in raw["percentiles"])))
    points = []
    for i, v in enumerate(raw["values"]):  # type: ignore[index]
        value, label = (float(v["value"]), v.get("label") or "") if isinstance(v, dict) \
            else (float(v), "")
        if not lo <= value <= hi:
            raise ConfigError(f"config key {where}.values[{i}]: {value:g} is outside the "
                              f"possible range of '{moderator}' ({lo:g} to {hi:g}); give values "
                              "the moderator can take.")
        points.append((value, label))
    return Probe("values", points=tuple(sorted(dict.fromkeys(points))), statement=said,
                 answer=answer)


def _ordinal(p: float) -> str:
    n = f"{p:g}"
    if not p.is_integer():
        return f"{n}th"
    last2, last = int(p) % 100, int(p) % 10
    suffix = "th" if 11 <= last2 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(last, "th")
    return f"{n}{suffix}"


def probe_points(probe: Probe, w_mean: float, w_sd: float,
                 w_observed: np.ndarray) -> list[ProbePoint]:
    """The probe's points for one fit, lowest first (sd: in the order mean - 1 SD, mean,
    mean + 1 SD). ``w_observed``: the moderator values of the people analysed."""
    if probe.kind == "sd":
        out = [ProbePoint(at, w_mean + k * w_sd) for at, k in SD_POINTS]
    elif probe.kind == "percentiles":
        obs = np.asarray(w_observed, float)
        obs = obs[np.isfinite(obs)]
        vals = np.percentile(obs, probe.percentiles) if obs.size else \
            np.full(len(probe.percentiles), math.nan)
        out = [ProbePoint(f"{_ordinal(p)} percentile", float(v))
               for p, v in zip(probe.percentiles, vals)]
    else:
        out = [ProbePoint(lab or f"w = {v:g}", v, lab) for v, lab in probe.points]
    if len(out) > 1:
        out[0] = ProbePoint(out[0].at, out[0].w, out[0].label, "low")
        out[-1] = ProbePoint(out[-1].at, out[-1].w, out[-1].label, "high")
    return out


def plain_label(label: str) -> str:
    """'Loneliness (UCLA-3)' -> 'loneliness' (the instrument is named in the units)."""
    return lower_first(re.sub(r"\s*\([^)]*\)\s*$", "", label).strip() or label)


def _past(label: str) -> str:
    """'Strongly agree' -> 'strongly agreed'; 'Neither agree nor disagree' -> 'neither agreed
    nor disagreed'."""
    return re.sub(r"\b(dis)?agree\b", lambda m: m.group(0) + "d", label.strip().lower())


def who(probe: Probe, point: ProbePoint, w_words: str) -> str:
    """Words for the people at ``point`` (after "people "): "who strongly agreed that they
    identified with their group", "whose answers on compatibility averaged 'agree'", "at the
    84th percentile of identification", "with identification at 5.5". The value itself is
    added by the caller."""
    if probe.kind == "sd":
        side = {"low": "low on {} (one SD below average)", "high": "high on {} (one SD above "
                "average)"}.get(point.position, "average on {}")
        return "who scored " + side.format(w_words)
    if probe.kind == "percentiles":
        return f"at the {point.at} of {w_words}"
    label = point.label
    if not label:
        return f"who scored {point.w:g} on {w_words}"
    if probe.kind == "values":
        return label if label.split()[0].lower() in ("who", "whose", "with", "at") else \
            f"at '{label}' on {w_words}"
    agree = re.search(r"\b(dis)?agree\b", label, flags=re.IGNORECASE) is not None
    if probe.answer == "sum":
        return f"who answered '{label.lower()}' to every {w_words} item"
    if agree and probe.statement:
        avg = ", on average over the items," if probe.answer == "mean" else ""
        return f"who {_past(label)}{avg} that {probe.statement}"
    if probe.answer == "mean":
        return f"whose answers on {w_words} averaged '{label.lower()}'"
    return f"who answered '{label.lower()}' on {w_words}"
