"""Real kubectl (1.27 and 1.33) against a tiny HTTPS server built from pki + auth.

Proves that Go's TLS stack accepts our CA and serving certs (IP SAN 127.0.0.1), sends our client
certs when the server only asks for one, and that the headers kubectl sends for bearer tokens
and `--as/--as-group/--as-uid` are understood, with kube's Forbidden message when refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from ocm_core import pki
from ocm_core.apiserver import auth

KUBECTL_VERSIONS = ("1.27", "1.33")
KUBECTL_DIR = Path("/usr/lib/google-cloud-sdk/bin")
DEADLINE_SECONDS = 30
TOKEN = "static-token-for-carol"


def _kubectl(version: str) -> Path:
    binary = KUBECTL_DIR / f"kubectl.{version}"
    if not binary.exists():
        pytest.skip(f"kubectl {version} is not installed at {binary}")
    return binary


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("kubectl-test-ca")


def _rbac() -> auth.RBACAuthorizer:
    """alice may impersonate users and the group `devs`, nothing else."""
    impersonator = {
        "metadata": {"name": "impersonator"},
        "rules": [
            {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"]},
            {
                "verbs": ["impersonate"],
                "apiGroups": [""],
                "resources": ["groups"],
                "resourceNames": ["devs"],
            },
            {
                "verbs": ["impersonate"],
                "apiGroups": ["authentication.k8s.io"],
                "resources": ["uids"],
            },
        ],
    }
    grant = {
        "metadata": {"name": "alice-impersonates"},
        "roleRef": {"kind": "ClusterRole", "name": "impersonator"},
        "subjects": [{"kind": "User", "name": "alice"}],
    }
    return auth.RBACAuthorizer(
        auth.StaticRBACSource(all_cluster_roles=[impersonator], all_cluster_role_bindings=[grant])
    )


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code)


def _app() -> web.Application:
    authenticator = auth.Authenticator(static_tokens=auth.StaticTokens.parse(f"{TOKEN},carol,7\n"))
    rbac = _rbac()

    async def whoami(request: web.Request) -> web.Response:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        peer = pki.load_certificate_der(der) if der else None
        user = authenticator.authenticate(peer, request.headers.get("Authorization"))
        if user is None:
            return _status(401, "Unauthorized", "Unauthorized")
        try:
            user = auth.resolve_impersonation(user, request.headers, rbac.authorize)
        except auth.ImpersonationError as exc:
            reason = "Forbidden" if exc.status == 403 else "BadRequest"
            return _status(exc.status, reason, str(exc))
        return web.json_response({"name": user.name, "groups": list(user.groups), "uid": user.uid})

    app = web.Application()
    app.router.add_get("/whoami", whoami)
    return app


@pytest.fixture
async def server(ca: pki.CertificateAuthority) -> AsyncIterator[int]:
    serving = await asyncio.to_thread(
        pki.issue_serving_cert, ca, common_name="api", ip_addresses=["127.0.0.1"]
    )
    context = pki.server_ssl_context(
        [serving.certificate], serving.private_key, client_ca=pki.CABundle((ca.certificate,))
    )
    runner = web.AppRunner(_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        assert runner.addresses
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _kubeconfig(path: Path, port: int, ca: pki.CertificateAuthority, user: dict[str, Any]) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": {
                    "server": f"https://127.0.0.1:{port}",
                    "certificate-authority-data": _b64(ca.cert_pem()),
                },
            }
        ],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def _run(kubectl: Path, kubeconfig: Path, *args: str) -> tuple[int, str, str]:
    async with asyncio.timeout(DEADLINE_SECONDS):
        process = await asyncio.create_subprocess_exec(
            str(kubectl),
            f"--kubeconfig={kubeconfig}",
            "get",
            "--raw",
            "/whoami",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture(params=KUBECTL_VERSIONS)
def kubectl(request: pytest.FixtureRequest) -> Path:
    return _kubectl(request.param)


@pytest.mark.parametrize("algorithm", list(pki.KeyAlgorithm), ids=lambda a: a.value)
async def test_client_certificate(
    kubectl: Path,
    server: int,
    ca: pki.CertificateAuthority,
    tmp_path: Path,
    algorithm: pki.KeyAlgorithm,
) -> None:
    alice = await asyncio.to_thread(
        pki.issue_client_cert, ca, user="alice", groups=["devs", "ops"], algorithm=algorithm
    )
    config = _kubeconfig(
        tmp_path / "kubeconfig",
        server,
        ca,
        {
            "client-certificate-data": _b64(alice.cert_pem()),
            "client-key-data": _b64(alice.key_pem()),
        },
    )
    code, out, err = await _run(kubectl, config)
    assert code == 0, err
    assert json.loads(out) == {
        "name": "alice",
        "groups": ["devs", "ops", auth.SYSTEM_AUTHENTICATED],
        "uid": "",
    }


async def test_bearer_token(
    kubectl: Path, server: int, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    config = _kubeconfig(tmp_path / "kubeconfig", server, ca, {"token": TOKEN})
    code, out, err = await _run(kubectl, config)
    assert code == 0, err
    assert json.loads(out)["name"] == "carol"
    bad = _kubeconfig(tmp_path / "bad", server, ca, {"token": "wrong"})
    code, _, err = await _run(kubectl, bad)
    assert code != 0
    assert "Unauthorized" in err


async def test_impersonation_headers(
    kubectl: Path, server: int, ca: pki.CertificateAuthority, tmp_path: Path
) -> None:
    alice = await asyncio.to_thread(pki.issue_client_cert, ca, user="alice")
    config = _kubeconfig(
        tmp_path / "kubeconfig",
        server,
        ca,
        {
            "client-certificate-data": _b64(alice.cert_pem()),
            "client-key-data": _b64(alice.key_pem()),
        },
    )
    code, out, err = await _run(kubectl, config, "--as=bob", "--as-group=devs", "--as-uid=1234")
    assert code == 0, err
    assert json.loads(out) == {
        "name": "bob",
        "groups": ["devs", auth.SYSTEM_AUTHENTICATED],
        "uid": "1234",
    }
    code, _, err = await _run(kubectl, config, "--as=bob", "--as-group=devs", "--as-group=root")
    assert code != 0
    assert (
        'Error from server (Forbidden): groups "root" is forbidden: User "alice" cannot '
        'impersonate resource "groups" in API group "" at the cluster scope'
    ) in err
