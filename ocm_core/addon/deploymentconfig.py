"""AddOnDeploymentConfig applied to rendered agent manifests.

What an AddOnDeploymentConfig (ADC) changes (`specs/ocm-apis.md` §4.4):
- `agentInstallNamespace`: the namespace the agent is rendered into (`install_namespace`);
- `customizedVariables`: name -> value pairs the add-on's renderer reads (`variables`);
- `nodePlacement`: nodeSelector and tolerations of every pod template;
- `registries`: image prefix rewrites (`source` -> `mirror`), above the ManagedCluster's
  `open-cluster-management.io/image-registries` annotation;
- `proxyConfig`: HTTP_PROXY, HTTPS_PROXY and NO_PROXY in every container;
- `resourceRequirements`: container resources matched by `<kind>:<name>:<container>` with `*`.

Pure functions; manifests are deep-copied, never modified in place.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.api import addon

Object = dict[str, Any]

HTTP_PROXY_ENV: Final = "HTTP_PROXY"
HTTPS_PROXY_ENV: Final = "HTTPS_PROXY"
NO_PROXY_ENV: Final = "NO_PROXY"
_POD_TEMPLATE_KINDS: Final = frozenset(
    {"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"}
)


@dataclass(frozen=True)
class Registry:
    source: str
    mirror: str


@dataclass(frozen=True)
class DeploymentConfig:
    """The parts of an ADC spec that decorate manifests, parsed."""

    install_namespace: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    registries: tuple[Registry, ...] = ()
    proxy_env: Mapping[str, str] = field(default_factory=dict)
    resources: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @classmethod
    def from_adc(cls, adc: Mapping[str, Any] | None) -> DeploymentConfig:
        spec = (adc or {}).get("spec") or {}
        placement = spec.get("nodePlacement") or {}
        proxy = spec.get("proxyConfig") or {}
        proxy_env = {
            env: str(proxy[key])
            for env, key in (
                (HTTP_PROXY_ENV, "httpProxy"),
                (HTTPS_PROXY_ENV, "httpsProxy"),
                (NO_PROXY_ENV, "noProxy"),
            )
            if proxy.get(key)
        }
        return cls(
            install_namespace=spec.get("agentInstallNamespace") or None,
            variables={
                str(v["name"]): str(v.get("value", ""))
                for v in spec.get("customizedVariables") or ()
                if v.get("name")
            },
            node_selector=dict(placement.get("nodeSelector") or {}),
            tolerations=tuple(placement.get("tolerations") or ()),
            registries=tuple(
                Registry(str(r["source"]), str(r["mirror"]))
                for r in spec.get("registries") or ()
                if r.get("source") and r.get("mirror")
            ),
            proxy_env=proxy_env,
            resources=tuple(
                (str(r.get("containerID", "")), r.get("resources") or {})
                for r in spec.get("resourceRequirements") or ()
            ),
        )


def cluster_registries(cluster: Mapping[str, Any]) -> tuple[Registry, ...]:
    """Registries from the ManagedCluster annotation (JSON `{"registries": [...]}`)."""
    raw = ((cluster.get("metadata") or {}).get("annotations") or {}).get(
        addon.IMAGE_REGISTRIES_ANNOTATION
    )
    if not raw:
        return ()
    try:
        entries = json.loads(raw).get("registries") or []
    except (ValueError, AttributeError):
        return ()
    return tuple(
        Registry(str(e["source"]), str(e["mirror"]))
        for e in entries
        if isinstance(e, dict) and e.get("source") and e.get("mirror")
    )


def rewrite_image(image: str, registries: Sequence[Registry]) -> str:
    """The image with the first matching source prefix replaced by its mirror."""
    for registry in registries:
        if image.startswith(registry.source):
            return registry.mirror + image[len(registry.source) :]
    return image


def decorate(
    manifests: Sequence[Mapping[str, Any]],
    config: DeploymentConfig,
    *,
    cluster_registries: Sequence[Registry] = (),
) -> list[Object]:
    """Copies of `manifests` with the ADC's placement, images, proxy env and resources."""
    registries = (*config.registries, *cluster_registries)
    result = []
    for manifest in manifests:
        obj = copy.deepcopy(dict(manifest))
        pod_spec = _pod_spec(obj)
        if pod_spec is not None:
            _decorate_pod(obj, pod_spec, config, registries)
        result.append(obj)
    return result


def _pod_spec(obj: Object) -> Object | None:
    kind = obj.get("kind")
    if kind == "Pod":
        return obj.setdefault("spec", {})  # type: ignore[no-any-return]
    if kind in _POD_TEMPLATE_KINDS:
        template = obj.setdefault("spec", {}).setdefault("template", {})
        return template.setdefault("spec", {})  # type: ignore[no-any-return]
    return None


def _decorate_pod(
    obj: Object, pod_spec: Object, config: DeploymentConfig, registries: Sequence[Registry]
) -> None:
    if config.node_selector:
        pod_spec["nodeSelector"] = dict(config.node_selector)
    if config.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in config.tolerations]
    name = str((obj.get("metadata") or {}).get("name", ""))
    kind = str(obj.get("kind", "")).lower() + "s"
    for container in _containers(pod_spec):
        if registries and container.get("image"):
            container["image"] = rewrite_image(str(container["image"]), registries)
        if config.proxy_env:
            _set_env(container, config.proxy_env)
        for pattern, resources in config.resources:
            if fnmatch.fnmatchcase(f"{kind}:{name}:{container.get('name', '')}", pattern):
                container["resources"] = copy.deepcopy(dict(resources))


def _containers(pod_spec: Object) -> Iterator[Object]:
    yield from pod_spec.get("initContainers") or ()
    yield from pod_spec.get("containers") or ()


def _set_env(container: Object, values: Mapping[str, str]) -> None:
    env = [e for e in container.get("env") or () if e.get("name") not in values]
    env += [{"name": name, "value": value} for name, value in sorted(values.items())]
    container["env"] = env
