"""The relay with an in-memory credit agent (no sockets): a connection nobody reads holds one
window, and its neighbour on the same agent stream, and on the same in-process dialer path,
still moves everything."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from protos.tunnel import AgentEndpoint, DialRequested, headers
from protos.tunnel.flow import DEFAULT_WINDOW
from proxy_server.backends import Backend, BackendRegistry
from proxy_server.dialing import RelayDialer
from proxy_server.metrics import ServerMetrics
from proxy_server.relay import Relay

CHUNK = 256 * 1024
NEIGHBOUR_BYTES = 16 * 1024 * 1024


class SourceAgent:
    """Answers every dial, then sends each connection bytes as fast as its credit allows."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.endpoint = AgentEndpoint(lambda address: address, credit=True)
        self.backend = Backend(
            key="c1",
            agent_id="c1",
            identifiers=headers.parse_agent_identifiers("host=c1"),
            cluster="c1",
        )
        self.link = relay.add_agent(self.backend, credit=True)
        self.conns: list[int] = []

    async def run(self) -> None:
        while (packet := await self.link.get()) is not None:
            self.relay.agent_wrote(self.backend.key, packet)
            for event in self.endpoint.receive_packet(packet):
                if isinstance(event, DialRequested):
                    conn = self.endpoint.dial_succeeded(event.dial_id)
                    assert conn is not None
                    self.conns.append(conn)
            for conn in self.conns:
                allowance = self.endpoint.send_allowance(conn) or 0
                while allowance > 0:
                    size = min(CHUNK, allowance)
                    self.endpoint.send_data(conn, b"s" * size)
                    allowance -= size
            for out in self.endpoint.packets_to_send():
                await self.relay.from_agent(self.backend.key, out)


@pytest.fixture
async def relay_and_agent() -> AsyncIterator[tuple[Relay, SourceAgent]]:
    relay = Relay(BackendRegistry(("destHost",)), ServerMetrics())
    agent = SourceAgent(relay)
    task = asyncio.ensure_future(agent.run())
    yield relay, agent
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_unread_connection_on_a_dialer_path_does_not_block_its_neighbour(
    relay_and_agent: tuple[Relay, SourceAgent],
) -> None:
    relay, agent = relay_and_agent
    dialer = RelayDialer(relay)
    await dialer.dial("c1", "c1:1")  # never read
    neighbour = await dialer.dial("c1", "c1:2")
    got = 0
    async with asyncio.timeout(30):
        while got < NEIGHBOUR_BYTES:
            got += len(await neighbour.read())
    stalled_conn = agent.conns[0]
    from_agent, _ = relay.switchboard.held_for("c1", stalled_conn)
    assert from_agent <= DEFAULT_WINDOW
    assert agent.endpoint.send_allowance(stalled_conn) == 0, "the stalled one waits for credit"
    await dialer.close()
