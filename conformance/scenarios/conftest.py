"""Discovery fixtures shared by the scenario modules.

Everything a scenario attacks is discovered from the target through the plugin's ``fd_api``
factory: the primary persona's events (listed as primary), a foreign eid (listed as ``other``), an
event with clusters, one with campaigns, a never-existing eid, and the values that fill spec path
templates. Results are cached per pytest session (``config.stash``), so a run lists once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from conformance.auth import Session
from conformance.client import Api, Patience, is_transient
from conformance.config import Settings
from conformance.errors import RequestTimedOut, TargetError
from conformance.harness.ledger import record_unanswered
from conformance.harness.state import in_phase
from conformance.scenarios.discovery import (
    MAX_PROBED_EVENTS,
    EventFacts,
    Unavailable,
    campaign_key,
    event_facts,
    event_id,
    keyed_campaigns,
    list_items,
    never_existing_like,
    own_event_ids,
)
from conformance.spec import Operation, all_operations

_CACHE = pytest.StashKey[dict[str, Any]]()
_OUTAGE = pytest.StashKey[Unavailable]()  # the run's one verdict on a target that stayed down


def _cached(request: pytest.FixtureRequest, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per session; a target that is briefly down is waited out (``run.retry_wait``).

    When it stays down, the cause is classified once ("target unavailable during discovery …") and
    every later discovery gets that same verdict at once, so every rule it stops is *not run* with the
    same reason (and the run does not wait again per fixture)."""
    cache = request.config.stash.setdefault(_CACHE, {})
    if key not in cache:
        outage = request.config.stash.get(_OUTAGE, None)
        if outage is not None:
            cache[key] = outage
        else:
            patience = Patience(float(request.getfixturevalue("fd_settings").retry_wait))
            try:
                with in_phase(request.config, "discovery"):  # an interrupt here is in discovery
                    cache[key] = patience.call(compute)
            except Unavailable as exc:
                cache[key] = _outage(request, exc, patience.total) if exc.transient else exc
            except TargetError as exc:
                if not is_transient(exc):
                    raise
                cache[key] = _outage(request, exc, patience.total)
    value = cache[key]
    if isinstance(value, Unavailable):
        pytest.skip(f"not run: {value}")
    return value


def _cause(exc: Exception) -> str:
    return exc.message if isinstance(exc, TargetError) else str(exc)


def _outage(request: pytest.FixtureRequest, exc: Exception, waited: float) -> Unavailable:
    outage = Unavailable(f"target unavailable during discovery: {_cause(exc)} "
                         f"(still failing after {waited:g} s of retries, see run.retry_wait)", transient=True)
    request.config.stash[_OUTAGE] = outage
    return outage


