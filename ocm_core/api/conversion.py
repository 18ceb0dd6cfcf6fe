"""v1alpha1 <-> v1beta1 conversion of add-on objects, with upstream's rules.

Owns `convert(obj, version)` for ClusterManagementAddOn, ManagedClusterAddOn and
AddOnDeploymentConfig bodies (dict in, new dict out; the input is never changed). The
embedded API server stores v1alpha1 and serves both versions, so it runs these functions where
a real hub calls the addon-manager's conversion webhook. The rules follow upstream
(`api:addon/v1beta1/conversion.go` and `*_conversion.go`):

ClusterManagementAddOn
  - v1alpha1 `spec.supportedConfigs[]{group, resource, defaultConfig{namespace, name}}` becomes
    v1beta1 `spec.defaultConfigs[]{group, resource, namespace, name}`; a config type without a
    default gets the reserved name `__reserved_no_default__`, which turns back into "no
    defaultConfig", so the round trip is lossless.
  - v1alpha1-only `spec.addOnConfiguration` (deprecated) is dropped, as upstream drops it.
  - `status.defaultconfigReferences` (v1alpha1's lower-case JSON key) is
    `status.defaultConfigReferences` in v1beta1.

ManagedClusterAddOn
  - v1alpha1 `spec.installNamespace` is kept in annotation
    `addon.open-cluster-management.io/v1alpha1-install-namespace` and restored from it. As
    upstream, the annotation stays on the object afterwards.
  - `status.registrations[]`: v1alpha1 `{signerName, subject{user, groups, organizationUnit}}`
    <-> v1beta1 `{type: kubeClient, kubeClient{subject{user, groups}, driver}}` when the signer
    is `kubernetes.io/kube-apiserver-client`, else `{type: customSigner, customSigner{signerName,
    subject{user, groups, organizationUnits}}}`. v1alpha1 `status.kubeClientDriver` becomes the
    `driver` of every kubeClient registration (`csr` when unset) and comes back from the first.
  - v1alpha1 `status.configReferences[]` carry a deprecated `namespace`/`name`, rebuilt from
    `desiredConfig` when converting to v1alpha1 and dropped in v1beta1.
  - v1alpha1-only `status.addOnConfiguration` (deprecated) is dropped.

AddOnDeploymentConfig: both versions have the same shape; only `apiVersion` changes.

`review(conversion_review)` answers an `apiextensions.k8s.io/v1` ConversionReview with the same
rules, for serving the CRDs' conversion webhook on a real hub.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from ocm_core.api import addon

Body = dict[str, Any]

_SUPPORTED_KINDS: Final = (
    addon.CLUSTER_MANAGEMENT_ADDON_KIND,
    addon.MANAGED_CLUSTER_ADDON_KIND,
    addon.ADDON_DEPLOYMENT_CONFIG_KIND,
)


class ConversionError(ValueError):
    """The object cannot be converted (unknown group, version or kind, or a malformed body)."""


def convert(obj: Mapping[str, Any], version: str) -> Body:
    """Return `obj` converted to `addon.open-cluster-management.io/<version>`."""
    if not isinstance(obj, Mapping):
        raise ConversionError(f"expected an object, got {type(obj).__name__}")
    source = _source_version(obj)
    kind = obj.get("kind")
    if kind not in _SUPPORTED_KINDS:
        raise ConversionError(
            f"kind {kind!r} has no conversion; supported kinds: {', '.join(_SUPPORTED_KINDS)}"
        )
    if version not in (addon.V1ALPHA1, addon.V1BETA1):
        raise ConversionError(
            f"cannot convert to version {version!r}; served versions: "
            f"{addon.V1ALPHA1}, {addon.V1BETA1}"
        )
    body: Body = copy.deepcopy(dict(obj))
    if source != version:
        try:
            _CONVERTERS[(kind, version)](body)
        except (AttributeError, TypeError) as error:
            # A list or scalar where the API has an object deeper in the body.
            raise ConversionError(f"malformed {kind}: {error}") from error
    body["apiVersion"] = f"{addon.GROUP}/{version}"
    return body


def review(conversion_review: Mapping[str, Any]) -> Body:
    """Answer a ConversionReview: convert every object, or fail the whole request with a reason."""
    request = conversion_review.get("request") or {}
    response: Body = {"uid": request.get("uid", "")}
    try:
        version = _version_of(str(request.get("desiredAPIVersion", "")))
        response["convertedObjects"] = [
            convert(item, version) for item in request.get("objects") or []
        ]
        response["result"] = {"status": "Success"}
    except ConversionError as error:
        response["convertedObjects"] = []
        response["result"] = {"status": "Failure", "message": str(error)}
    return {
        "apiVersion": conversion_review.get("apiVersion", "apiextensions.k8s.io/v1"),
        "kind": "ConversionReview",
        "response": response,
    }


def _version_of(api_version: str) -> str:
    group, _, version = api_version.rpartition("/")
    if group != addon.GROUP:
        raise ConversionError(f"desiredAPIVersion {api_version!r} is not in group {addon.GROUP}")
    return version


def _source_version(obj: Mapping[str, Any]) -> str:
    api_version = obj.get("apiVersion")
    group, _, version = str(api_version).rpartition("/")
    if group != addon.GROUP or version not in (addon.V1ALPHA1, addon.V1BETA1):
        raise ConversionError(
            f"apiVersion {api_version!r} is not {addon.GROUP}/{addon.V1ALPHA1} "
            f"or {addon.GROUP}/{addon.V1BETA1}"
        )
    return version


# -- ClusterManagementAddOn ---------------------------------------------------------------


_ALPHA_DEFAULT_REFERENCES: Final = "defaultconfigReferences"
_BETA_DEFAULT_REFERENCES: Final = "defaultConfigReferences"


def _cma_to_v1beta1(body: Body) -> None:
    _rename(_mapping(body, "status"), _ALPHA_DEFAULT_REFERENCES, _BETA_DEFAULT_REFERENCES)
    spec = _mapping(body, "spec")
    spec.pop("addOnConfiguration", None)
    if "supportedConfigs" in spec:
        spec["defaultConfigs"] = [_default_config(item) for item in spec.pop("supportedConfigs")]


def _default_config(supported: Mapping[str, Any]) -> Body:
    config = _pick(supported, "group", "resource")
    default = supported.get("defaultConfig")
    if default:
        config.update(_pick(default, "namespace", "name"))
    else:
        config["name"] = addon.RESERVED_NO_DEFAULT_CONFIG_NAME
    return config


def _cma_to_v1alpha1(body: Body) -> None:
    _rename(_mapping(body, "status"), _BETA_DEFAULT_REFERENCES, _ALPHA_DEFAULT_REFERENCES)
    spec = _mapping(body, "spec")
    if "defaultConfigs" in spec:
        spec["supportedConfigs"] = [_supported_config(item) for item in spec.pop("defaultConfigs")]


def _supported_config(default: Mapping[str, Any]) -> Body:
    config = _pick(default, "group", "resource")
    name = default.get("name")
    if name and name != addon.RESERVED_NO_DEFAULT_CONFIG_NAME:
        config["defaultConfig"] = _pick(default, "namespace", "name")
    return config


# -- ManagedClusterAddOn ------------------------------------------------------------------


def _mca_to_v1beta1(body: Body) -> None:
    spec = _mapping(body, "spec")
    install_namespace = spec.pop("installNamespace", None)
    if install_namespace:
        annotations = _mapping(body, "metadata", create=True).setdefault("annotations", {})
        annotations[addon.INSTALL_NAMESPACE_ANNOTATION] = install_namespace
    status = _mapping(body, "status")
    status.pop("addOnConfiguration", None)
    driver = status.pop("kubeClientDriver", None) or addon.DRIVER_CSR
    if "registrations" in status:
        status["registrations"] = [
            _registration_to_v1beta1(item, driver) for item in status["registrations"]
        ]
    if "configReferences" in status:
        for reference in status["configReferences"]:
            reference.pop("namespace", None)
            reference.pop("name", None)


def _registration_to_v1beta1(registration: Mapping[str, Any], driver: str) -> Body:
    subject = registration.get("subject") or {}
    if registration.get("signerName") == addon.KUBE_APISERVER_CLIENT_SIGNER:
        return {
            "type": addon.REGISTRATION_KUBE_CLIENT,
            "kubeClient": {"subject": _pick(subject, "user", "groups"), "driver": driver},
        }
    custom_subject = _pick(subject, "user", "groups")
    if "organizationUnit" in subject:
        custom_subject["organizationUnits"] = subject["organizationUnit"]
    return {
        "type": addon.REGISTRATION_CUSTOM_SIGNER,
        "customSigner": {
            "signerName": registration.get("signerName", ""),
            "subject": custom_subject,
        },
    }


def _mca_to_v1alpha1(body: Body) -> None:
    annotations = _mapping(body, "metadata").get("annotations") or {}
    if addon.INSTALL_NAMESPACE_ANNOTATION in annotations:
        _mapping(body, "spec", create=True)["installNamespace"] = annotations[
            addon.INSTALL_NAMESPACE_ANNOTATION
        ]
    status = _mapping(body, "status")
    registrations = status.get("registrations")
    if registrations is not None:
        driver = _first_kube_client_driver(registrations)
        if driver:
            status["kubeClientDriver"] = driver
        status["registrations"] = [_registration_to_v1alpha1(item) for item in registrations]
    for reference in status.get("configReferences") or ():
        desired = reference.get("desiredConfig")
        if desired:
            reference.update(_pick(desired, "namespace", "name"))


def _first_kube_client_driver(registrations: list[Mapping[str, Any]]) -> str | None:
    for registration in registrations:
        kube_client = registration.get("kubeClient")
        if registration.get("type") == addon.REGISTRATION_KUBE_CLIENT and kube_client is not None:
            driver = kube_client.get("driver")
            return str(driver) if driver else None
    return None


def _registration_to_v1alpha1(registration: Mapping[str, Any]) -> Body:
    if registration.get("type") == addon.REGISTRATION_KUBE_CLIENT:
        converted: Body = {"signerName": addon.KUBE_APISERVER_CLIENT_SIGNER}
        kube_client = registration.get("kubeClient")
        if kube_client is not None:
            converted["subject"] = _pick(kube_client.get("subject") or {}, "user", "groups")
        return converted
    custom_signer = registration.get("customSigner")
    if custom_signer is None:
        return {"signerName": ""}
    subject = custom_signer.get("subject") or {}
    converted_subject = _pick(subject, "user", "groups")
    if "organizationUnits" in subject:
        converted_subject["organizationUnit"] = subject["organizationUnits"]
    return {"signerName": custom_signer.get("signerName", ""), "subject": converted_subject}


# -- AddOnDeploymentConfig ----------------------------------------------------------------


def _same_shape(body: Body) -> None:
    del body  # only apiVersion changes, which convert() sets


# -- helpers ------------------------------------------------------------------------------


def _mapping(body: Body, key: str, *, create: bool = False) -> Body:
    """The sub-object at `key`; when absent, a detached {} or (with `create`) a new attached one."""
    value = body.get(key)
    if value is None:
        created: Body = {}
        if create:
            body[key] = created
        return created
    if not isinstance(value, dict):
        raise ConversionError(f"{key}: expected an object, got {type(value).__name__}")
    return value


def _rename(body: Body, old: str, new: str) -> None:
    if old in body:
        body[new] = body.pop(old)


def _pick(source: Mapping[str, Any], *keys: str) -> Body:
    return {key: copy.deepcopy(source[key]) for key in keys if key in source}


_CONVERTERS: Final[dict[tuple[str, str], Callable[[Body], None]]] = {
    (addon.CLUSTER_MANAGEMENT_ADDON_KIND, addon.V1BETA1): _cma_to_v1beta1,
    (addon.CLUSTER_MANAGEMENT_ADDON_KIND, addon.V1ALPHA1): _cma_to_v1alpha1,
    (addon.MANAGED_CLUSTER_ADDON_KIND, addon.V1BETA1): _mca_to_v1beta1,
    (addon.MANAGED_CLUSTER_ADDON_KIND, addon.V1ALPHA1): _mca_to_v1alpha1,
    (addon.ADDON_DEPLOYMENT_CONFIG_KIND, addon.V1BETA1): _same_shape,
    (addon.ADDON_DEPLOYMENT_CONFIG_KIND, addon.V1ALPHA1): _same_shape,
}
"""(kind, target version) -> in-place converter of a deep copy in the other version."""
