"""Configuration: ``fdconf.toml`` / ``[tool.fdconf]`` < environment < flags → validated :class:`Settings`.

The loader and the JSON Schema validation are private modules behind this surface; import from
``conformance.config``.
"""

from conformance.config._loader import CONFIG_ENV, ENV_KEYS, load_settings
from conformance.config._validate import nearest, validate
from conformance.config._values import parse_shard, split_rules
from conformance.config._waivers import Waiver, append_waiver
from conformance.config.settings import MODES, PERSONAS, PersonaSettings, Settings

__all__ = [
    "CONFIG_ENV",
    "ENV_KEYS",
    "MODES",
    "PERSONAS",
    "PersonaSettings",
    "Settings",
    "Waiver",
    "append_waiver",
    "load_settings",
    "nearest",
    "parse_shard",
    "split_rules",
    "validate",
]
