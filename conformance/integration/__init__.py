"""Certification of a partner's integration: the reference as a recording sandbox, rules on its traffic.

``fdconf integration run -- COMMAND`` starts the sandbox (:mod:`.runner`), hands COMMAND the
variables of CONTRACT §7, then judges the recording (:mod:`.judge`) with the INT rules of
``specs/rules.yaml`` (``integration_rules:``). Every check is a pure function over the recording
(:mod:`.checks_session`, :mod:`.checks_traffic`, :mod:`.checks_wave`).
"""
