"""The plug-in slot for our tunnel: start proxy-server + proxy-agent, and open connections.

The tunnel is built on another branch. This module finds out whether `python -m
proxy_server --help` and `python -m proxy_agent --help` run; if not, the tunnel paths are
reported "n/a (tunnel not built yet)". If they do, each tunnel path gets its own server
(`--mode http-connect` or `--mode grpc`) and agent, with mTLS on both the agent link and the
frontend, started with upstream apiserver-network-proxy flag names (anp-details.md §3-§5).
Those programs refuse port 0, so free ports are picked first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tunnelbench import pki, processes
from tunnelbench.config import PATH_TUNNEL_GRPC, PATH_TUNNEL_HTTP_CONNECT
from tunnelbench.konnectivity import FrontendTls, KonnectivityStream
from tunnelbench.paths import LOOPBACK, BenchPath, FleetAccess, Opener, unavailable
from tunnelbench.streams import Stream, TcpStream, open_tcp, receive_exactly
from tunnelbench.targetproc import child_env

SERVER_MODULE: Final = "proxy_server"
AGENT_MODULE: Final = "proxy_agent"
NOT_BUILT: Final = "n/a (tunnel not built yet)"
HELP_TIMEOUT_S: Final = 30.0
READY_TIMEOUT_S: Final = 30.0
POLL_S: Final = 0.1
AGENT_ID: Final = "tunnelbench-agent"
MODES: Final = {PATH_TUNNEL_HTTP_CONNECT: "http-connect", PATH_TUNNEL_GRPC: "grpc"}
LANE_FLAG: Final = "--agent-lane-port"
OPTIONAL_PORT_FLAGS: Final = {
    SERVER_MODULE: ("--admin-port", LANE_FLAG),
    AGENT_MODULE: ("--admin-server-port",),
}
"""Flags passed only when `--help` lists them: upstream's admin ports default to fixed ports
that two servers (one per frontend mode) would both try to bind; the lane port is ours (the
agent link without gRPC's per-message cost, docs/performance.md §9), offered as a deployment
would (the cluster-proxy chart opens it)."""
LANE_GAUGE: Final = b"konnectivity_network_proxy_server_agent_lanes 1.0"


@dataclass(frozen=True)
class Entrypoint:
    """A runnable tunnel program and the flags its --help mentions."""

    module: str
    help_text: str

    def supports(self, flag: str) -> bool:
        return flag in self.help_text


async def find_entrypoint(module: str) -> Entrypoint | None:
    """`python -m <module> --help` must exit 0; None otherwise."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--help",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=child_env(),
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), HELP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    if process.returncode != 0:
        return None
    return Entrypoint(module, output.decode(errors="replace"))


def server_argv(
    entry: Entrypoint, *, mode: str, ports: Mapping[str, int], certs: pki.Bundle
) -> list[str]:
    argv = [
        sys.executable, "-m", entry.module,
        "--mode", mode,
        "--bind-address", LOOPBACK,
        "--server-port", str(ports["server"]),
        "--agent-port", str(ports["agent"]),
        "--health-port", str(ports["health"]),
        "--proxy-strategies", "destHost",
        # Row 8's lightweight agents carry a certificate that names no cluster.
        "--allow-unbound-agents",
        "--cluster-cert", str(certs.server.cert),
        "--cluster-key", str(certs.server.key),
        "--cluster-ca-cert", str(certs.ca),
        "--server-cert", str(certs.server.cert),
        "--server-key", str(certs.server.key),
        "--server-ca-cert", str(certs.ca),
    ]  # fmt: skip
    return argv + _optional_ports(entry, ports)


