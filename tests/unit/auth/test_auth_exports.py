"""The auth package's `__all__` is its whole, documented surface."""

from __future__ import annotations

import inspect

from ocm_core.apiserver import auth


def test_every_export_exists_once() -> None:
    assert len(set(auth.__all__)) == len(auth.__all__)
    missing = [name for name in auth.__all__ if not hasattr(auth, name)]
    assert missing == []


def test_exported_classes_and_functions_are_documented() -> None:
    undocumented = [
        name
        for name in auth.__all__
        if (inspect.isclass(getattr(auth, name)) or inspect.isfunction(getattr(auth, name)))
        and not inspect.getdoc(getattr(auth, name))
    ]
    assert undocumented == []


def test_public_surface_of_the_brief() -> None:
    for name in ("UserInfo", "RequestAttributes", "Decision", "RBACAuthorizer", "RBACSource"):
        assert name in auth.__all__
    assert [f.name for f in auth.UserInfo.__dataclass_fields__.values()] == [
        "name",
        "groups",
        "uid",
        "extra",
    ]
    assert auth.UserInfo("u", ()).extra == {}
