"""Where the lab keeps its state: one data directory, stable across `ocm up` runs."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HUB = "hub"


@dataclass(frozen=True)
class LabLayout:
    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "lab.json"

    @property
    def pid_file(self) -> Path:
        return self.root / "ocm-up.pid"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    def apiserver_dir(self, cluster: str) -> Path:
        return self.root / "clusters" / cluster / "apiserver"

    def kubeconfig(self, cluster: str) -> Path:
        return self.apiserver_dir(cluster) / "admin.kubeconfig"

    def runtime_dir(self, cluster: str) -> Path:
        return self.root / "clusters" / cluster / "run"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # -- ports, kept so kubeconfigs stay valid when the lab comes back ---------------------------
    def load_state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def save_state(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        tmp.replace(self.state_file)

    def port(self, state: dict[str, Any], name: str, preferred: int = 0) -> int:
        """The port `name` had last time, else `preferred` if free, else any free port."""
        ports: dict[str, int] = state.setdefault("ports", {})
        if name not in ports:
            ports[name] = preferred if preferred and _is_free(preferred) else _free_port()
        return ports[name]


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
