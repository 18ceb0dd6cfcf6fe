"""API constants shared by every part of ``ocm_core``: resource addresses (GVRs), and later
finalizers, condition types, labels and typed views.

This package is the bottom layer: it imports nothing else from the project.
"""

from __future__ import annotations

__all__: list[str] = []
