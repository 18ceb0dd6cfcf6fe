"""Spoke watches that wake works, and the pure parts of ``ocm work``."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
import yaml

from ocm_core.api import gvr
from ocm_core.cli.work import build_work, read_manifests, render
from ocm_core.work.spoke.watching import AppliedObjectWatcher
from tests.support.fake_kube import FakeKubeApi, eventually
from tests.support.work_builders import configmap


async def test_a_change_of_a_tracked_object_wakes_the_works_covering_it() -> None:
    spoke = FakeKubeApi()
    woken: list[str] = []
    watcher = AppliedObjectWatcher(spoke, woken.append)
    watcher.track("c1/a", [(gvr.CONFIGMAPS, "ns", "shared"), (gvr.CONFIGMAPS, "ns", "only-a")])
    watcher.track("c1/b", [(gvr.CONFIGMAPS, "ns", "shared")])
    task = asyncio.create_task(watcher.run())
    try:
        await eventually(lambda: spoke.active_watches == 1)
        await spoke.create(gvr.CONFIGMAPS, configmap("shared", "ns"))
        await eventually(lambda: sorted(woken) == ["c1/a", "c1/b"])
        await spoke.create(gvr.CONFIGMAPS, configmap("untracked", "ns"))
        watcher.forget("c1/a")
        await spoke.create(gvr.CONFIGMAPS, configmap("only-a", "ns"))
        await spoke.delete(gvr.CONFIGMAPS, "shared", namespace="ns")
        await eventually(lambda: len(woken) == 3)
        assert woken[2] == "c1/b"
        assert watcher.watched_types == ["configmaps"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_read_manifests_flattens_documents_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    items = {"apiVersion": "v1", "kind": "List", "items": [configmap("b", "ns")]}
    path.write_text(yaml.safe_dump_all([configmap("a", "ns"), None, items]))
    assert [m["metadata"]["name"] for m in read_manifests(path)] == ["a", "b"]
    path.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="is not a Kubernetes object"):
        read_manifests(path)


def test_render_table() -> None:
    mw = build_work("web", "c1", [configmap("a", "ns")])
    mw["status"] = {"conditions": [{"type": "Applied", "status": "True"}]}
    assert render([mw], "table").splitlines() == [
        "CLUSTER   NAME   MANIFESTS   APPLIED   AVAILABLE   DELETING",
        "c1        web    1           True      -",
    ]
