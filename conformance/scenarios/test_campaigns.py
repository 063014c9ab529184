"""CID-01..03: campaign keys, one campaign per key, and cid-safe ids in every answer.

Campaigns are discovered from the primary persona's events; CID-02's repeated boost runs on the
sandbox event in publish mode. The cid template is ``{tc_run_id}__{eid}__{tc}`` (CONTRACT §3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import DEFAULT_TEMPLATE, CidTemplate, campaign_problems, check_cid_safety
from conformance.client import Api
from conformance.config import Settings
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger
from conformance.scenarios.discovery import EventFacts, body_of, walk_pages
from conformance.scenarios.sandbox import clusters_of, q, setup_body
from conformance.scenarios.sweep import Sweep, Unexercised


def _template(fd_settings: Settings) -> CidTemplate:
    return CidTemplate(DEFAULT_TEMPLATE)  # CONTRACT §3: the one template (no setting; specs/README.md)


def _all_campaigns(api: Api, eid: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _, exchange in walk_pages(api, f"/events/{q(eid)}/campaigns"):
        body = body_of(exchange)
        if isinstance(body, dict):
            out.extend(c for c in body.get("items") or [] if isinstance(c, dict))
    return out


@pytest.mark.fd_rule("CID-01")
def test_campaigns_carry_their_key(
    primary_main: Api, fd_ledger: ProbeLedger, primary_facts: list[EventFacts]
) -> None:
    with_campaigns = [f for f in primary_facts if f.campaigns]
    if not with_campaigns:
        pytest.skip("not run: no primary event with campaigns found")
    sweep = Sweep("CID-01", fd_ledger, "campaign-key")
    for facts in with_campaigns:

        def judge(facts: EventFacts = facts) -> None:
            for campaign in _all_campaigns(primary_main, facts.eid):
                problems = campaign_problems(campaign, facts.eid, facts.series)
                if problems:
                    raise Finding(
                        "CID-01",
                        f"a campaign of event {facts.eid}: " + "; ".join(problems),
                        expected="eid (this event or a series member), tc, integer tc_run_id",
                        received=repr(campaign)[:300],
                    )

        sweep.judge(judge, operation=f"campaigns of {facts.eid}")
    sweep.finish("every campaign must carry its key")


def _duplicates(campaigns: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = Counter((str(c.get("eid")), str(c.get("tc")), str(c.get("tc_run_id"))) for c in campaigns)
    return [key for key, count in keys.items() if count > 1]


@pytest.mark.fd_rule("CID-02")
@pytest.mark.fd_needs(mode="publish")
def test_at_most_one_campaign_per_key_after_repeated_boosts(
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fresh_sandbox: dict[str, Any],
    primary_facts: list[EventFacts],
) -> None:
    """Listed campaigns are judged per event that has some; the repeated boost only once the first
    boost succeeded (a refused boost creates nothing, so no duplicate proves nothing)."""
    main = fd_api("primary", "main")
    sweep = Sweep("CID-02", fd_ledger, "unique-listed")
    for facts in primary_facts:
        listed = _all_campaigns(main, facts.eid)

        def judge(facts: EventFacts = facts, listed: list[dict[str, Any]] = listed) -> None:
            if not listed:
                raise Unexercised("the event lists no campaign")
            dupes = _duplicates(listed)
            if dupes:
                raise Finding(
                    "CID-02",
                    f"event {facts.eid} lists several campaigns for {dupes[:3]}",
                    expected="at most one campaign per (eid, tc, tc_run_id)",
                )

        sweep.judge(judge, operation=f"campaigns of {facts.eid}")
    eid = fresh_sandbox["eid"]
    label = "POST /setup_processes/{eid}/boost x3"
    run, tcs = clusters_of(main, eid, "CID-02")
    created = main.post(f"/setup_processes/{q(eid)}", json=setup_body(main, eid, tcs[:2], run))
    boosts = (
        [main.post(f"/setup_processes/{q(eid)}/boost").status for _ in range(3)]
        if created.status in (200, 201)
        else []
    )

    def judge_boosts() -> None:
        if not boosts:
            raise Unexercised(f"the sandbox draft could not be created ({created.status})")
        if boosts[0] != 200:
            raise Unexercised(f"boost never succeeded (statuses {boosts})")
        mine = [c for c in _all_campaigns(main, eid) if str(c.get("eid")) == str(eid)]
        if not mine:
            raise Unexercised(f"a successful boost created no campaign (WAV-02's finding; statuses {boosts})")
        dupes = _duplicates(mine)
        if dupes:
            raise Finding(
                "CID-02",
                f"after boosting {eid} {len(boosts)} times (statuses {boosts}) the event lists "
                f"several campaigns for {dupes[:3]}",
                expected="one campaign per (eid, tc, tc_run_id)",
            )

    sweep.judge(judge_boosts, operation=label, check="unique-after-boosts")
    sweep.finish("at most one campaign per (eid, tc, tc_run_id)")


@pytest.mark.fd_rule("CID-03")
def test_issued_ids_are_cid_safe(
    primary_main: Api,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_settings: Any,
    primary_facts: list[EventFacts],
) -> None:
    """Every read answered 200 is judged (the others are unexercised, listed by path)."""
    template = _template(fd_settings)
    sweep = Sweep("CID-03", fd_ledger, "ids-cid-safe")
    reads: list[tuple[str, str, dict[str, Any] | None]] = [
        ("main", "/events/", {"limit": 1000}),
        ("main", "/partners/", None),
    ]
    for facts in primary_facts:
        for suffix in ("", "/clusters", "/campaigns"):
            reads.append(("main", f"/events/{q(facts.eid)}{suffix}", None))
        reads.append(("main", f"/setup_processes/{q(facts.eid)}", None))
        reads.append(("cr", f"/events/{q(facts.eid)}", None))  # unexercised without target.cr
    for host, path, params in reads:

        def judge(host: str = host, path: str = path, params: dict[str, Any] | None = params) -> None:
            api = primary_main if host == "main" else fd_api("primary", host)
            exchange = api.get(path, params=params)
            if exchange.status != 200:
                raise Unexercised(f"the read answers {exchange.status}")
            check_cid_safety(exchange.json(), template, where=f"{api.host} GET {path}", curl=exchange.curl)

        sweep.judge(judge, host, operation=f"GET {path}")
    for facts in primary_facts:
        if not facts.campaigns:
            continue

        def judge_round_trip(facts: EventFacts = facts) -> None:
            for campaign in facts.campaigns:
                parts = (campaign.get("tc_run_id"), campaign.get("eid"), campaign.get("tc"))
                if None not in parts and not template.round_trips(*parts):
                    raise Finding(
                        "CID-03",
                        f"the cid of campaign {parts} does not parse back into its parts",
                        expected=f"{template.template} round-trips",
                        received=template.compose(*parts),
                    )

        sweep.judge(judge_round_trip, operation=f"campaigns of {facts.eid}", check="cid-round-trips")
    sweep.finish("every issued id must be cid-safe")
