"""Routing strategies and identity binding (pure)."""

from __future__ import annotations

import pytest

from protos.tunnel import AgentIdentifiers
from proxy_server.backends import (
    Backend,
    BackendRegistry,
    host_belongs_to,
    identity_violations,
    service_proxy_host,
)


def backend(key: str, *hosts: str, default_route: bool = False) -> Backend:
    return Backend(
        key=key,
        agent_id=key,
        cluster=None,
        identifiers=AgentIdentifiers(hosts=hosts, default_route=default_route),
    )


def registry(*strategies: str) -> BackendRegistry:
    reg = BackendRegistry(strategies, choice=lambda pool: pool[-1])
    reg.add(backend("a1", "c1"))
    reg.add(backend("a2", "c2", "svc.ns.c2"))
    reg.add(backend("gw", default_route=True))
    return reg


def test_dest_host_matches_the_host_without_port() -> None:
    assert registry("destHost").choose("svc.ns.c2:8080", set()) == "a2"
    assert registry("destHost").choose("c3:443", set()) is None


def test_strategies_fall_through_in_order() -> None:
    assert registry("destHost", "defaultRoute").choose("c3:443", set()) == "gw"
    assert registry("destHost", "default").choose("c3:443", set()) == "gw"  # pool[-1]


def test_draining_backends_are_a_last_resort() -> None:
    reg = registry("destHost")
    reg.add(backend("a1-new", "c1"))
    assert reg.choose("c1:443", set()) == "a1"  # oldest stream wins, as upstream
    assert reg.choose("c1:443", {"a1"}) == "a1-new"
    assert reg.choose("c1:443", {"a1", "a1-new"}) == "a1"


def test_unknown_strategy_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="choose from default, destHost, defaultRoute"):
        BackendRegistry(("nearest",))


def test_readiness_counts_what_the_first_strategy_can_use() -> None:
    assert registry("defaultRoute", "default").ready_for_first_strategy() == 1
    assert registry("destHost").ready_for_first_strategy() == 2


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("c1", True),
        ("c1.open-cluster-management-addon", True),
        ("api.shop.c1", True),
        (service_proxy_host("c1"), True),
        ("c2", False),
        ("api.shop.c2", False),
        ("a.b.c.c1", False),
        (service_proxy_host("c2"), False),
    ],
)
def test_hosts_an_agent_of_c1_may_advertise(host: str, allowed: bool) -> None:
    assert host_belongs_to(host, "c1") is allowed


def test_service_proxy_host_matches_upstream_example() -> None:
    assert service_proxy_host("cluster1") == (
        "cluster-a140791d2b20a847f2c74c62c384f93fb83691d871e80385.open-cluster-management.proxy"
    )


def test_identity_violations_explain_each_problem() -> None:
    problems = identity_violations(
        "c1", AgentIdentifiers(hosts=("c1", "c2"), ipv4=("10.0.0.1",), default_route=True)
    )
    assert problems == [
        "host 'c2' does not belong to cluster 'c1'",
        "IP and CIDR identifiers cannot be bound to a cluster; advertise hosts",
        "default-route would capture every cluster's traffic",
    ]
