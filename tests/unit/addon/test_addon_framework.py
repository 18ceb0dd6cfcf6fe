"""Framework controllers on the fake API: install strategies, config hashes and re-render,
rollout, delivery as ManifestWorks, registration status, token infrastructure, lease health."""

from __future__ import annotations

import json
from typing import Any

from ocm_core.addon.agent import HealthCheck, KubeClientRegistration
from ocm_core.addon.deploymentconfig import DeploymentConfig, decorate
from ocm_core.addon.workbuilder import work_needs_update
from ocm_core.api import addon, gvr
from ocm_core.api.spechash import config_spec_hash
from ocm_core.runtime import patching
from tests.unit.addon.conftest import Harness, HelloAddon, adc, cluster, cma, decision, mca

MCA_KEY = "c1/hello"
PLACEMENTS = {
    "type": "Placements",
    "placements": [{"namespace": "apps", "name": "everywhere"}],
}


def conditions_of(harness: Harness, cluster_name: str) -> dict[str, dict[str, Any]]:
    obj = harness.get(gvr.MANAGED_CLUSTER_ADDONS, "hello", cluster_name)
    assert obj is not None
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


def status_of(harness: Harness, cluster_name: str = "c1") -> dict[str, Any]:
    obj = harness.get(gvr.MANAGED_CLUSTER_ADDONS, "hello", cluster_name)
    assert obj is not None
    return dict(obj.get("status") or {})


def work_of(harness: Harness, cluster_name: str = "c1") -> dict[str, Any]:
    work = harness.get(gvr.MANIFEST_WORKS, "addon-hello-deploy-0", cluster_name)
    assert work is not None, "the add-on work was not created"
    return work


