"""The machinery behind ``conformance.plugin`` and ``conformance.engine``.

- :mod:`.state`: the one :class:`~.state.RunState` of a session (``config.stash``) and its accessors;
- :mod:`.activation`: resolving the settings and turning a session into a run;
- :mod:`.collection`: selection of collected tests and the evidence in their reports;
- :mod:`.selection`: the ``--rules`` filter, ``--shard I/N`` and persona/mode needs of each test;
- :mod:`.evidence`: failures → redacted finding records, one per rule a Finding names (as data);
- :mod:`.results`: reports → :class:`~conformance.report.RunResult` (works under xdist);
- :mod:`.fixtures` and :mod:`.runhooks`: the plugin's fixtures and the hooks of an active run;
- :mod:`.sandbox`: the write-mode sandbox event and its cleanup in hierarchy order;
- :mod:`.embedded`: the bundled reference as a target (the only import of ``ReferenceStack`` here);
- :mod:`.run_process` / :mod:`.run_child`: ``fdconf run``'s pytest session in a child process;
- ``fdconf-pytest.ini``: the isolated pytest configuration of ``fdconf run``.
"""
