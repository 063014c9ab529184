"""Which rule a violation is evidence against, given the host it was seen on (HST-02).

HST-02 is "the CR host enforces the same AUTH, TEN and OBJ rules": a violation of one of those rules
observed on the CR host is HST-02's evidence alone, one observed on the main host (or its unversioned
base) the family rule's alone. Every place that attributes findings (scenario sweeps, fuzz checks,
the fuzz failure mapping) goes through :func:`rule_for_host`, so a CR-only defect fails HST-02 and
nothing else, and a main-host defect never fails HST-02.
"""

from __future__ import annotations

HST02 = "HST-02"
CR_VIEW_FAMILIES = ("AUTH-", "TEN-", "OBJ-")


def rule_for_host(rule_id: str, host: str) -> str:
    """HST-02 for an AUTH/TEN/OBJ rule violated on the ``cr`` host, else ``rule_id`` itself."""
    return HST02 if host == "cr" and rule_id.startswith(CR_VIEW_FAMILIES) else rule_id
