"""Wave checks (INT-08, INT-09): one run per setup, built from the clusters; the setup lifecycle."""

from __future__ import annotations

from itertools import pairwise

from conformance.integration.evidence import Outcome, Violation, check, judged
from conformance.integration.recording import Exchange, Journey

SETUP = "/setup_processes/{eid}"
BOOST = "/setup_processes/{eid}/boost"


def _setup_writes(journey: Journey) -> list[Exchange]:
    return [
        e
        for e in journey.exchanges
        if (e.is_op("POST", SETUP) or e.is_op("PUT", SETUP)) and e.body.get("runs")
    ]


@check("one-run-per-setup-write")
def one_run_per_write(journey: Journey) -> Outcome:
    writes = _setup_writes(journey)
    bad = [
        Violation(
            "a setup mixes cluster runs",
            "one tc_run_id for the whole setup",
            f"tc_run_id {e.body['runs']} ({e.body.get('runs_by_section', {})})",
            e,
        )
        for e in writes
        if len(e.body["runs"]) > 1
    ]
    return judged(writes, bad)


@check("run-from-clusters")
def run_from_clusters(journey: Journey) -> Outcome:
    """The run a setup carries is one the event's clusters showed before the write."""
    writes = _setup_writes(journey)
    bad: list[Violation] = []
    for e in writes:
        eid = e.params.get("eid", "")
        seen = {
            int(c.response["tc_run_id"])
            for c in journey.calls("GET", "/events/{eid}/clusters")
            if c.params.get("eid") == eid and c.ok and c.end <= e.start and "tc_run_id" in c.response
        }
        unseen = [r for r in e.body["runs"] if r not in seen]
        if unseen:
            bad.append(
                Violation(
                    "the setup carries a run its clusters never showed",
                    f"a tc_run_id read from GET /events/{eid}/clusters ({sorted(seen)})",
                    f"tc_run_id {unseen}",
                    e,
                )
            )
    return judged(writes, bad)


@check("same-run-across-writes")
def same_run_across_writes(journey: Journey) -> Outcome:
    """Create and every autosave of one setup carry the same run (no switch after a refresh)."""
    items: list[Exchange] = []
    bad: list[Violation] = []
    by_eid: dict[str, list[Exchange]] = {}
    for e in _setup_writes(journey):
        if e.method == "POST":
            by_eid[e.params.get("eid", "")] = []
        by_eid.setdefault(e.params.get("eid", ""), []).append(e)
    for writes in by_eid.values():
        if len(writes) < 2:
            continue
        items.extend(writes)
        first = set(writes[0].body["runs"])
        bad += [
            Violation(
                "the setup switched cluster runs between writes",
                f"tc_run_id {sorted(first)} throughout",
                f"tc_run_id {e.body['runs']}",
                e,
            )
            for e in writes[1:]
            if set(e.body["runs"]) != first
        ]
    return judged(items, bad)


@check("create-before-autosave")
def create_before_autosave(journey: Journey) -> Outcome:
    puts = journey.calls("PUT", SETUP)
    bad: list[Violation] = []
    for put in puts:
        eid = put.params.get("eid")
        created = [
            e
            for e in journey.exchanges
            if e.end <= put.start
            and e.ok
            and e.params.get("eid") == eid
            and (e.is_op("POST", SETUP) or e.is_op("GET", SETUP))
        ]
        if not created:
            bad.append(
                Violation(
                    "autosave before the draft exists",
                    "POST /setup_processes/{eid} first",
                    put.describe(),
                    put,
                )
            )
    return judged(puts, bad)


@check("no-autosave-after-publish")
def no_autosave_after_publish(journey: Journey) -> Outcome:
    boosted = [e for e in journey.calls("POST", BOOST) if e.ok]
    bad = [
        Violation(
            "autosave after publish (the setup is frozen)",
            "POST /campaigns_setup for published clusters",
            put.describe(),
            put,
        )
        for b in boosted
        for put in journey.calls("PUT", SETUP)
        if put.params.get("eid") == b.params.get("eid") and put.start >= b.end
    ]
    return judged(boosted, bad)


@check("one-boost-per-setup")
def one_boost_per_setup(journey: Journey) -> Outcome:
    """At most one successful boost per setup; a boost re-sent after a failure re-reads the setup first."""
    boosts = journey.calls("POST", BOOST)
    bad: list[Violation] = []
    for eid in {b.params.get("eid") for b in boosts}:
        mine = [b for b in boosts if b.params.get("eid") == eid]
        if len([b for b in mine if b.ok]) > 1:
            bad.append(
                Violation(
                    "boosted the same setup twice", "one boost per setup", f"{len(mine)} boosts", mine[-1]
                )
            )
        for before, again in pairwise(mine):
            checked = [
                e
                for e in journey.calls("GET", SETUP)
                if e.params.get("eid") == eid and before.end <= e.start <= again.start
            ]
            if not checked:
                bad.append(
                    Violation(
                        "boost re-sent without checking the setup state",
                        "GET /setup_processes/{eid} between boost attempts",
                        again.describe(),
                        again,
                    )
                )
    return judged(boosts, bad)
