"""The reference dataset: ``fixtures/reference-data.yaml`` loaded, expanded and checked.

The fixture is meant to be edited by hand, so every mistake that would make the reference lie about
the contract (an id that is not cid-safe, a ``tc`` repeated within a run, an event of an unknown
partner) is refused here with a message naming the offending entry.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from conformance.ids import PARTNER_RE
from conformance.resources import reference_dataset

PERSONAS = ("primary", "other", "multi", "legacy", "nopartner")


class DatasetError(ValueError):
    """The reference dataset file is malformed; the message names the entry and the fix."""


@dataclass(frozen=True)
class Dataset:
    """The expanded dataset. Events carry ``runs: [{tc_run_id, clusters}]`` after expansion."""

    path: Path
    cognito: dict[str, str]
    partners: list[dict[str, Any]]
    other_groups: list[str]
    users: list[dict[str, Any]]
    events: list[dict[str, Any]]
    messages: list[dict[str, Any]]

    def partner_ids(self) -> list[str]:
        return [p["id"] for p in self.partners]

    def persona(self, name: str) -> dict[str, Any]:
        for user in self.users:
            if user["persona"] == name:
                return user
        raise KeyError(name)


def _cid_safe(value: str) -> bool:
    return "__" not in value and "/" not in value and value == value.strip() and value != ""


def _pick(values: Any, n: int) -> Any:
    if isinstance(values, list):
        return values[n % len(values)]
    return values


def _expand_generated(rule: dict[str, Any], templates: dict[str, Any]) -> list[dict[str, Any]]:
    first = datetime.fromisoformat(str(rule["first_start"]).replace("Z", "+00:00"))
    out = []
    for n in range(int(rule["from"]), int(rule["to"]) + 1):
        start = first + timedelta(days=int(rule.get("days_apart", 1)) * (n - int(rule["from"])))
        event = {
            "id": str(rule["id"]).format(n=n),
            "partner": rule["partner"],
            "title": str(rule["title"]).format(n=n),
            "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "city": _pick(rule["city"], n),
            "venue_name": _pick(rule["venue_name"], n),
            "hall_name": _pick(rule["hall_name"], n),
            "capacity": _pick(rule["capacity"], n),
            "category": _pick(rule["category"], n),
            "runs": [{"tc_run_id": int(rule["run_base"]) + n, "template": rule["template"]}],
        }
        out.append(event)
    return out


def _expand_runs(event: dict[str, Any], templates: dict[str, Any]) -> None:
    runs = []
    for run in event.get("runs", []):
        if "template" in run:
            if run["template"] not in templates:
                raise DatasetError(f"event {event['id']}: unknown cluster template {run['template']!r}")
            clusters = copy.deepcopy(templates[run["template"]])
        else:
            clusters = copy.deepcopy(run.get("clusters", []))
        runs.append({"tc_run_id": int(run["tc_run_id"]), "clusters": clusters})
    event["runs"] = runs


def _check(data: Dataset) -> None:
    partner_ids = set(data.partner_ids())
    for pid in partner_ids:
        if not PARTNER_RE.match(pid):
            raise DatasetError(f"partner {pid!r} does not match {PARTNER_RE.pattern}")
    personas = {u.get("persona") for u in data.users}
    missing = [p for p in PERSONAS if p not in personas]
    if missing:
        raise DatasetError(f"users lack the personas {missing}; add them under `users:`")
    known_groups = partner_ids | set(data.other_groups)
    for user in data.users:
        unknown = [g for g in user.get("groups", []) if g not in known_groups]
        if unknown:
            raise DatasetError(f"user {user['username']}: unknown groups {unknown}")
    seen: set[str] = set()
    for event in data.events:
        eid = event["id"]
        if eid in seen:
            raise DatasetError(f"event id {eid!r} appears twice")
        seen.add(eid)
        if not _cid_safe(eid):
            raise DatasetError(f"event id {eid!r} is not cid-safe (no '__', no '/')")
        if event.get("partner") not in partner_ids:
            raise DatasetError(f"event {eid}: unknown partner {event.get('partner')!r}")
        run_ids = [r["tc_run_id"] for r in event["runs"]]
        if len(set(run_ids)) != len(run_ids):
            raise DatasetError(f"event {eid}: tc_run_id repeated in {run_ids}")
        for run in event["runs"]:
            tcs = [c["tc"] for c in run["clusters"]]
            if len(set(tcs)) != len(tcs):
                raise DatasetError(f"event {eid} run {run['tc_run_id']}: a tc appears twice in {tcs}")
            bad = [tc for tc in tcs if not _cid_safe(tc)]
            if bad:
                raise DatasetError(f"event {eid} run {run['tc_run_id']}: tc {bad} not cid-safe")
        for campaign in event.get("campaigns", []):
            if not any(
                r["tc_run_id"] == campaign["tc_run_id"]
                and any(c["tc"] == campaign["tc"] for c in r["clusters"])
                for r in event["runs"]
            ):
                raise DatasetError(
                    f"event {eid}: campaign {campaign['tc']!r}/{campaign['tc_run_id']} "
                    "names no cluster of the event"
                )
    for message in data.messages:
        if message.get("partner") not in partner_ids:
            raise DatasetError(f"message {message.get('id')}: unknown partner {message.get('partner')!r}")


def load_dataset(path: Path | None = None) -> Dataset:
    """Load, expand and check a dataset file (default: the bundled ``reference-data.yaml``)."""
    source = path or reference_dataset()
    try:
        raw = yaml.load(
            source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetError(f"dataset {source} is unreadable: {exc}") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"dataset {source} is not a YAML mapping")
    try:
        templates = raw.get("cluster_templates", {})
        events = [copy.deepcopy(e) for e in raw.get("events", [])]
        for rule in raw.get("generated_events", []):
            events.extend(_expand_generated(rule, templates))
        for event in events:
            _expand_runs(event, templates)
        data = Dataset(
            path=source,
            cognito={k: str(v) for k, v in raw["cognito"].items()},
            partners=list(raw["partners"]),
            other_groups=[str(g) for g in raw.get("other_groups", [])],
            users=list(raw["users"]),
            events=events,
            messages=list(raw.get("messages", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"dataset {source} is malformed: {exc!r}") from exc
    _check(data)
    return data
