"""RUN-01..03: cluster runs are integers, tc labels resolve URL-encoded, refreshes add runs, nothing migrates.

RUN-01 reads the clusters of the primary persona's discovered events. RUN-02/03 refresh the sandbox
event through the CR save with ``itc_retry=true`` and poll its clusters with a bound.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from conformance.client import Api
from conformance.config import Settings
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger
from conformance.scenarios.discovery import EventFacts, body_of, campaign_key, keyed_campaigns
from conformance.scenarios.sandbox import clusters_of, q, refresh, setup_body
from conformance.scenarios.sweep import Sweep, Unexercised
from conformance.spec import Operation, fill_path


@pytest.mark.fd_rule("RUN-01")
def test_clusters_carry_an_integer_run_and_unique_tcs(
    primary_main: Api, fd_ledger: ProbeLedger, primary_facts: list[EventFacts]
) -> None:
    sweep = Sweep("RUN-01", fd_ledger, "cluster-run-shape")
    for facts in primary_facts:

        def judge(facts: EventFacts = facts) -> None:
            _judge_clusters(primary_main, facts)

        sweep.judge(judge, operation=f"event {facts.eid}")
    sweep.finish("clusters must carry an integer run and unique tcs")


def _judge_clusters(primary_main: Api, facts: EventFacts) -> None:
    exchange = primary_main.get(f"/events/{q(facts.eid)}/clusters")
    body = exchange.json()
    if exchange.status != 200:
        raise Unexercised(f"the event's clusters answer {exchange.status}")
    if not isinstance(body, dict) or not isinstance(body.get("clusters"), list):
        raise Finding(
            "RUN-01",
            f"GET /events/{facts.eid}/clusters has no clusters array",
            received=exchange.response_text(200),
            curl=exchange.curl,
        )
    run = body.get("tc_run_id")
    if not isinstance(run, int) or isinstance(run, bool):
        raise Finding(
            "RUN-01", f"tc_run_id of event {facts.eid} is {run!r}, not an integer", curl=exchange.curl
        )
    tcs = [c.get("tc") for c in body["clusters"] if isinstance(c, dict)]
    if len(tcs) != len(body["clusters"]) or any(not isinstance(t, str) or not t for t in tcs):
        raise Finding("RUN-01", f"event {facts.eid}: a cluster lacks a string tc", curl=exchange.curl)
    duplicates = sorted({str(t) for t in tcs if tcs.count(t) > 1})
    if duplicates:
        raise Finding(
            "RUN-01", f"event {facts.eid} run {run}: tc not unique: {duplicates}", curl=exchange.curl
        )


def _campaign_read(spec_ops: tuple[Operation, ...]) -> Operation | None:
    """The spec's read of one campaign by its per-campaign path ``/campaigns/{eid}/{tc}/{tc_run_id}``."""
    for op in spec_ops:
        kinds = [op.kind_of(p) for p in op.path_params]
        bare = op.path.endswith("}")  # the campaign itself, not a sub-resource such as /creative
        if op.host == "main" and op.method == "GET" and kinds == ["eid", "tc", "tc_run_id"] and bare:
            return op
    return None


@pytest.mark.fd_rule("RUN-01")
def test_url_encoded_tc_paths_resolve(
    primary_main: Api,
    fd_ledger: ProbeLedger,
    primary_facts: list[EventFacts],
    spec_ops: tuple[Operation, ...],
) -> None:
    """A campaign whose tc needs encoding is read by its per-campaign path, addressed with the
    campaign's own key (its eid, not the listing event's), and that path resolves to exactly it: the
    answer must carry that key (any other JSON object, or one without a key, does not resolve it).
    The campaign being listed is the control: the triple is real."""
    sweep = Sweep("RUN-01", fd_ledger, "encoded-tc-resolves")
    op = _campaign_read(spec_ops)
    if op is None:
        pytest.skip("not run: the spec has no read of one campaign by its per-campaign path")
    for facts in primary_facts:
        for campaign in keyed_campaigns(facts):
            eid, tc, run = campaign_key(campaign) or ("", "", 0)
            if tc == urllib.parse.quote(tc, safe=""):
                continue
            path = fill_path(op, {"eid": eid, "tc": tc, "tc_run_id": run}) or ""

            def judge(path: str = path, key: tuple[str, str, int] = (eid, tc, run)) -> None:
                exchange = primary_main.get(path)
                body = exchange.json()
                resolved = isinstance(body, dict) and campaign_key(body) == key
                if exchange.status != 200 or not resolved:
                    raise exchange.finding(
                        "RUN-01",
                        f"GET {path} (tc {key[1]!r} percent-encoded) -> {exchange.status}"
                        + ("" if exchange.status != 200 else ", not that campaign"),
                        expected=f"200 with the campaign {key}: the encoded label resolves to it",
                        received=exchange.response_text(200),
                    )

            sweep.judge(judge, operation=op.label)
            sweep.finish("a percent-encoded tc must resolve to its campaign")
            return
    sweep.unexercised(op.host, op.label, "no campaign whose tc needs percent-encoding was found")
    sweep.finish("a percent-encoded tc must resolve to its campaign")


