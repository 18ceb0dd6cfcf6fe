"""The user-server: hub users reach spoke kube-apiservers and exposed services over HTTPS.

URL grammar (`routing`), hub authentication (`authentication`) and per-cluster authorization
(`authorization`), the exposed-services allow-list (`allowlist`), impersonation headers
(`impersonation`), the user-server's spoke credentials (`credentials`), streaming and upgrade
forwarding over pooled tunnel connections (`forwarding`), the handler (`app`), settings
(`config`) and the running server (`server`).
"""

from proxy_server.userserver.config import UserServerConfig
from proxy_server.userserver.server import UserServer, build_parts

__all__ = ["UserServer", "UserServerConfig", "build_parts"]
