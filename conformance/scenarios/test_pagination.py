"""PAG-01: page envelopes are consistent on every page; repeated arrays work, bracket arrays are 400.

Paginated lists are the operations marked ``x-fd-paginated`` in the main spec (filled with the
primary persona's discovered event). Array filter values are taken from the listed items themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import check_page, require_json
from conformance.client import Api
from conformance.errors import Finding
from conformance.scenarios.discovery import list_items
from conformance.scenarios.sweep import targets
from conformance.spec import Operation, load

WALK_LIMIT = 7


def _lists(values: dict[str, Any]) -> list[tuple[Operation, str]]:
    return targets([op for op in load("main") if op.paginated and op.secured], values, reads_only=True)


@pytest.mark.fd_rule("PAG-01")
def test_every_page_is_consistent(primary_main: Api, path_values: dict[str, Any]) -> None:
    lists = _lists(path_values)
    if not lists:
        pytest.skip("not run: the spec marks no paginated list")
    for _, path in lists:
        first = primary_main.get(path, params={"page": 1, "limit": WALK_LIMIT})
        body = require_json(first, "PAG-01", f"GET {path}")
        check_page(body, page=1, limit=WALK_LIMIT, where=f"GET {path} page 1", curl=first.curl)
        pages = body["pages"]
        for page in range(2, min(pages, 50) + 2):  # every page, and one past the end
            exchange = primary_main.get(path, params={"page": page, "limit": WALK_LIMIT})
            check_page(
                require_json(exchange, "PAG-01", f"GET {path}"),
                page=page,
                limit=WALK_LIMIT,
                where=f"GET {path} page {page}",
                curl=exchange.curl,
            )
        default = primary_main.get(path)
        check_page(
            require_json(default, "PAG-01", f"GET {path}"), where=f"GET {path} (defaults)", curl=default.curl
        )


@pytest.mark.fd_rule("PAG-01")
@pytest.mark.parametrize(("name", "value"), [("limit", 0), ("limit", 1001), ("page", 0), ("page", -1)])
def test_out_of_range_paging_is_400(
    primary_main: Api, path_values: dict[str, Any], name: str, value: int
) -> None:
    for _, path in _lists(path_values):
        exchange = primary_main.get(path, params={name: value})
        if exchange.status != 400:
            raise Finding(
                "PAG-01",
                f"GET {path}?{name}={value} -> {exchange.status}",
                expected="400",
                received=exchange.response_text(200),
                curl=exchange.curl,
            )


def _array_params(op: Operation) -> list[str]:
    out = []
    for param in op.query:
        schema = param.get("schema") or {}
        if isinstance(schema, dict) and schema.get("type") == "array" and isinstance(param.get("name"), str):
            out.append(param["name"])
    return out


@pytest.mark.fd_rule("PAG-01")
def test_repeated_arrays_are_accepted_and_bracket_arrays_rejected(
    primary_main: Api, fd_api: Callable[..., Api]
) -> None:
    events = [op for op in load("main") if op.paginated and not op.path_params and _array_params(op)]
    if not events:
        pytest.skip("not run: no paginated list without path parameters has an array filter")
    checked = 0
    for op in events:
        items = list_items(primary_main, op.path)
        for name in _array_params(op):
            values = sorted(
                {str(i[name]) for i in items if isinstance(i, dict) and isinstance(i.get(name), str)}
            )
            if len(values) < 2:
                continue
            wanted = values[:2]
            repeated = primary_main.get(op.path, params={name: wanted, "limit": 1000})
            body = require_json(repeated, "PAG-01", f"GET {op.path}?{name}=A&{name}=B")
            got = (
                {str(i.get(name)) for i in (body or {}).get("items", []) if isinstance(i, dict)}
                if isinstance(body, dict)
                else set()
            )
            if repeated.status != 200 or not got or not got <= set(wanted):
                raise Finding(
                    "PAG-01",
                    f"GET {op.path} with repeated {name}={wanted} -> {repeated.status}, "
                    f"items with {name} {sorted(got)[:5]}",
                    expected=f"200, items only in {wanted}",
                    curl=repeated.curl,
                )
            bracket = primary_main.get(op.path, params={f"{name}[]": wanted[0]})
            if bracket.status != 400:
                raise Finding(
                    "PAG-01",
                    f"GET {op.path}?{name}[]={wanted[0]} -> {bracket.status}",
                    expected="400 (bracket-style arrays are rejected)",
                    curl=bracket.curl,
                )
            checked += 1
    if not checked:
        pytest.skip("not run: the listed items offer no two values for any array filter")
