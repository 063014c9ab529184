"""The two error families of fd-conformance.

*Usage errors* (:class:`UsageError` and subclasses) mean the user asked for something that cannot
run: a bad config, an unreachable target, wrong credentials, a malformed spec. They carry a one-line
message that names the input and a hint that names the fix; the CLI prints both and exits 2, never a
traceback.

*Findings* (:class:`Finding`, an :class:`AssertionError`) are facts about the API under test: a rule
of the catalogue was violated. They carry the rule id, what was expected, what was received and a
curl line that reproduces the request (secrets redacted). ``str(finding)`` always starts with
``[RULE-ID]`` so the id survives any wrapper (pytest, Schemathesis' FailureGroup) that keeps only text.
"""

from __future__ import annotations

import re

RULE_ID_RE = re.compile(r"\[([A-Z]{2,4}-\d{2})\]")


class UsageError(Exception):
    """Base of every user mistake: one line saying what is wrong, one hint saying how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint as the single line the CLI prints."""
        kind = type(self).__name__
        return f"{kind}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


class ConfigError(UsageError):
    """The configuration (file, environment or flags) is invalid."""


class TargetError(UsageError):
    """The target API cannot be reached or does not look like the API at all."""


class TargetUnavailable(TargetError):
    """The target answered as if it were down for a moment (502, 503, 504): worth retrying for a while."""


class RequestTimedOut(TargetError):
    """A request got no answer within ``run.timeout``; ``operation`` is ``METHOD /path-template``.

    Not a finding and not an outage: whatever the request was to judge stays *unexercised* with
    :attr:`reason`. ``count`` is how many timeouts in a row the operation has had."""

    def __init__(self, message: str, hint: str = "", *, operation: str = "", count: int = 1) -> None:
        super().__init__(message, hint)
        self.operation = operation
        self.count = count

    @property
    def reason(self) -> str:
        return f"{self.operation} timed out ({self.count} in a row)"


class OperationAbandoned(RequestTimedOut):
    """An operation timed out ``count`` times in a row (``run.abandon_after``): this request was not
    sent, and no further one to that operation will be."""

    @property
    def reason(self) -> str:
        times = "once" if self.count == 1 else f"{self.count} times"
        return f"timed out {times}: {self.operation} abandoned"


class TargetGone(TargetError):
    """The target answered earlier in the run, then refused every connection for ``run.retry_wait``:
    it stopped. The run ends with this one error; what had not run yet is *not run*."""


class CredentialsError(UsageError):
    """A persona's credentials were rejected or cannot be used."""


class SpecError(UsageError):
    """An OpenAPI spec or the rule catalogue is missing or malformed."""


class Finding(AssertionError):
    """A violation of one catalogue rule, observed on the wire.

    Extension point: scenario tests and fuzzing checks raise this (or a subclass); reports group
    findings by ``rule_id``.
    """

    def __init__(
        self,
        rule_id: str,
        message: str,
        *,
        expected: str = "",
        received: str = "",
        curl: str = "",
        request: str = "",
        response: str = "",
    ) -> None:
        self.rule_id = rule_id
        self.message = message
        self.expected = expected
        self.received = received
        self.curl = curl
        self.request = request
        self.response = response
        #: How the violation was confirmed (``{"attempts", "reproduced", "statuses"}``), once replayed.
        self.confirmation: dict[str, object] | None = None
        super().__init__(self.render())

    def relabel(self, rule_id: str, message: str) -> Finding:
        """The same evidence (expected, received, curl, request, response) under another rule or message,
        e.g. a check's finding filed under the rule of the scenario that ran it."""
        out = Finding(
            rule_id,
            message,
            expected=self.expected,
            received=self.received,
            curl=self.curl,
            request=self.request,
            response=self.response,
        )
        out.confirmation = self.confirmation
        return out

    def render(self) -> str:
        lines = [f"[{self.rule_id}] {self.message}"]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.received:
            lines.append(f"  received: {self.received}")
        if self.curl:
            lines.append(f"  reproduce: {self.curl}")
        return "\n".join(lines)


def rule_ids_in(text: str) -> list[str]:
    """Every ``[RULE-ID]`` tag in a failure text, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in RULE_ID_RE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)
