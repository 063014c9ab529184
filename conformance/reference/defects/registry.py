"""The defect registry: each defect module registers its classes here with :func:`defect`."""

from __future__ import annotations

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


REGISTRY: dict[str, Defect] = {}
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
