"""user-server flags: validation messages, and the in-process/standalone flag names."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from proxy_server import config as server_config
from proxy_server.userserver import config


def _files(tmp_path: Path) -> dict[str, Path]:
    names = ("tls.crt", "tls.key", "hub.kubeconfig")
    for name in names:
        (tmp_path / name).write_text("x")
    (tmp_path / "spokes").mkdir()
    return {name: tmp_path / name for name in names} | {"spokes": tmp_path / "spokes"}


def _standalone(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind-address", default="0.0.0.0")
    config.add_arguments(parser, standalone=True)
    return parser.parse_args(argv)


def test_proxy_server_without_the_flag_serves_no_user_server() -> None:
    args = server_config.build_parser().parse_args(["--insecure-agent-port"])
    assert config.from_args(args, standalone=False) is None


def test_in_process_flags(tmp_path: Path) -> None:
    f = _files(tmp_path)
    args = server_config.build_parser().parse_args(
        [
            "--user-server-port", "0",
            "--user-server-cert", str(f["tls.crt"]), "--user-server-key", str(f["tls.key"]),
            "--hub-kubeconfig", str(f["hub.kubeconfig"]),
            "--spoke-kubeconfig-dir", str(f["spokes"]),
        ]
    )  # fmt: skip
    settings = config.from_args(args, standalone=False)
    assert settings is not None
    assert settings.port == 0
    assert settings.token_review_cache_ttl == 10.0
    assert settings.exposed_services_configmap == "cluster-proxy-exposed-services"


def test_spoke_credentials_are_required(tmp_path: Path) -> None:
    f = _files(tmp_path)
    args = _standalone(
        "--server-cert", str(f["tls.crt"]), "--server-key", str(f["tls.key"]),
        "--hub-kubeconfig", str(f["hub.kubeconfig"]),
    )  # fmt: skip
    with pytest.raises(ValueError, match="--spoke-kubeconfig-dir"):
        config.from_args(args, standalone=True)


def test_hub_access_defaults_to_in_cluster_only_inside_a_pod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = _files(tmp_path)
    args = _standalone(
        "--server-cert", str(f["tls.crt"]), "--server-key", str(f["tls.key"]),
        "--spoke-kubeconfig-dir", str(f["spokes"]),
    )  # fmt: skip
    monkeypatch.delenv(config.IN_CLUSTER_ENV, raising=False)
    with pytest.raises(ValueError, match="--hub-kubeconfig"):
        config.from_args(args, standalone=True)
    monkeypatch.setenv(config.IN_CLUSTER_ENV, "10.96.0.1")
    settings = config.from_args(args, standalone=True)
    assert settings is not None
    assert settings.hub_kubeconfig is None


def test_missing_file_is_named(tmp_path: Path) -> None:
    f = _files(tmp_path)
    args = _standalone(
        "--server-cert", str(tmp_path / "nope.crt"), "--server-key", str(f["tls.key"]),
        "--hub-kubeconfig", str(f["hub.kubeconfig"]), "--spoke-token-file", str(f["tls.key"]),
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"nope\.crt: no such file"):
        config.from_args(args, standalone=True)
