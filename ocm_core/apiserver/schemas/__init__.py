"""Structural schemas of the built-in kinds: field validation and ``kubectl explain``. Pure.

One module per API group or shared type (``core``, ``pod`` with ``container``, ``volume`` and
``security``, ``apps``, ``events``, ``rbac``, ...), written in the :mod:`vocabulary` of typed
fields with kube's names and short descriptions; ``meta`` holds ObjectMeta and friends. Every
field of the kinds' types is listed, so an unknown field is reported as a real kube-apiserver
reports it; deep parts this server does not describe are ``x-kubernetes-preserve-unknown-fields``
objects, so a valid manifest is never refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ocm_core.api.schema import Schema
from ocm_core.apiserver.registry import CRD_GROUP, RBAC, ResourceInfo
from ocm_core.apiserver.schemas import (
    apiextensions,
    apps,
    certificates,
    coordination,
    core,
    events,
    pod,
    rbac,
    reviews,
)
from ocm_core.apiserver.schemas.meta import OBJECT_FIELDS

__all__ = ["BUILTIN_SCHEMAS", "OBJECT_FIELDS", "schema_for"]

_AUTHENTICATION: Final = "authentication.k8s.io"
_AUTHORIZATION: Final = "authorization.k8s.io"

#: (group, kind) -> schema, for every served version of the kind.
BUILTIN_SCHEMAS: Final[Mapping[tuple[str, str], Schema]] = {
    ("", "ConfigMap"): core.CONFIG_MAP,
    ("", "Secret"): core.SECRET,
    ("", "Namespace"): core.NAMESPACE,
    ("", "ServiceAccount"): core.SERVICE_ACCOUNT,
    ("", "Service"): core.SERVICE,
    ("", "Endpoints"): core.ENDPOINTS,
    ("", "Event"): events.CORE_EVENT,
    ("", "Pod"): pod.POD,
    ("events.k8s.io", "Event"): events.EVENT,
    ("apps", "Deployment"): apps.DEPLOYMENT,
    ("apps", "ReplicaSet"): apps.REPLICA_SET,
    ("coordination.k8s.io", "Lease"): coordination.LEASE,
    ("certificates.k8s.io", "CertificateSigningRequest"): (
        certificates.CERTIFICATE_SIGNING_REQUEST
    ),
    (RBAC, "Role"): rbac.ROLE,
    (RBAC, "ClusterRole"): rbac.CLUSTER_ROLE,
    (RBAC, "RoleBinding"): rbac.ROLE_BINDING,
    (RBAC, "ClusterRoleBinding"): rbac.CLUSTER_ROLE_BINDING,
    (CRD_GROUP, "CustomResourceDefinition"): apiextensions.CUSTOM_RESOURCE_DEFINITION,
    (_AUTHENTICATION, "TokenReview"): reviews.TOKEN_REVIEW,
    (_AUTHENTICATION, "SelfSubjectReview"): reviews.SELF_SUBJECT_REVIEW,
    (_AUTHORIZATION, "SubjectAccessReview"): reviews.SUBJECT_ACCESS_REVIEW,
    (_AUTHORIZATION, "LocalSubjectAccessReview"): reviews.LOCAL_SUBJECT_ACCESS_REVIEW,
    (_AUTHORIZATION, "SelfSubjectAccessReview"): reviews.SELF_SUBJECT_ACCESS_REVIEW,
    (_AUTHORIZATION, "SelfSubjectRulesReview"): reviews.SELF_SUBJECT_RULES_REVIEW,
}


def schema_for(info: ResourceInfo) -> Schema | None:
    """The schema of a served kind: its CRD version's, a built-in one, or None."""
    if info.schema is not None:
        return info.schema
    if info.crd_name:
        return None
    return BUILTIN_SCHEMAS.get((info.group, info.kind))
