"""load_results: run folder or file; missing or invalid files are usage errors with a hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.errors import UsageError
from conformance.report import load_results, write_all

from .builders import sample_result


def test_loads_from_folder_and_file(tmp_path: Path) -> None:
    result = sample_result()
    write_all(result, tmp_path)
    assert load_results(tmp_path) == result
    assert load_results(tmp_path / "results.json") == result


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load_results(tmp_path / "nope")
    assert "no results file" in info.value.one_line()
    assert "run folder" in info.value.one_line()


def test_not_json(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(UsageError, match="not readable JSON"):
        load_results(tmp_path)


def test_not_valid(tmp_path: Path) -> None:
    data = sample_result().to_dict()
    data["rules"][0]["status"] = "maybe"
    (tmp_path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UsageError, match=r"rules/0/status"):
        load_results(tmp_path)


def test_future_schema_version(tmp_path: Path) -> None:
    data = sample_result().to_dict()
    data["schema_version"] = 6
    (tmp_path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UsageError, match="schema_version 6"):
        load_results(tmp_path)
