"""The clean reference under Schemathesis (both specs, small budget): no 5xx, and it conforms.

Runs the ``schemathesis`` CLI of this environment against a private stack over loopback: every
operation gets its examples, the coverage phase's boundary and negative cases, and a few fuzzed
cases, with all built-in checks except ``ignored_auth`` (the cases carry a valid token on purpose).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.reference.stack import ReferenceStack
from conformance.resources import cr_spec, main_spec

CLI = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def fuzz_stack() -> Iterator[tuple[ReferenceStack, str]]:
    with ReferenceStack() as stack:
        persona = stack.personas["primary"]
        token = httpx.post(
            stack.main_base + "/auth",
            json={"username": persona["username"], "password": persona["password"]},
            trust_env=False,
        ).json()["AccessToken"]
        yield stack, token


@pytest.mark.skipif(not CLI.exists(), reason="the schemathesis CLI is not installed next to this Python")
@pytest.mark.parametrize("surface", ["main", "media", "cr"])
def test_no_5xx_and_conformant_under_schemathesis(
    fuzz_stack: tuple[ReferenceStack, str], surface: str, tmp_path: Path
) -> None:
    stack, token = fuzz_stack
    spec, url, extra = {
        "main": (main_spec(), stack.main_base, ["--exclude-path", "/media"]),
        "media": (main_spec(), stack.media_base, ["--include-path", "/media"]),
        "cr": (cr_spec(), stack.cr_base, []),
    }[surface]
    command = [
        str(CLI),
        "run",
        str(spec),
        "--url",
        url,
        *extra,
        "-n",
        "2",
        "--seed",
        "7",
        "--generation-database",
        "none",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--exclude-checks",
        "ignored_auth",
        "--header",
        f"Authorization: Bearer {token}",
        "--continue-on-failure",
        "--max-failures",
        "50",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    # 422 is the contract's answer to a well-formed CR save naming a product the partner lacks
    # (CONTRACT §5), so a schema-valid request may legitimately get it.
    (tmp_path / "schemathesis.toml").write_text(
        "[checks.positive_data_acceptance]\n"
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]\n',
        encoding="utf-8",
    )
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    report = done.stdout[-6000:].replace(token, "***")
    assert done.returncode == 0, report
    assert " passed" in done.stdout
