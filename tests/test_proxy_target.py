"""Certifying through a partner's proxy: HTTPS from a private CA and the proxy's own key header.

The reference sits behind two loopback TLS proxies (main, CR) that refuse any request without
``X-Proxy-Key``. A read-only run configured with ``target.headers`` and ``target.ca_bundle`` must pass
every rule it can run, send the key on every request (scenarios, fuzzing, Schemathesis' own auth
probes, the stateful phase), and never write the key into a report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tls_proxy import TlsProxy, make_ca_and_server_cert

from conformance import engine
from conformance.errors import TargetError
from conformance.harness.layout import NO_MEDIA
from conformance.reference.stack import ReferenceStack
from conformance.report import load_results

PROXY_KEY = "pxk-3f9a1c7e-partner-proxy"
QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731


@pytest.fixture(scope="module")
def proxied(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ReferenceStack, TlsProxy, TlsProxy, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_ca_and_server_cert(folder)
    with ReferenceStack() as stack:
        main_origin = stack.main_base.removesuffix("/api/v3")
        cr_origin = stack.cr_base.removesuffix("/api")
        with (
            TlsProxy(main_origin, PROXY_KEY, cert, key) as main,
            TlsProxy(cr_origin, PROXY_KEY, cert, key) as cr,
        ):
            yield stack, main, cr, ca


def _run(
    folder: Path, stack: ReferenceStack, main: TlsProxy, cr: TlsProxy, ca: Path | None
) -> engine.RunOutcome:
    """A read-only run through the proxies: the stack's own config file (personas), the proxy's key in
    ``[target.headers]``, the proxy URLs as flags and the CA from ``FD_CA_BUNDLE``."""
    config = folder / "fdconf.toml"
    stack.write_config(config)
    with config.open("a", encoding="utf-8") as handle:
        handle.write('\n[target.headers]\nX-Proxy-Key = "${PROXY_KEY}"\n')
    environ = {"PROXY_KEY": PROXY_KEY, **({"FD_CA_BUNDLE": str(ca)} if ca is not None else {})}
    flags = {
        "target.main": main.base("/api/v3"),
        "target.cr": cr.base("/api"),
        "target.media": main.base("/api"),
        "run.mode": "read-only",
        "run.seed": 4,
        "run.max_examples": 2,
        "run.report_dir": str(folder / "r"),
    }
    # every scenario and a few fuzzed operations per host: what goes through the proxies is the point
    return engine.run(config=config, environ=environ, flags=flags, cwd=folder, echo=QUIET,
                      extra_args=["-k", FEW_OPERATIONS])


def test_read_only_run_through_the_proxy_passes_and_always_sends_the_key(
    proxied: tuple[ReferenceStack, TlsProxy, TlsProxy, Path], tmp_path: Path
) -> None:
    stack, main, cr, ca = proxied
    outcome = _run(tmp_path, stack, main, cr, ca)
    assert outcome.result is not None
    failed = {r.id: r.reason for r in outcome.result.rules if r.status == "failed"}
    assert failed == {}
    assert outcome.exit_code == 0
    passed = {r.id for r in outcome.result.rules if r.status == "passed"}
    assert {"AUTH-01", "TEN-03", "OBJ-01", "HST-02", "SCH-01"} <= passed
    seen = main.seen + cr.seen
    assert len(main.seen) > 200  # scenarios and fuzzing went through the proxy
    assert len(cr.seen) > 20
    assert [s for s in seen if not s[2]] == []  # every one of them carried the proxy's key
    assert not [s for s in seen if s[0] not in ("GET", "HEAD", "POST")]  # read-only (+ sign-in)
    for file in (tmp_path / "r").rglob("*"):
        if file.is_file():
            assert PROXY_KEY not in file.read_text(encoding="utf-8", errors="replace"), file
    results = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert results["targets"]["main"].startswith("https://127.0.0.1:")
    # The certificate says how the target was reached: header names and the CA file, never values.
    loaded = load_results(tmp_path / "r")  # validated against results.schema.json
    assert loaded.connection == {"extra_headers": ["X-Proxy-Key"], "ca_bundle": "ca.pem"}
    for name in ("certificate.html", "summary.md"):
        assert "extra headers X-Proxy-Key; TLS verified with ca.pem" in (tmp_path / "r" / name).read_text()


def test_untrusted_certificate_is_one_line_naming_ca_bundle(
    proxied: tuple[ReferenceStack, TlsProxy, TlsProxy, Path], tmp_path: Path
) -> None:
    stack, main, cr, _ = proxied
    with pytest.raises(TargetError) as caught:
        _run(tmp_path, stack, main, cr, None)
    line = caught.value.one_line()
    assert "not trusted" in line
    assert "target.ca_bundle" in line
    assert PROXY_KEY not in line


#: Every scenario of the selected rules; of the fuzz items, a few stateless ones: the main list reads
#: without an eid (query parameters) and the CR reads ("creative" and "description" are main paths
#: containing "cr").
FEW_OPERATIONS = ("not test_operation and not test_stateful or test_operation and "
                  "(events and not eid or cr and not creative and not description)")


@pytest.fixture(scope="module")
def gateway_run(
    proxied: tuple[ReferenceStack, TlsProxy, TlsProxy, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[engine.RunOutcome, list[str], TlsProxy, TlsProxy, Path]:
    """One read-only run through a gateway shaped unlike the reference: the main API at ``/gw`` (no
    ``/v3``, so no media base), the CR API under ``/proxy/fd/api``, no ``target.media``; HST-01,
    ERR-01 and the SCH rules over a few fuzzed operations."""
    stack, _, _, _ = proxied
    folder = tmp_path_factory.mktemp("gateway")
    ca, cert, key = make_ca_and_server_cert(folder)
    config = folder / "fdconf.toml"
    stack.write_config(config)
    text = "\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                     if not line.startswith(("main =", "cr =", "media =")))
    config.write_text(text + '\n[target.headers]\nX-Proxy-Key = "${PROXY_KEY}"\n', encoding="utf-8")
    lines: list[str] = []
    with (
        TlsProxy(stack.main_base.removesuffix("/api/v3"), PROXY_KEY, cert, key, prefix="/gw",
                 upstream_prefix="/api/v3") as gateway,
        TlsProxy(stack.cr_base.removesuffix("/api"), PROXY_KEY, cert, key, prefix="/proxy/fd") as cr,
    ):
        flags = {"target.main": gateway.base("/gw"), "target.cr": cr.base("/proxy/fd/api"),
                 "run.mode": "read-only", "run.seed": 4, "run.max_examples": 2,
                 "run.rules": "HST-01,ERR-01,SCH-01,SCH-02,SCH-03", "run.report_dir": str(folder / "r")}
        environ = {"PROXY_KEY": PROXY_KEY, "FD_CA_BUNDLE": str(ca)}
        outcome = engine.run(config=config, environ=environ, flags=flags, cwd=folder, echo=lines.append,
                             extra_args=["-k", FEW_OPERATIONS])
    return outcome, lines, gateway, cr, folder / "r"


@pytest.mark.slow  # one run: two scenario rules and ~6 fuzzed operations through the gateway
def test_fuzzing_through_a_prefix_finds_nothing_on_the_clean_reference(
    gateway_run: tuple[engine.RunOutcome, list[str], TlsProxy, TlsProxy, Path],
) -> None:
    """The fuzz schemas take the target's bases, so Schemathesis matches what it sent under the prefix
    (before, Schemathesis compared the sent path with ``/api/v3`` and, failing to match it, judged a
    negative query case on what it generated, not on what was sent: a false ST201 on GET /events)."""
    outcome, _, gateway, cr, _ = gateway_run
    assert outcome.result is not None
    fuzzed = [op for op in outcome.result.operations if op.cases]
    assert {op.host for op in fuzzed} == {"main", "cr"}
    assert len(fuzzed) >= 3
    findings = [f for r in outcome.result.rules for f in r.findings]
    assert findings == [], [f.message for f in findings]
    assert {r.id for r in outcome.result.rules if r.status == "passed"} >= {"SCH-01", "SCH-02", "SCH-03"}
    assert not [path for _, path, _ in gateway.seen if not path.startswith("/gw/")]
    assert not [path for _, path, _ in cr.seen if not path.startswith("/proxy/fd/")]


@pytest.mark.slow  # the same run as above
def test_a_main_without_v3_is_a_warning_and_its_media_checks_are_unexercised(
    gateway_run: tuple[engine.RunOutcome, list[str], TlsProxy, TlsProxy, Path],
) -> None:
    """No ``target.media``: one warning (console and results.json), no media base derived from main,
    the media sub-checks unexercised (not failed), the rest judged."""
    outcome, lines, _, _, report = gateway_run
    assert outcome.result is not None
    assert outcome.settings.media is None
    warnings = [line for line in lines if line.startswith("fdconf: warning: ")]
    assert len(warnings) == 1
    assert "does not end in /v3" in warnings[0]
    assert outcome.result.warnings == [warnings[0].removeprefix("fdconf: warning: ")]
    assert load_results(report).warnings == outcome.result.warnings  # schema-valid, round-trips
    rules = {r.id: r for r in outcome.result.rules}
    assert rules["HST-01"].status == "partial"  # its media check has nothing else to judge it
    assert rules["ERR-01"].status == "passed"  # the other main-host errors judge its check
    envelope = next(c for c in rules["ERR-01"].checks if c.host == "main")
    assert NO_MEDIA in envelope.unexercised  # the wrong-method probe of /media was not sent
    media = next(c for c in rules["HST-01"].checks if c.check == "media-unversioned-only")
    assert (media.judged, media.failed) == (0, 0)
    assert NO_MEDIA in media.unexercised
    wrong_host = next(c for c in rules["HST-01"].checks if c.check == "wrong-host-404")
    assert wrong_host.judged > 0  # the rest of the rule still ran through the gateway
