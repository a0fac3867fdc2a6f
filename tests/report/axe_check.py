"""Accessibility check of the HTML report in a real headless browser.

Engine: Debian's Chromium (``/usr/bin/chromium``, headless) running axe-core (npm package
``axe-core``; its ``axe.min.js`` is injected into a copy of the page). axe runs the WCAG 2.0/2.1/
2.2 A and AA rules plus best practices; the result is read back with ``--dump-dom``. A full-page
screenshot of the original page is written too, for a human to look at.

    python tests/report/axe_check.py results/report/demo_report.html \
        [--axe .venv/a11y/node_modules/axe-core/axe.min.js] [--screenshot shot.png]

Prints the violations and exits 1 when any is ``serious`` or ``critical``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AXE = ROOT / ".venv" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUNNER = """<script>
axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(function (r) {
  var out = {violations: r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
              targets: v.nodes.slice(0, 3).map(function (n) { return n.target; })}; }),
    passes: r.passes.length, incomplete: r.incomplete.length};
  var pre = document.createElement('pre'); pre.id = 'axe-result';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _headless(*args: str) -> list[str]:
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-dev-shm-usage", *args]


def run_axe(page: Path, axe: Path = DEFAULT_AXE, timeout: float = 120) -> dict:
    """axe-core's result for ``page`` ({violations: [...], passes: n, incomplete: n})."""
    with tempfile.TemporaryDirectory(prefix="axe-") as tmp:
        copy = Path(tmp) / "page.html"
        shutil.copyfile(axe, Path(tmp) / "axe.min.js")
        text = page.read_text(encoding="utf-8")
        inject = '<script src="axe.min.js"></script>' + RUNNER % json.dumps(TAGS)
        copy.write_text(text.replace("</body>", inject + "</body>"), encoding="utf-8")
        dom = subprocess.run(_headless("--virtual-time-budget=60000", "--dump-dom",
                                       copy.as_uri()),
                             capture_output=True, text=True, timeout=timeout).stdout
    m = re.search(r'<pre id="axe-result">(.*?)</pre>', dom, re.S)
    if not m:
        raise RuntimeError("axe-core did not report (page did not finish in the time budget)")
    return json.loads(html.unescape(m.group(1)))


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400) -> Path:
    """A screenshot of the top of ``page`` in headless Chromium."""
    subprocess.run(_headless(f"--screenshot={png}", f"--window-size={width},{height}",
                             page.as_uri()), capture_output=True, timeout=120, check=True)
    return png


def serious(result: dict) -> list[dict]:
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--axe", type=Path, default=DEFAULT_AXE)
    ap.add_argument("--screenshot", type=Path)
    args = ap.parse_args(argv)
    result = run_axe(args.html.resolve(), args.axe)
    print(f"axe-core: {result['passes']} rules passed, {len(result['violations'])} violated, "
          f"{result['incomplete']} need review")
    for v in result["violations"]:
        print(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['nodes']} nodes, e.g. "
              f"{v['targets'][:2]})")
    if args.screenshot:
        print("screenshot:", screenshot(args.html.resolve(), args.screenshot.resolve()))
    return 1 if serious(result) else 0


if __name__ == "__main__":
    sys.exit(main())
