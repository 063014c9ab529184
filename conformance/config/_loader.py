"""Resolve :class:`Settings` from three layers: file < environment < flags.

The file is ``--config F`` (or ``$FDCONF_CONFIG``), else ``./fdconf.toml``, else ``[tool.fdconf]`` in
``./pyproject.toml``. Environment variables use the developer docs' names where they exist
(``FD_BASE_URL``, ``CR_BASE``, ``FD_ACCESS_TOKEN``, ``FD_PARTNER_ID`` …) plus
``FDCONF_PERSONA_<NAME>_<FIELD>`` for any persona. Flags arrive as a mapping of dotted keys
(``{"run.seed": 7}``; ``None`` = not given). Each layer is validated against ``schema.json`` on its
own, so an error names where the bad value came from.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from conformance.config._validate import nearest, problems, raise_problems, validate
from conformance.config._values import parse_duration, parse_rate, parse_rate_window, parse_shard, split_rules
from conformance.config._waivers import Waiver, normalise_dates, parse_waivers, read_waivers_file
from conformance.config.settings import (
    EMBEDDED_REFRESH_TIMEOUT,
    MODES,
    PERSONA_FIELDS,
    PERSONAS,
    PersonaSettings,
    Settings,
)
from conformance.errors import ConfigError
from conformance.redact import REDACTOR

_T = TypeVar("_T")
CONFIG_ENV = "FDCONF_CONFIG"
# Read outside Settings, so known here: the Allure 3 command `fdconf report --allure` runs.
NON_SETTING_ENV = frozenset({CONFIG_ENV, "FDCONF_ALLURE"})
CONFIG_FILE = "fdconf.toml"

#: Environment variable → dotted config key. Names follow the developer docs where they exist.
ENV_KEYS: dict[str, str] = {
    "FD_BASE_URL": "target.main",
    "CR_BASE": "target.cr",
    "FD_MEDIA_BASE": "target.media",
    "FD_CA_BUNDLE": "target.ca_bundle",
    "FD_ACCESS_TOKEN": "personas.primary.token",
    "FD_PARTNER_ID": "personas.primary.partner",
    "FD_USERNAME": "personas.primary.username",
    "FD_PASSWORD": "personas.primary.password",
    "FD_MODE": "run.mode",
    "FD_SEED": "run.seed",
}
_PERSONA_ENV = re.compile(
    r"^FDCONF_PERSONA_(?P<name>[A-Z0-9]+?)_(?P<field>USERNAME|PASSWORD|TOKEN|PARTNER|EXPIRED_TOKEN)$"
)
_INT_KEYS = {"run.seed", "run.max_examples", "run.edge_cases", "run.workers"}


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    *parents, last = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def find_config_file(explicit: str | Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The configuration file to read, or ``None`` when there is none (all defaults)."""
    chosen = explicit or environ.get(CONFIG_ENV) or None
    if chosen:
        path = Path(chosen)
        path = path if path.is_absolute() else cwd / path
        if not path.is_file():
            source = "--config" if explicit else f"${CONFIG_ENV}"
            raise ConfigError(
                f"{source}: no file at {path}", "check the path, or omit it to use ./fdconf.toml"
            )
        return path
    for candidate in (cwd / CONFIG_FILE, cwd / "pyproject.toml"):
        if candidate.is_file():
            if candidate.name == "pyproject.toml" and "fdconf" not in _read_toml(candidate).get("tool", {}):
                continue
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})", "check the file exists and is UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})", "fix the syntax at the position shown") from exc


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(node: Any, environ: Mapping[str, str], where: str, unset: dict[str, ConfigError]) -> Any:
    """``${NAME}`` in the file's strings → the environment variable's value (secrets stay out of files).

    A variable that is not set is a :class:`ConfigError` naming the key (collected in ``unset`` by
    dotted key, the value left as written), never an empty string: a password of ``""`` would only
    fail later, at sign-in, with a misleading message."""
    if isinstance(node, dict):
        return {k: _expand(v, environ, f"{where}.{k}" if where else k, unset) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand(value, environ, f"{where}[{i}]", unset) for i, value in enumerate(node)]
    if not isinstance(node, str):
        return node

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environ.get(name)
        if value is None or not value.strip():
            unset.setdefault(where, ConfigError(
                f"{where}: environment variable {name} (written as ${{{name}}}) is not set",
                f"export {name}=… before the run, or write the value in the file"))
            return match.group(0)
        return value

    return _ENV_REF.sub(value_of, node)


