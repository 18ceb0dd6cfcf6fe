"""Half-close between two of our own parties (the `halfclose` feature).

The konnectivity protocol has none: a CLOSE_REQ or CLOSE_RSP ends both directions, so a
client that shuts its write side after a request (`nc`, rsync, ssh-style protocols, any
"read to EOF, then answer" service) loses the answer. When both ends of a hop announce
`halfclose` (see `headers.FEATURES`), a side that reads EOF from its socket sends a
`HALF_CLOSE` packet (`type` outside ANP's enum, carrying `Data{connectID}` with no bytes)
instead of closing; the receiving end shuts the write side of its socket after what it
queued, and both keep relaying the other direction. The second EOF closes the connection the
ordinary way (states in `states.py`):

* the agent, having received HALF_CLOSE, answers its own socket's EOF with CLOSE_RSP;
* a frontend, having received HALF_CLOSE, answers its own EOF with CLOSE_REQ;
* if the two HALF_CLOSE packets cross, the agent closes (CLOSE_RSP) as it receives the other.

The switchboard passes HALF_CLOSE on when the next hop negotiated it too, queued behind any
bytes it still holds for that hop; when the next hop is a plain ANP party it turns the
half-close into a close of the whole connection, which is exactly what ANP does on EOF.
"""

from __future__ import annotations

from typing import Final

FEATURE_HALF_CLOSE: Final = "halfclose"
HALF_CLOSE: Final = 102
