"""Benchmark: FIML SEM fits - ours (``pipeline.sem.fit_sem``) vs lavaan, side by side.

Run from the project root:  .venv/bin/python benchmarks/bench_sem.py [--repeats 7] [--no-r]
                            [--cases clpm_2x3_fiml ...] [--tutorial-data RICLPM.dat]

Cases: every FIML (``missing = "ml"``) reference case of ``tests/fixtures/lavaan/cases.json``
(CLPM / RI-CLPM 2 x 3 and 3 x 4, n = 630; serial mediation; CFA; the crosslag wing's mediation
chain) and ``riclpm_2x5_tutorial_mar``: the RI-CLPM of Mulder & Hamaker's tutorial
(jeroendmulder.github.io/RI-CLPM: 2 variables x 5 waves, N = 1189, lavaan syntax with
``meanstructure = TRUE, int.ov.free = TRUE``) on data with **MAR dropout**. The tutorial's
``RICLPM.dat`` is not in the repository (this machine has no network), so by default the
benchmark simulates a comparable data set (an RI-CLPM with the tutorial's shape, N = 1189,
seed fixed) and applies the dropout: from wave 2 on, a participant still in the study leaves
with probability ``logistic(-0.8 + 2.0 z(x_{t-1}) - 1.2 z(y_{t-1}))`` (standardised previous
scores), so about 62 / 38 / 24 / 15 % remain at waves 2-5. ``--tutorial-data PATH`` uses the
real file instead (10 whitespace-separated columns x1-x5, y1-y5) with the same dropout.

Work, both sides: the fit, the standardised solution with its delta-method SEs and the fit
measures (``fit_sem`` computes all three; lavaan ``sem()``/``lavaan()`` +
``standardizedSolution()`` + ``fitMeasures()``, arguments as ``make_reference.R``). Before
timing, chi-square, the log-likelihoods and the estimates of the two sides are compared.

Protocol (:mod:`benchmarks.sidebyside`): one untimed warm-up round, then ``--repeats`` rounds
interleaved (order rotating), lavaan timed inside one persistent R process
(:mod:`benchmarks.rworker`), BLAS on one thread as in the pipeline; median and min-max per
case; the last line gives the ratio of the medians (lavaan / ours) of every case.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# One BLAS thread, as the pipeline's stages run (pipeline/cli.py); set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
LAV = ROOT / "tests" / "fixtures" / "lavaan"

from rworker import RError, RWorker  # noqa: E402
from sidebyside import interleave, ratio, report, timed  # noqa: E402

from pipeline.sem import fit_sem  # noqa: E402

TUTORIAL = "riclpm_2x5_tutorial_mar"
WAVES = 5


def tutorial_syntax() -> str:
    """The tutorial's basic RI-CLPM (random intercepts, within components, lags, residuals)."""
    xs, ys = [f"x{t}" for t in range(1, 6)], [f"y{t}" for t in range(1, 6)]
    lines = [f"RIx =~ {' + '.join('1*' + v for v in xs)}",
             f"RIy =~ {' + '.join('1*' + v for v in ys)}"]
    lines += [f"w{v} =~ 1*{v}" for v in xs + ys]
    lines += [f"wx{t} + wy{t} ~ wx{t - 1} + wy{t - 1}" for t in range(2, 6)]
    lines += [f"wx{t} ~~ wy{t}" for t in range(1, 6)]
    lines += ["RIx ~~ RIx", "RIy ~~ RIy", "RIx ~~ RIy"]
    lines += [f"w{v} ~~ w{v}" for t in range(1, 6) for v in (f"x{t}", f"y{t}")]
    return "\n".join(lines) + "\n"


def simulate_tutorial(n: int = 1189, seed: int = 2021) -> pd.DataFrame:
    """Complete 2 x 5 RI-CLPM data shaped like the tutorial's (scores around 0.2-0.5)."""
    rng = np.random.default_rng(seed)
    ri = rng.multivariate_normal([0, 0], [[0.045, 0.02], [0.02, 0.09]], n)
    wx, wy = rng.normal(scale=0.2, size=n), rng.normal(scale=np.sqrt(0.06), size=n)
    mx, my = [0.22, 0.25, 0.27, 0.28, 0.30], [0.35, 0.40, 0.43, 0.45, 0.47]
    cols: dict[str, np.ndarray] = {}
    for t in range(WAVES):
        if t:
            wx, wy = (0.30 * wx + 0.15 * wy + rng.normal(scale=np.sqrt(0.035), size=n),
                      0.10 * wx + 0.40 * wy + rng.normal(scale=np.sqrt(0.05), size=n))
        cols[f"x{t + 1}"], cols[f"y{t + 1}"] = mx[t] + ri[:, 0] + wx, my[t] + ri[:, 1] + wy
    names = [f"x{t}" for t in range(1, 6)] + [f"y{t}" for t in range(1, 6)]
    return pd.DataFrame({k: cols[k] for k in names})


