"""AUTH-01 and AUTH-02: tokens are checked on every operation; sign-in and refresh behave as documented.

AUTH-01 sweeps every authenticated operation of both specs (reads in read-only mode; writes too in
write mode, pointed at the sandbox event) with no token, malformed tokens, an expired token (when the
configuration provides one) and a token signed by a key the target never saw. Path parameters come
from discovery; parameters nothing discovered fills use a placeholder, since the token must be
rejected before any lookup.

Positive controls: a bad-token probe is judged only when the same request with the valid token gets
2xx (reads) or reaches the handler on the persona's own sandbox event (writes), so a 401 proves the
token check, not a missing route. Operations whose path needs a placeholder therefore stay
unexercised unless the valid token also resolves them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import carries_data, require_json
from conformance.client import CREDENTIALS, OMIT, Api, Credential, Exchange
from conformance.config import Settings
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger, read_control, write_control
from conformance.scenarios.personas import foreign_signed, refresh_token_of
from conformance.scenarios.sending import host_of, required_params, send
from conformance.scenarios.sweep import Sweep, Unexercised, targets
from conformance.spec import Operation

VARIANTS = ("none", "garbage", "truncated", "no-scheme", "expired", "foreign-signed")
GARBAGE = "not-a-jwt"
TRUNCATE = 12  # characters cut off the end of a valid token
_FORGE = ("python3 -c 'import os, conformance.scenarios.personas as p; "
          "print(p.foreign_signed(os.environ[\"FD_ACCESS_TOKEN\"]))'")
#: How each variant's token reads in a reproduction line (``no-scheme`` sends the persona's own token).
VARIANT_CREDENTIALS = {
    "garbage": Credential("FD_GARBAGE_TOKEN", "primary", "malformed token", recipe=GARBAGE),
    "truncated": Credential("FD_TRUNCATED_TOKEN", "primary", "truncated AccessToken",
                            recipe=f'"${{FD_ACCESS_TOKEN%{"?" * TRUNCATE}}}"'),
    "expired": Credential("FD_EXPIRED_TOKEN", "primary", "expired AccessToken",
                          how="personas.primary.expired_token, or one of its AccessTokens over an hour old"),
    "foreign-signed": Credential("FD_FOREIGN_TOKEN", "primary", "AccessToken re-signed with a foreign key",
                                 recipe=f'"$({_FORGE})"'),
}


def _bad_authorization(variant: str, token: str, expired: str | None) -> str | None:
    """The Authorization header value of a variant (``None``: send no Authorization header)."""
    if variant == "none":
        return None
    if variant == "garbage":
        return "Bearer " + GARBAGE
    if variant == "truncated":
        return "Bearer " + token[: max(1, len(token) - TRUNCATE)]
    if variant == "no-scheme":
        return token
    if variant == "expired":
        if not expired:
            pytest.skip("not run: variant `expired` needs personas.primary.expired_token in the config")
        return "Bearer " + expired
    return "Bearer " + foreign_signed(token)


def _probe(  # noqa: PLR0917 - one probe, all of its inputs
    sweep: Sweep, api: Api, op: Operation, path: str, authorization: str | None, variant: str, partner: str,
    control: Any,
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    def judge() -> None:
        exchange = send(api, op, path, token=OMIT, headers=headers, partner=partner)
        if exchange.status != 401 or carries_data(exchange.json()):
            raise exchange.finding(
                "AUTH-01",
                f"{op.method} {op.host}:{path} with token variant `{variant}` -> {exchange.status}",
                expected="401 and no data",
            )

    sweep.judge(judge, op.host, operation=op.label, control=control)


def _sweep(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    fd_settings: Any,
    spec_ops: tuple[Operation, ...],
    values: dict[str, Any],
    variant: str,
    partner: str,
    *,
    reads_only: bool,
) -> None:
    token = fd_sessions["primary"].access_token()
    persona = fd_settings.personas.get("primary")
    authorization = _bad_authorization(variant, token, getattr(persona, "expired_token", None))
    if authorization is not None and variant in VARIANT_CREDENTIALS:  # the curl line names the variant
        CREDENTIALS.add(authorization.removeprefix("Bearer "), VARIANT_CREDENTIALS[variant])
    sweep = Sweep("AUTH-01", fd_ledger, "bad-token-401" if reads_only else "bad-token-401-write",
                  concurrent=reads_only)
    secured = [op for op in spec_ops if op.secured and not op.publishes]
    for op, path in targets(secured, values, reads_only=reads_only, placeholder=True, sweep=sweep):
        if not reads_only and op.is_read:
            continue
        api = fd_api("primary", host_of(op))
        if op.is_read:
            control = read_control(fd_ledger, api, op, path, params=required_params(op))
        else:
            control = write_control(fd_ledger, api, op, values)
        _probe(sweep, api, op, path, authorization, variant, partner, control)
    sweep.finish(f"token variant `{variant}` must get 401 on every authenticated operation")


@pytest.mark.fd_rule("AUTH-01", "HST-02")
@pytest.mark.parametrize("variant", VARIANTS)
def test_bad_tokens_are_rejected_on_every_read(  # noqa: PLR0917 - pytest passes fixtures positionally
    variant: str,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    fd_settings: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    _sweep(fd_api, fd_ledger, fd_sessions, fd_settings, spec_ops, path_values, variant, primary_partner,
           reads_only=True)


@pytest.mark.fd_rule("AUTH-01", "HST-02")
@pytest.mark.fd_needs(mode="write")
@pytest.mark.parametrize("variant", ["none", "garbage", "foreign-signed"])
def test_bad_tokens_are_rejected_on_every_write(  # noqa: PLR0917 - pytest passes fixtures positionally
    variant: str,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    fd_settings: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    fd_sandbox: dict[str, Any],
    primary_partner: str,
) -> None:
    # Writes only ever address the sandbox event, in case the target wrongly accepts one.
    values = {**path_values, "eid": fd_sandbox["eid"]}
    _sweep(fd_api, fd_ledger, fd_sessions, fd_settings, spec_ops, values, variant, primary_partner,
           reads_only=False)


# -- AUTH-02 -----------------------------------------------------------------------------------

TOKEN_FIELDS = ("AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType")


def _credentials(fd_settings: Settings) -> tuple[str, str]:
    persona = fd_settings.personas.get("primary")
    if persona is None or not persona.username or not persona.password:
        pytest.skip("not run: AUTH-02 sign-in checks need personas.primary username and password")
    return str(persona.username), str(persona.password)


def _shape_problems(body: Any, fields: tuple[str, ...]) -> list[str]:
    if not isinstance(body, dict):
        return ["body is not an object"]
    problems = [f"`{f}` missing" for f in fields if f not in body]
    if "TokenType" in body and body["TokenType"] != "Bearer":
        problems.append(f"TokenType is {body['TokenType']!r}")
    if "ExpiresIn" in body and (not isinstance(body["ExpiresIn"], int) or body["ExpiresIn"] <= 0):
        problems.append(f"ExpiresIn is {body['ExpiresIn']!r}")
    for name in ("AccessToken", "IdToken", "RefreshToken"):
        if name in body and (not isinstance(body[name], str) or not body[name]):
            problems.append(f"{name} is not a non-empty string")
    return problems


def _finding(exchange: Exchange, message: str, expected: str) -> Finding:
    return exchange.finding(
        "AUTH-02",
        message,
        expected=expected,
        received=f"{exchange.status} {exchange.response_text(300)}",
    )


SIGN_IN = "POST /auth"
REFRESH = "POST /auth/refresh_token"


def _sign_in(fd_ledger: ProbeLedger, fd_api: Callable[..., Api], fd_settings: Any) -> Any:
    """The primary persona's sign-in (sent once: it is also the control of the bad-password probe)."""
    username, password = _credentials(fd_settings)
    main = fd_api("primary", "main")
    anonymous = Api(main.transport, main.base_url)
    control = fd_ledger.control(
        "primary", "main", SIGN_IN,
        lambda: anonymous.post("/auth", json={"username": username, "password": password}),
        refused="control: the right password does not sign in",
    )
    return control


