"""OCM registration: the hub controllers (`hub`) that accept clusters, approve their client
certificates, judge their leases and keep cluster sets, and the klusterlet registration agent
(`spoke`) that joins a cluster to a hub and keeps it reported. Wire names are in `names`."""
