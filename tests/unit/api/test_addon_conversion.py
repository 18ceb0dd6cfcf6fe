"""v1alpha1 <-> v1beta1 add-on conversion follows upstream and round-trips."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ocm_core.api import addon, conversion, schema

SAMPLES = Path(__file__).parent / "samples"
CRDS = Path(__file__).resolve().parents[3] / "charts" / "ocm-hub" / "crds"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ALPHA = f"{addon.GROUP}/v1alpha1"
BETA = f"{addon.GROUP}/v1beta1"


def sample(name: str) -> dict[str, Any]:
    document = yaml.load((SAMPLES / name).read_text(), Loader=_LOADER)
    assert isinstance(document, dict)
    return document


@functools.cache
def version_schema(kind: str, version: str) -> dict[str, Any]:
    for path in CRDS.glob(f"*.{addon.GROUP}.yaml"):
        crd = yaml.load(path.read_text(), Loader=_LOADER)
        if crd["spec"]["names"]["kind"] == kind:
            for entry in crd["spec"]["versions"]:
                if entry["name"] == version:
                    return dict(entry["schema"]["openAPIV3Schema"])
    raise LookupError(kind, version)


def assert_fits_schema(obj: dict[str, Any]) -> None:
    root = version_schema(obj["kind"], obj["apiVersion"].rpartition("/")[2])
    assert schema.prune(root, obj)[1] == []
    assert schema.validate(root, obj) == []


def test_cma_supported_configs_become_default_configs() -> None:
    alpha = sample("clustermanagementaddon-helloworld-v1alpha1.yaml")
    alpha["spec"]["addOnConfiguration"] = {"crdName": "old.example.com"}
    beta = conversion.convert(alpha, "v1beta1")
    assert beta["apiVersion"] == BETA
    assert beta["spec"]["defaultConfigs"] == [
        {
            "group": "addon.open-cluster-management.io",
            "resource": "addondeploymentconfigs",
            "namespace": "open-cluster-management",
            "name": "deploy-config",
        },
        {"resource": "configmaps", "name": "__reserved_no_default__"},
    ]
    assert "supportedConfigs" not in beta["spec"]
    assert "addOnConfiguration" not in beta["spec"]  # dropped, as upstream drops it
    assert beta["spec"]["installStrategy"] == alpha["spec"]["installStrategy"]
    assert_fits_schema(beta)


def test_cma_round_trips() -> None:
    alpha = sample("clustermanagementaddon-helloworld-v1alpha1.yaml")
    assert conversion.convert(conversion.convert(alpha, "v1beta1"), "v1alpha1") == alpha
    beta = sample("clustermanagementaddon-cluster-proxy-v1beta1.yaml")
    back = conversion.convert(beta, "v1alpha1")
    assert back["spec"]["supportedConfigs"] == [
        {
            "group": "proxy.open-cluster-management.io",
            "resource": "managedproxyconfigurations",
            "defaultConfig": {"name": "cluster-proxy"},
        },
        {"group": "addon.open-cluster-management.io", "resource": "addondeploymentconfigs"},
    ]
    assert_fits_schema(back)
    assert conversion.convert(back, "v1beta1") == beta


def test_cma_default_config_references_key_is_renamed() -> None:
    beta = sample("clustermanagementaddon-cluster-proxy-v1beta1.yaml")
    alpha = conversion.convert(beta, "v1alpha1")
    assert "defaultConfigReferences" not in alpha["status"]
    assert alpha["status"]["defaultconfigReferences"] == beta["status"]["defaultConfigReferences"]
    assert_fits_schema(alpha)


def test_mca_to_v1beta1() -> None:
    alpha = sample("managedclusteraddon-v1alpha1.yaml")
    beta = conversion.convert(alpha, "v1beta1")
    assert beta["metadata"]["annotations"] == {
        addon.INSTALL_NAMESPACE_ANNOTATION: "open-cluster-management-cluster-proxy"
    }
    assert "installNamespace" not in beta["spec"]
    assert beta["status"]["registrations"] == [
        {
            "type": "kubeClient",
            "kubeClient": {
                "subject": {
                    "user": "open-cluster-management:cluster-proxy:addon-agent",
                    "groups": ["open-cluster-management:cluster-proxy"],
                },
                "driver": "csr",
            },
        },
        {
            "type": "customSigner",
            "customSigner": {
                "signerName": "open-cluster-management.io/proxy-agent-signer",
                "subject": {
                    "user": "open-cluster-management:cluster-proxy:proxy-agent",
                    "groups": ["open-cluster-management:cluster-proxy"],
                    "organizationUnits": ["signer-3f2a"],
                },
            },
        },
    ]
    assert "kubeClientDriver" not in beta["status"]
    assert beta["status"]["configReferences"] == [
        {
            "group": "addon.open-cluster-management.io",
            "resource": "addondeploymentconfigs",
            "desiredConfig": {"namespace": "cluster1", "name": "proxy-config", "specHash": "abc"},
            "lastAppliedConfig": {
                "namespace": "cluster1",
                "name": "proxy-config",
                "specHash": "abc",
            },
            "lastObservedGeneration": 2,
        }
    ]
    assert_fits_schema(beta)


def test_mca_to_v1alpha1() -> None:
    beta = sample("managedclusteraddon-v1beta1.yaml")
    alpha = conversion.convert(beta, "v1alpha1")
    assert alpha["spec"]["installNamespace"] == "open-cluster-management-cluster-proxy"
    assert alpha["metadata"]["annotations"] == beta["metadata"]["annotations"]  # kept, as upstream
    assert alpha["status"]["kubeClientDriver"] == "token"
    assert alpha["status"]["registrations"] == [
        {
            "signerName": "kubernetes.io/kube-apiserver-client",
            "subject": {"user": "system:serviceaccount:cluster1:cluster-proxy-agent"},
        },
        {
            "signerName": "open-cluster-management.io/proxy-agent-signer",
            "subject": {
                "user": "open-cluster-management:cluster-proxy:proxy-agent",
                "groups": ["open-cluster-management:cluster-proxy"],
                "organizationUnit": ["signer-3f2a"],
            },
        },
    ]
    assert alpha["status"]["configReferences"][0]["namespace"] == "cluster1"
    assert alpha["status"]["configReferences"][0]["name"] == "proxy-config"
    assert_fits_schema(alpha)


def test_mca_round_trips() -> None:
    beta = sample("managedclusteraddon-v1beta1.yaml")
    assert conversion.convert(conversion.convert(beta, "v1alpha1"), "v1beta1") == beta
    alpha = sample("managedclusteraddon-v1alpha1.yaml")
    expected = copy.deepcopy(alpha)
    expected["metadata"]["annotations"] = {
        addon.INSTALL_NAMESPACE_ANNOTATION: alpha["spec"]["installNamespace"]
    }
    assert conversion.convert(conversion.convert(alpha, "v1beta1"), "v1alpha1") == expected


def test_missing_kube_client_driver_defaults_to_csr() -> None:
    beta = sample("managedclusteraddon-v1beta1.yaml")
    del beta["status"]["registrations"][0]["kubeClient"]["driver"]
    alpha = conversion.convert(beta, "v1alpha1")
    assert "kubeClientDriver" not in alpha["status"]
    again = conversion.convert(alpha, "v1beta1")
    assert again["status"]["registrations"][0]["kubeClient"]["driver"] == "csr"


def test_addon_deployment_config_only_changes_api_version() -> None:
    alpha = sample("addondeploymentconfig.yaml")
    beta = conversion.convert(alpha, "v1beta1")
    assert beta == {**alpha, "apiVersion": BETA}
    assert conversion.convert(beta, "v1alpha1") == alpha


def test_same_version_is_a_copy_and_input_is_untouched() -> None:
    alpha = sample("managedclusteraddon-v1alpha1.yaml")
    before = copy.deepcopy(alpha)
    same = conversion.convert(alpha, "v1alpha1")
    conversion.convert(alpha, "v1beta1")
    assert same == alpha == before
    assert same is not alpha


@pytest.mark.parametrize(
    ("obj", "version", "message"),
    [
        pytest.param(
            {"apiVersion": ALPHA, "kind": "AddOnTemplate"},
            "v1beta1",
            "kind 'AddOnTemplate' has no conversion",
            id="kind",
        ),
        pytest.param(
            {"apiVersion": "v1", "kind": "ManagedClusterAddOn"},
            "v1beta1",
            "apiVersion 'v1' is not",
            id="group",
        ),
        pytest.param(
            {"apiVersion": ALPHA, "kind": "ManagedClusterAddOn"},
            "v1",
            "cannot convert to version 'v1'",
            id="version",
        ),
        pytest.param(
            {
                "apiVersion": ALPHA,
                "kind": "ClusterManagementAddOn",
                "spec": {"supportedConfigs": ["x"]},
            },
            "v1beta1",
            "malformed ClusterManagementAddOn",
            id="malformed-item",
        ),
        pytest.param(
            {"apiVersion": ALPHA, "kind": "ManagedClusterAddOn", "status": []},
            "v1beta1",
            "status: expected an object",
            id="malformed",
        ),
    ],
)
def test_bad_input_is_refused_clearly(obj: dict[str, Any], version: str, message: str) -> None:
    with pytest.raises(conversion.ConversionError, match=message):
        conversion.convert(obj, version)


def test_conversion_review_converts_every_object() -> None:
    objects = [sample("managedclusteraddon-v1alpha1.yaml"), sample("addondeploymentconfig.yaml")]
    answer = conversion.review(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "ConversionReview",
            "request": {"uid": "u-1", "desiredAPIVersion": BETA, "objects": objects},
        }
    )
    assert answer["kind"] == "ConversionReview"
    assert answer["response"]["uid"] == "u-1"
    assert answer["response"]["result"] == {"status": "Success"}
    assert [o["apiVersion"] for o in answer["response"]["convertedObjects"]] == [BETA, BETA]


def test_conversion_review_reports_failure() -> None:
    answer = conversion.review(
        {"request": {"uid": "u-2", "desiredAPIVersion": "apps/v1", "objects": [{"kind": "X"}]}}
    )
    assert answer["response"]["convertedObjects"] == []
    assert answer["response"]["result"] == {
        "status": "Failure",
        "message": "desiredAPIVersion 'apps/v1' is not in group addon.open-cluster-management.io",
    }


names = st.text(alphabet="abcdefghij-", min_size=1, max_size=8)
config_types = st.lists(
    st.fixed_dictionaries(
        {"group": names, "resource": names},
        optional={
            "defaultConfig": st.fixed_dictionaries({"name": names}, optional={"namespace": names})
        },
    ),
    max_size=4,
)


@given(config_types)
def test_cma_supported_configs_round_trip(supported: list[dict[str, Any]]) -> None:
    alpha = {
        "apiVersion": ALPHA,
        "kind": "ClusterManagementAddOn",
        "spec": {"supportedConfigs": supported},
    }
    beta = conversion.convert(alpha, "v1beta1")
    assert conversion.convert(beta, "v1alpha1") == alpha


subjects = st.fixed_dictionaries(
    {},
    optional={
        "user": names,
        "groups": st.lists(names, max_size=2),
        "organizationUnits": st.lists(names, max_size=2),
    },
)
registrations = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("kubeClient"),
                "kubeClient": st.fixed_dictionaries(
                    {
                        "subject": st.fixed_dictionaries(
                            {}, optional={"user": names, "groups": st.lists(names, max_size=2)}
                        ),
                        "driver": st.just("token"),
                    }
                ),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("customSigner"),
                "customSigner": st.fixed_dictionaries(
                    {"signerName": st.just("example.com/signer"), "subject": subjects}
                ),
            }
        ),
    ),
    max_size=3,
)


@given(registrations)
def test_mca_registrations_round_trip(items: list[dict[str, Any]]) -> None:
    beta = {
        "apiVersion": BETA,
        "kind": "ManagedClusterAddOn",
        "spec": {},
        "status": {"registrations": items},
    }
    alpha = conversion.convert(beta, "v1alpha1")
    assert conversion.convert(alpha, "v1beta1") == beta
