"""``fdconf export-tests``: each confirmed finding of a run as a small, standalone pytest file.

A finding is exported when its rule failed (waived or not: the bug is still there), it carries a
curl line of one read (GET/HEAD), and what the rule expected can be asserted on the status alone:
``expected`` starts with a status (``403 …``, ``401 or 403``, ``2xx``), or the rule is SCH-01 (no
5xx), and the status the run received is not one of those. Everything else is listed with the
reason it was not exported (a write: replaying it would change the target and its sandbox is gone;
an expectation about bodies or several requests: the run's own scenario is the test for it).

The generated file uses plain httpx. Like the curl line, it reads the persona's AccessToken from the
environment: ``FDCONF_PERSONA_<NAME>_TOKEN`` (the persona's static-token variable), else
``FD_ACCESS_TOKEN``; the base URL from ``FD_BASE_URL`` / ``CR_BASE`` / ``FD_MEDIA_BASE`` (default: the
run's). It asserts the expected status and shows the run's received answer when it fails.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path
from string import Template

from conformance.report._model import FindingRecord, RunResult

BASE_VARS = {"main": "FD_BASE_URL", "cr": "CR_BASE", "media": "FD_MEDIA_BASE"}
TOKEN_VAR = "FD_ACCESS_TOKEN"
READS = ("GET", "HEAD")
_STATUS = r"(?:[1-5]\d\d|[1-5]xx)"
_EXPECTED = re.compile(rf"^\s*({_STATUS}(?:\s*(?:,|/|or)\s*{_STATUS})*)(?![\w.])")
_PERSONA = re.compile(r"#\s*" + TOKEN_VAR + r": AccessToken of persona (\w+)")
_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_NO_5XX_RULE = "SCH-01"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str | None


@dataclass(frozen=True)
class Export:
    """One finding's outcome: the file written, or why not."""

    finding: FindingRecord
    path: Path | None = None
    skipped: str = ""


def parse_curl(line: str) -> Request | None:
    """The request of a curl line as the suite and Schemathesis write them; ``None`` if it is not one."""
    try:
        argv = shlex.split(line, comments=True)
    except ValueError:
        return None
    if not argv or argv[0] != "curl":
        return None
    method, url, body = "GET", "", None
    headers: list[tuple[str, str]] = []
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-X", "--request"):
            method = next(args, "GET").upper()
        elif arg in ("-H", "--header"):
            name, _, value = next(args, "").partition(":")
            headers.append((name.strip(), value.strip()))
        elif arg in ("-d", "--data", "--data-raw", "--data-binary"):
            body = next(args, "")
            method = method if "-X" in argv or "--request" in argv else "POST"
        elif arg.startswith("-"):
            continue  # -sS, -i, --insecure …: output options, not part of the request
        else:
            url = arg
    return Request(method, url, headers, body) if url else None


def expected_statuses(finding: FindingRecord) -> tuple[str, ...]:
    """``("403",)``, ``("401", "403")`` or ``("2xx",)`` from ``expected``; ``("<500",)`` for SCH-01;
    else ``()``."""
    match = _EXPECTED.match(finding.expected or "")
    if match:
        return tuple(re.findall(_STATUS, match.group(1)))
    return ("<500",) if finding.rule_id == _NO_5XX_RULE else ()


def status_ok(status: int, expected: tuple[str, ...]) -> bool:
    """Whether ``status`` meets ``expected`` (the same test the generated file makes)."""
    for want in expected:
        if want == "<500" and status < 500:
            return True
        if want.endswith("xx") and str(status)[0] == want[0]:
            return True
        if want == str(status):
            return True
    return False


def _received_status(finding: FindingRecord) -> int | None:
    match = re.match(r"^\s*(?:HTTP )?([1-5]\d\d)\b", finding.received or finding.response or "")
    return int(match.group(1)) if match else None


def _base_of(url: str, targets: dict[str, str]) -> tuple[str, str, str]:
    """``(host, base, rest)`` for the longest run base prefixing ``url``; ``("", "", url)`` if none."""
    hits = [(len(b.rstrip("/")), h, b.rstrip("/")) for h, b in targets.items()
            if b and (url == b.rstrip("/") or url.startswith(b.rstrip("/") + "/"))]
    if not hits:
        return "", "", url
    _, host, base = max(hits)
    return host, base, url[len(base):]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "request"


def _why_not(finding: FindingRecord, request: Request | None, expected: tuple[str, ...]) -> str:
    if not finding.curl:
        return "no curl line (the finding is not one request)"
    if request is None:
        return "its curl line could not be read"
    if request.method not in READS:
        return f"a write ({request.method}): replaying it would change the target, and its sandbox is gone"
    if not expected:
        return f"the expectation is not a status ({finding.expected[:60]!r}): the run's scenario is its test"
    received = _received_status(finding)
    if received is not None and status_ok(received, expected):
        return f"the received status {received} already meets {'/'.join(expected)}: the bug is in the body"
    return ""


def _python(value: object) -> str:
    return repr(value)


