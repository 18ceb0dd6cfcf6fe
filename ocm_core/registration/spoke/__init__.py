"""The klusterlet registration agent: bootstrap with a bootstrap kubeconfig, keep a hub client
certificate (``hub-kubeconfig-secret``), renew the cluster lease and report cluster status."""
