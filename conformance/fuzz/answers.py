"""What each fuzzed operation answered, and the SCH evidence that makes.

A fuzz test's outcome alone proves little: an operation whose every case is a 404 (ids generated at
random, a route missing for the owner) "passes" having validated only error bodies. So each
operation's answers are tallied by status class (shown in the coverage of every report) and, when
its test ends, become probes of the SCH checks in the ledger (:mod:`conformance.harness.ledger`):

* SCH-01 ``fuzz-no-5xx``: the operation answered, never with a 5xx; ``reached-no-5xx`` (reads): so
  did a read whose cases reached the application (at least one 2xx: a gateway refusing every case
  proves nothing about the handlers);
* SCH-02 ``answers-conform``: its answers were validated against the spec;
  ``success-conforms`` (reads): at least one 2xx answer was validated (else unexercised: "never
  answered 2xx");
* SCH-03 ``valid-accepted`` (reads): a positive case was answered 2xx; ``invalid-rejected``: a
  negative case was answered 4xx (operations without negative cases are not attempted).

Writes are not asked to succeed here: generated bodies rarely meet their semantic constraints and
only the sandbox eid is pinned; their successful paths are the scenarios' (WAV, RUN, CID).

Operations a check exempts in ``specs/rules.yaml`` (``exempt:``) are not attempted for it. Pure: the
recording is the caller's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from conformance.client import READ_METHODS
from conformance.rules import Rule

Outcome = Literal["pass", "fail", "unexercised"]  # a probe's outcome (the ledger's)
#: A probe to record: ``(rule, check, outcome, reason)``.
AnswerProbe = tuple[str, str, Outcome, str]


def status_class(status: int) -> str:
    """``"2xx"`` for 201, ``"4xx"`` for 404 ...; ``"5xx"`` for anything out of range."""
    return f"{status // 100}xx" if 100 <= status < 600 else "5xx"


@dataclass
class Answers:
    """The answers one fuzz test got: per status class, and the ones that judge acceptance."""

    classes: Counter[str] = field(default_factory=Counter)
    positive_2xx: int = 0
    negative: int = 0
    negative_4xx: int = 0

    def add(self, status: int, *, positive: bool, weight: int = 1) -> None:
        cls = status_class(status)
        self.classes[cls] += weight
        if positive:
            self.positive_2xx += weight * (cls == "2xx")
        else:
            self.negative += weight
            self.negative_4xx += weight * (cls == "4xx")

    def replace(self, old: int, new: int, *, positive: bool) -> None:
        """A flaky case: its first answer (``old``) is replaced by its last replay's (``new``)."""
        self.add(old, positive=positive, weight=-1)
        self.add(new, positive=positive)

    @property
    def total(self) -> int:
        return sum(self.classes.values())

    def as_dict(self) -> dict[str, int]:
        """The status classes for the coverage; 2xx, 4xx and 5xx always present."""
        out = {"2xx": 0, "4xx": 0, "5xx": 0}
        out.update(self.classes)
        return dict(sorted(out.items()))


def _judged(ok: bool, reason: str) -> tuple[Outcome, str]:
    return ("pass", "") if ok else ("unexercised", reason)


def answer_probes(operation: str, answers: Answers, rules: Mapping[str, Rule], *,
                  addressable: bool = True) -> list[AnswerProbe]:
    """The SCH probes of one fuzzed operation (``METHOD /path``) from what it answered.

    ``addressable``: its positive cases carried real ids for every path parameter. A read that is not
    (the target listed no object of some id kind) is not attempted for the success checks: a 2xx it
    got anyway still counts, its absence does not."""
    fives = answers.classes.get("5xx", 0)
    answered = answers.total > 0
    silent = "no case was answered"
    out: list[AnswerProbe] = []

    def add(rule: str, check: str, verdict: tuple[Outcome, str], *, attempted: bool = True) -> None:
        spec = rules.get(rule)
        known = spec.check(check) if spec is not None else None
        if known is None or operation in known.exempt or (verdict[0] == "unexercised" and not attempted):
            return
        out.append((rule, check, *verdict))

    if not answered:
        add("SCH-01", "fuzz-no-5xx", ("unexercised", silent))
    elif fives:
        add("SCH-01", "fuzz-no-5xx", ("fail", f"{operation}: {fives} of {answers.total} answers were 5xx"))
    else:
        add("SCH-01", "fuzz-no-5xx", ("pass", ""))
    add("SCH-02", "answers-conform", _judged(answered, silent))
    # only reads must show success (writes: see ``specs/README.md``, Decision 52)
    if operation.split(" ", 1)[0] in READ_METHODS:
        ok = answers.classes.get("2xx", 0) > 0
        reached: tuple[Outcome, str] = ("fail", f"{operation}: 5xx answers") if fives else ("pass", "")
        missed: tuple[Outcome, str] = ("unexercised", "no case reached the application (no 2xx)")
        add("SCH-01", "reached-no-5xx", reached if ok else missed, attempted=addressable)
        add("SCH-02", "success-conforms", _judged(ok, "never answered 2xx"), attempted=addressable)
        add("SCH-03", "valid-accepted", _judged(answers.positive_2xx > 0, "no valid case answered 2xx"),
            attempted=addressable)
    if answers.negative:
        add("SCH-03", "invalid-rejected", _judged(answers.negative_4xx > 0, "no invalid case answered 4xx"))
    return out
