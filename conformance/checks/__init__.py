"""Pure contract checks: they judge responses and JSON bodies and raise Findings, never send requests.

One module per concept: :mod:`envelope` (ERR-01), :mod:`tenancy` (CONTRACT §2 outcomes),
:mod:`pagination` (PAG-01), :mod:`cid` (CID-01/03), :mod:`scope` (TEN-04), :mod:`hosts` (which rule a
host's violation counts for, HST-02), :mod:`observed` (a response as the checks see it). The
Schemathesis integration that applies them to fuzz cases lives in :mod:`conformance.fuzz.checks`.
"""
