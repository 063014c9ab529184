"""Progress modes: which one a run gets, and what the CI-log lines say (the hooks run in test_plugin)."""

from __future__ import annotations

import pytest

from conformance.harness.progress import choose, family_of


@pytest.mark.parametrize(
    ("wanted", "tty", "verbosity", "mode"),
    [
        ("auto", True, -1, "bar"),
        ("auto", False, -1, "lines"),
        ("auto", True, 0, "off"),  # pytest already prints a letter per test
        ("bar", False, 1, "bar"),  # forced
        ("lines", True, -1, "lines"),
        ("off", True, -1, "off"),
    ],
)
def test_choose(wanted: str, tty: bool, verbosity: int, mode: str) -> None:
    assert choose(wanted, is_tty=tty, verbosity=verbosity) == mode


def test_family_of() -> None:
    assert family_of(("TEN-03", "HST-02")) == "TEN"
    assert family_of(()) == "other"
