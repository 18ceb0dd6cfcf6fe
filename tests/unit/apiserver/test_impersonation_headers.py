"""Impersonation headers are found in any letter case, and look-alike names are not them."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from ocm_core.apiserver import auth
from ocm_core.apiserver.auth.impersonation import Headers

ALICE = auth.UserInfo(name="alice", groups=("devs", auth.SYSTEM_AUTHENTICATED))


def allow_all(attributes: auth.RequestAttributes) -> auth.Decision:
    return auth.Decision(True, "")


@pytest.mark.parametrize(
    "headers",
    [
        {"IMPERSONATE-USER": "bob"},
        CIMultiDict([("Accept", "*/*"), ("impersonate-user", "bob")]),
    ],
)
def test_impersonation_header_in_any_case_is_honoured(headers: Headers) -> None:
    assert auth.resolve_impersonation(ALICE, headers, allow_all).name == "bob"


def test_group_without_user_in_upper_case_is_a_bad_request() -> None:
    with pytest.raises(auth.ImpersonationRequestError):
        auth.resolve_impersonation(ALICE, {"IMPERSONATE-GROUP": "ops"}, allow_all)


def test_look_alike_header_names_do_not_impersonate() -> None:
    headers = CIMultiDict([("X-Impersonate-User", "bob"), ("Authorization", "Bearer t")])
    assert auth.resolve_impersonation(ALICE, headers, allow_all) is ALICE
