"""The recorded traffic of one integration session, as the checks read it.

``recording.json`` (saved redacted in the report folder) holds ``{meta, exchanges}``: ``meta`` names
the partner the integration must act for and the sandbox conditions in force; each exchange is one
request either host received (see ``conformance.reference.recording`` for the fields). This module
places each exchange on its documented operation, once, so the checks stay pure and short.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError
from conformance.integration.operations import Operation, OperationIndex, locate, operation_index

RECORDING_FILE = "recording.json"
KIT_BUDGETS = {
    "reads_per_partner": 600,
    "writes_per_partner": 120,
    "sign_ins_and_refreshes": 10,
    "window_seconds": 60.0,
}


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its answer, placed on the operation it was (when it was one)."""

    raw: dict[str, Any]
    surface: str | None  # where it was sent: main | media | cr (None: not under any base)
    rel: str
    op: Operation | None  # the operation on the surface it was sent to
    params: dict[str, str]
    elsewhere: tuple[Operation, ...]  # operations of OTHER surfaces this request would have been

    @property
    def seq(self) -> int:
        return int(self.raw.get("seq", 0))

    @property
    def method(self) -> str:
        return str(self.raw["method"])

    @property
    def status(self) -> int:
        return int(self.raw.get("status", 0))

    @property
    def start(self) -> float:
        return float(self.raw.get("start", 0.0))

    @property
    def end(self) -> float:
        return float(self.raw.get("end", self.start))

    @property
    def fault(self) -> str:
        return str(self.raw.get("fault", ""))

    @property
    def body(self) -> dict[str, Any]:
        return dict(self.raw.get("body") or {})

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.raw.get("response") or {})

    @property
    def template(self) -> str:
        return self.op.template if self.op else ""

    @property
    def authenticated(self) -> bool:
        """Needs a bearer and a partner scope: every operation but status and the auth calls."""
        known = self.op or (self.elsewhere[0] if self.elsewhere else None)
        return known.authenticated if known else True

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two requests the same request (a re-send of it)."""
        raw = self.raw
        return (
            str(raw["host"]),
            self.method,
            str(raw["path"]),
            str(raw.get("query", "")),
            str(raw.get("body_fp", "")),
        )

    def is_op(self, method: str, template: str, surface: str = "main") -> bool:
        return (
            self.op is not None
            and self.op.surface == surface
            and self.op.method == method
            and (self.op.template == template)
        )

    def describe(self) -> str:
        query = f"?{self.raw['query']}" if self.raw.get("query") else ""
        return f"#{self.seq} {self.method} {self.raw['host']}:{self.raw['path']}{query} -> {self.status}"


@dataclass
class Journey:
    """A whole recording: metadata and placed exchanges in arrival order."""

    meta: dict[str, Any]
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def partner_id(self) -> str:
        return str(self.meta.get("partner_id", ""))

    @property
    def token_life(self) -> float | None:
        tokens = (self.meta.get("conditions") or {}).get("tokens") or {}
        life = tokens.get("access_token_seconds") if tokens.get("on") else None
        return float(life) if life is not None else None

    @property
    def budgets(self) -> dict[str, float]:
        conf = (self.meta.get("conditions") or {}).get("budgets") or {}
        return {k: float(conf.get(k, v)) for k, v in KIT_BUDGETS.items()}

    def authenticated(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.authenticated]

    def calls(self, method: str, template: str, surface: str = "main") -> list[Exchange]:
        return [e for e in self.exchanges if e.is_op(method, template, surface)]

    def sign_ins(self) -> list[Exchange]:
        return self.calls("POST", "/auth")

    def refreshes(self) -> list[Exchange]:
        return self.calls("POST", "/auth/refresh_token")


def place(raw: dict[str, Any], index: OperationIndex) -> Exchange:
    """An exchange dict placed on its surface and operation."""
    where = locate(str(raw.get("host", "")), str(raw.get("path", "")))
    found = index.match(where.surface, str(raw["method"]), where.rel) if where.surface else None
    elsewhere = tuple(
        op for op, _ in index.anywhere(str(raw["method"]), where.rel) if op.surface != where.surface
    )
    return Exchange(
        raw=raw,
        surface=where.surface,
        rel=where.rel,
        op=found[0] if found else None,
        params=found[1] if found else {},
        elsewhere=elsewhere,
    )


def journey_from(document: dict[str, Any], index: OperationIndex | None = None) -> Journey:
    """A :class:`Journey` from a recording document ``{meta, exchanges}``."""
    index = index or operation_index()
    exchanges = sorted(
        document.get("exchanges") or [], key=lambda e: (float(e.get("start", 0)), int(e.get("seq", 0)))
    )
    return Journey(meta=dict(document.get("meta") or {}), exchanges=[place(e, index) for e in exchanges])


def load_recording(path: Path) -> dict[str, Any]:
    """A saved recording: ``path`` is the report folder or the ``recording.json`` in it."""
    source = path / RECORDING_FILE if path.is_dir() else path
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"no readable recording at {source}: {exc}",
            "pass the report folder of an `fdconf integration run` (it holds recording.json)",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("exchanges"), list):
        raise ConfigError(
            f"{source} is not an integration recording", "pass the recording.json an integration run saved"
        )
    return data
