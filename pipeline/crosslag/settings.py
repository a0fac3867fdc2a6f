"""The ``crosslag`` config section: the only reader of it (start-up check, stage and rule).

Types, ranges and defaults are in ``settings.schema.yaml`` next to this file; here are the checks
that need the rest of the configuration (waves exist, constructs are scales, covariates are
configured) and the resolution of the per-analysis ``models`` / ``covariates`` (null: the
section's). The properties at the end say which models, constraints and files a run produces, so
the Snakemake rule declares exactly what the stage writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.healthcare.settings import count_constructs
from pipeline.plan import switched_off, waits_for_waves
from pipeline.settings import section_settings
from pipeline.status import Status

# the wording of why an RI-CLPM is not fitted (shared with the stage's status rows)
RICLPM_NEEDS_3_WAVES = "an RI-CLPM needs at least 3 waves (Hamaker et al. 2015)"

__all__ = ["SECTION", "CORE_KEYS", "CrosslagAnalysis", "CrosslagSettings", "from_config",
           "inactive", "RICLPM_NEEDS_3_WAVES"]

SECTION = "crosslag"
CORE_KEYS = ("waves", "scales", "covariates")
DEFAULT_ANALYSIS = "all_constructs"


@dataclass(frozen=True)
class CrosslagAnalysis:
    """One named set of constructs, the models fitted to it and its time-invariant covariates."""

    constructs: tuple[str, ...]
    models: tuple[str, ...]
    covariates: tuple[str, ...]


@dataclass(frozen=True)
class CrosslagSettings:
    """Resolved ``crosslag`` section (defaults filled in, cross-checked against the config).

    ``se``: robust | standard | bootstrap; ``bootstrap_B``: case resamples per model and
    ``seed``: the config seed, both only with ``se == "bootstrap"`` (else None, so the rule's
    params, and hence its reruns, do not depend on them).
    """

    waves: tuple[str, ...]
    models: tuple[str, ...]
    stationarity_test: bool
    covariates: tuple[str, ...]
    se: str
    alpha: float
    information: str | None
    exploratory_min_df: int
    exploratory_min_n_last_wave: int
    analyses: dict[str, CrosslagAnalysis]
    configured_waves: int = 0  # waves in the study config (crosslag.waves may select fewer)
    bootstrap_B: int | None = None
    seed: int | None = None

    @property
    def constraints(self) -> tuple[str, ...]:
        """Lagged-effect constraints fitted per model: free, plus stationary when the stationarity
        test is asked for and there are more than 2 waves (with 2 waves there is one lag)."""
        if self.stationarity_test and len(self.waves) > 2:
            return ("free", "stationary")
        return ("free",)

    def fitted_models(self, name: str) -> tuple[str, ...]:
        """Models of analysis ``name`` that are fitted: an RI-CLPM needs at least 3 waves
        (Hamaker et al. 2015); with fewer it is only reported as not estimable."""
        return tuple(m for m in self.analyses[name].models
                     if m != "riclpm" or len(self.waves) >= 3)

    @property
    def riclpm_wait(self) -> tuple[Status, str]:
        """Status and reason of an RI-CLPM that is not fitted (fewer than 3 modelled waves):
        it waits for a third wave when every configured wave is modelled, else it is not
        estimable on the waves selected in ``crosslag.waves``."""
        if len(self.waves) >= self.configured_waves:
            return Status.WAITS_FOR_DATA, ("waits for a third wave (an RI-CLPM needs at least 3 "
                                           "waves; Hamaker et al. 2015)")
        return Status.NOT_ESTIMABLE, (f"{RICLPM_NEEDS_3_WAVES}; crosslag.waves selects "
                                      f"{len(self.waves)}")

    @property
    def figure_stems(self) -> list[str]:
        """``crosslag_<analysis>_<model>``: one path diagram (.png and .svg) per fitted model."""
        return [f"crosslag_{a}_{m}" for a in self.analyses for m in self.fitted_models(a)]

    @property
    def syntax_stems(self) -> list[str]:
        """``crosslag_<analysis>_<model>_<constraint>``: one lavaan syntax file per fitted model."""
        return [f"{stem}_{c}" for stem in self.figure_stems for c in self.constraints]


def _names(cfg_names: list[str], given: list[str], key: str, what: str) -> None:
    bad = [g for g in given if g not in cfg_names]
    if bad:
        raise ConfigError(f"config key {key}: {bad} are not {what} {cfg_names}; use names from "
                          f"config '{what}'.")


def _waves(cfg: Config, given: list[str] | None) -> tuple[str, ...]:
    waves = list(given) if given else cfg.wave_ids
    _names(cfg.wave_ids, waves, f"{SECTION}.waves", "waves")
    if len(waves) < 2:
        raise ConfigError(f"config key {SECTION}.waves: cross-lagged models need at least 2 waves, "
                          f"got {waves}; list 2 or more wave ids (or null for all waves).")
    order = [cfg.wave_ids.index(w) for w in waves]
    if order != sorted(order):
        raise ConfigError(f"config key {SECTION}.waves: {waves} are not in time order; list them "
                          f"as in config 'waves' ({cfg.wave_ids}).")
    return tuple(waves)


def _analysis(cfg: Config, name: str, a: dict, section: dict) -> CrosslagAnalysis:
    key = f"{SECTION}.analyses.{name}"
    constructs = list(a["constructs"])
    bad = [c for c in constructs if c not in cfg.scales]
    if bad:
        raise ConfigError(f"config key {key}.constructs: {bad} are not scales; give scale keys "
                          f"from {list(cfg.scales)}.")
    models = a["models"] if a["models"] is not None else section["models"]
    covariates = a["covariates"] if a["covariates"] is not None else section["covariates"]
    _names(list(cfg.covariates), covariates, f"{key}.covariates", "covariates")
    return CrosslagAnalysis(tuple(constructs), tuple(models), tuple(covariates))


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the crosslag stage does not run (switched off; one wave), or None (pipeline.plan)."""
    if not section_settings(cfg.raw, SECTION)["enabled"]:
        return switched_off(SECTION)
    return waits_for_waves(2, len(cfg.wave_ids), "a cross-lagged model relates each construct "
                           "at one wave to the others at the next")


