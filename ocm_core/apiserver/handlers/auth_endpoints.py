"""The authn/authz APIs: TokenRequest, TokenReview, SelfSubjectReview and the access reviews.

- ``POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`` (``kubectl create token``);
- ``authentication.k8s.io/v1`` ``tokenreviews``, ``selfsubjectreviews`` (``kubectl auth whoami``);
- ``authorization.k8s.io/v1`` ``subjectaccessreviews``, ``selfsubjectaccessreviews``
  (``kubectl auth can-i``), ``selfsubjectrulesreviews`` (``can-i --list``),
  ``localsubjectaccessreviews``;
- ServiceAccount issuer discovery: ``/.well-known/openid-configuration``, ``/openid/v1/jwks``.
The review kinds are never stored: the answer is the request body with ``status`` filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from ocm_core.apiserver import auth, errors
from ocm_core.apiserver.access import Access, to_auth_user
from ocm_core.apiserver.auth.serviceaccount import (
    DEFAULT_EXPIRATION_SECONDS,
    JWKS_PATH,
    OPENID_CONFIGURATION_PATH,
)
from ocm_core.apiserver.handlers import encoding, write
from ocm_core.apiserver.registry import Registry, ResourceInfo
from ocm_core.apiserver.state import STATE, ServerState, SubresourceHandler, SubresourceRequest

AUTHENTICATION_GROUP: Final = "authentication.k8s.io"
AUTHORIZATION_GROUP: Final = "authorization.k8s.io"
TOKEN_SUBRESOURCE: Final = "token"
CREATE_ONLY: Final = ("create",)

Review = Callable[[SubresourceRequest, dict[str, Any], Access], dict[str, Any]]
"""(request, body, access) → the review's ``status``."""


def _review_info(group: str, resource: str, kind: str, *, namespaced: bool = False) -> ResourceInfo:
    return ResourceInfo(
        group=group,
        version="v1",
        resource=resource,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        list_kind=f"{kind}List",
        verbs=CREATE_ONLY,
    )


def _token_review(req: SubresourceRequest, body: dict[str, Any], access: Access) -> dict[str, Any]:
    return auth.token_review_status(body, access.authenticator)


def _self_subject_review(
    req: SubresourceRequest, body: dict[str, Any], access: Access
) -> dict[str, Any]:
    return auth.self_subject_review_status(to_auth_user(req.user))


def _subject_access_review(
    req: SubresourceRequest, body: dict[str, Any], access: Access
) -> dict[str, Any]:
    return auth.subject_access_review_status(body, access.rbac)


def _local_subject_access_review(
    req: SubresourceRequest, body: dict[str, Any], access: Access
) -> dict[str, Any]:
    spec = body.get("spec") or {}
    attributes = spec.get("resourceAttributes")
    if not isinstance(attributes, dict):
        raise auth.ReviewError("spec.resourceAttributes: Required value: must be specified")
    given = attributes.get("namespace") or ""
    if given and given != req.namespace:
        raise auth.ReviewError(
            f'spec.resourceAttributes.namespace: Invalid value: "{given}": must match '
            f'metadata.namespace "{req.namespace}"'
        )
    attributes["namespace"] = req.namespace
    return auth.subject_access_review_status(body, access.rbac)


def _self_subject_access_review(
    req: SubresourceRequest, body: dict[str, Any], access: Access
) -> dict[str, Any]:
    return auth.self_subject_access_review_status(body, to_auth_user(req.user), access.rbac)


def _self_subject_rules_review(
    req: SubresourceRequest, body: dict[str, Any], access: Access
) -> dict[str, Any]:
    return auth.self_subject_rules_review_status(body, to_auth_user(req.user), access.rbac)


