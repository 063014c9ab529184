"""A run without ``target.cr``: the main-host parts of every rule run, the CR parts are unexercised.

One read-only run against the reference with the CR line taken out of its config: the AUTH, TEN, OBJ
and ERR sweeps run to the end on the main host (their tests pass, not skip); every CR probe is in
the ledger as unexercised with the reason; HST-02 is not run; CR fuzzing is listed in the coverage
with the reason; nothing reaches the CR host; the run is not CERTIFIED.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import engine
from conformance.harness.layout import NO_CR
from conformance.report import RunResult

RULES = "AUTH-01,TEN-01,TEN-03,OBJ-01,ERR-01,HST-01,HST-02,SCH-01"
#: Every scenario, but of the fuzz items only the CR host's stateless ones (main and stateful fuzzing
#: cost half a minute and are not what this module is about; "creative" and "description" are main
#: paths containing "cr").
FUZZ_CR_ONLY = "not test_operation and not test_stateful or (test_operation and cr and not creative " \
               "and not description)"
MAIN_ONLY = ("AUTH-01", "TEN-01", "TEN-03", "OBJ-01")


pytestmark = pytest.mark.slow  # one read-only run of eight rules (~5 s on an idle 2-core machine)


@pytest.fixture(scope="module")
def no_cr_run(reference_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, int, int]:
    folder = tmp_path_factory.mktemp("no-cr")
    config = folder / "fdconf.toml"
    reference_stack.write_config(config)
    lines = config.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("cr =")]
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")
    cr_before = sum(1 for entry in reference_stack.request_log if entry[0] == "cr")
    outcome = engine.run(
        config=config, environ={}, cwd=folder, echo=lambda _line: None, progress="off",
        extra_args=["-k", FUZZ_CR_ONLY],
        flags={"run.mode": "read-only", "run.seed": 5, "run.rules": RULES, "run.max_examples": 1,
               "run.report_dir": str(folder / "r")},
    )
    assert outcome.result is not None
    cr_after = sum(1 for entry in reference_stack.request_log if entry[0] == "cr")
    return outcome.result, outcome.exit_code, cr_after - cr_before


def test_main_host_parts_run_to_the_end(no_cr_run: tuple[RunResult, int, int]) -> None:
    result, code, _ = no_cr_run
    rules = {r.id: r for r in result.rules}
    for rule_id in MAIN_ONLY:
        assert rules[rule_id].status == "passed", (rule_id, rules[rule_id].reason)
        assert rules[rule_id].tests > 0, rule_id  # its tests ran (they used to skip at the first CR op)
    assert code == engine.EXIT_OK
    assert result.verdict == "NOT CERTIFIED"


def test_cr_parts_are_unexercised_with_the_reason(no_cr_run: tuple[RunResult, int, int]) -> None:
    result, _, cr_requests = no_cr_run
    rules = {r.id: r for r in result.rules}
    for rule_id in ("ERR-01", "HST-01"):
        assert rules[rule_id].status == "partial", rule_id
        assert NO_CR in rules[rule_id].reason
        cr_checks = [c for c in rules[rule_id].checks if c.host == "cr"]
        assert cr_checks
        assert all(c.judged == 0 and NO_CR in c.unexercised for c in cr_checks)
    assert rules["HST-02"].status == "not_run"
    assert NO_CR in rules["HST-02"].reason
    assert cr_requests == 0


def test_cr_fuzzing_is_skipped_with_the_reason_in_the_coverage(no_cr_run: tuple[RunResult, int, int]) -> None:
    result, _, _ = no_cr_run
    cr_ops = [op for op in result.operations if op.host == "cr" and op.by != "mode"]
    assert cr_ops
    assert {(op.status, op.reason, op.selection) for op in cr_ops} == {("not_run", NO_CR, "unreachable")}
    assert result.verdict != "CERTIFIED"
    assert result.cases.get("fuzzing", 0) == 0  # nothing was generated for a host the run lacks
