"""The write-mode sandbox: a simulation event of the suite's own, cleaned up in hierarchy order.

Write rules never touch existing data: they work on an event the run creates through the CR API
(``POST /events/?event_type=fdlive``) and waits for until it has taste clusters. Teardown runs even
when tests failed, deepest level first: the draft setup process, then (if a boost published any)
the campaigns, then the event itself (hidden on main, cancelled on CR). Each step is logged; a step
the target does not support is logged and skipped, never fatal.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.client import Api, Exchange, Throttled
from conformance.errors import TargetError

LOG = logging.getLogger("conformance.sandbox")
CLUSTER_WAIT = 30.0  # seconds: clusters may be computed asynchronously on real targets
#: Seconds the remaining cleanup steps are still tried after an interrupt: a run must stop within
#: about 5 s of a signal, and on a healthy target the whole cleanup takes a fraction of a second.
CLEANUP_GRACE = 2.0


class SandboxUnavailable(Exception):
    """The target could not give the run a sandbox event; write rules are then not run."""


def simulation_payload(name: str) -> dict[str, Any]:
    """A simulation event body (developer docs, Lookout simulation page)."""
    day = (datetime.now(UTC) + timedelta(days=45)).date().isoformat()
    return {
        "name": name,
        "description": "Created by fd-conformance for write-mode checks; archived when the run ends.",
        "venue": "fdconf Test Hall",
        "capacity": 500,
        "date": day,
        "time": "20:00",
        "city": "Berlin",
        "category": "concert",
        "hall": "Main",
        "price": {"min": 10, "max": 50},
        "lineups": [{"name": "fdconf Ensemble", "starts_at": "20:00"}],
        "setlists": [],
        "tz": "Europe/Berlin",
    }


def _eid_in(body: Any) -> str | None:
    """The created event's id, whatever envelope the target uses (object, list, ``{event: …}``)."""
    if isinstance(body, list) and body:
        return _eid_in(body[0])
    if not isinstance(body, dict):
        return None
    for key in ("eid", "id", "event_id"):
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    for key in ("event", "data", "item"):
        if key in body:
            return _eid_in(body[key])
    items = body.get("items") or body.get("events")
    return _eid_in(items) if isinstance(items, list) else None


@dataclass
class Sandbox:
    """One sandbox event and what was done to clean it up."""

    main: Api
    cr: Api
    seed: int
    sleep: Callable[[float], None] = time.sleep
    eid: str = ""
    name: str = ""
    cleaned: list[str] = field(default_factory=list)
    interrupted: KeyboardInterrupt | None = None  # landed during cleanup; re-raised once it is done
    _grace_until: float = field(default=0.0, init=False, repr=False)
    _second_interrupt: bool = field(default=False, init=False, repr=False)

    def create(self, wait: float = CLUSTER_WAIT) -> dict[str, Any]:
        self.name = f"fdconf-sandbox-s{self.seed}-{uuid.uuid4().hex[:8]}"
        try:
            exchange = self.cr.post("/events/", params={"event_type": "fdlive"},
                                    json=simulation_payload(self.name))
        except TargetError as exc:
            raise SandboxUnavailable(f"creating the simulation event failed: {exc.message}") from exc
        eid = _eid_in(exchange.json()) if 200 <= exchange.status < 300 else None
        if not eid:
            raise SandboxUnavailable(
                f"{exchange.describe()} did not create a simulation event ({exchange.response.text[:160]!r})")
        self.eid = eid
        LOG.info("sandbox: created simulation event %s (%s)", eid, self.name)
        self._wait_for_clusters(wait)
        return {"eid": eid, "name": self.name}

    def _path(self, template: str) -> str:
        return template.format(eid=urllib.parse.quote(self.eid, safe=""))

    def _wait_for_clusters(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        delay = 0.1
        while True:
            exchange = self.main.get(self._path("/events/{eid}/clusters"))
            body = exchange.json()
            if exchange.status == 200 and isinstance(body, dict) and body.get("clusters"):
                return
            if time.monotonic() + delay > deadline:
                raise SandboxUnavailable(
                    f"the sandbox event {self.eid} had no clusters after {wait:.0f}s "
                    f"(last: {exchange.describe()})")
            self.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _step(self, what: str, call: Callable[[], Exchange]) -> Exchange | None:
        if self.interrupted is not None and (self._second_interrupt or time.monotonic() > self._grace_until):
            self.cleaned.append(f"{what}: skipped (interrupted)")
            return None
        try:
            exchange = call()
        except (TargetError, Throttled) as exc:
            why = exc.message if isinstance(exc, TargetError) else str(exc)
            self.cleaned.append(f"{what}: failed ({why})")
            LOG.warning("sandbox cleanup: %s failed: %s", what, why)
            return None
        except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM mid-cleanup: the rest is still tried, briefly
            self.cleaned.append(f"{what}: interrupted")
            LOG.warning("sandbox cleanup: %s interrupted", what)
            if self.interrupted is None:
                self.interrupted = exc
                self._grace_until = time.monotonic() + CLEANUP_GRACE
            else:
                self._second_interrupt = True
            return None
        outcome = "done" if 200 <= exchange.status < 300 else f"answered {exchange.status}"
        self.cleaned.append(f"{what}: {outcome}")
        LOG.info("sandbox cleanup: %s: %s", what, outcome)
        return exchange

    def cleanup(self) -> list[str]:
        """Undo the sandbox in hierarchy order; never raises for the target's answers.

        An interrupt (Ctrl-C, SIGTERM, the deadline) during a step does not abandon the rest: the
        later steps are still tried for :data:`CLEANUP_GRACE` seconds (a second interrupt ends that
        at once), each step that did not happen is logged, then the interrupt goes on up."""
        if not self.eid:
            return self.cleaned
        try:
            self._undo()
        except KeyboardInterrupt as exc:  # between steps: nothing more is tried
            self.cleaned.append("cleanup: interrupted")
            self.interrupted = self.interrupted or exc
        if self.interrupted is not None:
            raise self.interrupted
        return self.cleaned

    def _undo(self) -> None:
        setup = self._step("read setup process", lambda: self.main.get(self._path("/setup_processes/{eid}")))
        body = setup.json() if setup is not None else None
        published = isinstance(body, dict) and bool(body.get("published"))
        if setup is not None and setup.status == 200 and not published:
            self._step("cancel draft setup process", lambda: self.main.delete(
                self._path("/setup_processes/{eid}"), params={"cancel": "true"}))
        campaigns = self._step("list campaigns", lambda: self.main.get(self._path("/events/{eid}/campaigns")))
        listed = campaigns.json() if campaigns is not None else None
        if isinstance(listed, dict) and listed.get("items"):
            self._step("pause campaigns", lambda: self.main.put(
                self._path("/events/{eid}/client_campaign_status"),
                params={"client_campaign_status": "PAUSED"}))
        self._step("hide event (main)", lambda: self.main.put(
            self._path("/events/{eid}/setup_frontend_status"), json={"frontend_status": "HIDDEN"}))
        self._step("cancel event (CR)", lambda: self.cr.put(
            self._path("/events/last_updated_on_fe/{eid}"), json={"status": "CANCELLED"}))

    def write_log(self, directory: Path | None, worker: str = "") -> None:
        """Append what was created and cleaned to ``sandbox.log`` in the report folder."""
        if directory is None or not self.eid:
            return
        directory.mkdir(parents=True, exist_ok=True)
        lines = [f"sandbox{(' ' + worker) if worker else ''}: event {self.eid} ({self.name})"]
        lines += [f"  {line}" for line in self.cleaned]
        with (directory / "sandbox.log").open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
