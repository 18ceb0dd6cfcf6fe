"""Real TLS handshakes on 127.0.0.1 with pki-built contexts, and x509 authentication on top."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager

import pytest

from ocm_core import pki
from ocm_core.apiserver import auth

DEADLINE_SECONDS = 10


@pytest.fixture(scope="module")
def ca() -> pki.CertificateAuthority:
    return pki.create_ca("cluster-ca", algorithm=pki.KeyAlgorithm.RSA_2048)


@pytest.fixture(scope="module")
def new_ca() -> pki.CertificateAuthority:
    return pki.create_ca("cluster-ca-next")


@pytest.fixture(scope="module")
def serving(ca: pki.CertificateAuthority) -> pki.IssuedCertificate:
    return pki.issue_serving_cert(
        ca, common_name="apiserver", dns_names=["localhost"], ip_addresses=["127.0.0.1"]
    )


def _who(peer_der: bytes | None) -> str:
    """What the server under test answers: the authenticated user name, or `anonymous`."""
    peer = pki.load_certificate_der(peer_der) if peer_der else None
    user = auth.Authenticator().authenticate(peer, None)
    return user.name if user else "anonymous"


@asynccontextmanager
async def tls_server(context: ssl.SSLContext) -> AsyncIterator[int]:
    """An echo-who-am-I server on 127.0.0.1:0; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        writer.write(_who(ssl_object.getpeercert(binary_form=True)).encode() + b"\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def ask(port: int, context: ssl.SSLContext, server_hostname: str = "127.0.0.1") -> str:
    async with asyncio.timeout(DEADLINE_SECONDS):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname=server_hostname
        )
        try:
            return (await reader.readline()).decode().strip()
        finally:
            writer.close()


async def expect_refused(answer: Coroutine[object, object, str]) -> None:
    """The server must refuse the handshake. With TLS 1.3 the client learns of the server's
    alert only when it reads, so an error or an empty answer both count as refused."""
    try:
        text = await answer
    except (ssl.SSLError, ConnectionError):
        return
    assert text == "", f"the server accepted the client and answered {text!r}"


def _server_context(
    serving: pki.IssuedCertificate, client_ca: pki.CABundle | None, require: bool = False
) -> ssl.SSLContext:
    return pki.server_ssl_context(
        [serving.certificate],
        serving.private_key,
        client_ca=client_ca,
        require_client_cert=require,
    )


def _client(
    ca: pki.CertificateAuthority, issued: pki.IssuedCertificate | None = None
) -> ssl.SSLContext:
    if issued is None:
        return pki.client_ssl_context(pki.CABundle((ca.certificate,)))
    return pki.client_ssl_context(
        pki.CABundle((ca.certificate,)), chain=[issued.certificate], key=issued.private_key
    )


