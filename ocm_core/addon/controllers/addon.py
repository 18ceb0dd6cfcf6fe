"""`ManagedClusterAddOnController`: one pass per ManagedClusterAddOn, one status write.

For the add-on's ManagedClusterAddOn in a cluster namespace it:
1. resolves the config references (CMA defaults < install placement < MCA `spec.configs`),
   computes their spec hashes and, under a Progressive rollout, holds a changed config back
   while `maxConcurrency` other clusters are still applying theirs (`Configured`);
2. publishes the agent's registrations, install namespace and health mode
   (`RegistrationApplied`), lets a kubeClient identity keep its Lease in the cluster namespace,
   and, for the token driver, the hub ServiceAccount, Role and
   RoleBinding (`TokenInfrastructureReady`);
3. renders the agent, decorates it with the AddOnDeploymentConfig, and applies the
   `addon-<name>-deploy-<i>` ManifestWorks (`ManifestApplied`), deleting surplus ones;
4. derives `Progressing` from the works (`lastAppliedConfig := desiredConfig` once every work
   carries the desired hashes and is Available), and `Available` for work/none health checks.

Upstream splits this over several controllers; here one reconcile writes the status once, so the
status never flaps between half-updated states.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ocm_core.addon import configs as configrefs
from ocm_core.addon import rollout
from ocm_core.addon.agent import (
    AgentAddon,
    KubeClientRegistration,
    NotReadyError,
    registration_status,
    uses_token_driver,
)
from ocm_core.addon.catalog import AddonCatalog, render_context
from ocm_core.addon.controllers.permission import ensure_agent_permissions
from ocm_core.addon.controllers.tokeninfra import ensure_token_infrastructure
from ocm_core.addon.deploymentconfig import DeploymentConfig, cluster_registries, decorate
from ocm_core.addon.status import write_status
from ocm_core.addon.workbuilder import build_works, work_needs_update
from ocm_core.api import addon, gvr, work
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock, Informer, Result, keys, patching

logger = logging.getLogger(__name__)
Object = dict[str, Any]
TRUE, FALSE = patching.CONDITION_TRUE, patching.CONDITION_FALSE
NOT_READY_RETRY_SECONDS = 2.0


class ManagedClusterAddOnController:
    def __init__(
        self,
        api: KubeApi,
        catalog: AddonCatalog,
        *,
        mcas: Informer,
        cmas: Informer,
        clusters: Informer,
        decisions: Informer,
        works: Informer,
        clock: Clock,
    ) -> None:
        self.api = api
        self.catalog = catalog
        self.mcas = mcas
        self.cmas = cmas
        self.clusters = clusters
        self.decisions = decisions
        self.works = works
        self.clock = clock

    # -- key functions for the sources ----------------------------------------------------

    def addons_in_namespace(self, obj: Mapping[str, Any]) -> Iterable[str]:
        """A ManagedCluster (or a work) -> the ManagedClusterAddOns in its namespace."""
        namespace = (obj.get("metadata") or {}).get("namespace") or (obj.get("metadata") or {}).get(
            "name"
        )
        return [keys.key_of(m) for m in self.mcas.cache.list(namespace=str(namespace))]

    def addons_named(self, obj: Mapping[str, Any]) -> Iterable[str]:
        """A ClusterManagementAddOn -> every ManagedClusterAddOn of that add-on."""
        name = (obj.get("metadata") or {}).get("name")
        return [keys.key_of(m) for m in self.mcas.cache if m["metadata"]["name"] == name]

    def all_addons(self, _obj: Mapping[str, Any]) -> Iterable[str]:
        """A config or a decision may matter to any add-on of this manager."""
        return [keys.key_of(m) for m in self.mcas.cache if self.catalog.get(m["metadata"]["name"])]

    # -- reconcile ------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result | None:
        mca = self.mcas.cache.get(key)
        if mca is None:
            return None
        agent = self.catalog.get(mca["metadata"]["name"])
        cluster = self.clusters.cache.get(str(mca["metadata"].get("namespace")))
        if agent is None or cluster is None or patching.is_deleting(mca):
            return None
        status: Object = dict(mca.get("status") or {})
        conditions = list(status.get("conditions") or [])
        generation = mca["metadata"].get("generation")
        conditions, config_ok = self._configure(agent, mca, status, conditions, generation)
        configs = self.catalog.configs_of(status.get("configReferences") or [])
        context = render_context(agent, cluster, mca, configs)
        conditions = await self._register(agent, mca, context, status, conditions)
        retry = None
        if config_ok:
            try:
                conditions = await self._deploy(agent, mca, cluster, context, status, conditions)
            except NotReadyError as exc:
                status["conditions"] = self._set(
                    conditions,
                    addon.CONDITION_MANIFEST_APPLIED,
                    FALSE,
                    addon.REASON_ADDON_MANIFEST_APPLIED_FAILED,
                    f"cannot render the agent: {exc}",
                )
                retry = Result(requeue_after=NOT_READY_RETRY_SECONDS)
        await write_status(self.api, gvr.MANAGED_CLUSTER_ADDONS, mca, status)
        return retry

    def _set(
        self, conditions: list[Object], type_: str, status: str, reason: str, message: str
    ) -> list[Object]:
        return patching.set_condition(
            conditions, type=type_, status=status, reason=reason, message=message, clock=self.clock
        )

    # -- 1. configs -----------------------------------------------------------------------

    def _configure(
        self,
        agent: AgentAddon,
        mca: Object,
        status: Object,
        conditions: list[Object],
        generation: int | None,
    ) -> tuple[list[Object], bool]:
        cma = self.cmas.cache.get(agent.name)
        cluster_name = str(mca["metadata"]["namespace"])
        placements = rollout.placements_of_cluster(
            cma or {}, cluster_name, list(self.decisions.cache)
        )
        refs = configrefs.desired_configs(cma, mca, cluster_placements=placements)
        status["supportedConfigs"] = [
            {"group": r.group, "resource": r.plural} for r in agent.supported_configs
        ]
        bad = configrefs.unsupported(refs, agent.supported_configs)
        if bad:
            names = ", ".join(f"{r.resource}.{r.group}" for r in bad)
            conditions = self._set(
                conditions,
                addon.CONDITION_PROGRESSING,
                FALSE,
                addon.REASON_CONFIGURATION_UNSUPPORTED,
                f"config types not supported: {names}",
            )
            status["conditions"] = conditions
            return conditions, False
        previous = list(status.get("configReferences") or [])
        wanted: list[Object] = []
        for ref in refs:
            found = self.catalog.lookup(ref)
            if found is None:
                message = f"config {ref.resource}.{ref.group} {ref.namespace}/{ref.name} not found"
                conditions = self._set(
                    conditions,
                    addon.CONDITION_CONFIGURED,
                    FALSE,
                    addon.REASON_CONFIGURATIONS_NOT_CONFIGURED,
                    message,
                )
                status["conditions"] = conditions
                return conditions, False
            wanted.append(
                configrefs.config_reference_status(ref, found.spec_hash, previous, generation)
            )
        changed = configrefs.desired_hashes(wanted) != configrefs.desired_hashes(previous)
        if changed and previous and not self._may_roll(agent, cma or {}, cluster_name, placements):
            conditions = self._set(
                conditions,
                addon.CONDITION_CONFIGURED,
                FALSE,
                addon.REASON_CONFIGURATIONS_NOT_CONFIGURED,
                "waiting for other clusters of the rollout to finish",
            )
        else:
            status["configReferences"] = wanted
            conditions = self._set(
                conditions,
                addon.CONDITION_CONFIGURED,
                TRUE,
                addon.REASON_CONFIGURATIONS_CONFIGURED,
                "Configurations configured",
            )
        status["conditions"] = conditions
        return conditions, True

    def _may_roll(
        self, agent: AgentAddon, cma: Object, cluster: str, placements: list[str]
    ) -> bool:
        for placement in placements:
            members = rollout.decided_clusters(
                rollout.PlacementRef(*placement.split("/", 1)), self.decisions.cache
            )
            limit = rollout.max_concurrency(rollout.rollout_strategy(cma, placement), len(members))
            rolling = sum(
                1
                for other in members - {cluster}
                if self._is_rolling(self.mcas.cache.get_named(agent.name, other))
            )
            if not rollout.may_release(limit=limit, rolling_elsewhere=rolling):
                return False
        return True

    @staticmethod
    def _is_rolling(mca: Object | None) -> bool:
        references = ((mca or {}).get("status") or {}).get("configReferences") or []
        return any(not configrefs.is_applied(entry) for entry in references)

    # -- 2. registration ------------------------------------------------------------------

    async def _register(
        self, agent: AgentAddon, mca: Object, context: Any, status: Object, conditions: list[Object]
    ) -> list[Object]:
        cluster = context.cluster_name
        registrations = list(agent.registrations(context))
        status["registrations"] = [
            registration_status(r, cluster, agent.name) for r in registrations
        ]
        status["namespace"] = context.install_namespace
        status["healthCheck"] = {"mode": agent.health_check.mode}
        if registrations:
            reason, message = (
                addon.REASON_SET_PERMISSION_APPLIED,
                "Registration of the addon agent is configured",
            )
        else:
            reason, message = (
                addon.REASON_NIL_REGISTRATION,
                "Registration of the addon agent is not required",
            )
        if any(isinstance(r, KubeClientRegistration) for r in registrations):
            await ensure_agent_permissions(self.api, agent.name, cluster)
        conditions = self._set(
            conditions, addon.CONDITION_REGISTRATION_APPLIED, TRUE, reason, message
        )
        if uses_token_driver(registrations):
            account = await ensure_token_infrastructure(self.api, agent.name, cluster)
            conditions = self._set(
                conditions,
                addon.CONDITION_TOKEN_INFRASTRUCTURE_READY,
                TRUE,
                "TokenInfrastructureReady",
                f"ServiceAccount {cluster}/{addon.token_service_account_name(agent.name)} "
                f"(UID: {account['metadata'].get('uid', '')}) is ready",
            )
        status["conditions"] = conditions
        return conditions

    # -- 3. deploy ------------------------------------------------------------------------

    async def _deploy(
        self,
        agent: AgentAddon,
        mca: Object,
        cluster: Object,
        context: Any,
        status: Object,
        conditions: list[Object],
    ) -> list[Object]:
        adc = DeploymentConfig.from_adc(context.configs.first(gvr.ADDON_DEPLOYMENT_CONFIGS))
        manifests = decorate(
            agent.manifests(context), adc, cluster_registries=cluster_registries(cluster)
        )
        desired = build_works(agent.name, {**mca, "status": status}, manifests)
        try:
            await self._apply_works(agent.name, str(mca["metadata"]["namespace"]), desired)
        except errors.KubeError as exc:
            conditions = self._set(
                conditions,
                addon.CONDITION_MANIFEST_APPLIED,
                FALSE,
                addon.REASON_MANIFEST_WORK_APPLY_FAILED,
                f"failed to apply manifestwork: {exc}",
            )
            status["conditions"] = conditions
            return conditions
        conditions = self._set(
            conditions,
            addon.CONDITION_MANIFEST_APPLIED,
            TRUE,
            addon.REASON_ADDON_MANIFEST_APPLIED,
            "manifests of addon are applied successfully",
        )
        conditions = self._progress(agent, desired, status, conditions)
        status["conditions"] = conditions
        return conditions

    async def _apply_works(self, addon_name: str, namespace: str, desired: list[Object]) -> None:
        wanted = {w["metadata"]["name"] for w in desired}
        for body in desired:
            current = self.works.cache.get_named(body["metadata"]["name"], namespace)
            if current is None:
                try:
                    await self.api.create(gvr.MANIFEST_WORKS, body, namespace=namespace)
                    continue
                except errors.AlreadyExistsError:
                    current = await self.api.get(
                        gvr.MANIFEST_WORKS, body["metadata"]["name"], namespace=namespace
                    )
            if work_needs_update(current, body):
                merged = {
                    **current,
                    "spec": body["spec"],
                    "metadata": _merged_metadata(current, body),
                }
                await self.api.replace(gvr.MANIFEST_WORKS, merged, namespace=namespace)
        for stale in self.works.cache.list(
            namespace=namespace, labels={addon.ADDON_NAME_LABEL: addon_name}
        ):
            if stale["metadata"]["name"] not in wanted:
                with contextlib.suppress(errors.NotFoundError):
                    await self.api.delete(
                        gvr.MANIFEST_WORKS, stale["metadata"]["name"], namespace=namespace
                    )

    # -- 4. progressing and health --------------------------------------------------------

    def _progress(
        self, agent: AgentAddon, desired: list[Object], status: Object, conditions: list[Object]
    ) -> list[Object]:
        namespace = desired[0]["metadata"]["namespace"] if desired else ""
        live = [self.works.cache.get_named(w["metadata"]["name"], namespace) for w in desired]
        wanted_hashes = (desired[0]["metadata"]["annotations"] if desired else {}).get(
            addon.CONFIG_SPEC_HASH_ANNOTATION
        )
        if any(w is None for w in live):
            reason, message, done = addon.REASON_PROGRESSING, "no addon works", False
        elif any(_annotation(w) != wanted_hashes for w in live if w is not None):
            reason, message, done = addon.REASON_PROGRESSING, "mca and work configs mismatch", False
        elif not all(_work_available(w) for w in live if w is not None):
            reason, message, done = addon.REASON_PROGRESSING, "work is not ready", False
        else:
            reason, message, done = addon.REASON_COMPLETED, "completed with no errors.", True
        conditions = self._set(
            conditions, addon.CONDITION_PROGRESSING, FALSE if done else TRUE, reason, message
        )
        if done:
            status["configReferences"] = [
                {**entry, "lastAppliedConfig": entry["desiredConfig"]}
                for entry in status.get("configReferences") or []
            ]
        health = agent.health_check.value
        if health == "none":
            conditions = self._set(
                conditions,
                addon.CONDITION_AVAILABLE,
                TRUE,
                addon.REASON_PROBE_AVAILABLE,
                "health check mode is none",
            )
        elif health == "work":
            if done:
                conditions = self._set(
                    conditions,
                    addon.CONDITION_AVAILABLE,
                    TRUE,
                    addon.REASON_PROBE_AVAILABLE,
                    "addon works are available",
                )
            elif any(w is None for w in live):
                conditions = self._set(
                    conditions,
                    addon.CONDITION_AVAILABLE,
                    patching.CONDITION_UNKNOWN,
                    addon.REASON_WORK_NOT_FOUND,
                    "addon work is not found",
                )
            else:
                conditions = self._set(
                    conditions,
                    addon.CONDITION_AVAILABLE,
                    patching.CONDITION_UNKNOWN,
                    addon.REASON_WORK_NOT_APPLIED,
                    "addon work is not available yet",
                )
        return conditions


def _merged_metadata(current: Mapping[str, Any], desired: Mapping[str, Any]) -> Object:
    metadata = dict(current.get("metadata") or {})
    for field in ("labels", "annotations"):
        metadata[field] = {**(metadata.get(field) or {}), **(desired["metadata"].get(field) or {})}
    if desired["metadata"].get("ownerReferences"):
        metadata["ownerReferences"] = desired["metadata"]["ownerReferences"]
    return metadata


def _annotation(work_obj: Mapping[str, Any]) -> str | None:
    annotations = (work_obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(addon.CONFIG_SPEC_HASH_ANNOTATION)
    return str(value) if value is not None else None


def _work_available(work_obj: Mapping[str, Any]) -> bool:
    condition = patching.find_condition(
        (work_obj.get("status") or {}).get("conditions"), work.CONDITION_AVAILABLE
    )
    if condition is None or condition.get("status") != TRUE:
        return False
    observed = condition.get("observedGeneration")
    return observed is None or observed == (work_obj.get("metadata") or {}).get("generation")
