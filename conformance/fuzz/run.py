"""The fuzz package's part of one run, kept in the run's state (:mod:`conformance.harness.state`).

A :class:`FuzzRun` is created the first time a session collects the fuzz tests: the two hosts'
schemas (built from the resolved settings, sending through the run's Transport), the context our
checks read, the operations whose auth enforcement Schemathesis' ``ignored_auth`` has confirmed,
the case and phase counters and the answers per test. Nothing of it lives in a module global.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from schemathesis.specs.openapi.schemas import OpenApiSchema

from conformance.client import Transport
from conformance.config import Settings
from conformance.fuzz.answers import Answers
from conformance.fuzz.context import FuzzContext
from conformance.fuzz.edges import Edge
from conformance.fuzz.schemas import fuzz_schema
from conformance.harness.state import run_of, settings_of, transport_of

HOSTS = ("main", "cr")
TEMPLATE = "_fd_per_operation"
F = TypeVar("F", bound=Callable[..., Any])


def per_operation(func: F) -> F:
    """Mark a test function as a template: each session parametrizes it over its run's schemas
    (one item per operation; see ``conformance/fuzz/conftest.py``)."""
    setattr(func, TEMPLATE, True)
    return func


@dataclass
class FuzzRun:
    """Per-run fuzz state: schemas, the checks' context, auth memory, counters."""

    settings: Settings
    transport: Transport
    context: FuzzContext = field(default_factory=FuzzContext)
    schemas: dict[str, OpenApiSchema] = field(default_factory=dict)
    #: Per host: operations whose auth enforcement ``ignored_auth`` confirmed in this run.
    auth_enforced: dict[str, set[str]] = field(default_factory=dict)
    cases: Counter[str] = field(default_factory=Counter)
    phases: dict[str, Counter[str]] = field(default_factory=dict)
    #: Per test: cases still answered 429 after the retries (not judged, not in ``cases``).
    throttled: Counter[str] = field(default_factory=Counter)
    #: Per test: what its cases were answered (status classes, acceptance), and its ``(host, operation)``.
    answers: dict[str, Answers] = field(default_factory=dict)
    operations: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Tests of reads whose path needs an id kind the target listed none of (see ``fuzz.objects``).
    unaddressable: set[str] = field(default_factory=set)
    #: Per test: the confirmation of its first confirmed failure (later failures reuse it, unreplayed).
    confirmed: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Per host and ``"METHOD path"``: the edge values its examples phase sends (``fuzz.edges``).
    edge_plans: dict[str, dict[str, list[Edge]]] = field(default_factory=dict)
    #: Per test: edge values sent, by kind (Schemathesis' boundary scenarios and ours).
    edges: dict[str, Counter[str]] = field(default_factory=dict)
    #: Path values discovered from the target for positive cases (``eid``, ``tc``, ...), once per run.
    path_values: dict[str, object] | None = None
    #: Per test: cases let through per (phase, positive?), for the --budget caps (``within_scale``).
    let_through: dict[str, Counter[tuple[str, bool]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for host in HOSTS:
            plans = self.edge_plans.setdefault(host, {})
            self.schemas[host] = fuzz_schema(host, self.settings, self.transport, self.context, plans)

    def within_scale(self, nodeid: str, phase: str, *, positive: bool) -> bool:
        """Whether a case of ``phase`` may still be sent under the run plan's scale (``--budget``):
        the examples and coverage phases keep at most their cap per operation, half of it for positive
        and half for negative cases (so a capped operation still shows both); the fuzzing phase is
        bounded by ``max_examples`` already."""
        scale = self.settings.plan.get("scale") or {}
        cap = scale.get(phase) if phase in ("examples", "coverage") else None
        seen = self.let_through.setdefault(nodeid, Counter())
        if isinstance(cap, int):
            share = (cap + 1) // 2 if positive else cap // 2
            if phase == "examples":
                share = cap  # examples are positive (documented bodies): the whole cap
            if seen[(phase, positive)] >= share:
                return False
        seen[(phase, positive)] += 1
        return True

    def count(self, nodeid: str, phase: str) -> tuple[int, dict[str, int]]:
        """Count one case of test ``nodeid`` in ``phase``; the test's totals so far."""
        self.cases[nodeid] += 1
        phases = self.phases.setdefault(nodeid, Counter())
        phases[phase] += 1
        return self.cases[nodeid], dict(phases)


FUZZ: pytest.StashKey[FuzzRun] = pytest.StashKey()


def fuzz_run(config: pytest.Config) -> FuzzRun:
    """This session's :class:`FuzzRun` (created on first use, which activates the run)."""
    parts = run_of(config).parts
    if FUZZ not in parts:
        parts[FUZZ] = FuzzRun(settings_of(config), transport_of(config))
    return parts[FUZZ]
