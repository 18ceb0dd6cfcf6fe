"""The HTTP CONNECT frontend as an asyncio protocol, against the relay and an in-memory echo
agent (a fake transport: no sockets): the request, the 200 after the dial, bytes both ways
with no task per connection, refusals with a status."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from protos.tunnel import AgentEndpoint, CloseRequested, DataReceived, DialRequested, headers
from proxy_server.backends import Backend, BackendRegistry
from proxy_server.metrics import ServerMetrics
from proxy_server.relay import Relay
from proxy_server.transport.http_connect import MAX_HEADER_BYTES, ClientConnection
from tests.support.wait import eventually

ADDRESS = "svc.default.c1:80"


class EchoAgent:
    """Answers every dial and echoes every byte back, in memory."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.endpoint = AgentEndpoint(lambda address: address)
        self.backend = Backend(
            key="c1",
            agent_id="c1",
            identifiers=headers.parse_agent_identifiers("host=svc.default.c1"),
            cluster="c1",
        )
        self.link = relay.add_agent(self.backend)
        self.echoed = 0

    async def run(self) -> None:
        while (packet := await self.link.get()) is not None:
            self.relay.agent_wrote(self.backend.key, packet)
            echoing = 0
            for event in self.endpoint.receive_packet(packet):
                if isinstance(event, DialRequested):
                    self.endpoint.dial_succeeded(event.dial_id)
                elif isinstance(event, DataReceived):
                    self.endpoint.consumed(event.conn_id, len(event.data))
                    self.endpoint.send_data(event.conn_id, event.data)
                    echoing += len(event.data)
                elif isinstance(event, CloseRequested):
                    self.endpoint.closed(event.conn_id)
            for out in self.endpoint.packets_to_send():
                await self.relay.from_agent(self.backend.key, out)
            self.echoed += echoing  # handed to the frontend


class FakeTransport:
    def __init__(self, protocol: ClientConnection) -> None:
        self.protocol = protocol
        self.received = bytearray()
        self.reading = True
        self.closed = False
        #: Whether closing reports the loss at once (a real transport does so a little later).
        self.lose_on_close = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.received += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.lose_on_close:
                asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)


@pytest.fixture
async def agent() -> AsyncIterator[EchoAgent]:
    agent = EchoAgent(Relay(BackendRegistry(("destHost",)), ServerMetrics()))
    task = asyncio.ensure_future(agent.run())
    yield agent
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task  # raises what failed in the agent's task


@pytest.fixture
def relay(agent: EchoAgent) -> Relay:
    return agent.relay


def connect(relay: Relay) -> FakeTransport:
    protocol = ClientConnection(relay, half_close=False)
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return transport


async def test_bytes_sent_with_the_request_and_after_it_echo_back_after_the_200(
    relay: Relay,
) -> None:
    client = connect(relay)
    client.protocol.data_received(f"CONNECT {ADDRESS} HTTP/1.1\r\n\r\nearly".encode())
    assert not client.reading, "nothing more is read until the dial is answered"
    await eventually(lambda: client.reading, what="the tunnel is up")
    assert bytes(client.received) == b"HTTP/1.1 200 Connection Established\r\n\r\nearly"
    client.protocol.data_received(b" and later")
    await eventually(lambda: client.received.endswith(b" and later"), what="the echo")
    assert client.protocol.eof_received() is True  # kept open for the CLOSE_RSP
    await eventually(lambda: client.closed, what="closed after the agent's CLOSE_RSP")
    await eventually(lambda: relay.switchboard.connections == 0, what="no connection left")


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", b"405"),
        (b"CONNECT nowhere HTTP/1.1\r\n\r\n", b"400"),
        (b"hello\r\n\r\n", b"400"),
        (b"CONNECT a:1 HTTP/1.1\r\nX: " + b"y" * MAX_HEADER_BYTES + b"\r\n\r\n", b"431"),
    ],
)
async def test_bad_requests_get_a_status_and_are_closed(
    relay: Relay, request_head: bytes, status: bytes
) -> None:
    client = connect(relay)
    client.protocol.data_received(request_head)
    assert client.received.startswith(b"HTTP/1.1 " + status)
    assert client.closed


async def test_a_dial_nobody_can_serve_gets_503(relay: Relay) -> None:
    client = connect(relay)
    client.protocol.data_received(b"CONNECT other.default.c9:80 HTTP/1.1\r\n\r\n")
    await eventually(lambda: client.closed, what="the refusal")
    assert client.received.startswith(b"HTTP/1.1 503")


async def test_packets_after_the_close_are_dropped_not_written(
    relay: Relay, agent: EchoAgent
) -> None:
    client = connect(relay)
    client.protocol.data_received(f"CONNECT {ADDRESS} HTTP/1.1\r\n\r\n".encode())
    await eventually(lambda: client.reading, what="the tunnel is up")
    client.lose_on_close = False
    client.close()  # its connection_lost is still to come when the echo arrives
    client.protocol.data_received(b"in flight")
    await eventually(lambda: agent.echoed == len(b"in flight"), what="the echo")
    client.protocol.connection_lost(None)
    await eventually(lambda: relay.switchboard.connections == 0, what="no connection left")
