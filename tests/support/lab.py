"""`ocm up` as a test fixture: start a lab in a directory, run kubectl/helm/ocm against it.

One lab per test module (it takes ~15 s to start): journeys share it and leave it as they
found it where they can.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.support.helm import CHARTS_DIR, HelmResult, helm_binary

KUBECTL: Final = "/usr/bin/kubectl"
START_TIMEOUT: Final = 120.0
ADDON_NAMESPACE: Final = "open-cluster-management-cluster-proxy"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


async def run(*argv: str, env: dict[str, str] | None = None) -> Result:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


@dataclass
class Lab:
    root: Path
    clusters: tuple[str, ...]
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    def kubeconfig(self, cluster: str) -> Path:
        return self.root / "clusters" / cluster / "apiserver" / "admin.kubeconfig"

    @property
    def hub(self) -> Path:
        return self.kubeconfig("hub")

    @property
    def values_file(self) -> Path:
        return self.root / "cluster-proxy-values.yaml"

    def start(self) -> None:
        """Run `ocm up` until it prints its summary (synchronous: one lab serves a module)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ocm_core.cli", "up",
             "--clusters", str(len(self.clusters)), "--data-dir", str(self.root)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops everything" not in "".join(self.output):
            line = self.process.stdout.readline()
            assert line, "ocm up exited early:\n" + "".join(self.output)
            assert time.monotonic() < deadline, "ocm up is slow:\n" + "".join(self.output)
            self.output.append(line)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=60)
        return self.process.returncode

    def suggested(self, text: str) -> str:
        """The command `ocm up` printed under "Try:" that contains `text`."""
        for line in self.output:
            if text in line and not line.strip().startswith("#"):
                return line.strip()
        raise AssertionError(f"`ocm up` suggested no command containing {text!r}")

    async def kubectl(self, kubeconfig: Path, *args: str) -> str:
        result = await run(KUBECTL, "--kubeconfig", str(kubeconfig), *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    async def ocm(self, *args: str) -> Result:
        return await run(sys.executable, "-m", "ocm_core.cli", *args)

    async def helm(self, *args: str) -> HelmResult:
        result = await run(str(helm_binary()), *args, "--kubeconfig", str(self.hub))
        return HelmResult(result.returncode, result.stdout, result.stderr)

    async def helm_cluster_proxy(self, verb: str, *sets: str) -> None:
        """`helm install|upgrade cluster-proxy` with the values file `ocm up` wrote."""
        args = [verb, "cluster-proxy", str(CHARTS_DIR / "cluster-proxy"), "-n", ADDON_NAMESPACE]
        args += ["--create-namespace", "-f", str(self.values_file)]
        for value in sets:
            args += ["--set", value]
        result = await self.helm(*args)
        assert result.returncode == 0, result.stderr
