"""Judges a recording with the INT rules and builds the run's :class:`RunResult` (``kind: integration``).

Evidence model (as for deployment rules): a rule passes only when every check it is made of was
exercised by the journey and none saw a violation; failed as soon as one check saw one; *partial*
when some checks were exercised and none failed; *not run* when none was exercised.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from conformance import __version__
from conformance.errors import evidence_line
from conformance.integration import checks_session, checks_traffic, checks_wave  # noqa: F401 - registers checks
from conformance.integration.catalogue import IntegrationRule, integration_catalogue
from conformance.integration.evidence import CHECKS, Outcome, Violation
from conformance.integration.journey import journey_table
from conformance.integration.recording import Journey
from conformance.report import FindingRecord, RuleResult, RuleStatus, RunResult
from conformance.resources import cr_spec, main_spec, rules_file

MAX_FINDINGS_PER_CHECK = 20


def _finding(rule_id: str, check_id: str, v: Violation) -> FindingRecord:
    e = v.exchange
    return FindingRecord(
        rule_id=rule_id,
        message=f"{v.message} [{check_id}]",
        evidence=evidence_line(v.message),
        expected=v.expected,
        received=v.received,
        request=e.describe() if e else "",
        test=f"integration::{check_id}",
        host=str(e.raw.get("host", "")) if e else "",
        operation=e.op.label if e and e.op else "",
    )


def judge_rule(rule: IntegrationRule, journey: Journey) -> RuleResult:
    """One rule's result from its checks' outcomes."""
    outcomes: dict[str, Outcome] = {}
    for spec in rule.checks:
        if spec.id not in CHECKS:
            raise KeyError(f"rule {rule.id} names check {spec.id!r}, which is not registered")
        outcomes[spec.id] = CHECKS[spec.id](journey)
    findings = [
        _finding(rule.id, cid, v)
        for cid, o in outcomes.items()
        for v in o.violations[:MAX_FINDINGS_PER_CHECK]
    ]
    exercised = [cid for cid, o in outcomes.items() if o.exercised]
    missing = [cid for cid in outcomes if cid not in exercised]
    warnings = sorted({w for o in outcomes.values() for w in o.warnings})
    status: RuleStatus
    if findings:
        status, reason = "failed", f"{len(findings)} violation(s): {findings[0].message}"
    elif not exercised:
        status, reason = "not_run", f"the journey never exercised {', '.join(missing)}"
    elif missing:
        status, reason = "partial", f"exercised {', '.join(exercised)}; never exercised {', '.join(missing)}"
    else:
        status, reason = "passed", ""
    if warnings:
        reason = "; ".join(filter(None, [reason, "warning: " + "; ".join(warnings)]))
    return RuleResult(
        id=rule.id,
        title=rule.title,
        level=rule.level,
        severity=rule.severity,
        required=rule.required,
        status=status,
        reason=reason,
        tests=sum(o.evidence for o in outcomes.values()),
        findings=findings,
    )


def judge(journey: Journey) -> list[RuleResult]:
    return [judge_rule(rule, journey) for rule in integration_catalogue().values()]


def _sha(path: Any) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_result(
    journey: Journey,
    *,
    targets: dict[str, str],
    started_at: str,
    duration: float,
    seed: int,
    command: dict[str, Any],
) -> RunResult:
    """The :class:`RunResult` of an integration run (same writers as a deployment run)."""
    return RunResult(
        run_id=f"int-{uuid.uuid4().hex[:12]}",
        suite_version=__version__,
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration=round(max(duration, 0.0), 3),
        seed=seed,
        mode="publish",
        embedded=True,
        targets=targets,
        spec_hashes={"main": _sha(main_spec()), "cr": _sha(cr_spec()), "rules": _sha(rules_file())},
        personas=[{"name": "integration", "partner": journey.partner_id}],
        rules=judge(journey),
        kind="integration",
        integration={
            "journey": journey_table(journey),
            "conditions": journey.meta.get("conditions", {}),
            "command": command,
            "requests": len(journey.exchanges),
        },
    )
