"""The INT rules judged on a recorded journey: the example's good journey passes everything; a journey
starved of what a rule judges leaves that rule not run (never passed); a half-exercised rule is partial.

``data/good_recording.json`` is a recording of ``examples/integration/drive.py`` in the sandbox
(``--faults tokens=8``), saved by ``fdconf integration run``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.integration.catalogue import integration_catalogue
from conformance.integration.evidence import CHECKS
from conformance.integration.judge import judge
from conformance.integration.recording import journey_from

DATA = Path(__file__).parent / "data" / "good_recording.json"
Exchange = dict[str, Any]


def good() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {r.id: r.status for r in judge(journey_from(document))}


def keep(document: dict[str, Any], predicate: Callable[[Exchange], bool]) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["exchanges"] = [e for e in out["exchanges"] if predicate(e)]
    return out


def is_auth(e: Exchange) -> bool:
    return e["path"] in ("/api/v3/auth", "/api/v3/auth/refresh_token")


def before_first_expiry(e: Exchange) -> bool:
    return e["start"] < 6.0 and e["path"] != "/api/v3/auth/refresh_token"


# rule -> a journey that never exercises it (built from the good one)
STARVED: dict[str, Callable[[Exchange], bool]] = {
    "INT-01": is_auth,  # only sign-in/refresh: no authenticated call
    "INT-02": is_auth,
    "INT-03": lambda e: not is_auth(e),  # resumed with a token from elsewhere: no sign-in, no refresh
    "INT-04": before_first_expiry,  # over before the first token ran out
    "INT-05": lambda e: False,  # every request is an operation of some surface
    "INT-06": lambda e: False,
    "INT-07": lambda e: e["path"] == "/api/v3/auth",  # no authenticated call, no error, no poll
    "INT-08": lambda e: "/setup_processes/" not in e["path"] or e["method"] == "GET",
    "INT-09": lambda e: not ("/setup_processes/" in e["path"] and e["method"] in ("PUT", "POST")),
}


def test_the_good_journey_passes_every_rule() -> None:
    assert statuses(good()) == dict.fromkeys(integration_catalogue(), "passed")


def test_every_rule_has_a_starvation_case_and_every_check_is_registered() -> None:
    assert set(STARVED) == set(integration_catalogue())
    named = {c.id for r in integration_catalogue().values() for c in r.checks}
    assert named == set(CHECKS)


@pytest.mark.parametrize("rule_id", sorted(STARVED))
def test_a_journey_that_never_exercises_a_rule_leaves_it_not_run(rule_id: str) -> None:
    got = statuses(keep(good(), STARVED[rule_id]))
    assert got[rule_id] == "not_run"
    assert "failed" not in {s for r, s in got.items() if r == rule_id}


def test_a_half_exercised_rule_is_partial_not_passed() -> None:
    no_media = keep(good(), lambda e: e["path"] != "/api/media")
    got = {r.id: r for r in judge(journey_from(no_media))}
    assert got["INT-05"].status == "partial"
    assert "media-unversioned" in got["INT-05"].reason


def _edit(
    document: dict[str, Any], path_end: str, method: str, change: Callable[[Exchange], None]
) -> dict[str, Any]:
    out = copy.deepcopy(document)
    hit = [e for e in out["exchanges"] if e["path"].endswith(path_end) and e["method"] == method]
    assert hit, f"no {method} …{path_end} in the recording"
    change(hit[0])
    return out


@pytest.mark.parametrize(
    ("rule_id", "path_end", "method", "change"),
    [
        ("INT-01", "/partners/", "GET", lambda e: e.update(token_kind="IdToken")),
        ("INT-02", "/partners/", "GET", lambda e: e.update(partner="partner-id-beta")),
        ("INT-02", "/partners/", "GET", lambda e: e.update(partner=None)),
        ("INT-04", "/auth/refresh_token", "POST", lambda e: e["body"].update(token_fp="000000000000")),
        ("INT-05", "/media", "POST", lambda e: e.update(path="/api/v3/media")),
        ("INT-06", "/events/", "GET", lambda e: e.update(query="city%5B%5D=K%C3%B6ln")),
        ("INT-06", "/events/", "GET", lambda e: e.update(path="/api/v3/eventz/")),
        ("INT-08", "/setup_processes/evt_acme_004", "PUT", lambda e: e["body"].update(runs=[5, 3007])),
    ],
)
def test_a_violation_fails_exactly_its_rule(
    rule_id: str, path_end: str, method: str, change: Callable[[Exchange], None]
) -> None:
    got = statuses(_edit(good(), path_end, method, change))
    assert {r for r, s in got.items() if s == "failed"} == {rule_id}


def test_a_retry_without_waiting_fails_the_backoff_rule() -> None:
    doc = good()
    failed = next(e for e in doc["exchanges"] if e["status"] in (429, 503))
    retry = next(
        e
        for e in doc["exchanges"]
        if e["seq"] > failed["seq"] and e["path"] == failed["path"] and e["method"] == failed["method"]
    )
    retry["start"] = failed["end"] + 0.01
    got = statuses(doc)
    assert {r for r, s in got.items() if s == "failed"} == {"INT-07"}


def test_a_deprecated_operation_warns_without_failing() -> None:
    doc = good()
    extra = copy.deepcopy(next(e for e in doc["exchanges"] if e["path"] == "/api/v3/events/"))
    extra.update(path="/api/v3/events", path_decoded="/api/v3/events", query="", seq=999)
    doc["exchanges"].append(extra)
    got = {r.id: r for r in judge(journey_from(doc))}
    assert got["INT-06"].status == "passed"
    assert "deprecated operation GET /events" in got["INT-06"].reason


def _by_seq(doc: dict[str, Any], seq: int) -> Exchange:
    return next(e for e in doc["exchanges"] if e["seq"] == seq)


def _copy_of(doc: dict[str, Any], seq: int, **changes: Any) -> Exchange:
    """A copy of exchange ``seq``, appended to the recording with ``changes`` applied."""
    extra = copy.deepcopy(_by_seq(doc, seq))
    extra.update(seq=1000 + len(doc["exchanges"]), **changes)
    if "start" in changes and "end" not in changes:
        extra["end"] = changes["start"] + 0.001
    doc["exchanges"].append(extra)
    return extra


def _signed_in_again(doc: dict[str, Any]) -> None:
    _copy_of(doc, 1, start=5.1)


def _auth_budget_429(doc: dict[str, Any]) -> None:
    _copy_of(
        doc, 25, start=2.0, status=429, fault="budget", response={"message": "error.rate_limit.exceeded"}
    )


def _expired_bearer(doc: dict[str, Any]) -> None:
    _by_seq(doc, 26).update(status=401, fault="expired", response={"message": "error.auth.token_expired"})


def _reactive_refresh(doc: dict[str, Any]) -> None:
    _by_seq(doc, 24).update(status=401, response={"message": "error.auth.token_expired"})


def _refresh_burst(doc: dict[str, Any]) -> None:
    _copy_of(doc, 25, start=8.56)


def _seven_attempts(doc: dict[str, Any]) -> None:
    for n in range(6):
        _copy_of(doc, 9, start=0.5 + 0.6 * n)


def _retried_404(doc: dict[str, Any]) -> None:
    _copy_of(doc, 5, start=_by_seq(doc, 5)["end"] + 0.0005)


def _fast_poll(doc: dict[str, Any]) -> None:
    _copy_of(doc, 19, start=5.015)


def _over_budget(doc: dict[str, Any]) -> None:
    _copy_of(
        doc, 3, start=0.435, status=429, fault="budget", response={"message": "error.rate_limit.exceeded"}
    )


def _invented_run(doc: dict[str, Any]) -> None:
    for seq in (13, 14):
        _by_seq(doc, seq)["body"]["runs"] = [9999]


def _switched_run(doc: dict[str, Any]) -> None:
    _by_seq(doc, 14)["body"]["runs"] = [5]  # the run the first clusters read showed


def _autosave_before_create(doc: dict[str, Any]) -> None:
    _by_seq(doc, 14).update(start=4.475, end=4.476)


def _autosave_after_publish(doc: dict[str, Any]) -> None:
    _copy_of(doc, 14, start=5.005, status=409)


def _boosted_twice(doc: dict[str, Any]) -> None:
    _copy_of(doc, 18, start=5.006)


def _cr_operation_on_main(doc: dict[str, Any]) -> None:
    _copy_of(doc, 8, host="main", method="PUT", path="/api/v3/events/evt_acme_004", status=405)


def _main_operation_on_cr(doc: dict[str, Any]) -> None:
    _by_seq(doc, 7).update(host="cr", path="/api/events/evt_acme_004/clusters")


@pytest.mark.parametrize(
    ("rule_id", "mutate"),
    [
        ("INT-03", _signed_in_again),
        ("INT-03", _auth_budget_429),
        ("INT-04", _expired_bearer),
        ("INT-04", _reactive_refresh),
        ("INT-04", _refresh_burst),
        ("INT-05", _cr_operation_on_main),
        ("INT-05", _main_operation_on_cr),
        ("INT-07", _seven_attempts),
        ("INT-07", _retried_404),
        ("INT-07", _fast_poll),
        ("INT-07", _over_budget),
        ("INT-08", _invented_run),
        ("INT-08", _switched_run),
        ("INT-09", _autosave_before_create),
        ("INT-09", _autosave_after_publish),
        ("INT-09", _boosted_twice),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__.strip("_"),
)
def test_each_check_fails_exactly_its_rule(rule_id: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    doc = good()
    mutate(doc)
    got = statuses(doc)
    assert {r for r, s in got.items() if s == "failed"} == {rule_id}


def test_the_int_catalogue_is_well_formed_and_apart_from_the_deployment_rules() -> None:
    from conformance.rules import catalogue

    rules = integration_catalogue()
    assert list(rules) == [f"INT-0{n}" for n in range(1, 10)]
    checks = [c.id for r in rules.values() for c in r.checks]
    assert len(checks) == len(set(checks))  # a check belongs to one rule
    for rule in rules.values():
        assert all((rule.title, rule.rationale, rule.checks))
        assert rule.docs.startswith("https://dev-kit.pages.dev/")
    assert not set(rules) & set(catalogue())  # a deployment run's verdict never waits on INT rules
