import pytest

from conformance.checks import check_page, looks_paginated, page_problems
from conformance.errors import Finding


def envelope(total: int, limit: int, page: int, over: dict[str, object] | None = None) -> dict[str, object]:
    pages = -(-total // limit)
    count = max(0, min(limit, total - (page - 1) * limit))
    body: dict[str, object] = {
        "total": total,
        "limit": limit,
        "page": page,
        "pages": pages,
        "nextPage": page + 1 if page < pages else None,
        "prevPage": page - 1 if page > 1 else None,
        "items": [{"id": f"e{i}"} for i in range(count)],
    }
    body.update(over or {})
    return body


@pytest.mark.parametrize(
    ("total", "limit", "page"),
    [(0, 50, 1), (1, 50, 1), (7, 3, 1), (7, 3, 2), (7, 3, 3), (7, 3, 9), (6, 3, 2)],
)
def test_consistent_pages_pass(total: int, limit: int, page: int) -> None:
    assert page_problems(envelope(total, limit, page), page=page, limit=limit) == []


def test_defaults_apply_when_not_sent() -> None:
    assert page_problems(envelope(3, 50, 1)) == []
    assert page_problems(envelope(3, 10, 1)) == ["`limit` is 10, the request asked for 50"]


def test_empty_list_may_report_one_page() -> None:
    assert page_problems(envelope(0, 50, 1, {"pages": 1})) == []


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"pages": 2}, "`pages` is 2"),
        ({"nextPage": None}, "`nextPage`"),
        ({"prevPage": 1}, "`prevPage` is 1 on page 1"),
        ({"items": [{"id": "x"}]}, "holds 1 items"),
        ({"total": "7"}, "not an integer"),
        ({"page": 2}, "`page` is 2"),
    ],
)
def test_inconsistencies_are_findings(over: dict[str, object], fragment: str) -> None:
    with pytest.raises(Finding) as info:
        check_page(envelope(7, 3, 1, over), page=1, limit=3, where="GET /events/")
    assert str(info.value).startswith("[PAG-01]")
    assert fragment in str(info.value)


def test_missing_fields_and_wrong_types() -> None:
    lacks = "envelope lacks limit, page, pages, nextPage, prevPage"
    assert page_problems({"items": [], "total": 0}) == [lacks]
    assert page_problems([1, 2]) == ["page body is a JSON list, not an object"]
    assert looks_paginated({"items": [], "total": 0})
    assert not looks_paginated({"items": []})
