"""The reference behaving like a deployment: ``--rate-limit`` budgets and ``--latency``, over the wire."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from conformance.cli import main as fdconf_main
from conformance.config import load_settings
from conformance.reference.limits import limits, parse_latency, parse_rate_limit, rate_setting
from conformance.reference.stack import ReferenceStack


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client


def test_documented_and_explicit_figures() -> None:
    assert parse_rate_limit("documented") == {"reads": 600, "writes": 120, "auth": 10, "window": 60.0}
    assert parse_rate_limit("reads=60, auth=5,window=2.5") == {
        "reads": 60, "writes": 120, "auth": 5, "window": 2.5}
    for bad in ("reads=many", "bursts=3", "reads", "writes=0"):
        with pytest.raises(ValueError, match="--rate-limit"):
            parse_rate_limit(bad)


def test_latency_units() -> None:
    assert parse_latency("80ms") == pytest.approx(0.08)
    assert parse_latency("0.08s") == pytest.approx(0.08)
    assert parse_latency("0.5") == pytest.approx(0.5)
    for bad in ("soon", "-1s", "2min"):
        with pytest.raises(ValueError, match="--latency"):
            parse_latency(bad)


def test_only_the_budget_and_the_latency_are_on() -> None:
    assert ReferenceStack(rate_limit="documented").limits == limits("documented")
    with pytest.raises(ValueError, match="--latency"):
        ReferenceStack(latency="fast")
    assert limits(None, None) is None
    c = limits("documented", "80ms")
    assert c is not None
    assert (c.budgets, c.reads_per_window, c.writes_per_window, c.auth_per_window, c.window) == (
        True, 600, 120, 10, 60.0)
    assert c.latency == pytest.approx(0.08)
    assert (c.token_life, c.bursts, c.transient, c.refresh) == (None, False, 0.0, False)
    slow = limits(None, "20ms")
    assert slow is not None
    assert (slow.budgets, rate_setting(slow)) == (False, "off")
    assert rate_setting(c) == "reads=600,writes=120,auth=10"


def test_a_limited_stack_answers_429_in_the_envelope_and_holds_each_answer(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client, tmp_path: Path
) -> None:
    stack = start_stack(rate_limit="reads=3,writes=1,auth=2,window=30", latency="40ms")
    persona = stack.personas["primary"]
    signed = http.post(stack.main_base + "/auth",
                       json={"username": persona["username"], "password": persona["password"]})
    assert signed.status_code == 200
    auth = {"Authorization": f"Bearer {signed.json()['AccessToken']}"}
    started = time.monotonic()
    statuses = [http.get(stack.main_base + "/partners/", headers=auth).status_code for _ in range(4)]
    assert time.monotonic() - started >= 4 * 0.04  # every answer was held, the 429 too
    assert statuses == [200, 200, 200, 429]
    refused = http.get(stack.main_base + "/partners/", headers=auth)
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    assert refused.json()["message"] == "error.rate_limit.exceeded"
    assert http.get(stack.main_base + "/status/").status_code == 200  # the health check is not budgeted
    # the config it writes makes the suite keep to the same budget
    stack.write_config(tmp_path / "fdconf.toml")
    settings = load_settings(environ={}, cwd=tmp_path)
    assert (settings.rate, settings.rate_window) == ((3, 1, 2), 30.0)


def test_serve_refuses_bad_figures_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        fdconf_main(["serve", "--rate-limit", "reads=lots"])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--rate-limit reads needs a number" in err
