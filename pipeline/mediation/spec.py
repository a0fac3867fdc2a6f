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

A construct is a scale or a group listing's derived count (``group_listings``;
:func:`pipeline.config_listings.listing_constructs`: ``<key>_count`` at every listing wave,
``<key>_maintained`` / ``_gained`` / ``_lost`` at the later listing waves only), read from the
same wide columns ``<name>_<wave>`` the moderation wing reads. A derived count must exist at every
wave the chain uses it at, else a ConfigError naming the key. ``adjust_baseline`` adds no
baseline level for a derived count that does not exist at the first wave (maintained / gained /
lost are already counted against entry): ``construct_waves`` holds the waves of each derived count
the chain names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.config_listings import ListingConstruct
from pipeline.errors import ConfigError, closest_names


@dataclass(frozen=True)
class Binding:
    """A chain variable: a scale score at one wave, or the change between two waves."""

    construct: str
    wave: str | None = None
    change: tuple[str, str] | None = None

    @property
    def column(self) -> str:
        """Column name in the analysis frame (``belonging_T1``,
        ``group_memberships_change_T0_T1``)."""
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
    #: construct -> (score min, score max, "mean" | "sum"): the score's own range (units)
    scale_ranges: Mapping[str, tuple[float, float, str]] = field(default_factory=dict)
    #: derived group counts the chain names -> the waves each exists at (scales: absent)
    construct_waves: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.mediators)

    @property
    def baseline_bindings(self) -> tuple[Binding, ...]:
        """Baseline levels added by ``adjust_baseline`` (one per construct, never the variable
        itself)."""
        if not self.adjust_baseline:
            return ()
        chain = (self.x, *self.mediators, self.y)
        own = {b.column for b in chain}
        out: list[Binding] = []
        for b in chain:
            if self.baseline_wave not in self.construct_waves.get(b.construct, (
                    self.baseline_wave,)):
                continue  # a derived count that does not exist at entry has no baseline level
            base = Binding(b.construct, wave=self.baseline_wave)
            if base.column not in own and base not in out and base not in self.scale_covariates:
                out.append(base)
        return tuple(out)

    def describe(self, role: str) -> str:
        """Plain-language name of ``x``, ``y`` or ``m1``..``mk``."""
        b = self.x if role == "x" else self.y if role == "y" else self.mediators[int(role[1:]) - 1]
        return b.describe(self.construct_labels.get(b.construct))


def _binding(value: Any, where: str, scales: Sequence[str], waves: Sequence[str],
             default_wave: str | None = None,
             listings: Mapping[str, ListingConstruct] | None = None) -> Binding:
    """Parse ``{construct, wave}`` / ``{construct, change: [w0, w1]}`` / ``"construct"``.

    Form and keys are checked by the schema; here: the construct is a scale or a derived group
    count (``listings``), the waves exist, a change goes forward in time and a derived count
    exists at the wave(s) used.
    """
    listings = listings or {}
    if isinstance(value, str):
        value = {"construct": value}
    construct = value["construct"]
    if construct not in scales and construct not in listings:
        names = [*scales, *listings]
        close = closest_names(str(construct), names)
        what = "a configured scale or derived group count" if listings else "a configured scale"
        raise ConfigError(
            f"config key {where}.construct: '{construct}' is not {what}"
            + (f" (did you mean '{close[0]}'?)" if close else "")
            + f". Valid constructs: {', '.join(names)}."
        )
    change, wave = value.get("change"), value.get("wave")
    if change is not None and wave is not None:
        raise ConfigError(f"config key {where}: give either 'wave' or 'change', not both.")
    if change is not None:
        for w in change:
            _check_wave(w, f"{where}.change", waves)
        if waves.index(change[0]) >= waves.index(change[1]):
            raise ConfigError(
                f"config key {where}.change: {list(change)} must go from an earlier to a later "
                "wave "
                f"(waves in order: {', '.join(waves)})."
            )
        _check_exists(construct, listings, list(change), f"{where}.change")
        return Binding(construct, change=(change[0], change[1]))
    wave = default_wave if wave is None else wave
    if wave is None:
        raise ConfigError(
            f"config key {where}: no 'wave' (or 'change') for construct '{construct}'.")
    _check_wave(wave, f"{where}.wave", waves)
    _check_exists(construct, listings, [wave], f"{where}.wave")
    return Binding(construct, wave=wave)


def _check_exists(construct: str, listings: Mapping[str, ListingConstruct], used: list[str],
                  where: str) -> None:
    """ConfigError naming ``where`` when ``construct`` is a derived count that does not exist at
    a wave of ``used`` (no-op for a scale)."""
    c = listings.get(construct)
    gone = [w for w in used if c is not None and w not in c.waves]
    if gone:
        count = listings.get(f"{c.listing}_count")
        hint = ("; for change in the number of groups use "
                f"'{count.name}' with change: [{count.waves[0]}, {count.waves[-1]}]"
                if count is not None and count.name != c.name else "")
        raise ConfigError(
            f"config key {where}: the derived count '{c.name}' exists only at wave(s) "
            f"{', '.join(c.waves)} (group_listings.{c.listing}), not at {', '.join(gone)}; use "
            f"a wave it exists at{hint}.")


