"""Test selection: the rules filter, stable shards, persona and mode needs."""

from __future__ import annotations

import pytest

from conformance.config import PersonaSettings, Settings
from conformance.errors import ConfigError
from conformance.harness.selection import Needs, in_shard, plan_for, resolve_rules_filter, shard_of
from conformance.rules import catalogue

RULES = catalogue()
ALICE = PersonaSettings(username="alice@acme.example", password="pw-pw-pw")


def settings(mode: str = "read-only", personas: tuple[str, ...] = ("primary",)) -> Settings:
    return Settings(main="http://127.0.0.1:1/api/v3", mode=mode, personas=dict.fromkeys(personas, ALICE))


def test_filter_by_family_and_id() -> None:
    wanted = resolve_rules_filter(["ten", "OBJ-01"], RULES)
    assert wanted == {r for r in RULES if r.startswith("TEN-")} | {"OBJ-01"}


@pytest.mark.parametrize(("token", "guess"), [("TEN-3", "TEN-03"), ("OBJ-1", "OBJ-01"), ("TNE", "TEN")])
def test_unknown_filter_token_suggests(token: str, guess: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_rules_filter([token], RULES)
    assert err.value.hint == f"did you mean {guess}?"


def test_shards_are_stable_and_partition() -> None:
    ids = [f"conformance/scenarios/test_x.py::test_{i}[{i % 7}]" for i in range(300)]
    shards = [shard_of(nodeid, 4) for nodeid in ids]
    assert shards == [shard_of(nodeid, 4) for nodeid in ids]
    assert set(shards) == {1, 2, 3, 4}
    for index in (1, 2, 3, 4):
        assert 40 < shards.count(index) < 110  # roughly even
    for nodeid in ids:
        assert sum(in_shard(nodeid, (i, 4)) for i in (1, 2, 3, 4)) == 1
    assert all(in_shard(nodeid, None) for nodeid in ids)
    # the same id lands in the same shard on every machine: sha256, not Python's salted hash()
    assert shard_of("conformance/scenarios/test_tenancy.py::test_a", 3) == shard_of(
        "conformance/scenarios/test_tenancy.py::test_a", 3
    )


def test_missing_persona_skips_with_reason() -> None:
    plan = plan_for(("TEN-03",), Needs(), RULES, settings())
    assert plan.rules == ()
    assert plan.skip is not None
    assert plan.skip.startswith("not run: needs persona 'other' (not configured;")
    assert plan.unmet == {"TEN-03": plan.skip}


def test_mode_too_low_skips_with_reason() -> None:
    plan = plan_for(("WAV-02",), Needs(), RULES, settings(mode="write"))
    assert plan.skip == "not run: needs mode publish (this run is write; pass --mode publish)"
    assert plan_for(("WAV-02",), Needs(), RULES, settings(mode="publish")).skip is None


def test_partial_rules_run_the_test_for_the_rules_that_can() -> None:
    plan = plan_for(("OBJ-01", "HST-02"), Needs(), RULES, settings(personas=("primary", "other")))
    assert plan.skip is None
    assert plan.rules == ("OBJ-01",)
    assert "needs persona 'multi'" in plan.unmet["HST-02"]


def test_fd_needs_marker_applies_to_the_whole_test() -> None:
    plan = plan_for(("AUTH-01",), Needs(mode="write"), RULES, settings())
    assert plan.skip is not None
    assert "needs mode write" in plan.skip
    plan = plan_for(("AUTH-01",), Needs(personas=("nopartner",)), RULES, settings())
    assert plan.skip is not None
    assert "needs persona 'nopartner'" in plan.skip
    assert plan_for(("AUTH-01",), Needs(mode="read-only"), RULES, settings()).rules == ("AUTH-01",)
