"""Combining the results of the shards of one run (``--fd-shard I/N`` matrix jobs) into one.

Per rule: *failed* if it failed in any shard; otherwise, from the checks (schema version 2), *passed*
when every applicable check has a judged probe on every host in some shard, *partial* when only some
do, *not run* when none (a check's judged count is the largest of any shard: shards may probe the
same operation, so counts are never inflated by adding them up; the fuzz checks with threshold
``every`` add up, as each fuzzed operation is one test in exactly one shard). Results without
checks (version 1) combine by status: passed somewhere and failed nowhere is passed. Tests,
durations, findings and run errors add up. The set must be complete: every shard ``1/N`` …
``N/N`` exactly once.
Per operation (host + operation): cases, failures and answers are summed, status combined the same way.
The merged result has no ``shard``; its times span the earliest start to the latest finish.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from conformance.errors import UsageError
from conformance.report._model import CheckResult, OperationCoverage, RuleResult, RuleStatus, RunResult


class MergeError(UsageError):
    """The results given to merge are not shards of one run."""


_HINT = "merge only the results.json files of the shards of one run (same target, mode and seed)"


def _combine(statuses: list[RuleStatus]) -> RuleStatus:
    if "failed" in statuses:
        return "failed"
    return "passed" if "passed" in statuses else "not_run"


def _join_reasons(reasons: list[str]) -> str:
    return "; ".join(dict.fromkeys(r for r in reasons if r))


def _merge_checks(parts: list[RuleResult]) -> list[CheckResult]:
    merged: dict[tuple[str, str], CheckResult] = {}
    for part in parts:
        for c in part.checks:
            held = merged.get((c.check, c.host))
            if held is None:
                merged[(c.check, c.host)] = dataclasses.replace(c, unexercised=dict(c.unexercised))
                continue
            held.applies = held.applies or c.applies
            if c.every:  # fuzz checks: each operation is one test, in exactly one shard
                held.judged, held.failed = held.judged + c.judged, held.failed + c.failed
                held.operations += c.operations
                for why, n in c.unexercised.items():
                    held.unexercised[why] = held.unexercised.get(why, 0) + n
                continue
            held.judged, held.failed = max(held.judged, c.judged), max(held.failed, c.failed)
            held.operations = max(held.operations, c.operations)
            if c.judged >= held.judged:
                held.unexercised = dict(c.unexercised)
    return list(merged.values())


def _complete(c: CheckResult) -> bool:
    return c.judged > 0 and (not c.every or c.judged >= c.operations)


def _status_from_checks(checks: list[CheckResult], failed: bool) -> RuleStatus:
    due = [c for c in checks if c.applies]
    if failed or any(c.failed for c in due):
        return "failed"
    if due and all(_complete(c) for c in due):
        return "passed"
    return "partial" if any(c.judged for c in due) else "not_run"


def _merge_rule(parts: list[RuleResult]) -> RuleResult:
    checks = _merge_checks(parts)
    if checks:
        status = _status_from_checks(checks, any(p.status == "failed" for p in parts))
    else:
        status = _combine([p.status for p in parts])
    relevant = [p for p in parts if p.status == status]
    failed = [p for p in parts if p.status == "failed"]
    # Waived once merged only if every shard that failed it was waived (conformance.report._waivers).
    waiver = failed[0].waiver if failed and all(p.waiver for p in failed) else None
    reason = _join_reasons([p.reason for p in relevant])
    if status == "partial" and not reason:
        missing = [f"{c.check} on {c.host}" for c in checks if c.applies and not _complete(c)]
        reason = "not judged in any shard: " + ", ".join(missing)
    return dataclasses.replace(
        parts[0],
        status=status,
        waiver=waiver,
        reason=reason if status != "passed" else "",
        tests=sum(p.tests for p in parts),
        duration=sum(p.duration for p in parts),
        findings=[f for p in parts for f in p.findings],
        checks=checks,
        flaky=[f for p in parts for f in p.flaky],
    )


def _check_shard_set(results: list[RunResult]) -> None:
    """Every shard ``1/N`` … ``N/N`` exactly once (an unsharded run merges only with nothing)."""
    labels = [r.shard or "" for r in results]
    if "" in labels:
        if len(results) > 1:
            unsharded = results[labels.index("")].run_id
            raise MergeError(f"run {unsharded} is not a shard (no --shard I/N)", _HINT)
        return
    seen: dict[str, str] = {}
    for result in results:
        if result.shard in seen:
            raise MergeError(
                f"shard {result.shard} is given twice (runs {seen[result.shard]} and {result.run_id})",
                "give each shard's results.json once",
            )
        seen[result.shard] = result.run_id
    totals = {label.split("/")[1] for label in labels}
    if len(totals) != 1:
        raise MergeError(f"the shards are of different splits: {', '.join(sorted(labels))}", _HINT)
    total = int(totals.pop())
    missing = [f"{i}/{total}" for i in range(1, total + 1) if f"{i}/{total}" not in seen]
    if missing:
        raise MergeError(
            f"incomplete shard set: {', '.join(missing)} missing (given {', '.join(sorted(labels))})",
            "merge the results of every shard of the run",
        )


def _sum_answers(parts: list[OperationCoverage]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for cls, count in part.answers.items():
            out[cls] = out.get(cls, 0) + count
    return dict(sorted(out.items()))


def _sum_edges(parts: list[OperationCoverage]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for kind, count in part.edges.items():
            out[kind] = out.get(kind, 0) + count
    return dict(sorted(out.items()))


def _merge_operation(parts: list[OperationCoverage]) -> OperationCoverage:
    status = _combine([p.status for p in parts])
    # Each shard lists every operation; the one that fuzzed it speaks for it (the others deselected it).
    fuzzed = [p for p in parts if p.selection == "fuzzed"]
    lead = fuzzed[0] if fuzzed else parts[0]
    return dataclasses.replace(
        lead,
        required=any(p.required for p in parts),
        edges=_sum_edges(parts),
        status=status,
        cases=sum(p.cases for p in parts),
        answers=_sum_answers(parts),
        failures=sum(p.failures for p in parts),
        duration=sum(p.duration for p in parts),
        reason=_join_reasons([p.reason for p in parts if p.status == status]),
    )


def _span(results: list[RunResult]) -> tuple[str, str, float]:
    starts = [r.started_at for r in results]
    ends = [r.finished_at for r in results]
    try:
        first = min(datetime.fromisoformat(s) for s in starts)
        last = max(datetime.fromisoformat(e) for e in ends)
    except (ValueError, TypeError):  # unparseable or mixed naive/aware stamps: fall back to the slowest shard
        return min(starts), max(ends), max(r.duration for r in results)
    return first.isoformat(), last.isoformat(), max((last - first).total_seconds(), 0.0)


def merge_results(results: list[RunResult]) -> RunResult:
    """One :class:`RunResult` from the shards of a run (see the module docstring).

    Raises :class:`MergeError` for an empty list or for results of different runs (targets, mode,
    seed, spec hashes, suite version differ; targets too unless the shards ran against the bundled
    reference, whose ports differ per shard).
    """
    if not results:
        raise MergeError("nothing to merge: no results given", _HINT)
    _check_shard_set(results)
    base = results[0]
    # Shards against the bundled reference each start their own (ephemeral ports): targets differ.
    fields = ["mode", "seed", "spec_hashes", "suite_version", "embedded"]
    if not base.embedded:
        fields.append("targets")
    for other in results[1:]:
        for name in fields:
            if getattr(other, name) != getattr(base, name):
                raise MergeError(
                    f"run {other.run_id} has {name} {getattr(other, name)!r}, "
                    f"run {base.run_id} has {getattr(base, name)!r}",
                    _HINT,
                )
    rules: dict[str, list[RuleResult]] = {}
    operations: dict[tuple[str, str], list[OperationCoverage]] = {}
    for result in results:
        for rule in result.rules:
            rules.setdefault(rule.id, []).append(rule)
        for op in result.operations:
            operations.setdefault((op.host, op.operation), []).append(op)
    cases: dict[str, int] = {}
    for result in results:
        for phase, count in result.cases.items():
            cases[phase] = cases.get(phase, 0) + count
    requests: dict[str, int] = {}
    for result in results:
        for key, count in result.requests.items():
            requests[key] = requests.get(key, 0) + count
    personas = list({p.get("name", ""): p for r in results for p in r.personas}.values())
    started, finished, duration = _span(results)
    return dataclasses.replace(
        base,
        started_at=started,
        finished_at=finished,
        duration=duration,
        personas=personas,
        defects=list(dict.fromkeys(d for r in results for d in r.defects)),
        rules=[_merge_rule(parts) for parts in rules.values()],
        operations=[_merge_operation(parts) for parts in operations.values()],
        cases=cases,
        requests=requests,
        shard="",
        waivers=_merge_waivers(results),
        errors=[e for r in results for e in r.errors],
        confirmation=_merge_confirmation(results),
        # One shard cut short leaves the merged run incomplete: it names that shard.
        completion=next(({**r.completion, "shard": r.shard} for r in results if not r.complete),
                        {"state": "complete"}),
    )


def _merge_confirmation(results: list[RunResult]) -> dict[str, Any]:
    """The shards' confirmation counts added up (the settings, replays and strict, are the first's)."""
    parts = [r.confirmation for r in results if r.confirmation]
    if not parts:
        return {}
    counts = ("confirmed", "flaky", "unconfirmed", "replays_sent")
    return {**parts[0], **{k: sum(int(p.get(k, 0)) for p in parts) for k in counts}}


_STATE_ORDER = ("applied", "incomplete", "stale", "expired")
_WAIVER_KEY = ("source", "rule", "host", "operation", "check", "ticket")


def _merge_waivers(results: list[RunResult]) -> list[dict[str, Any]]:
    """One ledger entry per waiver: the strongest state any shard gave it (applied over stale …)."""
    merged: dict[tuple[str, ...], dict[str, Any]] = {}
    for result in results:
        for entry in result.waivers:
            key = tuple(str(entry.get(k, "")) for k in _WAIVER_KEY)
            known = merged.get(key)
            if known is None or _STATE_ORDER.index(entry["state"]) < _STATE_ORDER.index(known["state"]):
                merged[key] = dict(entry)
    return list(merged.values())
