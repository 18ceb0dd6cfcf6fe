"""The review kinds of authentication.k8s.io/v1 and authorization.k8s.io/v1 (never stored)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import kind_schema
from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    obj,
    opaque,
    string,
    strings,
    with_description,
)

_EXTRA: Final = {
    "type": "object",
    "description": "Any additional information provided by the authenticator.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
_USER_INFO: Final = obj(
    "UserInfo holds the information about the user needed to implement the user.Info interface.",
    {
        "username": string("The name that uniquely identifies this user among all active users."),
        "uid": string("A unique value that identifies this user across time."),
        "groups": strings("The names of groups this user is a part of."),
        "extra": _EXTRA,
    },
)
TOKEN_REVIEW: Final = kind_schema(
    "TokenReview attempts to authenticate a token to a known user.",
    {
        "spec": obj(
            "Spec holds information about the request being evaluated",
            {
                "token": string("Token is the opaque bearer token."),
                "audiences": strings(
                    "Audiences is a list of the identifiers that the resource "
                    "server presented with the token identifies as."
                ),
            },
        ),
        "status": obj(
            "Status is filled in by the server and indicates whether the request can be "
            "authenticated.",
            {
                "authenticated": boolean(
                    "Authenticated indicates that the token was associated with a known user."
                ),
                "user": with_description(
                    _USER_INFO, "User is the UserInfo associated with the provided token."
                ),
                "audiences": strings(
                    "Audiences are audience identifiers chosen by the "
                    "authenticator that are compatible with both the "
                    "TokenReview and token."
                ),
                "error": string("Error indicates that the token couldn't be checked"),
            },
        ),
    },
)
SELF_SUBJECT_REVIEW: Final = kind_schema(
    "SelfSubjectReview contains the user information that the kube-apiserver has about the "
    "user making this request.",
    {
        "status": obj(
            "Status is filled in by the server with the user attributes.",
            {
                "userInfo": with_description(
                    _USER_INFO, "User attributes of the user making this request."
                )
            },
        )
    },
)

_RESOURCE_ATTRIBUTES: Final = obj(
    "ResourceAttributes describes information for a resource access request",
    {
        "namespace": string("Namespace is the namespace of the action being requested."),
        "verb": string(
            "Verb is a kubernetes resource API verb, like: get, list, watch, create, "
            'update, delete, proxy. "*" means all.'
        ),
        "group": string('Group is the API Group of the Resource. "*" means all.'),
        "version": string('Version is the API Version of the Resource. "*" means all.'),
        "resource": string('Resource is one of the existing resource types. "*" means all.'),
        "subresource": string('Subresource is one of the existing resource types. "" means none.'),
        "name": string(
            'Name is the name of the resource being requested for a "get" or '
            'deleted for a "delete". "" (empty) means all.'
        ),
        "fieldSelector": opaque("fieldSelector describes the limitation on access based on field."),
        "labelSelector": opaque(
            "labelSelector describes the limitation on access based on labels."
        ),
    },
)
_NON_RESOURCE_ATTRIBUTES: Final = obj(
    "NonResourceAttributes includes the authorization attributes available for non-resource "
    "requests to the Authorizer interface",
    {
        "path": string("Path is the URL path of the request"),
        "verb": string("Verb is the standard HTTP verb"),
    },
)
_ACCESS_STATUS: Final = obj(
    "Status is filled in by the server and indicates whether the request is allowed or not",
    {
        "allowed": boolean(
            "Allowed is required. True if the action would be allowed, false otherwise."
        ),
        "denied": boolean(
            "Denied is optional. True if the action would be denied, otherwise false."
        ),
        "reason": string("Reason is optional. It indicates why a request was allowed or denied."),
        "evaluationError": string(
            "EvaluationError is an indication that some error occurred "
            "during the authorization check."
        ),
    },
)


def _subject_access_review(description: str) -> SchemaDict:
    return kind_schema(
        description,
        {
            "spec": obj(
                "Spec holds information about the request being evaluated",
                {
                    "resourceAttributes": _RESOURCE_ATTRIBUTES,
                    "nonResourceAttributes": _NON_RESOURCE_ATTRIBUTES,
                    "user": string("User is the user you're testing for."),
                    "groups": strings("Groups is the groups you're testing for."),
                    "extra": _EXTRA,
                    "uid": string("UID information about the requesting user."),
                },
            ),
            "status": _ACCESS_STATUS,
        },
    )


SUBJECT_ACCESS_REVIEW: Final = _subject_access_review(
    "SubjectAccessReview checks whether or not a user or group can perform an action."
)
LOCAL_SUBJECT_ACCESS_REVIEW: Final = _subject_access_review(
    "LocalSubjectAccessReview checks whether or not a user or group can perform an action in "
    "a given namespace."
)
SELF_SUBJECT_ACCESS_REVIEW: Final = kind_schema(
    "SelfSubjectAccessReview checks whether or the current user can perform an action.",
    {
        "spec": obj(
            "Spec holds information about the request being evaluated.",
            {
                "resourceAttributes": _RESOURCE_ATTRIBUTES,
                "nonResourceAttributes": _NON_RESOURCE_ATTRIBUTES,
            },
        ),
        "status": _ACCESS_STATUS,
    },
)
SELF_SUBJECT_RULES_REVIEW: Final = kind_schema(
    "SelfSubjectRulesReview enumerates the set of actions the current user can perform "
    "within a namespace.",
    {
        "spec": obj(
            "Spec holds information about the request being evaluated.",
            {"namespace": string("Namespace to evaluate rules for. Required.")},
        ),
        "status": obj(
            "Status is filled in by the server and indicates the set of actions a user can "
            "perform.",
            {
                "resourceRules": array(
                    "ResourceRules is the list of actions the subject is allowed to perform "
                    "on resources.",
                    obj(
                        "ResourceRule is the list of actions the subject is allowed to perform "
                        "on resources.",
                        {
                            "verbs": strings("Verb is a list of kubernetes resource API verbs."),
                            "apiGroups": strings(
                                "APIGroups is the name of the APIGroup that contains the resources."
                            ),
                            "resources": strings(
                                "Resources is a list of resources this rule applies to."
                            ),
                            "resourceNames": strings(
                                "ResourceNames is an optional white list "
                                "of names that the rule applies to."
                            ),
                        },
                    ),
                ),
                "nonResourceRules": array(
                    "NonResourceRules is the list of actions the subject is allowed to perform "
                    "on non-resources.",
                    obj(
                        "NonResourceRule holds information that describes a rule for the "
                        "non-resource",
                        {
                            "verbs": strings(
                                "Verb is a list of kubernetes non-resource API verbs."
                            ),
                            "nonResourceURLs": strings(
                                "NonResourceURLs is a set of partial "
                                "urls that a user should have access "
                                "to."
                            ),
                        },
                    ),
                ),
                "incomplete": boolean(
                    "Incomplete is true when the rules returned by this call are incomplete."
                ),
                "evaluationError": string("EvaluationError can appear in combination with Rules."),
            },
        ),
    },
)
