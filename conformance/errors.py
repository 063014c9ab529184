"""The two error families of fd-conformance.

*Usage errors* (:class:`UsageError` and subclasses) mean the user asked for something that cannot
run: a bad config, an unreachable target, wrong credentials, a malformed spec. They carry a one-line
message that names the input and a hint that names the fix; the CLI prints both and exits 2, never a
traceback.

*Findings* (:class:`Finding`, an :class:`AssertionError`) are facts about the API under test: a rule
of the catalogue was violated. They carry the rule id, what was expected, what was received and a
curl line that reproduces the request (secrets redacted). Attribution reads the rule ids from the
object (``rule_id``, ``also``); ``str(finding)`` starts with the ``[RULE-ID]`` tags for a human
reader only.
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


#: A rule's one line of evidence is at most this long (it is built short, so no length limit on a
#: finding's other fields can cut it away).
EVIDENCE_LIMIT = 300


def evidence_line(text: str) -> str:
    """The first non-empty line of ``text``, whitespace collapsed, at most :data:`EVIDENCE_LIMIT`."""
    line = next((" ".join(ln.split()) for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= EVIDENCE_LIMIT else line[: EVIDENCE_LIMIT - 1] + "…"


class Finding(AssertionError):
    """A violation of one catalogue rule, observed on the wire.

    Extension point: scenario tests and fuzzing checks raise this (or a subclass); reports group
    findings by ``rule_id``. One observation can violate several rules (a 5xx without the error
    envelope is SCH-01's and ERR-01's): ``also`` holds the findings of the other rules, each with its
    own message, expected and received, so every rule keeps its own evidence. Rule ids are data:
    :attr:`rules` and :attr:`evidence` are read from the objects, never from the text.
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
        also: tuple[Finding, ...] = (),
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
        self.also = tuple(f for f in also if f.rule_id != rule_id)
        super().__init__(self.render())

    @property
    def parts(self) -> tuple[Finding, ...]:
        """This finding, then one per other rule (the first of each, nested ``also`` flattened)."""
        out: dict[str, Finding] = {self.rule_id: self}
        for part in self.also:
            for inner in part.parts:
                out.setdefault(inner.rule_id, inner)
        return tuple(out.values())

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule this finding is evidence against, its own first."""
        return tuple(part.rule_id for part in self.parts)

    @property
    def evidence(self) -> dict[str, str]:
        """Rule id → that rule's own one line of evidence (never another rule's message)."""
        return {part.rule_id: evidence_line(part.message) for part in self.parts}

    def relabel(self, rule_id: str, message: str, *, also: tuple[Finding, ...] | None = None) -> Finding:
        """The same evidence (expected, received, curl, request, response) under another rule or message,
        e.g. a check's finding filed under the rule of the scenario that ran it. The other rules'
        findings stay attached unless ``also`` replaces them."""
        out = Finding(
            rule_id,
            message,
            expected=self.expected,
            received=self.received,
            curl=self.curl,
            request=self.request,
            response=self.response,
            also=self.also if also is None else also,
        )
        out.confirmation = self.confirmation
        return out

    def render(self) -> str:
        """``[RULE] [OTHER] message`` and the details: what a reader of pytest's output sees."""
        rules = list(dict.fromkeys([self.rule_id, *(f.rule_id for f in self.also)]))
        lines = ["".join(f"[{r}] " for r in rules) + self.message]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.received:
            lines.append(f"  received: {self.received}")
        lines.extend(f"  also {f.rule_id}: {evidence_line(f.message)}" for f in self.also)
        if self.curl:
            lines.append(f"  reproduce: {self.curl}")
        return "\n".join(lines)
