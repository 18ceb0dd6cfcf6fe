"""The cluster-proxy CA in Secret `cluster-proxy-signer`, rotated with overlap.

Upstream never rotates this CA. Here it rotates in two steps so no agent or client ever meets a
certificate it cannot verify:
1. **stage**: once the current CA is in the last 20 % of its life, a new CA is made and added to
   the trust bundle (`ca-bundle.crt`); leaf certificates are still signed by the old CA. The
   bundle reaches the proxy-server (`proxy-server-ca`), agents (`cluster-proxy-ca`) and clients.
2. **promote**: after `overlap` seconds the new CA becomes current (`ca.crt`/`ca.key`); leaf
   certificates are then re-issued because their issuer changed. The old CA stays in the bundle
   until it expires, so certificates it signed keep working while they are replaced.

Secret keys: `ca.crt` and `ca.key` (upstream's names; the current CA), `ca-bundle.crt`, and while
staged `next-ca.crt`, `next-ca.key` and the annotation `.../next-ca-staged-at`. Pure functions of
the secret data and `now`; key generation blocks, so async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from ocm_core import pki
from ocm_core.api import proxy

BUNDLE_KEY: Final = "ca-bundle.crt"
NEXT_CA_CERT_KEY: Final = "next-ca.crt"
NEXT_CA_KEY_KEY: Final = "next-ca.key"
STAGED_AT_ANNOTATION: Final = "proxy.open-cluster-management.io/next-ca-staged-at"
DEFAULT_OVERLAP: Final = dt.timedelta(hours=1)
"""How long a staged CA is trusted before it signs: time for the bundle to reach every agent."""


@dataclass(frozen=True)
class SignerState:
    current: pki.CertificateAuthority
    bundle: pki.CABundle
    staged: pki.CertificateAuthority | None = None
    staged_at: dt.datetime | None = None

    def secret_data(self) -> dict[str, str]:
        """The Secret `data` (base64 values)."""
        raw = {
            proxy.CA_CERT_KEY: self.current.cert_pem(),
            proxy.CA_KEY_KEY: self.current.key_pem(),
            BUNDLE_KEY: self.bundle.pem(),
        }
        if self.staged is not None:
            raw[NEXT_CA_CERT_KEY] = self.staged.cert_pem()
            raw[NEXT_CA_KEY_KEY] = self.staged.key_pem()
        return {k: base64.b64encode(v).decode() for k, v in raw.items()}

    def annotations(self) -> dict[str, str]:
        if self.staged_at is None:
            return {}
        return {STAGED_AT_ANNOTATION: self.staged_at.isoformat()}


def load(data: Mapping[str, str], annotations: Mapping[str, str]) -> SignerState | None:
    """The state in a Secret's data, or None if it holds no usable CA."""
    raw = {k: base64.b64decode(v) for k, v in data.items()}
    if proxy.CA_CERT_KEY not in raw or proxy.CA_KEY_KEY not in raw:
        return None
    current = pki.CertificateAuthority(
        pki.load_certificate_pem(raw[proxy.CA_CERT_KEY]),
        pki.load_private_key_pem(raw[proxy.CA_KEY_KEY]),
    )
    bundle = pki.CABundle.from_pem(raw[BUNDLE_KEY]) if BUNDLE_KEY in raw else pki.CABundle()
    bundle = bundle.with_ca(current.certificate)
    staged = None
    if NEXT_CA_CERT_KEY in raw and NEXT_CA_KEY_KEY in raw:
        staged = pki.CertificateAuthority(
            pki.load_certificate_pem(raw[NEXT_CA_CERT_KEY]),
            pki.load_private_key_pem(raw[NEXT_CA_KEY_KEY]),
        )
    staged_at_text = annotations.get(STAGED_AT_ANNOTATION)
    staged_at = dt.datetime.fromisoformat(staged_at_text) if staged and staged_at_text else None
    return SignerState(current, bundle, staged, staged_at)


def new_ca(now: dt.datetime, validity: dt.timedelta) -> pki.CertificateAuthority:
    return pki.create_ca(
        proxy.CA_COMMON_NAME, algorithm=pki.KeyAlgorithm.RSA_2048, validity=validity, now=now
    )


def advance(
    state: SignerState | None,
    *,
    now: dt.datetime,
    validity: dt.timedelta = pki.DEFAULT_CA_VALIDITY,
    overlap: dt.timedelta = DEFAULT_OVERLAP,
) -> SignerState:
    """The next state: create, stage, promote, or drop expired CAs (or no change)."""
    if state is None:
        ca = new_ca(now, validity)
        return SignerState(ca, pki.CABundle((ca.certificate,)))
    bundle = state.bundle.without_expired(now=now).with_ca(state.current.certificate)
    if state.staged is not None:
        staged_at = state.staged_at or now
        if now - staged_at >= overlap:
            return SignerState(state.staged, bundle.with_ca(state.staged.certificate))
        return replace(state, bundle=bundle.with_ca(state.staged.certificate), staged_at=staged_at)
    if pki.needs_rotation(state.current.certificate, now=now):
        staged = new_ca(now, validity)
        return SignerState(state.current, bundle.with_ca(staged.certificate), staged, now)
    return replace(state, bundle=bundle)


def next_change_at(state: SignerState, overlap: dt.timedelta = DEFAULT_OVERLAP) -> dt.datetime:
    """When `advance` would next change something (for the controller's requeue)."""
    if state.staged is not None and state.staged_at is not None:
        return state.staged_at + overlap
    return pki.rotation_due_at(state.current.certificate)


def ou_for(ca: pki.CertificateAuthority) -> str:
    """Upstream's agent-certificate OU naming the CA, so a CA change forces new agent certs."""
    digest = hashlib.sha256(ca.cert_pem()).digest()
    return "signer-" + base64.b64encode(digest).hex()
