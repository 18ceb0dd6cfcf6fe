"""Watch semantics against a real server: resume, 410, bookmarks, watch-list, restarts."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from tests.support.apiserver_process import ApiServerProcess, open_stream

NS = "default"
MakeServer = Callable[..., ApiServerProcess]


def core_api(api: Any) -> Any:
    """CoreV1Api, typed as Any: the generated models make every field Optional."""
    return client.CoreV1Api(api)


def cm(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"v": "0"}}


def read_events(core: Any, since: str, count: int) -> list[tuple[str, str, str]]:
    """``count`` events after RV ``since`` as (type, name, resourceVersion)."""
    events = []
    stream = watch.Watch().stream(  # type: ignore[no-untyped-call]  # untyped upstream
        core.list_namespaced_config_map, NS, resource_version=since, timeout_seconds=10
    )
    for event in stream:
        meta = event["object"].metadata
        events.append((event["type"], meta.name, meta.resource_version))
        if len(events) == count:
            break
    return events


def test_watch_from_compacted_version_raises_410(make_apiserver: MakeServer) -> None:
    server = make_apiserver("--event-window", "5")
    with server.api_client() as api:
        core = core_api(api)
        for n in range(12):
            core.create_namespaced_config_map(NS, cm(f"cm{n}"))
        with pytest.raises(ApiException) as exc:
            read_events(core, "1", 1)
    assert exc.value.status == 410


@pytest.mark.parametrize("crash", [signal.SIGTERM, signal.SIGKILL], ids=["stop", "crash"])
def test_watch_resumes_after_restart_without_loss_or_duplicates(
    make_apiserver: MakeServer, crash: int
) -> None:
    server = make_apiserver()
    with server.api_client() as api:
        core = core_api(api)
        start = core.list_namespaced_config_map(NS).metadata.resource_version
        core.create_namespaced_config_map(NS, cm("a"))
        core.create_namespaced_config_map(NS, cm("b"))
        core.patch_namespaced_config_map("b", NS, {"data": {"v": "1"}})
        first = read_events(core, start, 2)
    server.restart(crash)
    with server.api_client() as api:
        core = core_api(api)
        core.create_namespaced_config_map(NS, cm("c"))
        rest = read_events(core, first[-1][2], 2)
    seen = [(kind, name) for kind, name, _ in first + rest]
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "b"), ("ADDED", "c")]
    versions = [int(rv) for _, _, rv in first + rest]
    assert versions == sorted(set(versions))


CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "things.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "things", "kind": "Thing"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


def test_data_and_crds_survive_a_crash(make_apiserver: MakeServer) -> None:
    server = make_apiserver()
    with server.api_client() as api:
        core_api(api).create_namespaced_config_map(NS, cm("kept"))
        extensions: Any = client.ApiextensionsV1Api(api)
        extensions.create_custom_resource_definition(CRD)
        custom: Any = client.CustomObjectsApi(api)
        thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}
        custom.create_namespaced_custom_object("example.com", "v1", NS, "things", thing)
    server.restart(signal.SIGKILL)
    with server.api_client() as api:
        assert core_api(api).read_namespaced_config_map("kept", NS).data == {"v": "0"}
        custom = client.CustomObjectsApi(api)
        found = custom.get_namespaced_custom_object("example.com", "v1", NS, "things", "t")
        assert found["metadata"]["name"] == "t"


def test_send_initial_events_ends_with_marked_bookmark(make_apiserver: MakeServer) -> None:
    server = make_apiserver()
    with server.api_client() as api:
        core_api(api).create_namespaced_config_map(NS, cm("initial"))
    query = (
        "allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true"
        "&timeoutSeconds=5&watch=true"
    )
    with open_stream(server, f"/api/v1/namespaces/{NS}/configmaps?{query}") as stream:
        added = json.loads(stream.readline())
        bookmark = json.loads(stream.readline())
    assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "initial")
    assert bookmark["type"] == "BOOKMARK"
    annotations = bookmark["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}


def test_send_initial_events_without_bookmarks_is_rejected(make_apiserver: MakeServer) -> None:
    server = make_apiserver()
    query = "resourceVersionMatch=NotOlderThan&sendInitialEvents=true&watch=true"
    with pytest.raises(Exception, match="422"):
        open_stream(server, f"/api/v1/namespaces/{NS}/configmaps?{query}")


def test_idle_watch_gets_periodic_bookmarks(make_apiserver: MakeServer) -> None:
    server = make_apiserver("--bookmark-interval", "0.2")
    with server.api_client() as api:
        created = core_api(api).create_namespaced_config_map(NS, cm("x"))
    rv = created.metadata.resource_version
    query = f"allowWatchBookmarks=true&resourceVersion={rv}&watch=true"
    path = f"/api/v1/namespaces/{NS}/configmaps?{query}"
    with open_stream(server, path) as stream:
        event = json.loads(stream.readline())
    assert event["type"] == "BOOKMARK"
    assert int(event["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_watch_ends_at_timeout_seconds(make_apiserver: MakeServer) -> None:
    server = make_apiserver()
    path = f"/api/v1/namespaces/{NS}/configmaps?resourceVersion=1&timeoutSeconds=1&watch=true"
    with open_stream(server, path) as stream:
        assert stream.read() == b""
