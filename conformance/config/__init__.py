"""Configuration: ``fdconf.toml`` / ``[tool.fdconf]`` < environment < flags → validated :class:`Settings`."""

from conformance.config.loader import ENV_KEYS, load_settings, parse_shard, split_rules
from conformance.config.settings import MODES, PERSONAS, PersonaSettings, Settings

__all__ = ["ENV_KEYS", "MODES", "PERSONAS", "PersonaSettings", "Settings", "load_settings", "parse_shard",
           "split_rules"]
