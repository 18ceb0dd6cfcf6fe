"""API constants shared by every part of ``ocm_core``: resource addresses (`gvr`), OCM groups,
kinds, labels, finalizers and condition types (`cluster`, `placement`, `work`, `addon`,
`proxy`), CRD schemas (`schema`), conversion and spec hashes.

This package is the bottom layer: it imports nothing else from the project.
"""

from __future__ import annotations

#: Import the submodules themselves (`from ocm_core.api import gvr`); nothing is re-exported.
__all__: list[str] = []