def _not_run_when_down(item: pytest.Item) -> Generator[None, None, None]:
    """A rule stopped by an outage is *not run*, with the run's classified reason, never *failed*: a
    test's own list walk or sign-in that meets a 502/503/504 (or a refused connection) is skipped,
    and so is one whose request timed out (or was abandoned: ``run.abandon_after``)."""
    try:
        yield
    except RequestTimedOut as exc:  # a probe or control the scenario did not handle itself
        record_unanswered(item, exc)
        pytest.skip(f"not run: {exc.reason}")
    except (Unavailable, TargetError) as exc:
        if not is_transient(exc):
            raise
        outage = item.config.stash.get(_OUTAGE, None)
        reason = str(outage) if outage is not None else f"target unavailable: {_cause(exc)}"
        pytest.skip(f"not run: {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield from _not_run_when_down(item)
    outage = item.config.stash.get(_OUTAGE, None)
    if outage is not None:  # the run has given up on the target: nothing more is judged against it
        pytest.skip(f"not run: {outage}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _not_run_when_down(item)


@pytest.fixture
def primary_main(fd_api: Callable[..., Api]) -> Api:
    return fd_api("primary", "main")


@pytest.fixture
def other_main(fd_api: Callable[..., Api]) -> Api:
    return fd_api("other", "main")


@pytest.fixture
def primary_partner(fd_sessions: dict[str, Session]) -> str:
    session = fd_sessions["primary"]
    partner = session.default_partner or (session.partners[0] if session.partners else None)
    if not partner:
        pytest.skip("not run: the primary persona has no partner to scope to")
    return str(partner)


@pytest.fixture
def other_partner(fd_sessions: dict[str, Session], primary_partner: str) -> str:
    if "other" not in fd_sessions:
        pytest.skip("not run: persona `other` is not configured")
    session = fd_sessions["other"]
    candidates = [session.default_partner, *(session.partners or [])]
    for partner in candidates:
        if partner and partner != primary_partner:
            return str(partner)
    pytest.skip("not run: persona `other` has no partner distinct from primary's")


@pytest.fixture
def spec_ops() -> tuple[Operation, ...]:
    return all_operations()


@pytest.fixture
def other_events(request: pytest.FixtureRequest, other_main: Api) -> list[Any]:
    return list(_cached(request, "other_events", lambda: list_items(other_main, "/events/")))


@pytest.fixture
def primary_events(
    request: pytest.FixtureRequest, primary_main: Api, other_events: list[Any], primary_partner: str
) -> list[str]:
    """Eids of the primary persona's own events (not also visible to ``other``).

    When every event primary lists is also listed by ``other`` (a target that shows all tenants the
    same rows: a mock, a scope that is not applied), those shared events stand in, as long as none is
    claimed by another partner (specs/README.md, Decision 73): the header, token and shape probes
    built on them are controlled by primary's own 2xx on them, and the shared rows are TEN-04's
    finding. Foreign-id probes never use them (``other_eid`` needs an event primary does not list)."""

    def compute() -> list[str]:
        listed = list_items(primary_main, "/events/")
        eids = own_event_ids(listed, other_events, primary_partner) or own_event_ids(
            listed, [], primary_partner
        )
        if not eids and listed:
            raise Unavailable(f"every event the primary persona lists ({len(listed)}) is claimed by "
                              "another partner: none is its own")
        if not eids:
            raise Unavailable("the primary persona lists no events of its own")
        return eids

    return list(_cached(request, "primary_events", compute))


@pytest.fixture
def other_eid(request: pytest.FixtureRequest, other_events: list[Any], primary_main: Api) -> str:
    """An event of ``other``'s partner (listed as other), to be attacked as primary."""

    def compute() -> str:
        mine = {event_id(i) for i in list_items(primary_main, "/events/")}
        for item in other_events:
            eid = event_id(item)
            if eid and eid not in mine:
                return eid
        raise Unavailable("persona `other` lists no event that primary does not also list")

    return str(_cached(request, "other_eid", compute))


@pytest.fixture
def never_existing_eid(request: pytest.FixtureRequest, primary_events: list[str], fd_seed: int) -> str:
    """An eid shaped like a real one that no listing shows. Shaped like the foreign eid when persona
    ``other`` is configured (OBJ-04 compares the two), else like one of primary's own (ERR-01 needs no
    second tenant)."""

    def compute() -> str:
        taken = set(primary_events)
        model = primary_events[0]
        try:
            other_events = request.getfixturevalue("other_events")
            model = str(request.getfixturevalue("other_eid"))
            taken |= {e for e in (event_id(i) for i in other_events) if e}
        except pytest.skip.Exception:
            pass
        return never_existing_like(model, fd_seed, taken)

    return str(_cached(request, "never_eid", compute))


@pytest.fixture
def foreign_facts(
    request: pytest.FixtureRequest, fd_api: Callable[..., Api], other_eid: str, other_partner: str
) -> EventFacts:
    """Clusters and campaigns of the foreign event, read by its owner (``other``)."""
    owner = fd_api("other", "main", partner=other_partner)
    facts = _cached(request, "foreign_facts", lambda: event_facts(owner, other_eid))
    assert isinstance(facts, EventFacts)
    return facts


@pytest.fixture
def foreign_values(foreign_facts: EventFacts, other_partner: str) -> dict[str, Any]:
    """Path values of the foreign event as its owner would send them: its own eid, and its own tc and
    run (a campaign's key when it has one), so a 404 for primary proves ownership, not a mismatch.
    Missing kinds stay missing (operations needing them are unexercised)."""
    values: dict[str, Any] = {"eid": foreign_facts.eid, "partner_id": other_partner}
    owned = keyed_campaigns(foreign_facts)
    key = campaign_key(owned[0]) if owned else None
    if key is not None:
        values.update(tc=key[1], tc_run_id=key[2])
    elif foreign_facts.tc_run_id is not None and foreign_facts.tcs:
        values.update(tc=foreign_facts.tcs[0], tc_run_id=foreign_facts.tc_run_id)
    return values


def _probe_events(request: pytest.FixtureRequest, api: Api, eids: list[str]) -> list[EventFacts]:
    def compute() -> list[EventFacts]:
        return [event_facts(api, eid) for eid in eids[:MAX_PROBED_EVENTS]]

    return list(_cached(request, "primary_facts", compute))


@pytest.fixture
def primary_facts(
    request: pytest.FixtureRequest, primary_main: Api, primary_events: list[str]
) -> list[EventFacts]:
    """Clusters/campaigns/series of the first primary events (bounded, to keep runs short)."""
    return _probe_events(request, primary_main, primary_events)


@pytest.fixture
def event_with_clusters(primary_facts: list[EventFacts]) -> EventFacts:
    for facts in primary_facts:
        if facts.tc_run_id is not None and facts.tcs:
            return facts
    pytest.skip("not run: no primary event with clusters found")


@pytest.fixture
def event_with_campaigns(primary_facts: list[EventFacts]) -> EventFacts:
    """A primary event listing at least one campaign of its own with a well-formed key."""
    for facts in primary_facts:
        if keyed_campaigns(facts):
            return facts
    pytest.skip("not run: no primary event with a campaign of its own (well-formed key) found")


@pytest.fixture
def path_values(
    event_with_clusters: EventFacts, primary_facts: list[EventFacts], primary_partner: str
) -> dict[str, Any]:
    """Valid values for the spec's path parameters, by id kind: a campaign's own key where primary has
    a campaign (every ``{tc}`` path is per-campaign, so the positive controls of those operations can
    succeed), else an event with clusters and a tc of its current run."""
    values: dict[str, Any] = {
        "eid": event_with_clusters.eid,
        "tc": event_with_clusters.tcs[0],
        "tc_run_id": event_with_clusters.tc_run_id,
        "partner_id": primary_partner,
    }
    for facts in primary_facts:
        owned = keyed_campaigns(facts)
        key = campaign_key(owned[0]) if owned and facts.tcs else None
        if key is not None:
            values.update(eid=key[0], tc=key[1], tc_run_id=key[2])
            break
    return values


@pytest.fixture
def sandbox_eid(request: pytest.FixtureRequest, fd_mode: str) -> str | None:
    """The sandbox event in write/publish mode (``None`` in read-only mode, where there is none)."""
    if fd_mode == "read-only":
        return None
    return str(request.getfixturevalue("fd_sandbox")["eid"])


@pytest.fixture
def fresh_sandbox(
    fd_sandbox: dict[str, Any], fd_api: Callable[..., Api], fd_settings: Settings
) -> Iterator[dict[str, Any]]:
    """A new sandbox event for this test alone (``fd_sandbox`` is one per run; state-table walks need an
    event nobody else has touched). Created and cleaned up like the run's own sandbox."""
    from conformance.harness.sandbox import Sandbox, SandboxUnavailable

    sandbox = Sandbox(main=fd_api("primary", "main"), cr=fd_api("primary", "cr"), seed=fd_settings.seed)
    try:
        info = sandbox.create()
    except SandboxUnavailable as exc:
        sandbox.cleanup()
        pytest.skip(f"not run: no sandbox event: {exc}")
    try:
        yield info
    finally:  # also when the test was interrupted: the event is this test's to undo
        sandbox.cleanup()


@pytest.fixture
def other_sandbox(
    fd_sandbox: dict[str, Any], fd_api: Callable[..., Api], fd_settings: Settings, other_partner: str
) -> Iterator[dict[str, Any]]:
    """A sandbox event of persona ``other``'s own, for write rules on a deployment (OBJ-02, OBJ-03): the
    foreign object they attack is one the run created, never a tenant's real data. Created on the CR API
    as ``other`` and cleaned up by ``other`` in hierarchy order when the test ends (also after a foreign
    write got through). ``{"refused": why}`` when the target gives ``other`` no sandbox event: the
    rule's probes are then unexercised, never passed."""
    import os
    from pathlib import Path

    from conformance.client import Throttled
    from conformance.harness.sandbox import Sandbox, SandboxUnavailable

    sandbox = Sandbox(main=fd_api("other", "main", partner=other_partner),
                      cr=fd_api("other", "cr", partner=other_partner), seed=fd_settings.seed)
    report_dir = Path(fd_settings.report_dir) if fd_settings.report_dir else None
    label = " ".join(filter(None, ("other", os.environ.get("PYTEST_XDIST_WORKER", ""))))
    try:
        info = sandbox.create()
    except (SandboxUnavailable, Throttled) as exc:
        sandbox.cleanup()
        sandbox.write_log(report_dir, label)
        yield {"refused": f"no sandbox event of persona `other`: {exc}"}
        return
    try:
        yield info
    finally:
        sandbox.cleanup()
        sandbox.write_log(report_dir, label)
