"""Waivers: known failures a team accepts for a while, read from ``[[waivers]]`` tables.

A waiver names a rule (and optionally a host, an operation and a check), says why (``reason``,
``ticket``) and until when (``expires``, a date, required). They come from the configuration file
(``[[waivers]]`` in ``fdconf.toml`` / ``[tool.fdconf]``) and from a separate waivers file
(``--waivers FILE`` or ``run.waivers``), which holds only ``[[waivers]]`` tables.

This module only checks the form of each waiver (the schema does the keys, this the dates); whether
the rule and check exist is checked against the catalogue by
:func:`conformance.report.check_waivers`, and matching waivers to findings happens after the
run, in :func:`conformance.report.apply_waivers`.

Dates (specs/README.md, Decisions): ``expires`` is the last day the waiver applies (UTC). An optional
``created`` date records when it was written; ``expires`` before ``created`` (a waiver that was past
its date when it was written) or ``created`` in the future is a one-line :class:`ConfigError`. An
``expires`` that has merely passed by the day of a run is not an error: the waiver no longer applies
and the run says so in one line.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from conformance.config._validate import validate
from conformance.errors import ConfigError


@dataclass(frozen=True)
class Waiver:
    """One accepted failure. ``host``/``operation``/``check`` empty = any; dates are ISO strings."""

    rule: str
    reason: str
    ticket: str
    expires: str
    host: str = ""
    operation: str = ""  # "GET /events/{eid}": the spec's method and path template
    check: str = ""
    created: str = ""
    source: str = ""  # "fdconf.toml waivers[0]": where it was written, for messages

    @property
    def expires_on(self) -> date:
        return date.fromisoformat(self.expires)

    def live_on(self, day: date) -> bool:
        """Whether the waiver applies on ``day`` (its ``expires`` day included)."""
        return day <= self.expires_on

    def label(self) -> str:
        """``TEN-03 main GET /partners/ (JIRA-12)``: which waiver, for one-line messages."""
        scope = " ".join(p for p in (self.rule, self.host, self.operation) if p)
        check = f" check {self.check}" if self.check else ""
        return f"{scope}{check} ({self.ticket})"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _day(value: str, where: str, key: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{where}.{key}: {value!r} is not a date",
                          f"write it as YYYY-MM-DD, e.g. {key} = 2026-12-31") from None


def parse_waivers(entries: Sequence[Mapping[str, Any]], source: str, today: date) -> tuple[Waiver, ...]:
    """Schema-valid ``[[waivers]]`` entries → :class:`Waiver`s; :class:`ConfigError` on a bad date."""
    out = []
    for index, entry in enumerate(entries):
        where = f"{source}: waivers[{index}]"
        expires = _day(str(entry["expires"]), where, "expires")
        created_text = str(entry.get("created", ""))
        if created_text:
            created = _day(created_text, where, "created")
            if created > today:
                raise ConfigError(f"{where}.created: {created} is in the future",
                                  "write the day the waiver was written (today or earlier)")
            if expires < created:
                raise ConfigError(f"{where}.expires: {expires} was already past when the waiver was "
                                  f"written ({created})", "give an expiry date on or after its creation")
        out.append(Waiver(
            rule=str(entry["rule"]).upper(),
            reason=str(entry["reason"]).strip(),
            ticket=str(entry["ticket"]).strip(),
            expires=expires.isoformat(),
            host=str(entry.get("host", "")),
            operation=" ".join(str(entry.get("operation", "")).split()),
            check=str(entry.get("check", "")),
            created=created_text,
            source=f"{source} waivers[{index}]",
        ))
    return tuple(out)


def read_waivers_file(path: Path) -> list[dict[str, Any]]:
    """The ``[[waivers]]`` tables of a separate waivers file, schema-checked (nothing else is allowed)."""
    if not path.is_file():
        raise ConfigError(f"--waivers: no file at {path}", "check the path of the waivers file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})", "check the file exists and is UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})", "fix the syntax at the position shown") from exc
    data = normalise_dates(data)
    extra = sorted(k for k in data if k != "waivers")
    if extra:
        raise ConfigError(f"{path}: unknown key '{extra[0]}' in a waivers file",
                          "a waivers file holds only [[waivers]] tables")
    validate(data, str(path), partial=True)
    waivers: list[dict[str, Any]] = data.get("waivers", [])
    return waivers


def normalise_dates(node: Any) -> Any:
    """TOML dates (``expires = 2026-12-31``) as ISO strings, so the schema sees one form for both spellings.

    A TOML date-time keeps its time part and so fails the schema's date pattern, with a clear message.
    """
    if isinstance(node, dict):
        return {k: normalise_dates(v) for k, v in node.items()}
    if isinstance(node, list):
        return [normalise_dates(v) for v in node]
    if isinstance(node, date):  # datetime is a date too
        return node.isoformat()
    return node


def _toml_string(value: str) -> str:
    # TOML basic strings take JSON's escapes (\", \\, \n, \u and four hex digits).
    return json.dumps(value, ensure_ascii=False)


def append_waiver(path: Path, entry: Mapping[str, str], today: date) -> Waiver:
    """Append one ``[[waivers]]`` table to ``path`` (created if missing), written today.

    This is where "in the past at creation" is checked literally: ``created`` is set to ``today``, so an
    ``expires`` before today is a :class:`ConfigError` and nothing is written.
    """
    fields = {k: v for k, v in entry.items() if v}
    fields["created"] = today.isoformat()
    validate({"waivers": [fields]}, "fdconf waive", partial=True)
    (waiver,) = parse_waivers([fields], "fdconf waive", today)
    if path.is_file() and path.name != "fdconf.toml":
        read_waivers_file(path)  # an existing waivers file must stay valid: refuse to append to junk
    order = ("rule", "host", "operation", "check", "reason", "ticket", "expires", "created")
    lines = ["", "[[waivers]]"]
    for key in order:
        if key in fields:
            value = fields[key] if key in ("expires", "created") else _toml_string(fields[key])
            lines.append(f"{key} = {value}")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return waiver
