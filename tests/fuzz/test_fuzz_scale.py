"""The run plan's scale in the fuzz tests: how many cases of each phase an operation may still send."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.config import Settings
from conformance.fuzz.run import FuzzRun


def _run(scale: dict[str, object]) -> SimpleNamespace:
    # FuzzRun.within_scale reads only the settings' plan and its own tally: no schemas needed.
    return SimpleNamespace(settings=Settings(plan={"scale": scale}), let_through={})


def _sent(run: SimpleNamespace, phase: str, positives: list[bool]) -> list[bool]:
    return [FuzzRun.within_scale(run, "t", phase, positive=p) for p in positives]  # type: ignore[arg-type]


def test_edge_cases_are_capped_half_positive_half_negative() -> None:
    run = _run({"coverage": 4, "examples": 1})
    assert _sent(run, "coverage", [True, True, True, False, False, False]) == [
        True, True, False, True, True, False]
    assert _sent(run, "examples", [True, True]) == [True, False]
    assert _sent(run, "fuzzing", [True] * 30) == [True] * 30  # bounded by max_examples instead


def test_an_odd_cap_gives_the_extra_case_to_positive_ones() -> None:
    run = _run({"coverage": 3})
    assert _sent(run, "coverage", [False, False, True, True, True]) == [True, False, True, True, False]


def test_without_a_scale_every_case_goes() -> None:
    run = _run({"coverage": None})
    assert all(_sent(run, "coverage", [True, False] * 50))
