"""Identity for the reference: moto's Cognito emulator on loopback, and access-token verification.

The emulator runs moto's own server (werkzeug, in a thread, 127.0.0.1, ephemeral port). The user
pool, partner groups and personas of the dataset are created through the Cognito API with boto3
pointed at that loopback endpoint (dummy credentials; nothing ever reaches AWS). ``POST /auth`` and
``POST /auth/refresh_token`` call InitiateAuth exactly as a deployment would, and every request's
token is verified against the JWKS the emulator serves over HTTP.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from conformance.ids import PARTNER_RE
from conformance.reference.dataset import Dataset

VERIFIED_CACHE_SIZE = 1024
DUMMY_CREDENTIALS = {"aws_access_key_id": "fdref", "aws_secret_access_key": "fdref"}


class CognitoFailure(Exception):
    """InitiateAuth refused the request (``code`` is Cognito's error code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class InvalidToken(Exception):
    """An access token failed verification (the reason is for logs, never for the client)."""


@dataclass(frozen=True)
class User:
    """The caller as the verified access token describes it."""

    username: str
    sub: str
    groups: tuple[str, ...]
    claims: dict[str, Any] = field(repr=False, compare=False)

    @property
    def partners(self) -> tuple[str, ...]:
        """CONTRACT §2: the ``cognito:groups`` entries that are partner ids; other groups are not."""
        return tuple(g for g in self.groups if PARTNER_RE.match(g))


class _MotoServer:
    """moto's werkzeug server in a thread, without request logging, closed cleanly on stop."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

            def log(self, *args: Any, **kwargs: Any) -> None:
                pass

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fdref-cognito",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class CognitoEmulator:
    """The user pool of one stack: seeding, InitiateAuth, JWKS, and minting test tokens."""

    def __init__(self, data: Dataset) -> None:
        self._data = data
        self.region = data.cognito.get("region", "eu-central-1")
        self._server: _MotoServer | None = None
        self._client: Any = None
        self.pool_id = ""
        self.client_id = ""
        self.jwks: dict[str, Any] = {}
        self._subs: dict[str, str] = {}

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def start(self) -> None:
        import boto3  # type: ignore[import-untyped]

        self._server = _MotoServer()
        self._server.start()
        self._client = boto3.client(
            "cognito-idp", endpoint_url=self.endpoint, region_name=self.region, **DUMMY_CREDENTIALS
        )
        self._seed()
        with httpx.Client(trust_env=False, timeout=10) as http:
            response = http.get(f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json")
            response.raise_for_status()
            self.jwks = response.json()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _seed(self) -> None:
        c = self._client
        pool = c.create_user_pool(PoolName=self._data.cognito.get("pool_name", "fd-reference"))
        self.pool_id = pool["UserPool"]["Id"]
        client = c.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName=self._data.cognito.get("client_name", "fd-reference"),
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )
        self.client_id = client["UserPoolClient"]["ClientId"]
        for group in [*self._data.partner_ids(), *self._data.other_groups]:
            c.create_group(GroupName=group, UserPoolId=self.pool_id)
        for user in self._data.users:
            name = user["username"]
            created = c.admin_create_user(
                UserPoolId=self.pool_id,
                Username=name,
                MessageAction="SUPPRESS",
                TemporaryPassword=user["password"],
                UserAttributes=[
                    {"Name": "email", "Value": name},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
            attrs = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
            self._subs[name] = attrs.get("sub", name)
            if not user.get("temporary"):
                c.admin_set_user_password(
                    UserPoolId=self.pool_id, Username=name, Password=user["password"], Permanent=True
                )
            for group in user.get("groups", []):
                c.admin_add_user_to_group(UserPoolId=self.pool_id, Username=name, GroupName=group)

    def _initiate(self, flow: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._client.initiate_auth(
                ClientId=self.client_id, AuthFlow=flow, AuthParameters=params
            )
        except Exception as exc:  # botocore ClientError: its class is generated per service
            error = getattr(exc, "response", {}).get("Error", {})
            if not error:
                raise
            raise CognitoFailure(str(error.get("Code", "Unknown")), str(error.get("Message", ""))) from exc
        return result

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        """InitiateAuth USER_PASSWORD_AUTH: the raw Cognito answer (tokens or a challenge)."""
        return self._initiate("USER_PASSWORD_AUTH", {"USERNAME": username, "PASSWORD": password})

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """InitiateAuth REFRESH_TOKEN_AUTH: the raw Cognito answer."""
        return self._initiate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})

    def mint_access_token(self, username: str, *, expires_in: int) -> str:
        """An AccessToken signed with the emulator's own key (negative ``expires_in``: expired).

        moto signs every pool's tokens with the private JWK it ships; signing with the same key makes
        a token that only differs from a real one by its timestamps, which is what AUTH-01 needs.
        """
        user = next(u for u in self._data.users if u["username"] == username)
        key = _emulator_signing_key()
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self._subs[username],
            "client_id": self.client_id,
            "token_use": "access",
            "iat": now - 7200,
            "auth_time": now - 7200,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
            "username": username,
            "origin_jti": str(uuid.uuid4()),
            "scope": "aws.cognito.signin.user.admin",
            "cognito:groups": list(user.get("groups", [])),
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


@functools.cache
def _emulator_signing_key() -> Any:
    # Parsing the private JWK costs ~0.1 s; every pool of every stack shares moto's one key.
    from moto.utilities.utils import load_resource

    return jwt.algorithms.RSAAlgorithm.from_jwk(
        json.dumps(load_resource("cognitoidp/resources/jwks-private.json"))
    )


class TokenVerifier:
    """Verifies Cognito AccessTokens: RS256 signature against the JWKS, issuer, expiry, use, client."""

    def __init__(self, jwks: dict[str, Any], issuer: str, client_id: str) -> None:
        self._keys: dict[str, Any] = {
            k["kid"]: jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(k)) for k in jwks["keys"]
        }
        self._issuer = issuer
        self._client_id = client_id
        # token -> its verified user. A signature, issuer and claim check is a pure function of the
        # token string, so it runs once per token; only expiry depends on the clock and is re-checked
        # on every call (PyJWT's rule: expired when exp <= now).
        self._verified: dict[str, User] = {}

    def verify(self, token: str, *, verify_exp: bool = True) -> User:
        user = self._verified.get(token)
        if user is None:
            user = self._verify(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = user
        if verify_exp and int(user.claims["exp"]) <= time.time():
            raise InvalidToken("Signature has expired")
        return user

    def _verify(self, token: str) -> User:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(str(header.get("kid")))
            if key is None or header.get("alg") != "RS256":
                raise InvalidToken("unknown key or algorithm")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={
                    "require": ["exp", "iss", "sub", "token_use"],
                    "verify_exp": False,  # checked by verify(), per call
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if isinstance(claims["exp"], bool) or not isinstance(claims["exp"], int | float):
            raise InvalidToken("exp is not a number")
        if claims.get("token_use") != "access":
            raise InvalidToken("not an access token")
        if claims.get("client_id") != self._client_id:
            raise InvalidToken("token of another app client")
        groups = claims.get("cognito:groups") or []
        if not isinstance(groups, list):
            raise InvalidToken("cognito:groups is not a list")
        return User(
            username=str(claims.get("username", "")),
            sub=str(claims["sub"]),
            groups=tuple(str(g) for g in groups),
            claims=claims,
        )
