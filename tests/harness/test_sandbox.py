"""The write-mode sandbox against the reference: created through CR, clustered, cleaned up in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.auth import Session
from conformance.client import Api, Transport
from conformance.config import PersonaSettings
from conformance.harness.sandbox import Sandbox, SandboxUnavailable


@pytest.fixture
def apis(start_stack: Callable[..., Any]) -> Iterator[tuple[Any, Api, Api]]:
    stack = start_stack()
    transport = Transport(timeout=5.0, allow_writes=True)  # the sandbox writes
    p = stack.personas["primary"]
    session = Session(
        "primary", PersonaSettings(username=p["username"], password=p["password"]), transport, stack.main_base
    )
    main = Api(transport, stack.main_base, token=session.access_token, partner=session.partner)
    cr = Api(transport, stack.cr_base, token=session.access_token, partner=session.partner, host="cr")
    yield stack, main, cr
    transport.close()


def test_sandbox_event_is_created_and_cleaned_up(apis: tuple[Any, Api, Api], tmp_path: Any) -> None:
    stack, main, cr = apis
    sandbox = Sandbox(main=main, cr=cr, seed=77)
    info = sandbox.create()
    assert info["eid"]
    assert "s77" in info["name"]
    clusters = main.get(f"/events/{info['eid']}/clusters")
    assert clusters.status == 200
    assert clusters.json()["clusters"]
    listed = [
        e.get("id") or e.get("eid") for e in main.get("/events/", params={"limit": 1000}).json()["items"]
    ]
    assert info["eid"] in listed
    # a draft exists when the run ends: cleanup must cancel it first
    assert main.post(f"/setup_processes/{info['eid']}", json={}).status in (200, 201)
    steps = sandbox.cleanup()
    assert steps[0] == "read setup process: done"
    assert "cancel draft setup process: done" in steps
    assert steps[-2:] == ["hide event (main): done", "cancel event (CR): done"]
    assert main.get(f"/setup_processes/{info['eid']}").status == 404
    writes = [(host, m, p.split("?")[0]) for host, m, p in stack.request_log if m in ("DELETE", "PUT")]
    eid = info["eid"]
    assert writes == [  # hierarchy order: draft, then the event on main, then on CR
        ("main", "DELETE", f"/api/v3/setup_processes/{eid}"),
        ("main", "PUT", f"/api/v3/events/{eid}/setup_frontend_status"),
        ("cr", "PUT", f"/api/events/last_updated_on_fe/{eid}"),
    ]
    sandbox.write_log(tmp_path, "gw0")
    log = (tmp_path / "sandbox.log").read_text(encoding="utf-8")
    assert f"sandbox gw0: event {info['eid']}" in log
    assert "cancel event (CR): done" in log


def test_sandbox_unavailable_when_the_target_refuses(apis: tuple[Any, Api, Api]) -> None:
    _stack, main, cr = apis
    broken_cr = Api(cr.transport, cr.base_url + "/nowhere", token=cr.token, partner=cr.partner, host="cr")
    with pytest.raises(SandboxUnavailable, match="did not create a simulation event"):
        Sandbox(main=main, cr=broken_cr, seed=1).create()


def test_an_interrupt_during_cleanup_still_undoes_the_rest(start_stack: Callable[..., Any]) -> None:
    """Ctrl-C while the main host holds the "hide event" step: that step is logged as interrupted, the
    CR cancel still happens, and the interrupt goes on up (the run still stops)."""
    import os
    import signal
    import threading
    import time

    stack = start_stack(hang=["main PUT /events/{eid}/setup_frontend_status HIDDEN"])
    transport = Transport(timeout=30.0, allow_writes=True)
    p = stack.personas["primary"]
    session = Session(
        "primary", PersonaSettings(username=p["username"], password=p["password"]), transport, stack.main_base
    )
    main = Api(transport, stack.main_base, token=session.access_token, partner=session.partner)
    cr = Api(transport, stack.cr_base, token=session.access_token, partner=session.partner, host="cr")
    sandbox = Sandbox(main=main, cr=cr, seed=5)
    sandbox.create()

    def interrupt_once_held() -> None:
        deadline = time.monotonic() + 20
        while stack.hang_apps["main"].held == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)  # reaches the main thread, inside the held request

    threading.Thread(target=interrupt_once_held, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.cleanup()
    finally:
        transport.close()
    assert "hide event (main): interrupted" in sandbox.cleaned
    assert sandbox.cleaned[-1] == "cancel event (CR): done"
    cancels = [path for host, method, path in stack.request_log if (host, method) == ("cr", "PUT")]
    assert cancels == [f"/api/events/last_updated_on_fe/{sandbox.eid}"]
