"""RBAC evaluation over Role/ClusterRole/RoleBinding/ClusterRoleBinding dicts, as kube does it.

A request is allowed when some ClusterRoleBinding, or some RoleBinding in the request's
namespace, names the user (User, Group or ServiceAccount subject) and refers to a role with a
rule that covers the request:
- resource requests: verbs, apiGroups, resources (`resource`, `resource/subresource`, `*`,
  `*/subresource`) and resourceNames (empty = any name; otherwise the request must name one);
- non-resource requests: verbs and nonResourceURLs (exact, or a prefix ending in `*`).
Members of `system:masters` may do everything, like kube's privileged-group authorizer.

The objects come from an `RBACSource` (the server's cache), read synchronously per decision.
ClusterRoleBindings are asked for by subject name, so a decision reads the few bindings that can
name the user rather than all of them (a hub with a thousand clusters has thousands).
Aggregated ClusterRoles (aggregationRule) are expected with their rules already filled in:
the server computes them with `aggregate_cluster_roles`, as kube's aggregation controller does.
Never raises on malformed objects: a rule or binding it cannot read simply grants nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeGuard

from ocm_core.apiserver.auth import user as users
from ocm_core.apiserver.auth.user import Decision, RequestAttributes

RBAC_GROUP: Final = "rbac.authorization.k8s.io"
WILDCARD: Final = "*"
KIND_USER: Final = "User"
KIND_GROUP: Final = "Group"
KIND_SERVICE_ACCOUNT: Final = "ServiceAccount"
KIND_ROLE: Final = "Role"
KIND_CLUSTER_ROLE: Final = "ClusterRole"

Obj = Mapping[str, Any]


class RBACSource(Protocol):
    """Read access to the RBAC objects (plain dicts as stored), e.g. the server's cache."""

    def roles(self, namespace: str) -> Sequence[Obj]: ...

    def cluster_roles(self) -> Sequence[Obj]: ...

    def cluster_role(self, name: str) -> Obj | None:
        """One ClusterRole (aggregated rules filled in), without reading all of them."""
        ...

    def role_bindings(self, namespace: str) -> Sequence[Obj]: ...

    def cluster_role_bindings(self) -> Sequence[Obj]: ...

    def cluster_role_bindings_naming(self, names: Collection[str]) -> Sequence[Obj]:
        """The ClusterRoleBindings with a subject whose ``name`` is in ``names`` (subject kinds
        and namespaces are checked by the caller), in `cluster_role_bindings` order."""
        ...


def names_in_subjects(binding: Obj) -> set[str]:
    """The subject names of a binding (what `cluster_role_bindings_naming` looks up)."""
    return {
        str(subject.get("name"))
        for subject in _sequence(binding.get("subjects"))
        if _is_mapping(subject) and subject.get("name")
    }


@dataclass(frozen=True)
class StaticRBACSource:
    """An `RBACSource` over fixed lists (tests, and seeding before the store is up)."""

    all_roles: Sequence[Obj] = ()
    all_cluster_roles: Sequence[Obj] = ()
    all_role_bindings: Sequence[Obj] = ()
    all_cluster_role_bindings: Sequence[Obj] = ()

    def roles(self, namespace: str) -> Sequence[Obj]:
        return [r for r in self.all_roles if _namespace(r) == namespace]

    def cluster_roles(self) -> Sequence[Obj]:
        return self.all_cluster_roles

    def cluster_role(self, name: str) -> Obj | None:
        return next((r for r in self.all_cluster_roles if _name(r) == name), None)

    def role_bindings(self, namespace: str) -> Sequence[Obj]:
        return [b for b in self.all_role_bindings if _namespace(b) == namespace]

    def cluster_role_bindings(self) -> Sequence[Obj]:
        return self.all_cluster_role_bindings

    def cluster_role_bindings_naming(self, names: Collection[str]) -> Sequence[Obj]:
        return [b for b in self.all_cluster_role_bindings if names_in_subjects(b) & set(names)]


@dataclass(frozen=True)
class _Grant:
    """One binding that applies to the user, resolved to its role's rules."""

    binding_kind: str
    binding_name: str
    role_kind: str
    role_name: str
    subject: str
    rules: Sequence[Obj]

    def describe(self) -> str:
        return (
            f'{self.binding_kind} "{self.binding_name}" of {self.role_kind} '
            f'"{self.role_name}" to {self.subject}'
        )


