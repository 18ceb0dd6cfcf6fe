"""The lab's Service map: Services with selectors -> ready local endpoints of our Deployments."""

from __future__ import annotations

import json
from typing import Any

from ocm_core.localruntime.services import LocalPods, render, service_map


def deployment(name: str, labels: dict[str, str], namespace: str = "demo") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]},
            }
        },
    }


def service(
    name: str, selector: dict[str, str], ports: list[dict[str, Any]], namespace: str = "demo"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": ports},
    }


WEB = deployment("web", {"app": "web", "tier": "front"})


def test_a_service_port_leads_to_every_ready_replica_on_its_host_port() -> None:
    pods = [LocalPods(WEB, [{8080: 41001}, {8080: 41002}])]
    web = service("web", {"app": "web"}, [{"port": 80, "targetPort": 8080}])
    mapping = service_map([web], pods)
    assert mapping == {"web.demo.svc:80": ["127.0.0.1:41001", "127.0.0.1:41002"]}


def test_target_port_by_name_by_default_and_host_network() -> None:
    pods = [LocalPods(WEB, [{8080: 41001}])]
    services = [
        service("named", {"app": "web"}, [{"port": 80, "targetPort": "http"}]),
        service("same", {"app": "web"}, [{"port": 8080}]),
        service("unknown", {"app": "web"}, [{"port": 81, "targetPort": "grpc"}]),
    ]
    assert service_map(services, pods) == {
        "named.demo.svc:80": ["127.0.0.1:41001"],
        "same.demo.svc:8080": ["127.0.0.1:41001"],
        "unknown.demo.svc:81": [],
    }
    # hostNetwork pods keep their container ports (an empty port map).
    assert service_map(services[1:2], [LocalPods(WEB, [{}])]) == {
        "same.demo.svc:8080": ["127.0.0.1:8080"]
    }


def test_only_matching_labels_in_the_same_namespace_count() -> None:
    other_ns = deployment("web", {"app": "web"}, namespace="elsewhere")
    pods = [LocalPods(WEB, [{8080: 41001}]), LocalPods(other_ns, [{8080: 42000}])]
    services = [
        service("web", {"app": "web", "tier": "front"}, [{"port": 80, "targetPort": 8080}]),
        service("api", {"app": "api"}, [{"port": 80, "targetPort": 8080}]),
    ]
    assert service_map(services, pods) == {
        "web.demo.svc:80": ["127.0.0.1:41001"],
        "api.demo.svc:80": [],
    }


def test_services_without_a_selector_and_not_ready_pods() -> None:
    manual = {"metadata": {"name": "db", "namespace": "demo"}, "spec": {"ports": [{"port": 5432}]}}
    starting = [LocalPods(WEB, [])]
    mapping = service_map([manual, service("web", {"app": "web"}, [{"port": 80}])], starting)
    assert mapping == {"web.demo.svc:80": []}


def test_rendered_file_is_sorted_json_under_services() -> None:
    text = render({"b.x.svc:1": ["127.0.0.1:2"], "a.x.svc:1": []})
    assert list(json.loads(text)["services"]) == ["a.x.svc:1", "b.x.svc:1"]
