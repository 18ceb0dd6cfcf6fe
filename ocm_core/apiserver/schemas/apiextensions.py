"""apiextensions.k8s.io/v1 CustomResourceDefinition.

A version's ``openAPIV3Schema`` is itself a JSON schema with open-ended keywords, so its
fields are not checked.
"""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import CONDITION, kind_schema
from ocm_core.apiserver.schemas.vocabulary import (
    array,
    boolean,
    integer,
    obj,
    opaque,
    string,
    strings,
    timestamp,
    with_description,
)

_NAMES: Final = obj(
    "CustomResourceDefinitionNames indicates the names to serve this CustomResourceDefinition",
    {
        "plural": string("plural is the plural name of the resource to serve."),
        "singular": string("singular is the singular name of the resource."),
        "shortNames": strings(
            "shortNames are short names for the resource, exposed in API discovery documents."
        ),
        "kind": string("kind is the serialized kind of the resource."),
        "listKind": string("listKind is the serialized kind of the list for this resource."),
        "categories": strings(
            "categories is a list of grouped resources this custom resource "
            "belongs to (e.g. 'all')."
        ),
    },
)
_PRINTER_COLUMN: Final = obj(
    "CustomResourceColumnDefinition specifies a column for server side printing.",
    {
        "name": string("name is a human readable name for the column."),
        "type": string("type is an OpenAPI type definition for this column."),
        "format": string("format is an optional OpenAPI type definition for this column."),
        "description": string("description is a human readable description of this column."),
        "priority": integer(
            "priority is an integer defining the relative importance of this "
            "column compared to others."
        ),
        "jsonPath": string(
            "jsonPath is a simple JSON path evaluated against each custom "
            "resource to produce the value for this column."
        ),
    },
)
_VERSION: Final = obj(
    "CustomResourceDefinitionVersion describes a version for CRD.",
    {
        "name": string('name is the version name, e.g. "v1", "v2beta1".'),
        "served": boolean(
            "served is a flag enabling/disabling this version from being served via REST APIs"
        ),
        "storage": boolean(
            "storage indicates this version should be used when persisting "
            "custom resources to storage."
        ),
        "deprecated": boolean(
            "deprecated indicates this version of the custom resource API is deprecated."
        ),
        "deprecationWarning": string(
            "deprecationWarning overrides the default warning returned to API clients."
        ),
        "schema": obj(
            "schema describes the schema used for validation, pruning, and defaulting of this "
            "version of the custom resource.",
            {
                "openAPIV3Schema": opaque(
                    "openAPIV3Schema is the OpenAPI v3 schema to use for validation and pruning."
                )
            },
        ),
        "subresources": obj(
            "subresources specify what subresources this version of the defined custom "
            "resource have.",
            {
                "status": opaque(
                    "status indicates the custom resource should serve a `/status` subresource."
                ),
                "scale": obj(
                    "scale indicates the custom resource should serve a `/scale` "
                    "subresource that returns an `autoscaling/v1` Scale object.",
                    {
                        "specReplicasPath": string(
                            "specReplicasPath defines the JSON path "
                            "inside of a custom resource that "
                            "corresponds to Scale `spec.replicas`."
                        ),
                        "statusReplicasPath": string(
                            "statusReplicasPath defines the JSON "
                            "path inside of a custom resource that "
                            "corresponds to Scale "
                            "`status.replicas`."
                        ),
                        "labelSelectorPath": string(
                            "labelSelectorPath defines the JSON path "
                            "inside of a custom resource that "
                            "corresponds to Scale "
                            "`status.selector`."
                        ),
                    },
                ),
            },
        ),
        "additionalPrinterColumns": array(
            "additionalPrinterColumns specifies additional columns returned in Table output.",
            _PRINTER_COLUMN,
        ),
        "selectableFields": array(
            "selectableFields specifies paths to fields that may be used as field selectors.",
            obj(
                "SelectableField specifies the JSON path of a field that may be used with "
                "field selectors.",
                {
                    "jsonPath": string(
                        "jsonPath is a simple JSON path which is evaluated against "
                        "each custom resource to produce a field selector value."
                    )
                },
            ),
        ),
    },
)
_CONVERSION: Final = obj(
    "conversion defines conversion settings for the CRD.",
    {
        "strategy": string(
            "strategy specifies how custom resources are converted between "
            'versions: "None" or "Webhook".'
        ),
        "webhook": obj(
            "webhook describes how to call the conversion webhook.",
            {
                "clientConfig": obj(
                    "clientConfig is the instructions for how to call the webhook if strategy "
                    "is `Webhook`.",
                    {
                        "url": string(
                            "url gives the location of the webhook, in standard URL form."
                        ),
                        "service": obj(
                            "service is a reference to the service for this webhook.",
                            {
                                "namespace": string("namespace is the namespace of the service."),
                                "name": string("name is the name of the service."),
                                "path": string(
                                    "path is an optional URL path at which the "
                                    "webhook will be contacted."
                                ),
                                "port": integer(
                                    "port is an optional service port at which "
                                    "the webhook will be contacted."
                                ),
                            },
                        ),
                        "caBundle": string(
                            "caBundle is a PEM encoded CA bundle which will be "
                            "used to validate the webhook's server "
                            "certificate."
                        ),
                    },
                ),
                "conversionReviewVersions": strings(
                    "conversionReviewVersions is an ordered list of preferred "
                    "`ConversionReview` versions the Webhook expects."
                ),
            },
        ),
    },
)
_CRD_CONDITION: Final = obj(
    "CustomResourceDefinitionCondition contains details for the current condition of this pod.",
    {
        "type": string(
            "type is the type of the condition: Established, NamesAccepted and Terminating."
        ),
        "status": string("status is the status of the condition: True, False, Unknown."),
        "lastTransitionTime": timestamp(
            "lastTransitionTime last time the condition transitioned from one status to another."
        ),
        "reason": string(
            "reason is a unique, one-word, CamelCase reason for the condition's last transition."
        ),
        "message": string(
            "message is a human-readable message indicating details about last transition."
        ),
        "observedGeneration": CONDITION["properties"]["observedGeneration"],
    },
)
CUSTOM_RESOURCE_DEFINITION: Final = kind_schema(
    "CustomResourceDefinition represents a resource that should be exposed on the API server.",
    {
        "spec": obj(
            "spec describes how the user wants the resources to appear",
            {
                "group": string("group is the API group of the defined custom resource."),
                "names": with_description(
                    _NAMES, "names specify the resource and kind names for the custom resource."
                ),
                "scope": string(
                    "scope indicates whether the defined custom resource is cluster- "
                    "or namespace-scoped: `Cluster` and `Namespaced`."
                ),
                "versions": array(
                    "versions is the list of all API versions of the defined custom resource.",
                    _VERSION,
                ),
                "conversion": _CONVERSION,
                "preserveUnknownFields": boolean(
                    "preserveUnknownFields indicates that object fields which are not "
                    "specified in the OpenAPI schema should be preserved when persisting to "
                    "storage."
                ),
            },
        ),
        "status": obj(
            "status indicates the actual state of the CustomResourceDefinition",
            {
                "conditions": array(
                    "conditions indicate state for particular aspects of a "
                    "CustomResourceDefinition",
                    _CRD_CONDITION,
                ),
                "acceptedNames": with_description(
                    _NAMES,
                    "acceptedNames are the names that are actually being used to serve discovery.",
                ),
                "observedGeneration": integer("The generation observed by the CRD controller."),
                "storedVersions": strings(
                    "storedVersions lists all versions of CustomResources that were ever persisted."
                ),
            },
        ),
    },
)
