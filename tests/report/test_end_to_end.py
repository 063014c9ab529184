"""End to end: real ``fdconf run``s against the reference, then every artifact checked.

- A reference run (every rule, fuzzing included, Allure on) produces every artifact, and no file
  under its report folder (Allure results and the rendered Allure report included) contains a
  password or any token the Cognito emulator issued during the run.
- A run against the reference with a defect switched on shows the defect's finding in every format
  (results.json, junit.xml, summary.md, certificate.html, Allure, the closing table), and the curl
  line it records reproduces the defect when a real token is put in.
- ``fdconf diff`` over those two runs classifies rules as the two results.json files say, and
  ``--fail-on-new`` exits 1 exactly when NEW fails a rule OLD did not fail.

The reference runs in this process (so the emulator's token store can be read afterwards); ``fdconf``
runs in a subprocess, exactly as a user runs it, against the stack's loopback ports via an
``fdconf.toml`` written by the stack.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conformance.report import FindingRecord, RunResult, load_results
from conformance.resources import reference_dataset

REPO = Path(__file__).resolve().parents[2]
DEFECT, DEFECT_RULE = "ten-foreign-header-accepted", "TEN-03"
MASK = "***REDACTED***"
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
ARTIFACTS = ("results.json", "junit.xml", "summary.md", "certificate.html")


def _missing_piece() -> str:
    needed = {
        "conformance.cli": "conformance/cli.py (`fdconf run`)",
        "conformance.engine": "conformance/engine.py (the run engine)",
        "conformance.reference.stack": "conformance/reference/stack.py (ReferenceStack)",
        "conformance.plugin": "conformance/plugin.py (result collection)",
    }
    for module, piece in needed.items():
        if importlib.util.find_spec(module) is None:
            return piece
    return ""


MISSING = _missing_piece()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {MISSING}, not in this checkout yet"),
]


@dataclass
class Run:
    dir: Path
    exit_code: int
    output: str
    result: RunResult


def fdconf(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``fdconf ARGS`` in a subprocess, from the checkout (works whether or not it is pip-installed)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env.pop("FDCONF_CONFIG", None)
    env["COLUMNS"] = "200"
    code = "from conformance.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
        check=False,
    )


def run_against(stack: Any, folder: Path, *extra: str) -> Run:
    config = folder.parent / f"{folder.name}.toml"
    stack.write_config(config)
    done = fdconf(
        "run", "--config", str(config), "--report-dir", str(folder), "--allure", "--seed", "7", *extra
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output[-3000:]
    return Run(folder, done.returncode, output, load_results(folder))


def issued_tokens() -> set[str]:
    """Every access, id and refresh token the in-process Cognito emulator has issued so far."""
    from moto.cognitoidp.models import cognitoidp_backends

    tokens: set[str] = set()
    for regions in cognitoidp_backends.values():
        for backend in regions.values():
            for pool in backend.user_pools.values():
                tokens |= set(pool.access_tokens) | set(pool.id_tokens) | set(pool.refresh_tokens)
    return tokens


def dataset_passwords() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if "password" in str(key).lower() and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(reference_dataset().read_text(encoding="utf-8")))
    return found


@pytest.fixture(scope="module")
def clean_stack() -> Iterator[Any]:
    from conformance.reference.stack import ReferenceStack

    with ReferenceStack() as stack:
        yield stack


@pytest.fixture(scope="module")
def defect_stack() -> Iterator[Any]:
    from conformance.reference.stack import ReferenceStack

    with ReferenceStack(defects=[DEFECT]) as stack:
        yield stack


@pytest.fixture(scope="module")
def reference_run(clean_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every rule and fuzzing (fewer examples, to stay fast), Allure results on."""
    return run_against(clean_stack, tmp_path_factory.mktemp("e2e") / "reference", "--max-examples", "5")


