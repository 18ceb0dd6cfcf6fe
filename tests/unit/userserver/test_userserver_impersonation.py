"""Headers carried to the spoke: credentials and client impersonation stripped, ours added."""

from __future__ import annotations

from multidict import CIMultiDict

from ocm_core.apiserver.auth.user import UserInfo
from proxy_server.userserver.impersonation import (
    forwarded_headers,
    impersonate,
    is_upgrade,
    spoke_user,
)


def _incoming(**extra: str) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict(
        {
            "Authorization": "Bearer hub-token",
            "Impersonate-User": "admin",
            "Impersonate-Group": "system:masters",
            "Impersonate-Extra-Scopes": "x",
            "Accept": "application/json",
            "Connection": "keep-alive, X-Secret",
            "X-Secret": "drop me",
            "Content-Length": "12",
            "Host": "user-server",
            **extra,
        }
    )
    return headers


def test_client_credentials_impersonation_and_hop_by_hop_are_dropped() -> None:
    out = forwarded_headers(_incoming(), upgrade=False)
    assert dict(out) == {"Accept": "application/json"}


def test_impersonation_of_the_hub_user_with_the_spoke_token() -> None:
    out = forwarded_headers(_incoming(), upgrade=False)
    impersonate(out, UserInfo("alice", ("devs", "system:authenticated")), "spoke-token")
    assert out["Authorization"] == "Bearer spoke-token"
    assert out.getall("Impersonate-User") == ["alice"]
    assert out.getall("Impersonate-Group") == ["devs", "system:authenticated"]


def test_only_service_accounts_get_the_cluster_hub_prefix() -> None:
    assert spoke_user(UserInfo("system:serviceaccount:ns:sa", ())) == (
        "cluster:hub:system:serviceaccount:ns:sa"
    )
    assert spoke_user(UserInfo("alice", ())) == "alice"
    assert spoke_user(UserInfo("system:admin", ())) == "system:admin"


def test_upgrade_requests_keep_connection_upgrade() -> None:
    incoming = _incoming(Connection="Upgrade", Upgrade="SPDY/3.1")
    assert is_upgrade(incoming)
    out = forwarded_headers(incoming, upgrade=True)
    assert out["Connection"] == "Upgrade"
    assert out["Upgrade"] == "SPDY/3.1"
    assert not is_upgrade(_incoming())
