"""rbac.authorization.k8s.io/v1 kinds (k8s.io/api ``rbac/v1/generated.proto`` numbers)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import LABEL_SELECTOR, METADATA
from ocm_core.apiserver.protobuf.wire import STRING, Schema, message, repeated

POLICY_RULE: Final[Schema] = {
    1: ("verbs", repeated(STRING)),
    2: ("apiGroups", repeated(STRING)),
    3: ("resources", repeated(STRING)),
    4: ("resourceNames", repeated(STRING)),
    5: ("nonResourceURLs", repeated(STRING)),
}
SUBJECT: Final[Schema] = {
    1: ("kind", STRING),
    2: ("apiGroup", STRING),
    3: ("name", STRING),
    4: ("namespace", STRING),
}
ROLE_REF: Final[Schema] = {1: ("apiGroup", STRING), 2: ("kind", STRING), 3: ("name", STRING)}
_RULES: Final = ("rules", repeated(message(POLICY_RULE)))
_BINDING: Final[Schema] = {
    1: METADATA,
    2: ("subjects", repeated(message(SUBJECT))),
    3: ("roleRef", message(ROLE_REF)),
}
KINDS: Final[dict[str, Schema]] = {
    "Role": {1: METADATA, 2: _RULES},
    "ClusterRole": {
        1: METADATA,
        2: _RULES,
        3: (
            "aggregationRule",
            message({1: ("clusterRoleSelectors", repeated(message(LABEL_SELECTOR)))}),
        ),
    },
    "RoleBinding": _BINDING,
    "ClusterRoleBinding": _BINDING,
}
