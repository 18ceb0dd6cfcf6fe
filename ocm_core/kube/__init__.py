"""The Kubernetes client layer: configuration (kubeconfig, in-cluster), an asyncio REST client
with watch streams, error mapping and discovery.

Layering: ``ocm_core.kube`` imports only ``ocm_core.api``; the runtime and controllers import it
and program against `KubeApi`, never against aiohttp.
"""

from __future__ import annotations

from ocm_core.kube import errors
from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import Impersonation, KubeConfig, TokenSource
from ocm_core.kube.discovery import Discovery
from ocm_core.kube.protocol import (
    EventType,
    KubeApi,
    Object,
    PatchType,
    Preconditions,
    WatchEvent,
)

__all__ = [
    "ApiClient",
    "Discovery",
    "EventType",
    "Impersonation",
    "KubeApi",
    "KubeConfig",
    "Object",
    "PatchType",
    "Preconditions",
    "TokenSource",
    "WatchEvent",
    "errors",
]
