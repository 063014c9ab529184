"""Reading and validating ``results.json`` against the schema shipped beside this module.

``results.schema.json`` (JSON Schema draft 2020-12) is the contract for certification tooling:
the writer validates before writing, and :func:`load_results` validates before reading, so a
hand-edited or foreign file is refused with a one-line :class:`ReportError`, never a traceback.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from conformance.errors import UsageError
from conformance.report._model import RunResult

RESULTS_FILE = "results.json"
SCHEMA_FILE = Path(__file__).resolve().parent / "results.schema.json"
_HINT = "point at a run folder (reports/<run-id>/) or at the results.json inside it"


class ReportError(UsageError):
    """A results file given by the user is missing, unreadable or not a fd-conformance result."""


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of ``results.json``."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def schema_errors(data: Any) -> list[str]:
    """Every schema violation of ``data`` as ``path: message`` lines (empty when valid)."""
    validator = jsonschema.Draft202012Validator(results_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]


def results_path(path: Path) -> Path:
    """``path`` itself when it is a file, else ``path/results.json``."""
    return path / RESULTS_FILE if path.is_dir() else path


def load_results(path: Path) -> RunResult:
    """Load a run's results from a run folder or a ``results.json`` file, validated.

    Raises :class:`ReportError` (a :class:`UsageError`) if the file is missing, not JSON or not
    valid against the schema.
    """
    file = results_path(Path(path))
    if not file.is_file():
        raise ReportError(f"no results file at {file}", _HINT)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{file} is not readable JSON: {exc}", _HINT) from exc
    if isinstance(data, dict) and data.get("schema_version") not in (None, 1, 2, 3, 4, 5):
        raise ReportError(
            f"{file} has schema_version {data.get('schema_version')!r}; this fdconf reads versions 1 to 5",
            "use the fdconf version that wrote it",
        )
    errors = schema_errors(data)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ReportError(f"{file} is not a valid fd-conformance results file: {errors[0]}{more}", _HINT)
    return RunResult.from_dict(data)
