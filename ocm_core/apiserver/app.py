"""``make_app``: the aiohttp application of the API server, with authn/authz, errors and metrics.

Every request goes through one middleware: parse the RequestInfo, authenticate (401 for
anonymous), authorize (403), run the handler, render any ApiError as a Status, count it.
The Authenticator/Authorizer are hook points (:mod:`ocm_core.apiserver.authhooks`); the auth
package provides the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from ocm_core.apiserver import auth, errors, requestinfo, semantics
from ocm_core.apiserver.access import Access, to_auth_attributes
from ocm_core.apiserver.addon_conversion import register_addon_converters
from ocm_core.apiserver.admission import Validators
from ocm_core.apiserver.authhooks import (
    AllowAuthenticated,
    Authenticator,
    Authorizer,
    RequestAttributes,
    TokenAuthenticator,
    UserInfo,
)
from ocm_core.apiserver.controllers import garbage_collector, namespace_lifecycle
from ocm_core.apiserver.handlers import auth_endpoints, encoding, meta, resources
from ocm_core.apiserver.metrics import ServerMetrics
from ocm_core.apiserver.operations import Operations
from ocm_core.apiserver.registry import Registry
from ocm_core.apiserver.state import REQUEST_INFO, STATE, USER, ServerState
from ocm_core.apiserver.storage import Storage
from ocm_core.apiserver.watch import DEFAULT_HISTORY, WatchHub

logger = logging.getLogger(__name__)

#: Readable without credentials, as kube's system:public-info-viewer allows.
PUBLIC_PATHS: Final = frozenset({"/healthz", "/livez", "/readyz", "/version"})


def default_environment() -> semantics.Environment:
    return semantics.Environment(
        now=lambda: datetime.now(UTC),
        new_uid=lambda: str(uuid.uuid4()),
        random_suffix=lambda n: "".join(
            secrets.choice(semantics.SUFFIX_ALPHABET) for _ in range(n)
        ),
    )


def _forbidden_message(attrs: RequestAttributes) -> str:
    # kube's RBAC authorizer gives no reason when it denies, so the sentence ends at the scope.
    return auth.forbidden_message(to_auth_attributes(attrs))


async def _admit(
    request: web.Request, state: ServerState, req: requestinfo.RequestInfo
) -> UserInfo:
    user = await state.authenticator.authenticate(request)
    if user is None:
        raise errors.unauthorized()
    attrs = RequestAttributes(
        user=user,
        verb=req.verb,
        api_group=req.api_group,
        api_version=req.api_version,
        resource=req.resource,
        subresource=req.subresource,
        namespace=req.namespace,
        name=requestinfo.authorized_name(req, request.query),
        path=req.path,
        resource_request=req.resource_request,
    )
    decision = await state.authorizer.authorize(attrs)
    if not decision.allowed:
        logger.debug(
            "forbidden", extra={"user": user.name, "path": attrs.path, "reason": decision.reason}
        )
        raise errors.forbidden(_forbidden_message(attrs))
    return user


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    started = time.monotonic()
    req = requestinfo.parse(request.method, request.path, request.query)
    request[REQUEST_INFO] = req
    try:
        if request.path not in PUBLIC_PATHS:
            request[USER] = await _admit(request, state, req)
        response = await handler(request)
    except errors.ApiError as exc:
        response = encoding.status_response(exc)
    except web.HTTPNotFound:
        response = encoding.status_response(errors.no_such_route())
    except web.HTTPMethodNotAllowed:
        response = encoding.status_response(errors.method_not_allowed(request.method, req.resource))
    except Exception:
        logger.exception("request failed", extra={"method": request.method, "path": request.path})
        response = encoding.status_response(errors.internal_error("an internal error occurred"))
    if req.verb != "watch":
        state.metrics.observe_latency(req.verb, time.monotonic() - started)
    state.metrics.count_request(req.verb, req.resource, response.status)
    return response


def build_state(
    storage: Storage,
    *,
    admin_token: str,
    authenticator: Authenticator | None = None,
    authorizer: Authorizer | None = None,
    registry: Registry | None = None,
    watch_history: int = DEFAULT_HISTORY,
    validators: Validators | None = None,
    access: Access | None = None,
) -> ServerState:
    """The shared state; with ``access`` its authenticator/authorizer replace the given ones
    and the authn/authz APIs (reviews, TokenRequest) are served."""
    registry = registry or Registry.with_builtins()
    register_addon_converters(registry.converters)
    if access is not None:
        authenticator = access.request_authenticator()
        authorizer = access.request_authorizer()
    state = ServerState(
        registry=registry,
        storage=storage,
        hub=WatchHub(history=watch_history),
        operations=Operations(registry, storage, default_environment(), validators),
        authenticator=authenticator or TokenAuthenticator(admin_token),
        authorizer=authorizer or AllowAuthenticated(),
        metrics=ServerMetrics(),
        access=access,
    )
    if access is not None:
        auth_endpoints.install(state, access)
    return state


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Start-up: history, CRDs, namespaces, in-server controllers; shutdown in reverse."""
    state = app[STATE]
    await state.hub.prime(state.storage)
    if state.access is not None:
        await state.access.cache.load(state.storage)
        state.hub.add_listener(state.access.cache.apply)
    await state.operations.start()
    if state.access is not None:
        await state.access.seed_policy(state.operations)
    tasks = [
        asyncio.create_task(
            garbage_collector.GarbageCollector(state.operations, state.hub).run(), name="gc"
        ),
        asyncio.create_task(
            namespace_lifecycle.NamespaceController(state.operations, state.hub).run(),
            name="namespace-lifecycle",
        ),
    ]
    state.ready = True
    try:
        yield
    finally:
        state.ready = False
        state.hub.close_all()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await state.storage.close()


async def _end_watches(app: web.Application) -> None:
    """Close watch streams before connections are torn down, so clients see a clean end."""
    app[STATE].hub.close_all()


def make_app(state: ServerState) -> web.Application:
    app = web.Application(middlewares=[api_middleware], client_max_size=state.max_body_bytes)
    app[STATE] = state
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_end_watches)
    add = app.router.add_route
    for path, handler in (
        ("/version", meta.version),
        ("/healthz", meta.healthz),
        ("/livez", meta.healthz),
        ("/readyz", meta.readyz),
        ("/metrics", meta.metrics),
        ("/api", meta.api),
        ("/apis", meta.apis),
        ("/api/{version}", meta.core_resources),
        ("/apis/{group}", meta.api_group),
        ("/apis/{group}/{version}", meta.group_resources),
        ("/openapi/v2", meta.openapi_v2),
        ("/openapi/v3", meta.openapi_v3_root),
        ("/openapi/v3/{gv:.+}", meta.openapi_v3_document),
        *auth_endpoints.ISSUER_DISCOVERY_ROUTES,
    ):
        add("GET", path, handler)
    add("*", "/api/{tail:.+}", resources.handle)
    add("*", "/apis/{tail:.+}", resources.handle)
    return app
