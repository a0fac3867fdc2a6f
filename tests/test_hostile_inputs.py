"""No traceback ever reaches a user (issue 13).

The CLI (``pipeline.cli.main``, in-process) runs ``ingest`` for every wave and then ``clean`` on
hostile inputs: hypothesis-generated CSVs (random and duplicated headers, blank and unicode
names, ragged rows, empty/whitespace cells, huge numbers, ``1e400``, NaN/inf texts, dates before
1677 or after 2262, impossible dates, id variants, BOM, mixed delimiters, NUL bytes) and
hand-made files (empty, header only, binary junk, a damaged .xlsx or .sav, ...). Every outcome
must be exit 0, or exit 2 with a plain message in the log; any other exception escapes
``main`` and fails the test with its traceback (that is the bug to fix).

A case that still fails because of a file another helper owns is marked
``xfail(strict=True)`` naming the request in /tmp/refactor/requests/ that carries the repro.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import main

ID, DATE = "participant_id", "completed_at"
ITEMS = ["gm1", "gm2", "gm3"]
CONFIGURED = [ID, DATE, "age", "gender", *ITEMS]
WAVES = ("T0", "T1")


def study_config(files: dict[str, str]) -> dict:
    """A small study: two waves, one 1-5 scale with a label map, two covariates."""
    return {
        "study": {"id": "hostile"},
        "seed": 1,
        "pseudonymisation": {"salt": "test-salt"},
        "id_column": ID,
        "waves": [{"id": w, "file": files[w], "months": 4 * i, "date_column": DATE}
                  for i, w in enumerate(WAVES)],
        "label_maps": {"agree5": {"Strongly disagree": 1, "Disagree": 2, "Neutral": 3,
                                  "Agree": 4, "Strongly agree": 5}},
        "scales": {"gm": {"items": ITEMS, "range": [1, 5], "label_map": "agree5",
                          "min_items": 2, "score": "mean"}},
        "covariates": {"age": {"column": "age", "type": "numeric", "range": [16, 110]},
                       "gender": {"column": "gender", "type": "categorical",
                                  "levels": ["Woman", "Man"]}},
        "cleaning": {"min_id_overlap": 0.0, "max_unmatched_share": 1.0},
    }


# ---------------------------------------------------------------------------------- driving


def _stage(stage: str, root: Path, io: dict, name: str) -> tuple[int, str]:
    log = root / "logs" / f"{name}.log"
    rc = main([stage, "--config", str(root / "effective.json"), "--root", str(root),
               "--io", json.dumps(io), "--log", str(log)])
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return rc, text


def run_cli(root: Path, cfg: dict, later: bool = False) -> list[tuple[str, int, str]]:
    """Ingest every wave, then clean when every wave was read, then (``later``) the attrition
    and change stages on the clean data. One (stage, rc, log) per stage run."""
    (root / "effective.json").write_text(json.dumps(cfg), encoding="utf-8")
    interim, outcomes = root / "interim", []
    for w in cfg["waves"]:
        io = {"input": {"wave": str(root / w["file"])}, "wildcards": {"wave": w["id"]},
              "output": {"data": str(interim / f"raw_{w['id']}.parquet"),
                         "log": str(interim / f"read_log_{w['id']}.csv"),
                         "meta": str(interim / f"read_meta_{w['id']}.json")}}
        rc, text = _stage("ingest", root, io, f"ingest_{w['id']}")
        outcomes.append((f"ingest {w['id']}", rc, text))
    if all(rc == 0 for _, rc, _ in outcomes):
        ids = [w["id"] for w in cfg["waves"]]
        io = {"input": {k: [str(interim / f"{p}_{w}.{x}") for w in ids] for k, p, x in
                        (("data", "raw", "parquet"), ("logs", "read_log", "csv"),
                         ("meta", "read_meta", "json"))}
              | {"waves": [str(root / w["file"]) for w in cfg["waves"]]},
              "wildcards": {},
              "output": {k: str(root / "clean" / f"{k}.out") for k in
                         ("long", "wide", "qc", "quality", "reliability")}}
        rc, text = _stage("clean", root, io, "clean")
        outcomes.append(("clean", rc, text))
        if rc == 0 and later:
            outcomes += _later_stages(root, [w["id"] for w in cfg["waves"]], list(cfg["scales"]))
    return outcomes


def _later_stages(root: Path, waves: list[str], scales: list[str]) -> list[tuple[str, int, str]]:
    """The attrition and change stages on the clean data (as their rules declare them)."""
    clean, t, fig = root / "clean", root / "tables", root / "figures"
    inputs = {"long": str(clean / "long.out"), "wide": str(clean / "wide.out"),
              "qc": str(clean / "qc.out")}
    names = ("flow", "flow_public", "missingness", "patterns", "patterns_public", "compare",
             "compare_public", "model", "status", "ipw", "mcar", "summary")
    io = {"input": inputs, "wildcards": {},
          "output": {k: str(t / f"attrition_{k}.csv") for k in names}
          | {"ipw_balance": [str(t / f"attrition_ipw_balance_{w}.csv") for w in waves[1:]],
             "weights": str(clean / "ipw_weights.parquet"),
             "figures": [str(fig / f"{n}.{e}") for n in ("attrition_flow", "missing_patterns")
                         for e in ("png", "svg")]}}
    rc_a, text_a = _stage("attrition", root, io, "attrition")
    names = ("primary", "primary_means", "means", "contrasts", "effect_sizes", "rci_shares",
             "rci_public", "status", "baseline", "baseline_public", "correlations",
             "individual", "sentences")
    io = {"input": {"long": inputs["long"], "wide": inputs["wide"],
                    "reliability": str(clean / "reliability.out")}
          | ({"weights": str(clean / "ipw_weights.parquet")} if rc_a == 0 else {}),
          "wildcards": {},
          "output": {k: str(t / f"change_{k}.csv") for k in names}
          | {"figures": [str(fig / f"change_{k}.{e}") for k in scales for e in ("png", "svg")]}}
    rc_c, text_c = _stage("change", root, io, "change")
    return [("attrition", rc_a, text_a), ("change", rc_c, text_c)]


def assert_clean_outcomes(outcomes: list[tuple[str, int, str]]) -> None:
    for stage, rc, text in outcomes:
        assert rc in (0, 2), f"{stage}: exit {rc}\n{text}"
        assert "Traceback" not in text, f"{stage}: traceback in the log\n{text}"
        if rc == 2:
            assert "ERROR" in text, f"{stage}: exit 2 without an error message"


def run_files(files: dict[str, bytes], names: dict[str, str] | None = None,
              later: bool = False):
    """Write the wave files (bytes) under a fresh root, run the CLI (``later``: also the
    attrition and change stages), return the outcomes."""
    names = names or {w: f"data/{w}.csv" for w in WAVES}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for w, content in files.items():
            (root / names[w]).parent.mkdir(parents=True, exist_ok=True)
            (root / names[w]).write_bytes(content)
        outcomes = run_cli(root, study_config(names), later)
        assert_clean_outcomes(outcomes)
        return outcomes


# ------------------------------------------------------------------------ generated CSVs

HOSTILE_CELLS = [
    "", " ", "\t", "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e308",
    "99999999999999999999999999", "0", "-1", "3.5", "3,5", "1.0", "NA", "#N/A", ".", "-",
    "Strongly agree", "agree ", "STRONGLY DISAGREE", "Totally", "0019-01-01", "2300-05-01",
    "31/02/2020", "1677-09-21", "2262-04-12", "9999-12-31", "0000-00-00", "2020-13-45",
    "01/02/03", "45000", "-700000", "1e10", "é", "名前", "😀", "\x00", '"', "a\"b",
    "x\ny", "=1+1", "TRUE", "   4   ",
]
ID_CELLS = ["001", "1", "01", "P01", "p01", " P01", "P01 ", "P 01", "P02", "0002", "2",
            "", " ", "NA", "1e3", "1000", "P03", "P03", "0", "-1", "ÿ01"]
DATE_CELLS = ["2021-03-04", "2021-03-04 10:00", "44259", "", "0019-01-01", "2300-05-01",
              "1600-01-01", "2262-04-12", "1677-09-21", "yesterday", "2021-02-30",
              "9999-12-31", "0000-00-00", "2021-3-4"]
MILD = {ID: ID_CELLS, DATE: DATE_CELLS, "age": ["", "34", "17", "15", "200", "44.5", "1e400",
                                                "inf", "NaN", "-3", "99999999999999999999"],
        "gender": ["", "Woman", "Man", "woman ", "MAN", "Other", "NaN", "1"]}
ITEM_MILD = ["", "1", "2", "3", "4", "5", "6", "0", "-99", "5.0", "Agree", "agree", "Neutral",
             " Strongly agree ", "NaN", "1e400", "inf"]
NAME_EXTRAS = ["", " ", "gm1", "GM1", "Gm 1", "notes", "名前", "😀", "x" * 300, "a,b", '"q"',
               "Unnamed: 3", "participant_id", "redcap_event_name", "\ufeffid", "ResponseId"]


def _quote(cell: str, delim: str, careless: bool) -> str:
    if careless or not any(ch in cell for ch in (delim, '"', "\n", "\r")):
        return cell
    return '"' + cell.replace('"', '""') + '"'


@st.composite
def hostile_csv(draw, wild: bool) -> bytes:
    """A CSV export with the configured columns (name variants) and hostile cells."""
    header = [draw(st.sampled_from([c, c.upper(), f" {c} ", c.title()])) if draw(
        st.integers(0, 4)) == 0 else c for c in CONFIGURED]
    if wild and draw(st.booleans()):
        header += draw(st.lists(st.sampled_from(NAME_EXTRAS) | st.text(max_size=6),
                                max_size=3))
    if wild and draw(st.integers(0, 5)) == 0:
        header.remove(draw(st.sampled_from(header)))
    order = draw(st.permutations(range(len(header))))
    header = [header[i] for i in order]
    n = draw(st.integers(0, 7))

    def cell(col: str) -> str:
        base = col.strip().lower()
        pool = MILD.get(base, ITEM_MILD if base in ITEMS else HOSTILE_CELLS)
        if wild and draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(HOSTILE_CELLS) | st.text(max_size=5))
        return draw(st.sampled_from(pool))

    rows = [[cell(c) for c in header] for _ in range(n)]
    delim = draw(st.sampled_from([",", ";", "\t", "|"])) if wild else ","
    careless = wild and draw(st.integers(0, 4)) == 0
    lines = [delim.join(_quote(c, delim, careless) for c in header)]
    for r in rows:
        if wild and r and draw(st.integers(0, 6)) == 0:  # a ragged row
            r = r[:-1] if draw(st.booleans()) else r + ["extra"]
        d = draw(st.sampled_from([",", ";"])) if wild and draw(st.integers(0, 8)) == 0 else delim
        lines.append(d.join(_quote(c, d, careless) for c in r))
    eol = draw(st.sampled_from(["\n", "\r\n"])) if wild else "\n"
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    data = text.encode("utf-8", errors="surrogatepass")
    if wild and draw(st.integers(0, 4)) == 0:
        data = b"\xef\xbb\xbf" + data
    if wild and draw(st.integers(0, 10)) == 0:
        data = data.decode("utf-8", errors="ignore").encode("cp1252", errors="replace")
    return data


GEN = settings(max_examples=50, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])


@pytest.mark.slow
@GEN
@given(t0=hostile_csv(wild=True), t1=hostile_csv(wild=True))
def test_wild_generated_csvs_never_raise(t0, t1):
    run_files({"T0": t0, "T1": t1})


@pytest.mark.slow
@GEN
@given(t0=hostile_csv(wild=False), t1=hostile_csv(wild=False))
def test_well_formed_csvs_with_hostile_values_never_raise(t0, t1):
    """Structurally sound files, so that clean (and then attrition and change) is reached:
    hostile ids, dates and values."""
    run_files({"T0": t0, "T1": t1}, later=True)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(t0=hostile_csv(wild=False), t1=hostile_csv(wild=True))
def test_a_few_generated_csvs_never_raise(t0, t1):
    """A quick sample of the two slow tests above, for every run."""
    run_files({"T0": t0, "T1": t1})


# ------------------------------------------------------------------------ hand-made files

GOOD_ROWS = [
    ["P01", "2021-03-04", "34", "Woman", "1", "2", "3"],
    ["P02", "2021-03-05", "51", "Man", "4", "5", "4"],
    ["P03", "2021-03-06", "47", "Woman", "2", "2", "Agree"],
]


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    lines = [",".join(header or CONFIGURED)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


GOOD = csv_bytes(GOOD_ROWS)
FOLLOW = csv_bytes([[r[0], "2021-07-0" + str(i + 1), *r[2:]] for i, r in enumerate(GOOD_ROWS)])


def _one(t0: bytes, t1: bytes = FOLLOW, later: bool = False) -> list[tuple[str, int, str]]:
    return run_files({"T0": t0, "T1": t1}, later=later)


def _rc(outcomes, stage: str) -> int:
    return next(rc for s, rc, _ in outcomes if s == stage)


@pytest.mark.slow
def test_good_small_study_runs_through_every_stage():
    out = _one(GOOD, later=True)
    assert [rc for _, rc, _ in out] == [0] * 5, out


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (",".join(CONFIGURED).encode() + b"\n", "no data rows"),
    (b"\x00\x01\x02\xff\xfe" * 200, "binary"),
    (b"\n\n  \n", "blank"),
    (b"\xef\xbb\xbf", ""),
    (np.random.default_rng(0).bytes(3000), ""),
])
def test_hand_made_bad_csv_refused_with_a_message(content, words):
    out = _one(content)
    assert _rc(out, "ingest T0") == 2
    assert words.lower() in out[0][2].lower()


def test_xlsx_that_is_not_a_zip():
    out = run_files({"T0": b"PK\x03\x04" + b"garbage" * 50, "T1": FOLLOW},
                    {"T0": "data/T0.xlsx", "T1": "data/T1.csv"})
    assert _rc(out, "ingest T0") == 2


def test_truncated_sav(tmp_path):
    import pyreadstat

    df = pd.read_csv(pd.io.common.BytesIO(GOOD), dtype=str)
    for c in ITEMS + ["age"]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    full = tmp_path / "full.sav"
    pyreadstat.write_sav(df, str(full))
    cut = full.read_bytes()[: len(full.read_bytes()) // 2]
    out = run_files({"T0": cut, "T1": FOLLOW}, {"T0": "data/T0.sav", "T1": "data/T1.csv"})
    assert _rc(out, "ingest T0") == 2


@pytest.mark.slow
def test_all_ids_missing():
    out = _one(csv_bytes([["", *r[1:]] for r in GOOD_ROWS]), later=True)
    assert all(rc in (0, 2) for _, rc, _ in out)


@pytest.mark.parametrize("rows", [
    [["", *r[1:]] for r in GOOD_ROWS],  # every baseline id missing
    [[*r[:4], "", "", ""] for r in GOOD_ROWS],  # no baseline row has an answer
], ids=["all_ids_missing", "no_answers"])
def test_empty_baseline_is_refused_by_clean(rows):
    """Found by this file: clean used to end with 0 participants at baseline and exit 0."""
    out = _one(csv_bytes(rows))
    assert _rc(out, "clean") == 2 and "wave T0, baseline" in out[-1][2]


@pytest.mark.slow
def test_every_answer_out_of_range():
    out = _one(csv_bytes([[*r[:4], "9", "8", "12"] for r in GOOD_ROWS]), later=True)
    assert all(rc in (0, 2) for _, rc, _ in out)


@pytest.mark.slow
def test_one_participant_only():
    out = _one(csv_bytes(GOOD_ROWS[:1]), csv_bytes([["P01", "2021-07-01", *GOOD_ROWS[0][2:]]]),
               later=True)
    assert all(rc in (0, 2) for _, rc, _ in out)


def test_two_identical_columns_under_different_names():
    header = [*CONFIGURED, "gm1_copy"]
    out = _one(csv_bytes([[*r, r[4]] for r in GOOD_ROWS], header))
    assert _rc(out, "ingest T0") == 0


def test_duplicated_header_refused():
    header = [*CONFIGURED, "gm1"]
    out = _one(csv_bytes([[*r, r[4]] for r in GOOD_ROWS], header))
    assert _rc(out, "ingest T0") == 2 and "gm1" in out[0][2]


@pytest.mark.parametrize("date", ["0019-01-01", "2300-05-01", "1600-12-31", "2262-04-12",
                                  "31/02/2020", "9999-12-31"])
def test_dates_outside_pandas_range_in_every_row(date):
    out = _one(csv_bytes([[r[0], date, *r[2:]] for r in GOOD_ROWS]))
    assert all(rc in (0, 2) for _, rc, _ in out)


def test_baseline_dates_far_apart_in_follow_up():
    t1 = csv_bytes([[r[0], "2300-05-01" if i == 0 else "2021-07-01", *r[2:]]
                    for i, r in enumerate(GOOD_ROWS)])
    out = _one(GOOD, t1)
    assert all(rc in (0, 2) for _, rc, _ in out)


def test_nul_bytes_and_bom():
    content = b"\xef\xbb\xbf" + GOOD.replace(b"P02", b"P0\x002")
    out = _one(content)
    assert all(rc in (0, 2) for _, rc, _ in out)


# -------------------------------------------------------- later stages on pathological data


def test_mcar_with_two_identical_scale_scores_is_a_status_not_a_crash():
    """The attrition wing's Little's test on wide data where two scores are equal."""
    from pipeline.stats.mcar import little_mcar, mcar_table

    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"age": rng.integers(20, 80, 80).astype(float),
                         "gm_T0": rng.integers(1, 6, 80).astype(float)})
    wide["gm_T1"] = np.where(rng.random(80) < 0.4, np.nan, rng.integers(1, 6, 80))
    wide["gm_total_T0"] = wide["gm_T0"]
    table = mcar_table(little_mcar(wide))
    assert table.loc[0, "status"] == "not_estimable"
    assert "gm_T0 and gm_total_T0" in table.loc[0, "message"]


# ------------------------------------------------------------- more hand-made situations


def _xlsx(rows: list[list], path: Path) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path.read_bytes()


def test_xlsx_with_error_cells_formulas_and_blank_header_cells(tmp_path):
    rows = [CONFIGURED + [None, "extra"],
            ["P01", "2021-03-04", "#DIV/0!", "Woman", 1, "=1+1", 3, None, "x"],
            ["P02", "2021-03-05", 40, "Man", "#N/A", 2, 2, None, None],
            ["P03", None, None, None, None, None, None, None, None]]
    out = run_files({"T0": _xlsx(rows, tmp_path / "a.xlsx"), "T1": FOLLOW},
                    {"T0": "data/T0.xlsx", "T1": "data/T1.csv"})
    assert all(rc in (0, 2) for _, rc, _ in out)


def test_xlsx_header_only_and_empty_sheet(tmp_path):
    for rows in ([CONFIGURED], [[None]], [["title"], [], CONFIGURED]):
        out = run_files({"T0": _xlsx(rows, tmp_path / "a.xlsx"), "T1": FOLLOW},
                        {"T0": "data/T0.xlsx", "T1": "data/T1.csv"})
        assert _rc(out, "ingest T0") == 2


def test_stat_files_with_extreme_and_string_items(tmp_path):
    import pyreadstat

    df = pd.read_csv(pd.io.common.BytesIO(GOOD), dtype=str)
    df["gm3"] = df["gm3"].fillna("4")
    df["age"] = [1.7e38, -1.7e38, 40.0]
    df["gm1"] = pd.to_numeric(df["gm1"]) * 1.0
    df.loc[0, "gm1"] = 8.9e307
    for kind, write in (("sav", pyreadstat.write_sav), ("dta", pyreadstat.write_dta)):
        path = tmp_path / f"w.{kind}"
        write(df, str(path))
        out = run_files({"T0": path.read_bytes(), "T1": FOLLOW},
                        {"T0": f"data/T0.{kind}", "T1": "data/T1.csv"})
        assert all(rc in (0, 2) for _, rc, _ in out), kind


@pytest.mark.parametrize("rows, header", [
    ([[r[0], r[1], r[2], r[3], "", "", ""] for r in GOOD_ROWS], None),  # no answers at all
    ([["P01", *r[1:]] for r in GOOD_ROWS], None),  # one id for every row
    ([[r[0], "", *r[2:]] for r in GOOD_ROWS], None),  # no dates
    ([[r[0], r[1], '"1,000"', *r[3:]] for r in GOOD_ROWS], None),  # thousands separator
    ([[*r, r[4]] for r in GOOD_ROWS], [*CONFIGURED, "GM1"]),  # gm1 and GM1
    ([[r[0], r[1], "x" * 200_000, *r[3:]] for r in GOOD_ROWS], None),  # a huge cell
    ([[r[0] + "\u200b", *r[1:]] for r in GOOD_ROWS], None),  # zero-width space in ids
])
def test_more_hostile_values(rows, header):
    out = _one(csv_bytes(rows, header))
    assert all(rc in (0, 2) for _, rc, _ in out)


def test_follow_up_identical_to_baseline_file():
    out = _one(GOOD, GOOD)
    assert _rc(out, "clean") == 2


# ------------------------------------------------------------------ socialcure init


def run_init(files: dict[str, bytes]) -> tuple[int, str]:
    """``socialcure init`` on the files: exit 0 with a starter, or exit 2 with a message."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for name, content in files.items():
            (root / name).write_bytes(content)
            paths.append(str(root / name))
        out = root / "starter.yaml"
        rc = main(["init", *paths, "--out", str(out)])
        assert rc in (0, 2)
        text = out.read_text(encoding="utf-8") if out.exists() else ""
        assert (rc == 0) == bool(text)
        return rc, text


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(t0=hostile_csv(wild=True), t1=hostile_csv(wild=False))
def test_init_on_generated_csvs_never_raises(t0, t1):
    import yaml

    rc, text = run_init({"t0.csv": t0, "t1.csv": t1})
    if rc == 0:
        assert isinstance(yaml.safe_load(text), dict)  # always parseable YAML
        for secret in ("P01", "P02", "P03", "0002", "ÿ01", "yesterday"):
            assert f" {secret}\n" not in text and f"'{secret}'" not in text


@pytest.mark.parametrize("content", [b"", b"\x00\x01" * 50, b"PK\x03\x04junk", b"\n \n"])
def test_init_on_bad_files_exits_2(content):
    assert run_init({"w.csv": content})[0] == 2


def test_init_on_a_header_only_file_writes_a_starter():
    rc, text = run_init({"w.csv": ",".join(CONFIGURED).encode() + b"\n"})
    assert rc == 0 and "items: [gm1, gm2, gm3]" in text and "range: [TODO, TODO]" in text
