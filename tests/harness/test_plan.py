"""The run plan: requests per family from the profile, the budget-bound estimate, --budget scaling.

Pure: a small profile stands in for the bundled one (``plan.profile`` is swapped), so each figure
below can be worked out by hand.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.client import window_span
from conformance.config import PersonaSettings, Settings, load_settings
from conformance.errors import ConfigError
from conformance.harness import plan
from conformance.harness.spending import add_spent, family_of_rules

PROFILE: dict[str, Any] = {
    "max_examples": 25, "startup_seconds": 10.0, "seconds_per_request": 0.01,
    "largest": {"examples": 4, "coverage": 40},
    "modes": {"publish": {
        "families": {"setup": {"read": 50}, "AUTH": {"read": 300, "auth": 6},
                     "TEN": {"read": 200, "write": 10}, "stateful": {"read": 60, "write": 120}},
        "operations": {
            "main GET /events/": {"examples": 2, "coverage": 40, "fuzzing": 25, "extra": {"read": 2}},
            "main POST /events/{eid}/boost": {"examples": 1, "coverage": 30, "fuzzing": 25},
            "main POST /auth": {"examples": 1, "coverage": 20, "fuzzing": 10},
            "cr GET /events/{eid}": {"examples": 0, "coverage": 10, "fuzzing": 5},
        },
    }},
}


@pytest.fixture(autouse=True)
def small_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "profile", lambda: PROFILE)


def settings(**changes: Any) -> Settings:
    base = Settings(main="http://127.0.0.1:1/api/v3", cr="http://127.0.0.1:2/api", mode="publish",
                    personas={"primary": PersonaSettings(username="a", password="b"),
                              "other": PersonaSettings(username="c", password="d"),
                              "multi": PersonaSettings(token="t")})
    return base.with_changes(**changes)


def test_preflight_counts_one_sign_in_per_persona_and_a_read_per_static_token() -> None:
    assert plan.preflight_requests(settings()) == Counter({"read": 3, "auth": 2})  # status, CR proof, token
    assert plan.preflight_requests(settings(cr=None)) == Counter({"read": 2, "auth": 2})


def test_families_come_from_the_profile_and_follow_the_selection() -> None:
    full = plan.make_plan(settings())
    assert full.families["AUTH"] == Counter({"read": 300, "auth": 6})
    # fuzz: GET 2+40+25 (+2 extra reads), boost 1+30+25 writes, sign-in 1+20+10 auth, CR read 0+10+5
    assert full.families["fuzz"] == Counter({"read": 2 + 40 + 25 + 2 + 15, "write": 56, "auth": 31})
    assert full.families["stateful"] == Counter({"read": 60, "write": 120})
    only_ten = plan.make_plan(settings(rules=("TEN",)))
    assert set(only_ten.families) == {"preflight", "setup", "TEN"}  # no SCH selected: no fuzzing
    no_cr = plan.make_plan(settings(cr=None))
    assert no_cr.families["fuzz"]["read"] == 2 + 40 + 25 + 2  # the CR operation is not fuzzed


def test_the_estimate_adds_each_kinds_waits_past_the_first_window() -> None:
    s = settings(rate=(100, 10, 5), rate_window=60.0)
    families = {"x": Counter({"read": 300, "write": 10, "auth": 7})}
    span = window_span(60.0)
    assert plan.budget_seconds(families, s) == pytest.approx(200 * span / 100 + 0 + 2 * span / 5)
    estimate, waits = plan.estimate_seconds(families, s)
    assert estimate == pytest.approx(10.0 + 317 * 0.01 + waits)
    assert plan.budget_seconds(families, settings(rate=None)) == 0.0


def test_a_budget_scales_the_fuzzing_to_fit_and_keeps_every_floor() -> None:
    s = settings(rate=(600, 120, 10))
    full = plan.make_plan(s)
    budget = (full.estimate + plan.make_plan(s.with_changes(fuzz=False)).estimate) / 2
    scaled = plan.make_plan(s.with_changes(budget=budget))
    assert scaled.estimate <= budget < full.estimate
    assert 0 < scaled.scale.factor < 1
    assert scaled.scale.max_examples < 25
    assert scaled.scale.coverage is not None
    assert scaled.scale.coverage >= plan.FLOOR["coverage"]
    assert scaled.scale.max_examples >= 1
    for family in ("preflight", "setup", "AUTH", "TEN"):  # the rules are never scaled
        assert scaled.families[family] == full.families[family]
    assert sum(scaled.families["fuzz"].values()) < sum(full.families["fuzz"].values())
    assert any("scaled to fit the budget" in line for line in scaled.lines())
    roomy = plan.make_plan(s.with_changes(budget=full.estimate + 60))
    assert roomy.scale.factor == 1
    assert roomy.families == full.families


def test_a_budget_the_rules_cannot_fit_is_refused_in_one_line() -> None:
    s = settings(rate=(60, 12, 1), budget=30.0)
    with pytest.raises(ConfigError) as err:
        plan.make_plan(s)
    line = err.value.one_line()
    assert "run.budget 30 s cannot hold the rules" in line
    assert "--budget" in line
    assert len(line.splitlines()) == 1


def test_the_results_record_keeps_planned_beside_sent() -> None:
    record = plan.make_plan(settings()).to_dict()
    spent: dict[str, Counter[str]] = {}
    add_spent(spent, [("fd_sent", {"family": "AUTH", "read": 290, "auth": 6})])
    add_spent(spent, [("fd_sent", {"family": "AUTH", "read": 5})])
    add_spent(spent, [("fd_other", 1)])
    out = plan.with_sent(record, spent)
    assert out["families"]["AUTH"]["planned"] == 306
    assert out["families"]["AUTH"]["sent"] == 301
    assert out["families"]["AUTH"]["sent_by_kind"] == {"read": 295, "auth": 6}
    assert out["families"]["TEN"]["sent"] == 0
    assert out["requests"]["sent"] == 301
    assert plan.with_sent({}, spent) == {}  # a plain pytest run has no plan


def test_family_of_rules() -> None:
    assert family_of_rules(("TEN-03", "OBJ-01")) == "TEN"
    assert family_of_rules(()) == "other"


@pytest.mark.parametrize("bad", ["soon", "-5m", "0", "1x"])
def test_a_bad_budget_is_one_config_error_naming_the_key(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={}, cwd=tmp_path, flags={"run.budget": bad})
    line = err.value.one_line()
    assert "run.budget (--budget)" in line
    assert len(line.splitlines()) == 1


def test_a_budget_is_a_duration(tmp_path: Path) -> None:
    assert load_settings(environ={}, cwd=tmp_path, flags={"run.budget": "15m"}).budget == 900.0
    (tmp_path / "fdconf.toml").write_text('[run]\nbudget = "1m30s"\n', encoding="utf-8")
    assert load_settings(environ={}, cwd=tmp_path).budget == 90.0
