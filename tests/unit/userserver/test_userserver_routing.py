"""The user-server URL grammar."""

from __future__ import annotations

import pytest

from proxy_server.userserver.routing import KubeTarget, RouteError, ServiceTarget, parse

SVC = "/c1/api/v1/namespaces/shop/services"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/c1/api/v1/pods", KubeTarget("c1", "/api/v1/pods"), id="kube"),
        pytest.param("/c1", KubeTarget("c1", "/"), id="cluster-root"),
        pytest.param("/c1/", KubeTarget("c1", "/"), id="cluster-root-slash"),
        pytest.param(
            "/c1/api/v1/namespaces/shop/services/web/proxy",
            KubeTarget("c1", "/api/v1/namespaces/shop/services/web/proxy"),
            id="kube-service-proxy-is-not-ours",
        ),
        pytest.param(
            f"{SVC}/http:web:8080/proxy-service/a/b",
            ServiceTarget("c1", "shop", "web", 8080, "http", "/a/b"),
            id="service",
        ),
        pytest.param(
            f"{SVC}/web:8443/proxy-service",
            ServiceTarget("c1", "shop", "web", 8443, "https", "/"),
            id="service-default-https",
        ),
    ],
)
def test_paths_route_to_targets(path: str, expected: KubeTarget | ServiceTarget) -> None:
    assert parse(path) == expected


def test_addresses_are_the_agent_identifiers() -> None:
    assert parse("/c1/api").address == "c1:443"
    service = parse(f"{SVC}/http:web:8080/proxy-service/")
    assert service.address == "web.shop.c1:8080"
    assert isinstance(service, ServiceTarget)
    assert service.server_name == "web.shop.svc"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("/", "must start with /<cluster>/", id="no-cluster"),
        pytest.param("/C_1/api", "not a valid cluster name", id="bad-cluster"),
        pytest.param(f"{SVC}/web/proxy-service/", "expected [scheme:]name:port", id="no-port"),
        pytest.param(f"{SVC}/ftp:web:21/proxy-service/", "http or https", id="bad-scheme"),
        pytest.param(f"{SVC}/web:99999/proxy-service/", "1-65535", id="bad-port"),
        pytest.param(
            "/c1/api/v2/namespaces/shop/services/web:80/proxy-service/",
            "must look like",
            id="bad-prefix",
        ),
    ],
)
def test_bad_paths_say_what_is_wrong(path: str, message: str) -> None:
    with pytest.raises(RouteError) as info:
        parse(path)
    assert message in str(info.value)
