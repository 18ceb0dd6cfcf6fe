"""Upstream names and the names derived from them (test vectors from the upstream specs)."""

from __future__ import annotations

from ocm_core.api import addon, proxy, work


def test_service_proxy_host_matches_upstream_vector() -> None:
    assert proxy.service_proxy_host("cluster1") == (
        "cluster-a140791d2b20a847f2c74c62c384f93fb83691d871e80385.open-cluster-management.proxy"
    )


def test_service_resolver_host_matches_upstream_vector() -> None:
    assert proxy.service_resolver_host("cluster1", "default", "service1") == (
        "cluster-proxy-1f28e10e03e76d3df8306b102a1da1adc79e744dd27fe48eb"
    )


def test_agent_cert_secret_follows_the_custom_signer_rule() -> None:
    assert (
        addon.custom_signer_secret_name(proxy.ADDON_NAME, proxy.AGENT_SIGNER_NAME)
        == proxy.SPOKE_AGENT_CERT_SECRET
    )
    assert addon.hub_kubeconfig_secret_name(proxy.ADDON_NAME) == proxy.SPOKE_HUB_KUBECONFIG_SECRET


def test_addon_work_and_identity_names() -> None:
    assert addon.deploy_work_name("cluster-proxy", 0) == "addon-cluster-proxy-deploy-0"
    assert addon.hosting_deploy_work_name("a", "c1", 2) == "addon-a-deploy-hosting-c1-2"
    assert addon.pre_delete_work_name("a") == "addon-a-pre-delete"
    assert addon.csr_generate_name("c1", "a") == "addon-c1-a-"
    assert addon.default_agent_user("c1", "a") == (
        "system:open-cluster-management:cluster:c1:addon:a:agent:a"
    )
    assert addon.token_agent_user("c1", "a") == "system:serviceaccount:c1:a-agent"
    assert addon.MANIFEST_WORK_SPLIT_BYTES == 409600


def test_work_names() -> None:
    hub = work.hub_hash("https://hub.example:6443")
    assert len(hub) == 64
    assert work.applied_manifest_work_name(hub, "w1") == f"{hub}-w1"
    assert work.executor_sar_name(work.NIL_EXECUTOR_NAMESPACE, work.NIL_EXECUTOR_NAME) == (
        "system:serviceaccount::klusterlet-work-sa"
    )
