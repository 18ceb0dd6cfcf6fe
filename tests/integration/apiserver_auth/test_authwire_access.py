"""Authentication, impersonation and RBAC of a real ``ocm apiserver`` process.

Users are client certificates issued from the server's own CA (``<data-dir>/ca.crt``/``ca.key``),
ServiceAccount tokens it issues, or the admin token (``system:masters``).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocm_core import pki
from ocm_core.api import gvr
from ocm_core.apiserver.auth import bootstrap_token_secret, generate_token
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.kube.config import Impersonation, TokenSource
from ocm_core.kube.errors import ForbiddenError, UnauthorizedError
from tests.support.apiserver_process import ApiServerProcess

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
NAMESPACE = "team-a"
OTHER_NAMESPACE = "team-b"
ALICE = "alice"
SELF_SUBJECT_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def _user_config(server: ApiServerProcess, user: str, groups: tuple[str, ...] = ()) -> KubeConfig:
    ca = pki.load_ca(server.data_dir / "ca.crt", server.data_dir / "ca.key")
    issued = pki.issue_client_cert(ca, user=user, groups=groups)
    return KubeConfig(
        server=KubeConfig.from_kubeconfig(server.kubeconfig).server,
        ca_data=(server.data_dir / "ca.crt").read_bytes(),
        client_cert_data=issued.cert_pem(),
        client_key_data=issued.key_pem(),
    )


def _write_kubeconfig(path: Path, config: KubeConfig, *, token: str | None = None) -> Path:
    assert config.ca_data is not None
    user: dict[str, str] = {}
    if token is not None:
        user["token"] = token
    else:
        assert config.client_cert_data is not None
        assert config.client_key_data is not None
        user["client-certificate-data"] = _b64(config.client_cert_data)
        user["client-key-data"] = _b64(config.client_key_data)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ocm",
                "cluster": {
                    "server": config.server,
                    "certificate-authority-data": _b64(config.ca_data),
                },
            }
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "u@ocm", "context": {"cluster": "ocm", "user": "u"}}],
        "current-context": "u@ocm",
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _kubectl(kubeconfig: Path, home: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}
    process = await asyncio.create_subprocess_exec(
        KUBECTL, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


@pytest.fixture
async def admin(apiserver: ApiServerProcess) -> AsyncIterator[ApiClient]:
    async with ApiClient(KubeConfig.from_kubeconfig(apiserver.kubeconfig)) as client:
        yield client


@pytest.fixture
async def alice_can_read_team_a(admin: ApiClient) -> None:
    for namespace in (NAMESPACE, OTHER_NAMESPACE):
        await admin.create(gvr.NAMESPACES, {"metadata": {"name": namespace}})
        await admin.create(
            gvr.CONFIGMAPS, {"metadata": {"name": "cfg", "namespace": namespace}, "data": {}}
        )
    await admin.create(
        gvr.ROLES,
        {
            "metadata": {"name": "reader", "namespace": NAMESPACE},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        },
    )
    await admin.create(
        gvr.ROLE_BINDINGS,
        {
            "metadata": {"name": "alice-reads", "namespace": NAMESPACE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": ALICE}],
        },
    )


@pytest.mark.usefixtures("alice_can_read_team_a")
async def test_a_namespaced_role_allows_there_and_forbids_elsewhere(
    apiserver: ApiServerProcess,
) -> None:
    async with ApiClient(_user_config(apiserver, ALICE)) as alice:
        found = await alice.get(gvr.CONFIGMAPS, "cfg", namespace=NAMESPACE)
        assert found["metadata"]["name"] == "cfg"
        with pytest.raises(ForbiddenError) as denied:
            await alice.get(gvr.CONFIGMAPS, "cfg", namespace=OTHER_NAMESPACE)
        assert str(denied.value).endswith(
            'configmaps "cfg" is forbidden: User "alice" cannot get resource "configmaps" in '
            'API group "" in the namespace "team-b"'
        ) or 'User "alice" cannot get resource "configmaps"' in str(denied.value)
        with pytest.raises(ForbiddenError):
            await alice.create(
                gvr.CONFIGMAPS, {"metadata": {"name": "new", "namespace": NAMESPACE}}
            )
        # Discovery is open to every authenticated user (system:discovery).
        assert (await alice.request("GET", "/api"))["kind"] == "APIVersions"


async def test_requests_without_credentials_are_unauthorized(apiserver: ApiServerProcess) -> None:
    config = KubeConfig(
        server=KubeConfig.from_kubeconfig(apiserver.kubeconfig).server,
        ca_data=(apiserver.data_dir / "ca.crt").read_bytes(),
    )
    async with ApiClient(config) as anonymous:
        with pytest.raises(UnauthorizedError):
            await anonymous.list(gvr.NAMESPACES)


@pytest.mark.usefixtures("alice_can_read_team_a")
async def test_impersonation_needs_the_impersonate_verb(
    apiserver: ApiServerProcess, admin: ApiClient
) -> None:
    as_alice = dataclasses.replace(_user_config(apiserver, "bob"), impersonate=Impersonation(ALICE))
    async with ApiClient(as_alice) as bob_as_alice:
        with pytest.raises(ForbiddenError, match='cannot impersonate resource "users"'):
            await bob_as_alice.get(gvr.CONFIGMAPS, "cfg", namespace=NAMESPACE)
        await admin.create(
            gvr.CLUSTER_ROLES,
            {
                "metadata": {"name": "impersonate-alice"},
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["users"],
                        "verbs": ["impersonate"],
                        "resourceNames": [ALICE],
                    }
                ],
            },
        )
        await admin.create(
            gvr.CLUSTER_ROLE_BINDINGS,
            {
                "metadata": {"name": "bob-impersonates-alice"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "impersonate-alice",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}
                ],
            },
        )
        found = await bob_as_alice.get(gvr.CONFIGMAPS, "cfg", namespace=NAMESPACE)
        assert found["metadata"]["name"] == "cfg"
        with pytest.raises(ForbiddenError, match='User "alice"'):
            await bob_as_alice.get(gvr.CONFIGMAPS, "cfg", namespace=OTHER_NAMESPACE)


@pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")
@pytest.mark.usefixtures("alice_can_read_team_a")
async def test_kubectl_auth_can_i_answers_for_the_caller(
    apiserver: ApiServerProcess, tmp_path: Path
) -> None:
    kubeconfig = _write_kubeconfig(tmp_path / "alice.kubeconfig", _user_config(apiserver, ALICE))
    code, out = await _kubectl(
        kubeconfig, tmp_path, "auth", "can-i", "list", "configmaps", "-n", NAMESPACE
    )
    assert (code, out.strip()) == (0, "yes")
    code, out = await _kubectl(
        kubeconfig, tmp_path, "auth", "can-i", "list", "configmaps", "-n", OTHER_NAMESPACE
    )
    assert code == 1
    assert out.startswith("no")
    code, out = await _kubectl(kubeconfig, tmp_path, "auth", "can-i", "--list", "-n", NAMESPACE)
    assert code == 0, out
    assert "configmaps" in out
    code, out = await _kubectl(kubeconfig, tmp_path, "auth", "whoami", "-o", "json")
    assert code == 0, out
    assert json.loads(out)["status"]["userInfo"]["username"] == ALICE


@pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")
async def test_kubectl_create_token_issues_a_token_the_server_accepts(
    apiserver: ApiServerProcess, admin: ApiClient, tmp_path: Path
) -> None:
    await admin.create(gvr.NAMESPACES, {"metadata": {"name": "robots"}})
    await admin.create(gvr.SERVICE_ACCOUNTS, {"metadata": {"name": "robot", "namespace": "robots"}})
    code, out = await _kubectl(
        apiserver.kubeconfig, tmp_path, "create", "token", "robot", "-n", "robots"
    )
    assert code == 0, out
    token = out.strip()

    review = await admin.create(gvr.TOKEN_REVIEWS, {"spec": {"token": token}})
    status: dict[str, Any] = review["status"]
    assert status["authenticated"] is True
    assert status["user"]["username"] == "system:serviceaccount:robots:robot"
    assert "system:serviceaccounts:robots" in status["user"]["groups"]
    bogus = await admin.create(gvr.TOKEN_REVIEWS, {"spec": {"token": token[:-4] + "AAAA"}})
    assert bogus["status"]["authenticated"] is False

    # The token authenticates as the ServiceAccount, which has no rights yet.
    config = KubeConfig(
        server=KubeConfig.from_kubeconfig(apiserver.kubeconfig).server,
        ca_data=(apiserver.data_dir / "ca.crt").read_bytes(),
        token=TokenSource(token=token),
    )
    async with ApiClient(config) as robot:
        with pytest.raises(ForbiddenError, match="system:serviceaccount:robots:robot"):
            await robot.list(gvr.CONFIGMAPS, namespace="robots")
    # Deleting the account revokes its tokens.
    await admin.delete(gvr.SERVICE_ACCOUNTS, "robot", namespace="robots")
    gone = await admin.create(gvr.TOKEN_REVIEWS, {"spec": {"token": token}})
    assert gone["status"]["authenticated"] is False


async def test_subject_access_review_answers_for_any_user(admin: ApiClient) -> None:
    review = await admin.create(
        gvr.SUBJECT_ACCESS_REVIEWS,
        {
            "spec": {
                "user": "someone",
                "groups": ["system:masters"],
                "resourceAttributes": {"verb": "delete", "resource": "nodes"},
            }
        },
    )
    assert review["status"]["allowed"] is True
    review = await admin.create(
        gvr.SUBJECT_ACCESS_REVIEWS,
        {"spec": {"user": "nobody", "resourceAttributes": {"verb": "delete", "resource": "nodes"}}},
    )
    assert review["status"]["allowed"] is False


async def test_default_policy_is_seeded(admin: ApiClient) -> None:
    view = await admin.get(gvr.CLUSTER_ROLES, "view")
    assert any("configmaps" in rule.get("resources", []) for rule in view["rules"])
    binding = await admin.get(gvr.CLUSTER_ROLE_BINDINGS, "cluster-admin")
    assert binding["subjects"][0]["name"] == "system:masters"


async def test_a_bootstrap_token_authenticates_while_its_secret_exists(
    apiserver: ApiServerProcess, admin: ApiClient
) -> None:
    token = generate_token()
    secret = bootstrap_token_secret(token, extra_groups=["system:bootstrappers:managedcluster"])
    await admin.create(gvr.SECRETS, secret)
    config = KubeConfig(
        server=KubeConfig.from_kubeconfig(apiserver.kubeconfig).server,
        ca_data=(apiserver.data_dir / "ca.crt").read_bytes(),
        token=TokenSource(token=token),
    )
    async with ApiClient(config) as joiner:
        review = await joiner.request("POST", SELF_SUBJECT_REVIEWS, body={"spec": {}})
        user = review["status"]["userInfo"]
        assert user["username"] == f"system:bootstrap:{token.split('.')[0]}"
        assert "system:bootstrappers:managedcluster" in user["groups"]
        await admin.delete(gvr.SECRETS, secret["metadata"]["name"], namespace="kube-system")
        with pytest.raises(UnauthorizedError):
            await joiner.request("POST", SELF_SUBJECT_REVIEWS, body={"spec": {}})


async def test_service_account_issuer_discovery_publishes_the_verifying_key(
    admin: ApiClient,
) -> None:
    document = await admin.request("GET", "/.well-known/openid-configuration")
    assert document["issuer"] == "https://kubernetes.default.svc.cluster.local"
    assert document["jwks_uri"].endswith("/openid/v1/jwks")
    keys = await admin.request("GET", "/openid/v1/jwks")
    assert [key["alg"] for key in keys["keys"]] == ["ES256"]
