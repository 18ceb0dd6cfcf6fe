"""May this hub user reach this cluster? A SubjectAccessReview on the hub, cached.

The review asks for verb `get` on `managedclusters/proxy` (group
`cluster.open-cluster-management.io`) named after the cluster, so a hub ClusterRole such as

    rules:
    - apiGroups: [cluster.open-cluster-management.io]
      resources: [managedclusters/proxy]
      resourceNames: [cluster1]
      verbs: [get]

grants one user the proxy into one cluster. What the user may then do *on* the cluster is the
spoke's RBAC for the impersonated identity.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final, Protocol

from ocm_core.apiserver.auth.user import Decision, UserInfo
from ocm_core.kube import errors as kube_errors
from proxy_server.userserver.authentication import AuthUnavailableError, HubApi
from proxy_server.userserver.reviewcache import TTLCache

SUBJECT_ACCESS_REVIEWS: Final = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
PROXY_GROUP: Final = "cluster.open-cluster-management.io"
PROXY_RESOURCE: Final = "managedclusters"
PROXY_SUBRESOURCE: Final = "proxy"
PROXY_VERB: Final = "get"


class Authorizer(Protocol):
    async def authorize(self, user: UserInfo, cluster: str) -> Decision: ...


def proxy_permission(cluster: str) -> str:
    """The permission in words, for 403 messages."""
    return (
        f'{PROXY_VERB} {PROXY_RESOURCE}/{PROXY_SUBRESOURCE} "{cluster}" in API group {PROXY_GROUP}'
    )


class SubjectAccessReviewAuthorizer:
    def __init__(self, hub: HubApi, *, cache_ttl: float = 10.0) -> None:
        self._hub = hub
        self._cache: TTLCache[Decision] = TTLCache(cache_ttl)

    async def authorize(self, user: UserInfo, cluster: str) -> Decision:
        spec: dict[str, object] = {
            "user": user.name,
            "groups": list(user.groups),
            "uid": user.uid,
            "extra": {key: list(values) for key, values in user.extra.items()},
            "resourceAttributes": {
                "group": PROXY_GROUP,
                "resource": PROXY_RESOURCE,
                "subresource": PROXY_SUBRESOURCE,
                "name": cluster,
                "verb": PROXY_VERB,
            },
        }
        key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        decision = await self._review(spec)
        self._cache.put(key, decision)
        return decision

    async def _review(self, spec: dict[str, object]) -> Decision:
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": spec,
        }
        try:
            answer = await self._hub.request("POST", SUBJECT_ACCESS_REVIEWS, body=body)
        except (kube_errors.KubeError, OSError) as exc:
            raise AuthUnavailableError(f"the hub SubjectAccessReview failed: {exc}") from exc
        status = answer.get("status") or {}
        return Decision(bool(status.get("allowed")), str(status.get("reason") or ""))
