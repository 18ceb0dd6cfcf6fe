"""Bound ServiceAccount tokens: TokenRequest ``boundObjectRef`` (Pod, Secret) on a real server.

The token carries the binding in its ``kubernetes.io`` claim and dies with the bound object:
TokenReview and request authentication reject it once the object is deleted.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocm_core.api import gvr
from ocm_core.kube import ApiClient, KubeConfig
from ocm_core.kube.config import TokenSource
from ocm_core.kube.errors import BadRequestError, ConflictError, NotFoundError, UnauthorizedError
from tests.support.apiserver_process import ApiServerProcess

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
NAMESPACE = "bound"
ACCOUNT = "robot"
TOKEN_PATH = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{ACCOUNT}/token"
SELF_SUBJECT_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.fixture
async def admin(apiserver: ApiServerProcess) -> AsyncIterator[ApiClient]:
    async with ApiClient(KubeConfig.from_kubeconfig(apiserver.kubeconfig)) as client:
        await client.create(gvr.NAMESPACES, {"metadata": {"name": NAMESPACE}})
        await client.create(
            gvr.SERVICE_ACCOUNTS, {"metadata": {"name": ACCOUNT, "namespace": NAMESPACE}}
        )
        yield client


async def _pod(admin: ApiClient, name: str) -> dict[str, Any]:
    body = {
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"serviceAccountName": ACCOUNT, "containers": [{"name": "c", "image": "x"}]},
    }
    return await admin.create(gvr.PODS, body, namespace=NAMESPACE)


async def _token_for(admin: ApiClient, ref: dict[str, Any]) -> dict[str, Any]:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"}
    answer: dict[str, Any] = await admin.request(
        "POST", TOKEN_PATH, body={**body, "spec": {"boundObjectRef": ref}}
    )
    return answer


async def _review(admin: ApiClient, token: str) -> dict[str, Any]:
    review = await admin.create(gvr.TOKEN_REVIEWS, {"spec": {"token": token}})
    status: dict[str, Any] = review["status"]
    return status


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


async def test_a_pod_bound_token_embeds_the_pod_and_dies_with_it(
    apiserver: ApiServerProcess, admin: ApiClient
) -> None:
    pod = await _pod(admin, "worker")
    uid = pod["metadata"]["uid"]
    answer = await _token_for(admin, {"kind": "Pod", "apiVersion": "v1", "name": "worker"})
    assert answer["spec"]["boundObjectRef"]["uid"] == uid
    token = answer["status"]["token"]
    claim = _claims(token)["kubernetes.io"]
    assert claim["pod"] == {"name": "worker", "uid": uid}
    assert claim["serviceaccount"]["name"] == ACCOUNT

    status = await _review(admin, token)
    assert status["authenticated"] is True
    assert status["user"]["extra"]["authentication.kubernetes.io/pod-name"] == ["worker"]
    assert status["user"]["extra"]["authentication.kubernetes.io/pod-uid"] == [uid]
    config = KubeConfig(
        server=KubeConfig.from_kubeconfig(apiserver.kubeconfig).server,
        ca_data=(apiserver.data_dir / "ca.crt").read_bytes(),
        token=TokenSource(token=token),
    )
    async with ApiClient(config) as robot:
        whoami = await robot.request("POST", SELF_SUBJECT_REVIEWS, body={"spec": {}})
        assert (
            whoami["status"]["userInfo"]["username"] == f"system:serviceaccount:{NAMESPACE}:robot"
        )

        await admin.delete(gvr.PODS, "worker", namespace=NAMESPACE)
        assert (await _review(admin, token))["authenticated"] is False
        with pytest.raises(UnauthorizedError):
            await robot.request("POST", SELF_SUBJECT_REVIEWS, body={"spec": {}})

    # A new Pod with the same name has a new uid: the old token stays dead.
    await _pod(admin, "worker")
    assert (await _review(admin, token))["authenticated"] is False


async def test_a_secret_bound_token_dies_with_the_secret(admin: ApiClient) -> None:
    secret = {"metadata": {"name": "holder", "namespace": NAMESPACE}, "data": {}}
    created = await admin.create(gvr.SECRETS, secret, namespace=NAMESPACE)
    answer = await _token_for(
        admin, {"kind": "Secret", "name": "holder", "uid": created["metadata"]["uid"]}
    )
    token = answer["status"]["token"]
    assert _claims(token)["kubernetes.io"]["secret"]["name"] == "holder"
    assert (await _review(admin, token))["authenticated"] is True
    await admin.delete(gvr.SECRETS, "holder", namespace=NAMESPACE)
    assert (await _review(admin, token))["authenticated"] is False


async def test_binding_requests_are_checked_against_the_live_object(admin: ApiClient) -> None:
    await _pod(admin, "live")
    with pytest.raises(ConflictError, match="does not match the UID in record"):
        await _token_for(admin, {"kind": "Pod", "name": "live", "uid": "not-the-uid"})
    with pytest.raises(NotFoundError, match='pods "absent" not found'):
        await _token_for(admin, {"kind": "Pod", "name": "absent"})
    with pytest.raises(BadRequestError, match='to object of kind "ConfigMap"'):
        await _token_for(admin, {"kind": "ConfigMap", "name": "live"})


@pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")
async def test_kubectl_create_token_bound_to_a_pod(
    apiserver: ApiServerProcess, admin: ApiClient, tmp_path: Path
) -> None:
    pod = await _pod(admin, "kubectl-pod")
    env = {**os.environ, "KUBECONFIG": str(apiserver.kubeconfig), "HOME": str(tmp_path)}
    args = ("create", "token", ACCOUNT, "-n", NAMESPACE, "--bound-object-kind", "Pod")
    process = await asyncio.create_subprocess_exec(
        KUBECTL,
        *args,
        "--bound-object-name",
        "kubectl-pod",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    claim = _claims(out.decode().strip())["kubernetes.io"]
    assert claim["pod"]["uid"] == pod["metadata"]["uid"]
