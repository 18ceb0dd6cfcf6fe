"""``ocm join``'s checks and outputs: the bootstrap kubeconfig for a hub URL + token + CA, and a
preflight that turns the usual failures into plain messages (hub unreachable, token refused,
name already taken)."""

from __future__ import annotations

import base64
from typing import Any, Final

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import NotFoundError, TransportError, UnauthorizedError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.spoke.store import load_stored
from ocm_core.runtime import patching

BOOTSTRAP_CLUSTER: Final = "hub"
BOOTSTRAP_USER: Final = "bootstrap"


class JoinError(Exception):
    """A join cannot go ahead; the message says why and what to do."""


def bootstrap_kubeconfig(server: str, token: str, ca_pem: bytes | None) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": BOOTSTRAP_CLUSTER, "cluster": cluster}],
        "users": [{"name": BOOTSTRAP_USER, "user": {"token": token}}],
        "contexts": [
            {"name": "bootstrap", "context": {"cluster": BOOTSTRAP_CLUSTER, "user": BOOTSTRAP_USER}}
        ],
        "current-context": "bootstrap",
    }


async def preflight(kubeconfig: dict[str, Any], cluster: str, spoke: KubeApi) -> None:
    """Raise `JoinError` if the hub is unreachable, refuses the token, or another agent already
    holds ``cluster`` (unless this spoke holds credentials for it: a re-join)."""
    config = KubeConfig.from_kubeconfig_data(kubeconfig)
    async with ApiClient(config, default_timeout=10.0) as hub:
        try:
            await hub.get_text("/version")
        except TransportError as exc:
            raise JoinError(
                f"cannot reach the hub at {config.server}: {exc}; check --hub-apiserver and "
                "that the hub API server is running"
            ) from exc
        try:
            existing = await hub.get(gvr.MANAGED_CLUSTERS, cluster)
        except NotFoundError:
            return
        except UnauthorizedError as exc:
            raise JoinError(
                "the hub refused the token (401): it has expired or is wrong; run `ocm init` "
                "on the hub for a fresh join command"
            ) from exc
    conditions = (existing.get("status") or {}).get("conditions")
    if not patching.is_condition_true(conditions, cluster_api.CONDITION_JOINED):
        return
    stored = await load_stored(spoke)
    if stored is None or stored.cluster != cluster:
        raise JoinError(
            f"the cluster name {cluster!r} is already taken on the hub by another agent; "
            "choose another --cluster-name, or ask the hub admin to delete the old cluster"
        )


def bootstrap_secret(kubeconfig_text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": names.BOOTSTRAP_SECRET, "namespace": names.AGENT_NAMESPACE},
        "type": "Opaque",
        "data": {names.KEY_KUBECONFIG: base64.b64encode(kubeconfig_text.encode()).decode()},
    }
