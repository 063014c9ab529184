"""Fuzz collection and fixtures: the tests are built per session from the run's settings.

A test function marked with :func:`~conformance.fuzz.run.per_operation` is a template: when a
session collects it, it is parametrized over this run's schemas
(``schemathesis.pytest.parametrize(main=…, cr=…)``, one item per operation, ``test_operation[main][GET
/events/]``), so the enabled operations, the seed and the example budget are the session's, whatever
was imported before. When such an item's cases are done, what they were answered becomes the SCH
probes of its operation (:mod:`conformance.fuzz.answers`) and its coverage's ``fd_answers``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir

from conformance.auth import Session
from conformance.client import Api, Transport
from conformance.fuzz.answers import Answers, answer_probes
from conformance.fuzz.context import FuzzContext, Persona, transport_sender
from conformance.fuzz.objects import discover
from conformance.fuzz.run import TEMPLATE, fuzz_run
from conformance.harness.ledger import ledger_of
from conformance.harness.state import in_phase
from conformance.rules import catalogue


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Module | pytest.Class, name: str, obj: object) -> object:
    # The parametrized wrapper copies the template's attributes (functools.wraps), but has __wrapped__.
    if not getattr(obj, TEMPLATE, False) or hasattr(obj, "__wrapped__") or not callable(obj):
        return None
    run = fuzz_run(collector.config)
    test = schemathesis.pytest.parametrize(**run.schemas)(obj)
    return collector.ihook.pytest_pycollect_makeitem(collector=collector, name=name, obj=test)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # Schemathesis' items keep the test function they were built from (the template's wrapper).
    if not getattr(getattr(item, "test_function", None), TEMPLATE, False):
        return (yield)
    skipped = False
    try:
        return (yield)
    except pytest.skip.Exception:
        skipped = True  # not run (mode, persona): nothing was attempted
        raise
    finally:
        if not skipped:
            _judge_answers(item)


def _judge_answers(item: pytest.Item) -> None:
    """The SCH probes of a fuzzed operation, recorded once its Hypothesis test is over."""
    run = fuzz_run(item.config)
    where = run.operations.get(item.nodeid)
    if where is None:  # no case reached the test body
        return
    host, operation = where
    answers = run.answers.get(item.nodeid, Answers())
    ledger = ledger_of(item.config)
    probes = answer_probes(operation, answers, catalogue(), addressable=item.nodeid not in run.unaddressable)
    for rule, check, outcome, reason in probes:
        ledger.record(rule, check, host=host, operation=operation, outcome=outcome, reason=reason)
    props = [(k, v) for k, v in item.user_properties if k != "fd_answers"]
    item.user_properties[:] = [*props, ("fd_answers", answers.as_dict())]


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis keeps caches (parsed constants of every module, examples) in ./.hypothesis by default:
    # a run writes only where the user chose, so they go to a private folder removed with the session.
    home = tempfile.mkdtemp(prefix="fdconf-hypothesis-")
    set_hypothesis_home_dir(home)
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    config.add_cleanup(lambda: set_hypothesis_home_dir(None))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A fuzz test whose every case the budget answered (429 after the retries) judged nothing: it is
    reported *not run* with the reason, not passed (a passed fuzz test is SCH evidence)."""
    report = yield
    if call.when != "call" or not report.passed:
        return report
    props = dict(item.user_properties)
    throttled = props.get("fd_throttled", 0)
    if isinstance(throttled, int) and throttled > 0 and not props.get("fd_cases"):
        report.outcome = "skipped"
        where = item.reportinfo()
        why = f"not run: every case throttled ({throttled} answered 429 after the retries)"
        report.longrepr = (str(where[0]), (where[1] or 0) + 1, f"Skipped: {why}")
    return report


@pytest.fixture(scope="session")
def fuzz_context(request: pytest.FixtureRequest, fd_sessions: dict[str, Session],
                 fd_transport: Transport) -> Iterator[FuzzContext]:
    """The run's context for our checks: personas with their partners, GET replays over the Transport."""
    context = fuzz_run(request.config).context
    for name, session in fd_sessions.items():
        try:
            partners = tuple(session.partners)
        except Exception:  # a persona that cannot sign in only loses its replays
            continue
        context.personas[name] = Persona(session.access_token, partners)
    context.send = transport_sender(fd_transport)
    yield context
    context.send = None


@pytest.fixture(scope="session")
def fuzz_partner_product(fd_api: Callable[..., Api]) -> str | None:
    """One of the primary partner's registered products (CR saves name one), if the target tells."""
    from conformance.scenarios.sandbox import partner_product

    return partner_product(fd_api("primary", "main"))


@pytest.fixture(scope="session")
def fuzz_path_values(request: pytest.FixtureRequest, fd_api: Callable[..., Api],
                     fuzz_context: FuzzContext) -> dict[str, Any]:
    """Ids of primary's own objects for positive cases (:mod:`conformance.fuzz.objects`), once per run."""
    run = fuzz_run(request.config)
    if run.path_values is None:
        primary = fuzz_context.personas.get("primary")
        try:
            other: Api | None = fd_api("other", "main")
        except pytest.skip.Exception:
            other = None
        try:
            with in_phase(request.config, "discovery"):
                run.path_values = discover(fd_api("primary", "main"), other,
                                           primary.partner if primary else None)
        except pytest.skip.Exception:
            run.path_values = {}
    return dict(run.path_values)
