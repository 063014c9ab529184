"""A persona's view of one host: how scenarios send through the run's :class:`Transport`.

The persona's token and partner header are defaults that one call can drop (``OMIT``) or replace (an
attack's token or header); a 429 that outlasted the Transport's retries raises :class:`Throttled`, so a
probe it hits judges nothing.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import Any

from conformance.client._http import OMIT, PARTNER_HEADER, Exchange, TokenSource, Transport
from conformance.client._throttled import Throttled


class Api:
    """A persona's view of one host. Extension point for scenario tests.

    ``partner`` is the default ``X-Preferred-Partner-Id`` (``None`` = send none). Per call,
    ``partner=OMIT`` drops the header, ``token=OMIT`` drops ``Authorization``, and any other string
    replaces it: that is how tenancy attacks are written.
    """

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        *,
        token: TokenSource | None = None,
        partner: str | None = None,
        host: str = "main",
        persona: str = "",
    ) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.partner = partner
        self.host = host
        self.persona = persona

    def with_partner(self, partner: str | None) -> Api:
        """The same persona and host with another default partner header (a positive control)."""
        return Api(self.transport, self.base_url, token=self.token, partner=partner, host=self.host,
                   persona=self.persona)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        partner: str | None = None,
        token: str | None = None,
    ) -> Exchange:
        merged: dict[str, str] = {"Accept": "application/json"}
        bearer = token if token is not None else (self.token() if self.token else None)
        if bearer and bearer != OMIT:
            merged["Authorization"] = f"Bearer {bearer}"
        tenant = partner if partner is not None else self.partner
        if tenant and tenant != OMIT:
            merged[PARTNER_HEADER] = tenant
        merged.update(headers or {})
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        body = content
        if json is not None:
            body = jsonlib.dumps(json).encode()
            merged.setdefault("Content-Type", "application/json")
        request = self.transport.build(method, url, params=params, content=body, files=files, headers=merged)
        exchange = self.transport.send(request)
        if exchange.status == 429:  # still throttled after the Transport's retries: judges nothing
            raise Throttled.of(exchange)
        if token is None and self.token is not None:  # the persona's own token, not an attack's
            exchange.persona = self.persona
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)
