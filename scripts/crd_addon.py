"""CRDs of addon.open-cluster-management.io: ClusterManagementAddOn, ManagedClusterAddOn,
AddOnDeploymentConfig and AddOnTemplate.
"""

from __future__ import annotations

from typing import Any

from scripts.crd_schemas import (
    DNS_LABEL,
    SIGNER_NAME,
    Schema,
    addon_config,
    addon_meta,
    addon_registration_subject_v1alpha1,
    array,
    condition_column,
    conditions,
    config_group_resource,
    config_referent,
    config_spec_hash_ref,
    crd,
    integer,
    list_map,
    manifest_work_spec,
    node_placement,
    obj,
    resource_requirements,
    rollout_strategy,
    root_schema,
    string,
    strings,
    version,
)

ADDON = "addon.open-cluster-management.io"
DEFAULT_ADDON_NAMESPACE = "open-cluster-management-agent-addon"

# Upstream's add-on conversion webhook (cluster-manager); the embedded hub ignores it.
ADDON_CONVERSION: dict[str, Any] = {
    "strategy": "Webhook",
    "webhook": {
        "clientConfig": {
            "service": {
                "name": "cluster-manager-addon-webhook",
                "namespace": "open-cluster-management-hub",
                "path": "/convert",
                "port": 9443,
            }
        },
        "conversionReviewVersions": ["v1", "v1beta1"],
    },
}


# -- addon.open-cluster-management.io -----------------------------------------------------


def _config_coordinates(description: str) -> Schema:
    return obj(
        description,
        {
            "crdName": string("CRD configuring the add-on (deprecated)."),
            "crName": string("CR configuring the add-on (deprecated)."),
            "lastObservedGeneration": integer("Generation of that CR last seen.", fmt="int64"),
        },
    )


def _install_strategy() -> Schema:
    placement = obj(
        "Install on the clusters a Placement decides.",
        {
            "namespace": string("Namespace of the Placement.", minLength=1),
            "name": string("Name of the Placement.", minLength=1),
            "configs": array(
                "Configs for these clusters (override defaults, overridden by the add-on's own).",
                addon_config("A configuration."),
            ),
            "rolloutStrategy": rollout_strategy(
                "How config changes roll out to these clusters.", default={"type": "All"}
            ),
        },
        required=["namespace", "name"],
    )
    return obj(
        "Which clusters get the add-on automatically.",
        {
            "type": string(
                "Manual (create ManagedClusterAddOns yourself) or Placements.",
                default="Manual",
                enum=["Manual", "Placements"],
            ),
            "placements": list_map(
                array("Placements; a later one wins for a shared cluster.", placement),
                "namespace",
                "name",
            ),
        },
        default={"type": "Manual"},
    )


def _cma_status(*, alpha: bool) -> Schema:
    default_ref = obj(
        "Default config in effect for one config type.",
        {
            **config_group_resource(),
            "desiredConfig": config_spec_hash_ref("Desired config and hash."),
        },
        required=["resource"],
    )
    install_ref = obj(
        "Config of one type in an install progression.",
        {
            **config_group_resource(),
            "desiredConfig": config_spec_hash_ref("Desired config and hash."),
            "lastAppliedConfig": config_spec_hash_ref("Config applied on every selected cluster."),
            "lastKnownGoodConfig": config_spec_hash_ref("Last config known to work."),
        },
        required=["resource"],
    )
    progression = obj(
        "Rollout state for one placement.",
        {
            "namespace": string("Namespace of the Placement.", minLength=1),
            "name": string("Name of the Placement.", minLength=1),
            "configReferences": array("Configs of this placement.", install_ref),
            "conditions": conditions("Progressing."),
        },
        required=["namespace", "name"],
    )
    defaults_key = "defaultconfigReferences" if alpha else "defaultConfigReferences"
    return obj(
        "Defaults and install progress computed by the addon-manager.",
        {
            # v1alpha1's JSON key really is lower-case "defaultconfig"; v1beta1 fixed it.
            defaults_key: array("Default configs in effect.", default_ref),
            "installProgressions": array("Progress per install placement.", progression),
        },
    )


