"""The target's layout: which hosts a run cannot reach and why, and the one-line layout warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import Settings, load_settings
from conformance.harness.layout import NO_CR, NO_MEDIA, absent_hosts, layout_warnings, main_is_versioned
from conformance.harness.ledger import Ledger
from conformance.scenarios.sweep import Sweep, targets
from conformance.spec import all_operations

V3 = "http://127.0.0.1:8000/api/v3"
CR = "http://127.0.0.1:8001/api"
GATEWAY = "http://127.0.0.1:8000/gw/fd"


def settings(tmp_path: Path, **target: str) -> Settings:
    return load_settings(environ={}, cwd=tmp_path, flags={f"target.{k}": v for k, v in target.items()})


def test_documented_layout_reaches_every_host(tmp_path: Path) -> None:
    s = settings(tmp_path, main=V3, cr=CR)
    assert s.media == "http://127.0.0.1:8000/api"
    assert absent_hosts(s) == {}
    assert layout_warnings(s) == []


def test_without_cr_only_the_cr_host_is_absent(tmp_path: Path) -> None:
    s = settings(tmp_path, main=V3)
    assert absent_hosts(s) == {"cr": NO_CR}
    assert "target.cr" in NO_CR
    assert layout_warnings(s) == []


def test_main_without_v3_derives_no_media_base_and_warns_once(tmp_path: Path) -> None:
    s = settings(tmp_path, main=GATEWAY + "/", cr=CR)
    assert s.media is None  # not the main base itself: /media checks would judge the wrong base
    assert absent_hosts(s) == {"media": NO_MEDIA}
    [warning] = layout_warnings(s)
    assert GATEWAY in warning
    assert "/v3" in warning
    assert "target.media" in warning
    assert "\n" not in warning


def test_main_without_v3_with_an_explicit_media_base_runs_the_media_checks(tmp_path: Path) -> None:
    s = settings(tmp_path, main=GATEWAY, cr=CR, media="http://127.0.0.1:8000/gw/media")
    assert absent_hosts(s) == {}
    [warning] = layout_warnings(s)
    assert "http://127.0.0.1:8000/gw/media" in warning


@pytest.mark.parametrize(("main", "versioned"), [(V3, True), (V3 + "/", True), (GATEWAY, False),
                                                 ("http://h/api/v30", False), (None, False)])
def test_main_is_versioned(main: str | None, versioned: bool) -> None:
    assert main_is_versioned(main) is versioned


def test_sweep_records_absent_host_operations_unexercised_and_sends_nothing() -> None:
    ledger = Ledger()
    ledger.absent_hosts = {"cr": NO_CR}
    sweep = Sweep("AUTH-01", ledger, "bad-token-401")
    ops = [op for op in all_operations() if op.secured]
    picked = targets(ops, {}, reads_only=True, placeholder=True, sweep=sweep)
    assert picked
    assert {op.host for op, _ in picked} == {"main"}
    sent: list[str] = []
    sweep.judge(lambda: sent.append("cr"), "cr", operation="GET /events/{eid}")
    assert sent == []
    probes = ledger.drain()
    cr_probes = [p for p in probes if p.host == "cr"]
    assert cr_probes
    assert all(p.outcome == "unexercised" and p.reason == NO_CR for p in cr_probes)
    assert {p.rule_id for p in cr_probes} == {"HST-02"}  # a CR probe of AUTH-01 is HST-02's evidence
