"""Serial-mediation analyses built from the ``mediation:`` config section.

An analysis is a chain X -> M1 -> ... -> Mk -> Y (k = 1..4, PROCESS model 4 for k = 1 and model 6
for k >= 2; Hayes 2022) with covariates entered in every equation. Each variable is bound to a
scale score at one wave (``{construct, wave}`` -> column ``<construct>_<wave>`` of wide.parquet) or
to a change between two waves (``{construct, change: [T0, T1]}`` -> later minus earlier).

Designs:
- ``custom`` (default): every binding given explicitly.
- ``half_longitudinal`` (Cole & Maxwell 2003): X at the first, mediators at the second and Y at the
  third of ``waves`` (default: the first three configured waves); ``adjust_baseline`` defaults to
  true, so earlier levels of the mediators and the outcome are controlled.

``adjust_baseline: true`` adds each chain variable's baseline (first-wave) level as a covariate in
every equation (residualised-change design) unless the variable *is* that baseline score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import ConfigError, closest_names

DESIGNS = ("custom", "half_longitudinal")
SECTION_KEYS = ("analyses", "bootstrap", "mi", "min_df", "warn_n", "methods", "fiml")
ANALYSIS_KEYS = (
    "label", "design", "waves", "x", "mediators", "y", "covariates", "adjust_baseline",
)
BOOTSTRAP_KEYS = ("B", "ci", "conf", "chunk_draws")
MI_KEYS = ("B", "M", "iterations")
CI_METHODS = ("percentile", "bca")
MAX_MEDIATORS = 4


@dataclass(frozen=True)
class Binding:
    """A chain variable: a scale score at one wave, or the change between two waves."""

    construct: str
    wave: str | None = None
    change: tuple[str, str] | None = None

    @property
    def column(self) -> str:
        """Column name in the analysis frame (``belonging_T1``, ``group_memberships_change_T0_T1``)."""
        if self.change:
            return f"{self.construct}_change_{self.change[0]}_{self.change[1]}"
        return f"{self.construct}_{self.wave}"

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The wide.parquet columns this variable is computed from."""
        if self.change:
            return tuple(f"{self.construct}_{w}" for w in self.change)
        return (f"{self.construct}_{self.wave}",)

    def describe(self, label: str | None = None) -> str:
        name = label or self.construct.replace("_", " ")
        if len(name) > 1 and not name[1].isupper():
            name = name[0].lower() + name[1:]
        if self.change:
            return f"change in {name} ({self.change[0]} to {self.change[1]})"
        return f"{name} ({self.wave})"


@dataclass(frozen=True)
class MediationSpec:
    """One serial-mediation analysis: X, ordered mediators, Y, covariates (all equations)."""

    name: str
    x: Binding
    mediators: tuple[Binding, ...]
    y: Binding
    covariates: tuple[str, ...] = ()              # configured covariate keys
    scale_covariates: tuple[Binding, ...] = ()    # scale scores used as covariates
    adjust_baseline: bool = False
    design: str = "custom"
    label: str = ""
    baseline_wave: str = "T0"
    categorical: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # key -> levels
    covariate_columns: Mapping[str, str] = field(default_factory=dict)        # key -> wide column
    construct_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.mediators)

    @property
    def baseline_bindings(self) -> tuple[Binding, ...]:
        """Baseline levels added by ``adjust_baseline`` (one per construct, never the variable itself)."""
        if not self.adjust_baseline:
            return ()
        chain = (self.x, *self.mediators, self.y)
        own = {b.column for b in chain}
        out: list[Binding] = []
        for b in chain:
            base = Binding(b.construct, wave=self.baseline_wave)
            if base.column not in own and base not in out and base not in self.scale_covariates:
                out.append(base)
        return tuple(out)

    def describe(self, role: str) -> str:
        """Plain-language name of ``x``, ``y`` or ``m1``..``mk``."""
        b = self.x if role == "x" else self.y if role == "y" else self.mediators[int(role[1:]) - 1]
        return b.describe(self.construct_labels.get(b.construct))


