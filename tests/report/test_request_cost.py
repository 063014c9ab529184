"""What a run sent and what its positive controls cost: results.json ``requests``, the summaries, merge."""

from __future__ import annotations

from conformance.report import RunResult, merge_results
from conformance.report._grouping import requests_text
from conformance.report._load import schema_errors
from conformance.report._markdown import render_markdown
from tests.report.builders import all_passed, sample_result


def test_requests_are_schema_valid_round_trip_and_old_files_load_without_them() -> None:
    result = all_passed()
    result.requests = {"total": 2310, "controls": 96}
    data = result.to_dict()
    assert schema_errors(data) == []
    assert RunResult.from_dict(data).requests == {"total": 2310, "controls": 96}
    assert schema_errors({**data, "requests": {"total": 1, "bogus": 1}}) != []
    old = {k: v for k, v in data.items() if k != "requests"}
    assert RunResult.from_dict({**old, "schema_version": 4}).requests == {}


def test_the_summary_says_what_controls_cost() -> None:
    assert requests_text({"total": 2310, "controls": 96}) == (
        "2,310 requests, 96 of them positive controls (4.2%)")
    assert requests_text({}) == ""
    result = all_passed()
    assert "positive controls" not in render_markdown(result)
    result.requests = {"total": 800, "controls": 8}
    assert "Sent: 800 requests, 8 of them positive controls (1.0%)" in render_markdown(result)


def test_merged_shards_sum_their_requests() -> None:
    one, two = sample_result(run_id="shard-1"), sample_result(run_id="shard-2")
    one.shard, two.shard = "1/2", "2/2"
    one.requests, two.requests = {"total": 100, "controls": 4}, {"total": 50, "controls": 1}
    assert merge_results([one, two]).requests == {"total": 150, "controls": 5}
