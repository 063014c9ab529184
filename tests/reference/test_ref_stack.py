"""The stack's own promises: start time, ports, config file, serve(), clean stop."""

from __future__ import annotations

import io
import socket
import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from conformance.config import load_settings
from conformance.reference.serve import serve
from conformance.reference.stack import ReferenceStack


def test_stack_starts_in_under_five_seconds() -> None:
    # The acceptance criterion, measured by the stack itself (moto + seeding + both hosts up).
    started = time.monotonic()
    with ReferenceStack() as stack:
        assert stack.startup_seconds < 5
        assert time.monotonic() - started < 5
        assert httpx.get(stack.main_base + "/status/", trust_env=False).status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fixed_ports_are_honoured_and_stop_frees_them() -> None:
    main, cr = _free_port(), _free_port()
    with ReferenceStack(port_main=main, port_cr=cr) as stack:
        assert stack.main_base == f"http://127.0.0.1:{main}/api/v3"
        assert stack.cr_base == f"http://127.0.0.1:{cr}/api"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{main}/api/v3/status/", trust_env=False, timeout=2)


def test_urls_need_a_running_stack() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = ReferenceStack().main_base


def test_write_config_points_at_the_running_stack(reference_stack: ReferenceStack, tmp_path: Path) -> None:
    path = tmp_path / "fdconf.toml"
    reference_stack.write_config(path)
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    assert config["target"] == {
        "main": reference_stack.main_base,
        "cr": reference_stack.cr_base,
        "media": reference_stack.media_base,
    }
    assert config["run"]["mode"] == "publish"
    # The stack enforces no budget: a run against it must not be paced at the kit's figures.
    assert load_settings(config=path, environ={}, cwd=tmp_path).rate is None
    assert set(config["personas"]) == {"primary", "other", "multi", "nopartner"}
    for name, persona in config["personas"].items():
        signed_in = httpx.post(
            config["target"]["main"] + "/auth",
            trust_env=False,
            json={"username": persona["username"], "password": persona["password"]},
        )
        assert signed_in.status_code == 200, name
        expired = httpx.get(
            config["target"]["main"] + "/events/",
            trust_env=False,
            headers={"Authorization": f"Bearer {persona['expired_token']}"},
        )
        assert expired.status_code == 401


def test_serve_prints_urls_and_personas_and_stops(tmp_path: Path) -> None:
    out, stop = io.StringIO(), threading.Event()
    config = tmp_path / "fdconf.toml"
    worker = threading.Thread(
        target=serve,
        kwargs={"defects": ["pag-pages-floor"], "write_config": config, "out": out, "stop_event": stop},
    )
    worker.start()
    deadline = time.monotonic() + 15
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = out.getvalue()
    main = tomllib.loads(config.read_text(encoding="utf-8"))["target"]["main"]
    assert main in text
    assert "alice@acme.example" in text
    assert "pag-pages-floor [PAG-01]" in text
    assert httpx.get(main + "/status/", trust_env=False).status_code == 200
    stop.set()
    worker.join(timeout=15)
    assert not worker.is_alive()
    assert "stopped" in out.getvalue()