def cluster_management_addon() -> dict[str, Any]:
    supported_config = obj(
        "A config type the add-on accepts, with its default.",
        {
            **config_group_resource(),
            "defaultConfig": obj(
                "Default config of this type.", config_referent(), required=["name"]
            ),
        },
        required=["resource"],
    )
    alpha_spec = obj(
        "The add-on's metadata, configs and install strategy.",
        {
            "addOnMeta": addon_meta("How the add-on is shown."),
            "addOnConfiguration": _config_coordinates("Deprecated: use supportedConfigs."),
            "supportedConfigs": list_map(
                array("Config types the add-on accepts.", supported_config), "group", "resource"
            ),
            "installStrategy": _install_strategy(),
        },
    )
    beta_spec = obj(
        "The add-on's metadata, configs and install strategy.",
        {
            "addOnMeta": addon_meta("How the add-on is shown."),
            "defaultConfigs": list_map(
                array("Default config of each accepted config type.", addon_config("A config.")),
                "group",
                "resource",
            ),
            "installStrategy": _install_strategy(),
        },
    )
    description = "Registers an add-on with the hub (cluster-scoped; the name is the add-on name)."
    display = {"name": "DISPLAY NAME", "type": "string", "jsonPath": ".spec.addOnMeta.displayName"}
    crd_name = {
        "name": "CRD NAME",
        "type": "string",
        "jsonPath": ".spec.addOnConfiguration.crdName",
    }
    return crd(
        ADDON,
        "ClusterManagementAddOn",
        "clustermanagementaddons",
        scope="Cluster",
        short_names=["cma", "cmas"],
        conversion=ADDON_CONVERSION,
        versions=[
            version(
                "v1alpha1",
                root_schema(description, alpha_spec, _cma_status(alpha=True)),
                columns=[display, crd_name],
            ),
            version(
                "v1beta1",
                root_schema(description, beta_spec, _cma_status(alpha=False)),
                storage=False,
                columns=[display],
            ),
        ],
    )


def _mca_status(*, alpha: bool) -> Schema:
    related = obj(
        "An object related to the add-on.",
        {
            "group": string("API group."),
            "resource": string("Resource (plural)."),
            "namespace": string("Namespace."),
            "name": string("Name."),
        },
        required=["group", "resource", "name"],
    )
    reference_fields: dict[str, Schema] = {**config_group_resource()}
    if alpha:
        reference_fields.update(config_referent())  # deprecated copy of desiredConfig
    reference_fields.update(
        {
            "desiredConfig": config_spec_hash_ref("Config the add-on should run with."),
            "lastAppliedConfig": config_spec_hash_ref("Config its works were last applied with."),
            "lastObservedGeneration": integer("Generation of the config last seen.", fmt="int64"),
        }
    )
    reference = obj(
        "A config the add-on uses.",
        reference_fields,
        required=["resource", "name"] if alpha else ["resource"],
    )
    properties: dict[str, Schema] = {
        "conditions": conditions(
            "Available, Degraded, Progressing, Configured, RegistrationApplied, ..."
        ),
        "relatedObjects": array("Objects related to the add-on.", related),
        "addOnMeta": addon_meta("Copy of the ClusterManagementAddOn's addOnMeta."),
        "supportedConfigs": list_map(
            array(
                "Config types that may be overridden per cluster.",
                obj("A config type.", config_group_resource(), required=["resource"]),
            ),
            "group",
            "resource",
        ),
        "configReferences": array("Configs in effect, with spec hashes.", reference),
        "registrations": array(
            "How the agent registers to the hub.",
            _alpha_registration() if alpha else _beta_registration(),
        ),
        "healthCheck": obj(
            "How health is checked.",
            {"mode": string("Lease or Customized.", default="Lease", enum=["Lease", "Customized"])},
        ),
        "namespace": string(
            "Namespace on the managed cluster for registration secrets and the lease."
        ),
    }
    if alpha:
        properties["addOnConfiguration"] = _config_coordinates("Deprecated: use configReferences.")
        properties["kubeClientDriver"] = string(
            "Driver of the kubeClient registration, declared by the agent.", enum=["csr", "token"]
        )
    return obj("State reported by the add-on manager and agents.", properties)


