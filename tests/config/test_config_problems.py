"""Every problem of a configuration is reported at once (one ConfigError, one line per problem)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.config import load_settings
from conformance.errors import ConfigError

FDCONF = shutil.which("fdconf") or str(Path(sys.executable).parent / "fdconf")
BAD_FILE = """
[target]
main = "http://127.0.0.1:99999/api/v3"
cr = "not a url"
[run]
sed = 4
timeout = "ten"
[personas.primary]
username = "alice@example.com"
password = "${FD_TEST_UNSET_PASSWORD}"
"""
EXPECTED = ["unknown key 'run.sed'", "run.timeout", "target.main", "target.cr", "FD_TEST_UNSET_PASSWORD"]


def _problem_lines(message: str) -> list[str]:
    return [line for line in message.splitlines()[1:] if line.startswith("  - ")]


def test_a_file_with_five_problems_lists_all_five(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text(BAD_FILE, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    message = caught.value.message
    assert message.splitlines()[0] == f"{tmp_path / 'fdconf.toml'}: 5 problems"
    lines = _problem_lines(message)
    assert len(lines) == 5, message
    for needle in EXPECTED:
        assert [line for line in lines if needle in line], f"{needle} is not reported:\n{message}"
    assert "(hint: did you mean 'run.seed'?)" in message
    # The unset variable is reported once, not a second time as a malformed value.
    assert sum("personas.primary.password" in line for line in lines) == 1


def test_one_problem_stays_one_line(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text("[run]\nsed = 4\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    assert "\n" not in caught.value.one_line()
    assert "run.sed" in caught.value.one_line()


def test_all_unknown_keys_of_one_table_are_listed(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text("[run]\nsed = 4\nmod = 'write'\ntimeot = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    lines = _problem_lines(caught.value.message)
    assert [line.split("'")[1] for line in lines] == ["run.mod", "run.sed", "run.timeot"]


def test_environment_problems_are_listed_together(tmp_path: Path) -> None:
    env = {"FDCONF_PERSONA_PRIMARY_PASSWROD": "x", "FDCONF_MODEE": "write", "FD_SEED": "abc"}
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=env, cwd=tmp_path)
    lines = _problem_lines(caught.value.message)
    assert len(lines) == 3, caught.value.message
    for name in env:
        assert [line for line in lines if name in line], name


def test_cross_field_problems_are_listed_together(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text(
        '[target]\nmain = "http://127.0.0.1:8000/api/v3"\n[target.headers]\nAuthorization = "x"\n'
        '[personas.primary]\ntoken = "t"\nusername = "u"\npassword = "p"\n'
        '[personas.other]\ntoken = "t2"\nusername = "u2"\npassword = "p2"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path, flags={"run.defects": ["auth-none"]})
    lines = _problem_lines(caught.value.message)
    assert len(lines) == 4, caught.value.message
    for needle in ("personas.primary", "personas.other", "target.headers.Authorization", "--defect"):
        assert [line for line in lines if needle in line], needle


@pytest.mark.parametrize("port", ["99999", "0", "65536"])
def test_an_out_of_range_port_is_a_config_error(tmp_path: Path, port: str) -> None:
    with pytest.raises(ConfigError, match="has no valid port"):
        load_settings(environ={}, cwd=tmp_path, flags={"target.main": f"http://127.0.0.1:{port}/api/v3"})


def _fdconf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    return subprocess.run([FDCONF, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_cli_prints_every_problem_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text(BAD_FILE, encoding="utf-8")
    done = _fdconf("run", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"ConfigError: {tmp_path / 'fdconf.toml'}: 5 problems"
    assert len(lines) == 6, done.stderr


def test_port_99999_is_not_reported_as_connection_refused(tmp_path: Path) -> None:
    done = _fdconf("run", "--main", "http://127.0.0.1:99999/api/v3", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("ConfigError: command line: target.main: "), done.stderr
    assert "port" in done.stderr
    assert "refused" not in done.stderr
