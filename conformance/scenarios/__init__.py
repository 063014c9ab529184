"""Hand-written scenario tests, one module per rule family (a large family split by concept:
``test_objects`` reads / ``test_objects_writes``, ``test_tenancy`` headers / ``test_tenancy_scope``).

Collected with ``pytest --pyargs conformance.scenarios``.

Every test is marked with the rule id(s) it gives evidence for and discovers what it attacks from the
target (see :mod:`conformance.scenarios.discovery`); nothing is hard-coded.
"""
