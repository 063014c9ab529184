"""The integration sandbox of the reference: its conditions (faults) and its recording, over the wire."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from conformance.reference.faults import Conditions, Sandbox
from conformance.reference.stack import ReferenceStack

SERVICE = {"username": "svc-integration@acme.example", "password": "Integr4tion-Svc!"}
PARTNER = "partner-id-acme"


def sign_in(http: httpx.Client, stack: ReferenceStack) -> dict[str, Any]:
    answer = http.post(stack.main_base + "/auth", json=SERVICE)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def headers(tokens: dict[str, Any], kind: str = "AccessToken") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[kind]}", "X-Preferred-Partner-Id": PARTNER}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, trust_env=False) as client:
        yield client


def test_conditions_parse_defaults_switches_and_figures() -> None:
    assert Conditions.parse(None) == Conditions()
    assert Conditions().token_life == 60
    c = Conditions.parse("tokens=6,-bursts,transient=0,window=5")
    assert (c.token_life, c.bursts, c.transient, c.window, c.budgets, c.refresh) == (
        6,
        False,
        0.0,
        5.0,
        True,
        True,
    )
    off = Conditions.parse("none")
    assert (off.token_life, off.budgets, off.bursts, off.transient, off.refresh) == (
        None,
        False,
        False,
        0.0,
        False,
    )


@pytest.mark.parametrize("bad", ["tokenz", "tokens=soon", "-tokens=5"])
def test_a_bad_condition_names_the_valid_ones(bad: str) -> None:
    with pytest.raises(ValueError, match="tokens"):
        Conditions.parse(bad)


def test_bursts_are_deterministic_for_a_seed_and_within_the_first_15() -> None:
    first, again, other = (Sandbox(Conditions(seed=s), svc=None).burst for s in (3, 3, 4))
    assert first == again
    assert sorted(first.values()) == [429, 503]
    assert all(2 <= n <= 15 for n in first)
    assert first != other or Sandbox(Conditions(seed=5), svc=None).burst != first


def test_short_tokens_say_so_and_expire(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client
) -> None:
    stack = start_stack(sandbox=Conditions.parse("tokens=2,-bursts,transient=0"))
    tokens = sign_in(http, stack)
    assert tokens["ExpiresIn"] == 2
    assert http.get(stack.main_base + "/partners/", headers=headers(tokens)).status_code == 200
    refreshed = http.post(stack.main_base + "/auth/refresh_token", json={"token": tokens["RefreshToken"]})
    assert refreshed.json()["ExpiresIn"] == 2
    time.sleep(3.2)  # 2 s of life plus the one second of iat rounding
    late = http.get(stack.main_base + "/partners/", headers=headers(tokens))
    assert late.status_code == 401
    assert late.json()["message"] == "error.auth.token_expired"
    fresh = {
        **tokens,
        "AccessToken": http.post(
            stack.main_base + "/auth/refresh_token", json={"token": tokens["RefreshToken"]}
        ).json()["AccessToken"],
    }
    assert http.get(stack.main_base + "/partners/", headers=headers(fresh)).status_code == 200


def test_bursts_answer_429_and_503_in_the_envelope_without_retry_after(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client
) -> None:
    stack = start_stack(sandbox=Conditions.parse("-tokens,transient=0"))
    tokens = sign_in(http, stack)
    answers = [http.get(stack.main_base + "/partners/", headers=headers(tokens)) for _ in range(15)]
    faulted = {a.status_code: a for a in answers if a.status_code != 200}
    assert set(faulted) == {429, 503}
    for answer in faulted.values():
        assert "retry-after" not in answer.headers
        assert answer.json()["message"].startswith("error.")
    assert [e["fault"] for e in stack.recorder.exchanges() if e["status"] != 200] == ["injected", "injected"]


def test_the_auth_budget_answers_429(start_stack: Callable[..., ReferenceStack], http: httpx.Client) -> None:
    stack = start_stack(sandbox=Conditions.parse("-bursts,transient=0"))
    statuses = [http.post(stack.main_base + "/auth", json=SERVICE).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_clusters_are_refreshed_after_the_first_read(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client
) -> None:
    stack = start_stack(sandbox=Conditions.parse("-bursts,transient=0"))
    tokens = sign_in(http, stack)
    url = stack.main_base + "/events/evt_acme_004/clusters"
    runs = [http.get(url, headers=headers(tokens)).json()["tc_run_id"] for _ in range(3)]
    assert runs[0] < runs[1] == runs[2]  # refreshed once, after the first read only


def test_the_recording_keeps_token_kinds_and_no_secrets(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client
) -> None:
    stack = start_stack(sandbox=Conditions.parse("-bursts,transient=0"))
    tokens = sign_in(http, stack)
    for kind in ("AccessToken", "IdToken", "RefreshToken"):
        http.get(stack.main_base + "/partners/", headers=headers(tokens, kind))
    http.get(stack.main_base + "/partners/", headers={"Authorization": "Bearer not-a-token"})
    http.get(stack.cr_base + "/events/evt_acme_004", headers={"X-Preferred-Partner-Id": PARTNER})
    http.post(stack.main_base + "/auth/refresh_token", json={"token": tokens["RefreshToken"]})
    recording = stack.recorder.document()
    exchanges = recording["exchanges"]
    assert [e["token_kind"] for e in exchanges[1:6]] == [
        "AccessToken",
        "IdToken",
        "RefreshToken",
        "garbage",
        "none",
    ]
    assert [e["host"] for e in exchanges[1:6]] == ["main"] * 4 + ["cr"]
    assert exchanges[1]["partner"] == PARTNER
    assert exchanges[4]["partner"] is None
    issued = exchanges[0]["response"]["issued"]
    assert exchanges[-1]["body"]["token_kind"] == "RefreshToken"
    assert exchanges[-1]["body"]["token_fp"] == issued["refresh_fp"]
    text = json.dumps(recording)
    for secret in (SERVICE["password"], tokens["AccessToken"], tokens["IdToken"], tokens["RefreshToken"]):
        assert secret not in text
    assert "eyJ" not in text


def test_read_and_write_budgets_are_per_partner_and_slide(
    start_stack: Callable[..., ReferenceStack], http: httpx.Client
) -> None:
    conditions = Conditions(reads_per_window=3, writes_per_window=1, window=1.5, bursts=False, transient=0.0)
    stack = start_stack(sandbox=conditions)
    tokens = sign_in(http, stack)
    url = stack.main_base + "/partners/"
    reads = [http.get(url, headers=headers(tokens)).status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429]
    beta = {**headers(tokens), "X-Preferred-Partner-Id": "partner-id-beta"}
    assert http.get(url, headers=beta).status_code == 200  # another partner's budget
    refused = http.get(url, headers=headers(tokens))
    assert "retry-after" not in refused.headers
    assert refused.json()["message"] == "error.rate_limit.exceeded"
    write = stack.main_base + "/messages/msg_acme_001/markasread"
    assert [http.put(write, headers=headers(tokens)).status_code for _ in range(2)][1] == 429
    time.sleep(1.6)  # the window slides: the budget is back
    assert http.get(url, headers=headers(tokens)).status_code == 200
    assert [e["fault"] for e in stack.recorder.exchanges() if e["status"] == 429] == ["budget"] * 3
