"""`LeaseAgent`: the add-on agent's health signal, upstream's addon-agent sidecar in small.

While the add-on's own program answers its readiness endpoint (for cluster-proxy the
proxy-agent's `/readyz`, which is ready only with a tunnel up), the add-on's Lease in the
cluster namespace on the hub is renewed; the hub's lease controller turns a fresh Lease into
Available=True and a stale one into False. So Available means "the tunnel is up", as upstream's
`--enable-proxy-agent-health-check` does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import aiohttp

from ocm_core.addon.spoke import renew_lease
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi
from ocm_core.runtime import Clock

logger = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS: Final = 5.0
#: Retry this soon while the probed program is not ready yet (the first renewal matters most).
NOT_READY_RETRY_SECONDS: Final = 2.0


@dataclass(frozen=True)
class LeaseAgentOptions:
    cluster: str
    addon_name: str
    probe_url: str | None
    period: float


class LeaseAgent:
    def __init__(self, hub: KubeApi, options: LeaseAgentOptions, *, clock: Clock) -> None:
        self.hub = hub
        self.options = options
        self.clock = clock

    async def healthy(self, session: aiohttp.ClientSession) -> bool:
        if self.options.probe_url is None:
            return True
        try:
            async with session.get(self.options.probe_url) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                delay = self.options.period
                if await self.healthy(session):
                    try:
                        await renew_lease(
                            self.hub,
                            self.options.cluster,
                            self.options.addon_name,
                            holder=f"{self.options.addon_name}-agent",
                            clock=self.clock,
                        )
                    except errors.KubeError as exc:
                        logger.warning("renewing the add-on lease failed: %s", exc)
                        delay = NOT_READY_RETRY_SECONDS
                else:
                    delay = NOT_READY_RETRY_SECONDS
                await self.clock.sleep(delay)
