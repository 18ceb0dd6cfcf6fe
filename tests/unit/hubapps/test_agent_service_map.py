"""The agent's reading of the lab's Service map: lookups, round robin, refusals, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from protos.tunnel import DialRefusedError
from proxy_agent.config import build_parser, from_args
from proxy_agent.servicemap import (
    SERVICE_MAP_ENV,
    ServiceMap,
    ServiceMapError,
    canonical,
    load_file,
    parse,
)


def test_names_in_the_map_lead_to_their_endpoints_in_turn_others_are_dialled_as_named() -> None:
    services = ServiceMap({"web.demo.svc:80": ("127.0.0.1:1", "127.0.0.1:2")})
    assert [services.resolve("web.demo.svc:80") for _ in range(3)] == [
        "127.0.0.1:1",
        "127.0.0.1:2",
        "127.0.0.1:1",
    ]
    assert services.resolve("web.demo.svc.cluster.local:80") == "127.0.0.1:2"
    assert services.resolve("web.demo.svc:81") == "web.demo.svc:81"
    assert services.resolve("10.0.0.7:5432") == "10.0.0.7:5432"


def test_a_known_service_without_ready_endpoints_is_refused_with_the_reason() -> None:
    services = ServiceMap({"web.demo.svc:80": ()}, source="/run/services.json")
    with pytest.raises(DialRefusedError, match=r"web.demo.svc:80 has no ready endpoint.*services"):
        services.resolve("web.demo.svc:80")


def test_canonical_drops_only_the_cluster_domain() -> None:
    assert canonical("a.b.svc.cluster.local:1") == "a.b.svc:1"
    assert canonical("example.cluster.local:1") == "example.cluster.local:1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not JSON"),
        ("[]", "expected"),
        ('{"services": {"a.b.svc:1": "127.0.0.1:2"}}', "must be a list"),
    ],
)
def test_malformed_files_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ServiceMapError, match=problem):
        parse(text, source="map.json")


def test_a_missing_file_is_an_empty_map(tmp_path: Path) -> None:
    assert load_file(tmp_path / "absent.json").services == {}


def test_the_flag_defaults_to_the_runtime_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVICE_MAP_ENV, "/lab/run/services.json")
    args = build_parser().parse_args(["--insecure"])
    assert from_args(args).service_map_file == Path("/lab/run/services.json")
    monkeypatch.delenv(SERVICE_MAP_ENV)
    assert from_args(build_parser().parse_args(["--insecure"])).service_map_file is None
