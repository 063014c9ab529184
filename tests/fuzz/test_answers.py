"""What a fuzzed operation answered becomes its SCH probes; positive reads carry real ids."""

from __future__ import annotations

from functools import cache
from typing import Any

import schemathesis
import yaml

from conformance import resources
from conformance.fuzz.answers import AnswerProbe, Answers, answer_probes, status_class
from conformance.fuzz.objects import pin_real_objects
from conformance.rules import catalogue

RULES = catalogue()


def _answers(*statuses: int, negative: tuple[int, ...] = ()) -> Answers:
    out = Answers()
    for status in statuses:
        out.add(status, positive=True)
    for status in negative:
        out.add(status, positive=False)
    return out


def _by_check(probes: list[AnswerProbe]) -> dict[str, str]:
    return {check: outcome for _rule, check, outcome, _reason in probes}


def test_status_classes_and_the_coverage_dict() -> None:
    assert [status_class(s) for s in (200, 204, 404, 503, 0)] == ["2xx", "2xx", "4xx", "5xx", "5xx"]
    answers = _answers(200, 404, negative=(400, 200))
    assert answers.as_dict() == {"2xx": 2, "4xx": 2, "5xx": 0}
    assert (answers.positive_2xx, answers.negative, answers.negative_4xx) == (1, 2, 1)


def test_a_read_that_reached_objects_is_judged_on_every_check() -> None:
    probes = answer_probes("GET /events/{eid}/clusters", _answers(200, 404, negative=(400,)), RULES)
    assert _by_check(probes) == {
        "fuzz-no-5xx": "pass", "reached-no-5xx": "pass", "answers-conform": "pass",
        "success-conforms": "pass", "valid-accepted": "pass", "invalid-rejected": "pass",
    }


def test_a_read_that_never_answered_2xx_leaves_its_success_checks_unexercised() -> None:
    probes = answer_probes("GET /events/{eid}/clusters", _answers(404, 404, negative=(400,)), RULES)
    outcomes = _by_check(probes)
    assert outcomes["fuzz-no-5xx"] == outcomes["answers-conform"] == "pass"
    assert outcomes["success-conforms"] == outcomes["valid-accepted"] == "unexercised"
    assert outcomes["reached-no-5xx"] == "unexercised"
    reasons = {check: reason for _r, check, _o, reason in probes}
    assert reasons["success-conforms"] == "never answered 2xx"


def test_a_5xx_fails_sch_01_and_a_silent_operation_is_unexercised() -> None:
    assert _by_check(answer_probes("GET /events/", _answers(200, 500), RULES))["fuzz-no-5xx"] == "fail"
    assert _by_check(answer_probes("GET /events/", _answers(200, 500), RULES))["reached-no-5xx"] == "fail"
    silent = _by_check(answer_probes("GET /events/", Answers(), RULES))
    assert silent["fuzz-no-5xx"] == silent["answers-conform"] == "unexercised"


def test_writes_exemptions_and_unaddressable_reads_are_not_asked_to_succeed() -> None:
    write = _by_check(answer_probes("POST /campaigns_setup", _answers(400), RULES))
    assert "success-conforms" not in write
    assert "valid-accepted" not in write
    assert write["fuzz-no-5xx"] == "pass"
    exempt = _by_check(answer_probes("GET /events/{eid}/client_campaign_status/task", _answers(404), RULES))
    assert "success-conforms" not in exempt
    assert "fuzz-no-5xx" in exempt
    task = answer_probes("GET /tasks/{task_id}", _answers(404), RULES, addressable=False)
    assert "success-conforms" not in _by_check(task)
    # a 2xx it got anyway still counts
    lucky = answer_probes("GET /tasks/{task_id}", _answers(200), RULES, addressable=False)
    assert _by_check(lucky)["success-conforms"] == "pass"


PATHS = ("/campaigns/{eid}/{tc}/{tc_run_id}", "/tasks/{task_id}", "/events/{eid}/reset_campaigns_setup")


@cache
def _schema() -> Any:
    """The three operations of the bundled main spec these tests address, as a spec of their own."""
    spec = yaml.safe_load(resources.main_spec().read_text(encoding="utf-8"))
    spec["paths"] = {path: spec["paths"][path] for path in PATHS}
    return schemathesis.openapi.from_dict(spec)


def _case(path: str, method: str, **params: Any) -> Any:
    return _schema()[path][method].Case(path_parameters=params)


def test_positive_reads_carry_the_discovered_ids() -> None:
    values = {"eid": "evt_1", "tc": "fans", "tc_run_id": 41, "partner_id": "p-1"}
    case = _case("/campaigns/{eid}/{tc}/{tc_run_id}", "GET", eid="x", tc="y", tc_run_id=9)
    assert pin_real_objects(case, values)
    assert case.path_parameters == {"eid": "evt_1", "tc": "fans", "tc_run_id": 41}
    task = _case("/tasks/{task_id}", "GET", task_id="t")
    assert not pin_real_objects(task, values)  # no task id was discovered: not addressable
    write = _case("/events/{eid}/reset_campaigns_setup", "PUT", eid="x")
    assert not pin_real_objects(write, values)
    assert write.path_parameters == {"eid": "x"}  # writes keep theirs (the sandbox eid is pinned apart)
