"""Comparing two runs: what broke, what got fixed, what still fails, what stopped running.

``fdconf diff OLD NEW`` loads both ``results.json`` files and calls :func:`diff_runs`; with
``--fail-on-new`` it exits 1 only when :func:`has_new_failures`, so a run with known failures can be
the baseline that gates deployments.

Items are rules (key = rule id) and fuzzed operations (key = ``host METHOD /path``). For each item:

- *new failure*: failed in NEW, and not failed in OLD (passed, not run, or absent);
- *fixed*: failed in OLD, passed in NEW;
- *still failing*: failed in both;
- *newly not run*: ran in OLD (passed or failed), not run in NEW (or absent from NEW);
- *newly flaky* (rules only, never a failure): flaky findings in NEW (failed once, passed when
  replayed), none in OLD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from conformance.report._grouping import first_line, headline
from conformance.report._model import RuleStatus, RunResult
from conformance.report._waivers import waived_label

ItemKind = Literal["rule", "operation"]


@dataclass(frozen=True)
class DiffItem:
    kind: ItemKind
    key: str  # rule id, or "main GET /events/{eid}"
    title: str
    detail: str = ""  # first finding line (failures) or reason (not run)


@dataclass
class RunDiff:
    old_run: str
    new_run: str
    old_verdict: str
    new_verdict: str
    new_failures: list[DiffItem] = field(default_factory=list)
    fixed: list[DiffItem] = field(default_factory=list)
    still_failing: list[DiffItem] = field(default_factory=list)
    newly_not_run: list[DiffItem] = field(default_factory=list)
    newly_partial: list[DiffItem] = field(default_factory=list)
    #: Rules with flaky findings (failed once, passed when replayed) in NEW and none in OLD: not
    #: failures, but a target that started answering unsteadily is worth a look.
    newly_flaky: list[DiffItem] = field(default_factory=list)

    def sections(self) -> list[tuple[str, list[DiffItem]]]:
        return [
            ("New failures", self.new_failures),
            ("Fixed", self.fixed),
            ("Still failing", self.still_failing),
            ("Newly partial", self.newly_partial),
            ("Newly not run", self.newly_not_run),
            ("Newly flaky", self.newly_flaky),
        ]


@dataclass(frozen=True)
class _State:
    status: RuleStatus
    title: str
    detail: str


def _states(run: RunResult) -> dict[tuple[ItemKind, str], _State]:
    out: dict[tuple[ItemKind, str], _State] = {}
    for rule in run.rules:
        detail = rule.reason
        if rule.status == "failed" and rule.findings:
            detail = headline(rule.findings[0], 200)
        if rule.waiver:  # still a failure here (a diff compares facts), but say that it is a known one
            detail = f"{waived_label(rule.waiver)}: {detail}"
        elif rule.checks:
            judged, attempted = rule.judged
            detail = f"judged {judged}/{attempted}" + (f": {detail}" if detail else "")
        out[("rule", rule.id)] = _State(rule.status, rule.title, detail)
    for op in run.operations:
        status: RuleStatus = "failed" if op.failures else op.status
        detail = (
            op.reason
            if status == "not_run"
            else (f"{op.failures} of {op.cases} cases failed" if status == "failed" else "")
        )
        out[("operation", f"{op.host} {op.operation}")] = _State(status, op.operation, detail)
    return out


def diff_runs(old: RunResult, new: RunResult) -> RunDiff:
    """Classify every rule and operation of two runs (see the module docstring)."""
    before, after = _states(old), _states(new)
    result = RunDiff(old.run_id, new.run_id, old.verdict, new.verdict)
    for kind, key in list(dict.fromkeys([*after, *before])):
        was, now = before.get((kind, key)), after.get((kind, key))
        state = now or was
        if state is None:  # unreachable: every key comes from one of the two maps
            continue
        was_status = was.status if was else "not_run"
        now_status = now.status if now else "not_run"
        if now_status == "failed":
            item = DiffItem(kind, key, state.title, state.detail)
            (result.still_failing if was_status == "failed" else result.new_failures).append(item)
        elif now_status == "passed" and was_status == "failed":
            result.fixed.append(DiffItem(kind, key, state.title, ""))
        elif now_status == "not_run" and was is not None and was_status != "not_run":
            reason = now.detail if now else "absent from the new run"
            result.newly_not_run.append(DiffItem(kind, key, state.title, reason))
        elif now_status == "partial" and was_status not in ("partial", "failed"):
            result.newly_partial.append(DiffItem(kind, key, state.title, state.detail))
    result.newly_flaky = _newly_flaky(old, new)
    return result


def _newly_flaky(old: RunResult, new: RunResult) -> list[DiffItem]:
    had = {r.id for r in old.rules if r.flaky or any(f.flaky for f in r.findings)}
    out = []
    for rule in new.rules:
        if rule.flaky and rule.id not in had and rule.status != "failed":
            first = rule.flaky[0]
            where = f"{first.host} {first.operation}".strip() or first_line(first.message)
            out.append(DiffItem("rule", rule.id, rule.title, f"{len(rule.flaky)} flaky, first {where}"))
    return out


def has_new_failures(d: RunDiff) -> bool:
    """Whether NEW fails anything OLD did not: the ``--fail-on-new`` gate."""
    return bool(d.new_failures)


def _line(item: DiffItem) -> str:
    title = item.title if item.kind == "rule" else ""
    text = f"{item.key}" + (f" {title}" if title else "")
    return text + (f": {item.detail}" if item.detail else "")


def render_diff_text(d: RunDiff) -> str:
    """Plain text for a terminal or log."""
    out = [f"fdconf diff {d.old_run} -> {d.new_run}: {d.old_verdict} -> {d.new_verdict}"]
    for name, items in d.sections():
        out.append(f"{name} ({len(items)})")
        out += [f"  {_line(item)}" for item in items]
    return "\n".join(out) + "\n"


def render_diff_markdown(d: RunDiff) -> str:
    """Markdown for a CI step summary or a PR comment."""
    gate = "❌ new failures" if has_new_failures(d) else "✅ no new failures"
    out = [
        f"## fd-conformance diff: {gate}",
        "",
        f"`{d.old_run}` ({d.old_verdict}) → `{d.new_run}` ({d.new_verdict})",
        "",
        "| new failures | fixed | still failing | newly partial | newly not run | newly flaky |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {len(d.new_failures)} | {len(d.fixed)} | {len(d.still_failing)} | {len(d.newly_partial)} "
        f"| {len(d.newly_not_run)} | {len(d.newly_flaky)} |",
    ]
    for name, items in d.sections():
        if items:
            out += ["", f"### {name}", ""]
            out += [f"- {_line(item)}" for item in items]
    return "\n".join(out) + "\n"
