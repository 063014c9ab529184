"""The embedded reference in a child process: handshake, real HTTP, defects, clean stop, failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conformance.errors import TargetError
from conformance.harness import reference_process
from conformance.harness.reference_process import ReferenceProcess


def _sign_in(ref: ReferenceProcess, persona: str = "primary") -> httpx.Response:
    creds = ref.personas[persona]
    return httpx.post(f"{ref.main_base}/auth", json={"username": creds["username"],
                                                      "password": creds["password"]}, timeout=10)


def test_child_serves_both_hosts_and_stops(tmp_path: Path) -> None:
    with ReferenceProcess() as ref:
        pid = ref._proc.pid if ref._proc else 0
        assert ref.main_base.startswith("http://127.0.0.1:")
        assert ref.main_base.endswith("/api/v3")
        assert ref.cr_base.endswith("/api")
        assert {"primary", "other", "multi"} <= set(ref.personas)
        token = _sign_in(ref).json()["AccessToken"]
        partner = ref.personas["primary"]["partners"][0]
        headers = {"Authorization": f"Bearer {token}", "X-Preferred-Partner-Id": partner}
        assert httpx.get(f"{ref.main_base}/partners/", headers=headers, timeout=10).status_code == 200
        assert httpx.get(f"{ref.cr_base}/events/unknown-eid", headers=headers, timeout=10).status_code == 404
        log = ref._log
        assert log is not None
    assert ref._proc is None
    assert not log.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the child is gone, not a zombie either (it was waited for)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{ref.main_base}/status/", timeout=2)


def test_defects_are_switched_on_in_the_child() -> None:
    with ReferenceProcess(["auth-accept-expired"]) as ref:
        expired = ref.personas["primary"]["expired_token"]
        partner = ref.personas["primary"]["partners"][0]
        answer = httpx.get(f"{ref.main_base}/partners/", timeout=10,
                           headers={"Authorization": f"Bearer {expired}", "X-Preferred-Partner-Id": partner})
        assert answer.status_code == 200  # clean: 401 (tests/reference pins that)


def test_a_child_that_cannot_start_is_one_target_error() -> None:
    with pytest.raises(TargetError) as caught:
        ReferenceProcess(["no-such-defect"]).start()
    line = caught.value.one_line()
    assert "embedded reference did not start" in line
    assert "no-such-defect" in line
    assert "\n" not in line


def test_a_silent_child_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    real_popen = subprocess.Popen

    def silent(args: list[str], **kwargs: object) -> subprocess.Popen[str]:
        return real_popen([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", silent)  # the module reference_process calls
    monkeypatch.setattr(reference_process, "STOP_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(TargetError, match="no answer within 1 s"):
        ReferenceProcess().start(timeout=1.0)
    assert time.monotonic() - started < 5  # stopped by SIGTERM, not left behind


def test_the_child_stops_when_its_parent_goes_away() -> None:
    """Closing the child's stdin (what a killed parent does) stops it without a signal."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance.reference.child"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        assert '"main"' in proc.stdout.readline()
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
