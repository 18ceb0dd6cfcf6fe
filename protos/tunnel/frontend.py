"""`FrontendEndpoint`: the dialing client of a `Proxy` stream (konnectivity-client's role).

Used by our hub-side dial helper and by tests. One endpoint may multiplex several connections
over one stream when the server allows it; against an upstream server use one endpoint (and
stream) per connection. The transport calls `dial`/`send_data`/`write_eof`/`close`, feeds every
packet from the server to `receive_packet`, and flushes `packets_to_send()` after each call.
"""

from __future__ import annotations

from collections.abc import Callable

from protos._gen.client_pb2 import Packet
from protos.tunnel import packets
from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError
from protos.tunnel.events import (
    ConnectionClosed,
    CreditGranted,
    DataReceived,
    DialFailed,
    DialSucceeded,
    Event,
    HalfClosed,
)
from protos.tunnel.flow import DEFAULT_WINDOW, ReceiveWindow, SendWindow
from protos.tunnel.states import RECEIVING, ConnState, Input, next_state


class FrontendEndpoint:
    def __init__(
        self,
        next_dial_id: Callable[[], int],
        *,
        credit: bool = False,
        half_close: bool = False,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self._next_dial_id = next_dial_id
        self.credit = credit
        self.half_close = half_close
        self._window = window
        self._receiving: dict[int, ReceiveWindow] = {}
        self._sending: dict[int, SendWindow] = {}
        self._outbox: list[Packet] = []
        self._dials: set[int] = set()
        #: Dials we gave up on: if the server still answers, we close what it opened.
        self._abandoned: set[int] = set()
        self._conns: dict[int, ConnState] = {}

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    @property
    def pending_dials(self) -> int:
        return len(self._dials)

    def held(self, conn_id: int) -> int:
        window = self._receiving.get(conn_id)
        return window.held if window is not None else 0

    def send_allowance(self, conn_id: int) -> int | None:
        """Bytes of `conn_id` we may send now; None means no limit (plain ANP)."""
        window = self._sending.get(conn_id)
        return window.credit if window is not None else None

    def consumed(self, conn_id: int, n: int) -> None:
        """The application read `n` of the bytes received for `conn_id`."""
        window = self._receiving.get(conn_id)
        if window is None:
            return
        grant = window.consumed(n)
        if grant:
            self._outbox.append(packets.credit(conn_id, grant))

    def packets_to_send(self) -> list[Packet]:
        out, self._outbox = self._outbox, []
        return out

    # -- commands ------------------------------------------------------------------------------
    def dial(self, address: str) -> int:
        """Ask for a connection to `address`; returns the dial id its outcome will carry."""
        dial_id = self._next_dial_id()
        while dial_id in self._dials or dial_id in self._abandoned or dial_id == 0:
            dial_id = self._next_dial_id()
        self._dials.add(dial_id)
        self._outbox.append(packets.dial_request(address, dial_id))
        return dial_id

    def cancel_dial(self, dial_id: int) -> None:
        """Give up on a dial (DIAL_CLS). A DIAL_RSP that crosses it is closed at once."""
        if dial_id in self._dials:
            self._dials.discard(dial_id)
            self._abandoned.add(dial_id)
            self._outbox.append(packets.close_dial(dial_id))

    def send_data(self, conn_id: int, payload: bytes) -> None:
        state = self._conns.get(conn_id)
        if state is None or state is ConnState.CLOSING:
            raise LocalProtocolError(f"connection {conn_id} is not open")
        next_state(state, Input.SEND, remote=False)
        sending = self._sending.get(conn_id)
        if sending is not None:
            sending.take(len(payload))
        self._outbox.append(packets.data(conn_id, payload))

    def write_eof(self, conn_id: int) -> None:
        """We send no more bytes of `conn_id`. With `half_close` negotiated the other direction
        stays open (HALF_CLOSE); otherwise, or once the server's side ended too, this closes
        the connection as `close` does."""
        state = self._conns.get(conn_id)
        if self.half_close and state is ConnState.OPEN:
            self._conns[conn_id] = next_state(state, Input.EOF_SENT, remote=False)
            self._outbox.append(packets.half_close(conn_id))
        elif state is not ConnState.EOF_SENT:
            self.close(conn_id)

    def close(self, conn_id: int) -> None:
        """Close the connection (both directions); ConnectionClosed follows from the server."""
        state = self._conns.get(conn_id)
        if state is None or state is ConnState.CLOSING:
            return
        self._conns[conn_id] = next_state(state, Input.CLOSE_REQ, remote=False)
        self._outbox.append(packets.close_request(conn_id))

    # -- input from the server -----------------------------------------------------------------
    def receive_packet(self, packet: Packet) -> list[Event]:
        packets.check_payload(packet)
        kind = packet.type
        if kind == packets.DATA:
            return self._on_data(packet.data.connectID, packet.data.data)
        if kind == packets.DIAL_RSP:
            rsp = packet.dialResponse
            return self._on_dial_response(rsp.random, rsp.connectID, rsp.error)
        if kind == packets.CLOSE_RSP:
            rsp2 = packet.closeResponse
            return self._on_closed(rsp2.connectID, rsp2.error)
        if kind == packets.DIAL_CLS:
            dial_id = packet.closeDial.random
            if dial_id in self._dials:
                self._dials.discard(dial_id)
                return [DialFailed(dial_id, "dial closed by the agent")]
            return []
        if kind == packets.CREDIT and self.credit:
            return self._on_credit(packet.data.connectID, packets.credit_grant(packet))
        if kind == packets.HALF_CLOSE and self.half_close:
            return self._on_half_close(packet.data.connectID)
        raise RemoteProtocolError(f"the server sent {packets.type_name(kind)} to a frontend")

    def _on_half_close(self, conn_id: int) -> list[Event]:
        state = self._conns.get(conn_id)
        if state is None:
            raise RemoteProtocolError(f"HALF_CLOSE for connectID {conn_id}, which is not open")
        self._conns[conn_id] = next_state(state, Input.EOF_RECEIVED, remote=True)
        # After our own HALF_CLOSE (they crossed) the agent closes: CLOSE_RSP follows.
        return [HalfClosed(conn_id)] if state is not ConnState.CLOSING else []

    def _on_dial_response(self, dial_id: int, conn_id: int, error: str) -> list[Event]:
        if dial_id in self._abandoned:
            self._abandoned.discard(dial_id)
            if not error and conn_id:
                self._conns[conn_id] = ConnState.CLOSING
                self._outbox.append(packets.close_request(conn_id))
            return []
        if dial_id not in self._dials:
            raise RemoteProtocolError(f"DIAL_RSP for dial {dial_id}, which we never asked for")
        self._dials.discard(dial_id)
        if error:
            return [DialFailed(dial_id, error)]
        if conn_id == 0 or conn_id in self._conns:
            raise RemoteProtocolError(f"DIAL_RSP gave unusable connectID {conn_id}")
        self._conns[conn_id] = ConnState.OPEN
        receiving = ReceiveWindow(self._window, enforce=self.credit)
        self._receiving[conn_id] = receiving
        if self.credit:
            self._sending[conn_id] = SendWindow()
            grant = receiving.opening_grant()
            if grant:
                self._outbox.append(packets.credit(conn_id, grant))
        return [DialSucceeded(dial_id, conn_id)]

    def _on_credit(self, conn_id: int, grant: int) -> list[Event]:
        window = self._sending.get(conn_id)
        if window is None:
            return []
        window.grant(grant)
        return [CreditGranted(conn_id, window.credit)]

    def _on_data(self, conn_id: int, payload: bytes) -> list[Event]:
        state = self._conns.get(conn_id)
        if state is None:
            raise RemoteProtocolError(f"DATA for connectID {conn_id}, which is not open")
        next_state(state, Input.DATA, remote=True)
        window = self._receiving.get(conn_id)
        if window is not None:
            window.received(len(payload))
        if state not in RECEIVING:
            self.consumed(conn_id, len(payload))
            return []
        return [DataReceived(conn_id, payload)]

    def _on_closed(self, conn_id: int, error: str) -> list[Event]:
        if self._conns.pop(conn_id, None) is None:
            return []
        self._receiving.pop(conn_id, None)
        self._sending.pop(conn_id, None)
        return [ConnectionClosed(conn_id, error)]
