"""Sweeping many operations with one probe, collecting every violation into one Finding.

A sweep visits each spec operation (filled with discovered path values), sends a probe and lets a
judge raise :class:`Finding`s; all of them are gathered so one run names every offending operation.

Host attribution: HST-02 is "the CR host enforces the same AUTH, TEN and OBJ rules", so a violation
of one of those rules observed on the CR host is HST-02's evidence alone, and one observed on the
main host is the family rule's alone (specs/README.md, Decisions). A sweep therefore files each
finding under :func:`~conformance.checks.rule_for_host` and raises one finding per sweep
that names the rules hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks import rule_for_host
from conformance.client import Api, Exchange
from conformance.errors import Finding
from conformance.spec import Operation, example_body, fill_path, minimal_instance, spec_of

PLACEHOLDER = "fdconf-probe"
MAX_LISTED = 8


def host_of(op: Operation) -> str:
    return "media" if op.base == "unversioned" else op.host


def required_params(op: Operation, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values for the operation's required query parameters: ``known`` ones, else a minimal valid value."""
    out: dict[str, Any] = {}
    for param in op.required_query:
        name = str(param.get("name"))
        if known and name in known:
            out[name] = known[name]
        else:
            value = minimal_instance(param.get("schema", {}), spec_of(op.host))
            out[name] = str(value).lower() if isinstance(value, bool) else value
    return out


def send(
    api: Api, op: Operation, path: str, *, known: Mapping[str, Any] | None = None, **kwargs: Any
) -> Exchange:
    """Send ``op`` at ``path`` with its required query parameters and, for writes, a small schema-valid
    body, so validation cannot mask the answer the probe is about (auth, scope, parent/child)."""
    if op.method in ("POST", "PUT", "PATCH") and "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = example_body(op)
    params = required_params(op, known)
    if params and "params" not in kwargs:
        kwargs["params"] = params
    return api.request(op.method, path, **kwargs)


@dataclass
class Sweep:
    """Collects per-operation findings of one rule and raises them together at the end.

    Findings are filed per host (:func:`rule_for_host`): a sweep of an AUTH/TEN/OBJ rule over both
    hosts raises its rule for main-host violations and HST-02 for CR-host ones, each alone."""

    rule_id: str
    findings: list[Finding] = field(default_factory=list)
    visited: int = 0
    skipped: list[str] = field(default_factory=list)

    def judge(self, fn: Callable[[], None], host: str = "main") -> None:
        self.visited += 1
        try:
            fn()
        except Finding as finding:
            self.add(finding, host)

    def add(self, finding: Finding, host: str = "main") -> None:
        """File ``finding`` (raised for this sweep's rule) under the rule its host makes it evidence for."""
        rule = rule_for_host(finding.rule_id, host)
        if rule == finding.rule_id:
            self.findings.append(finding)
            return
        where = f"{finding.rule_id} on the {host} host"
        self.findings.append(finding.relabel(rule, f"{where}: {finding.message}"))

    def finish(self, what: str) -> None:
        if not self.findings:
            if self.visited == 0:
                pytest.skip(
                    f"not run: no operation to probe for {what}"
                    + (f" (skipped: {'; '.join(self.skipped[:MAX_LISTED])})" if self.skipped else "")
                )
            return
        rules = list(dict.fromkeys(f.rule_id for f in self.findings))
        first = self.findings[0]
        tags = "".join(f"[{r}] " for r in rules[1:])
        summary = "; ".join(f.message for f in self.findings[:MAX_LISTED])
        more = f" (+{len(self.findings) - MAX_LISTED} more)" if len(self.findings) > MAX_LISTED else ""
        raise first.relabel(
            first.rule_id,
            f"{tags}{what}: {len(self.findings)} of {self.visited} operations violate it: {summary}{more}",
        )


def targets(
    ops: Iterable[Operation],
    values: Mapping[str, Any],
    *,
    reads_only: bool,
    placeholder: bool = False,
    sweep: Sweep | None = None,
    keep: Callable[[Operation], bool] = lambda op: True,
) -> list[tuple[Operation, str]]:
    """``(operation, concrete path)`` pairs to probe; unfillable or filtered operations are skipped."""
    out = []
    for op in ops:
        if not keep(op) or (reads_only and not op.is_read) or op.method == "HEAD":
            continue
        filled = dict(values)
        if placeholder:
            for param in op.path_params:
                filled.setdefault(op.kind_of(param), PLACEHOLDER)
        path = fill_path(op, filled)
        if path is None:
            if sweep is not None:
                sweep.skipped.append(f"{op.label}: no discovered value for its path parameters")
            continue
        out.append((op, path))
    return out
