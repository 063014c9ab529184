"""The shipped JSON Schema: valid itself, accepts the documented format and what `fdconf serve` writes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import jsonschema

from conformance.config import load_settings
from conformance.config._validate import all_keys, config_schema, nearest, validate

DOCUMENTED = """
[target]
main = "http://127.0.0.1:8000/api/v3"
cr = "http://127.0.0.1:8001/api"
media = "http://127.0.0.1:8000/api"
[run]
mode = "publish"
seed = 0
[personas.primary]
username = "alice@acme.example"
password = "Alice-Passw0rd!"
[personas.other]
token = "eyJ.static.token"
partner = "partner-id-beta"
expired_token = "eyJ.expired.token"
"""


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema())


def test_documented_format_validates() -> None:
    validate(tomllib.loads(DOCUMENTED), "docs")


def test_every_run_key_is_known() -> None:
    keys = set(all_keys())
    for key in ("target.main", "run.mode", "run.seed", "run.max_examples", "run.timeout", "run.report_dir",
                "run.rules", "run.defects", "run.workers", "run.shard", "run.fuzz", "run.allure",
                "personas.primary.expired_token", "personas.nopartner.token"):
        assert key in keys


def test_config_written_by_the_reference_loads(tmp_path: Path, reference_stack: Any) -> None:
    path = tmp_path / "served.toml"
    reference_stack.write_config(path)
    settings = load_settings(config=path, environ={}, cwd=tmp_path)
    assert settings.main == reference_stack.main_base
    assert settings.mode == "publish"
    assert not settings.embedded
    assert {"primary", "other", "multi"} <= set(settings.configured_personas())


def test_nearest() -> None:
    assert nearest("primry", ["primary", "other"]) == "primary"
    assert nearest("PRIMARY", ["primary"]) == "primary"
    assert nearest("zzz", ["primary"]) is None


def test_known_partners_are_not_a_config_key(tmp_path: Path) -> None:
    import pytest

    from conformance.errors import ConfigError

    path = tmp_path / "fdconf.toml"
    path.write_text(DOCUMENTED + 'partners = ["partner-id-acme"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="partners"):
        load_settings(config=path, environ={}, cwd=tmp_path)
