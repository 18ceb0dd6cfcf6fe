"""Where the API server is and how to authenticate: `KubeConfig`, loaded from a kubeconfig file or
from the in-cluster service account.

This module reads files (kubeconfig, certificates, token files) and builds the TLS context; it
never opens a connection. Loading is synchronous and cheap: call it at startup, or through
``asyncio.to_thread`` from a running loop. Credentials never appear in ``repr``.

Supported kubeconfig fields: ``current-context`` or a named context; cluster ``server`` (a path
prefix such as ``https://host:9092/cluster1`` is kept), ``certificate-authority(-data)``,
``insecure-skip-tls-verify``, ``tls-server-name``, ``proxy-url``; user
``client-certificate(-data)``, ``client-key(-data)``, ``token``, ``tokenFile``, ``as``,
``as-groups``, ``as-uid``, ``as-user-extra``. Exec and auth-provider plugins are refused with a
clear `ConfigError`.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import yaml

from ocm_core.kube.errors import ConfigError

KUBECONFIG_ENV: Final = "KUBECONFIG"
DEFAULT_KUBECONFIG: Final = Path("~/.kube/config")
SERVICE_ACCOUNT_DIR: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount")
SERVICE_HOST_ENV: Final = "KUBERNETES_SERVICE_HOST"
SERVICE_PORT_ENV: Final = "KUBERNETES_SERVICE_PORT"


@dataclass(frozen=True, slots=True)
class Impersonation:
    """Act as another user: sent as ``Impersonate-*`` headers on every request."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str | None = None
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class TokenSource:
    """A bearer token, static or read from a file that may be rotated underneath us.

    Kubelet rotates projected service-account tokens in place; the file is re-read whenever its
    modification time or size changes, so a rotated token is used on the next request.
    """

    def __init__(self, *, token: str | None = None, path: str | None = None) -> None:
        if token is None and path is None:
            raise ValueError("TokenSource needs a token or a token file path")
        self._token = token
        self._path = path
        self._stamp: tuple[int, int] | None = None

    @property
    def path(self) -> str | None:
        return self._path

    def token(self) -> str:
        """The current token; re-reads the file if it changed since the last call."""
        if self._path is None:
            assert self._token is not None
            return self._token
        try:
            st = os.stat(self._path)
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp or self._token is None:
                self._token = Path(self._path).read_text().strip()
                self._stamp = stamp
        except OSError as exc:
            if self._token is None:
                raise ConfigError(f"cannot read token file {self._path}: {exc}") from exc
            # Keep the last good token: a rotation rewrites the file and may race with us.
        return self._token

    def __repr__(self) -> str:
        return f"TokenSource(path={self._path!r}, token=<redacted>)"


