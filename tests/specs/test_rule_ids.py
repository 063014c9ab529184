"""Every rule id the code uses (`fd_rule(...)` markers, `Finding("ID", ...)` calls) is in
specs/rules.yaml, and the catalogue itself is well-formed. Scans source text, so it keeps working
as code is added."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from openapi_walk import ROOT

CATALOGUE = ROOT / "specs" / "rules.yaml"
SCANNED = ("conformance", "tests")
ID = r"[A-Z]{2,4}-\d{2}"
# fd_rule("TEN-01") or fd_rule("TEN-01", "TEN-02"), as a marker (pytest.mark.fd_rule) or a call.
MARKER = re.compile(r"\bfd_rule\(([^()]*)\)")
FINDING = re.compile(r"\bFinding\(\s*[\"'](" + ID + r")[\"']")
QUOTED_ID = re.compile(r"[\"'](" + ID + r")[\"']")


def rule_ids_used(text: str) -> set[str]:
    used = {m.group(1) for m in FINDING.finditer(text)}
    for marker in MARKER.finditer(text):
        used |= set(QUOTED_ID.findall(marker.group(1)))
    return used


def catalogue_ids() -> list[str]:
    return [rule["id"] for rule in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["rules"]]


def used_by_file() -> dict[Path, set[str]]:
    found = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "_data" in path.parts:  # the wheel's copy of specs/fixtures, not code
                continue
            ids = rule_ids_used(path.read_text(encoding="utf-8"))
            if ids:
                found[path.relative_to(ROOT)] = ids
    return found


def test_catalogue_ids_are_unique_and_well_formed() -> None:
    ids = catalogue_ids()
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(ID, i)] == []
    assert len(ids) >= 20


def test_every_rule_id_used_in_code_is_in_the_catalogue() -> None:
    known = set(catalogue_ids())
    unknown = {str(path): sorted(ids - known) for path, ids in used_by_file().items() if ids - known}
    assert unknown == {}, f"rule ids used in code but missing from {CATALOGUE.name}"


# Built by concatenation so this module's own source never contains a matching call.
_F, _M = "Find" + "ing(", "fd_" + "rule("


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f'raise {_F}"TEN-03", "leak")', {"TEN-03"}),
        (f"raise {_F}\n    'XYZ-99',\n    'msg')", {"XYZ-99"}),
        (f'@pytest.mark.{_M}"OBJ-01", "OBJ-04")\ndef test_x(): ...', {"OBJ-01", "OBJ-04"}),
        (f'pytestmark = pytest.mark.{_M}"PAG-01")', {"PAG-01"}),
        (f'{_F}rule_id, "x")  # dynamic ids are out of reach of a text scan', set()),
        ('text = "TEN-01 is mentioned in prose only"', set()),
    ],
)
def test_scanner_finds_rule_ids(source: str, expected: set[str]) -> None:
    assert rule_ids_used(source) == expected


def test_an_unknown_rule_id_is_reported(tmp_path: Path) -> None:
    code = tmp_path / "probe.py"
    code.write_text(f'raise {_F}"ZZZ-99", "no such rule")\n', encoding="utf-8")
    assert rule_ids_used(code.read_text(encoding="utf-8")) - set(catalogue_ids()) == {"ZZZ-99"}
