"""Tests for benchmarks/rworker.py (the persistent R process of the side-by-side benchmarks) and
benchmarks/sidebyside.py (the interleaved timing protocol). R is a dev aid: skipped without it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from rworker import NOT_AVAILABLE, RError, RWorker  # noqa: E402
from sidebyside import interleave, ratio, report  # noqa: E402

needs_r = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R not installed")


@needs_r
def test_worker_evaluates_keeps_state_reports_errors_and_times_in_r():
    with RWorker() as r:
        assert r.eval('cat("printed, no newline"); x <- c(1.5, NA); list(a = 2L, b = x)') == {
            "a": 2, "b": [1.5, None]}
        assert r.eval("x[1] * 2") == 3.0  # state persists between requests
        with pytest.raises(RError, match="boom"):
            r.eval('stop("boom")')
        assert r.eval("1 + 1") == 2  # still alive after an error
        t = r.time("Sys.sleep(0.02)")
        assert 0.015 < t < 1.0


@needs_r
def test_start_without_a_package_says_peer_not_timed(capsys):
    assert RWorker.start(["surely.not.an.installed.package"]) is None
    assert NOT_AVAILABLE in capsys.readouterr().out


def test_start_without_r_says_peer_not_timed(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert RWorker.start(["lme4"]) is None
    assert capsys.readouterr().out.startswith(NOT_AVAILABLE)


def test_interleave_rotates_order_and_drops_warmup():
    calls = []

    def contender(name):
        def run():
            calls.append(name)
            return {"a": 1.0, "b": 3.0}[name]
        return run

    times = interleave({"a": contender("a"), "b": contender("b")}, repeats=4, warmup=1)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a", "a", "b"]
    assert times == {"a": [1.0] * 4, "b": [3.0] * 4}
    assert ratio(times["b"], times["a"]) == 3.0
    assert report(times, "a", "b", "x").startswith("x: b / a = 3.00x")
    assert report(times, "a", None, "x") == "x: peer not timed"
