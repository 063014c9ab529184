"""Measure the run plan's profile against the reference and write ``conformance/harness/plan-profile.json``.

One full ``fdconf run`` per mode (read-only, write, publish) against the embedded reference, seed 7,
the default 25 examples, no budget. From each run's ``results.json``: the requests every scenario
family sent by budget kind (``plan.families[*].sent_by_kind``), and per fuzzed operation its cases per
phase and the requests beyond its cases (Schemathesis' auth probes, tenancy replays, counted as the
operation's kind). The publish run also gives the local seconds per request (Hypothesis, checks,
the reference itself) that the plan adds to the budget's waits.

Usage: ``python bench/plan_profile.py`` (about 10 minutes on a 2-core machine), then commit the file.
``tests/test_budgeted_certification.py`` fails when the profile no longer matches what a run sends.
Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from run_bench import fdconf_run  # noqa: E402 - the sibling benchmark's subprocess runner

from conformance.client import classify  # noqa: E402

OUT = ROOT / "conformance" / "harness" / "plan-profile.json"
MODES = ("read-only", "write", "publish")
STARTUP_SECONDS = 10.0  # the child's start, collection and schema building, before the first test
SKIP = ("fuzz", "preflight")
PHASES = ("examples", "coverage", "fuzzing")


def mode_profile(results: dict[str, Any]) -> dict[str, Any]:
    families = {name: {k: v for k, v in entry.get("sent_by_kind", {}).items() if v}
                for name, entry in results["plan"]["families"].items() if name not in SKIP}
    operations: dict[str, Any] = {}
    for op in results["operations"]:
        if not op.get("phases") and not op.get("requests"):
            continue
        method, _, path = op["operation"].partition(" ")
        if method == "STATEFUL":  # the stateful phase's rows: its requests are the stateful family's
            continue
        phases = {phase: int(op.get("phases", {}).get(phase, 0)) for phase in PHASES}
        extra = max(int(op.get("requests", 0)) - sum(phases.values()), 0)
        entry: dict[str, Any] = {k: v for k, v in phases.items() if v}
        if extra:
            entry["extra"] = {classify(method, "http://h" + path): extra}
        operations[f"{op['host']} {op['operation']}"] = entry
    return {"families": families, "operations": operations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    profile: dict[str, Any] = {"measured": f"fdconf run against the embedded reference, seed {args.seed}, "
                               "25 examples per operation, no rate budget (bench/plan_profile.py)",
                               "max_examples": 25, "startup_seconds": STARTUP_SECONDS, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="fdconf-profile-") as tmp:
        for mode in MODES:
            wall, results = fdconf_run(["--mode", mode, "--seed", str(args.seed), "--progress", "off"],
                                       Path(tmp) / mode)
            profile["modes"][mode] = mode_profile(results)
            sent = results["plan"]["requests"]["sent"]
            print(f"{mode:<10} {wall:6.1f} s wall, {sent} requests, {results['verdict']}", flush=True)
            if mode == "publish":
                per = max(float(results["duration"]) - STARTUP_SECONDS, 1.0) / max(sent, 1)
                profile["seconds_per_request"] = round(per, 4)
    ops = [op for mode in profile["modes"].values() for op in mode["operations"].values()]
    profile["largest"] = {phase: max((int(op.get(phase, 0)) for op in ops), default=0)
                          for phase in ("examples", "coverage")}
    args.out.write_text(json.dumps(profile, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
