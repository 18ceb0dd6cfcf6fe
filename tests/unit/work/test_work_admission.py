"""ManifestWork admission rules and the API server's per-kind validator hook."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ocm_core.api import work
from ocm_core.apiserver import errors
from ocm_core.apiserver.admission import Validators
from ocm_core.apiserver.registry import Registry
from ocm_core.cli.apiserver import hub_validators
from ocm_core.work.validation import validate_manifest_work
from tests.support.work_builders import configmap, manifest_work


def _causes(mw: dict[str, Any], old: dict[str, Any] | None = None, **kw: Any) -> dict[str, str]:
    return dict(validate_manifest_work(mw, old, **kw))


def test_a_valid_work_is_admitted() -> None:
    executor = {"subject": {"type": "ServiceAccount",
                            "serviceAccount": {"namespace": "ns", "name": "sa"}}}  # fmt: skip
    mw = manifest_work("w", "c1", [configmap("a", "ns")], executor=executor)
    assert _causes(mw) == {}


def test_manifests_must_be_named_typed_objects_without_duplicates() -> None:
    no_kind = {"apiVersion": "v1", "metadata": {"name": "x"}}
    generated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}}
    mw = manifest_work("w", "c1", [configmap("a", "ns"), no_kind, generated])
    mw["spec"]["workload"]["manifests"] += ["text", configmap("a", "ns")]
    causes = _causes(mw)
    assert causes == {
        "spec.workload.manifests[1].kind": "Required value: every manifest needs one",
        "spec.workload.manifests[2].metadata.generateName": (
            "Forbidden: manifests must use a fixed name"
        ),
        "spec.workload.manifests[2].metadata.name": "Required value: every manifest needs a name",
        "spec.workload.manifests[3]": "Invalid value: a manifest must be a Kubernetes object",
        "spec.workload.manifests[4]": "Duplicate value: the same object as manifests[0]",
    }


def test_empty_and_oversized_works_are_refused() -> None:
    assert "spec.workload.manifests" in _causes(manifest_work("w", "c1", []))
    big = configmap("big", "ns", blob="x" * 2000)
    message = _causes(manifest_work("w", "c1", [big]), limit=1024)["spec.workload.manifests"]
    assert message.startswith("Too long: the manifests are ")
    assert "limit of 1024 bytes" in message


@pytest.mark.parametrize(
    ("executor", "field"),
    [
        ({"subject": {"type": "User", "user": {"name": "bob"}}}, "spec.executor.subject.type"),
        ({"subject": {"type": "ServiceAccount", "serviceAccount": {"name": "sa"}}},
         "spec.executor.subject.serviceAccount.namespace"),
        ({}, "spec.executor.subject"),
    ],
)  # fmt: skip
def test_executor_subjects_must_be_service_accounts(executor: dict[str, Any], field: str) -> None:
    assert field in _causes(manifest_work("w", "c1", [configmap("a", "ns")], executor=executor))


def test_options_use_known_values_and_updates_check_only_spec_changes() -> None:
    config = {"resourceIdentifier": {"resource": "configmaps", "name": "a", "namespace": "ns"},
              "updateStrategy": {"type": "ServerSideApply",
                                 "serverSideApply": {"fieldManager": "kubectl"}}}  # fmt: skip
    bad = manifest_work("w", "c1", [configmap("a", "ns")], manifestConfigs=[config],
                        deleteOption={"propagationPolicy": "Later"})  # fmt: skip
    causes = _causes(bad)
    assert set(causes) == {
        "spec.deleteOption.propagationPolicy",
        "spec.manifestConfigs[0].updateStrategy.serverSideApply.fieldManager",
    }
    assert _causes(bad, old=bad) == {}, "an unchanged spec (finalizer edit) is not re-checked"


def test_the_hook_refuses_with_422_naming_every_cause() -> None:
    registry = Registry.with_builtins()
    validators = Validators()
    validators.register("", "ConfigMap", lambda new, old: [("data", "Forbidden: no data")])
    info = registry.lookup("", "v1", "configmaps")
    assert info is not None
    with pytest.raises(errors.ApiError) as caught:
        validators.check(info, configmap("a", "ns"), None)
    assert caught.value.code == 422
    assert caught.value.message == 'ConfigMap "a" is invalid: data: Forbidden: no data'
    secrets = registry.lookup("", "v1", "secrets")
    assert secrets is not None
    validators.check(secrets, {"metadata": {"name": "s"}}, None)


def test_ocm_apiserver_registers_the_manifestwork_rules() -> None:
    info = Registry.with_builtins().lookup("", "v1", "configmaps")
    assert info is not None
    manifest_work_info = dataclasses.replace(info, group=work.GROUP, kind=work.MANIFEST_WORK_KIND)
    with pytest.raises(errors.ApiError, match="at least one manifest"):
        hub_validators().check(manifest_work_info, manifest_work("w", "c1", []), None)
