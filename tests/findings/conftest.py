"""Fixtures of the findings tests, defined in :mod:`findings_helpers` (the tests import the
plain helpers from there)."""

from findings_helpers import cfg, settings  # noqa: F401
