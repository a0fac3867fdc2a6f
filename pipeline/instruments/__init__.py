"""The instrument library: published questionnaires as presets a scale of the config can name
(``scales.<k>.instrument: ucla3``). See docs/instruments.md.

This package is data and pure functions: it imports no wing. The core config loader fills a
scale in from its preset (:func:`resolve_scales`), the clean wing scores it
(:mod:`pipeline.instruments.scoring`).
"""

from pipeline.instruments.library import BATTERIES, INSTRUMENTS, PRESET_NAMES, instrument
from pipeline.instruments.model import MID, Band, Battery, Instrument, ValueSet
from pipeline.instruments.resolve import resolve_scales

__all__ = ["BATTERIES", "INSTRUMENTS", "PRESET_NAMES", "instrument", "resolve_scales", "MID",
           "Band", "Battery", "Instrument", "ValueSet"]
