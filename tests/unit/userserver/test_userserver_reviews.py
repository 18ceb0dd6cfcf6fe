"""Hub reviews: TokenReview authentication, SubjectAccessReview authorization, their cache."""

from __future__ import annotations

from typing import Any

import pytest

from ocm_core.apiserver.auth.user import UserInfo
from ocm_core.kube import errors as kube_errors
from proxy_server.userserver.authentication import (
    AuthenticatorChain,
    AuthUnavailableError,
    CertificateAuthenticator,
    Presented,
    TokenReviewAuthenticator,
)
from proxy_server.userserver.authorization import SubjectAccessReviewAuthorizer
from proxy_server.userserver.reviewcache import TTLCache


class RecordingHub:
    def __init__(self, status: dict[str, Any] | None = None, fail: bool = False) -> None:
        self.status = status or {}
        self.fail = fail
        self.calls: list[tuple[str, Any]] = []

    async def request(self, method: str, path: str, *, body: Any = None) -> dict[str, Any]:
        self.calls.append((path, body))
        if self.fail:
            raise kube_errors.KubeConnectionError("hub down")
        return {**body, "status": self.status}


async def test_token_review_names_the_user_and_is_cached() -> None:
    hub = RecordingHub(
        {"authenticated": True, "user": {"username": "alice", "groups": ["devs"], "uid": "u1"}}
    )
    authenticator = TokenReviewAuthenticator(hub)
    for _ in range(3):
        user = await authenticator.authenticate(Presented(token="t"))
        assert user == UserInfo("alice", ("devs",), uid="u1")
    assert len(hub.calls) == 1
    path, body = hub.calls[0]
    assert path == "/apis/authentication.k8s.io/v1/tokenreviews"
    assert body["spec"] == {"token": "t"}


async def test_rejected_token_is_no_user_and_the_rejection_is_cached() -> None:
    hub = RecordingHub({"authenticated": False})
    authenticator = TokenReviewAuthenticator(hub)
    assert await authenticator.authenticate(Presented(token="bad")) is None
    assert await authenticator.authenticate(Presented(token="bad")) is None
    assert await authenticator.authenticate(Presented()) is None
    assert len(hub.calls) == 1


async def test_unreachable_hub_is_reported_not_treated_as_a_rejection() -> None:
    authenticator = TokenReviewAuthenticator(RecordingHub(fail=True))
    with pytest.raises(AuthUnavailableError, match="hub down"):
        await authenticator.authenticate(Presented(token="t"))


async def test_chain_prefers_the_certificate() -> None:
    hub = RecordingHub({"authenticated": True, "user": {"username": "alice"}})
    chain = AuthenticatorChain(CertificateAuthenticator(), TokenReviewAuthenticator(hub))
    assert (await chain.authenticate(Presented(token="t"))) == UserInfo("alice", ())


async def test_subject_access_review_asks_for_the_proxy_subresource() -> None:
    hub = RecordingHub({"allowed": False, "reason": "no binding"})
    authorizer = SubjectAccessReviewAuthorizer(hub)
    user = UserInfo("bob", ("devs",))
    decision = await authorizer.authorize(user, "c1")
    assert not decision.allowed
    assert decision.reason == "no binding"
    await authorizer.authorize(user, "c1")
    await authorizer.authorize(user, "c2")
    assert len(hub.calls) == 2  # c1 cached, c2 asked
    spec = hub.calls[0][1]["spec"]
    assert spec["user"] == "bob"
    assert spec["groups"] == ["devs"]
    assert spec["resourceAttributes"] == {
        "group": "cluster.open-cluster-management.io",
        "resource": "managedclusters",
        "subresource": "proxy",
        "name": "c1",
        "verb": "get",
    }


def test_cache_entries_expire() -> None:
    now = [0.0]
    cache: TTLCache[str] = TTLCache(10, clock=lambda: now[0])
    cache.put("k", "v")
    now[0] = 9.9
    assert cache.get("k") == "v"
    now[0] = 10.0
    assert cache.get("k") is None


def test_zero_ttl_disables_the_cache() -> None:
    cache: TTLCache[str] = TTLCache(0)
    cache.put("k", "v")
    assert cache.get("k") is None
