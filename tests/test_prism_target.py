"""Certifying an implementation nobody here wrote: Prism mocking our own specs, behind a gateway.

Prism (``@stoplight/prism-cli``, pinned in package.json, installed by ``npm ci``) serves
specs/main-api.yaml and specs/cr-api.yaml from its root (it ignores ``servers``); a loopback gateway
puts them under prefixes of its own (``/gw/fd/api/v3``, ``/gw/fd-cr/api``), so the target's base path
is not the spec's first server. Sign-in is a real Cognito: the gateway sends ``/auth…`` to the
reference's moto Cognito, so the personas are the reference's (real tokens and groups) while every
API answer comes from the mock (specs/README.md, Decision 73).

A mock answers every caller alike from the spec's examples, so what is true is known in kind:

* no crash: the run completes, no run error, the gateway forwarded everything, exit 1 (findings);
* SCH without false findings: SCH-01/SCH-02 judged with no finding; SCH-03's findings are only
  generated requests with an empty query value, which the test shows Prism accepts (it takes an
  empty optional value for an absent one) although the spec says it is invalid;
* tenancy fails with true findings: the mock ignores the partner header and the tenant (TEN-01,
  TEN-03, TEN-04, TEN-05 fail), while TEN-02 (the same answer without the header) passes and OBJ-01
  cannot run: no event is listed by one tenant only, which is the reason it gives.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prefix_proxy import PrefixProxy
from prism_mock import ROOT, PrismMock, binary

from conformance import engine
from conformance.reference.stack import ReferenceStack
from conformance.report import RuleResult, RunResult

QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
MAIN, CR = "/gw/fd/api/v3", "/gw/fd-cr/api"
RULES = "AUTH-02,TEN-01,TEN-02,TEN-03,TEN-04,TEN-05,OBJ-01,SCH"
#: Fuzz a few reads (the partner's records, an event's clusters), no stateful phase.
SUBSET = ["-k", "not test_stateful and (not test_operation or partners or clusters)"]
EMPTY_QUERY_VALUE = re.compile(r"[?&][A-Za-z_]+=(?:&|'|\s|$)")


@dataclass
class Gateway:
    stack: ReferenceStack
    proxy: PrefixProxy
    prism_seconds: float


def _prism_or_skip() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so Prism cannot run (install Node.js, then `npm ci`)")
    if binary() is None:
        message = "node is installed but Prism is not: run `npm ci` in the repository root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    _prism_or_skip()
    mocks = [PrismMock(ROOT / "specs" / "main-api.yaml"), PrismMock(ROOT / "specs" / "cr-api.yaml")]
    t0 = time.monotonic()
    failures: list[BaseException] = []

    def start(mock: PrismMock) -> None:
        try:
            mock.start()
        except BaseException as exc:  # re-raised below, in the fixture's thread
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(m,)) for m in mocks]
    for thread in threads:
        thread.start()
    try:
        with ReferenceStack() as stack:
            for thread in threads:
                thread.join()
            if failures:
                raise failures[0]
            prism_seconds = time.monotonic() - t0
            main, cr = mocks
            routes = [
                (f"{MAIN}/auth", f"{stack.main_base}/auth"),  # sign-in and refresh: moto Cognito
                (MAIN, main.origin),
                ("/gw/fd/api/media", f"{main.origin}/media"),
                (CR, cr.origin),
            ]
            with PrefixProxy(routes) as proxy:
                yield Gateway(stack, proxy, prism_seconds)
    finally:
        for mock in mocks:
            mock.stop()


def _run(gateway: Gateway, folder: Path) -> tuple[engine.RunOutcome, float]:
    config = folder / "fdconf.toml"
    gateway.stack.write_config(config)  # the reference's personas; the targets are the gateway's
    flags = {
        "target.main": gateway.proxy.base(MAIN),
        "target.cr": gateway.proxy.base(CR),
        "run.mode": "read-only",
        "run.seed": 12,
        "run.max_examples": 2,
        "run.rules": RULES,
        "run.report_dir": str(folder / "r"),
    }
    t0 = time.monotonic()
    outcome = engine.run(config=config, environ={}, flags=flags, cwd=folder, echo=QUIET, extra_args=SUBSET)
    return outcome, time.monotonic() - t0


def _by_id(result: RunResult) -> dict[str, RuleResult]:
    return {r.id: r for r in result.rules}


def test_prism_serving_the_spec_answers_no_400_where_the_contract_says_403(gateway: Gateway) -> None:
    """Decisions 43 and 72: the partner header has no pattern and no bounds, so a spec-driven server does
    not pre-empt the tenancy decision with a 400 for a malformed, empty or over-long value (here it
    answers 200: the mock ignores tenancy, which is TEN-03's finding, not the spec's)."""
    url = gateway.proxy.base(MAIN) + "/partners/"
    for value in ("PARTNER-ID-ACME", "webapp-access-group-2", "x" * 300, "not a partner!"):
        answer = httpx.get(url, headers={"Authorization": "Bearer t", "X-Preferred-Partner-Id": value})
        assert answer.status_code != 400, (value, answer.status_code, answer.text[:200])
    # Decision 72: the page the mock answers is self-consistent and shows the event its reads show.
    page = httpx.get(gateway.proxy.base(MAIN) + "/events/", headers={"Authorization": "Bearer t"}).json()
    event = httpx.get(gateway.proxy.base(MAIN) + "/events/evt_abc123", headers={"Authorization": "Bearer t"})
    assert (page["total"], page["pages"], page["nextPage"], len(page["items"])) == (1, 1, None, 1)
    assert page["items"][0] == event.json()


@pytest.mark.slow
def test_a_run_against_prism_behind_a_prefix_fails_tenancy_with_true_findings_only(
    gateway: Gateway, tmp_path: Path
) -> None:
    outcome, seconds = _run(gateway, tmp_path)
    result = outcome.result
    assert result is not None
    summary = ", ".join(f"{r.id} {r.status} ({len(r.findings)})" for r in result.rules)
    print(f"prism start-up {gateway.prism_seconds:.1f} s, run {seconds:.1f} s: {summary}")  # figures
    # no crash: complete, no run error, nothing the gateway failed to forward, exit 1 for findings
    assert result.completion["state"] == "complete", result.completion
    assert [e.message for e in result.errors] == []
    assert gateway.proxy.errors == []
    assert outcome.exit_code == 1
    rules = _by_id(result)
    statuses = {rule: rules[rule].status for rule in RULES.split(",") if rule in rules}
    # sign-in is the real Cognito behind the gateway
    assert statuses["AUTH-02"] == "passed", rules["AUTH-02"].reason
    # tenancy: the mock answers every tenant, header or not, with the same example data
    for rule in ("TEN-01", "TEN-03", "TEN-04", "TEN-05"):
        assert statuses[rule] == "failed", (rule, statuses[rule], rules[rule].reason)
        assert rules[rule].findings, rule
    assert statuses["TEN-02"] == "passed", rules["TEN-02"].reason  # same answer without the header: true
    assert statuses["OBJ-01"] == "not_run"
    assert rules["OBJ-01"].reason == "persona `other` lists no event that primary does not also list"
    # SCH: judged on what was fuzzed; no 5xx, answers as the spec says; SCH-03 only for empty values
    for rule in ("SCH-01", "SCH-02"):
        assert rules[rule].findings == [], (rule, [f.message[:200] for f in rules[rule].findings])
        judged = [c for c in rules[rule].checks if c.applies and c.judged]
        assert judged, (rule, rules[rule].checks)
        assert all(c.failed == 0 for c in judged), (rule, rules[rule].checks)
    for finding in rules["SCH-03"].findings:
        assert "ST201" in finding.message, finding.message[:300]
        assert "x-schemathesis-unknown-property" not in finding.message, finding.message[:300]
        assert EMPTY_QUERY_VALUE.search(finding.curl), finding.curl
    # what makes those findings true: the spec types `until` as a date, and Prism accepts it empty
    headers = {"Authorization": "Bearer t"}
    assert httpx.get(gateway.proxy.base(MAIN) + "/events/?until=", headers=headers).status_code == 200
    assert httpx.get(gateway.proxy.base(MAIN) + "/events/?until=x", headers=headers).status_code == 400
