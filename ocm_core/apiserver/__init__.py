"""Embedded Kubernetes-compatible API server (see docs/apiserver.md).

The surface other packages use: ``ServerConfig``/``start``/``serve`` to run one, and
``build_state``/``make_app`` to embed it in another aiohttp process.
"""

from ocm_core.apiserver.app import build_state, make_app
from ocm_core.apiserver.server import RunningServer, ServerConfig, StorageKind, serve, start

__all__ = [
    "RunningServer",
    "ServerConfig",
    "StorageKind",
    "build_state",
    "make_app",
    "serve",
    "start",
]
