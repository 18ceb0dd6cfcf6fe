"""The work API's controllers: `hub` (ManifestWorkReplicaSet) and `spoke` (the work agent)."""
