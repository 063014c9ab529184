"""The mode's safety and the semantic 422 as Schemathesis config: read-only sends GETs only, publish-
grade operations only run in publish mode, 422 is accepted for valid data exactly where documented."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from conformance import resources
from conformance.spec import (
    POSITIVE_STATUSES,
    operations_config,
    publish_ids,
    semantic_422_ids,
    state_400_ids,
)


def _schema(host: str, *, reads_only: bool, publish: bool) -> Any:
    config = schemathesis.Config.from_dict(
        {"operations": operations_config(host, reads_only=reads_only, publish=publish)}
    )
    path = resources.main_spec() if host == "main" else resources.cr_spec()
    return schemathesis.openapi.from_path(path, config=config)


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_the_cr_operations_documenting_422_are_found() -> None:
    assert set(semantic_422_ids("cr")) == {"crSaveEvent", "crCreateSimulationEvent", "crBulkUpload"}
    assert semantic_422_ids("main") == []


@pytest.mark.parametrize("host", ["main", "cr"])
def test_read_only_leaves_only_reads(host: str) -> None:
    ops = _operations(_schema(host, reads_only=True, publish=False))
    assert ops
    assert {op.method.upper() for op in ops} == {"GET"}


def test_publish_grade_operations_only_in_publish_mode() -> None:
    boost = set(publish_ids("main"))
    assert "boostSetupProcess" in boost
    write = {
        op.definition.raw.get("operationId")
        for op in _operations(_schema("main", reads_only=False, publish=False))
    }
    assert not boost & write
    assert "replaceSetupProcess" in write
    publish = {
        op.definition.raw.get("operationId")
        for op in _operations(_schema("main", reads_only=False, publish=True))
    }
    assert boost <= publish


def test_positive_data_may_get_422_only_where_documented() -> None:
    schema = _schema("cr", reads_only=False, publish=True)

    def allowed(path: str, method: str) -> list[str]:
        checks = schema.config.checks_config_for(operation=schema[path][method], phase="fuzzing")
        return list(checks.positive_data_acceptance.expected_statuses)

    assert "422" in allowed("/events/{eid}", "PUT")
    assert "422" not in allowed("/events/last_updated_on_fe/{eid}", "PUT")
    assert set(POSITIVE_STATUSES) <= set(allowed("/events/{eid}", "PUT"))


def test_a_boost_of_an_invalid_stored_draft_may_get_400() -> None:
    """Boost takes no body: its 400 (SetupInvalid) is about the draft earlier requests left behind, so a
    shard whose fuzzing edited the draft (and never deleted it) is not failed by ST202 (Decision 54)."""
    assert state_400_ids("main") == ["boostSetupProcess"]
    assert state_400_ids("cr") == []
    schema = _schema("main", reads_only=False, publish=True)

    def allowed(path: str, method: str) -> list[str]:
        checks = schema.config.checks_config_for(operation=schema[path][method], phase="fuzzing")
        return list(checks.positive_data_acceptance.expected_statuses)

    assert "400" in allowed("/setup_processes/{eid}/boost", "POST")
    assert set(POSITIVE_STATUSES) <= set(allowed("/setup_processes/{eid}/boost", "POST"))
    assert "400" not in allowed("/setup_processes/{eid}", "PUT")  # a draft edit's 400 is about its body
