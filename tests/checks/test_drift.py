"""OBJ-02's owner check: a foreign write's effect is a change; a field that moves between two reads with
nothing written in between is live and is not one."""

from __future__ import annotations

from typing import Any

from conformance.checks import changed_paths


def _view(name: str, served: int, setup_status: int = 404, campaigns: int = 0) -> dict[str, tuple[int, Any]]:
    return {
        "main /events/e1": (200, {"id": "e1", "name": name, "served_count": served}),
        "main /events/e1/campaigns": (200, {"total": campaigns, "items": [{"tc": "a"}] * campaigns}),
        "main /setup_processes/e1": (setup_status, {"message": "error.setup.not_found"}),
    }


def test_nothing_changed_when_only_live_fields_moved() -> None:
    assert changed_paths(_view("Gala", 1), _view("Gala", 2), _view("Gala", 9)) == []


def test_a_renamed_event_is_a_change_even_next_to_live_fields() -> None:
    changed = changed_paths(_view("Gala", 1), _view("Gala", 2), _view("Hacked", 3))
    assert changed == ["main /events/e1 .name"]


def test_a_created_setup_and_campaign_are_changes() -> None:
    after = _view("Gala", 1, setup_status=200, campaigns=1)
    changed = changed_paths(_view("Gala", 1), _view("Gala", 1), after)
    assert "main /setup_processes/e1 status" in changed
    assert "main /events/e1/campaigns .items#len" in changed
    assert "main /events/e1/campaigns .total" in changed


def test_identical_reads_without_live_fields_change_nothing() -> None:
    view = _view("Gala", 1)
    assert changed_paths(view, view, view) == []
