"""write_all: every artifact written, results.json valid and round-tripping, JUnit counts, certificate."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.report import (
    FindingRecord,
    InvalidResultError,
    OperationCoverage,
    RuleResult,
    RunResult,
    results_schema,
    write_all,
)

from .builders import all_passed, sample_result


@pytest.fixture
def written(tmp_path: Path) -> tuple[RunResult, dict[str, Path]]:
    result = sample_result()
    return result, write_all(result, tmp_path / "reports" / result.run_id)


def test_writes_the_five_artifacts(written: tuple[RunResult, dict[str, Path]]) -> None:
    _, paths = written
    assert set(paths) == {"results.json", "junit.xml", "summary.md", "certificate.html", "sarif.json"}
    for path in paths.values():
        assert path.is_file()
        assert path.stat().st_size > 200


def test_results_json_is_valid_and_round_trips(written: tuple[RunResult, dict[str, Path]]) -> None:
    result, paths = written
    data = json.loads(paths["results.json"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(results_schema()).validate(data)
    assert RunResult.from_dict(data) == result
    assert data["verdict"] == "NOT CERTIFIED"
    assert data["summary"] == {"passed": 24, "failed": 2, "partial": 0, "not_run": 1}
    assert {p["name"] for p in data["personas"]} == {"primary", "other", "multi"}
    ten03 = next(r for r in data["rules"] if r["id"] == "TEN-03")
    assert ten03["findings"][0]["curl"].startswith("curl ")


def test_schema_covers_every_model_field() -> None:
    # A field added to the model but not to the schema would make every run fail to write.
    schema = results_schema()
    pairs = [
        (RunResult, schema),
        (RuleResult, schema["$defs"]["rule"]),
        (OperationCoverage, schema["$defs"]["operation"]),
        (FindingRecord, schema["$defs"]["finding"]),
    ]
    for cls, part in pairs:
        assert {f.name for f in dataclasses.fields(cls)} <= set(part["properties"]), cls.__name__


def test_schema_refuses_secrets_in_personas() -> None:
    data = sample_result().to_dict()
    data["personas"][0]["password"] = "Alice-Passw0rd!"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, results_schema(), cls=jsonschema.Draft202012Validator)


def test_invalid_result_is_refused_before_writing(tmp_path: Path) -> None:
    result = sample_result()
    result.mode = "yolo"
    with pytest.raises(InvalidResultError, match="mode"):
        write_all(result, tmp_path)
    assert not (tmp_path / "results.json").exists()


def test_not_run_without_reason_gets_one(tmp_path: Path) -> None:
    result = sample_result()
    next(r for r in result.rules if r.id == "OBJ-02").reason = ""
    data = json.loads(write_all(result, tmp_path)["results.json"].read_text(encoding="utf-8"))
    assert next(r for r in data["rules"] if r["id"] == "OBJ-02")["reason"]


def test_junit_has_one_case_per_rule_and_operation(written: tuple[RunResult, dict[str, Path]]) -> None:
    result, paths = written
    root = ET.parse(paths["junit.xml"]).getroot()
    cases = root.iter("testcase")
    rule_cases = [c for c in root.iter("testcase") if c.get("classname", "").startswith("rules.")]
    op_cases = [c for c in root.iter("testcase") if c.get("classname", "").startswith("fuzz.")]
    assert len(rule_cases) == 27 == len(result.rules)
    assert len(op_cases) == len(result.operations)
    assert sum(1 for _ in cases) == int(root.get("tests", "0"))
    assert root.get("failures") == "3"  # TEN-03, SCH-01 and the failed CR operation
    assert root.get("skipped") == "2"  # OBJ-02 and the skipped CR operation
    levels = {c.get("classname") for c in rule_cases}
    assert {"rules.user", "rules.partner", "rules.cross-cutting"} <= levels
    ten03 = next(c for c in rule_cases if c.get("name", "").startswith("TEN-03"))
    failure = ten03.find("failure")
    assert failure is not None
    assert "[TEN-03]" in (failure.get("message") or "")
    assert "reproduce: curl -sS -X GET" in (failure.text or "")
    obj02 = next(c for c in rule_cases if c.get("name", "").startswith("OBJ-02"))
    skipped = obj02.find("skipped")
    assert skipped is not None
    assert "mode write" in (skipped.get("message") or "")
    put = next(c for c in op_cases if c.get("name") == "PUT /events/{eid}")
    assert put.get("classname") == "fuzz.cr"
    op_failure = put.find("failure")
    assert op_failure is not None
    assert "[SCH-01]" in (op_failure.text or "")
    assert "curl" in (op_failure.text or "")
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "1234"
    assert props["mode"] == "publish"


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    result = sample_result()
    next(r for r in result.rules if r.id == "TEN-03").findings[0].message = "body had \x00\x1b bytes"
    root = ET.parse(write_all(result, tmp_path)["junit.xml"]).getroot()
    assert root.get("failures") == "3"


def test_summary_markdown(written: tuple[RunResult, dict[str, Path]]) -> None:
    _, paths = written
    text = paths["summary.md"].read_text(encoding="utf-8")
    assert text.startswith("## ❌ fd-conformance: NOT CERTIFIED")
    assert "| 24 | 2 | 0 | 1 | 0 | 390 |" in text  # 7 passed ops * 50 + 40 + 0 not run
    assert "**TEN-03**" in text
    assert "curl -sS -X GET" in text
    assert "| OBJ-02 | needs mode write" in text
    assert "| main | 6 of 6 fuzzed | 0 | 300 |" in text
    assert "| cr | 2 of 3 fuzzed | 1 | 90 |" in text


def test_certificate_content(written: tuple[RunResult, dict[str, Path]]) -> None:
    result, paths = written
    page = paths["certificate.html"].read_text(encoding="utf-8")
    digest = hashlib.sha256(paths["results.json"].read_bytes()).hexdigest()
    assert f'id="results-sha256">{digest}<' in page
    assert ">NOT CERTIFIED<" in page
    for text in (
        result.targets["main"],
        result.targets["cr"],
        "1234",
        "publish",
        "0.1.0",
        "partner-id-acme",
        "primary",
        "tenant-header-ignored",
    ):
        assert text in page
    # grouped by hierarchy level, in hierarchy order
    levels = re.findall(r'<tr class="level"><td colspan="7">([a-z-]+)</td>', page)
    assert levels == ["user", "partner", "event", "cluster", "setup-process", "campaign", "cross-cutting"]
    assert page.count('<tr id="rule-') == 27
    assert "curl -sS -X GET" in page
    assert "<h3>main" in page
    assert "<h3>cr" in page


def test_certificate_is_self_contained(written: tuple[RunResult, dict[str, Path]]) -> None:
    _, paths = written
    page = paths["certificate.html"].read_text(encoding="utf-8").lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src="):
        assert forbidden not in page
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', page))


def test_certified_only_when_every_required_rule_passed(tmp_path: Path) -> None:
    ok = all_passed()
    assert ok.verdict == "CERTIFIED"
    page = write_all(ok, tmp_path / "ok")["certificate.html"].read_text(encoding="utf-8")
    assert ">CERTIFIED<" in page
    assert "All 27 required rules passed" in page
    skipped = all_passed()
    skipped.rules[5].status = "not_run"
    skipped.rules[5].reason = "persona multi missing"
    assert skipped.verdict == "NOT CERTIFIED"
    failed = all_passed()
    failed.rules[0].status = "failed"
    assert failed.verdict == "NOT CERTIFIED"
    empty = all_passed()
    empty.rules = []
    assert empty.verdict == "NOT CERTIFIED"
    page = write_all(skipped, tmp_path / "skip")["certificate.html"].read_text(encoding="utf-8")
    assert "1 required rule not run (TEN-04)" in page
