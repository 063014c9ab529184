"""Durations as people write them in a config or on a command line: ``90s``, ``15m``, ``1h30m``, ``90``."""

from __future__ import annotations

import re
from typing import Any

from conformance.errors import ConfigError

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(value: Any, source: str) -> float:
    """Seconds in ``value`` (a positive number of seconds, or ``1h30m``/``15m``/``90s``); a
    :class:`ConfigError` naming ``source`` and the accepted forms otherwise."""
    hint = "write a positive duration such as 90s, 15m or 1h30m (a bare number is seconds)"
    if isinstance(value, bool):
        raise ConfigError(f"{source}: {value!r} is not a duration", hint)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            match = _DURATION.match(text)
            if not text or match is None:
                raise ConfigError(f"{source}: {value!r} is not a duration", hint) from None
            seconds = sum(float(n) * unit for n, unit in zip(match.groups(), _UNITS.values(), strict=True)
                          if n is not None)
    if not seconds > 0:
        raise ConfigError(f"{source}: {value!r} is not a positive duration", hint)
    return seconds
