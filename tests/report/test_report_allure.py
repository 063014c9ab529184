"""Allure labels and attachments written by allure-pytest, and the Allure 3 HTML report with history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conformance.redact import Redactor
from conformance.report import (
    AllureError,
    FindingRecord,
    _allure_html,
    _allure_labels,
    apply_labels,
    attach_finding,
    build_html,
    find_allure,
    redact_results,
)

SECRET = "Alice-Passw0rd!-allure"

INNER_TEST = f'''
import pytest
from conformance.redact import REDACTOR
from conformance.report import FindingRecord, apply_labels, attach_finding, set_host

REDACTOR.add("{SECRET}")

@pytest.mark.parametrize("op", ["GET /events/{{eid}}", "GET /partners/"])
def test_fuzz_like(op):
    # one function, two operations: must become two Allure tests (distinct historyIds)
    apply_labels(["SCH-01"], "cr", op)

def test_tenancy():
    apply_labels(["TEN-03", "TEN-04"], "main", "foreign partner header")
    finding = FindingRecord(
        "TEN-03", "foreign partner header accepted",
        request="GET http://127.0.0.1:9/api/v3/events/\\nAuthorization: Bearer {SECRET}",
        response="HTTP 200\\n\\n{{}}",
        curl="curl -sS -H 'X-Preferred-Partner-Id: partner-id-beta' http://127.0.0.1:9/api/v3/events/",
    )
    attach_finding(finding)
    raise AssertionError("[TEN-03] foreign partner header accepted")

@pytest.fixture
def late_finding():
    yield
    # the fdconf plugin attaches findings from a fixture's teardown
    attach_finding(FindingRecord("OBJ-01", "late", curl="curl -sS http://127.0.0.1:9/api/v3/events/x"))

def test_teardown(late_finding):
    apply_labels(["OBJ-01"], "main", "teardown attach")

@pytest.fixture
def moved_to_cr():
    yield
    # the fdconf plugin re-labels from a fixture's teardown once it knows where the finding came from
    set_host("cr")

def test_relabelled(moved_to_cr):
    apply_labels(["TEN-04"], "media", "relabelled")
'''


@pytest.fixture(scope="module")
def allure_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("allure")
    (base / "test_inner.py").write_text(INNER_TEST, encoding="utf-8")
    results = base / "allure-results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(base),
            "--alluredir",
            str(results),
            str(base / "test_inner.py"),
        ],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # test_tenancy fails on purpose
    return results


def results_by_name(folder: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    out = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["name"]] = data
    return out


def labels(result: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    out: dict[str, list[str]] = {}
    for label in result["labels"]:
        out.setdefault(label["name"], []).append(label["value"])
    return out


def test_noop_without_alluredir() -> None:
    assert not _allure_labels._active()
    apply_labels(["TEN-03"], "main", "x")
    attach_finding(FindingRecord("TEN-03", "m", curl="curl x"))


def test_labels(allure_results: Path) -> None:
    results = results_by_name(allure_results)
    assert set(results) == {
        "GET /events/{eid}",
        "GET /partners/",
        "foreign partner header",
        "teardown attach",
        "relabelled",
    }
    tenancy = labels(results["foreign partner header"])
    assert tenancy["epic"] == ["main"]
    assert tenancy["feature"] == ["partner"]
    assert tenancy["story"] == ["TEN-03", "TEN-04"]
    assert tenancy["severity"] == ["blocker"]
    fuzz = labels(results["GET /partners/"])
    assert (fuzz["epic"], fuzz["feature"], fuzz["story"], fuzz["severity"]) == (
        ["cr"],
        ["cross-cutting"],
        ["SCH-01"],
        ["critical"],
    )
    assert labels(results["relabelled"])["epic"] == ["cr"]  # one epic, replaced, never "cr+main"
    assert all(len(labels(r)["epic"]) == 1 for r in results.values())
    ops = [results["GET /events/{eid}"], results["GET /partners/"]]
    assert ops[0]["historyId"] != ops[1]["historyId"]
    assert {"name": "operation", "value": "'GET /partners/'"} in ops[1]["parameters"]


def test_finding_attachments_are_redacted(allure_results: Path) -> None:
    tenancy = results_by_name(allure_results)["foreign partner header"]
    assert tenancy["status"] == "failed"
    attached = {
        a["name"]: (allure_results / a["source"]).read_text(encoding="utf-8") for a in tenancy["attachments"]
    }
    assert set(attached) == {"TEN-03 request", "TEN-03 response", "TEN-03 curl"}
    assert attached["TEN-03 curl"].startswith("curl -sS")
    assert "***REDACTED***" in attached["TEN-03 request"]
    assert all(SECRET not in text for text in attached.values())


def test_finding_attached_from_fixture_teardown_lands_on_the_test(allure_results: Path) -> None:
    result = results_by_name(allure_results)["teardown attach"]
    assert [a["name"] for a in result["attachments"]] == ["OBJ-01 curl"]
    assert (
        (allure_results / result["attachments"][0]["source"])
        .read_text(encoding="utf-8")
        .startswith("curl -sS")
    )


def test_redact_results_masks_tracebacks(allure_results: Path, tmp_path: Path) -> None:
    copy = tmp_path / "results"
    shutil.copytree(allure_results, copy)
    # allure-pytest records the failing source lines verbatim: the secret literal is in there
    assert any(SECRET in p.read_text(encoding="utf-8") for p in copy.iterdir())
    assert redact_results(copy, Redactor([SECRET])) >= 1
    for path in copy.iterdir():
        assert SECRET not in path.read_text(encoding="utf-8")
    assert len(results_by_name(copy)) == 5  # still valid JSON
    assert redact_results(copy, Redactor([SECRET])) == 0


def test_html_report_keeps_history(allure_results: Path, tmp_path: Path) -> None:
    try:
        find_allure()
    except AllureError as exc:
        pytest.skip(f"Allure Report 3 unavailable here: {exc.one_line()}")
    history = tmp_path / "history"
    first = build_html(allure_results, tmp_path / "report-1", history)
    second = build_html(allure_results, tmp_path / "report-2", history)
    assert first.name == "index.html"
    assert second.is_file()
    lines = (history / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    # the second report carries the first run as history for each test
    tests = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (second.parent / "data" / "test-results").glob("*.json")
    ]
    assert len(tests) == 5
    assert all(len(t.get("history", [])) == 1 for t in tests)
    # no history dir: still a report, no history file anywhere
    third = build_html(allure_results, tmp_path / "report-3")
    assert third.is_file()
    assert not list((tmp_path / "report-3").rglob("history.jsonl"))


def test_clear_error_without_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AllureError, match=r"Node\.js is not installed") as info:
        find_allure()
    assert "npm install allure@3" in info.value.one_line()


def test_clear_error_without_results(tmp_path: Path) -> None:
    with pytest.raises(AllureError, match="no Allure results"):
        build_html(tmp_path, tmp_path / "out")


def test_allure2_on_path_is_not_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js not installed")
    fake = tmp_path / "allure"
    fake.write_text("#!/bin/sh\necho 2.30.0\n", encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "node").symlink_to(node)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("FDCONF_ALLURE", raising=False)
    monkeypatch.setattr(_allure_html, "_CHECKOUT_BIN", tmp_path / "missing")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AllureError, match="Allure Report 3 was not found"):
        find_allure()


def test_epic_is_one_host() -> None:
    epics = [_allure_labels.epic_of(h) for h in ("main", "cr", "media", "cr+main")]
    assert epics == ["main", "cr", "main", "main"]
