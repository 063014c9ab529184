"""``fdconf integration run | serve | judge`` through the console script: variables, exit codes, errors."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.test_cli import fdconf, one_line_error

GOOD = Path(__file__).parent / "data" / "good_recording.json"
CHECK_ENV = (
    "import os, sys; e = os.environ; "
    "ok = e['FD_BASE_URL'].endswith('/api/v3') and e['CR_BASE'].endswith('/api') "
    "and e['FD_PARTNER_ID'] == 'partner-id-acme' and e['FD_USERNAME'] and e['FD_PASSWORD']; "
    "sys.exit(0 if ok else 7)"
)


def test_run_hands_the_variables_and_reports_the_command_status(tmp_path: Path) -> None:
    done = fdconf(
        "integration",
        "run",
        "--report-dir",
        str(tmp_path / "r"),
        "--",
        sys.executable,
        "-c",
        CHECK_ENV,
        cwd=tmp_path,
    )
    result = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert result["integration"]["command"]["exit_code"] == 0, done.stdout + done.stderr
    assert done.returncode == 0  # nothing was sent, so nothing failed ...
    assert result["verdict"] == "NOT CERTIFIED"  # ... and nothing was certified either
    assert {r["status"] for r in result["rules"]} == {"not_run"}
    assert "exit status 0" in done.stdout


def test_the_commands_own_failure_is_reported_beside_the_verdict(tmp_path: Path) -> None:
    done = fdconf(
        "integration",
        "run",
        "--report-dir",
        str(tmp_path / "r"),
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(3)",
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert "exit status 3" in done.stdout
    assert "exit status 3" in (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")


def test_a_command_over_its_timeout_is_stopped_and_reported(tmp_path: Path) -> None:
    done = fdconf(
        "integration",
        "run",
        "--timeout",
        "1",
        "--report-dir",
        str(tmp_path / "r"),
        "--",
        sys.executable,
        "-c",
        "import time; time.sleep(30)",
        cwd=tmp_path,
    )
    assert "timed out" in done.stdout
    result = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert result["integration"]["command"]["status"] == "timeout"


@pytest.mark.parametrize(
    ("args", "kind", "names"),
    [
        (["integration", "run"], "ConfigError", "COMMAND"),
        (["integration", "run", "--faults", "tokenz", "--", "true"], "ConfigError", "--faults"),
        (["integration", "run", "--", "/no/such/integration-test"], "ConfigError", "COMMAND"),
        (["integration", "judge", "nowhere"], "ConfigError", "recording"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], kind: str, names: str, tmp_path: Path) -> None:
    line = one_line_error(fdconf(*args, cwd=tmp_path), kind)
    assert names in line


def test_judge_re_judges_a_saved_recording(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "recording.json")
    done = fdconf("integration", "judge", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert (result["kind"], result["verdict"]) == ("integration", "CERTIFIED")
    assert "| boost | exercised |" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    allure = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "allure-results").iterdir()]
    assert sorted(a["fullName"] for a in allure) == [f"integration.INT-0{n}" for n in range(1, 10)]
    assert {a["status"] for a in allure} == {"passed"}


def test_judge_exits_1_on_findings(tmp_path: Path) -> None:
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    for exchange in doc["exchanges"]:
        if exchange["path"] == "/api/v3/partners/":
            exchange["partner"] = None
    (tmp_path / "recording.json").write_text(json.dumps(doc), encoding="utf-8")
    done = fdconf("integration", "judge", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 1
    assert "INT-02  failed" in done.stdout


def test_serve_prints_the_variables_records_and_judges(tmp_path: Path) -> None:
    done = fdconf(
        "integration", "serve", "--duration", "1", "--report-dir", str(tmp_path / "r"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    for name in ("FD_BASE_URL", "CR_BASE", "FD_USERNAME", "FD_PASSWORD", "FD_PARTNER_ID"):
        assert f"export {name}=" in done.stdout
    assert (tmp_path / "r" / "recording.json").is_file()
