"""The fuzz tests are built per session from its resolved settings, not at import: two pytest
sessions in one interpreter (nothing purged in between) each fuzz with their own budget and mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = """
import json, sys
import pytest

config, out = sys.argv[1], sys.argv[2]
for name, examples, mode in (("a", 2, "read-only"), ("b", 6, "read-only"), ("c", 2, "write")):
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--fd-config", config, "--fd-mode", mode,
                        "--fd-max-examples", str(examples), "--fd-report-dir", f"{out}/{name}",
                        "--fd-seed", "3", "-k", "test_operation and main and (statistics or PUT)",
                        "--pyargs", "conformance.fuzz"])
    print("exit", name, int(code))
"""


def _cases(folder: Path) -> dict[str, int]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    # every operation of the specs is listed; these are the ones that were fuzzed
    return {f"{op['host']} {op['operation']}": int(op["cases"]) for op in data["operations"]
            if op["selection"] == "fuzzed"}


def test_two_sessions_in_one_interpreter_fuzz_with_their_own_settings(
    start_stack: Any, tmp_path: Path
) -> None:
    stack = start_stack()
    config = tmp_path / "fdconf.toml"
    stack.write_config(config)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(config), str(tmp_path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    small, large, writes = _cases(tmp_path / "a"), _cases(tmp_path / "b"), _cases(tmp_path / "c")
    assert small
    assert sum(large.values()) > sum(small.values())  # the second session used its own budget
    assert all(name.split(" ")[1] in ("GET", "HEAD") for name in small)  # read-only fuzzes reads only
    assert any(name.split(" ")[1] not in ("GET", "HEAD") for name in writes)  # write mode enables writes
