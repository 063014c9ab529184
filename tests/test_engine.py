"""``fdconf run`` end to end against the reference: read-only safety, xdist merging, hostile targets."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from report.builders import result_with

from conformance import engine
from conformance.report import RunResult
from conformance.rules import catalogue, mode_allows

QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731


def statuses(result: RunResult | None) -> dict[str, str]:
    assert result is not None
    return {r.id: r.status for r in result.rules}


def run(tmp_path: Path, name: str, stack: Any = None, **flags: Any) -> engine.RunOutcome:
    dotted = {f"run.{k}": v for k, v in flags.items()}
    dotted.setdefault("run.report_dir", str(tmp_path / name))
    dotted.setdefault("run.seed", 7)
    return engine.run(flags=dotted, environ={}, cwd=tmp_path, reference=stack, echo=QUIET)


def test_read_only_run_sends_no_write_and_its_audit_is_what_the_server_saw(
    start_stack: Callable[..., Any], tmp_path: Path
) -> None:
    """A read-only run sends no write but sign-ins, by the reference's own request log; its rules that
    need another mode are not run. Scenarios, fuzz cases (with Schemathesis' auth probes), the
    stateful phase and the tenancy replays all leave through the one Transport: its audit log shows
    each of them, and the reference's request log lists exactly the same requests."""
    import urllib.parse
    from collections import Counter

    stack = start_stack()
    outcome = run(tmp_path, "ro", stack, mode="read-only", max_examples=3)
    log = stack.request_log
    assert len(log) > 500, "the run hardly talked to the target"
    writes = sorted({(method, path) for _host, method, path in log if method not in ("GET", "HEAD")})
    allowed = [
        w for w in writes if w[0] == "POST" and w[1].rstrip("/").endswith(("/auth", "/auth/refresh_token"))
    ]
    assert writes == allowed, f"a read-only run sent writes: {writes}"
    assert outcome.result is not None
    assert outcome.result.mode == "read-only"
    assert outcome.exit_code == 0, [r for r in outcome.result.rules if r.status == "failed"]
    rules = catalogue()
    for rule in outcome.result.rules:
        if not mode_allows("read-only", rules[rule.id].mode):
            assert rule.status == "not_run", rule
            assert "needs mode" in rule.reason
    assert (tmp_path / "ro" / "results.json").is_file()
    audit = outcome.audit
    assert {entry.origin for entry in audit} == {"suite", "fuzz", "stateful", "replay"}
    sign_ins = ("/auth", "/auth/refresh_token")
    assert [e for e in audit if e.is_write and not e.url.rstrip("/").endswith(sign_ins)] == []

    def path(url: str) -> str:  # the server logs paths decoded
        return urllib.parse.unquote(urllib.parse.urlsplit(url).path)

    sent = Counter((e.method, path(e.url)) for e in audit if e.status)
    served = Counter((method, urllib.parse.unquote(logged)) for _host, method, logged in log)
    assert sent == served


def test_runs_in_one_process_do_not_share_collection_state(
    start_stack: Callable[..., Any], tmp_path: Path
) -> None:
    """Each run builds its fuzz tests from its own settings and counts only its own cases."""
    stack = start_stack()

    def cases(name: str, examples: int) -> int:
        outcome = engine.run(
            flags={"run.rules": "SCH", "run.max_examples": examples, "run.seed": 1, "run.mode": "read-only",
                   "run.report_dir": str(tmp_path / name)},
            environ={}, cwd=tmp_path, reference=stack, echo=QUIET,
            extra_args=["-k", "test_operation and statistics"],
        )
        assert outcome.result is not None
        return sum(op.cases for op in outcome.result.operations)

    small, large, again = cases("a", 2), cases("b", 6), cases("c", 2)
    assert large > small  # the second run used its own budget, not the first run's
    assert again == small  # and counted only its own cases


def test_workers_merge_like_a_serial_run(start_stack: Callable[..., Any], tmp_path: Path) -> None:
    stack = start_stack()
    serial = run(tmp_path, "serial", stack, rules="TEN,AUTH-02,PAG", fuzz=False)
    parallel = run(tmp_path, "parallel", stack, rules="TEN,AUTH-02,PAG", fuzz=False, workers=2)
    assert statuses(parallel.result) == statuses(serial.result)
    assert serial.result is not None
    assert parallel.result is not None
    tests = {r.id: r.tests for r in serial.result.rules}
    assert {r.id: r.tests for r in parallel.result.rules} == tests
    assert sum(tests.values()) > 0
    assert parallel.exit_code == serial.exit_code


def test_run_id_and_seed_are_printed(start_stack: Callable[..., Any], tmp_path: Path) -> None:
    stack = start_stack()
    lines: list[str] = []
    outcome = engine.run(
        flags={
            "run.rules": "TEN-05",
            "run.seed": 4242,
            "run.fuzz": False,
            "run.report_dir": str(tmp_path / "r"),
        },
        environ={},
        cwd=tmp_path,
        reference=stack,
        echo=lines.append,
    )
    assert lines[0].startswith("fdconf run ")
    assert "seed 4242" in lines[0]
    assert lines[-1].startswith("fdconf: seed 4242, reports in")
    assert outcome.settings.run_id is not None
    assert outcome.settings.run_id.endswith("-s4242")
    assert outcome.result is not None
    assert outcome.result.seed == 4242


class _HostileProxy:
    """Forwards to the reference, but answers list endpoints with HTML / truncated JSON / silence."""

    def __init__(self, upstream: str, mode: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = mode
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.split("?")[0].endswith("/events/") and self.command == "GET":
                    proxy.misbehave(self)
                    return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                answer = httpx.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=10
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.release = threading.Event()

    def misbehave(self, handler: BaseHTTPRequestHandler) -> None:
        if self.mode == "silence":
            self.release.wait(5)  # longer than the run's timeout
            handler.close_connection = True
            return
        payload = (
            b"<html><body>Maintenance</body></html>" if self.mode == "html" else b'{"items": [{"id": "ev'
        )
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html" if self.mode == "html" else "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def __enter__(self) -> _HostileProxy:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile(
    start_stack: Callable[..., Any], request: pytest.FixtureRequest
) -> Iterator[tuple[Any, _HostileProxy]]:
    stack = start_stack()
    main_path = stack.main_base.split("/", 3)[3]
    with _HostileProxy(stack.main_base.rsplit("/" + main_path, 1)[0], request.param) as proxy:
        yield stack, proxy


@pytest.mark.parametrize("hostile", ["html", "truncated", "silence"], indirect=True)
def test_hostile_target_gives_findings_not_crashes(
    hostile: tuple[Any, _HostileProxy], tmp_path: Path
) -> None:
    stack, proxy = hostile
    main = proxy.base + "/api/v3"
    personas = "\n".join(
        f'[personas.{name}]\nusername = "{p["username"]}"\npassword = "{p["password"]}"\n'
        for name, p in stack.personas.items()
        if name in ("primary", "other", "multi")
    )
    (tmp_path / "fdconf.toml").write_text(
        f'[target]\nmain = "{main}"\ncr = "{stack.cr_base}"\n[run]\nseed = 3\ntimeout = 0.5\n'
        f'fuzz = false\nrules = ["TEN-04", "PAG-01"]\nreport_dir = "{tmp_path / "r"}"\n{personas}',
        encoding="utf-8",
    )
    outcome = engine.run(environ={}, cwd=tmp_path, echo=QUIET)
    status = statuses(outcome.result)
    assert outcome.result is not None
    assert all(r.status != "passed" for r in outcome.result.rules if r.id in ("TEN-04", "PAG-01"))
    if proxy.mode == "silence":
        # No answer is no evidence either way (specs/README.md, decision 46): the walk stops there
        # and the rules are not passed, but a timeout is never a finding.
        assert "failed" not in (status["TEN-04"], status["PAG-01"]), status
        reasons = " ".join(r.reason for r in outcome.result.rules if r.id in ("TEN-04", "PAG-01"))
        assert "timed out" in reasons or "never answered" in reasons, reasons
        return
    assert outcome.exit_code == 1
    assert status["TEN-04"] == "failed" or status["PAG-01"] == "failed", status


def _executed(report_dir: Path) -> set[str]:
    """Test ids that ran (passed or failed) per the run's pytest JUnit file."""
    import xml.etree.ElementTree as ET

    root = ET.parse(report_dir / "pytest-junit.xml").getroot()
    out = set()
    for case in root.iter("testcase"):
        if case.find("skipped") is None:
            out.add(f"{case.get('classname')}::{case.get('name')}")
    return out


def test_shards_cover_the_run_once_and_merge(start_stack: Callable[..., Any], tmp_path: Path) -> None:
    from conformance.report import merge_results

    stack = start_stack()
    selection = {"rules": "TEN-05,AUTH,PAG,ERR", "fuzz": False}
    whole = run(tmp_path, "whole", stack, **selection)
    shards = [run(tmp_path, f"s{i}", stack, shard=f"{i}/3", **selection) for i in (1, 2, 3)]
    ran = [_executed(tmp_path / f"s{i}") for i in (1, 2, 3)]
    assert all(ran), "a shard ran nothing"
    assert set().union(*ran) == _executed(tmp_path / "whole")
    assert sum(len(r) for r in ran) == len(_executed(tmp_path / "whole"))
    merged = merge_results([s.result for s in shards if s.result is not None])
    assert statuses(merged) == statuses(whole.result)


def test_allure_results_carry_rule_labels(start_stack: Callable[..., Any], tmp_path: Path) -> None:
    import json

    stack = start_stack()
    outcome = run(tmp_path, "al", stack, rules="TEN-05", fuzz=False, allure=True)
    results = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (tmp_path / "al" / "allure-results").glob("*-result.json")
    ]
    assert results, "no Allure results written"
    stories = {label["value"] for r in results for label in r.get("labels", []) if label["name"] == "story"}
    assert "TEN-05" in stories
    assert outcome.exit_code == 0


def test_exit_code_mapping() -> None:
    ok = pytest.ExitCode.OK
    clean = result_with({})
    assert engine.exit_code(ok, clean, [], strict=False) == 0
    assert engine.exit_code(ok, clean, [], strict=True) == 0
    some_not_run = result_with({"WAV-01": "not_run"})
    assert engine.exit_code(ok, some_not_run, [], strict=False) == 0
    assert engine.exit_code(ok, some_not_run, [], strict=True) == 1
    assert (
        engine.exit_code(pytest.ExitCode.TESTS_FAILED, result_with({"TEN-03": "failed"}), [], strict=False)
        == 1
    )
    assert engine.exit_code(ok, clean, ["a teardown error"], strict=False) == 1
    nothing = result_with(dict.fromkeys(catalogue(), "not_run"))
    assert engine.exit_code(ok, nothing, [], strict=False) == 2
    for rc in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
        pytest.ExitCode.INTERNAL_ERROR,
    ):
        assert engine.exit_code(rc, clean, [], strict=False) == 2
    assert engine.exit_code(ok, None, [], strict=False) == 2
    assert engine.exit_code(pytest.ExitCode.INTERRUPTED, clean, [], strict=False) == 130


