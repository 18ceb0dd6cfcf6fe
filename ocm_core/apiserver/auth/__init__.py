"""Authentication and authorization for the embedded API server (kube-apiserver semantics).

Authentication (`Authenticator.authenticate(peer_cert, authorization)`): x509 client
certificates, static token file, ServiceAccount JWTs, bootstrap tokens, optional anonymous.
Impersonation (`resolve_impersonation`). Authorization (`RBACAuthorizer` over an `RBACSource`),
the review APIs as pure body → status functions, and kube's default bootstrap policy.
Nothing in this package does I/O; the HTTP layer passes in what it has.
"""

from ocm_core.apiserver.auth.authentication import (
    ANONYMOUS,
    Authenticator,
    bearer_token,
    user_from_certificate,
)
from ocm_core.apiserver.auth.authorization import (
    Authorizer,
    forbidden_message,
    non_resource_attributes,
    resource_attributes,
)
from ocm_core.apiserver.auth.bootstrap import (
    BootstrapTokens,
    bootstrap_token_secret,
    generate_token,
    is_bootstrap_token,
)
from ocm_core.apiserver.auth.errors import (
    AuthError,
    ImpersonationError,
    ImpersonationForbiddenError,
    ImpersonationRequestError,
    ReviewError,
    TokenError,
    TokenFileError,
)
from ocm_core.apiserver.auth.impersonation import resolve_impersonation
from ocm_core.apiserver.auth.policy import (
    bootstrap_cluster_role_bindings,
    bootstrap_cluster_roles,
    bootstrap_policy,
)
from ocm_core.apiserver.auth.rbac import (
    RBACAuthorizer,
    RBACSource,
    StaticRBACSource,
    aggregate_cluster_roles,
    rule_allows,
)
from ocm_core.apiserver.auth.reviews import (
    self_subject_access_review_status,
    self_subject_review_status,
    self_subject_rules_review_status,
    subject_access_review_status,
    token_review_status,
)
from ocm_core.apiserver.auth.serviceaccount import (
    BoundObject,
    IssuedToken,
    ServiceAccountTokens,
    UIDLookup,
    VerifiedToken,
)
from ocm_core.apiserver.auth.tokenfile import StaticTokens
from ocm_core.apiserver.auth.user import (
    ANONYMOUS_USER,
    SYSTEM_AUTHENTICATED,
    SYSTEM_MASTERS,
    SYSTEM_UNAUTHENTICATED,
    Decision,
    RequestAttributes,
    UserInfo,
)

__all__ = [
    "ANONYMOUS",
    "ANONYMOUS_USER",
    "SYSTEM_AUTHENTICATED",
    "SYSTEM_MASTERS",
    "SYSTEM_UNAUTHENTICATED",
    "AuthError",
    "Authenticator",
    "Authorizer",
    "BootstrapTokens",
    "BoundObject",
    "Decision",
    "ImpersonationError",
    "ImpersonationForbiddenError",
    "ImpersonationRequestError",
    "IssuedToken",
    "RBACAuthorizer",
    "RBACSource",
    "RequestAttributes",
    "ReviewError",
    "ServiceAccountTokens",
    "StaticRBACSource",
    "StaticTokens",
    "TokenError",
    "TokenFileError",
    "UIDLookup",
    "UserInfo",
    "VerifiedToken",
    "aggregate_cluster_roles",
    "bearer_token",
    "bootstrap_cluster_role_bindings",
    "bootstrap_cluster_roles",
    "bootstrap_policy",
    "bootstrap_token_secret",
    "forbidden_message",
    "generate_token",
    "is_bootstrap_token",
    "non_resource_attributes",
    "resolve_impersonation",
    "resource_attributes",
    "rule_allows",
    "self_subject_access_review_status",
    "self_subject_review_status",
    "self_subject_rules_review_status",
    "subject_access_review_status",
    "token_review_status",
    "user_from_certificate",
]
