"""TCP settings of a long-lived link that carries interactive traffic (the agent lane).

No Nagle delay on small writes, and kernel keepalives in place of gRPC's pings, so a peer
(or the NAT entry between) that vanished is noticed after about `idle` x 2 seconds. Keepalives
only probe an idle connection: `TCP_USER_TIMEOUT` gives up on one whose sent bytes go
unacknowledged as long, as gRPC's ping timeout does (the kernel would retry for ~15 minutes).
"""

from __future__ import annotations

import socket

#: Unanswered probes before the kernel declares the peer gone.
PROBES = 3


def tune_link_socket(sock: socket.socket, idle: float) -> None:
    """`idle`: seconds of silence before the first keepalive probe."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):  # Linux; macOS has only the on/off switch above
        seconds = max(1, int(idle))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, seconds)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, seconds // PROBES))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, PROBES)
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(idle * 2 * 1000))
