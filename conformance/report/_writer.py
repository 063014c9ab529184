"""Writes every file artifact of a run into its report folder.

:func:`write_all` is what the engine calls once a run is over. It writes, in this order:

- ``results.json``: the :class:`RunResult`, validated against ``results.schema.json`` first;
- ``junit.xml``: one test case per rule and per fuzzed operation (see :mod:`.junit`);
- ``summary.md``: the CI step summary (see :mod:`.markdown`);
- ``certificate.html``: the self-contained certificate carrying the sha256 of ``results.json``;
- ``sarif.json``: SARIF 2.1.0 for code scanning (see :mod:`.sarif`).

Secrets: the result is redacted string by string before rendering, and each rendered file is passed
through the redactor once more before it touches the disk (defence in depth).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conformance.redact import REDACTOR, Redactor
from conformance.report._certificate import render_certificate
from conformance.report._junit import render_junit
from conformance.report._load import RESULTS_FILE, schema_errors
from conformance.report._markdown import render_markdown
from conformance.report._model import RunResult
from conformance.report._sarif import SARIF_FILE, render_sarif
from conformance.report._scrub import scrubbed

JUNIT_FILE = "junit.xml"
SUMMARY_FILE = "summary.md"
CERTIFICATE_FILE = "certificate.html"


class InvalidResultError(ValueError):
    """The engine built a result that breaks the schema: a bug in the suite, not a user mistake."""


def results_json(result: RunResult) -> str:
    """``result`` as the validated text of ``results.json`` (no redaction: callers redact first)."""
    data = result.to_dict()
    errors = schema_errors(data)
    if errors:
        raise InvalidResultError(f"run result does not match results.schema.json: {'; '.join(errors[:5])}")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str, redactor: Redactor) -> bytes:
    data = redactor.text(text).encode("utf-8")
    path.write_bytes(data)
    return data


def write_all(result: RunResult, directory: Path, *, redactor: Redactor = REDACTOR) -> dict[str, Path]:
    """Write results.json, junit.xml, summary.md, certificate.html and sarif.json into ``directory``.

    Returns file name → path of everything written. ``directory`` is created if needed; existing
    files of the same names are replaced.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    clean = scrubbed(result, redactor)
    paths = {name: directory / name for name in (RESULTS_FILE, JUNIT_FILE, SUMMARY_FILE, CERTIFICATE_FILE)}
    raw = _write(paths[RESULTS_FILE], results_json(clean), redactor)
    # The redactor's final pass must not have broken the JSON it validated.
    if schema_errors(json.loads(raw)):
        raise InvalidResultError("results.json became invalid after redaction")
    digest = hashlib.sha256(raw).hexdigest()
    _write(paths[JUNIT_FILE], render_junit(clean), redactor)
    _write(paths[SUMMARY_FILE], render_markdown(clean), redactor)
    _write(paths[CERTIFICATE_FILE], render_certificate(clean, digest), redactor)
    paths[SARIF_FILE] = directory / SARIF_FILE
    _write(paths[SARIF_FILE], render_sarif(clean), redactor)
    return paths
