"""``fdconf export-tests`` pieces: reading curl lines, what is exportable, the generated file's text.

The end-to-end proof (an exported file fails on the defect and passes on the clean reference) is in
``test_workflow_end_to_end.py``.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from conformance.report._model import FindingRecord
from conformance.report._regressions import (
    expected_statuses,
    export_tests,
    parse_curl,
    render_test,
    status_ok,
)
from report.builders import MAIN, sample_result, sch01_finding, ten03_finding

SUITE_LINE = (
    "curl -sS -X GET -H 'accept: application/json' -H \"Authorization: Bearer ${FD_ACCESS_TOKEN}\" "
    f"-H 'x-preferred-partner-id: partner-id-beta' '{MAIN}/events/?page=2&limit=5'"
    "  # FD_ACCESS_TOKEN: AccessToken of persona other"
)


def test_a_suite_curl_line_is_read_back() -> None:
    request = parse_curl(SUITE_LINE)
    assert request is not None
    assert (request.method, request.url, request.body) == ("GET", f"{MAIN}/events/?page=2&limit=5", None)
    assert request.headers == [("accept", "application/json"), ("Authorization", "Bearer ${FD_ACCESS_TOKEN}"),
                               ("x-preferred-partner-id", "partner-id-beta")]


def test_a_body_without_a_method_is_a_post_and_junk_is_none() -> None:
    request = parse_curl("curl -H 'Content-Type: application/json' -d '{\"a\": 1}' http://127.0.0.1:1/api/x")
    assert request is not None
    assert (request.method, request.body) == ("POST", '{"a": 1}')
    assert parse_curl("wget http://x") is None
    assert parse_curl("curl -X GET 'unterminated") is None
    assert parse_curl("curl -sS") is None


@pytest.mark.parametrize(
    ("rule", "expected", "statuses"),
    [
        ("TEN-03", "403 error.auth.not_authorized, no data", ("403",)),
        ("AUTH-01", "401 and no data", ("401",)),
        ("WAV-01", "409 or 400", ("409", "400")),
        ("HST-01", "404 (it lives only on the unversioned base)", ("404",)),
        ("OBJ-03", "2xx", ("2xx",)),
        ("SCH-01", "", ("<500",)),
        ("CID-02", "one campaign per (eid, tc, tc_run_id)", ()),
        ("TEN-05", "partner-id-acme", ()),
        ("PAG-01", "200.5 items", ()),
    ],
)
def test_expected_statuses(rule: str, expected: str, statuses: tuple[str, ...]) -> None:
    assert expected_statuses(FindingRecord(rule_id=rule, message="m", expected=expected)) == statuses


def test_status_ok() -> None:
    assert status_ok(403, ("403",))
    assert not status_ok(200, ("403",))
    assert status_ok(204, ("2xx",))
    assert not status_ok(500, ("<500",))
    assert status_ok(422, ("<500",))


def test_what_is_not_exported_and_why(tmp_path: Path) -> None:
    base = sample_result({"SCH-01": "passed"})
    read = dataclasses.replace(ten03_finding(), curl=SUITE_LINE)
    cases = [
        (read, ""),
        (dataclasses.replace(read, curl=""), "no curl line"),
        (dataclasses.replace(read, curl=SUITE_LINE.replace("-X GET", "-X DELETE")), "a write (DELETE)"),
        (dataclasses.replace(read, expected="disjoint views"), "the expectation is not a status"),
        (dataclasses.replace(read, received="403 but with data"), "already meets 403"),
        (dataclasses.replace(sch01_finding(), rule_id="TEN-03"), "a write (PUT)"),
    ]
    rules = [dataclasses.replace(r, findings=[c for c, _ in cases]) if r.id == "TEN-03" else r
             for r in base.rules]
    done = export_tests(dataclasses.replace(base, rules=rules), tmp_path)
    assert len(done) == len(cases)
    for (_, why), item in zip(cases, done, strict=True):
        if why:
            assert item.path is None
            assert why in item.skipped
        else:
            assert item.path is not None
            assert item.path.name == "test_ten_03_get_events.py"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test_ten_03_get_events.py"]


def test_the_generated_file_is_python_and_names_its_inputs() -> None:
    finding = dataclasses.replace(ten03_finding(), curl=SUITE_LINE)
    request = parse_curl(SUITE_LINE)
    assert request is not None
    text = render_test(finding, request, ("403",), sample_result(), "get_events")
    tree = ast.parse(text)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["_env", "_meets",
                                                                          "test_ten_03_get_events"]
    assert "BASE = os.environ.get('FD_BASE_URL') or 'http://127.0.0.1:41001/api/v3'" in text
    assert "PATH = '/events/?page=2&limit=5'" in text
    assert "('FDCONF_PERSONA_OTHER_TOKEN', 'FD_ACCESS_TOKEN')" in text
    assert "EXPECTED = ('403',)" in text
    code = text.split('"""', 2)[2]
    assert "${FD_ACCESS_TOKEN}" not in code  # the code reads the token, never a shell placeholder
