"""Dialers: how hub-side code opens a tunnel connection to `address` in `cluster`.

* `RelayDialer` (in-process, next to the relay): one long-lived, multiplexing frontend per
  cluster (`Relay.add_frontend(single_use=False)`); each dial is a DIAL_REQ on it and each
  connection gets a frontend-local id. No gRPC stream per request (upstream's user-server opens
  one konnectivity tunnel per HTTP request).
* `ClientDialer` (another process): one `Proxy` stream per connection through `TunnelClient`,
  which works against upstream proxy-servers too.

Both return a `streams.TunnelConnection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Final, Protocol

from protos._gen.client_pb2 import Packet
from protos.tunnel import RemoteProtocolError, packets
from proxy_server.client import DialError, TunnelClient, TunnelStream
from proxy_server.relay import Link, Relay
from proxy_server.streams import TunnelConnection

logger = logging.getLogger(__name__)

DIAL_TIMEOUT: Final = 30.0

_random = random.SystemRandom()


class Dialer(Protocol):
    async def dial(self, cluster: str, address: str) -> TunnelConnection:
        """A connection to `address` through `cluster`'s agent; DialError says why not."""
        ...

    async def close(self) -> None: ...


class ClientDialer:
    """Dials through a proxy-server's gRPC frontend, one `Proxy` stream per connection."""

    def __init__(self, client: TunnelClient, *, timeout: float = DIAL_TIMEOUT) -> None:
        self._client = client
        self._timeout = timeout

    async def dial(self, cluster: str, address: str) -> TunnelConnection:
        return _ClientConnection(await self._client.dial(address, timeout=self._timeout))

    async def close(self) -> None:
        await self._client.close()


class _ClientConnection:
    """A `TunnelStream` whose close does not read (a transport's reader task does)."""

    def __init__(self, stream: TunnelStream) -> None:
        self._stream = stream

    async def read(self) -> bytes:
        return await self._stream.read()

    async def write(self, data: bytes) -> None:
        await self._stream.write(data)

    async def close(self) -> None:
        await self._stream.shutdown()


class RelayDialer:
    """Dials through the in-process relay: one multiplexing frontend per cluster."""

    def __init__(self, relay: Relay, *, timeout: float = DIAL_TIMEOUT) -> None:
        self._relay = relay
        self._timeout = timeout
        self._paths: dict[str, _Path] = {}

    async def dial(self, cluster: str, address: str) -> TunnelConnection:
        path = self._paths.get(cluster)
        if path is None or path.ended:
            path = self._paths[cluster] = _Path(self._relay, cluster)
        return await path.dial(address, self._timeout)

    async def close(self) -> None:
        paths, self._paths = list(self._paths.values()), {}
        for path in paths:
            await path.close()

    @property
    def open_connections(self) -> int:
        return sum(len(p.connections) for p in self._paths.values())


class _Path:
    """One non-single-use frontend on the relay and the task that reads its link."""

    def __init__(self, relay: Relay, cluster: str) -> None:
        self._relay = relay
        self.cluster = cluster
        self.frontend, self._link = relay.add_frontend(single_use=False)
        self._dials: dict[int, asyncio.Future[RelayConnection]] = {}
        self.connections: dict[int, RelayConnection] = {}
        self.ended = False
        self._reader = asyncio.ensure_future(self._read(self._link))

    async def dial(self, address: str, timeout: float) -> RelayConnection:
        dial_id = _random.randrange(1, 1 << 62)
        answer: asyncio.Future[RelayConnection] = asyncio.get_running_loop().create_future()
        self._dials[dial_id] = answer
        try:
            await self._relay.from_frontend(self.frontend, packets.dial_request(address, dial_id))
            async with asyncio.timeout(timeout):
                return await answer
        except TimeoutError:
            await self.send(packets.close_dial(dial_id))
            raise DialError(
                f"dial {address}: no answer from the agent within {timeout:g}s"
            ) from None
        finally:
            self._dials.pop(dial_id, None)

    async def send(self, packet: Packet) -> None:
        try:
            await self._relay.from_frontend(self.frontend, packet)
        except RemoteProtocolError as exc:
            raise ConnectionResetError(str(exc)) from exc

    async def _read(self, link: Link) -> None:
        try:
            while True:
                packet = await link.get()
                if packet is None:
                    return
                await self._dispatch(packet)
        finally:
            self._end("the proxy-server ended the tunnel path")

    async def _dispatch(self, packet: Packet) -> None:
        kind = packet.type
        if kind == packets.DATA:
            connection = self.connections.get(packet.data.connectID)
            if connection is None:
                self.delivered(packet)  # nobody to give it to: it is gone, not held
            else:
                # Never wait here: the path carries every connection to the cluster. What a
                # connection holds is bounded by the relay (credit window or stall policy),
                # which learns of each read through `delivered`.
                connection.inbound.put_nowait(packet)
        elif kind == packets.DIAL_RSP:
            rsp = packet.dialResponse
            answer = self._dials.get(rsp.random)
            if answer is None or answer.done():
                if not rsp.error and rsp.connectID:  # nobody waits any more: free it
                    await self.send(packets.close_request(rsp.connectID))
            elif rsp.error:
                answer.set_exception(DialError(rsp.error))
            else:
                # Registered now, not when dial() resumes: the agent's first bytes may be
                # right behind the DIAL_RSP (server-first protocols) and must not be dropped.
                connection = RelayConnection(self, rsp.connectID)
                self.connections[rsp.connectID] = connection
                answer.set_result(connection)
        elif kind == packets.CLOSE_RSP:
            closed = self.connections.pop(packet.closeResponse.connectID, None)
            if closed is not None:
                closed.ended(packet.closeResponse.error)
        elif kind == packets.DIAL_CLS:
            answer = self._dials.get(packet.closeDial.random)
            if answer is not None and not answer.done():
                answer.set_exception(DialError("dial closed by the agent"))

    def _end(self, reason: str) -> None:
        self.ended = True
        for answer in self._dials.values():
            if not answer.done():
                answer.set_exception(DialError(reason))
        connections, self.connections = list(self.connections.values()), {}
        for connection in connections:
            connection.ended(reason)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        self._relay.remove_frontend(self.frontend)

    def delivered(self, packet: Packet) -> None:
        """A connection's reader took `packet`: its bytes count as written onwards."""
        self._relay.frontend_wrote(self.frontend, packet)


class RelayConnection:
    """One connection on a path; `inbound` holds its DATA packets, None marks its end."""

    def __init__(self, path: _Path, conn_id: int) -> None:
        self._path = path
        self.conn_id = conn_id
        self.inbound: asyncio.Queue[Packet | None] = asyncio.Queue()
        self.error: str | None = None
        self._closing = False
        self._ended = False

    async def read(self) -> bytes:
        if self._ended and self.inbound.empty():
            return b""
        packet = await self.inbound.get()
        if packet is None:
            return b""
        self._path.delivered(packet)
        return packet.data.data

    async def write(self, data: bytes) -> None:
        if self._ended:
            raise ConnectionResetError(f"connection closed: {self.error or 'by peer'}")
        await self._path.send(packets.data(self.conn_id, data))

    async def close(self) -> None:
        if self._closing or self._ended:
            return
        self._closing = True
        await self._path.send(packets.close_request(self.conn_id))

    def ended(self, error: str) -> None:
        """The far side confirmed the end (CLOSE_RSP), or the whole path is gone."""
        self._ended = True
        self.error = error
        self.inbound.put_nowait(None)
