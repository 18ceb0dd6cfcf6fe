"""`AgentEndpoint`: the agent's side of one agent-to-server stream, as a pure state machine.

The transport feeds it every packet the server sends (`receive_packet`), acts on the events it
returns (dial a socket, write bytes, close a socket), reports outcomes back (`dial_succeeded`,
`dial_failed`, `send_data`, `closed`), and after every call flushes `packets_to_send()` to the
server. It never does I/O and never decides *how* to dial; `resolve` decides *whether* to.

Flow control (`flow.py`): the transport reports `consumed(conn_id, n)` as each connection's
socket takes bytes, and reads a socket only while `send_allowance(conn_id)` is positive. With
`credit` negotiated the endpoint grants and obeys windows; without it, it still counts the
bytes each connection holds (`held`) so the transport can apply its stalled-connection policy.

Half-close (`halfclose.py`): the transport reports a socket's EOF with `socket_ended`, which
says whether the connection lives on for the other direction; `HalfClosed` asks it to shut
the socket's write side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError, TunnelError
from protos.tunnel.events import (
    CloseRequested,
    CreditGranted,
    DataReceived,
    DialCancelled,
    DialRequested,
    Event,
    HalfClosed,
)
from protos.tunnel.flow import DEFAULT_WINDOW, ReceiveWindow, SendWindow
from protos.tunnel.states import RECEIVING, ConnState, Input, next_state

# ANP parity: these reason strings are what upstream agents answer.
UNRECOGNIZED_CONN: Final = "unrecognized connectID"
UNKNOWN_CONN: Final = "Unknown connectID"


class DialRefusedError(TunnelError):
    """`resolve` refuses a dial; the message goes back to the dialer in DIAL_RSP.error."""


Resolver = Callable[[str], str]
"""Maps a requested `host:port` to the address to dial, or raises `DialRefusedError`."""


class AgentEndpoint:
    def __init__(
        self,
        resolve: Resolver,
        *,
        credit: bool = False,
        half_close: bool = False,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        """`credit`, `half_close`: the server negotiated those features; `window`: bytes per
        connection the server may send ahead of the target socket."""
        self._resolve = resolve
        self.credit = credit
        self.half_close = half_close
        self._window = window
        self._outbox: list[Packet] = []
        #: Dials in flight: dial id -> cancelled by the server?
        self._dials: dict[int, bool] = {}
        self._conns: dict[int, ConnState] = {}
        self._receiving: dict[int, ReceiveWindow] = {}
        self._sending: dict[int, SendWindow] = {}
        # ANP parity: connectIDs count from 1 per server stream.
        self._next_conn_id = 1
        self.draining = False

    # -- state for health checks and leak tests ------------------------------------------------
    @property
    def open_connections(self) -> int:
        return len(self._conns)

    @property
    def pending_dials(self) -> int:
        return len(self._dials)

    def held(self, conn_id: int) -> int:
        """Bytes received for `conn_id` that its socket has not taken yet."""
        window = self._receiving.get(conn_id)
        return window.held if window is not None else 0

    def send_allowance(self, conn_id: int) -> int | None:
        """Bytes of `conn_id` we may send now; None means no limit (plain ANP)."""
        window = self._sending.get(conn_id)
        return window.credit if window is not None else None

    def packets_to_send(self) -> list[Packet]:
        """Packets for the server, in order; call after every other method."""
        out, self._outbox = self._outbox, []
        return out

    # -- input from the server -----------------------------------------------------------------
    def receive_packet(self, packet: Packet) -> list[Event]:
        """Handle one packet from the server; act on the returned events, then flush."""
        packets.check_payload(packet)
        kind = packet.type
        if kind == packets.DATA:
            return self._on_data(packet.data.connectID, packet.data.data)
        if kind == packets.DIAL_REQ:
            req = packet.dialRequest
            return self._on_dial_request(req.random, req.address, req.protocol)
        if kind == packets.CLOSE_REQ:
            return self._on_close_request(packet.closeRequest.connectID)
        if kind == packets.DIAL_CLS:
            return self._on_dial_close(packet.closeDial.random)
        if kind == packets.CREDIT and self.credit:
            return self._on_credit(packet.data.connectID, packets.credit_grant(packet))
        if kind == packets.HALF_CLOSE and self.half_close:
            return self._on_half_close(packet.data.connectID)
        raise RemoteProtocolError(
            f"the server sent {packets.type_name(kind)}, which only agents send"
        )

    def _on_dial_request(self, dial_id: int, address: str, protocol: str) -> list[Event]:
        if dial_id in self._dials:
            raise RemoteProtocolError(f"DIAL_REQ reuses dial id {dial_id} while it is in flight")
        if protocol not in ("tcp", ""):
            error = f"unsupported protocol {protocol!r}: only tcp is supported"
            self._outbox.append(packets.dial_response(dial_id, error=error))
            return []
        try:
            target = self._resolve(address)
        except DialRefusedError as exc:
            self._outbox.append(packets.dial_response(dial_id, error=str(exc)))
            return []
        self._dials[dial_id] = False
        return [DialRequested(dial_id, address, target)]

    def _on_data(self, conn_id: int, payload: bytes) -> list[Event]:
        if conn_id == 0:
            raise RemoteProtocolError("DATA with connectID 0")
        state = self._conns.get(conn_id)
        if state is None:
            self._outbox.append(packets.close_response(conn_id, UNRECOGNIZED_CONN))
            return []
        next_state(state, Input.DATA, remote=True)
        window = self._receiving.get(conn_id)
        if window is not None:
            window.received(len(payload))
        if state not in RECEIVING:
            # Bytes for a connection we are closing have nowhere to go: consumed at once.
            self.consumed(conn_id, len(payload))
            return []
        return [DataReceived(conn_id, payload)]

    def _on_credit(self, conn_id: int, grant: int) -> list[Event]:
        window = self._sending.get(conn_id)
        if window is None:
            return []  # crossed our CLOSE_RSP
        window.grant(grant)
        return [CreditGranted(conn_id, window.credit)]

    def _on_close_request(self, conn_id: int) -> list[Event]:
        state = self._conns.get(conn_id)
        if state is None:
            self._outbox.append(packets.close_response(conn_id, UNKNOWN_CONN))
            return []
        self._conns[conn_id] = next_state(state, Input.CLOSE_REQ, remote=True)
        return [CloseRequested(conn_id)] if state is not ConnState.CLOSING else []

    def _on_half_close(self, conn_id: int) -> list[Event]:
        state = self._conns.get(conn_id)
        if state is None:
            return []  # crossed our CLOSE_RSP
        after = next_state(state, Input.EOF_RECEIVED, remote=True)
        self._conns[conn_id] = after
        if state is ConnState.EOF_SENT:
            return [CloseRequested(conn_id)]  # both directions ended: close, answer CLOSE_RSP
        return [HalfClosed(conn_id)] if after is ConnState.EOF_RECEIVED else []

    def _on_dial_close(self, dial_id: int) -> list[Event]:
        # Upstream agents ignore DIAL_CLS, leaking the socket when the dial completes; we drop it.
        if dial_id not in self._dials or self._dials[dial_id]:
            return []
        self._dials[dial_id] = True
        return [DialCancelled(dial_id)]

    # -- outcomes reported by the transport ----------------------------------------------------
    def dial_succeeded(self, dial_id: int) -> int | None:
        """The socket for `dial_id` is up: its connectID, or None if the server gave up on it
        (then close the socket; the server has nobody to give it to)."""
        cancelled = self._pop_dial(dial_id)
        if cancelled:
            return None
        conn_id = self._next_conn_id
        self._next_conn_id += 1
        self._conns[conn_id] = ConnState.OPEN
        self._outbox.append(packets.dial_response(dial_id, conn_id))
        receiving = ReceiveWindow(self._window, enforce=self.credit)
        self._receiving[conn_id] = receiving
        if self.credit:
            self._sending[conn_id] = SendWindow()
            grant = receiving.opening_grant()
            if grant:
                self._outbox.append(packets.credit(conn_id, grant))
        return conn_id

    def dial_failed(self, dial_id: int, error: str) -> None:
        if not self._pop_dial(dial_id):
            self._outbox.append(packets.dial_response(dial_id, error=error))

    def send_data(self, conn_id: int, payload: bytes) -> None:
        """Bytes read from the socket of `conn_id`, for the server."""
        state = self._conns.get(conn_id)
        if state is None:
            raise LocalProtocolError(f"send_data on connection {conn_id}, which is not open")
        # ANP parity: data read before a close request is still flushed while CLOSING.
        next_state(state, Input.SEND, remote=False)
        sending = self._sending.get(conn_id)
        if sending is not None:
            sending.take(len(payload))
        self._outbox.append(packets.data(conn_id, payload))

    def consumed(self, conn_id: int, n: int) -> None:
        """The socket of `conn_id` took `n` of the bytes received for it (grants credit back)."""
        window = self._receiving.get(conn_id)
        if window is None:
            return  # closed meanwhile: the window went with it
        grant = window.consumed(n)
        if grant:
            self._outbox.append(packets.credit(conn_id, grant))

    def socket_ended(self, conn_id: int) -> bool:
        """The socket of `conn_id` read EOF. True: the connection lives on half-closed (keep
        writing to the socket); False: it is closed (CLOSE_RSP queued), so close the socket."""
        state = self._conns.get(conn_id)
        if self.half_close and state is ConnState.OPEN:
            self._conns[conn_id] = next_state(state, Input.EOF_SENT, remote=False)
            self._outbox.append(packets.half_close(conn_id))
            return True
        self.closed(conn_id)
        return False

    def closed(self, conn_id: int, error: str = "") -> None:
        """The socket of `conn_id` is closed (remote EOF, error, or after CloseRequested).

        Idempotent, because the reading and the closing side of a transport may both report it.
        """
        if self._conns.pop(conn_id, None) is not None:
            self._receiving.pop(conn_id, None)
            self._sending.pop(conn_id, None)
            self._outbox.append(packets.close_response(conn_id, error))

    def drain(self) -> None:
        """We are shutting down: ask the server to prefer other agents (ANP DRAIN).

        Dials still arrive and are served: a server falls back to a draining agent when every
        agent for an address is draining (ANP parity).
        """
        if not self.draining:
            self.draining = True
            self._outbox.append(packets.drain())

    def _pop_dial(self, dial_id: int) -> bool:
        try:
            return self._dials.pop(dial_id)
        except KeyError:
            raise LocalProtocolError(f"dial {dial_id} is not in flight") from None
