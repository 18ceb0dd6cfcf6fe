"""Review API helpers, forbidden messages, and the default bootstrap policy."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core import pki
from ocm_core.apiserver import auth

ALICE = auth.UserInfo("alice", ("devs", auth.SYSTEM_AUTHENTICATED))


@pytest.fixture(scope="module")
def policy() -> list[dict[str, Any]]:
    return auth.bootstrap_policy()


@pytest.fixture(scope="module")
def rbac(policy: list[dict[str, Any]]) -> auth.RBACAuthorizer:
    """The default policy plus alice as `edit` in namespace `a` (through a RoleBinding)."""
    roles = [o for o in policy if o["kind"] == "ClusterRole"]
    bindings = [o for o in policy if o["kind"] == "ClusterRoleBinding"]
    alice_edits = {
        "metadata": {"name": "alice-edit", "namespace": "a"},
        "roleRef": {"kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "User", "name": "alice"}],
    }
    source = auth.StaticRBACSource(
        all_cluster_roles=roles, all_role_bindings=[alice_edits], all_cluster_role_bindings=bindings
    )
    return auth.RBACAuthorizer(source)


def _can(
    rbac: auth.RBACAuthorizer, user: auth.UserInfo, verb: str, resource: str, **kw: Any
) -> bool:
    return rbac.authorize(auth.resource_attributes(user, verb, resource=resource, **kw)).allowed


# --- default policy ---------------------------------------------------------------------------


def test_policy_names_and_metadata(policy: list[dict[str, Any]]) -> None:
    names = {(o["kind"], o["metadata"]["name"]) for o in policy}
    for name in ("cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery"):
        assert ("ClusterRole", name) in names
    for obj in policy:
        assert obj["apiVersion"] == "rbac.authorization.k8s.io/v1"
        assert obj["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"


def test_aggregated_roles_nest_view_in_edit_in_admin(policy: list[dict[str, Any]]) -> None:
    rules = {
        o["metadata"]["name"]: o.get("rules", []) for o in policy if o["kind"] == "ClusterRole"
    }
    assert rules["view"]
    assert all(rule in rules["edit"] for rule in rules["view"])
    assert all(rule in rules["admin"] for rule in rules["edit"])
    assert len(rules["admin"]) > len(rules["edit"]) > len(rules["view"])


def test_discovery_and_basic_user_for_every_authenticated_user(rbac: auth.RBACAuthorizer) -> None:
    bob = auth.UserInfo("bob", (auth.SYSTEM_AUTHENTICATED,))
    for path in ("/api", "/apis/apps/v1", "/version", "/healthz", "/openapi/v3"):
        assert rbac.authorize(auth.non_resource_attributes(bob, "get", path)).allowed, path
    assert not rbac.authorize(auth.non_resource_attributes(bob, "get", "/metrics")).allowed
    assert _can(rbac, bob, "create", "selfsubjectaccessreviews", api_group="authorization.k8s.io")
    assert not _can(rbac, bob, "list", "configmaps", namespace="a")
    anonymous = auth.ANONYMOUS
    assert rbac.authorize(auth.non_resource_attributes(anonymous, "get", "/healthz")).allowed
    assert not rbac.authorize(auth.non_resource_attributes(anonymous, "get", "/api")).allowed


def test_edit_view_secrets_and_rbac_boundaries(rbac: auth.RBACAuthorizer) -> None:
    assert _can(rbac, ALICE, "create", "configmaps", namespace="a")
    assert _can(rbac, ALICE, "get", "secrets", namespace="a", name="s")
    assert _can(rbac, ALICE, "patch", "deployments", namespace="a", api_group="apps", name="d")
    assert _can(rbac, ALICE, "update", "deployments", namespace="a", api_group="apps",
                subresource="scale", name="d")  # fmt: skip
    assert not _can(
        rbac, ALICE, "create", "roles", namespace="a", api_group="rbac.authorization.k8s.io"
    )
    assert not _can(rbac, ALICE, "create", "configmaps", namespace="b")
    assert _can(rbac, ALICE, "list", "endpoints", namespace="a")
    assert not _can(rbac, ALICE, "create", "endpoints", namespace="a")  # kube: CVE-2021-25740


def test_cluster_admin_binding_for_masters(rbac: auth.RBACAuthorizer) -> None:
    root = auth.UserInfo("root", (auth.SYSTEM_MASTERS,))
    assert _can(rbac, root, "delete", "namespaces", name="kube-system")


# --- reviews ----------------------------------------------------------------------------------


def test_subject_access_review(rbac: auth.RBACAuthorizer) -> None:
    body: dict[str, Any] = {
        "spec": {
            "user": "alice",
            "groups": ["devs"],
            "resourceAttributes": {"namespace": "a", "verb": "create", "resource": "configmaps"},
        }
    }
    status = auth.subject_access_review_status(body, rbac)
    assert status["allowed"] is True
    assert 'RoleBinding "alice-edit/a"' in status["reason"]
    body["spec"]["resourceAttributes"]["namespace"] = "b"
    assert auth.subject_access_review_status(body, rbac)["allowed"] is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"resourceAttributes": {}}, "at least one of user or group", id="no-user"),
        pytest.param({"user": "a"}, "exactly one of", id="no-attributes"),
        pytest.param(
            {"user": "a", "resourceAttributes": {}, "nonResourceAttributes": {}},
            "exactly one of",
            id="both",
        ),
        pytest.param(
            {"user": "a", "groups": "x", "resourceAttributes": {}}, "spec.groups", id="groups"
        ),
        pytest.param(
            {"user": "a", "extra": {"k": "v"}, "resourceAttributes": {}}, "spec.extra", id="extra"
        ),
    ],
)
def test_subject_access_review_validation(
    spec: dict[str, Any], message: str, rbac: auth.RBACAuthorizer
) -> None:
    with pytest.raises(auth.ReviewError, match=message) as caught:
        auth.subject_access_review_status({"spec": spec}, rbac)
    assert caught.value.status == 422


def test_self_subject_access_review_uses_the_caller(rbac: auth.RBACAuthorizer) -> None:
    body = {"spec": {"nonResourceAttributes": {"verb": "get", "path": "/api"}}}
    assert auth.self_subject_access_review_status(body, ALICE, rbac)["allowed"] is True
    body = {"spec": {"resourceAttributes": {"verb": "list", "resource": "nodes"}}}
    status = auth.self_subject_access_review_status(body, ALICE, rbac)
    assert status["allowed"] is False
    assert "at the cluster scope" in status["reason"]


def test_self_subject_rules_review(rbac: auth.RBACAuthorizer) -> None:
    status = auth.self_subject_rules_review_status({"spec": {"namespace": "a"}}, ALICE, rbac)
    assert status["incomplete"] is False
    resources = {r for rule in status["resourceRules"] for r in rule["resources"]}
    assert {"configmaps", "secrets", "selfsubjectaccessreviews"} <= resources
    urls = {u for rule in status["nonResourceRules"] for u in rule["nonResourceURLs"]}
    assert "/api" in urls
    with pytest.raises(auth.ReviewError, match="no namespace") as caught:
        auth.self_subject_rules_review_status({"spec": {}}, ALICE, rbac)
    assert caught.value.status == 400


def test_token_review() -> None:
    tokens = auth.ServiceAccountTokens(pki.generate_private_key(), api_audiences=["api"])
    authenticator = auth.Authenticator(service_accounts=tokens)
    token = tokens.issue("ns", "agent", "u1").token
    status = auth.token_review_status({"spec": {"token": token}}, authenticator)
    assert status["authenticated"] is True
    assert status["audiences"] == ["api"]
    assert status["user"]["username"] == "system:serviceaccount:ns:agent"
    assert status["user"]["uid"] == "u1"
    assert "system:serviceaccounts:ns" in status["user"]["groups"]
    refused = auth.token_review_status(
        {"spec": {"token": token, "audiences": ["x"]}}, authenticator
    )
    assert refused["authenticated"] is False
    assert "audiences" in refused["error"]
    with pytest.raises(auth.ReviewError, match="token is required") as caught:
        auth.token_review_status({"spec": {}}, authenticator)
    assert caught.value.status == 400


def test_self_subject_review() -> None:
    assert auth.self_subject_review_status(ALICE) == {
        "userInfo": {"username": "alice", "groups": ["devs", auth.SYSTEM_AUTHENTICATED]}
    }


# --- forbidden messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            auth.resource_attributes(ALICE, "list", resource="configmaps", namespace="b"),
            'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group'
            ' "" in the namespace "b"',
            id="namespaced-list",
        ),
        pytest.param(
            auth.resource_attributes(
                ALICE, "get", api_group="apps", resource="deployments", subresource="scale",
                namespace="b", name="d",
            ),
            'deployments/scale "d" is forbidden: User "alice" cannot get resource '
            '"deployments/scale" in API group "apps" in the namespace "b"',
            id="named-subresource",
        ),
        pytest.param(
            auth.resource_attributes(ALICE, "list", resource="nodes"),
            'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the'
            " cluster scope",
            id="cluster",
        ),
        pytest.param(
            auth.non_resource_attributes(ALICE, "get", "/metrics"),
            'forbidden: User "alice" cannot get path "/metrics"',
            id="path",
        ),
    ],
)  # fmt: skip
def test_forbidden_message_matches_kube(attributes: auth.RequestAttributes, expected: str) -> None:
    assert auth.forbidden_message(attributes) == expected
    assert auth.forbidden_message(attributes, "why") == f"{expected}: why"
