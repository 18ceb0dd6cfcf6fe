"""`reloading_server_context` (HTTP CONNECT frontend, user-server): a rotated certificate and
CA bundle apply to the next handshake, while a connection opened before keeps working."""

from __future__ import annotations

import asyncio
import os
import ssl
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ocm_core import pki
from ocm_core.tlsfiles import TLSFileSet, reloading_server_context


def replace(path: Path, content: bytes) -> None:
    staged = path.with_name(path.name + ".new")
    staged.write_bytes(content)
    os.replace(staged, path)


def write_generation(directory: Path, ca: pki.CertificateAuthority, bundle: bytes) -> bytes:
    """Serving pair from `ca` and a client CA bundle; returns the certificate (DER)."""
    serving = pki.issue_serving_cert(ca, common_name="localhost", dns_names=("localhost",))
    replace(directory / "ca.crt", bundle)
    replace(directory / "tls.crt", serving.cert_pem())
    replace(directory / "tls.key", serving.key_pem())
    return serving.certificate.public_bytes(serialization.Encoding.DER)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


async def connect(
    port: int, trusted: bytes, client: pki.IssuedCertificate
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context(cadata=trusted.decode())
    pki.load_cert_chain_into(context, [client.certificate], client.private_key)
    return await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )


async def roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"ping")
    await writer.drain()
    async with asyncio.timeout(10):
        assert await reader.readexactly(4) == b"ping"


def served(writer: asyncio.StreamWriter) -> bytes:
    der: bytes = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return der


async def test_next_handshake_uses_the_new_files_and_open_connections_stay(
    tmp_path: Path,
) -> None:
    old_ca, new_ca = pki.create_ca("old-ca"), pki.create_ca("new-ca")
    old_cert = write_generation(tmp_path, old_ca, old_ca.cert_pem())
    files = TLSFileSet(cert=tmp_path / "tls.crt", key=tmp_path / "tls.key", ca=tmp_path / "ca.crt")
    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=reloading_server_context(files))
    port = server.sockets[0].getsockname()[1]
    old_client = pki.issue_client_cert(old_ca, user="old-client")
    new_client = pki.issue_client_cert(new_ca, user="new-client")
    try:
        before = await connect(port, old_ca.cert_pem(), old_client)
        assert served(before[1]) == old_cert

        new_cert = write_generation(tmp_path, new_ca, new_ca.cert_pem())
        after = await connect(port, new_ca.cert_pem(), new_client)
        assert served(after[1]) == new_cert
        await roundtrip(*after)
        await roundtrip(*before)  # opened before the rotation, still served

        refused = await connect(port, new_ca.cert_pem(), old_client)
        # TLS 1.3: the server checks the client certificate after the client's handshake ends.
        refused[1].write(b"ping")
        async with asyncio.timeout(10):
            assert await refused[0].read(4) == b"", "the old CA is no longer trusted"
        for _, writer in (before, after, refused):
            writer.close()
    finally:
        server.close()
