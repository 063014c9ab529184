"""Benchmarks of a whole conformance run. Prints a table of figures; asserts nothing.

Figures (all against the embedded reference on loopback, on this machine):
  1. wall time of a full ``fdconf run`` at the default budget;
  2. fuzzing cases per second, like for like: our fuzz (main host's GET operations, no stateful phase)
     vs plain ``schemathesis run`` on the same spec, operations, phases and example count, both against
     one reference in this process, repeated and alternated (median and range); plus the broader
     workloads, and a plain httpx loop sending as many requests (the physical limit);
  3. how run time grows when the dataset has 10x more events (list isolation walks every page);
  4. the speed-up of ``-n 2``.

Usage: ``python bench/run_bench.py [--quick]`` (``--quick`` skips the slow full-run figures).
Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.reference.stack import ReferenceStack  # noqa: E402
from conformance.resources import main_spec, reference_dataset  # noqa: E402

FDCONF = [sys.executable, "-c", "from conformance.cli import main; main()"]


def fdconf_run(args: list[str], report_dir: Path) -> tuple[float, dict[str, Any]]:
    """Run ``fdconf run`` in a subprocess; return wall seconds and its results.json."""
    started = time.perf_counter()
    proc = subprocess.run([*FDCONF, "run", "--report-dir", str(report_dir), *args],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    results = report_dir / "results.json"
    if not results.exists():
        raise SystemExit(f"fdconf run {' '.join(args)} wrote no results (exit {proc.returncode}):\n"
                         f"{proc.stderr[-2000:]}")
    return wall, json.loads(results.read_text(encoding="utf-8"))


def total_cases(results: dict[str, Any], host: str | None = None) -> tuple[int, float]:
    """Fuzzed cases of a run (optionally of one host) and the time their fuzz tests took."""
    ops = [o for o in results["operations"] if host is None or o["host"] == host]
    return sum(o["cases"] for o in ops), sum(o["duration"] for o in ops)


def plain_schemathesis(stack: ReferenceStack, token: str, examples: int, seed: int,
                       work: Path, *, unexpected_methods: bool) -> tuple[int, float]:
    """Plain ``schemathesis run`` on the main spec, GET operations, same phases as our fuzz.

    With ``unexpected_methods=False`` the coverage phase sends no undocumented-method probes, as our
    read-only fuzz does: that is the like-for-like workload."""
    label = "probes" if unexpected_methods else "like"
    report = work / f"st-report-{label}"
    cwd = work / f"st-{label}"
    cwd.mkdir(parents=True)
    if not unexpected_methods:
        (cwd / "schemathesis.toml").write_text("[phases.coverage]\nunexpected-methods = []\n",
                                               encoding="utf-8")
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", str(main_spec()), "--url", stack.main_base,
        "-n", str(examples), "--seed", str(seed), "--generation-database", "none",
        "--phases", "examples,coverage,fuzzing", "--include-method", "GET", "-w", "1",
        "-H", f"Authorization: Bearer {token}", "-H", "X-Preferred-Partner-Id: partner-id-acme",
        "--report", "json", "--report-dir", str(report), "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    summary = json.loads(next(report.glob("*.json")).read_text(encoding="utf-8"))
    return int(summary["test_cases"]["generated"]), float(summary["running_time"])


def httpx_loop(stack: ReferenceStack, token: str, count: int) -> float:
    """Seconds for ``count`` authenticated GETs of representative reads over one client."""
    paths = ["/events/", "/events/evt_acme_001", "/events/evt_acme_001/clusters", "/partners/"]
    headers = {"Authorization": f"Bearer {token}", "X-Preferred-Partner-Id": "partner-id-acme"}
    with httpx.Client(base_url=stack.main_base, headers=headers, timeout=10) as client:
        started = time.perf_counter()
        for i in range(count):
            client.get(paths[i % len(paths)])
        return time.perf_counter() - started


def big_dataset(work: Path, factor: int) -> Path:
    data = yaml.safe_load(reference_dataset().read_text(encoding="utf-8"))
    for rule in data["generated_events"]:
        span = rule["to"] - rule["from"] + 1
        rule["to"] = rule["from"] + span * factor - 1
    path = work / f"dataset-x{factor}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_against(
    stack: ReferenceStack, work: Path, name: str, extra: list[str]
) -> tuple[float, dict[str, Any]]:
    """``fdconf run`` against an already running reference (in this process, not the run's)."""
    config = work / f"{name}.toml"
    stack.write_config(config)
    mode = [] if "--mode" in extra else ["--mode", "publish"]
    return fdconf_run(["--config", str(config), *mode, *extra], work / name)


def rate(count: int, seconds: float, unit: str) -> str:
    return f"{count} {unit} / {seconds:.1f} s = {count / max(seconds, 1e-9):.0f} {unit}/s"


def rates(runs: list[tuple[int, float]]) -> str:
    """Median cases/s of repeated runs, with the range."""
    per_s = sorted(c / max(t, 1e-9) for c, t in runs)
    cases = sorted(c for c, _ in runs)[len(runs) // 2]
    spread = f"range {per_s[0]:.0f}-{per_s[-1]:.0f}"
    return f"median {statistics.median(per_s):.0f} cases/s ({spread}; {cases} cases)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow full-run figures")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the like-for-like fuzz pair")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="fdconf-bench-") as tmp:
        work = Path(tmp)
        if not args.quick:
            wall, results = fdconf_run(["--seed", str(args.seed)], work / "full")
            cases, _ = total_cases(results)
            rows.append(("full `fdconf run` (embedded, default budget)",
                         f"{wall:.1f} s wall, {cases} cases, verdict {results['verdict']}"))

        budget = ["--seed", str(args.seed), "--max-examples", str(args.examples)]
        _, fuzz = fdconf_run([*budget, "--rules", "SCH", "--mode", "read-only"], work / "fuzz")
        ours, ours_s = total_cases(fuzz)
        like_runs: list[tuple[int, float]] = []
        plain_runs: list[tuple[int, float]] = []
        with ReferenceStack() as stack:
            token = httpx.post(f"{stack.main_base}/auth", timeout=10, json={
                "username": stack.personas["primary"]["username"],
                "password": stack.personas["primary"]["password"]}).json()["AccessToken"]
            # Like-for-like, alternating: both against this process's reference (so neither shares
            # a process with the server), only the main host's GET operations, no stateful phase
            # and no undocumented-method probes.
            for i in range(args.repeat):
                _, main_only = run_against(stack, work, f"like-{i}", [
                    *budget, "--rules", "SCH", "--mode", "read-only", "--", "-k", "test_operation and main"])
                like_runs.append(total_cases(main_only, host="main"))
                plain_runs.append(plain_schemathesis(stack, token, args.examples, args.seed, work / f"p{i}",
                                                     unexpected_methods=False))
            probe_cases, probe_s = plain_schemathesis(stack, token, args.examples, args.seed, work,
                                                      unexpected_methods=True)
            st_cases = plain_runs[0][0]
            loop_s = httpx_loop(stack, token, max(st_cases, 1))
        rows.append((f"fuzz, ours: main GET ops, our checks on (x{args.repeat})", rates(like_runs)))
        rows.append((f"fuzz, plain `schemathesis run`: same ops and phases (x{args.repeat})",
                     rates(plain_runs)))
        rows.append(("fuzz, ours: both hosts + stateful, embedded (read-only run)",
                     rate(ours, ours_s, "cases")))
        rows.append(("fuzz, plain, plus undocumented-method probes", rate(probe_cases, probe_s, "cases")))
        rows.append(("plain httpx loop, same request count", rate(st_cases, loop_s, "requests")))

        if not args.quick:
            scen = ["--no-fuzz", "--seed", str(args.seed)]
            with ReferenceStack() as stack:
                base, _ = run_against(stack, work, "x1", scen)
            with ReferenceStack(dataset=big_dataset(work, 10)) as stack:
                big, _ = run_against(stack, work, "x10", scen)
            rows.append(("scenarios, dataset x1 vs x10 events", f"{base:.1f} s vs {big:.1f} s "
                         f"(x{big / max(base, 1e-9):.2f})"))
            one, _ = fdconf_run(["--seed", str(args.seed), "--max-examples", str(args.examples)],
                                work / "n1")
            two, _ = fdconf_run(["--seed", str(args.seed), "--max-examples", str(args.examples),
                                 "-n", "2"], work / "n2")
            rows.append(("`-n 1` vs `-n 2` (full run)", f"{one:.1f} s vs {two:.1f} s "
                         f"(speed-up x{one / max(two, 1e-9):.2f})"))

    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
