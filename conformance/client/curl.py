"""A curl command line that reproduces one request: copy-paste runnable, and never carrying a secret.

The bearer token is never written: the line reads it from a shell variable instead,
``-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"`` (double quotes, so the shell expands it); any other
header whose value is a secret (``target.headers``) reads ``${FD_HEADER_<NAME>}`` the same way. When the
persona whose token was sent is known, the line ends with a shell comment naming it, e.g.
``# FD_ACCESS_TOKEN: AccessToken of persona primary``. To replay: ``export FD_ACCESS_TOKEN=<token of
that persona>`` first, then paste the line. :func:`runnable` rewrites curl lines made elsewhere
(Schemathesis writes ``Authorization: [Filtered]``, older lines ``***REDACTED***``) the same way.
"""

from __future__ import annotations

import re
import shlex

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
    """``curl …`` for ``request``; ``persona`` names whose token the request carried (if it was one's)."""
    parts = [shlex.join(["curl", "-sS", "-X", request.method])]
    bearer = False
    for name, value in request.headers.multi_items():
        lower = name.lower()
        if lower in _SKIP_HEADERS:
            continue
        if lower == "authorization":
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
