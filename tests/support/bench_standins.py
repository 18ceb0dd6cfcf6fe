"""One-hop stand-ins for the proxy server and agent, so the benchmark's tunnel plug-in can be
exercised before the real tunnel exists.

The stand-in frontends (HTTP CONNECT over mTLS, gRPC ProxyService) dial the target
themselves on 127.0.0.1, whatever host the dial names (row 8 dials agents by host name);
the stand-in agent port accepts AgentService streams, sends the server headers and holds
them. `main()` runs them as programs with the upstream flags the plug-in passes, for
`python -m proxy_server` / `python -m proxy_agent` shims made by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import grpc
from grpc import aio
from tunnelbench import fleet

from protos._gen import agent_pb2_grpc, client_pb2, client_pb2_grpc

LOOPBACK: Final = "127.0.0.1"


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def connect_proxy(
    client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
) -> None:
    head = await client_reader.readuntil(b"\r\n\r\n")
    port = head.split(b" ")[1].decode().rsplit(":", 1)[1]
    try:
        reader, writer = await asyncio.open_connection(LOOPBACK, int(port))
    except OSError as error:
        client_writer.write(f"HTTP/1.1 502 Bad Gateway\r\n\r\n{error}".encode())
        client_writer.close()
        return
    client_writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))


PacketContext = aio.ServicerContext[client_pb2.Packet, client_pb2.Packet]


class OneHopProxyService(client_pb2_grpc.ProxyServiceServicer):
    """ProxyService that dials the target itself: DIAL_REQ -> DIAL_RSP, DATA, CLOSE."""

    # The generated base declares a generator handler; this one uses context.read/write.
    async def Proxy(  # type: ignore[override]
        self, request_iterator: object, context: PacketContext
    ) -> None:
        dial = await context.read()
        assert isinstance(dial, client_pb2.Packet)
        port = dial.dialRequest.address.rsplit(":", 1)[1]
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, int(port))
        except OSError as error:
            await context.write(self._dial_response(dial, error=str(error)))
            return
        await context.write(self._dial_response(dial, connect_id=1))
        downstream = asyncio.create_task(self._downstream(reader, context))
        try:
            while isinstance(packet := await context.read(), client_pb2.Packet):
                if packet.type == client_pb2.CLOSE_REQ:
                    break
                writer.write(packet.data.data)
                await writer.drain()
        finally:
            writer.close()
            downstream.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await downstream
        await context.write(
            client_pb2.Packet(
                type=client_pb2.CLOSE_RSP, closeResponse=client_pb2.CloseResponse(connectID=1)
            )
        )

    @staticmethod
    def _dial_response(
        dial: client_pb2.Packet, *, connect_id: int = 0, error: str = ""
    ) -> client_pb2.Packet:
        return client_pb2.Packet(
            type=client_pb2.DIAL_RSP,
            dialResponse=client_pb2.DialResponse(
                random=dial.dialRequest.random, connectID=connect_id, error=error
            ),
        )

    @staticmethod
    async def _downstream(reader: asyncio.StreamReader, context: PacketContext) -> None:
        while data := await reader.read(1 << 20):
            await context.write(
                client_pb2.Packet(
                    type=client_pb2.DATA, data=client_pb2.Data(connectID=1, data=data)
                )
            )


class HoldingAgentService(agent_pb2_grpc.AgentServiceServicer):
    """Accepts agent streams, sends serverID/serverCount at once, then holds them open."""

    async def Connect(  # type: ignore[override]
        self, request_iterator: object, context: PacketContext
    ) -> None:
        await context.send_initial_metadata((("serverid", "stand-in"), ("servercount", "1")))
        await asyncio.Event().wait()


def server_tls_context(*, cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(cert), str(key))
    return context


def grpc_server_credentials(*, cert: Path, key: Path, ca: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=ca.read_bytes(),
        require_client_auth=True,
    )


async def run_server(args: argparse.Namespace) -> None:
    server = aio.server()
    agent_pb2_grpc.add_AgentServiceServicer_to_server(HoldingAgentService(), server)
    cluster = {"cert": args.cluster_cert, "key": args.cluster_key, "ca": args.cluster_ca_cert}
    server.add_secure_port(f"{LOOPBACK}:{args.agent_port}", grpc_server_credentials(**cluster))
    frontend = {"cert": args.server_cert, "key": args.server_key, "ca": args.server_ca_cert}
    if args.mode == "grpc":
        client_pb2_grpc.add_ProxyServiceServicer_to_server(OneHopProxyService(), server)
        server.add_secure_port(
            f"{LOOPBACK}:{args.server_port}", grpc_server_credentials(**frontend)
        )
    else:
        await asyncio.start_server(
            connect_proxy, LOOPBACK, args.server_port, ssl=server_tls_context(**frontend)
        )
    await server.start()
    await server.wait_for_termination()


async def run_agent(args: argparse.Namespace) -> None:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=args.ca_cert.read_bytes(),
        private_key=args.agent_key.read_bytes(),
        certificate_chain=args.agent_cert.read_bytes(),
    )
    server = f"{args.proxy_server_host}:{args.proxy_server_port}"
    link = await fleet.connect_agent(server, credentials, args.agent_id, asyncio.Semaphore(1))
    if link is None:
        raise SystemExit(f"stand-in agent could not connect to {server}")
    await fleet.LightAgent(link[1]).serve()


def parse_args(role: str, argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"stand-in {role}")
    path_flags = (
        ("--cluster-cert", "--cluster-key", "--cluster-ca-cert", "--server-cert", "--server-key",
         "--server-ca-cert")
        if role == "server"
        else ("--ca-cert", "--agent-cert", "--agent-key")
    )  # fmt: skip
    for flag in path_flags:
        parser.add_argument(flag, type=Path, required=True)
    int_flags = (
        ("--server-port", "--agent-port", "--health-port")
        if role == "server"
        else ("--proxy-server-port", "--health-server-port")
    )
    for flag in int_flags:
        parser.add_argument(flag, type=int, required=True)
    text_flags = (
        ("--mode", "--proxy-strategies")
        if role == "server"
        else ("--proxy-server-host", "--agent-id", "--agent-identifiers")
    )
    for flag in text_flags:
        parser.add_argument(flag, required=True)
    return parser.parse_args(argv)


def main(role: str) -> int:
    """Entry point of the `proxy_server`/`proxy_agent` shims; `--help` exits 0."""
    args = parse_args(role, sys.argv[1:])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_server(args) if role == "server" else run_agent(args))
    return 0
