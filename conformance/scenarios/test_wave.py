"""WAV-01 and WAV-02: the setup-process state table (CONTRACT §4) and what boost creates.

Everything runs on the sandbox event. The "published" column (and boost) needs publish mode; in
write mode the table is walked up to the draft column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import message_key
from conformance.client import Api, Exchange
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger
from conformance.scenarios.discovery import body_of, walk_pages
from conformance.scenarios.sandbox import budget_limits, clusters_of, q, setup_body
from conformance.scenarios.sweep import Sweep, Unexercised

SETUP_INVALID = "error.campaign.setup_invalid"


class Table:
    """Walks the state table, one call at a time, and says which transition broke."""

    def __init__(self, api: Api, eid: str) -> None:
        self.api, self.eid, self.path = api, eid, f"/setup_processes/{q(eid)}"

    def expect(
        self, state: str, method: str, suffix: str, allowed: tuple[int, ...], **kwargs: Any
    ) -> Exchange:
        path = "/campaigns_setup" if suffix == "campaigns_setup" else self.path + suffix
        exchange = self.api.request(method, path, **kwargs)
        if exchange.status not in allowed:
            raise exchange.finding(
                "WAV-01",
                f"state `{state}`: {method} {path} -> {exchange.status}",
                expected=" or ".join(map(str, allowed)),
                received=exchange.response_text(200),
            )
        return exchange


@pytest.mark.fd_rule("WAV-01")
@pytest.mark.fd_needs(mode="write")
def test_setup_process_state_table(
    fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fresh_sandbox: dict[str, Any], fd_mode: str
) -> None:
    sweep = Sweep("WAV-01", fd_ledger, "draft-table")
    draft_ok = len(sweep.findings)
    sweep.judge(lambda: _walk_draft(fd_api, fresh_sandbox, fd_mode), operation="draft columns", replay=False)
    if fd_mode != "publish":
        sweep.finish("the setup-process state table must hold")
        return
    if len(sweep.findings) > draft_ok:
        sweep.unexercised("main", "published column", "the draft columns failed", check="published-table")
    else:
        sweep.judge(lambda: _walk_published(fd_api, fresh_sandbox), operation="published column",
                    check="published-table", replay=False)
    sweep.finish("the setup-process state table must hold")


def _walk_draft(fd_api: Callable[..., Api], fresh_sandbox: dict[str, Any], fd_mode: str) -> None:
    api = fd_api("primary", "main")
    eid = fresh_sandbox["eid"]
    run, tcs = clusters_of(api, eid, "WAV-01")
    body = setup_body(api, eid, tcs[:2], run)
    publish = fd_mode == "publish"
    t = Table(api, eid)
    edit = {"eid": eid, "tc": tcs[0], "tc_run_id": run, "creative": {"headline": "fdconf edit"}}

    t.expect("before a draft", "GET", "", (404,))
    t.expect("before a draft", "PUT", "", (404,), json=body)
    t.expect("before a draft", "DELETE", "", (404,))
    if publish:
        t.expect("before a draft", "POST", "/boost", (404,))
        t.expect("before a draft", "POST", "campaigns_setup", (404,), json=edit)

    t.expect("before a draft", "POST", "", (200, 201), json=body)
    t.expect("draft", "POST", "", (409,), json=body)
    t.expect("draft", "GET", "", (200,))
    marker = {**body, "dsa_payor": "fdconf marker payor"}
    t.expect("draft", "PUT", "", (200,), json=marker)
    reset = {k: v for k, v in body.items() if k != "dsa_payor"}
    t.expect("draft", "PUT", "", (200,), json=reset)
    after = body_of(t.expect("draft", "GET", "", (200,)))
    if isinstance(after, dict) and after.get("dsa_payor") == "fdconf marker payor":
        raise Finding(
            "WAV-01",
            "PUT /setup_processes/{eid} without `dsa_payor` kept the previous value",
            expected="full replace: an omitted field is reset to its default",
            received=f"dsa_payor = {after.get('dsa_payor')!r}",
        )
    if publish:
        t.expect("draft", "POST", "campaigns_setup", (404,), json=edit)
    t.expect("draft", "DELETE", "", (200,))
    t.expect("deleted draft", "GET", "", (404,))


def _walk_published(fd_api: Callable[..., Api], fresh_sandbox: dict[str, Any]) -> None:
    api = fd_api("primary", "main")
    eid = fresh_sandbox["eid"]
    run, tcs = clusters_of(api, eid, "WAV-01")
    body = setup_body(api, eid, tcs[:2], run)
    t = Table(api, eid)
    edit = {"eid": eid, "tc": tcs[0], "tc_run_id": run, "creative": {"headline": "fdconf edit"}}
    t.expect("before a draft", "POST", "", (200, 201), json=body)
    t.expect("draft", "POST", "/boost", (200,))
    published = body_of(t.expect("published", "GET", "", (200,)))
    if not isinstance(published, dict) or published.get("published") is not True:
        raise Finding(
            "WAV-01",
            "a boosted setup does not read `published: true`",
            received=repr(published)[:300],
            expected="200 with published: true",
        )
    t.expect("published", "POST", "", (409,), json=body)
    t.expect("published", "PUT", "", (409,), json=body)
    t.expect("published", "DELETE", "", (409,))
    t.expect("published", "POST", "/boost", (409,))
    t.expect("published", "POST", "campaigns_setup", (200,), json=edit)


def _campaign_keys(api: Api, eid: str) -> list[tuple[str, Any]]:
    keys = []
    for _, exchange in walk_pages(api, f"/events/{q(eid)}/campaigns"):
        page = body_of(exchange)
        for c in (page or {}).get("items", []) if isinstance(page, dict) else []:
            if isinstance(c, dict) and str(c.get("eid")) == str(eid):
                keys.append((str(c.get("tc")), c.get("tc_run_id")))
    return keys


@pytest.mark.fd_rule("WAV-02")
@pytest.mark.fd_needs(mode="publish")
def test_boost_creates_exactly_the_setups_campaigns(
    fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fresh_sandbox: dict[str, Any]
) -> None:
    """Each kind of invalid setup is refused: when written (a 400/422 there means it can never be
    boosted) or at boost with 400 ``error.campaign.setup_invalid``. Then a valid setup is written (a
    POST when no draft exists yet, else a PUT) and boosted."""
    api = fd_api("primary", "main")
    eid = fresh_sandbox["eid"]
    path = f"/setup_processes/{q(eid)}"
    run, tcs = clusters_of(api, eid, "WAV-02")
    valid = setup_body(api, eid, tcs[:2], run)
    limits = budget_limits(api, eid)
    invalid: dict[str, dict[str, Any]] = {
        "no creative": {**valid, "creatives": []},
        "a tc that is not in its run": {
            **valid,
            "creatives": [{**valid["creatives"][0], "tc": valid["creatives"][0]["tc"] + " fdconf-missing"}],
        },
        "two runs in one setup": {
            **valid,
            "creatives": [valid["creatives"][0], {**valid["creatives"][-1], "tc_run_id": run + 1000}],
        },
    }
    if limits is not None:
        invalid["a budget above budget_min_max"] = {**valid, "total_budget": limits[1] * 10 + 1}
    sweep = Sweep("WAV-02", fd_ledger, "invalid-setup-refused")
    state = {"draft": False}
    for why, body in invalid.items():

        def judge(why: str = why, body: dict[str, Any] = body) -> None:
            written = api.request("PUT" if state["draft"] else "POST", path, json=body)
            if written.status in (400, 422):
                return  # refused when written: it can never be boosted
            if written.status not in (200, 201):
                raise Unexercised(f"writing the draft answers {written.status}")
            state["draft"] = True
            boost = api.post(f"{path}/boost")
            key = message_key(boost)
            if boost.status != 400 or (key is not None and key != SETUP_INVALID):
                raise boost.finding(
                    "WAV-02",
                    f"boost of a setup with {why} -> {boost.status} {key or ''}".strip(),
                    expected=f"400 {SETUP_INVALID}",
                    received=boost.response_text(200),
                )

        sweep.judge(judge, operation=why, replay=False)
    written = api.request("PUT" if state["draft"] else "POST", path, json=valid)

    def judge_valid() -> None:
        if written.status not in (200, 201):
            raise Unexercised(f"the valid setup could not be written ({written.status})")
        boost = api.post(f"{path}/boost")
        if boost.status != 200:
            raise Finding(
                "WAV-02",
                f"boost of a valid setup -> {boost.status}",
                expected="200",
                received=boost.response_text(200),
                curl=boost.curl,
            )
        want = sorted((str(c["tc"]), run) for c in valid["creatives"])
        got = sorted(_campaign_keys(api, eid))
        if got != want:
            raise Finding(
                "WAV-02",
                f"boost created campaigns {got}, the setup holds {want}",
                expected="exactly one campaign per (tc, tc_run_id) of the setup",
                received=str(got),
            )

    sweep.judge(judge_valid, operation="POST /setup_processes/{eid}/boost", check="boost-creates-exactly",
                replay=False)
    sweep.finish("boost must create exactly the setup's campaigns and refuse invalid setups")