def _check_wave(wave: Any, where: str, waves: Sequence[str]) -> None:
    if wave not in waves:
        raise ConfigError(
            f"config key {where}: '{wave}' is not a configured wave. Valid waves: "
            f"{', '.join(waves)}."
        )


def _design_waves(a: Mapping[str, Any], where: str, waves: list[str]) -> dict[str, str | None]:
    """Default wave of X, the mediators and Y: none (custom) or the three half-longitudinal
    waves."""
    if a["design"] != "half_longitudinal":
        return {"x": None, "m": None, "y": None}
    hw = list(a.get("waves") or waves[:3])
    if len(hw) != 3 or len(waves) < 3:
        raise ConfigError(
            f"config key {where}.waves: the half-longitudinal design (Cole & Maxwell 2003) needs "
            f"three waves for X, the mediators and Y; configured waves: {', '.join(waves)}."
        )
    for w in hw:
        _check_wave(w, f"{where}.waves", waves)
    return {"x": hw[0], "m": hw[1], "y": hw[2]}


def _covariates(a: Mapping[str, Any], where: str, scales: list[str], waves: list[str],
                covariates: Mapping[str, Mapping[str, Any]],
                listings: Mapping[str, ListingConstruct] | None = None
                ) -> tuple[list[str], list[Binding]]:
    """Configured covariate keys and scale-score covariates of one analysis."""
    cov_keys: list[str] = []
    cov_bind: list[Binding] = []
    for i, c in enumerate(a.get("covariates") or []):
        if isinstance(c, str) and c in covariates:
            cov_keys.append(c)
        elif isinstance(c, Mapping):
            cov_bind.append(_binding(c, f"{where}.covariates[{i}]", scales, waves,
                                    listings=listings))
        else:
            close = closest_names(str(c), list(covariates))
            raise ConfigError(
                f"config key {where}.covariates[{i}]: '{c}' is not a configured covariate"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f". Valid covariates: {', '.join(covariates) or '(none configured)'}; "
                "a scale score is given as {construct: <scale>, wave: <wave>}."
            )
    return cov_keys, cov_bind


def build_spec(name: str, a: Mapping[str, Any], scale_labels: Mapping[str, str],
               waves: list[str], covariates: Mapping[str, Mapping[str, Any]],
               listings: Mapping[str, ListingConstruct] | None = None) -> MediationSpec:
    """One analysis entry (schema defaults filled in) -> :class:`MediationSpec`; ``listings``:
    the derived group counts it may name (:func:`pipeline.config_listings.listing_constructs`)."""
    listings = dict(listings or {})
    where = f"mediation.analyses.{name}"
    scales = list(scale_labels)
    design = a["design"]
    defaults = _design_waves(a, where, waves)
    adjust = a.get("adjust_baseline")
    adjust = design == "half_longitudinal" if adjust is None else bool(adjust)
    x = _binding(a["x"], f"{where}.x", scales, waves, defaults["x"], listings)
    meds_raw = a["mediators"]
    if isinstance(meds_raw, (str, Mapping)):
        meds_raw = [meds_raw]
    meds = tuple(
        _binding(m, f"{where}.mediators[{i}]", scales, waves, defaults["m"], listings)
        for i, m in enumerate(meds_raw)
    )
    y = _binding(a["y"], f"{where}.y", scales, waves, defaults["y"], listings)
    cols = [b.column for b in (x, *meds, y)]
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise ConfigError(f"config key {where}: variable(s) {dup} appear twice in the chain.")
    cov_keys, cov_bind = _covariates(a, where, scales, waves, covariates, listings)
    named = {b.construct for b in (x, *meds, y, *cov_bind)}
    categorical = {
        k: tuple(covariates[k].get("levels") or ())
        for k in cov_keys if covariates[k].get("type") == "categorical"
    }
    return MediationSpec(
        name=str(name), x=x, mediators=meds, y=y,
        covariates=tuple(cov_keys), scale_covariates=tuple(cov_bind),
        adjust_baseline=adjust, design=design,
        label=str(name) if a.get("label") is None else str(a["label"]),
        baseline_wave=waves[0], categorical=categorical,
        covariate_columns={k: covariates[k].get("column", k) for k in cov_keys},
        construct_labels={k: v for k, v in scale_labels.items() if v}
        | {k: c.label for k, c in listings.items() if k in named},
        construct_waves={k: c.waves for k, c in listings.items() if k in named},
    )


def build_specs(
    analyses: Mapping[str, Mapping[str, Any]],
    scales: Mapping[str, str],
    waves: Sequence[str],
    covariates: Mapping[str, Mapping[str, Any]] | None = None,
    listings: Mapping[str, ListingConstruct] | None = None,
) -> tuple[MediationSpec, ...]:
    """One :class:`MediationSpec` per entry of ``mediation.analyses`` (schema defaults filled in;
    empty: no analyses; no chain is built in, so nothing of another study leaks into this one).

    ``scales``: scale key -> label (in config order); ``waves``: wave ids in time order;
    ``covariates``: configured covariates (``{key: {column, type, levels}}``); ``listings``: the
    group listings' derived counts by name (a chain may name them like scales). Raises
    ConfigError naming the key, the problem and the valid names.
    """
    waves = list(waves)
    return tuple(build_spec(name, a, scales, waves, dict(covariates or {}), listings)
                 for name, a in analyses.items())