def agent_argv(
    entry: Entrypoint, *, ports: Mapping[str, int], certs: pki.Bundle, targets: Mapping[str, int]
) -> list[str]:
    """Our agent denies by default: it exposes exactly the bench's target services."""
    exposed = [
        flag
        for service, port in targets.items()
        for flag in ("--expose", f"{service}.bench:{port}={LOOPBACK}:{port}")
    ]
    argv = [
        sys.executable, "-m", entry.module,
        "--proxy-server-host", LOOPBACK,
        "--proxy-server-port", str(ports["agent"]),
        "--ca-cert", str(certs.ca),
        "--agent-cert", str(certs.agent.cert),
        "--agent-key", str(certs.agent.key),
        "--agent-id", AGENT_ID,
        "--cluster-name", pki.CLUSTER,
        *exposed,
        "--health-bind-address", LOOPBACK,
        "--health-server-port", str(ports["agent-health"]),
    ]  # fmt: skip
    return argv + _optional_ports(entry, ports)


def _optional_ports(entry: Entrypoint, ports: Mapping[str, int]) -> list[str]:
    extra: list[str] = []
    for flag in OPTIONAL_PORT_FLAGS[entry.module]:
        if entry.supports(flag):
            extra += [flag, str(ports[flag])]
    return extra


def client_tls_context(certs: pki.Bundle) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(str(certs.client.cert), str(certs.client.key))
    return context


AddressOpener = Callable[[str], Awaitable[Stream]]
"""Open a Stream to any host:port through a frontend."""


