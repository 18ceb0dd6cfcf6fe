"""certificates/v1, authentication/v1 and authorization/v1 request bodies.

kubectl >= 1.32 ``certificate approve`` PUTs /approval with a protobuf CSR; ``auth can-i``,
``create token`` and ``auth whoami`` post reviews (served by the auth package, decoded here so
every protobuf body goes through one place).
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.protobuf.meta import METADATA
from ocm_core.apiserver.protobuf.wire import (
    BYTES,
    EXTRA_VALUE,
    OPT_INT,
    STRING,
    TIME,
    Schema,
    message,
    repeated,
    string_map,
)

_CSR_CONDITION: Final[Schema] = {
    1: ("type", STRING),
    6: ("status", STRING),
    2: ("reason", STRING),
    3: ("message", STRING),
    4: ("lastUpdateTime", TIME),
    5: ("lastTransitionTime", TIME),
}
CSR_SPEC: Final[Schema] = {
    1: ("request", BYTES),
    2: ("username", STRING),
    3: ("uid", STRING),
    4: ("groups", repeated(STRING)),
    5: ("usages", repeated(STRING)),
    6: ("extra", string_map(EXTRA_VALUE)),
    7: ("signerName", STRING),
    8: ("expirationSeconds", OPT_INT),
}
_SELECTOR_REQUIREMENT: Final[Schema] = {
    1: ("key", STRING),
    2: ("operator", STRING),
    3: ("values", repeated(STRING)),
}
_SELECTOR_ATTRIBUTES: Final[Schema] = {
    1: ("rawSelector", STRING),
    2: ("requirements", repeated(message(_SELECTOR_REQUIREMENT))),
}
RESOURCE_ATTRIBUTES: Final[Schema] = {
    1: ("namespace", STRING),
    2: ("verb", STRING),
    3: ("group", STRING),
    4: ("version", STRING),
    5: ("resource", STRING),
    6: ("subresource", STRING),
    7: ("name", STRING),
    8: ("fieldSelector", message(_SELECTOR_ATTRIBUTES)),
    9: ("labelSelector", message(_SELECTOR_ATTRIBUTES)),
}
SELF_ACCESS_REVIEW_SPEC: Final[Schema] = {
    1: ("resourceAttributes", message(RESOURCE_ATTRIBUTES)),
    2: ("nonResourceAttributes", message({1: ("path", STRING), 2: ("verb", STRING)})),
}
ACCESS_REVIEW_SPEC: Final[Schema] = {
    **SELF_ACCESS_REVIEW_SPEC,
    3: ("user", STRING),
    4: ("groups", repeated(STRING)),
    5: ("extra", string_map(EXTRA_VALUE)),
    6: ("uid", STRING),
}
BOUND_OBJECT_REFERENCE: Final[Schema] = {
    1: ("kind", STRING),
    2: ("apiVersion", STRING),
    3: ("name", STRING),
    4: ("uid", STRING),
}
_ACCESS_REVIEW: Final[Schema] = {1: METADATA, 2: ("spec", message(ACCESS_REVIEW_SPEC))}
_AUTHENTICATION: Final = "authentication.k8s.io"
_AUTHORIZATION: Final = "authorization.k8s.io"
KINDS: Final[dict[tuple[str, str], Schema]] = {
    ("certificates.k8s.io", "CertificateSigningRequest"): {
        1: METADATA,
        2: ("spec", message(CSR_SPEC)),
        3: (
            "status",
            message(
                {
                    1: ("conditions", repeated(message(_CSR_CONDITION))),
                    2: ("certificate", BYTES),
                }
            ),
        ),
    },
    (_AUTHORIZATION, "SelfSubjectAccessReview"): {
        1: METADATA,
        2: ("spec", message(SELF_ACCESS_REVIEW_SPEC)),
    },
    (_AUTHORIZATION, "SubjectAccessReview"): _ACCESS_REVIEW,
    (_AUTHORIZATION, "LocalSubjectAccessReview"): _ACCESS_REVIEW,
    (_AUTHORIZATION, "SelfSubjectRulesReview"): {
        1: METADATA,
        2: ("spec", message({1: ("namespace", STRING)})),
    },
    (_AUTHENTICATION, "TokenRequest"): {
        1: METADATA,
        2: (
            "spec",
            message(
                {
                    1: ("audiences", repeated(STRING)),
                    3: ("boundObjectRef", message(BOUND_OBJECT_REFERENCE)),
                    4: ("expirationSeconds", OPT_INT),
                }
            ),
        ),
    },
    (_AUTHENTICATION, "TokenReview"): {
        1: METADATA,
        2: ("spec", message({1: ("token", STRING), 2: ("audiences", repeated(STRING))})),
    },
    (_AUTHENTICATION, "SelfSubjectReview"): {1: METADATA},
}
