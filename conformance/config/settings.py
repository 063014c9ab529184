"""The resolved settings of one run: where the target is, who signs in, what may be sent.

:class:`Settings` is the one settings model of the suite: what the loader produces from
``fdconf.toml`` / environment (``FD_*``, ``FDCONF_PERSONA_<NAME>_<FIELD>``) / flags, what ``fdconf
run`` hands its pytest child over a pipe, and what xdist workers receive over their channel (JSON
both times). It holds secrets (passwords, tokens, secret headers): it is never written to a file or
a report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from conformance.config._waivers import Waiver

MODES = ("read-only", "write", "publish")
PERSONAS = ("primary", "other", "multi", "nopartner", "legacy")
PERSONA_FIELDS = ("username", "password", "token", "partner", "expired_token")
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_EDGE_CASES = 8
DEFAULT_TIMEOUT = 10.0
DEFAULT_REFRESH_TIMEOUT = 30.0  # a real target may recompute clusters asynchronously
EMBEDDED_REFRESH_TIMEOUT = 3.0  # the reference refreshes synchronously
DOCUMENTED_RATE = (600, 120, 10)  # the developer kit's reads, writes (per partner), auth per minute
DEFAULT_RATE_WINDOW = 60.0  # the figures are per minute unless a test scales the window down
DEFAULT_RATE_BACKOFF = 5.0  # the kit's guidance after a 429: wait 5-10 s
DEFAULT_ABANDON_AFTER = 3  # timeouts in a row after which an operation is abandoned (0 = never)
DEFAULT_RETRY_WAIT = 60.0  # seconds pre-flight and discovery wait out a target that is briefly down
DEFAULT_CONFIRM = 2  # replays of a failing probe or fuzz case before it counts (0 = none)


@dataclass(frozen=True)
class PersonaSettings:
    """How one persona authenticates: username/password (signed in via ``POST /auth``) or a static token.

    ``partner`` pins the ``X-Preferred-Partner-Id`` the persona uses by default (required for static
    tokens of multi-partner users; otherwise discovered from the IdToken). ``expired_token`` is a
    validly signed but expired AccessToken, used by AUTH-01 when the target can provide one.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    partner: str | None = None
    expired_token: str | None = field(default=None, repr=False)
    # The persona's partners as far as known (from the embedded reference or the pre-flight sign-in):
    # shown in reports, never sent. Not a config key.
    partners: tuple[str, ...] = ()

    @property
    def uses_token(self) -> bool:
        return bool(self.token)

    @property
    def configured(self) -> bool:
        return bool(self.token or (self.username and self.password))

    def label(self) -> str:
        """Who this persona is, safe for messages: ``alice@…`` or ``static token``."""
        if self.uses_token:
            return "static token"
        user = self.username or "?"
        if "@" in user:
            return user.split("@", 1)[0] + "@…"
        return user[:3] + "…" if len(user) > 3 else user

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.token, self.expired_token) if s]


