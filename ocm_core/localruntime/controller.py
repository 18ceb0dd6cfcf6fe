"""`LocalRuntimeController`: reconcile Deployments of this project into local processes."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.metadata
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocm_core.api import gvr
from ocm_core.kube.protocol import KubeApi
from ocm_core.localruntime import podspec, services
from ocm_core.localruntime.podspec import PlanError, ProcessPlan
from ocm_core.localruntime.supervisor import ManagedProcess
from ocm_core.runtime import Clock, Controller, Informer, Manager, Result, Source, keys, patching

logger = logging.getLogger(__name__)
DISTRIBUTION = "ocm-cluster-proxy"


def project_programs() -> dict[str, list[str]]:
    """Console programs of this project -> the argv that runs them with this interpreter."""
    programs: dict[str, list[str]] = {}
    for entry in importlib.metadata.entry_points(group="console_scripts"):
        dist = entry.dist.name if entry.dist else ""
        if dist == DISTRIBUTION:
            module, _, function = entry.value.partition(":")
            code = f"import sys; from {module} import {function}; sys.exit({function}())"
            programs[entry.name] = [sys.executable, "-c", code]
    return programs


@dataclass
class _Running:
    fingerprint: str = ""
    #: Host ports standing in for each replica's container ports; kept across reconciles so
    #: a process is not restarted just because a new free port was picked.
    port_maps: list[dict[int, int]] = field(default_factory=list)
    replicas: list[list[ManagedProcess]] = field(default_factory=list)


class LocalRuntimeController:
    def __init__(
        self,
        api: KubeApi,
        deployments: Informer,
        secrets: Informer,
        config_maps: Informer,
        *,
        data_dir: Path,
        clock: Clock,
        images: Sequence[str] = podspec.PROJECT_IMAGES,
        node: podspec.Node | None = None,
        host_ports: Mapping[str, Mapping[int, int]] | None = None,
        service_informer: Informer | None = None,
    ) -> None:
        """`service_informer` feeds the cluster's Service map (`services.py`); without it no
        map is written."""
        self.api = api
        self.node = node or podspec.Node()
        #: `namespace/name` -> {containerPort: host port} pinned for replica 0 (like hostPort):
        #: a fixed address other machines' processes can be told in advance.
        self.host_ports = dict(host_ports or {})
        self.clock = clock
        self.deployments = deployments
        self.secrets = secrets
        self.config_maps = config_maps
        self.service_informer = service_informer
        self.data_dir = data_dir
        self.images = tuple(images)
        self.programs = project_programs()
        self.controller: Controller | None = None
        self._running: dict[str, _Running] = {}

    @property
    def service_map_file(self) -> Path:
        return self.data_dir / services.SERVICE_MAP_FILE

    # -- reconcile -----------------------------------------------------------------------------
    async def reconcile(self, key: str) -> Result | None:
        deployment = self.deployments.cache.get(key)
        try:
            return await self._reconcile(key, deployment)
        finally:
            await self._publish_services()

    async def _reconcile(self, key: str, deployment: Mapping[str, Any] | None) -> Result | None:
        if deployment is None or not podspec.is_ours(deployment, self.images):
            await self._stop(key)
            return None
        if patching.is_deleting(deployment):
            await self._stop(key)
            return None
        try:
            plans = self._plans(key, deployment)
        except PlanError as exc:
            await self._stop(key)
            await self._report(deployment, [], error=str(exc))
            return Result(requeue_after=10)
        await asyncio.to_thread(_write_files, plans)
        await self._converge(key, plans)
        await self._report(deployment, self._running[key].replicas)
        return None

    async def _publish_services(self) -> None:
        """Rewrite the Service map if it changed (after every reconcile: cheap, and it covers
        replicas becoming ready, Deployments going away and Services changing)."""
        if self.service_informer is None:
            return
        local = [
            services.LocalPods(deployment, self._ready_port_maps(key))
            for key, deployment in (
                (key, self.deployments.cache.get(key)) for key in list(self._running)
            )
            if deployment is not None
        ]
        mapping = services.service_map(self.service_informer.cache.list(), local)
        await asyncio.to_thread(_write_if_changed, self.service_map_file, services.render(mapping))

    def _ready_port_maps(self, key: str) -> list[dict[int, int]]:
        running = self._running[key]
        return [
            running.port_maps[index]
            for index, replica in enumerate(running.replicas)
            if replica and all(process.ready for process in replica)
        ]

    def _plans(self, key: str, deployment: Mapping[str, Any]) -> list[list[ProcessPlan]]:
        running = self._running.setdefault(key, _Running())
        wanted = podspec.declared_ports(deployment, self.images)
        replicas = int((deployment.get("spec") or {}).get("replicas", 1))
        while len(running.port_maps) < replicas:
            running.port_maps.append(
                dict(self.host_ports.get(key, {})) if not running.port_maps else {}
            )
        for ports in running.port_maps:
            for port in wanted:
                ports.setdefault(port, _free_port())
        root = self._dir(key) / "volumes"
        plans = [
            podspec.plan(
                deployment,
                replica=replica,
                programs=self.programs,
                volume_root=root,
                port_map=running.port_maps[replica],
                secrets=self._lookup(self.secrets),
                config_maps=self._lookup(self.config_maps),
                images=self.images,
                node=self.node,
            )
            for replica in range(replicas)
        ]
        return [[self._with_runtime_env(p) for p in replica] for replica in plans]

    async def _converge(self, key: str, plans: list[list[ProcessPlan]]) -> None:
        fingerprint = "/".join(p.fingerprint() for p in plans[0]) if plans else ""
        running = self._running[key]
        if running.fingerprint != fingerprint:
            await self._stop_replicas(running.replicas)
            running.replicas = []
            running.fingerprint = fingerprint
        while len(running.replicas) > len(plans):
            await self._stop_replicas([running.replicas.pop()])
        for index in range(len(running.replicas), len(plans)):
            running.replicas.append(self._start(key, index, plans[index]))

    def _start(self, key: str, index: int, plans: list[ProcessPlan]) -> list[ManagedProcess]:
        processes = []
        for plan in plans:
            log = self._dir(key) / f"{plan.container}-{index}.log"
            process = ManagedProcess(plan, log, lambda: self._changed(key))
            process.start()
            processes.append(process)
        logger.info("started %s replica %d locally (logs in %s)", key, index, self._dir(key))
        return processes

    def _changed(self, key: str) -> None:
        if self.controller is not None:
            self.controller.enqueue(key)

    async def _report(
        self,
        deployment: Mapping[str, Any],
        replicas: list[list[ManagedProcess]],
        *,
        error: str = "",
    ) -> None:
        spec_replicas = int((deployment.get("spec") or {}).get("replicas", 1))
        ready = sum(1 for r in replicas if r and all(p.ready for p in r))
        generation = (deployment.get("metadata") or {}).get("generation", 0)
        available = ready >= spec_replicas and not error
        reason = "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable"
        message = error or f"{ready}/{spec_replicas} local replicas ready"
        status: dict[str, Any] = {
            "observedGeneration": generation,
            "replicas": len(replicas),
            "updatedReplicas": len(replicas),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(spec_replicas - ready, 0),
            "conditions": self._conditions(deployment, available, reason, message),
        }
        await patching.patch_status(self.api, gvr.DEPLOYMENTS, deployment, status)

    def _conditions(
        self, deployment: Mapping[str, Any], available: bool, reason: str, message: str
    ) -> list[dict[str, Any]]:
        conditions = (deployment.get("status") or {}).get("conditions")
        conditions = patching.set_condition(
            conditions,
            type="Available",
            status="True" if available else "False",
            reason=reason,
            message=message,
            clock=self.clock,
        )
        return patching.set_condition(
            conditions,
            type="Progressing",
            status="True",
            reason="NewReplicaSetAvailable",
            message=message,
            clock=self.clock,
        )

    # -- stopping ------------------------------------------------------------------------------
    async def _stop(self, key: str) -> None:
        running = self._running.pop(key, None)
        if running is not None:
            await self._stop_replicas(running.replicas)
            shutil.rmtree(self._dir(key) / "volumes", ignore_errors=True)
            logger.info("stopped local processes of %s", key)

    @staticmethod
    async def _stop_replicas(replicas: list[list[ManagedProcess]]) -> None:
        await asyncio.gather(*(p.stop() for replica in replicas for p in replica))

    async def stop_all(self) -> None:
        for key in list(self._running):
            await self._stop(key)

    # -- helpers -------------------------------------------------------------------------------
    def _dir(self, key: str) -> Path:
        namespace, name = keys.split_key(key)
        return self.data_dir / (namespace or "_cluster") / name

    def _with_runtime_env(self, plan: ProcessPlan) -> ProcessPlan:
        """Every process learns where the Service map is (as a kubelet sets service variables);
        the container's own env wins."""
        if self.service_informer is None:
            return plan
        env = {services.SERVICE_MAP_ENV: str(self.service_map_file.resolve()), **plan.env}
        return dataclasses.replace(plan, env=env)

    @staticmethod
    def _lookup(informer: Informer) -> podspec.Lookup:
        return lambda namespace, name: informer.cache.get_named(name, namespace)


