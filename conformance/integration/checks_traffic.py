"""Traffic checks (INT-05 … INT-07): hosts, requests valid against the specs, backoff and budgets."""

from __future__ import annotations

from urllib.parse import parse_qsl

from conformance.integration.checks_session import _sliding_max
from conformance.integration.evidence import Outcome, Violation, check, judged
from conformance.integration.recording import Exchange, Journey

MIN_WAIT = 0.5  # seconds between a 429/5xx and the next attempt of the same request
MAX_ATTEMPTS = 5
POLL_GAP = 3.0  # seconds between two identical status reads
SURFACE_NAMES = {
    "main": "the main base (…/api/v3)",
    "media": "the unversioned base (…/api)",
    "cr": "the CR base",
}


def _misplaced(journey: Journey, home: str) -> tuple[list[Exchange], list[Violation]]:
    """Requests that are operations of ``home`` (wherever sent), and those sent elsewhere."""
    mine = [
        e
        for e in journey.exchanges
        if (e.op is not None and e.op.surface == home)
        or (e.op is None and any(o.surface == home for o in e.elsewhere))
    ]
    bad = [
        Violation(
            f"{e.elsewhere[0].label} sent to the wrong base",
            f"sent to {SURFACE_NAMES[home]}",
            f"sent to {SURFACE_NAMES.get(e.surface or '', 'an unknown base')}",
            e,
        )
        for e in mine
        if e.op is None
    ]
    return mine, bad


@check("cr-operations-on-cr")
def cr_operations_on_cr(journey: Journey) -> Outcome:
    mine, bad = _misplaced(journey, "cr")
    return judged(mine, bad)


@check("main-operations-on-main")
def main_operations_on_main(journey: Journey) -> Outcome:
    mine, bad = _misplaced(journey, "main")
    return judged(mine, bad)


@check("media-unversioned")
def media_unversioned(journey: Journey) -> Outcome:
    mine, bad = _misplaced(journey, "media")
    return judged(mine, bad)


@check("known-operations")
def known_operations(journey: Journey) -> Outcome:
    """Every request is a documented operation (on some surface; the wrong one is INT-05's)."""
    bad = [
        Violation("not an operation of the specs", "a documented method and path", e.describe(), e)
        for e in journey.exchanges
        if e.op is None and not e.elsewhere
    ]
    warnings = sorted(
        {
            f"deprecated operation {e.op.label} ({e.surface})"
            for e in journey.exchanges
            if e.op is not None and e.op.deprecated
        }
    )
    return judged(journey.exchanges, bad, warnings)


@check("repeated-arrays")
def repeated_arrays(journey: Journey) -> Outcome:
    """Array query parameters are repeated (``city=A&city=B``), never ``city[]=`` or comma-joined."""
    items: list[Exchange] = []
    bad: list[Violation] = []
    for e in journey.exchanges:
        pairs = parse_qsl(str(e.raw.get("query", "")), keep_blank_values=True)
        brackets = sorted({k for k, _ in pairs if "[" in k or "]" in k})
        arrays = e.op.array_params if e.op else frozenset()
        if brackets or any(k in arrays for k, _ in pairs):
            items.append(e)
        if brackets:
            bad.append(
                Violation(
                    "bracket array parameters", "repeat the parameter (a=1&a=2)", ", ".join(brackets), e
                )
            )
    return judged(items, bad)


@check("tc-url-encoded")
def tc_url_encoded(journey: Journey) -> Outcome:
    """A ``{tc}`` path segment is a cluster label the API showed, URL-encoded, not a slug of it."""
    shown: set[str] = set()
    items: list[Exchange] = []
    bad: list[Violation] = []
    for e in journey.exchanges:
        if "tc" in e.params:
            items.append(e)
            if e.params["tc"] not in shown:
                bad.append(
                    Violation(
                        "tc is not a cluster label the API returned (slugified?)",
                        "the tc exactly as GET /events/{eid}/clusters returned it, URL-encoded",
                        repr(e.params["tc"]),
                        e,
                    )
                )
        shown.update(str(t) for t in e.response.get("tcs") or [])
    return judged(items, bad)


@check("requests-valid")
def requests_valid(journey: Journey) -> Outcome:
    """No request was refused as invalid (parameters, bodies) by the reference's spec validation."""
    items = [e for e in journey.exchanges if e.op is not None and e.authenticated]
    bad = [
        Violation(
            "request refused as invalid",
            "parameters and body valid against the spec",
            f"{e.status} {e.response.get('message', '')} {_fields(e)}".strip(),
            e,
        )
        for e in items
        # error.request.* is the spec validation's refusal; a semantic 400 (e.g. setup_invalid) is not
        if e.status in (400, 422) and str(e.response.get("message", "")).startswith("error.request.")
    ]
    return judged(items, bad)


