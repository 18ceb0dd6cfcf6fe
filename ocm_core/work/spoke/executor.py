"""The executor of a ManifestWork: who the agent acts as on the spoke.

With ``spec.executor.subject`` a ServiceAccount, every manifest is checked before it is written:
one SubjectAccessReview per verb the write may need (get, create, update, patch, and delete
when the work deletes what it applied), and for RBAC kinds an impersonated dry-run create, so a
Role granting more than the executor holds is caught (RBAC escalation prevention). The write
itself then runs impersonating the ServiceAccount, so the spoke API server enforces the same
rights again. Any refusal, or a review that cannot be made, is a refusal (fail closed).
Without an executor the agent writes as itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ocm_core.api import gvr, work
from ocm_core.api.gvr import Resource
from ocm_core.kube import errors
from ocm_core.kube.protocol import KubeApi, Object
from ocm_core.work.spoke import manifests
from ocm_core.work.spoke.manifests import Manifest

SERVICE_ACCOUNTS_GROUP: Final = "system:serviceaccounts"
AUTHENTICATED_GROUP: Final = "system:authenticated"
WRITE_VERBS: Final = ("get", "create", "update", "patch")
READ_VERBS: Final = ("get",)
DRY_RUN_ALL: Final = "All"


@dataclass(frozen=True, slots=True)
class Executor:
    """A ServiceAccount subject, as the spoke API server knows it."""

    namespace: str
    name: str

    @property
    def user(self) -> str:
        return work.executor_sar_name(self.namespace, self.name)

    @property
    def groups(self) -> tuple[str, ...]:
        return (SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{self.namespace}")

    def describe(self) -> str:
        return f"ServiceAccount {self.namespace}/{self.name}"


def executor_of(manifest_work: Mapping[str, Any]) -> Executor | None:
    subject = ((manifest_work.get("spec") or {}).get("executor") or {}).get("subject") or {}
    if subject.get("type") != work.EXECUTOR_SUBJECT_SERVICE_ACCOUNT:
        return None
    account = subject.get("serviceAccount") or {}
    return Executor(str(account.get("namespace") or ""), str(account.get("name") or ""))


class RawRequests(Protocol):
    """A client that can send a request the `KubeApi` verbs cannot express (dry-run)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Object | list[Any] | None = None,
        content_type: str = ...,
        request_timeout: float | None = None,
    ) -> Object: ...


class ImpersonatingApi(KubeApi, RawRequests, Protocol):
    """The spoke client used as an executor."""


ImpersonatorFactory = Callable[[Executor], ImpersonatingApi]
"""Builds (or reuses) the spoke client that impersonates an executor."""


class ExecutorRefusedError(Exception):
    """The executor may not write this manifest; ``str()`` says which right is missing."""


class PermissionChecker:
    """Checks executors' rights on the spoke before anything is written on their behalf."""

    def __init__(self, spoke: KubeApi, impersonate: ImpersonatorFactory) -> None:
        self._spoke = spoke
        self._impersonate = impersonate

    def client_for(self, executor: Executor) -> ImpersonatingApi:
        return self._impersonate(executor)

    async def check(
        self,
        executor: Executor,
        manifest: Manifest,
        resource: Resource,
        namespace: str | None,
        *,
        read_only: bool,
        deletes: bool,
    ) -> None:
        """Raise `ExecutorRefusedError` unless ``executor`` may do what the agent will do."""
        verbs = READ_VERBS if read_only else (*WRITE_VERBS, *(("delete",) if deletes else ()))
        for verb in verbs:
            await self._review(executor, verb, resource, namespace, manifest.name)
        if not read_only and manifests.is_rbac(manifest):
            await self._dry_run(executor, manifest, resource, namespace)

    async def _review(
        self, executor: Executor, verb: str, resource: Resource, namespace: str | None, name: str
    ) -> None:
        review = {
            "apiVersion": gvr.SUBJECT_ACCESS_REVIEWS.api_version,
            "kind": gvr.SUBJECT_ACCESS_REVIEWS.kind,
            "spec": {
                "user": executor.user,
                "groups": [*executor.groups, AUTHENTICATED_GROUP],
                "resourceAttributes": {
                    "group": resource.group,
                    "version": resource.version,
                    "resource": resource.plural,
                    "namespace": namespace or "",
                    "name": name,
                    "verb": verb,
                },
            },
        }
        try:
            answer = await self._spoke.create(gvr.SUBJECT_ACCESS_REVIEWS, review)
        except errors.ApiError as exc:
            raise ExecutorRefusedError(
                f"not allowed: the spoke could not review whether {executor.describe()} may "
                f"{verb} {resource.plural} {name!r}: {exc.code} {exc.reason}: {exc.message}"
            ) from exc
        status = answer.get("status") or {}
        if not status.get("allowed"):
            where = f" in namespace {namespace!r}" if namespace else ""
            why = status.get("reason") or status.get("evaluationError") or "no RBAC rule allows it"
            raise ExecutorRefusedError(
                f"not allowed: {executor.describe()} cannot {verb} {resource.plural} "
                f"{name!r}{where}: {why}"
            )

    async def _dry_run(
        self, executor: Executor, manifest: Manifest, resource: Resource, namespace: str | None
    ) -> None:
        client = self._impersonate(executor)
        body = manifests.desired_for_create(manifest, namespace, _NO_OWNER)
        try:
            await client.request(
                "POST",
                resource.path(namespace=namespace),
                params={"dryRun": DRY_RUN_ALL},
                body=body,
            )
        except errors.AlreadyExistsError:
            return  # the create path is allowed; the object simply exists already
        except errors.ApiError as exc:
            if exc.code in (401, 403):
                raise ExecutorRefusedError(
                    f"not allowed: {executor.describe()} may not create {manifest.describe()} "
                    f"(escalation check by dry-run): {exc.message}"
                ) from exc
            raise


_NO_OWNER: Final = manifests.Ownership({}, owned=False)
