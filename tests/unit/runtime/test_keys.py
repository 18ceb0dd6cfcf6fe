"""Key functions map objects to the keys controllers reconcile."""

from __future__ import annotations

from typing import Any

from ocm_core.runtime import keys

WORK: dict[str, Any] = {
    "metadata": {
        "name": "addon-deploy",
        "namespace": "c1",
        "labels": {"open-cluster-management.io/addon-name": "cluster-proxy"},
        "ownerReferences": [
            {"apiVersion": "addon.open-cluster-management.io/v1beta1", "kind": "X", "name": "a"},
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "b"},
        ],
    }
}


def test_object_keys() -> None:
    assert keys.key_of(WORK) == "c1/addon-deploy"
    assert keys.key_of({"metadata": {"name": "c1"}}) == "c1"
    assert keys.split_key("c1/addon-deploy") == ("c1", "addon-deploy")
    assert keys.split_key("c1") == (None, "c1")
    assert list(keys.by_namespace_name(WORK)) == ["c1/addon-deploy"]
    assert list(keys.by_name(WORK)) == ["addon-deploy"]
    assert list(keys.by_namespace(WORK)) == ["c1"]
    assert list(keys.by_namespace({"metadata": {"name": "x"}})) == []


def test_label_and_owner_keys() -> None:
    label = "open-cluster-management.io/addon-name"
    assert list(keys.by_label(label)(WORK)) == ["cluster-proxy"]
    assert list(keys.by_label(label, namespaced=True)(WORK)) == ["c1/cluster-proxy"]
    assert list(keys.by_label("absent")(WORK)) == []
    assert list(keys.by_owner("X")(WORK)) == ["c1/a"]
    assert list(keys.by_owner("X", api_group="other")(WORK)) == []
    assert list(keys.by_owner("ConfigMap", api_group="", namespaced=False)(WORK)) == ["b"]
