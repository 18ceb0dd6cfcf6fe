"""The one table of legal connection-state transitions.

Every party (agent endpoint, switchboard, frontend endpoint) tracks each logical connection
through these states. An input that has no entry for the current state is illegal: raised as
`RemoteProtocolError` when the peer sent it, `LocalProtocolError` when we tried it.

    DIALING --dial ok--> OPEN --close req--> CLOSING --close rsp--> CLOSED
       |                   |                                        ^
       +--dial err/cls-----+--------------close rsp (remote EOF)----+

The konnectivity protocol has no half-close: a close ends both directions. DATA may still
arrive while CLOSING, because the agent flushes what it read before answering CLOSE_RSP.

Between two of our own ends that negotiated `halfclose` (see `halfclose.py`), one direction
may end first:

    OPEN --eof sent--> EOF_SENT --eof received--> CLOSING
    OPEN --eof received--> EOF_RECEIVED --eof sent / close req--> CLOSING

EOF_SENT: we sent HALF_CLOSE and send nothing more, but still receive. EOF_RECEIVED: the peer
sent HALF_CLOSE, so more DATA from it is illegal, but we still send. Once both directions
ended the connection closes the ordinary way (the agent answers CLOSE_RSP). The switchboard
keeps one state per connection as its frontend-facing side sees it: a frontend's HALF_CLOSE is
`eof received`, an agent's HALF_CLOSE passed on to the frontend is `eof sent`.
"""

from __future__ import annotations

import enum
from typing import Final

from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError


class ConnState(enum.Enum):
    DIALING = "dialing"
    OPEN = "open"
    EOF_SENT = "half-closed (eof sent)"
    EOF_RECEIVED = "half-closed (eof received)"
    CLOSING = "closing"
    CLOSED = "closed"


class Input(enum.Enum):
    DIAL_OK = "dial succeeded"
    DIAL_ERROR = "dial failed"
    DIAL_CANCEL = "dial cancelled"
    DATA = "data"
    SEND = "data sent"
    EOF_SENT = "eof sent"
    EOF_RECEIVED = "eof received"
    CLOSE_REQ = "close requested"
    CLOSE_RSP = "close answered"


TRANSITIONS: Final[dict[tuple[ConnState, Input], ConnState]] = {
    (ConnState.DIALING, Input.DIAL_OK): ConnState.OPEN,
    (ConnState.DIALING, Input.DIAL_ERROR): ConnState.CLOSED,
    (ConnState.DIALING, Input.DIAL_CANCEL): ConnState.CLOSED,
    (ConnState.OPEN, Input.DATA): ConnState.OPEN,
    (ConnState.OPEN, Input.SEND): ConnState.OPEN,
    (ConnState.OPEN, Input.EOF_SENT): ConnState.EOF_SENT,
    (ConnState.OPEN, Input.EOF_RECEIVED): ConnState.EOF_RECEIVED,
    (ConnState.OPEN, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.OPEN, Input.CLOSE_RSP): ConnState.CLOSED,
    (ConnState.EOF_SENT, Input.DATA): ConnState.EOF_SENT,
    (ConnState.EOF_SENT, Input.EOF_RECEIVED): ConnState.CLOSING,
    (ConnState.EOF_SENT, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.EOF_SENT, Input.CLOSE_RSP): ConnState.CLOSED,
    (ConnState.EOF_RECEIVED, Input.SEND): ConnState.EOF_RECEIVED,
    (ConnState.EOF_RECEIVED, Input.EOF_SENT): ConnState.CLOSING,
    (ConnState.EOF_RECEIVED, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.EOF_RECEIVED, Input.CLOSE_RSP): ConnState.CLOSED,
    (ConnState.CLOSING, Input.DATA): ConnState.CLOSING,
    (ConnState.CLOSING, Input.SEND): ConnState.CLOSING,
    (ConnState.CLOSING, Input.EOF_RECEIVED): ConnState.CLOSING,
    (ConnState.CLOSING, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.CLOSING, Input.CLOSE_RSP): ConnState.CLOSED,
}

#: States in which the connection still carries bytes in at least one direction.
LIVE: Final = frozenset({ConnState.OPEN, ConnState.EOF_SENT, ConnState.EOF_RECEIVED})
#: States in which bytes received from the peer are handed on (not discarded).
RECEIVING: Final = frozenset({ConnState.OPEN, ConnState.EOF_SENT})


def next_state(state: ConnState, event: Input, *, remote: bool) -> ConnState:
    """The state after `event`, or the protocol error naming what was illegal."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        error = RemoteProtocolError if remote else LocalProtocolError
        raise error(f"{event.value} is not allowed while the connection is {state.value}") from None


def render_markdown() -> str:
    """The table as Markdown, for docs/tunnel-states.md."""
    lines = ["| state | input | next state |", "|---|---|---|"]
    lines += [
        f"| {state.value} | {event.value} | {after.value} |"
        for (state, event), after in TRANSITIONS.items()
    ]
    return "\n".join(lines) + "\n"
