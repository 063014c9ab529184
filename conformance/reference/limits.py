"""The limits a deployment imposes, for the reference in normal use: a rate budget and latency.

``fdconf serve --rate-limit documented --latency 80ms`` (and ``ReferenceStack(limits=...)``) puts two
conditions of :mod:`conformance.reference.faults` in front of both hosts and nothing else (no token
life, bursts, transient 503s or cluster refreshes: those belong to the integration sandbox):

* the budget: reads and writes per partner, sign-ins plus refreshes for everyone, over a sliding
  window (60 s unless a test scales it); over budget → 429 in the error envelope, no ``Retry-After``;
* the latency: every answer is held that long.

Figures: ``documented`` (the developer kit's reads=600,writes=120,auth=10 per minute) or a comma list
of ``reads=N``, ``writes=N``, ``auth=N``, ``window=S`` (left-out figures keep the kit's value).
Latency: ``80ms``, ``0.08s`` or ``0.08`` (seconds).
"""

from __future__ import annotations

from dataclasses import replace

from conformance.reference.faults import Conditions

DOCUMENTED = {"reads": 600, "writes": 120, "auth": 10}
FIGURES = ("reads", "writes", "auth", "window")

#: Only what a deployment does to every client: no sandbox fault is on.
_NOTHING = Conditions(token_life=None, budgets=False, bursts=False, transient=0.0, refresh=False)


def parse_rate_limit(text: str) -> dict[str, float]:
    """``documented`` or ``reads=N,writes=N,auth=N[,window=S]`` → figures; ValueError naming the fix."""
    figures: dict[str, float] = {**DOCUMENTED, "window": 60.0}
    spec = text.strip()
    if spec in ("", "documented"):
        return figures
    for raw in spec.split(","):
        name, sep, value = raw.strip().partition("=")
        if name not in FIGURES or not sep:
            raise ValueError(
                f"--rate-limit item {raw.strip()!r} is not one of {', '.join(f + '=N' for f in FIGURES)}"
                " (or 'documented')"
            )
        try:
            number = float(value) if name == "window" else int(value)
        except ValueError:
            raise ValueError(f"--rate-limit {name} needs a number, e.g. {name}=60") from None
        if number <= 0:
            raise ValueError(f"--rate-limit {name} must be positive, not {value}")
        figures[name] = number
    return figures


def parse_latency(text: str) -> float:
    """``80ms`` / ``0.08s`` / ``0.08`` → seconds; ValueError naming the fix."""
    spec = text.strip().lower()
    scale = 1.0
    if spec.endswith("ms"):
        spec, scale = spec[:-2], 0.001
    elif spec.endswith("s"):
        spec = spec[:-1]
    try:
        seconds = float(spec) * scale
    except ValueError:
        raise ValueError(f"--latency {text!r} is not a duration; write it as 80ms or 0.08s") from None
    if not 0 <= seconds <= 60:
        raise ValueError(f"--latency {text!r} must be between 0 and 60 s")
    return seconds


def limits(rate_limit: str | None = None, latency: str | float | None = None) -> Conditions | None:
    """The conditions for a budget and/or a latency (``None``: neither is asked for)."""
    if rate_limit is None and not latency:
        return None
    out = _NOTHING
    if rate_limit is not None:
        f = parse_rate_limit(rate_limit)
        out = replace(out, budgets=True, reads_per_window=int(f["reads"]), writes_per_window=int(f["writes"]),
                      auth_per_window=int(f["auth"]), window=float(f["window"]))
    if latency:
        out = replace(out, latency=latency if isinstance(latency, float) else parse_latency(str(latency)))
    return out


def rate_setting(conditions: Conditions | None) -> str:
    """The suite's ``run.rate`` matching ``conditions`` (``off`` when no budget is enforced)."""
    if conditions is None or not conditions.budgets:
        return "off"
    c = conditions
    text = f"reads={c.reads_per_window},writes={c.writes_per_window},auth={c.auth_per_window}"
    return text + (f",window={c.window:g}" if c.window != 60 else "")
