"""``ocm apiserver --token-auth-file``: kube's static token CSV, with kubectl and the Python client.

Alice (in ``system:masters``) may do anything; Bob (no groups) is authenticated but has no RBAC
grants; an unknown token is 401. A malformed file stops the start-up with the line number.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.apiserver_process import DEADLINE_SECONDS, ApiServerProcess

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
ALICE_TOKEN = "alice-secret-token"
BOB_TOKEN = "bob-secret-token"
TOKEN_FILE = f"""# kube-apiserver --token-auth-file format
{ALICE_TOKEN},alice,uid-alice,"system:masters,team-a"
{BOB_TOKEN},bob,uid-bob
"""


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[ApiServerProcess]:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text(TOKEN_FILE)
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    server = ApiServerProcess(data_dir, "--token-auth-file", str(tokens))
    server.start()
    yield server
    server.stop(signal.SIGKILL)


def _kubectl(server: ApiServerProcess, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        KUBECTL,
        f"--server=https://127.0.0.1:{server.port}",
        f"--certificate-authority={server.data_dir / 'ca.crt'}",
        *args,
    ]
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(home / "none")}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS, check=False
    )


def _python_client(server: ApiServerProcess, token: str) -> client.CoreV1Api:
    configuration = client.Configuration()
    configuration.host = f"https://127.0.0.1:{server.port}"
    configuration.ssl_ca_cert = str(server.data_dir / "ca.crt")
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    return client.CoreV1Api(client.ApiClient(configuration))


@pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")
def test_kubectl_token_from_the_file_authenticates_with_its_groups(
    token_server: ApiServerProcess, tmp_path: Path
) -> None:
    whoami = _kubectl(token_server, tmp_path, f"--token={ALICE_TOKEN}", "auth", "whoami", "-o=json")
    assert whoami.returncode == 0, whoami.stderr
    user = json.loads(whoami.stdout)["status"]["userInfo"]
    assert user["username"] == "alice"
    assert user["uid"] == "uid-alice"
    assert set(user["groups"]) == {"system:masters", "team-a", "system:authenticated"}

    created = _kubectl(token_server, tmp_path, f"--token={ALICE_TOKEN}", "create", "ns", "by-alice")
    assert created.returncode == 0, created.stderr

    denied = _kubectl(token_server, tmp_path, f"--token={BOB_TOKEN}", "get", "ns")
    assert denied.returncode != 0
    assert 'User "bob" cannot list resource "namespaces"' in denied.stderr

    unknown = _kubectl(token_server, tmp_path, "--token=not-in-the-file", "get", "ns")
    assert unknown.returncode != 0
    assert "Unauthorized" in unknown.stderr


def test_python_client_token_from_the_file(token_server: ApiServerProcess) -> None:
    namespaces = _python_client(token_server, ALICE_TOKEN).list_namespace().items
    names = {ns.metadata.name for ns in namespaces if ns.metadata is not None}
    assert "default" in names
    with pytest.raises(ApiException) as denied:
        _python_client(token_server, BOB_TOKEN).list_namespace()
    assert denied.value.status == 403
    with pytest.raises(ApiException) as unknown:
        _python_client(token_server, "wrong").list_namespace()
    assert unknown.value.status == 401


def test_the_admin_kubeconfig_still_works_next_to_the_file(token_server: ApiServerProcess) -> None:
    api = client.CoreV1Api(token_server.api_client())
    metadata = api.read_namespace("default").metadata
    assert metadata is not None
    assert metadata.name == "default"


def _start_with_token_file(tmp_path: Path, tokens: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ocm_core.cli", "apiserver", "--port", "0"]
    command += ["--data-dir", str(tmp_path / "data"), "--token-auth-file", str(tokens)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=DEADLINE_SECONDS, check=False
    )


def test_a_malformed_token_file_stops_the_start_naming_the_line(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text(f"{ALICE_TOKEN},alice,uid-alice\n\nonly-a-token\n")
    result = _start_with_token_file(tmp_path, tokens)
    assert result.returncode != 0
    assert f"--token-auth-file: {tokens}: line 3:" in result.stderr
    assert "got 1 column(s)" in result.stderr


def test_a_missing_token_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _start_with_token_file(tmp_path, tmp_path / "absent.csv")
    assert result.returncode != 0
    assert "cannot read token file" in result.stderr
