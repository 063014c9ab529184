"""Identifier formats the contract fixes, shared by the suite and the reference implementation.

A shared leaf like :mod:`conformance.resources`: stdlib only, so the reference may import it without
importing suite code. ``PARTNER_RE`` is the specs' ``PartnerId`` pattern (``components.schemas.PartnerId``
of both specs; a test keeps them equal): the partner ids among a user's ``cognito:groups`` and the only
values ``X-Preferred-Partner-Id`` may carry.
"""

from __future__ import annotations

import re

PARTNER_RE = re.compile(r"^(partner-id-.+|fd\d+)$")
