"""The embedded reference as a target: start it with defects, take URLs and personas from it.

Only this module (and the CLI) import :mod:`conformance.reference`, and only through
``conformance.reference.stack.ReferenceStack`` for the defect registry (ARCHITECTURE.md); a run's
reference is started as a child process (:mod:`conformance.harness.reference_process`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.config import PersonaSettings, Settings, nearest
from conformance.errors import ConfigError, UsageError
from conformance.redact import REDACTOR


def _stack_class() -> Any:
    try:
        from conformance.reference.stack import ReferenceStack
    except ImportError as exc:  # pragma: no cover - only while the reference is being built
        raise UsageError(f"the bundled reference is not available ({exc})",
                         "give a target (--main/--cr) instead") from exc
    return ReferenceStack


def available_defects() -> list[str]:
    """Names of the defects (starvation, live conditions, intermittent faults) the reference can switch on."""
    stack = _stack_class()
    return ([str(d) for d in stack.available_defects()] + [str(s) for s in stack.starvation_conditions()]
            + [str(c) for c in stack.live_conditions()] + [str(f) for f in stack.intermittent_faults()])


def check_defects(defects: Sequence[str]) -> None:
    """Raise :class:`ConfigError` for a defect name the reference does not know, suggesting the nearest."""
    known = available_defects()
    for name in defects:
        if name not in known:
            guess = nearest(name, known)
            raise ConfigError(f"--defect: unknown defect {name!r}",
                              f"did you mean {guess!r}?" if guess else f"known: {', '.join(known)}")


def start_reference(defects: Sequence[str] = ()) -> Any:
    """A started reference with ``defects`` on, in a child process (the caller stops it); it exposes
    the URLs and personas a :class:`ReferenceStack` does (:mod:`.reference_process`)."""
    from conformance.harness.reference_process import ReferenceProcess

    check_defects(defects)
    return ReferenceProcess(defects).start()


def _field(persona: Any, name: str) -> Any:
    return persona.get(name) if isinstance(persona, Mapping) else getattr(persona, name, None)


def personas_of(stack: Any) -> dict[str, PersonaSettings]:
    """The stack's personas as settings: username/password, every partner (for reports), and the pinned
    partner header when there is exactly one."""
    out: dict[str, PersonaSettings] = {}
    for name, persona in dict(stack.personas).items():
        partners = list(_field(persona, "partners") or [])
        settings = PersonaSettings(
            username=_field(persona, "username"),
            password=_field(persona, "password"),
            partner=partners[0] if len(partners) == 1 else None,
            expired_token=_field(persona, "expired_token"),
            partners=tuple(sorted(str(x) for x in partners)),
        )
        for secret in settings.secrets():
            REDACTOR.add(secret)
        out[str(name)] = settings
    return out


def settings_for_stack(settings: Settings, stack: Any) -> Settings:
    """``settings`` pointed at the running reference: its URLs and personas (configured ones win)."""
    personas = personas_of(stack)
    personas.update({name: p for name, p in settings.personas.items() if p.configured})
    return settings.with_changes(
        main=str(stack.main_base).rstrip("/"),
        cr=str(stack.cr_base).rstrip("/"),
        media=str(stack.media_base).rstrip("/"),
        embedded=True,
        personas=personas,
    )
