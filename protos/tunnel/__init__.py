"""The konnectivity tunnel protocol as pure, I/O-free state machines.

Rule 1: nothing here imports asyncio, grpc, aiohttp or socket (an import-linter contract).
Rule 2: machines never log or sleep; they return events and packets, and transports act.
"""

from protos.tunnel.agent import AgentEndpoint, DialRefusedError, Resolver
from protos.tunnel.errors import LocalProtocolError, RemoteProtocolError, TunnelError
from protos.tunnel.events import (
    CloseRequested,
    ConnectionClosed,
    CreditGranted,
    DataReceived,
    DialCancelled,
    DialFailed,
    DialRequested,
    DialSucceeded,
    Event,
    HalfClosed,
)
from protos.tunnel.frontend import FrontendEndpoint
from protos.tunnel.headers import AgentIdentifiers, host_of, parse_agent_identifiers
from protos.tunnel.states import TRANSITIONS, ConnState, Input
from protos.tunnel.switchboard import (
    EndFrontend,
    Outgoing,
    PauseFrontend,
    ResumeFrontend,
    Stalled,
    Switchboard,
    ToAgent,
    ToFrontend,
)

__all__ = [
    "TRANSITIONS",
    "AgentEndpoint",
    "AgentIdentifiers",
    "CloseRequested",
    "ConnState",
    "ConnectionClosed",
    "CreditGranted",
    "DataReceived",
    "DialCancelled",
    "DialFailed",
    "DialRefusedError",
    "DialRequested",
    "DialSucceeded",
    "EndFrontend",
    "Event",
    "FrontendEndpoint",
    "HalfClosed",
    "Input",
    "LocalProtocolError",
    "Outgoing",
    "PauseFrontend",
    "RemoteProtocolError",
    "Resolver",
    "ResumeFrontend",
    "Stalled",
    "Switchboard",
    "ToAgent",
    "ToFrontend",
    "TunnelError",
    "host_of",
    "parse_agent_identifiers",
]
