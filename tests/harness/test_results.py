"""Rule status from collected reports and probes: failed / passed / partial / not run, coverage, filters."""

from __future__ import annotations

from typing import Any

from conformance.config import Settings
from conformance.errors import Finding
from conformance.harness.evidence import from_exception, to_payload
from conformance.harness.results import Collector
from conformance.rules import catalogue

RULES = catalogue()


def collector(**kw: Any) -> Collector:
    settings = Settings(main="http://127.0.0.1:1/api/v3", seed=9, mode="read-only", **kw)
    return Collector(settings, RULES, wanted=kw.get("wanted"), run_id="r1")


def props(rules: tuple[str, ...], exc: BaseException | None = None, **extra: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("fd_rules", list(rules))]
    if exc is not None:
        out.append(("fd_findings", to_payload(from_exception(exc, "t", rules))))
    return out + list(extra.items())


def probes(rule_id: str, *, only: tuple[str, ...] = (), outcome: str = "pass") -> tuple[str, Any]:
    """An ``fd_probes`` property judging every check of ``rule_id`` (or ``only`` those) on its hosts."""
    rule = RULES[rule_id]
    return ("fd_probes", [
        {"rule_id": rule_id, "check": c.id, "host": host, "operation": "GET /x", "outcome": outcome,
         "reason": "" if outcome == "pass" else "why", "test": "t"}
        for c in rule.checks if not only or c.id in only for host in c.hosts
    ])


def status(result: Any, rule_id: str) -> tuple[str, str]:
    rule = next(r for r in result.rules if r.id == rule_id)
    return rule.status, rule.reason


def test_statuses() -> None:
    c = collector()
    c.add("a", "setup", "passed", user_properties=props(("TEN-05",)))
    c.add("a", "call", "passed", duration=0.5, user_properties=[*props(("TEN-05",)), probes("TEN-05")])
    c.add("b", "call", "failed", user_properties=props(("TEN-04",), Finding("TEN-04", "leak on page 2")))
    c.add("c", "call", "passed", user_properties=[*props(("TEN-04",)), probes("TEN-04")])
    c.add(
        "d",
        "setup",
        "skipped",
        user_properties=props(("OBJ-01",)),
        longrepr=("f", 1, "Skipped: not run: needs persona 'other' (x)"),
    )
    result = c.build()
    assert status(result, "TEN-05") == ("passed", "")
    assert status(result, "TEN-04") == ("failed", "leak on page 2")
    assert status(result, "OBJ-01") == ("not_run", "needs persona 'other' (x)")
    assert status(result, "ERR-01") == ("not_run", "no test gives evidence for this rule")
    ten04 = next(r for r in result.rules if r.id == "TEN-04")
    assert ten04.tests == 2
    assert [f.message for f in ten04.findings] == ["leak on page 2"]
    assert [r.id for r in result.rules] == list(RULES)
    assert (result.seed, result.mode, result.run_id, result.embedded) == (9, "read-only", "r1", False)
    assert c.errors == []


def test_a_rule_passes_only_on_judged_checks() -> None:
    c = collector()
    some = probes("TEN-05", only=("describes-scoped-partner",))
    c.add("a", "call", "passed", user_properties=[*props(("TEN-05",)), some])
    none = probes("OBJ-01", outcome="unexercised")
    c.add("b", "call", "passed", user_properties=[*props(("OBJ-01",)), none])
    c.add("c", "call", "passed", user_properties=props(("PAG-01",)))
    result = c.build()
    state, reason = status(result, "TEN-05")
    assert state == "partial"
    assert "TEN-05 multi-switch-partner: not exercised on main" in reason
    assert "describes-scoped-partner" not in reason
    rule = next(r for r in result.rules if r.id == "TEN-05")
    assert rule.judged == (1, 1)
    state, reason = status(result, "OBJ-01")
    assert state == "not_run"  # every probe unexercised: nothing judged
    assert reason == "OBJ-01 foreign-eid-404: 0 of 1 judged on main (why x1)"
    assert status(result, "PAG-01")[0] == "not_run"  # a passing test that recorded nothing is no evidence
    assert result.verdict == "NOT CERTIFIED"