def from_config(cfg: Config) -> CrosslagSettings:
    """The ``crosslag`` section, validated and resolved.

    ``analyses`` null gives one analysis ``all_constructs`` of every scale; an analysis without
    ``models`` / ``covariates`` takes the section's. Raises :class:`ConfigError` naming the key.
    """
    s = section_settings(cfg.raw, SECTION)
    _names(list(cfg.covariates), s["covariates"], f"{SECTION}.covariates", "covariates")
    given = s["analyses"]
    if not given:
        # every scale but the counts (the healthcare wing models those; a linear CLPM would not)
        counts = set(count_constructs(cfg))
        given = {DEFAULT_ANALYSIS: {"constructs": [k for k in cfg.scales if k not in counts],
                                    "models": None,
                                    "covariates": None}}
    analyses = {name: _analysis(cfg, name, a, s) for name, a in given.items()}
    return CrosslagSettings(
        waves=_waves(cfg, s["waves"]),
        models=tuple(s["models"]),
        stationarity_test=s["stationarity_test"],
        covariates=tuple(s["covariates"]),
        se=s["se"],
        alpha=float(s["alpha"]),
        information=s["information"],
        exploratory_min_df=s["exploratory_min_df"],
        exploratory_min_n_last_wave=s["exploratory_min_n_last_wave"],
        analyses=analyses,
        configured_waves=len(cfg.wave_ids),
        bootstrap_B=s["bootstrap_B"] if s["se"] == "bootstrap" else None,
        seed=cfg.seed if s["se"] == "bootstrap" else None,
    )
