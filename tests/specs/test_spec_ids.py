"""The id grammar: plain regular expressions Hypothesis can generate, and every id cid-safe
(`cid = {tc_run_id}__{eid}__{tc}` always splits back into its parts)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_walk import all_schemas, load, pointer
from schemathesis.core.result import Ok

SCHEMAS = load("main")["components"]["schemas"]
LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)|\\[1-9]")
CID_SAFE = ["Eid", "Tc", "TaskId", "MessageId", "PackageId", "AudienceId", "CampaignResultId"]
FAST = settings(max_examples=100, database=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _strings(name: str) -> st.SearchStrategy[str]:
    schema = SCHEMAS[name]
    return st.from_regex(schema["pattern"], fullmatch=True).filter(
        lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6)
    )


def _matches(name: str, value: str) -> bool:
    return re.fullmatch(SCHEMAS[name]["pattern"], value) is not None


def test_patterns_are_plain_regular_expressions(host: str) -> None:
    found = 0
    for at, schema in all_schemas(load(host)):
        if "pattern" in schema:
            found += 1
            assert not LOOKAROUND.search(schema["pattern"]), f"{pointer(at)}: lookaround or backreference"
            re.compile(schema["pattern"])
    assert found >= 3


@pytest.mark.parametrize("name", CID_SAFE)
@FAST
@given(data=st.data())
def test_issued_ids_are_cid_safe(name: str, data: st.DataObject) -> None:
    value = data.draw(_strings(name))
    assert "/" not in value
    assert "__" not in value
    assert not value.startswith("_")
    assert not value.endswith("_")
    assert value.strip(".") != "", "a dots-only segment would be eaten by URL normalisation"


@FAST
@given(eid=_strings("Eid"), tc=_strings("Tc"), run=st.integers(1, SCHEMAS["TcRunId"]["maximum"]))
def test_cid_round_trips(eid: str, tc: str, run: int) -> None:
    cid = f"{run}__{eid}__{tc}"
    assert _matches("Cid", cid)
    assert cid.split("__") == [str(run), eid, tc]


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("Eid", "evt_abc123", True),
        ("Eid", "12345", True),
        ("Eid", "evt__abc", False),
        ("Eid", "a/b", False),
        ("Eid", "_evt", False),
        ("Eid", "evt-", False),
        ("Tc", "family_outings_munich", True),
        ("Tc", "Rock & Pop München", True),
        ("Tc", "a__b", False),
        ("Tc", "rock/pop", False),
        ("Tc", "_x", False),
        ("Tc", "x_", False),
        ("Tc", "..", False),
        ("Tc", "tab\there", False),
        ("PartnerId", "partner-id-acme", True),
        ("PartnerId", "fd123", True),
        ("PartnerId", "webapp-access-group-2", False),
        ("PartnerId", "fd", False),
    ],
)
def test_known_values(name: str, value: str, ok: bool) -> None:
    assert _matches(name, value) is ok


def test_tc_run_id_is_a_positive_json_safe_integer() -> None:
    run = SCHEMAS["TcRunId"]
    assert (run["type"], run["minimum"], run["maximum"]) == ("integer", 1, 2**53 - 1)


def _generate(operation: Any) -> None:
    """Draw a few cases of one operation; fails if Hypothesis cannot build its strategy."""

    @settings(
        max_examples=3,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def generate(case: Any) -> None:
        assert case.operation.label == operation.label

    generate()


@pytest.mark.parametrize("host", ["main", "cr"])
def test_hypothesis_generates_every_operation(host: str) -> None:
    schema = schemathesis.openapi.from_dict(load(host))
    labels = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        labels.append(operation.label)
        _generate(operation)
    assert len(labels) == {"main": 80, "cr": 5}[host]
