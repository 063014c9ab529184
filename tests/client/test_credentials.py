"""A reproduction line names the credential it carried (read from the token itself) and how to make it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import httpx
import jwt
import pytest

from conformance.client.curl import CREDENTIALS, TOKEN_VAR, Credential, curl_line
from conformance.redact import REDACTOR
from conformance.report.grouping import reproduce_hint
from conformance.scenarios.test_auth import TRUNCATE, VARIANT_CREDENTIALS

URL = "http://127.0.0.1:9/api/v3/partners/"


def _token() -> str:
    token = "tok-" + uuid.uuid4().hex  # unique: CREDENTIALS and REDACTOR are process-wide
    REDACTOR.add(token)
    return token


def _line(authorization: str, persona: str = "") -> str:
    return curl_line(httpx.Request("GET", URL, headers={"Authorization": authorization}), persona=persona)


def test_the_token_names_its_persona_not_the_callers_guess() -> None:
    token = _token()
    CREDENTIALS.persona_token(token, "multi")
    line = _line(f"Bearer {token}", persona="primary")
    assert token not in line
    assert '-H "Authorization: Bearer ${FD_ACCESS_TOKEN}"' in line
    assert line.endswith("# FD_ACCESS_TOKEN: AccessToken of persona multi")
    assert reproduce_hint(line) == "export FD_ACCESS_TOKEN=<AccessToken of persona multi> first"


def test_without_its_scheme_the_token_still_names_its_persona() -> None:
    token = _token()
    CREDENTIALS.persona_token(token, "primary")
    line = _line(token)
    assert '-H "Authorization: ${FD_ACCESS_TOKEN}"' in line
    assert line.endswith("# FD_ACCESS_TOKEN: AccessToken of persona primary")


def test_an_expired_token_reads_its_own_variable_and_says_where_to_get_one() -> None:
    expired = _token()
    CREDENTIALS.add(expired, VARIANT_CREDENTIALS["expired"])
    line = _line(f"Bearer {expired}")
    assert '"Authorization: Bearer ${FD_EXPIRED_TOKEN}"' in line
    assert TOKEN_VAR not in line
    hint = reproduce_hint(line)
    assert hint.startswith("export FD_EXPIRED_TOKEN=<expired AccessToken of persona primary (")
    assert "personas.primary.expired_token" in hint


def test_garbage_is_exported_as_written() -> None:
    CREDENTIALS.add("not-a-jwt", VARIANT_CREDENTIALS["garbage"])
    line = _line("Bearer not-a-jwt")
    assert "${FD_GARBAGE_TOKEN}" in line
    assert reproduce_hint(line) == "export FD_GARBAGE_TOKEN=not-a-jwt first"
    assert REDACTOR.text(line) == line  # the writers' last redaction pass keeps it


def _shell(script: str, **env: str) -> str:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True,
                          env={**os.environ, **env})
    return done.stdout.strip()


def test_the_truncated_recipe_makes_the_same_token_the_suite_sent() -> None:
    token = _token()
    CREDENTIALS.persona_token(token, "primary")
    truncated = token[: len(token) - TRUNCATE]
    CREDENTIALS.add(truncated, VARIANT_CREDENTIALS["truncated"])
    hint = reproduce_hint(_line(f"Bearer {truncated}"))
    assert hint.startswith("export FD_ACCESS_TOKEN=<AccessToken of persona primary>; "
                           "export FD_TRUNCATED_TOKEN=")
    exports = "export " + hint.removesuffix(" first").split("; export ", 1)[1]
    assert _shell(f'{exports}; printf %s "$FD_TRUNCATED_TOKEN"', FD_ACCESS_TOKEN=token) == truncated


def test_the_foreign_recipe_re_signs_the_same_claims() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"sub": "alice", "client_id": "c1"}, key, algorithm="RS256", headers={"kid": "k1"})
    REDACTOR.add(token)
    forged = "forged-" + uuid.uuid4().hex
    CREDENTIALS.add(forged, VARIANT_CREDENTIALS["foreign-signed"])
    hint = reproduce_hint(_line(f"Bearer {forged}"))
    exports = "export " + hint.removesuffix(" first").split("; export ", 1)[1]
    # The recipe runs `python3` with the suite importable: here, this interpreter.
    bindir = os.path.dirname(sys.executable)
    made = _shell(f'{exports}; printf %s "$FD_FOREIGN_TOKEN"', FD_ACCESS_TOKEN=token,
                  PATH=f"{bindir}:{os.environ.get('PATH', '')}")
    assert made != token
    assert jwt.decode(made, options={"verify_signature": False}) == {"sub": "alice", "client_id": "c1"}
    assert jwt.get_unverified_header(made)["kid"] == "k1"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(made, key.public_key(), algorithms=["RS256"])


def test_a_credential_comment_is_one_note_per_variable() -> None:
    note = Credential("FD_X_TOKEN", "other", "odd token", how="ask the admin").comment()
    assert note == "  # FD_X_TOKEN: odd token of persona other (ask the admin)"
