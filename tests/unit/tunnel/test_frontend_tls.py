"""The HTTP CONNECT frontend's TLS context: our CA only, client certificates required, and no
session tickets (clients do not resume; minting them is a third of a handshake's CPU)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from proxy_server.config import TLSFiles
from proxy_server.server import server_ssl_context
from tests.support.certs import Pair, TestCA


def handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> None:
    """Run a TLS handshake in memory; raise ssl.SSLError if either side refuses."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_end = server.wrap_bio(to_server, to_client, server_side=True)
    out, into = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_end = client.wrap_bio(into, out, server_hostname="localhost")
    done = [False, False]
    for _ in range(10):
        for index, end in enumerate((client_end, server_end)):
            if not done[index]:
                try:
                    end.do_handshake()
                    done[index] = True
                except ssl.SSLWantReadError:
                    pass
            to_server.write(out.read())
            into.write(to_client.read())
        if all(done):
            client_end.write(b"x")  # TLS 1.3 reports a refused client certificate here
            to_server.write(out.read())
            server_end.read(1)
            return
    raise AssertionError("handshake did not finish")


def client_context(ca: TestCA, pair: Pair | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca.path))
    if pair is not None:
        context.load_cert_chain(pair.cert, pair.key)
    return context


def test_frontend_context_requires_a_client_certificate_from_our_ca(tmp_path: Path) -> None:
    ours, other = TestCA(tmp_path), TestCA(tmp_path, name="other-ca")
    served = ours.issue("server", "proxy-server", server=True)
    context = server_ssl_context(TLSFiles(cert=served.cert, key=served.key, ca=ours.path))
    assert context.num_tickets == 0
    assert context.verify_mode is ssl.CERT_REQUIRED

    handshake(context, client_context(ours, ours.issue("client", "hub-client")))
    with pytest.raises(ssl.SSLError):
        handshake(context, client_context(ours, other.issue("stranger", "hub-client")))
    with pytest.raises(ssl.SSLError):
        handshake(context, client_context(ours, None))
