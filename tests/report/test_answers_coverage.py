"""Per-operation fuzz answers (2xx / 4xx / 5xx) in the certificate, the summary and results.json."""

from __future__ import annotations

from conformance.report import RunResult
from conformance.report._certificate import render_certificate
from conformance.report._load import schema_errors
from conformance.report._markdown import render_markdown

from .builders import sample_result


def _with_answers() -> RunResult:
    result = sample_result()
    for op in result.operations:
        op.answers = {"2xx": 0, "4xx": 7, "5xx": 0} if op.host == "cr" else {"2xx": 5, "4xx": 2, "5xx": 1}
    return result


def test_results_json_carries_the_answers_and_stays_schema_valid() -> None:
    data = _with_answers().to_dict()
    assert schema_errors(data) == []
    assert all(set(op["answers"]) == {"2xx", "4xx", "5xx"} for op in data["operations"])
    assert RunResult.from_dict(data).operations[0].answers == data["operations"][0]["answers"]
    data["operations"][0]["answers"] = {"ok": 1}
    assert schema_errors(data)


def test_reports_count_the_operations_that_answered_2xx() -> None:
    result = _with_answers()
    main = [o for o in result.operations if o.host == "main"]
    cr = [o for o in result.operations if o.host == "cr"]
    markdown = render_markdown(result)
    assert f"| {len(main)} / {len(main)} |" in markdown  # every main operation answered 2xx
    assert f"| 0 / {len(cr)} |" in markdown  # no cr operation did
    html = render_certificate(result, "0" * 64)
    assert f"{len(main)} of {len(main)} answered 2xx" in html
    assert '<td class="num bad">0</td>' in html  # a cr operation that never answered 2xx is marked
