"""Output paths are checked before a command does any work; a reused report folder starts empty."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.report.outputs import (
    OutputError,
    check_output_dir,
    check_output_file,
    prepare_report_dir,
    previous_outputs,
)

FDCONF = shutil.which("fdconf") or str(Path(sys.executable).parent / "fdconf")
UNWRITABLE = Path("/proc/self/fdconf-reports")  # no one can create anything under /proc, not even root


def fdconf(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    started = time.monotonic()
    done = subprocess.run([FDCONF, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    return done, time.monotonic() - started


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("OutputError: "), lines[0]
    return lines[0]


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def target() -> Iterator[tuple[str, list[str]]]:
    """A loopback "target" that records every request it gets: a check that runs too late shows here."""
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v3", hits
    server.shutdown()
    server.server_close()


# -- the checks ------------------------------------------------------------------------------------

def test_a_fresh_folder_is_fine_and_nothing_is_created(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "a" / "b", "--report-dir") == tmp_path / "a" / "b"
    assert check_output_file(tmp_path / "c" / "x.toml", "--write-config") == tmp_path / "c" / "x.toml"
    assert list(tmp_path.iterdir()) == []


def test_relative_paths_resolve_against_cwd(tmp_path: Path) -> None:
    assert check_output_dir("r", "--out", cwd=tmp_path) == tmp_path / "r"


@pytest.mark.parametrize("case", ["file", "under-file", "unwritable", "file-option-is-dir"])
def test_bad_outputs_are_one_usage_error(tmp_path: Path, case: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    calls = {
        "file": lambda: check_output_dir(blocker, "--report-dir"),
        "under-file": lambda: check_output_dir(blocker / "deeper" / "reports", "--report-dir"),
        "unwritable": lambda: check_output_dir(UNWRITABLE, "--report-dir"),
        "file-option-is-dir": lambda: check_output_file(tmp_path, "--write-config"),
    }
    with pytest.raises(OutputError) as caught:
        calls[case]()
    line = caught.value.one_line()
    assert line.startswith("OutputError: --")
    assert "\n" not in line
    assert "(hint: " in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway (/proc is tested)")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            check_output_dir(folder / "reports", "--report-dir")
    finally:
        folder.chmod(0o755)


def test_prepare_removes_only_the_suites_own_leftovers(tmp_path: Path) -> None:
    folder = tmp_path / "reused"
    (folder / "allure-results").mkdir(parents=True)
    (folder / "allure-results" / "old-result.json").write_text("{}", encoding="utf-8")
    for name in ("results.json", "summary.md", "sandbox.log", "certificate.html"):
        (folder / name).write_text("old", encoding="utf-8")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert prepare_report_dir(folder) == folder
    assert previous_outputs(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


# -- through the command line: before any request, under a second ---------------------------------

@pytest.mark.parametrize("case", ["file", "under-file", "unwritable"])
def test_run_with_a_bad_report_dir_stops_before_the_target(
    tmp_path: Path, target: tuple[str, list[str]], case: str
) -> None:
    url, hits = target
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    bad = {"file": blocker, "under-file": blocker / "r", "unwritable": UNWRITABLE}[case]
    done, took = fdconf("run", "--main", url, "--report-dir", str(bad), cwd=tmp_path)
    assert "--report-dir" in one_line(done)
    assert took < 5, f"{took:.1f} s"  # the check is instant; 5 s covers interpreter start on a busy host
    assert hits == []


def test_report_dir_from_the_config_file_is_checked_before_the_target(
    tmp_path: Path, target: tuple[str, list[str]]
) -> None:
    url, hits = target
    (tmp_path / "blocker").write_text("x", encoding="utf-8")
    (tmp_path / "fdconf.toml").write_text(
        f'[target]\nmain = "{url}"\n[run]\nreport_dir = "blocker"\n'
        '[personas.primary]\nusername = "u@example.com"\npassword = "p"\n', encoding="utf-8")
    done, _took = fdconf("run", cwd=tmp_path)
    assert "report folder" in one_line(done)
    assert hits == []


def test_merge_out_and_other_output_options(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    for args, option in [
        (("merge", str(tmp_path / "missing-shard"), "--out", str(blocker)), "--out"),
        (("report", str(tmp_path), "--allure", "--out", str(blocker / "x")), "--out"),
        (("report", str(tmp_path), "--allure", "--history", str(blocker)), "--history"),
        (("serve", "--write-config", str(tmp_path)), "--write-config"),
    ]:
        done, took = fdconf(*args, cwd=tmp_path)
        assert option in one_line(done), args
        assert took < 5


def test_merge_refuses_to_write_over_a_shard(tmp_path: Path) -> None:
    shard = tmp_path / "shard-1"
    shard.mkdir()
    done, _took = fdconf("merge", str(shard), "--out", str(shard), cwd=tmp_path)
    assert "is one of the runs being merged" in one_line(done)


def test_a_reused_report_folder_keeps_nothing_of_the_previous_run(
    reference_stack: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "current"
    (folder / "allure-results").mkdir(parents=True)
    stale = folder / "allure-results" / "0000-previous-result.json"
    stale.write_text('{"status": "failed"}', encoding="utf-8")
    (folder / "sandbox.log").write_text("created event from the previous run\n", encoding="utf-8")
    (folder / "notes.txt").write_text("the user's own file", encoding="utf-8")
    outcome = engine.run(flags={"run.rules": "ERR", "run.fuzz": False, "run.seed": 3,
                                "run.report_dir": str(folder)},
                         environ={}, cwd=tmp_path, reference=reference_stack, echo=lambda _line: None)
    assert outcome.exit_code == 0
    assert not stale.exists()
    assert not (folder / "sandbox.log").exists()  # a read of ERR-01 creates no sandbox
    assert (folder / "results.json").is_file()
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "the user's own file"
