"""Matching waivers to a run's findings (pure): waived, incomplete, expired, stale; the gate, the reports."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from conformance.config._waivers import Waiver
from conformance.errors import ConfigError
from conformance.report._certificate import render_certificate
from conformance.report._junit import render_junit
from conformance.report._markdown import render_markdown
from conformance.report._model import RunResult
from conformance.report._waivers import apply_waivers, blocking_failures, check_waivers, ledger_lines
from conformance.rules import catalogue
from report.builders import MAIN, sample_result, ten03_finding

TODAY = date(2026, 6, 1)


def w(rule: str = "TEN-03", **fields: str) -> Waiver:
    values = {"reason": "header check lands in Q3", "ticket": "FD-7", "expires": "2026-06-30",
              "source": "fdconf.toml waivers[0]", **fields}
    return Waiver(rule=rule, **values)


def only_ten03() -> RunResult:
    return sample_result({"SCH-01": "passed"})


def rule(result: RunResult, rule_id: str):
    return next(r for r in result.rules if r.id == rule_id)


def test_a_live_waiver_waives_the_rule_and_opens_the_gate() -> None:
    before = only_ten03()
    assert [r.id for r in blocking_failures(before)] == ["TEN-03"]
    after = apply_waivers(before, [w()], TODAY)
    waived = rule(after, "TEN-03")
    assert waived.status == "failed"  # still a failure, with its findings
    assert waived.findings == rule(before, "TEN-03").findings
    assert waived.waiver == {"reason": "header check lands in Q3", "ticket": "FD-7", "expires": "2026-06-30",
                             "source": "fdconf.toml waivers[0]"}
    assert blocking_failures(after) == []
    assert after.verdict == "NOT CERTIFIED"  # a waived rule still blocks CERTIFIED
    assert [e["state"] for e in after.waivers] == ["applied"]
    assert ledger_lines(after) == []
    assert rule(before, "TEN-03").waiver is None  # the input is not changed


@pytest.mark.parametrize(
    ("fields", "waived"),
    [
        ({"host": "main"}, True),
        ({"host": "cr"}, False),
        ({"operation": "GET /events/"}, True),  # scenario finding: operation from its request line
        ({"operation": "GET /events/{eid}"}, False),
        ({"check": "some-check"}, False),  # the finding names no check: not covered
    ],
)
def test_scope_must_match(fields: dict[str, str], waived: bool) -> None:
    after = apply_waivers(only_ten03(), [w(**fields)], TODAY)
    assert (rule(after, "TEN-03").waiver is not None) is waived
    assert after.waivers[0]["state"] == ("applied" if waived else "stale")


def test_the_expiry_day_is_included_and_the_day_after_is_not() -> None:
    assert rule(apply_waivers(only_ten03(), [w()], date(2026, 6, 30)), "TEN-03").waiver
    after = apply_waivers(only_ten03(), [w()], date(2026, 7, 1))
    assert rule(after, "TEN-03").waiver is None
    assert [r.id for r in blocking_failures(after)] == ["TEN-03"]
    (line,) = ledger_lines(after)
    assert line == ("waiver TEN-03 [FD-7] expired on 2026-06-30: it no longer applies "
                    "(fdconf.toml waivers[0])")


def test_a_waiver_that_matched_nothing_is_stale() -> None:
    after = apply_waivers(only_ten03(), [w(), w("OBJ-01", ticket="FD-8")], TODAY)
    assert [e["state"] for e in after.waivers] == ["applied", "stale"]
    (line,) = ledger_lines(after)
    assert "OBJ-01 [FD-8] matched no failure (stale)" in line


def test_a_rule_with_an_uncovered_finding_is_not_waived() -> None:
    base = only_ten03()
    other = dataclasses.replace(ten03_finding(), request=f"GET {MAIN}/partners/\n", curl="")
    rules = [dataclasses.replace(r, findings=[*r.findings, other]) if r.id == "TEN-03" else r
             for r in base.rules]
    after = apply_waivers(dataclasses.replace(base, rules=rules), [w(operation="GET /events/")], TODAY)
    assert rule(after, "TEN-03").waiver is None
    assert after.waivers[0]["state"] == "incomplete"
    assert "covers only some findings of TEN-03" in ledger_lines(after)[0]


def test_unknown_rule_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        check_waivers([w("TEN-33")], catalogue())
    assert caught.value.one_line() == (
        "ConfigError: fdconf.toml waivers[0]: rule 'TEN-33' is not in the rule catalogue "
        "(hint: did you mean TEN-03?)"
    )
    check_waivers([w()], catalogue())  # a known rule passes


def test_every_report_shows_the_waiver() -> None:
    after = apply_waivers(sample_result(), [w(), w("OBJ-01", ticket="FD-8")], TODAY)
    label = "failed (waived: header check lands in Q3, FD-7, until 2026-06-30)"
    summary = render_markdown(after)
    assert label in summary
    assert "### Waivers" in summary
    assert "| OBJ-01 | all findings | FD-8 | 2026-06-30 | stale |" in summary
    page = render_certificate(after, "0" * 64)
    assert label in page
    assert "FAILED (waived)" in page
    assert "matched no failure (stale)" in page
    assert ">NOT CERTIFIED<" in page
    root = ET.fromstring(render_junit(after))
    case = next(c for c in root.iter("testcase") if (c.get("name") or "").startswith("TEN-03"))
    assert case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == label
    assert "[TEN-03]" in (case.findtext("system-out") or "")
    sch = next(c for c in root.iter("testcase") if (c.get("name") or "").startswith("SCH-01"))
    assert sch.find("failure") is not None  # not waived: still a failure


def test_merging_shards_keeps_a_waiver_only_where_every_failing_shard_had_it() -> None:
    from conformance.report._merge import merge_results

    waived = apply_waivers(dataclasses.replace(only_ten03(), shard="1/2"), [w()], TODAY)
    passed = apply_waivers(dataclasses.replace(sample_result({"TEN-03": "passed", "SCH-01": "passed"}),
                                               run_id="shard-2", shard="2/2"), [w()], TODAY)
    merged = merge_results([waived, passed])
    assert rule(merged, "TEN-03").waiver is not None
    assert [e["state"] for e in merged.waivers] == ["applied"]  # stale in one shard, applied in the other
    assert blocking_failures(merged) == []
    unwaived = dataclasses.replace(only_ten03(), run_id="shard-3", shard="2/2")
    again = merge_results([waived, unwaived])
    assert rule(again, "TEN-03").waiver is None
    assert [r.id for r in blocking_failures(again)] == ["TEN-03"]


def test_diff_marks_a_waived_failure_but_still_lists_it() -> None:
    from conformance.report._diff import diff_runs, has_new_failures

    old = sample_result({"TEN-03": "passed", "SCH-01": "passed"})
    new = apply_waivers(only_ten03(), [w()], TODAY)
    d = diff_runs(old, new)
    (item,) = [i for i in d.new_failures if i.key == "TEN-03"]
    assert item.detail.startswith("failed (waived: header check lands in Q3, FD-7, until 2026-06-30): ")
    assert has_new_failures(d)
