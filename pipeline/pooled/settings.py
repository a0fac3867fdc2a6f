"""The ``pooled:`` config section: the only reader of it (start-up check and stage).

The section sits at the top of config/config.yaml beside ``studies:`` (a study file may not
carry it: :mod:`pipeline.studies`). Keys, types and defaults: ``settings.schema.yaml`` next
to this file. Resolved against the studies of the run (:class:`pipeline.studies.Programme`):
the constructs are scales of every study, scored alike (same range and scoring, so that a
point means the same everywhere); the mediation chain is configured alike in every study.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import jsonschema

from pipeline.errors import ConfigError, closest_names
from pipeline.mediation.settings import from_config as mediation_settings
from pipeline.plan import switched_off
from pipeline.registry import wing
from pipeline.settings import apply_defaults, wing_schema
from pipeline.status import Status

__all__ = ["SECTION", "RESERVED", "PooledSettings", "Construct", "from_programme", "inactive",
           "params_json", "report_section", "DIFFER_P", "TEST_WORDS"]

SECTION = "pooled"
RESERVED = "pooled"  # results/pooled/: no study may have this name while the wing runs
#: below this p a test says the schemes differ (the sentences and the pooled report's table)
DIFFER_P = 0.05
#: each row of ``pooled_*_test.csv`` in words and its estimator (the sentences, the report)
TEST_WORDS = {"lr_ml": ("likelihood-ratio test", "ML"),
              "lr_scaled_mlr": ("scaled likelihood-ratio test", "MLR"),
              "wald_mlr": ("robust Wald test", "MLR")}


@dataclass(frozen=True)
class Construct:
    """A pooled construct: its key, label and score range (the same in every study)."""

    key: str
    label: str
    lo: float
    hi: float
    score: str


@dataclass(frozen=True)
class PooledSettings:
    """Resolved pooled settings (see ``settings.schema.yaml``)."""

    studies: tuple[str, ...]
    constructs: tuple[Construct, ...]
    min_schemes: int
    conf_level: float
    mediation: str | None
    #: constructs left out of the default list, with the reason (for pooled_status.csv)
    skipped: tuple[tuple[str, str], ...] = ()
    #: study -> {"min_cell", "waves": [[id, label], ...], "title"}
    study_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the pooled cross-lag (``pooled.crosslag``): its analysis, constructs, models, the waves
    #: every scheme models and, per study, the waves it models that are left out
    crosslag: str | None = None
    crosslag_constructs: tuple[str, ...] = ()
    crosslag_models: tuple[str, ...] = ()
    crosslag_waves: tuple[str, ...] = ()
    crosslag_left_out: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _section(prog) -> dict[str, Any]:
    given = prog.sections.get(SECTION)
    given = {} if given is None else given
    schema = wing_schema(wing("pooled"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(given),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        msgs = []
        for e in errors:
            key = ".".join(["pooled", *map(str, e.absolute_path)])
            if e.validator == "additionalProperties":
                allowed = list(e.schema["properties"])
                bad = [k for k in e.instance if k not in allowed]
                close = closest_names(bad[0], allowed) if bad else []
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                msgs.append(f"config key {key}: unknown key '{bad[0]}'{hint}. Allowed keys "
                            f"here: {', '.join(allowed)}.")
            else:
                msgs.append(f"config key {key}: {e.message}.")
        raise ConfigError("; ".join(msgs))
    return apply_defaults(schema, given)


def inactive(prog) -> tuple[Status, str] | None:
    """Why the pooled analysis does not run (switched off; fewer than two studies), or None."""
    if not _section(prog)["enabled"]:
        return switched_off(SECTION)
    if len(prog.configs) < 2:
        names = ", ".join(prog.names) or "none"
        return (Status.NOT_RUN, f"needs two or more studies (schemes) in the run; this run has "
                                f"{len(prog.configs)} ({names})")
    return None


def report_section(prog) -> dict[str, Any]:
    """``pooled.report`` validated, defaults filled (``enabled``, ``title``, ``date``): read by
    the report wing's pooled report (:mod:`pipeline.report.pooled_settings`), kept out of
    :class:`PooledSettings` so that a new title does not rerun the pooled analysis."""
    return dict(_section(prog)["report"])


def _unit(sc) -> tuple[float, float, str]:
    lo, hi = sc.score_range
    return float(lo), float(hi), "score" if len(sc.items) == 1 else sc.score


def _constructs(s: dict, prog) -> tuple[list[Construct], list[tuple[str, str]]]:
    cfgs = prog.configs
    first_name, first = next(iter(cfgs.items()))
    keys, skipped, out = s["constructs"], [], []
    explicit = keys is not None
    for key in (keys if explicit else list(first.scales)):
        lacking = [n for n, c in cfgs.items() if key not in c.scales]
        units = {n: _unit(c.scales[key]) for n, c in cfgs.items() if key in c.scales}
        why = ""
        if lacking:
            why = f"not a scale of {', '.join(lacking)}"
        elif len(set(units.values())) > 1:
            why = "scored differently across the studies (" + "; ".join(
                f"{n}: {u[0]:g}-{u[1]:g} {u[2]}" for n, u in units.items()) + ")"
        if why and explicit:
            close = closest_names(key, list(first.scales))
            raise ConfigError(
                f"config key pooled.constructs: '{key}' is {why}"
                + (f" (did you mean '{close[0]}'?)" if lacking and close else "")
                + ". Pool only constructs every study measures on the same scale.")
        if why:
            skipped.append((key, why))
            continue
        sc = first.scales[key]
        out.append(Construct(key, sc.label or key, *units[first_name]))
    return out, skipped


def _check_mediation(name: str, prog) -> None:
    shapes = {}
    for study, cfg in prog.configs.items():
        specs = {sp.name: sp for sp in mediation_settings(cfg).analyses}
        if name not in specs:
            close = closest_names(name, list(specs))
            raise ConfigError(
                f"config key pooled.mediation: '{name}' is not a mediation analysis of study "
                f"'{study}'" + (f" (did you mean '{close[0]}'?)" if close else "")
                + f" (its analyses: {', '.join(specs) or 'none'}). Configure the chain alike "
                "in every study, or set pooled.mediation: null.")
        sp = specs[name]
        shapes[study] = (sp.x, sp.mediators, sp.y, sp.covariates, sp.scale_covariates,
                         sp.adjust_baseline)
    if len(set(shapes.values())) > 1:
        raise ConfigError(
            f"config key pooled.mediation: the chain '{name}' differs between the studies "
            f"({', '.join(shapes)}): its X, mediators, Y, covariates and adjust_baseline must "
            "be the same in each to fit one multi-group model.")


def _crosslag(name: str | None, prog) -> dict[str, Any]:
    """The pooled cross-lag's fields of :class:`PooledSettings` (checked: the analysis exists
    in every study with the same constructs)."""
    if name is None:
        return {}
    from pipeline.crosslag.settings import from_config as crosslag_settings

    found, waves = {}, {}
    for study, cfg in prog.configs.items():
        cs = crosslag_settings(cfg)
        if name not in cs.analyses:
            close = closest_names(name, list(cs.analyses))
            raise ConfigError(
                f"config key pooled.crosslag: '{name}' is not a cross-lagged analysis of study "
                f"'{study}'" + (f" (did you mean '{close[0]}'?)" if close else "")
                + f" (its analyses: {', '.join(cs.analyses) or 'none'}). Configure it alike "
                "in every study, or set pooled.crosslag: null.")
        found[study], waves[study] = cs.analyses[name], list(cs.waves)
    if len({a.constructs for a in found.values()}) > 1:
        raise ConfigError(
            f"config key pooled.crosslag: the analysis '{name}' has different constructs in "
            "the studies (" + "; ".join(f"{n}: {', '.join(a.constructs)}"
                                        for n, a in found.items())
            + "): give it the same constructs in each to fit one multi-group model.")
    a = next(iter(found.values()))
    unequal = [c for c in a.constructs
               if len({_unit(cfg.scales[c]) for cfg in prog.configs.values()}) > 1]
    if unequal:
        raise ConfigError(
            f"config key pooled.crosslag: the analysis '{name}' has constructs scored "
            f"differently across the studies ({', '.join(unequal)}: range or scoring differ), "
            "so a path would not mean the same in every scheme. Pool a cross-lag of "
            "constructs every study scores alike, or set pooled.crosslag: null.")
    first = next(iter(waves.values()))
    common = [w for w in first if all(w in ws for ws in waves.values())]
    return {"crosslag": name, "crosslag_constructs": tuple(a.constructs),
            "crosslag_models": tuple(a.models), "crosslag_waves": tuple(common),
            "crosslag_left_out": tuple((n, tuple(w for w in ws if w not in common))
                                       for n, ws in waves.items())}


def from_programme(prog) -> PooledSettings:
    """The validated ``pooled`` section resolved against the studies of the run."""
    s = _section(prog)
    clash = [n for n in prog.names if n == RESERVED]
    if clash:
        raise ConfigError(
            f"study name '{RESERVED}' is taken by the pooled analysis (results/{RESERVED}/). "
            "Rename the study (its file and study.id) or set pooled.enabled: false.")
    constructs, skipped = _constructs(s, prog)
    if s["mediation"] is not None:
        _check_mediation(s["mediation"], prog)
    info = {n: {"title": c.study_title, "min_cell": c.min_cell,
                "waves": [[w.id, w.label or w.id] for w in c.waves]}
            for n, c in prog.configs.items()}
    return PooledSettings(
        studies=tuple(prog.names), constructs=tuple(constructs),
        min_schemes=int(s["min_schemes"]), conf_level=float(s["conf_level"]),
        mediation=s["mediation"], skipped=tuple(skipped), study_info=info,
        **_crosslag(s["crosslag"], prog))


def params_json(prog) -> str:
    """What the pooled stage reads (the rule's ``params``): the resolved settings, each study's
    waves, titles and min_cell, and (with pooled mediation) each study's chain."""
    s = from_programme(prog)
    payload: dict[str, Any] = {"settings": asdict(s)}
    if s.mediation:
        payload["chains"] = {n: repr(next(a for a in mediation_settings(c).analyses
                                          if a.name == s.mediation))
                             for n, c in prog.configs.items()}
    return json.dumps(payload, sort_keys=True, default=str)