@dataclass(frozen=True, slots=True)
class KubeConfig:
    """Everything needed to talk to one API server as one identity."""

    server: str
    ca_data: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_data: bytes | None = None
    client_key_data: bytes | None = None
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    token: TokenSource | None = None
    proxy_url: str | None = None
    namespace: str = "default"
    impersonate: Impersonation | None = None

    def __post_init__(self) -> None:
        if not self.server.startswith(("https://", "http://")):
            raise ConfigError(f"server URL {self.server!r} must start with https:// or http://")
        has_cert = self.client_cert_data is not None or self.client_cert_file is not None
        has_key = self.client_key_data is not None or self.client_key_file is not None
        if has_cert != has_key:
            raise ConfigError("a client certificate needs its key and a key needs its certificate")

    def __repr__(self) -> str:
        has_cert = self.client_cert_data is not None or self.client_cert_file is not None
        auth = "cert" if has_cert else "token" if self.token else "none"
        return f"KubeConfig(server={self.server!r}, auth={auth}, namespace={self.namespace!r})"

    @property
    def base_url(self) -> str:
        """The server URL without a trailing slash; request paths are appended to it."""
        return self.server.rstrip("/")

    def with_impersonation(self, impersonate: Impersonation | None) -> KubeConfig:
        return replace(self, impersonate=impersonate)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``https`` servers, or None for plain ``http``. Files (CA, client
        certificate and key) are read now, so a new call picks up rotated files."""
        if not self.server.startswith("https://"):
            return None
        ca = _pem(self.ca_data, self.ca_file)
        ctx = ssl.create_default_context(cadata=ca.decode() if ca else None)
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        cert = _pem(self.client_cert_data, self.client_cert_file)
        key = _pem(self.client_key_data, self.client_key_file)
        if cert is not None and key is not None:
            _load_client_cert(ctx, cert, key)
        return ctx

    def tls_files_stamp(self) -> tuple[tuple[int, int], ...]:
        """(mtime, size) of every TLS file in use: when it changes, rebuild `ssl_context`
        (the klusterlet rewrites its hub client certificate in place when rotating it)."""
        stamps = []
        for path in (self.ca_file, self.client_cert_file, self.client_key_file):
            if path is not None:
                try:
                    st = os.stat(path)
                except OSError:
                    stamps.append((-1, -1))
                else:
                    stamps.append((st.st_mtime_ns, st.st_size))
        return tuple(stamps)

    # -- loaders ----------------------------------------------------------------------------

    @classmethod
    def from_kubeconfig(
        cls, path: str | os.PathLike[str] | None = None, *, context: str | None = None
    ) -> KubeConfig:
        """Load a kubeconfig file: ``path``, else ``$KUBECONFIG`` (first entry), else
        ``~/.kube/config``. ``context`` defaults to ``current-context``."""
        if path is None:
            env = os.environ.get(KUBECONFIG_ENV, "")
            path = env.split(os.pathsep)[0] if env else DEFAULT_KUBECONFIG.expanduser()
        file = Path(path)
        try:
            data = yaml.safe_load(file.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read kubeconfig {file}: {exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"kubeconfig {file} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"kubeconfig {file} is not a mapping")
        return cls.from_kubeconfig_data(data, context=context, base_dir=file.parent)

    @classmethod
    def from_kubeconfig_data(
        cls,
        data: Mapping[str, Any],
        *,
        context: str | None = None,
        base_dir: str | os.PathLike[str] = ".",
    ) -> KubeConfig:
        """Build from a parsed kubeconfig; relative file paths resolve against ``base_dir``."""
        return _KubeconfigReader(data, Path(base_dir)).build(context)

    @classmethod
    def in_cluster(
        cls,
        *,
        account_dir: str | os.PathLike[str] = SERVICE_ACCOUNT_DIR,
        environ: Mapping[str, str] | None = None,
    ) -> KubeConfig:
        """The pod's service account: ``$KUBERNETES_SERVICE_HOST:PORT``, its CA and its token
        file (re-read on rotation)."""
        env = os.environ if environ is None else environ
        host, port = env.get(SERVICE_HOST_ENV), env.get(SERVICE_PORT_ENV)
        if not host or not port:
            raise ConfigError(
                f"not running in a cluster: {SERVICE_HOST_ENV} and {SERVICE_PORT_ENV} are unset"
            )
        directory = Path(account_dir)
        token_path = directory / "token"
        if not token_path.exists():
            raise ConfigError(f"service account token {token_path} does not exist")
        namespace_path = directory / "namespace"
        namespace = namespace_path.read_text().strip() if namespace_path.exists() else "default"
        host = f"[{host}]" if ":" in host else host
        return cls(
            server=f"https://{host}:{port}",
            ca_file=str(_readable(directory / "ca.crt")),
            token=TokenSource(path=str(token_path)),
            namespace=namespace,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> KubeConfig:
        """A kubeconfig if ``path`` is given or none is in-cluster, else the in-cluster config."""
        if path is None and os.environ.get(SERVICE_HOST_ENV):
            return cls.in_cluster()
        return cls.from_kubeconfig(path)


class _KubeconfigReader:
    """Resolves one context of a parsed kubeconfig into a `KubeConfig`."""

    def __init__(self, data: Mapping[str, Any], base_dir: Path) -> None:
        self._data = data
        self._base_dir = base_dir

    def build(self, context_name: str | None) -> KubeConfig:
        name = context_name or self._data.get("current-context")
        if not name:
            raise ConfigError("kubeconfig has no current-context; pass a context name")
        context = self._named("contexts", name, "context")
        cluster = self._named("clusters", context.get("cluster"), "cluster")
        user = self._named("users", context.get("user"), "user") if context.get("user") else {}
        self._refuse_plugins(user)
        server = cluster.get("server")
        if not server:
            raise ConfigError(f"cluster {context.get('cluster')!r} has no server URL")
        token = self._token(user)
        return KubeConfig(
            server=str(server),
            ca_data=self._inline(cluster, "certificate-authority"),
            ca_file=self._file(cluster, "certificate-authority"),
            insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
            tls_server_name=cluster.get("tls-server-name"),
            client_cert_data=self._inline(user, "client-certificate"),
            client_cert_file=self._file(user, "client-certificate"),
            client_key_data=self._inline(user, "client-key"),
            client_key_file=self._file(user, "client-key"),
            token=token,
            proxy_url=cluster.get("proxy-url"),
            namespace=str(context.get("namespace") or "default"),
            impersonate=self._impersonation(user),
        )

    def _named(self, section: str, name: object, field_name: str) -> dict[str, Any]:
        for entry in self._data.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                body = entry.get(field_name) or {}
                if not isinstance(body, dict):
                    raise ConfigError(f"kubeconfig {section} entry {name!r} is malformed")
                return body
        raise ConfigError(f"kubeconfig has no {field_name} named {name!r} in {section}")

    @staticmethod
    def _refuse_plugins(user: Mapping[str, Any]) -> None:
        for key in ("exec", "auth-provider", "username", "password"):
            if user.get(key):
                raise ConfigError(
                    f"kubeconfig user field {key!r} is not supported; use a client certificate "
                    "or a bearer token (token / tokenFile)"
                )

    def _token(self, user: Mapping[str, Any]) -> TokenSource | None:
        if user.get("token"):
            return TokenSource(token=str(user["token"]))
        if user.get("tokenFile"):
            return TokenSource(path=str(self._resolve(str(user["tokenFile"]))))
        return None

    @staticmethod
    def _inline(section: Mapping[str, Any], key: str) -> bytes | None:
        inline = section.get(f"{key}-data")
        if not inline:
            return None
        try:
            return base64.b64decode(str(inline), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(f"kubeconfig field {key}-data is not valid base64") from exc

    def _file(self, section: Mapping[str, Any], key: str) -> str | None:
        """The path of ``key`` unless inline data is given (inline wins, as in kubectl)."""
        path = section.get(key)
        if not path or section.get(f"{key}-data"):
            return None
        return str(_readable(self._resolve(str(path))))

    def _resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self._base_dir / candidate

    @staticmethod
    def _impersonation(user: Mapping[str, Any]) -> Impersonation | None:
        if not user.get("as"):
            return None
        extra = {str(k): tuple(map(str, v)) for k, v in (user.get("as-user-extra") or {}).items()}
        return Impersonation(
            user=str(user["as"]),
            groups=tuple(map(str, user.get("as-groups") or ())),
            uid=user.get("as-uid"),
            extra=extra,
        )


def _readable(path: Path) -> Path:
    """``path``, after checking now that it can be read (fail at load, not at first use)."""
    _read(path)
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _pem(data: bytes | None, path: str | None) -> bytes | None:
    if data is not None:
        return data
    return _read(Path(path)) if path is not None else None


def _load_client_cert(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    # ssl can only load a certificate chain from files: write both to a private temporary
    # directory that exists only for the duration of the call.
    with tempfile.TemporaryDirectory(prefix="kube-cert-") as tmp:
        cert_path, key_path = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        for path, content in ((cert_path, cert_pem), (key_path, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
        try:
            ctx.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as exc:
            raise ConfigError(f"client certificate or key is invalid: {exc}") from exc
