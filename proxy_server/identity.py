"""Who is on the other end of a TLS stream: the cluster an agent certificate names.

Subject format (OCM's add-on agent subject, so add-on registration issues it unchanged):
  CN = system:open-cluster-management:cluster:<cluster>:addon:<addon>:agent:<agent>
  O  = system:open-cluster-management:cluster:<cluster>:addon:<addon>
The cluster is read from the CN, or failing that from any O of that form.
"""

from __future__ import annotations

from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

CLUSTER_PREFIX: Final = "system:open-cluster-management:cluster:"


def cluster_of_name(name: str) -> str | None:
    """`c1` from `system:open-cluster-management:cluster:c1:addon:...`, else None."""
    if not name.startswith(CLUSTER_PREFIX):
        return None
    cluster = name[len(CLUSTER_PREFIX) :].split(":", 1)[0]
    return cluster or None


def cluster_of_certificate(pem: bytes) -> str | None:
    cert = x509.load_pem_x509_certificate(pem)
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] + [
        str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    ]
    for name in names:
        cluster = cluster_of_name(name)
        if cluster:
            return cluster
    return None


def agent_subject(
    cluster: str, addon: str = "cluster-proxy", agent: str = "proxy-agent"
) -> tuple[str, str]:
    """(CN, O) for an agent certificate of `cluster`."""
    organization = f"{CLUSTER_PREFIX}{cluster}:addon:{addon}"
    return f"{organization}:agent:{agent}", organization