@dataclass(frozen=True)
class Settings:
    """One run's settings, validated. ``main`` is ``None`` only before an embedded reference is started."""

    main: str | None = None
    cr: str | None = None
    media: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # extra headers on every request (secrets)
    ca_bundle: str | None = None  # PEM file of the targets' CA; None = the system's trust store
    embedded: bool = False
    mode: str = "read-only"
    seed: int = 0
    max_examples: int = DEFAULT_MAX_EXAMPLES
    edge_cases: int = DEFAULT_EDGE_CASES  # deliberate edge values per operation (conformance.fuzz.edges)
    timeout: float = DEFAULT_TIMEOUT
    refresh_timeout: float = DEFAULT_REFRESH_TIMEOUT
    retry_wait: float = DEFAULT_RETRY_WAIT
    rate: tuple[int, int, int] | None = None  # reads, writes, auth per window; None = unlimited
    rate_window: float = DEFAULT_RATE_WINDOW  # seconds the rate figures are counted over
    # What pre-flight already sent inside the window: (kind, partner, seconds ago); set by the engine.
    rate_spent: tuple[tuple[str, str | None, float], ...] = ()
    deadline: float | None = None  # seconds the whole run may take (run.deadline); None = unbounded
    budget: float | None = None  # seconds the run should fit in (run.budget): the fuzzing is scaled to it
    # The run plan (conformance.harness.plan), set by the engine before pre-flight: what each family
    # will send, the estimate, and how the budget scaled the fuzzing (its ``scale``). Not a config key.
    plan: Mapping[str, Any] = field(default_factory=dict)
    # The tokens pre-flight's sign-ins were issued, per persona ({access, id_token, refresh,
    # expires_at}), so the pytest child signs nobody in again (one sign-in per persona per run).
    # Secrets: travel over the child's pipe and xdist's channel only. Not a config key.
    tokens: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    abandon_after: int = DEFAULT_ABANDON_AFTER  # timeouts in a row before an operation is given up on
    confirm: int = DEFAULT_CONFIRM  # replays of a failure before it counts (run.confirm); 0 = none
    strict: bool = False  # run.strict / --strict: a flaky finding counts like a confirmed one
    rate_backoff: float = DEFAULT_RATE_BACKOFF
    report_dir: str | None = None
    rules: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    workers: int = 0
    # Requests in flight at once (run.concurrency); 0 = auto, resolved by the engine after pre-flight
    # (conformance.harness.concurrency): it sets ``workers`` (and ``concurrency``, which turns on the
    # sweeps' thread pool) when those are not set.
    concurrency: int = 0
    shard: tuple[int, int] | None = None
    fuzz: bool = True
    allure: bool = False
    personas: Mapping[str, PersonaSettings] = field(default_factory=dict)
    config_file: str | None = None  # where the file layer came from, for messages
    waivers: tuple[Waiver, ...] = ()  # accepted known failures (conformance.config._waivers)
    run_id: str | None = None  # set by the engine: reports/<run-id>/

    @property
    def targets(self) -> dict[str, str]:
        """Host name → base URL, for the hosts that are configured."""
        out = {"main": self.main, "cr": self.cr, "media": self.media}
        return {k: v for k, v in out.items() if v}

    def transport_options(self) -> dict[str, Any]:
        """How every HTTP client of the run reaches the targets: ``Transport(**transport_options())``."""
        # After a 429: the kit's 5-10 s (base, doubled once, capped at twice the base), 30 % jitter,
        # at most 5 attempts (FD's advice: never beyond 5).
        return {"timeout": self.timeout, "headers": dict(self.headers), "ca_bundle": self.ca_bundle,
                "backoff_base": self.rate_backoff, "backoff_cap": 2 * self.rate_backoff, "jitter": 0.3,
                "max_429_retries": 4, "abandon_after": self.abandon_after, "gone_after": self.retry_wait}

    @property
    def rate_label(self) -> str:
        """The budget in force as ``reads=…,writes=…,auth=…[,window=…]`` (``off``: unlimited)."""
        if not self.rate:
            return "off"
        text = f"reads={self.rate[0]},writes={self.rate[1]},auth={self.rate[2]}"
        return text + (f",window={self.rate_window:g}" if self.rate_window != DEFAULT_RATE_WINDOW else "")

    @property
    def shard_label(self) -> str:
        return f"{self.shard[0]}/{self.shard[1]}" if self.shard else ""

    def persona(self, name: str) -> PersonaSettings | None:
        """The persona if it is configured well enough to authenticate, else ``None``."""
        persona = self.personas.get(name)
        return persona if persona is not None and persona.configured else None

    def configured_personas(self) -> list[str]:
        return [name for name, p in self.personas.items() if p.configured]

    def secrets(self) -> list[str]:
        """Every secret these settings hold (persona passwords and tokens, extra header values)."""
        found = [secret for persona in self.personas.values() for secret in persona.secrets()]
        issued = [str(v) for t in self.tokens.values() for k, v in t.items() if k != "expires_at" and v]
        return found + issued + [value for value in self.headers.values() if value]

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = list(self.rules)
        data["defects"] = list(self.defects)
        data["shard"] = list(self.shard) if self.shard else None
        data["rate"] = list(self.rate) if self.rate else None
        data["personas"] = {name: asdict(p) for name, p in self.personas.items()}
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["rules"] = tuple(values.get("rules") or ())
        values["defects"] = tuple(values.get("defects") or ())
        shard = values.get("shard")
        values["shard"] = (int(shard[0]), int(shard[1])) if shard else None
        rate = values.get("rate")
        values["rate"] = (int(rate[0]), int(rate[1]), int(rate[2])) if rate else None
        values["rate_spent"] = tuple((str(k), None if p is None else str(p), float(ago))
                                     for k, p, ago in values.get("rate_spent") or ())
        values["personas"] = {
            name: PersonaSettings(
                **{k: v for k, v in p.items() if k in PERSONA_FIELDS},
                partners=tuple(str(x) for x in p.get("partners") or ()),
            )
            for name, p in (values.get("personas") or {}).items()
        }
        values["waivers"] = tuple(Waiver(**w) for w in values.get("waivers") or ())
        values["plan"] = dict(values.get("plan") or {})
        values["tokens"] = {str(k): dict(v) for k, v in (values.get("tokens") or {}).items()}
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls.from_dict(json.loads(text))

    def public_personas(self) -> list[dict[str, str]]:
        """Persona names and partners only (what a report may show): every known partner of the persona,
        comma-separated (``"partner-id-acme, partner-id-beta"``), else the pinned one, else ``""``."""
        return [
            {"name": name, "partner": ", ".join(p.partners) or p.partner or ""}
            for name, p in self.personas.items()
            if p.configured
        ]

    def with_partners(self, known: Mapping[str, Sequence[str]]) -> Settings:
        """These settings with each named persona's known partners recorded (for reports)."""
        personas = dict(self.personas)
        for name, partners in known.items():
            if name in personas and partners:
                personas[name] = replace(personas[name], partners=tuple(sorted(partners)))
        return replace(self, personas=personas)
