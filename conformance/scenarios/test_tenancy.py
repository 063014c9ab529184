"""TEN-01..03: the X-Preferred-Partner-Id decisions of CONTRACT §2, on every authenticated read
(TEN-04/05, what scoped answers hold: ``test_tenancy_scope``).

The sweeps use every secured GET of both specs, filled with the primary persona's discovered event
(the multi persona belongs to the same partner, so the paths are valid for it too). Lists are found
at run time: a GET whose answer is a page envelope is walked page by page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.auth import Session
from conformance.checks import check_outcome, expected_outcome, identity_problems
from conformance.client import OMIT, Api
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger, read_control
from conformance.scenarios.personas import non_partner_groups, partners_of
from conformance.scenarios.sending import host_of, required_params
from conformance.scenarios.sweep import Sweep, Unexercised, targets
from conformance.spec import Operation


def _reads(
    spec_ops: tuple[Operation, ...], values: dict[str, Any], sweep: Sweep
) -> list[tuple[Operation, str]]:
    return targets([op for op in spec_ops if op.secured], values, reads_only=True, sweep=sweep)


def _tenancy_sweep(  # noqa: PLR0917 - pytest passes fixtures positionally
    rule: str,
    check: str,
    persona: str,
    header: str | None,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    values: dict[str, Any],
    what: str,
    entitled: tuple[str, str],
) -> None:
    """Probe every secured read as ``persona`` sending ``header``; each probe is judged only when the
    ``entitled`` (persona, partner) gets 2xx on the same read with the same ids (the control)."""
    if persona not in fd_sessions:
        pytest.skip(f"not run: persona `{persona}` is not configured")
    outcome = expected_outcome(partners_of(fd_sessions[persona]), header)
    sweep = Sweep(rule, fd_ledger, check, concurrent=True)
    for op, path in _reads(spec_ops, values, sweep):
        api = fd_api(persona, host_of(op))
        owner = fd_api(entitled[0], host_of(op), partner=entitled[1])
        control = read_control(fd_ledger, owner, op, path, params=required_params(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = api.get(path, params=required_params(op), partner=OMIT if header is None else header)
            try:
                check_outcome(exchange, outcome, rule)
            except Finding as finding:
                raise finding.relabel(rule, f"{op.host} {finding.message}") from None

        sweep.judge(judge, op.host, operation=op.label, control=control)
    sweep.finish(what)


@pytest.mark.fd_rule("TEN-01", "HST-02")
@pytest.mark.fd_needs(personas=("multi",))
def test_multi_partner_user_without_header_gets_400(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    partners = partners_of(fd_sessions["multi"])
    if len(partners) < 2:
        pytest.skip("not run: persona `multi` does not belong to two partners")
    if primary_partner not in partners:
        pytest.skip("not run: persona `multi` does not belong to the primary persona's partner")
    _tenancy_sweep(
        "TEN-01",
        "multi-no-header-400",
        "multi",
        None,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        "a multi-partner user without X-Preferred-Partner-Id must get 400 and no data",
        ("multi", primary_partner),
    )


@pytest.mark.fd_rule("TEN-02", "HST-02")
def test_single_partner_user_without_header_gets_own_data(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    """Implied vs explicit: judged where the header-scoped request answers 2xx (sent fresh, next to the
    implied one); there a 4xx, or an answer with other rows or other owners' ids (the scoped identity:
    live fields such as counters and timestamps may differ), without the header is a finding
    (CONTRACT §6). No 2xx even with the header: unexercised."""
    if len(partners_of(fd_sessions["primary"])) != 1:
        pytest.skip("not run: the primary persona does not belong to exactly one partner")
    sweep = Sweep("TEN-02", fd_ledger, "implied-equals-explicit", concurrent=True)
    for op, path in _reads(spec_ops, path_values, sweep):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            params = required_params(op)
            explicit = api.get(path, params=params, partner=primary_partner)
            if not 200 <= explicit.status < 300:
                raise Unexercised(f"control: the header-scoped request gets {explicit.status}")
            implied = api.get(path, params=params, partner=OMIT)
            differs = (
                identity_problems(explicit.json(), implied.json(), labels=("header-scoped", "implied"))
                if implied.status == explicit.status
                else []
            )
            if implied.status != explicit.status or differs:
                raise implied.finding(
                    "TEN-02",
                    f"{op.host} GET {path}: without the header -> {implied.status}, scoped to "
                    f"{primary_partner} -> {explicit.status}"
                    + (f" (scoped identity differs: {'; '.join(differs)})" if differs else ""),
                    expected=f"{explicit.status} {explicit.response.text[:160]}",
                )

        sweep.judge(judge, op.host, operation=op.label)
    sweep.finish("a single-partner user without the header must get exactly the header-scoped answer")


HEADER_CHECKS = {
    "other-tenant": "other-tenant-header-403",
    "non-partner-group": "non-partner-group-403",
    "malformed": "malformed-header-403",
}


def _foreign_header(
    kind: str, fd_sessions: dict[str, Session], other_partner: str, primary_partner: str
) -> str:
    if kind == "other-tenant":
        return other_partner
    if kind == "non-partner-group":
        groups = non_partner_groups(fd_sessions["primary"])
        if not groups:
            pytest.skip("not run: the primary persona has no non-partner group to send")
        return groups[0]
    # malformed: the user's own partner id in another case does not match ^(partner-id-.+|fd\d+)$
    return primary_partner.upper()


@pytest.mark.fd_rule("TEN-03", "HST-02")
@pytest.mark.parametrize("kind", ["other-tenant", "non-partner-group", "malformed"])
def test_header_naming_a_partner_the_user_lacks_gets_403(  # noqa: PLR0917 - pytest passes fixtures positionally
    kind: str,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_partner: str,
    primary_partner: str,
) -> None:
    header = _foreign_header(kind, fd_sessions, other_partner, primary_partner)
    _tenancy_sweep(
        "TEN-03",
        HEADER_CHECKS[kind],
        "primary",
        header,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        f"X-Preferred-Partner-Id `{kind}` must get 403 and no data",
        ("primary", primary_partner),
    )


@pytest.mark.fd_rule("TEN-03", "HST-02")
@pytest.mark.fd_needs(personas=("nopartner",))
def test_user_with_no_partner_gets_403(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    """CONTRACT §2: a user in no partner group gets 403 on every authenticated read (the ids are the
    primary persona's, which gets 2xx on them: the control)."""
    if partners_of(fd_sessions["nopartner"]):
        pytest.skip("not run: persona `nopartner` belongs to a partner")
    _tenancy_sweep(
        "TEN-03",
        "no-partner-403",
        "nopartner",
        None,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        "a user with no partner must get 403 and no data",
        ("primary", primary_partner),
    )
