"""Allure output for QA: labels and finding attachments inside running tests, and the HTML report.

Inside a test (allure-pytest writes results only when pytest runs with ``--alluredir``; otherwise
every call here is a cheap no-op):

- :func:`apply_labels` ``(rule_ids, host, title)``: epic = host (``main``/``cr``), feature = hierarchy
  level of the first rule, story = each rule id, severity from the catalogue, the title, and an
  ``operation`` parameter so that Schemathesis-parametrized operations of one test function get
  distinct historyIds (otherwise Allure folds them into one test with "retries").
- :func:`set_host` ``(host)``: replace the epic once the test knows which host its evidence came from
  (the fdconf plugin calls it from a fixture's teardown, see :mod:`conformance.harness.fixtures`).
- :func:`attach_finding` ``(finding)``: the redacted request, response and curl line as text
  attachments.

The epic is always a single host, ``main`` or ``cr`` (``media`` is the main host's unversioned base).

After the run (pytest has exited, every result file is written), :func:`redact_results`
``(results_dir)`` rewrites the folder through the redactor: allure-pytest records failure messages
and tracebacks verbatim, and an assertion's message can quote a token. :func:`build_html` redacts
again before rendering (with the patterns only, when the run's secrets are no longer known).

:func:`build_html` ``(results_dir, out_dir, history_dir=None)`` renders the report with
Allure Report 3 (npm package ``allure``). With ``history_dir`` the history file
``history_dir/history.jsonl`` is read and appended (Allure 3's ``historyPath``), so trends and per-test
history build up across runs: pass the same folder every time (e.g. ``reports/allure-history``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid as uuid_module
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.redact import REDACTOR, Redactor
from conformance.report.model import FindingRecord
from conformance.report.scrub import redact_value
from conformance.rules import catalogue

HISTORY_FILE = "history.jsonl"
# Checked first: a source checkout's own `npm ci` (package.json pins allure 3).
_CHECKOUT_BIN = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "allure"
_TIMEOUT = 600


class AllureError(UsageError):
    """Allure Report 3 (Node.js + npm package ``allure``) is missing or failed."""


def _active() -> bool:
    try:
        import allure_commons
    except ImportError:
        return False
    # allure-pytest registers its listener (which implements add_label) only with --alluredir.
    return bool(allure_commons.plugin_manager.hook.add_label.get_hookimpls())


def apply_labels(rule_ids: Sequence[str], host: str, title: str) -> None:
    """Label the running test for Allure (see the module docstring); no-op without ``--alluredir``."""
    if not _active():
        return
    import allure

    # allure-python's decorators are untyped; one Any keeps mypy strict elsewhere.
    dynamic: Any = allure.dynamic
    rules = catalogue()
    known = [rules[r] for r in rule_ids if r in rules]
    dynamic.epic(epic_of(host))
    if known:
        dynamic.feature(known[0].level)
        order = ("blocker", "critical", "normal", "minor", "trivial")
        severities = [r.severity for r in known if r.severity in order]
        if severities:
            dynamic.severity(allure.severity_level(min(severities, key=order.index)))
    for rule_id in rule_ids:
        dynamic.story(rule_id)
    dynamic.title(title)
    dynamic.parameter("operation", title)


def epic_of(host: str) -> str:
    """The epic for a host label: ``main`` or ``cr`` (``media`` and anything unknown file under main)."""
    return host if host in ("main", "cr") else "main"


def set_host(host: str) -> None:
    """Make ``host`` the running test's only epic (also from a fixture's teardown); no-op without
    ``--alluredir``."""
    if not _active():
        return
    target = _running_test()
    if target is None:
        return
    from allure_commons.model2 import Label

    logger, test_id = target
    test = logger.get_test(test_id)
    if test is None:
        return
    test.labels[:] = [label for label in test.labels if label.name != "epic"]
    test.labels.append(Label(name="epic", value=epic_of(host)))


def _running_test() -> tuple[Any, str] | None:
    """allure-pytest's reporter and the uuid of the test result it has open, if any.

    ``allure.attach()`` attaches to the innermost running item, which during a fixture's teardown
    is that fixture, not the test; the fdconf plugin attaches findings from a fixture's teardown,
    so we address the test result itself: pytest runs one test at a time per process (xdist
    workers are processes), so the reporter's last open test result is the running test. This
    reads allure-pytest's listener (``allure_logger``); any surprise falls back to a plain attach.
    """
    import allure_commons
    from allure_commons.model2 import TestResult

    for plugin in allure_commons.plugin_manager.get_plugins():
        logger = getattr(plugin, "allure_logger", None)
        if logger is not None and hasattr(logger, "get_last_item"):
            test = logger.get_last_item(TestResult)
            return (logger, test.uuid) if isinstance(test, TestResult) and test.uuid else None
    return None


def attach_finding(finding: FindingRecord) -> None:
    """Attach a finding's redacted request, response and curl line to the running test's result
    (also when called from a fixture's teardown). No-op without ``--alluredir``.
    """
    if not _active():
        return
    import allure

    target = _running_test()
    parts = (("request", finding.request), ("response", finding.response), ("curl", finding.curl))
    for name, text in parts:
        if not text:
            continue
        body, label = REDACTOR.text(text), f"{finding.rule_id} {name}"
        if target is not None:
            logger, test_id = target
            try:
                logger.attach_data(
                    str(uuid_module.uuid4()),
                    body,
                    name=label,
                    attachment_type=allure.attachment_type.TEXT,
                    parent_uuid=test_id,
                )
                continue
            except (AttributeError, KeyError, TypeError):
                target = None
        allure.attach(body, name=label, attachment_type=allure.attachment_type.TEXT)


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
