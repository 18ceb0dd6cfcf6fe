"""`ocm get addons` table and `ocm proxy kubeconfig` document, without a server."""

from __future__ import annotations

import base64

import pytest

from ocm_core.cli import addon as addon_cli
from ocm_core.cli.__main__ import build_parser


def item(cluster: str, name: str, **conditions: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": cluster},
        "status": {"conditions": [{"type": t, "status": s} for t, s in conditions.items()]},
    }


def test_addon_table() -> None:
    table = addon_cli.addon_table(
        [
            item("c2", "cluster-proxy", Available="False"),
            item("c1", "cluster-proxy", Available="True", Progressing="False"),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["CLUSTER", "ADDON", "AVAILABLE", "DEGRADED", "PROGRESSING"]
    assert lines[1].split() == ["c1", "cluster-proxy", "True", "False"]
    assert lines[2].split() == ["c2", "cluster-proxy", "False"]


def test_proxy_kubeconfig_document_uses_user_server_path_and_caller_credentials() -> None:
    hub = {
        "current-context": "admin",
        "contexts": [{"name": "admin", "context": {"cluster": "hub", "user": "alice"}}],
        "users": [{"name": "alice", "user": {"token": "secret-token"}}],
    }
    user_name, user = addon_cli.caller_credentials(hub, None)
    document = addon_cli.proxy_kubeconfig_document("c1", "users.hub:9092", b"CA", user_name, user)
    cluster = document["clusters"][0]["cluster"]
    assert cluster["server"] == "https://users.hub:9092/c1"
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"CA"
    assert document["users"] == [{"name": "alice", "user": {"token": "secret-token"}}]
    assert document["contexts"][0]["context"] == {
        "cluster": "c1-via-cluster-proxy",
        "user": "alice",
    }


def test_unknown_context_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="context 'nope' not found"):
        addon_cli.caller_credentials({"contexts": []}, "nope")


def test_cli_wiring() -> None:
    parser = build_parser()
    assert parser.parse_args(["get", "addons"]).handler is addon_cli.get_addons
    args = parser.parse_args(["proxy", "kubeconfig", "c1", "--user-server", "h:1"])
    assert (args.handler, args.cluster, args.user_server) == (
        addon_cli.proxy_kubeconfig,
        "c1",
        "h:1",
    )
    assert parser.parse_args(["proxy", "health"]).handler is addon_cli.proxy_health
