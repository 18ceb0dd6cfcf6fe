"""The meta types every kind shares: TypeMeta, ObjectMeta, LabelSelector, Condition, references.

``metadata`` of a stored object is checked by :mod:`ocm_core.apiserver.fieldvalidation` itself
(against ObjectMeta's field names); :data:`OBJECT_META` describes it for ``kubectl explain`` and
is the schema of embedded metadata such as a pod template's.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.vocabulary import (
    SchemaDict,
    array,
    boolean,
    integer,
    obj,
    opaque,
    string,
    string_map,
    strings,
    timestamp,
)

OWNER_REFERENCE: Final = obj(
    "OwnerReference contains enough information to let you identify an owning object.",
    {
        "apiVersion": string("API version of the referent."),
        "kind": string("Kind of the referent."),
        "name": string("Name of the referent."),
        "uid": string("UID of the referent."),
        "controller": boolean("If true, this reference points to the managing controller."),
        "blockOwnerDeletion": boolean(
            'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner '
            "cannot be deleted from the key-value store until this reference is removed."
        ),
    },
)
MANAGED_FIELDS_ENTRY: Final = obj(
    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource "
    "that the fieldset applies to.",
    {
        "manager": string("Manager is an identifier of the workflow managing these fields."),
        "operation": string("Operation is the type of operation which lead to this entry."),
        "apiVersion": string("APIVersion defines the version of this resource."),
        "time": timestamp("Time is the timestamp of when the entry was last changed."),
        "fieldsType": string("FieldsType is the discriminator for the different fields format."),
        "fieldsV1": opaque("FieldsV1 holds the first JSON version format."),
        "subresource": string("Subresource is the name of the subresource used to update it."),
    },
)
OBJECT_META: Final = obj(
    "Standard object's metadata.",
    {
        "name": string("Name must be unique within a namespace."),
        "generateName": string(
            "GenerateName is an optional prefix, used by the server, to generate a unique name "
            "ONLY IF the Name field has not been provided."
        ),
        "namespace": string("Namespace defines the space within which each name must be unique."),
        "selfLink": string("Deprecated: selfLink is a legacy read-only field."),
        "uid": string("UID is the unique in time and space value for this object."),
        "resourceVersion": string(
            "An opaque value that represents the internal version of this object."
        ),
        "generation": integer(
            "A sequence number representing a specific generation of the desired state."
        ),
        "creationTimestamp": timestamp(
            "CreationTimestamp is a timestamp representing the server time when this object "
            "was created."
        ),
        "deletionTimestamp": timestamp(
            "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted."
        ),
        "deletionGracePeriodSeconds": integer(
            "Number of seconds allowed for this object to gracefully terminate."
        ),
        "labels": string_map(
            "Map of string keys and values that can be used to organize and categorize objects."
        ),
        "annotations": string_map(
            "Annotations is an unstructured key value map stored with a resource."
        ),
        "ownerReferences": array("List of objects depended by this object.", OWNER_REFERENCE),
        "finalizers": strings("Must be empty before the object is deleted from the registry."),
        "managedFields": array(
            "ManagedFields maps workflow-id and version to the set of fields that are managed "
            "by that workflow.",
            MANAGED_FIELDS_ENTRY,
        ),
    },
)
API_VERSION: Final = string(
    "APIVersion defines the versioned schema of this representation of an object."
)
KIND: Final = string(
    "Kind is a string value representing the REST resource this object represents."
)
#: The fields every kind has (added to CRD schemas that leave them out, when published).
OBJECT_FIELDS: Final = {"apiVersion": API_VERSION, "kind": KIND, "metadata": OBJECT_META}


def kind_schema(description: str, fields: dict[str, SchemaDict]) -> SchemaDict:
    """A top-level kind: TypeMeta, ObjectMeta and its own fields."""
    return obj(description, {**OBJECT_FIELDS, **fields})


LABEL_SELECTOR_REQUIREMENT: Final = obj(
    "A label selector requirement is a selector that contains values, a key, and an operator "
    "that relates the key and values.",
    {
        "key": string("key is the label key that the selector applies to."),
        "operator": string(
            "operator represents a key's relationship to a set of values: In, NotIn, Exists "
            "and DoesNotExist."
        ),
        "values": strings("values is an array of string values."),
    },
)
LABEL_SELECTOR: Final = obj(
    "A label selector is a label query over a set of resources.",
    {
        "matchLabels": string_map("matchLabels is a map of {key,value} pairs."),
        "matchExpressions": array(
            "matchExpressions is a list of label selector requirements. The requirements are "
            "ANDed.",
            LABEL_SELECTOR_REQUIREMENT,
        ),
    },
)
CONDITION: Final = obj(
    "Condition contains details for one aspect of the current state of this API Resource.",
    {
        "type": string("type of condition in CamelCase or in foo.example.com/CamelCase."),
        "status": string("status of the condition, one of True, False, Unknown."),
        "observedGeneration": integer(
            "observedGeneration represents the .metadata.generation that the condition was "
            "set based upon."
        ),
        "lastTransitionTime": timestamp(
            "lastTransitionTime is the last time the condition transitioned from one status "
            "to another."
        ),
        "reason": string(
            "reason contains a programmatic identifier indicating the reason for the "
            "condition's last transition."
        ),
        "message": string(
            "message is a human readable message indicating details about the transition."
        ),
    },
)
OBJECT_REFERENCE: Final = obj(
    "ObjectReference contains enough information to let you inspect or modify the referred object.",
    {
        "kind": string("Kind of the referent."),
        "namespace": string("Namespace of the referent."),
        "name": string("Name of the referent."),
        "uid": string("UID of the referent."),
        "apiVersion": string("API version of the referent."),
        "resourceVersion": string("Specific resourceVersion to which this reference is made."),
        "fieldPath": string(
            "If referring to a piece of an object instead of an entire object, this string "
            "should contain a valid JSON/Go field access statement."
        ),
    },
)
LOCAL_OBJECT_REFERENCE: Final = obj(
    "LocalObjectReference contains enough information to let you locate the referenced object "
    "inside the same namespace.",
    {"name": string("Name of the referent.")},
)
