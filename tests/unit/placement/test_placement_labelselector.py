"""metav1.LabelSelector parsing, validation and matching."""

import pytest

from ocm_core.placement.labelselector import InvalidSelector, LabelSelector


def parse(obj: dict[str, object]) -> LabelSelector:
    return LabelSelector.parse(obj, field="sel")


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {}, True),
        ({"matchLabels": {"env": "prod"}}, {"env": "prod"}, True),
        ({"matchLabels": {"env": "prod"}}, {"env": "dev"}, False),
        (
            {"matchExpressions": [{"key": "env", "operator": "In", "values": ["a", "b"]}]},
            {"env": "b"},
            True,
        ),
        ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        (
            {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["a"]}]},
            {"env": "a"},
            False,
        ),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, {"env": ""}, True),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, {}, True),
        (
            {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]},
            {"a": "1"},
            False,
        ),
    ],
)
def test_matching(selector: dict[str, object], labels: dict[str, str], expected: bool) -> None:
    assert parse(selector).matches(labels) is expected


@pytest.mark.parametrize(
    ("selector", "fragment"),
    [
        (
            {"matchExpressions": [{"key": "env", "operator": "Gt", "values": ["1"]}]},
            "operator 'Gt'",
        ),
        (
            {"matchExpressions": [{"key": "env", "operator": "In", "values": []}]},
            "at least one value",
        ),
        (
            {"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["x"]}]},
            "no values",
        ),
        (
            {"matchExpressions": [{"key": "bad key!", "operator": "Exists"}]},
            "not a valid label key",
        ),
        ({"matchLabels": {"env": "not valid!"}}, "not a valid label value"),
        ({"matchLabels": ["env=prod"]}, "matchLabels: must be an object"),
        ({"matchExpressions": {"key": "env"}}, "matchExpressions: must be a list"),
    ],
)
def test_invalid_selectors_name_the_field(selector: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidSelector, match="sel") as caught:
        parse(selector)
    assert fragment in str(caught.value)


def test_describe() -> None:
    selector = parse(
        {
            "matchLabels": {"env": "prod"},
            "matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["b", "a"]},
                {"key": "gpu", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.describe() == "env=prod,zone in (a,b),!gpu"
