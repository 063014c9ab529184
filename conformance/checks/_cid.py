"""CID-01 and CID-03: campaign keys, cid composition and the cid-safety of issued ids.

A cid is computed client-side from ``(tc_run_id, eid, tc)`` with a template, by default
``{tc_run_id}__{eid}__{tc}`` (CONTRACT §3; the old glossary used ``{tc_run_id}_{eid}_{tc}``). It only
parses back if no part contains one of the template's separators, which is why every id the API
issues must be *cid-safe*: free of every separator of the template and of ``/``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from conformance.errors import Finding

DEFAULT_TEMPLATE = "{tc_run_id}__{eid}__{tc}"
FIELDS = ("tc_run_id", "eid", "tc")
#: JSON keys that hold ids the API issues (spec markers, where present, replace this guess).
DEFAULT_ID_KEYS = frozenset(
    {"id", "eid", "tc", "tc_run_id", "cid", "audience_id", "task_id", "partner_id", "campaign_event_series"}
)


@dataclass(frozen=True)
class CidTemplate:
    """A cid template: ``compose`` the parts, ``parse`` them back, judge whether ids are safe in it."""

    template: str = DEFAULT_TEMPLATE

    def __post_init__(self) -> None:
        names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        if sorted(names) != sorted(FIELDS):
            raise ValueError(f"cid template {self.template!r} must use each of {', '.join(FIELDS)} once")
        if any(not lit for lit in self.separators):
            raise ValueError(f"cid template {self.template!r} needs a separator between every two parts")

    @property
    def separators(self) -> tuple[str, ...]:
        """Literal text between the fields (leading/trailing literals are not separators)."""
        parts = list(string.Formatter().parse(self.template))
        return tuple(literal for literal, _, _, _ in parts[1:])

    @property
    def _regex(self) -> re.Pattern[str]:
        pattern = ""
        for literal, name, _, _ in string.Formatter().parse(self.template):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>.+?)"
        return re.compile(f"^{pattern}$")

    def compose(self, tc_run_id: Any, eid: Any, tc: Any) -> str:
        return self.template.format(tc_run_id=tc_run_id, eid=eid, tc=tc)

    def parse(self, cid: str) -> tuple[str, str, str] | None:
        """``(tc_run_id, eid, tc)`` as strings, or ``None`` when ``cid`` does not fit the template."""
        match = self._regex.match(cid)
        if not match:
            return None
        return match.group("tc_run_id"), match.group("eid"), match.group("tc")

    def unsafe_part(self, value: Any) -> str | None:
        """The separator (or ``/``) ``value`` contains, or ``None`` when it is cid-safe."""
        text = str(value)
        for sep in (*sorted(set(self.separators), key=len, reverse=True), "/"):
            if sep in text:
                return sep
        return None

    def round_trips(self, tc_run_id: Any, eid: Any, tc: Any) -> bool:
        return self.parse(self.compose(tc_run_id, eid, tc)) == (str(tc_run_id), str(eid), str(tc))


def issued_ids(
    body: Any, id_keys: Iterable[str] = DEFAULT_ID_KEYS, path: str = "$"
) -> Iterator[tuple[str, Any]]:
    """``(json_path, value)`` of every id-valued field in a JSON body (arrays of ids included)."""
    keys = frozenset(id_keys)
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}"
            if key in keys and key != "cid":
                if isinstance(value, str | int) and not isinstance(value, bool):
                    yield where, value
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, str | int) and not isinstance(item, bool):
                            yield f"{where}[{i}]", item
                        else:
                            yield from issued_ids(item, keys, f"{where}[{i}]")
                else:
                    yield from issued_ids(value, keys, where)
            else:
                yield from issued_ids(value, keys, where)
    elif isinstance(body, list):
        for i, item in enumerate(body):
            yield from issued_ids(item, keys, f"{path}[{i}]")


def cid_problems(body: Any, template: CidTemplate, id_keys: Iterable[str] = DEFAULT_ID_KEYS) -> list[str]:
    """CID-03 over a JSON body: unsafe ids, and ``cid`` fields that differ from their triple."""
    problems = []
    for where, value in issued_ids(body, id_keys):
        sep = template.unsafe_part(value)
        if sep is not None:
            problems.append(f"{where} = {value!r} contains {sep!r}, so its cid cannot be parsed back")
    for where, obj in _objects(body):
        if "cid" in obj and all(f in obj for f in FIELDS):
            want = template.compose(obj["tc_run_id"], obj["eid"], obj["tc"])
            if obj["cid"] != want:
                problems.append(f"{where}.cid = {obj['cid']!r}, its triple composes to {want!r}")
    return problems


def check_cid_safety(
    body: Any,
    template: CidTemplate,
    *,
    where: str = "",
    curl: str = "",
    id_keys: Iterable[str] = DEFAULT_ID_KEYS,
    rule_id: str = "CID-03",
) -> None:
    problems = cid_problems(body, template, id_keys)
    if problems:
        raise Finding(
            rule_id,
            f"ids are not cid-safe{' in ' + where if where else ''}: "
            + "; ".join(problems[:5])
            + (f" (+{len(problems) - 5} more)" if problems[5:] else ""),
            expected=f"ids without {', '.join(map(repr, set(template.separators)))} or '/'; "
            f"cid == {template.template}",
            curl=curl,
        )


def campaign_problems(campaign: Any, eid: str, series: Iterable[Any] = ()) -> list[str]:
    """CID-01 for one campaign listed under event ``eid``: carries eid, tc and an integer tc_run_id.

    Its ``eid`` must be the event's own or one of its ``series`` members (the campaigns list of an
    event includes its series members' campaigns).
    """
    if not isinstance(campaign, dict):
        return [f"campaign is a JSON {type(campaign).__name__}, not an object"]
    problems = [f"campaign lacks `{f}`" for f in ("eid", "tc", "tc_run_id") if f not in campaign]
    if "tc_run_id" in campaign and (
        not isinstance(campaign["tc_run_id"], int) or isinstance(campaign["tc_run_id"], bool)
    ):
        problems.append(f"`tc_run_id` is {campaign['tc_run_id']!r}, not an integer")
    if "tc" in campaign and (not isinstance(campaign["tc"], str) or not campaign["tc"]):
        problems.append(f"`tc` is {campaign['tc']!r}, not a non-empty string")
    allowed = {str(eid), *(str(s) for s in series)}
    if "eid" in campaign and str(campaign["eid"]) not in allowed:
        problems.append(f"`eid` is {campaign['eid']!r} on a campaign listed under event {eid!r}")
    return problems


def _objects(body: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(body, dict):
        yield path, body
        for key, value in body.items():
            yield from _objects(value, f"{path}.{key}")
    elif isinstance(body, list):
        for i, item in enumerate(body):
            yield from _objects(item, f"{path}[{i}]")
