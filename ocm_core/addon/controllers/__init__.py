"""The add-on manager's controllers; `ocm_core.addon.manager` wires them onto a runtime Manager."""
