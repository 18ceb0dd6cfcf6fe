"""Kubeconfig and in-cluster loading."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
import yaml

from ocm_core.kube import KubeConfig
from ocm_core.kube.errors import ConfigError

CA = b"-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"


def kubeconfig(
    user: dict[str, object], cluster: dict[str, object] | None = None
) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "main",
        "clusters": [
            {
                "name": "hub",
                "cluster": cluster
                or {
                    "server": "https://127.0.0.1:9092/cluster1",
                    "certificate-authority-data": base64.b64encode(CA).decode(),
                },
            },
            {"name": "other", "cluster": {"server": "http://127.0.0.1:8080"}},
        ],
        "users": [{"name": "me", "user": user}, {"name": "nobody", "user": {}}],
        "contexts": [
            {"name": "main", "context": {"cluster": "hub", "user": "me", "namespace": "team"}},
            {"name": "alt", "context": {"cluster": "other", "user": "nobody"}},
        ],
    }


def test_current_context_with_token_and_path_prefix() -> None:
    config = KubeConfig.from_kubeconfig_data(kubeconfig({"token": "s3cret"}))
    assert config.base_url == "https://127.0.0.1:9092/cluster1"
    assert config.ca_data == CA
    assert config.namespace == "team"
    assert config.token is not None
    assert config.token.token() == "s3cret"
    assert "s3cret" not in repr(config)


def test_named_context_overrides_current() -> None:
    config = KubeConfig.from_kubeconfig_data(kubeconfig({"token": "t"}), context="alt")
    assert config.server == "http://127.0.0.1:8080"
    assert config.token is None
    assert config.namespace == "default"
    assert config.ssl_context() is None


def test_files_resolve_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    (tmp_path / "token").write_text("from-file\n")
    data = kubeconfig(
        {"tokenFile": "token"},
        {
            "server": "https://h:6443",
            "certificate-authority": "ca.crt",
            "proxy-url": "http://p:3128",
        },
    )
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(data))
    config = KubeConfig.from_kubeconfig(path)
    assert config.ca_file == str(tmp_path / "ca.crt")
    assert config.ca_data is None
    assert config.proxy_url == "http://p:3128"
    assert config.token is not None
    assert config.token.token() == "from-file"


def test_token_file_is_reread_after_rotation(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("one")
    config = KubeConfig.from_kubeconfig_data(
        kubeconfig({"tokenFile": str(token_file)}), base_dir=tmp_path
    )
    assert config.token is not None
    assert config.token.token() == "one"
    token_file.write_text("two-rotated")
    stat = token_file.stat()
    os.utime(token_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert config.token.token() == "two-rotated"


def test_impersonation_fields() -> None:
    user: dict[str, object] = {
        "token": "t",
        "as": "alice",
        "as-groups": ["devs", "ops"],
        "as-uid": "42",
    }
    config = KubeConfig.from_kubeconfig_data(kubeconfig(user))
    assert config.impersonate is not None
    assert config.impersonate.user == "alice"
    assert config.impersonate.groups == ("devs", "ops")
    assert config.impersonate.uid == "42"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param(kubeconfig({"exec": {"command": "x"}}), "'exec' is not supported", id="exec"),
        pytest.param({"contexts": []}, "no current-context", id="no-context"),
        pytest.param(
            kubeconfig({"client-certificate-data": base64.b64encode(b"c").decode()}),
            "needs its key",
            id="cert-without-key",
        ),
        pytest.param(
            kubeconfig({}, {"server": "127.0.0.1:6443"}), "must start with https://", id="bad-url"
        ),
        pytest.param(
            kubeconfig({}, {"server": "https://h", "certificate-authority-data": "!!"}),
            "not valid base64",
            id="bad-base64",
        ),
    ],
)
def test_bad_kubeconfigs_say_what_is_wrong(data: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        KubeConfig.from_kubeconfig_data(data)


def test_unknown_context_is_named_in_the_error() -> None:
    with pytest.raises(ConfigError, match="'nope'"):
        KubeConfig.from_kubeconfig_data(kubeconfig({}), context="nope")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read kubeconfig"):
        KubeConfig.from_kubeconfig(tmp_path / "absent")


def test_in_cluster(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_bytes(CA)
    (tmp_path / "namespace").write_text("agents\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    config = KubeConfig.in_cluster(account_dir=tmp_path, environ=env)
    assert config.server == "https://10.0.0.1:443"
    assert config.namespace == "agents"
    assert config.ca_file == str(tmp_path / "ca.crt")
    assert config.token is not None
    assert config.token.token() == "sa-token"


def test_in_cluster_outside_a_cluster(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not running in a cluster"):
        KubeConfig.in_cluster(account_dir=tmp_path, environ={})


def test_missing_certificate_file_fails_at_load(tmp_path: Path) -> None:
    data = kubeconfig({"client-certificate": "absent.crt", "client-key": "absent.key"})
    with pytest.raises(ConfigError, match=r"absent\.crt"):
        KubeConfig.from_kubeconfig_data(data, base_dir=tmp_path)


def test_tls_file_stamp_changes_when_a_file_is_rewritten(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    data = kubeconfig({}, {"server": "https://h:6443", "certificate-authority": "ca.crt"})
    config = KubeConfig.from_kubeconfig_data(data, base_dir=tmp_path)
    before = config.tls_files_stamp()
    (tmp_path / "ca.crt").write_bytes(CA + CA)
    assert config.tls_files_stamp() != before
