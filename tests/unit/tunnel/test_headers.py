"""Agent identifiers and stream metadata, as upstream encodes them."""

from __future__ import annotations

import pytest

from protos.tunnel import AgentIdentifiers, RemoteProtocolError, host_of, parse_agent_identifiers
from protos.tunnel.headers import parse_features, server_headers, single_value


def test_identifiers_round_trip() -> None:
    ids = AgentIdentifiers(
        hosts=("c1", "svc.ns.c1"), ipv4=("10.0.0.1",), cidrs=("10.0.0.0/8",), default_route=True
    )
    assert parse_agent_identifiers(ids.encode()) == ids


def test_upstream_identifier_string_parses() -> None:
    ids = parse_agent_identifiers("host=c1&host=c1.open-cluster-management-addon&ipv6=::1&x=y")
    assert ids.hosts == ("c1", "c1.open-cluster-management-addon")
    assert ids.ipv6 == ("::1",)
    assert ids.unknown == (("x", "y"),)
    assert ids.addresses() == ("c1", "c1.open-cluster-management-addon", "::1")


def test_empty_identifiers_are_allowed() -> None:
    assert parse_agent_identifiers("") == AgentIdentifiers()


@pytest.mark.parametrize("text", ["ipv4=999.1.1.1", "ipv6=nope", "cidr=10.0.0.0/99", "host"])
def test_malformed_identifiers_are_refused(text: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_agent_identifiers(text)


@pytest.mark.parametrize(
    ("address", "host"),
    [
        ("c1:443", "c1"),
        ("svc.ns.c1:8080", "svc.ns.c1"),
        ("[::1]:443", "::1"),
        ("::1", "::1"),
        ("c1", "c1"),
    ],
)
def test_host_of_strips_port(address: str, host: str) -> None:
    assert host_of(address) == host


def test_single_value_is_case_insensitive_and_refuses_duplicates() -> None:
    assert single_value([("agentid", b"a1")], "agentid") == "a1"
    assert single_value([], "agentid") is None
    with pytest.raises(RemoteProtocolError, match="expected one agentid"):
        single_value([("agentid", "a"), ("AgentID", "b")], "agentid")


def test_server_headers_announce_features_only_when_any() -> None:
    assert server_headers("s1", 2) == {"serverid": "s1", "servercount": "2"}
    headers = server_headers("s1", 1, ["credit", "batch"])
    assert parse_features(headers["x-ocm-tunnel-features"]) == {"credit", "batch"}
