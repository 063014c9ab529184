import pytest

from conformance.checks import CidTemplate, campaign_problems, check_cid_safety, cid_problems, issued_ids
from conformance.errors import Finding

T = CidTemplate()


def test_compose_and_parse_round_trip() -> None:
    cid = T.compose(42, "evt_abc123", "Familie & Freunde München")
    assert cid == "42__evt_abc123__Familie & Freunde München"
    assert T.parse(cid) == ("42", "evt_abc123", "Familie & Freunde München")
    assert T.round_trips(42, "evt_abc123", "family outings")


def test_unsafe_ids_do_not_round_trip() -> None:
    assert not T.round_trips(42, "evt__abc", "x")
    assert T.unsafe_part("evt__abc") == "__"
    assert T.unsafe_part("a/b") == "/"
    assert T.unsafe_part("evt_abc") is None


def test_old_template_makes_single_underscores_unsafe() -> None:
    old = CidTemplate("{tc_run_id}_{eid}_{tc}")
    assert old.unsafe_part("evt_abc123") == "_"
    assert old.parse("42_evt_x") == ("42", "evt", "x")


@pytest.mark.parametrize(
    "template", ["{eid}__{tc}", "{tc_run_id}{eid}__{tc}", "{tc_run_id}__{eid}__{tc}__{eid}"]
)
def test_bad_templates_are_rejected(template: str) -> None:
    with pytest.raises(ValueError, match="cid template"):
        CidTemplate(template)


def test_issued_ids_walks_nested_bodies() -> None:
    body = {
        "tc_run_id": 3,
        "clusters": [{"tc": "a b", "label": "x__y"}],
        "items": [{"id": "e1", "campaign_event_series": ["e2", "e3"]}],
    }
    assert dict(issued_ids(body)) == {
        "$.tc_run_id": 3,
        "$.clusters[0].tc": "a b",
        "$.items[0].id": "e1",
        "$.items[0].campaign_event_series[0]": "e2",
        "$.items[0].campaign_event_series[1]": "e3",
    }


def test_cid_problems() -> None:
    good = {"items": [{"eid": "e1", "tc": "rock fans", "tc_run_id": 2, "cid": "2__e1__rock fans"}]}
    assert cid_problems(good, T) == []
    bad = {"items": [{"eid": "e__1", "tc": "a/b", "tc_run_id": 2, "cid": "2_e1_x"}]}
    problems = cid_problems(bad, T)
    assert len(problems) == 3
    with pytest.raises(Finding, match=r"^\[CID-03\]"):
        check_cid_safety(bad, T, where="GET /events/e1/campaigns")


def test_label_is_not_an_id() -> None:
    assert cid_problems({"label": "a__b", "title": "x/y"}, T) == []


def test_campaign_keys() -> None:
    assert campaign_problems({"eid": "e1", "tc": "x", "tc_run_id": 1}, "e1") == []
    assert campaign_problems({"eid": "e2", "tc": "x", "tc_run_id": 1}, "e1", series=["e2"]) == []
    assert campaign_problems({"eid": "e2", "tc": "x", "tc_run_id": "1"}, "e1") == [
        "`tc_run_id` is '1', not an integer",
        "`eid` is 'e2' on a campaign listed under event 'e1'",
    ]
    assert campaign_problems({"tc": ""}, "e1") == [
        "campaign lacks `eid`",
        "campaign lacks `tc_run_id`",
        "`tc` is '', not a non-empty string",
    ]
