"""Prism (``@stoplight/prism-cli``, installed by ``npm ci``) mocking one of our specs on loopback, for tests.

``PrismMock(spec)`` starts ``prism mock`` on a free loopback port and waits until it answers; Prism
serves every operation at the spec's paths from the root (it ignores ``servers``), answering from the
spec's examples (static mode). ``binary()`` is the checkout's Prism or ``None``.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
_BINARY = ROOT / "node_modules" / ".bin" / "prism"


def binary() -> Path | None:
    return _BINARY if _BINARY.exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrismMock:
    """One ``prism mock`` process serving ``spec`` at ``http://127.0.0.1:<port>``.

    ``started_in`` is how long it took to answer (seconds)."""

    def __init__(self, spec: Path) -> None:
        self.spec = spec
        self.port = _free_port()
        self.started_in = 0.0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 90.0) -> PrismMock:
        prism = binary()
        if prism is None:
            raise RuntimeError("Prism is not installed: run `npm ci` in the repository root")
        t0 = time.monotonic()
        self._process = subprocess.Popen(
            [str(prism), "mock", "-h", "127.0.0.1", "-p", str(self.port), str(self.spec)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"prism mock {self.spec.name} exited with {self._process.returncode}")
            try:
                # Any answer (Prism's own 404 for the root included) means it is serving.
                httpx.get(self.origin + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() - t0 > wait:
                    self.stop()
                    message = f"prism mock {self.spec.name} did not answer within {wait:g} s"
                    raise RuntimeError(message) from None
                time.sleep(0.2)
        self.started_in = time.monotonic() - t0
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> PrismMock:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
