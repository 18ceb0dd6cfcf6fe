"""The one-command local lab (`ocm up`): a hub and N managed clusters on this machine."""

from ocm_core.lab.layout import LabLayout
from ocm_core.lab.up import Lab

__all__ = ["Lab", "LabLayout"]