# The fixed part of every exported file; the constants above it carry the finding.
_BODY = Template('''

def _env(*names: str) -> str:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    pytest.fail(f"export {names[0]}=<value> first (see the module docstring)")


def _meets(status: int) -> bool:
    return any(
        (want == "<500" and status < 500)
        or (want.endswith("xx") and str(status)[0] == want[0])
        or want == str(status)
        for want in EXPECTED
    )


def $test() -> None:
    headers = dict(HEADERS)
$headers
    response = httpx.request(METHOD, BASE + PATH, headers=headers, content=$content, timeout=30)
    assert _meets(response.status_code), (
        f"{RULE}: expected $want, received {response.status_code} {response.text[:200]!r} "
        f"(the run received: {RECEIVED})"
    )
''')


def render_test(finding: FindingRecord, request: Request, expected: tuple[str, ...], result: RunResult,
                name: str) -> str:
    """The text of one exported test file."""
    host, base, rest = _base_of(request.url, result.targets)
    persona_match = _PERSONA.search(finding.curl)
    persona = persona_match.group(1) if persona_match else ""
    headers: list[tuple[str, str]] = []
    env_headers: list[tuple[str, str, str]] = []  # (name, template, variable)
    needs_token = False
    for key, value in request.headers:
        variables = _VAR.findall(value)
        if TOKEN_VAR in variables:
            needs_token = True
            env_headers.append((key, value.replace("${" + TOKEN_VAR + "}", "{token}"), TOKEN_VAR))
        elif variables:
            env_headers.append((key, value.replace("${" + variables[0] + "}", "{value}"), variables[0]))
        else:
            headers.append((key, value))
    token_vars = [f"FDCONF_PERSONA_{persona.upper()}_TOKEN"] if persona else []
    token_vars.append(TOKEN_VAR)
    base_var = BASE_VARS.get(host, "FD_BASE_URL")
    want = " or ".join("a status below 500" if e == "<500" else e for e in expected)
    message = finding.message.splitlines()[0][:300] if finding.message else ""
    doc = [
        f"Regression test for a {finding.rule_id} finding of fd-conformance run {result.run_id}.",
        "",
        *textwrap.wrap(f"{finding.rule_id}: {message}", 100),
        *textwrap.wrap(f"The run expected {finding.expected or want} and received "
                       f"{finding.received[:200] or '?'}.", 100),
        "",
        "Fails while the bug exists, passes once it is fixed.",
    ]
    if needs_token:
        whose = f"persona {persona}" if persona else "the persona the run used"
        doc.append(f"Needs the AccessToken of {whose}: export {token_vars[0]}=<token>"
                   + (f" (or {TOKEN_VAR})" if len(token_vars) > 1 else "") + ".")
    doc += [f"Target: ${base_var} (default: the run's {base or request.url}).",
            f"More: fdconf explain {finding.rule_id}", "", "By hand:", f"    {finding.curl}"]
    lines = [
        '"""' + "\n".join(doc).replace("\\", "\\\\").replace('"""', "'''") + '\n"""',
        "",
        "from __future__ import annotations",
        "",
        "import os",
        "",
        "import httpx",
        "import pytest",
        "",
        f"RULE = {_python(finding.rule_id)}",
        f"METHOD = {_python(request.method)}",
        f"BASE = os.environ.get({_python(base_var)}) or {_python(base)}" if base
        else f"BASE = {_python('')}",
        f"PATH = {_python(rest)}",
        f"HEADERS = {_python(dict(headers))}",
        f"EXPECTED = {_python(expected)}  # statuses; '2xx' a class, '<500' anything but a 5xx",
        f"RECEIVED = {_python(finding.received[:300])}",
    ]
    sets = []
    for key, template, var in env_headers:
        names = tuple(token_vars) if var == TOKEN_VAR else (var,)
        field = "token" if var == TOKEN_VAR else "value"
        sets.append(f"    headers[{key!r}] = {template!r}.format({field}=_env(*{names!r}))")
    body = _BODY.substitute(test=f"test_{_slug(finding.rule_id)}_{name}", headers="\n".join(sets),
                            content=repr(request.body), want=want)
    lines.append(body)
    return "\n".join(lines)


def export_tests(result: RunResult, out: Path) -> list[Export]:
    """Write one test file per exportable finding of ``result`` into ``out``; every finding's outcome."""
    out.mkdir(parents=True, exist_ok=True)
    done: list[Export] = []
    used: set[str] = set()
    for rule in result.rules:
        if rule.status != "failed":
            continue
        for finding in rule.findings:
            request = parse_curl(finding.curl) if finding.curl else None
            expected = expected_statuses(finding)
            why = _why_not(finding, request, expected)
            if why or request is None:
                done.append(Export(finding, skipped=why or "its curl line could not be read"))
                continue
            _, _, rest = _base_of(request.url, result.targets)
            stem = f"{_slug(request.method + ' ' + rest.split('?')[0])}"
            name, n = stem, 1
            while f"{finding.rule_id}-{name}" in used:
                n += 1
                name = f"{stem}_{n}"
            used.add(f"{finding.rule_id}-{name}")
            path = out / f"test_{_slug(finding.rule_id)}_{name}.py"
            path.write_text(render_test(finding, request, expected, result, name), encoding="utf-8")
            done.append(Export(finding, path=path))
    return done