REVIEWS: Final[tuple[tuple[ResourceInfo, Review], ...]] = (
    (_review_info(AUTHENTICATION_GROUP, "tokenreviews", "TokenReview"), _token_review),
    (
        _review_info(AUTHENTICATION_GROUP, "selfsubjectreviews", "SelfSubjectReview"),
        _self_subject_review,
    ),
    (
        _review_info(AUTHORIZATION_GROUP, "subjectaccessreviews", "SubjectAccessReview"),
        _subject_access_review,
    ),
    (
        _review_info(
            AUTHORIZATION_GROUP,
            "localsubjectaccessreviews",
            "LocalSubjectAccessReview",
            namespaced=True,
        ),
        _local_subject_access_review,
    ),
    (
        _review_info(AUTHORIZATION_GROUP, "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
        _self_subject_access_review,
    ),
    (
        _review_info(AUTHORIZATION_GROUP, "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
        _self_subject_rules_review,
    ),
)


async def _json_body(req: SubresourceRequest, state: ServerState) -> dict[str, Any]:
    raw = await encoding.read_body(req.request, state.max_body_bytes)
    return encoding.decode_object(raw, req.request.headers.get("Content-Type", ""))


def _review_handler(info: ResourceInfo, review: Review, access: Access) -> SubresourceHandler:
    async def handle(req: SubresourceRequest) -> web.StreamResponse:
        if req.name:
            raise errors.method_not_allowed(req.request.method, info.resource)
        raw = await encoding.read_body(req.request, req.request.app[STATE].max_body_bytes)
        decoded = encoding.decode_object_checked(raw, req.request.headers.get("Content-Type", ""))
        body, warnings = write.validated_create(req.request, info, req.namespace, decoded)
        try:
            status = review(req, body, access)
        except auth.ReviewError as exc:
            raise errors.ApiError(exc.status, "Invalid", str(exc)) from None
        answer = dict(body)
        answer.setdefault("apiVersion", info.api_version)
        answer.setdefault("kind", info.kind)
        answer.setdefault("metadata", {})
        answer["status"] = status
        return write.with_warnings(encoding.json_response(answer, 201), warnings)

    return handle


#: kind -> core/v1 resource of the objects a token may be bound to (kube also allows Node,
#: which this server does not serve).
BINDABLE_RESOURCES: Final = {"Pod": "pods", "Secret": "secrets"}


async def _bound_object(
    state: ServerState, namespace: str, account: str, ref: Any
) -> auth.BoundObject | None:
    """Check ``spec.boundObjectRef`` against the live object (kube's TokenRequest rules)."""
    if not ref:
        return None
    if not isinstance(ref, dict):
        raise errors.bad_request("spec.boundObjectRef must be an object")
    kind, name = ref.get("kind", ""), ref.get("name", "")
    resource = BINDABLE_RESOURCES.get(kind)
    if resource is None:
        raise errors.bad_request(
            f'cannot bind token for serviceaccount "{account}" to object of kind "{kind}": '
            f"use one of {', '.join(BINDABLE_RESOURCES)}"
        )
    if ref.get("apiVersion", "v1") != "v1":
        raise errors.bad_request(
            f'spec.boundObjectRef.apiVersion: {kind} is in apiVersion "v1", not '
            f'"{ref["apiVersion"]}"'
        )
    if not name:
        raise errors.bad_request("spec.boundObjectRef.name: Required value")
    info = state.registry.lookup("", "v1", resource)
    assert info is not None, f"{resource} is a built-in resource"
    live_uid = (await state.operations.get(info, namespace, name))["metadata"]["uid"]
    wanted_uid = ref.get("uid") or live_uid
    if wanted_uid != live_uid:
        raise errors.conflict(
            resource,
            "",
            name,
            f"the UID in the bound object reference ({wanted_uid}) does not match the UID in "
            "record; the object might have been deleted and then recreated",
        )
    return auth.BoundObject(kind=kind, name=name, uid=live_uid)


def _token_request_handler(access: Access) -> SubresourceHandler:
    async def handle(req: SubresourceRequest) -> web.StreamResponse:
        state = req.request.app[STATE]
        body = await _json_body(req, state)
        spec = body.get("spec") or {}
        expiration = int(spec.get("expirationSeconds") or DEFAULT_EXPIRATION_SECONDS)
        account = await state.operations.get(req.resource, req.namespace, req.name)
        bound = await _bound_object(state, req.namespace, req.name, spec.get("boundObjectRef"))
        try:
            issued = access.service_accounts.issue(
                req.namespace,
                req.name,
                account["metadata"]["uid"],
                audiences=tuple(spec.get("audiences") or ()),
                expiration_seconds=expiration,
                bound_object=bound,
            )
        except auth.TokenError as exc:
            raise errors.ApiError(422, "Invalid", str(exc)) from None
        answer_spec = {
            **spec,
            "audiences": list(spec.get("audiences") or access.service_accounts.api_audiences),
            "expirationSeconds": expiration,
        }
        if bound is not None:
            answer_spec["boundObjectRef"] = {
                "kind": bound.kind,
                "apiVersion": "v1",
                "name": bound.name,
                "uid": bound.uid,
            }
        answer = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "metadata": {"name": req.name, "namespace": req.namespace},
            "spec": answer_spec,
            "status": {
                "token": issued.token,
                "expirationTimestamp": issued.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        return encoding.json_response(answer, 201)

    return handle


def _issuer_discovery(request: web.Request) -> Access:
    access = request.app[STATE].access
    if access is None:
        raise errors.no_such_route()
    return access


async def openid_configuration(request: web.Request) -> web.StreamResponse:
    access = _issuer_discovery(request)
    jwks_uri = str(request.url.with_path(JWKS_PATH).with_query(None))
    return encoding.json_response(access.service_accounts.openid_configuration(jwks_uri))


async def jwks(request: web.Request) -> web.StreamResponse:
    return encoding.json_response(_issuer_discovery(request).service_accounts.jwks())


ISSUER_DISCOVERY_ROUTES: Final = (
    (OPENID_CONFIGURATION_PATH, openid_configuration),
    (JWKS_PATH, jwks),
)


def install(state: ServerState, access: Access) -> None:
    """Serve the review kinds and the ServiceAccount token subresource on ``state``."""
    register_review_resources(state.registry)
    for info, review in REVIEWS:
        state.subresource_handlers[(info.storage_key, "")] = _review_handler(info, review, access)
    accounts = state.registry.lookup("", "v1", "serviceaccounts")
    assert accounts is not None, "serviceaccounts is a built-in resource"
    state.subresource_handlers[(accounts.storage_key, TOKEN_SUBRESOURCE)] = _token_request_handler(
        access
    )


def register_review_resources(registry: Registry) -> None:
    for info, _ in REVIEWS:
        registry.add(info)
