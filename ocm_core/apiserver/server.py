"""``serve(config)``: storage, TLS, the aiohttp site, the admin kubeconfig, until stopped."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import logging
import secrets
import ssl
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Final

import yaml
from aiohttp import web

from ocm_core import pki
from ocm_core.apiserver.access import Access, service_account_signing_key
from ocm_core.apiserver.admission import Validators
from ocm_core.apiserver.app import build_state, make_app
from ocm_core.apiserver.auth import StaticTokens
from ocm_core.apiserver.controllers.csr_signer import signer_context
from ocm_core.apiserver.serving_cert import (
    CA_KEY_FILE,
    ServingCertificate,
    ensure_serving_certificate,
)
from ocm_core.apiserver.storage import MemoryStorage, SQLiteStorage, Storage

logger = logging.getLogger(__name__)

ADMIN_KUBECONFIG: Final = "admin.kubeconfig"
ADMIN_TOKEN_FILE: Final = "admin.token"
DATABASE_FILE: Final = "state.db"
LOCK_FILE: Final = ".lock"
SERVING_HOSTS: Final = ("127.0.0.1", "localhost", "::1")


class StorageKind(StrEnum):
    SQLITE = "sqlite"
    MEMORY = "memory"


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    #: TCP port; 0 picks a free one (written to ``port_file`` and the kubeconfig).
    port: int = 6443
    bind_address: str = "127.0.0.1"
    storage: StorageKind = StorageKind.SQLITE
    #: When set, the bound port is written here once the server accepts connections.
    port_file: Path | None = None
    #: Seconds between watch BOOKMARK events (kube sends one about every minute).
    bookmark_interval_seconds: float = 30.0
    #: Committed events kept for watch resume; older resourceVersions get 410 Expired.
    event_window: int = 10_000
    #: Validating admission by kind (ManifestWork rules are registered by ``ocm apiserver``).
    validators: Validators | None = None
    #: Users of a kube ``--token-auth-file`` (parsed by the caller, so a bad file fails early).
    static_tokens: StaticTokens | None = None


class DataDirInUseError(RuntimeError):
    """Another server holds the data directory (two writers would corrupt the RV order)."""


def lock_data_dir(data_dir: Path) -> IO[bytes]:
    """Hold an exclusive lock on ``data_dir`` for the life of the process."""
    handle = (data_dir / LOCK_FILE).open("wb")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise DataDirInUseError(
            f"{data_dir} is in use by another ocm apiserver; stop it or use another --data-dir"
        ) from None
    return handle


@dataclass(frozen=True)
class RunningServer:
    runner: web.AppRunner
    port: int
    kubeconfig: Path
    lock: IO[bytes]

    async def stop(self) -> None:
        try:
            await self.runner.cleanup()
        finally:
            self.lock.close()


def admin_token(data_dir: Path) -> str:
    """The admin bearer token, created on first start (mode 0600)."""
    path = data_dir / ADMIN_TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token)
    return token


def write_kubeconfig(path: Path, server: str, ca_pem: bytes, token: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ocm",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "admin@ocm", "context": {"cluster": "ocm", "user": "admin"}}],
        "current-context": "admin@ocm",
    }
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def _ssl_context(cert: ServingCertificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    # Ask for (never require) a client cert: x509 users send one only when asked.
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cert.ca_path)
    return context


def _storage(config: ServerConfig) -> Storage:
    if config.storage is StorageKind.MEMORY:
        return MemoryStorage(event_window=config.event_window)
    return SQLiteStorage(config.data_dir / DATABASE_FILE, event_window=config.event_window)


async def start(config: ServerConfig) -> RunningServer:
    """Listen and serve; raises DataDirInUseError or OSError (address in use)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    lock = lock_data_dir(config.data_dir)
    try:
        return await _start_locked(config, lock)
    except BaseException:
        lock.close()
        raise


async def _start_locked(config: ServerConfig, lock: IO[bytes]) -> RunningServer:
    token = admin_token(config.data_dir)
    cert = await asyncio.to_thread(ensure_serving_certificate, config.data_dir, SERVING_HOSTS)
    signing_key = await asyncio.to_thread(service_account_signing_key, config.data_dir)
    state = build_state(
        _storage(config),
        admin_token=token,
        access=Access.create(token, signing_key, config.static_tokens),
        watch_history=config.event_window,
        validators=config.validators,
    )
    state.bookmark_interval_seconds = config.bookmark_interval_seconds
    app = make_app(state)
    app.cleanup_ctx.append(signer_context(pki.load_ca(cert.ca_path, config.data_dir / CA_KEY_FILE)))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, config.bind_address, config.port, ssl_context=_ssl_context(cert))
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    port = int(runner.addresses[0][1])
    host = config.bind_address if ":" not in config.bind_address else f"[{config.bind_address}]"
    kubeconfig = config.data_dir / ADMIN_KUBECONFIG
    write_kubeconfig(kubeconfig, f"https://{host}:{port}", cert.ca_path.read_bytes(), token)
    if config.port_file is not None:
        config.port_file.write_text(str(port))
    logger.info("apiserver listening", extra={"port": port, "kubeconfig": str(kubeconfig)})
    return RunningServer(runner, port, kubeconfig, lock)


async def serve(config: ServerConfig, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set."""
    running = await start(config)
    try:
        await stop.wait()
    finally:
        await running.stop()