def http_connect_dialer(*, server_port: int, tls: ssl.SSLContext) -> AddressOpener:
    """CONNECT host:port over an mTLS connection to the server's frontend port."""

    async def open_address(authority: str) -> Stream:
        stream: TcpStream = await open_tcp(LOOPBACK, server_port, tls=tls)
        try:
            await stream.send(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
            head = await stream.receive_head()
        except BaseException:
            await stream.close()
            raise
        status = head.split(b"\r\n", 1)[0].decode(errors="replace")
        if status.split(" ")[1:2] != ["200"]:
            await stream.close()
            raise ConnectionError(f"CONNECT {authority} answered {status!r}")
        return stream

    return open_address


def grpc_dialer(*, server_port: int, certs: pki.Bundle) -> AddressOpener:
    """A single-use konnectivity tunnel (own channel, own Proxy call) per connection."""
    tls = FrontendTls(
        ca=certs.ca.read_bytes(), cert=certs.client.cert.read_bytes(),
        key=certs.client.key.read_bytes(),
    )  # fmt: skip

    async def open_address(address: str) -> Stream:
        return await KonnectivityStream.dial(
            server=f"{LOOPBACK}:{server_port}", address=address, tls=tls
        )

    return open_address


def service_opener(open_address: AddressOpener, targets: Mapping[str, int]) -> Opener:
    """Open target services by name through `open_address`."""

    async def open_service(service: str) -> Stream:
        # The agent's readable identifier for an exposed service: <service>.<namespace>.<cluster>
        return await open_address(f"{service}.bench.{pki.CLUSTER}:{targets[service]}")

    return open_service


async def _wait_until_tunnelling(
    open_service: Opener, children: list[processes.ChildProcess]
) -> None:
    """Ready means a byte echoes through the tunnel: implementation-agnostic, unlike /readyz."""
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
    last_error: BaseException | None = None
    while asyncio.get_running_loop().time() < deadline:
        for child in children:
            if not child.running:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
        try:
            stream = await open_service("echo")
            try:
                await stream.send(b"r")
                await receive_exactly(stream, 1)
                return
            finally:
                await stream.close()
        except (OSError, EOFError) as error:
            last_error = error
        await asyncio.sleep(POLL_S)
    raise RuntimeError(f"no byte echoed through the tunnel in {READY_TIMEOUT_S:g} s: {last_error}")


async def _wait_for_lane(health_port: int) -> None:
    """Measure the agent link the agent settles on: it moves to the lane just after connecting."""
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
    while asyncio.get_running_loop().time() < deadline:
        if LANE_GAUGE in await _http_get(LOOPBACK, health_port, "/metrics"):
            return
        await asyncio.sleep(POLL_S)
    raise RuntimeError(f"the agent did not move to the lane in {READY_TIMEOUT_S:g} s")


async def _http_get(host: str, port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return await reader.read()
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def deployment(
    name: str,
    *,
    server: Entrypoint,
    agent: Entrypoint,
    certs: pki.Bundle,
    targets: Mapping[str, int],
    workdir: Path,
) -> AsyncIterator[BenchPath]:
    """One proxy server in the path's frontend mode plus one agent; yield the path."""
    ports = {
        key: processes.free_port()
        for key in (
            "server",
            "agent",
            "health",
            "agent-health",
            "--admin-port",
            "--admin-server-port",
            LANE_FLAG,
        )
    }
    log = workdir / f"{name}.log"
    env = child_env()
    children = [
        await processes.start(
            f"{name} server",
            server_argv(server, mode=MODES[name], ports=ports, certs=certs),
            env=env,
            log_path=log,
        )
    ]
    try:
        # Upstream agents retry with backoff; starting ours once the port listens saves that.
        await processes.wait_listening(ports["agent"], children[0], f"{name} server agent port")
        children.append(
            await processes.start(
                f"{name} agent",
                agent_argv(agent, ports=ports, certs=certs, targets=targets),
                env=env,
                log_path=log,
            )
        )
        if name == PATH_TUNNEL_HTTP_CONNECT:
            open_address = http_connect_dialer(
                server_port=ports["server"], tls=client_tls_context(certs)
            )
        else:
            open_address = grpc_dialer(server_port=ports["server"], certs=certs)
        opener = service_opener(open_address, targets)
        await _wait_until_tunnelling(opener, children)
        if server.supports(LANE_FLAG):
            await _wait_for_lane(ports["health"])
        print(f"[setup] {name}: server :{ports['server']} agent link :{ports['agent']}", flush=True)
        yield BenchPath(
            name=name,
            open=opener,
            server_pids=(children[0].pid,),
            agent_pids=(children[1].pid,),
            fleet=FleetAccess(
                agent_server=f"{LOOPBACK}:{ports['agent']}",
                certs=certs,
                open_address=open_address,
                echo_port=targets["echo"],
            ),
        )
    finally:
        for child in reversed(children):
            await child.stop()


SETUP_ATTEMPTS: Final = 2
"""The programs take no port 0, so a port picked free can be taken before they bind it (by
anything else on the machine): a second attempt with fresh ports gets past that race."""


async def tunnel_paths(
    stack: contextlib.AsyncExitStack,
    *,
    wanted: list[str],
    targets: Mapping[str, int],
    workdir: Path,
) -> list[BenchPath]:
    """The tunnel paths in `wanted`, each started under `stack`, or n/a with the reason."""
    server = await find_entrypoint(SERVER_MODULE)
    agent = await find_entrypoint(AGENT_MODULE)
    if server is None or agent is None:
        print(f"[setup] {NOT_BUILT}: `python -m proxy_server/proxy_agent --help` fail", flush=True)
        return [unavailable(name, NOT_BUILT) for name in wanted]
    certs = await asyncio.to_thread(pki.write_bundle, workdir / "pki")
    result: list[BenchPath] = []
    for name in wanted:
        for attempt in range(1, SETUP_ATTEMPTS + 1):
            try:
                path = await stack.enter_async_context(
                    deployment(
                        name,
                        server=server,
                        agent=agent,
                        certs=certs,
                        targets=targets,
                        workdir=workdir,
                    )
                )
                break
            except Exception as error:  # one broken frontend must not hide the other
                log = processes.log_tail(workdir / f"{name}.log")
                print(f"[setup] {name} failed (attempt {attempt}): {error}\n{log}", flush=True)
                path = unavailable(name, f"error: setup failed: {error}")
        result.append(path)
    return result
