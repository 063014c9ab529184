"""Pre-flight proves ``target.cr`` is the CR API (an unauthenticated CR read answers 401 in the error
envelope); anything else stops the run with one line naming ``target.cr`` and the fix, exit 2."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.client import Transport
from conformance.errors import TargetError


class _WrongCr:
    """A loopback web server that is not the CR API: every path answers ``status`` with ``body``."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        outer = self
        self.paths: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"

    def __enter__(self) -> _WrongCr:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


WRONG = {
    "200-json": (200, "application/json", b'{"items": []}'),
    "404-html": (404, "text/html", b"<html><body><h1>Not Found</h1></body></html>"),
    "401-html": (401, "text/html", b"<html>Unauthorized</html>"),
}


@pytest.fixture(params=sorted(WRONG))
def wrong_cr(request: pytest.FixtureRequest) -> Iterator[_WrongCr]:
    with _WrongCr(*WRONG[request.param]) as server:
        yield server


def test_the_reference_cr_base_passes(reference_stack: Any) -> None:
    with Transport(timeout=5) as transport:
        engine.check_cr_base(reference_stack.cr_base, transport)  # no exception: it is the CR API
    sent = [(entry.method, entry.status) for entry in transport.audit if entry.url.endswith(engine.CR_PROBE)]
    assert sent == [("GET", 401)]


def test_a_base_that_is_not_the_cr_api_is_one_line_naming_target_cr(wrong_cr: _WrongCr) -> None:
    with Transport(timeout=5) as transport, pytest.raises(TargetError) as caught:
        engine.check_cr_base(wrong_cr.base, transport)
    line = caught.value.one_line()
    assert "\n" not in line
    assert "target.cr" in line
    assert wrong_cr.base in line
    assert "not 401 with the error envelope" in line
    assert wrong_cr.paths == ["/api" + engine.CR_PROBE]


def test_a_wrong_cr_base_stops_the_run_with_exit_2(
    reference_stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "fdconf.toml"
    reference_stack.write_config(config)
    with _WrongCr(*WRONG["404-html"]) as server:
        code = engine.main_run(config=config, environ={}, cwd=tmp_path, echo=lambda _line: None,
                               flags={"target.cr": server.base, "run.report_dir": str(tmp_path / "r"),
                                      "run.mode": "read-only"})
    assert code == engine.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "target.cr" in err[0]
    assert "Traceback" not in err[0]
