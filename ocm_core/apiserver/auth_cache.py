"""``AuthCache``: the objects authentication and authorization read on every request.

RBAC (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings), bootstrap-token Secrets in
kube-system, ServiceAccounts (their uids, so deleting an account revokes its tokens) and the uids
of every Pod, Secret and Node (so deleting the object a token is bound to revokes the token). Loaded
from storage once at start-up, then kept current by the watch hub's synchronous listener, so a
RoleBinding is in force as soon as its create returns and no request queries the database.
Aggregated ClusterRoles get their rules filled in (kube's aggregation controller), recomputed
lazily after a ClusterRole change that can affect them (one that aggregates, or whose labels an
aggregation selector matches); the per-cluster roles of a big hub never trigger that.
ClusterRoleBindings are indexed by subject name, so authorizing a request reads only the bindings
that can name its user: both keep per-request cost flat as clusters are added.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from ocm_core.apiserver.auth import rbac
from ocm_core.apiserver.auth.bootstrap import BOOTSTRAP_NAMESPACE, SECRET_NAME_PREFIX
from ocm_core.apiserver.auth.serviceaccount import SERVICE_ACCOUNT_KIND
from ocm_core.apiserver.storage import EventType, Storage, StoredEvent

ROLES: Final = "rbac.authorization.k8s.io/roles"
CLUSTER_ROLES: Final = "rbac.authorization.k8s.io/clusterroles"
ROLE_BINDINGS: Final = "rbac.authorization.k8s.io/rolebindings"
CLUSTER_ROLE_BINDINGS: Final = "rbac.authorization.k8s.io/clusterrolebindings"
SECRETS: Final = "core/secrets"
SERVICE_ACCOUNTS: Final = "core/serviceaccounts"
CACHED_RESOURCES: Final = (
    ROLES,
    CLUSTER_ROLES,
    ROLE_BINDINGS,
    CLUSTER_ROLE_BINDINGS,
    SECRETS,
    SERVICE_ACCOUNTS,
)

#: storage key -> kind, for the objects a ServiceAccount token may be bound to (uids only).
BOUND_OBJECT_RESOURCES: Final = {"core/pods": "Pod", SECRETS: "Secret", "core/nodes": "Node"}

Obj = Mapping[str, Any]
_ByNamespace = dict[str, dict[str, Obj]]
"""namespace ("" for cluster-scoped) → name → object: a request reads only its namespace."""


def _cached(event_resource: str, namespace: str, name: str) -> bool:
    if event_resource == SECRETS:
        return namespace == BOOTSTRAP_NAMESPACE and name.startswith(SECRET_NAME_PREFIX)
    return event_resource in CACHED_RESOURCES


class AuthCache:
    """An ``RBACSource``, a bootstrap-token ``SecretLookup`` and a ServiceAccount ``UIDLookup``."""

    def __init__(self) -> None:
        self._objects: dict[str, _ByNamespace] = {r: {} for r in CACHED_RESOURCES}
        self._aggregated: dict[str, Obj] | None = None
        """ClusterRoles by name as authorization sees them; None: recompute on next read."""
        self._aggregation_selectors: list[Obj] = []
        self._bindings_by_subject: dict[str, set[str]] = {}
        """Subject name → names of the ClusterRoleBindings that list it."""
        self._binding_order: dict[str, int] = {}
        """ClusterRoleBinding name → when it was added: answers keep the table's order."""
        self._bindings_added = 0
        #: kind -> (namespace, name) -> uid
        self._bound_uids: dict[str, dict[tuple[str, str], str]] = {
            kind: {} for kind in BOUND_OBJECT_RESOURCES.values()
        }

    async def load(self, storage: Storage) -> None:
        """Fill the cache from storage (before the hub listener is attached)."""
        for resource in CACHED_RESOURCES:
            namespace = BOOTSTRAP_NAMESPACE if resource == SECRETS else None
            for obj in (await storage.list(resource, namespace=namespace)).items:
                meta = obj["metadata"]
                namespace_of = meta.get("namespace", "")
                if _cached(resource, namespace_of, meta["name"]):
                    self._objects[resource].setdefault(namespace_of, {})[meta["name"]] = obj
                    if resource == CLUSTER_ROLE_BINDINGS:
                        self._index_binding(meta["name"], None, obj)
        for resource, kind in BOUND_OBJECT_RESOURCES.items():
            uids = self._bound_uids[kind]
            for obj in (await storage.list(resource)).items:
                meta = obj["metadata"]
                uids[(meta.get("namespace", ""), meta["name"])] = str(meta.get("uid", ""))
        self._aggregated = None

    def apply(self, event: StoredEvent) -> None:
        """The watch hub listener: mirror one committed change."""
        bound_kind = BOUND_OBJECT_RESOURCES.get(event.resource)
        if bound_kind is not None:
            self._track_uid(bound_kind, event)
        if not _cached(event.resource, event.namespace, event.name):
            return
        table = self._objects[event.resource].setdefault(event.namespace, {})
        old = table.get(event.name)
        new: Obj | None = None
        if event.type is EventType.DELETED:
            table.pop(event.name, None)
        elif event.type in (EventType.ADDED, EventType.MODIFIED):
            table[event.name] = new = event.object
        else:
            return
        if event.resource == CLUSTER_ROLES:
            self._cluster_role_changed(event.name, old, new)
        elif event.resource == CLUSTER_ROLE_BINDINGS:
            self._index_binding(event.name, old, new)

    def _cluster_role_changed(self, name: str, old: Obj | None, new: Obj | None) -> None:
        if self._aggregated is None:
            return
        selectors = self._aggregation_selectors
        if any(rbac.affects_aggregation(r, selectors) for r in (old, new) if r is not None):
            self._aggregated = None
        elif new is None:
            self._aggregated.pop(name, None)
        else:
            self._aggregated[name] = new

    def _index_binding(self, name: str, old: Obj | None, new: Obj | None) -> None:
        if new is None:
            self._binding_order.pop(name, None)
        elif name not in self._binding_order:
            self._bindings_added += 1
            self._binding_order[name] = self._bindings_added
        for subject in rbac.names_in_subjects(old) if old is not None else ():
            names = self._bindings_by_subject.get(subject)
            if names is not None:
                names.discard(name)
                if not names:
                    del self._bindings_by_subject[subject]
        for subject in rbac.names_in_subjects(new) if new is not None else ():
            self._bindings_by_subject.setdefault(subject, set()).add(name)

    def _track_uid(self, kind: str, event: StoredEvent) -> None:
        key = (event.namespace, event.name)
        if event.type is EventType.DELETED:
            self._bound_uids[kind].pop(key, None)
        elif event.type in (EventType.ADDED, EventType.MODIFIED):
            self._bound_uids[kind][key] = str(event.object["metadata"].get("uid", ""))

    def contains(self, resource: str, namespace: str, name: str) -> bool:
        return name in self._objects[resource].get(namespace, {})

    # --- RBACSource --------------------------------------------------------------------------

    def roles(self, namespace: str) -> Sequence[Obj]:
        return self._in_namespace(ROLES, namespace)

    def cluster_roles(self) -> Sequence[Obj]:
        return list(self._cluster_roles_by_name().values())

    def cluster_role(self, name: str) -> Obj | None:
        return self._cluster_roles_by_name().get(name)

    def _cluster_roles_by_name(self) -> dict[str, Obj]:
        if self._aggregated is None:
            roles = self._in_namespace(CLUSTER_ROLES, "")
            aggregated = rbac.aggregate_cluster_roles(roles)
            self._aggregated = {role["metadata"]["name"]: role for role in aggregated}
            self._aggregation_selectors = rbac.aggregation_selectors(roles)
        return self._aggregated

    def role_bindings(self, namespace: str) -> Sequence[Obj]:
        return self._in_namespace(ROLE_BINDINGS, namespace)

    def cluster_role_bindings(self) -> Sequence[Obj]:
        return self._in_namespace(CLUSTER_ROLE_BINDINGS, "")

    def cluster_role_bindings_naming(self, names: Collection[str]) -> Sequence[Obj]:
        table = self._objects[CLUSTER_ROLE_BINDINGS].get("", {})
        hits: set[str] = set().union(*(self._bindings_by_subject.get(n, ()) for n in names))
        return [table[name] for name in sorted(hits, key=self._binding_order.__getitem__)]

    def _in_namespace(self, resource: str, namespace: str) -> list[Obj]:
        return list(self._objects[resource].get(namespace, {}).values())

    # --- lookups for the authenticators ------------------------------------------------------

    def secret(self, namespace: str, name: str) -> Obj | None:
        """A bootstrap-token Secret (the only Secrets cached)."""
        return self._objects[SECRETS].get(namespace, {}).get(name)

    def uid(self, kind: str, namespace: str, name: str) -> str | None:
        """The live uid of a ServiceAccount, Pod, Secret or Node; None if it does not exist."""
        if kind != SERVICE_ACCOUNT_KIND:
            bound = self._bound_uids.get(kind)
            return None if bound is None else bound.get((namespace, name))
        account = self._objects[SERVICE_ACCOUNTS].get(namespace, {}).get(name)
        return None if account is None else str(account["metadata"].get("uid", ""))
