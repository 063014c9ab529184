"""HTTP access to the target: the one ``Transport`` every request leaves through (read-only guard,
audit log, 429 backoff, the ``Limiter`` seam), ``Api`` (a persona's view of a host), recorded
``Exchange``s, ``Throttled`` (a 429 that outlasted the retries), curl reproduction lines and bounded
retries of a briefly-down target.

The modules behind this surface are private; import from ``conformance.client``.
"""

from conformance.client._abandon import DEFAULT_ABANDON_AFTER, TimeoutTally
from conformance.client._api import Api
from conformance.client._budget import RateBudget, RateFigures, budget_for, classify, window_span
from conformance.client._confirm import (
    REPLAY_ORIGIN,
    Confirmation,
    confirm,
    first_status,
    last_status,
    not_replayed,
    watch,
)
from conformance.client._curl import CREDENTIALS, TOKEN_VAR, Credential, curl_line, runnable
from conformance.client._http import (
    OMIT,
    PARTNER_HEADER,
    READ_METHODS,
    AuditEntry,
    Exchange,
    Limiter,
    Transport,
    WriteBlocked,
    is_auth_call,
)
from conformance.client._patience import TRANSIENT_STATUSES, Patience, is_transient
from conformance.client._throttled import THROTTLED_REASON, Throttled

__all__ = [
    "CREDENTIALS",
    "DEFAULT_ABANDON_AFTER",
    "OMIT",
    "PARTNER_HEADER",
    "READ_METHODS",
    "REPLAY_ORIGIN",
    "THROTTLED_REASON",
    "TOKEN_VAR",
    "TRANSIENT_STATUSES",
    "Api",
    "AuditEntry",
    "Confirmation",
    "Credential",
    "Exchange",
    "Limiter",
    "Patience",
    "RateBudget",
    "RateFigures",
    "Throttled",
    "TimeoutTally",
    "Transport",
    "WriteBlocked",
    "budget_for",
    "classify",
    "confirm",
    "curl_line",
    "first_status",
    "is_auth_call",
    "is_transient",
    "last_status",
    "not_replayed",
    "runnable",
    "watch",
    "window_span",
]