def test_a_judged_probe_failure_fails_the_rule() -> None:
    c = collector()
    failing = probes("ERR-01", outcome="fail")
    c.add("a", "call", "passed", user_properties=[*props(("ERR-01",)), failing])
    assert status(c.build(), "ERR-01") == ("failed", "why")


def test_failure_on_another_rule_is_not_evidence() -> None:
    c = collector()
    c.add("a", "call", "failed", user_properties=props(("PAG-01",), Finding("ERR-01", "not json")))
    result = c.build()
    assert status(result, "ERR-01")[0] == "failed"
    state, reason = status(result, "PAG-01")
    assert state == "not_run"
    assert reason == "evidence incomplete: a failed on ERR-01"


def test_filtered_run_reports_only_selected_rules() -> None:
    c = collector(rules=("AUTH",))
    c.wanted = frozenset({"AUTH-01", "AUTH-02"})
    c.add("a", "call", "failed", user_properties=props(("AUTH-01",), Finding("AUTH-01", "[HST-02] cr: 200")))
    result = c.build()
    assert status(result, "AUTH-01")[0] == "failed"
    assert status(result, "HST-02") == ("not_run", "not selected (--rules)")


def test_untagged_errors_and_teardown_errors() -> None:
    c = collector()
    c.add("a", "call", "failed", user_properties=props(()), longreprtext="AssertionError: x")
    c.add("b", "call", "passed", user_properties=[*props(("TEN-05",)), probes("TEN-05")])
    c.add("b", "teardown", "failed", user_properties=props(("TEN-05",)), longreprtext="cleanup broke")
    result = c.build()
    assert status(result, "TEN-05")[0] == "passed"
    assert len(c.errors) == 2
    kinds = [(e.kind, e.test) for e in result.errors]
    assert kinds == [("unattributed failure", "a"), ("teardown error", "b")]
    assert result.verdict == "NOT CERTIFIED"  # run errors block it even if every rule passed


def test_operation_coverage_and_cases() -> None:
    c = collector()
    for nodeid, op, outcome in (
        ("f1", "main GET /events/", "passed"),
        ("f2", "cr PUT /events/{eid}", "failed"),
        ("f3", "main GET /events/", "passed"),
    ):
        c.add(
            nodeid,
            "call",
            outcome,
            user_properties=[
                ("fd_rules", ["SCH-01"]),
                ("fd_operation", op),
                ("fd_cases", 5),
                ("fd_phases", {"fuzzing": 4, "coverage": 1}),
            ],
        )
    result = c.build()
    ops = {(o.host, o.operation): o for o in result.operations}
    assert ops[("main", "GET /events/")].cases == 10
    assert ops[("main", "GET /events/")].status == "passed"
    assert ops[("cr", "PUT /events/{eid}")].status == "failed"
    assert ops[("cr", "PUT /events/{eid}")].failures == 1
    assert result.cases == {"fuzzing": 12, "coverage": 3}


def test_shard_and_no_fuzz_reasons() -> None:
    result = collector(shard=(2, 3)).build()
    assert status(result, "ERR-01")[1] == "no test of this rule in shard 2/3"
    assert result.shard == "2/3"
    assert status(collector(fuzz=False).build(), "SCH-01")[1] == "fuzzing is off (--no-fuzz)"


def test_fuzz_time_and_finding_location_reach_the_operation() -> None:
    c = collector(cr="http://127.0.0.1:2/api")
    fuzz = [("fd_rules", ["SCH-02"]), ("fd_operation", "cr PUT /events/{eid}"), ("fd_cases", 3)]
    c.add("f", "setup", "passed", duration=0.25, user_properties=fuzz)
    # a failure the worker could not turn into records: recovered from the text on the controller
    text = (
        "E   conformance.errors.Finding: [SCH-02] cr PUT /events/{eid}: ST202 rejected\n"
        "E     reproduce: curl -X PUT -H 'Authorization: [Filtered]' 'http://127.0.0.1:2/api/events/e1'\n"
    )
    c.add("f", "call", "failed", duration=1.5, user_properties=fuzz, longreprtext=text)
    c.add("f", "teardown", "passed", duration=0.25, user_properties=fuzz)
    result = c.build()
    (op,) = [o for o in result.operations if o.selection == "fuzzed"]
    assert (op.host, op.operation, op.duration) == ("cr", "PUT /events/{eid}", 2.0)
    (finding,) = next(r for r in result.rules if r.id == "SCH-02").findings
    assert (finding.host, finding.operation) == ("cr", "PUT /events/{eid}")
    assert '-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"' in finding.curl
    assert finding.curl.endswith("AccessToken of persona primary")