async def test_mtls_client_cert_authenticates_as_cn(
    ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    alice = await asyncio.to_thread(pki.issue_client_cert, ca, user="alice", groups=["devs"])
    async with tls_server(_server_context(serving, pki.CABundle((ca.certificate,)))) as port:
        assert await ask(port, _client(ca, alice)) == "alice"
        # Optional mode: token users connect without a certificate.
        assert await ask(port, _client(ca)) == "anonymous"


async def test_untrusted_client_cert_is_refused(
    ca: pki.CertificateAuthority, new_ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    mallory = await asyncio.to_thread(pki.issue_client_cert, new_ca, user="mallory")
    async with tls_server(_server_context(serving, pki.CABundle((ca.certificate,)))) as port:
        await expect_refused(ask(port, _client(ca, mallory)))


async def test_required_client_cert(
    ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    context = _server_context(serving, pki.CABundle((ca.certificate,)), require=True)
    bob = await asyncio.to_thread(pki.issue_client_cert, ca, user="bob")
    async with tls_server(context) as port:
        assert await ask(port, _client(ca, bob)) == "bob"
        await expect_refused(ask(port, _client(ca)))


async def test_rotation_overlap_accepts_both_cas(
    ca: pki.CertificateAuthority, new_ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    bundle = pki.CABundle().with_ca(ca.certificate).with_ca(new_ca.certificate)
    old_client = await asyncio.to_thread(pki.issue_client_cert, ca, user="old")
    new_client = await asyncio.to_thread(pki.issue_client_cert, new_ca, user="new")
    both = pki.client_ssl_context(
        bundle, chain=[new_client.certificate], key=new_client.private_key
    )
    async with tls_server(_server_context(serving, bundle)) as port:
        assert await ask(port, _client(ca, old_client)) == "old"
        assert await ask(port, both) == "new"


async def test_server_san_is_checked(
    ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    async with tls_server(_server_context(serving, None)) as port:
        assert await ask(port, _client(ca), server_hostname="localhost") == "anonymous"
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            await ask(port, _client(ca), server_hostname="other.example")


async def test_serving_cert_hot_reload(
    ca: pki.CertificateAuthority, new_ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    context = _server_context(serving, None)
    trusts_new = pki.client_ssl_context(pki.CABundle((new_ca.certificate,)))
    async with tls_server(context) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            await ask(port, trusts_new)
        rotated = await asyncio.to_thread(
            pki.issue_serving_cert, new_ca, common_name="apiserver", ip_addresses=["127.0.0.1"]
        )
        pki.load_cert_chain_into(context, [rotated.certificate], rotated.private_key)
        assert await ask(port, trusts_new) == "anonymous"


async def test_csr_signed_cert_works_for_mtls(
    ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    """The OCM path: an agent builds a CSR, the hub signs it, the agent uses it."""
    key = await asyncio.to_thread(pki.generate_private_key)
    csr = pki.create_csr(key, user="system:open-cluster-management:c1:agent", groups=["c1"])
    certificate = pki.sign_csr(
        ca, csr, usages=pki.CLIENT_USAGES, signer_name=pki.SIGNER_KUBE_APISERVER_CLIENT
    )
    client = pki.client_ssl_context(pki.CABundle((ca.certificate,)), chain=[certificate], key=key)
    async with tls_server(_server_context(serving, pki.CABundle((ca.certificate,)))) as port:
        assert await ask(port, client) == "system:open-cluster-management:c1:agent"


async def test_reloadable_context_rotates_client_ca_and_serving_cert(
    ca: pki.CertificateAuthority, new_ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    """CA rotation without a restart: drop the old client CA, swap the serving certificate."""
    reloadable = pki.ReloadableServerContext(
        [serving.certificate], serving.private_key, client_ca=pki.CABundle((ca.certificate,))
    )
    old_client = await asyncio.to_thread(pki.issue_client_cert, ca, user="old")
    new_client = await asyncio.to_thread(pki.issue_client_cert, new_ca, user="new")
    trusts_both = pki.CABundle((ca.certificate, new_ca.certificate))

    def client(issued: pki.IssuedCertificate) -> ssl.SSLContext:
        return pki.client_ssl_context(
            trusts_both, chain=[issued.certificate], key=issued.private_key
        )

    async with tls_server(reloadable.context) as port:
        assert await ask(port, client(old_client)) == "old"
        await expect_refused(ask(port, client(new_client)))

        rotated = await asyncio.to_thread(
            pki.issue_serving_cert, new_ca, common_name="apiserver", ip_addresses=["127.0.0.1"]
        )
        reloadable.update(
            [rotated.certificate],
            rotated.private_key,
            client_ca=pki.CABundle((new_ca.certificate,)),
        )
        assert await ask(port, client(new_client)) == "new"
        await expect_refused(ask(port, client(old_client)))
        trusts_new_only = pki.client_ssl_context(pki.CABundle((new_ca.certificate,)))
        assert await ask(port, trusts_new_only) == "anonymous"


def test_reloadable_context_keeps_its_client_cert_mode(
    ca: pki.CertificateAuthority, serving: pki.IssuedCertificate
) -> None:
    reloadable = pki.ReloadableServerContext([serving.certificate], serving.private_key)
    with pytest.raises(pki.PKIError, match="cannot start or stop asking for client certificates"):
        reloadable.update(
            [serving.certificate], serving.private_key, client_ca=pki.CABundle((ca.certificate,))
        )
