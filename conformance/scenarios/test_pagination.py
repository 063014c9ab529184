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
from conformance.scenarios.controls import ProbeLedger, read_control
from conformance.scenarios.discovery import list_items
from conformance.scenarios.sweep import Sweep, Unexercised, targets
from conformance.spec import Operation, load

WALK_LIMIT = 7


def _lists(values: dict[str, Any]) -> list[tuple[Operation, str]]:
    return targets([op for op in load("main") if op.paginated and op.secured], values, reads_only=True)


@pytest.mark.fd_rule("PAG-01")
def test_every_page_is_consistent(
    primary_main: Api, fd_ledger: ProbeLedger, path_values: dict[str, Any]
) -> None:
    lists = _lists(path_values)
    if not lists:
        pytest.skip("not run: the spec marks no paginated list")
    sweep = Sweep("PAG-01", fd_ledger, "envelope-consistent", concurrent=True)
    for op, path in lists:

        def judge(path: str = path) -> None:
            first = primary_main.get(path, params={"page": 1, "limit": WALK_LIMIT})
            if not 200 <= first.status < 300:
                raise Unexercised(f"the list answers {first.status}")
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
            defaults = require_json(default, "PAG-01", f"GET {path}")
            check_page(defaults, where=f"GET {path} (defaults)", curl=default.curl)

        sweep.judge(judge, operation=op.label)
    sweep.finish("every page must be self-consistent")


@pytest.mark.fd_rule("PAG-01")
@pytest.mark.parametrize(("name", "value"), [("limit", 0), ("limit", 1001), ("page", 0), ("page", -1)])
def test_out_of_range_paging_is_400(
    primary_main: Api, fd_ledger: ProbeLedger, path_values: dict[str, Any], name: str, value: int
) -> None:
    """Judged where the list answers 2xx with default paging (the control)."""
    sweep = Sweep("PAG-01", fd_ledger, "out-of-range-400", concurrent=True)
    for op, path in _lists(path_values):
        control = read_control(fd_ledger, primary_main, op, path)

        def judge(path: str = path) -> None:
            exchange = primary_main.get(path, params={name: value})
            if exchange.status != 400:
                raise Finding(
                    "PAG-01",
                    f"GET {path}?{name}={value} -> {exchange.status}",
                    expected="400",
                    received=exchange.response_text(200),
                    curl=exchange.curl,
                )

        sweep.judge(judge, operation=f"{op.label} {name}={value}", control=control)
    sweep.finish(f"{name}={value} must get 400")


def _array_params(op: Operation) -> list[str]:
    out = []
    for param in op.query:
        schema = param.get("schema") or {}
        if isinstance(schema, dict) and schema.get("type") == "array" and isinstance(param.get("name"), str):
            out.append(param["name"])
    return out


@pytest.mark.fd_rule("PAG-01")
def test_repeated_arrays_are_accepted_and_bracket_arrays_rejected(
    primary_main: Api, fd_ledger: ProbeLedger, fd_api: Callable[..., Api]
) -> None:
    events = [op for op in load("main") if op.paginated and not op.path_params and _array_params(op)]
    if not events:
        pytest.skip("not run: no paginated list without path parameters has an array filter")
    sweep = Sweep("PAG-01", fd_ledger, "repeated-arrays", concurrent=True)
    for op in events:
        items = list_items(primary_main, op.path)
        for name in _array_params(op):
            label = f"{op.label} {name}"
            values = sorted(
                {str(i[name]) for i in items if isinstance(i, dict) and isinstance(i.get(name), str)}
            )
            if len(values) < 2:
                why = f"the listed items offer no two values for `{name}`"
                sweep.unexercised(op.host, label, why)
                sweep.unexercised(op.host, label, why, check="bracket-arrays-400")
                continue
            wanted = values[:2]

            def judge_repeated(op: Operation = op, name: str = name, wanted: list[str] = wanted) -> None:
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

            def judge_bracket(op: Operation = op, name: str = name, wanted: list[str] = wanted) -> None:
                bracket = primary_main.get(op.path, params={f"{name}[]": wanted[0]})
                if bracket.status != 400:
                    raise Finding(
                        "PAG-01",
                        f"GET {op.path}?{name}[]={wanted[0]} -> {bracket.status}",
                        expected="400 (bracket-style arrays are rejected)",
                        curl=bracket.curl,
                    )

            before = len(sweep.findings)
            sweep.judge(judge_repeated, operation=label)
            if len(sweep.findings) > before:  # the repeated form is the bracket probe's control
                why = "control: the repeated form failed"
                sweep.unexercised(op.host, label, why, check="bracket-arrays-400")
                continue
            sweep.judge(judge_bracket, operation=label, check="bracket-arrays-400")
    sweep.finish("repeated arrays must filter and bracket arrays must get 400")
