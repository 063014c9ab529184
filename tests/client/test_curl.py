"""Reproduction lines are runnable: pasted into a shell with ``$FD_ACCESS_TOKEN`` set, curl sends the
same request the suite sent; the token itself never appears in the line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

import httpx
import pytest
from scripted_server import ScriptedServer

from conformance.client._api import Api
from conformance.client._curl import BEARER_ARG, TOKEN_VAR, curl_line, runnable
from conformance.client._http import Transport
from conformance.redact import MASK, REDACTOR

MakeTransport = Callable[..., Transport]
TOKEN = "tok-curl-" + "7f3a9c1e5b"


def run_in_shell(line: str, token: str) -> subprocess.CompletedProcess[str]:
    """``line`` exactly as a user pastes it into bash, with the token exported first."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    env = {**os.environ, TOKEN_VAR: token}
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30, env=env,
                          check=False)


def test_persona_line_reads_the_token_from_the_shell(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    REDACTOR.add(TOKEN)
    scripted.json("PUT", "/api/v3/events/evt_1", {"ok": True})
    transport = make_transport(timeout=2.0, allow_writes=True)
    api = Api(transport, scripted.base, token=lambda: TOKEN, partner="partner-id-acme", persona="primary")
    exchange = api.put("/events/evt_1", params={"q": "a b"}, json={"name": "it's $HOME"})
    line = exchange.curl
    assert TOKEN not in line
    assert BEARER_ARG in line
    assert line.endswith(f"# {TOKEN_VAR}: AccessToken of persona primary")
    assert REDACTOR.text(line) == line  # later redaction passes keep it runnable
    done = run_in_shell(line, TOKEN)
    assert done.returncode == 0, done.stderr
    sent, replayed = scripted.seen
    headers = {k.lower(): v for k, v in replayed.headers.items()}
    assert replayed.method == sent.method == "PUT"
    assert (replayed.path, replayed.body) == (sent.path, sent.body)  # quoting survived ("$HOME")
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-preferred-partner-id"] == "partner-id-acme"


def test_an_overridden_token_names_no_persona(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.json("GET", "/api/v3/partners/", {})
    api = Api(make_transport(timeout=2.0), scripted.base, token=lambda: TOKEN, persona="primary")
    attack = api.get("/partners/", token="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXg")
    assert BEARER_ARG in attack.curl
    assert "persona" not in attack.curl
    assert "eyJhbGci" not in attack.curl


def test_non_secret_malformed_values_stay_literal_secret_ones_use_the_variable() -> None:
    import httpx

    REDACTOR.add(TOKEN)
    url = "http://127.0.0.1:9/api/v3/partners/"
    request = httpx.Request("GET", url, headers={"Authorization": "no-scheme", "Cookie": "sid=s3cr3t-cookie"})
    line = curl_line(request)
    assert "'Authorization: no-scheme'" in line
    assert "s3cr3t-cookie" not in line
    assert MASK in line
    bare = curl_line(httpx.Request("GET", url, headers={"Authorization": TOKEN}))
    assert '-H "Authorization: ${FD_ACCESS_TOKEN}"' in bare  # the token without its scheme
    basic = curl_line(httpx.Request("GET", url, headers={"Authorization": f"Basic {TOKEN}"}))
    assert '-H "Authorization: Basic ${FD_ACCESS_TOKEN}"' in basic
    assert TOKEN not in bare + basic


def test_reports_read_the_persona_the_line_names() -> None:
    import httpx

    from conformance.report import _grouping as grouping

    assert grouping.TOKEN_VAR == TOKEN_VAR  # the report layer keeps its own copy of the name
    request = httpx.Request("GET", "http://127.0.0.1:9/api/v3/", headers={"Authorization": "Bearer x-y-z"})
    hint = grouping.reproduce_hint(curl_line(request, persona="multi"))
    assert hint == "export FD_ACCESS_TOKEN=<AccessToken of persona multi> first"


@pytest.mark.parametrize("masked", ["[Filtered]", MASK, f"Bearer {MASK}"])
def test_runnable_rewrites_masked_headers(masked: str) -> None:
    line = f"curl -X GET -H 'Authorization: {masked}' -H 'Accept: */*' 'http://127.0.0.1:9/api/events/'"
    out = runnable(line, "primary")
    assert f"-H 'Authorization: {masked}'" not in out
    assert BEARER_ARG in out
    assert out.endswith("AccessToken of persona primary")
    assert runnable(out, "primary") == out  # idempotent: one comment only
    assert runnable("not a curl line [Filtered]", "primary") == "not a curl line [Filtered]"


def test_runnable_line_replays(scripted: ScriptedServer) -> None:
    scripted.json("GET", "/api/v3/events/", {"items": []})
    line = runnable(f"curl -X GET -H 'Authorization: [Filtered]' '{scripted.base}/events/'", "primary")
    done = run_in_shell(line, TOKEN)
    assert done.stdout.strip() == '{"items": []}', done.stderr
    assert {k.lower(): v for k, v in scripted.seen[-1].headers.items()}["authorization"] == f"Bearer {TOKEN}"


def test_transport_closes_once_and_says_so(make_transport: MakeTransport) -> None:
    with Transport(timeout=1.0) as transport:
        assert not transport.closed
    assert transport.closed


def test_secret_extra_headers_read_their_value_from_a_variable(scripted: ScriptedServer) -> None:
    """target.headers (a proxy's key) is a secret: the line names a variable, and replays with it set."""
    key = "pxk-curl-0c9e2b7d41"
    REDACTOR.add(key)
    request = httpx.Request("GET", f"{scripted.base}/events/", headers={"X-Proxy-Key": key, "Accept": "a/b"})
    line = curl_line(request)
    assert key not in line
    assert '-h "x-proxy-key: ${fd_header_x_proxy_key}"' in line.lower()  # httpx sends names lower-case
    assert "-h 'accept: a/b'" in line.lower()
    assert runnable(f"curl -X GET -H 'X-Proxy-Key: {MASK}' -H 'Accept: a/b' 'http://h/'") == (
        "curl -X GET -H \"X-Proxy-Key: ${FD_HEADER_X_PROXY_KEY}\" -H 'Accept: a/b' 'http://h/'"
    )
    scripted.json("GET", "/api/v3/events/", {"items": []})
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "FD_HEADER_X_PROXY_KEY": key})
    assert done.stdout.strip() == '{"items": []}', done.stderr
    assert {k.lower(): v for k, v in scripted.seen[-1].headers.items()}["x-proxy-key"] == key


def test_reproduce_hint_names_every_variable_the_line_reads() -> None:
    from conformance.report import _grouping as grouping

    line = 'curl -sS -X GET -H "X-Proxy-Key: ${FD_HEADER_X_PROXY_KEY}" ' + BEARER_ARG + " http://h/"
    hint = grouping.reproduce_hint(line + "  # FD_ACCESS_TOKEN: AccessToken of persona primary")
    assert hint == ("export FD_ACCESS_TOKEN=<AccessToken of persona primary> "
                    "FD_HEADER_X_PROXY_KEY=<value of target.headers> first")
    assert grouping.reproduce_hint("curl -sS http://h/") == ""
