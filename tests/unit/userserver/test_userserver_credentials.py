"""Where the user-server's own spoke credential comes from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proxy_server.userserver.credentials import (
    KubeconfigDirCredentials,
    StaticSpokeCredentials,
    UnknownClusterError,
)
from tests.support.certs import TestCA


def _kubeconfig(path: Path, server: str, ca: Path, token: str, **cluster: str) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [
                    {
                        "name": "s",
                        "cluster": {
                            "server": server,
                            "certificate-authority": str(ca),
                            **cluster,
                        },
                    }
                ],
                "users": [{"name": "s", "user": {"token": token}}],
                "contexts": [{"name": "s", "context": {"cluster": "s", "user": "s"}}],
                "current-context": "s",
            }
        )
    )


def test_kubeconfig_per_cluster_and_reload_on_change(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    _kubeconfig(tmp_path / "c1.kubeconfig", "https://10.0.0.1:6443", ca.path, "one")
    credentials = KubeconfigDirCredentials(tmp_path)
    first = credentials.for_cluster("c1")
    assert first.bearer() == "one"
    assert first.server_name == "10.0.0.1"
    assert credentials.for_cluster("c1") is first  # cached while the file is unchanged
    _kubeconfig(
        tmp_path / "c1.kubeconfig",
        "https://10.0.0.1:6443",
        ca.path,
        "rotated",
        **{"tls-server-name": "api.c1"},
    )
    second = credentials.for_cluster("c1")
    assert second.bearer() == "rotated"
    assert second.server_name == "api.c1"


def test_unknown_cluster_names_the_file_to_create(tmp_path: Path) -> None:
    with pytest.raises(UnknownClusterError, match=r"c9\.kubeconfig"):
        KubeconfigDirCredentials(tmp_path).for_cluster("c9")


def test_plain_http_spoke_is_refused(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    _kubeconfig(tmp_path / "c1.kubeconfig", "http://10.0.0.1:8080", ca.path, "t")
    with pytest.raises(UnknownClusterError, match="must be https"):
        KubeconfigDirCredentials(tmp_path).for_cluster("c1")


def test_static_credential_is_shared_by_every_cluster(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    token = tmp_path / "token"
    token.write_text("shared\n")
    credentials = StaticSpokeCredentials(ca_file=ca.path, token_file=token, server_name="api")
    assert credentials.for_cluster("a") is credentials.for_cluster("b")
    assert credentials.for_cluster("a").bearer() == "shared"
