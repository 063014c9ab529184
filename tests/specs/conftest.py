"""Fixtures for the spec tests: the parsed documents of both hosts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openapi_walk import load


@pytest.fixture(params=["main", "cr"])
def host(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def spec(host: str) -> dict[str, Any]:
    """A private deep copy of the host's spec (tests may mutate it)."""
    return copy.deepcopy(load(host))


@pytest.fixture
def main_spec() -> dict[str, Any]:
    return copy.deepcopy(load("main"))


@pytest.fixture
def cr_spec() -> dict[str, Any]:
    return copy.deepcopy(load("cr"))
