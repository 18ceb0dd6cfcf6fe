"""Every name a package exports in ``__all__`` exists (the surface other packages import)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["ocm_core.kube", "ocm_core.runtime", "ocm_core.api"])
def test_all_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
