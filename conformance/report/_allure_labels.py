"""Allure labels and finding attachments inside running tests (allure-pytest's in-test side).

allure-pytest writes results only when pytest runs with ``--alluredir``; otherwise every call here is a
cheap no-op:

- :func:`apply_labels` ``(rule_ids, host, title)``: epic = host (``main``/``cr``), feature = hierarchy
  level of the first rule, story = each rule id, severity from the catalogue, the title, and an
  ``operation`` parameter so that Schemathesis-parametrized operations of one test function get
  distinct historyIds (otherwise Allure folds them into one test with "retries").
- :func:`set_host` ``(host)``: replace the epic once the test knows which host its evidence came from
  (the fdconf plugin calls it from a fixture's teardown, see :mod:`conformance.harness.fixtures`).
- :func:`attach_finding` ``(finding)``: the rule's evidence line, the redacted request, response and
  curl line as text attachments.

The epic is always a single host, ``main`` or ``cr`` (``media`` is the main host's unversioned base).
After the run, :mod:`conformance.report._allure_html` redacts the results folder and renders the HTML.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from typing import Any

from conformance.redact import REDACTOR
from conformance.report._model import FindingRecord
from conformance.rules import catalogue


def _active() -> bool:
    try:
        import allure_commons
    except ImportError:
        return False
    # allure-pytest registers its listener (which implements add_label) only with --alluredir.
    return bool(allure_commons.plugin_manager.hook.add_label.get_hookimpls())


def apply_labels(rule_ids: Sequence[str], host: str, title: str) -> None:
    """Label the running test for Allure (see the module docstring); no-op without ``--alluredir``."""
    if not _active():
        return
    import allure

    # allure-python's decorators are untyped; one Any keeps mypy strict elsewhere.
    dynamic: Any = allure.dynamic
    rules = catalogue()
    known = [rules[r] for r in rule_ids if r in rules]
    dynamic.epic(epic_of(host))
    if known:
        dynamic.feature(known[0].level)
        order = ("blocker", "critical", "normal", "minor", "trivial")
        severities = [r.severity for r in known if r.severity in order]
        if severities:
            dynamic.severity(allure.severity_level(min(severities, key=order.index)))
    for rule_id in rule_ids:
        dynamic.story(rule_id)
    dynamic.title(title)
    dynamic.parameter("operation", title)


def epic_of(host: str) -> str:
    """The epic for a host label: ``main`` or ``cr`` (``media`` and anything unknown file under main)."""
    return host if host in ("main", "cr") else "main"


def set_host(host: str) -> None:
    """Make ``host`` the running test's only epic (also from a fixture's teardown); no-op without
    ``--alluredir``."""
    if not _active():
        return
    target = _running_test()
    if target is None:
        return
    from allure_commons.model2 import Label

    logger, test_id = target
    test = logger.get_test(test_id)
    if test is None:
        return
    test.labels[:] = [label for label in test.labels if label.name != "epic"]
    test.labels.append(Label(name="epic", value=epic_of(host)))


def _running_test() -> tuple[Any, str] | None:
    """allure-pytest's reporter and the uuid of the test result it has open, if any.

    ``allure.attach()`` attaches to the innermost running item, which during a fixture's teardown
    is that fixture, not the test; the fdconf plugin attaches findings from a fixture's teardown,
    so we address the test result itself: pytest runs one test at a time per process (xdist
    workers are processes), so the reporter's last open test result is the running test. This
    reads allure-pytest's listener (``allure_logger``); any surprise falls back to a plain attach.
    """
    import allure_commons
    from allure_commons.model2 import TestResult

    for plugin in allure_commons.plugin_manager.get_plugins():
        logger = getattr(plugin, "allure_logger", None)
        if logger is not None and hasattr(logger, "get_last_item"):
            test = logger.get_last_item(TestResult)
            return (logger, test.uuid) if isinstance(test, TestResult) and test.uuid else None
    return None


def attach_finding(finding: FindingRecord) -> None:
    """Attach a finding's redacted request, response and curl line to the running test's result
    (also when called from a fixture's teardown). No-op without ``--alluredir``.
    """
    if not _active():
        return
    import allure

    target = _running_test()
    # the rule's own evidence line first: a test tagged with several rules attaches one per rule
    parts = (("evidence", finding.evidence), ("request", finding.request), ("response", finding.response),
             ("curl", finding.curl))
    for name, text in parts:
        if not text:
            continue
        body, label = REDACTOR.text(text), f"{finding.rule_id} {name}"
        if target is not None:
            logger, test_id = target
            try:
                logger.attach_data(
                    str(uuid_module.uuid4()),
                    body,
                    name=label,
                    attachment_type=allure.attachment_type.TEXT,
                    parent_uuid=test_id,
                )
                continue
            except (AttributeError, KeyError, TypeError):
                target = None
        allure.attach(body, name=label, attachment_type=allure.attachment_type.TEXT)
