"""422 is accepted for schema-valid requests exactly where the spec documents it."""

from __future__ import annotations

import schemathesis

from conformance import resources
from conformance.fuzz.contract import POSITIVE_STATUSES, operations_config, semantic_422_ids


def test_the_cr_operations_documenting_422_are_found() -> None:
    assert set(semantic_422_ids("cr")) == {"crSaveEvent", "crCreateSimulationEvent", "crBulkUpload"}
    assert semantic_422_ids("main") == []


def test_positive_data_may_get_422_only_where_documented() -> None:
    config = schemathesis.Config.from_dict({"operations": operations_config("cr")})
    schema = schemathesis.openapi.from_path(resources.cr_spec(), config=config)

    def allowed(path: str, method: str) -> list[str]:
        op = schema[path][method]
        checks = schema.config.checks_config_for(operation=op, phase="fuzzing")
        return list(checks.positive_data_acceptance.expected_statuses)

    assert "422" in allowed("/events/{eid}", "PUT")
    assert "422" not in allowed("/events/last_updated_on_fe/{eid}", "PUT")
    assert set(POSITIVE_STATUSES) <= set(allowed("/events/{eid}", "PUT"))
