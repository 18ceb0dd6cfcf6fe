"""`RegistrationAgent`: the klusterlet registration agent from start to steady state.

1. Load the stored credentials (spoke Secret ``hub-kubeconfig-secret``). Usable means: readable,
   certificate matches key, issued to this cluster and agent, unexpired, and for the same hub
   as the bootstrap kubeconfig.
2. Otherwise bootstrap: create the ManagedCluster, request a certificate, wait for it, store it.
3. Run the main-phase controllers (`controllers`) on a runtime `Manager` whose client reads the
   stored kubeconfig files, so a rotated certificate is picked up without a restart.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.api import gvr
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.kube.errors import NotFoundError
from ocm_core.registration import names
from ocm_core.registration.conflicts import RetryOnConflict
from ocm_core.registration.spoke import bootstrap, credentials
from ocm_core.registration.spoke.controllers import (
    ClientCertRotationController,
    ClusterStatusController,
    LeaseUpdateController,
    SpokeApi,
    spec_or_acceptance_changed,
)
from ocm_core.registration.spoke.credentials import HubCredentials
from ocm_core.registration.spoke.store import CredentialStore
from ocm_core.runtime import Clock, Manager, RealClock, Source

logger = logging.getLogger(__name__)

AGENT_ID_LENGTH: Final = 5
DEFAULT_STATUS_PERIOD: Final = 60.0


@dataclass(frozen=True)
class AgentOptions:
    data_dir: Path
    """Where the hub kubeconfig and certificate files are written."""
    bootstrap_kubeconfig: Path | None = None
    cluster_name: str | None = None
    agent_id: str | None = None
    status_period: float = DEFAULT_STATUS_PERIOD
    cert_expiration_seconds: int | None = None


def random_agent_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(AGENT_ID_LENGTH))


class RegistrationAgent:
    def __init__(self, spoke: SpokeApi, options: AgentOptions, clock: Clock | None = None) -> None:
        self.spoke = spoke
        self.options = options
        self.clock = clock or RealClock()
        self.store = CredentialStore(spoke, options.data_dir)
        self.manager: Manager | None = None

    async def credentials(self) -> HubCredentials:
        """Stored credentials if usable, else new ones from the bootstrap phase."""
        stored = await self.store.load()
        cluster = self.options.cluster_name or (stored.cluster if stored else str(uuid.uuid4()))
        agent = self.options.agent_id or (stored.agent if stored else random_agent_id())
        bootstrap_config = await self._bootstrap_config()
        if stored is not None:
            why = self._unusable(stored, cluster, agent, bootstrap_config)
            if why is None:
                await self.store.save(stored)  # dump to disk for the hub client
                return stored
            logger.info("stored hub credentials are not usable: %s", why)
        if bootstrap_config is None:
            raise credentials.CredentialError(
                "no usable hub credentials and no bootstrap kubeconfig: run `ocm join` on this "
                "cluster first, or pass --bootstrap-kubeconfig"
            )
        return await self._bootstrap(bootstrap_config, cluster, agent)

    async def _bootstrap_config(self) -> dict[str, Any] | None:
        """The ``--bootstrap-kubeconfig`` file, else the spoke Secret ``bootstrap-hub-kubeconfig``
        (written by ``ocm join``), else None."""
        path = self.options.bootstrap_kubeconfig
        if path is not None:
            text, where = path.read_text(), str(path)
        else:
            try:
                secret = await self.spoke.get(
                    gvr.SECRETS, names.BOOTSTRAP_SECRET, namespace=names.AGENT_NAMESPACE
                )
            except NotFoundError:
                return None
            text = (credentials.secret_field(secret, names.KEY_KUBECONFIG) or b"").decode()
            where = f"secret {names.AGENT_NAMESPACE}/{names.BOOTSTRAP_SECRET}"
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict):
            raise credentials.CredentialError(f"{where} is not a kubeconfig")
        return loaded

    def _unusable(
        self,
        stored: HubCredentials,
        cluster: str,
        agent: str,
        bootstrap_config: dict[str, Any] | None,
    ) -> str | None:
        if (stored.cluster, stored.agent) != (cluster, agent):
            return f"they belong to {stored.cluster}/{stored.agent}, not {cluster}/{agent}"
        if bootstrap_config is not None and not credentials.same_hub(
            stored.kubeconfig, bootstrap_config
        ):
            return "the bootstrap kubeconfig now names another hub"
        return credentials.problem(stored, now=self.clock.wall())

    async def _bootstrap(
        self, bootstrap_config: dict[str, Any], cluster: str, agent: str
    ) -> HubCredentials:
        path = self.options.bootstrap_kubeconfig
        base_dir = path.parent if path is not None else self.options.data_dir
        config = KubeConfig.from_kubeconfig_data(bootstrap_config, base_dir=base_dir)
        logger.info("bootstrapping", extra={"cluster": cluster, "agent": agent})
        async with ApiClient(config) as hub:
            await bootstrap.ensure_managed_cluster(hub, cluster, self.clock)
            cert_pem, key_pem = await bootstrap.request_certificate(
                hub,
                cluster,
                agent,
                self.clock,
                expiration_seconds=self.options.cert_expiration_seconds,
            )
        creds = HubCredentials(
            credentials.hub_kubeconfig(bootstrap_config), cert_pem, key_pem, cluster, agent
        )
        await self.store.save(creds)
        return creds

    async def run(self) -> None:
        creds = await self.credentials()
        hub = ApiClient(KubeConfig.from_kubeconfig(self.store.kubeconfig_path))
        try:
            self.manager = self.build(hub, creds)
            await self.manager.run()
        finally:
            await hub.close()

    def build(self, hub: ApiClient, creds: HubCredentials) -> Manager:
        manager = Manager(hub, clock=self.clock)
        clusters = manager.informer(
            gvr.MANAGED_CLUSTERS, field_selector=f"metadata.name={creds.cluster}"
        )
        lease = manager.controller(
            "lease-update",
            RetryOnConflict(LeaseUpdateController(hub, clusters, self.clock)),
            [Source(clusters, update_filter=spec_or_acceptance_changed)],
        )
        status = manager.controller(
            "cluster-status",
            RetryOnConflict(
                ClusterStatusController(
                    hub, self.spoke, clusters, self.clock, self.options.status_period
                )
            ),
            [Source(clusters, update_filter=spec_or_acceptance_changed)],
        )
        rotation = manager.controller(
            "client-cert-rotation",
            ClientCertRotationController(
                hub,
                self.store,
                creds,
                clusters,
                self.clock,
                expiration_seconds=self.options.cert_expiration_seconds,
            ),
            [Source(clusters, update_filter=spec_or_acceptance_changed)],
        )
        for controller in (lease, status, rotation):
            controller.enqueue(creds.cluster)
        return manager

    def stop(self) -> None:
        if self.manager is not None:
            self.manager.stop()
