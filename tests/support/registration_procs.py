"""``ocm hub`` / ``ocm klusterlet`` / ``ocm <verb>`` as real processes for registration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocm_core.kube.client import ApiClient
from ocm_core.kube.config import KubeConfig
from ocm_core.runtime import patching
from tests.support.apiserver_process import ApiServerProcess

STOP_TIMEOUT_SECONDS = 20.0


class OcmProcess:
    """One long-running ``ocm`` subcommand; its output goes to ``<workdir>/<name>.log``."""

    def __init__(self, name: str, args: list[str], workdir: Path) -> None:
        self.name = name
        self.args = args
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> OcmProcess:
        with self.log_path.open("ab") as log:
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "OCM_LOG_LEVEL": "INFO"}
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ocm_core.cli", *self.args],
                stdout=log,
                stderr=log,
                env=env,
            )
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Lab:
    """A hub API server running ``ocm hub``, and spoke API servers by cluster name."""

    workdir: Path
    hub: ApiServerProcess
    spokes: dict[str, ApiServerProcess]
    controller: OcmProcess


def run_ocm(*args: str) -> subprocess.CompletedProcess[str]:
    """A short ``ocm`` command; returns its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "ocm_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def hub_controller(hub: ApiServerProcess, workdir: Path, *extra: str) -> OcmProcess:
    return OcmProcess("hub", ["hub", "--kubeconfig", str(hub.kubeconfig), *extra], workdir).start()


def klusterlet(
    cluster: str,
    hub: ApiServerProcess,
    spoke: ApiServerProcess,
    workdir: Path,
    *extra: str,
) -> OcmProcess:
    """An agent bootstrapping with the hub admin kubeconfig (the embedded server does not
    authenticate bootstrap tokens yet)."""
    args = [
        "klusterlet", "--cluster-name", cluster,
        "--bootstrap-kubeconfig", str(hub.kubeconfig),
        "--spoke-kubeconfig", str(spoke.kubeconfig),
        "--hub-kubeconfig-dir", str(workdir / f"{cluster}-hub-kubeconfig"),
        "--status-period", "2", *extra,
    ]  # fmt: skip
    return OcmProcess(f"klusterlet-{cluster}", args, workdir).start()


def admin_client(server: ApiServerProcess) -> ApiClient:
    return ApiClient(KubeConfig.from_kubeconfig(server.kubeconfig))


def condition(obj: dict[str, Any] | None, kind: str) -> str | None:
    if obj is None:
        return None
    found = patching.find_condition((obj.get("status") or {}).get("conditions"), kind)
    return str(found["status"]) if found else None
