"""The spoke side of add-on registration: certificates and tokens for an add-on agent.

`AddonCredentialsAgent.sync()` reads the ManagedClusterAddOn on the hub and, for each entry of
`status.registrations`, makes sure a Secret in the add-on's install namespace on the spoke holds
a usable credential:
- `customSigner` and `kubeClient` with driver `csr`: a private key made here and a certificate
  from a hub CSR (`generateName: addon-<cluster>-<addon>-`, labels cluster-name and
  addon-name). A certificate in the last 20 % of its life is re-requested, so rotation happens
  before expiry; the old certificate stays in the Secret until the new one is issued.
- with the hub's address given, the kubeClient Secret also gets a `kubeconfig` using those files;
- `kubeClient` with driver `token`: a short-lived token from TokenRequest on the hub
  ServiceAccount `<addon>-agent` in the cluster namespace, renewed once 80 % of its lifetime
  has passed.
`sync` returns the seconds until the next credential falls due, for the caller's loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Final

import yaml

from ocm_core import pki
from ocm_core.addon.controllers.csr import CLUSTER_NAME_LABEL
from ocm_core.api import addon, gvr
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock

logger = logging.getLogger(__name__)
Object = dict[str, Any]

TOKEN_KEY: Final = "token"
KUBECONFIG_KEY: Final = "kubeconfig"
TOKEN_EXPIRY_ANNOTATION: Final = "addon.open-cluster-management.io/token-expiration"
TOKEN_ISSUED_ANNOTATION: Final = "addon.open-cluster-management.io/token-issued"
TOKEN_EXPIRATION_SECONDS: Final = 3600
"""Lifetime asked for in TokenRequest (short-lived; renewed at 80 %)."""
PENDING_RETRY_SECONDS: Final = 2.0
IDLE_RESYNC_SECONDS: Final = 24 * 3600.0
"""Next sync when nothing falls due sooner (callers also re-sync when the add-on changes)."""
CLIENT_USAGES: Final = ["digital signature", "key encipherment", "client auth"]


class CredentialError(Exception):
    """The hub answered in a way that gives the agent no credential; the message says why."""


@dataclass
class _PendingCsr:
    name: str
    key_pem: bytes


class AddonCredentialsAgent:
    def __init__(
        self,
        hub: KubeApi,
        spoke: KubeApi,
        *,
        cluster: str,
        addon_name: str,
        clock: Clock,
        token_seconds: int = TOKEN_EXPIRATION_SECONDS,
        hub_server: str | None = None,
        hub_ca_pem: bytes | None = None,
    ) -> None:
        self.hub_server = hub_server
        self.hub_ca_pem = hub_ca_pem
        self.hub = hub
        self.spoke = spoke
        self.cluster = cluster
        self.addon_name = addon_name
        self.clock = clock
        self.token_seconds = token_seconds
        self._pending: dict[str, _PendingCsr] = {}

    async def sync(self) -> float:
        mca = await self.hub.get(
            gvr.MANAGED_CLUSTER_ADDONS, self.addon_name, namespace=self.cluster
        )
        status = mca.get("status") or {}
        namespace = status.get("namespace") or addon.DEFAULT_INSTALL_NAMESPACE
        next_due = IDLE_RESYNC_SECONDS
        for registration in status.get("registrations") or ():
            if registration.get("type") == addon.REGISTRATION_CUSTOM_SIGNER:
                signer = registration["customSigner"]["signerName"]
                subject = registration["customSigner"].get("subject") or {}
                secret = addon.custom_signer_secret_name(self.addon_name, signer)
                due = await self._ensure_certificate(
                    namespace, secret, signer, subject, kubeconfig=False
                )
            elif (registration.get("kubeClient") or {}).get("driver") == addon.DRIVER_TOKEN:
                secret = addon.hub_kubeconfig_secret_name(self.addon_name)
                due = await self._ensure_token(namespace, secret)
            else:
                subject = (registration.get("kubeClient") or {}).get("subject") or {}
                secret = addon.hub_kubeconfig_secret_name(self.addon_name)
                due = await self._ensure_certificate(
                    namespace, secret, addon.KUBE_APISERVER_CLIENT_SIGNER, subject, kubeconfig=True
                )
            next_due = min(next_due, due)
        return max(next_due, 0.0)

    # -- certificates ---------------------------------------------------------------------

    async def _ensure_certificate(
        self, namespace: str, secret_name: str, signer: str, subject: Object, *, kubeconfig: bool
    ) -> float:
        now = self.clock.wall()
        secret = await self._secret(namespace, secret_name)
        current = _secret_bytes(secret, "tls.crt")
        if current and not pki.needs_rotation(pki.load_certificate_pem(current), now=now):
            due_at = pki.rotation_due_at(pki.load_certificate_pem(current))
            return (due_at - now).total_seconds()
        pending = self._pending.get(secret_name)
        if pending is not None:
            issued = await self._issued(pending)
            if issued is None:
                return PENDING_RETRY_SECONDS
            data = {"tls.crt": issued, "tls.key": pending.key_pem}
            if kubeconfig:
                data.update(
                    self._kubeconfig({"client-certificate": "tls.crt", "client-key": "tls.key"})
                )
            await self._write_secret(namespace, secret_name, data, {})
            del self._pending[secret_name]
            due_at = pki.rotation_due_at(pki.load_certificate_pem(issued))
            return (due_at - now).total_seconds()
        self._pending[secret_name] = await self._request_certificate(signer, subject)
        return PENDING_RETRY_SECONDS

    async def _request_certificate(self, signer: str, subject: Object) -> _PendingCsr:
        key = await asyncio.to_thread(pki.generate_private_key)
        ous = subject.get("organizationUnits") or []
        request = pki.create_csr(
            key,
            user=str(subject.get("user") or ""),
            groups=list(subject.get("groups") or []),
            organizational_unit=ous[0] if ous else None,
        )
        body: Object = {
            "metadata": {
                "generateName": addon.csr_generate_name(self.cluster, self.addon_name),
                "labels": {
                    CLUSTER_NAME_LABEL: self.cluster,
                    addon.ADDON_NAME_LABEL: self.addon_name,
                },
            },
            "spec": {
                "signerName": signer,
                "request": base64.b64encode(request).decode(),
                "usages": CLIENT_USAGES,
            },
        }
        created = await self.hub.create(gvr.CERTIFICATE_SIGNING_REQUESTS, body)
        logger.info(
            "requested addon certificate",
            extra={"csr": created["metadata"]["name"], "signer": signer, "addon": self.addon_name},
        )
        return _PendingCsr(created["metadata"]["name"], pki.private_key_to_pem(key))

    async def _issued(self, pending: _PendingCsr) -> bytes | None:
        try:
            csr = await self.hub.get(gvr.CERTIFICATE_SIGNING_REQUESTS, pending.name)
        except errors.NotFoundError:
            return None
        certificate = (csr.get("status") or {}).get("certificate")
        return base64.b64decode(certificate) if certificate else None

    # -- tokens ---------------------------------------------------------------------------

    async def _ensure_token(self, namespace: str, secret_name: str) -> float:
        now = self.clock.wall()
        secret = await self._secret(namespace, secret_name)
        annotations = ((secret or {}).get("metadata") or {}).get("annotations") or {}
        if _secret_bytes(secret, TOKEN_KEY) and annotations.get(TOKEN_EXPIRY_ANNOTATION):
            issued = _parse_time(annotations[TOKEN_ISSUED_ANNOTATION])
            expiry = _parse_time(annotations[TOKEN_EXPIRY_ANNOTATION])
            renew_at = issued + (expiry - issued) * (1 - pki.ROTATION_FRACTION)
            if now < renew_at:
                return (renew_at - now).total_seconds()
        request: Object = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": self.token_seconds},
        }
        response = await self.hub.create(
            gvr.SERVICE_ACCOUNTS,
            request,
            namespace=self.cluster,
            name=addon.token_service_account_name(self.addon_name),
            subresource="token",
        )
        token = str((response.get("status") or {}).get("token") or "")
        expiry_text = str((response.get("status") or {}).get("expirationTimestamp") or "")
        if not token or not expiry_text:
            account = addon.token_service_account_name(self.addon_name)
            raise CredentialError(
                f"TokenRequest for {self.cluster}/{account}"
                " returned no token or expiry; is the hub's TokenRequest API enabled?"
            )
        await self._write_secret(
            namespace,
            secret_name,
            {TOKEN_KEY: token.encode(), **self._kubeconfig({"tokenFile": TOKEN_KEY})},
            {TOKEN_ISSUED_ANNOTATION: _format_time(now), TOKEN_EXPIRY_ANNOTATION: expiry_text},
        )
        expiry = _parse_time(expiry_text)
        return ((expiry - now) * (1 - pki.ROTATION_FRACTION)).total_seconds()

    def _kubeconfig(self, user: Object) -> dict[str, bytes]:
        """The `kubeconfig` entry (paths relative to the mounted secret), if the hub is known."""
        if self.hub_server is None:
            return {}
        cluster: Object = {"server": self.hub_server}
        if self.hub_ca_pem is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.hub_ca_pem).decode()
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "hub", "cluster": cluster}],
            "users": [{"name": self.addon_name, "user": user}],
            "contexts": [{"name": "hub", "context": {"cluster": "hub", "user": self.addon_name}}],
            "current-context": "hub",
        }
        return {KUBECONFIG_KEY: yaml.safe_dump(document).encode()}

    async def run(self) -> None:
        """Keep the credentials fresh until cancelled; errors are logged and retried."""
        while True:
            try:
                delay = await self.sync()
            except (errors.KubeError, CredentialError, pki.PKIError) as exc:
                logger.warning(
                    "add-on credentials sync failed: %s", exc, extra={"addon": self.addon_name}
                )
                delay = PENDING_RETRY_SECONDS
            await self.clock.sleep(min(delay, IDLE_RESYNC_SECONDS))

    # -- secrets --------------------------------------------------------------------------

    async def _secret(self, namespace: str, name: str) -> Object | None:
        try:
            return await self.spoke.get(gvr.SECRETS, name, namespace=namespace)
        except errors.NotFoundError:
            return None

    async def _write_secret(
        self, namespace: str, name: str, data: dict[str, bytes], annotations: dict[str, str]
    ) -> None:
        encoded = {k: base64.b64encode(v).decode() for k, v in data.items()}
        current = await self._secret(namespace, name)
        if current is None:
            body: Object = {
                "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
                "type": "Opaque",
                "data": encoded,
            }
            await self.spoke.create(gvr.SECRETS, body, namespace=namespace)
            return
        metadata = dict(current["metadata"])
        metadata["annotations"] = {**(metadata.get("annotations") or {}), **annotations}
        updated = {
            **current,
            "metadata": metadata,
            "data": {**(current.get("data") or {}), **encoded},
        }
        await self.spoke.replace(gvr.SECRETS, updated, namespace=namespace)


def _secret_bytes(secret: Object | None, key: str) -> bytes | None:
    value = ((secret or {}).get("data") or {}).get(key)
    return base64.b64decode(value) if value else None


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def renew_lease(
    api: KubeApi, namespace: str, name: str, *, holder: str, clock: Clock
) -> None:
    """Create or renew the add-on's Lease `name` (what makes a Lease-mode add-on Available)."""
    now = clock.wall().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = {
        "holderIdentity": holder,
        "leaseDurationSeconds": addon.LEASE_RENEW_SECONDS,
        "renewTime": now,
    }
    try:
        current = await api.get(gvr.LEASES, name, namespace=namespace)
    except errors.NotFoundError:
        body: Object = {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
        await api.create(gvr.LEASES, body, namespace=namespace)
        return
    await api.replace(gvr.LEASES, {**current, "spec": {**(current.get("spec") or {}), **spec}})


REGISTRATION_POLL_SECONDS: Final = 2.0
"""How often the klusterlet looks for add-ons whose registrations changed (or went away)."""


class AddonRegistrationAgent:
    """The klusterlet side of every add-on of one cluster: one `AddonCredentialsAgent` per
    ManagedClusterAddOn, restarted when the add-on's registrations or install namespace change,
    and its credential Secrets removed when the add-on goes away."""

    def __init__(
        self,
        hub: KubeApi,
        spoke: KubeApi,
        *,
        cluster: str,
        clock: Clock,
        hub_server: str | None = None,
        hub_ca_pem: bytes | None = None,
    ) -> None:
        self.hub = hub
        self.spoke = spoke
        self.cluster = cluster
        self.clock = clock
        self.hub_server = hub_server
        self.hub_ca_pem = hub_ca_pem
        self._running: dict[str, tuple[str, asyncio.Task[None], list[tuple[str, str]]]] = {}

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.sync()
                except errors.KubeError as exc:
                    logger.warning("listing add-ons failed: %s", exc)
                await self.clock.sleep(REGISTRATION_POLL_SECONDS)
        finally:
            for _, task, _ in self._running.values():
                task.cancel()

    async def sync(self) -> None:
        listing = await self.hub.list(gvr.MANAGED_CLUSTER_ADDONS, namespace=self.cluster)
        wanted = {}
        for mca in listing.get("items") or ():
            status = mca.get("status") or {}
            if not status.get("registrations"):
                continue
            name = mca["metadata"]["name"]
            namespace = status.get("namespace") or addon.DEFAULT_INSTALL_NAMESPACE
            wanted[name] = (repr((namespace, status["registrations"])), namespace, status)
        for name in list(self._running):
            fingerprint, task, secrets = self._running[name]
            if name in wanted and wanted[name][0] == fingerprint:
                continue
            task.cancel()
            del self._running[name]
            if name not in wanted:
                await self._remove_secrets(name, secrets)
        for name, (fingerprint, namespace, status) in wanted.items():
            if name not in self._running:
                agent = AddonCredentialsAgent(
                    self.hub,
                    self.spoke,
                    cluster=self.cluster,
                    addon_name=name,
                    clock=self.clock,
                    hub_server=self.hub_server,
                    hub_ca_pem=self.hub_ca_pem,
                )
                secrets = [(namespace, s) for s in _secret_names(name, status)]
                self._running[name] = (fingerprint, asyncio.ensure_future(agent.run()), secrets)

    async def _remove_secrets(self, name: str, secrets: list[tuple[str, str]]) -> None:
        for namespace, secret in secrets:
            with contextlib.suppress(errors.NotFoundError):
                await self.spoke.delete(gvr.SECRETS, secret, namespace=namespace)
        logger.info("add-on removed: its credentials are deleted", extra={"addon": name})


def _secret_names(addon_name: str, status: Object) -> list[str]:
    names = []
    for registration in status.get("registrations") or ():
        if registration.get("type") == addon.REGISTRATION_CUSTOM_SIGNER:
            signer = registration["customSigner"]["signerName"]
            names.append(addon.custom_signer_secret_name(addon_name, signer))
        else:
            names.append(addon.hub_kubeconfig_secret_name(addon_name))
    return names
