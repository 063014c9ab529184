"""A partner's proxy on loopback, for tests: TLS from a private CA, its own key header, then forwarding.

It terminates HTTPS with a certificate signed by a throw-away CA (``ca.pem``), refuses any request
without the right ``X-Proxy-Key`` (403, JSON), and forwards the rest to an upstream reference host,
recording ``(method, path, had the key)`` for every request it saw. With a ``prefix`` it serves the
upstream under that path prefix (``/proxy/fd/api/v3/…`` → ``/api/v3/…``), like a partner's gateway;
with an ``upstream_prefix`` too it maps one layout onto another (``/gw/…`` → ``/api/v3/…``).
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.loopback_server import LoopbackServer

KEY_HEADER = "X-Proxy-Key"
_DROP_REQUEST = {"host", "content-length", KEY_HEADER.lower()}
_DROP_RESPONSE = {"content-length", "content-encoding", "transfer-encoding", "connection"}


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """``(ca.pem, server.pem, server.key)`` for 127.0.0.1, signed by a new CA."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fdconf test proxy CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem, cert_pem, key_pem


class TlsProxy(LoopbackServer):
    """One HTTPS proxy in front of ``upstream`` (``http://127.0.0.1:P``), in a background thread."""

    scheme = "https"

    def __init__(  # noqa: PLR0917 - the proxy's whole configuration
        self, upstream: str, key: str, cert: Path, private_key: Path, prefix: str = "",
        upstream_prefix: str = "",
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.key = key
        # served under ``prefix``, which becomes ``upstream_prefix`` upstream
        self.prefix, self.upstream_prefix = prefix.rstrip("/").encode(), upstream_prefix.rstrip("/").encode()
        self.seen: list[tuple[str, str, bool]] = []
        app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._forward,
                    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                )
            ],
            lifespan=self._lifespan,
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            ssl_certfile=str(cert),
            ssl_keyfile=str(private_key),
            log_level="error",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
            ws="none",
        )
        self.serve(config, "tls-proxy")
        self._client: httpx.AsyncClient | None = None

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # One keep-alive client to the upstream, opened and closed on the proxy's own event loop.
        async with httpx.AsyncClient(timeout=30) as client:
            self._client = client
            yield
            self._client = None

    async def _forward(self, request: Request) -> Response:
        has_key = request.headers.get(KEY_HEADER) == self.key
        self.seen.append((request.method, request.url.path, has_key))
        if not has_key:
            return Response(
                b'{"message": "proxy.key_missing"}', status_code=403, media_type="application/json"
            )
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        # The raw target as received: a fuzzer's odd bytes must reach the upstream unchanged.
        raw = request.scope["raw_path"] + (
            b"?" + request.scope["query_string"] if request.scope["query_string"] else b""
        )
        if self.prefix:
            if not raw.startswith(self.prefix + b"/"):
                missing = b'{"message": "proxy.no_route"}'
                return Response(missing, status_code=404, media_type="application/json")
            raw = self.upstream_prefix + raw[len(self.prefix):]
        url = httpx.URL(self.upstream).copy_with(raw_path=raw)
        assert self._client is not None
        answer = await self._client.request(
            request.method, url, headers=headers, content=await request.body()
        )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _DROP_RESPONSE}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
