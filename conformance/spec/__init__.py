"""The contract as data: the operation index of both bundled specs, and what the contract and the run
mode tell Schemathesis beyond the specs.

A leaf-ish package (it reads the bundled specs through :mod:`conformance.resources`, nothing else of the
suite), shared by the scenarios, the fuzz tests and the stateful phase:

- ``_index``: every :class:`Operation` of the ``main`` and ``cr`` specs, path filling and matching;
- ``_examples``: small schema-valid request bodies where the spec gives none;
- ``_schemathesis_config``: mode safety and semantic 422s as the ``operations`` entries of a
  Schemathesis config.

Import from ``conformance.spec``.
"""

from conformance.spec._examples import example_body, minimal_instance
from conformance.spec._index import (
    Operation,
    all_operations,
    fill_path,
    load,
    methods_at,
    path_params,
    resolve_ref,
    spec_of,
    template_matches,
    url_templates,
)
from conformance.spec._schemathesis_config import (
    POSITIVE_STATUSES,
    WRITE_METHODS,
    operations_config,
    publish_ids,
    semantic_422_ids,
    state_400_ids,
)

__all__ = [
    "POSITIVE_STATUSES",
    "WRITE_METHODS",
    "Operation",
    "all_operations",
    "example_body",
    "fill_path",
    "load",
    "methods_at",
    "minimal_instance",
    "operations_config",
    "path_params",
    "publish_ids",
    "resolve_ref",
    "semantic_422_ids",
    "spec_of",
    "state_400_ids",
    "template_matches",
    "url_templates",
]
