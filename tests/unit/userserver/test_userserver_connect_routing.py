"""CONNECT targets: `<service>.<namespace>.<cluster>:<port>`, anything else is a clear 400."""

from __future__ import annotations

import pytest

from proxy_server.userserver.routing import ConnectTarget, RouteError, parse_connect


def test_the_cluster_is_everything_after_service_and_namespace() -> None:
    target = parse_connect("web.demo.prod.eu-1:8080")
    assert target == ConnectTarget(cluster="prod.eu-1", namespace="demo", service="web", port=8080)
    assert target.address == "web.demo.prod.eu-1:8080"


@pytest.mark.parametrize(
    ("authority", "problem"),
    [
        ("web.demo:8080", "expected CONNECT <service>.<namespace>.<cluster>:<port>"),
        ("web.demo.c2", "expected"),
        ("Web.demo.c2:80", "DNS labels"),
        ("web.demo.c2:0", "1-65535"),
        ("web.demo.c2:http", "1-65535"),
        ("web.demo.-c2:80", "not a valid cluster name"),
    ],
)
def test_malformed_targets_say_what_is_expected(authority: str, problem: str) -> None:
    with pytest.raises(RouteError, match=problem):
        parse_connect(authority)
