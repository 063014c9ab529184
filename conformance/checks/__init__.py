"""Pure contract checks: they judge responses and JSON bodies and raise Findings, never send requests.

One private module per concept behind this surface: ``_envelope`` (ERR-01), ``_tenancy`` (CONTRACT §2
outcomes), ``_pagination`` (PAG-01), ``_cid`` (CID-01/03), ``_scope`` (TEN-04), ``_identity`` (two
answers of live data compared by which rows and whose ids: TEN-02/04/05), ``_drift`` (OBJ-02: what
changed in the owner's view, live fields discounted), ``_hosts`` (which rule a host's violation counts
for, HST-02) and ``_observed`` (what a check reads of a response).
Import from ``conformance.checks``. The Schemathesis integration that applies them to fuzz cases lives
in :mod:`conformance.fuzz`.
"""

from conformance.checks._cid import (
    DEFAULT_TEMPLATE,
    CidTemplate,
    campaign_problems,
    check_cid_safety,
    cid_problems,
    issued_ids,
)
from conformance.checks._drift import changed_paths, flatten_view
from conformance.checks._envelope import check_error_envelope, envelope_problems, message_key
from conformance.checks._hosts import rule_for_host
from conformance.checks._identity import (
    IDENTITY_FIELDS,
    has_identity,
    identity_problems,
    same_identity,
    scoped_identity,
    shape_of,
)
from conformance.checks._observed import Observed, observe, require_json
from conformance.checks._pagination import check_page, looks_paginated, page_problems
from conformance.checks._scope import check_scoped, foreign_items, item_key, item_partners, keys_of
from conformance.checks._tenancy import (
    HEADER_REQUIRED,
    NOT_AUTHORIZED,
    NOT_FOUND_STATUS,
    Outcome,
    carries_data,
    check_outcome,
    check_refusal,
    expected_outcome,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "HEADER_REQUIRED",
    "IDENTITY_FIELDS",
    "NOT_AUTHORIZED",
    "NOT_FOUND_STATUS",
    "CidTemplate",
    "Observed",
    "Outcome",
    "campaign_problems",
    "carries_data",
    "changed_paths",
    "check_cid_safety",
    "check_error_envelope",
    "check_outcome",
    "check_page",
    "check_refusal",
    "check_scoped",
    "cid_problems",
    "envelope_problems",
    "expected_outcome",
    "flatten_view",
    "foreign_items",
    "has_identity",
    "identity_problems",
    "issued_ids",
    "item_key",
    "item_partners",
    "keys_of",
    "looks_paginated",
    "message_key",
    "observe",
    "page_problems",
    "require_json",
    "rule_for_host",
    "same_identity",
    "scoped_identity",
    "shape_of",
]
