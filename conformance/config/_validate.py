"""Validation of raw configuration data against the shipped JSON Schema, with helpful messages.

Every problem becomes one :class:`~conformance.errors.ConfigError` line that names the source and the
dotted key (``fdconf.toml: run.max_exampels``) and, where a typo is likely, suggests the nearest
valid key or value. All problems of a layer are reported together (:func:`combined`): one error whose
message lists each problem on its own line, so a file is fixed in one go.
"""

from __future__ import annotations

import difflib
import json
import urllib.parse
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


def _messages(error: ValidationError, source: str) -> list[ConfigError]:
    """One :class:`ConfigError` per problem in ``error`` (an object with three unknown keys is three)."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        path = list(error.absolute_path)
        valid = _valid_keys_at(path)
        unknown = [key for key in sorted(error.instance) if key not in valid]
        return [_unknown_key(source, path, key, valid) for key in unknown or ["?"]]
    return [_message(error, source)]


def _unknown_key(source: str, path: list[Any], key: str, valid: list[str]) -> ConfigError:
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


def _message(error: ValidationError, source: str) -> ConfigError:
    path = list(error.absolute_path)
    where = f"{source}: {_dotted(path)}" if path else source
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
    if error.validator == "anyOf" and path and path[-1] == "concurrency":
        return ConfigError(f"{where}: {error.instance!r} is not a number of requests in flight",
                           "write a whole number from 1 to 32, or auto")
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


def problems(data: Any, source: str, *, partial: bool = False, skip: Iterable[str] = ()) -> list[ConfigError]:
    """Every problem in ``data`` (one configuration layer), one :class:`ConfigError` each, in file order.

    ``partial`` ignores cross-field requirements (username needs password …), which only make sense
    once every layer has been merged. ``skip``: dotted keys already reported otherwise (an unset
    ``${VAR}``), whose value is not checked again.
    """
    validator = jsonschema.Draft202012Validator(config_schema())
    skipped = set(skip)
    errors = [
        e for e in validator.iter_errors(data)
        if not (partial and e.validator == "dependentRequired")
        and _dotted(list(e.absolute_path)) not in skipped
    ]
    # Unknown keys first (the likeliest mistake), then by key, so the list reads like the file.
    errors.sort(key=lambda e: (e.validator != "additionalProperties", list(map(str, e.absolute_path))))
    return [*(problem for error in errors for problem in _messages(error, source)),
            *_port_problems(data, source, skipped)]


def _port_problems(data: Any, source: str, skipped: set[str]) -> list[ConfigError]:
    """A base URL's port must be 1-65535: the schema's pattern cannot say so, and an out-of-range port
    would otherwise surface at pre-flight as a misleading "connection refused"."""
    target = data.get("target") if isinstance(data, dict) else None
    if not isinstance(target, dict):
        return []
    found = []
    for key in ("main", "cr", "media"):
        url = target.get(key)
        if not isinstance(url, str) or f"target.{key}" in skipped:
            continue
        try:
            port = urllib.parse.urlsplit(url).port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            found.append(ConfigError(f"{source}: target.{key}: {url!r} has no valid port",
                                     "use a port from 1 to 65535, or none for the scheme's default"))
    return found


def combined(found: Sequence[ConfigError], source: str) -> ConfigError | None:
    """``None`` for no problem, the problem itself for one, else one :class:`ConfigError` listing each
    problem on its own line (so a user fixes a file in one go, not one run per mistake)."""
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    prefix = f"{source}: "
    lines = [f"{source}: {len(found)} problems"]
    for problem in found:
        text = problem.message.removeprefix(prefix)
        lines.append(f"  - {text}" + (f" (hint: {problem.hint})" if problem.hint else ""))
    return ConfigError("\n".join(lines))


def raise_problems(found: Sequence[ConfigError], source: str) -> None:
    """Raise :func:`combined` of ``found`` if there is any problem."""
    error = combined(found, source)
    if error is not None:
        raise error


def validate(data: Any, source: str, *, partial: bool = False) -> None:
    """Raise one :class:`ConfigError` listing every problem in ``data`` (see :func:`problems`)."""
    raise_problems(problems(data, source, partial=partial), source)