@pytest.mark.fd_rule("AUTH-02")
def test_sign_in_shape(fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fd_settings: Any) -> None:
    sweep = Sweep("AUTH-02", fd_ledger, "sign-in-shape")
    sweep.judge(lambda: _judge_sign_in(_sign_in(fd_ledger, fd_api, fd_settings).exchange), operation=SIGN_IN)
    sweep.finish("POST /auth must answer the documented token set")


def _judge_sign_in(exchange: Exchange) -> None:
    body = require_json(exchange, "AUTH-02", "POST /auth")
    if isinstance(body, dict) and "Challenge" in body and "AccessToken" not in body:
        if exchange.status != 200 or not isinstance(body.get("Session"), str):
            raise _finding(
                exchange, "a sign-in challenge lacks 200 or its Session", "200 {Challenge, Session}"
            )
        raise Unexercised(f"the primary account answers with challenge {body['Challenge']!r}")
    problems = [] if exchange.status == 200 else [f"status {exchange.status}"]
    problems += _shape_problems(body, TOKEN_FIELDS)
    if isinstance(body, dict) and body.get("ExpiresIn") not in (None, 3600):
        problems.append(f"ExpiresIn is {body.get('ExpiresIn')!r}, not 3600")
    for name in ("DeviceKey", "DeviceGroupKey", "mfa_settings"):
        if isinstance(body, dict) and name not in body:
            problems.append(f"`{name}` missing")
    if problems:
        raise _finding(
            exchange,
            "POST /auth success shape: " + "; ".join(problems),
            "200 {AccessToken, IdToken, RefreshToken, ExpiresIn: 3600, TokenType: Bearer, "
            "DeviceKey, DeviceGroupKey, mfa_settings}",
        )


