"""A curl command line that reproduces one request: copy-paste runnable, and never carrying a secret.

The bearer token is never written: the line reads it from a shell variable instead,
``-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"`` (double quotes, so the shell expands it); any other
header whose value is a secret (``target.headers``) reads ``${FD_HEADER_<NAME>}`` the same way. When the
persona whose token was sent is known, the line ends with a shell comment naming it, e.g.
``# FD_ACCESS_TOKEN: AccessToken of persona primary``. To replay: ``export FD_ACCESS_TOKEN=<token of
that persona>`` first, then paste the line. :func:`runnable` rewrites curl lines made elsewhere
(Schemathesis writes ``Authorization: [Filtered]``, older lines ``***REDACTED***``) the same way.

Which credential a request carried is read from the token itself, not from who built the request:
every token the run obtains or forges is registered in :data:`CREDENTIALS` with the shell variable
that stands for it and whose it is. A persona's AccessToken reads ``${FD_ACCESS_TOKEN}``; a deliberately
bad one (AUTH-01's variants) reads its own variable, e.g. ``${FD_EXPIRED_TOKEN}``, and the line's
comment says how to make it: ``# FD_EXPIRED_TOKEN: expired AccessToken of persona primary`` (a value
the user supplies) or ``# FD_GARBAGE_TOKEN=not-a-jwt`` (a shell value to export as written).
"""

from __future__ import annotations

import re
import shlex
import threading
from dataclasses import dataclass

import httpx

from conformance.redact import MASK, REDACTOR, Redactor

TOKEN_VAR = "FD_ACCESS_TOKEN"
PLACEHOLDER = f"${{{TOKEN_VAR}}}"
BEARER_ARG = f'-H "Authorization: Bearer {PLACEHOLDER}"'

_SKIP_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})
_HIDDEN = re.escape(MASK) + r"|\[Filtered\]"
_MASKED_AUTH = re.compile(
    r"""-H\s+(['"])authorization:\s*(?:bearer\s+)?(?:""" + _HIDDEN + r""")\1""", re.IGNORECASE
)
_COMMENT = "  # "
# Any other header whose value was masked (target.headers: a proxy's key) reads its value from a shell
# variable named after it, e.g. X-Proxy-Key -> ${FD_HEADER_X_PROXY_KEY}.
_MASKED_OTHER = re.compile(r"""-H\s+(['"])([A-Za-z0-9][A-Za-z0-9-]*):\s*(?:""" + _HIDDEN + r""")\1""")


def header_var(name: str) -> str:
    """The shell variable a curl line reads a secret header's value from."""
    return "FD_HEADER_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def _secret_header_arg(name: str) -> str:
    return f'-H "{name}: ${{{header_var(name)}}}"'


def persona_comment(persona: str) -> str:
    """The trailing shell comment naming whose token ``${FD_ACCESS_TOKEN}`` must hold."""
    return f"{_COMMENT}{TOKEN_VAR}: AccessToken of persona {persona}" if persona else ""


@dataclass(frozen=True)
class Credential:
    """What a token stands for in a reproduction line.

    ``variable``: the shell variable the line reads it from. ``what``: the kind of token, said of
    ``persona`` ("expired AccessToken" → "expired AccessToken of persona primary"). ``recipe``: a shell
    value that makes it (``not-a-jwt``, ``"${FD_ACCESS_TOKEN%????????????}"``), when there is one.
    """

    variable: str
    persona: str
    what: str = "AccessToken"
    recipe: str = ""
    how: str = ""  # where to get one, when there is no recipe

    def comment(self) -> str:
        """The line's trailing comment: how to set every variable this credential needs."""
        parts = []
        if self.variable != TOKEN_VAR and TOKEN_VAR in self.recipe:  # made from the persona's token
            parts.append(persona_comment(self.persona))
        if self.recipe:
            parts.append(f"{_COMMENT}{self.variable}={self.recipe}")
        else:
            whose = f" of persona {self.persona}" if self.persona else ""
            how = f" ({self.how})" if self.how else ""
            parts.append(f"{_COMMENT}{self.variable}: {self.what}{whose}{how}")
        return "".join(parts)


