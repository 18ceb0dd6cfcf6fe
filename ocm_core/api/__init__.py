"""Constants for the Kubernetes and OCM APIs the project speaks: GVRs, labels, condition types."""
