"""Row 8's lightweight agents against a stand-in AgentService: handshake, dial, echo, close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc import aio
from tunnelbench import fleet, pki
from tunnelbench.services import EchoProtocol

from protos._gen import agent_pb2_grpc, client_pb2

PacketContext = aio.ServicerContext[client_pb2.Packet, client_pb2.Packet]
WAIT_S = 10.0


class StandInAgentService(agent_pb2_grpc.AgentServiceServicer):
    """Sends the server headers, then hands each agent's stream to the test by agent id."""

    def __init__(self) -> None:
        self.links: dict[str, PacketContext] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.arrived = asyncio.Condition()

    async def Connect(  # type: ignore[override]
        self, request_iterator: object, context: PacketContext
    ) -> None:
        await context.send_initial_metadata((("serverid", "stand-in"), ("servercount", "1")))
        metadata = {key: str(value) for key, value in context.invocation_metadata() or ()}
        async with self.arrived:
            self.links[metadata["agentid"]] = context
            self.metadata[metadata["agentid"]] = metadata
            self.arrived.notify_all()
        await asyncio.Event().wait()  # the test drives the stream; hold it open

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(WAIT_S), self.arrived:
            await self.arrived.wait_for(lambda: len(self.links) >= count)


@pytest.fixture
async def agent_server(
    tmp_path: Path,
) -> AsyncIterator[tuple[StandInAgentService, str, pki.Bundle]]:
    certs = pki.write_bundle(tmp_path / "pki")
    service = StandInAgentService()
    server = aio.server()
    agent_pb2_grpc.add_AgentServiceServicer_to_server(service, server)
    credentials = grpc.ssl_server_credentials(
        [(certs.server.key.read_bytes(), certs.server.cert.read_bytes())],
        root_certificates=certs.ca.read_bytes(),
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    yield service, f"127.0.0.1:{port}", certs
    await server.stop(None)


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    server = await asyncio.get_running_loop().create_server(EchoProtocol, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def _next_packet(link: PacketContext) -> client_pb2.Packet:
    async with asyncio.timeout(WAIT_S):
        packet = await link.read()
    assert isinstance(packet, client_pb2.Packet)
    return packet


async def test_fleet_agents_announce_themselves_and_serve_a_dial(
    agent_server: tuple[StandInAgentService, str, pki.Bundle], echo_port: int
) -> None:
    service, address, certs = agent_server
    credentials = grpc.ssl_channel_credentials(
        root_certificates=certs.ca.read_bytes(),
        private_key=certs.agent.key.read_bytes(),
        certificate_chain=certs.agent.cert.read_bytes(),
    )
    gate = asyncio.Semaphore(2)
    names = [fleet.agent_id("t", i) for i in range(3)]
    links = await asyncio.gather(
        *(fleet.connect_agent(address, credentials, name, gate) for name in names)
    )
    async with asyncio.TaskGroup() as tasks:
        serving = [tasks.create_task(fleet.LightAgent(link[1]).serve()) for link in links if link]
        await service.wait_for(3)
        assert service.metadata["t-1"]["agentidentifiers"] == "host=t-1"

        link = service.links["t-1"]
        await link.write(
            client_pb2.Packet(
                type=client_pb2.DIAL_REQ,
                dialRequest=client_pb2.DialRequest(
                    protocol="tcp", address=f"t-1:{echo_port}", random=42
                ),
            )
        )
        answer = await _next_packet(link)
        assert (answer.type, answer.dialResponse.random) == (client_pb2.DIAL_RSP, 42)
        assert answer.dialResponse.error == ""
        connect_id = answer.dialResponse.connectID
        await link.write(
            client_pb2.Packet(
                type=client_pb2.DATA, data=client_pb2.Data(connectID=connect_id, data=b"hello")
            )
        )
        echoed = await _next_packet(link)
        assert (echoed.type, echoed.data.data) == (client_pb2.DATA, b"hello")
        await link.write(
            client_pb2.Packet(
                type=client_pb2.CLOSE_REQ,
                closeRequest=client_pb2.CloseRequest(connectID=connect_id),
            )
        )
        closed = await _next_packet(link)
        assert (closed.type, closed.closeResponse.connectID) == (client_pb2.CLOSE_RSP, connect_id)
        for task in serving:
            task.cancel()
    for link_pair in links:
        if link_pair:
            with contextlib.suppress(aio.AioRpcError):
                await link_pair[0].close(None)
