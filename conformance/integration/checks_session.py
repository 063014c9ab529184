"""Session checks (INT-01 … INT-04): the bearer, the partner header, sign-in economy, the refresh."""

from __future__ import annotations

from itertools import pairwise

from conformance.integration.evidence import Outcome, Violation, check, judged
from conformance.integration.recording import Exchange, Journey

SINGLE_FLIGHT_GAP = 2.0  # seconds: two refreshes closer than this are one burst


def _sliding_max(times: list[float], window: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@check("bearer-is-access-token")
def bearer_is_access_token(journey: Journey) -> Outcome:
    calls = journey.authenticated()
    bad = [
        Violation(
            "the bearer is not the AccessToken",
            "Authorization: Bearer <AccessToken>",
            f"bearer kind {e.raw.get('token_kind')}",
            e,
        )
        for e in calls
        if e.raw.get("token_kind") != "AccessToken"
    ]
    return judged(calls, bad)


@check("partner-header-present")
def partner_header_present(journey: Journey) -> Outcome:
    calls = journey.authenticated()
    bad = [
        Violation(
            "X-Preferred-Partner-Id is missing",
            f"X-Preferred-Partner-Id: {journey.partner_id}",
            "no header",
            e,
        )
        for e in calls
        if not e.raw.get("partner")
    ]
    return judged(calls, bad)


@check("partner-header-names-partner")
def partner_header_names_partner(journey: Journey) -> Outcome:
    calls = [e for e in journey.authenticated() if e.raw.get("partner")]
    bad = [
        Violation(
            "X-Preferred-Partner-Id names another partner", journey.partner_id, str(e.raw.get("partner")), e
        )
        for e in calls
        if e.raw.get("partner") != journey.partner_id
    ]
    return judged(calls, bad)


@check("one-sign-in")
def one_sign_in(journey: Journey) -> Outcome:
    """One successful sign-in per session; another only after the refresh token was refused."""
    sign_ins = journey.sign_ins()
    bad: list[Violation] = []
    ok = [e for e in sign_ins if e.ok]
    for previous, again in pairwise(ok):
        refused = [
            r for r in journey.refreshes() if previous.end <= r.start <= again.start and r.status == 401
        ]
        if not refused:
            bad.append(
                Violation(
                    "signed in again although the session was still valid",
                    "one POST /auth per session; keep the session and refresh it",
                    f"sign-in #{previous.seq} then #{again.seq}",
                    again,
                )
            )
    return judged(sign_ins, bad)


@check("auth-within-budget")
def auth_within_budget(journey: Journey) -> Outcome:
    calls = [*journey.sign_ins(), *journey.refreshes()]
    calls.sort(key=lambda e: e.start)
    budget = journey.budgets
    limit, window = int(budget["sign_ins_and_refreshes"]), budget["window_seconds"]
    bad = [
        Violation("sign-in/refresh over the auth budget", f"at most {limit} per {window:g} s", "429", e)
        for e in calls
        if e.status == 429 and e.fault == "budget"
    ]
    peak = _sliding_max([e.start for e in calls], window)
    if peak > limit and not bad:
        bad.append(
            Violation(
                "sign-ins and refreshes over the auth budget",
                f"at most {limit} per {window:g} s",
                f"{peak} in one window",
                calls[-1],
            )
        )
    return judged(calls, bad)


def _expired_uses(journey: Journey) -> list[Exchange]:
    return [
        e
        for e in journey.authenticated()
        if e.fault == "expired" or e.response.get("message") == "error.auth.token_expired"
    ]


def _outlived_a_token(journey: Journey) -> bool:
    life = journey.token_life
    first = next((e for e in journey.sign_ins() if e.ok), None)
    if life is None or first is None:
        return False
    return any(e.start > first.end + life for e in journey.authenticated())


@check("refresh-before-expiry")
def refresh_before_expiry(journey: Journey) -> Outcome:
    """Exercised once the journey outlived a token; an expired bearer or a refresh after a 401 fails."""
    refreshes = journey.refreshes()
    expired = _expired_uses(journey)
    bad = [
        Violation(
            "an expired AccessToken was sent", "refresh before ExpiresIn runs out", "401 token expired", e
        )
        for e in expired
    ]
    authed = journey.authenticated()
    for refresh in refreshes:
        before = [e for e in authed if e.end <= refresh.start]
        if before and before[-1].status == 401:
            bad.append(
                Violation(
                    "refreshed in reaction to a 401",
                    "a proactive refresh before expiry",
                    f"refresh after {before[-1].describe()}",
                    refresh,
                )
            )
    exercised = bool(refreshes) or bool(expired) or _outlived_a_token(journey)
    return Outcome(exercised=exercised, violations=bad, evidence=len(refreshes) + len(expired))


@check("refresh-single-flight")
def refresh_single_flight(journey: Journey) -> Outcome:
    refreshes = sorted(journey.refreshes(), key=lambda e: e.start)
    bad = [
        Violation(
            "a burst of refreshes",
            f"one refresh in flight, none within {SINGLE_FLIGHT_GAP:g} s of another",
            f"#{a.seq} and #{b.seq} {b.start - a.end:+.2f} s apart",
            b,
        )
        for a, b in pairwise(refreshes)
        if b.start < a.end + SINGLE_FLIGHT_GAP
    ]
    return judged(refreshes, bad)


@check("refresh-token-reused")
def refresh_token_reused(journey: Journey) -> Outcome:
    """Every refresh sends the RefreshToken of the session's sign-in (it does not rotate)."""
    refreshes = journey.refreshes()
    bad: list[Violation] = []
    for refresh in refreshes:
        sign_in = next((s for s in reversed(journey.sign_ins()) if s.ok and s.end <= refresh.start), None)
        issued = ((sign_in.response.get("issued") or {}).get("refresh_fp")) if sign_in else None
        kind, sent = refresh.body.get("token_kind"), refresh.body.get("token_fp")
        if kind != "RefreshToken" or (issued and sent != issued):
            bad.append(
                Violation(
                    "the refresh did not send the session's RefreshToken",
                    "{token: <RefreshToken from POST /auth>}",
                    f"token kind {kind}",
                    refresh,
                )
            )
    return judged(refreshes, bad)
