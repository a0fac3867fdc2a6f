"""The table of presets: every instrument and battery by name.

A preset name is what ``scales.<k>.instrument`` takes; :func:`instrument` is the one lookup,
and an unknown name is refused naming the key, the closest preset and the whole list.
"""

from __future__ import annotations

from pipeline.errors import ConfigError, closest_names
from pipeline.instruments.health import EQ5D5L, EQ_VAS
from pipeline.instruments.model import Battery, Instrument
from pipeline.instruments.social import (
    COMPATIBILITY,
    EXITS_CONTINUITY,
    EXITS_MGM,
    EXITS_NEW,
    MSPSS,
    SOCIAL_IDENTIFICATION,
    UCLA3,
    ULS8,
)
from pipeline.instruments.wellbeing import ONS4, ONS_ITEMS, SWEMWBS, WEMWBS

__all__ = ["INSTRUMENTS", "BATTERIES", "PRESET_NAMES", "instrument", "unknown_name_message"]

INSTRUMENTS: dict[str, Instrument] = {
    p.name: p
    for p in (UCLA3, ULS8, MSPSS, WEMWBS, SWEMWBS, *ONS_ITEMS, EQ5D5L, EQ_VAS, EXITS_MGM,
              EXITS_CONTINUITY, EXITS_NEW, SOCIAL_IDENTIFICATION, COMPATIBILITY)
}
BATTERIES: dict[str, Battery] = {ONS4.name: ONS4}
PRESET_NAMES: tuple[str, ...] = tuple(sorted([*INSTRUMENTS, *BATTERIES]))


def unknown_name_message(name: str, where: str) -> str:
    """The plain refusal of an instrument name that is not a preset."""
    close = closest_names(str(name), list(PRESET_NAMES))
    return (
        f"config key {where}: '{name}' is not an instrument preset"
        + (f" (did you mean '{close[0]}'?)" if close else "")
        + f". Presets: {', '.join(PRESET_NAMES)} (docs/instruments.md)."
    )


def instrument(name: str, where: str = "scales.<key>.instrument") -> Instrument:
    """The preset called ``name``; a :class:`ConfigError` naming ``where`` if there is none."""
    if name not in INSTRUMENTS:
        raise ConfigError(unknown_name_message(name, where))
    return INSTRUMENTS[name]
