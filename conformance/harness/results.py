"""Collecting test reports into a :class:`RunResult` (on the controller, also under pytest-xdist).

Everything a report needs travels in ``report.user_properties`` (set where the test ran):
``fd_rules`` (rule ids the test gives evidence for), ``fd_unmet`` (rule id → why it could not),
``fd_findings`` (redacted finding dicts), and for fuzz items ``fd_operation`` (``"HOST METHOD path"``),
``fd_cases`` and optionally ``fd_phases`` (phase → cases), ``fd_answers`` (status class → answers),
``fd_edges`` (edge kind → deliberate edge values sent) and ``fd_throttled`` (cases answered 429
after the retries, not judged). The coverage lists every operation of both specs
(:mod:`conformance.harness.coverage`).

Probes of the ledger arrive as ``fd_probes``, the positive controls a phase sent as ``fd_controls``
(:mod:`conformance.harness.ledger`). Rule status
(:func:`conformance.report.judge`): *failed* if any finding or judged probe fails it; *passed*
when every check of the catalogue that applies has a judged probe on every host it applies to;
*partial* when only some have; *not run* when nothing was judged, with the reasons. Run errors
(test, teardown errors, failures no rule carries) are part of the result and block CERTIFIED.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.config import Settings
from conformance.harness.coverage import PytestFilter, against_specs
from conformance.harness.evidence import from_payload, from_text, locate, skip_reason
from conformance.harness.layout import layout_warnings
from conformance.harness.ledger import CONTROLS_PROPERTY, FLAKY_PROPERTY, PROBES_PROPERTY, probes_from
from conformance.harness.spending import add_spent
from conformance.redact import REDACTOR
from conformance.report import (
    CheckResult,
    FindingRecord,
    OperationCoverage,
    Probe,
    RuleResult,
    RunError,
    RunResult,
    judge,
)
from conformance.resources import cr_spec, main_spec, rules_file
from conformance.rules import Rule


@dataclass
class TestRecord:
    """What one test (node id) contributed."""

    nodeid: str
    rules: tuple[str, ...] = ()
    unmet: dict[str, str] = field(default_factory=dict)
    outcome: str = "not_run"  # passed | failed | skipped | not_run
    skip: str = ""
    duration: float = 0.0
    findings: list[FindingRecord] = field(default_factory=list)
    operation: str = ""
    cases: int = 0
    phases: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    throttled: int = 0  # fuzz cases answered 429 after the retries (not judged, not in ``cases``)
    requests: int = 0  # requests its phases sent (``fd_sent``, see :mod:`conformance.harness.spending`)
    flaky: list[FindingRecord] = field(default_factory=list)  # failures no replay reproduced
    edges: dict[str, int] = field(default_factory=dict)  # deliberate edge values sent, by kind


def spec_hashes() -> dict[str, str]:
    """sha256 of each bundled spec and of the rule catalogue (files that exist)."""
    out: dict[str, str] = {}
    for name, where in (("main", main_spec), ("cr", cr_spec), ("rules", rules_file)):
        try:
            out[name] = hashlib.sha256(Path(where()).read_bytes()).hexdigest()
        except (OSError, FileNotFoundError):
            continue
    return out


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connection_of(settings: Settings) -> dict[str, Any]:
    """What a reader of the certificate should know about how the targets were reached (no secrets)."""
    out: dict[str, Any] = {}
    if settings.headers:
        out["extra_headers"] = sorted(settings.headers)
    if settings.ca_bundle:
        out["ca_bundle"] = Path(settings.ca_bundle).name
    return out


class Collector:
    """Accumulates reports; :meth:`build` turns them into the run's :class:`RunResult`."""

    def __init__(self, settings: Settings, rules: Mapping[str, Rule], *,
                 wanted: frozenset[str] | None = None, run_id: str = "") -> None:
        self.settings = settings
        self.rules = rules
        self.wanted = wanted
        self.run_id = run_id
        self.started_at = utc_now()
        self.records: dict[str, TestRecord] = {}
        self.errors: list[str] = []  # failures no catalogue rule can carry (suite or target trouble)
        self.run_errors: list[RunError] = []  # the same, structured, plus test errors (setup phase)
        #: pytest's own selection options (-k, -m, --deselect): who dropped fuzz tests the run never saw.
        self.pytest_filter = PytestFilter()
        #: Rules the summary speaks about (plus any with findings); ``None`` = the whole catalogue.
        self.scope: frozenset[str] | None = None
        self.spent: dict[str, Counter[str]] = {}  # plan family → budget kind → requests (harness.spending)
        self.controls = 0  # positive controls sent, summed over every report (xdist workers' too)

    def _error(self, kind: str, nodeid: str, text: str) -> None:
        last = (text.strip().splitlines() or [""])[-1][:300]
        self.run_errors.append(RunError(kind=kind, test=nodeid, message=REDACTOR.text(last)))

    # -- intake ------------------------------------------------------------------------------

    def add(self, nodeid: str, when: str, outcome: str, *, duration: float = 0.0,
            user_properties: Iterable[tuple[str, Any]] = (), longrepr: Any = None,
            longreprtext: str = "") -> None:
        props: dict[str, Any] = {}
        for key, value in user_properties:
            props[key] = value  # later entries win (the fuzz helper may update counts)
        record = self.records.setdefault(nodeid, TestRecord(nodeid))
        record.requests += add_spent(self.spent, user_properties)
        if "fd_rules" in props:
            record.rules = tuple(props["fd_rules"])
        if "fd_unmet" in props and isinstance(props["fd_unmet"], dict):
            record.unmet = {str(k): str(v) for k, v in props["fd_unmet"].items()}
        if "fd_operation" in props:
            record.operation = str(props["fd_operation"])
        if isinstance(props.get("fd_cases"), int):
            record.cases = max(record.cases, int(props["fd_cases"]))
        if isinstance(props.get("fd_throttled"), int):
            record.throttled = max(record.throttled, int(props["fd_throttled"]))
        if isinstance(props.get("fd_phases"), dict):
            record.phases = {str(k): int(v) for k, v in props["fd_phases"].items()}
        if isinstance(props.get("fd_edges"), dict):
            record.edges = {str(k): int(v) for k, v in props["fd_edges"].items()}
        if isinstance(props.get("fd_answers"), dict):
            record.answers = {str(k): int(v) for k, v in props["fd_answers"].items()}
        record.duration += duration
        record.probes.extend(probes_from(props.get(PROBES_PROPERTY)))
        flaky = [f for f in from_payload(props.get(FLAKY_PROPERTY)) if f.rule_id in self.rules]
        locate(flaky, targets=self.settings.targets, operation=record.operation)
        record.flaky.extend(f for f in flaky if self.wanted is None or f.rule_id in self.wanted)
        if isinstance(props.get(CONTROLS_PROPERTY), int):
            self.controls += int(props[CONTROLS_PROPERTY])
        findings = from_payload(props.get("fd_findings"))
        if outcome == "skipped" and record.outcome != "failed":
            record.outcome = "skipped"
            record.skip = skip_reason(longrepr)
        elif outcome == "failed":
            if not findings:
                # A teardown failure is the suite's or the target's trouble, evidence only when tagged.
                fallback = () if when == "teardown" else record.rules
                findings = from_text(longreprtext, nodeid, fallback, error=when != "call")
            if when == "teardown" and not any(f.rule_id in self.rules for f in findings):
                self.errors.append(f"{nodeid}: teardown error: {longreprtext.strip().splitlines()[-1:]}")
                self._error("teardown error", nodeid, longreprtext)
            else:
                record.outcome = "failed"
                if when == "setup":
                    self._error("test error", nodeid, longreprtext)
            locate(findings, targets=self.settings.targets, operation=record.operation)
            known = [f for f in findings if f.rule_id in self.rules]
            # A filtered run speaks only about the selected rules: evidence for others is not reported.
            record.findings.extend(f for f in known if self.wanted is None or f.rule_id in self.wanted)
            if not known and when != "teardown":
                self.errors.append(f"{nodeid}: failure attributable to no catalogue rule")
                self._error("unattributed failure", nodeid, longreprtext)
        elif outcome == "passed" and when == "call" and record.outcome == "not_run":
            record.outcome = "passed"

    # -- result ------------------------------------------------------------------------------

    def _not_run_reason(self, rule: Rule, related: list[TestRecord]) -> str:
        reasons: dict[str, None] = {}
        for record in related:
            if rule.id in record.unmet:
                reasons.setdefault(record.unmet[rule.id], None)
            elif record.outcome == "skipped":
                reasons.setdefault(record.skip, None)
            elif record.outcome == "failed":
                other = ", ".join(sorted({f.rule_id for f in record.findings} - {rule.id}))
                on = other or "a rule outside the selection"
                reasons.setdefault(f"evidence incomplete: {record.nodeid} failed on {on}", None)
        if reasons:
            return "; ".join(r.removeprefix("not run: ") for r in reasons)
        if self.wanted is not None and rule.id not in self.wanted:
            return "not selected (--rules)"
        if self.settings.shard:
            return f"no test of this rule in shard {self.settings.shard_label}"
        if rule.family == "SCH" and not self.settings.fuzz:
            return "fuzzing is off (--no-fuzz)"
        return "no test gives evidence for this rule"

    def rule_results(self) -> list[RuleResult]:
        out: list[RuleResult] = []
        # By node id, not by arrival: xdist workers (run.concurrency) report in any order, and a rule's
        # first finding is its reason line.
        records = sorted(self.records.values(), key=lambda r: r.nodeid)
        for rule in self.rules.values():
            related = [
                r for r in records
                if rule.id in r.rules or rule.id in r.unmet or any(f.rule_id == rule.id for f in r.findings)
            ]
            findings = [f for r in related for f in r.findings if f.rule_id == rule.id]
            flaky = [f for r in self.records.values() for f in r.flaky if f.rule_id == rule.id]
            if self.settings.strict:  # a strict run counts a flaky failure like a confirmed one
                findings, flaky = [*findings, *flaky], []
            if self.scope is not None and rule.id not in self.scope and not findings:
                continue
            ran = [r for r in related if rule.id in r.rules and r.outcome == "passed"]
            probes = [p for r in records for p in r.probes if p.rule_id == rule.id]
            selected = self.wanted is None or rule.id in self.wanted
            verdict = judge(rule, probes, mode=self.settings.mode, failed=bool(findings),
                            tests_passed=bool(ran), selected=selected)
            status, reason = verdict.status, verdict.reason
            if findings:
                first = findings[0].message.splitlines()
                reason = first[0][:200] if first else reason
            elif status == "not_run":
                # Tests that ran but judged nothing say which checks; otherwise the skip reasons.
                reason = reason if ran and reason else self._not_run_reason(rule, related)
            evidence = [r for r in related if r.outcome in ("passed", "failed")]
            out.append(RuleResult(
                id=rule.id, title=rule.title, level=rule.level, severity=rule.severity,
                required=rule.required, status=status,
                reason=reason, tests=len(evidence), duration=round(sum(r.duration for r in evidence), 3),
                findings=findings,
                checks=[CheckResult(**vars(t)) for t in verdict.tallies],
                flaky=flaky,
            ))
        return out

    def confirmation(self, rules: Iterable[RuleResult], replays_sent: int = 0) -> dict[str, Any]:
        """The run's confirmation counts (``RunResult.confirmation``)."""
        settings = self.settings
        findings = [f for r in rules for f in (*r.findings, *r.flaky)]
        flaky = sum(f.flaky for f in findings)
        confirmed = sum(bool(f.confirmation and f.confirmation.get("reproduced")) for f in findings)
        return {"replays": settings.confirm, "strict": settings.strict, "confirmed": confirmed,
                "flaky": flaky, "unconfirmed": len(findings) - flaky - confirmed,
                "replays_sent": replays_sent}

    def operations(self) -> list[OperationCoverage]:
        ops: dict[tuple[str, str], OperationCoverage] = {}
        for record in self.records.values():
            if not record.operation:
                continue
            host, _, operation = record.operation.partition(" ")
            cov = ops.setdefault((host, operation), OperationCoverage(host=host, operation=operation))
            cov.cases += record.cases
            cov.requests += record.requests
            for phase, count in record.phases.items():
                cov.phases[phase] = cov.phases.get(phase, 0) + count
            for cls, count in record.answers.items():
                cov.answers[cls] = cov.answers.get(cls, 0) + count
            for kind, count in record.edges.items():
                cov.edges[kind] = cov.edges.get(kind, 0) + count
            cov.duration = round(cov.duration + record.duration, 3)
            if record.outcome == "failed":
                cov.failures += 1
                cov.status = "failed"
            elif record.outcome == "passed" and cov.status != "failed":
                cov.status = "passed"
            elif record.outcome == "skipped" and cov.status == "not_run" and not cov.reason:
                cov.reason = record.skip.removeprefix("not run: ")
        return against_specs(ops.values(), self.settings, wanted=self.wanted,
                             pytest_filter=self.pytest_filter)

    def cases(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for record in self.records.values():
            for phase, count in record.phases.items():
                total[phase] = total.get(phase, 0) + count
        if not total:
            fuzzed = sum(r.cases for r in self.records.values())
            if fuzzed:
                total["fuzzing"] = fuzzed
        return total

    def build(self, *, personas: list[dict[str, str]] | None = None,
              duration: float | None = None) -> RunResult:
        finished = utc_now()
        start = datetime.fromisoformat(self.started_at)
        measured = (datetime.fromisoformat(finished) - start).total_seconds()
        elapsed = duration if duration is not None else measured
        settings = self.settings
        return RunResult(
            run_id=self.run_id or f"{self.started_at}-s{settings.seed}",
            suite_version=__version__,
            started_at=self.started_at,
            finished_at=finished,
            duration=round(max(elapsed, 0.0), 3),
            seed=settings.seed,
            mode=settings.mode,
            embedded=settings.embedded,
            targets=settings.targets,
            spec_hashes=spec_hashes(),
            personas=personas if personas is not None else settings.public_personas(),
            defects=list(settings.defects),
            rules=self.rule_results(),
            operations=self.operations(),
            cases=self.cases(),
            shard=settings.shard_label,
            connection=connection_of(settings),
            errors=list(self.run_errors),
            warnings=layout_warnings(settings),
        )
