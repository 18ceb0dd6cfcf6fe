"""`CredentialStore`: the hub credentials on the spoke (Secret ``hub-kubeconfig-secret`` in the
agent namespace) and on disk (``kubeconfig``, ``tls.crt``, ``tls.key`` in one directory, which
the hub client reads; the client reloads the files when they change)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import yaml

from ocm_core.api import gvr
from ocm_core.kube.errors import AlreadyExistsError, NotFoundError
from ocm_core.kube.protocol import KubeApi
from ocm_core.registration import names
from ocm_core.registration.spoke import credentials
from ocm_core.registration.spoke.credentials import HubCredentials


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.touch(mode=mode)
    temporary.write_bytes(data)
    os.replace(temporary, path)


async def load_stored(spoke: KubeApi) -> HubCredentials | None:
    """The credentials in the spoke Secret, or None if there are none (or they are partial)."""
    try:
        obj = await spoke.get(
            gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE
        )
    except NotFoundError:
        return None
    fields = {
        key: credentials.secret_field(obj, key)
        for key in (
            names.KEY_KUBECONFIG,
            names.KEY_TLS_CERT,
            names.KEY_TLS_KEY,
            names.KEY_CLUSTER_NAME,
            names.KEY_AGENT_NAME,
        )
    }
    if any(value is None for value in fields.values()):
        return None
    kubeconfig = yaml.safe_load(fields[names.KEY_KUBECONFIG] or b"")
    if not isinstance(kubeconfig, dict):
        return None
    return HubCredentials(
        kubeconfig=kubeconfig,
        cert_pem=fields[names.KEY_TLS_CERT] or b"",
        key_pem=fields[names.KEY_TLS_KEY] or b"",
        cluster=(fields[names.KEY_CLUSTER_NAME] or b"").decode(),
        agent=(fields[names.KEY_AGENT_NAME] or b"").decode(),
    )


class CredentialStore:
    def __init__(self, spoke: KubeApi, directory: Path) -> None:
        self.spoke = spoke
        self.directory = directory

    @property
    def kubeconfig_path(self) -> Path:
        return self.directory / names.KEY_KUBECONFIG

    async def load(self) -> HubCredentials | None:
        return await load_stored(self.spoke)

    async def save(self, creds: HubCredentials) -> None:
        """Write the files (key before certificate, so a reader never pairs a new certificate
        with an old key for long), then the spoke Secret."""
        self.directory.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(creds.kubeconfig, sort_keys=False)
        _write_atomically(self.directory / names.KEY_TLS_KEY, creds.key_pem, 0o600)
        _write_atomically(self.directory / names.KEY_TLS_CERT, creds.cert_pem, 0o644)
        _write_atomically(self.kubeconfig_path, text.encode(), 0o600)
        await self._ensure_namespace()
        body = credentials.secret(creds, text)
        try:
            await self.spoke.create(gvr.SECRETS, body, namespace=names.AGENT_NAMESPACE)
        except AlreadyExistsError:
            await self.spoke.replace(gvr.SECRETS, body, namespace=names.AGENT_NAMESPACE)

    async def save_bootstrap(self, secret_body: dict[str, Any]) -> None:
        """Create or replace the Secret ``bootstrap-hub-kubeconfig``."""
        await self._ensure_namespace()
        try:
            await self.spoke.create(gvr.SECRETS, secret_body, namespace=names.AGENT_NAMESPACE)
        except AlreadyExistsError:
            await self.spoke.replace(gvr.SECRETS, secret_body, namespace=names.AGENT_NAMESPACE)

    async def delete_bootstrap(self) -> None:
        with contextlib.suppress(NotFoundError):
            await self.spoke.delete(
                gvr.SECRETS, names.BOOTSTRAP_SECRET, namespace=names.AGENT_NAMESPACE
            )

    async def delete(self) -> None:
        with contextlib.suppress(NotFoundError):
            await self.spoke.delete(
                gvr.SECRETS, names.HUB_KUBECONFIG_SECRET, namespace=names.AGENT_NAMESPACE
            )
        for name in (names.KEY_KUBECONFIG, names.KEY_TLS_CERT, names.KEY_TLS_KEY):
            (self.directory / name).unlink(missing_ok=True)

    async def _ensure_namespace(self) -> None:
        namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": names.AGENT_NAMESPACE},
        }
        with contextlib.suppress(AlreadyExistsError):
            await self.spoke.create(gvr.NAMESPACES, namespace)
