"""What the contract and the run mode tell Schemathesis beyond the specs (fuzz and stateful tests).

Everything goes into the ``operations`` entries of a Schemathesis config, because Schemathesis
ignores ``schema.include()``/``schema.exclude()`` as soon as a config has any ``operations`` entry
(4.32.5: the filter is rebuilt from the config). An entry with ``enabled: false`` is the one filter it
always honours, also for unexpected-method probes, so the mode's safety is expressed that way:

* **read-only**: every write method is off (only GET/HEAD are ever sent);
* **not publish-grade**: the operations marked ``x-fd-publish`` (boost and friends) are off;
* **422 is semantic** (specs/README.md, Decision 37): where an operation documents 422, a schema-valid
  request may still be refused 422 (e.g. a CR ``partner_product`` that is not one of the partner's
  products, CONTRACT §5), so ``positive_data_acceptance`` (ST202) accepts 422 there, and only there.
* **a 400 about the stored state** (Decision 54): boost takes no body; its 400 (``SetupInvalid``) says
  the *stored draft* cannot be published, which depends on what earlier requests (of any test, in
  any shard) left behind, not on the request. ST202 accepts 400 where that response is documented, so
  whether a boost is judged acceptable no longer depends on test order or on the shard it runs in.
"""

from __future__ import annotations

from typing import Any

from conformance.spec._index import load

#: Schemathesis' default statuses for schema-valid requests (positive_data_acceptance).
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def semantic_422_ids(host: str) -> list[str]:
    """operationIds of the ``host`` spec that document a 422 answer."""
    return [
        str(op.raw.get("operationId"))
        for op in load(host)
        if "422" in (op.raw.get("responses") or {}) and op.raw.get("operationId")
    ]


#: 400 responses that describe the stored state rather than the request (Decision 54).
STATE_400_RESPONSES = ("#/components/responses/SetupInvalid",)


def state_400_ids(host: str) -> list[str]:
    """operationIds of the ``host`` spec whose 400 is about stored state (boost: an invalid draft)."""
    return [
        str(op.raw.get("operationId"))
        for op in load(host)
        if ((op.raw.get("responses") or {}).get("400") or {}).get("$ref") in STATE_400_RESPONSES
        and op.raw.get("operationId")
    ]


def publish_ids(host: str) -> list[str]:
    """operationIds of the ``host`` spec's publish-grade operations (``x-fd-publish``)."""
    return [
        str(op.raw.get("operationId"))
        for op in load(host)
        if op.publishes and op.raw.get("operationId")
    ]


def operations_config(host: str, *, reads_only: bool, publish: bool) -> list[dict[str, Any]]:
    """The ``operations`` entries of a Schemathesis config (dict form) for the ``host`` spec."""
    extra: dict[str, list[str]] = {}
    for op_id in semantic_422_ids(host):
        extra.setdefault(op_id, []).append("422")
    for op_id in state_400_ids(host):
        extra.setdefault(op_id, []).append("400")
    entries: list[dict[str, Any]] = [
        {"include-operation-id": op_id,
         "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, *statuses]}}}
        for op_id, statuses in extra.items()
    ]
    if reads_only:
        entries.append({"include-method": list(WRITE_METHODS), "enabled": False})
    if not publish and publish_ids(host):
        entries.append({"include-operation-id": publish_ids(host), "enabled": False})
    return entries
