"""The defect registry: each defect module registers its classes here with :func:`defect`, each
starvation condition with :func:`starvation`, each live condition with :func:`condition`."""

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


@dataclass(frozen=True)
class Starvation:
    """A condition a real deployment can show in which what some rules need is absent or unusable:
    those rules must end partial or not run, never passed (``tests/test_selftests.py``)."""

    name: str
    starves: tuple[str, ...]
    description: str
    point: str
    cls: type
    #: It starves its rules only in their deployment form (a target that is not the embedded reference,
    #: e.g. OBJ-02 on a sandbox event of persona ``other``); the self-test runs it against such a target.
    deployment: bool = False


@dataclass(frozen=True)
class Condition:
    """A way a live deployment differs from the reference without breaking any rule (data that changes on
    its own between two requests): every rule must still pass under it (``tests/scenarios``)."""

    name: str
    description: str
    point: str
    cls: type


@dataclass(frozen=True)
class Intermittent:
    """A fault that answers wrong some of the time, deterministically: a run must report what it
    causes as *flaky* (its replays pass), never as a confirmed finding (``tests/test_confirmed.py``)."""

    name: str
    description: str
    point: str
    cls: type


REGISTRY: dict[str, Defect] = {}
STARVATION: dict[str, Starvation] = {}
CONDITIONS: dict[str, Condition] = {}
INTERMITTENT: dict[str, Intermittent] = {}
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


def _hook_point(cls: type) -> str:
    """The hook point a registered class overrides (the first policy base in its MRO)."""
    return next(_POINTS[base] for base in cls.__mro__ if base in _POINTS)


def _description(cls: type) -> str:
    """What the class does, from its docstring on one line (the registry's and docs' text)."""
    return " ".join((cls.__doc__ or "").split()).rstrip(".")


def defect(cls: T) -> T:
    """Register a defect class: ``name`` and ``rule`` attributes, its docstring says what it breaks."""
    point, description = _hook_point(cls), _description(cls)
    name, rule = getattr(cls, "name"), getattr(cls, "rule")  # noqa: B009 - T is any class
    REGISTRY[name] = Defect(name, rule, description, point, cls)
    return cls


def starvation(cls: T) -> T:
    """Register a starvation condition: ``name`` and ``starves`` (rule ids) attributes."""
    point, description = _hook_point(cls), _description(cls)
    name, starves = getattr(cls, "name"), tuple(getattr(cls, "starves"))  # noqa: B009 - T is any class
    deployment = bool(getattr(cls, "deployment", False))
    STARVATION[name] = Starvation(name, starves, description, point, cls, deployment)
    return cls


def condition(cls: T) -> T:
    """Register a live condition: a ``name`` attribute, its docstring says what changes on its own."""
    point, description = _hook_point(cls), _description(cls)
    name = getattr(cls, "name")  # noqa: B009 - T is any class
    CONDITIONS[name] = Condition(name, description, point, cls)
    return cls


def intermittent(cls: T) -> T:
    """Register an intermittent fault: a ``name`` attribute; its docstring says when it answers wrong."""
    point, description = _hook_point(cls), _description(cls)
    name = getattr(cls, "name")  # noqa: B009 - T is any class
    INTERMITTENT[name] = Intermittent(name, description, point, cls)
    return cls
