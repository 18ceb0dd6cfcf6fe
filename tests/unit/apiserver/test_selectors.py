"""Label and field selector grammar and matching."""

from __future__ import annotations

import pytest

from ocm_core.apiserver.selectors import SelectorError, parse_field_selector, parse_label_selector


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        pytest.param("app=demo", {"app": "demo"}, True, id="equals"),
        pytest.param("app==demo", {"app": "other"}, False, id="double-equals"),
        pytest.param("tier!=y", {}, True, id="not-equals-missing"),
        pytest.param("tier!=y", {"tier": "y"}, False, id="not-equals"),
        pytest.param("env in (a, b)", {"env": "b"}, True, id="in"),
        pytest.param("env notin (a,b)", {"env": "c"}, True, id="notin"),
        pytest.param("env", {"env": ""}, True, id="exists"),
        pytest.param("!env", {"env": "x"}, False, id="not-exists"),
        pytest.param("name=rel1,owner=helm", {"name": "rel1", "owner": "helm"}, True, id="and"),
        pytest.param("example.com/role=x", {"example.com/role": "x"}, True, id="prefixed-key"),
        pytest.param("", {"a": "b"}, True, id="empty"),
    ],
)
def test_label_selector_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["a in (b", "a=b)", "=x", "a=b c", "in (a)"])
def test_label_selector_rejects_bad_grammar(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(text)


def test_field_selector_dotted_paths_and_negation() -> None:
    event = {"metadata": {"name": "e", "namespace": "ns"}, "involvedObject": {"kind": "Deployment"}}
    assert parse_field_selector("metadata.name=e,involvedObject.kind=Deployment").matches(event)
    assert not parse_field_selector("metadata.namespace!=ns").matches(event)
    assert parse_field_selector("spec.missing=").matches(event)
    assert parse_field_selector("metadata.name=e").exact("metadata.name") == "e"


def test_field_selector_rejects_terms_without_operator() -> None:
    with pytest.raises(SelectorError):
        parse_field_selector("metadata.name")
