"""Settings of the report wing: the ONLY reader of the config section ``report``.

Types, patterns and defaults are in ``settings.schema.yaml`` next to this file. :func:`from_config`
adds what needs the rest of the configuration or the file system: the logo and a replacement
template must exist, and the configuration hash printed on the title page (a change anywhere in
the configuration reruns the report, because the hash is part of the rule's params).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.findings.settings import inactive as findings_inactive
from pipeline.plan import switched_off
from pipeline.settings import section_settings
from pipeline.status import Status

__all__ = ["SECTION", "CORE_KEYS", "ReportSettings", "from_config", "inactive", "TEMPLATE_DIR"]

SECTION = "report"
# the report prints the study id/title, wave labels and months, scale labels and ranges, the
# covariates named in the measures appendix and the disclosure threshold
CORE_KEYS = ("study", "waves", "scales", "covariates", "disclosure")
TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReportSettings:
    """The ``report:`` section, validated and with defaults filled (see the schema)."""

    programme: str
    organisation: str | None
    title: str
    language: str
    date: str | None
    logo: str | None
    primary_colour: str
    accent_colour: str
    foreword: str | None
    template: str | None  # None: the packaged templates/report.typ
    config_hash: str

    def template_path(self, root: Path) -> Path:
        """The Typst template to use (a configured path is relative to the project root)."""
        return root / self.template if self.template else TEMPLATE_DIR / "report.typ"


#: keys that only split the work into Snakemake jobs (results never depend on them): left out of
#: the hash, so a laptop run and a cluster run of the same analysis print the same hash (issue 15)
JOB_SPLIT_KEYS = (("missing_data", "chain_blocks"), ("mediation", "mi", "blocks"))


def config_hash(raw: dict) -> str:
    """First 12 hex digits of SHA-256 of the configuration as canonical JSON, without the keys
    that only split the work into jobs (:data:`JOB_SPLIT_KEYS`)."""
    raw = copy.deepcopy(raw)
    for *parents, key in JOB_SPLIT_KEYS:
        node = raw
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(key, None)
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _existing(cfg: Config, key: str, value: str | None) -> str | None:
    """``value`` as given (relative paths keep the params portable) after checking it exists."""
    if value is None:
        return None
    path = cfg.path(value)
    if not path.exists():
        raise ConfigError(f"config key {SECTION}.{key}: file '{value}' does not exist (looked at "
                          f"{path}); correct the path (relative to the project root) or set null.")
    return value


def inactive(cfg: Config) -> tuple[Status, str] | None:
    """Why the report is not built (switched off; the findings table it is built from is
    switched off), or None (see pipeline.plan)."""
    if not section_settings(cfg.raw, SECTION)["enabled"]:
        return switched_off(SECTION)
    if findings_inactive(cfg) is not None:
        return Status.NOT_RUN, ("not built: the report is built from the findings table, which "
                                "is switched off (findings.enabled: false)")
    return None


def from_config(cfg: Config) -> ReportSettings:
    """The report settings of ``cfg``; raises ConfigError naming the key and the fix."""
    sec = section_settings(cfg.raw, SECTION)
    programme = sec["programme"] or cfg.study_title
    return ReportSettings(
        programme=programme,
        organisation=sec["organisation"],
        title=sec["title"] or f"Evaluation report: {programme}",
        language=sec["language"],
        date=sec["date"],
        logo=_existing(cfg, "logo", sec["logo"]),
        primary_colour=sec["colours"]["primary"],
        accent_colour=sec["colours"]["accent"],
        foreword=sec["foreword"],
        template=_existing(cfg, "template", sec["template"]),
        config_hash=config_hash(cfg.raw),
    )
