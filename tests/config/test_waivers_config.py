"""``[[waivers]]`` in fdconf.toml and in a ``--waivers`` file: what is read, every bad input one line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from conformance.config import load_settings
from conformance.config.settings import Settings
from conformance.errors import ConfigError

TODAY = datetime.now(UTC).date()
LATER = (TODAY + timedelta(days=30)).isoformat()
EARLIER = (TODAY - timedelta(days=3)).isoformat()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def waiver(**fields: str) -> str:
    values = {"rule": '"TEN-03"', "reason": '"header check lands in Q1"', "ticket": '"FD-1"',
              "expires": LATER, **fields}
    return "[[waivers]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items() if v != "")


def test_waivers_in_the_config_file_are_read(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml",
          waiver(host='"main"', operation='"GET  /partners/"', created=TODAY.isoformat())
          + waiver(rule='"obj-01"', expires=f'"{LATER}"', ticket='"FD-2"'))
    settings = load_settings(environ={}, cwd=tmp_path)
    first, second = settings.waivers
    assert (first.rule, first.host, first.operation) == ("TEN-03", "main", "GET /partners/")
    assert first.expires == LATER
    assert first.source == "fdconf.toml waivers[0]"
    # a quoted date works too, and rule ids are upper-cased
    assert (second.rule, second.ticket, second.expires) == ("OBJ-01", "FD-2", LATER)
    assert first.live_on(TODAY)
    assert first.live_on(date.fromisoformat(LATER))
    assert not first.live_on(date.fromisoformat(LATER) + timedelta(days=1))


def test_a_separate_waivers_file_adds_to_the_config(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", "[run]\nwaivers = \"gate/waivers.toml\"\n" + waiver())
    (tmp_path / "gate").mkdir()
    write(tmp_path / "gate" / "waivers.toml", waiver(rule='"AUTH-01"', ticket='"FD-9"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # run.waivers in a file is relative to that file, not to the working directory
    settings = load_settings(config=tmp_path / "fdconf.toml", environ={}, cwd=elsewhere)
    assert [w.rule for w in settings.waivers] == ["TEN-03", "AUTH-01"]
    assert settings.waivers[1].source == "waivers.toml waivers[0]"
    flagged = load_settings(environ={}, cwd=tmp_path / "gate", flags={"run.waivers": "waivers.toml"})
    assert [w.ticket for w in flagged.waivers] == ["FD-9"]


def test_waivers_survive_the_settings_json_that_workers_read(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", waiver(check='"header-foreign"'))
    settings = load_settings(environ={}, cwd=tmp_path)
    assert Settings.from_json(settings.to_json()).waivers == settings.waivers


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        (waiver(expires=""), "waivers.0: 'expires' is missing"),
        (waiver(ticket=""), "'ticket' is missing"),
        (waiver(rule='"TEN03"'), "waivers.0.rule"),
        (waiver(expires='"31.12.2026"'), "waivers.0.expires"),
        (waiver(expires="2026-12-31T10:00:00"), "waivers.0.expires"),
        (waiver(expires='"2026-02-30"'), "is not a date"),
        (waiver(created=TODAY.isoformat(), expires=EARLIER), "was already past when the waiver was written"),
        (waiver(created=LATER), "is in the future"),
        (waiver(host='"staging"'), "waivers.0.host"),
        (waiver(operation='"/events/"'), "waivers.0.operation"),
        (waiver(reasons='"typo"'), "unknown key 'waivers.0.reasons'"),
    ],
)
def test_bad_waiver_is_one_config_error(tmp_path: Path, entry: str, needle: str) -> None:
    write(tmp_path / "fdconf.toml", entry)
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    line = caught.value.one_line()
    assert "\n" not in line
    assert needle in line, line


def test_unknown_key_suggests_the_waiver_key(tmp_path: Path) -> None:
    write(tmp_path / "fdconf.toml", waiver(expiry=f'"{LATER}"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, cwd=tmp_path)
    assert "did you mean 'waivers.0.expires'" in caught.value.one_line()


def test_an_expired_waiver_is_not_a_config_error(tmp_path: Path) -> None:
    """Past its date by the day of the run (and valid when written): read, and reported by the run."""
    write(tmp_path / "fdconf.toml", waiver(expires=EARLIER, created=(TODAY - timedelta(days=10)).isoformat()))
    (only,) = load_settings(environ={}, cwd=tmp_path).waivers
    assert not only.live_on(TODAY)


def test_waivers_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--waivers: no file at"):
        load_settings(environ={}, cwd=tmp_path, flags={"run.waivers": "missing.toml"})
    write(tmp_path / "w.toml", "[run]\nseed = 1\n" + waiver())
    with pytest.raises(ConfigError, match="unknown key 'run' in a waivers file"):
        load_settings(environ={}, cwd=tmp_path, flags={"run.waivers": "w.toml"})
    write(tmp_path / "w.toml", "[[waivers]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={}, cwd=tmp_path, flags={"run.waivers": "w.toml"})
