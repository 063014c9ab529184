"""The journey table: which steps of the worked example an integration exercised (CONTRACT §7).

A step is *exercised* when at least one of its operations answered 2xx, *attempted* when it was
sent but never succeeded, and *not exercised* otherwise.
"""

from __future__ import annotations

from typing import Any

from conformance.integration.recording import Exchange, Journey

# step -> (surface, method, template) matchers; a None method/template matches any on that surface
STEPS: tuple[tuple[str, tuple[tuple[str, str | None, str | None], ...]], ...] = (
    ("sign in", (("main", "POST", "/auth"),)),
    ("pick partner", (("main", "GET", "/partners/"),)),
    ("list events", (("main", "GET", "/events/"),)),
    ("event and clusters", (("main", "GET", "/events/{eid}"), ("main", "GET", "/events/{eid}/clusters"))),
    ("create setup", (("main", "POST", "/setup_processes/{eid}"),)),
    ("autosave", (("main", "PUT", "/setup_processes/{eid}"),)),
    ("boost", (("main", "POST", "/setup_processes/{eid}/boost"),)),
    (
        "campaigns",
        (
            ("main", "GET", "/events/{eid}/campaigns"),
            ("main", "GET", "/campaigns/{eid}/{tc}/{tc_run_id}"),
            ("main", "POST", "/campaigns_setup"),
        ),
    ),
    ("CR simulation or event editor", (("cr", None, None),)),
    ("media", (("media", "POST", "/media"),)),
)


def _matches(e: Exchange, surface: str, method: str | None, template: str | None) -> bool:
    return (
        e.op is not None
        and e.op.surface == surface
        and method in (None, e.op.method)
        and (template in (None, e.op.template))
    )


def journey_table(journey: Journey) -> list[dict[str, Any]]:
    """One row per step: ``{step, status, requests, succeeded}``."""
    rows = []
    for step, matchers in STEPS:
        sent = [e for e in journey.exchanges if any(_matches(e, *m) for m in matchers)]
        ok = [e for e in sent if e.ok]
        status = "exercised" if ok else ("attempted" if sent else "not exercised")
        rows.append({"step": step, "status": status, "requests": len(sent), "succeeded": len(ok)})
    return rows


def render_journey_markdown(rows: list[dict[str, Any]]) -> str:
    out = [
        "## Journey (steps of the worked example)",
        "",
        "| step | status | requests | 2xx |",
        "|---|---|---|---|",
    ]
    out += [f"| {r['step']} | {r['status']} | {r['requests']} | {r['succeeded']} |" for r in rows]
    return "\n".join(out) + "\n"