def mar_dropout(d: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """Monotone dropout driven by the previous wave's (observed) scores: MAR."""
    rng = np.random.default_rng(seed)
    d = d.copy()
    stay = np.ones(len(d), bool)
    for t in range(2, WAVES + 1):
        zx, zy = (((d[f"{v}{t - 1}"] - d[f"{v}{t - 1}"].mean()) / d[f"{v}{t - 1}"].std())
                  .fillna(0).to_numpy() for v in "xy")
        stay &= rng.random(len(d)) >= 1 / (1 + np.exp(-(-0.8 + 2.0 * zx - 1.2 * zy)))
        d.loc[~stay, [f"x{t}", f"y{t}"]] = np.nan
    return d


def load_cases(tmp: Path, tutorial_data: str | None) -> dict[str, dict]:
    """The FIML reference cases plus the tutorial case (data written to ``tmp``)."""
    cases = {c["name"]: c for c in json.loads((LAV / "cases.json").read_text())["cases"]}
    out = {}
    for name, cs in cases.items():
        if cs["missing"] != "ml":
            continue
        start = cases.get(cs.get("start_from", ""))
        out[name] = dict(cs, data_path=str(LAV / cs["data"]),
                         syntax_text=(LAV / "models" / cs["syntax"]).read_text(),
                         start_case=None if start is None else dict(
                             start, data_path=str(LAV / start["data"]),
                             syntax_text=(LAV / "models" / start["syntax"]).read_text()))
    if tutorial_data:
        full = pd.read_csv(tutorial_data, sep=r"\s+", header=None,
                           names=[f"{v}{t}" for v in "xy" for t in range(1, 6)])
    else:
        full = simulate_tutorial()
    path = tmp / f"{TUTORIAL}.csv"
    mar_dropout(full).to_csv(path, index=False)
    out[TUTORIAL] = {"name": TUTORIAL, "mode": "lavaan", "missing": "ml",
                     "meanstructure": True, "int_ov_free": True, "data_path": str(path),
                     "syntax_text": tutorial_syntax(), "start_case": None}
    return out


def ours(cs: dict):
    """``() -> SEMResult`` for a case (data read once, outside the timing)."""
    data = pd.read_csv(cs["data_path"])
    kw = {"mode": cs["mode"], "missing": cs["missing"], "information": cs.get("information"),
          "se": "robust" if cs.get("estimator") == "MLR" else "standard", "name": cs["name"]}
    return lambda: fit_sem(cs["syntax_text"], data, **kw)


def _r_args(cs: dict, var: str) -> str:
    """R code assigning the lavaan arguments of a case to ``var`` (as make_reference.R)."""
    opts = [f'model = {json.dumps(cs["syntax_text"])}',
            f'data = read.csv({json.dumps(cs["data_path"])})', "fixed.x = FALSE",
            f'missing = "{cs["missing"]}"']
    for key, arg in [("estimator", "estimator"), ("information", "information")]:
        if cs.get(key):
            opts.append(f'{arg} = "{cs[key]}"')
    for key, arg in [("meanstructure", "meanstructure"), ("int_ov_free", "int.ov.free")]:
        if key in cs:
            opts.append(f"{arg} = {'TRUE' if cs[key] else 'FALSE'}")
    fun = "lavaan" if cs["mode"] == "lavaan" else "sem"
    return f"{var} <- list({', '.join(opts)}); {var}_fun <- '{fun}'"


def setup_r(r: RWorker, cs: dict) -> None:
    """Define ``bench_one()`` in R: fit + standardizedSolution + fitMeasures."""
    code = [_r_args(cs, "bench_args")]
    if cs["start_case"] is not None:  # lavaan needs the complete-data fit as start (as the ref)
        code += [_r_args(cs["start_case"], "bench_start"),
                 "bench_args$start <- suppressWarnings(do.call(bench_start_fun, bench_start))"]
    code += ["bench_one <- function() { f <- suppressWarnings(do.call(bench_args_fun, bench_args))",
             "  invisible(standardizedSolution(f)); invisible(suppressWarnings(fitMeasures(f)))",
             "  f }", "bench_warn <- character(0)",
             "bench_fit <- withCallingHandlers(bench_one(), warning = function(w) {",
             "  bench_warn <<- c(bench_warn, conditionMessage(w))",
             "  invokeRestart('muffleWarning')})",
             "invisible(TRUE)"]
    r.eval("\n".join(code))


def agreement(res, r: RWorker | None) -> str:
    """Chi-square, log-likelihoods and estimates of ours vs lavaan's for the case set up."""
    head = f"ours: status {res.status}, chisq {res.fit.get('chisq', float('nan')):.6f}"
    if r is None:
        return head
    ref = r.eval("pe <- parameterEstimates(bench_fit); list(fm = as.list(fitMeasures("
                 "bench_fit, c('chisq', 'logl', 'unrestricted.logl'))), lhs = pe$lhs, "
                 "op = pe$op, rhs = pe$rhs, est = pe$est, warn = unique(bench_warn))")
    fm = ref["fm"]
    lav = pd.DataFrame({k: ref[k] for k in ("lhs", "op", "rhs", "est")})
    both = res.estimates.merge(lav, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
    diff = float(np.max(np.abs(both["est"] - both["est_lav"]))) if len(both) else float("nan")
    gap = {k: abs(res.fit[k] - fm[k]) for k in ("chisq", "logl", "unrestricted.logl")}
    line = (f"{head}; lavaan chisq {fm['chisq']:.6f}; |diff| chisq {gap['chisq']:.1e}, logl "
            f"{gap['logl']:.1e}, h1 logl {gap['unrestricted.logl']:.1e}, estimates {diff:.1e} "
            f"({len(both)} rows)")
    strict = r.eval("suppressWarnings(fitMeasures(do.call(bench_args_fun, c(bench_args, list("
                    "em.h1.iter.max = 1e5, em.h1.tol = 1e-12))), 'chisq'))[[1]]")
    line += (f"\n  lavaan with em.h1.iter.max = 1e5, em.h1.tol = 1e-12: chisq {strict:.6f} "
             f"(|diff| to ours {abs(res.fit['chisq'] - strict):.1e})")
    warn = ref["warn"] if isinstance(ref["warn"], list) else [ref["warn"]]
    return line + "".join(f"\n  lavaan warned: {w}" for w in warn if w)


def run_case(cs: dict, r: RWorker | None, repeats: int) -> float:
    name = cs["name"]
    fn = ours(cs)
    res = fn()
    print(f"\n{name} (n = {res.n_obs}, {res.n_patterns} missing-data patterns)")
    if r is not None:
        try:
            setup_r(r, cs)
        except RError as err:
            print(f"lavaan failed: {err}")
            r = None
    print(agreement(res, r))
    contenders = {"ours fit_sem": timed(fn)}
    peer = None
    if r is not None:
        peer = "lavaan fit + std + fitMeasures"
        contenders[peer] = lambda: r.time("bench_one()")
    times = interleave(contenders, repeats=repeats, warmup=1)
    print(report(times, "ours fit_sem", peer, name))
    return ratio(times[peer], times["ours fit_sem"]) if peer else float("nan")


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--cases", nargs="*")
    ap.add_argument("--tutorial-data", help="path of the tutorial's RICLPM.dat (optional)")
    args = ap.parse_args(argv)
    r = None if args.no_r else RWorker.start(["lavaan"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cases = load_cases(Path(tmp), args.tutorial_data)
            names = args.cases or list(cases)
            ratios = {n: run_case(cases[n], r, args.repeats) for n in names}
    finally:
        if r is not None:
            r.close()
    print()
    if all(np.isnan(v) for v in ratios.values()):
        print("ratio lavaan / ours: peer not timed")
        return ratios
    worst = min(ratios, key=lambda n: ratios[n])
    print("ratio lavaan / ours (medians): " + "; ".join(f"{n} {v:.2f}x" for n, v in ratios.items())
          + f"; smallest {ratios[worst]:.2f}x ({worst})")
    return ratios


if __name__ == "__main__":
    main()
