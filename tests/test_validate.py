"""Analysis sections are validated at start-up, all problems in one message."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from pipeline.validate import validate_analysis_sections, validate_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def raw():
    return yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())


def test_shipped_config_is_valid(raw):
    validate_analysis_sections(config_from_dict(raw, root=ROOT))


def test_every_problem_is_listed_with_its_key(raw):
    bad = copy.deepcopy(raw)
    bad["missing_data"]["primary"] = "fimll"
    bad["mediation"]["analyses"]["social_cure_chain"]["mediators"][0]["construct"] = "belongin"
    bad["crosslag"]["analyses"]["connections_health"]["constructs"] = ["suport", "qol"]
    bad["change"]["conf_level"] = "high"
    bad["attrition"]["notable_smd"] = "big"
    with pytest.raises(ConfigError) as exc:
        validate_config(bad, root=ROOT)
    msg = str(exc.value)
    # schema problems (types, enums) and cross-checks (names of scales) of every section at once
    for needle in ("missing_data.primary", "fimll", "belongin", "crosslag.analyses",
                   "suport", "change.conf_level", "attrition.notable_smd"):
        assert needle in msg, needle
    assert "Traceback" not in msg


def test_wrong_type_in_change_section(raw):
    bad = copy.deepcopy(raw)
    bad["change"]["p_adjust"] = "tukey"
    with pytest.raises(ConfigError, match="change"):
        validate_config(bad, root=ROOT)


def test_rule_params_do_not_depend_on_the_hash_seed():
    """Each rule's params (stage_settings_json) must be the same text in every process: a set
    printed into them would make Snakemake rerun the rule on every call ("params changed")."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, yaml\n"
            "from pipeline.studies import load_studies\n"
            "from pipeline.validate import stage_settings_json\n"
            "for c in ({'studies': ['demo']}, {'studies': ['demo_controlled']}):\n"
            "    for st in load_studies(c, root='.'):\n"
            "        for stage in sorted(st.runs - {'ingest'}):\n"
            "            t = stage_settings_json(st.cfg, stage).encode()\n"
            "            print(st.name, stage, hashlib.sha256(t).hexdigest())\n")
    root = Path(__file__).resolve().parent.parent
    outs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": seed},
                           check=True).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and outs.pop().count("\n") > 10
