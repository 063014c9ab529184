"""No secret reaches any artifact, even when findings carry them verbatim."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from conformance.redact import REDACTOR, Redactor
from conformance.report.model import FindingRecord
from conformance.report.writer import write_all

from .builders import TOKEN, sample_result, ten03_finding


def leaky_result(password: str, refresh: str, access: str):  # type: ignore[no-untyped-def]
    result = sample_result()
    rule = next(r for r in result.rules if r.id == "TEN-03")
    rule.findings.append(ten03_finding(auth=f"Bearer {access}"))
    rule.findings.append(
        FindingRecord(
            "AUTH-02",
            f"refresh returned a new token; sent {refresh}",
            expected="no rotation",
            received=f'{{"RefreshToken": "{refresh}", "AccessToken": "{access}"}}',
            curl=f'curl -sS -X POST --data-binary \'{{"token": "{refresh}"}}\' http://127.0.0.1:1/api/v3/auth/refresh_token',
            request=f'POST /auth\n\n{{"username": "alice@acme.example", "password": "{password}"}}',
            response=f'HTTP 200\n\n{{"AccessToken": "{access}", "RefreshToken": "{refresh}"}}',
            test=f"test_auth[{password}]",
        )
    )
    rule.reason = f"first finding mentions {password}"
    result.run_id = "leak-run"
    result.defects = [f"weird-{refresh}"]
    return result


def scan(folder: Path, secrets: list[str]) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {s[:6]}…" for s in secrets if s.encode() in data]
    return hits


def test_custom_redactor_masks_everything(tmp_path: Path) -> None:
    password, refresh = 'S3cret&<Pass"word>', "rt-" + uuid.uuid4().hex * 3
    access = "opaque-access-" + uuid.uuid4().hex
    redactor = Redactor([password, refresh, access])
    paths = write_all(leaky_result(password, refresh, access), tmp_path, redactor=redactor)
    assert scan(tmp_path, [password, refresh, access, TOKEN]) == []
    # HTML/XML escaping must not let an escaped form of a secret through either
    assert scan(tmp_path, ["S3cret&amp;", "S3cret&lt;", "S3cret\\u0026", 'S3cret&<Pass\\"word']) == []
    data = json.loads(paths["results.json"].read_text(encoding="utf-8"))
    assert "***REDACTED***" in json.dumps(data)
    assert "***REDACTED***" in paths["certificate.html"].read_text(encoding="utf-8")


def test_jwt_shaped_tokens_are_masked_without_registration(tmp_path: Path) -> None:
    result = sample_result()
    next(r for r in result.rules if r.id == "TEN-03").findings[0].curl += f" -H 'X-Debug: {TOKEN}'"
    write_all(result, tmp_path, redactor=Redactor())
    assert scan(tmp_path, [TOKEN]) == []


def test_global_redactor_is_the_default(tmp_path: Path) -> None:
    secret = "global-secret-" + uuid.uuid4().hex  # unique: REDACTOR is process-wide
    REDACTOR.add(secret)
    write_all(leaky_result(secret, "rt-" + uuid.uuid4().hex, "at-" + uuid.uuid4().hex), tmp_path)
    assert scan(tmp_path, [secret]) == []


def test_runnable_curl_survives_every_writer_and_names_the_step(tmp_path: Path) -> None:
    access = "opaque-access-" + uuid.uuid4().hex
    result = sample_result()
    finding = next(r for r in result.rules if r.id == "TEN-03").findings[0]
    finding.curl = (
        'curl -sS -X GET -H "Authorization: Bearer ${FD_ACCESS_TOKEN}" '
        f"-H 'X-Debug: {access}' http://127.0.0.1:41001/api/v3/events/"
        "  # FD_ACCESS_TOKEN: AccessToken of persona primary"
    )
    paths = write_all(result, tmp_path, redactor=Redactor([access]))
    assert scan(tmp_path, [access]) == []
    data = json.loads(paths["results.json"].read_text(encoding="utf-8"))
    curls = [f["curl"] for r in data["rules"] for f in r["findings"] if r["id"] == "TEN-03"]
    assert 'Bearer ${FD_ACCESS_TOKEN}"' in curls[0]
    summary = paths["summary.md"].read_text(encoding="utf-8")
    assert "export FD_ACCESS_TOKEN=<AccessToken of persona primary> first" in summary
    assert "Bearer ${FD_ACCESS_TOKEN}" in summary
    page = paths["certificate.html"].read_text(encoding="utf-8")
    assert "Bearer ${FD_ACCESS_TOKEN}&quot;" in page
    assert "export FD_ACCESS_TOKEN=&lt;AccessToken of persona primary&gt; first" in page
    junit = paths["junit.xml"].read_text(encoding="utf-8")
    assert "(export FD_ACCESS_TOKEN=&lt;AccessToken of persona primary&gt; first)" in junit


def test_a_real_token_in_the_bearer_slot_is_still_masked() -> None:
    redactor = Redactor()
    for text in ("Bearer ${FD_ACCESS_TOKEN}x", "Bearer ${FD_ACCESS_TOKEN}.eyJzdWIi", "Bearer $TOKEN",
                 "Bearer tok-123456"):
        assert redactor.text(text) == "Bearer ***REDACTED***", text


def test_pytest_junit_and_allure_results_are_redacted_after_the_run(tmp_path: Path) -> None:
    from conformance.report.postrun import redact_run_outputs

    secret = 'Pw&<"' + uuid.uuid4().hex  # escapes differently in XML and JSON
    junit = tmp_path / "pytest-junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="s"><testcase name="t">'
        f'<failure message="{secret.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}">'
        f"{secret.replace('&', '&amp;').replace('<', '&lt;')}</failure></testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    allure = tmp_path / "allure-results"
    allure.mkdir()
    result_file = allure / "x-result.json"
    result_file.write_text(json.dumps({"statusDetails": {"message": secret}}), encoding="utf-8")
    assert redact_run_outputs([junit, tmp_path / "missing.xml"], [allure, tmp_path / "none"],
                              Redactor([secret])) == 2
    import xml.etree.ElementTree as ET

    failure = ET.parse(junit).getroot().find(".//failure")
    assert failure is not None
    assert failure.get("message") == failure.text == "***REDACTED***"
    assert secret not in json.loads(result_file.read_text(encoding="utf-8"))["statusDetails"]["message"]


def test_redaction_never_rewrites_the_suites_own_prose(tmp_path: Path) -> None:
    """The writers' last redaction pass is for secrets only: on a result without any secret, what each
    renderer produced is what reaches the disk (the summary's "read the bearer token from …" included)."""
    from conformance.report.junit import render_junit
    from conformance.report.markdown import render_markdown
    from conformance.report.scrub import scrubbed

    result = sample_result()
    finding = next(r for r in result.rules if r.id == "TEN-03").findings[0]
    finding.curl = ('curl -sS -X GET -H "Authorization: Bearer ${FD_EXPIRED_TOKEN}" http://127.0.0.1:9/api/v3/'
                    "  # FD_EXPIRED_TOKEN: expired AccessToken of persona primary")
    redactor = Redactor()
    paths = write_all(result, tmp_path, redactor=redactor)
    clean = scrubbed(result, redactor)
    summary = paths["summary.md"].read_text(encoding="utf-8")
    assert summary == render_markdown(clean)
    assert "read the bearer token from a shell variable" in summary
    assert "export FD_EXPIRED_TOKEN=<expired AccessToken of persona primary> first" in summary
    assert paths["junit.xml"].read_text(encoding="utf-8") == render_junit(clean)


def test_prose_after_bearer_is_kept_but_a_token_is_not() -> None:
    redactor = Redactor()
    prose_lines = ("read the bearer token from $FD_ACCESS_TOKEN", "the Bearer scheme, always",
                   "Bearer token.")
    for prose in prose_lines:
        assert redactor.text(prose) == prose
    for leaked in ("Bearer tokenabc123", "Bearer token-1234", "bearer 0a1b2c3d4e"):
        assert redactor.text(leaked).endswith("***REDACTED***"), leaked
