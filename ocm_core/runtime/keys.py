"""Work-queue keys and the functions that map objects to them.

A key is ``<namespace>/<name>`` for namespaced objects and ``<name>`` for cluster-scoped ones
(client-go's ``MetaNamespaceKeyFunc``). A `KeyFunc` maps one object to the keys of the objects a
controller must reconcile because of it: zero, one or many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

KeyFunc = Callable[[Mapping[str, Any]], Iterable[str]]


def key_of(obj: Mapping[str, Any]) -> str:
    """The key of ``obj`` itself."""
    metadata = obj.get("metadata") or {}
    name = metadata.get("name") or ""
    namespace = metadata.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def make_key(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str | None, str]:
    """``(namespace, name)`` of a key; namespace is None for cluster-scoped keys."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else (None, key)


def by_namespace_name(obj: Mapping[str, Any]) -> Iterable[str]:
    """The object's own key (namespaced or not): the common case."""
    return (key_of(obj),)


def by_name(obj: Mapping[str, Any]) -> Iterable[str]:
    """The object's name alone: e.g. a Lease in namespace ``c1`` → ManagedCluster ``c1``
    when paired with `by_namespace`, or a cluster-scoped owner with the same name."""
    name = (obj.get("metadata") or {}).get("name")
    return (str(name),) if name else ()


def by_namespace(obj: Mapping[str, Any]) -> Iterable[str]:
    """The object's namespace as a (cluster-scoped) key: ManifestWork in ``c1`` → cluster ``c1``."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    return (str(namespace),) if namespace else ()


def by_label(label: str, *, namespaced: bool = False) -> KeyFunc:
    """The value of ``label`` as a key (in the object's namespace if ``namespaced``)."""

    def keys(obj: Mapping[str, Any]) -> Iterable[str]:
        metadata = obj.get("metadata") or {}
        value = (metadata.get("labels") or {}).get(label)
        if not value:
            return ()
        return (make_key(metadata.get("namespace") if namespaced else None, str(value)),)

    return keys


def by_owner(kind: str, *, api_group: str | None = None, namespaced: bool = True) -> KeyFunc:
    """Keys of the owners of ``kind`` listed in ``ownerReferences`` (in the object's namespace
    for namespaced owners)."""

    def keys(obj: Mapping[str, Any]) -> Iterable[str]:
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace") if namespaced else None
        found = []
        for ref in metadata.get("ownerReferences") or []:
            if ref.get("kind") != kind:
                continue
            if api_group is not None and str(ref.get("apiVersion", "")).rpartition("/")[0] != (
                api_group
            ):
                continue
            found.append(make_key(namespace, str(ref.get("name"))))
        return found

    return keys
