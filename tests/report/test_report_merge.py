"""merge_results: shards combined rule by rule and operation by operation."""

from __future__ import annotations

import pytest

from conformance.report import CheckResult, MergeError, RunResult, merge_results

from .builders import sample_result


def shard(index: int, statuses: dict[str, str], **kwargs: object) -> RunResult:
    result = sample_result(statuses, run_id=f"shard-{index}", **kwargs)  # type: ignore[arg-type]
    result.shard = f"{index}/2"
    return result


def test_rule_statuses_combine() -> None:
    one = shard(
        1,
        {
            "TEN-03": "failed",
            "SCH-01": "not_run",
            "OBJ-02": "not_run",
            "RUN-01": "not_run",
            "CID-01": "passed",
        },
    )
    two = shard(
        2,
        {
            "TEN-03": "passed",
            "SCH-01": "passed",
            "OBJ-02": "not_run",
            "RUN-01": "passed",
            "CID-01": "not_run",
        },
    )
    merged = merge_results([one, two])
    status = {r.id: r for r in merged.rules}
    assert status["TEN-03"].status == "failed"  # failed in any shard
    assert len(status["TEN-03"].findings) == 1
    assert status["SCH-01"].status == "passed"  # passed somewhere, failed nowhere
    assert status["RUN-01"].status == "passed"
    assert status["CID-01"].status == "passed"
    assert status["OBJ-02"].status == "not_run"  # not run anywhere
    assert status["OBJ-02"].reason == "needs mode write; run with --mode write"
    assert status["TEN-01"].tests == 6
    assert merged.shard == ""
    assert [r.id for r in merged.rules] == [r.id for r in one.rules]


def test_operations_and_cases_are_summed() -> None:
    one = shard(1, {}, failing_ops=(), skipped_ops=(("cr", "POST /events/bulk_upload"),))
    two = shard(
        2, {}, failing_ops=(("cr", "PUT /events/{eid}"),), skipped_ops=(("cr", "POST /events/bulk_upload"),)
    )
    merged = merge_results([one, two])
    ops = {(o.host, o.operation): o for o in merged.operations}
    put = ops[("cr", "PUT /events/{eid}")]
    assert (put.cases, put.failures, put.status) == (90, 2, "failed")
    assert ops[("main", "GET /events/")].cases == 100
    assert ops[("cr", "POST /events/bulk_upload")].status == "not_run"
    assert merged.cases == {"examples": 40, "coverage": 300, "fuzzing": 500}


def test_time_span_and_verdict() -> None:
    one = shard(1, {"OBJ-02": "passed", "TEN-03": "passed", "SCH-01": "passed"})
    two = shard(2, {"OBJ-02": "not_run", "TEN-03": "passed", "SCH-01": "passed"})
    two.started_at, two.finished_at = "2025-01-01T12:00:30+00:00", "2025-01-01T12:03:00+00:00"
    merged = merge_results([one, two])
    assert merged.started_at == "2025-01-01T12:00:00+00:00"
    assert merged.finished_at == "2025-01-01T12:03:00+00:00"
    assert merged.duration == 180.0
    assert merged.verdict == "CERTIFIED"
    assert one.shard == "1/2"  # inputs untouched


def test_refuses_results_of_different_runs() -> None:
    one, two = shard(1, {}), shard(2, {})
    two.seed = 99
    with pytest.raises(MergeError, match="seed"):
        merge_results([one, two])
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_results([])


def test_embedded_shards_may_differ_in_ports_but_real_targets_may_not() -> None:
    one, two = shard(1, {}), shard(2, {})
    two.targets = {**two.targets, "main": "http://127.0.0.1:5/api/v3"}
    assert merge_results([one, two]).targets == one.targets
    one.embedded = two.embedded = False
    with pytest.raises(MergeError, match="targets"):
        merge_results([one, two])


def test_refuses_a_duplicated_or_incomplete_shard_set() -> None:
    one, two = shard(1, {}), shard(2, {})
    again = shard(1, {})
    again.run_id = "shard-1-again"
    with pytest.raises(MergeError, match="shard 1/2 is given twice"):
        merge_results([one, again, two])
    with pytest.raises(MergeError, match="incomplete shard set: 2/2 missing"):
        merge_results([one])
    three = shard(3, {})
    three.shard = "3/3"
    with pytest.raises(MergeError, match="different splits"):
        merge_results([one, two, three])
    unsharded = shard(1, {})
    unsharded.shard = ""
    with pytest.raises(MergeError, match="is not a shard"):
        merge_results([one, unsharded])
    assert merge_results([unsharded]).rules  # one unsharded run merges with nothing: itself


def test_statuses_are_recomputed_from_the_checks_of_all_shards() -> None:
    one, two = shard(1, {"TEN-05": "partial"}), shard(2, {"TEN-05": "partial"})
    first = next(r for r in one.rules if r.id == "TEN-05")
    second = next(r for r in two.rules if r.id == "TEN-05")
    first.checks = [CheckResult("describes-scoped-partner", "main", judged=1, operations=1),
                    CheckResult("multi-switch-partner", "main", judged=0, operations=1)]
    second.checks = [CheckResult("describes-scoped-partner", "main", judged=0, operations=0),
                     CheckResult("multi-switch-partner", "main", judged=2, operations=2)]
    merged = next(r for r in merge_results([one, two]).rules if r.id == "TEN-05")
    assert merged.status == "passed"  # each check judged in some shard
    assert merged.judged == (3, 3)
    second.checks[1].judged = 0
    merged = next(r for r in merge_results([one, two]).rules if r.id == "TEN-05")
    assert merged.status == "partial"


