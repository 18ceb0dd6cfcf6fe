"""The ``kubernetes.io/kube-apiserver-client`` signer, as kube-controller-manager runs it.

Approved CSRs for that signer without a certificate are signed with the server's CA (the one
it trusts for client certificates), and the PEM is written to ``status.certificate``. A CSR the
signer's rules refuse gets a ``Failed`` condition naming the problem instead. Other signers are
left alone.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from aiohttp import web

from ocm_core import pki
from ocm_core.apiserver import errors
from ocm_core.apiserver.controllers.events import batches
from ocm_core.apiserver.operations import Operations, PatchType
from ocm_core.apiserver.state import STATE
from ocm_core.apiserver.storage import EventType
from ocm_core.apiserver.watch import WatchHub

logger = logging.getLogger(__name__)

CSR_KEY: Final = "certificates.k8s.io/certificatesigningrequests"
SIGNER: Final = pki.SIGNER_KUBE_APISERVER_CLIENT
FAILED_REASON: Final = "SignerValidationFailure"


def needs_signing(csr: dict[str, Any]) -> bool:
    """Approved, for our signer, not yet signed and not failed."""
    if (csr.get("spec") or {}).get("signerName") != SIGNER:
        return False
    status = csr.get("status") or {}
    if status.get("certificate"):
        return False
    types = {c.get("type") for c in status.get("conditions") or ()}
    return "Approved" in types and not types & {"Denied", "Failed"}


class CsrSigner:
    def __init__(self, operations: Operations, hub: WatchHub, ca: pki.CertificateAuthority) -> None:
        self._ops = operations
        self._hub = hub
        self._ca = ca

    async def run(self) -> None:
        async for batch in batches(self._hub, CSR_KEY):
            if batch is None:
                pending = (await self._ops.storage.list(CSR_KEY)).items
            else:
                pending = [e.object for e in batch if e.type is not EventType.DELETED]
            for csr in pending:
                if needs_signing(csr):
                    await self._sign(csr)

    async def _sign(self, csr: dict[str, Any]) -> None:
        name = csr["metadata"]["name"]
        try:
            certificate = pki.sign_csr_spec(self._ca, csr.get("spec") or {})
            status: dict[str, Any] = {"certificate": base64.b64encode(certificate).decode()}
        except pki.PKIError as exc:
            status = {"conditions": [*(csr.get("status") or {}).get("conditions", []), {
                "type": "Failed",
                "status": "True",
                "reason": FAILED_REASON,
                "message": str(exc),
            }]}  # fmt: skip
        info = self._ops.registry.by_storage_key(CSR_KEY)
        assert info is not None
        try:
            await self._ops.patch(
                info, "", name, PatchType.MERGE, {"status": status}, subresource="status"
            )
        except errors.ApiError as exc:
            logger.info("cannot record a signed CSR", extra={"csr": name, "error": str(exc)})
        else:
            logger.info("signed CSR", extra={"csr": name, "failed": "conditions" in status})


def signer_context(
    ca: pki.CertificateAuthority,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` entry running the signer beside the server's own controllers
    (append it after ``make_app``'s, so storage and the watch hub are ready)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        state = app[STATE]
        task = asyncio.create_task(
            CsrSigner(state.operations, state.hub, ca).run(), name="csr-signer"
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context
