"""Schemathesis fuzzing of both specs with the suite's checks registered (collected with
``--pyargs conformance.fuzz``)."""
