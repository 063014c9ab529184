"""``fdconf`` as users run it (the installed console script): usage errors are one line, exit 2."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from report.builders import result_with

from conformance.report import write_all

FDCONF = shutil.which("fdconf") or str(Path(sys.executable).parent / "fdconf")


def fdconf(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the console script with a clean environment (no FD_* / FDCONF_* leaking in)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    return subprocess.run(
        [FDCONF, *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str], kind: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{kind}: "), lines[0]
    return lines[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_version_and_help(tmp_path: Path) -> None:
    done = fdconf("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert "fdconf, version" in done.stdout
    done = fdconf("run", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for option in (
        "--config",
        "--main",
        "--cr",
        "--mode",
        "--defect",
        "--rules",
        "--seed",
        "--shard",
        "--workers",
        "--concurrency",
        "--no-fuzz",
        "--allure",
    ):
        assert option in done.stdout


def test_bad_config_key_names_the_key_and_suggests(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text("[run]\nmax_exampels = 3\n", encoding="utf-8")
    line = one_line_error(fdconf("run", cwd=tmp_path), "ConfigError")
    assert "unknown key 'run.max_exampels'" in line
    assert "(hint: did you mean 'run.max_examples'?)" in line


def test_bad_env_value(tmp_path: Path) -> None:
    line = one_line_error(fdconf("run", cwd=tmp_path, env={"FD_MODE": "readonly"}), "ConfigError")
    assert "did you mean 'read-only'?" in line


def test_unreachable_target(tmp_path: Path) -> None:
    port = free_port()
    line = one_line_error(
        # no retries: waiting out a target that never comes up is tested in tests/scenarios/test_outage.py
        fdconf("run", "--main", f"http://127.0.0.1:{port}/api/v3", "--retry-wait", "0", cwd=tmp_path),
        "TargetError",
    )
    assert f"cannot reach http://127.0.0.1:{port}" in line
    assert "(hint: check the target URL" in line


def test_wrong_credentials(tmp_path: Path, reference_stack: Any) -> None:
    alice = reference_stack.personas["primary"]
    env = {
        "FD_BASE_URL": reference_stack.main_base,
        "CR_BASE": reference_stack.cr_base,
        "FD_USERNAME": alice["username"],
        "FD_PASSWORD": "Wrong-Passw0rd!",
    }
    line = one_line_error(fdconf("run", cwd=tmp_path, env=env), "CredentialsError")
    assert line.startswith("CredentialsError: persona 'primary' (alice@…): POST /auth answered 401")
    assert line.endswith("(hint: check [personas.primary] username/password)")
    assert "Wrong-Passw0rd!" not in line


def test_defect_with_a_target_is_a_usage_error(tmp_path: Path) -> None:
    line = one_line_error(
        fdconf("run", "--main", "http://127.0.0.1:1/api/v3", "--defect", "x", cwd=tmp_path), "ConfigError"
    )
    assert "--defect only applies to the embedded reference" in line


def test_unknown_defect_is_a_usage_error(tmp_path: Path) -> None:
    line = one_line_error(fdconf("run", "--defect", "no-such-defect", cwd=tmp_path), "ConfigError")
    assert "unknown defect 'no-such-defect'" in line


def test_unknown_rule_suggests_the_nearest(tmp_path: Path) -> None:
    line = one_line_error(fdconf("run", "--rules", "TEN-3", cwd=tmp_path), "ConfigError")
    assert "'TEN-3' is neither a rule id nor a family" in line
    assert "did you mean" in line


def test_mistyped_option_is_a_click_usage_error(tmp_path: Path) -> None:
    done = fdconf("run", "--mian", "http://x", cwd=tmp_path)
    assert done.returncode == 2
    assert "No such option '--mian'" in done.stderr
    assert "Did you mean one of: '--main'" in done.stderr
    assert "Traceback" not in done.stderr


def test_diff_and_fail_on_new(tmp_path: Path) -> None:
    write_all(result_with(run_id="old"), tmp_path / "old")
    write_all(result_with({"TEN-03": "failed"}, run_id="new"), tmp_path / "new")
    done = fdconf("diff", "old", "new", "--fail-on-new", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "TEN-03" in done.stdout
    assert fdconf("diff", "old", "new", cwd=tmp_path).returncode == 0
    assert fdconf("diff", "new", "new", "--fail-on-new", cwd=tmp_path).returncode == 0


def test_merge_shards(tmp_path: Path) -> None:
    write_all(result_with({"TEN-03": "not_run"}, run_id="a", shard="1/2"), tmp_path / "a")
    write_all(result_with({"OBJ-01": "not_run"}, run_id="b", shard="2/2"), tmp_path / "b")
    done = fdconf("merge", "a", "b", "--out", "merged", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "merged" / "results.json").is_file()
    assert "0 failed, 0 partial, 0 not run" in done.stdout


def test_missing_results_are_one_line(tmp_path: Path) -> None:
    done = fdconf("diff", "nope1", "nope2", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("run", "--shard", "3/2"), ("run", "--seed", "-1")])
def test_flag_values_are_validated(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = fdconf(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_serve_then_run_against_it(tmp_path: Path) -> None:
    """`fdconf serve --write-config` + `fdconf run --config`: the reference as an explicit target."""
    import time

    base = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    server = subprocess.Popen(
        [FDCONF, "serve", "--write-config", "served.toml"],
        cwd=tmp_path,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "served.toml").is_file():
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "fdconf serve did not write its config"
            time.sleep(0.1)
        done = fdconf(
            "run",
            "--config",
            "served.toml",
            "--rules",
            "TEN-05",
            "--no-fuzz",
            "--report-dir",
            "rep",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        assert "mode publish" in done.stdout  # the written config opts into publish explicitly
        assert (tmp_path / "rep" / "results.json").is_file()
    finally:
        server.terminate()
        out, _err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "reference stack stopped" in out


def test_serve_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = fdconf("serve", "--port-main", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]  # uvicorn logs its own bind error line before ours
    assert line.startswith("UsageError: the reference could not start")
    assert "--port-main" in line


def test_report_renders_allure_html(tmp_path: Path) -> None:
    from conformance.report import AllureError, find_allure

    try:
        find_allure()
    except AllureError as exc:
        pytest.skip(f"Allure Report 3 is not installed here: {exc.message}")
    # the command found above, also when it came from $FDCONF_ALLURE (which `fdconf run` accepts)
    env = {"FDCONF_ALLURE": os.environ["FDCONF_ALLURE"]} if os.environ.get("FDCONF_ALLURE") else {}
    args = ("run", "--rules", "TEN-05", "--no-fuzz", "--allure", "--report-dir", "rep")
    done = fdconf(*args, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert any((tmp_path / "rep" / "allure-results").glob("*-result.json"))
    done = fdconf("report", "rep", "--allure", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    index = Path(done.stdout.strip())
    assert index.name == "index.html"
    assert index.is_file()


def test_target_without_personas_runs_nothing_and_says_so(tmp_path: Path, reference_stack: Any) -> None:
    env = {"FD_BASE_URL": reference_stack.main_base, "CR_BASE": reference_stack.cr_base}
    done = fdconf("run", "--rules", "TEN,AUTH", "--no-fuzz", "--report-dir", "rep", cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stdout[-2000:]
    assert "no rule could run" in done.stdout
    assert "needs persona 'primary'" in (tmp_path / "rep" / "results.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("module", ["conformance", "conformance.cli"])
def test_python_dash_m(module: str, tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    run = [sys.executable, "-m", module]
    done = subprocess.run([*run, "--version"], cwd=tmp_path, env=base, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "fdconf, version" in done.stdout
    bad = subprocess.run([*run, "run", "--mode", "wrte"], cwd=tmp_path, env=base, capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    helped = subprocess.run([*run, "run", "--help"], cwd=tmp_path, env=base, capture_output=True, text=True,
                            timeout=60, check=False)
    assert "--progress [auto|bar|lines|off]" in helped.stdout


def test_sigterm_while_starting_exits_130_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """A cancelled CI job sends SIGTERM while the reference starts: the run unwinds like Ctrl-C, the
    reference it started is stopped and its temporary files are gone (no settings file exists at all)."""
    import signal
    import time

    private = tmp_path / "tmp"
    private.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    proc = subprocess.Popen(
        [FDCONF, "run", "--no-fuzz", "--report-dir", str(tmp_path / "r")],
        cwd=tmp_path, env={**base, "TMPDIR": str(private)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(private.glob("fdconf-reference-*")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never started its reference"
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert list(private.iterdir()) == []


def test_merge_refuses_a_duplicated_or_incomplete_shard_set(tmp_path: Path) -> None:
    write_all(result_with(run_id="a", shard="1/2"), tmp_path / "a")
    write_all(result_with(run_id="a2", shard="1/2"), tmp_path / "a2")
    twice = fdconf("merge", "a", "a2", "--out", "merged", cwd=tmp_path)
    assert twice.returncode == 2
    assert "shard 1/2 is given twice" in twice.stderr
    assert len(twice.stderr.strip().splitlines()) == 1
    alone = fdconf("merge", "a", "--out", "merged", cwd=tmp_path)
    assert alone.returncode == 2
    assert "incomplete shard set: 2/2 missing" in alone.stderr
    assert len(alone.stderr.strip().splitlines()) == 1
    assert "Traceback" not in twice.stderr + alone.stderr
    assert not (tmp_path / "merged").exists()
