"""What the contract tells Schemathesis beyond the specs, shared by the fuzz and stateful tests.

* **422 is semantic** (specs/README.md, Decision 37): where an operation documents 422, a schema-valid
  request may still be refused 422 (e.g. a CR ``partner_product`` that is not one of the partner's
  products, CONTRACT §5), so ``positive_data_acceptance`` (ST202) accepts 422 there, and only there.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios import operations

#: Schemathesis' default statuses for schema-valid requests (positive_data_acceptance).
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")


def semantic_422_ids(host: str) -> list[str]:
    """operationIds of the ``host`` spec that document a 422 answer."""
    return [
        str(op.raw.get("operationId"))
        for op in operations.load(host)
        if "422" in (op.raw.get("responses") or {}) and op.raw.get("operationId")
    ]


def operations_config(host: str) -> list[dict[str, Any]]:
    """The ``operations`` entries of a Schemathesis config (dict form) for the ``host`` spec."""
    accept_422 = {"expected-statuses": [*POSITIVE_STATUSES, "422"]}
    return [
        {"include-operation-id": op_id, "checks": {"positive_data_acceptance": accept_422}}
        for op_id in semantic_422_ids(host)
    ]
