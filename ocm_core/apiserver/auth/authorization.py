"""The authorizer interface and the words a 403 says, shared by RBAC and impersonation.

`Authorizer` is anything with `authorize(attributes) -> Decision`. `forbidden_message` renders
kube-apiserver's exact Forbidden sentence (kubectl users read it, and scripts grep for it).
"""

from __future__ import annotations

from typing import Protocol

from ocm_core.apiserver.auth.user import Decision, RequestAttributes, UserInfo


class Authorizer(Protocol):
    """Decides whether a request may proceed."""

    def authorize(self, attributes: RequestAttributes) -> Decision: ...


def resource_attributes(
    user: UserInfo,
    verb: str,
    *,
    api_group: str = "",
    api_version: str = "",
    resource: str,
    subresource: str = "",
    namespace: str = "",
    name: str = "",
    path: str = "",
) -> RequestAttributes:
    """Attributes of a resource request (keyword-only, so call sites read like a sentence)."""
    return RequestAttributes(
        user=user,
        verb=verb,
        api_group=api_group,
        api_version=api_version,
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
        path=path,
        resource_request=True,
    )


def non_resource_attributes(user: UserInfo, verb: str, path: str) -> RequestAttributes:
    """Attributes of a non-resource request such as `GET /healthz`."""
    return RequestAttributes(
        user=user,
        verb=verb,
        api_group="",
        api_version="",
        resource="",
        subresource="",
        namespace="",
        name="",
        path=path,
        resource_request=False,
    )


def forbidden_message(attributes: RequestAttributes, reason: str = "") -> str:
    """kube-apiserver's Forbidden message, e.g.

    `configmaps "cfg" is forbidden: User "alice" cannot get resource "configmaps" in API group
    "" in the namespace "b"` (then `: <reason>` when the authorizer gave one).
    """
    user = attributes.user.name
    if not attributes.resource_request:
        message = (
            f"forbidden: User {_quote(user)} cannot {attributes.verb.lower()} "
            f"path {_quote(attributes.path)}"
        )
    else:
        resource = attributes.resource
        if attributes.subresource:
            resource = f"{resource}/{attributes.subresource}"
        subject = f"{resource} {_quote(attributes.name)}" if attributes.name else resource
        scope = (
            f"in the namespace {_quote(attributes.namespace)}"
            if attributes.namespace
            else "at the cluster scope"
        )
        message = (
            f"{subject} is forbidden: User {_quote(user)} cannot {attributes.verb} resource "
            f"{_quote(resource)} in API group {_quote(attributes.api_group)} {scope}"
        )
    return f"{message}: {reason}" if reason else message


def _quote(value: str) -> str:
    # Go's %q: double quotes with backslash escapes; names here are plain enough for this.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
