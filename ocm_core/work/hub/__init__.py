"""Hub-side work controllers: ManifestWorkReplicaSet fan-out of ManifestWorks over Placements."""
