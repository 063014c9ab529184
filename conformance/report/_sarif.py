"""``sarif.json``: the run's findings as SARIF 2.1.0, for GitHub code scanning and GitLab.

One ``rule`` per catalogue rule (id, title, rationale, the ``fdconf explain`` text as ``help``, the
doc page as ``helpUri``, severity mapped to a level), one ``result`` per finding. A result is located
at the line of its operation's method key in ``specs/main-api.yaml`` / ``specs/cr-api.yaml`` (see
:mod:`.locations`), or at the rule's entry in ``specs/rules.yaml`` when the finding has no single
operation. Its message carries the finding, the curl line that reproduces it and an excerpt of the
(already redacted) response. A waived finding carries an ``accepted`` external suppression with the
waiver's reason, ticket and expiry, so code scanning shows it as dismissed rather than open.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from conformance.report._explain import explain_rule
from conformance.report._locations import location_of, operation_of
from conformance.report._model import FindingRecord, RuleResult, RunResult
from conformance.report._waivers import waived_label
from conformance.rules import Rule, catalogue

SARIF_FILE = "sarif.json"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: Catalogue severity → SARIF level (and the security-severity GitHub ranks security alerts by).
LEVELS = {"blocker": ("error", "9.0"), "critical": ("error", "7.0"), "normal": ("warning", "5.0"),
          "minor": ("note", "3.0"), "trivial": ("note", "1.0")}
#: Characters of the response kept in a result's message.
RESPONSE_EXCERPT = 600


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    level, security = LEVELS.get(rule.severity, ("warning", "5.0"))
    # The rationale first (what a code-scanning reader sees), then the whole `fdconf explain` text.
    help_text = f"{rule.rationale}\n\n{explain_rule(rule)}"
    return {
        "id": rule.id,
        "name": rule.id.replace("-", ""),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": f"```\n{help_text}\n```"},
        "helpUri": rule.docs,
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["api-contract", "conformance", rule.family.lower(), rule.level],
            "security-severity": security,
            "required": rule.required,
        },
    }


def _message(finding: FindingRecord, rule: RuleResult) -> str:
    lines = [f"[{finding.rule_id}] {finding.message}"]
    if finding.expected:
        lines.append(f"expected: {finding.expected}")
    if finding.received:
        lines.append(f"received: {finding.received}")
    if finding.curl:
        lines.append(f"reproduce: {finding.curl}")
    if finding.response:
        excerpt = finding.response[:RESPONSE_EXCERPT]
        lines.append("response: " + excerpt + ("…" if len(finding.response) > RESPONSE_EXCERPT else ""))
    if rule.waiver:
        lines.append(waived_label(rule.waiver))
    lines.append(f"more: fdconf explain {finding.rule_id}")
    return "\n".join(lines)


def _result(finding: FindingRecord, rule: RuleResult, index: int, result: RunResult) -> dict[str, Any]:
    where = location_of(finding, result.targets)
    host, operation = operation_of(finding, result.targets)
    # Stable across runs (ports and ids in the message change): rule, host, operation, what was expected.
    key = "|".join([finding.rule_id, host, operation, finding.expected or finding.message[:80]])
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVELS.get(rule.severity, ("warning", ""))[0],
        "message": {"text": _message(finding, rule)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": where.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": where.line},
            },
            **({"logicalLocations": [{"name": operation, "fullyQualifiedName": f"{host} {operation}",
                                      "kind": "function"}]} if operation else {}),
        }],
        "partialFingerprints": {"fdconfFinding/v1": hashlib.sha256(key.encode()).hexdigest()[:32]},
        "properties": {"host": host, "operation": operation, "test": finding.test},
    }
    if rule.waiver:
        out["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": f"{rule.waiver['reason']} ({rule.waiver['ticket']}, "
                             f"until {rule.waiver['expires']})",
        }]
    return out


def render_sarif(result: RunResult) -> str:
    """The SARIF 2.1.0 log of ``result`` (already redacted by the caller), as JSON text."""
    rules = list(catalogue().values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [
        _result(finding, rule, index[finding.rule_id], result)
        for rule in result.rules
        if rule.status == "failed"
        for finding in rule.findings
        if finding.rule_id in index
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "fd-conformance",
                "version": result.suite_version,
                "semanticVersion": result.suite_version,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }},
            "automationDetails": {"id": f"fd-conformance/{result.mode}/{result.run_id}"},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the fd-conformance checkout"}}},
            "invocations": [{
                "executionSuccessful": True,
                "startTimeUtc": result.started_at,
                "endTimeUtc": result.finished_at,
            }],
            "results": results,
            "properties": {"verdict": result.verdict, "seed": result.seed, "targets": result.targets},
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
