"""The agent's hub credentials, as pure functions over PEM bytes and kubeconfig dicts.

The hub kubeconfig keeps the bootstrap kubeconfig's server, CA, ``proxy-url`` and cluster name;
its context is ``default-context`` (namespace ``configuration``) and its user ``default-auth``,
pointing at the files ``tls.crt``/``tls.key`` next to it (``specs/ocm-apis.md`` §1.1). The same
bytes live in the spoke Secret ``hub-kubeconfig-secret`` (keys ``kubeconfig``, ``tls.crt``,
``tls.key``, ``cluster-name``, ``agent-name``).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ocm_core import pki
from ocm_core.api import gvr
from ocm_core.registration import names

Object = dict[str, Any]
ROTATION_FRACTION_RANGE: Final = (0.20, 0.25)
KEPT_CLUSTER_FIELDS: Final = (
    "server",
    "certificate-authority",
    "certificate-authority-data",
    "proxy-url",
    "insecure-skip-tls-verify",
    "tls-server-name",
)


class CredentialError(Exception):
    """The bootstrap kubeconfig or stored credentials are unusable."""


@dataclass(frozen=True)
class HubCredentials:
    kubeconfig: Object
    cert_pem: bytes
    key_pem: bytes
    cluster: str
    agent: str


def _current(kubeconfig: Mapping[str, Any]) -> tuple[str, Object]:
    """(cluster entry name, cluster fields) of the kubeconfig's current context."""
    contexts = {c.get("name"): c.get("context") or {} for c in kubeconfig.get("contexts") or []}
    context = contexts.get(kubeconfig.get("current-context"))
    if context is None:
        if len(contexts) != 1:
            raise CredentialError("the bootstrap kubeconfig has no usable current-context")
        context = next(iter(contexts.values()))
    clusters = {c.get("name"): c.get("cluster") or {} for c in kubeconfig.get("clusters") or []}
    name = context.get("cluster")
    if name not in clusters:
        raise CredentialError(f"the bootstrap kubeconfig has no cluster entry {name!r}")
    return str(name), dict(clusters[name])


def hub_kubeconfig(bootstrap: Mapping[str, Any]) -> Object:
    """The hub kubeconfig derived from the bootstrap one (certificate files are relative)."""
    name, cluster = _current(bootstrap)
    kept = {k: v for k, v in cluster.items() if k in KEPT_CLUSTER_FIELDS}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": kept}],
        "contexts": [
            {
                "name": names.HUB_CONTEXT,
                "context": {
                    "cluster": name,
                    "user": names.HUB_USER,
                    "namespace": names.HUB_CONTEXT_NAMESPACE,
                },
            }
        ],
        "current-context": names.HUB_CONTEXT,
        "users": [
            {
                "name": names.HUB_USER,
                "user": {
                    "client-certificate": names.KEY_TLS_CERT,
                    "client-key": names.KEY_TLS_KEY,
                },
            }
        ],
    }


def same_hub(hub: Mapping[str, Any], bootstrap: Mapping[str, Any]) -> bool:
    """The hub kubeconfig still matches the bootstrap one (server, proxy, CA, cluster name)."""
    try:
        return _current(hub) == (
            _current(bootstrap)[0],
            {k: v for k, v in _current(bootstrap)[1].items() if k in KEPT_CLUSTER_FIELDS},
        )
    except CredentialError:
        return False


def agent_subject(cluster: str, agent: str) -> tuple[str, tuple[str, ...]]:
    """(CN, O) of the agent's certificate, in the upstream format."""
    return names.agent_user(cluster, agent), (
        names.cluster_group(cluster),
        names.MANAGED_CLUSTERS_GROUP,
    )


def csr_object(
    cluster: str, agent: str, key: pki.PrivateKey, expiration_seconds: int | None = None
) -> Object:
    user, groups = agent_subject(cluster, agent)
    spec: Object = {
        "request": base64.b64encode(pki.create_csr(key, user=user, groups=groups)).decode(),
        "signerName": names.KUBE_APISERVER_CLIENT_SIGNER,
        "usages": list(names.CSR_USAGES),
    }
    if expiration_seconds is not None:
        spec["expirationSeconds"] = expiration_seconds
    return {
        "apiVersion": gvr.CERTIFICATE_SIGNING_REQUESTS.api_version,
        "kind": gvr.CERTIFICATE_SIGNING_REQUESTS.kind,
        "metadata": {
            "generateName": f"{cluster}-",
            "labels": {names.CLUSTER_NAME_LABEL: cluster},
        },
        "spec": spec,
    }


def issued_certificate(csr: Mapping[str, Any]) -> bytes | None:
    """The signed PEM of an approved CSR, or None while there is none."""
    encoded = (csr.get("status") or {}).get("certificate")
    return base64.b64decode(encoded) if encoded else None


def problem(creds: HubCredentials, *, now: dt.datetime | None = None) -> str | None:
    """Why stored credentials cannot be used, or None when they can."""
    try:
        certificate = pki.load_certificate_pem(creds.cert_pem)
        key = pki.load_private_key_pem(creds.key_pem)
    except (pki.PKIError, ValueError) as exc:
        return f"the stored certificate or key is unreadable: {exc}"
    if not _matches(certificate, key):
        return "the stored certificate does not match its key"
    user, _ = pki.subject_user(certificate)
    if user != names.agent_user(creds.cluster, creds.agent):
        return f"the stored certificate is for {user!r}, not this cluster and agent"
    if pki.is_expired(certificate, now=now):
        return "the stored certificate has expired"
    return None


def _matches(certificate: x509.Certificate, key: pki.PrivateKey) -> bool:
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return certificate.public_key().public_bytes(der, spki) == key.public_key().public_bytes(
        der, spki
    )


def rotation_due_at(certificate: x509.Certificate, rng: random.Random) -> dt.datetime:
    """When to renew: once a random 20-25 % of the lifetime remains (spreads renewals)."""
    return pki.rotation_due_at(certificate, fraction=rng.uniform(*ROTATION_FRACTION_RANGE))


def secret(creds: HubCredentials, kubeconfig_text: str) -> Object:
    """The spoke Secret ``hub-kubeconfig-secret`` holding the credentials."""
    data = {
        names.KEY_KUBECONFIG: kubeconfig_text.encode(),
        names.KEY_TLS_CERT: creds.cert_pem,
        names.KEY_TLS_KEY: creds.key_pem,
        names.KEY_CLUSTER_NAME: creds.cluster.encode(),
        names.KEY_AGENT_NAME: creds.agent.encode(),
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": names.HUB_KUBECONFIG_SECRET, "namespace": names.AGENT_NAMESPACE},
        "type": "Opaque",
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def secret_field(obj: Mapping[str, Any], key: str) -> bytes | None:
    value = (obj.get("data") or {}).get(key)
    return base64.b64decode(value) if value else None
