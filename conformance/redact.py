"""Redaction of secrets before anything is written, logged or attached.

A shared leaf used by the HTTP client (curl lines, recorded exchanges) and by every report writer.
Two layers: structural (known header and field names are masked wherever they appear) and literal
(every secret value registered at run time is replaced, wherever it appears in text).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***REDACTED***"
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "apikey"})
SECRET_FIELDS = frozenset(
    {"password", "accesstoken", "idtoken", "refreshtoken", "token", "access_token", "refresh_token",
     "id_token", "session", "new_password"}
)
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_FIELD_RE = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*)"[^"]*"', re.IGNORECASE
)
# A shell variable reference (``${FD_ACCESS_TOKEN}``) is a placeholder in a reproduction line, never a
# secret: it is left alone so the line stays copy-paste runnable.
_PLACEHOLDER = r"\$\{[A-Za-z_][A-Za-z0-9_]*\}(?![A-Za-z0-9._~+/=-])"
# Prose about the scheme ("read the bearer token from …") is not a credential: the words that follow
# "bearer" in a sentence are left alone, so redaction never rewrites the suite's own text.
_PROSE = (r"(?:token|tokens|scheme|header|headers|prefix|auth|authentication|authorization|credential)"
          r"(?=[\s,.;:)]|$)")
_BEARER_RE = re.compile(r"(Bearer\s+)(?!" + _PLACEHOLDER + r")(?!" + _PROSE + r")[^\s'\"]+", re.IGNORECASE)


class Redactor:
    """Masks secrets in text. Thread-safe; secrets are registered as they become known."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        # Very short values would mask unrelated text; passwords shorter than 4 chars are not ours.
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def secrets(self) -> list[str]:
        """A snapshot of the registered secrets (for handing them to another process's redactor)."""
        with self._lock:
            return sorted(self._secrets)

    def text(self, value: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            value = value.replace(secret, MASK)
        value = _JWT_RE.sub(MASK, value)
        value = _BEARER_RE.sub(lambda m: m.group(1) + MASK, value)
        return _FIELD_RE.sub(lambda m: m.group(1) + f'"{MASK}"', value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (name, MASK if name.lower() in SECRET_HEADERS else self.text(value)) for name, value in headers
        ]


#: The process-wide redactor: auth registers every password and token it sees here.
REDACTOR = Redactor()
