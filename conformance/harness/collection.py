"""What the plugin does with collected tests and their reports, once a run is active.

:func:`select` keeps the tests of the selected rules and shard and plans each one (the rules it can
judge, or why it is skipped); :func:`annotate` puts a test's rules, unmet needs and findings into its
report, where the controller's :class:`~conformance.harness.results.Collector` reads them (also
across xdist workers).
"""

from __future__ import annotations

import pytest

from conformance.harness.state import FINDINGS, PLAN, fuzz_operation, marker_rules, run_of


def _is_fuzz(item: pytest.Item) -> bool:
    module = getattr(getattr(item, "module", None), "__name__", "")
    return str(module).startswith("conformance.fuzz")


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect tests outside ``--fd-rules`` / ``--fd-shard``; plan (and maybe skip) the rest."""
    from conformance.harness.selection import Needs, Plan, in_shard, plan_for, selected
    from conformance.rules import catalogue

    state = run_of(config)
    settings = state.settings
    assert settings is not None
    rules = catalogue()
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    tagged: set[str] = set()
    for item in items:
        ids = marker_rules(item)
        unknown = [r for r in ids if r not in rules]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: fd_rule({unknown[0]!r}) is not in the rule catalogue")
        if not selected(ids, state.wanted) or not in_shard(item.nodeid, settings.shard):
            drop.append(item)
            continue
        marker = item.get_closest_marker("fd_needs")
        personas = marker.kwargs.get("personas", ()) if marker else ()
        needs = Needs(mode=marker.kwargs.get("mode") if marker else None,
                      personas=(personas,) if isinstance(personas, str) else tuple(personas))
        plan = plan_for(ids, needs, rules, settings)
        if not settings.fuzz and _is_fuzz(item):
            reason = "not run: fuzzing is off (--no-fuzz)"
            plan = Plan(rules=(), skip=reason, unmet=dict.fromkeys(ids, reason))
        item.stash[PLAN] = plan
        if plan.skip:
            item.add_marker(pytest.mark.skip(reason=plan.skip))
        tagged.update(ids)
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    if state.collector is not None and not state.whole_catalogue:
        state.collector.scope = frozenset(tagged)  # a user's own run speaks about its own tests' rules


def annotate(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Record the test's rules, unmet needs and (on failure) findings in ``report.user_properties``."""
    from conformance.harness.evidence import from_exception, locate, to_payload

    plan = item.stash.get(PLAN, None)
    rules = plan.rules if plan is not None else marker_rules(item)
    report.user_properties.append(("fd_rules", list(rules)))
    if plan is not None and plan.unmet:
        report.user_properties.append(("fd_unmet", dict(plan.unmet)))
    if report.failed and call.excinfo is not None:
        fallback = () if call.when == "teardown" else rules
        records = from_exception(call.excinfo.value, item.nodeid, fallback, error=call.when != "call")
        settings = run_of(item.config).settings
        locate(records, targets=settings.targets if settings else {}, operation=fuzz_operation(item))
        report.user_properties.append(("fd_findings", to_payload(records)))
        item.stash[FINDINGS] = [*item.stash.get(FINDINGS, []), *records]
