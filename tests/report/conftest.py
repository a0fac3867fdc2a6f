"""Fixtures of the report tests, defined in :mod:`report_helpers` (the tests import the
plain helpers from there)."""

from report_helpers import built, demo_tree, findings  # noqa: F401
