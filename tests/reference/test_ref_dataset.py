"""The reference dataset: what the fixture must contain, and the mistakes it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.reference.dataset import DatasetError, load_dataset
from conformance.resources import reference_dataset


def test_bundled_dataset_has_what_the_suite_needs() -> None:
    data = load_dataset()
    partners = set(data.partner_ids())
    assert partners >= {"partner-id-acme", "partner-id-beta", "fd123"}
    per_partner = {p: [e for e in data.events if e["partner"] == p] for p in partners}
    assert len(per_partner["partner-id-acme"]) > 50  # the event list needs two pages at the default limit
    assert all(per_partner[p] for p in partners)
    assert any(len(e["runs"]) >= 2 for e in data.events)
    tcs = {c["tc"] for e in data.events for r in e["runs"] for c in r["clusters"]}
    assert any(" " in tc and "&" in tc and not tc.isascii() for tc in tcs)
    assert any(e.get("campaigns") for e in data.events)
    assert any(e.get("tickets") for e in data.events)
    assert any(e.get("sales") for e in data.events)
    assert any(e.get("series") for e in data.events)
    assert {m["partner"] for m in data.messages} >= {"partner-id-acme", "partner-id-beta"}
    assert {u["persona"] for u in data.users} >= {"primary", "other", "multi", "legacy", "nopartner"}


def _broken(tmp_path: Path, mutate: object) -> Path:
    raw = yaml.safe_load(reference_dataset().read_text(encoding="utf-8"))
    mutate(raw)  # type: ignore[operator]
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d["events"][0].update(id="evt__bad"), "cid-safe"),
        (lambda d: d["events"][0].update(partner="partner-id-nobody"), "unknown partner"),
        (
            lambda d: d["events"][0]["runs"][0]["clusters"].append(
                dict(d["events"][0]["runs"][0]["clusters"][0])
            ),
            "appears twice",
        ),
        (lambda d: d["events"][0]["runs"][0]["clusters"][0].update(tc="a/b"), "not cid-safe"),
        (lambda d: d["users"].pop(0), "personas"),
        (lambda d: d["events"].append(dict(d["events"][0])), "appears twice"),
    ],
)
def test_mistakes_in_the_fixture_are_refused(tmp_path: Path, mutate: object, complaint: str) -> None:
    with pytest.raises(DatasetError, match=complaint):
        load_dataset(_broken(tmp_path, mutate))


def test_a_custom_dataset_can_be_served(tmp_path: Path, start_stack: object) -> None:
    def rename(d: dict[str, object]) -> None:
        d["partners"][0]["name"] = "Renamed Concerts"  # type: ignore[index]

    stack = start_stack(dataset=_broken(tmp_path, rename))  # type: ignore[operator]
    assert stack.dataset.partners[0]["name"] == "Renamed Concerts"
