"""Benchmark: random-intercept mixed model (REML) - ours vs lme4 ``lmer``, side by side.

Run from the project root:  .venv/bin/python benchmarks/bench_mixed.py [--repeats 7] [--no-r]
                            [--sizes 630 6300 63000]

Data: n participants (630, 6300, 63000), three waves, MAR dropout (T1 answered by ~45 %,
depending on the T0 score; T2 by ~70 % of them), age and a three-level gender; simulated here
with a fixed seed and written to one CSV that both sides read. Work, both sides, as the change
wing's trajectory model does it:

* **fit**: model matrix + REML fit of ``score ~ wave + age + gender + (1 | pid)``
  (``pipeline.stats.emmeans.trajectory_design`` + ``pipeline.stats.mixed.fit_random_intercept``
  vs ``lme4::lmer``);
* **fit + emmeans**: the fit, then the model-based mean per wave (proportional weights) and the
  contrasts of each wave with T0, Holm-adjusted (``marginal_means`` + ``contrasts_vs_first`` vs
  ``emmeans(fit, ~ wave, weights = "proportional")`` with ``lmer.df = "asymptotic"`` and
  ``summary(contrast(emm, "trt.vs.ctrl", ref = 1), adjust = "holm", infer = TRUE)``).

Before timing, the estimates of the two sides are compared (fixed effects, SEs, variance
components, REML log-likelihood). Protocol (:mod:`benchmarks.sidebyside`): interleaved rounds
after one warm-up round, R timed inside a persistent R process (:mod:`benchmarks.rworker`),
median and min-max of ``--repeats`` rounds; the last line gives the ratios of the medians.
"""

from __future__ import annotations

import argparse
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

from rworker import RWorker  # noqa: E402
from sidebyside import interleave, ratio, report, timed  # noqa: E402

from pipeline.stats.emmeans import (  # noqa: E402
    contrasts_vs_first,
    marginal_means,
    trajectory_design,
)
from pipeline.stats.mixed import fit_random_intercept  # noqa: E402

WAVES = ["T0", "T1", "T2"]
COVARIATES = {"age": "numeric", "gender": "categorical"}
GENDERS = ["Woman", "Man", "Non-binary / other"]

R_SETUP = """
emm_options(lmer.df = "asymptotic")
bench_d <- read.csv("{path}", colClasses = c(pid = "character"))
bench_d$wave <- factor(bench_d$wave, levels = c("T0", "T1", "T2"))
bench_d$gender <- factor(bench_d$gender, levels = c("Woman", "Man", "Non-binary / other"))
bench_fit <- function() lmer(score ~ wave + age + gender + (1 | pid), data = bench_d, REML = TRUE)
bench_emm <- function(fit) {{
  emm <- emmeans(fit, ~ wave, weights = "proportional")
  list(means = summary(emm, infer = c(TRUE, TRUE)),
       contrasts = summary(contrast(emm, "trt.vs.ctrl", ref = 1), adjust = "holm",
                           infer = c(TRUE, TRUE)))
}}
nrow(bench_d)
"""
R_CHECK = """
f <- bench_fit(); v <- as.data.frame(VarCorr(f))
list(beta = unname(fixef(f)), se = unname(sqrt(diag(as.matrix(vcov(f))))),
     sd = v$sdcor, loglik = as.numeric(logLik(f)))
"""