@pytest.mark.fd_rule("AUTH-02")
def test_bad_password_is_401(fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fd_settings: Any) -> None:
    sweep = Sweep("AUTH-02", fd_ledger, "bad-password-401")
    control = _sign_in(fd_ledger, fd_api, fd_settings)
    sweep.judge(lambda: _judge_bad_password(fd_api, fd_settings), operation=SIGN_IN, control=control)
    sweep.finish("a wrong password must get 401")


def _judge_bad_password(fd_api: Callable[..., Api], fd_settings: Any) -> None:
    username, password = _credentials(fd_settings)
    main = fd_api("primary", "main")
    anonymous = Api(main.transport, main.base_url)
    exchange = anonymous.post("/auth", json={"username": username, "password": password + "-wrong"})
    body = exchange.json()
    if exchange.status != 401 or (isinstance(body, dict) and "AccessToken" in body):
        raise _finding(exchange, f"wrong password -> {exchange.status}", "401 error.auth.invalid_credentials")
    if (
        isinstance(body, dict)
        and isinstance(body.get("message"), str)
        and body["message"].startswith("error.")
        and body["message"] != "error.auth.invalid_credentials"
    ):
        raise _finding(
            exchange, f"wrong password -> message {body['message']!r}", "401 error.auth.invalid_credentials"
        )


@pytest.mark.fd_rule("AUTH-02")
def test_refresh_does_not_rotate(
    fd_api: Callable[..., Api], fd_ledger: ProbeLedger, fd_sessions: Any
) -> None:
    sweep = Sweep("AUTH-02", fd_ledger, "refresh-no-rotation")
    sweep.judge(lambda: _judge_refresh(fd_api, fd_sessions), operation=REFRESH)
    sweep.finish("the refresh token must work twice, unrotated, and a bad one must get 401")


def _judge_refresh(fd_api: Callable[..., Api], fd_sessions: Any) -> None:
    session = fd_sessions["primary"]
    session.access_token()
    refresh = refresh_token_of(session)
    if not refresh:
        raise Unexercised("the primary persona has no refresh token (static token configured)")
    main = fd_api("primary", "main")
    anonymous = Api(main.transport, main.base_url)
    for attempt in (1, 2):  # the same refresh token works twice: it was not rotated by the first use
        exchange = anonymous.post("/auth/refresh_token", json={"token": refresh})
        body = require_json(exchange, "AUTH-02", "POST /auth/refresh_token")
        problems = [] if exchange.status == 200 else [f"status {exchange.status}"]
        problems += _shape_problems(body, ("AccessToken", "IdToken", "TokenType", "ExpiresIn"))
        if isinstance(body, dict) and body.get("RefreshToken") not in (None, refresh):
            problems.append("a new RefreshToken was issued (rotation)")
        if problems:
            raise _finding(
                exchange,
                f"refresh #{attempt}: " + "; ".join(problems),
                "200 {AccessToken, IdToken, TokenType: Bearer, ExpiresIn}, refresh token unchanged",
            )
    exchange = anonymous.post("/auth/refresh_token", json={"token": refresh[:-8] + "AAAAAAAA"})
    if exchange.status != 401:
        raise _finding(exchange, f"an invalid refresh token -> {exchange.status}", "401")
