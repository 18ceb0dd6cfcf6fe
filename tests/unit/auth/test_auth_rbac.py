"""RBAC rule evaluation: bindings, subjects, rule fields, reasons, aggregation."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.apiserver import auth

ALICE = auth.UserInfo(name="alice", groups=("devs", auth.SYSTEM_AUTHENTICATED))
BOB = auth.UserInfo(name="bob", groups=(auth.SYSTEM_AUTHENTICATED,))
ADMIN = auth.UserInfo(name="root", groups=(auth.SYSTEM_MASTERS,))
SA = auth.UserInfo(
    name="system:serviceaccount:team:robot",
    groups=("system:serviceaccounts", "system:serviceaccounts:team", auth.SYSTEM_AUTHENTICATED),
)


def role(name: str, rules: list[dict[str, Any]], namespace: str = "") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"metadata": metadata, "rules": rules}


def binding(
    name: str, role_kind: str, role_name: str, subjects: list[dict[str, str]], namespace: str = ""
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": subjects,
    }


def user_subject(name: str) -> dict[str, str]:
    return {"kind": "User", "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def rule(verbs: list[str], groups: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"verbs": verbs, "apiGroups": groups, "resources": resources, **extra}


def request(
    user: auth.UserInfo,
    verb: str,
    resource: str,
    *,
    namespace: str = "",
    name: str = "",
    subresource: str = "",
    group: str = "",
) -> auth.RequestAttributes:
    return auth.resource_attributes(
        user,
        verb,
        api_group=group,
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
    )


def authorizer(
    roles: list[dict[str, Any]] = [],  # noqa: B006  # read-only defaults
    cluster_roles: list[dict[str, Any]] = [],  # noqa: B006
    role_bindings: list[dict[str, Any]] = [],  # noqa: B006
    cluster_role_bindings: list[dict[str, Any]] = [],  # noqa: B006
) -> auth.RBACAuthorizer:
    return auth.RBACAuthorizer(
        auth.StaticRBACSource(roles, cluster_roles, role_bindings, cluster_role_bindings)
    )


@pytest.fixture
def namespaced_reader() -> auth.RBACAuthorizer:
    """alice may read configmaps in namespace `a` only, through a Role and RoleBinding."""
    return authorizer(
        roles=[role("reader", [rule(["get", "list", "watch"], [""], ["configmaps"])], "a")],
        role_bindings=[binding("alice-reads", "Role", "reader", [user_subject("alice")], "a")],
    )


def test_role_binding_allows_in_its_namespace(namespaced_reader: auth.RBACAuthorizer) -> None:
    decision = namespaced_reader.authorize(request(ALICE, "list", "configmaps", namespace="a"))
    assert decision.allowed
    assert decision.reason == (
        'RBAC: allowed by RoleBinding "alice-reads/a" of Role "reader" to User "alice"'
    )


def test_role_binding_denies_elsewhere(namespaced_reader: auth.RBACAuthorizer) -> None:
    other_namespace = namespaced_reader.authorize(
        request(ALICE, "list", "configmaps", namespace="b")
    )
    cluster_wide = namespaced_reader.authorize(request(ALICE, "list", "configmaps"))
    assert not other_namespace.allowed
    assert "no ClusterRoleBinding or RoleBinding in namespace 'b' applies" in other_namespace.reason
    assert not cluster_wide.allowed


def test_denial_names_the_binding_that_did_not_cover(
    namespaced_reader: auth.RBACAuthorizer,
) -> None:
    decision = namespaced_reader.authorize(request(ALICE, "delete", "configmaps", namespace="a"))
    assert not decision.allowed
    assert "no rule in namespace 'a' allows delete on configmaps" in decision.reason
    assert 'RoleBinding "alice-reads/a" of Role "reader"' in decision.reason


def test_other_user_is_denied(namespaced_reader: auth.RBACAuthorizer) -> None:
    assert not namespaced_reader.authorize(request(BOB, "get", "configmaps", namespace="a")).allowed


def test_cluster_role_binding_applies_everywhere_including_cluster_scope() -> None:
    rbac = authorizer(
        cluster_roles=[role("ns-reader", [rule(["get"], [""], ["namespaces"])])],
        cluster_role_bindings=[
            binding("devs", "ClusterRole", "ns-reader", [{"kind": "Group", "name": "devs"}])
        ],
    )
    decision = rbac.authorize(request(ALICE, "get", "namespaces", name="x"))
    assert decision.allowed
    assert 'ClusterRoleBinding "devs" of ClusterRole "ns-reader" to Group "devs"' in decision.reason
    assert not rbac.authorize(request(BOB, "get", "namespaces", name="x")).allowed


def test_role_binding_to_cluster_role_is_limited_to_its_namespace() -> None:
    rbac = authorizer(
        cluster_roles=[role("editor", [rule(["*"], ["apps"], ["deployments"])])],
        role_bindings=[binding("b", "ClusterRole", "editor", [user_subject("alice")], "a")],
    )
    assert rbac.authorize(
        request(ALICE, "create", "deployments", namespace="a", group="apps")
    ).allowed
    assert not rbac.authorize(
        request(ALICE, "create", "deployments", namespace="b", group="apps")
    ).allowed
    assert not rbac.authorize(request(ALICE, "list", "deployments", group="apps")).allowed


def test_role_binding_cannot_use_role_of_another_namespace() -> None:
    rbac = authorizer(
        roles=[role("reader", [rule(["get"], [""], ["pods"])], "other")],
        role_bindings=[binding("b", "Role", "reader", [user_subject("alice")], "a")],
    )
    decision = rbac.authorize(request(ALICE, "get", "pods", namespace="a", name="p"))
    assert not decision.allowed
    assert 'role "reader" in namespace "a" not found' in decision.reason


def test_missing_cluster_role_is_reported() -> None:
    rbac = authorizer(
        cluster_role_bindings=[binding("b", "ClusterRole", "ghost", [user_subject("alice")])]
    )
    decision = rbac.authorize(request(ALICE, "get", "pods", namespace="a"))
    assert not decision.allowed
    assert 'clusterrole "ghost" not found' in decision.reason


@pytest.mark.parametrize(
    ("rule_fields", "attributes", "allowed"),
    [
        pytest.param(
            rule(["get"], [""], ["pods"]),
            request(ALICE, "get", "pods", namespace="a"),
            True,
            id="exact",
        ),
        pytest.param(
            rule(["get"], [""], ["pods"]),
            request(ALICE, "list", "pods", namespace="a"),
            False,
            id="other-verb",
        ),
        pytest.param(
            rule(["*"], [""], ["pods"]),
            request(ALICE, "delete", "pods", namespace="a"),
            True,
            id="verb-wildcard",
        ),
        pytest.param(
            rule(["get"], ["*"], ["*"]),
            request(ALICE, "get", "deployments", namespace="a", group="apps"),
            True,
            id="group-and-resource-wildcard",
        ),
        pytest.param(
            rule(["get"], [""], ["deployments"]),
            request(ALICE, "get", "deployments", namespace="a", group="apps"),
            False,
            id="wrong-group",
        ),
        pytest.param(
            rule(["get"], [""], ["pods"]),
            request(ALICE, "get", "pods", namespace="a", subresource="log"),
            False,
            id="resource-does-not-cover-subresource",
        ),
        pytest.param(
            rule(["get"], [""], ["pods/log"]),
            request(ALICE, "get", "pods", namespace="a", subresource="log"),
            True,
            id="subresource",
        ),
        pytest.param(
            rule(["get"], [""], ["pods/log"]),
            request(ALICE, "get", "pods", namespace="a"),
            False,
            id="subresource-does-not-cover-resource",
        ),
        pytest.param(
            rule(["update"], ["*"], ["*/scale"]),
            request(
                ALICE, "update", "deployments", namespace="a", subresource="scale", group="apps"
            ),
            True,
            id="any-resource-subresource",
        ),
        pytest.param(
            rule(["update"], ["*"], ["*/scale"]),
            request(ALICE, "update", "deployments", namespace="a", group="apps"),
            False,
            id="any-resource-subresource-not-main",
        ),
        pytest.param(
            rule(["get"], [""], ["configmaps"], resourceNames=["cfg"]),
            request(ALICE, "get", "configmaps", namespace="a", name="cfg"),
            True,
            id="resource-name",
        ),
        pytest.param(
            rule(["get"], [""], ["configmaps"], resourceNames=["cfg"]),
            request(ALICE, "get", "configmaps", namespace="a", name="other"),
            False,
            id="other-resource-name",
        ),
        pytest.param(
            rule(["list"], [""], ["configmaps"], resourceNames=["cfg"]),
            request(ALICE, "list", "configmaps", namespace="a"),
            False,
            id="resource-names-never-match-unnamed-requests",
        ),
        pytest.param(
            rule(["get"], [""], ["pods"]),
            auth.non_resource_attributes(ALICE, "get", "/pods"),
            False,
            id="resource-rule-is-not-a-url-rule",
        ),
    ],
)
def test_rule_fields(
    rule_fields: dict[str, Any], attributes: auth.RequestAttributes, allowed: bool
) -> None:
    assert auth.rule_allows(rule_fields, attributes) is allowed


@pytest.mark.parametrize(
    ("urls", "path", "allowed"),
    [
        pytest.param(["/healthz"], "/healthz", True, id="exact"),
        pytest.param(["/healthz"], "/healthz/etcd", False, id="exact-is-not-prefix"),
        pytest.param(["/healthz*"], "/healthz/etcd", True, id="star-suffix"),
        pytest.param(["/apis/*"], "/apis", False, id="star-needs-the-slash"),
        pytest.param(["/apis/*"], "/apis/apps/v1", True, id="star-under"),
        pytest.param(["*"], "/anything", True, id="all"),
        pytest.param(["/openapi**"], "/openapi/v2", True, id="several-stars"),
    ],
)
def test_non_resource_urls(urls: list[str], path: str, allowed: bool) -> None:
    url_rule = {"verbs": ["get"], "nonResourceURLs": urls}
    assert auth.rule_allows(url_rule, auth.non_resource_attributes(ALICE, "get", path)) is allowed
    assert not auth.rule_allows(url_rule, auth.non_resource_attributes(ALICE, "post", path))


@pytest.mark.parametrize(
    ("subject", "allowed"),
    [
        pytest.param(
            {"kind": "ServiceAccount", "name": "robot", "namespace": "team"}, True, id="ns"
        ),
        pytest.param({"kind": "ServiceAccount", "name": "robot"}, True, id="defaults-to-binding"),
        pytest.param(
            {"kind": "ServiceAccount", "name": "robot", "namespace": "elsewhere"}, False, id="other"
        ),
        pytest.param(
            {"kind": "ServiceAccount", "name": "other", "namespace": "team"}, False, id="name"
        ),
    ],
)
def test_service_account_subject_in_role_binding(subject: dict[str, str], allowed: bool) -> None:
    reader = role("reader", [rule(["get"], [""], ["secrets"])], "team")
    rbac = authorizer(
        roles=[reader], role_bindings=[binding("b", "Role", "reader", [subject], "team")]
    )
    decision = rbac.authorize(request(SA, "get", "secrets", namespace="team", name="s"))
    assert decision.allowed is allowed
    if allowed:
        assert 'to ServiceAccount "team/robot"' in decision.reason


def test_service_account_subject_without_namespace_in_cluster_binding_matches_nobody() -> None:
    rbac = authorizer(
        cluster_roles=[role("reader", [rule(["get"], [""], ["secrets"])])],
        cluster_role_bindings=[
            binding("b", "ClusterRole", "reader", [{"kind": "ServiceAccount", "name": "robot"}])
        ],
    )
    assert not rbac.authorize(request(SA, "get", "secrets", namespace="team", name="s")).allowed


def test_system_masters_may_do_anything() -> None:
    decision = authorizer().authorize(request(ADMIN, "delete", "nodes", name="n1"))
    assert decision.allowed
    assert "system:masters" in decision.reason
    assert authorizer().authorize(auth.non_resource_attributes(ADMIN, "get", "/metrics")).allowed


def test_rules_for_lists_cluster_and_namespace_rules(
    namespaced_reader: auth.RBACAuthorizer,
) -> None:
    rules, errors = namespaced_reader.rules_for(ALICE, "a")
    assert rules == [rule(["get", "list", "watch"], [""], ["configmaps"])]
    assert errors == []
    assert namespaced_reader.rules_for(ALICE, "b") == ([], [])


# --- aggregation ------------------------------------------------------------------------------


def labelled(name: str, labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "rules": rules}


def test_aggregation_collects_matching_roles_transitively_in_name_order() -> None:
    top = {
        "metadata": {"name": "top"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-top": "true"}}]},
        "rules": [rule(["stale"], [""], ["ignored"])],
    }
    middle = {
        "metadata": {"name": "middle", "labels": {"to-top": "true"}},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-middle": "true"}}]},
    }
    b_rule, a_rule = rule(["get"], [""], ["b"]), rule(["get"], [""], ["a"])
    roles = [
        top,
        middle,
        labelled("z-leaf", {"to-middle": "true"}, [b_rule]),
        labelled("a-leaf", {"to-top": "true"}, [a_rule, b_rule]),
        labelled("unrelated", {"other": "x"}, [rule(["*"], ["*"], ["*"])]),
    ]
    result = {r["metadata"]["name"]: r for r in auth.aggregate_cluster_roles(roles)}
    assert result["middle"]["rules"] == [b_rule]
    assert result["top"]["rules"] == [a_rule, b_rule]  # a-leaf, then middle's (deduplicated)
    assert result["unrelated"]["rules"] == roles[4]["rules"]
    assert "rules" not in middle  # inputs are not modified


def test_aggregation_match_expressions_and_cycles() -> None:
    one = {
        "metadata": {"name": "one", "labels": {"tier": "x"}},
        "aggregationRule": {
            "clusterRoleSelectors": [
                {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["y"]}]}
            ]
        },
    }
    two = {
        "metadata": {"name": "two", "labels": {"tier": "y"}},
        "aggregationRule": {
            "clusterRoleSelectors": [{"matchExpressions": [{"key": "tier", "operator": "Exists"}]}]
        },
    }
    leaf = labelled("leaf", {"tier": "y"}, [rule(["get"], [""], ["pods"])])
    result = {r["metadata"]["name"]: r for r in auth.aggregate_cluster_roles([one, two, leaf])}
    assert result["one"]["rules"] == [rule(["get"], [""], ["pods"])]
    assert result["two"]["rules"] == [rule(["get"], [""], ["pods"])]


@pytest.mark.parametrize(
    ("expression", "labels", "matches"),
    [
        pytest.param(
            {"key": "k", "operator": "NotIn", "values": ["a"]}, {"k": "b"}, True, id="notin"
        ),
        pytest.param(
            {"key": "k", "operator": "NotIn", "values": ["a"]}, {"k": "a"}, False, id="notin-hit"
        ),
        pytest.param({"key": "k", "operator": "DoesNotExist"}, {}, True, id="dne"),
        pytest.param({"key": "k", "operator": "Bogus"}, {"k": "a"}, False, id="unknown-op"),
    ],
)
def test_selector_expressions(
    expression: dict[str, Any], labels: dict[str, str], matches: bool
) -> None:
    from ocm_core.apiserver.auth.rbac import selector_matches

    assert selector_matches({"matchExpressions": [expression]}, labels) is matches


def test_malformed_objects_grant_nothing_and_never_raise() -> None:
    good_role = role("reader", [rule(["get"], [""], ["pods"])])
    broken_roles: list[dict[str, Any]] = [
        {"metadata": "not-a-map", "rules": "nope"},
        {
            "metadata": {"name": "strings"},
            "rules": [{"verbs": "get", "apiGroups": "", "resources": "pods"}],
        },
        {"metadata": {"name": "items"}, "rules": ["x", None]},
    ]
    alice_subject = {"kind": "User", "name": "alice"}
    broken_bindings: list[dict[str, Any]] = [
        {"metadata": {"name": "b1"}, "roleRef": "x", "subjects": [alice_subject]},
        {
            "metadata": {"name": "b2"},
            "roleRef": {"kind": "ClusterRole", "name": "strings"},
            "subjects": [{"kind": "Group", "name": ["devs"]}, "alice", None, alice_subject],
        },
        {
            "metadata": {"name": "b3"},
            "roleRef": {"kind": "ClusterRole", "name": "items"},
            "subjects": "alice",
        },
        {
            "metadata": {"name": "b4"},
            "roleRef": {"kind": "ClusterRole", "name": "reader"},
            "subjects": [alice_subject],
        },
    ]
    rbac = authorizer(
        cluster_roles=[*broken_roles, good_role], cluster_role_bindings=broken_bindings
    )
    assert not rbac.authorize(request(ALICE, "list", "pods", namespace="a")).allowed
    decision = rbac.authorize(request(ALICE, "get", "pods", namespace="a", name="p"))
    assert decision.allowed
    assert 'ClusterRoleBinding "b4"' in decision.reason
    denied = rbac.authorize(request(ALICE, "get", "secrets", namespace="a", name="s"))
    assert 'ClusterRoleBinding "b1" has an invalid roleRef' in denied.reason