async def test_placements_strategy_creates_and_removes_addons(harness: Harness) -> None:
    for name in ("c1", "c2", "c3"):
        harness.put(gvr.MANAGED_CLUSTERS, cluster(name))
    owner = harness.put(gvr.CLUSTER_MANAGEMENT_ADDONS, cma("hello", installStrategy=PLACEMENTS))
    harness.put(gvr.PLACEMENT_DECISIONS, decision("everywhere", "apps", ["c1", "c2"]))

    await harness.run("addon-install", "hello")

    created = {ns for (res, ns, name) in harness.api.objects if res == gvr.MANAGED_CLUSTER_ADDONS}
    assert created == {"c1", "c2"}
    mca_c1 = harness.get(gvr.MANAGED_CLUSTER_ADDONS, "hello", "c1")
    assert mca_c1 is not None
    assert mca_c1["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]

    harness.put(gvr.PLACEMENT_DECISIONS, decision("everywhere", "apps", ["c2", "c3"]))
    await harness.run("addon-install", "hello")
    remaining = {ns for (res, ns, _) in harness.api.objects if res == gvr.MANAGED_CLUSTER_ADDONS}
    assert remaining == {"c2", "c3"}


async def test_manual_strategy_creates_nothing(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(gvr.CLUSTER_MANAGEMENT_ADDONS, cma("hello"))
    harness.put(gvr.PLACEMENT_DECISIONS, decision("everywhere", "apps", ["c1"]))
    await harness.run("addon-install", "hello")
    assert not harness.api.verbs(gvr.MANAGED_CLUSTER_ADDONS)


async def test_work_is_rendered_with_config_hash_and_rerendered_on_change(
    harness: Harness,
) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    config = adc("hello-config", "c1", customizedVariables=[{"name": "greeting", "value": "hej"}])
    harness.put(gvr.ADDON_DEPLOYMENT_CONFIGS, config)
    harness.put(gvr.CLUSTER_MANAGEMENT_ADDONS, cma("hello"))
    harness.put(
        gvr.MANAGED_CLUSTER_ADDONS,
        mca(
            "hello",
            "c1",
            configs=[
                {
                    "group": gvr.ADDON_GROUP,
                    "resource": "addondeploymentconfigs",
                    "namespace": "c1",
                    "name": "hello-config",
                }
            ],
        ),
    )

    await harness.run("managedclusteraddon", MCA_KEY)

    stored = harness.get(gvr.ADDON_DEPLOYMENT_CONFIGS, "hello-config", "c1")
    assert stored is not None
    first_hash = config_spec_hash(stored)
    reference = status_of(harness)["configReferences"][0]
    assert reference["desiredConfig"] == {
        "namespace": "c1",
        "name": "hello-config",
        "specHash": first_hash,
    }
    work = work_of(harness)
    assert work["metadata"]["labels"] == {addon.ADDON_NAME_LABEL: "hello"}
    hashes = json.loads(work["metadata"]["annotations"][addon.CONFIG_SPEC_HASH_ANNOTATION])
    assert hashes == {
        "addondeploymentconfigs.addon.open-cluster-management.io/c1/hello-config": first_hash
    }
    container = work["spec"]["workload"]["manifests"][0]["spec"]["template"]["spec"]["containers"][
        0
    ]
    assert container["args"] == ["--greeting=hej"]
    assert conditions_of(harness, "c1")[addon.CONDITION_MANIFEST_APPLIED]["status"] == "True"

    harness.replace_spec(
        gvr.ADDON_DEPLOYMENT_CONFIGS,
        "hello-config",
        "c1",
        spec={"customizedVariables": [{"name": "greeting", "value": "moin"}]},
    )
    await harness.run("managedclusteraddon", MCA_KEY)

    new_hash = status_of(harness)["configReferences"][0]["desiredConfig"]["specHash"]
    assert new_hash != first_hash
    work = work_of(harness)
    container = work["spec"]["workload"]["manifests"][0]["spec"]["template"]["spec"]["containers"][
        0
    ]
    assert container["args"] == ["--greeting=moin"]
    assert new_hash in work["metadata"]["annotations"][addon.CONFIG_SPEC_HASH_ANNOTATION]


async def test_adc_decorates_manifests(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(
        gvr.ADDON_DEPLOYMENT_CONFIGS,
        adc(
            "defaults",
            "open-cluster-management",
            agentInstallNamespace="custom-ns",
            nodePlacement={
                "nodeSelector": {"role": "infra"},
                "tolerations": [{"key": "k", "operator": "Exists"}],
            },
            registries=[{"source": "quay.io/ocm", "mirror": "mirror.local/ocm"}],
            proxyConfig={"httpProxy": "http://proxy:3128", "noProxy": "10.0.0.0/8"},
        ),
    )
    harness.put(
        gvr.CLUSTER_MANAGEMENT_ADDONS,
        cma(
            "hello",
            defaultConfigs=[
                {
                    "group": gvr.ADDON_GROUP,
                    "resource": "addondeploymentconfigs",
                    "namespace": "open-cluster-management",
                    "name": "defaults",
                }
            ],
        ),
    )
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1"))

    await harness.run("managedclusteraddon", MCA_KEY)

    manifest = work_of(harness)["spec"]["workload"]["manifests"][0]
    pod = manifest["spec"]["template"]["spec"]
    assert manifest["metadata"]["namespace"] == "custom-ns"
    assert status_of(harness)["namespace"] == "custom-ns"
    assert pod["nodeSelector"] == {"role": "infra"}
    assert pod["tolerations"] == [{"key": "k", "operator": "Exists"}]
    container = pod["containers"][0]
    assert container["image"] == "mirror.local/ocm/hello:v1"
    assert {"name": "HTTP_PROXY", "value": "http://proxy:3128"} in container["env"]
    assert {"name": "NO_PROXY", "value": "10.0.0.0/8"} in container["env"]


async def test_mca_config_overrides_default(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    ref = {"group": gvr.ADDON_GROUP, "resource": "addondeploymentconfigs"}
    harness.put(gvr.ADDON_DEPLOYMENT_CONFIGS, adc("default", "ocm"))
    harness.put(gvr.ADDON_DEPLOYMENT_CONFIGS, adc("mine", "c1"))
    harness.put(
        gvr.CLUSTER_MANAGEMENT_ADDONS,
        cma("hello", defaultConfigs=[{**ref, "namespace": "ocm", "name": "default"}]),
    )
    harness.put(
        gvr.MANAGED_CLUSTER_ADDONS,
        mca("hello", "c1", configs=[{**ref, "namespace": "c1", "name": "mine"}]),
    )
    await harness.run("managedclusteraddon", MCA_KEY)
    references = status_of(harness)["configReferences"]
    assert [r["desiredConfig"]["name"] for r in references] == ["mine"]


async def test_missing_config_blocks_deploy(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(
        gvr.MANAGED_CLUSTER_ADDONS,
        mca(
            "hello",
            "c1",
            configs=[
                {
                    "group": gvr.ADDON_GROUP,
                    "resource": "addondeploymentconfigs",
                    "namespace": "c1",
                    "name": "nope",
                }
            ],
        ),
    )
    await harness.run("managedclusteraddon", MCA_KEY)
    assert harness.get(gvr.MANIFEST_WORKS, "addon-hello-deploy-0", "c1") is None
    configured = conditions_of(harness, "c1")[addon.CONDITION_CONFIGURED]
    assert configured["status"] == "False"
    assert "nope" in configured["message"]


async def test_progressing_completes_when_work_is_available(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(gvr.ADDON_DEPLOYMENT_CONFIGS, adc("cfg", "c1"))
    ref = {
        "group": gvr.ADDON_GROUP,
        "resource": "addondeploymentconfigs",
        "namespace": "c1",
        "name": "cfg",
    }
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1", configs=[ref]))
    await harness.run("managedclusteraddon", MCA_KEY)
    assert conditions_of(harness, "c1")[addon.CONDITION_PROGRESSING]["status"] == "True"

    make_work_available(harness, "c1")
    await harness.run("managedclusteraddon", MCA_KEY)

    progressing = conditions_of(harness, "c1")[addon.CONDITION_PROGRESSING]
    assert (progressing["status"], progressing["reason"]) == ("False", addon.REASON_COMPLETED)
    entry = status_of(harness)["configReferences"][0]
    assert entry["lastAppliedConfig"] == entry["desiredConfig"]


def make_work_available(harness: Harness, cluster_name: str) -> None:
    work = work_of(harness, cluster_name)
    work["status"] = {
        "conditions": [
            {"type": "Applied", "status": "True", "reason": "x", "message": ""},
            {"type": "Available", "status": "True", "reason": "x", "message": ""},
        ]
    }
    harness.sync()


async def test_progressive_rollout_holds_back_beyond_max_concurrency(harness: Harness) -> None:
    clusters = ["c1", "c2", "c3"]
    for name in clusters:
        harness.put(gvr.MANAGED_CLUSTERS, cluster(name))
    harness.put(
        gvr.ADDON_DEPLOYMENT_CONFIGS,
        adc("shared", "ocm", customizedVariables=[{"name": "greeting", "value": "a"}]),
    )
    ref = {
        "group": gvr.ADDON_GROUP,
        "resource": "addondeploymentconfigs",
        "namespace": "ocm",
        "name": "shared",
    }
    strategy = {
        "type": "Placements",
        "placements": [
            {
                "namespace": "apps",
                "name": "everywhere",
                "configs": [ref],
                "rolloutStrategy": {"type": "Progressive", "progressive": {"maxConcurrency": 1}},
            }
        ],
    }
    harness.put(gvr.CLUSTER_MANAGEMENT_ADDONS, cma("hello", installStrategy=strategy))
    harness.put(gvr.PLACEMENT_DECISIONS, decision("everywhere", "apps", clusters))
    await harness.run("addon-install", "hello")
    for name in clusters:
        await harness.run("managedclusteraddon", f"{name}/hello")
        make_work_available(harness, name)
        await harness.run("managedclusteraddon", f"{name}/hello")
    first = status_of(harness, "c1")["configReferences"][0]["desiredConfig"]["specHash"]

    harness.replace_spec(
        gvr.ADDON_DEPLOYMENT_CONFIGS,
        "shared",
        "ocm",
        spec={"customizedVariables": [{"name": "greeting", "value": "b"}]},
    )
    for name in clusters:
        await harness.run("managedclusteraddon", f"{name}/hello")

    hashes = [
        status_of(harness, n)["configReferences"][0]["desiredConfig"]["specHash"] for n in clusters
    ]
    assert hashes[0] != first
    assert hashes[1:] == [first, first], "only one cluster may roll at a time"
    assert conditions_of(harness, "c2")[addon.CONDITION_CONFIGURED]["status"] == "False"

    make_work_available(harness, "c1")
    await harness.run("managedclusteraddon", "c1/hello")
    await harness.run("managedclusteraddon", "c2/hello")
    assert status_of(harness, "c2")["configReferences"][0]["desiredConfig"]["specHash"] == hashes[0]


async def test_registration_status_and_token_infrastructure(
    hello: HelloAddon, harness: Harness
) -> None:
    hello.registration_list = (KubeClientRegistration(driver=addon.DRIVER_TOKEN),)
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1"))
    await harness.run("managedclusteraddon", MCA_KEY)

    status = status_of(harness)
    assert status["registrations"] == [
        {
            "type": "kubeClient",
            "kubeClient": {
                "subject": {"user": "system:serviceaccount:c1:hello-agent", "groups": []},
                "driver": "token",
            },
        }
    ]
    assert status["namespace"] == "hello-agent"
    assert status["healthCheck"] == {"mode": "Lease"}
    account = harness.get(gvr.SERVICE_ACCOUNTS, "hello-agent", "c1")
    assert account is not None
    assert account["metadata"]["labels"][addon.TOKEN_INFRA_LABEL] == "true"
    role = harness.get(gvr.ROLES, "hello-token-role", "c1")
    assert role is not None
    assert role["rules"][0]["resources"] == ["serviceaccounts/token"]
    assert harness.get(gvr.ROLE_BINDINGS, "hello-token-role", "c1") is not None
    ready = conditions_of(harness, "c1")[addon.CONDITION_TOKEN_INFRASTRUCTURE_READY]
    assert ready["status"] == "True"
    assert account["metadata"]["uid"] in ready["message"]
    assert conditions_of(harness, "c1")[addon.CONDITION_REGISTRATION_APPLIED]["status"] == "True"
    binding = harness.get(gvr.ROLE_BINDINGS, "open-cluster-management:hello:agent", "c1")
    assert binding is not None, "the agent identity may keep its lease in the cluster namespace"
    assert {"kind": "ServiceAccount", "name": "hello-agent", "namespace": "c1"} in binding[
        "subjects"
    ]


async def test_lease_health(harness: Harness) -> None:
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1"))
    await harness.run("addon-lease", MCA_KEY)
    assert conditions_of(harness, "c1")["Available"]["reason"] == addon.REASON_LEASE_NOT_FOUND

    renewed = patching.format_time(harness.clock.wall())
    harness.put(
        gvr.LEASES,
        {"metadata": {"name": "hello", "namespace": "c1"}, "spec": {"renewTime": renewed}},
    )
    result = await harness.run("addon-lease", MCA_KEY)
    available = conditions_of(harness, "c1")["Available"]
    assert (available["status"], available["reason"]) == ("True", addon.REASON_LEASE_UPDATED)
    assert result.requeue_after is not None

    await harness.clock.advance(addon.LEASE_GRACE_SECONDS + 1)
    await harness.run("addon-lease", MCA_KEY)
    available = conditions_of(harness, "c1")["Available"]
    assert (available["status"], available["reason"]) == (
        "False",
        addon.REASON_LEASE_UPDATE_STOPPED,
    )


async def test_health_none_is_available_once_deployed(hello: HelloAddon, harness: Harness) -> None:
    hello.health = HealthCheck.NONE
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1"))
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1"))
    await harness.run("managedclusteraddon", MCA_KEY)
    assert conditions_of(harness, "c1")["Available"]["status"] == "True"
    assert status_of(harness)["healthCheck"] == {"mode": "Customized"}


def test_server_defaults_do_not_make_a_work_look_stale() -> None:
    desired = {"metadata": {}, "spec": {"workload": {"manifests": [{"kind": "ConfigMap"}]}}}
    defaulted = {
        "metadata": {},
        "spec": {
            "workload": {"manifests": [{"kind": "ConfigMap", "data": {}}]},
            "deleteOption": {"propagationPolicy": "Foreground"},
        },
    }
    assert not work_needs_update(defaulted, desired)
    changed = {"metadata": {}, "spec": {"workload": {"manifests": [{"kind": "Secret"}]}}}
    assert work_needs_update(changed, desired)
    assert work_needs_update({"metadata": {}, "spec": {"workload": {"manifests": []}}}, desired)


def test_adc_resource_requirements_match_container_ids() -> None:
    config = DeploymentConfig.from_adc(
        adc(
            "r",
            "ns",
            resourceRequirements=[
                {"containerID": "deployments:hello-agent:*", "resources": {"limits": {"cpu": "1"}}},
                {"containerID": "daemonsets:*:*", "resources": {"limits": {"cpu": "9"}}},
            ],
        )
    )
    deployment: dict[str, Any] = {
        "kind": "Deployment",
        "metadata": {"name": "hello-agent"},
        "spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "i"}]}}},
    }
    (decorated,) = decorate([deployment], config)
    container = decorated["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "1"}}
    assert "resources" not in deployment["spec"]["template"]["spec"]["containers"][0], "no mutation"
