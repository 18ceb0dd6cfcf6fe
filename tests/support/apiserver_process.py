"""``ApiServerProcess``: a real ``ocm apiserver`` process on 127.0.0.1 (port 0), for tests."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import config

T = TypeVar("T")
DEADLINE_SECONDS = 20.0


def eventually(predicate: Callable[[], T | None], timeout: float = DEADLINE_SECONDS) -> T:
    """Poll until ``predicate`` returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)


class ApiServerProcess:
    """One ``ocm apiserver`` process; ``restart`` keeps the data dir and the port."""

    def __init__(self, data_dir: Path, *extra_args: str) -> None:
        self.data_dir = data_dir
        self.extra_args = extra_args
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "admin.kubeconfig"

    def start(self) -> None:
        port_file = self.data_dir / "port"
        port_file.unlink(missing_ok=True)
        args = [
            sys.executable, "-m", "ocm_core.cli", "apiserver",
            "--data-dir", str(self.data_dir), "--port", str(self.port),
            "--port-file", str(port_file), *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stderr=subprocess.PIPE)
        eventually(lambda: port_file.exists() and port_file.read_text())
        self.port = int(port_file.read_text())
        eventually(self._ready)

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"apiserver exited: {self.process.stderr and self.process.stderr.read()!r}"
            )
        context = ssl.create_default_context(cafile=str(self.data_dir / "ca.crt"))
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{self.port}/readyz", context=context
            ) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        self.process.send_signal(sig)
        self.process.wait(timeout=DEADLINE_SECONDS)
        self.process = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    def api_client(self) -> Any:
        """A kubernetes.client.ApiClient (untyped upstream, hence Any)."""
        return config.new_client_from_config(config_file=str(self.kubeconfig))  # type: ignore[no-untyped-call]  # kubernetes is untyped here


def open_stream(server: ApiServerProcess, path: str) -> Any:
    """A raw HTTPS GET as the admin (for watch streams read line by line)."""
    token = (server.data_dir / "admin.token").read_text().strip()
    context = ssl.create_default_context(cafile=str(server.data_dir / "ca.crt"))
    request = urllib.request.Request(
        f"https://127.0.0.1:{server.port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    return urllib.request.urlopen(request, context=context, timeout=DEADLINE_SECONDS)


def call(
    server: ApiServerProcess,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str | None = "application/json",
    token: str | None = None,
) -> tuple[int, Any]:
    """One raw HTTPS request; returns (status, decoded JSON body or raw text)."""
    if token is None:
        token = (server.data_dir / "admin.token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type and body is not None:
        headers["Content-Type"] = content_type
    context = ssl.create_default_context(cafile=str(server.data_dir / "ca.crt"))
    request = urllib.request.Request(
        f"https://127.0.0.1:{server.port}{path}", data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=DEADLINE_SECONDS) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload.decode(errors="replace")