def test_scenario_findings_carry_the_host_of_their_request() -> None:
    c = collector(cr="http://127.0.0.1:2/api", media="http://127.0.0.1:1/api")
    on_cr = Finding("TEN-04", "leak", curl="curl -sS -X GET 'http://127.0.0.1:2/api/events/'")
    on_media = Finding("TEN-04", "leak", curl="curl -sS -X POST 'http://127.0.0.1:1/api/media'")
    on_main = Finding("TEN-04", "leak", request="GET http://127.0.0.1:1/api/v3/events/\n")
    for nodeid, finding in (("a", on_cr), ("b", on_media), ("c", on_main)):
        records = from_exception(finding, nodeid, ("TEN-04",))
        c.add(nodeid, "call", "failed", user_properties=[("fd_rules", ["TEN-04"]),
                                                          ("fd_findings", to_payload(records))])
    findings = next(r for r in c.build().rules if r.id == "TEN-04").findings
    assert [(f.test, f.host, f.operation) for f in findings] == [("a", "cr", ""), ("b", "main", ""),
                                                                 ("c", "main", "")]


def test_personas_show_every_known_partner() -> None:
    from conformance.config import PersonaSettings

    personas = {
        "multi": PersonaSettings(username="carol", password="pw-carol-1"),
        "primary": PersonaSettings(username="alice", password="pw-alice-1", partner="partner-id-acme"),
        "other": PersonaSettings(username="bob", password="pw-bob-1"),
    }
    settings = Settings(main="http://127.0.0.1:1/api/v3", personas=personas).with_partners(
        {"multi": ["partner-id-beta", "partner-id-acme"], "nobody": ["x"]}
    )
    result = Collector(settings, RULES).build()
    assert result.personas == [
        {"name": "multi", "partner": "partner-id-acme, partner-id-beta"},
        {"name": "primary", "partner": "partner-id-acme"},
        {"name": "other", "partner": ""},
    ]
    assert Settings.from_json(settings.to_json()) == settings  # xdist workers see the same


def test_fuzz_answers_reach_the_coverage_and_sch_is_judged_per_operation() -> None:
    c = collector()
    answered = [
        {"rule_id": "SCH-02", "check": check, "host": "main", "operation": op, "outcome": outcome,
         "reason": "" if outcome == "pass" else "never answered 2xx", "test": "t"}
        for op, outcome in (("GET /events/", "pass"), ("GET /events/{eid}", "unexercised"))
        for check in ("answers-conform", "success-conforms")
        if not (check == "answers-conform" and outcome != "pass")
    ]
    c.add("f1", "call", "passed", user_properties=[
        ("fd_rules", ["SCH-02"]), ("fd_operation", "main GET /events/"), ("fd_cases", 4),
        ("fd_answers", {"2xx": 3, "4xx": 1, "5xx": 0}), ("fd_probes", answered),
    ])
    result = c.build()
    ops = {(o.host, o.operation): o for o in result.operations}
    assert ops[("main", "GET /events/")].answers == {"2xx": 3, "4xx": 1, "5xx": 0}
    rule = next(r for r in result.rules if r.id == "SCH-02")
    # the fuzz test passed, but one read never answered 2xx and the CR host was never fuzzed
    assert rule.status == "partial"
    assert "success-conforms: 1 of 2 judged on main (never answered 2xx x1)" in rule.reason
    assert "not exercised on cr" in rule.reason


def test_positive_controls_are_summed_over_reports() -> None:
    """Each report (any worker's) carries the controls its phase sent; the collector adds them up."""
    c = collector()
    c.add("t1", "setup", "passed", user_properties=[("fd_rules", ["OBJ-01"]), ("fd_controls", 3)])
    c.add("t1", "call", "passed", user_properties=[("fd_rules", ["OBJ-01"]), ("fd_controls", 2)])
    c.add("t2", "call", "passed", user_properties=[("fd_rules", ["OBJ-04"])])
    assert c.controls == 5
