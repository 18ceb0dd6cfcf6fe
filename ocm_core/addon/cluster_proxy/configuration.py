"""`ManagedProxyConfigurationController`: the hub side of cluster-proxy.

For the ManagedProxyConfiguration `cluster-proxy` it keeps, in order:
1. the CA in Secret `cluster-proxy-signer` (created if missing, rotated with overlap, see
   `signer`), and publishes it in `HubState` for the add-on (agent signing, CA bundle);
2. the proxy namespace;
3. the address agents dial (Hostname value, or the LoadBalancer Service's ingress IP);
4. the leaf Secrets `proxy-server`, `agent-server`, `proxy-client` (and the user-server
   certificate when `spec.userServer` is set), re-issued early, and `proxy-server-ca` (the
   bundle);
5. the proxy-server ServiceAccount, Deployment and Services (updated only when their rendered
   hash changes; a Service keeps its allocated clusterIP);
6. status: `lastObservedGeneration` and the conditions `ProxyServerDeployed`,
   `ProxyServerSecretSigned`, `AgentServerSecretSigned` (`UserServerSecretSigned`).
When the CA bundle or the agent address changes, every agent is re-rendered (`on_agents_changed`).
It requeues itself for the next rotation deadline.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from ocm_core import pki
from ocm_core.addon.cluster_proxy import hub_render, leaf, signer
from ocm_core.addon.cluster_proxy.addon import HubState
from ocm_core.addon.status import write_status
from ocm_core.api import gvr, proxy
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Result, patching

logger = logging.getLogger(__name__)
Object = dict[str, Any]
TLS_SECRET_TYPE: Final = "kubernetes.io/tls"
WAIT_FOR_LOAD_BALANCER_SECONDS: Final = 5.0
_KINDS: Final[dict[str, Resource]] = {
    "ServiceAccount": gvr.SERVICE_ACCOUNTS,
    "Deployment": gvr.DEPLOYMENTS,
    "Service": gvr.SERVICES,
    "Role": gvr.ROLES,
    "RoleBinding": gvr.ROLE_BINDINGS,
}


class ManagedProxyConfigurationController:
    def __init__(
        self,
        api: KubeApi,
        state: HubState,
        *,
        configurations: Informer,
        clock: Clock,
        signer_namespace: str,
        on_agents_changed: Callable[[], None],
        ca_validity: dt.timedelta = pki.DEFAULT_CA_VALIDITY,
        ca_overlap: dt.timedelta = signer.DEFAULT_OVERLAP,
    ) -> None:
        self.api = api
        self.state = state
        self.configurations = configurations
        self.clock = clock
        self.signer_namespace = signer_namespace
        self.on_agents_changed = on_agents_changed
        self.ca_validity = ca_validity
        self.ca_overlap = ca_overlap

    async def reconcile(self, key: str) -> Result | None:
        mpc = self.configurations.cache.get(key)
        if key != proxy.CONFIGURATION_NAME or mpc is None or patching.is_deleting(mpc):
            return None
        now = self.clock.wall()
        before = self._agent_inputs()
        state = await self._ensure_signer(mpc, now)
        namespace = hub_render.server_namespace(mpc)
        await self._ensure_namespace(namespace)
        address, waiting = await self._entrypoint_address(mpc, namespace)
        self.state.entrypoint_address = address
        if before != self._agent_inputs():
            # A new bundle, a promoted CA (new agent-certificate OU) or a new address.
            self.on_agents_changed()
        conditions = list((mpc.get("status") or {}).get("conditions") or [])
        deadlines = [signer.next_change_at(state, self.ca_overlap)]
        for spec in leaf.leaf_specs(mpc, entrypoint_address=address):
            data = await self._ensure_leaf(mpc, spec, state, now)
            due, expiry = leaf.rotation_due(data), leaf.expiry_of(data)
            if due is not None:
                deadlines.append(due)
            if spec.condition and expiry is not None:
                conditions = patching.set_condition(
                    conditions,
                    type=spec.condition,
                    status=patching.CONDITION_TRUE,
                    reason="SuccessfullySigned",
                    message=f"Expiry:{expiry.isoformat()}",
                    clock=self.clock,
                )
        await self._ensure_secret(
            mpc,
            proxy.PROXY_SERVER_CA_SECRET,
            {proxy.CA_CERT_KEY: _b64(state.bundle.pem())},
            "Opaque",
        )
        replicas = await self._apply(hub_render.render(mpc))
        conditions = patching.set_condition(
            conditions,
            type=proxy.CONDITION_PROXY_SERVER_DEPLOYED,
            status=patching.CONDITION_TRUE,
            reason=proxy.REASON_SUCCESSFULLY_DEPLOYED,
            message=f"Replicas: {replicas}",
            clock=self.clock,
        )
        status = {
            **(mpc.get("status") or {}),
            "lastObservedGeneration": mpc["metadata"].get("generation"),
            "conditions": conditions,
        }
        await write_status(self.api, gvr.MANAGED_PROXY_CONFIGURATIONS, mpc, status)
        delay = max(1.0, (min(deadlines) - now).total_seconds())
        if waiting:
            delay = min(delay, WAIT_FOR_LOAD_BALANCER_SECONDS)
        return Result(requeue_after=delay)

    def _agent_inputs(self) -> tuple[bytes | None, bytes | None, str | None]:
        current = self.state.signer
        return (
            current.bundle.pem() if current else None,
            current.current.cert_pem() if current else None,
            self.state.entrypoint_address,
        )

    # -- CA ---------------------------------------------------------------------------------

    async def _ensure_signer(self, mpc: Object, now: dt.datetime) -> signer.SignerState:
        secret = await self._get(gvr.SECRETS, proxy.SIGNER_SECRET_NAME, self.signer_namespace)
        current = None
        if secret is not None:
            current = signer.load(
                secret.get("data") or {}, secret["metadata"].get("annotations") or {}
            )
        wanted = await asyncio.to_thread(
            signer.advance, current, now=now, validity=self.ca_validity, overlap=self.ca_overlap
        )
        if (
            current is None
            or wanted.secret_data() != current.secret_data()
            or (wanted.annotations() != current.annotations())
        ):
            body: Object = {
                "metadata": {
                    "name": proxy.SIGNER_SECRET_NAME,
                    "namespace": self.signer_namespace,
                    "annotations": wanted.annotations(),
                    "ownerReferences": [hub_render.owner_reference(mpc)],
                },
                "type": "Opaque",
                "data": wanted.secret_data(),
            }
            await self._write(gvr.SECRETS, body, secret)
            logger.info("cluster-proxy CA updated", extra={"staged": wanted.staged is not None})
        self.state.signer = wanted
        return wanted

    # -- namespace, entrypoint --------------------------------------------------------------

    async def _ensure_namespace(self, namespace: str) -> None:
        if await self._get(gvr.NAMESPACES, namespace, None) is None:
            with contextlib.suppress(errors.AlreadyExistsError):
                await self.api.create(gvr.NAMESPACES, {"metadata": {"name": namespace}})

    async def _entrypoint_address(self, mpc: Object, namespace: str) -> tuple[str | None, bool]:
        """(address agents dial, still waiting for it)."""
        point = hub_render.entrypoint(mpc)
        kind = point.get("type")
        if kind == proxy.ENTRYPOINT_HOSTNAME:
            return str((point.get("hostname") or {}).get("value") or "") or None, False
        if kind == proxy.ENTRYPOINT_LOAD_BALANCER:
            name = (point.get("loadBalancerService") or {}).get(
                "name"
            ) or proxy.LOAD_BALANCER_SERVICE
            service = await self._get(gvr.SERVICES, str(name), namespace)
            ingress = (((service or {}).get("status") or {}).get("loadBalancer") or {}).get(
                "ingress"
            ) or []
            address = next(
                (
                    i.get("ip") or i.get("hostname")
                    for i in ingress
                    if i.get("ip") or i.get("hostname")
                ),
                None,
            )
            return address, address is None
        return None, False

    # -- secrets ----------------------------------------------------------------------------

    async def _ensure_leaf(
        self, mpc: Object, spec: leaf.LeafSpec, state: signer.SignerState, now: dt.datetime
    ) -> dict[str, str]:
        namespace = hub_render.server_namespace(mpc)
        secret = await self._get(gvr.SECRETS, spec.secret_name, namespace)
        data = dict((secret or {}).get("data") or {})
        reason = leaf.reissue_reason(data, spec, state.current, now)
        if reason is not None:
            logger.info("issuing certificate", extra={"secret": spec.secret_name, "reason": reason})
            data = await asyncio.to_thread(leaf.issue, spec, state, now)
        else:
            data[proxy.CA_CERT_KEY] = _b64(state.bundle.pem())
        await self._ensure_secret(mpc, spec.secret_name, data, TLS_SECRET_TYPE, current=secret)
        return data

    async def _ensure_secret(
        self,
        mpc: Object,
        name: str,
        data: Mapping[str, str],
        secret_type: str,
        *,
        current: Object | None = None,
    ) -> None:
        namespace = hub_render.server_namespace(mpc)
        current = current if current is not None else await self._get(gvr.SECRETS, name, namespace)
        owners = [hub_render.owner_reference(mpc)]
        if (
            current is not None
            and (current.get("data") or {}) == dict(data)
            and current["metadata"].get("ownerReferences") == owners
        ):
            return
        body: Object = {
            # Owned by the configuration: deleting it (helm uninstall) removes the hub side.
            "metadata": {"name": name, "namespace": namespace, "ownerReferences": owners},
            "type": secret_type,
            "data": dict(data),
        }
        await self._write(gvr.SECRETS, body, current)

    # -- hub objects ------------------------------------------------------------------------

    async def _apply(self, objects: list[Object]) -> int:
        """Create or update the rendered objects; returns the Deployment's ready replicas."""
        ready = 0
        for obj in objects:
            resource = _KINDS[obj["kind"]]
            namespace = obj["metadata"]["namespace"]
            current = await self._get(resource, obj["metadata"]["name"], namespace)
            if obj["kind"] == "Deployment" and current is not None:
                ready = int((current.get("status") or {}).get("readyReplicas") or 0)
            wanted_hash = obj["metadata"]["annotations"][proxy.RENDERED_HASH_ANNOTATION]
            have_hash = (
                ((current or {}).get("metadata") or {})
                .get("annotations", {})
                .get(proxy.RENDERED_HASH_ANNOTATION)
            )
            if current is not None and have_hash == wanted_hash:
                continue
            if current is not None and obj["kind"] == "Service":
                # Keep what the API server allocated (clusterIP(s), nodePorts are not ours).
                for field in ("clusterIP", "clusterIPs"):
                    if field in (current.get("spec") or {}):
                        obj["spec"][field] = current["spec"][field]
            await self._write(resource, obj, current)
        return ready

    async def _get(self, resource: Resource, name: str, namespace: str | None) -> Object | None:
        try:
            return await self.api.get(resource, name, namespace=namespace)
        except errors.NotFoundError:
            return None

    async def _write(self, resource: Resource, body: Object, current: Object | None) -> None:
        namespace = body["metadata"].get("namespace")
        if current is None:
            try:
                await self.api.create(resource, body, namespace=namespace)
                return
            except errors.AlreadyExistsError:
                current = await self.api.get(
                    resource, body["metadata"]["name"], namespace=namespace
                )
        metadata = {
            **current["metadata"],
            **{k: v for k, v in body["metadata"].items() if k != "annotations"},
        }
        annotations = dict(current["metadata"].get("annotations") or {})
        annotations.update(body["metadata"].get("annotations") or {})
        metadata["annotations"] = annotations
        await self.api.replace(
            resource, {**current, **body, "metadata": metadata}, namespace=namespace
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
