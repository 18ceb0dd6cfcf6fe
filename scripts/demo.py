"""`make demo`: a local tunnel to try in one command.

Starts, on 127.0.0.1: a proxy-server (HTTP CONNECT frontend, mTLS agent link), a proxy-agent for
the cluster `demo` that exposes one service, and that service (a tiny HTTP app). Prints the
command that reaches the service through the tunnel. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from aiohttp import web

from ocm_core import pki
from proxy_server.identity import agent_subject

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = "demo"


def write_pki(directory: Path) -> dict[str, Path]:
    """A throwaway CA, the server's serving cert and the agent's cluster-bound client cert."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = pki.create_ca("ocm-demo-ca")
    server = pki.issue_serving_cert(
        ca, common_name="proxy-server", dns_names=["localhost"], ip_addresses=["127.0.0.1"]
    )
    cn, org = agent_subject(CLUSTER)
    agent = pki.issue_client_cert(ca, user=cn, groups=[org])
    files = {
        "ca": (directory / "ca.crt", ca.cert_pem()),
        "server-cert": (directory / "server.crt", server.cert_pem()),
        "server-key": (directory / "server.key", server.key_pem()),
        "agent-cert": (directory / "agent.crt", agent.cert_pem()),
        "agent-key": (directory / "agent.key", agent.key_pem()),
    }
    for name, (path, data) in files.items():
        pki.write_pem(path, data, private=name.endswith("key"))
    return {name: path for name, (path, _) in files.items()}


async def start_service() -> tuple[web.AppRunner, int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello from {CLUSTER}/default/hello via the tunnel\n")

    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


async def spawn(*args: str, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", *args, stdout=out, stderr=out
        )


def read_ports(path: Path) -> dict[str, int] | None:
    if not path.exists() or not path.stat().st_size:
        return None
    ports: dict[str, int] = json.loads(path.read_text())
    return ports


async def wait_for_file(
    path: Path, process: asyncio.subprocess.Process, log: Path
) -> dict[str, int]:
    for _ in range(400):
        ports = await asyncio.to_thread(read_ports, path)
        if ports is not None:
            return ports
        if process.returncode is not None:
            raise SystemExit(f"failed to start; see the log in {log}")
        await asyncio.sleep(0.05)
    raise SystemExit(f"timed out starting; see {log}")


async def wait_ready(health_port: int) -> None:
    reader = writer = None
    for _ in range(200):
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", health_port)
            writer.write(b"GET /readyz HTTP/1.0\r\n\r\n")
            if b" 200 " in await reader.readline():
                writer.close()
                return
            writer.close()
        await asyncio.sleep(0.05)
    raise SystemExit("the agent never connected; see the logs in .ocm/demo")


async def run(port: int) -> None:
    workdir = ROOT / ".ocm" / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("server.json", "agent.json"):  # a previous run's ports are not ours
        (workdir / stale).unlink(missing_ok=True)
    print("• generating certificates (CA, proxy-server, agent bound to cluster 'demo')")
    certs = write_pki(workdir / "pki")
    service, service_port = await start_service()
    print(f"• demo service 'hello' in namespace 'default' listening on 127.0.0.1:{service_port}")
    tls = [
        "--cluster-cert",
        str(certs["server-cert"]),
        "--cluster-key",
        str(certs["server-key"]),
        "--cluster-ca-cert",
        str(certs["ca"]),
    ]
    server_log, agent_log = workdir / "proxy-server.log", workdir / "proxy-agent.log"
    server = await spawn(
        "proxy_server",
        "--bind-address",
        "127.0.0.1",
        "--mode",
        "http-connect",
        "--server-port",
        str(port),
        "--agent-port",
        "0",
        "--agent-lane-port",
        "0",
        "--health-port",
        "0",
        "--proxy-strategies",
        "destHost",
        "--insecure-frontend-port",
        *tls,
        "--ports-file",
        str(workdir / "server.json"),
        log=server_log,
    )
    ports = await wait_for_file(workdir / "server.json", server, server_log)
    print(
        f"• proxy-server: HTTP CONNECT frontend on 127.0.0.1:{ports['frontend']}, "
        f"agents on :{ports['agent']} and lane :{ports['agent_lane']} (mTLS)"
    )
    agent = await spawn(
        "proxy_agent",
        "--proxy-server-host",
        "127.0.0.1",
        "--proxy-server-port",
        str(ports["agent"]),
        "--ca-cert",
        str(certs["ca"]),
        "--agent-cert",
        str(certs["agent-cert"]),
        "--agent-key",
        str(certs["agent-key"]),
        "--server-name",
        "localhost",
        "--cluster-name",
        CLUSTER,
        "--expose",
        f"hello.default:8080=127.0.0.1:{service_port}",
        "--health-bind-address",
        "127.0.0.1",
        "--health-server-port",
        "0",
        "--ports-file",
        str(workdir / "agent.json"),
        log=agent_log,
    )
    agent_ports = await wait_for_file(workdir / "agent.json", agent, agent_log)
    await wait_ready(agent_ports["health"])
    print("• proxy-agent for cluster 'demo' connected; it exposes only hello.default:8080\n")
    print("Try it (the agent dials the service; nothing else in the cluster is reachable):\n")
    print(
        f"  curl --proxytunnel --proxy http://127.0.0.1:{ports['frontend']} "
        f"http://hello.default.{CLUSTER}:8080/\n"
    )
    print(
        f"A service that is not exposed is refused:\n\n  curl --proxytunnel --proxy "
        f"http://127.0.0.1:{ports['frontend']} http://secret.default.{CLUSTER}:8080/\n"
    )
    print(f"Metrics: curl http://127.0.0.1:{ports['health']}/metrics    Logs: {workdir}/*.log")
    print("Press Ctrl-C to stop.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("\nstopping...")
    for process in (agent, server):
        # Ctrl-C in a terminal reaches the whole process group: the child may be gone already.
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(15):
                await process.wait()
    await service.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090, help="HTTP CONNECT frontend port")
    args = parser.parse_args()
    asyncio.run(run(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
