"""Named defects of the reference, for the suite's self-tests (``fdconf serve --defect NAME``).

Each defect breaks exactly one catalogue rule by overriding one method of one hook point
(:mod:`conformance.reference.hooks`) and delegating every other case to the clean behaviour with
``super()``. Nothing outside this package knows a defect exists: the clean handlers only ever call hook
points. This module is the registry; the defects live in ``identity`` (AUTH, TEN), ``objects`` (OBJ,
RUN, CID) and ``surface`` (WAV, HST, ERR, PAG, SCH). ``docs/defects.md`` is the human-readable
table of this registry (a test keeps them in sync). Where a violation necessarily also shows as a
schema mismatch, SCH-02 (the catch-all) may co-fire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from conformance.reference import hooks as h

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class Defect:
    name: str
    rule: str
    description: str
    point: str  # the Hooks attribute it replaces
    cls: type


@dataclass(frozen=True)
class Starvation:
    """A condition a real deployment can show in which what some rules need is absent or unusable:
    those rules must end partial or not run, never passed (``tests/test_selftests.py``)."""

    name: str
    starves: tuple[str, ...]
    description: str
    point: str
    cls: type


REGISTRY: dict[str, Defect] = {}
STARVATION: dict[str, Starvation] = {}
_POINTS = {
    h.TokenPolicy: "tokens",
    h.TenancyPolicy: "tenancy",
    h.AccessPolicy: "access",
    h.ListPolicy: "lists",
    h.RunPolicy: "runs",
    h.WavePolicy: "wave",
    h.RenderPolicy: "render",
    h.RoutePolicy: "routing",
    h.ValidationPolicy: "validation",
    h.ErrorPolicy: "errors",
}


def defect(cls: T) -> T:
    """Register a defect class: ``name`` and ``rule`` attributes, its docstring says what it breaks."""
    point = next(_POINTS[base] for base in cls.__mro__ if base in _POINTS)
    description = " ".join((cls.__doc__ or "").split()).rstrip(".")
    name, rule = getattr(cls, "name"), getattr(cls, "rule")  # noqa: B009 - T is any class
    REGISTRY[name] = Defect(name, rule, description, point, cls)
    return cls


def starvation(cls: T) -> T:
    """Register a starvation condition: ``name`` and ``starves`` (rule ids) attributes."""
    point = next(_POINTS[base] for base in cls.__mro__ if base in _POINTS)
    description = " ".join((cls.__doc__ or "").split()).rstrip(".")
    name, starves = getattr(cls, "name"), tuple(getattr(cls, "starves"))  # noqa: B009 - T is any class
    STARVATION[name] = Starvation(name, starves, description, point, cls)
    return cls


def starvations() -> dict[str, tuple[tuple[str, ...], str]]:
    """Starvation condition name → (rules it starves, what it does)."""
    return {s.name: (s.starves, s.description) for s in STARVATION.values()}


def known() -> list[str]:
    """Every name ``build_hooks`` accepts: firing defects and starvation conditions."""
    return [*REGISTRY, *STARVATION]


def available() -> dict[str, tuple[str, str]]:
    """Defect name → (rule id, what it does), in catalogue order."""
    return {d.name: (d.rule, d.description) for d in REGISTRY.values()}


def build_hooks(names: Sequence[str]) -> h.Hooks:
    """Clean hooks with the named defects swapped in (several on one point compose via the MRO)."""
    entries: dict[str, Defect | Starvation] = {**REGISTRY, **STARVATION}
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
    from conformance.reference.defects import identity, objects, starving, surface  # noqa: F401


_load()
