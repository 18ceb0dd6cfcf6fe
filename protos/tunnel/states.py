"""The one table of legal connection-state transitions.

Every party (agent endpoint, switchboard, frontend endpoint) tracks each logical connection
through these states. An input that has no entry for the current state is illegal: raised as
`RemoteProtocolError` when the peer sent it, `LocalProtocolError` when we tried it.

    DIALING --dial ok--> OPEN --close req--> CLOSING --close rsp--> CLOSED
       |                   |                                        ^
       +--dial err/cls-----+--------------close rsp (remote EOF)----+

There is no half-close in the konnectivity protocol: a close ends both directions. DATA may
still arrive while CLOSING, because the agent flushes what it read before answering CLOSE_RSP.
"""

from __future__ import annotations

import enum
from typing import Final

from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError


class ConnState(enum.Enum):
    DIALING = "dialing"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Input(enum.Enum):
    DIAL_OK = "dial succeeded"
    DIAL_ERROR = "dial failed"
    DIAL_CANCEL = "dial cancelled"
    DATA = "data"
    CLOSE_REQ = "close requested"
    CLOSE_RSP = "close answered"


TRANSITIONS: Final[dict[tuple[ConnState, Input], ConnState]] = {
    (ConnState.DIALING, Input.DIAL_OK): ConnState.OPEN,
    (ConnState.DIALING, Input.DIAL_ERROR): ConnState.CLOSED,
    (ConnState.DIALING, Input.DIAL_CANCEL): ConnState.CLOSED,
    (ConnState.OPEN, Input.DATA): ConnState.OPEN,
    (ConnState.OPEN, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.OPEN, Input.CLOSE_RSP): ConnState.CLOSED,
    (ConnState.CLOSING, Input.DATA): ConnState.CLOSING,
    (ConnState.CLOSING, Input.CLOSE_REQ): ConnState.CLOSING,
    (ConnState.CLOSING, Input.CLOSE_RSP): ConnState.CLOSED,
}


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
