"""Validating admission: per-kind checks the server runs before it stores a create or update.

The embedded counterpart of kube-apiserver's ValidatingAdmissionWebhooks (OCM's hub webhooks run
in-process, as in multicluster-controlplane). A `Validator` is a pure function of the new
object and the stored one (None on create) returning ``(field path, message)`` causes; any
cause refuses the write with 422 Invalid, listing every cause. Validators are registered by
kind, so this package never needs to know what a ManifestWork is: the program that starts
the server (``ocm apiserver``) registers them.

Status-only writes are not validated (webhooks for these kinds do not intercept status).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ocm_core.apiserver import errors
from ocm_core.apiserver.registry import ResourceInfo

Cause = tuple[str, str]
"""(field path, message), e.g. ``("spec.workload.manifests[0].kind", "Required value")``."""

Validator = Callable[[Mapping[str, Any], Mapping[str, Any] | None], list[Cause]]
"""``(new, old or None) -> causes``; an empty list admits the write."""


class Validators:
    """The validators of each (group, kind)."""

    def __init__(self) -> None:
        self._by_kind: dict[tuple[str, str], list[Validator]] = {}

    def register(self, group: str, kind: str, validator: Validator) -> None:
        self._by_kind.setdefault((group, kind), []).append(validator)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def check(
        self, info: ResourceInfo, new: Mapping[str, Any], old: Mapping[str, Any] | None
    ) -> None:
        """Raise 422 Invalid unless every validator of ``info``'s kind admits ``new``."""
        validators = self._by_kind.get((info.group, info.kind))
        if not validators:
            return
        causes = [cause for validator in validators for cause in validator(new, old)]
        if causes:
            name = str((new.get("metadata") or {}).get("name") or "")
            raise errors.invalid(info.kind, info.group, name, causes)
