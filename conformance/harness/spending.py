"""Requests sent per rule family: what the run plan is compared with (:mod:`conformance.harness.plan`).

Each test phase's requests are counted where the test runs (the length of the run's Transport audit
log before and after the phase, so an xdist worker counts its own) and travel to the controller on
the phase's report as ``fd_sent``. The controller adds them up per family:

* a test's **call** phase counts for its rule family (``AUTH``, ``TEN``, ...), a fuzz test's for
  ``fuzz`` and the stateful phase's for ``stateful``;
* **setup and teardown** count for ``setup``: the session fixtures (discovery, the write-mode
  sandbox and its cleanup) run in whichever test needs them first, so charging them to that test's
  family would make the per-family figures depend on the selection and the order.

Pre-flight (before the pytest session, in the engine's process) is the ``preflight`` family; the
engine counts it itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable, Sequence
from typing import Any

import pytest

from conformance.client import classify
from conformance.harness.state import marker_rules, run_of

SENT_PROPERTY = "fd_sent"
SETUP, FUZZ, STATEFUL, PREFLIGHT = "setup", "fuzz", "stateful", "preflight"
KINDS = ("read", "write", "auth")  # the budgets a request spends (conformance.client.classify)


def family_of_item(item: pytest.Item) -> str:
    """The plan family a test's call phase counts for."""
    name = str(getattr(item, "originalname", item.name))
    if name.startswith("test_stateful"):
        return STATEFUL
    if name == "test_operation" and item.nodeid.split("::", 1)[0].endswith("fuzz/test_fuzz.py"):
        return FUZZ
    return family_of_rules(marker_rules(item))


def family_of_rules(rule_ids: Sequence[str]) -> str:
    """``TEN`` for ``("TEN-03", ...)``; ``other`` for a test without rule ids."""
    return rule_ids[0].split("-", 1)[0] if rule_ids else "other"


class Spending:
    """The hook that stamps each phase report with the requests the phase sent (``fd_sent``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._mark = 0

    def _since_mark(self) -> Counter[str]:
        """Requests sent since the last phase ended, by budget kind (``read``, ``write``, ``auth``)."""
        transport = run_of(self.config).transport
        if transport is None:
            return Counter()
        entries = transport.audit[self._mark:]
        self._mark += len(entries)
        return Counter(classify(entry.method, entry.url) for entry in entries)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        family = family_of_item(item) if call.when == "call" else SETUP
        report.user_properties.append((SENT_PROPERTY, {"family": family, **self._since_mark()}))
        return report


def spent_of(user_properties: Iterable[tuple[str, Any]]) -> tuple[str, Counter[str]] | None:
    """``(family, requests by kind)`` a phase report carries, if any."""
    for key, value in user_properties:
        if key == SENT_PROPERTY and isinstance(value, dict):
            kinds = Counter({str(k): int(v) for k, v in value.items() if k in KINDS})
            return str(value.get("family", "other")), kinds
    return None


def add_spent(totals: dict[str, Counter[str]], user_properties: Iterable[tuple[str, Any]]) -> int:
    """Add a phase report's requests to ``totals`` (family → kind → requests); how many it carried."""
    found = spent_of(user_properties)
    if found is None:
        return 0
    family, kinds = found
    totals.setdefault(family, Counter()).update(kinds)
    return sum(kinds.values())
