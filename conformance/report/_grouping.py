"""How results are grouped for every rendering: rules by hierarchy level, operations by host,
fuzz findings by operation. One place, so JUnit, Markdown, HTML and the terminal agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from conformance.report._model import FindingRecord, OperationCoverage, RuleResult, RunResult

#: The shell variable reproduction lines read the bearer token from (conformance.client.TOKEN_VAR;
#: the report layer does not import the client layer).
TOKEN_VAR = "FD_ACCESS_TOKEN"

#: The hierarchy of the platform (specs/rules.yaml), top-down, then cross-cutting rules.
LEVEL_ORDER = ("user", "partner", "event", "cluster", "setup-process", "campaign", "cross-cutting")
HOST_ORDER = ("main", "cr")
STATUS_LABEL = {"passed": "passed", "failed": "FAILED", "partial": "PARTIAL", "not_run": "not run"}


def judged_text(rule: RuleResult) -> str:
    """``19/21`` operations judged over the rule's applicable checks (``-`` when it recorded none)."""
    judged, attempted = rule.judged
    return f"{judged}/{attempted}" if rule.checks and attempted else "-"


def check_lines(rule: RuleResult) -> list[str]:
    """One line per applicable check and host: ``foreign-eid-404 on main: 19 of 20 judged (why x1)``."""
    out = []
    for c in rule.checks:
        if not c.applies:
            continue
        if c.by_tests:
            out.append(f"{c.check} on {c.host}: {'judged' if c.judged else 'not judged'} by the fuzz tests")
            continue
        line = f"{c.check} on {c.host}: {c.judged} of {c.operations} judged"
        if c.failed:
            line += f", {c.failed} failed"
        if c.unexercised:
            line += " (" + "; ".join(f"{why} x{n}" for why, n in sorted(c.unexercised.items())) + ")"
        out.append(line)
    return out


def _ordered(keys: Iterable[str], order: tuple[str, ...]) -> list[str]:
    seen = list(dict.fromkeys(keys))
    known = [k for k in order if k in seen]
    return known + [k for k in seen if k not in order]


def rules_by_level(result: RunResult) -> list[tuple[str, list[RuleResult]]]:
    """Rules grouped by hierarchy level in :data:`LEVEL_ORDER`; rule order kept within a level."""
    levels = _ordered((r.level for r in result.rules), LEVEL_ORDER)
    return [(level, [r for r in result.rules if r.level == level]) for level in levels]


def operations_by_host(result: RunResult) -> list[tuple[str, list[OperationCoverage]]]:
    """Fuzzed operations grouped by host (main first), in the order they were recorded."""
    hosts = _ordered((o.host for o in result.operations), HOST_ORDER)
    return [(host, [o for o in result.operations if o.host == host]) for host in hosts]


def answered_2xx(ops: list[OperationCoverage]) -> tuple[int, int]:
    """``(operations with at least one 2xx answer, operations with answers)`` of fuzzed operations."""
    answered = [o for o in ops if o.answers and sum(o.answers.values())]
    return sum(1 for o in answered if o.answers.get("2xx", 0) > 0), len(answered)


def answers_text(op: OperationCoverage) -> str:
    """``2xx 41 · 4xx 12 · 5xx 0`` (empty for rows without answers, e.g. stateful)."""
    return " · ".join(f"{cls} {n}" for cls, n in sorted(op.answers.items()))


def operation_findings(result: RunResult, op: OperationCoverage) -> list[FindingRecord]:
    """Findings observed while fuzzing ``op``.

    A finding belongs to an operation when its ``operation`` field names it (and its ``host``, if
    set, matches), or, for findings recorded without those fields, when its ``test`` is the
    operation label or a node id carrying ``[METHOD /path]`` and the host as a parameter.
    """
    out: list[FindingRecord] = []
    for rule in result.rules:
        for finding in rule.findings:
            if finding.operation:
                if finding.operation == op.operation and finding.host in ("", op.host):
                    out.append(finding)
            elif finding.test in (op.operation, f"{op.host} {op.operation}") or (
                f"[{op.operation}]" in finding.test and f"[{op.host}]" in finding.test
            ):
                out.append(finding)
    return out


