"""The local lab's stand-in for cluster DNS and Service routing: `svc.ns.svc:port` -> address.

A real cluster resolves `<service>.<namespace>.svc` through its DNS and routes the Service's
cluster IP to a ready pod. A lab cluster has neither: its pods are local processes on host
ports chosen by the local runtime (`ocm_core.localruntime`), which writes what each Service
port leads to into a JSON file and names that file to every process it runs in the environment
variable `OCM_LOCAL_SERVICE_MAP`. The agent dials what the file says; an address the file does
not name is dialled as it is (DNS), so the same agent works in a real cluster.

File format (written atomically, reloaded when it changes):

    {"services": {"web.demo.svc:8080": ["127.0.0.1:41234", "127.0.0.1:41240"]}}

Keys are `<service>.<namespace>.svc:<port>`; values are the ready endpoints, tried in turn
(round robin). A Service listed with no ready endpoint is refused here with that reason,
rather than failing later in DNS.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from protos.tunnel import DialRefusedError

#: The environment variable the local runtime sets for every process it runs.
SERVICE_MAP_ENV: Final = "OCM_LOCAL_SERVICE_MAP"
CLUSTER_DOMAIN: Final = ".cluster.local"
SERVICE_SUFFIX: Final = ".svc"


class ServiceMapError(ValueError):
    """The service map file is unreadable or malformed; the message says where."""


class NoEndpointsError(DialRefusedError):
    """The Service is known to the lab but has none of its pods ready; the dialer is told so."""


def canonical(target: str) -> str:
    """`web.demo.svc.cluster.local:80` -> `web.demo.svc:80`; other names are unchanged."""
    host, sep, port = target.rpartition(":")
    if host.endswith(SERVICE_SUFFIX + CLUSTER_DOMAIN):
        host = host[: -len(CLUSTER_DOMAIN)]
    return f"{host}{sep}{port}"


@dataclass
class ServiceMap:
    """What each Service port leads to; empty (dial everything as named) without a file."""

    services: Mapping[str, Sequence[str]] = field(default_factory=dict)
    source: str = ""
    _turns: dict[str, Iterator[str]] = field(default_factory=dict, repr=False)

    def resolve(self, target: str) -> str:
        """The endpoint to dial for `target` (`host:port`), round robin over ready ones."""
        key = canonical(target)
        if key not in self.services:
            return target
        endpoints = self.services[key]
        if not endpoints:
            raise NoEndpointsError(
                f"service {key} has no ready endpoint in the lab's service map ({self.source})"
            )
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = itertools.cycle(endpoints)
        return next(turn)


def parse(text: str, *, source: str) -> ServiceMap:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceMapError(f"{source}: not JSON: {exc}") from exc
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        raise ServiceMapError(f"{source}: expected {{'services': {{'<svc>.<ns>.svc:<port>': []}}}}")
    for key, endpoints in services.items():
        if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
            raise ServiceMapError(f"{source}: services[{key!r}] must be a list of host:port")
    return ServiceMap(services={str(k): tuple(v) for k, v in services.items()}, source=source)


def load_file(path: Path) -> ServiceMap:
    """The map in `path`; a missing file is an empty map (the runtime has not written it yet)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return ServiceMap(source=str(path))
    except OSError as exc:
        raise ServiceMapError(f"{path}: {exc}") from exc
    return parse(text, source=str(path))
