"""Stateful phase (OpenAPI links) through the Schemathesis engine, with the built-in BOLA check.

Why the engine and not ``schema.as_state_machine()`` in pytest: the engine classifies Hypothesis'
``FlakyStrategyDefinition`` (a live server answers replays differently) instead of failing the test,
and it runs ``object_level_authorization`` (ST402), which needs WFC identities: the primary and other
personas become WFC users with fixed headers (their current token and partner) and are declared
``peers``, so an object one of them reads is replayed as the other.

Safety: against anything but the embedded reference, and in read-only mode, only GETs are followed
(links from writes would otherwise reach real events); boost-grade operations only in publish mode
against the embedded reference. Seeded, ``database=none``. A phase that ran no scenario is *not
run* (skipped with the reason), never passed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from schemathesis.core.failures import Failure
from schemathesis.engine import events

from conformance.client import PARTNER_HEADER, Transport
from conformance.config import Settings
from conformance.errors import Finding
from conformance.fuzz.context import FuzzContext
from conformance.fuzz.failures import as_finding, attributable
from conformance.fuzz.routing import engine_for
from conformance.fuzz.schemas import stateful_schema

PEERS = ("primary", "other")


def _wfc_document(context: FuzzContext) -> dict[str, Any]:
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


@contextlib.contextmanager
def _in_memory(text: str, fallback: Path) -> Iterator[Path]:
    """A readable ``.json`` path for ``text`` (the WFC document carries tokens) whose content is never
    on disk: a link to an in-memory file where the OS has them (Linux), else a private file; both
    removed at once."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("fdconf-wfc")
        link = fallback.with_name(fallback.stem + "-link.json")
        try:
            os.write(fd, text.encode("utf-8"))
            link.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")  # Schemathesis wants a .json name
            yield link
        finally:
            link.unlink(missing_ok=True)
            os.close(fd)
        return
    fallback.write_text(text, encoding="utf-8")
    fallback.chmod(0o600)
    try:
        yield fallback
    finally:
        fallback.unlink(missing_ok=True)


def _failures(event: events.ScenarioFinished) -> list[Failure]:
    out: list[Failure] = []
    for checks in event.recorder.checks.values():
        # one recorder entry per case (one response): a 5xx there is SCH-01's alone
        found = [node.failure_info.failure for node in checks if node.failure_info is not None]
        out.extend(f for f in attributable(found) if isinstance(f, Failure))
    return out


@pytest.mark.fd_rule("SCH-01", "SCH-02", "SCH-03")
@pytest.mark.parametrize("host", ["main", "cr"])
def test_stateful_links(  # noqa: PLR0917 - pytest passes fixtures positionally
    host: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    fd_settings: Settings,
    fd_transport: Transport,
    fuzz_context: FuzzContext,
) -> None:
    base_url = fd_settings.main if host == "main" else fd_settings.cr
    if not base_url:
        from conformance.harness.layout import absent_hosts

        pytest.skip(f"not run: {absent_hosts(fd_settings).get(host, f'target.{host} is not configured')}")
    failures: list[Failure] = []
    scenarios = 0
    with _in_memory(json.dumps(_wfc_document(fuzz_context)), tmp_path / "wfc-auth.json") as wfc:
        schema = stateful_schema(host, base_url, wfc, settings=fd_settings, transport=fd_transport,
                                 context=fuzz_context, peers=PEERS)
        for event in engine_for(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                scenarios += 1
                failures.extend(_failures(event))
            elif isinstance(event, events.Interrupted):
                raise KeyboardInterrupt  # the engine swallows Ctrl-C; the run must still stop
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
    if not scenarios:
        # an engine that followed no link judged nothing: not run, never passed
        pytest.skip(f"not run: the {host} stateful phase ran no scenario (no link it could follow)")
