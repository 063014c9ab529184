"""``certificate.html``: the partner-facing verdict as one self-contained file.

Inline CSS only: no scripts, no fonts, no images, no external URLs, so it opens offline and can be
archived or mailed as is. The template (``certificate.html`` beside this module) is package data;
:func:`render_certificate` fills it from an already redacted :class:`RunResult` and the sha256 of
the ``results.json`` it was written with.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from conformance.report._confirmed import attempts_text, state_of, summary_text
from conformance.report._explain import explain_rule
from conformance.report._grouping import (
    STATUS_LABEL,
    answered_2xx,
    check_lines,
    connection_text,
    coverage_text,
    edges_text,
    format_duration,
    headline,
    judged_text,
    operation_findings,
    operations_by_host,
    progress_text,
    reproduce_hint,
    rules_by_level,
    unfuzzed_text,
)
from conformance.report._model import FindingRecord, OperationCoverage, RuleResult, RunResult
from conformance.report._waivers import ledger_lines, waived_label
from conformance.rules import catalogue

TEMPLATE_FILE = Path(__file__).resolve().parent / "certificate.html"
#: Findings shown per rule; the rest are counted (results.json has them all).
MAX_FINDINGS = 3


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def verdict_reason(result: RunResult) -> str:
    """One sentence saying why the verdict is what it is."""
    if not result.complete:
        return progress_text(result.completion)
    required = [r for r in result.rules if r.required]
    if not required:
        return "No required rule was evaluated."
    failed = [r.id + (" waived" if r.waiver else "") for r in required if r.status == "failed"]
    skipped = [r.id for r in required if r.status == "not_run"]
    partial = [r.id for r in required if r.status == "partial"]
    unfuzzed = unfuzzed_text(result)
    if not failed and not skipped and not partial and not result.errors and not unfuzzed:
        return f"All {len(required)} required rules passed on judged evidence; none was skipped."
    parts = []
    if result.errors:
        parts.append(f"the run had {len(result.errors)} error{'s' * (len(result.errors) != 1)}")
    if unfuzzed:
        parts.append(unfuzzed)
    if partial:
        rules = f"{len(partial)} required rule{'s' * (len(partial) != 1)}"
        parts.append(f"{rules} only partly judged ({', '.join(partial)})")
    if failed:
        parts.append(f"{len(failed)} required rule{'s' * (len(failed) != 1)} failed ({', '.join(failed)})")
    if skipped:
        parts.append(
            f"{len(skipped)} required rule{'s' * (len(skipped) != 1)} not run ({', '.join(skipped)})"
        )
    return "; ".join(parts) + "."


def _notes(result: RunResult) -> str:
    notes = []
    if result.kind == "integration":  # the partner's integration, judged on what it sent to the sandbox
        steps = result.integration.get("journey") or []
        done = ", ".join(_e(s["step"]) for s in steps if s.get("status") == "exercised") or "none"
        notes.append(f"Certified: a partner integration, on its traffic to the sandbox. Steps: {done}.")
    elif result.embedded:
        text = "Target: the bundled reference implementation, not a partner deployment."
        if result.defects:
            text += " Injected defects: " + ", ".join(f"<code>{_e(d)}</code>" for d in result.defects) + "."
        notes.append(text)
    if result.shard:
        notes.append(f"This is shard {_e(result.shard)} of a sharded run; merge all shards to certify.")
    waived = [r for r in result.rules if r.waiver]
    if waived:
        notes.append("Waived failures (known, accepted by the team until the date shown; they still block "
                     "CERTIFIED): " + "; ".join(f"<code>{_e(r.id)}</code> {_e(waived_label(r.waiver or {}))}"
                                                 for r in waived) + ".")
    notes += [_e(line) for line in ledger_lines(result)]
    if result.confirmation:
        notes.append("Confirmation: " + _e(summary_text(result.confirmation)) + ".")
    return "\n".join(f'<p class="note">{n}</p>' for n in notes)


def _facts(result: RunResult) -> str:
    rows: list[tuple[str, str]] = [
        ("Verdict", _e(result.verdict)),
        ("Run id", f"<code>{_e(result.run_id)}</code>"),
        ("Suite version", _e(result.suite_version)),
        ("Started / finished", f"{_e(result.started_at)} / {_e(result.finished_at)}"),
        ("Duration", _e(format_duration(result.duration))),
        ("Mode", f"<code>{_e(result.mode)}</code>"),
        ("Seed", f"<code>{_e(result.seed)}</code>"),
    ]
    rows += [(f"Target ({_e(host)})", f"<code>{_e(url)}</code>") for host, url in result.targets.items()]
    if result.connection:
        rows.append(("Connection", _e(connection_text(result.connection))))
    rows += [
        (f"sha256 ({_e(name)})", f'<span class="hash">{_e(digest)}</span>')
        for name, digest in result.spec_hashes.items()
    ]
    personas = ", ".join(
        f"{_e(p.get('name', ''))}" + (f" → <code>{_e(p['partner'])}</code>" if p.get("partner") else "")
        for p in result.personas
    )
    rows.append(("Personas", personas or "none"))
    if result.cases:
        rows.append(("Generated cases", _e(", ".join(f"{k}: {v}" for k, v in result.cases.items()))))
    return "\n".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)


def _finding_html(finding: FindingRecord, is_open: bool = False) -> str:
    lines = [headline(finding)] + ([finding.message] if finding.message.strip() != headline(finding) else [])
    if finding.expected:
        lines.append(f"expected: {finding.expected}")
    if finding.received:
        lines.append(f"received: {finding.received}")
    if finding.test:
        lines.append(f"test: {finding.test}")
    if finding.confirmation:
        lines.append(f"{state_of(finding)}: {attempts_text(finding.confirmation)}")
    body = f"<pre>{_e(chr(10).join(lines))}</pre>"
    if finding.curl:
        hint = reproduce_hint(finding.curl)
        body += f"<div>reproduce{_e(' (' + hint + ')') if hint else ''}:</div><pre>{_e(finding.curl)}</pre>"
    attr = " open" if is_open else ""
    summary = _e(headline(finding, 160))
    return f'<details class="finding"{attr}><summary>{summary}</summary>{body}</details>'


def _rule_row(rule: RuleResult) -> str:
    notes = ""
    if rule.status in ("not_run", "partial") and rule.reason:
        notes = f'<div class="sev">{_e(rule.reason)}</div>'
    elif rule.status == "failed":
        # The first finding is the evidence a reader needs: shown open (no JS needed to expand it).
        notes = "".join(_finding_html(f, i == 0) for i, f in enumerate(rule.findings[:MAX_FINDINGS]))
        if len(rule.findings) > MAX_FINDINGS:
            notes += (
                f'<div class="sev">… {len(rule.findings) - MAX_FINDINGS} more findings in results.json</div>'
            )
        if not rule.findings and rule.reason:
            notes = f'<div class="sev">{_e(rule.reason)}</div>'
    required = "" if rule.required else ' <span class="sev">(optional)</span>'
    label = STATUS_LABEL[rule.status]
    if rule.waiver:
        label = "FAILED (waived)"
        notes = f'<div class="sev"><b>{_e(waived_label(rule.waiver))}</b></div>' + notes
    if rule.flaky:  # reported with their curl lines, never counted here (a strict run's are findings)
        shown = "".join(_finding_html(f) for f in rule.flaky[:MAX_FINDINGS])
        notes += (f'<details class="finding"><summary>{len(rule.flaky)} flaky finding(s): failed once, '
                  f"passed when replayed (not counted)</summary>{shown}</details>")
    checks = check_lines(rule)
    if checks:
        items = "".join(f"<li>{_e(line)}</li>" for line in checks)
        notes += f'<details class="finding"><summary>checks</summary><ul class="sev">{items}</ul></details>'
    return (
        f'<tr id="rule-{_e(rule.id)}"><td><code>{_e(rule.id)}</code></td>'
        f"<td>{_e(rule.title)}{required}{notes}{_explain_html(rule.id)}</td>"
        f'<td class="sev">{_e(rule.severity)}</td>'
        f'<td><span class="badge {rule.status}">{_e(label)}</span></td>'
        f'<td class="num">{rule.tests}</td><td class="num">{_e(judged_text(rule))}</td>'
        f'<td class="num">{_e(format_duration(rule.duration))}</td></tr>'
    )


def _explain_html(rule_id: str) -> str:
    """The ``fdconf explain`` text of the rule, inline (collapsed: the certificate needs no JS)."""
    rule = catalogue().get(rule_id)
    if rule is None:
        return ""
    return (f'<details class="explain"><summary>what {_e(rule_id)} checks · fdconf explain {_e(rule_id)}'
            f"</summary><pre>{_e(explain_rule(rule))}</pre></details>")


def _rule_rows(result: RunResult) -> str:
    rows = []
    for level, rules in rules_by_level(result):
        rows.append(f'<tr class="level"><td colspan="7">{_e(level)}</td></tr>')
        rows += [_rule_row(rule) for rule in rules]
    return "\n".join(rows)


def _answer_cells(op: OperationCoverage) -> str:
    """2xx / 4xx / 5xx answer counts; a fuzzed read that never answered 2xx is marked (SCH-02/03)."""
    if not op.answers:
        return '<td class="num">-</td>' * 3
    cells = []
    for cls in ("2xx", "4xx", "5xx"):
        n = op.answers.get(cls, 0)
        bad = (cls == "2xx" and n == 0) or (cls == "5xx" and n > 0)
        cells.append(f'<td class="num{" bad" if bad else ""}">{n}</td>')
    return "".join(cells)


def _selection_label(op: OperationCoverage) -> str:
    label = f"deselected by {op.by}" if op.selection == "deselected" else op.selection.replace("_", " ")
    return label + ("" if op.required else " (not required in this mode)")


def _coverage(result: RunResult) -> str:
    hosts = operations_by_host(result)
    if not hosts:
        return '<p class="sev">No operation was fuzzed in this run.</p>'
    out = []
    for host, ops in hosts:
        cases = sum(o.cases for o in ops)
        url = result.targets.get(host, "")
        ok, answered = answered_2xx(ops)
        edges = edges_text(ops)
        out.append(
            f'<h3>{_e(host)} <span class="sev">{_e(url)} · operations {_e(coverage_text(ops))} · '
            f"{cases} cases · {ok} of {answered} answered 2xx{' · ' + _e(edges) if edges else ''}</span></h3>"
        )
        out.append(
            '<table class="coverage"><thead><tr><th>Operation</th><th>Cases</th><th>2xx</th><th>4xx</th>'
            "<th>5xx</th><th>Failures</th><th>Status</th><th>Time</th></tr></thead><tbody>"
        )
        for op in ops:
            detail = ""
            if op.status == "not_run" and op.reason:
                who = f"{_selection_label(op)}: " if op.selection not in ("", "fuzzed") else ""
                detail = f'<div class="sev">{_e(who + op.reason)}</div>'
            elif op.status == "failed" or op.failures:
                findings = operation_findings(result, op)
                detail = "".join(_finding_html(f) for f in findings[:MAX_FINDINGS])
            out.append(
                f'<tr><td><code>{_e(op.operation)}</code>{detail}</td><td class="num">{op.cases}</td>'
                f"{_answer_cells(op)}"
                f'<td class="num">{op.failures}</td>'
                f'<td><span class="badge {op.status}">{_e(STATUS_LABEL[op.status])}</span></td>'
                f'<td class="num">{_e(format_duration(op.duration))}</td></tr>'
            )
        out.append("</tbody></table>")
    return "\n".join(out)


def render_certificate(result: RunResult, results_sha256: str) -> str:
    """The certificate HTML for ``result`` (already redacted by the caller)."""
    counts = result.counts()
    total_cases = sum(op.cases for op in result.operations) or sum(result.cases.values())
    template = Template(TEMPLATE_FILE.read_text(encoding="utf-8"))
    return template.substitute(
        suite_version=_e(result.suite_version),
        run_id=_e(result.run_id),
        finished_at=_e(result.finished_at),
        verdict=_e(result.verdict),
        verdict_class="ok" if result.verdict == "CERTIFIED" else "bad",
        verdict_reason=_e(verdict_reason(result)),
        notes=_notes(result),
        passed=counts["passed"],
        failed=counts["failed"],
        not_run=counts["not_run"],
        partial=counts["partial"],
        errors=len(result.errors),
        cases=total_cases,
        duration=_e(format_duration(result.duration)),
        facts=_facts(result),
        rule_rows=_rule_rows(result),
        coverage=_coverage(result),
        results_sha256=_e(results_sha256),
    )
