"""``run.confirm`` / ``--confirm`` and ``run.strict`` / ``--strict``: defaults, layers, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import Settings, load_settings
from conformance.errors import ConfigError


def test_two_replays_by_default_and_not_strict(tmp_path: Path) -> None:
    s = load_settings(environ={}, cwd=tmp_path)
    assert (s.confirm, s.strict) == (2, False)


def test_file_and_flags_set_them_and_they_reach_the_child(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text("[run]\nconfirm = 4\nstrict = true\n", encoding="utf-8")
    s = load_settings(environ={}, cwd=tmp_path)
    assert (s.confirm, s.strict) == (4, True)
    off = load_settings(environ={}, cwd=tmp_path, flags={"run.confirm": 0})
    assert off.confirm == 0
    assert Settings.from_json(off.to_json()).confirm == 0  # the child run gets the same figure


@pytest.mark.parametrize("value", ["-1", "11", '"two"'])
def test_a_bad_confirm_is_one_config_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "fdconf.toml").write_text(f"[run]\nconfirm = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="confirm"):
        load_settings(environ={}, cwd=tmp_path)
