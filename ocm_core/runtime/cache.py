"""`Cache`: the informer's local copy of a resource, with indexes.

Objects are stored by key (`ocm_core.runtime.keys.key_of`) and are shared, not copied: callers
must treat what they read as immutable and build new dicts to write (the informer replaces whole
objects, it never mutates them). Built-in indexes: by namespace and by label (``k=v``); custom
index functions map an object to any number of index values (e.g. "ManifestWorks by the cluster
they target").

The cache is plain data (no I/O, no awaits): the informer is its only writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ocm_core.runtime.keys import key_of, make_key

Object = dict[str, Any]
Indexer = Callable[[Object], Iterable[str]]

NAMESPACE_INDEX: Final = "namespace"
LABEL_INDEX: Final = "label"


def index_by_namespace(obj: Object) -> Iterable[str]:
    namespace = (obj.get("metadata") or {}).get("namespace")
    return (str(namespace),) if namespace else ()


def index_by_label(obj: Object) -> Iterable[str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return [f"{key}={value}" for key, value in labels.items()]


@dataclass(slots=True)
class Changes:
    """What a `Cache.replace` changed, for the informer's handlers."""

    added: list[Object] = field(default_factory=list)
    updated: list[tuple[Object, Object]] = field(default_factory=list)
    deleted: list[Object] = field(default_factory=list)


class Cache:
    """Objects by key, plus named indexes (value → keys)."""

    def __init__(self) -> None:
        self._items: dict[str, Object] = {}
        self._indexers: dict[str, Indexer] = {}
        self._indexes: dict[str, dict[str, set[str]]] = {}
        self.add_index(NAMESPACE_INDEX, index_by_namespace)
        self.add_index(LABEL_INDEX, index_by_label)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Object]:
        return iter(list(self._items.values()))

    def keys(self) -> list[str]:
        return list(self._items)

    def add_index(self, name: str, indexer: Indexer) -> None:
        """Register (or replace) an index and build it over the current contents."""
        self._indexers[name] = indexer
        index: dict[str, set[str]] = {}
        for key, obj in self._items.items():
            for value in indexer(obj):
                index.setdefault(value, set()).add(key)
        self._indexes[name] = index

    def get(self, key: str) -> Object | None:
        return self._items.get(key)

    def get_named(self, name: str, namespace: str | None = None) -> Object | None:
        return self._items.get(make_key(namespace, name))

    def by_index(self, name: str, value: str) -> list[Object]:
        """Objects whose index ``name`` yields ``value``, in key order."""
        keys = self._indexes[name].get(value, ())
        return [self._items[key] for key in sorted(keys)]

    def list(
        self, *, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[Object]:
        """Objects in ``namespace`` (all if None) carrying every label in ``labels``."""
        candidates: set[str] | None = None
        if namespace is not None:
            candidates = set(self._indexes[NAMESPACE_INDEX].get(namespace, ()))
        for label, value in (labels or {}).items():
            matching = self._indexes[LABEL_INDEX].get(f"{label}={value}", set())
            candidates = set(matching) if candidates is None else candidates & matching
        keys = self._items.keys() if candidates is None else candidates
        return [self._items[key] for key in sorted(keys)]

    # -- writes (the informer's) ---------------------------------------------------------------

    def upsert(self, obj: Object) -> Object | None:
        """Store ``obj``; returns the object it replaced, if any."""
        key = key_of(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        self._index(key, obj)
        return old

    def remove(self, key: str) -> Object | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def replace(self, objects: Iterable[Object]) -> Changes:
        """Make the cache hold exactly ``objects`` (a relist); report what changed. An object
        counts as updated only when its resourceVersion differs."""
        changes = Changes()
        fresh = {key_of(obj): obj for obj in objects}
        for key in [key for key in self._items if key not in fresh]:
            old = self.remove(key)
            assert old is not None
            changes.deleted.append(old)
        for obj in fresh.values():
            old = self.upsert(obj)
            if old is None:
                changes.added.append(obj)
            elif _resource_version(old) != _resource_version(obj):
                changes.updated.append((old, obj))
        return changes

    def _index(self, key: str, obj: Object) -> None:
        for name, indexer in self._indexers.items():
            index = self._indexes[name]
            for value in indexer(obj):
                index.setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: Object) -> None:
        for name, indexer in self._indexers.items():
            index = self._indexes[name]
            for value in indexer(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


def _resource_version(obj: Object) -> str | None:
    version = (obj.get("metadata") or {}).get("resourceVersion")
    return str(version) if version is not None else None