def simulate(n: int, seed: int = 630) -> pd.DataFrame:
    """Long data: n participants, three waves, MAR dropout, age and gender."""
    rng = np.random.default_rng(seed + n)
    age = np.round(np.clip(rng.normal(52, 16, n), 18, 95))
    gender = rng.choice(GENDERS, size=n, p=[0.6, 0.35, 0.05])
    u = rng.normal(0, 12, n)
    eff = {"Woman": 0.0, "Man": 2.0, "Non-binary / other": -4.0}
    g = np.array([eff[x] for x in gender])
    y = {w: np.round(mu + 0.15 * (age - 52) + g + u + rng.normal(0, 10, n))
         for w, mu in zip(WAVES, [58, 64, 66], strict=True)}
    r1 = rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.2 + 0.03 * (y["T0"] - 58))))
    r2 = r1 & (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.85 + 0.04 * (y["T1"] - 64)))))
    pid = np.array([f"p{i:06d}" for i in range(n)])
    parts = [pd.DataFrame({"pid": pid[k], "wave": w, "age": age[k], "gender": gender[k],
                           "score": y[w][k]})
             for w, k in zip(WAVES, [np.ones(n, bool), r1, r2], strict=True)]
    return pd.concat(parts, ignore_index=True)


def ours_fit(d: pd.DataFrame):
    design = trajectory_design(d, WAVES, COVARIATES, "wave")
    fit = fit_random_intercept(d["score"].to_numpy(float), design.X, d["pid"].to_numpy())
    return design, fit


def ours_full(d: pd.DataFrame) -> None:
    design, fit = ours_fit(d)
    marginal_means(design.L, fit.beta, fit.vcov)
    contrasts_vs_first(design.L, fit.beta, fit.vcov, 0.95, "holm")


def agreement(d: pd.DataFrame, r: RWorker | None) -> str:
    """Largest differences between our fit and lmer's (estimates, SEs, SDs, log-likelihood)."""
    _, fit = ours_fit(d)
    if r is None:
        return "estimates not compared (no R)"
    ref = r.eval(R_CHECK)
    sd = np.sqrt([fit.tau2, fit.sigma2])
    return ("max |diff| vs lmer: beta %.1e, se (rel) %.1e, sd (rel) %.1e, logLik %.1e" % (
        np.max(np.abs(fit.beta - ref["beta"])),
        np.max(np.abs(np.sqrt(np.diag(fit.vcov)) / ref["se"] - 1)),
        np.max(np.abs(sd / np.asarray(ref["sd"]) - 1)), abs(fit.loglik - ref["loglik"])))


def run_size(n: int, r: RWorker | None, repeats: int, tmp: Path) -> tuple[float, float]:
    d = simulate(n)
    path = tmp / f"long_{n}.csv"
    d.to_csv(path, index=False)
    d = pd.read_csv(path, dtype={"pid": str})
    d["gender"] = pd.Categorical(d["gender"], GENDERS)
    print(f"\nn = {n} participants, {len(d)} rows (T0/T1/T2: "
          f"{'/'.join(str(int((d['wave'] == w).sum())) for w in WAVES)})")
    if r is not None:
        r.eval(R_SETUP.format(path=path))
    print(agreement(d, r))
    out = []
    for work, fn, rcode in [("fit", lambda: ours_fit(d), "bench_fit()"),
                            ("fit + emmeans", lambda: ours_full(d), "bench_emm(bench_fit())")]:
        contenders = {f"ours {work}": timed(fn)}
        peer = None
        if r is not None:
            peer = f"lme4{' + emmeans' if 'emmeans' in work else ''} {work}"
            contenders[peer] = lambda code=rcode: r.time(code)
        times = interleave(contenders, repeats=repeats, warmup=1)
        print(report(times, f"ours {work}", peer, f"n = {n}, {work}"))
        out.append(ratio(times[peer], times[f"ours {work}"]) if peer else float("nan"))
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="+", default=[630, 6300, 63000])
    args = ap.parse_args()
    r = None if args.no_r else RWorker.start(["lme4", "emmeans"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ratios = {n: run_size(n, r, args.repeats, Path(tmp)) for n in args.sizes}
    finally:
        if r is not None:
            r.close()
    print()
    print("ratio lme4 / ours (medians): " + "; ".join(
        f"n = {n}: fit {a:.2f}x, fit + emmeans {b:.2f}x" for n, (a, b) in ratios.items()))


if __name__ == "__main__":
    main()
