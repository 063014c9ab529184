"""JUnit XML for CI: one test case per rule (classname ``rules.<level>``) and one per fuzzed
operation (classname ``fuzz.<host>``).

Failed → ``<failure>`` carrying every finding's text with its curl line (capped); partial and not
run → ``<skipped message=reason>`` (partial prefixed ``partial:``); every case carries its judged
counts per check in ``<system-out>``. Flaky findings (failed once, passed when replayed) never fail a
case: the rule's case gets a ``flaky`` property and their text in ``<system-out>``. Run errors (test,
teardown errors …) are ``<error>`` cases of a ``run`` suite, so ``errors`` counts them. Run metadata
goes into ``<properties>`` of the rules suite.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conformance.report._confirmed import attempts_text
from conformance.report._grouping import (
    check_lines,
    finding_text,
    first_line,
    judged_text,
    operation_findings,
    rules_by_level,
)
from conformance.report._model import FindingRecord, OperationCoverage, RuleResult, RunResult
from conformance.report._waivers import waived_label

#: Findings written into one ``<failure>``; the rest are counted (results.json has them all).
MAX_FINDINGS = 20
# XML 1.0 cannot carry these at all, not even escaped; fuzzed responses sometimes contain them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _failure_body(findings: list[FindingRecord], fallback: str) -> tuple[str, str]:
    if not findings:
        return fallback, fallback
    shown = [finding_text(f) for f in findings[:MAX_FINDINGS]]
    if len(findings) > MAX_FINDINGS:
        shown.append(f"... and {len(findings) - MAX_FINDINGS} more findings (see results.json)")
    return first_line(finding_text(findings[0])), "\n\n".join(shown)


def _case(parent: ET.Element, classname: str, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(
        parent, "testcase", {"classname": _clean(classname), "name": _clean(name), "time": f"{seconds:.3f}"}
    )


def _flaky_note(case: ET.Element, rule: RuleResult) -> None:
    """Flaky findings never fail a case: a ``flaky`` property and their text in ``system-out``."""
    if not rule.flaky:
        return
    props = ET.Element("properties")
    case.insert(0, props)
    ET.SubElement(props, "property", {"name": "flaky", "value": str(len(rule.flaky))})
    shown = [f"flaky (not counted): {attempts_text(f.confirmation)}\n{finding_text(f)}"
             for f in rule.flaky[:MAX_FINDINGS]]
    if len(rule.flaky) > MAX_FINDINGS:
        shown.append(f"... {len(rule.flaky) - MAX_FINDINGS} more flaky findings")
    text = _clean("\n\n".join(shown))
    out = case.find("system-out")
    if out is None:
        ET.SubElement(case, "system-out").text = text
    else:
        out.text = f"{out.text}\n\n{text}"


def _rule_case(parent: ET.Element, rule: RuleResult) -> None:
    case = _case(parent, f"rules.{rule.level}", f"{rule.id} {rule.title}", rule.duration)
    if rule.status == "failed" and rule.waiver:
        # A waived rule does not fail the gate, so it must not fail a JUnit-reading CI step either;
        # its findings stay readable in system-out.
        ET.SubElement(case, "skipped", {"message": _clean(waived_label(rule.waiver))})
        _, body = _failure_body(rule.findings, rule.reason or "rule failed")
        ET.SubElement(case, "system-out").text = _clean(f"{body}\n\nfdconf explain {rule.id}")
    elif rule.status == "failed":
        message, body = _failure_body(rule.findings, rule.reason or "rule failed")
        node = ET.SubElement(case, "failure", {"message": _clean(message), "type": rule.id})
        node.text = _clean(f"{body}\n\nfdconf explain {rule.id}")
    elif rule.status == "not_run":
        ET.SubElement(case, "skipped", {"message": _clean(rule.reason)})
    elif rule.status == "partial":
        ET.SubElement(case, "skipped", {"message": _clean(f"partial: {rule.reason}")})
    if rule.checks:
        lines = "\n".join([f"judged {judged_text(rule)}", *check_lines(rule)])
        out = case.find("system-out")
        if out is None:
            ET.SubElement(case, "system-out").text = _clean(lines)
        else:  # a waived rule's findings are there already
            out.text = f"{out.text}\n\n{_clean(lines)}"
    _flaky_note(case, rule)


def _operation_case(parent: ET.Element, result: RunResult, op: OperationCoverage) -> None:
    case = _case(parent, f"fuzz.{op.host}", op.operation, op.duration)
    if op.status == "failed" or op.failures:
        fallback = f"{op.failures} of {op.cases} generated cases failed"
        message, body = _failure_body(operation_findings(result, op), fallback)
        node = ET.SubElement(case, "failure", {"message": _clean(message), "type": "fuzz"})
        node.text = _clean(f"{fallback}\n\n{body}" if body != fallback else body)
    elif op.status == "not_run":
        who = f"deselected by {op.by}: " if op.selection == "deselected" and op.by else ""
        ET.SubElement(case, "skipped", {"message": _clean(who + (op.reason or "operation not fuzzed"))})
    ET.SubElement(case, "system-out").text = f"{op.cases} generated cases"


def _suite_totals(suite: ET.Element) -> tuple[int, int, int, float, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    seconds = sum(float(c.get("time", "0")) for c in cases)
    suite.attrib.update(
        {
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
            "time": f"{seconds:.3f}",
        }
    )
    return len(cases), failures, skipped, seconds, errors


def render_junit(result: RunResult) -> str:
    """The JUnit XML document for ``result`` (already redacted by the caller)."""
    root = ET.Element("testsuites", {"name": f"fd-conformance {result.run_id}"})
    rules = ET.SubElement(root, "testsuite", {"name": "rules", "timestamp": result.started_at})
    props = ET.SubElement(rules, "properties")
    meta = {
        "run_id": result.run_id,
        "suite_version": result.suite_version,
        "seed": str(result.seed),
        "mode": result.mode,
        "verdict": result.verdict,
        "completion": str(result.completion.get("state", "complete")),
        **({"stopped_in": str(result.completion["phase"])} if result.completion.get("phase") else {}),
        "embedded": str(result.embedded).lower(),
        **{f"target.{host}": url for host, url in result.targets.items()},
        **({"shard": result.shard} if result.shard else {}),
        **{f"confirmation.{k}": str(v).lower() if isinstance(v, bool) else str(v)
           for k, v in result.confirmation.items()},
    }
    for name, value in meta.items():
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})
    for _level, level_rules in rules_by_level(result):
        for rule in level_rules:
            _rule_case(rules, rule)
    hosts = list(dict.fromkeys(op.host for op in result.operations))
    for host in hosts:
        suite = ET.SubElement(root, "testsuite", {"name": f"fuzz.{host}", "timestamp": result.started_at})
        for op in result.operations:
            if op.host == host:
                _operation_case(suite, result, op)
    if result.errors:
        suite = ET.SubElement(root, "testsuite", {"name": "run", "timestamp": result.started_at})
        for error in result.errors:
            case = _case(suite, "run", f"{error.kind}: {error.test}", 0.0)
            ET.SubElement(case, "error", {"message": _clean(error.message), "type": error.kind})
    totals = [_suite_totals(suite) for suite in root.findall("testsuite")]
    root.attrib.update(
        {
            "tests": str(sum(t[0] for t in totals)),
            "failures": str(sum(t[1] for t in totals)),
            "errors": str(sum(t[4] for t in totals)),
            "skipped": str(sum(t[2] for t in totals)),
            "time": f"{result.duration:.3f}",
        }
    )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
