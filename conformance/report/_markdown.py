"""``summary.md``: the run in a form fit for a CI step summary (GitHub ``$GITHUB_STEP_SUMMARY``,
GitLab, a PR comment). Short on purpose: verdict, counts, every failed rule with its first finding
and curl, every rule not run with its reason, coverage per host. Full detail lives in results.json.
"""

from __future__ import annotations

from conformance.report._confirmed import attempts_text, flaky_of, state_of, summary_text, where
from conformance.report._grouping import (
    STATUS_LABEL,
    TOKEN_VAR,
    answered_2xx,
    check_lines,
    connection_text,
    coverage_text,
    edges_text,
    format_duration,
    headline,
    judged_text,
    operations_by_host,
    progress_text,
    reproduce_hint,
    requests_text,
    rules_by_level,
    unfuzzed_text,
)
from conformance.report._model import FindingRecord, RuleResult, RunResult
from conformance.report._waivers import ledger_lines, waived_label

#: Findings shown per failed rule; step summaries are size-limited (1 MiB on GitHub).
MAX_FINDINGS = 3


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def _status_cell(rule: RuleResult) -> str:
    return _cell(waived_label(rule.waiver)) if rule.waiver else STATUS_LABEL[rule.status]


def _waiver_lines(result: RunResult) -> list[str]:
    if not result.waivers:
        return []
    out = ["", "### Waivers", "", "| rule | scope | ticket | until | state |", "|---|---|---|---|---|"]
    for w in result.waivers:
        scope = " ".join(p for p in (w.get("host"), w.get("operation"), w.get("check")) if p)
        out.append(f"| {w['rule']} | {_cell(scope or 'all findings')} | {_cell(w['ticket'])} | "
                   f"{w['expires']} | {w['state']} |")
    return [*out, "", *(f"- {_cell(line)}" for line in ledger_lines(result))]


def _partial_and_errors(result: RunResult) -> list[str]:
    out: list[str] = []
    partial = [r for r in result.rules if r.status == "partial"]
    if partial:
        out += ["", "### Rules partial (some required checks unexercised)", "", "| rule | judged | reason |",
                "|---|---:|---|"]
        out += [f"| {r.id} | {judged_text(r)} | {_cell(r.reason)} |" for r in partial]
    if result.errors:
        out += ["", "### Run errors (they block CERTIFIED)", "", "| kind | test | message |", "|---|---|---|"]
        out += [f"| {e.kind} | `{_cell(e.test)}` | {_cell(e.message)} |" for e in result.errors]
    if result.warnings:
        out += ["", "### Warnings (the target's layout)", "", *(f"- {_cell(w)}" for w in result.warnings)]
    return out


def _flaky_lines(result: RunResult) -> list[str]:
    """Flaky findings: failed once, passed when replayed; not counted unless the run was strict."""
    found = list(flaky_of(result))
    if not found:
        return [""] + ([f"Confirmation: {summary_text(result.confirmation)}."] if result.confirmation else [])
    counted = "counted: the run is strict" if result.confirmation.get("strict") else "not counted"
    out = ["", f"### Flaky findings ({counted})", "", summary_text(result.confirmation) + ".", "",
           "| rule | where | attempts |", "|---|---|---|"]
    out += [f"| {rule.id} | {_cell(where(record))} | {_cell(attempts_text(record.confirmation))} |"
            for rule, record in found[:MAX_FINDINGS * 4]]
    if len(found) > MAX_FINDINGS * 4:
        out.append(f"| … | {len(found) - MAX_FINDINGS * 4} more in results.json | |")
    first = found[0][1]
    if first.curl:
        out += ["", "<details><summary>curl of the first</summary>", "", _fence(first.curl), "", "</details>"]
    return out


def _finding_lines(finding: FindingRecord) -> list[str]:
    """One failed rule's finding: its own evidence line first, then details and curl folded."""
    out: list[str] = []
    detail = [f"[{finding.rule_id}] {headline(finding)}"]
    if finding.message.strip() != headline(finding):
        detail.append(finding.message)
    if finding.expected:
        detail.append(f"expected: {finding.expected}")
    if finding.received:
        detail.append(f"received: {finding.received}")
    tried = attempts_text(finding.confirmation)
    out.append(f"  - {_cell(headline(finding))}"
               + (f" ({state_of(finding)}, {_cell(tried)})" if tried else ""))
    hint = reproduce_hint(finding.curl)
    replay = ([f"# {hint}"] if hint else []) + ([finding.curl] if finding.curl else [])
    body = "\n".join(detail) + ("\n\n" + "\n".join(replay) if replay else "")
    out.append("    <details><summary>details and curl</summary>\n")
    out.append("    " + _fence(body).replace("\n", "\n    "))
    out.append("    </details>")
    return out


