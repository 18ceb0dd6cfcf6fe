"""Controllers that run inside the API server, as kube-controller-manager does beside a real
kube-apiserver: owner-reference garbage collection and namespace deletion."""