def file_layer(path: Path | None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The file's configuration table (``[tool.fdconf]`` for a pyproject.toml), validated, with
    ``${NAME}`` references expanded from ``environ``."""
    if path is None:
        return {}
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("fdconf", {})
        source = f"{path} [tool.fdconf]"
    else:
        source = str(path)
    unset: dict[str, ConfigError] = {}
    expanded: dict[str, Any] = _expand(normalise_dates(data), os.environ if environ is None else environ, "",
                                       unset)
    found = [ConfigError(f"{source}: {e.message}", e.hint) for e in unset.values()]
    raise_problems([*found, *problems(expanded, source, partial=True, skip=unset)], source)
    run = expanded.get("run")
    if isinstance(run, dict) and run.get("waivers"):  # like ca_bundle: relative to the file
        run["waivers"] = str(path.parent / Path(run["waivers"]).expanduser())
    target = expanded.get("target")
    if isinstance(target, dict) and target.get("ca_bundle"):  # a path in a file is relative to the file
        target["ca_bundle"] = str(path.parent / Path(target["ca_bundle"]).expanduser())
    return expanded


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """Configuration from environment variables, validated; unknown ``FDCONF_*`` names are errors."""
    data: dict[str, Any] = {}
    known = [
        *ENV_KEYS,
        *sorted(NON_SETTING_ENV),
        *(f"FDCONF_PERSONA_{p.upper()}_{f.upper()}" for p in PERSONAS for f in PERSONA_FIELDS),
    ]
    found: list[ConfigError] = []
    for name, raw in sorted(environ.items()):
        value = raw.strip()
        if not value:
            continue
        if name in ENV_KEYS:
            key = ENV_KEYS[name]
            try:
                _set(data, key, _coerce(key, value, f"environment {name}"))
            except ConfigError as exc:
                found.append(exc)
        elif name.startswith("FDCONF_PERSONA_"):
            match = _PERSONA_ENV.match(name)
            if not match:
                guess = nearest(name, known)
                found.append(ConfigError(
                    f"environment {name}: not a persona variable",
                    f"did you mean {guess}?" if guess else "use FDCONF_PERSONA_<NAME>_<FIELD>",
                ))
                continue
            _set(data, f"personas.{match['name'].lower()}.{match['field'].lower()}", value)
        elif name.startswith("FDCONF_") and name not in NON_SETTING_ENV:
            guess = nearest(name, known)
            found.append(ConfigError(
                f"environment {name}: unknown fdconf variable",
                f"did you mean {guess}?" if guess else f"known: {', '.join(known)}",
            ))
    raise_problems([*found, *problems(data, "environment", partial=True)], "environment")
    return data


def _coerce(key: str, value: str, source: str) -> Any:
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{source}={value!r} is not an integer", "set it to a whole number") from None
    return value


def flag_layer(flags: Mapping[str, Any]) -> dict[str, Any]:
    """Configuration from command-line flags (dotted keys; ``None``/empty = not given), validated."""
    data: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        _set(data, key, list(value) if isinstance(value, tuple) else value)
    validate(data, "command line", partial=True)
    return data


RESERVED_HEADERS = frozenset({"authorization", "x-preferred-partner-id", "host", "content-length",
                              "content-type", "accept"})


def _extra_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``target.headers``, checked: the suite owns the headers the rules are about."""
    for name, value in headers.items():
        if name.lower() in RESERVED_HEADERS:
            raise ConfigError(
                f"target.headers.{name}: the suite sets this header itself (personas, request bodies)",
                "remove it; tokens and partners belong under [personas.<name>]",
            )
        REDACTOR.add(value)  # a proxy key is a credential
    return dict(headers)


def _ca_bundle(value: str | None, cwd: Path) -> str | None:
    """``target.ca_bundle`` as an absolute path to an existing file. The file layer already made a path
    it read relative to the config file; one from ``FD_CA_BUNDLE`` or a flag is relative to ``cwd``."""
    if not value:
        return None
    path = cwd / Path(value).expanduser()  # an absolute value replaces cwd
    if not path.is_file():
        raise ConfigError(f"target.ca_bundle: no file at {path}",
                          "point it at the PEM file of the CA that signs the target's certificate")
    return str(path.resolve())


def _waivers(data: Mapping[str, Any], config_file: str | None, cwd: Path, today: date) -> tuple[Waiver, ...]:
    """``[[waivers]]`` of the configuration file, then those of the waivers file (``run.waivers``)."""
    out = parse_waivers(data.get("waivers", []), Path(config_file).name if config_file else "config", today)
    extra = data.get("run", {}).get("waivers")
    if extra:
        path = cwd / Path(extra).expanduser()  # an absolute value (the file layer's) replaces cwd
        out += parse_waivers(read_waivers_file(path), path.name, today)
    return out


def _collect(found: list[ConfigError], check: Callable[..., _T], *args: Any) -> _T | None:
    """``check(*args)``, or ``None`` with its :class:`ConfigError` added to ``found``."""
    try:
        return check(*args)
    except ConfigError as exc:
        found.append(exc)
        return None


def build(data: Mapping[str, Any], *, config_file: str | None = None, cwd: Path | None = None,
          today: date | None = None) -> Settings:
    """Merged, schema-valid data → :class:`Settings`, applying defaults and cross-field rules."""
    source = "configuration (file + environment + flags)"
    validate(data, source)
    found: list[ConfigError] = []  # every cross-field problem, reported together
    target = data.get("target", {})
    run = data.get("run", {})
    main = target.get("main")
    embedded = main is None
    if embedded and (target.get("cr") or target.get("media")):
        given = "target.cr" if target.get("cr") else "target.media"
        found.append(ConfigError(
            f"{given} is set but target.main is not", "set target.main too (FD_BASE_URL, --main)"
        ))
    defects = tuple(run.get("defects", ()))
    if defects and not embedded:
        found.append(ConfigError(
            "--defect only applies to the embedded reference, but a target was given",
            "drop --defect, or drop the target URLs to run against the embedded reference",
        ))
    mode = run.get("mode") or ("publish" if embedded else "read-only")
    assert mode in MODES  # guaranteed by the schema
    personas: dict[str, PersonaSettings] = {}
    for name, raw in data.get("personas", {}).items():
        persona = PersonaSettings(**raw)
        if persona.token and persona.username:
            found.append(ConfigError(
                f"personas.{name}: both token and username/password are set",
                "keep one: a static token or username/password",
            ))
        personas[name] = persona
        for secret in persona.secrets():
            REDACTOR.add(secret)
    headers = _collect(found, _extra_headers, target.get("headers") or {}) or {}
    ca_bundle = _collect(found, _ca_bundle, target.get("ca_bundle"), Path.cwd() if cwd is None else cwd)
    # The media base is derived only from the documented layout ({host}/api/v3 → {host}/api); any
    # other main gives none, and the media checks are unexercised (conformance.harness.layout).
    derived = main.rstrip("/").removesuffix("/v3") if main and main.rstrip("/").endswith("/v3") else None
    media = target.get("media") or derived
    shard = _collect(found, parse_shard, run["shard"]) if run.get("shard") else None
    deadline = _collect(found, parse_duration, run["deadline"], "run.deadline (--deadline)") \
        if run.get("deadline") is not None else None
    budget = _collect(found, parse_duration, run["budget"], "run.budget (--budget)") \
        if run.get("budget") is not None else None
    raise_problems(found, source)
    return Settings(
        main=main.rstrip("/") if main else None,
        cr=target["cr"].rstrip("/") if target.get("cr") else None,
        media=media.rstrip("/") if media else None,
        headers=headers,
        ca_bundle=ca_bundle,
        embedded=embedded,
        mode=mode,
        seed=int(run["seed"]) if "seed" in run else secrets.randbelow(2**31),
        max_examples=int(run.get("max_examples", Settings.max_examples)),
        edge_cases=int(run.get("edge_cases", Settings.edge_cases)),
        timeout=float(run.get("timeout", Settings.timeout)),
        # The reference refreshes synchronously; a real target may recompute clusters for a while.
        refresh_timeout=float(run.get("refresh_timeout", EMBEDDED_REFRESH_TIMEOUT if embedded
                                      else Settings.refresh_timeout)),
        retry_wait=float(run.get("retry_wait", Settings.retry_wait)),
        deadline=deadline,
        budget=budget,
        abandon_after=int(run.get("abandon_after", Settings.abandon_after)),
        confirm=int(run.get("confirm", Settings.confirm)),
        strict=bool(run.get("strict", False)),
        rate=parse_rate(run.get("rate"), embedded),
        rate_window=parse_rate_window(run.get("rate")),
        rate_backoff=float(run.get("rate_backoff", Settings.rate_backoff)),
        report_dir=run.get("report_dir"),
        rules=split_rules(run.get("rules")),
        defects=defects,
        workers=int(run.get("workers", 0)),
        concurrency=0 if run.get("concurrency", "auto") == "auto" else int(run["concurrency"]),
        shard=shard,
        fuzz=bool(run.get("fuzz", True)),
        allure=bool(run.get("allure", False)),
        personas=personas,
        config_file=config_file,
        waivers=_waivers(data, config_file, Path.cwd() if cwd is None else cwd,
                         today or datetime.now(UTC).date()),
    )


def load_settings(
    *,
    config: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve the run's settings. Raises :class:`ConfigError` (one line + hint) on any problem.

    Extension point for tools embedding the engine: pass ``environ={}`` to ignore the process
    environment, ``flags`` as dotted keys (``{"target.main": url, "run.mode": "write"}``).
    """
    env = os.environ if environ is None else environ
    where = Path.cwd() if cwd is None else cwd
    path = find_config_file(config, env, where)
    merged = _merge(_merge(file_layer(path, env), env_layer(env)), flag_layer(flags or {}))
    return build(merged, config_file=str(path) if path else None, cwd=where)
