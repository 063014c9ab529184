"""Wiring of the integration sandbox around the two host applications: recorder outside, faults inside."""

from __future__ import annotations

from typing import Any

from conformance.reference.faults import Conditions, FaultsApp, Sandbox
from conformance.reference.recording import Recorder, RecordingApp


def wrap_for_sandbox(
    apps: dict[str, Any], svc: Any, conditions: Conditions
) -> tuple[Recorder, dict[str, Any]]:
    """Each host app wrapped so every request is faulted (per ``conditions``) and then recorded."""
    recorder = Recorder()
    recorder.meta["conditions"] = conditions.describe()
    sandbox = Sandbox(conditions, svc)
    wrapped = {
        host: RecordingApp(FaultsApp(app, sandbox, host), recorder, host) for host, app in apps.items()
    }
    return recorder, wrapped
