"""The user-server's own credential on each spoke kube-apiserver (`SpokeCredentials`).

The hub user is impersonated (see `impersonation`), so the credential itself is the
user-server's: it needs `impersonate` on users and groups on the spoke. Two sources:

* `KubeconfigDirCredentials`: `<dir>/<cluster>.kubeconfig` per cluster (token or client
  certificate, CA, `tls-server-name`), re-read when the file changes;
* `StaticSpokeCredentials`: one token file and CA for every cluster (e.g. a ManagedServiceAccount
  token projected everywhere).

TLS to the spoke runs end to end through the tunnel and is verified against the spoke's CA and
the server name its kubeconfig uses (`tls-server-name`, else the host of `server`).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ocm_core.kube import KubeConfig, TokenSource
from ocm_core.kube import errors as kube_errors


class UnknownClusterError(LookupError):
    """No spoke credential is configured for the cluster; the message says where to put one."""


@dataclass(frozen=True)
class SpokeCredential:
    tls: ssl.SSLContext
    server_name: str | None
    token: TokenSource | None = None

    def bearer(self) -> str | None:
        return self.token.token() if self.token is not None else None


class SpokeCredentials(Protocol):
    def for_cluster(self, cluster: str) -> SpokeCredential: ...


class KubeconfigDirCredentials:
    SUFFIX = ".kubeconfig"

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._loaded: dict[str, tuple[tuple[int, int], SpokeCredential]] = {}

    def for_cluster(self, cluster: str) -> SpokeCredential:
        path = self._directory / f"{cluster}{self.SUFFIX}"
        try:
            st = os.stat(path)
        except OSError:
            raise UnknownClusterError(
                f"no spoke credential for cluster {cluster!r}: expected {path}"
            ) from None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._loaded.get(cluster)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        credential = _from_kubeconfig(path)
        self._loaded[cluster] = (stamp, credential)
        return credential


def _from_kubeconfig(path: Path) -> SpokeCredential:
    try:
        config = KubeConfig.from_kubeconfig(path)
        tls = config.ssl_context()
    except (kube_errors.KubeError, OSError, ssl.SSLError) as exc:
        raise UnknownClusterError(f"{path}: unusable spoke kubeconfig: {exc}") from exc
    if tls is None:
        raise UnknownClusterError(f"{path}: the spoke server must be https://")
    server_name = config.tls_server_name or urlsplit(config.server).hostname
    return SpokeCredential(tls=tls, server_name=server_name, token=config.token)


class StaticSpokeCredentials:
    """The same credential for every cluster."""

    def __init__(
        self, *, ca_file: Path | None, token_file: Path | None, server_name: str | None
    ) -> None:
        tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        token = TokenSource(path=str(token_file)) if token_file else None
        self._credential = SpokeCredential(tls=tls, server_name=server_name, token=token)

    def for_cluster(self, cluster: str) -> SpokeCredential:
        return self._credential
