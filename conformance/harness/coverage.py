"""Operation coverage measured against the specs, not against what ran.

Every operation of both bundled specs is one :class:`~conformance.report.OperationCoverage` row:
*fuzzed* (its test ran), *deselected* (``by`` names who: ``-k`` / ``-m`` / ``--deselect`` — pytest's
own selection —, ``--rules``, ``--shard``, ``--no-fuzz`` or the run's ``mode``), *unreachable* (the
run has no such host: no ``target.cr``, no media base) or *not run* (collected, then skipped: a
persona, a throttled or timed-out operation). ``required`` says whether the run's mode asks for the
operation: reads always, writes in write and publish mode, publish-grade operations (``x-fd-publish``)
in publish mode against the embedded reference — on a deployment the suite never fuzzes them, and
they are listed as deselected by mode, not required (specs/README.md, Decision 58). CERTIFIED needs
every required operation fuzzed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from conformance.config import Settings
from conformance.harness.layout import absent_hosts
from conformance.report import OperationCoverage
from conformance.spec import Operation, all_operations

SCH_FAMILY = "SCH"


@dataclass(frozen=True)
class PytestFilter:
    """The pytest selection options of the session (they deselect tests the suite never sees)."""

    keyword: str = ""
    markexpr: str = ""
    deselect: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: pytest.Config) -> PytestFilter:
        option = config.option
        deselect = getattr(option, "deselect", None) or ()
        return cls(keyword=str(getattr(option, "keyword", "") or ""),
                   markexpr=str(getattr(option, "markexpr", "") or ""),
                   deselect=tuple(str(d) for d in deselect))

    def blame(self) -> tuple[str, str]:
        """``(by, reason)`` for a fuzz test pytest's own selection dropped."""
        if self.keyword:
            return "-k", f"deselected by -k {self.keyword!r}"
        if self.markexpr:
            return "-m", f"deselected by -m {self.markexpr!r}"
        if self.deselect:
            return "--deselect", "deselected by pytest's --deselect"
        return "selection", "its test was not collected (the pytest arguments select other tests)"


def required_in(op: Operation, settings: Settings) -> bool:
    """Whether the run's mode asks for ``op`` to be fuzzed."""
    if op.publishes:  # never fuzzed on a deployment (random boosts would publish real campaigns)
        return settings.mode == "publish" and settings.embedded
    return op.is_read or settings.mode in ("write", "publish")


def _mode_reason(op: Operation, settings: Settings) -> str:
    if op.publishes and settings.mode != "publish":
        return "publish-grade: fuzzed only in publish mode"
    if not op.is_read and settings.mode == "read-only":
        return "read-only mode fuzzes reads only"
    if op.publishes and not settings.embedded:
        return "publish-grade: fuzzed only against the embedded reference (never a deployment)"
    return ""


def _absent(op: Operation, settings: Settings) -> str:
    absent = absent_hosts(settings)
    if op.base == "unversioned":
        return absent.get("media", "")
    return absent.get(op.host, "")


def explain(op: Operation, settings: Settings, *, wanted: frozenset[str] | None,
            pytest_filter: PytestFilter) -> OperationCoverage:
    """The row of an operation no fuzz test reported on: who deselected it, or why it is unreachable."""
    row = OperationCoverage(host=op.host, operation=f"{op.method} {op.path}",
                            required=required_in(op, settings))
    mode = _mode_reason(op, settings)
    absent = _absent(op, settings)
    if mode:
        row.selection, row.by, row.reason = "deselected", "mode", mode
    elif not settings.fuzz:
        row.selection, row.by, row.reason = "deselected", "--no-fuzz", "fuzzing is off (--no-fuzz)"
    elif wanted is not None and not any(r.startswith(SCH_FAMILY + "-") for r in wanted):
        row.selection, row.by, row.reason = "deselected", "--rules", "not selected (--rules has no SCH rule)"
    elif absent:
        row.selection, row.reason = "unreachable", absent
    elif settings.shard:
        row.selection, row.by = "deselected", "--shard"
        row.reason = f"in another shard than {settings.shard_label}"
    else:
        row.selection = "deselected"
        row.by, row.reason = pytest_filter.blame()
    return row


def classify(row: OperationCoverage, op: Operation | None, settings: Settings) -> None:
    """Set ``selection`` / ``required`` of a row a fuzz test reported on (in place)."""
    if op is None:  # the stateful phase's row: not an operation of the specs
        return
    row.required = required_in(op, settings)
    if row.status != "not_run" or row.cases:
        row.selection = "fuzzed"
    elif _absent(op, settings):
        row.selection = "unreachable"
    else:
        row.selection = "not_run"


def against_specs(rows: Iterable[OperationCoverage], settings: Settings, *, wanted: frozenset[str] | None,
                  pytest_filter: PytestFilter) -> list[OperationCoverage]:
    """``rows`` (what the fuzz tests reported) completed with every other operation of both specs.

    Rows that are no spec operation (the stateful phase's ``STATEFUL /links``) stay, not required."""
    ops = {(op.host, f"{op.method} {op.path}"): op for op in all_operations()}
    out: dict[tuple[str, str], OperationCoverage] = {}
    for row in rows:
        classify(row, ops.get((row.host, row.operation)), settings)
        out[(row.host, row.operation)] = row
    for key, op in ops.items():
        if key not in out:
            out[key] = explain(op, settings, wanted=wanted, pytest_filter=pytest_filter)
    return sorted(out.values(), key=lambda c: (c.host, c.operation))

