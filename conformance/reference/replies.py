"""What handlers return: :class:`Reply` on success, :class:`ApiError` (raised) on failure.

Every error leaves the reference as the envelope of CONTRACT §5:
``{"message": "error.<area>.<key>", "error_code": ..., "validation_errors": [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """A successful answer: status, JSON body (``None``: no body, e.g. 204) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"


class ApiError(Exception):
    """An error answer. ``message`` is the i18n key, ``error_code`` the stable machine code."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        *,
        validation_errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.error_code = error_code
        self.validation_errors = validation_errors
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "error_code": self.error_code, "error_subcode": None}
        if self.validation_errors is not None:
            out["validation_errors"] = self.validation_errors
        return out


def unauthenticated(reason: str = "invalid") -> ApiError:
    keys = {
        "missing": ("error.auth.token_missing", "TOKEN_MISSING"),
        "expired": ("error.auth.token_expired", "TOKEN_EXPIRED"),
        "invalid": ("error.auth.token_invalid", "TOKEN_INVALID"),
    }
    message, code = keys.get(reason, keys["invalid"])
    return ApiError(401, message, code, headers={"WWW-Authenticate": 'Bearer realm="fd-client-api"'})


def header_required() -> ApiError:
    return ApiError(400, "error.partner.header_required", "PARTNER_HEADER_REQUIRED")


def not_authorized() -> ApiError:
    return ApiError(403, "error.auth.not_authorized", "NOT_AUTHORIZED")


def not_found(area: str = "event") -> ApiError:
    return ApiError(404, f"error.{area}.not_found", f"{area.upper()}_NOT_FOUND")


def conflict(area: str, key: str) -> ApiError:
    return ApiError(409, f"error.{area}.{key}", f"{area.upper()}_{key.upper()}")


def invalid(
    errors: list[dict[str, Any]], message: str = "error.request.invalid", code: str = "VALIDATION_ERROR"
) -> ApiError:
    return ApiError(400, message, code, validation_errors=errors)


def field_error(field_name: str, code: str, detail: str) -> dict[str, Any]:
    """One ``validation_errors`` entry: where, a stable code, and a human sentence."""
    return {"field": field_name, "code": code, "message": detail}