def render_markdown(result: RunResult) -> str:
    """The Markdown summary of ``result`` (already redacted by the caller)."""
    counts = result.counts()
    icon = "✅" if result.verdict == "CERTIFIED" else "❌"
    total_cases = sum(op.cases for op in result.operations) or sum(result.cases.values())
    out = [
        f"## {icon} fd-conformance: {result.verdict}",
        "",
        f"Run `{result.run_id}` · suite {result.suite_version} · mode `{result.mode}` · seed `{result.seed}`"
        f" · {format_duration(result.duration)}" + (f" · shard {result.shard}" if result.shard else ""),
        "",
        *([progress_text(result.completion), ""] if not result.complete else []),
        "| rules passed | rules failed | rules partial | rules not run | run errors | generated cases |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {counts['passed']} | {counts['failed']} | {counts['partial']} | {counts['not_run']} "
        f"| {len(result.errors)} | {total_cases} |",
        "",
        "Targets: " + ", ".join(f"{host} `{url}`" for host, url in result.targets.items()),
    ]
    if requests_text(result.requests):
        out += ["", f"Sent: {requests_text(result.requests)}"]
    if result.connection:
        out += ["", f"Connection: {connection_text(result.connection)}"]
    if result.kind == "integration":
        out += ["", "Certified: a partner integration, judged on the requests it sent to the sandbox."]
    elif result.embedded:
        out.append("")
        out.append(
            "Target: the bundled reference implementation"
            + (
                f" with injected defects: {', '.join(f'`{d}`' for d in result.defects)}"
                if result.defects
                else ""
            )
            + "."
        )
    failed = [r for r in result.rules if r.status == "failed"]
    if failed:
        out += ["", "### Failed rules", ""]
        if any(reproduce_hint(f.curl) for r in failed for f in r.findings):
            out += [
                f"Reproduction lines read the bearer token from a shell variable (`${TOKEN_VAR}`, or a "
                "token variant's own, e.g. `$FD_EXPIRED_TOKEN`): run the `export …` line above each "
                "one first.",
                "",
            ]
        for rule in failed:
            waived = f" — {waived_label(rule.waiver)}" if rule.waiver else ""
            out.append(f"- **{rule.id}** ({rule.severity}) {_cell(rule.title)}{_cell(waived)} "
                       f"· `fdconf explain {rule.id}`")
            for finding in rule.findings[:MAX_FINDINGS]:
                out += _finding_lines(finding)
            if len(rule.findings) > MAX_FINDINGS:
                out.append(f"  - … {len(rule.findings) - MAX_FINDINGS} more findings in results.json")
            if not rule.findings and rule.reason:
                out.append(f"  - {_cell(rule.reason)}")
    out += _flaky_lines(result)
    out += _waiver_lines(result)
    out += _partial_and_errors(result)
    not_run = [r for r in result.rules if r.status == "not_run"]
    if not_run:
        out += ["", "### Rules not run", "", "| rule | reason |", "|---|---|"]
        out += [f"| {r.id} | {_cell(r.reason)} |" for r in not_run]
    out += [
        "",
        "### Rules by level",
        "",
        f"<details><summary>All {len(result.rules)} rules</summary>",
        "",
        "| level | rule | status | tests | judged | checks |",
        "|---|---|---|---:|---:|---|",
    ]
    for level, rules in rules_by_level(result):
        out += [
            f"| {level} | {r.id} | {_status_cell(r)} | {r.tests} | {judged_text(r)} "
            f"| {_cell('; '.join(check_lines(r)))} |"
            for r in rules
        ]
    out += ["", "</details>"]
    out += _coverage_lines(result)
    return "\n".join(out) + "\n"


def _coverage_lines(result: RunResult) -> list[str]:
    """Per host: the spec's operations fuzzed / deselected / unreachable, failed, cases, how many
    fuzzed operations answered 2xx, the edge values sent; then what keeps the coverage from CERTIFIED."""
    hosts = operations_by_host(result)
    if not hosts:
        return []
    out = [
        "",
        "### Operation coverage",
        "",
        "| host | operations (of the spec) | failed | cases | answered 2xx | edge values |",
        "|---|---|---:|---:|---:|---|",
    ]
    for host, ops in hosts:
        bad = sum(1 for o in ops if o.status == "failed" or o.failures)
        ok, answered = answered_2xx(ops)
        cases = sum(o.cases for o in ops)
        edges = edges_text(ops) or "-"
        out.append(f"| {host} | {coverage_text(ops)} | {bad} | {cases} | {ok} / {answered} | {edges} |")
    unfuzzed = unfuzzed_text(result, names=100)
    if unfuzzed:
        out += ["", f"**Coverage blocks CERTIFIED:** {unfuzzed}"]
    return out
