"""x509 client-certificate authentication for the server's request hook.

The TLS layer already asks for a client certificate and verifies any that is sent against the
server CA (the same CA the CSR signer issues from). A verified certificate names the user (CN)
and groups (O), as kube-apiserver does; without one the wrapped authenticator (bearer tokens)
decides.
"""

from __future__ import annotations

import ssl

from aiohttp import web

from ocm_core import pki
from ocm_core.apiserver.auth import user_from_certificate
from ocm_core.apiserver.authhooks import Authenticator, UserInfo


def peer_certificate_der(request: web.Request) -> bytes | None:
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    return ssl_object.getpeercert(binary_form=True)


class ClientCertificateAuthenticator:
    def __init__(self, fallback: Authenticator) -> None:
        self._fallback = fallback

    async def authenticate(self, request: web.Request) -> UserInfo | None:
        der = peer_certificate_der(request)
        if der:
            user = user_from_certificate(pki.load_certificate_der(der))
            if user is not None:
                return UserInfo(user.name, tuple(user.groups), user.uid)
        return await self._fallback.authenticate(request)
