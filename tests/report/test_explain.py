"""``fdconf explain``: the catalogue, one rule's explanation (with the defect that proves it), bad ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import fdconf, one_line_error

from conformance.reference.stack import ReferenceStack
from conformance.report._certificate import render_certificate
from conformance.report._explain import check_ids, explain_rule, required_checks
from conformance.rules import catalogue
from report.builders import sample_result


def test_explain_lists_the_catalogue(tmp_path: Path) -> None:
    done = fdconf("explain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for rule in catalogue().values():
        assert any(line.startswith(rule.id + " ") and rule.title in line for line in lines), rule.id
    assert f"{len(catalogue())} rules." in done.stdout


@pytest.mark.parametrize("rule_id", ["TEN-03", "sch-01", "WAV-02"])
def test_explain_one_rule(rule_id: str, tmp_path: Path) -> None:
    done = fdconf("explain", rule_id, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rule = catalogue()[rule_id.upper()]
    text = done.stdout
    assert text.startswith(f"{rule.id}: {rule.title}")
    for part in (rule.rationale, rule.docs, f"mode {rule.mode}", *rule.personas):
        assert part in text
    defects = [n for n, (r, _) in ReferenceStack.available_defects().items() if r == rule.id]
    assert defects, f"no defect proves {rule.id}"
    for name in defects:  # the registry, not a copy of it
        assert f"  - {name}: " in text
        assert f"fdconf run --defect {name} --rules {rule.family}" in text
    assert f"fdconf run --config fdconf.toml --rules {rule.id}" in text
    for check in required_checks(rule.id):
        assert check in text


def test_explain_an_unknown_rule_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(fdconf("explain", "TEN-3", cwd=tmp_path), "UsageError")
    assert "did you mean TEN-03?" in line


def test_checks_are_read_when_the_catalogue_lists_them() -> None:
    rule = catalogue()["TEN-03"]
    text = explain_rule(rule, {})
    assert ("checks (every one must be judged" in text) == bool(check_ids("TEN-03"))
    assert "proved by: no reference defect yet" in text
    assert "`fdconf explain TEN-03` names" in explain_rule(rule)


def test_the_certificate_carries_each_explanation_inline() -> None:
    page = render_certificate(sample_result(), "0" * 64)
    for rule in catalogue().values():
        assert f"what {rule.id} checks · fdconf explain {rule.id}" in page
    assert catalogue()["OBJ-03"].rationale in page


def test_export_tests_on_a_missing_run_is_one_line(tmp_path: Path) -> None:
    line = one_line_error(fdconf("export-tests", str(tmp_path / "nope"), "--out", str(tmp_path / "t"),
                                 cwd=tmp_path), "ReportError")
    assert "no results file at" in line
