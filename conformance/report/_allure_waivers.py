"""Waivers in Allure results: allure-pytest wrote each test's result before the run knew which failures
are waived, so once :func:`conformance.report._waivers.apply_waivers` has run, the failed results of a
waived rule get the waiver's "failed (waived: …)" line at the top of their message and a ``waived``
tag. Their status stays ``failed``, as everywhere else (specs/README.md, Decisions W1).
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.report._model import RunResult
from conformance.report._waivers import waived_label

WAIVED_TAG = {"name": "tag", "value": "waived"}


def mark_waived(results_dir: Path, result: RunResult) -> int:
    """Mark the failed Allure results of every waived rule of ``result``; returns the files changed."""
    labels = {rule.id: waived_label(rule.waiver) for rule in result.rules if rule.waiver}
    failing = {rule.id for rule in result.rules if rule.status == "failed" and not rule.waiver}
    if not labels or not Path(results_dir).is_dir():
        return 0
    changed = 0
    for path in sorted(Path(results_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if data.get("status") not in ("failed", "broken"):
            continue
        stories = [lb.get("value") for lb in data.get("labels", []) if lb.get("name") == "story"]
        waived = [labels[s] for s in stories if s in labels]
        # A test carrying evidence for several rules stays unmarked if one of them failed unwaived.
        if not waived or any(s in failing for s in stories):
            continue
        details = data.setdefault("statusDetails", {})
        details["message"] = "\n".join([*dict.fromkeys(waived), details.get("message", "")]).rstrip()
        if WAIVED_TAG not in data.setdefault("labels", []):
            data["labels"].append(WAIVED_TAG)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        changed += 1
    return changed
