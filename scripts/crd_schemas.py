"""OpenAPI v3 schema building blocks and CRD assembly for the CRDs scripts/gen_crds.py writes.

Each function returns a fresh dict (callers may nest or tweak it). Field names, enums,
defaults, patterns and list types follow the upstream OCM and cluster-proxy APIs
(`specs/ocm-apis.md`, `specs/cluster-proxy.md`); descriptions are ours.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

DNS_SUBDOMAIN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SIGNER_NAME = r"^([a-z0-9][a-z0-9-]*[a-z0-9]\.)+[a-z]+\/[a-z0-9-\.]+$"
INT_OR_PERCENT = r"^((100|[0-9]{1,2})%|[0-9]+)$"
DURATION_OR_NONE = r"^(([0-9])+[h|m|s])|None$"
QUANTITY = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
CONDITION_REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
CONDITION_TYPE = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)


# -- primitives ---------------------------------------------------------------------------


def string(description: str, **rules: Any) -> Schema:
    return {"description": description, "type": "string", **rules}


def integer(description: str, *, fmt: str = "int32", **rules: Any) -> Schema:
    return {"description": description, "type": "integer", "format": fmt, **rules}


def boolean(description: str) -> Schema:
    return {"description": description, "type": "boolean"}


def obj(
    description: str,
    properties: dict[str, Schema],
    *,
    required: list[str] | None = None,
    **rules: Any,
) -> Schema:
    node: Schema = {"description": description, "type": "object", "properties": properties}
    if required:
        node["required"] = sorted(required)
    node.update(rules)
    return node


def array(description: str, items: Schema, **rules: Any) -> Schema:
    return {"description": description, "type": "array", "items": items, **rules}


def strings(description: str) -> Schema:
    return array(description, {"type": "string"})


def string_map(description: str) -> Schema:
    return {
        "description": description,
        "type": "object",
        "additionalProperties": {"type": "string"},
    }


def list_map(node: Schema, *keys: str) -> Schema:
    """Mark an array as a list keyed by `keys` (merge key for apply and patches)."""
    node["x-kubernetes-list-type"] = "map"
    node["x-kubernetes-list-map-keys"] = list(keys)
    return node


def int_or_string(description: str, **rules: Any) -> Schema:
    return {
        "description": description,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
        **rules,
    }


def raw_object(description: str) -> Schema:
    """A Kubernetes object carried verbatim (a manifest)."""
    return {
        "description": description,
        "type": "object",
        "x-kubernetes-embedded-resource": True,
        "x-kubernetes-preserve-unknown-fields": True,
    }


# -- kube and OCM common types ------------------------------------------------------------


def conditions(description: str = "Current state, one condition per type.") -> Schema:
    condition = obj(
        "A metav1.Condition.",
        {
            "type": string("Condition type, CamelCase.", maxLength=316, pattern=CONDITION_TYPE),
            "status": string("True, False or Unknown.", enum=["True", "False", "Unknown"]),
            "observedGeneration": integer(
                "metadata.generation the condition was computed for.", fmt="int64", minimum=0
            ),
            "lastTransitionTime": string("When the status last changed.", format="date-time"),
            "reason": string(
                "Machine-readable CamelCase reason.",
                maxLength=1024,
                minLength=1,
                pattern=CONDITION_REASON,
            ),
            "message": string("Human-readable details.", maxLength=32768),
        },
        required=["type", "status", "lastTransitionTime", "reason", "message"],
    )
    return list_map(array(description, condition), "type")


def tolerations() -> Schema:
    toleration = obj(
        "A core/v1 Toleration.",
        {
            "key": string("Taint key; empty matches every key (with operator Exists)."),
            "operator": string("Exists or Equal (default Equal)."),
            "value": string("Taint value to match."),
            "effect": string("NoSchedule, PreferNoSchedule or NoExecute; empty matches all."),
            "tolerationSeconds": integer("How long a NoExecute taint is tolerated.", fmt="int64"),
        },
    )
    return array("Tolerations for the pods.", toleration)


def node_placement(description: str) -> Schema:
    return obj(
        description,
        {
            "nodeSelector": string_map("Node labels the pods must be scheduled on."),
            "tolerations": tolerations(),
        },
    )


def resource_requirements(description: str) -> Schema:
    quantity = int_or_string("A resource quantity.", pattern=QUANTITY)
    claim = obj(
        "A resource claim of the pod used by the container.",
        {
            "name": string("Name of an entry in pod.spec.resourceClaims."),
            "request": string("Request of that claim to use."),
        },
        required=["name"],
    )
    return obj(
        description,
        {
            "limits": {
                "description": "Maximum resources.",
                "type": "object",
                "additionalProperties": quantity,
            },
            "requests": {
                "description": "Minimum resources.",
                "type": "object",
                "additionalProperties": dict(quantity),
            },
            "claims": list_map(array("Resource claims used.", claim), "name"),
        },
    )


# -- placement rollout (shared by add-on install strategies and ManifestWorkReplicaSets) --


def _rollout_config(description: str) -> Schema:
    return {
        "description": description,
        "type": "object",
        "properties": {
            "minSuccessTime": string(
                "Soak time after success before the next step (e.g. 90m); 0 proceeds at once.",
                default="0",
            ),
            "progressDeadline": string(
                "How long to wait for success before counting a failure; None waits forever.",
                default="None",
                pattern=DURATION_OR_NONE,
            ),
            "maxFailures": int_or_string(
                "Number or percentage of clusters that may fail before the rollout stops.",
                default=0,
                pattern=INT_OR_PERCENT,
            ),
        },
    }


def _mandatory_decision_groups() -> Schema:
    group = obj(
        "A decision group by name (preferred) or index.",
        {
            "groupName": string("Value of the decision-group-name label."),
            "groupIndex": integer("Value of the decision-group-index label."),
        },
    )
    return array("Decision groups rolled out first, where no failure is tolerated.", group)


def rollout_strategy(description: str, *, default: dict[str, Any]) -> Schema:
    progressive = _rollout_config("Settings of the Progressive type.")
    progressive["properties"]["mandatoryDecisionGroups"] = _mandatory_decision_groups()
    progressive["properties"]["maxConcurrency"] = int_or_string(
        "Number or percentage of clusters updated at once.", pattern=INT_OR_PERCENT
    )
    per_group = _rollout_config("Settings of the ProgressivePerGroup type.")
    per_group["properties"]["mandatoryDecisionGroups"] = _mandatory_decision_groups()
    return {
        "description": description,
        "type": "object",
        "default": default,
        "properties": {
            "type": string(
                "All, Progressive or ProgressivePerGroup.",
                default="All",
                enum=["All", "Progressive", "ProgressivePerGroup"],
            ),
            "all": _rollout_config("Settings of the All type."),
            "progressive": progressive,
            "progressivePerGroup": per_group,
        },
    }


# -- work ---------------------------------------------------------------------------------


def _resource_identifier(description: str) -> Schema:
    return obj(
        description,
        {
            "group": string("API group; empty for the core group."),
            "resource": string("Resource (plural) name."),
            "name": string("Object name."),
            "namespace": string("Object namespace; empty for cluster-scoped objects."),
        },
        required=["name", "resource"],
    )


def _feedback_rules() -> Schema:
    json_path = obj(
        "A status field to report.",
        {
            "name": string("Name the value is reported under."),
            "path": string("JSONPath under .status; must point at a single scalar."),
            "version": string("API version to read; the preferred version when empty."),
        },
        required=["name", "path"],
    )
    rule = obj(
        "What status to report back.",
        {
            "type": string("WellKnownStatus or JSONPaths.", enum=["WellKnownStatus", "JSONPaths"]),
            "jsonPaths": list_map(array("Fields for type JSONPaths.", json_path), "name"),
        },
        required=["type"],
    )
    return array("Status feedback rules of the manifest.", rule)


def _update_strategy() -> Schema:
    ignore_field = obj(
        "Fields server-side apply leaves alone.",
        {
            "condition": string(
                "OnSpokePresent or OnSpokeChange.",
                default="OnSpokePresent",
                enum=["OnSpokePresent", "OnSpokeChange"],
            ),
            "jsonPaths": strings("Kubernetes JSONPaths of ignored fields."),
            "jsonPointers": strings("RFC 6901 JSON pointers of ignored fields."),
            "jqPathExpressions": strings("jq path expressions of ignored fields."),
        },
        required=["condition"],
    )
    server_side_apply = obj(
        "Server-side apply settings (type ServerSideApply).",
        {
            "force": boolean("Take ownership of conflicting fields."),
            "fieldManager": string(
                "Field manager; must start with work-agent.",
                default="work-agent",
                pattern="^work-agent",
            ),
            "ignoreFields": list_map(
                array("Fields to ignore when applying.", ignore_field), "condition"
            ),
        },
    )
    return obj(
        "How the agent updates the manifest on the spoke.",
        {
            "type": string(
                "Update, CreateOnly, ServerSideApply or ReadOnly.",
                default="Update",
                enum=["Update", "CreateOnly", "ServerSideApply", "ReadOnly"],
            ),
            "serverSideApply": server_side_apply,
        },
        required=["type"],
    )


def _condition_rules() -> Schema:
    rule = obj(
        "How one condition of the manifest is computed.",
        {
            "condition": string("Condition type set by the rule (e.g. Complete)."),
            "type": string("WellKnownConditions or CEL.", enum=["WellKnownConditions", "CEL"]),
            "celExpressions": strings("CEL expressions, all of which must be true."),
            "message": string("Message of the condition."),
            "messageExpression": string("CEL expression producing the message."),
        },
        required=["condition", "type"],
    )
    rule["x-kubernetes-validations"] = [
        {
            "rule": "self.type != 'CEL' || self.condition != \"\"",
            "message": "Condition is required for CEL rules",
        }
    ]
    return list_map(array("Condition rules of the manifest.", rule), "condition")


def manifest_work_spec(description: str) -> Schema:
    orphaning_rule = _resource_identifier("A resource of this work to orphan.")
    delete_option = obj(
        "What happens to applied resources when the work is deleted.",
        {
            "propagationPolicy": string(
                "Foreground (delete them), Orphan (keep them) or SelectivelyOrphan.",
                default="Foreground",
                enum=["Foreground", "Orphan", "SelectivelyOrphan"],
            ),
            "selectivelyOrphans": obj(
                "Resources kept under SelectivelyOrphan.",
                {"orphaningRules": array("The resources to keep.", orphaning_rule)},
            ),
            "ttlSecondsAfterFinished": integer(
                "Delete the work this long after it is Complete.", fmt="int64"
            ),
        },
    )
    manifest_config = obj(
        "Options for one manifest of the workload.",
        {
            "resourceIdentifier": _resource_identifier("The manifest these options apply to."),
            "feedbackRules": _feedback_rules(),
            "feedbackScrapeType": string(
                "Poll or Watch the resource for feedback.", default="Poll", enum=["Poll", "Watch"]
            ),
            "updateStrategy": _update_strategy(),
            "conditionRules": _condition_rules(),
        },
        required=["resourceIdentifier"],
    )
    service_account = obj(
        "The ServiceAccount the agent acts for.",
        {
            "namespace": string(
                "Its namespace.", minLength=1, maxLength=253, pattern=DNS_SUBDOMAIN
            ),
            "name": string("Its name.", minLength=1, maxLength=253, pattern=DNS_SUBDOMAIN),
        },
        required=["namespace", "name"],
    )
    executor = obj(
        "Identity the agent checks (and we apply as) before writing the manifests.",
        {
            "subject": obj(
                "The executor identity.",
                {
                    "type": string("Subject type.", enum=["ServiceAccount"]),
                    "serviceAccount": service_account,
                },
                required=["type"],
            )
        },
    )
    return obj(
        description,
        {
            "workload": obj(
                "The manifests to apply on the managed cluster.",
                {"manifests": array("Kubernetes objects.", raw_object("One object."))},
            ),
            "deleteOption": delete_option,
            "manifestConfigs": array("Per-manifest options.", manifest_config),
            "executor": executor,
        },
    )


def manifest_work_status() -> Schema:
    resource_meta = obj(
        "Which object the status is about.",
        {
            "ordinal": integer("Index of the manifest in spec.workload.manifests."),
            "group": string("API group."),
            "version": string("API version."),
            "kind": string("Kind."),
            "resource": string("Resource (plural) name."),
            "name": string("Name."),
            "namespace": string("Namespace."),
        },
        required=["ordinal"],
    )
    field_value = obj(
        "A reported value.",
        {
            "type": string(
                "Integer, String, Boolean or JsonRaw.",
                enum=["Integer", "String", "Boolean", "JsonRaw"],
            ),
            "integer": integer("Value of type Integer.", fmt="int64"),
            "string": string("Value of type String."),
            "boolean": boolean("Value of type Boolean."),
            "jsonRaw": string("Value of type JsonRaw (a JSON document).", maxLength=1024),
        },
        required=["type"],
    )
    feedback_value = obj(
        "One status feedback value.",
        {"name": string("Name from the feedback rule."), "fieldValue": field_value},
        required=["name", "fieldValue"],
    )
    manifest = obj(
        "Status of one manifest.",
        {
            "resourceMeta": resource_meta,
            "statusFeedback": obj(
                "Values reported by the feedback rules.",
                {"values": list_map(array("The values.", feedback_value), "name")},
            ),
            "conditions": conditions("Conditions of this manifest."),
        },
        required=["resourceMeta", "conditions"],
    )
    return obj(
        "Status reported by the work agent.",
        {
            "conditions": conditions("Applied, Available, Progressing, Degraded, Deleting, ..."),
            "resourceStatus": obj(
                "Per-manifest status.",
                {"manifests": array("One entry per manifest, in spec order.", manifest)},
            ),
        },
    )


# -- add-ons ------------------------------------------------------------------------------


def addon_meta(description: str) -> Schema:
    return obj(
        description,
        {
            "displayName": string("Name shown for the add-on."),
            "description": string("What the add-on does."),
        },
    )


def config_group_resource() -> dict[str, Schema]:
    """Properties `group` and `resource` (inlined into the caller's object)."""
    return {
        "group": string("API group of the configuration; empty for the core group.", default=""),
        "resource": string("Resource (plural) of the configuration.", minLength=1),
    }


def config_referent() -> dict[str, Schema]:
    """Properties `namespace` and `name` (inlined into the caller's object)."""
    return {
        "namespace": string("Namespace of the configuration; empty for cluster-scoped ones."),
        "name": string("Name of the configuration.", minLength=1),
    }


def addon_config(description: str) -> Schema:
    return obj(
        description,
        {**config_group_resource(), **config_referent()},
        required=["resource", "name"],
    )


def config_spec_hash_ref(description: str) -> Schema:
    return obj(
        description,
        {**config_referent(), "specHash": string("Spec hash of the configuration.")},
        required=["name"],
    )


def addon_registration_subject_v1alpha1() -> Schema:
    return obj(
        "Identity requested for the agent (defaults derive from cluster and add-on).",
        {
            "user": string("User name."),
            "groups": strings("Groups."),
            "organizationUnit": strings("Organization units."),
        },
    )


# -- CRD assembly -------------------------------------------------------------------------


def root_schema(
    description: str, spec: Schema, status: Schema | None = None, *, spec_required: bool = True
) -> Schema:
    properties: dict[str, Schema] = {
        "apiVersion": string("Versioned schema of this object."),
        "kind": string("REST resource this object represents."),
        "metadata": {"type": "object"},
        "spec": spec,
    }
    if status is not None:
        properties["status"] = status
    return obj(description, properties, required=["spec"] if spec_required else None)


def condition_column(name: str, condition: str, field: str = "status") -> dict[str, str]:
    return {
        "name": name,
        "type": "string",
        "jsonPath": f'.status.conditions[?(@.type=="{condition}")].{field}',
    }


def version(
    name: str,
    schema: Schema,
    *,
    storage: bool = True,
    status: bool = True,
    columns: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "served": True, "storage": storage}
    if columns:
        entry["additionalPrinterColumns"] = columns
    entry["schema"] = {"openAPIV3Schema": schema}
    if status:
        entry["subresources"] = {"status": {}}
    return entry


def crd(
    group: str,
    kind: str,
    plural: str,
    *,
    scope: str,
    versions: list[dict[str, Any]],
    short_names: list[str] | None = None,
    conversion: dict[str, Any] | None = None,
) -> dict[str, Any]:
    names: dict[str, Any] = {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural,
        "singular": kind.lower(),
    }
    if short_names:
        names["shortNames"] = short_names
    spec: dict[str, Any] = {"group": group, "names": names, "scope": scope}
    if conversion:
        spec["conversion"] = conversion
    spec["versions"] = versions
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": spec,
    }
