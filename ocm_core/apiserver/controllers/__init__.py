"""Controllers that run inside the API server, as kube-controller-manager does beside a real
kube-apiserver: owner-reference GC and namespace lifecycle. Started only by ``app``."""

__all__: list[str] = []
