"""A persistent R process for side-by-side benchmarks (R is a dev aid, never a runtime dependency).

One ``Rscript`` is started once and fed R code over stdin; each request is the code followed by
a sentinel line, and R answers with one line ``__RW_OK__ <json>`` (the value, by
``jsonlite::toJSON``) or ``__RW_ERR__ <json message>``. Anything else the code prints is
ignored. Peers are timed inside R (``Sys.time()`` around the call, microsecond resolution), so
neither the start-up of R, nor package loading, nor the pipe is counted against them.

Use::

    with RWorker.start(["lme4"]) as r:      # None (with a printed note) when R is missing
        r.eval('d <- read.csv("x.csv"); nrow(d)')   # -> 630
        r.time("lmer(y ~ x + (1 | g), d)")          # -> seconds, measured in R

Run from the project root: ``.venv/bin/python benchmarks/rworker.py`` checks the worker.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

END = "__RW_END__"
OK, ERR = "__RW_OK__ ", "__RW_ERR__ "
NOT_AVAILABLE = "R not available: peer not timed"

_BOOT = r"""
options(warn = 1)
.rw_con <- file("stdin"); open(.rw_con)
.rw_time <- function(f) { t0 <- Sys.time(); f(); as.double(Sys.time()) - as.double(t0) }
repeat {
  .rw_lines <- character(0)
  repeat {
    .rw_l <- readLines(.rw_con, n = 1L)
    if (length(.rw_l) == 0L) quit(save = "no", status = 0L)
    if (identical(.rw_l, "__RW_END__")) break
    .rw_lines <- c(.rw_lines, .rw_l)
  }
  .rw_res <- tryCatch(
    list(ok = TRUE, value = eval(parse(text = .rw_lines), envir = globalenv())),
    error = function(e) list(ok = FALSE, value = conditionMessage(e)))
  .rw_json <- tryCatch(
    jsonlite::toJSON(.rw_res$value, auto_unbox = TRUE, digits = NA, null = "null", na = "null"),
    error = function(e) jsonlite::toJSON("(value not representable in JSON)", auto_unbox = TRUE))
  cat("\n", if (.rw_res$ok) "__RW_OK__ " else "__RW_ERR__ ", gsub("\n", " ", .rw_json), "\n",
      sep = "")
  flush(stdout())
}
"""


class RError(RuntimeError):
    """R raised an error while evaluating a request (message from R's ``conditionMessage``)."""


class RWorker:
    """One persistent ``Rscript`` process; see the module docstring."""

    def __init__(self, packages: Sequence[str] = (), rscript: str = "Rscript") -> None:
        self._boot = tempfile.NamedTemporaryFile("w", suffix=".R", delete=False)
        self._boot.write(_BOOT)
        self._boot.close()
        self.proc = subprocess.Popen(
            [rscript, "--vanilla", self._boot.name], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        try:
            self.eval("invisible(loadNamespace('jsonlite'))")
            for pkg in packages:
                self.eval(f"suppressPackageStartupMessages(library({pkg}))")
        except (RError, EOFError, OSError):
            self.close()
            raise

    @classmethod
    def start(cls, packages: Sequence[str] = (), *, quiet: bool = False) -> RWorker | None:
        """A worker with ``packages`` attached, or None (printing why) when R or one of the
        packages is not available."""
        rscript = shutil.which("Rscript")
        if rscript is None:
            if not quiet:
                print(NOT_AVAILABLE + " (no Rscript on PATH)")
            return None
        try:
            return cls(packages, rscript)
        except (RError, OSError, EOFError) as exc:
            if not quiet:
                print(f"{NOT_AVAILABLE} ({exc})")
            return None

    def eval(self, code: str):
        """Evaluate ``code`` in R's global environment; its value, decoded from JSON."""
        if self.proc.poll() is not None:
            raise EOFError("the R worker has exited")
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(code.rstrip("\n") + "\n" + END + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(OK):
                return json.loads(line[len(OK):])
            if line.startswith(ERR):
                raise RError(json.loads(line[len(ERR):]))
        raise EOFError("the R worker exited without answering")

    def time(self, code: str) -> float:
        """Seconds R takes to evaluate ``code`` once (measured inside R)."""
        return float(self.eval(f".rw_time(function() {{\n{code}\n}})"))

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        Path(self._boot.name).unlink(missing_ok=True)

    def __enter__(self) -> RWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    worker = RWorker.start()
    if worker is not None:
        with worker:
            print("R", worker.eval("R.version.string"), "| 1 + 1 =", worker.eval("1 + 1"),
                  f"| Sys.sleep(0.05) timed in R: {worker.time('Sys.sleep(0.05)'):.4f} s")
