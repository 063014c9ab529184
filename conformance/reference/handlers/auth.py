"""``GET /status/``, ``POST /auth``, ``POST /auth/refresh_token`` (CONTRACT §2, AUTH-02).

Sign-in and refresh call the Cognito emulator's InitiateAuth over HTTP, like a deployment would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conformance import __version__
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, require_str, route
from conformance.reference.identity import CognitoFailure
from conformance.reference.replies import ApiError, Reply

MFA_SETTINGS: dict[str, Any] = {"required": False, "preferred": None, "methods": []}
_DISABLED = {"UserNotConfirmedException", "PasswordResetRequiredException"}


def status(ctx: Ctx) -> Reply:
    # The only CORS-enabled endpoint of the API.
    return Reply(
        200,
        {
            "status": "ok",
            "api_version": "v3",
            "version": __version__,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        headers={"Access-Control-Allow-Origin": "*"},
    )


def sign_in(ctx: Ctx) -> Reply:
    body = body_object(ctx)
    username, password = require_str(body, "username"), require_str(body, "password")
    try:
        answer = ctx.svc.hooks.tokens.sign_in_answer(username, ctx.svc.cognito.sign_in(username, password))
    except CognitoFailure as failure:
        if failure.code in _DISABLED:
            raise ApiError(401, "error.auth.account_disabled", "ACCOUNT_DISABLED") from None
        raise ApiError(401, "error.auth.invalid_credentials", "INVALID_CREDENTIALS") from None
    result = answer.get("AuthenticationResult")
    if not result:
        return Reply(
            200,
            {
                "Challenge": answer.get("ChallengeName"),
                "Session": answer.get("Session"),
                "ChallengeParameters": answer.get("ChallengeParameters") or {},
                "mfa_settings": MFA_SETTINGS,
            },
        )
    return Reply(
        200,
        {
            "AccessToken": result["AccessToken"],
            "IdToken": result["IdToken"],
            "RefreshToken": result["RefreshToken"],
            "ExpiresIn": int(result.get("ExpiresIn", 3600)),
            "TokenType": result.get("TokenType", "Bearer"),
            "DeviceKey": None,
            "DeviceGroupKey": None,
            "mfa_settings": MFA_SETTINGS,
        },
    )


def refresh(ctx: Ctx) -> Reply:
    token = require_str(body_object(ctx), "token")
    try:
        answer = ctx.svc.cognito.refresh(token)
    except CognitoFailure:
        raise ApiError(401, "error.auth.invalid_refresh_token", "INVALID_REFRESH_TOKEN") from None
    result = answer.get("AuthenticationResult") or {}
    if "AccessToken" not in result:
        raise ApiError(401, "error.auth.invalid_refresh_token", "INVALID_REFRESH_TOKEN")
    return Reply(200, ctx.svc.hooks.tokens.refresh_answer(token, result))


ROUTES = [
    route("main", "GET", "/status/", status, auth=False, body="none"),
    route("main", "POST", "/auth", sign_in, auth=False),
    route("main", "POST", "/auth/refresh_token", refresh, auth=False),
]
