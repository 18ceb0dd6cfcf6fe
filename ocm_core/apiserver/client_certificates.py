"""The client certificate of a request, as the TLS layer verified it.

The TLS layer asks for a client certificate and verifies any that is sent against the server
CA (the same CA the CSR signer issues from); :mod:`access` turns it into the user (CN) and
groups (O), as kube-apiserver does.
"""

from __future__ import annotations

import ssl

from aiohttp import web


def peer_certificate_der(request: web.Request) -> bytes | None:
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    return ssl_object.getpeercert(binary_form=True)
