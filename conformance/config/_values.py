"""Setting values as people write them in a config or on a command line: durations (``90s``, ``15m``,
``1h30m``, ``90``), shards (``2/4``), rate budgets (``reads=600,writes=120`` or ``off``) and rule lists."""

from __future__ import annotations

import re
from typing import Any

from conformance.config.settings import DEFAULT_RATE_WINDOW, DOCUMENTED_RATE
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


def parse_shard(text: str, source: str = "run.shard") -> tuple[int, int]:
    """``"I/N"`` → ``(I, N)`` with 1 ≤ I ≤ N."""
    try:
        index, total = (int(p) for p in text.split("/"))
    except ValueError:
        raise ConfigError(f"{source}: {text!r} is not I/N", "write it as I/N, e.g. 2/4") from None
    if not 1 <= index <= total:
        raise ConfigError(f"{source}: shard {text} is out of range", f"I must be between 1 and N ({total})")
    return index, total


def _rate_items(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {k.strip(): v.strip() for k, v in (part.split("=") for part in value.split(","))}
    return dict(value)


def parse_rate(value: Any, embedded: bool) -> tuple[int, int, int] | None:
    """``run.rate`` (schema-valid) → (reads, writes, auth) per window, or ``None`` = unlimited.

    Not given: the developer kit's figures, except on the embedded reference (it has no budget).
    Figures left out of a string or table keep the kit's value."""
    if value is None:
        return None if embedded else DOCUMENTED_RATE
    if isinstance(value, str) and value.strip() == "off":
        return None
    figures = dict(zip(("reads", "writes", "auth"), DOCUMENTED_RATE, strict=True))
    figures.update({k: int(v) for k, v in _rate_items(value).items() if k != "window"})
    return figures["reads"], figures["writes"], figures["auth"]


def parse_rate_window(value: Any) -> float:
    """The seconds the ``run.rate`` figures are counted over: ``window=S``, else a minute."""
    if value is None or (isinstance(value, str) and value.strip() == "off"):
        return DEFAULT_RATE_WINDOW
    return float(_rate_items(value).get("window", DEFAULT_RATE_WINDOW))


def split_rules(value: Any) -> tuple[str, ...]:
    """Rule ids or families from a comma string or a list, upper-cased, without repeats."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    seen: dict[str, None] = {}
    for item in items:
        token = str(item).strip().upper()
        if token:
            seen.setdefault(token, None)
    return tuple(seen)
