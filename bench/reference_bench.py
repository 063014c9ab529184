"""Benchmark of the embedded reference on this machine: start time, req/s and p50/p95 per operation.

Usage: ``PYTHONPATH=. python bench/reference_bench.py [--requests 400] [--concurrency 1,4]``

Operations: list events (page 1, default limit), event detail, clusters, and a setup-process write
(``PUT /setup_processes/{eid}`` full replace on a draft). Every request goes over real HTTP on
loopback to a freshly started stack (moto Cognito, SQLite, uvicorn). Latency is measured per
request on the client; req/s is requests divided by wall time for the whole batch.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from conformance.reference.stack import ReferenceStack


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _operations(stack: ReferenceStack, token: str) -> dict[str, Callable[[httpx.Client], httpx.Response]]:
    headers = {"Authorization": f"Bearer {token}"}
    main = stack.main_base
    body: dict[str, Any] = {
        "goal": "ROAS",
        "total_budget": 2500,
        "start_date": "2027-05-01",
        "end_date": "2027-06-20",
        "creatives": [
            {
                "tc": "indie_pop_lovers",
                "tc_run_id": 7,
                "headline": "Bench",
                "body": "b",
                "media_url": "https://media.future-demand.com/b.jpg",
                "cta": "GET_TICKETS",
            }
        ],
    }
    return {
        "GET /events/": lambda c: c.get(main + "/events/", headers=headers),
        "GET /events/{eid}": lambda c: c.get(main + "/events/evt_acme_001", headers=headers),
        "GET /events/{eid}/clusters": lambda c: c.get(
            main + "/events/evt_acme_001/clusters", headers=headers
        ),
        "PUT /setup_processes/{eid}": lambda c: c.put(
            main + "/setup_processes/evt_acme_002", headers=headers, json=body
        ),
    }


def _run(
    call: Callable[[httpx.Client], httpx.Response], total: int, workers: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = total // workers

    def work() -> None:
        mine = []
        with httpx.Client(trust_env=False, timeout=10) as client:
            call(client)  # warm the connection
            for _ in range(per_worker):
                started = time.perf_counter()
                answer = call(client)
                mine.append(time.perf_counter() - started)
                if answer.status_code >= 400:
                    raise RuntimeError(f"benchmark request failed: {answer.status_code} {answer.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests", type=int, default=400, help="requests per operation and concurrency level"
    )
    parser.add_argument("--concurrency", default="1,4", help="comma-separated client thread counts")
    parser.add_argument("--starts", type=int, default=3, help="how many cold starts to time")
    args = parser.parse_args()

    starts = []
    for _ in range(args.starts):
        stack = ReferenceStack().start()
        starts.append(stack.startup_seconds)
        stack.stop()
    print(
        f"stack start: median {statistics.median(starts):.2f} s, max {max(starts):.2f} s "
        f"over {len(starts)} starts"
    )

    with ReferenceStack() as stack:
        persona = stack.personas["primary"]
        token = httpx.post(
            stack.main_base + "/auth",
            trust_env=False,
            json={"username": persona["username"], "password": persona["password"]},
        ).json()["AccessToken"]
        print(f"{'operation':<30} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
        for name, call in _operations(stack, token).items():
            for workers in (int(w) for w in args.concurrency.split(",")):
                wall, latencies = _run(call, args.requests, workers)
                print(
                    f"{name:<30} {workers:>7} {len(latencies) / wall:>8.0f} "
                    f"{_percentile(latencies, 0.5) * 1000:>8.2f} {_percentile(latencies, 0.95) * 1000:>8.2f}"
                )


if __name__ == "__main__":
    main()