def _binding(value: Any, where: str, scales: Sequence[str], waves: Sequence[str],
             default_wave: str | None = None) -> Binding:
    """Parse ``{construct, wave}`` / ``{construct, change: [w0, w1]}`` / ``"construct"``."""
    if isinstance(value, str):
        value = {"construct": value}
    if not isinstance(value, Mapping) or "construct" not in value:
        raise ConfigError(
            f"config key {where}: expected {{construct: <scale>, wave: <wave>}} or "
            f"{{construct: <scale>, change: [<wave>, <wave>]}}, got {value!r}."
        )
    extra = sorted(set(value) - {"construct", "wave", "change"})
    if extra:
        raise ConfigError(
            f"config key {where}: unknown key(s) {extra}; allowed: construct, wave, change."
        )
    construct = value["construct"]
    if construct not in scales:
        close = closest_names(str(construct), list(scales))
        raise ConfigError(
            f"config key {where}.construct: '{construct}' is not a configured scale"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f". Valid constructs: {', '.join(scales)}."
        )
    if "change" in value and "wave" in value:
        raise ConfigError(f"config key {where}: give either 'wave' or 'change', not both.")
    if "change" in value:
        ch = value["change"]
        if not isinstance(ch, Sequence) or isinstance(ch, str) or len(ch) != 2:
            raise ConfigError(f"config key {where}.change: expected two wave ids [from, to], got {ch!r}.")
        for w in ch:
            _check_wave(w, f"{where}.change", waves)
        if waves.index(ch[0]) >= waves.index(ch[1]):
            raise ConfigError(
                f"config key {where}.change: {list(ch)} must go from an earlier to a later wave "
                f"(waves in order: {', '.join(waves)})."
            )
        return Binding(construct, change=(ch[0], ch[1]))
    wave = value.get("wave", default_wave)
    if wave is None:
        raise ConfigError(f"config key {where}: no 'wave' (or 'change') for construct '{construct}'.")
    _check_wave(wave, f"{where}.wave", waves)
    return Binding(construct, wave=wave)


def _check_wave(wave: Any, where: str, waves: Sequence[str]) -> None:
    if wave not in waves:
        raise ConfigError(
            f"config key {where}: '{wave}' is not a configured wave. Valid waves: {', '.join(waves)}."
        )


def _check_keys(d: Mapping, allowed: Sequence[str], where: str) -> None:
    for key in d:
        if key not in allowed:
            close = closest_names(str(key), list(allowed))
            raise ConfigError(
                f"config key {where}: unknown key '{key}'"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f". Allowed keys: {', '.join(allowed)}."
            )


def default_analyses(waves: Sequence[str]) -> dict[str, Any]:
    """The published chain (Wakefield et al. 2022): change in group memberships (first to second
    wave) -> belonging -> support -> loneliness -> quality of life, all at the second wave; age."""
    w0, w1 = waves[0], waves[1]
    return {
        "social_cure_chain": {
            "label": "Group memberships -> belonging -> support -> loneliness -> quality of life",
            "x": {"construct": "group_memberships", "change": [w0, w1]},
            "mediators": [
                {"construct": "belonging", "wave": w1},
                {"construct": "support", "wave": w1},
                {"construct": "loneliness", "wave": w1},
            ],
            "y": {"construct": "qol", "wave": w1},
            "covariates": ["age"],
            "adjust_baseline": False,
        }
    }


