"""Builders of ManifestWorks and of the manifests the work tests put in them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocm_core.api import gvr

Object = dict[str, Any]


def manifest_work(
    name: str, namespace: str, manifests: Sequence[Mapping[str, Any]], **spec: Any
) -> Object:
    return {
        "apiVersion": gvr.MANIFEST_WORKS.api_version,
        "kind": gvr.MANIFEST_WORKS.kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"workload": {"manifests": [dict(m) for m in manifests]}, **spec},
    }


def configmap(name: str, namespace: str, **data: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data),
    }


def deployment(name: str, namespace: str, replicas: int = 1) -> Object:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    }


def resource_identifier(resource: str, name: str, namespace: str = "", group: str = "") -> Object:
    return {"group": group, "resource": resource, "name": name, "namespace": namespace}


def manifest_config(identifier: Object, **config: Any) -> Object:
    return {"resourceIdentifier": identifier, **config}


def condition(obj: Mapping[str, Any], condition_type: str) -> Mapping[str, Any] | None:
    for found in (obj.get("status") or {}).get("conditions") or []:
        if found.get("type") == condition_type:
            return dict(found)
    return None


def condition_status(obj: Mapping[str, Any], condition_type: str) -> str | None:
    found = condition(obj, condition_type)
    return None if found is None else str(found.get("status"))


def manifest_condition(
    obj: Mapping[str, Any], ordinal: int, condition_type: str
) -> Mapping[str, Any] | None:
    for entry in ((obj.get("status") or {}).get("resourceStatus") or {}).get("manifests") or []:
        if (entry.get("resourceMeta") or {}).get("ordinal") == ordinal:
            for found in entry.get("conditions") or []:
                if found.get("type") == condition_type:
                    return dict(found)
    return None


def feedback_values(obj: Mapping[str, Any], ordinal: int) -> dict[str, Any]:
    for entry in ((obj.get("status") or {}).get("resourceStatus") or {}).get("manifests") or []:
        if (entry.get("resourceMeta") or {}).get("ordinal") == ordinal:
            values = (entry.get("statusFeedback") or {}).get("values") or []
            return {
                v["name"]: next(x for k, x in v["fieldValue"].items() if k != "type")
                for v in values
            }
    return {}