def _fields(e: Exchange) -> str:
    return ", ".join(e.response.get("invalid_fields") or [])


def _retry_of(journey: Journey, failed: Exchange) -> Exchange | None:
    """The next attempt of the same request (no other write in between), if there was one."""
    for later in journey.exchanges:
        if later.start < failed.end or later is failed:
            continue
        if later.key == failed.key:
            return later
        if later.is_write and later.authenticated and later.key[:3] != failed.key[:3]:
            return None
    return None


def _retryable(e: Exchange) -> bool:
    return e.status == 429 or e.status >= 500


@check("waits-after-429-5xx")
def waits_after_error(journey: Journey) -> Outcome:
    failed = [e for e in journey.exchanges if _retryable(e)]
    bad: list[Violation] = []
    for e in failed:
        retry = _retry_of(journey, e)
        if retry is not None and retry.start - e.end < MIN_WAIT:
            bad.append(
                Violation(
                    f"retried {retry.start - e.end:.2f} s after a {e.status}",
                    f"wait at least {MIN_WAIT:g} s (growing) before the next attempt",
                    retry.describe(),
                    retry,
                )
            )
    return judged(failed, bad)


@check("at-most-5-attempts")
def at_most_five_attempts(journey: Journey) -> Outcome:
    failed = [e for e in journey.exchanges if _retryable(e)]
    bad: list[Violation] = []
    counted: set[int] = set()
    for e in failed:
        if e.seq in counted:
            continue
        attempts, current = 1, e
        current_or_none: Exchange | None = e
        while current_or_none is not None and _retryable(current_or_none):
            current = current_or_none
            counted.add(current.seq)
            current_or_none = _retry_of(journey, current)
            attempts += current_or_none is not None
        if attempts > MAX_ATTEMPTS:
            bad.append(
                Violation(f"{attempts} attempts of one request", f"at most {MAX_ATTEMPTS}", e.describe(), e)
            )
    return judged(failed, bad)


@check("no-retry-other-4xx")
def no_retry_other_4xx(journey: Journey) -> Outcome:
    """A 4xx other than 429 is final; a 401 is the refresh rule's business (INT-04), not this one's."""
    refused = [e for e in journey.exchanges if 400 <= e.status < 500 and e.status not in (401, 429)]
    bad = []
    for e in refused:
        retry = _retry_of(journey, e)
        if retry is not None:
            bad.append(
                Violation(
                    f"re-sent after a {e.status}", "no retry of a 4xx other than 429", retry.describe(), retry
                )
            )
    return judged(refused, bad)


@check("polls-3s-apart")
def polls_apart(journey: Journey) -> Outcome:
    """Identical reads repeated with no write in between are polls: at least 3 s apart."""
    polls: list[Exchange] = []
    bad: list[Violation] = []
    last: dict[tuple[str, ...], Exchange] = {}
    for e in journey.exchanges:
        if e.is_write and e.authenticated:
            last.clear()
            continue
        if not e.authenticated or not e.ok:
            continue
        before = last.get(e.key)
        if before is not None:
            polls.append(e)
            if e.start - before.start < POLL_GAP:
                bad.append(
                    Violation(
                        f"polled {e.start - before.start:.2f} s after the previous read",
                        f"at least {POLL_GAP:g} s between polls",
                        e.describe(),
                        e,
                    )
                )
        last[e.key] = e
    return judged(polls, bad)


@check("within-budget")
def within_budget(journey: Journey) -> Outcome:
    calls = [e for e in journey.authenticated()]
    budget = journey.budgets
    window = budget["window_seconds"]
    bad = [
        Violation("over the partner's rate budget", "reads and writes within the budget", "429 (budget)", e)
        for e in calls
        if e.status == 429 and e.fault == "budget"
    ]
    for kind, limit in (("read", budget["reads_per_partner"]), ("write", budget["writes_per_partner"])):
        by_partner: dict[str, list[float]] = {}
        for e in calls:
            if e.is_write == (kind == "write"):
                by_partner.setdefault(str(e.raw.get("partner")), []).append(e.start)
        for partner, times in by_partner.items():
            peak = _sliding_max(sorted(times), window)
            if peak > limit and not bad:
                bad.append(
                    Violation(f"{peak} {kind}s in {window:g} s for {partner}", f"at most {limit:g}", "", None)
                )
    return judged(calls, bad)
