"""RelayDialer (one multiplexing frontend per cluster) and TunnelTransport, in memory: a real
Relay and an echoing AgentEndpoint; no sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from protos.tunnel import AgentEndpoint, CloseRequested, DataReceived, DialRequested, headers
from protos.tunnel.switchboard import NO_AGENT
from proxy_server.backends import Backend, BackendRegistry
from proxy_server.client import DialError
from proxy_server.dialing import RelayDialer
from proxy_server.metrics import ServerMetrics
from proxy_server.relay import Relay
from proxy_server.streams import MAX_PACKET, open_streams
from tests.support.wait import eventually


class EchoAgent:
    """Answers every dial and echoes every byte; records packet sizes."""

    def __init__(self, relay: Relay, cluster: str) -> None:
        self.relay = relay
        self.endpoint = AgentEndpoint(lambda address: address)
        self.backend = Backend(
            key=cluster,
            agent_id=cluster,
            identifiers=headers.parse_agent_identifiers(f"host={cluster}"),
            cluster=cluster,
        )
        self.link = relay.add_agent(self.backend)
        self.sizes: list[int] = []
        self.closed: list[int] = []

    async def run(self) -> None:
        while (packet := await self.link.get()) is not None:
            self.relay.agent_wrote(self.backend.key, packet)  # as the agent stream's writer
            for event in self.endpoint.receive_packet(packet):
                if isinstance(event, DialRequested):
                    self.endpoint.dial_succeeded(event.dial_id)
                elif isinstance(event, DataReceived):
                    self.sizes.append(len(event.data))
                    self.endpoint.send_data(event.conn_id, event.data)
                elif isinstance(event, CloseRequested):
                    self.closed.append(event.conn_id)
                    self.endpoint.closed(event.conn_id)
            for out in self.endpoint.packets_to_send():
                await self.relay.from_agent(self.backend.key, out)


@pytest.fixture
async def relay_and_agent() -> AsyncIterator[tuple[Relay, EchoAgent]]:
    relay = Relay(BackendRegistry(("destHost",)), ServerMetrics())
    agent = EchoAgent(relay, "c1")
    task = asyncio.ensure_future(agent.run())
    yield relay, agent
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_connections_share_one_frontend_and_echo(
    relay_and_agent: tuple[Relay, EchoAgent],
) -> None:
    relay, agent = relay_and_agent
    dialer = RelayDialer(relay)
    streams = [await open_streams(await dialer.dial("c1", "c1:443")) for _ in range(3)]
    assert relay.switchboard.frontends == 1
    assert relay.switchboard.connections == 3
    for i, (reader, writer) in enumerate(streams):
        writer.write(f"ping {i}".encode())
        assert await reader.readexactly(6) == f"ping {i}".encode()
    for _, writer in streams:
        writer.close()
    await eventually(lambda: relay.switchboard.connections == 0, timeout=5, what="closes")
    assert sorted(agent.closed) == [1, 2, 3]
    await dialer.close()
    assert relay.switchboard.frontends == 0


async def test_large_writes_are_split_into_bounded_packets(
    relay_and_agent: tuple[Relay, EchoAgent],
) -> None:
    relay, agent = relay_and_agent
    dialer = RelayDialer(relay)
    reader, writer = await open_streams(await dialer.dial("c1", "c1:443"))
    payload = bytes(range(256)) * (3 * MAX_PACKET // 256 + 7)
    writer.write(payload)
    async with asyncio.timeout(5):
        assert await reader.readexactly(len(payload)) == payload
    assert max(agent.sizes) <= MAX_PACKET
    assert len(agent.sizes) >= 4
    writer.close()
    await dialer.close()


async def test_dial_to_a_cluster_without_agent_fails_with_the_reason(
    relay_and_agent: tuple[Relay, EchoAgent],
) -> None:
    relay, _ = relay_and_agent
    dialer = RelayDialer(relay)
    with pytest.raises(DialError, match=NO_AGENT):
        await dialer.dial("c9", "c9:443")
    await dialer.close()


async def test_agent_loss_ends_open_connections(
    relay_and_agent: tuple[Relay, EchoAgent],
) -> None:
    relay, agent = relay_and_agent
    dialer = RelayDialer(relay)
    reader, _ = await open_streams(await dialer.dial("c1", "c1:443"))
    relay.remove_agent(agent.backend.key)
    async with asyncio.timeout(5):
        assert await reader.read() == b""
    await dialer.close()
