"""Upstream names and the names derived from them (test vectors from the upstream specs)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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


MODULES = (work, addon, proxy)
CRD = Path(__file__).resolve().parents[3] / "charts" / "ocm-hub" / "crds"
QUALIFIED_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)


def constants(prefix: str = "", suffix: str = "") -> list[tuple[str, str]]:
    return [
        (f"{module.__name__}.{name}", value)
        for module in MODULES
        for name, value in vars(module).items()
        if name.startswith(prefix) and name.endswith(suffix) and isinstance(value, str)
    ]


def condition_pattern(field: str) -> re.Pattern[str]:
    crd = yaml.safe_load((CRD / "manifestworks.work.open-cluster-management.io.yaml").read_text())
    status = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    return re.compile(status["properties"]["conditions"]["items"]["properties"][field]["pattern"])


def test_reasons_fit_the_condition_reason_pattern() -> None:
    pattern = condition_pattern("reason")
    reasons = constants("REASON_")
    assert len(reasons) > 40
    assert [name for name, value in reasons if not pattern.match(value)] == []


def test_condition_types_fit_the_condition_type_pattern() -> None:
    pattern = condition_pattern("type")
    types = constants("CONDITION_")
    assert len(types) > 20
    assert [name for name, value in types if not pattern.match(value)] == []


def test_label_annotation_and_finalizer_keys_are_qualified_names() -> None:
    keys = [
        *constants(suffix="_LABEL"),
        *constants(suffix="_ANNOTATION"),
        *constants(suffix="_FINALIZER"),
    ]
    assert len(keys) > 20
    bad = [name for name, value in keys if not QUALIFIED_NAME.match(value) or len(value) > 316]
    assert bad == []
