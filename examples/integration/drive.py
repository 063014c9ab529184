"""Drives the worked-example journey through the example partner backend (``proxy.py``).

Run it in the sandbox: ``fdconf integration run -- python examples/integration/drive.py``. It starts
the proxy on loopback, then, as the partner's own app would: checks the partner, lists events
(repeated array filters), finds an event without a setup, reads the event and its clusters, opens
the event editor's raw view on CR, waits for the clusters refresh (polling ≥3 s apart, bounded),
creates the setup from the newest run, uploads a creative, autosaves, re-reads, boosts, and opens
the campaigns. Then it keeps monitoring the campaigns (a poll every 3.5 s) until the session has
been refreshed once, so the certification sees the refresh. Exit 0 when every step succeeded.

``EXAMPLE_BREAK`` (comma list) switches on deliberate mistakes (see ``proxy.BREAKS`` and ``BREAKS``
below); ``EXAMPLE_JOURNEY=short`` stops after listing events (a journey that exercises little).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proxy import breaks, build_app

BREAKS = {
    "bracket-arrays": "INT-06: send array filters as city[]=",
    "mix-runs": "INT-08: autosave targeting on the old run, creatives on the new one",
    "autosave-after-publish": "INT-09: autosave once more after the boost",
}
POLL = 3.5


class Failed(Exception):
    pass


def start_proxy() -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(build_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise Failed("the proxy did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def call(
    http: httpx.Client, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kw: Any
) -> httpx.Response:
    response = http.request(method, path, **kw)
    if response.status_code not in ok:
        raise Failed(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return response


def clusters(http: httpx.Client, eid: str) -> dict[str, Any]:
    return call(http, "GET", f"/main/events/{eid}/clusters").json()


def journey(http: httpx.Client) -> None:
    partner = call(http, "GET", "/main/partners/").json()
    print(f"acting for {partner.get('name')}")
    cities = [("city", "Köln"), ("city", "München")]
    if "bracket-arrays" in breaks():
        cities = [("city[]", "Köln"), ("city[]", "München")]
    events = call(http, "GET", "/main/events/", params=[*cities, ("limit", "50")]).json()["items"]
    if os.environ.get("EXAMPLE_JOURNEY") == "short":
        return
    eid = next(
        e["id"]
        for e in events
        if call(http, "GET", f"/main/setup_processes/{e['id']}", ok=(200, 404)).status_code == 404
    )
    call(http, "GET", f"/main/events/{eid}")
    first = clusters(http, eid)
    call(http, "GET", f"/cr/events/{eid}")  # the event editor's raw view lives on CR
    # The model may re-run at any time: wait (bounded, ≥3 s apart) for the newest clusters.
    latest = first
    for _ in range(5):
        time.sleep(POLL)
        latest = clusters(http, eid)
        if latest["tc_run_id"] != first["tc_run_id"]:
            break
    run, tcs = latest["tc_run_id"], [c["tc"] for c in latest["clusters"]][:2]
    defaults = call(http, "GET", f"/main/events/{eid}/default_campaigns_parameters").json()
    details = defaults["integration_defaults"]
    media = call(
        http,
        "POST",
        "/media",
        files={"file": ("creative.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")},
    ).json()
    setup = {
        "goal": defaults["goal"],
        "total_budget": defaults["total_budget"],
        "start_date": defaults["start_date"],
        "end_date": defaults["end_date"],
        "creatives": [
            {
                "tc": tc,
                "tc_run_id": run,
                "headline": f"For {tc}",
                "body": "Tickets now",
                "media_url": media["url"],
                "cta": "GET_TICKETS",
            }
            for tc in tcs
        ],
        "targeting": [
            {"tc": tc, "tc_run_id": run, "geo": [], "demographics": {}, "saved_audience_id": None}
            for tc in tcs
        ],
        "integration_details": [{"tc": tc, "tc_run_id": run, **details} for tc in tcs],
    }
    call(http, "POST", f"/main/setup_processes/{eid}", json=setup)
    for creative in setup["creatives"]:
        creative["headline"] += " (edited)"
    if "mix-runs" in breaks():
        setup["targeting"] = [{**t, "tc_run_id": first["tc_run_id"]} for t in setup["targeting"]]
    call(http, "PUT", f"/main/setup_processes/{eid}", json=setup)  # autosave: always the full payload
    call(http, "GET", f"/main/setup_processes/{eid}")  # re-read before publishing
    call(http, "POST", f"/main/setup_processes/{eid}/boost")
    if "autosave-after-publish" in breaks():
        call(http, "PUT", f"/main/setup_processes/{eid}", json=setup)
    for event in [eid, *[e["id"] for e in events if e["id"] != eid][:1]]:
        for campaign in call(http, "GET", f"/main/events/{event}/campaigns").json().get("items", []):
            # tc is a label: URL-encode it, never slugify it
            call(
                http,
                "GET",
                f"/main/campaigns/{event}/{quote(campaign['tc'], safe='')}/{campaign['tc_run_id']}",
            )
    monitor(http, eid)


def monitor(http: httpx.Client, eid: str) -> None:
    """Keep an eye on the campaigns until the session was refreshed once (bounded by 3 token lives)."""
    life = call(http, "GET", "/_proxy/session").json()["token_life"] or 60
    deadline = time.monotonic() + 3 * life + 10
    while time.monotonic() < deadline:
        time.sleep(POLL)
        call(http, "GET", f"/main/events/{eid}/campaigns")
        if call(http, "GET", "/_proxy/session").json()["refreshes"] >= 1:
            return
    raise Failed("the session was never refreshed")


def main() -> int:
    server, base = start_proxy()
    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as http:
            journey(http)
    except Failed as failure:
        print(f"journey failed: {failure}", file=sys.stderr)
        return 1
    finally:
        server.should_exit = True
    print("journey complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
