"""rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import LABEL_SELECTOR, kind_schema
from ocm_core.apiserver.schemas.vocabulary import array, obj, string, strings

_POLICY_RULE: Final = obj(
    "PolicyRule holds information that describes a policy rule, but does not contain "
    "information about who the rule applies to or which namespace the rule applies to.",
    {
        "verbs": strings(
            "Verbs is a list of Verbs that apply to ALL the ResourceKinds "
            "contained in this rule. '*' represents all verbs."
        ),
        "apiGroups": strings("APIGroups is the name of the APIGroup that contains the resources."),
        "resources": strings(
            "Resources is a list of resources this rule applies to. '*' represents all resources."
        ),
        "resourceNames": strings(
            "ResourceNames is an optional white list of names that the rule applies to."
        ),
        "nonResourceURLs": strings(
            "NonResourceURLs is a set of partial urls that a user should have access to."
        ),
    },
)
_RULES: Final = array("Rules holds all the PolicyRules for this role.", _POLICY_RULE)
_SUBJECTS: Final = array(
    "Subjects holds references to the objects the role applies to.",
    obj(
        "Subject contains a reference to the object or user identities a role binding applies to.",
        {
            "kind": string(
                'Kind of object being referenced: "User", "Group", and "ServiceAccount".'
            ),
            "apiGroup": string("APIGroup holds the API group of the referenced subject."),
            "name": string("Name of the object being referenced."),
            "namespace": string("Namespace of the referenced object."),
        },
    ),
)
_ROLE_REF: Final = obj(
    "RoleRef can reference a Role in the current namespace or a ClusterRole in the global "
    "namespace.",
    {
        "apiGroup": string("APIGroup is the group for the resource being referenced"),
        "kind": string("Kind is the type of resource being referenced"),
        "name": string("Name is the name of resource being referenced"),
    },
)

ROLE: Final = kind_schema(
    "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit "
    "by a RoleBinding.",
    {"rules": _RULES},
)
CLUSTER_ROLE: Final = kind_schema(
    "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced "
    "as a unit by a RoleBinding or ClusterRoleBinding.",
    {
        "rules": _RULES,
        "aggregationRule": obj(
            "AggregationRule is an optional field that describes how to build the Rules for "
            "this ClusterRole.",
            {
                "clusterRoleSelectors": array(
                    "ClusterRoleSelectors holds a list of selectors which will be used to find "
                    "ClusterRoles and create the rules.",
                    LABEL_SELECTOR,
                )
            },
        ),
    },
)
ROLE_BINDING: Final = kind_schema(
    "RoleBinding references a role, but does not contain it.",
    {"subjects": _SUBJECTS, "roleRef": _ROLE_REF},
)
CLUSTER_ROLE_BINDING: Final = kind_schema(
    "ClusterRoleBinding references a ClusterRole, but not contain it.",
    {"subjects": _SUBJECTS, "roleRef": _ROLE_REF},
)