def first_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def headline(finding: FindingRecord, limit: int = 300) -> str:
    """The finding's own evidence line for its rule (what every report shows first), else the first
    line of its message (files older than results.json version 5)."""
    return first_line(finding.evidence, limit) if finding.evidence else first_line(finding.message, limit)


def finding_text(finding: FindingRecord) -> str:
    """A finding as the multi-line text a reader (or CI log) sees: ``[RULE-ID]`` and the rule's own
    evidence line first, then the full message when it says more."""
    tag = f"[{finding.rule_id}]"
    head = headline(finding)
    lines = [head if head.startswith(tag) else f"{tag} {head}"]
    if finding.message.strip() != head:
        lines.append(f"  detail: {finding.message}")
    if finding.expected:
        lines.append(f"  expected: {finding.expected}")
    if finding.received:
        lines.append(f"  received: {finding.received}")
    if finding.test:
        lines.append(f"  test: {finding.test}")
    if finding.confirmation:
        statuses = ", ".join(str(s) for s in finding.confirmation.get("statuses", []))
        reproduced = finding.confirmation.get("reproduced")
        state = "flaky" if finding.flaky else "confirmed" if reproduced else "seen"
        lines.append(f"  {state}: {finding.confirmation.get('attempts', 1)} attempts ({statuses})")
    if finding.curl:
        lines.append(f"  reproduce: {finding.curl}")
        hint = reproduce_hint(finding.curl)
        if hint:
            lines.append(f"  ({hint})")
    return "\n".join(lines)


_VAR_RE = re.compile(r"\$\{?(FD_[A-Z0-9_]+)")
_NAME_RE = re.compile(r"\b(FD_[A-Z0-9_]+)\b")
# A line's trailing notes (conformance.client curl lines): ``# VAR: description`` (a value the user supplies)
# or ``# VAR=value`` (a shell value to export as written), each note up to the next one.
_NOTE_RE = re.compile(r"\s#\s*(FD_[A-Z0-9_]+)(:\s*|=)(.*?)(?=\s+#\s*FD_[A-Z0-9_]+(?::|=)|$)")


def reproduce_hint(curl: str) -> str:
    """The exports a reproduction line needs, e.g. ``export FD_ACCESS_TOKEN=<AccessToken of persona
    primary> first``: one per variable the line reads, said the way its notes say (the persona, how to
    make a token variant), else generically. ``""`` for a line that reads no variable."""
    command, _, _comment = curl.partition("  # ")
    notes = {m.group(1): (m.group(2).strip(), m.group(3).strip()) for m in _NOTE_RE.finditer(curl)}
    wanted = list(dict.fromkeys([*notes, *_VAR_RE.findall(command)]))
    # A shell value may read another variable (``${FD_ACCESS_TOKEN%…}``, ``os.environ["FD_ACCESS_TOKEN"]``).
    used = set(_VAR_RE.findall(command)) | {v for sep, text in notes.values() if sep == "=" for v in
                                           _NAME_RE.findall(text)}
    exports: list[str] = []
    for name in (n for n in wanted if n in used):
        sep, text = notes.get(name, ("", ""))
        if sep == "=":
            exports.append(f"{name}={text}")
        elif sep == ":":
            exports.append(f"{name}=<{text}>")
        elif name == TOKEN_VAR:
            exports.append(f"{name}=<an AccessToken of the persona used>")
        elif name.startswith("FD_HEADER_"):  # target.headers secrets (a proxy's key)
            exports.append(f"{name}=<value of target.headers>")
        else:
            exports.append(f"{name}=<…>")
    if not exports:
        return ""
    # A value that reads another variable needs that one exported by an earlier statement.
    if any("$" in e.split("=", 1)[1] for e in exports):
        return "; ".join(f"export {e}" for e in exports) + " first"
    return f"export {' '.join(exports)} first"


def connection_text(connection: dict[str, Any]) -> str:
    """``extra headers X-Proxy-Key; TLS verified with partner-ca.pem`` (names only, never values)."""
    parts = []
    if connection.get("extra_headers"):
        parts.append("extra headers " + ", ".join(connection["extra_headers"]))
    if connection.get("ca_bundle"):
        parts.append(f"TLS verified with {connection['ca_bundle']}")
    return "; ".join(parts)


