"""user-server settings and flags, shared by `proxy-server --user-server-port ...` (in-process,
preferred) and the standalone `user-server` program (upstream `cluster-proxy user-server`).

Flag names follow upstream where the meaning is the same: `--exposed-services-configmap`,
`--token-review-cache-ttl`, `--hub-kubeconfig`, `--service-proxy-ca-cert`; in-process the
serving certificate flags are `--user-server-cert/--user-server-key`, standalone they are
upstream's `--server-cert/--server-key` (and `--server-port`).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from proxy_server.userserver.allowlist import DEFAULT_CONFIGMAP

DEFAULT_PORT: Final = 9092
DEFAULT_NAMESPACE: Final = "open-cluster-management-addon"
#: Set in every pod: without --hub-kubeconfig the pod's service account reaches the hub.
IN_CLUSTER_ENV: Final = "KUBERNETES_SERVICE_HOST"


@dataclass(frozen=True)
class UserServerConfig:
    cert: Path
    key: Path
    #: The HTTPS port; upstream 9092 (0: any free port).
    port: int = DEFAULT_PORT
    bind_address: str = "0.0.0.0"
    #: CA that client certificates must chain to; None: no client certificates, tokens only.
    client_ca: Path | None = None
    #: The hub, for TokenReview, SubjectAccessReview and the exposed-services ConfigMap;
    #: None uses the pod's service account (in-cluster).
    hub_kubeconfig: Path | None = None
    #: `<dir>/<cluster>.kubeconfig`: the user-server's own credential on each spoke.
    spoke_kubeconfig_dir: Path | None = None
    #: Or one credential for every spoke: token file, CA, server name to verify.
    spoke_token_file: Path | None = None
    spoke_ca_cert: Path | None = None
    spoke_server_name: str | None = None
    #: The exposed-services list from a file (reloaded) instead of the hub ConfigMap.
    exposed_services_file: Path | None = None
    exposed_services_configmap: str = DEFAULT_CONFIGMAP
    exposed_services_namespace: str = DEFAULT_NAMESPACE
    #: Seconds between reloads of the exposed-services list.
    exposed_services_resync: float = 5.0
    #: Seconds a TokenReview or SubjectAccessReview answer is reused (upstream 10 s; 0: never).
    token_review_cache_ttl: float = 10.0
    #: CA verifying https services on spokes (default: the system CAs).
    service_ca_cert: Path | None = None


def add_arguments(parser: argparse.ArgumentParser, *, standalone: bool) -> None:
    group = parser.add_argument_group("user-server (HTTPS entry point for hub users)")
    if standalone:
        group.add_argument("--server-port", type=int, default=DEFAULT_PORT, help="HTTPS port")
        group.add_argument("--server-cert", type=Path, required=True, help="serving certificate")
        group.add_argument("--server-key", type=Path, required=True, help="serving key")
        group.add_argument("--client-ca-cert", type=Path, help="CA of trusted client certs")
    else:
        group.add_argument(
            "--user-server-port",
            type=int,
            help=f"serve the user-server on this port (upstream {DEFAULT_PORT}; 0: any free)",
        )
        group.add_argument("--user-server-cert", type=Path, help="user-server certificate")
        group.add_argument("--user-server-key", type=Path, help="user-server key")
        group.add_argument(
            "--user-server-client-ca-cert", type=Path, help="CA of trusted client certificates"
        )
    group.add_argument("--hub-kubeconfig", type=Path, help="hub access for reviews, ConfigMap")
    group.add_argument("--spoke-kubeconfig-dir", type=Path, help="<dir>/<cluster>.kubeconfig")
    group.add_argument("--spoke-token-file", type=Path, help="one spoke token for all clusters")
    group.add_argument("--spoke-ca-cert", type=Path, help="CA of the spoke kube-apiservers")
    group.add_argument("--spoke-server-name", help="name in the spoke kube-apiserver certs")
    group.add_argument("--exposed-services-file", type=Path, help="exposed-services YAML file")
    group.add_argument(
        "--exposed-services-configmap",
        default=DEFAULT_CONFIGMAP,
        help="exposed-services ConfigMap on the hub (when no file is given)",
    )
    group.add_argument(
        "--exposed-services-namespace",
        default=os.environ.get("POD_NAMESPACE", DEFAULT_NAMESPACE),
        help="its namespace (default: $POD_NAMESPACE)",
    )
    group.add_argument("--exposed-services-resync", type=float, default=5.0, help="seconds")
    group.add_argument("--token-review-cache-ttl", type=float, default=10.0, help="seconds")
    group.add_argument("--service-proxy-ca-cert", type=Path, help="CA of https spoke services")


def from_args(args: argparse.Namespace, *, standalone: bool) -> UserServerConfig | None:
    """The validated settings, or None when the in-process user-server is not enabled."""
    if standalone:
        port, cert, key, client_ca = (
            args.server_port,
            args.server_cert,
            args.server_key,
            args.client_ca_cert,
        )
        flags = "--server-cert and --server-key"
    else:
        if args.user_server_port is None:
            return None
        port, cert, key, client_ca = (
            args.user_server_port,
            args.user_server_cert,
            args.user_server_key,
            args.user_server_client_ca_cert,
        )
        flags = "--user-server-cert and --user-server-key"
    if cert is None or key is None:
        raise ValueError(f"the user-server serves HTTPS only: pass {flags}")
    if args.hub_kubeconfig is None and not os.environ.get(IN_CLUSTER_ENV):
        raise ValueError(
            "pass --hub-kubeconfig (or run in the hub cluster): the user-server checks tokens "
            "(TokenReview) and permissions (SubjectAccessReview) on the hub"
        )
    if args.spoke_kubeconfig_dir is None and args.spoke_token_file is None:
        raise ValueError(
            "pass --spoke-kubeconfig-dir (one <cluster>.kubeconfig each) or --spoke-token-file "
            "(one token for every spoke): the user-server's own credential on the spokes"
        )
    for path in (
        cert,
        key,
        client_ca,
        args.hub_kubeconfig,
        args.spoke_token_file,
        args.spoke_ca_cert,
        args.service_proxy_ca_cert,
    ):
        if path is not None and not path.is_file():
            raise ValueError(f"{path}: no such file")
    if args.spoke_kubeconfig_dir is not None and not args.spoke_kubeconfig_dir.is_dir():
        raise ValueError(f"--spoke-kubeconfig-dir {args.spoke_kubeconfig_dir}: no such directory")
    return UserServerConfig(
        cert=cert,
        key=key,
        port=port,
        bind_address=args.bind_address,
        client_ca=client_ca,
        hub_kubeconfig=args.hub_kubeconfig,
        spoke_kubeconfig_dir=args.spoke_kubeconfig_dir,
        spoke_token_file=args.spoke_token_file,
        spoke_ca_cert=args.spoke_ca_cert,
        spoke_server_name=args.spoke_server_name,
        exposed_services_file=args.exposed_services_file,
        exposed_services_configmap=args.exposed_services_configmap,
        exposed_services_namespace=args.exposed_services_namespace,
        exposed_services_resync=args.exposed_services_resync,
        token_review_cache_ttl=args.token_review_cache_ttl,
        service_ca_cert=args.service_proxy_ca_cert,
    )