class CredentialBook:
    """Token value → :class:`Credential`, filled as tokens are obtained or forged. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, Credential] = {}

    def add(self, token: str | None, credential: Credential) -> None:
        if token:
            with self._lock:
                self._known[token] = credential

    def persona_token(self, token: str | None, persona: str) -> None:
        """Register ``token`` as ``persona``'s own AccessToken (``${FD_ACCESS_TOKEN}``)."""
        self.add(token, Credential(TOKEN_VAR, persona))

    def get(self, token: str) -> Credential | None:
        with self._lock:
            return self._known.get(token)


#: The process-wide book: the auth sessions and the AUTH scenarios register every token they send.
CREDENTIALS = CredentialBook()


def _known_arg(value: str) -> tuple[str, Credential] | None:
    """The header argument and credential of a registered token, sent with or without its scheme."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and (known := CREDENTIALS.get(token.strip())) is not None:
        return f'-H "Authorization: Bearer ${{{known.variable}}}"', known
    if (known := CREDENTIALS.get(value.strip())) is not None:
        return f'-H "Authorization: ${{{known.variable}}}"', known
    return None


def _auth_arg(value: str, redactor: Redactor) -> str:
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return BEARER_ARG
    if redactor.text(value) == value:  # not a secret (a deliberately malformed value): keep it
        return shlex.join(["-H", f"Authorization: {value}"])
    # A token sent with another scheme, or none (a malformed-header probe): same variable, same shape.
    if token and redactor.text(scheme) == scheme:
        return f'-H "Authorization: {scheme} {PLACEHOLDER}"'
    return f'-H "Authorization: {PLACEHOLDER}"'


def curl_line(request: httpx.Request, redactor: Redactor = REDACTOR, *, persona: str = "") -> str:
    """``curl …`` for ``request``. A token registered in :data:`CREDENTIALS` names its own variable and
    persona; otherwise ``persona`` names whose token the request carried (if it was one's)."""
    parts = [shlex.join(["curl", "-sS", "-X", request.method])]
    bearer = False
    credential: Credential | None = None
    for name, value in request.headers.multi_items():
        lower = name.lower()
        if lower in _SKIP_HEADERS:
            continue
        if lower == "authorization":
            known = _known_arg(value)
            if known is not None:
                arg, credential = known
            else:
                arg = _auth_arg(value, redactor)
                bearer = bearer or arg == BEARER_ARG
            parts.append(arg)
            continue
        ((_, shown),) = redactor.headers([(name, value)])
        if shown != value and redactor.text(value) == MASK:  # the whole value is a secret
            parts.append(_secret_header_arg(name))
            continue
        parts.append(shlex.join(["-H", f"{name}: {shown}"]))
    body = request.content
    if body:
        parts.append(shlex.join(["--data-binary", redactor.text(body.decode("utf-8", "replace"))]))
    parts.append(shlex.quote(redactor.text(str(request.url))))
    if credential is not None:  # the token says whose it is: it wins over the caller's guess
        return " ".join(parts) + credential.comment()
    return " ".join(parts) + (persona_comment(persona) if bearer else "")


def runnable(line: str, persona: str = "") -> str:
    """``line`` with a masked Authorization header replaced by the ``${FD_ACCESS_TOKEN}`` placeholder.

    ``persona`` (when given) is named in a trailing comment of a line that reads ``${FD_ACCESS_TOKEN}``
    and names nobody yet. Anything that is not a curl command comes back unchanged.
    """
    stripped = line.strip()
    if not stripped.startswith("curl "):
        return line
    # The API has one scheme (Bearer): a masked value, with or without the scheme, was a bearer token.
    out = _MASKED_AUTH.sub(lambda _m: BEARER_ARG, stripped)
    out = _MASKED_OTHER.sub(lambda m: _secret_header_arg(m.group(2)), out)
    if persona and BEARER_ARG in out and _COMMENT + TOKEN_VAR not in out:
        out += persona_comment(persona)
    return out if out != stripped else line