@pytest.mark.parametrize("where", ["preflight", "session"])
def test_run_cleans_up_when_interrupted(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C or an error anywhere in `fdconf run`: the reference it started stops, the transport closes."""
    from conformance.errors import TargetError
    from conformance.harness import embedded

    bases: list[str] = []
    real_start = embedded.start_reference

    def start(defects: Any = ()) -> Any:
        stack = real_start(defects)
        bases.append(stack.main_base)
        return stack

    transports: list[engine.Transport] = []

    class Recording(engine.Transport):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            transports.append(self)

    def fail_preflight(settings: Any, transport: Any) -> dict[str, list[str]]:
        raise TargetError("the target vanished", "retry")

    def interrupted(settings: Any, args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(embedded, "start_reference", start)
    monkeypatch.setattr(engine, "Transport", Recording)
    if where == "preflight":
        monkeypatch.setattr(engine, "preflight", fail_preflight)
    else:
        monkeypatch.setattr(engine, "run_in_child", interrupted)
    with pytest.raises(TargetError if where == "preflight" else KeyboardInterrupt):
        run(tmp_path, "x", fuzz=False)
    assert len(bases) == 1
    assert transports
    assert all(t.closed for t in transports)
    with pytest.raises(httpx.ConnectError):
        httpx.get(bases[0] + "/status/", timeout=2)


NO_SECRET_ON_DISK = """
import os, sys, tempfile
from pathlib import Path
import pytest

@pytest.mark.fd_rule("TEN-05")
def test_settings_came_over_a_pipe(fd_settings):
    password = fd_settings.personas["primary"].password.encode()
    assert password
    since = Path(os.environ["FDCONF_TEST_RUN_STARTED"]).stat().st_mtime  # files written by this run
    places = [Path(tempfile.gettempdir()), Path.cwd(), Path(fd_settings.report_dir)]
    # other tests' folders (pytest-of-<user>, written by parallel workers) are theirs, not this run's
    tests = list(Path(tempfile.gettempdir()).glob("pytest-of-*"))
    def files(place):  # a parallel worker's run may remove its temp folders while we walk
        for root, _dirs, names in os.walk(place):  # os.walk ignores folders that vanished
            yield from (Path(root) / name for name in names)

    def holds(p):
        try:
            return (p.stat().st_mtime >= since and p.stat().st_size < 1_000_000
                    and password in p.read_bytes())
        except (FileNotFoundError, NotADirectoryError, PermissionError):  # gone (or not ours) meanwhile
            return False

    holding = [str(p) for place in places if place.is_dir() for p in files(place)
               if (p.is_relative_to(Path.cwd()) or not any(p.is_relative_to(d) for d in tests))
               and holds(p)]
    assert holding == []
    assert not any(password in arg.encode() for arg in sys.argv)
    assert not any(password in value.encode() for value in os.environ.values())
"""


def test_settings_reach_the_pytest_child_without_touching_disk(
    start_stack: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the session runs, no file the run wrote, no argument or environment variable of it holds
    a password."""
    stack = start_stack()
    marker = tmp_path / "started"
    marker.write_text("", encoding="utf-8")
    monkeypatch.setenv("FDCONF_TEST_RUN_STARTED", str(marker))  # environ={}: the loader never sees it
    probe = tmp_path / "test_no_secret_on_disk.py"
    probe.write_text(NO_SECRET_ON_DISK, encoding="utf-8")
    outcome = engine.run(
        flags={"run.rules": "TEN-05", "run.fuzz": False, "run.report_dir": str(tmp_path / "r")},
        environ={}, cwd=tmp_path, reference=stack, echo=QUIET, extra_args=[str(probe)],
    )
    assert outcome.exit_code == 0, outcome.errors
    assert outcome.result is not None
    assert statuses(outcome.result)["TEN-05"] == "passed"


LEAK_TEST = """
import pytest

@pytest.mark.fd_rule("TEN-03")
def test_quotes_secrets(fd_settings, fd_sessions):
    session = fd_sessions["primary"]
    token = session.access_token()
    assert False, (f"password={fd_settings.personas['primary'].password} access={token} "
                   f"refresh={session.refresh_token} id={session.id_token}")
"""


def _issued_tokens() -> set[str]:
    from moto.cognitoidp.models import cognitoidp_backends

    tokens: set[str] = set()
    for regions in cognitoidp_backends.values():
        for backend in regions.values():
            for pool in backend.user_pools.values():
                tokens |= set(pool.access_tokens) | set(pool.id_tokens) | set(pool.refresh_tokens)
    return tokens


@pytest.mark.parametrize("workers", [0, 2])
def test_allure_and_pytest_junit_keep_no_secret(
    workers: int, start_stack: Callable[..., Any], tmp_path: Path
) -> None:
    """allure-pytest and pytest record failure messages verbatim; after the run nothing is left of a
    password or token there, also for tokens only an xdist worker was issued."""
    stack = start_stack(["ten-foreign-header-accepted"])
    leak = tmp_path / "test_leak.py"
    leak.write_text(LEAK_TEST, encoding="utf-8")
    before = _issued_tokens()
    outcome = engine.run(
        flags={"run.rules": "TEN-03", "run.fuzz": False, "run.allure": True, "run.seed": 5,
               "run.workers": workers, "run.report_dir": str(tmp_path / "r")},
        environ={}, cwd=tmp_path, reference=stack, echo=QUIET, extra_args=[str(leak)],
    )
    assert outcome.exit_code == 1
    assert statuses(outcome.result)["TEN-03"] == "failed"
    issued = _issued_tokens() - before
    assert issued, "nobody signed in"
    secrets = issued | {p["password"] for p in stack.personas.values()}
    folder = tmp_path / "r"
    allure_files = list((folder / "allure-results").iterdir())
    recorded = "\n".join(p.read_text(encoding="utf-8") for p in allure_files)
    assert "password=***REDACTED***" in recorded  # the failure was recorded, and masked
    assert "password=***REDACTED***" in (folder / "pytest-junit.xml").read_text(encoding="utf-8")
    leaks = [
        f"{path.name}: {secret[:8]}…"
        for path in folder.rglob("*")
        if path.is_file()
        for secret in secrets
        if secret.encode() in path.read_bytes()
    ]
    assert leaks == []
    assert outcome.result is not None
    personas = {p["name"]: p["partner"] for p in outcome.result.personas}
    assert personas["multi"] == "partner-id-acme, partner-id-beta"
    assert personas["primary"] == "partner-id-acme"


def test_progress_reaches_pytest(tmp_path: Path) -> None:
    from conformance.config import Settings

    args = engine.pytest_args(Settings(main="http://127.0.0.1:1/api/v3"), tmp_path, progress="lines")
    assert args[args.index("--fd-progress") + 1] == "lines"
