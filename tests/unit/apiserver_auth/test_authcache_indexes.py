"""AuthCache at hub scale: ClusterRoleBindings looked up by subject name, and aggregated
ClusterRoles that stay current when unrelated roles come and go."""

from __future__ import annotations

from typing import Any

from ocm_core.apiserver.auth import RBACAuthorizer, resource_attributes
from ocm_core.apiserver.auth.user import UserInfo
from ocm_core.apiserver.auth_cache import CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, AuthCache
from ocm_core.apiserver.storage import EventType, StoredEvent

PODS_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
NODES_RULE = {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}


def _event(kind: EventType, resource: str, obj: dict[str, Any]) -> StoredEvent:
    return StoredEvent(kind, resource, "", obj["metadata"]["name"], 1, obj)


def _crb(name: str, *subjects: tuple[str, str], role: str = "reader") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [
            {"kind": kind, "name": subject, "namespace": "ns"} for kind, subject in subjects
        ],
    }


def _add_binding(cache: AuthCache, name: str, *subjects: tuple[str, str]) -> None:
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLE_BINDINGS, _crb(name, *subjects)))


def _names(bindings: Any) -> list[str]:
    return [b["metadata"]["name"] for b in bindings]


def test_bindings_are_found_by_subject_name_in_the_order_they_came() -> None:
    cache = AuthCache()
    for index in range(50):
        _add_binding(cache, f"c{index}", ("Group", f"g{index}"))
    _add_binding(cache, "b-late", ("User", "alice"))
    _add_binding(cache, "a-both", ("Group", "g7"), ("User", "alice"))
    assert _names(cache.cluster_role_bindings_naming({"alice", "g7"})) == ["c7", "b-late", "a-both"]
    cache.apply(_event(EventType.MODIFIED, CLUSTER_ROLE_BINDINGS, _crb("c7", ("Group", "other"))))
    assert _names(cache.cluster_role_bindings_naming({"g7"})) == ["a-both"]
    assert _names(cache.cluster_role_bindings_naming({"other"})) == ["c7"]
    cache.apply(_event(EventType.DELETED, CLUSTER_ROLE_BINDINGS, _crb("a-both")))
    assert _names(cache.cluster_role_bindings_naming({"alice", "g7"})) == ["b-late"]


def test_authorization_uses_group_user_and_service_account_subjects() -> None:
    cache = AuthCache()
    reader = {"metadata": {"name": "reader"}, "rules": [PODS_RULE]}
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLES, reader))
    _add_binding(cache, "by-group", ("Group", "team"))
    _add_binding(cache, "by-sa", ("ServiceAccount", "bot"))
    authorizer = RBACAuthorizer(cache)
    for user, allowed in [
        (UserInfo(name="bob", groups=("team",)), True),
        (UserInfo(name="bob", groups=("other",)), False),
        (UserInfo(name="system:serviceaccount:ns:bot", groups=()), True),
        (UserInfo(name="system:serviceaccount:elsewhere:bot", groups=()), False),
    ]:
        attributes = resource_attributes(user, "get", resource="pods", namespace="x")
        assert authorizer.authorize(attributes).allowed is allowed, user


def test_aggregated_roles_follow_relevant_changes_and_ignore_the_rest() -> None:
    cache = AuthCache()
    top = {
        "metadata": {"name": "top"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]},
    }
    part = {"metadata": {"name": "part", "labels": {"agg": "true"}}, "rules": [PODS_RULE]}
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLES, top))
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLES, part))
    assert (cache.cluster_role("top") or {})["rules"] == [PODS_RULE]
    unrelated = {"metadata": {"name": "c1", "labels": {"cluster": "c1"}}, "rules": [PODS_RULE]}
    cache.apply(_event(EventType.ADDED, CLUSTER_ROLES, unrelated))
    edited = {**unrelated, "rules": [NODES_RULE]}
    cache.apply(_event(EventType.MODIFIED, CLUSTER_ROLES, edited))
    assert (cache.cluster_role("c1") or {})["rules"] == [NODES_RULE]
    assert (cache.cluster_role("top") or {})["rules"] == [PODS_RULE]
    # A source that stops matching takes its rules away (the old labels count too).
    cache.apply(_event(EventType.MODIFIED, CLUSTER_ROLES, {**part, "metadata": {"name": "part"}}))
    assert (cache.cluster_role("top") or {})["rules"] == []
    cache.apply(_event(EventType.DELETED, CLUSTER_ROLES, unrelated))
    assert cache.cluster_role("c1") is None
    assert sorted(_names(cache.cluster_roles())) == ["part", "top"]
