"""A full publish certification against the reference enforcing a tight rate budget, under ``--budget``.

Scaled for CI: the kit's figures are per minute; here the reference enforces 300 reads, 60 writes and
15 sign-ins per 3 s window (429 without Retry-After), the suite keeps to the same budget (the config
the stack writes), and ``run.budget`` is 150 s, far less than the unscaled fuzzing would need, so the
run plan scales the fuzzing. Asserted:

* the run is CERTIFIED with no finding, and nothing stayed throttled (no 429 decided anything);
* the plan scaled the fuzzing (factor below 1) and its estimate fits the budget;
* the run waited for the budget no longer than the plan's budget-bound estimate said, and finished
  within twice the plan's whole estimate (its local part, seconds per request, is the profile
  machine's; a loaded runner is slower);
* the plan is honest: per family and in total, the requests sent are within the plan's stated
  tolerance (or 5 requests) of those planned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import engine
from conformance.reference.limits import limits
from conformance.reference.stack import ReferenceStack

BUDGET = "reads=300,writes=60,auth=15,window=3"
SLACK = 5  # requests: a family of a handful may be off by a page or a refresh


@pytest.mark.slow
def test_a_budgeted_publish_run_is_certified_within_its_plan(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    stack = start_stack(limits=limits(BUDGET))
    config = tmp_path / "fdconf.toml"
    stack.write_config(config)
    lines: list[str] = []
    started = time.monotonic()
    outcome = engine.run(config=config, environ={}, cwd=tmp_path, echo=lines.append,
                         flags={"run.mode": "publish", "run.seed": 7, "run.budget": "150s",
                                "run.rate_backoff": 0.5, "run.report_dir": str(tmp_path / "r")})
    wall = time.monotonic() - started
    result = outcome.result
    assert result is not None
    plan = result.plan
    print("\n".join(line for line in lines if line.startswith("fdconf: plan")))
    print(f"wall {wall:.1f} s, estimate {plan['estimate_seconds']} s, rate {result.rate}")
    for name, family in plan["families"].items():
        print(f"  {name:<10} planned {family['planned']:5d} sent {family['sent']:5d}")

    findings = [f"{f.rule_id}: {f.message}" for r in result.rules for f in r.findings]
    assert findings == []
    assert result.verdict == "CERTIFIED", [(r.id, r.status, r.reason) for r in result.rules
                                           if r.status != "passed"]
    assert outcome.exit_code == 0
    assert result.rate["budget"] == BUDGET
    assert (result.rate["unjudged_cases"], result.rate["unexercised_probes"]) == (0, 0)

    assert 0 < plan["scale"]["factor"] < 1  # the budget made the plan scale the fuzzing
    assert plan["estimate_seconds"] <= plan["budget_seconds"] == 150
    waited = result.rate["paced_seconds"] + result.rate["backoff_seconds"]
    assert waited <= plan["budget_bound_seconds"]
    assert wall <= 2 * plan["estimate_seconds"]

    tolerance = float(plan["tolerance"])
    for name, family in plan["families"].items():
        assert abs(family["sent"] - family["planned"]) <= max(tolerance * family["planned"], SLACK), (
            name, family)
    total = plan["requests"]
    assert abs(total["sent"] - total["planned"]) <= tolerance * total["planned"], total
