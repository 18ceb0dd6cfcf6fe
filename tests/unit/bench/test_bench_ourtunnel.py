"""The tunnel plug-in's command lines use upstream apiserver-network-proxy flag names."""

from pathlib import Path

from tunnelbench.ourtunnel import Entrypoint, agent_argv, server_argv
from tunnelbench.pki import Bundle, CertPair

CERTS = Bundle(
    ca=Path("/p/ca.crt"),
    server=CertPair(Path("/p/server.crt"), Path("/p/server.key")),
    agent=CertPair(Path("/p/agent.crt"), Path("/p/agent.key")),
    client=CertPair(Path("/p/client.crt"), Path("/p/client.key")),
    fleet=CertPair(Path("/p/fleet.crt"), Path("/p/fleet.key")),
)
PORTS = {
    "server": 8090,
    "agent": 8091,
    "health": 8092,
    "agent-health": 8093,
    "--admin-port": 8095,
    "--admin-server-port": 8094,
}


def _flags(argv: list[str]) -> dict[str, str]:
    """--flag value pairs after `-m module` (switches map to ""; repeated flags keep the last)."""
    tokens = argv[argv.index("-m") + 2 :]
    flags: dict[str, str] = {}
    for i, token in enumerate(tokens):
        if token.startswith("--"):
            value = tokens[i + 1] if i + 1 < len(tokens) else ""
            flags[token] = "" if value.startswith("--") else value
    return flags


def test_server_gets_frontend_mode_ports_and_both_mtls_sides() -> None:
    flags = _flags(
        server_argv(Entrypoint("proxy_server", ""), mode="grpc", ports=PORTS, certs=CERTS)
    )
    assert flags == {
        "--mode": "grpc",
        "--bind-address": "127.0.0.1",
        "--server-port": "8090",
        "--agent-port": "8091",
        "--health-port": "8092",
        "--proxy-strategies": "destHost",
        "--allow-unbound-agents": "",
        "--cluster-cert": "/p/server.crt",
        "--cluster-key": "/p/server.key",
        "--cluster-ca-cert": "/p/ca.crt",
        "--server-cert": "/p/server.crt",
        "--server-key": "/p/server.key",
        "--server-ca-cert": "/p/ca.crt",
    }


def test_agent_dials_the_agent_port_with_its_client_certificate() -> None:
    flags = _flags(
        agent_argv(Entrypoint("proxy_agent", ""), ports=PORTS, certs=CERTS, targets={"echo": 9})
    )
    assert flags == {
        "--proxy-server-host": "127.0.0.1",
        "--proxy-server-port": "8091",
        "--ca-cert": "/p/ca.crt",
        "--agent-cert": "/p/agent.crt",
        "--agent-key": "/p/agent.key",
        "--agent-id": "tunnelbench-agent",
        "--cluster-name": "bench",
        "--expose": "echo.bench:9=127.0.0.1:9",
        "--health-bind-address": "127.0.0.1",
        "--health-server-port": "8093",
    }


def test_admin_ports_are_passed_only_when_the_program_lists_them() -> None:
    server = Entrypoint("proxy_server", "  --admin-port ADMIN_PORT  admin server port")
    agent = Entrypoint("proxy_agent", "  --admin-server-port PORT")
    assert (
        _flags(server_argv(server, mode="http-connect", ports=PORTS, certs=CERTS))["--admin-port"]
        == "8095"
    )
    assert (
        _flags(agent_argv(agent, ports=PORTS, certs=CERTS, targets={}))["--admin-server-port"]
        == "8094"
    )
