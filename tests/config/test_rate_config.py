"""``run.rate`` / ``--rate`` and ``run.rate_backoff``: defaults per target, parsing, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import Settings, load_settings
from conformance.errors import ConfigError

MAIN = "http://127.0.0.1:8000/api/v3"


def test_a_deployment_gets_the_kits_figures_and_the_reference_none(tmp_path: Path) -> None:
    deployment = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path)
    assert deployment.rate == (600, 120, 10)  # the kit's reads, writes per partner and sign-ins a minute
    assert deployment.rate_label == "reads=600,writes=120,auth=10"
    assert load_settings(environ={}, cwd=tmp_path).rate is None


def test_flag_figures_override_and_missing_ones_keep_the_kits(tmp_path: Path) -> None:
    s = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path, flags={"run.rate": "reads=300, auth=4"})
    assert s.rate == (300, 120, 4)
    scaled = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path,
                           flags={"run.rate": "reads=2,writes=2,auth=2,window=2"})
    assert scaled.rate_label == "reads=2,writes=2,auth=2,window=2"
    off = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path, flags={"run.rate": "off"})
    assert off.rate is None
    on_reference = load_settings(environ={}, cwd=tmp_path, flags={"run.rate": "writes=30"})
    assert on_reference.rate == (600, 30, 10)


def test_file_table_and_backoff_round_trip_through_json(tmp_path: Path) -> None:
    (tmp_path / "fdconf.toml").write_text(
        f'[target]\nmain = "{MAIN}"\n[run]\nrate_backoff = 0.25\n[run.rate]\nreads = 60\nwrites = 6\n',
        encoding="utf-8")
    s = load_settings(environ={}, cwd=tmp_path)
    assert s.rate == (60, 6, 10)
    assert s.rate_backoff == 0.25
    assert Settings.from_json(s.to_json()).rate == (60, 6, 10)
    options = s.transport_options()
    assert (options["backoff_base"], options["backoff_cap"], options["max_429_retries"]) == (0.25, 0.5, 4)


@pytest.mark.parametrize("bad", ["reads=0", "fast", "reads=10,bogus=3", "reads=-1"])
def test_bad_rate_is_a_config_error_naming_the_key(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path, flags={"run.rate": bad})
    assert "rate" in str(err.value)


def test_a_window_scales_the_figures_and_travels_with_the_settings(tmp_path: Path) -> None:
    s = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path,
                      flags={"run.rate": "reads=30,writes=10,auth=20,window=1.5"})
    assert (s.rate, s.rate_window) == ((30, 10, 20), 1.5)
    assert s.rate_label == "reads=30,writes=10,auth=20,window=1.5"
    assert Settings.from_json(s.to_json()).rate_window == 1.5
    default = load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path)
    assert (default.rate_window, default.rate_label) == (60.0, "reads=600,writes=120,auth=10")
    with pytest.raises(ConfigError, match=r"run\.rate"):
        load_settings(environ={"FD_BASE_URL": MAIN}, cwd=tmp_path, flags={"run.rate": "window=soon"})