def build_specs(
    section: Mapping[str, Any] | None,
    scales: Sequence[str] | Mapping[str, Any],
    waves: Sequence[str],
    covariates: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[MediationSpec]:
    """Validate the ``mediation:`` section and return one :class:`MediationSpec` per analysis.

    ``scales``: configured scale keys (or the scales mapping; labels are taken from ``label``),
    ``waves``: wave ids in time order, ``covariates``: configured covariates
    (``{key: {column, type, levels}}``). Without ``analyses`` the published default chain is used.
    Raises ConfigError naming the key, the problem and the valid names.
    """
    section = dict(section or {})
    _check_keys(section, SECTION_KEYS, "mediation")
    scale_labels: dict[str, str] = {}
    if isinstance(scales, Mapping):
        for key, sc in scales.items():
            lab = sc.get("label") if isinstance(sc, Mapping) else getattr(sc, "label", None)
            if lab:
                scale_labels[key] = lab
    scales = list(scales)
    waves = list(waves)
    covariates = dict(covariates or {})
    analyses = section.get("analyses") or default_analyses(waves)
    if not isinstance(analyses, Mapping):
        raise ConfigError("config key mediation.analyses: expected a mapping of analysis name -> settings.")
    specs = []
    for name, a in analyses.items():
        where = f"mediation.analyses.{name}"
        if not isinstance(a, Mapping):
            raise ConfigError(f"config key {where}: expected a mapping of settings.")
        _check_keys(a, ANALYSIS_KEYS, where)
        design = a.get("design", "custom")
        if design not in DESIGNS:
            raise ConfigError(f"config key {where}.design: '{design}' is not one of {', '.join(DESIGNS)}.")
        defaults: dict[str, str | None] = {"x": None, "m": None, "y": None}
        adjust = bool(a.get("adjust_baseline", design == "half_longitudinal"))
        if design == "half_longitudinal":
            hw = list(a.get("waves") or waves[:3])
            if len(hw) != 3 or len(waves) < 3:
                raise ConfigError(
                    f"config key {where}.waves: the half-longitudinal design (Cole & Maxwell 2003) needs "
                    f"three waves for X, the mediators and Y; configured waves: {', '.join(waves)}."
                )
            for w in hw:
                _check_wave(w, f"{where}.waves", waves)
            defaults = {"x": hw[0], "m": hw[1], "y": hw[2]}
        for role in ("x", "mediators", "y"):
            if role not in a:
                raise ConfigError(f"config key {where}: '{role}' is required.")
        x = _binding(a["x"], f"{where}.x", scales, waves, defaults["x"])
        meds_raw = a["mediators"]
        if isinstance(meds_raw, (str, Mapping)):
            meds_raw = [meds_raw]
        if not 1 <= len(meds_raw) <= MAX_MEDIATORS:
            raise ConfigError(
                f"config key {where}.mediators: give 1 to {MAX_MEDIATORS} mediators in causal order "
                f"(got {len(meds_raw)}), as in PROCESS models 4 and 6."
            )
        meds = tuple(
            _binding(m, f"{where}.mediators[{i}]", scales, waves, defaults["m"])
            for i, m in enumerate(meds_raw)
        )
        y = _binding(a["y"], f"{where}.y", scales, waves, defaults["y"])
        cols = [b.column for b in (x, *meds, y)]
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise ConfigError(f"config key {where}: variable(s) {dup} appear twice in the chain.")
        cov_keys: list[str] = []
        cov_bind: list[Binding] = []
        for i, c in enumerate(a.get("covariates") or []):
            if isinstance(c, str) and c in covariates:
                cov_keys.append(c)
            elif isinstance(c, Mapping):
                cov_bind.append(_binding(c, f"{where}.covariates[{i}]", scales, waves))
            else:
                close = closest_names(str(c), list(covariates))
                raise ConfigError(
                    f"config key {where}.covariates[{i}]: '{c}' is not a configured covariate"
                    + (f" (did you mean '{close[0]}'?)" if close else "")
                    + f". Valid covariates: {', '.join(covariates) or '(none configured)'}; "
                    "a scale score is given as {construct: <scale>, wave: <wave>}."
                )
        categorical = {
            k: tuple(covariates[k].get("levels") or ())
            for k in cov_keys if covariates[k].get("type") == "categorical"
        }
        specs.append(
            MediationSpec(
                name=str(name), x=x, mediators=meds, y=y,
                covariates=tuple(cov_keys), scale_covariates=tuple(cov_bind),
                adjust_baseline=adjust, design=design, label=str(a.get("label", name)),
                baseline_wave=waves[0], categorical=categorical,
                covariate_columns={k: covariates[k].get("column", k) for k in cov_keys},
                construct_labels=scale_labels,
            )
        )
    return specs


def bootstrap_settings(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """``mediation.bootstrap`` with defaults: B = 5000, ci = percentile, conf = 0.95."""
    b = dict((section or {}).get("bootstrap") or {})
    _check_keys(b, BOOTSTRAP_KEYS, "mediation.bootstrap")
    out = {"B": int(b.get("B", 5000)), "ci": b.get("ci", "percentile"),
           "conf": float(b.get("conf", 0.95)), "chunk_draws": b.get("chunk_draws")}
    if out["ci"] not in CI_METHODS:
        raise ConfigError(
            f"config key mediation.bootstrap.ci: '{out['ci']}' is not one of {', '.join(CI_METHODS)}."
        )
    if out["B"] < 100:
        raise ConfigError("config key mediation.bootstrap.B: use at least 100 (5000 recommended).")
    if not 0.5 < out["conf"] < 1:
        raise ConfigError("config key mediation.bootstrap.conf: give a level between 0.5 and 1 (e.g. 0.95).")
    return out


def mi_settings(section: Mapping[str, Any] | None) -> dict[str, int]:
    """``mediation.mi`` with defaults: B = 500 bootstrap samples, each imputed M = 2 times."""
    m = dict((section or {}).get("mi") or {})
    _check_keys(m, MI_KEYS, "mediation.mi")
    out = {"B": int(m.get("B", 500)), "M": int(m.get("M", 2)), "iterations": int(m.get("iterations", 10))}
    if out["B"] < 100 or out["M"] < 1:
        raise ConfigError("config key mediation.mi: B must be at least 100 and M at least 1.")
    return out


def specs_from_config(cfg: Any) -> list[MediationSpec]:
    """:func:`build_specs` for a loaded :class:`pipeline.config.Config`."""
    covs = {
        k: {"column": c.column, "type": c.type, "levels": list(c.levels or [])}
        for k, c in cfg.covariates.items()
    }
    scales = {k: {"label": s.label} for k, s in cfg.scales.items()}
    return build_specs(cfg.section("mediation"), scales, cfg.wave_ids, covs)
