"""The shared identifier formats match the specs, and the reference uses the same ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance import resources
from conformance.ids import PARTNER_RE


def test_partner_pattern_is_the_specs_partner_id() -> None:
    # The CR spec types no partner id in paths or bodies (its header has no pattern: Decision 43).
    doc = yaml.safe_load(Path(resources.main_spec()).read_text(encoding="utf-8"))
    assert PARTNER_RE.pattern == doc["components"]["schemas"]["PartnerId"]["pattern"]


@pytest.mark.parametrize(
    ("value", "is_partner"),
    [("partner-id-acme", True), ("fd1042", True), ("partner-id-", False), ("fdx", False),
     ("webapp-access-group-2", False), ("", False)],
)
def test_partner_pattern(value: str, is_partner: bool) -> None:
    assert (PARTNER_RE.match(value) is not None) is is_partner


def test_one_pattern_for_suite_and_reference() -> None:
    from conformance.auth import _tokens as tokens
    from conformance.checks import _tenancy
    from conformance.reference import dataset, identity

    users = (tokens, _tenancy, dataset, identity)
    assert {id(vars(module)["PARTNER_RE"]) for module in users} == {id(PARTNER_RE)}
