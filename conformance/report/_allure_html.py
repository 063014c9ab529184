"""The Allure 3 HTML report of a run, and the redaction of allure-pytest's results folder.

After the run (pytest has exited, every result file is written), :func:`redact_results`
``(results_dir)`` rewrites the folder through the redactor: allure-pytest records failure messages
and tracebacks verbatim, and an assertion's message can quote a token. :func:`build_html` redacts
again before rendering (with the patterns only, when the run's secrets are no longer known).

:func:`build_html` ``(results_dir, out_dir, history_dir=None)`` renders the report with
Allure Report 3 (npm package ``allure``). With ``history_dir`` the history file
``history_dir/history.jsonl`` is read and appended (Allure 3's ``historyPath``), so trends and per-test
history build up across runs: pass the same folder every time (e.g. ``reports/allure-history``).
The labels those results carry are set during the run by :mod:`conformance.report._allure_labels`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conformance.errors import UsageError
from conformance.redact import REDACTOR, Redactor
from conformance.report._scrub import redact_value

HISTORY_FILE = "history.jsonl"
# Checked first: a source checkout's own `npm ci` (package.json pins allure 3).
_CHECKOUT_BIN = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "allure"
_TIMEOUT = 600


class AllureError(UsageError):
    """Allure Report 3 (Node.js + npm package ``allure``) is missing or failed."""


def redact_results(results_dir: Path, redactor: Redactor = REDACTOR) -> int:
    """Redact every file of an allure-results folder in place; returns how many files changed."""
    changed = 0
    for path in sorted(Path(results_dir).glob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary attachment (screenshot): not ours, never holds text secrets
            continue
        if path.suffix == ".json":
            # Redact decoded strings: a secret with a quote or backslash is escaped in the raw JSON.
            try:
                new = json.dumps(redact_value(json.loads(text), redactor), ensure_ascii=False)
            except json.JSONDecodeError:
                new = redactor.text(text)
        else:
            new = redactor.text(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def _version(cmd: list[str]) -> str:
    try:
        done = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def find_allure() -> list[str]:
    """The command that runs Allure Report 3, or :class:`AllureError` saying how to get one.

    Looks at, in order: ``$FDCONF_ALLURE``, this checkout's ``node_modules/.bin/allure``, the current
    directory's ``node_modules/.bin/allure``, ``allure`` on PATH (only if it is version 3, not the
    Java Allure 2), and ``npx --no-install allure`` (never downloads anything).
    """
    if not shutil.which("node"):
        raise AllureError(
            "Node.js is not installed, and Allure Report 3 runs on Node",
            "install Node.js 20+ and run `npm install allure@3`, or open the JUnit/HTML reports instead",
        )
    candidates: list[list[str]] = []
    if os.environ.get("FDCONF_ALLURE"):
        candidates.append([os.environ["FDCONF_ALLURE"]])
    for path in (_CHECKOUT_BIN, Path.cwd() / "node_modules" / ".bin" / "allure"):
        if path.is_file():
            candidates.append([str(path)])
    on_path = shutil.which("allure")
    if on_path:
        candidates.append([on_path])
    npx = shutil.which("npx")
    if npx:
        candidates.append([npx, "--no-install", "allure"])
    for cmd in candidates:
        if _version(cmd).split(".")[0] == "3":
            return cmd
    raise AllureError(
        "Allure Report 3 was not found (looked at $FDCONF_ALLURE, node_modules/.bin/allure, PATH, npx)",
        "run `npm install allure@3` in this folder (or `npm ci` in the fd-conformance checkout)",
    )


def build_html(results_dir: Path, out_dir: Path, history_dir: Path | None = None) -> Path:
    """Render ``results_dir`` (allure-pytest output) to an HTML report in ``out_dir``.

    Returns the report's ``index.html``. Raises :class:`AllureError` when Node/Allure 3 is missing,
    the results folder is empty, or Allure fails.
    """
    results_dir, out_dir = Path(results_dir).resolve(), Path(out_dir).resolve()
    if not results_dir.is_dir() or not any(results_dir.glob("*-result.json")):
        raise AllureError(
            f"no Allure results in {results_dir}",
            "run `fdconf run --allure` first (or point at the folder of a run that had it)",
        )
    cmd = find_allure()
    redact_results(results_dir)
    config: dict[str, object] = {
        "name": "fd-conformance",
        "output": str(out_dir),
        "plugins": {"awesome": {"options": {"groupBy": ["epic", "feature", "story"]}}},
    }
    if history_dir is not None:
        history_dir = Path(history_dir).resolve()
        history_dir.mkdir(parents=True, exist_ok=True)
        config["historyPath"] = str(history_dir / HISTORY_FILE)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fdconf-allure-") as tmp:
        rc = Path(tmp) / "allurerc.json"
        rc.write_text(json.dumps(config), encoding="utf-8")
        try:
            done = subprocess.run(
                [*cmd, "generate", "--config", str(rc), "--cwd", tmp, str(results_dir)],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AllureError(
                f"allure generate took longer than {_TIMEOUT} s", "retry; check the disk"
            ) from exc
    index = out_dir / "index.html"
    if done.returncode != 0 or not index.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AllureError(
            f"allure generate failed (exit {done.returncode}): {REDACTOR.text(tail[0])}",
            f"run `{' '.join(cmd)} generate {results_dir}` to see the full error",
        )
    return index
