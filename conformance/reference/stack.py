"""The whole reference stack in-process: Cognito emulator, SQLite, both hosts on loopback.

This is the one seam through which the suite (engine, CLI, tests) uses the reference::

    with ReferenceStack(defects=["ten-list-leak-page2"]) as stack:
        httpx.get(stack.main_base + "/status/")

    with ReferenceStack(rate_limit="documented", latency="80ms") as stack:  # like a deployment
        ...
``hang=["main GET /events/{eid}/statistics"]`` makes operations never answer in time (a client's
timeouts are tested with it; see :mod:`conformance.reference.hang`).

Everything binds to 127.0.0.1; ports default to ephemeral ones (0) and are read back once bound.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from conformance.reference import defects as defect_registry

PERSONAS_IN_CONFIG = ("primary", "other", "multi", "nopartner")


class _Server:
    """One uvicorn server in a background thread on loopback; the bound port is read back after start.

    The socket is left to uvicorn on purpose: handing it a pre-bound socket loses TCP_NODELAY on
    accepted connections, which costs ~40 ms per keep-alive request (Nagle + delayed ACK).
    """

    def __init__(self, app: Any, port: int, name: str) -> None:
        import uvicorn

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.port = port
        self.thread = threading.Thread(target=self.server.run, name=f"fdref-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wait_started(self, deadline: float) -> None:
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"reference server (port {self.port or 'ephemeral'}) did not start; is the port in use?"
                )
            time.sleep(0.01)
        self.port = int(self.server.servers[0].sockets[0].getsockname()[1])

    def signal_stop(self) -> None:
        self.server.should_exit = True

    def stop(self) -> None:
        self.signal_stop()
        self.thread.join(timeout=10)


class ReferenceStack:
    """Start/stop the reference implementation. See the module docstring."""

    def __init__(
        self,
        defects: Sequence[str] = (),
        dataset: Path | None = None,
        port_main: int = 0,
        port_cr: int = 0,
        sandbox: Any = None,
        *,
        limits: Any = None,
        rate_limit: str | None = None,
        latency: str | float | None = None,
        hang: Sequence[str] = (),
        hang_seconds: float | None = None,
    ) -> None:
        unknown = [d for d in defects if d not in defect_registry.known()]
        if unknown:
            raise ValueError(
                f"unknown defect(s) {', '.join(unknown)}; valid names: "
                f"{', '.join(sorted(defect_registry.known()))}"
            )
        self.defects = tuple(dict.fromkeys(defects))
        self.dataset_path = dataset
        self._ports = (port_main, port_cr)
        self._servers: dict[str, _Server] = {}
        self._svc: Any = None
        self._cognito: Any = None
        self._personas: dict[str, dict[str, Any]] = {}
        self.startup_seconds = 0.0
        # Integration sandbox (conformance.reference.faults.Conditions): record and apply its faults.
        self.sandbox_conditions = sandbox
        self.recorder: Any = None
        # A deployment's limits (conformance.reference.limits: a rate budget, latency), without recording;
        # ``rate_limit``/``latency`` are `fdconf serve`'s --rate-limit/--latency (ValueError if bad).
        if limits is None and (rate_limit is not None or latency):
            from conformance.reference.limits import limits as parse_limits

            limits = parse_limits(rate_limit, latency)
        self.limits = limits
        # Operations that never answer in time (conformance.reference.hang): ``host METHOD /template``.
        from conformance.reference.hang import DEFAULT_HANG_SECONDS, parse_hang

        self.hanging = parse_hang(hang)
        self.hang_seconds = DEFAULT_HANG_SECONDS if hang_seconds is None else hang_seconds
        self.hang_apps: dict[str, Any] = {}
        self.limited: Any = None  # the faults.Sandbox applying ``limits`` (budgets, latency), once started

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ReferenceStack:
        from conformance.reference.app import build_app
        from conformance.reference.context import Services
        from conformance.reference.dataset import load_dataset
        from conformance.reference.handlers import all_routes
        from conformance.reference.identity import CognitoEmulator, TokenVerifier
        from conformance.reference.specs import SpecIndex
        from conformance.reference.store import Store
        from conformance.resources import cr_spec, main_spec

        started = time.monotonic()
        if self._servers:
            raise RuntimeError("this ReferenceStack is already running")
        data = load_dataset(self.dataset_path)
        store = Store()
        store.seed(data)
        try:
            self._cognito = CognitoEmulator(data)
            self._cognito.start()
            verifier = TokenVerifier(self._cognito.jwks, self._cognito.issuer, self._cognito.client_id)
            self._svc = Services(
                data=data,
                store=store,
                cognito=self._cognito,
                verifier=verifier,
                hooks=defect_registry.build_hooks(self.defects),
                specs=SpecIndex(main_spec(), cr_spec()),
            )
            routes = all_routes()
            apps: dict[str, Any] = {host: build_app(host, self._svc, routes) for host in ("main", "cr")}
            if self.sandbox_conditions is not None:
                from conformance.reference.sandbox_apps import wrap_for_sandbox

                self.recorder, apps = wrap_for_sandbox(apps, self._svc, self.sandbox_conditions)
            elif self.limits is not None:
                from conformance.reference.faults import FaultsApp, Sandbox

                shared = Sandbox(self.limits, self._svc)  # one budget across both hosts, as the suite counts
                self.limited = shared
                apps = {host: FaultsApp(app, shared, host) for host, app in apps.items()}
            if any(self.hanging.values()):
                from conformance.reference.hang import HangApp

                self.hang_apps = {host: HangApp(app, self.hanging.get(host, []), self.hang_seconds)
                                  for host, app in apps.items()}
                apps = dict(self.hang_apps)
            self._servers["main"] = _Server(apps["main"], self._ports[0], "main")
            self._servers["cr"] = _Server(apps["cr"], self._ports[1], "cr")
            for server in self._servers.values():
                server.start()
            deadline = time.monotonic() + 15
            for server in self._servers.values():
                server.wait_started(deadline)
            self._personas = self._make_personas()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop both hosts (concurrently), then the emulator; safe to call twice."""
        for hanging in self.hang_apps.values():
            hanging.release()
        for server in self._servers.values():
            server.signal_stop()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        if self._cognito is not None:
            self._cognito.stop()
            self._cognito = None
        if self._svc is not None:
            self._svc.store.close()
            self._svc = None

    def __enter__(self) -> ReferenceStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what callers read -----------------------------------------------------------------------
    def _port(self, name: str) -> int:
        if name not in self._servers:
            raise RuntimeError("the ReferenceStack is not running; call start() first")
        return self._servers[name].port

    @property
    def main_base(self) -> str:
        return f"http://127.0.0.1:{self._port('main')}/api/v3"

    @property
    def media_base(self) -> str:
        return f"http://127.0.0.1:{self._port('main')}/api"

    @property
    def cr_base(self) -> str:
        return f"http://127.0.0.1:{self._port('cr')}/api"

    @property
    def cognito_endpoint(self) -> str:
        """The loopback URL of the Cognito emulator (for tests that inspect the pool)."""
        assert self._cognito is not None, "start() first"
        return str(self._cognito.endpoint)

    @property
    def dataset(self) -> Any:
        """The loaded :class:`conformance.reference.dataset.Dataset` (users, events, ...)."""
        if self._svc is None:
            raise RuntimeError("the ReferenceStack is not running; call start() first")
        return self._svc.data

    @property
    def personas(self) -> dict[str, dict[str, Any]]:
        return {name: dict(info) for name, info in self._personas.items()}

    @property
    def peak_in_flight(self) -> int:
        """The most answers the latency (``limits``) held at once: 1 for a client that waits for each
        answer before its next request, more for one that overlaps them; 0 without latency."""
        return int(self.limited.state.peak_in_flight) if self.limited is not None else 0

    @property
    def request_log(self) -> list[tuple[str, str, str]]:
        return [] if self._svc is None else list(self._svc.log.copy())

    def _make_personas(self) -> dict[str, dict[str, Any]]:
        from conformance.ids import PARTNER_RE
        from conformance.reference.dataset import PERSONAS

        out: dict[str, dict[str, Any]] = {}
        for user in self._svc.data.users:
            name = user["persona"]
            if name not in PERSONAS:
                continue
            out[name] = {
                "username": user["username"],
                "password": user["password"],
                "partners": [g for g in user.get("groups", []) if PARTNER_RE.match(g)],
                "groups": list(user.get("groups", [])),
                "expired_token": self._cognito.mint_access_token(user["username"], expires_in=-3600),
            }
        return out

    def write_config(self, path: Path) -> None:
        """Write an ``fdconf.toml`` pointing at this running stack (mode ``publish``)."""
        lines = [
            "# written by `fdconf serve --write-config` for a running reference stack",
            "",
            "[target]",
            f"main = {_toml(self.main_base)}",
            f"cr = {_toml(self.cr_base)}",
            f"media = {_toml(self.media_base)}",
            "",
            "[run]",
            'mode = "publish"',
            "seed = 0",
            *self._rate_lines(),
        ]
        for name in PERSONAS_IN_CONFIG:
            persona = self._personas[name]
            lines += [
                "",
                f"[personas.{name}]",
                f"username = {_toml(persona['username'])}",
                f"password = {_toml(persona['password'])}",
                f"expired_token = {_toml(persona['expired_token'])}",
            ]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _rate_lines(self) -> list[str]:
        from conformance.reference.limits import rate_setting

        rate = rate_setting(self.limits)
        if rate == "off":
            return ["# the reference enforces no rate limit; a real deployment's config leaves `rate` out",
                    'rate = "off"']
        return ["# the budget this reference enforces (a real deployment's config leaves `rate` out:",
                "# the developer kit's figures apply)", f"rate = {_toml(rate)}"]

    @staticmethod
    def available_defects() -> dict[str, tuple[str, str]]:
        """Defect name → (rule id, what it breaks)."""
        return defect_registry.available()

    @staticmethod
    def starvation_conditions() -> dict[str, tuple[tuple[str, ...], str]]:
        """Starvation condition name → (rules it starves, what it does); switched on like defects."""
        return defect_registry.starvations()

    @staticmethod
    def live_conditions() -> dict[str, str]:
        """Live condition name → what changes on its own (no rule may fail under it); switched on like
        defects."""
        return defect_registry.conditions()

    @staticmethod
    def intermittent_faults() -> dict[str, str]:
        """Intermittent fault name → when it answers wrong; switched on like defects."""
        return defect_registry.intermittents()


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string for everything we write (no control characters).
    return json.dumps(value, ensure_ascii=True)
