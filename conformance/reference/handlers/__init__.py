"""Handlers of the reference, one module per level of the hierarchy; each exports ``ROUTES``."""

from __future__ import annotations

import importlib

from conformance.reference.context import Route

MODULES = (
    "auth",
    "partners",
    "events",
    "event_writes",
    "clusters",
    "campaigns",
    "wave",
    "sales",
    "messages",
    "prompts",
    "setup_processes",
    "packages",
    "nlq",
    "storage",
    "meta",
    "media",
    "cr",
)


def all_routes() -> dict[str, list[Route]]:
    """Every route the reference serves, grouped by surface (main, media, cr)."""
    grouped: dict[str, list[Route]] = {"main": [], "media": [], "cr": []}
    for name in MODULES:
        module = importlib.import_module(f"conformance.reference.handlers.{name}")
        for found in module.ROUTES:
            grouped[found.surface].append(found)
    return grouped
