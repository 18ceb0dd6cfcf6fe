"""Stream metadata of the agent link: agent identifiers, server id and count.

Keys are lower case because gRPC lowercases metadata keys on the wire (upstream declares
`agentID`, `agentIdentifiers`, `serverID`, `serverCount`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qsl, urlencode

from protos.tunnel.errors import RemoteProtocolError

AGENT_ID: Final = "agentid"
AGENT_IDENTIFIERS: Final = "agentidentifiers"
AUTHORIZATION: Final = "authorization"
SERVER_ID: Final = "serverid"
SERVER_COUNT: Final = "servercount"
#: Our extension: the tunnel features an end supports, comma-separated (see `features`).
FEATURES: Final = "x-ocm-tunnel-features"


@dataclass(frozen=True)
class AgentIdentifiers:
    """What an agent says it can reach (upstream's `agentIdentifiers` query string)."""

    hosts: tuple[str, ...] = ()
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    cidrs: tuple[str, ...] = ()
    default_route: bool = False
    #: Keys we do not know; upstream servers ignore them ("fail open"), so do we.
    unknown: tuple[tuple[str, str], ...] = field(default=())

    def encode(self) -> str:
        pairs: list[tuple[str, str]] = [("host", h) for h in self.hosts]
        pairs += [("ipv4", a) for a in self.ipv4]
        pairs += [("ipv6", a) for a in self.ipv6]
        pairs += [("cidr", c) for c in self.cidrs]
        if self.default_route:
            pairs.append(("default-route", "true"))
        return urlencode(pairs)

    def addresses(self) -> tuple[str, ...]:
        """Every exact-match identifier (hosts and IPs), as the destHost strategy uses them."""
        return self.hosts + self.ipv4 + self.ipv6


def parse_agent_identifiers(text: str) -> AgentIdentifiers:
    """Parse `host=a&host=b&ipv4=...&default-route=true`; raise on malformed values."""
    hosts: list[str] = []
    ipv4: list[str] = []
    ipv6: list[str] = []
    cidrs: list[str] = []
    unknown: list[tuple[str, str]] = []
    default_route = False
    try:
        pairs = parse_qsl(text, keep_blank_values=False, strict_parsing=bool(text))
    except ValueError as exc:
        raise RemoteProtocolError(f"malformed agentIdentifiers {text!r}: {exc}") from exc
    for key, value in pairs:
        if key == "host":
            hosts.append(value)
        elif key == "ipv4":
            ipv4.append(str(_parse_ip(value, ipaddress.IPv4Address)))
        elif key == "ipv6":
            ipv6.append(str(_parse_ip(value, ipaddress.IPv6Address)))
        elif key == "cidr":
            cidrs.append(str(_parse_network(value)))
        elif key == "default-route":
            default_route = value.lower() == "true"
        else:
            unknown.append((key, value))
    return AgentIdentifiers(
        hosts=tuple(hosts),
        ipv4=tuple(ipv4),
        ipv6=tuple(ipv6),
        cidrs=tuple(cidrs),
        default_route=default_route,
        unknown=tuple(unknown),
    )


def _parse_ip(
    value: str, kind: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return kind(value)
    except ValueError as exc:
        raise RemoteProtocolError(
            f"agentIdentifiers: {value!r} is not a valid {kind.__name__}"
        ) from exc


def _parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise RemoteProtocolError(f"agentIdentifiers: {value!r} is not a valid CIDR") from exc


def host_of(address: str) -> str:
    """The host part of `host:port`, IPv6 brackets removed (destHost matching ignores ports)."""
    if address.startswith("["):
        end = address.find("]")
        return address[1:end] if end > 0 else address
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host
    return address


def single_value(metadata: Iterable[tuple[str, str | bytes]], key: str) -> str | None:
    """The one value of `key` (case-insensitive); raise if it is given more than once."""
    values = [v for k, v in metadata if k.lower() == key]
    if len(values) > 1:
        raise RemoteProtocolError(f"expected one {key} in the stream metadata, got {len(values)}")
    if not values:
        return None
    value = values[0]
    return value.decode() if isinstance(value, bytes) else value


def parse_features(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(f.strip() for f in value.split(",") if f.strip())


def choose_features(value: str, known: Sequence[str]) -> frozenset[str]:
    """The features a `--tunnel-features` value names; ValueError naming any we do not know."""
    features = parse_features(value)
    unknown = sorted(features - set(known))
    if unknown:
        raise ValueError(f"unknown {unknown}; choose from {', '.join(known)}")
    return features


def format_features(features: Iterable[str]) -> str:
    return ",".join(sorted(features))


def negotiate(ours: Iterable[str], metadata: Iterable[tuple[str, str | bytes]]) -> frozenset[str]:
    """The features both ends support: ours intersected with what the peer's metadata lists.

    A peer that sends no `x-ocm-tunnel-features` (every ANP party) negotiates nothing, so it
    only ever sees plain ANP packets.
    """
    return frozenset(ours) & parse_features(single_value(metadata, FEATURES))


def feature_metadata(features: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`((FEATURES, "a,b"),)`, or nothing when there is nothing to announce."""
    text = format_features(features)
    return ((FEATURES, text),) if text else ()


def server_headers(
    server_id: str, server_count: int, features: Iterable[str] = ()
) -> Mapping[str, str]:
    headers = {SERVER_ID: server_id, SERVER_COUNT: str(server_count)}
    feature_text = format_features(features)
    if feature_text:
        headers[FEATURES] = feature_text
    return headers
