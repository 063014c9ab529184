"""The run plan: how many requests each rule family and the fuzzing will send, and how long that takes.

``fdconf run`` computes it before the first request, prints it and hands it to the pytest child in
the settings; ``results.json`` (``plan``) keeps it beside what each family then sent
(:mod:`conformance.harness.spending`), so a reader sees how honest it was.

Where the figures come from: ``plan-profile.json`` beside this module, measured against the
reference (``python bench/plan_profile.py`` writes it): per mode, the requests of every scenario
family by budget kind, and per fuzzed operation its cases per Schemathesis phase and the requests
beyond its cases (Schemathesis' auth probes, tenancy replays). Pre-flight is counted from the
settings. The scenario figures are the reference dataset's: a deployment with more events or pages
sends more in its page walks, fewer personas send less (see ``TOLERANCE`` for the reference).

The time estimate is bound by the rate budget: the suite sends one request after the other, so the
kinds' pacing adds up; per kind, all but the first window's worth wait ``window + margin`` per
``figure`` requests (:mod:`conformance.client._budget`), all reads counted against one partner's
budget (nearly all are the primary persona's). To that comes the local time per request measured
when the profile was made (Hypothesis generation, checks) and the session's start; latency of a
deployment is not known before the first request and not included.

``--budget`` (``run.budget``) scales the fuzzing, never the rules: one factor on the cases per
operation of each phase (examples, edge cases of the coverage phase, generated cases) and on the
stateful scenarios and steps, the largest that fits, every operation keeping a floor (its examples,
two edge cases, one generated case) so each still gives SCH evidence. When the rules alone do not
fit, the run is refused before the first request (specs/README.md, Decision 63).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from conformance.client import classify, window_span
from conformance.config import Settings
from conformance.errors import ConfigError
from conformance.harness.spending import FUZZ, KINDS, PREFLIGHT, SETUP, STATEFUL
from conformance.rules import catalogue

PROFILE = Path(__file__).with_name("plan-profile.json")
#: How far the planned requests of a full run may be from those sent, per family and in total, on the
#: reference (the profile's target): tests/test_budgeted_certification.py holds a budgeted full run to it.
TOLERANCE = 0.15
#: Every fuzzed operation keeps at least this much of each phase, whatever the budget.
FLOOR = {"examples": 1, "coverage": 2, "fuzzing": 1}
PHASES = ("examples", "coverage", "fuzzing")
STATEFUL_STEPS = 6  # conformance.fuzz.schemas.STATEFUL_MAX_STEPS: the profile's stateful phase ran these


@cache
def profile() -> dict[str, Any]:
    """The bundled profile (see the module docstring)."""
    data: dict[str, Any] = json.loads(PROFILE.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Scale:
    """How far the fuzzing goes: cases per operation per phase (``None`` = all of them)."""

    factor: float = 1.0
    max_examples: int = 25
    examples: int | None = None
    coverage: int | None = None
    stateful_examples: int = 25
    stateful_steps: int = STATEFUL_STEPS

    def to_dict(self) -> dict[str, Any]:
        return {"factor": round(self.factor, 3), "max_examples": self.max_examples, "examples": self.examples,
                "coverage": self.coverage, "stateful_examples": self.stateful_examples,
                "stateful_steps": self.stateful_steps}


@dataclass
class RunPlan:
    """Requests per family and budget kind, the estimated wall time, and the fuzz scale."""

    families: dict[str, Counter[str]]
    estimate: float
    budget_bound: float
    scale: Scale
    budget: float | None = None
    rate: str = "off"
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.families.values())

    def lines(self) -> list[str]:
        """What the run prints before its first request."""
        parts = ", ".join(f"{name} {sum(kinds.values())}" for name, kinds in self.families.items()
                          if sum(kinds.values()))
        kinds = Counter[str]()
        for counts in self.families.values():
            kinds.update(counts)
        by_kind = ", ".join(f"{kinds[k]} {k}s" if k != "auth" else f"{kinds[k]} sign-ins/refreshes"
                            for k in KINDS)
        budget = f", budget {_minutes(self.budget)}" if self.budget else ""
        out = [f"fdconf: plan: {self.total} requests ({by_kind}): {parts}",
               f"fdconf: plan: about {_minutes(self.estimate)} at rate {self.rate} "
               f"({_minutes(self.budget_bound)} of it waiting for the budget; latency not included){budget}"]
        if self.scale.factor < 1:
            s = self.scale
            out.append(f"fdconf: plan: fuzzing scaled to fit the budget (factor {s.factor:.3f}): "
                       f"per operation at most {s.max_examples} generated, {s.coverage} edge and "
                       f"{s.examples} example case(s); stateful {s.stateful_examples} scenario(s) of "
                       f"{s.stateful_steps} steps")
        return out + [f"fdconf: plan: {note}" for note in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "families": {name: {"planned": sum(kinds.values()), "planned_by_kind": dict(kinds)}
                         for name, kinds in self.families.items()},
            "requests": {"planned": self.total},
            "estimate_seconds": round(self.estimate, 1),
            "budget_bound_seconds": round(self.budget_bound, 1),
            "budget_seconds": self.budget,
            "rate": self.rate,
            "scale": self.scale.to_dict(),
            "tolerance": TOLERANCE,
        }


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


# -- what each part sends ----------------------------------------------------------------------

def _selected_families(settings: Settings) -> set[str] | None:
    if not settings.rules:
        return None
    from conformance.harness.selection import resolve_rules_filter

    return {rule_id.split("-", 1)[0] for rule_id in resolve_rules_filter(settings.rules, catalogue())}


def preflight_requests(settings: Settings) -> Counter[str]:
    """What pre-flight sends: ``GET /status/``, the CR proof, one sign-in per persona (a static
    token's check is a read)."""
    out = Counter({"read": 1 + (1 if settings.cr else 0)})
    for name in settings.configured_personas():
        persona = settings.personas[name]
        out["read" if persona.uses_token else "auth"] += 1
    return out


def _mode_profile(settings: Settings) -> dict[str, Any]:
    data = profile()
    modes: dict[str, Any] = data["modes"]
    out = dict(modes.get(settings.mode) or modes["publish"])
    overlay = {} if settings.embedded else data.get("deployment", {}).get(settings.mode, {})
    if overlay:  # families whose deployment form sends other requests (OBJ-02's own foreign sandbox)
        out["families"] = {**out["families"], **overlay}
    return out


def rule_requests(settings: Settings) -> dict[str, Counter[str]]:
    """Requests of the scenario families (and the session fixtures: ``setup``), by budget kind."""
    wanted = _selected_families(settings)
    out: dict[str, Counter[str]] = {PREFLIGHT: preflight_requests(settings)}
    for family, kinds in _mode_profile(settings)["families"].items():
        if family in (FUZZ, STATEFUL, PREFLIGHT):
            continue
        if family != SETUP and wanted is not None and family not in wanted:
            continue
        out[family] = Counter({k: int(v) for k, v in kinds.items()})
    return out


def _fuzzes(settings: Settings) -> bool:
    wanted = _selected_families(settings)
    return settings.fuzz and (wanted is None or "SCH" in wanted)


def _cap(count: int, cap: int | None) -> int:
    return count if cap is None else min(count, cap)


def fuzz_requests(settings: Settings, scale: Scale) -> dict[str, Counter[str]]:
    """Requests of the fuzzing (per operation: its capped cases plus its extra requests) and the
    stateful phase, by budget kind."""
    if not _fuzzes(settings):
        return {}
    fuzz: Counter[str] = Counter()
    measured = int(profile().get("max_examples", 25))
    for label, op in _mode_profile(settings)["operations"].items():
        host, method, path = label.split(" ", 2)
        if host == "cr" and not settings.cr:
            continue
        generated = int(op.get("fuzzing", 0))
        # an operation whose fuzzing phase ran out of distinct cases keeps its count; others grow with N
        natural = generated if generated < measured else scale.max_examples
        cases = (_cap(int(op.get("examples", 0)), scale.examples)
                 + _cap(int(op.get("coverage", 0)), scale.coverage)
                 + min(natural, scale.max_examples))
        fuzz[classify(method, "http://h" + path)] += cases
        for kind, extra in (op.get("extra") or {}).items():
            fuzz[kind] += int(extra)
    out = {FUZZ: fuzz}
    stateful = _mode_profile(settings)["families"].get(STATEFUL)
    if stateful:
        share = (min(scale.stateful_examples, measured) / measured) * (scale.stateful_steps / STATEFUL_STEPS)
        out[STATEFUL] = Counter({k: math.ceil(int(v) * share) for k, v in stateful.items()})
    return out


# -- how long it takes -------------------------------------------------------------------------

def budget_seconds(families: Mapping[str, Counter[str]], settings: Settings) -> float:
    """Seconds the rate budget makes the run wait (0 without a budget): per kind, every request past
    the first window's figure waits ``(window + margin) / figure``; the kinds add up."""
    if not settings.rate:
        return 0.0
    span = window_span(settings.rate_window)
    kinds: Counter[str] = Counter()
    for counts in families.values():
        kinds.update(counts)
    return sum(max(0, kinds[kind] - figure) * span / figure
               for kind, figure in zip(KINDS, settings.rate, strict=True) if figure > 0)


def estimate_seconds(families: Mapping[str, Counter[str]], settings: Settings) -> tuple[float, float]:
    """``(estimate, of it waiting for the budget)``: the session's start, the local time per request
    (measured with the profile) and the budget's waits."""
    data = profile()
    total = sum(sum(kinds.values()) for kinds in families.values())
    waits = budget_seconds(families, settings)
    local = float(data.get("startup_seconds", 10.0)) + total * float(data.get("seconds_per_request", 0.02))
    return local + waits, waits


def _scaled(settings: Settings, factor: float) -> Scale:
    """The scale for ``factor`` (1 = as configured), every phase kept to its floor."""
    if factor >= 1:
        return Scale(1.0, settings.max_examples, None, None, settings.max_examples, STATEFUL_STEPS)
    biggest = profile().get("largest", {})

    def part(phase: str, full: int) -> int:
        return max(FLOOR[phase], math.floor(full * factor))

    return Scale(
        factor=factor,
        max_examples=part("fuzzing", settings.max_examples),
        examples=part("examples", int(biggest.get("examples", 10))),
        coverage=part("coverage", int(biggest.get("coverage", 100))),
        stateful_examples=max(1, math.floor(settings.max_examples * factor)),
        stateful_steps=max(2, math.floor(STATEFUL_STEPS * factor)),
    )


def make_plan(settings: Settings) -> RunPlan:
    """The run's plan; with ``settings.budget``, the fuzzing scaled to fit it.

    Raises :class:`ConfigError` (one line, exit 2) when the rules alone need longer than the budget."""
    rules = rule_requests(settings)

    def plan_for(scale: Scale) -> RunPlan:
        families = {**rules, **fuzz_requests(settings, scale)}
        estimate, waits = estimate_seconds(families, settings)
        return RunPlan(families, estimate, waits, scale, settings.budget, settings.rate_label)

    full = plan_for(_scaled(settings, 1.0))
    if settings.budget is None or full.estimate <= settings.budget:
        return full
    floor = plan_for(replace(_scaled(settings, 0.0), factor=0.0))
    rules_only, _ = estimate_seconds(rules, settings)
    if rules_only > settings.budget:
        raise ConfigError(
            f"run.budget {_minutes(settings.budget)} cannot hold the rules: at rate {settings.rate_label} "
            f"they alone need about {_minutes(rules_only)}",
            f"give --budget {math.ceil(rules_only / 60)}m or more, select fewer rules (--rules), or raise "
            "run.rate if your partner's budget is larger",
        )
    if floor.estimate > settings.budget:
        raise ConfigError(
            f"run.budget {_minutes(settings.budget)} cannot hold the rules and the least fuzzing: at rate "
            f"{settings.rate_label} they need about {_minutes(floor.estimate)}",
            f"give --budget {math.ceil(floor.estimate / 60)}m or more, or --no-fuzz to run the rules "
            f"alone (about {_minutes(rules_only)}; SCH rules then not run)",
        )
    low, high = 0.0, 1.0
    for _ in range(20):  # the largest factor that fits, to a thousandth
        middle = (low + high) / 2
        if plan_for(_scaled(settings, middle)).estimate <= settings.budget:
            low = middle
        else:
            high = middle
    chosen = plan_for(_scaled(settings, low))
    return chosen


def with_sent(plan: Mapping[str, Any], spent: Mapping[str, Counter[str]]) -> dict[str, Any]:
    """The plan as ``results.json`` keeps it: each family's planned requests beside those sent
    (pre-flight's ``sent`` was filled in by the engine)."""
    if not plan:
        return {}
    out: dict[str, Any] = json.loads(json.dumps(plan))  # a deep copy of plain data
    families: dict[str, dict[str, Any]] = out.setdefault("families", {})
    for name, kinds in spent.items():
        entry = families.setdefault(name, {"planned": 0, "planned_by_kind": {}})
        entry["sent"] = int(sum(kinds.values()))
        entry["sent_by_kind"] = {k: int(v) for k, v in kinds.items() if v}
    for entry in families.values():
        entry.setdefault("sent", 0)
        entry.setdefault("sent_by_kind", {})
    out["requests"] = {"planned": sum(int(e.get("planned", 0)) for e in families.values()),
                       "sent": sum(int(e["sent"]) for e in families.values())}
    return out
