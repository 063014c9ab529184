"""Settings resolution: file < environment < flags, validation messages, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import PersonaSettings, Settings, load_settings
from conformance.errors import ConfigError
from conformance.redact import REDACTOR

MAIN = "http://127.0.0.1:8000/api/v3"
CR = "http://127.0.0.1:8001/api"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_means_embedded_reference_in_publish_mode(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.embedded
    assert settings.main is None
    assert settings.mode == "publish"
    assert settings.personas == {}


def test_file_values_are_read(tmp_path: Path) -> None:
    write(
        tmp_path / "fdconf.toml",
        f"""
[target]
main = "{MAIN}"
cr = "{CR}"
[run]
mode = "write"
seed = 7
max_examples = 3
rules = ["ten", "OBJ-01"]
shard = "2/3"
fuzz = false
[personas.primary]
username = "alice@acme.example"
password = "Alice-Passw0rd!"
[personas.other]
token = "static-token-value"
partner = "partner-id-beta"
""",
    )
    s = load_settings(environ={}, cwd=tmp_path)
    assert (s.main, s.cr, s.media) == (MAIN, CR, "http://127.0.0.1:8000/api")
    assert not s.embedded
    assert (s.mode, s.seed, s.max_examples, s.fuzz) == ("write", 7, 3, False)
    assert s.rules == ("TEN", "OBJ-01")
    assert s.shard == (2, 3)
    assert s.persona("primary") == PersonaSettings(username="alice@acme.example", password="Alice-Passw0rd!")
    other = s.persona("other")
    assert other is not None
    assert other.uses_token
    assert other.partner == "partner-id-beta"
    assert s.config_file == str(tmp_path / "fdconf.toml")


def test_explicit_target_defaults_to_read_only(tmp_path: Path) -> None:
    s = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path)
    assert not s.embedded
    assert s.mode == "read-only"


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", f'[target]\nmain = "{MAIN}"\n[run]\nseed = 1\nmode = "write"\n')
    env = {"FD_SEED": "2", "FD_MODE": "publish", "CR_BASE": CR}
    assert load_settings(environ=env, cwd=tmp_path).seed == 2
    s = load_settings(environ=env, cwd=tmp_path, flags={"run.seed": 3, "run.mode": None})
    assert s.seed == 3
    assert s.mode == "publish"  # flag not given: the environment wins over the file
    assert s.cr == CR


def test_pyproject_tool_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", f'[project]\nname = "x"\n[tool.fdconf.target]\nmain = "{MAIN}"\n')
    assert load_settings(environ={}, cwd=tmp_path).main == MAIN


def test_pyproject_without_tool_table_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_settings(environ={}, cwd=tmp_path).embedded


def test_fdconf_config_env_points_at_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "elsewhere.toml", f'[target]\nmain = "{MAIN}"\n')
    assert load_settings(environ={"FDCONF_CONFIG": str(cfg)}, cwd=tmp_path / "..").main == MAIN


def test_persona_environment_variables(tmp_path: Path) -> None:
    env = {
        "FD_BASE_URL": MAIN,
        "FD_ACCESS_TOKEN": "primary-static-token",
        "FD_PARTNER_ID": "partner-id-acme",
        "FDCONF_PERSONA_MULTI_USERNAME": "carol@multi.example",
        "FDCONF_PERSONA_MULTI_PASSWORD": "Carol-Passw0rd!",
        "FDCONF_PERSONA_PRIMARY_EXPIRED_TOKEN": "an-expired-token",
    }
    s = load_settings(environ=env, cwd=tmp_path)
    primary = s.persona("primary")
    assert primary is not None
    assert (primary.token, primary.partner, primary.expired_token) == (
        "primary-static-token",
        "partner-id-acme",
        "an-expired-token",
    )
    assert s.persona("multi") == PersonaSettings(username="carol@multi.example", password="Carol-Passw0rd!")
    assert s.persona("other") is None


def test_secrets_are_registered_with_the_redactor(tmp_path: Path) -> None:
    load_settings(
        environ={"FD_BASE_URL": MAIN, "FD_USERNAME": "u@x", "FD_PASSWORD": "Sup3r-Secret-pw"}, cwd=tmp_path
    )
    assert "Sup3r-Secret-pw" not in REDACTOR.text("password is Sup3r-Secret-pw")


def test_repr_hides_secrets(tmp_path: Path) -> None:
    s = load_settings(environ={"FD_BASE_URL": MAIN, "FD_ACCESS_TOKEN": "tok-abcdef-123"}, cwd=tmp_path)
    assert "tok-abcdef-123" not in repr(s)


def test_random_seed_when_none_given(tmp_path: Path) -> None:
    seeds = {load_settings(environ={}, cwd=tmp_path).seed for _ in range(5)}
    assert len(seeds) > 1


def test_settings_json_round_trip(tmp_path: Path) -> None:
    s = load_settings(
        environ={"FD_BASE_URL": MAIN, "FD_ACCESS_TOKEN": "tok-abcdef-123"},
        flags={"run.shard": "1/2", "run.rules": "TEN,OBJ-01", "run.seed": 5},
        cwd=tmp_path,
    )
    assert Settings.from_json(s.to_json()) == s


@pytest.mark.parametrize(
    ("toml", "message", "hint"),
    [
        ("[run]\nmax_exampels = 3\n", "unknown key 'run.max_exampels'", "did you mean 'run.max_examples'?"),
        ("seed = 3\n", "unknown key 'seed'", "did you mean 'run.seed'?"),
        ("[targets]\nmain = 'x'\n", "unknown key 'targets'", "did you mean 'target'?"),
        (
            "[personas.primry]\ntoken = 'x'\n",
            "unknown key 'personas.primry'",
            "did you mean 'personas.primary'?",
        ),
        (
            "[personas.primary]\npasword = 'x'\n",
            "unknown key 'personas.primary.pasword'",
            "did you mean 'personas.primary.password'?",
        ),
        (
            "[run]\nmode = 'readonly'\n",
            "run.mode: 'readonly' is not a valid value",
            "did you mean 'read-only'?",
        ),
        ("[run]\nseed = 'abc'\n", "run.seed: 'abc' is not of type integer", "write run.seed as an integer"),
        ("[run]\nshard = '2of4'\n", "run.shard: '2of4' has the wrong form", "write it as I/N"),
        ("[target]\nmain = 'ftp://x'\n", "target.main: 'ftp://x' has the wrong form", "a base URL"),
    ],
)
def test_file_errors_name_the_key_and_suggest(tmp_path: Path, toml: str, message: str, hint: str) -> None:
    cfg = write(tmp_path / "fdconf.toml", toml)
    with pytest.raises(ConfigError) as err:
        load_settings(environ={}, cwd=tmp_path)
    assert err.value.message == f"{cfg}: {message}"
    assert err.value.hint.startswith(hint)
    assert "\n" not in err.value.one_line()


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", "[run\nseed=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={}, cwd=tmp_path)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config: no file at"):
        load_settings(config="nope.toml", environ={}, cwd=tmp_path)


def test_env_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FD_SEED='x' is not an integer"):
        load_settings(environ={"FD_SEED": "x"}, cwd=tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"FDCONF_PERSONA_OTHER_PASWORD": "x"}, cwd=tmp_path)
    assert err.value.hint == "did you mean FDCONF_PERSONA_OTHER_PASSWORD?"
    with pytest.raises(ConfigError, match=r"environment: run\.mode: .wrte."):
        load_settings(environ={"FD_MODE": "wrte"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="unknown fdconf variable"):
        load_settings(environ={"FDCONF_SEDE": "1"}, cwd=tmp_path)


def test_variables_read_outside_settings_are_not_unknown(tmp_path: Path) -> None:
    """`FDCONF_ALLURE` names the Allure 3 command the report step runs: `fdconf run` must accept it."""
    environ = {"FDCONF_ALLURE": "/opt/allure/bin/allure", "FD_SEED": "7"}
    settings = load_settings(environ=environ, cwd=tmp_path)
    assert settings.seed == 7


def test_flag_errors_name_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^command line: run.shard"):
        load_settings(environ={}, cwd=tmp_path, flags={"run.shard": "0/0"})
    with pytest.raises(ConfigError, match="out of range"):
        load_settings(environ={}, cwd=tmp_path, flags={"run.shard": "3/2"})


def test_cross_field_rules(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'username' needs 'password'"):
        load_settings(environ={"FD_BASE_URL": MAIN, "FD_USERNAME": "a@b.example"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="both token and username/password"):
        load_settings(
            environ={
                "FD_BASE_URL": MAIN,
                "FD_USERNAME": "a@b.example",
                "FD_PASSWORD": "pw-pw-pw",
                "FD_ACCESS_TOKEN": "tok-tok",
            },
            cwd=tmp_path,
        )
    with pytest.raises(ConfigError, match=r"target\.cr is set but target\.main is not"):
        load_settings(environ={"CR_BASE": CR}, cwd=tmp_path)


def test_defects_need_the_embedded_reference(tmp_path: Path) -> None:
    assert load_settings(environ={}, cwd=tmp_path, flags={"run.defects": ("x",)}).defects == ("x",)
    with pytest.raises(ConfigError, match="--defect only applies to the embedded reference"):
        load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path, flags={"run.defects": ("x",)})


def test_password_from_env_completes_file_username(tmp_path: Path) -> None:
    write(
        tmp_path / "fdconf.toml", f'[target]\nmain = "{MAIN}"\n[personas.primary]\nusername = "a@b.example"\n'
    )
    s = load_settings(environ={"FD_PASSWORD": "pw-from-env"}, cwd=tmp_path)
    primary = s.persona("primary")
    assert primary is not None
    assert primary.password == "pw-from-env"


def test_persona_label_never_shows_the_full_username() -> None:
    assert PersonaSettings(username="alice@acme.example", password="x").label() == "alice@…"
    assert PersonaSettings(token="t").label() == "static token"


def test_refresh_timeout_defaults_by_target_and_is_configurable(tmp_path: Path) -> None:
    embedded = load_settings(environ={}, cwd=tmp_path)
    target = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path)
    assert embedded.refresh_timeout < target.refresh_timeout
    write(tmp_path / "fdconf.toml", "[run]\nrefresh_timeout = 120\n")
    assert load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path).refresh_timeout == 120.0
    write(tmp_path / "fdconf.toml", "[run]\nrefresh_timeout = -1\n")
    with pytest.raises(ConfigError, match="refresh_timeout"):
        load_settings(environ={}, cwd=tmp_path)


def test_file_values_expand_environment_references(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", f"""
[target]
main = "{MAIN}"
[personas.primary]
username = "svc-acme@example.com"
password = "${{FD_PRIMARY_PASSWORD}}"
""")
    settings = load_settings(environ={"FD_PRIMARY_PASSWORD": "Sekret-Pw-42!"}, cwd=tmp_path)
    primary = settings.personas["primary"]
    assert primary.password == "Sekret-Pw-42!"
    assert "Sekret-Pw-42!" not in REDACTOR.text("the password is Sekret-Pw-42!")


def test_unset_environment_reference_names_the_key_and_variable(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", '[personas.primary]\nusername = "u"\npassword = "${FD_NOPE_PW}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    line = caught.value.one_line()
    assert "personas.primary.password" in line
    assert "FD_NOPE_PW" in line
    assert "\n" not in line


def test_target_headers_are_secrets_and_ca_bundle_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    write(tmp_path / "fdconf.toml", f"""
[target]
main = "{MAIN}"
ca_bundle = "certs/ca.pem"
[target.headers]
X-Proxy-Key = "${{PROXY_KEY}}"
""")
    config = tmp_path / "fdconf.toml"
    settings = load_settings(config=config, environ={"PROXY_KEY": "pk-7781-secret"}, cwd=tmp_path / "certs")
    assert settings.headers == {"X-Proxy-Key": "pk-7781-secret"}
    assert settings.ca_bundle == str((tmp_path / "certs" / "ca.pem").resolve())
    assert "pk-7781-secret" not in REDACTOR.text("key pk-7781-secret")
    assert Settings.from_json(settings.to_json()).headers == settings.headers
    # From the environment the path is relative to the working directory, not to the file.
    env = {"PROXY_KEY": "pk-7781-secret", "FD_CA_BUNDLE": "ca.pem"}
    from_env = load_settings(config=config, environ=env, cwd=tmp_path / "certs")
    assert from_env.ca_bundle == str((tmp_path / "certs" / "ca.pem").resolve())
    with pytest.raises(ConfigError, match=r"target\.ca_bundle: no file"):
        load_settings(config=config, environ=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[target.headers]\nAuthorization = "Bearer x"\n', "target.headers.Authorization"),
        ('[target.headers]\nx-preferred-partner-id = "partner-id-a"\n', "x-preferred-partner-id"),
        ('[target]\nca_bundle = "nope.pem"\n', "target.ca_bundle: no file"),
        ('[target.headers]\n"Bad Name" = "v"\n', "Bad Name"),
    ],
)
def test_target_header_and_ca_mistakes_are_one_line(tmp_path: Path, toml: str, fragment: str) -> None:
    write(tmp_path / "fdconf.toml", f'[target]\nmain = "{MAIN}"\n' + toml.replace("[target]\n", ""))
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    assert fragment in caught.value.one_line()
    assert "\n" not in caught.value.one_line()
