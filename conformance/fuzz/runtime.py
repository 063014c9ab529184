"""What the fuzz module needs at collection time, before fixtures exist.

Schemathesis builds its Hypothesis tests while collecting, so the seed, the example budget and the
mode (which operations and phases may run) must be known then. They come from the fdconf plugin's
resolved settings when the plugin is active, else from ``FDCONF_SEED``/``FDCONF_MAX_EXAMPLES``/
``FDCONF_MODE``/``FDCONF_EMBEDDED`` (defaults: seed 0, 10 examples, read-only, not embedded).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_EXAMPLES = 10
CONFIG: Any = None  # the pytest config, set by conformance/fuzz/conftest.py


@dataclass(frozen=True)
class CollectionSettings:
    seed: int = 0
    max_examples: int = DEFAULT_MAX_EXAMPLES
    mode: str = "read-only"
    embedded: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # target.headers, on every case
    ca_bundle: str | None = None  # target.ca_bundle, for TLS verification


def collection_settings() -> CollectionSettings:
    settings = _plugin_settings()
    if settings is not None:
        return CollectionSettings(
            seed=int(settings.seed),
            max_examples=int(settings.max_examples),
            mode=str(settings.mode),
            embedded=bool(settings.embedded),
            headers=dict(settings.headers),
            ca_bundle=settings.ca_bundle,
        )
    env = os.environ
    return CollectionSettings(
        seed=int(env.get("FDCONF_SEED", "0")),
        max_examples=int(env.get("FDCONF_MAX_EXAMPLES", str(DEFAULT_MAX_EXAMPLES))),
        mode=env.get("FDCONF_MODE", "read-only"),
        embedded=env.get("FDCONF_EMBEDDED", "") in ("1", "true", "yes"),
    )


def _plugin_settings() -> Any:
    """The fdconf plugin's resolved settings, or ``None`` when the plugin is not active in this session."""
    if CONFIG is None:
        return None
    try:
        from conformance import plugin
    except ImportError:  # pragma: no cover - the plugin ships with the package
        return None
    state_of = getattr(plugin, "state_of", None)
    if state_of is None:  # pragma: no cover - an older plugin without run state
        return None
    try:
        state = state_of(CONFIG)
    except Exception:  # no fdconf state on this config: fall back to the environment
        return None
    return state.settings if getattr(state, "active", False) else None
