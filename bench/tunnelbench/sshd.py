"""OpenSSH as a peer: a throwaway sshd on 127.0.0.1 and one `ssh -N -R` client.

Everything lives in a temporary directory (host key, user key, authorized_keys, config,
pid file); no system configuration is read or changed, except that sshd needs its
privilege-separation directory /run/sshd, which is created if missing. One ssh client
carries a reverse forward per target service, the way one agent carries every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Final

from tunnelbench import processes
from tunnelbench.config import PATH_SSH
from tunnelbench.paths import LOOPBACK, BenchPath, port_opener

PRIVSEP_DIR: Final = Path("/run/sshd")
LOG_NAME: Final = "ssh.log"


def sshd_config(*, port: int, workdir: Path) -> str:
    return "\n".join(
        [
            f"ListenAddress {LOOPBACK}",
            f"Port {port}",
            f"HostKey {workdir / 'host_ed25519'}",
            f"PidFile {workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "AllowTcpForwarding yes",
            "StrictModes no",
            "LogLevel ERROR",
            "",
        ]
    )


def ssh_argv(
    *, ssh: Path, port: int, workdir: Path, forwards: Mapping[int, int], user: str
) -> list[str]:
    """`ssh -N` with one `-R listen:target` per entry of `forwards` (listen port -> target)."""
    argv = [str(ssh), "-N", "-F", "/dev/null", "-p", str(port), "-i", str(workdir / "user_ed25519")]
    for option in (
        "StrictHostKeyChecking=no",
        "UserKnownHostsFile=/dev/null",
        "BatchMode=yes",
        "ExitOnForwardFailure=yes",
        "LogLevel=ERROR",
    ):
        argv += ["-o", option]
    for listen, target in forwards.items():
        argv += ["-R", f"{LOOPBACK}:{listen}:{LOOPBACK}:{target}"]
    argv.append(f"{user}@{LOOPBACK}")
    return argv


async def _keygen(ssh_keygen: Path, key: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ssh_keygen),
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        str(key),
        stdin=asyncio.subprocess.DEVNULL,
    )
    if await process.wait() != 0:
        raise RuntimeError(f"ssh-keygen failed for {key}")


@contextlib.asynccontextmanager
async def ssh_reverse_path(
    *, sshd: Path, ssh: Path, ssh_keygen: Path, targets: Mapping[str, int], workdir: Path
) -> AsyncIterator[BenchPath]:
    """Run a throwaway sshd plus `ssh -N -R` for every target; yield the `ssh` path."""
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    await _keygen(ssh_keygen, workdir / "host_ed25519")
    await _keygen(ssh_keygen, workdir / "user_ed25519")
    (workdir / "authorized_keys").write_bytes((workdir / "user_ed25519.pub").read_bytes())
    port = processes.free_port()
    config = workdir / "sshd_config"
    config.write_text(sshd_config(port=port, workdir=workdir))
    log = workdir / LOG_NAME
    daemon = await processes.start("sshd", [str(sshd), "-D", "-e", "-f", str(config)], log_path=log)
    client: processes.ChildProcess | None = None
    try:
        await processes.wait_listening(port, daemon, "sshd")
        forwards = {service: processes.free_port() for service in targets}
        argv = ssh_argv(
            ssh=ssh,
            port=port,
            workdir=workdir,
            forwards={forwards[s]: targets[s] for s in targets},
            user=getpass.getuser(),
        )
        client = await processes.start("ssh", argv, log_path=log)
        for service, listen in forwards.items():
            await processes.wait_listening(listen, client, f"ssh -R for {service}")
        print(f"[setup] sshd on {LOOPBACK}:{port}; ssh -N -R forwards {forwards}", flush=True)
        yield BenchPath(
            name=PATH_SSH,
            open=port_opener(forwards),
            plain_ports=forwards,
            server_pids=(daemon.pid,),
            agent_pids=(client.pid,),
        )
    finally:
        if client is not None:
            await client.stop()
        await daemon.stop()
