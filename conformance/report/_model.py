"""The results of one run: what ``results.json`` holds and every report is rendered from.

The engine fills a :class:`RunResult`; report writers only read it. ``to_dict``/``from_dict`` round-trip
exactly the shape of ``results.schema.json`` (shipped beside this module).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RuleStatus = Literal["passed", "failed", "partial", "not_run"]
Verdict = Literal["CERTIFIED", "NOT CERTIFIED", "INCOMPLETE"]
#: 2: rule status ``partial``, per-check judged counts (``RuleResult.checks``), run ``errors``.
#: 3: ``completion`` (how the run ended: complete | interrupted | crashed | deadline, and how far it got).
#: 4: per-operation fuzz ``answers`` by status class; a check's ``every`` threshold.
#: 5: the run ``plan`` (requests planned and sent per family, the estimated wall time, the budget's
#: scaling) and per-operation ``requests``.
#: 5: per finding ``confirmation`` (attempts, reproduced, statuses); a rule's ``flaky`` findings; the
#:    run's ``confirmation`` counts (confirmed, flaky, replays sent).
#: 5: ``requests`` (what the run sent, and how many were positive controls); a finding's per-rule
#: ``evidence`` line.
#: 5: every operation of both specs in ``operations`` (``selection``, ``by``, ``required``) and the
#:    deliberate ``edges`` sent per operation.
SCHEMA_VERSION = 5
#: How an operation of the specs fared in a run (``OperationCoverage.selection``).
SELECTIONS: tuple[str, ...] = ("fuzzed", "deselected", "unreachable", "not_run")
COMPLETION_STATES: tuple[str, ...] = ("complete", "interrupted", "crashed", "deadline")
STATUSES: tuple[str, ...] = ("passed", "failed", "partial", "not_run")


@dataclass
class CheckResult:
    """One required check of a rule on one host: how many operations were judged, and why not the rest."""

    check: str
    host: str
    applies: bool = True  # False: the run's mode (or selection) excludes it
    judged: int = 0
    failed: int = 0
    operations: int = 0  # operations probed or attempted
    unexercised: dict[str, int] = field(default_factory=dict)  # reason -> operations
    by_tests: bool = False  # judged by the rule's tests' outcome, not by recorded probes
    every: bool = False  # threshold "every": each operation attempted must be judged (fuzz SCH checks)


@dataclass
class RunError:
    """Something that went wrong in the run itself (not a finding about the API): it blocks CERTIFIED."""

    kind: str  # "test error" | "teardown error" | "internal error" | "unattributed failure"
    test: str
    message: str


@dataclass
class FindingRecord:
    """One observed violation, already redacted."""

    rule_id: str
    message: str
    expected: str = ""
    received: str = ""
    curl: str = ""
    request: str = ""
    response: str = ""
    test: str = ""  # pytest node id (or fuzz operation label) that observed it
    # The host the violating request went to ("main" | "cr"; "" when unknown). Fuzz findings also name
    # their operation ("GET /events/{eid}") so reports can attach them to it.
    host: str = ""
    operation: str = ""
    #: How it fared when sent again (``run.confirm``): ``{"attempts", "reproduced", "statuses", "flaky"[,
    #: "note"]}``; ``None`` when it was not replayed (a failure outside a probe, or a file before v5).
    confirmation: dict[str, Any] | None = None
    #: This rule's own one line of evidence (at most ``conformance.errors.EVIDENCE_LIMIT`` characters,
    #: built short so no other field's length limit cuts it); "" in files older than version 5.
    evidence: str = ""

    @property
    def flaky(self) -> bool:
        return bool(self.confirmation and self.confirmation.get("flaky"))


@dataclass
class RuleResult:
    id: str
    title: str
    level: str  # hierarchy level, from the catalogue (auth, partner, events, clusters, ...)
    severity: str
    required: bool
    status: RuleStatus
    reason: str = ""  # why not run, or a one-line failure summary
    tests: int = 0
    duration: float = 0.0
    findings: list[FindingRecord] = field(default_factory=list)
    # Set when a live waiver covers every finding of a failed rule: {reason, ticket, expires, source}
    # (conformance.report._waivers). The status stays "failed"; the exit code ignores the rule.
    waiver: dict[str, str] | None = None
    checks: list[CheckResult] = field(default_factory=list)
    #: Failures no replay reproduced: reported, not counted (a strict run counts them as findings).
    flaky: list[FindingRecord] = field(default_factory=list)

    @property
    def judged(self) -> tuple[int, int]:
        """``(judged, attempted)`` operations over the checks that apply."""
        due = [c for c in self.checks if c.applies]
        return sum(c.judged for c in due), sum(c.operations for c in due)


@dataclass
class OperationCoverage:
    host: str  # "main" | "cr"
    operation: str  # "GET /events/{eid}"
    cases: int = 0
    failures: int = 0
    status: RuleStatus = "not_run"
    duration: float = 0.0  # seconds spent fuzzing it (setup, cases and teardown of its tests)
    reason: str = ""  # why not run (mode, excluded, no persona ...)
    #: Fuzz answers by status class (``{"2xx": 41, "4xx": 12, "5xx": 0}``); empty for stateful rows.
    answers: dict[str, int] = field(default_factory=dict)
    requests: int = 0  # requests its tests sent (cases, 429 retries, auth probes, replays)
    phases: dict[str, int] = field(default_factory=dict)  # judged cases per Schemathesis phase
    #: fuzzed | deselected (``by`` says who) | unreachable (no such host) | not_run (collected, skipped);
    #: "" in files before version 5, which listed only what ran.
    selection: str = ""
    by: str = ""  # who deselected it: "-k", "-m", "--rules", "--shard", "--no-fuzz", "mode", "selection"
    #: The run's mode asks for it to be fuzzed: CERTIFIED needs every required operation fuzzed.
    required: bool = False
    #: Deliberate edge values sent, by kind (``{"long_string": 1, "boundary_number": 4}``).
    edges: dict[str, int] = field(default_factory=dict)


@dataclass
class RunResult:
    run_id: str
    suite_version: str
    started_at: str
    finished_at: str
    duration: float
    seed: int
    mode: str  # "read-only" | "write" | "publish"
    embedded: bool  # True when the target was the bundled reference
    targets: dict[str, str]  # {"main": ..., "cr": ..., "media": ...}
    spec_hashes: dict[str, str]  # {"main": sha256, "cr": sha256, "rules": sha256}
    # [{"name": "multi", "partner": "partner-id-acme, partner-id-beta"}]: every known partner; never secrets
    personas: list[dict[str, str]]
    defects: list[str] = field(default_factory=list)
    rules: list[RuleResult] = field(default_factory=list)
    operations: list[OperationCoverage] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)  # generated cases per fuzzing phase
    shard: str = ""  # "I/N" when this run is one shard of a matrix
    # How the targets were reached, when not plainly: {"extra_headers": [names], "ca_bundle": file name}
    connection: dict[str, Any] = field(default_factory=dict)
    # Every configured waiver with its state: applied | incomplete | expired | stale
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # "deployment" (fdconf run) or "integration" (fdconf integration run: the rules judged a partner's
    # integration on its recorded traffic; ``integration`` then holds the journey table, the sandbox
    # conditions and COMMAND's exit status).
    kind: str = "deployment"
    integration: dict[str, Any] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    #: How the run ended: ``{"state": "complete"}``, or for a run cut short ``{"state": "interrupted" |
    #: "crashed" | "deadline", "phase": ..., "reason": ..., "tests_done": n, "tests_total": n}``.
    completion: dict[str, Any] = field(default_factory=lambda: {"state": "complete"})
    # The suite's rate budget and what it cost: {"budget": "reads=600,writes=120,auth=10" | "off",
    # "throttled": 429s met, "retries": retries after one, "backoff_seconds", "paced_seconds",
    # "unjudged_cases": fuzz cases and "unexercised_probes": probes that stayed 429}; empty when there
    # was no budget and no 429.
    rate: dict[str, Any] = field(default_factory=dict)
    # One line per unusual part of the target's layout (e.g. a main not ending in /v3); never blocking.
    warnings: list[str] = field(default_factory=list)
    # The run plan printed before the first request and what the run then sent (conformance.harness.plan):
    # {"families": {family: {"planned": n, "sent": n}}, "requests": {...}, "estimate_seconds": s,
    #  "budget_seconds": s | None, "scale": {...}, "tolerance": share}; empty for a plain pytest run.
    plan: dict[str, Any] = field(default_factory=dict)
    #: Failures confirmed before they counted: {"replays": run.confirm, "strict": bool, "confirmed": n,
    #: "flaky": n, "unconfirmed": n (counted without a judged replay), "replays_sent": requests}.
    confirmation: dict[str, Any] = field(default_factory=dict)
    #: What the test session sent: ``{"total": requests (every attempt, xdist workers' included),
    #: "controls": positive controls among them}``; empty in files older than version 5.
    requests: dict[str, int] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def complete(self) -> bool:
        """False when the run was cut short (interrupt, crash, deadline): its verdict is INCOMPLETE."""
        return bool(self.completion.get("state", "complete") == "complete")

    @property
    def verdict(self) -> Verdict:
        """CERTIFIED only when every required rule passed (partial and not run block it) and the run
        itself had no errors; INCOMPLETE whenever the run was cut short, whatever ran before."""
        if not self.complete:
            return "INCOMPLETE"
        required = [r for r in self.rules if r.required]
        ok = bool(required) and all(r.status == "passed" for r in required) and not self.errors
        ok = ok and not self.unfuzzed()
        return "CERTIFIED" if ok else "NOT CERTIFIED"

    def unfuzzed(self) -> list[OperationCoverage]:
        """Operations the run's mode requires fuzzed that were not (deselected, unreachable, skipped).

        Fuzzing is the SCH rules' evidence: a run that judges no SCH rule (``--rules TEN``, a plugin run
        of one's own scenario tests) requires no operation fuzzed (Decision 58)."""
        if not any(rule.id.startswith("SCH-") for rule in self.rules):
            return []
        return [o for o in self.operations if o.required and o.selection not in ("", "fuzzed")]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for rule in self.rules:
            out[rule.status] = out.get(rule.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        data["summary"] = self.counts()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        data = dict(data)
        data.pop("verdict", None)
        data.pop("summary", None)
        rules = [
            RuleResult(**{
                **r,
                "findings": [FindingRecord(**f) for f in r.get("findings", [])],
                "flaky": [FindingRecord(**f) for f in r.get("flaky", [])],
                "checks": [CheckResult(**c) for c in r.get("checks", [])],
            })
            for r in data.pop("rules", [])
        ]
        operations = [OperationCoverage(**o) for o in data.pop("operations", [])]
        errors = [RunError(**e) for e in data.pop("errors", [])]
        # Version 1 files (no checks, no partial, no errors) load as they were, for `fdconf diff`.
        return cls(**data, rules=rules, operations=operations, errors=errors)
