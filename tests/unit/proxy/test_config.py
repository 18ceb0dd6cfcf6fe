"""Command-line validation says what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy_agent import config as agent_config
from proxy_server import config as server_config


def server(*argv: str) -> server_config.ServerConfig:
    return server_config.from_args(server_config.build_parser().parse_args(list(argv)))


def agent(*argv: str) -> agent_config.AgentConfig:
    return agent_config.from_args(agent_config.build_parser().parse_args(list(argv)))


def test_server_refuses_plaintext_unless_asked() -> None:
    with pytest.raises(ValueError, match="pass --insecure-agent-port"):
        server("--insecure-frontend-port")
    config = server("--insecure-agent-port", "--insecure-frontend-port")
    assert config.agent_tls is None
    assert not config.require_agent_identity


def test_server_flags_are_checked(tmp_path: Path) -> None:
    insecure = ("--insecure-agent-port", "--insecure-frontend-port")
    with pytest.raises(ValueError, match="unknown"):
        server(*insecure, "--proxy-strategies", "destHost,nearest")
    with pytest.raises(ValueError, match="at least 1"):
        server(*insecure, "--server-count", "0")
    with pytest.raises(ValueError, match="no such file"):
        server(
            "--insecure-frontend-port",
            "--cluster-cert",
            str(tmp_path / "x"),
            "--cluster-key",
            str(tmp_path / "y"),
        )
    assert server(*insecure, "--proxy-strategies", "destHost, default").proxy_strategies == (
        "destHost",
        "default",
    )


def test_agent_needs_a_ca_or_explicit_insecure() -> None:
    with pytest.raises(ValueError, match="--ca-cert is required"):
        agent()
    with pytest.raises(ValueError, match="--cluster-name is required"):
        agent("--insecure", "--expose", "api.shop:80")
    with pytest.raises(ValueError, match="--agent-identifiers"):
        agent("--insecure", "--agent-identifiers", "ipv4=300.1.1.1")
    config = agent("--insecure", "--cluster-name", "c1", "--expose", "api.shop:80")
    assert config.exposure.identifiers().hosts == ("api.shop.c1",)


def test_server_lane_flags_are_checked() -> None:
    insecure = ("--insecure-agent-port", "--insecure-frontend-port")
    assert server(*insecure).agent_lane_port is None
    with pytest.raises(ValueError, match="--agent-lane-port must be a port number"):
        server(*insecure, "--agent-lane-port", "70000")
    with pytest.raises(ValueError, match="needs --agent-lane-port"):
        server(*insecure, "--agent-lane-advertised-port", "443")
    with pytest.raises(ValueError, match="or off, got 'x'"):
        server(*insecure, "--agent-lane-port", "x")
    config = server(*insecure, "--agent-lane-port", "8094", "--agent-lane-advertised-port", "443")
    assert (config.agent_lane_port, config.agent_lane_advertised_port) == (8094, 443)
    # A deployment that renders the flag can be overridden by appending another.
    assert (
        server(*insecure, "--agent-lane-port=8096", "--agent-lane-port=off").agent_lane_port is None
    )


def test_agent_announces_the_lane_unless_told_not_to() -> None:
    assert "lane" in agent("--insecure").features
    assert "lane" not in agent("--insecure", "--tunnel-features", "credit,batch").features
