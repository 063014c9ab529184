"""Fuzzing against the reference: both hosts are covered per operation, read-only stays read-only,
failures carry rule ids, and a run never crashes the suite."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenarios"))
from run_suite import run_suite


def test_read_only_fuzz_covers_both_hosts_with_gets_only(reference_stack: Any, tmp_path: Path) -> None:
    before = len(reference_stack.request_log)
    code, results, output = run_suite(
        reference_stack, tmp_path, "conformance.fuzz", extra=("--fd-max-examples", "2", "--fd-seed", "7")
    )
    assert code in (0, 1), output[-3000:]  # findings are fine, usage errors/crashes are not
    # every operation of the specs is listed; the writes as deselected by the mode, not required
    listed = results["operations"]
    writes = [op for op in listed if op["operation"].split(" ")[0] not in ("GET", "HEAD", "STATEFUL")]
    assert writes
    assert all((op["selection"], op["by"], op["required"]) == ("deselected", "mode", False) for op in writes)
    operations = [op for op in listed if op["selection"] in ("fuzzed", "")]
    hosts = {op["host"] for op in operations if op["cases"] > 0}
    assert hosts == {"main", "cr"}, operations
    assert all(op["operation"].split(" ")[0] in ("GET", "STATEFUL") for op in operations), operations
    assert sum(results["cases"].values()) > 0
    sent = reference_stack.request_log[before:]
    writes = [
        (m, p)
        for _, m, p in sent
        if m not in ("GET", "HEAD") and not p.rstrip("/").endswith(("/auth", "/auth/refresh_token"))
    ]
    assert writes == [], writes[:5]
    for rule in results["rules"]:
        for finding in rule["findings"]:
            assert finding["rule_id"] == rule["id"]
