"""The optional ``rate`` object of results.json: schema-valid, round-trips, shown in the summary line."""

from __future__ import annotations

from conformance.report import RunResult
from conformance.report._load import schema_errors
from conformance.report._terminal import rate_text
from tests.report.builders import all_passed

RATE = {"budget": "reads=600,writes=120,auth=10", "throttled": 3, "retries": 2,
        "backoff_seconds": 11.5, "paced_seconds": 4.25}


def test_rate_object_is_schema_valid_and_round_trips() -> None:
    result = all_passed()
    result.rate = dict(RATE)
    data = result.to_dict()
    assert schema_errors(data) == []
    assert RunResult.from_dict(data).rate == RATE
    assert schema_errors({**data, "rate": {**RATE, "bogus": 1}}) != []


def test_rate_text_names_every_counter() -> None:
    text = rate_text(RATE)
    assert "reads=600,writes=120,auth=10" in text
    assert "3 answered 429" in text
    assert "2 retried" in text
    assert "11.5 s backing off" in text
    assert "4.2 s paced" in text or "4.3 s paced" in text
