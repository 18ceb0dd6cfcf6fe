"""Leaf certificates of the hub side: `proxy-server`, `agent-server`, `proxy-client` and the
user-server's serving certificate, each in a `kubernetes.io/tls` Secret in the proxy namespace.

A leaf is re-issued early: in the last 20 % of its 180-day life, when the current CA did not
sign it (after a CA promotion), or when its SANs differ from the wanted ones (OCM's
TargetRotation rules, `pki.reissue_reason`). Each Secret also carries `ca.crt`, the trust
bundle, so a consumer always has the CAs it needs. Pure functions; no I/O.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core import pki
from ocm_core.addon.cluster_proxy.signer import SignerState
from ocm_core.api import proxy

LOCAL_SANS: Final = ("127.0.0.1", "localhost")
VALIDITY: Final = dt.timedelta(days=proxy.CERT_VALIDITY_DAYS)
PROXY_CLIENT_USER: Final = "open-cluster-management:cluster-proxy:proxy-client"


@dataclass(frozen=True)
class LeafSpec:
    secret_name: str
    condition: str | None
    """MPC condition reporting this secret (None: not reported)."""
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    client_user: str | None = None
    """Set for client certificates (CN); serving certificates use the SANs."""
    client_groups: tuple[str, ...] = field(default_factory=tuple)


def split_sans(sans: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(DNS names, IP addresses) of a SAN list, duplicates removed, order kept."""
    dns: list[str] = []
    ips: list[str] = []
    for san in dict.fromkeys(s for s in sans if s):
        try:
            ipaddress.ip_address(san)
        except ValueError:
            dns.append(san)
        else:
            ips.append(san)
    return tuple(dns), tuple(ips)


def leaf_specs(mpc: Mapping[str, Any], *, entrypoint_address: str | None) -> list[LeafSpec]:
    """The leaf certificates a ManagedProxyConfiguration asks for."""
    spec = mpc.get("spec") or {}
    server = spec.get("proxyServer") or {}
    namespace = server.get("namespace") or proxy.PROXY_SERVER_NAMESPACE_DEFAULT
    service = server.get("inClusterServiceName") or proxy.ENTRYPOINT_SERVICE
    additional = list(
        (((spec.get("authentication") or {}).get("signer") or {}).get("selfSigned") or {}).get(
            "additionalSANs"
        )
        or []
    )
    server_sans = [
        *additional,
        *LOCAL_SANS,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        *([entrypoint_address] if entrypoint_address else []),
    ]
    dns, ips = split_sans(server_sans)
    secrets = ((spec.get("authentication") or {}).get("dump") or {}).get("secrets") or {}
    specs = [
        LeafSpec(
            secrets.get("signingProxyServerSecretName") or proxy.PROXY_SERVER_SECRET,
            proxy.CONDITION_PROXY_SERVER_SECRET_SIGNED,
            dns,
            ips,
        ),
        LeafSpec(
            secrets.get("signingAgentServerSecretName") or proxy.AGENT_SERVER_SECRET,
            proxy.CONDITION_AGENT_SERVER_SECRET_SIGNED,
            dns,
            ips,
        ),
        LeafSpec(
            secrets.get("signingProxyClientSecretName") or proxy.PROXY_CLIENT_SECRET,
            None,
            client_user=PROXY_CLIENT_USER,
            client_groups=(proxy.AGENT_GROUP,),
        ),
    ]
    user_server = spec.get("userServer")
    if user_server is not None:
        base = proxy.USER_SERVER_SERVICE
        user_dns, user_ips = split_sans(
            [
                *LOCAL_SANS,
                base,
                f"{base}.{namespace}",
                f"{base}.{namespace}.svc",
                f"{base}.{namespace}.svc.cluster.local",
                *((user_server or {}).get("additionalSANs") or []),
            ]
        )
        specs.append(
            LeafSpec(
                proxy.USER_SERVER_SECRET,
                proxy.CONDITION_USER_SERVER_SECRET_SIGNED,
                user_dns,
                user_ips,
            )
        )
    return specs


def reissue_reason(
    data: Mapping[str, str], leaf: LeafSpec, ca: pki.CertificateAuthority, now: dt.datetime
) -> str | None:
    """Why the Secret `data` must get a new certificate, or None if it is fine."""
    if "tls.crt" not in data or "tls.key" not in data:
        return "no certificate yet"
    certificate = pki.load_certificate_pem(base64.b64decode(data["tls.crt"]))
    if leaf.client_user is not None:
        if pki.needs_rotation(certificate, now=now):
            return "the certificate is in the last 20% of its lifetime"
        if not pki.is_issued_by(certificate, ca.certificate):
            return "the certificate was not issued by the current CA"
        return None
    return pki.reissue_reason(
        certificate, ca=ca, dns_names=leaf.dns_names, ip_addresses=leaf.ip_addresses, now=now
    )


def issue(leaf: LeafSpec, signer: SignerState, now: dt.datetime) -> dict[str, str]:
    """New Secret data for `leaf`: tls.crt, tls.key and the trust bundle as ca.crt."""
    if leaf.client_user is not None:
        issued = pki.issue_client_cert(
            signer.current,
            user=leaf.client_user,
            groups=leaf.client_groups,
            validity=VALIDITY,
            now=now,
        )
    else:
        issued = pki.issue_serving_cert(
            signer.current,
            common_name=leaf.dns_names[0] if leaf.dns_names else leaf.secret_name,
            dns_names=leaf.dns_names,
            ip_addresses=leaf.ip_addresses,
            validity=VALIDITY,
            now=now,
        )
    return {
        "tls.crt": base64.b64encode(issued.cert_pem()).decode(),
        "tls.key": base64.b64encode(issued.key_pem()).decode(),
        proxy.CA_CERT_KEY: base64.b64encode(signer.bundle.pem()).decode(),
    }


def expiry_of(data: Mapping[str, str]) -> dt.datetime | None:
    if "tls.crt" not in data:
        return None
    return pki.load_certificate_pem(base64.b64decode(data["tls.crt"])).not_valid_after_utc


def rotation_due(data: Mapping[str, str]) -> dt.datetime | None:
    if "tls.crt" not in data:
        return None
    return pki.rotation_due_at(pki.load_certificate_pem(base64.b64decode(data["tls.crt"])))
