"""Combining the results of the shards of one run (``--fd-shard I/N`` matrix jobs) into one.

Per rule: *failed* if it failed in any shard; *passed* if it passed somewhere and failed nowhere;
*not run* only if no shard ran it (reasons of all shards kept). Tests, durations and findings add up.
Per operation (host + operation): cases and failures are summed, status combined the same way.
The merged result has no ``shard``; its times span the earliest start to the latest finish.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from conformance.errors import UsageError
from conformance.report._model import OperationCoverage, RuleResult, RuleStatus, RunResult


class MergeError(UsageError):
    """The results given to merge are not shards of one run."""


_HINT = "merge only the results.json files of the shards of one run (same target, mode and seed)"


def _combine(statuses: list[RuleStatus]) -> RuleStatus:
    if "failed" in statuses:
        return "failed"
    return "passed" if "passed" in statuses else "not_run"


def _join_reasons(reasons: list[str]) -> str:
    return "; ".join(dict.fromkeys(r for r in reasons if r))


def _merge_rule(parts: list[RuleResult]) -> RuleResult:
    status = _combine([p.status for p in parts])
    relevant = [p for p in parts if p.status == status]
    failed = [p for p in parts if p.status == "failed"]
    # Waived once merged only if every shard that failed it was waived (conformance.report._waivers).
    waiver = failed[0].waiver if failed and all(p.waiver for p in failed) else None
    return dataclasses.replace(
        parts[0],
        status=status,
        waiver=waiver,
        reason=_join_reasons([p.reason for p in relevant]),
        tests=sum(p.tests for p in parts),
        duration=sum(p.duration for p in parts),
        findings=[f for p in parts for f in p.findings],
    )


def _merge_operation(parts: list[OperationCoverage]) -> OperationCoverage:
    status = _combine([p.status for p in parts])
    return dataclasses.replace(
        parts[0],
        status=status,
        cases=sum(p.cases for p in parts),
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
        shard="",
        waivers=_merge_waivers(results),
    )


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