@pytest.fixture(scope="module")
def defect_run(defect_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_against(defect_stack, tmp_path_factory.mktemp("e2e") / "defect", "--rules", "TEN", "--no-fuzz")


def test_reference_run_writes_every_artifact(reference_run: Run) -> None:
    for name in ARTIFACTS:
        assert (reference_run.dir / name).stat().st_size > 1000, name
    result = reference_run.result
    assert len(result.rules) == 27
    assert result.operations, "fuzzing recorded no operation"
    assert sum(op.cases for op in result.operations) > 0
    assert any((reference_run.dir / "allure-results").glob("*-result.json"))
    root = ET.parse(reference_run.dir / "junit.xml").getroot()
    assert int(root.get("tests", "0")) == 27 + len(result.operations)
    # exit code of the engine agrees with the result
    assert reference_run.exit_code == (1 if result.counts()["failed"] else 0)
    assert f"fd-conformance run {result.run_id}" in reference_run.output  # the closing table's title
    assert result.verdict in reference_run.output
    # progress in a log (stdout is not a terminal): one line per rule family, no per-test letters
    assert "fdconf: running " in reference_run.output
    assert re.search(r"^fdconf: SCH +\d+ passed", reference_run.output, re.MULTILINE)
    fuzzed = [op for op in result.operations if op.status != "not_run"]
    assert fuzzed
    assert all(op.duration > 0 for op in fuzzed)
    epics = {
        label["value"]
        for path in (reference_run.dir / "allure-results").glob("*-result.json")
        for label in json.loads(path.read_text(encoding="utf-8"))["labels"]
        if label["name"] == "epic"
    }
    assert epics == {"main", "cr"}  # one host per test, never "cr+main"


def test_no_secret_in_any_file_of_the_report_folder(reference_run: Run, clean_stack: Any) -> None:
    done = fdconf(
        "report", str(reference_run.dir), "--allure", "--history", str(reference_run.dir.parent / "hist")
    )
    if done.returncode != 0 and "AllureError" in done.stderr:
        pytest.skip(f"Allure Report 3 unavailable: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    secrets = dataset_passwords() | issued_tokens()
    secrets |= {p["expired_token"] for p in clean_stack.personas.values()}
    assert len(secrets) > 10, "the run signed in nobody? no tokens were issued"
    needles = [s.encode() for s in secrets if len(s) >= 8]
    files = [p for p in reference_run.dir.rglob("*") if p.is_file()]
    assert len(files) > 20
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks += [f"{path.relative_to(reference_run.dir)}: {n[:10]!r}…" for n in needles if n in data]
        leaks += [
            f"{path.relative_to(reference_run.dir)}: JWT {m.group()[:12]!r}…" for m in JWT.finditer(data)
        ]
    assert leaks == []


def defect_findings(run: Run) -> list[FindingRecord]:
    rule = next(r for r in run.result.rules if r.id == DEFECT_RULE)
    assert rule.status == "failed", rule
    assert rule.findings
    return rule.findings


def test_defect_finding_in_every_format(defect_run: Run) -> None:
    assert defect_run.exit_code == 1
    finding = defect_findings(defect_run)[0]
    tag = f"[{DEFECT_RULE}]"
    assert finding.curl.startswith("curl ")
    # junit.xml: the rule's test case fails with the finding and its curl line
    root = ET.parse(defect_run.dir / "junit.xml").getroot()
    case = next(c for c in root.iter("testcase") if (c.get("name") or "").startswith(DEFECT_RULE))
    failure = case.find("failure")
    assert failure is not None
    assert tag in (failure.text or "")
    assert finding.curl in (failure.text or "")
    # summary.md and certificate.html
    summary = (defect_run.dir / "summary.md").read_text(encoding="utf-8")
    assert f"**{DEFECT_RULE}**" in summary
    assert finding.curl in summary
    page = (defect_run.dir / "certificate.html").read_text(encoding="utf-8")
    assert ">NOT CERTIFIED<" in page
    assert f'<tr id="rule-{DEFECT_RULE}">' in page
    import html

    assert html.escape(finding.curl, quote=True) in page
    # Allure: a failed result labelled with the rule, carrying the curl as an attachment
    allure_dir = defect_run.dir / "allure-results"
    labelled = []
    for path in allure_dir.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if {"name": "story", "value": DEFECT_RULE} in data["labels"] and data["status"] == "failed":
            labelled.append(data)
    assert labelled, "no failed Allure result labelled with the defect's rule"
    curls = [
        (allure_dir / a["source"]).read_text(encoding="utf-8")
        for data in labelled
        for a in data.get("attachments", [])
        if a["name"].endswith("curl")
    ]
    assert any(c.startswith("curl ") for c in curls)
    # the closing table in the terminal
    assert DEFECT_RULE in defect_run.output
    assert "FAILED" in defect_run.output


def _status_in(text: str) -> int | None:
    match = re.search(r"\b([1-5]\d\d)\b", text)
    return int(match.group(1)) if match else None


def test_defect_curl_reproduces_it(defect_run: Run, defect_stack: Any) -> None:
    """The recorded line, pasted into a shell after `export FD_ACCESS_TOKEN=<token of the persona it
    names>`, gets the answer the suite recorded."""
    finding = next(f for f in defect_findings(defect_run) if _status_in(f.received))
    observed = _status_in(finding.received)
    assert '-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"' in finding.curl
    assert MASK not in finding.curl
    argv = shlex.split(finding.curl, comments=True)
    assert all("127.0.0.1" in a for a in argv if a.startswith("http"))  # loopback only
    named = re.search(r"# FD_ACCESS_TOKEN: AccessToken of persona (\w+)", finding.curl)
    assert named, f"the line names no persona: {finding.curl}"
    persona = defect_stack.personas[named.group(1)]
    reply = httpx.post(
        defect_stack.main_base + "/auth",
        json={"username": persona["username"], "password": persona["password"]},
        timeout=10,
    )
    token = reply.json()["AccessToken"]
    # The line runs unchanged; a shell function only makes curl print the status instead of the body.
    status_only = "curl() { command curl -o /dev/null -w '%{http_code}' \"$@\"; }\n"
    done = subprocess.run(
        ["bash", "-c", status_only + finding.curl],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "FD_ACCESS_TOKEN": token},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip() or 0) == observed, (finding.curl, done.stdout, finding.received)


def test_diff_over_two_real_runs(reference_run: Run, defect_run: Run) -> None:
    def failed(run: Run) -> set[str]:
        return {r.id for r in run.result.rules if r.status == "failed"}

    def ran(run: Run) -> set[str]:
        return {r.id for r in run.result.rules if r.status != "not_run"}

    old, new = reference_run, defect_run
    done = fdconf("diff", str(old.dir), str(new.dir / "results.json"), "--format", "text", "--fail-on-new")
    expected_new = failed(new) - failed(old)
    assert DEFECT_RULE in failed(new)
    assert done.returncode == (1 if expected_new else 0), done.stdout + done.stderr
    text = done.stdout
    assert text.startswith(f"fdconf diff {old.result.run_id} -> {new.result.run_id}")
    assert f"New failures ({len(expected_new | _new_failed_ops(old, new))})" in text
    for rule_id in expected_new:
        assert f"  {rule_id} " in text
    gone = ran(old) - ran(new)
    assert gone, "the TEN-only run should leave most rules not run"
    assert f"Newly not run ({len(gone | _ops_gone(old, new))})" in text
    # without --fail-on-new the diff never fails
    assert fdconf("diff", str(old.dir), str(new.dir)).returncode == 0
    back = fdconf("diff", str(new.dir), str(old.dir), "--fail-on-new")
    assert back.returncode == (1 if failed(old) - failed(new) else 0)
    assert "## fd-conformance diff" in back.stdout


def _new_failed_ops(old: Run, new: Run) -> set[str]:
    def bad(run: Run) -> set[str]:
        return {
            f"{o.host} {o.operation}" for o in run.result.operations if o.failures or o.status == "failed"
        }

    return bad(new) - bad(old)


def _ops_gone(old: Run, new: Run) -> set[str]:
    def ran(run: Run) -> set[str]:
        return {f"{o.host} {o.operation}" for o in run.result.operations if o.status != "not_run"}

    return ran(old) - ran(new)
