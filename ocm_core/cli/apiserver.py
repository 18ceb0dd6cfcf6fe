"""``ocm apiserver``: run the embedded Kubernetes-compatible API server."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from ocm_core.api import work
from ocm_core.apiserver.admission import Validators
from ocm_core.apiserver.auth import StaticTokens, TokenFileError
from ocm_core.apiserver.server import DataDirInUseError, ServerConfig, StorageKind, start
from ocm_core.work.validation import validate_manifest_work


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("apiserver", help="run the embedded Kubernetes API server")
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="state, certificates, kubeconfig"
    )
    parser.add_argument("--port", type=int, default=6443, help="HTTPS port (0: pick a free one)")
    parser.add_argument("--bind-address", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--storage",
        choices=[k.value for k in StorageKind],
        default=StorageKind.SQLITE.value,
        help="sqlite (durable, default) or memory",
    )
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument(
        "--bookmark-interval", type=float, default=30.0, help="seconds between watch bookmarks"
    )
    parser.add_argument(
        "--event-window",
        type=int,
        default=10_000,
        help="events kept for watch resume; older resourceVersions get 410 Expired",
    )
    parser.add_argument(
        "--token-auth-file",
        type=Path,
        help='static bearer tokens, kube-apiserver CSV: token,user,uid[,"group1,group2"]',
    )
    parser.set_defaults(handler=run)


def _config(args: argparse.Namespace) -> ServerConfig:
    if not 0 <= args.port <= 65535:
        raise SystemExit(f"--port {args.port} is out of range: use 0-65535")
    if args.bookmark_interval <= 0:
        raise SystemExit("--bookmark-interval must be positive")
    if args.event_window < 1:
        raise SystemExit("--event-window must be at least 1")
    return ServerConfig(
        data_dir=args.data_dir,
        port=args.port,
        bind_address=args.bind_address,
        storage=StorageKind(args.storage),
        port_file=args.port_file,
        bookmark_interval_seconds=args.bookmark_interval,
        event_window=args.event_window,
        validators=hub_validators(),
        static_tokens=_static_tokens(args.token_auth_file),
    )


def _static_tokens(path: Path | None) -> StaticTokens | None:
    """Parse ``--token-auth-file`` before serving: a malformed line stops the start-up."""
    if path is None:
        return None
    try:
        return StaticTokens.from_file(path)
    except TokenFileError as exc:
        raise SystemExit(f"ocm apiserver: --token-auth-file: {exc}") from None


def hub_validators() -> Validators:
    """The hub's admission rules (OCM's webhooks, run in-process)."""
    validators = Validators()
    validators.register(work.GROUP, work.MANIFEST_WORK_KIND, validate_manifest_work)
    return validators


async def run(args: argparse.Namespace) -> int:
    config = _config(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        running = await start(config)
    except DataDirInUseError as exc:
        print(f"ocm apiserver: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f"{config.bind_address}:{config.port}"
        print(f"ocm apiserver: cannot listen on {where}: {exc}", file=sys.stderr)
        return 1
    print(f"ocm apiserver listening on port {running.port}; kubeconfig: {running.kubeconfig}")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await running.stop()
    return 0
