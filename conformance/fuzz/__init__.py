"""Schemathesis fuzzing of both specs with the suite's checks (collected with ``--pyargs conformance.fuzz``).

- :mod:`.checks`: our judgements registered as Schemathesis checks (failures: :class:`~.checks.RuleFailure`);
- :mod:`.context`: what those checks know beyond one response (personas, replays, budget);
- :mod:`.hooks`: the hooks module for plain ``schemathesis run`` (signs personas in from ``FDCONF_CONFIG``);
- :mod:`.routing`: Schemathesis' requests through the run's Transport;
- :mod:`.schemas` / :mod:`.run`: the run's schemas, built per session from the settings, and the
  fuzz part of the run's state;
- :mod:`.failures`: Schemathesis failures → rule ids; :mod:`.contract`: mode safety per operation;
- :mod:`.objects`: ids discovered from the target for positive cases; :mod:`.answers`: each
  operation's answers (2xx / 4xx / 5xx) and the SCH probes they make; :mod:`.edges`: deliberate edge
  values (long strings, unusual Unicode, empty and duplicated arrays) as examples, counted per case;
- ``test_fuzz.py`` (examples, coverage, fuzzing per operation), ``test_stateful.py`` (OpenAPI links).
"""
