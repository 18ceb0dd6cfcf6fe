"""The review APIs as pure functions: a request body in, the `status` dict out.

- `authorization.k8s.io` SubjectAccessReview (any user, given in `spec`),
  SelfSubjectAccessReview (the caller; `kubectl auth can-i`), SelfSubjectRulesReview
  (`kubectl auth can-i --list`);
- `authentication.k8s.io` TokenReview (the hub checks agents' tokens) and SelfSubjectReview
  (`kubectl auth whoami`).
The HTTP layer decodes the body, calls these, and answers the body with `status` set (these
kinds are never stored). Invalid specs raise `ReviewError` carrying kube's status and message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.authentication import Authenticator
from ocm_core.apiserver.auth.authorization import (
    Authorizer,
    non_resource_attributes,
    resource_attributes,
)
from ocm_core.apiserver.auth.errors import HTTP_BAD_REQUEST, ReviewError, TokenError
from ocm_core.apiserver.auth.rbac import RBACAuthorizer
from ocm_core.apiserver.auth.user import RequestAttributes, UserInfo

Body = Mapping[str, Any]


def subject_access_review_status(body: Body, authorizer: Authorizer) -> dict[str, Any]:
    """SubjectAccessReview: may `spec.user`/`spec.groups` do what the spec describes?"""
    spec = _spec(body)
    name = spec.get("user") or ""
    groups = _string_list(spec.get("groups"), "spec.groups")
    if not name and not groups:
        raise ReviewError(
            'spec.user: Invalid value: "": at least one of user or group must be specified'
        )
    subject = UserInfo(
        name=name,
        groups=tuple(groups),
        uid=spec.get("uid") or "",
        extra=_extra(spec.get("extra")),
    )
    return _access_status(authorizer, _attributes(subject, spec))


def self_subject_access_review_status(
    body: Body, user: UserInfo, authorizer: Authorizer
) -> dict[str, Any]:
    """SelfSubjectAccessReview: may the caller do what the spec describes?"""
    return _access_status(authorizer, _attributes(user, _spec(body)))


def self_subject_rules_review_status(
    body: Body, user: UserInfo, authorizer: RBACAuthorizer
) -> dict[str, Any]:
    """SelfSubjectRulesReview: every rule that applies to the caller in `spec.namespace`."""
    namespace = _spec(body).get("namespace") or ""
    if not namespace:
        raise ReviewError("no namespace on request", status=HTTP_BAD_REQUEST)
    rules, errors = authorizer.rules_for(user, namespace)
    status: dict[str, Any] = {
        "resourceRules": [
            {
                "verbs": list(rule.get("verbs") or []),
                "apiGroups": list(rule.get("apiGroups") or []),
                "resources": list(rule.get("resources") or []),
                "resourceNames": list(rule.get("resourceNames") or []),
            }
            for rule in rules
            if rule.get("resources")
        ],
        "nonResourceRules": [
            {
                "verbs": list(rule.get("verbs") or []),
                "nonResourceURLs": list(rule["nonResourceURLs"]),
            }
            for rule in rules
            if rule.get("nonResourceURLs")
        ],
        "incomplete": bool(errors),
    }
    if errors:
        status["evaluationError"] = "; ".join(errors)
    return status


def token_review_status(body: Body, authenticator: Authenticator) -> dict[str, Any]:
    """TokenReview: whose token is `spec.token`, for `spec.audiences` (default: the server's)?"""
    spec = _spec(body)
    token = spec.get("token") or ""
    if not isinstance(token, str) or not token:
        raise ReviewError(
            "token is required for TokenReview in authentication", status=HTTP_BAD_REQUEST
        )
    audiences = _string_list(spec.get("audiences"), "spec.audiences")
    try:
        verified = authenticator.authenticate_token(token, audiences or None)
    except TokenError as exc:
        return {"authenticated": False, "user": {}, "error": str(exc)}
    status: dict[str, Any] = {
        "authenticated": True,
        "user": users.user_info_dict(verified.user),
    }
    if verified.audiences:
        status["audiences"] = list(verified.audiences)
    return status


def self_subject_review_status(user: UserInfo) -> dict[str, Any]:
    """SelfSubjectReview (`kubectl auth whoami`): the caller as the server sees it."""
    return {"userInfo": users.user_info_dict(user)}


def _access_status(authorizer: Authorizer, attributes: RequestAttributes) -> dict[str, Any]:
    decision = authorizer.authorize(attributes)
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return status


def _attributes(user: UserInfo, spec: Body) -> RequestAttributes:
    resource = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        raise ReviewError(
            "spec.resourceAttributes: Invalid value: exactly one of nonResourceAttributes or "
            "resourceAttributes must be specified"
        )
    if non_resource is not None:
        if not isinstance(non_resource, Mapping):
            raise ReviewError("spec.nonResourceAttributes must be an object")
        return non_resource_attributes(
            user, str(non_resource.get("verb") or ""), str(non_resource.get("path") or "")
        )
    if not isinstance(resource, Mapping):
        raise ReviewError("spec.resourceAttributes must be an object")
    return resource_attributes(
        user,
        str(resource.get("verb") or ""),
        api_group=str(resource.get("group") or ""),
        api_version=str(resource.get("version") or ""),
        resource=str(resource.get("resource") or ""),
        subresource=str(resource.get("subresource") or ""),
        namespace=str(resource.get("namespace") or ""),
        name=str(resource.get("name") or ""),
    )


def _spec(body: Body) -> Body:
    spec = body.get("spec")
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise ReviewError("spec must be an object")
    return spec


def _string_list(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReviewError(f"{field} must be a list of strings")
    return list(value)


def _extra(value: object) -> Mapping[str, tuple[str, ...]]:
    if value is None:
        return users.freeze_extra({})
    if not isinstance(value, Mapping):
        raise ReviewError("spec.extra must be a map of lists of strings")
    try:
        return users.freeze_extra(value)
    except TypeError as exc:
        raise ReviewError(f"spec.extra: {exc}") from exc
