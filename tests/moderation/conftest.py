"""Fixtures of the moderation tests, defined in :mod:`moderation_helpers`."""

from moderation_helpers import analysis, raw_cfg, settings, wide  # noqa: F401
