"""Hostile or broken peers get a clear refusal; the server and its other connections go on."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import grpc
import pytest

from protos._gen import client_pb2
from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from proxy_server.identity import agent_subject
from tests.support.certs import TestCA
from tests.support.echo import EchoServer
from tests.support.tunnel_procs import PKI, Running, client_for, echo_port
from tests.support.wait import eventually

from .conftest import StartAgent, StartServer


async def still_serves(server: Running, pki: PKI, echo: EchoServer) -> None:
    async with client_for(server, pki) as client:
        stream = await client.dial(f"echo.default.c1:{echo_port(echo)}")
        await stream.write(b"still here")
        assert await stream.read() == b"still here"
        await stream.close()


def expose(echo: EchoServer) -> tuple[str, str]:
    port = echo_port(echo)
    return "--expose", f"echo.default:{port}=127.0.0.1:{port}"


async def test_agent_claiming_another_clusters_identity_is_refused(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    await start_agent(server, "c1", *expose(echo))
    # Holds a valid certificate for c1 (its own files: the real c1 agent reloads its own when
    # they change), but advertises c2's names.
    c1_name, c1_org = agent_subject("c1")
    c1_cert = pki.ca.issue("impostor-c1", c1_name, orgs=(c1_org,))
    impostor = await start_agent(server, "c2", *expose(echo), name="impostor", cert=c1_cert)
    await eventually(
        lambda: "does not belong to cluster 'c1'" in impostor.proc.log(),
        what="the impostor is told why",
    )
    assert "PERMISSION_DENIED" in impostor.proc.log()
    metrics = await server.metrics()
    assert metrics["konnectivity_network_proxy_server_ready_backends"] == 1
    await still_serves(server, pki, echo)


async def test_agent_certificates_without_a_cluster_or_from_another_ca_are_refused(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer, tmp_path: Path
) -> None:
    server = await start_server()
    await start_agent(server, "c1", *expose(echo))
    nameless = await start_agent(server, "c9", name="nameless", cert=pki.client)
    (tmp_path / "other").mkdir()
    other_ca = TestCA(tmp_path / "other", name="other-ca")
    stranger = await start_agent(
        server,
        "c8",
        name="stranger",
        cert=other_ca.issue("stranger", "system:open-cluster-management:cluster:c8:addon:x"),
    )
    await eventually(lambda: "names no cluster" in nameless.proc.log(), what="nameless refused")
    await eventually(
        lambda: "cannot reach proxy-server" in stranger.proc.log(),
        what="stranger's handshake failed",
    )
    await still_serves(server, pki, echo)


async def test_garbage_on_the_agent_port_does_not_hurt_the_server(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    await start_agent(server, "c1", *expose(echo))
    for junk in (b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01" + b"\x00" * 500, bytes(range(256))):
        with socket.create_connection(("127.0.0.1", server.ports["agent"]), timeout=2) as sock:
            sock.sendall(junk)
    await eventually(server.ready, what="server ready")
    await still_serves(server, pki, echo)


async def _raw_stream(
    server: Running, pki: PKI
) -> tuple[grpc.aio.Channel, grpc.aio.StreamStreamCall[Packet, Packet]]:
    channel = grpc.aio.secure_channel(
        f"127.0.0.1:{server.ports['frontend']}",
        pki.client_credentials(),
        options=[
            ("grpc.ssl_target_name_override", "localhost"),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ],
    )
    call = channel.stream_stream(
        "/ProxyService/Proxy",
        request_serializer=Packet.SerializeToString,
        response_deserializer=Packet.FromString,
    )(None)
    return channel, call


async def test_out_of_order_and_malformed_frontend_packets_are_refused(
    pki: PKI, start_server: StartServer, start_agent: StartAgent, echo: EchoServer
) -> None:
    server = await start_server()
    await start_agent(server, "c1", *expose(echo))
    await eventually(server.ready, what="server ready")

    channel, call = await _raw_stream(server, pki)
    await call.write(packets.data(7, b"too early"))
    answer = await call.read()
    assert isinstance(answer, Packet)
    assert answer.closeResponse.error == "backend not initialized"
    await call.write(client_pb2.Packet(type=client_pb2.DATA))  # DATA without its payload
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call.read()
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "payload" in (refused.value.details() or "")
    await channel.close(None)

    channel, call = await _raw_stream(server, pki)
    await call.write(packets.data(1, b"x" * (9 * 1024 * 1024)))  # over the 8 MiB limit
    with pytest.raises(grpc.aio.AioRpcError) as too_big:
        await call.read()
    assert too_big.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    await channel.close(None)
    await still_serves(server, pki, echo)


async def test_frontend_without_a_client_certificate_is_refused(
    pki: PKI, start_server: StartServer
) -> None:
    server = await start_server()
    credentials = grpc.ssl_channel_credentials(pki.ca.path.read_bytes())  # no client cert
    async with grpc.aio.secure_channel(
        f"127.0.0.1:{server.ports['frontend']}",
        credentials,
        options=[("grpc.ssl_target_name_override", "localhost")],
    ) as channel:
        call = channel.stream_stream(
            "/ProxyService/Proxy",
            request_serializer=Packet.SerializeToString,
            response_deserializer=Packet.FromString,
        )(None)
        async with asyncio.timeout(10):
            code = await call.code()
        assert code == grpc.StatusCode.UNAVAILABLE