@pytest.mark.fd_rule("RUN-02")
@pytest.mark.fd_needs(mode="write")
def test_refresh_yields_a_larger_run(
    fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fresh_sandbox: dict[str, Any], fd_settings: Settings
) -> None:
    eid = fresh_sandbox["eid"]
    main, cr = fd_api("primary", "main"), fd_api("primary", "cr")
    sweep = Sweep("RUN-02", fd_ledger, "refresh-larger-run")

    def judge() -> None:
        before, after = refresh(main, cr, eid, "RUN-02", timeout=fd_settings.refresh_timeout)
        if after <= before:
            raise Finding(
                "RUN-02",
                f"after a refresh of {eid} the run is {after} (was {before})",
                expected=f"a tc_run_id > {before} within the polling bound",
                received=str(after),
            )

    sweep.judge(judge, operation="PUT /events/{eid} itc_retry=true", replay=False)
    sweep.finish("a refresh must yield a larger run")


def _runs_in(body: Any) -> set[int]:
    runs: set[int] = set()
    if isinstance(body, dict):
        for key in ("creatives", "targeting", "integration_details"):
            for entry in body.get(key) or []:
                if isinstance(entry, dict) and isinstance(entry.get("tc_run_id"), int):
                    runs.add(entry["tc_run_id"])
    return runs


@pytest.mark.fd_rule("RUN-03")
@pytest.mark.fd_needs(mode="write")
def test_drafts_and_campaigns_keep_their_run(
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fresh_sandbox: dict[str, Any],
    fd_mode: str,
    fd_settings: Settings,
) -> None:
    main, cr = fd_api("primary", "main"), fd_api("primary", "cr")
    eid = fresh_sandbox["eid"]
    sweep = Sweep("RUN-03", fd_ledger, "draft-keeps-run")
    draft, published_label = "GET /setup_processes/{eid}", "GET /events/{eid}/campaigns"
    run, tcs = clusters_of(main, eid, "RUN-03")
    created = main.post(f"/setup_processes/{q(eid)}", json=setup_body(main, eid, tcs[:2], run))
    if created.status not in (200, 201):
        why = f"the sandbox draft could not be created ({created.status})"
        sweep.unexercised("main", draft, why)
        sweep.unexercised("main", published_label, why, check="campaigns-keep-run")
        sweep.finish("drafts and campaigns must keep their run")
    boost = main.post(f"/setup_processes/{q(eid)}/boost").status if fd_mode == "publish" else 0
    _, after = refresh(main, cr, eid, "RUN-03", timeout=fd_settings.refresh_timeout)
    if after == run:
        why = "the refresh produced no new run (RUN-02's finding)"
        sweep.unexercised("main", draft, why)
        sweep.unexercised("main", published_label, why, check="campaigns-keep-run")
        sweep.finish("drafts and campaigns must keep their run")

    def judge_draft() -> None:
        setup = body_of(main.get(f"/setup_processes/{q(eid)}"))
        if _runs_in(setup) != {run}:
            raise Finding(
                "RUN-03",
                f"the setup of {eid} was built on run {run}; after a refresh to run {after} "
                f"it references runs {sorted(_runs_in(setup))}",
                expected=f"only run {run}",
                received=repr(setup)[:300],
            )

    sweep.judge(judge_draft, operation=draft)
    if fd_mode != "publish":
        sweep.finish("drafts must keep their run")
        return

    def judge_campaigns() -> None:
        if boost != 200:
            raise Unexercised(f"boost of the sandbox draft did not succeed ({boost})")
        page = body_of(main.get(f"/events/{q(eid)}/campaigns", params={"page": 1, "limit": 1000}))
        campaigns = [c for c in (page or {}).get("items", []) if isinstance(c, dict) and c.get("eid") == eid]
        if not campaigns:  # no campaigns at all is WAV-02's finding, not this rule's
            raise Unexercised("the boosted sandbox event lists no campaign")
        moved = [c for c in campaigns if c.get("tc_run_id") != run]
        if moved:
            raise Finding(
                "RUN-03",
                f"campaigns of {eid} built on run {run} now carry runs "
                f"{sorted({str(c.get('tc_run_id')) for c in moved})}",
                expected=f"every campaign keeps tc_run_id {run} (stale against {after})",
            )

    sweep.judge(judge_campaigns, operation=published_label, check="campaigns-keep-run")
    sweep.finish("drafts and campaigns must keep their run")
