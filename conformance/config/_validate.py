"""Validation of raw configuration data against the shipped JSON Schema, with helpful messages.

Every error becomes one :class:`~conformance.errors.ConfigError` line that names the source and the
dotted key (``fdconf.toml: run.max_exampels``) and, where a typo is likely, suggests the nearest
valid key or value.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from conformance.errors import ConfigError

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.json"


@cache
def config_schema() -> dict[str, Any]:
    """The JSON Schema every configuration layer is validated against."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word`` (typo suggestion), or ``None`` if nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[match[0]] if match else None
    return match[0]


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = schema["$defs"][ref.split("/")[-1]]
        return resolved
    return node


def _valid_keys_at(path: Sequence[Any]) -> list[str]:
    """Every valid key at ``path`` (dotted form relative to the path), for suggestions."""
    schema = config_schema()
    node = schema
    for part in path:
        if isinstance(part, int):  # an array item ([[waivers]]): its keys are the items' keys
            node = _resolve(schema, node).get("items", {})
            continue
        props = _resolve(schema, node).get("properties", {})
        if part not in props:
            return []
        node = props[part]
    return list(_resolve(schema, node).get("properties", {}))


def all_keys() -> list[str]:
    """Every valid dotted key of the file format (``run.seed``, ``personas.primary.token`` …)."""
    schema = config_schema()
    out: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        props = _resolve(schema, node).get("properties", {})
        for key, sub in props.items():
            dotted = f"{prefix}.{key}" if prefix else key
            out.append(dotted)
            walk(sub, dotted)

    walk(schema, "")
    return out


def _message(error: ValidationError, source: str) -> ConfigError:
    path = list(error.absolute_path)
    where = f"{source}: {_dotted(path)}" if path else source
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        valid = _valid_keys_at(path)
        unknown = sorted(k for k in error.instance if k not in valid)
        key = unknown[0] if unknown else "?"
        dotted = _dotted([*path, key])
        guess = nearest(key, valid)
        if guess is None:
            # A key in the wrong section (e.g. ``seed`` at top level) is a likely mistake too.
            guess_full = nearest(key, [k.rsplit(".", 1)[-1] for k in all_keys()])
            full = [k for k in all_keys() if guess_full and k.endswith("." + guess_full)]
            hint = f"did you mean '{full[0]}'?" if full else f"valid keys here: {', '.join(valid)}"
        else:
            hint = f"did you mean '{_dotted([*path, guess])}'?"
        return ConfigError(f"{source}: unknown key '{dotted}'", hint)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in _rule_value(error) if k not in error.instance]
        return ConfigError(f"{where}: '{missing[0] if missing else '?'}' is missing",
                           f"give {', '.join(_rule_value(error))}")
    if error.validator == "enum":
        choices = [str(c) for c in _rule_value(error)]
        guess = nearest(str(error.instance), choices)
        hint = f"did you mean '{guess}'?" if guess else f"use one of {', '.join(choices)}"
        return ConfigError(f"{where}: {error.instance!r} is not a valid value", hint)
    if error.validator == "dependentRequired":
        needs = _rule_value(error).get(_trigger(error), [])
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [k for k in needs if k not in present]
        return ConfigError(
            f"{where}: '{_trigger(error)}' needs '{', '.join(missing)}' too",
            "give username and password together, or a static token",
        )
    if error.validator == "pattern":
        return ConfigError(f"{where}: {error.instance!r} has the wrong form", _pattern_hint(path))
    if error.validator == "type":
        return ConfigError(
            f"{where}: {error.instance!r} is not of type {error.validator_value}",
            f"write {_dotted(path)} as {_article(str(error.validator_value))} {error.validator_value}",
        )
    if error.validator == "anyOf" and path and path[-1] == "rules":
        return ConfigError(f"{where}: {error.instance!r} is not a list of rule ids", _pattern_hint(path))
    return ConfigError(f"{where}: {error.message}", f"see the key's description in {SCHEMA_FILE.name}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _rule_value(error: ValidationError) -> Any:
    # The schema keyword's value (enum list, dependentRequired map); typed loosely by jsonschema.
    return error.validator_value


def _trigger(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key, needs in _rule_value(error).items():
        if key in instance and any(n not in instance for n in needs):
            return str(key)
    return "?"


def _pattern_hint(path: Sequence[Any]) -> str:
    last = str(path[-1]) if path else ""
    return {
        "main": "a base URL like https://host/api/v3",
        "cr": "a base URL like https://cr-host/api",
        "media": "a base URL like https://host/api",
        "shard": "write it as I/N, e.g. 2/4",
        "rules": "rule ids or families, e.g. TEN-03,OBJ",
        "partner": "a partner id like partner-id-acme or fd123",
        "rule": "a rule id like TEN-03 (`fdconf explain` lists them)",
        "operation": "METHOD /path as the spec names it, e.g. GET /events/{eid}",
        "expires": "a date, YYYY-MM-DD",
        "created": "a date, YYYY-MM-DD",
    }.get(last, "see the schema's pattern for this key")


def validate(data: Any, source: str, *, partial: bool = False) -> None:
    """Raise :class:`ConfigError` for the first problem in ``data`` (one configuration layer).

    ``partial`` ignores cross-field requirements (username needs password …), which only make sense
    once every layer has been merged.
    """
    validator = jsonschema.Draft202012Validator(config_schema())
    errors = [
        e for e in validator.iter_errors(data) if not (partial and e.validator == "dependentRequired")
    ]
    if not errors:
        return
    # additionalProperties first: an unknown key is the likeliest mistake and hides type errors below it.
    errors.sort(key=lambda e: (e.validator != "additionalProperties", list(map(str, e.absolute_path))))
    raise _message(errors[0], source)