def requests_text(requests: dict[str, int]) -> str:
    """``2,310 requests, 96 of them positive controls (4.2%)`` (``""`` when the run did not count)."""
    total = int(requests.get("total", 0))
    if not total:
        return ""
    controls = int(requests.get("controls", 0))
    return f"{total:,} requests, {controls:,} of them positive controls ({100 * controls / total:.1f}%)"


def format_duration(seconds: float) -> str:
    """``0.42 s``, ``12.3 s`` or ``4 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def progress_text(completion: dict[str, Any]) -> str:
    """One sentence for every report: how the run ended and how far it got (``""`` when complete)."""
    if completion.get("state", "complete") == "complete":
        return ""
    where = f" during {completion['phase']}" if completion.get("phase") else ""
    done, total = completion.get("tests_done"), completion.get("tests_total")
    far = f" after {done} of {total} tests" if done is not None and total else ""
    state = str(completion["state"])
    how = {"deadline": "stopped by its deadline", "target-gone": "stopped: the target stopped answering"}
    cause = f" ({completion['reason']})" if state == "deadline" and completion.get("reason") else ""
    return (f"Run {how.get(state, state)}{cause}{where}{far}: INCOMPLETE, the evidence covers only "
            "what ran before it stopped.")


def coverage_text(ops: list[OperationCoverage]) -> str:
    """``71 of 80 fuzzed, required 71 of 80 (9 deselected by -k)`` for one host's rows (spec rows only);
    operations the mode does not require are named after ``; not required:``."""
    spec_rows = [o for o in ops if o.selection]
    if not spec_rows:  # a file before version 5 listed only what ran
        ran = sum(1 for o in ops if o.status != "not_run")
        return f"{ran} of {len(ops)} fuzzed"
    fuzzed = sum(1 for o in spec_rows if o.selection == "fuzzed")
    required = [o for o in spec_rows if o.required]
    req_fuzzed = sum(1 for o in required if o.selection == "fuzzed")
    gaps = _why_not_fuzzed(required)
    text = f"{fuzzed} of {len(spec_rows)} fuzzed, required {req_fuzzed} of {len(required)}"
    if gaps:
        text += f" ({gaps})"
    by_design = _why_not_fuzzed([o for o in spec_rows if not o.required])
    if by_design:  # listed, never silently dropped: e.g. publish-grade operations on a deployment
        text += f"; not required: {by_design}"
    return text


def _why_not_fuzzed(rows: list[OperationCoverage]) -> str:
    gaps: dict[str, int] = {}
    for o in rows:
        if o.selection != "fuzzed":
            why = f"deselected by {o.by}" if o.selection == "deselected" else o.selection.replace("_", " ")
            gaps[why] = gaps.get(why, 0) + 1
    return ", ".join(f"{n} {why}" for why, n in sorted(gaps.items()))


def unfuzzed_text(result: RunResult, *, names: int = 3) -> str:
    """Why the coverage blocks CERTIFIED (``""`` when it does not): the required operations not fuzzed,
    grouped by who deselected them or why they were not reached, with a few named."""
    missing = result.unfuzzed()
    if not missing:
        return ""
    groups: dict[str, list[OperationCoverage]] = {}
    for op in missing:
        why = f"deselected by {op.by}" if op.selection == "deselected" else op.selection.replace("_", " ")
        groups.setdefault(why, []).append(op)
    parts = []
    for why, ops in sorted(groups.items()):
        shown = ", ".join(f"{o.host} {o.operation}" for o in ops[:names])
        more = f", +{len(ops) - names} more" if len(ops) > names else ""
        parts.append(f"{len(ops)} {why} ({shown}{more}; {ops[0].reason})")
    count = len(missing)
    return f"{count} required operation{'s' * (count != 1)} not fuzzed: " + "; ".join(parts)


def edges_text(ops: list[OperationCoverage]) -> str:
    """``312 edge values over 61 operations (long_string 19, ...)`` for fuzzed rows; ``""`` when none."""
    total: dict[str, int] = {}
    touched = 0
    for op in ops:
        if op.edges:
            touched += 1
        for kind, n in op.edges.items():
            total[kind] = total.get(kind, 0) + n
    if not total:
        return ""
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(total.items()))
    return f"{sum(total.values())} edge values over {touched} operations ({kinds})"
