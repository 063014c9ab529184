"""Stateful phase (OpenAPI links) through the Schemathesis engine, with the built-in BOLA check.

Why the engine and not ``schema.as_state_machine()`` in pytest: the engine classifies Hypothesis'
``FlakyStrategyDefinition`` (a live server answers replays differently) instead of failing the test,
and it runs ``object_level_authorization`` (ST402), which needs WFC identities: the primary and other
personas become WFC users with fixed headers (their current token and partner) and are declared
``peers``, so an object one of them reads is replayed as the other.

Safety: against anything but the embedded reference, and in read-only mode, only GETs are followed
(links from writes would otherwise reach real events); boost-grade operations only in publish mode
against the embedded reference. Seeded, ``database=none``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis

import conformance.spec as contract
from conformance import resources
from conformance.checks import st_hooks
from conformance.client.http import PARTNER_HEADER
from conformance.errors import Finding
from conformance.fuzz.failures import as_finding, attributable

MAX_STEPS = 6
PEERS = ("primary", "other")


def _wfc_document(context: st_hooks.FuzzContext) -> dict[str, Any]:
    users = []
    for name in PEERS:
        persona = context.personas.get(name)
        if persona is None or not persona.partner:
            pytest.skip(f"not run: persona `{name}` with exactly one partner is needed for the BOLA peers")
        users.append(
            {
                "name": name,
                "fixedHeaders": [
                    {"name": "Authorization", "value": f"Bearer {persona.token()}"},
                    {"name": PARTNER_HEADER, "value": persona.partner},
                ],
            }
        )
    return {"auth": users}


def _schema(host: str, base_url: str, wfc_path: Path, settings: Any) -> Any:
    writes_ok = settings.embedded and settings.mode != "read-only"
    publish_ok = settings.embedded and settings.mode == "publish"
    config = schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "headers": dict(settings.headers),  # target.headers, e.g. a proxy's own key
            "tls-verify": settings.ca_bundle or True,
            "seed": int(settings.seed),
            "generation": {"max-examples": int(settings.max_examples), "database": "none"},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": True, "max-steps": MAX_STEPS},
            },
            "auth": {"wfc": {"path": str(wfc_path), "peers": list(PEERS)}},
            # the mode's safety (GET only / no publish-grade writes) and the semantic 422
            "operations": contract.operations_config(host, reads_only=not writes_ok, publish=publish_ok),
        }
    )
    path = resources.main_spec() if host == "main" else resources.cr_spec()
    return schemathesis.openapi.from_path(path, config=config)


def _failures(event: Any) -> list[Any]:
    recorder = getattr(event, "recorder", None)
    out = []
    for checks in recorder.checks.values() if recorder is not None else []:
        # one recorder entry per case (one response): a 5xx there is SCH-01's alone
        found = [node.failure_info.failure for node in checks if getattr(node, "failure_info", None)]
        out.extend(attributable(found))
    return out


@pytest.mark.fd_rule("SCH-01", "SCH-02", "SCH-03")
@pytest.mark.parametrize("host", ["main", "cr"])
def test_stateful_links(  # noqa: PLR0917 - pytest passes fixtures positionally
    host: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    fd_settings: Any,
    fuzz_context: st_hooks.FuzzContext,
    fd_api: Callable[..., Any],
) -> None:
    from schemathesis.engine import events

    base_url = fd_settings.main if host == "main" else fd_settings.cr
    if not base_url:
        pytest.skip(f"not run: target.{host} is not configured")
    wfc = tmp_path / "wfc-auth.json"
    wfc.write_text(json.dumps(_wfc_document(fuzz_context)), encoding="utf-8")
    schema = _schema(host, base_url, wfc, fd_settings)
    failures: list[Any] = []
    scenarios = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            scenarios += 1
            failures.extend(_failures(event))
        elif isinstance(event, events.FatalError):
            raise Finding("SCH-02", f"{host} stateful run stopped: {event.exception}")
    request.node.user_properties.extend(
        [
            ("fd_operation", f"{host} STATEFUL /links"),
            ("fd_cases", scenarios),
            ("fd_phases", {"stateful": scenarios}),
        ]
    )
    if failures:
        raise as_finding(
            BaseExceptionGroup("stateful failures", failures), operation=f"{host} stateful links", host=host
        )
