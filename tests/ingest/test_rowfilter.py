"""Row filters (exclude_if): the condition parser, applying rules in read_wave, config keys."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError, InputFileError
from pipeline.ingest import read_wave
from pipeline.ingest.rowfilter import Condition, parse_condition
from pipeline.ingest.settings import from_config, wave_params

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "config" / "studies" / "demo.yaml").read_text())

HEADER = ["ResponseId", "Status", "Progress", "Finished", "DistributionChannel", "attn1", "gm1"]
QROWS = [
    ["Response ID", "Response Type", "Progress", "Finished", "Channel", "Pick 4", "Q gm1"],
    ['{"ImportId":"_recordId"}', '{"ImportId":"status"}', '{"ImportId":"progress"}',
     '{"ImportId":"finished"}', '{"ImportId":"distributionChannel"}', '{"ImportId":"QID9"}',
     '{"ImportId":"QID1"}'],
    ["R_1", "0", "100", "1", "anonymous", "4", "5"],   # row 4: kept
    ["R_2", "0", "40", "0", "anonymous", "4", "3"],    # row 5: Finished == 0 (and Progress)
    ["R_3", "0", "100", "1", "anonymous", "2", "6"],   # row 6: failed attention check
    ["R_4", "0", "100", "", "anonymous", "", "2"],     # row 7: blanks never match
    ["R_5", "0", "n/a", "1", "email", "4", "4"],       # row 8: Progress not a number: flagged
    ["R_6", "0", "99", "1", "anonymous", "4", "1"],    # row 9: Progress < 100
]  # fmt: skip
RULES = ("Finished == 0", "Progress < 100", "attn1 not in [4]")


def _qualtrics_csv(tmp_path: Path) -> Path:
    p = tmp_path / "q.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *QROWS])
    return p


def _qualtrics_xlsx(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [HEADER, *QROWS]:
        ws.append([None if v == "" else (float(v) if v.replace(".", "").isdigit() else v)
                   for v in r])
    p = tmp_path / "q.xlsx"
    wb.save(p)
    return p


def _read(path, rules, **kw):
    conds = tuple(parse_condition(t, key=f"waves (T0).exclude_if[{i}]")
                  for i, t in enumerate(rules))
    return read_wave(path, wave_id="T0", id_column="ResponseId", expected_columns=["gm1"],
                     exclude_if=conds, **kw)


@pytest.mark.parametrize(("text", "column", "op", "values"), [
    ("Finished == 0", "Finished", "==", (0.0,)),
    ("Progress<100", "Progress", "<", (100.0,)),
    ('DistributionChannel == "preview"', "DistributionChannel", "==", ("preview",)),
    ("Status != 'IP Address'", "Status", "!=", ("IP Address",)),
    ("attn1 not in [4, 'x']", "attn1", "not in", (4.0, "x")),
    ("`Duration (in seconds)` <= -1.5e2", "Duration (in seconds)", "<=", (-150.0,)),
    ('attn1 == ""', "attn1", "==", ("",)),
])  # fmt: skip
def test_parse_valid_conditions(text, column, op, values):
    c = parse_condition(text, key="k")
    assert (c.column, c.op, c.values, c.text) == (column, op, values, text.strip())
    assert parse_condition(str(c), key="k") == c


@pytest.mark.parametrize("text", [
    "Finished = 0", "Finished == ", "== 0", "Progress < 'x'", "a == b", "a in [1,,2]",
    "a in []", "Finished == 0 0", "", "   ", "a == nan",
])  # fmt: skip
def test_parse_refuses_with_key_text_and_example(text):
    with pytest.raises(ConfigError) as err:
        parse_condition(text, key="cleaning.exclude_if[1]")
    msg = str(err.value)
    assert "cleaning.exclude_if[1]" in msg and f"'{text}'" in msg and "Finished == 0" in msg


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parser_never_raises_anything_but_config_error(text):
    try:
        c = parse_condition(text, key="k")
    except ConfigError:
        return
    assert isinstance(c, Condition) and c.column and parse_condition(str(c), key="k") == c


_names = st.text(alphabet=st.characters(blacklist_characters="`", blacklist_categories=("Cs",)),
                 min_size=1, max_size=12).filter(lambda s: s.strip() == s and s)
_values = st.one_of(
    st.integers(-10**6, 10**6).map(float),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(float),
    st.text(alphabet=st.characters(blacklist_characters="\"'", blacklist_categories=("Cs",)),
            max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(_names, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
       st.lists(_values, min_size=1, max_size=3))
def test_round_trip(column, op, values):
    if op in ("<", "<=", ">", ">="):
        values = [v for v in values if not isinstance(v, str)] or [1.0]
    if op not in ("in", "not in"):
        values = values[:1]
    c = Condition(column, op, tuple(values))
    back = parse_condition(str(c), key="k")
    assert back == c


@pytest.mark.parametrize("maker", [_qualtrics_csv, _qualtrics_xlsx])
def test_rules_drop_and_log_each_row(tmp_path, maker):
    r = _read(maker(tmp_path), RULES)
    assert list(r.data["ResponseId"]) == ["R_1", "R_4", "R_5"]
    dropped = r.log[r.log["action"] == "row_dropped"].set_index("row")["issue"].to_dict()
    assert dropped == {
        5: "excluded by rule 'Finished == 0' (Finished = 0)",
        6: "excluded by rule 'attn1 not in [4]' (attn1 = 2)",
        9: "excluded by rule 'Progress < 100' (Progress = 99)",
    }
    flagged = r.log[r.log["action"] == "flagged"]
    assert list(flagged["row"]) == [8] and "not a number" in flagged["issue"].iloc[0]
    assert r.meta["excluded_by_rule"] == {"Finished == 0": 1, "Progress < 100": 1,
                                          "attn1 not in [4]": 1}
    assert r.meta["n_rows_read"] == len(r.data) + r.n_dropped
    assert "Finished" not in r.data.columns  # filter columns are not passed on
    assert any(n.startswith("row filter 'Finished == 0': 1 row(s) with a blank 'Finished' not "
                            "excluded") for n in r.meta["notes"])


def test_string_rule_ignores_case_and_blank_rule_matches_blanks(tmp_path):
    r = _read(_qualtrics_csv(tmp_path), ('DistributionChannel == "EMAIL"', 'Finished == ""'))
    assert sorted(r.data["ResponseId"]) == ["R_1", "R_2", "R_3", "R_6"]


def test_missing_column_names_file_rule_and_closest(tmp_path):
    with pytest.raises(InputFileError, match=r"q\.csv: row filter 'Finishd == 0'.*'Finished'"):
        _read(_qualtrics_csv(tmp_path), ("Finishd == 0",))


def test_everything_excluded_is_refused(tmp_path):
    with pytest.raises(InputFileError, match="excluded by exclude_if"):
        _read(_qualtrics_csv(tmp_path), ("gm1 > 0",))


def _cfg(raw):
    return config_from_dict(raw, root=ROOT)


def test_bad_rules_refused_at_startup_naming_keys():
    raw = copy.deepcopy(RAW)
    raw["cleaning"]["exclude_if"] = ["Finished == 0", "Progress << 100"]
    raw["waves"][1]["exclude_if"] = ["attn1 = 4"]
    with pytest.raises(ConfigError) as err:
        from_config(_cfg(raw))
    msg = str(err.value)
    assert "cleaning.exclude_if[1]" in msg and "'Progress << 100'" in msg
    assert "waves (T1).exclude_if[0]" in msg and "'attn1 = 4'" in msg


def test_global_rules_in_every_waves_params_and_conditions():
    raw = copy.deepcopy(RAW)
    raw["cleaning"]["exclude_if"] = ["Finished == 0"]
    raw["waves"][1]["exclude_if"] = ["Progress < 100"]
    cfg = _cfg(raw)
    s = from_config(cfg)
    assert [c.text for c in s.conditions("T1")] == ["Finished == 0", "Progress < 100"]
    assert [c.text for c in s.conditions("T2")] == ["Finished == 0"]
    for w in ("T0", "T1", "T2"):
        assert json.loads(wave_params(cfg, w))["exclude_if"] == ["Finished == 0"]
    before = wave_params(_cfg(RAW), "T0")
    assert before != wave_params(cfg, "T0")  # a new global rule reruns every ingest


_CELLS = st.sampled_from(["0", "1", " 0 ", "100", "99.5", "", None, "x", "Preview", "preview "])


def _reference(cond: Condition, cell) -> bool:
    """Plain-Python statement of the documented rule (module docstring of rowfilter)."""
    text = "" if cell is None else str(cell).strip()
    if text == "":
        return "" in cond.values and cond.op in ("==", "in")
    try:
        num = float(text)
    except ValueError:
        num = None
    equal = any((isinstance(v, str) and v.strip().casefold() == text.casefold())
                or (not isinstance(v, str) and num is not None and num == v)
                for v in cond.values)
    if cond.op in ("==", "in"):
        return equal
    numbers = [v for v in cond.values if not isinstance(v, str)]
    if cond.op in ("!=", "not in"):
        return not equal and not (numbers and num is None)
    import operator

    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[cond.op]
    return num is not None and compare(num, numbers[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=12),
       st.sampled_from(["Finished == 0", "Finished != 0", "Finished < 100", "Finished >= 1",
                        'Finished == "preview"', 'Finished not in [0, "x"]', 'Finished == ""',
                        'Finished in [1, "PREVIEW"]']))
def test_filter_matches_the_documented_rule_and_accounts_every_row(tmp_path_factory, cells, rule):
    path = tmp_path_factory.mktemp("f") / "f.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "Finished", "gm1"])
        w.writerows([[f"P{i}", "" if c is None else c, "1"] for i, c in enumerate(cells)])
    cond = parse_condition(rule, key="k")
    try:
        r = read_wave(path, wave_id="T0", id_column="id", expected_columns=["gm1"],
                      exclude_if=(cond,))
    except InputFileError as err:  # every row excluded
        assert "excluded by exclude_if" in str(err)
        assert all(_reference(cond, c) for c in cells)
        return
    dropped = {int(x) - 2 for x in r.log.loc[r.log["action"] == "row_dropped", "row"]}
    expected = {i for i, c in enumerate(cells) if _reference(cond, c)}
    assert dropped == expected
    assert r.meta["n_rows_read"] == len(cells) == len(r.data) + r.n_dropped
