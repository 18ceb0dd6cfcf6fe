"""Service-account credentials for local processes, as a kubelet projects them into a pod.

For a Deployment's `serviceAccountName` (default `default`; none with
`automountServiceAccountToken: false`) the runtime asks its API server for a token
(TokenRequest) and keeps, in one directory per account, what a pod finds under
`podspec.SERVICE_ACCOUNT_MOUNT`: `token`, `ca.crt`, `namespace`, plus a
`kubeconfig` using them (processes get it as `KUBECONFIG`, since nothing here sets
`KUBERNETES_SERVICE_HOST`). Tokens are renewed once 80 % of their life has passed, in place, so
programs that re-read the token file (ours do) keep working. So a process acts with its own
service account and the RBAC a chart gives it, not with the runtime's credentials.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.api import gvr
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.localruntime.podspec import PlanError
from ocm_core.runtime import Clock

TOKEN_SECONDS: Final = 3600
RENEW_FRACTION: Final = 0.8
DEFAULT_ACCOUNT: Final = "default"


def account_of(deployment: Mapping[str, Any]) -> str | None:
    """The service account a pod of `deployment` runs as (None: no token mounted)."""
    spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    if spec.get("automountServiceAccountToken") is False:
        return None
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or DEFAULT_ACCOUNT)


class ServiceAccountFiles:
    def __init__(
        self, api: KubeApi, root: Path, *, server: str, ca_pem: bytes | None, clock: Clock
    ) -> None:
        self.api = api
        self.root = root
        self.server = server
        self.ca_pem = ca_pem
        self.clock = clock
        self._renew_at: dict[tuple[str, str], float] = {}

    def directory(self, namespace: str, account: str) -> Path:
        return self.root / namespace / account

    async def ensure(self, namespace: str, account: str) -> tuple[Path, float]:
        """The account's directory, and seconds until its token must be renewed."""
        directory = self.directory(namespace, account)
        renew_at = self._renew_at.get((namespace, account), 0.0)
        if self.clock.now() < renew_at and (directory / "token").exists():
            return directory, renew_at - self.clock.now()
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": TOKEN_SECONDS},
        }
        try:
            response = await self.api.create(
                gvr.SERVICE_ACCOUNTS, request, namespace=namespace, name=account,
                subresource="token",
            )  # fmt: skip
        except errors.NotFoundError:
            raise PlanError(
                f"ServiceAccount {namespace}/{account} is not there yet (the pod would wait)"
            ) from None
        token = str((response.get("status") or {}).get("token") or "")
        await asyncio.to_thread(self._write, directory, namespace, token)
        lifetime = TOKEN_SECONDS * RENEW_FRACTION
        self._renew_at[(namespace, account)] = self.clock.now() + lifetime
        return directory, lifetime

    def _write(self, directory: Path, namespace: str, token: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        cluster: dict[str, Any] = {"server": self.server}
        if self.ca_pem is not None:
            _write_file(directory / "ca.crt", self.ca_pem)
            cluster["certificate-authority"] = "ca.crt"
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "cluster", "cluster": cluster}],
            "users": [{"name": "service-account", "user": {"tokenFile": "token"}}],
            "contexts": [
                {
                    "name": "in-cluster",
                    "context": {
                        "cluster": "cluster",
                        "user": "service-account",
                        "namespace": namespace,
                    },
                }
            ],
            "current-context": "in-cluster",
        }
        _write_file(directory / "token", token.encode())
        _write_file(directory / "namespace", namespace.encode())
        _write_file(directory / "kubeconfig", yaml.safe_dump(kubeconfig).encode())


def _write_file(path: Path, content: bytes) -> None:
    """Atomically, so a program re-reading the token never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