class _RoleIndex:
    """Roles by name, built on first use: most bindings never match, so most requests never
    need the index (and kube's authorizer also reads the roles per request)."""

    def __init__(self, load: Callable[[], Iterable[Obj]]) -> None:
        self._load = load
        self._by_name: dict[str, Obj] | None = None

    def get(self, name: str) -> Obj | None:
        if self._by_name is None:
            self._by_name = {_name(obj): obj for obj in self._load()}
        return self._by_name.get(name)


class RBACAuthorizer:
    """Kube RBAC over an `RBACSource`; implements the `Authorizer` protocol."""

    def __init__(
        self,
        source: RBACSource,
        *,
        privileged_groups: Iterable[str] = (users.SYSTEM_MASTERS,),
    ) -> None:
        self._source = source
        self._privileged_groups = frozenset(privileged_groups)

    def authorize(self, attributes: RequestAttributes) -> Decision:
        user = attributes.user
        privileged = self._privileged_groups.intersection(user.groups)
        if privileged:
            return Decision(True, f"allowed by membership in group {sorted(privileged)[0]!r}")
        grants: list[_Grant] = []
        errors: list[str] = []
        # Stop at the first grant that allows, as kube's rule visitor does.
        for grant in self._grants(user, attributes.namespace, errors):
            if any(rule_allows(rule, attributes) for rule in grant.rules):
                return Decision(True, f"RBAC: allowed by {grant.describe()}")
            grants.append(grant)
        return Decision(False, _denial_reason(attributes, grants, errors))

    def rules_for(self, user: users.UserInfo, namespace: str) -> tuple[list[Obj], list[str]]:
        """Every rule that applies to `user` in `namespace` (cluster-wide ones included),
        and the errors met while resolving them (SelfSubjectRulesReview)."""
        if self._privileged_groups.intersection(user.groups):
            return [_ALL_RESOURCES_RULE, _ALL_PATHS_RULE], []
        errors: list[str] = []
        rules = [rule for grant in self._grants(user, namespace, errors) for rule in grant.rules]
        return rules, errors

    def _grants(self, user: users.UserInfo, namespace: str, errors: list[str]) -> Iterator[_Grant]:
        """The bindings that name `user`, resolved to rules: cluster-wide first, then those of
        `namespace`. Problems (missing roles, bad roleRefs) are appended to `errors`."""
        groups = frozenset(user.groups)
        cluster_role = self._source.cluster_role
        for binding in self._source.cluster_role_bindings_naming(_subject_names(user, groups)):
            subject = _matching_subject(binding, user.name, groups, "")
            if subject is not None:
                grant = _grant(binding, subject, "", cluster_role, None, errors)
                if grant is not None:
                    yield grant
        if not namespace:
            return
        roles = _RoleIndex(lambda: self._source.roles(namespace))
        for binding in self._source.role_bindings(namespace):
            subject = _matching_subject(binding, user.name, groups, namespace)
            if subject is not None:
                grant = _grant(binding, subject, namespace, cluster_role, roles.get, errors)
                if grant is not None:
                    yield grant


def _subject_names(user: users.UserInfo, groups: frozenset[str]) -> set[str]:
    """Every subject ``name`` that can designate the user: its name, its groups and, for a
    ServiceAccount, the account's own name."""
    names = {user.name, *groups}
    account = users.split_service_account_username(user.name)
    if account is not None:
        names.add(account[1])
    return names


def _grant(
    binding: Obj,
    subject: str,
    namespace: str,
    cluster_role: Callable[[str], Obj | None],
    role_in_namespace: Callable[[str], Obj | None] | None,
    errors: list[str],
) -> _Grant | None:
    """Resolve a binding known to name the user to its role's rules, or record why not."""
    binding_kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    binding_name = _name(binding)
    if namespace:
        binding_name = f"{binding_name}/{namespace}"  # kube's spelling in reasons
    ref = _mapping(binding.get("roleRef"))
    role_kind, role_name = ref.get("kind", ""), ref.get("name", "")
    if role_kind == KIND_CLUSTER_ROLE:
        role = cluster_role(role_name)
    elif role_kind == KIND_ROLE and role_in_namespace is not None:
        role = role_in_namespace(role_name)
    else:
        errors.append(f'{binding_kind} "{binding_name}" has an invalid roleRef')
        return None
    if role is None:
        where = f' in namespace "{namespace}"' if role_kind == KIND_ROLE else ""
        errors.append(f'{role_kind.lower()} "{role_name}"{where} not found')
        return None
    return _Grant(
        binding_kind, binding_name, role_kind, role_name, subject, _sequence(role.get("rules"))
    )


