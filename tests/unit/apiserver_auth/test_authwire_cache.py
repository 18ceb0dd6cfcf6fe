"""AuthCache (RBAC objects mirrored from storage events) and the authorized-name rule."""

from __future__ import annotations

from typing import Any

from ocm_core.apiserver.auth import RBACAuthorizer, resource_attributes
from ocm_core.apiserver.auth.user import UserInfo
from ocm_core.apiserver.auth_cache import (
    CLUSTER_ROLES,
    ROLE_BINDINGS,
    ROLES,
    SECRETS,
    SERVICE_ACCOUNTS,
    AuthCache,
)
from ocm_core.apiserver.requestinfo import authorized_name, parse
from ocm_core.apiserver.storage import EventType, StoredEvent

ALICE = UserInfo(name="alice", groups=("system:authenticated",))


def _event(kind: EventType, resource: str, obj: dict[str, Any]) -> StoredEvent:
    meta = obj["metadata"]
    return StoredEvent(kind, resource, meta.get("namespace", ""), meta["name"], 1, obj)


def _role(name: str, namespace: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
    }


def _binding(namespace: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "alice", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "alice"}],
    }


def _can_get_configmaps(cache: AuthCache, namespace: str) -> bool:
    attributes = resource_attributes(ALICE, "get", resource="configmaps", namespace=namespace)
    return RBACAuthorizer(cache).authorize(attributes).allowed


def test_bindings_take_effect_and_lapse_with_their_events() -> None:
    cache = AuthCache()
    cache.apply(_event(EventType.ADDED, ROLES, _role("reader", "a")))
    assert not _can_get_configmaps(cache, "a")
    cache.apply(_event(EventType.ADDED, ROLE_BINDINGS, _binding("a")))
    assert _can_get_configmaps(cache, "a")
    assert not _can_get_configmaps(cache, "b")
    cache.apply(_event(EventType.DELETED, ROLE_BINDINGS, _binding("a")))
    assert not _can_get_configmaps(cache, "a")


def test_aggregated_cluster_roles_follow_their_sources() -> None:
    cache = AuthCache()
    selector = {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]}
    cache.apply(
        _event(
            EventType.ADDED,
            CLUSTER_ROLES,
            {"metadata": {"name": "top"}, "aggregationRule": selector},
        )
    )
    assert cache.cluster_roles()[0].get("rules") == []
    source = {
        "metadata": {"name": "part", "labels": {"agg": "true"}},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLES, source))
    top = next(r for r in cache.cluster_roles() if r["metadata"]["name"] == "top")
    assert top["rules"] == source["rules"]


def test_only_bootstrap_token_secrets_are_kept() -> None:
    cache = AuthCache()
    token = {"metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}}
    other = {"metadata": {"name": "db-password", "namespace": "kube-system"}}
    cache.apply(_event(EventType.ADDED, SECRETS, token))
    cache.apply(_event(EventType.ADDED, SECRETS, other))
    assert cache.secret("kube-system", "bootstrap-token-abcdef") == token
    assert cache.secret("kube-system", "db-password") is None


def test_service_account_uids_are_looked_up() -> None:
    cache = AuthCache()
    account = {"metadata": {"name": "robot", "namespace": "a", "uid": "u-1"}}
    cache.apply(_event(EventType.ADDED, SERVICE_ACCOUNTS, account))
    assert cache.uid("ServiceAccount", "a", "robot") == "u-1"
    assert cache.uid("ServiceAccount", "a", "other") is None
    assert cache.uid("Pod", "a", "robot") is None


def test_a_name_field_selector_narrows_a_list_to_one_name() -> None:
    query = {"fieldSelector": "metadata.name=c1"}
    listing = parse("GET", "/apis/cluster.open-cluster-management.io/v1/managedclusters", query)
    assert authorized_name(listing, query) == "c1"
    assert authorized_name(listing, {"fieldSelector": "metadata.name==c1"}) == "c1"
    assert authorized_name(listing, {"fieldSelector": "metadata.name!=c1"}) == ""
    assert authorized_name(listing, {"fieldSelector": "metadata.name=c1,spec.x=y"}) == ""
    assert authorized_name(listing, {}) == ""
    item = parse("GET", "/api/v1/namespaces/a/configmaps/x", {})
    assert authorized_name(item, query) == "x"


def _pod(uid: str) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "a", "uid": uid}}


def test_bound_object_uids_follow_pod_and_secret_events() -> None:
    cache = AuthCache()
    assert cache.uid("Pod", "a", "p") is None
    cache.apply(_event(EventType.ADDED, "core/pods", _pod("uid-1")))
    assert cache.uid("Pod", "a", "p") == "uid-1"
    assert cache.uid("Pod", "b", "p") is None
    cache.apply(_event(EventType.DELETED, "core/pods", _pod("uid-1")))
    assert cache.uid("Pod", "a", "p") is None
    secret = {"metadata": {"name": "s", "namespace": "a", "uid": "uid-s"}}
    cache.apply(_event(EventType.ADDED, SECRETS, secret))
    assert cache.uid("Secret", "a", "s") == "uid-s"
    assert cache.secret("a", "s") is None  # only bootstrap-token Secrets are cached whole
    assert cache.uid("ConfigMap", "a", "s") is None
