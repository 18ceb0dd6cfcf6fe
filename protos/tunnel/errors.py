"""Errors of the tunnel protocol core.

    TunnelError
    ├── LocalProtocolError    we were asked to do something the protocol forbids (our bug)
    └── RemoteProtocolError   the peer sent something the protocol forbids (their bug or an attack)

A transport that catches `RemoteProtocolError` refuses the offending input (logs it, counts it,
answers the peer or closes that stream cleanly) and keeps every other connection going.
"""

from __future__ import annotations


class TunnelError(Exception):
    """Root of every error raised by `protos.tunnel`."""


class LocalProtocolError(TunnelError):
    """The caller broke the protocol; fix the calling code."""


class RemoteProtocolError(TunnelError):
    """The peer broke the protocol; `str(error)` is a reason fit for logs and the peer."""
