"""The run's Schemathesis schemas, built from the resolved settings (never at import).

:func:`fuzz_schema` is one host's schema for the examples, coverage and fuzzing phases under pytest,
:func:`stateful_schema` the one the stateful engine runs. Both send through the run's Transport
(:func:`conformance.fuzz.routing.route`) and carry the run's :class:`~conformance.fuzz.context.FuzzContext`.

* Mode safety lives in the config's operation entries: Schemathesis ignores ``schema.include()`` and
  ``schema.exclude()`` once a config has any (see :mod:`conformance.spec`). Read-only mode:
  GET operations only and no undocumented-method probing; boost-grade operations
  (``x-fd-publish``) only in publish mode against the embedded reference.
* Seed and examples per operation come from the settings (``database=none``: reproducible).
* The stateless schema is an in-memory copy of the bundled spec whose operations carry the deliberate
  edge values as examples (:mod:`conformance.fuzz.edges`, ``run.edge_cases`` per operation).
* Each schema's base URL is the target's (``target.main`` / ``target.cr``), so a target under another
  prefix (a partner proxy) is matched like the reference; cases still pass their base per call
  (``/media`` goes to the unversioned base).
* Auth comes from a schema auth provider fed by the run's primary session, never from
  ``case.headers``, so Schemathesis' own missing/invalid-auth probes stay meaningful.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.auths import AuthContext
from schemathesis.specs.openapi.schemas import OpenApiSchema

import conformance.spec as contract
from conformance import resources
from conformance.client import Transport
from conformance.config import Settings
from conformance.fuzz.context import FuzzCase, FuzzContext
from conformance.fuzz.edges import Edge, with_edges
from conformance.fuzz.routing import route

#: Explicit examples are generated while collecting, before any persona signed in: they carry this
#: marker, which the test swaps for the real token (see ``test_fuzz``).
DEFERRED = "fdconf-deferred-token"
STATEFUL_MAX_STEPS = 6


def _stateful_steps(settings: Settings) -> int:
    """Steps per stateful scenario: the run plan's (``--budget`` scales them), else the default."""
    steps = (settings.plan.get("scale") or {}).get("stateful_steps")
    return int(steps) if isinstance(steps, int) and steps > 0 else STATEFUL_MAX_STEPS


def spec_path(host: str) -> Path:
    return Path(resources.main_spec() if host == "main" else resources.cr_spec())


def target_base(host: str, settings: Settings) -> str | None:
    """The configured base URL of ``host`` (``None`` when the run has none, e.g. no ``target.cr``).

    Schemathesis reads the schema's base path from it to tell which request a case sent (e.g. to
    judge a negative query against what was sent): without it, it falls back to the spec's first
    server (``/api/v3``, ``/api``) and a target under another prefix gets false findings."""
    return settings.cr if host == "cr" else settings.main


def fuzz_schema(host: str, settings: Settings, transport: Transport, context: FuzzContext,
                edges: dict[str, list[Edge]] | None = None) -> OpenApiSchema:
    """``host``'s schema for the stateless phases (stateful runs through the engine); ``edges`` receives
    the edge values planned per ``"METHOD path"``."""
    reads_only = settings.mode == "read-only"
    entries = contract.operations_config(
        host, reads_only=reads_only, publish=settings.mode == "publish" and settings.embedded
    )
    # target.headers and target.ca_bundle: our Transport sends and verifies with them; Schemathesis
    # knows them too, so its curl lines and its generation see the same request (as before routing).
    raw: dict[str, Any] = {"operations": entries, "headers": dict(settings.headers),
                           "tls-verify": settings.ca_bundle or True}
    base = target_base(host, settings)
    if base:
        raw["base-url"] = base
    config = schemathesis.Config.from_dict(raw)
    # The examples phase also sends the deliberate edge values (conformance.fuzz.edges).
    document, planned = with_edges(contract.spec_of(host), settings.edge_cases)
    if edges is not None:
        edges.update(planned)
    schema = schemathesis.openapi.from_dict(document, config=config)
    assert isinstance(schema, OpenApiSchema)
    schema.config.seed = settings.seed
    schema.config.generation.update(max_examples=settings.max_examples, database="none")
    schema.config.phases.stateful.enabled = False
    for phase in ("examples", "coverage", "fuzzing"):
        phase_config = getattr(schema.config.phases, phase)
        if not settings.embedded and hasattr(phase_config, "extra_data_sources"):
            phase_config.extra_data_sources.responses = False  # never reuse captured ids in writes
    if reads_only:
        schema.config.phases.coverage.unexpected_methods = set()
    _register_auth(schema, context)
    return route(schema, transport, "fuzz", fd_context=context)


def _register_auth(schema: OpenApiSchema, context: FuzzContext) -> None:
    # No caching: sessions cache and refresh tokens themselves.
    @schema.auth(refresh_interval=None).apply_to(schemathesis.openapi.require_security_scheme("bearerAuth"))
    class PrimaryToken:
        def get(self, case: FuzzCase, ctx: AuthContext) -> str:
            persona = context.personas.get("primary")
            return persona.token() if persona is not None else DEFERRED

        def set(self, case: FuzzCase, data: str, ctx: AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"


def stateful_schema(host: str, base_url: str, wfc_path: Path, *, settings: Settings, transport: Transport,
                    context: FuzzContext, peers: tuple[str, ...]) -> OpenApiSchema:
    """``host``'s schema for the engine's stateful phase (OpenAPI links, ``peers`` as WFC users).

    Against anything but the embedded reference, and in read-only mode, only GETs are followed."""
    writes_ok = settings.embedded and settings.mode != "read-only"
    publish_ok = settings.embedded and settings.mode == "publish"
    config: dict[str, Any] = {
        "base-url": base_url,
        "headers": dict(settings.headers),
        "tls-verify": settings.ca_bundle or True,
        "seed": int(settings.seed),
        "generation": {"max-examples": int(settings.max_examples), "database": "none"},
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": False},
            "stateful": {"enabled": True, "max-steps": _stateful_steps(settings)},
        },
        "auth": {"wfc": {"path": str(wfc_path), "peers": list(peers)}},
        "operations": contract.operations_config(host, reads_only=not writes_ok, publish=publish_ok),
    }
    schema = schemathesis.openapi.from_path(spec_path(host), config=schemathesis.Config.from_dict(config))
    assert isinstance(schema, OpenApiSchema)
    return route(schema, transport, "stateful", fd_context=context)
