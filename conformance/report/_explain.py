"""``fdconf explain``: what a rule checks, what it needs, where it comes from and how to reproduce it.

:func:`explain_rule` is the one text every report links a rule id to: the CLI prints it, the
certificate carries it inline, SARIF uses it as each rule's ``help``. It is built from the catalogue
(``specs/rules.yaml``: title, rationale, personas, mode, doc page and, where the catalogue lists
them, the ``checks:`` a rule is made of) and, when the caller knows them, the reference defects that
prove the rule fires (the report layer does not import the reference: the CLI passes them in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import yaml

from conformance.resources import rules_file
from conformance.rules import Rule, catalogue

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, where built: ~15x faster

TOKEN_VAR = "FD_ACCESS_TOKEN"


@cache
def _raw_rules() -> dict[str, dict[str, Any]]:
    raw = yaml.load(rules_file().read_text(encoding="utf-8"), Loader=_LOADER) or {}
    return {str(item.get("id")): item for item in raw.get("rules", []) if isinstance(item, dict)}


def required_checks(rule_id: str) -> list[str]:
    """The rule's ``checks:`` from the catalogue as one line each (``[]`` when it lists none).

    Tolerant of the form: a list of strings, or of mappings with an ``id`` and a description
    (``title``, ``what`` or ``description``).
    """
    out = []
    for check in _raw_rules().get(rule_id, {}).get("checks") or []:
        if isinstance(check, Mapping):
            ident = str(check.get("id", "")).strip()
            what = next((str(check[k]) for k in ("title", "what", "description") if check.get(k)), "")
            out.append(f"{ident}: {what}" if ident and what else ident or what)
        else:
            out.append(str(check))
    return [line for line in out if line]


def check_ids(rule_id: str) -> tuple[str, ...]:
    """The ids of the rule's ``checks:`` (strings, or mappings' ``id``), ``()`` when it lists none."""
    out = []
    for check in _raw_rules().get(rule_id, {}).get("checks") or []:
        ident = check.get("id") if isinstance(check, Mapping) else check
        if ident:
            out.append(str(ident))
    return tuple(out)


def _mode_flag(rule: Rule) -> str:
    return "" if rule.mode == "read-only" else f" --mode {rule.mode}"


def reproduce_steps(rule: Rule) -> list[str]:
    """How to see the rule's finding again, on a target and on the bundled reference."""
    return [
        f"fdconf run --config fdconf.toml --rules {rule.id}{_mode_flag(rule)}"
        + (" --no-fuzz" if rule.family != "SCH" else ""),
        f"each finding carries a curl line: export {TOKEN_VAR}=<AccessToken of the persona it names>, "
        "then paste it",
        "fdconf export-tests reports/<run-id> --out tests/regressions  "
        "(one pytest file per finding: fails while the bug exists)",
    ]


def explain_rule(rule: Rule, defects: Mapping[str, str] | None = None) -> str:
    """The explanation of ``rule`` as plain text (see the module docstring).

    ``defects``: reference defect name → what it does, for the defects that break this rule; ``None``
    when the caller cannot know (the line then points to ``fdconf explain``).
    """
    lines = [
        f"{rule.id}: {rule.title}",
        "",
        f"why: {rule.rationale}",
        f"level: {rule.level} · severity: {rule.severity} · "
        + ("required for CERTIFIED" if rule.required else "optional (not needed for CERTIFIED)"),
        f"hosts: {', '.join(rule.hosts)}",
        f"needs: personas {', '.join(rule.personas) or 'none'}; mode {rule.mode} or higher",
        f"doc page: {rule.docs}",
    ]
    checks = required_checks(rule.id)
    if checks:
        lines.append("checks (every one must be judged for the rule to pass):")
        lines += [f"  - {c}" for c in checks]
    if defects is None:
        lines.append(f"proved by: the reference defects `fdconf explain {rule.id}` names")
    elif defects:
        lines.append("proved by (reference defects that make it fail):")
        extra = " --max-examples 10" if rule.family == "SCH" else ""
        lines += [f"  - {name}: {what}  (fdconf run --defect {name} --rules {rule.family}{extra})"
                  for name, what in defects.items()]
    else:
        lines.append("proved by: no reference defect yet")
    lines.append("reproduce a finding:")
    lines += [f"  - {step}" for step in reproduce_steps(rule)]
    return "\n".join(lines)


def catalogue_list(rules: Sequence[Rule] | None = None) -> str:
    """``fdconf explain`` with no rule: one line per rule, then how to read more."""
    items = list(rules if rules is not None else catalogue().values())
    width = max((len(r.id) for r in items), default=6)
    out = [f"{r.id:<{width}}  {r.severity:<8}  {r.mode:<9}  {r.title}" for r in items]
    out += ["", f"{len(items)} rules. `fdconf explain RULE` for one rule's checks, needs and reproduction."]
    return "\n".join(out)