def _alpha_registration() -> Schema:
    return obj(
        "A CSR-based registration.",
        {
            "signerName": string(
                "Signer of the CSR.", minLength=5, maxLength=571, pattern=SIGNER_NAME
            ),
            "subject": addon_registration_subject_v1alpha1(),
        },
        required=["signerName"],
    )


def _beta_registration() -> Schema:
    kube_client = obj(
        "Registration for a hub kubeconfig (type kubeClient).",
        {
            "subject": obj(
                "Hub identity.", {"user": string("User name."), "groups": strings("Groups.")}
            ),
            "driver": string("csr or token, declared by the agent.", enum=["csr", "token"]),
        },
    )
    custom_signer = obj(
        "Registration for a certificate from a custom signer (type customSigner).",
        {
            "signerName": string(
                "Signer of the CSR.", minLength=5, maxLength=571, pattern=SIGNER_NAME
            ),
            "subject": obj(
                "Certificate subject.",
                {
                    "user": string("User name."),
                    "groups": strings("Groups."),
                    "organizationUnits": strings("Organization units."),
                },
            ),
        },
        required=["signerName"],
    )
    return obj(
        "A registration of the agent.",
        {
            "type": string("kubeClient or customSigner.", enum=["kubeClient", "customSigner"]),
            "kubeClient": kube_client,
            "customSigner": custom_signer,
        },
        required=["type"],
    )


def managed_cluster_addon() -> dict[str, Any]:
    configs = array(
        "Configs for this cluster, overriding every default.", addon_config("A config.")
    )
    alpha_spec = obj(
        "Install settings of the add-on on this cluster.",
        {
            "installNamespace": string(
                "Deprecated: agent namespace on the managed cluster.",
                default=DEFAULT_ADDON_NAMESPACE,
                maxLength=63,
                pattern=DNS_LABEL,
            ),
            "configs": configs,
        },
    )
    beta_spec = obj("Install settings of the add-on on this cluster.", {"configs": dict(configs)})
    description = (
        "An add-on on one managed cluster (in its namespace; the name is the add-on name)."
    )
    columns = [
        condition_column("Available", "Available"),
        condition_column("Degraded", "Degraded"),
        condition_column("Progressing", "Progressing"),
    ]
    return crd(
        ADDON,
        "ManagedClusterAddOn",
        "managedclusteraddons",
        scope="Namespaced",
        short_names=["mca", "mcas"],
        conversion=ADDON_CONVERSION,
        versions=[
            version(
                "v1alpha1",
                root_schema(description, alpha_spec, _mca_status(alpha=True)),
                columns=columns,
            ),
            version(
                "v1beta1",
                root_schema(description, beta_spec, _mca_status(alpha=False)),
                storage=False,
                columns=columns,
            ),
        ],
    )