def _write_files(plans: list[list[ProcessPlan]]) -> None:
    """Write mounted files atomically, so a running program never reads half a certificate."""
    written: set[Path] = set()
    for replica in plans:
        for plan in replica:
            for path, content in plan.files.items():
                if path in written:
                    continue
                written.add(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and path.read_bytes() == content:
                    continue
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                with os.fdopen(fd, "wb") as handle:
                    handle.write(content)
                os.chmod(tmp, 0o600)
                os.replace(tmp, path)


def _write_if_changed(path: Path, content: str) -> None:
    """Atomically, so a reader never sees half a file; untouched when equal (no reload)."""
    if path.exists() and path.read_text() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.replace(tmp, path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build(
    manager: Manager,
    *,
    data_dir: Path,
    images: Sequence[str] = podspec.PROJECT_IMAGES,
    node: podspec.Node | None = None,
    host_ports: Mapping[str, Mapping[int, int]] | None = None,
) -> LocalRuntimeController:
    """Wire the local runtime into `manager` (its informers are shared with other controllers)."""
    deployments = manager.informer(gvr.DEPLOYMENTS)
    secrets = manager.informer(gvr.SECRETS)
    config_maps = manager.informer(gvr.CONFIGMAPS)
    service_informer = manager.informer(gvr.SERVICES)
    runtime = LocalRuntimeController(
        manager.api,
        deployments,
        secrets,
        config_maps,
        data_dir=data_dir,
        clock=manager.clock,
        images=images,
        node=node,
        host_ports=host_ports,
        service_informer=service_informer,
    )

    def owners_of(obj: Mapping[str, Any]) -> list[str]:
        """Deployments in the object's namespace that mount or reference it."""
        meta = obj.get("metadata") or {}
        namespace, name = meta.get("namespace"), meta.get("name")
        return [
            keys.key_of(d)
            for d in deployments.cache.list(namespace=namespace)
            if name in _referenced_names(d)
        ]

    runtime.controller = manager.controller(
        "local-runtime",
        runtime,
        [
            Source(deployments),
            Source(secrets, key_fn=owners_of),
            Source(config_maps, key_fn=owners_of),
            # Every reconcile republishes the whole Service map; a Service's own key reconciles
            # the Deployment of that name if there is one (idempotent), else nothing but that.
            Source(service_informer),
        ],
    )
    return runtime


def _referenced_names(deployment: Mapping[str, Any]) -> set[str]:
    spec = podspec.pod_spec(deployment)
    names = {v.get("secret", {}).get("secretName") for v in spec.get("volumes") or []}
    names |= {v.get("configMap", {}).get("name") for v in spec.get("volumes") or []}
    for container in spec.get("containers") or []:
        for item in container.get("env") or []:
            ref = item.get("valueFrom") or {}
            names.add((ref.get("secretKeyRef") or {}).get("name"))
            names.add((ref.get("configMapKeyRef") or {}).get("name"))
        for source in container.get("envFrom") or []:
            names.add((source.get("secretRef") or {}).get("name"))
            names.add((source.get("configMapRef") or {}).get("name"))
    return {n for n in names if n}