_ALL_RESOURCES_RULE: Final[Obj] = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
_ALL_PATHS_RULE: Final[Obj] = {"verbs": ["*"], "nonResourceURLs": ["*"]}


# --- matching ---------------------------------------------------------------------------------


def rule_allows(rule: Obj, attributes: RequestAttributes) -> bool:
    """True if one PolicyRule covers the request (kube's RuleAllows)."""
    if not _is_mapping(rule):
        return False
    if not _verb_matches(rule, attributes.verb):
        return False
    if not attributes.resource_request:
        return _non_resource_url_matches(_strings(rule.get("nonResourceURLs")), attributes.path)
    return (
        _contains_or_wildcard(_strings(rule.get("apiGroups")), attributes.api_group)
        and _resource_matches(
            _strings(rule.get("resources")), attributes.resource, attributes.subresource
        )
        and _resource_name_matches(_strings(rule.get("resourceNames")), attributes.name)
    )


def _verb_matches(rule: Obj, verb: str) -> bool:
    return _contains_or_wildcard(_strings(rule.get("verbs")), verb)


def _contains_or_wildcard(values: Sequence[str], wanted: str) -> bool:
    return WILDCARD in values or wanted in values


def _resource_matches(rule_resources: Sequence[str], resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for rule_resource in rule_resources:
        if rule_resource in (WILDCARD, combined):
            return True
        # `*/scale` matches the scale subresource of every resource (kube parity).
        if subresource and rule_resource == f"{WILDCARD}/{subresource}":
            return True
    return False


def _resource_name_matches(names: Sequence[str], name: str) -> bool:
    # A rule restricted to names never matches a request without one (list, create, watch).
    return not names or name in names


def _non_resource_url_matches(rule_urls: Sequence[str], path: str) -> bool:
    for rule_url in rule_urls:
        if rule_url in (WILDCARD, path):
            return True
        if rule_url.endswith(WILDCARD) and path.startswith(rule_url.rstrip(WILDCARD)):
            return True
    return False


def _matching_subject(
    binding: Obj, user_name: str, groups: frozenset[str], namespace: str
) -> str | None:
    """The first subject of `binding` that names the user, rendered for reasons; else None."""
    for subject in _sequence(binding.get("subjects")):
        if not _is_mapping(subject):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        if not isinstance(name, str) or not name:
            continue
        if kind == KIND_GROUP:
            if name in groups:
                return f'Group "{name}"'
        elif kind == KIND_USER:
            if name == user_name:
                return f'User "{name}"'
        elif kind == KIND_SERVICE_ACCOUNT:
            # kube parity: a RoleBinding's ServiceAccount subject without a namespace means
            # the binding's own namespace; in a ClusterRoleBinding it matches nobody.
            sa_namespace = subject.get("namespace") or namespace
            if sa_namespace and user_name == users.service_account_username(sa_namespace, name):
                return f'ServiceAccount "{sa_namespace}/{name}"'
    return None


def _denial_reason(
    attributes: RequestAttributes, grants: Sequence[_Grant], errors: Sequence[str]
) -> str:
    what = (
        f"{attributes.verb} on {_resource_text(attributes)}"
        if attributes.resource_request
        else f"{attributes.verb} on path {attributes.path!r}"
    )
    where = (
        f"in namespace {attributes.namespace!r}" if attributes.namespace else "at the cluster scope"
    )
    if grants:
        bound = ", ".join(grant.describe() for grant in grants)
        reason = f"RBAC: no rule {where} allows {what}; bindings that apply: {bound}"
    else:
        reason = f"RBAC: no ClusterRoleBinding or RoleBinding {where} applies to the user"
    if errors:
        reason += "; " + "; ".join(errors)
    return reason


def _resource_text(attributes: RequestAttributes) -> str:
    resource = attributes.resource
    if attributes.subresource:
        resource = f"{resource}/{attributes.subresource}"
    if attributes.api_group:
        resource = f"{resource}.{attributes.api_group}"
    return f'{resource} "{attributes.name}"' if attributes.name else resource


def _name(obj: Obj) -> str:
    return str(_mapping(obj.get("metadata")).get("name", ""))


def _namespace(obj: Obj) -> str:
    return str(_mapping(obj.get("metadata")).get("namespace", ""))


def _is_mapping(value: object) -> TypeGuard[Obj]:
    # Stored objects are plain dicts; the exact-type test skips the slow ABC check for them.
    return type(value) is dict or isinstance(value, Mapping)


def _mapping(value: object) -> Obj:
    return value if _is_mapping(value) else {}


def _sequence(value: object) -> Sequence[Any]:
    # Malformed fields count as empty, so a broken object grants nothing instead of failing
    # every request that scans it; callers skip malformed items. No copying: hot path.
    return value if isinstance(value, list | tuple) else ()


def _strings(value: object) -> Sequence[Any]:
    # A string where a list belongs must not turn `in` into a substring test; non-string
    # items in a list simply never equal a request's strings.
    return _sequence(value)


# --- aggregation ------------------------------------------------------------------------------


def aggregate_cluster_roles(cluster_roles: Sequence[Obj]) -> list[dict[str, Any]]:
    """Shallow copies of `cluster_roles` where every role with an aggregationRule has its rules
    set to copies of the union of the rules of the roles its selectors match (kube's
    aggregation controller). Other roles' nested values are shared, not copied: the server
    recomputes this after ClusterRole changes, so it must stay cheap with thousands of roles.

    Aggregation is transitive (admin picks up edit, which picks up view), matched roles are
    taken in name order, duplicate rules are dropped, and cycles are cut.
    """
    by_name = {_name(role): role for role in cluster_roles}
    resolved: dict[str, list[Obj]] = {}
    result: list[dict[str, Any]] = []
    for role in cluster_roles:
        copied = dict(role)
        if _aggregation_selectors(role) is not None:
            copied["rules"] = [
                copy.deepcopy(dict(r)) for r in _effective_rules(_name(role), by_name, resolved, ())
            ]
        result.append(copied)
    return result


def aggregation_selectors(cluster_roles: Iterable[Obj]) -> list[Obj]:
    """Every clusterRoleSelector of every aggregating role: a ClusterRole whose labels match
    none of them (and that aggregates nothing itself) cannot change an aggregated role."""
    return [
        selector
        for role in cluster_roles
        for selector in _aggregation_selectors(role) or ()
        if _is_mapping(selector)
    ]


def affects_aggregation(role: Obj, selectors: Sequence[Obj]) -> bool:
    """Whether a change to ``role`` can change the rules of an aggregated ClusterRole."""
    if "aggregationRule" in role:
        return True
    labels = _mapping(_mapping(role.get("metadata")).get("labels"))
    return bool(labels) and any(selector_matches(selector, labels) for selector in selectors)


def _effective_rules(
    name: str,
    by_name: Mapping[str, Obj],
    resolved: dict[str, list[Obj]],
    visiting: tuple[str, ...],
) -> list[Obj]:
    if name in resolved:
        return resolved[name]
    role = by_name[name]
    selectors = _aggregation_selectors(role)
    if selectors is None:
        return [rule for rule in _sequence(role.get("rules")) if isinstance(rule, Mapping)]
    rules: list[Obj] = []
    for other_name in sorted(by_name):
        if other_name == name or other_name in visiting:
            continue
        labels = (by_name[other_name].get("metadata") or {}).get("labels") or {}
        if any(selector_matches(selector, labels) for selector in selectors):
            rules.extend(_effective_rules(other_name, by_name, resolved, (*visiting, name)))
    unique = list(_dedupe(rules))
    if not visiting:
        resolved[name] = unique  # only cache results computed without a cycle cut
    return unique


def _aggregation_selectors(role: Obj) -> list[Obj] | None:
    rule = role.get("aggregationRule")
    if not isinstance(rule, Mapping):
        return None
    selectors = rule.get("clusterRoleSelectors")
    return list(selectors) if isinstance(selectors, list) else []


def _dedupe(rules: Iterable[Obj]) -> Iterator[Obj]:
    seen: set[str] = set()
    for rule in rules:
        key = json.dumps(rule, sort_keys=True)
        if key not in seen:
            seen.add(key)
            yield rule


def selector_matches(selector: Obj, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics: matchLabels AND every matchExpression; {} matches all."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        if not _expression_matches(expression, labels):
            return False
    return True


def _expression_matches(expression: Obj, labels: Mapping[str, str]) -> bool:
    key = expression.get("key", "")
    operator = expression.get("operator", "")
    values = expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # an unknown operator selects nothing rather than everything