def test_one_interrupted_shard_leaves_the_merged_run_incomplete() -> None:
    one = shard(1, {"OBJ-02": "passed", "TEN-03": "passed", "SCH-01": "passed"})
    two = shard(2, {"OBJ-02": "passed", "TEN-03": "passed", "SCH-01": "passed"})
    assert merge_results([one, two]).verdict == "CERTIFIED"  # the control
    two.completion = {"state": "interrupted", "phase": "fuzzing", "tests_done": 3, "tests_total": 9}
    merged = merge_results([one, two])
    assert merged.verdict == "INCOMPLETE"
    assert merged.completion["shard"] == "2/2"
    assert merged.completion["phase"] == "fuzzing"


def test_fuzz_checks_and_answers_add_up_across_shards() -> None:
    one, two = shard(1, {"SCH-02": "passed"}), shard(2, {"SCH-02": "partial"})
    first = next(r for r in one.rules if r.id == "SCH-02")
    second = next(r for r in two.rules if r.id == "SCH-02")
    # each fuzzed operation is one test, in exactly one shard: judged counts of `every` checks add up
    first.checks = [CheckResult("success-conforms", "main", judged=30, operations=30, every=True)]
    second.checks = [CheckResult("success-conforms", "main", judged=14, operations=15, every=True,
                                 unexercised={"never answered 2xx": 1})]
    merged_run = merge_results([one, two])
    merged = next(r for r in merged_run.rules if r.id == "SCH-02")
    assert (merged.checks[0].judged, merged.checks[0].operations) == (44, 45)
    assert merged.checks[0].unexercised == {"never answered 2xx": 1}
    assert merged.status == "partial"
    second.checks[0].judged = 15
    second.checks[0].unexercised = {}
    assert next(r for r in merge_results([one, two]).rules if r.id == "SCH-02").status == "passed"
    one.operations[0].answers = {"2xx": 2, "4xx": 1}
    two.operations[0].answers = {"2xx": 1, "5xx": 1}
    op = next(o for o in merge_results([one, two]).operations if o.operation == one.operations[0].operation)
    assert op.answers == {"2xx": 3, "4xx": 1, "5xx": 1}



def test_merged_shards_of_a_clean_run_match_the_unsharded_run(
    reference_stack: object, tmp_path: object
) -> None:
    """``--shard 1/2`` + ``2/2`` merged against the clean reference = the unsharded run with the same seed:
    same verdict, the same status per rule, the same judged and failed counts per check.

    One count may legitimately be lower once merged: a scenario check judged by several tests whose
    tests land in different shards. Each shard counts the operations it judged; the merge keeps the
    larger shard's count (it cannot tell one operation probed in both shards from two different ones,
    so it never adds them up), which is then at most the unsharded count. Fuzz checks (``every``) are
    one test per operation, in exactly one shard: those counts add up (not exercised here: fuzzing
    is minutes, its merge arithmetic is covered above)."""
    from pathlib import Path

    from conformance import engine

    base = Path(str(tmp_path))
    flags = {"run.rules": "TEN-03,TEN-04,OBJ-01,OBJ-03,HST-01,ERR-01,PAG-01", "run.mode": "read-only",
             "run.fuzz": False, "run.seed": 11}
    results: dict[str, RunResult] = {}
    for label in ("", "1/2", "2/2"):
        shard_flags = {**flags, "run.report_dir": str(base / (label.replace("/", "-") or "all"))}
        if label:
            shard_flags["run.shard"] = label
        outcome = engine.run(flags=shard_flags, environ={}, cwd=base, reference=reference_stack,
                             echo=lambda _line: None, progress="off")
        assert outcome.result is not None, outcome.errors
        results[label] = outcome.result
    whole, merged = results[""], merge_results([results["1/2"], results["2/2"]])
    selected = {r.id: r.status for r in whole.rules if r.reason != "not selected (--rules)"}
    assert set(selected.values()) == {"passed"}, selected  # the clean reference passes what was selected
    assert merged.verdict == whole.verdict
    assert {r.id: r.status for r in merged.rules} == {r.id: r.status for r in whole.rules}
    shards = [{(r.id, c.check, c.host): c.judged for r in results[s].rules for c in r.checks}
              for s in ("1/2", "2/2")]
    same = 0
    for rule in whole.rules:
        mine = {(c.check, c.host): c for r in merged.rules if r.id == rule.id for c in r.checks}
        for check in rule.checks:
            key = (rule.id, check.check, check.host)
            got = mine[(check.check, check.host)]
            per_shard = [counts.get(key, 0) for counts in shards]
            assert got.failed == check.failed == 0, key
            if sum(1 for n in per_shard if n) <= 1:  # judged in one shard only: nothing to combine
                assert got.judged == check.judged, (key, per_shard)
                same += 1
            else:
                assert got.judged == max(per_shard) <= check.judged, (key, per_shard)
    assert same, "no check was judged in one shard only: the test compares nothing exactly"
