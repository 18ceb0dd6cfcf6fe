"""Conversion hooks for the add-on kinds: v1alpha1 (stored) <-> v1beta1 (what controllers use).

Registers `ocm_core.api.conversion` as the converter of ClusterManagementAddOn,
ManagedClusterAddOn and AddOnDeploymentConfig, so the server converts in-process where
kube-apiserver would call upstream's conversion webhook.
"""

from __future__ import annotations

from typing import Any

from ocm_core.api import addon, conversion
from ocm_core.apiserver.registry import Converters

CONVERTED_KINDS = (
    addon.CLUSTER_MANAGEMENT_ADDON_KIND,
    addon.MANAGED_CLUSTER_ADDON_KIND,
    addon.ADDON_DEPLOYMENT_CONFIG_KIND,
)


def convert_addon(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """`Converter` signature over `conversion.convert` (which takes the bare version)."""
    return conversion.convert(obj, api_version.rpartition("/")[2])


def register_addon_converters(converters: Converters) -> None:
    for kind in CONVERTED_KINDS:
        converters.register(addon.GROUP, kind, convert_addon)
