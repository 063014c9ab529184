"""A finding's curl line reproduces it: replayed against the defect that made it, the finding shows again.

Per rule family: run the reference with one defect, ``fdconf run --rules X --defect D --no-fuzz``, take
the first finding's curl line from ``results.json``, set the variables its ``export`` hint names (tokens
obtained by signing in as the persona the line names; an expired token from the reference; shell
recipes run as written) and run the line verbatim in bash. The answer must be the one the finding
recorded, and against the clean reference the same line must get what the rule expects (so the replay
really tells the defect apart, and the line carries the credential that matters).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import engine
from conformance.report.grouping import reproduce_hint

CASES = [
    ("AUTH-01", "auth-accept-expired"),   # an expired token is accepted: ${FD_EXPIRED_TOKEN}
    ("TEN-01", "ten-multi-default-partner"),  # persona multi without the header: multi's token
    ("OBJ-01", "obj-foreign-eid-readable"),   # primary reads the other tenant's event
    ("TEN-03", "ten-foreign-header-accepted"),  # primary with another tenant's partner header
    ("ERR-01", "err-plain-text-404"),
]
_NEEDED = re.compile(r"(FD_[A-Z0-9_]+)=<([^>]*)>")
_PERSONA = re.compile(r"of persona (\w+)")


def _status(text: str) -> int | None:
    match = re.match(r"\s*(\d{3})\b", text)
    return int(match.group(1)) if match else None


def _sign_in(stack: Any, persona: str) -> str:
    info = stack.personas[persona]
    answer = httpx.post(stack.main_base + "/auth", json={"username": info["username"],
                                                         "password": info["password"]}, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["AccessToken"])


def _value(stack: Any, variable: str, description: str) -> str:
    """The real value of a variable the hint describes (``<AccessToken of persona multi>``)."""
    persona = _PERSONA.search(description)
    assert persona, f"the hint does not say whose {variable} it is: {description}"
    if variable == "FD_ACCESS_TOKEN":
        return _sign_in(stack, persona.group(1))
    if variable == "FD_EXPIRED_TOKEN":
        return str(stack.personas[persona.group(1)]["expired_token"])
    raise AssertionError(f"no way to make {variable} ({description})")


def _exports(hint: str, stack: Any) -> str:
    """The hint's export statements with every ``<description>`` replaced by a real value."""
    statements = hint.removesuffix(" first")
    return _NEEDED.sub(lambda m: f"{m.group(1)}={shlex.quote(_value(stack, m.group(1), m.group(2)))}",
                       statements)


def _replay(curl: str, exports: str, tmp: Path) -> tuple[int, str]:
    """Run ``curl`` verbatim after ``exports``: with the curl program when installed, else parsed."""
    body = tmp / "body"
    if shutil.which("curl") and shutil.which("bash"):
        # A wrapper records status and body; the line itself is pasted unchanged (comment included).
        script = (f"curl() {{ command curl -o {shlex.quote(str(body))} -w '%{{http_code}}' \"$@\"; }}\n"
                  f"{exports + chr(10) if exports else ''}{curl}\n")
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("FD_")}
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                              check=False, env=clean_env)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip()[-3:]), body.read_text(encoding="utf-8", errors="replace")
    return _replay_parsed(curl, exports)


def _replay_parsed(curl: str, exports: str) -> tuple[int, str]:
    env: dict[str, str] = {}
    for statement in filter(None, (s.strip() for s in exports.split("; "))):
        for assignment in shlex.split(statement.removeprefix("export ")):
            name, _, value = assignment.partition("=")
            env[name] = value
    words = shlex.split(curl.split("  # ", 1)[0])
    method, headers, content, url = "GET", {}, None, ""
    expand: Callable[[str], str] = lambda s: re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], s)  # noqa: E731
    i = 1
    while i < len(words):
        word = words[i]
        if word == "-X":
            method, i = words[i + 1], i + 1
        elif word == "-H":
            name, _, value = words[i + 1].partition(":")
            headers[name.strip()] = expand(value.strip())
            i += 1
        elif word == "--data-binary":
            content, i = words[i + 1].encode(), i + 1
        elif not word.startswith("-"):
            url = word
        i += 1
    answer = httpx.request(method, url, headers=headers, content=content, timeout=10)
    return answer.status_code, answer.text


def _origins(stack: Any) -> dict[str, str]:
    def origin(base: str) -> str:
        parts = httpx.URL(base)
        return f"{parts.scheme}://{parts.host}:{parts.port}"

    return {origin(stack.main_base): "main", origin(stack.cr_base): "cr"}


@pytest.mark.parametrize(("rule", "defect"), CASES, ids=[c[0] for c in CASES])
def test_the_curl_line_of_a_finding_reproduces_it(
    rule: str, defect: str, start_stack: Callable[..., Any], reference_stack: Any, tmp_path: Path
) -> None:
    stack = start_stack([defect])
    outcome = engine.run(
        flags={"run.rules": rule, "run.defects": [defect], "run.fuzz": False, "run.seed": 3,
               "run.report_dir": str(tmp_path / "reports")},
        environ={}, cwd=tmp_path, reference=stack, echo=lambda _line: None,
    )
    assert outcome.exit_code == 1
    results = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    findings = [f for r in results["rules"] if r["id"] == rule for f in r["findings"] if f["curl"]]
    assert findings, f"{rule} failed without a reproducible finding"
    finding = findings[0]
    assert finding["expected"], finding
    assert finding["received"], finding
    curl, hint = finding["curl"], reproduce_hint(finding["curl"])

    exports = _exports(hint, stack) if hint else ""
    status, body = _replay(curl, exports, tmp_path)
    assert _replay_parsed(curl, exports)[0] == status  # the same line, read without a shell
    recorded = _status(finding["received"])
    assert recorded is not None, finding["received"]
    assert status == recorded, f"replayed {status}, the finding recorded {finding['received'][:200]}"
    assert body[:60] == finding["received"].split(" ", 1)[1][:60] or not body, body[:200]

    # Against the clean reference the same line (same credential kind, same persona) gets what the rule
    # wants: the replay shows the defect, not some other difference.
    clean_origins = {kind: origin for origin, kind in _origins(reference_stack).items()}
    clean_line = curl
    for origin, kind in _origins(stack).items():
        clean_line = clean_line.replace(origin, clean_origins[kind])
    clean_status, clean_body = _replay(clean_line, _exports(hint, reference_stack) if hint else "", tmp_path)
    wanted = _status(finding["expected"])
    if wanted is not None:
        assert clean_status == wanted, f"the clean reference answered {clean_status}: {finding['expected']}"
    assert (clean_status, clean_body[:60]) != (status, body[:60])
