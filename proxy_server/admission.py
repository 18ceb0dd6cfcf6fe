"""Who may join as an agent: the checks every agent link passes, gRPC stream or lane alike.

An agent names itself in its stream metadata (`agentid`, `agentidentifiers`, features); its
certificate names its cluster. `AgentAdmission.admit` checks the two agree and returns the
agent's `Backend` and the features both ends support, or a `Refusal` that the transport reports
in its own terms (a gRPC status, a lane refusal header).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from protos.tunnel import RemoteProtocolError, headers
from protos.tunnel.headers import negotiate, parse_agent_identifiers, single_value
from proxy_server.backends import Backend, identity_violations

logger = logging.getLogger(__name__)
_link_ids = itertools.count(1)

INVALID_ARGUMENT = "INVALID_ARGUMENT"
PERMISSION_DENIED = "PERMISSION_DENIED"


@dataclass(frozen=True, slots=True)
class Refusal:
    #: A gRPC status code name.
    code: str
    message: str
    #: The `stream_errors_total` reason label.
    reason: str


@dataclass(frozen=True, slots=True)
class Admitted:
    backend: Backend
    features: frozenset[str]


@dataclass(frozen=True, slots=True)
class AgentAdmission:
    """This server's terms for agents: what it checks, offers and answers."""

    server_id: str
    server_count: int
    #: Refuse certificates that name no cluster.
    require_identity: bool
    #: Features offered to agents that announce them.
    offered: frozenset[str]

    def answer(self, features: frozenset[str]) -> dict[str, str]:
        """The headers that accept an agent: server id and count, negotiated features."""
        return dict(headers.server_headers(self.server_id, self.server_count, features))

    def admit(
        self, metadata: Iterable[tuple[str, str | bytes]], *, cluster: str | None
    ) -> Admitted | Refusal:
        """`cluster`: what the peer's certificate names (None: no certificate, or none of
        ours)."""
        pairs = list(metadata)
        try:
            features = negotiate(self.offered, pairs)
            agent_id = single_value(pairs, headers.AGENT_ID)
            if not agent_id:
                raise RemoteProtocolError("expected one agentID in the stream metadata")
            identifiers = parse_agent_identifiers(
                single_value(pairs, headers.AGENT_IDENTIFIERS) or ""
            )
        except RemoteProtocolError as exc:
            return Refusal(INVALID_ARGUMENT, str(exc), "bad_metadata")
        if cluster is None and self.require_identity:
            return Refusal(
                PERMISSION_DENIED,
                "the agent certificate names no cluster (expected subject "
                "system:open-cluster-management:cluster:<cluster>:addon:...)",
                "no_identity",
            )
        if cluster is not None:
            problems = identity_violations(cluster, identifiers)
            if problems:
                return Refusal(
                    PERMISSION_DENIED, f"agent {agent_id}: " + "; ".join(problems), "identity"
                )
        backend = Backend(
            key=(agent_id, next(_link_ids)),
            agent_id=agent_id,
            identifiers=identifiers,
            cluster=cluster,
        )
        return Admitted(backend, features)


def log_connected(backend: Backend, features: frozenset[str], *, lane: bool) -> None:
    """One log line per admitted agent link, whichever transport carries it."""
    logger.info(
        "agent connected",
        extra={
            "agent_id": backend.agent_id,
            "cluster": backend.cluster,
            "features": sorted(features),
            "lane": lane,
        },
    )


def log_disconnected(backend: Backend, *, lane: bool, error: str = "") -> None:
    logger.info(
        "agent disconnected",
        extra={"agent_id": backend.agent_id, "lane": lane, "error": error},
    )
