"""Lightweight konnectivity agents for row 8: many agents per process, one server.

Each agent has its own mTLS channel (a local subchannel pool, so its own TCP connection, as
separate clusters would), opens `/AgentService/Connect` with `agentid` and
`agentidentifiers: host=<agent id>` metadata, and serves dials by connecting to the port of
the requested address on 127.0.0.1: enough protocol for a dial and an echo, nothing more.
Run as `python -m tunnelbench.fleet ...`; prints one JSON line once every agent has its
server headers (or gave up), then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import grpc
from grpc import aio

from protos._gen import client_pb2

CONNECT_METHOD: Final = "/AgentService/Connect"
CONNECT_TIMEOUT_S: Final = 60.0
CONNECTING_AT_ONCE: Final = 32
"""TLS handshakes in flight per process: a herd of 1,000 at once is not what we measure."""
READ_SIZE: Final = 1 << 16
CHANNEL_OPTIONS: Final = (
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.ssl_target_name_override", "localhost"),
    ("grpc.max_receive_message_length", -1),
)

Call = aio.StreamStreamCall[client_pb2.Packet, client_pb2.Packet]


def agent_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index}"


class LightAgent:
    """One agent stream: dials, relays DATA, answers CLOSE_REQ. One writer task per stream,
    since grpc.aio allows one write in flight per call."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self._outgoing: asyncio.Queue[client_pb2.Packet] = asyncio.Queue(maxsize=256)
        self._connections: dict[int, asyncio.StreamWriter] = {}
        self._next_id = 1

    async def serve(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._write_loop())
            while isinstance(packet := await self._call.read(), client_pb2.Packet):
                if packet.type == client_pb2.DIAL_REQ:
                    tasks.create_task(self._dial(packet.dialRequest))
                elif packet.type == client_pb2.DATA:
                    writer = self._connections.get(packet.data.connectID)
                    if writer is not None:
                        writer.write(packet.data.data)
                elif packet.type == client_pb2.CLOSE_REQ:
                    await self._close(packet.closeRequest.connectID)
            raise EOFError("server ended the agent stream")

    async def _write_loop(self) -> None:
        while True:
            await self._call.write(await self._outgoing.get())

    async def _dial(self, request: client_pb2.DialRequest) -> None:
        port = int(request.address.rsplit(":", 1)[1])
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as error:
            await self._outgoing.put(_dial_response(request.random, error=str(error)))
            return
        connect_id = self._next_id
        self._next_id += 1
        self._connections[connect_id] = writer
        await self._outgoing.put(_dial_response(request.random, connect_id=connect_id))
        while data := await reader.read(READ_SIZE):
            await self._outgoing.put(
                client_pb2.Packet(
                    type=client_pb2.DATA, data=client_pb2.Data(connectID=connect_id, data=data)
                )
            )
        await self._close(connect_id)

    async def _close(self, connect_id: int) -> None:
        writer = self._connections.pop(connect_id, None)
        if writer is None:
            return
        writer.close()
        await self._outgoing.put(
            client_pb2.Packet(
                type=client_pb2.CLOSE_RSP,
                closeResponse=client_pb2.CloseResponse(connectID=connect_id),
            )
        )


def _dial_response(random: int, *, connect_id: int = 0, error: str = "") -> client_pb2.Packet:
    return client_pb2.Packet(
        type=client_pb2.DIAL_RSP,
        dialResponse=client_pb2.DialResponse(random=random, connectID=connect_id, error=error),
    )


async def connect_agent(
    server: str, credentials: grpc.ChannelCredentials, name: str, gate: asyncio.Semaphore
) -> tuple[aio.Channel, Call] | None:
    async with gate:
        channel = aio.secure_channel(server, credentials, options=CHANNEL_OPTIONS)
        connect: aio.StreamStreamMultiCallable[client_pb2.Packet, client_pb2.Packet] = (
            channel.stream_stream(
                CONNECT_METHOD,
                request_serializer=client_pb2.Packet.SerializeToString,
                response_deserializer=client_pb2.Packet.FromString,
            )
        )
        call = connect(None, metadata=(("agentid", name), ("agentidentifiers", f"host={name}")))
        try:
            # Upstream agents wait for serverID/serverCount before anything else.
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await call.initial_metadata()
        except (aio.AioRpcError, TimeoutError):
            await channel.close(None)
            return None
        return channel, call


async def run_fleet(args: argparse.Namespace, tls: tuple[bytes, bytes, bytes]) -> None:
    ca, cert, key = tls
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=cert
    )
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    names = [agent_id(args.prefix, i) for i in range(args.first, args.first + args.count)]
    links = await asyncio.gather(*(connect_agent(args.server, credentials, n, gate) for n in names))
    connected = [link for link in links if link is not None]
    sys.stdout.write(json.dumps({"connected": len(connected), "wanted": len(names)}) + "\n")
    sys.stdout.flush()
    async with asyncio.TaskGroup() as tasks:
        for _, call in connected:
            tasks.create_task(_serve_quietly(LightAgent(call)))


async def _serve_quietly(agent: LightAgent) -> None:
    # A dropped agent stream ends that agent only; the row counts dial failures instead.
    with contextlib.suppress(aio.AioRpcError, EOFError, ExceptionGroup):
        await agent.serve()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tunnelbench.fleet")
    parser.add_argument("--server", required=True, help="agent port of the proxy server, host:port")
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--prefix", default="fleet")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    import uvloop

    args = parse_args(argv)
    tls = (Path(args.ca).read_bytes(), Path(args.cert).read_bytes(), Path(args.key).read_bytes())
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run_fleet(args, tls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
