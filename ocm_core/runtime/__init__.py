"""The one controller runtime: informers and caches, the work queue, controllers, status and
finalizer patching, Event recording, and an injectable clock. The only place in ``ocm_core``
with loops; controllers are ``reconcile(key)`` classes plugged into it.

Everything here talks to the API through `ocm_core.kube.KubeApi`, so it runs unchanged on the
real client (any kube-apiserver, the embedded server) and on the in-memory fake of the tests.
"""

from __future__ import annotations

__all__: list[str] = []
