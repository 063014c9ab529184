"""Named defects of the reference, for the suite's self-tests (``fdconf serve --defect NAME``).

Each defect breaks exactly one catalogue rule by overriding one method of one hook point
(:mod:`conformance.reference.hooks`) and delegating every other case to the clean behaviour with
``super()``. Nothing outside this package knows a defect exists: the clean handlers only ever call hook
points. ``registry`` holds the registry; the defects live in ``identity`` (AUTH, TEN), ``objects`` (OBJ,
RUN, CID) and ``surface`` (WAV, HST, ERR, PAG, SCH). ``docs/defects.md`` is the human-readable
table of this registry (a test keeps them in sync). Where a violation necessarily also shows as a
schema mismatch, SCH-02 (the catch-all) may co-fire. Live conditions (``live``) break nothing: they make
the reference's data move between two requests, as a live deployment's does.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.reference import hooks as h
from conformance.reference.defects.registry import (
    CONDITIONS,
    INTERMITTENT,
    REGISTRY,
    STARVATION,
    Condition,
    Defect,
    Intermittent,
    Starvation,
    condition,
    defect,
    intermittent,
    starvation,
)

__all__ = ["CONDITIONS", "INTERMITTENT", "REGISTRY", "STARVATION", "Condition", "Defect", "Intermittent",
           "Starvation", "available", "build_hooks", "condition", "conditions", "defect", "intermittent",
           "intermittents", "known", "starvation", "starvations"]


def starvations() -> dict[str, tuple[tuple[str, ...], str]]:
    """Starvation condition name → (rules it starves, what it does)."""
    return {s.name: (s.starves, s.description) for s in STARVATION.values()}


def conditions() -> dict[str, str]:
    """Live condition name → what changes on its own (no rule may fail under it)."""
    return {c.name: c.description for c in CONDITIONS.values()}


def intermittents() -> dict[str, str]:
    """Intermittent fault name → when it answers wrong."""
    return {f.name: f.description for f in INTERMITTENT.values()}


def known() -> list[str]:
    """Every name ``build_hooks`` accepts: defects, starvation, live conditions, intermittent faults."""
    return [*REGISTRY, *STARVATION, *CONDITIONS, *INTERMITTENT]


def available() -> dict[str, tuple[str, str]]:
    """Defect name → (rule id, what it does), in catalogue order."""
    return {d.name: (d.rule, d.description) for d in REGISTRY.values()}


def build_hooks(names: Sequence[str]) -> h.Hooks:
    """Clean hooks with the named defects swapped in (several on one point compose via the MRO)."""
    entries: dict[str, Defect | Starvation | Condition | Intermittent] = {
        **REGISTRY, **STARVATION, **CONDITIONS, **INTERMITTENT}
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise ValueError(
            f"unknown defect(s) {', '.join(unknown)}; valid names: {', '.join(sorted(entries))}"
        )
    hooks = h.Hooks.clean()
    by_point: dict[str, list[type]] = {}
    for name in dict.fromkeys(names):
        by_point.setdefault(entries[name].point, []).append(entries[name].cls)
    for point, classes in by_point.items():
        cls = classes[0] if len(classes) == 1 else type(f"Defective_{point}", tuple(classes), {})
        setattr(hooks, point, cls())
    return hooks


def _load() -> None:
    # Import order is catalogue order (AUTH … SCH); each module registers its classes on import.
    from conformance.reference.defects import flaky, identity, live, objects, starving, surface  # noqa: F401


_load()