def addon_deployment_config() -> dict[str, Any]:
    variable = obj(
        "A variable for rendering the add-on.",
        {
            "name": string("Variable name.", maxLength=255, pattern="^[a-zA-Z_][_a-zA-Z0-9]*$"),
            "value": string("Variable value.", maxLength=1024),
        },
        required=["name"],
    )
    mirror = obj(
        "An image registry rewrite.",
        {
            "source": string("Registry (prefix) to replace; empty replaces every registry."),
            "mirror": string("Registry to use instead."),
        },
        required=["mirror"],
    )
    container_resources = obj(
        "Resources of the matching agent containers.",
        {
            "containerID": string(
                "<resource types>:<resource name>:<container name>, * as a wildcard.",
                pattern=r"^(deployments|daemonsets|statefulsets|replicasets|jobs|cronjobs|pods|\*):.+:.+$",
            ),
            "resources": resource_requirements("Requests and limits."),
        },
        required=["containerID", "resources"],
    )
    spec = obj(
        "How to deploy the add-on agents.",
        {
            "customizedVariables": list_map(array("Rendering variables.", variable), "name"),
            "nodePlacement": node_placement("Where agent pods run."),
            "registries": array("Image registry rewrites.", mirror),
            "proxyConfig": obj(
                "HTTP(S) proxy the agents use to reach the hub.",
                {
                    "httpProxy": string("Proxy URL for HTTP."),
                    "httpsProxy": string("Proxy URL for HTTPS."),
                    "caBundle": string("CA bundle of an HTTPS proxy.", format="byte"),
                    "noProxy": string("Comma-separated hosts, CIDRs and IPs to reach directly."),
                },
            ),
            "agentInstallNamespace": string(
                "Agent namespace; empty means the template's namespace for template add-ons.",
                default=DEFAULT_ADDON_NAMESPACE,
                maxLength=63,
                pattern="^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
            ),
            "resourceRequirements": list_map(
                array("Container resources; the last match wins.", container_resources),
                "containerID",
            ),
        },
    )
    schema = root_schema("Deployment settings of an add-on, referenced as a config.", spec)
    return crd(
        ADDON,
        "AddOnDeploymentConfig",
        "addondeploymentconfigs",
        scope="Namespaced",
        conversion=ADDON_CONVERSION,
        versions=[
            version("v1alpha1", schema, status=False),
            version("v1beta1", schema, storage=False, status=False),
        ],
    )


def addon_template() -> dict[str, Any]:
    role_ref = obj(
        "The Role or ClusterRole to bind.",
        {
            "apiGroup": string("API group."),
            "kind": string("Role or ClusterRole."),
            "name": string("Name."),
        },
        required=["apiGroup", "kind", "name"],
        **{"x-kubernetes-map-type": "atomic"},
    )
    permission = obj(
        "Hub permission granted to the agent.",
        {
            "type": string(
                "CurrentCluster or SingleNamespace.", enum=["CurrentCluster", "SingleNamespace"]
            ),
            "currentCluster": obj(
                "Bind a ClusterRole in the cluster namespace.",
                {"clusterRoleName": string("ClusterRole to bind.")},
                required=["clusterRoleName"],
            ),
            "singleNamespace": obj(
                "Bind a role in one namespace.",
                {"namespace": string("Namespace of the binding."), "roleRef": role_ref},
                required=["namespace", "roleRef"],
            ),
        },
        required=["type"],
    )
    registration = obj(
        "How the template's agent registers to the hub.",
        {
            "type": string("KubeClient or CustomSigner.", enum=["KubeClient", "CustomSigner"]),
            "kubeClient": obj(
                "Hub kubeconfig registration.",
                {"hubPermissions": array("Permissions on the hub.", permission)},
            ),
            "customSigner": obj(
                "Custom-signer certificate registration.",
                {
                    "signerName": string(
                        "Signer name.", minLength=5, maxLength=571, pattern=SIGNER_NAME
                    ),
                    "subject": addon_registration_subject_v1alpha1(),
                    "signingCA": obj(
                        "Secret (kubernetes.io/tls) with the signing CA.",
                        {"name": string("Secret name."), "namespace": string("Secret namespace.")},
                        required=["name"],
                    ),
                },
                required=["signerName", "signingCA"],
            ),
        },
        required=["type"],
    )
    spec = obj(
        "An add-on defined by manifests instead of code.",
        {
            "addonName": string("Add-on this template implements."),
            "agentSpec": manifest_work_spec(
                "Agent manifests, with placeholders such as {{CLUSTER_NAME}}."
            ),
            "registration": array("Registrations of the agent.", registration),
        },
        required=["addonName", "agentSpec"],
    )
    schema = root_schema("Template of an add-on's agent.", spec)
    column = {"name": "ADDON NAME", "type": "string", "jsonPath": ".spec.addonName"}
    return crd(
        ADDON,
        "AddOnTemplate",
        "addontemplates",
        scope="Cluster",
        versions=[version("v1alpha1", schema, status=False, columns=[column])],
    )
