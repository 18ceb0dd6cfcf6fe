"""Deny-by-default exposure lists (pure, plus file parsing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protos.tunnel import DialRefusedError
from proxy_agent.exposure import (
    ExposedService,
    Exposure,
    ExposureError,
    load_file,
    parse_service_flag,
)

EXPOSURE = Exposure(
    cluster="c1",
    kube_apiserver="10.96.0.1:443",
    services=(
        ExposedService("shop", "api", 8080),
        ExposedService("shop", "db", 5432, target="10.0.0.7:5432"),
        ExposedService("tools", "grafana"),
    ),
)


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("c1:443", "10.96.0.1:443"),
        ("api.shop.c1:8080", "api.shop.svc:8080"),
        ("api.shop.svc:8080", "api.shop.svc:8080"),
        ("api.shop.svc.cluster.local:8080", "api.shop.svc:8080"),
        ("db.shop.c1:5432", "10.0.0.7:5432"),
        ("grafana.tools.c1:3000", "grafana.tools.svc:3000"),
    ],
)
def test_exposed_targets_resolve(address: str, target: str) -> None:
    assert EXPOSURE.resolve(address) == target


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("secret.shop.c1:80", "is not exposed by the agent of cluster 'c1'"),
        ("api.shop.c1:9090", "port 9090 of shop/api is not exposed"),
        ("10.0.0.7:5432", "is not exposed"),
        ("api.shop.c1", "must be host:port"),
    ],
)
def test_everything_else_is_refused_with_a_reason(address: str, reason: str) -> None:
    with pytest.raises(DialRefusedError, match=reason):
        EXPOSURE.resolve(address)


def test_identifiers_are_the_readable_names() -> None:
    assert EXPOSURE.identifiers().hosts == ("c1", "api.shop.c1", "db.shop.c1", "grafana.tools.c1")
    assert Exposure(cluster="c1").identifiers().hosts == ()


def test_service_flags_parse() -> None:
    assert parse_service_flag("api.shop:8080=127.0.0.1:9000") == ExposedService(
        "shop", "api", 8080, "127.0.0.1:9000"
    )
    assert parse_service_flag("grafana.tools") == ExposedService("tools", "grafana")
    for bad in ("api", "api.shop:http", "a.b.c:1"):
        with pytest.raises(ExposureError):
            parse_service_flag(bad)


def test_file_loads_and_bad_files_say_where(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text(
        "cluster: c1\nkubeApiServer: k:443\nservices:\n- {namespace: shop, name: api, port: 80}\n"
    )
    assert load_file(good).services == (ExposedService("shop", "api", 80),)
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster: c1\nservices:\n- {namespace: shop, name: api, prot: 80}\n")
    with pytest.raises(ExposureError, match=r"services\[0\]: unknown field\(s\) prot"):
        load_file(bad)
    bad.write_text("services: []\n")
    with pytest.raises(ExposureError, match="'cluster' must be"):
        load_file(bad)
