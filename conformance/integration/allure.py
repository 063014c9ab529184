"""Allure results of an integration run: one test result per INT rule, written without pytest.

A deployment run gets its Allure results from allure-pytest; an integration run has no tests of its
own, so each rule becomes one ``*-result.json`` in the Allure 2 result format (epic ``integration``,
feature = level, story = rule id, severity), renderable with ``fdconf report RUN_DIR --allure``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from conformance.redact import REDACTOR
from conformance.report import RunResult

RESULTS_DIR = "allure-results"
STATUS = {"passed": "passed", "failed": "failed", "not_run": "skipped", "partial": "skipped"}


def write_allure_results(result: RunResult, directory: Path) -> Path:
    """Write ``directory/allure-results/``; returns that folder."""
    out = directory / RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for rule in result.rules:
        message = rule.reason or ""
        trace = "\n".join(
            f"{f.message}\n  expected: {f.expected}\n  received: {f.received}\n  {f.request}"
            for f in rule.findings[:20]
        )
        doc = {
            "uuid": str(uuid.uuid4()),
            "historyId": hashlib.sha256(f"integration::{rule.id}".encode()).hexdigest()[:32],
            "name": f"{rule.id} {rule.title}",
            "fullName": f"integration.{rule.id}",
            "status": STATUS[rule.status],
            "statusDetails": {"message": message, "trace": trace},
            "labels": [
                {"name": "epic", "value": "integration"},
                {"name": "feature", "value": rule.level},
                {"name": "story", "value": rule.id},
                {"name": "severity", "value": rule.severity},
            ],
            "parameters": [{"name": "status", "value": rule.status}],
        }
        path = out / f"{doc['uuid']}-result.json"
        path.write_text(REDACTOR.text(json.dumps(doc, ensure_ascii=False)), encoding="utf-8")
    return out
