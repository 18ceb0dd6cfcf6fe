"""CsrApprovingController: subject validation, accepted clusters, renewals, auto-approval."""

from __future__ import annotations

import pytest

from ocm_core.api import cluster as cluster_api
from ocm_core.api import gvr
from ocm_core.registration import names
from ocm_core.registration.hub.csr import CsrApprovingController, csr_state, parse_cluster_csr
from ocm_core.runtime import EventRecorder, FakeClock
from tests.support.registration_fakes import (
    Informers,
    RegistrationFakeApi,
    cluster_csr,
    managed_cluster,
)

AUTO_USER = "system:bootstrap:auto"
HUB_ACCEPTED_STATUS = {
    "conditions": [{"type": cluster_api.CONDITION_HUB_ACCEPTED, "status": "True"}]
}


def accepted_cluster(name: str) -> dict[str, object]:
    """Accepted, and the hub has finished accepting it (namespace and RBAC in place)."""
    return {**managed_cluster(name, accepted=True), "status": HUB_ACCEPTED_STATUS}


async def finish_acceptance(api: RegistrationFakeApi, cluster: str) -> None:
    """What the accept controller does once the cluster's RBAC exists."""
    await api.patch(
        gvr.MANAGED_CLUSTERS, cluster, {"status": HUB_ACCEPTED_STATUS}, subresource="status"
    )


def _controller(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> CsrApprovingController:
    return CsrApprovingController(
        api,
        informers[gvr.CERTIFICATE_SIGNING_REQUESTS],
        informers[gvr.MANAGED_CLUSTERS],
        clock,
        events,
        auto_approval_users=[AUTO_USER],
    )


async def _run(controller: CsrApprovingController, informers: Informers, name: str) -> str | None:
    informers.sync()
    await controller.reconcile(name)
    informers.sync()
    csr = informers[gvr.CERTIFICATE_SIGNING_REQUESTS].cache.get(name)
    assert csr is not None
    return csr_state(csr)


def test_parse_accepts_the_upstream_subject() -> None:
    parsed = parse_cluster_csr(cluster_csr("c1", "a1"))
    assert parsed is not None
    assert (parsed.cluster, parsed.agent_id) == ("c1", "a1")


@pytest.mark.parametrize(
    "csr",
    [
        cluster_csr("c1", label="c2"),  # label names another cluster
        cluster_csr("c1", groups=("system:open-cluster-management:c2",)),  # wrong group
        cluster_csr("c1", groups=("system:open-cluster-management:c1", "system:masters")),
    ],
)
def test_parse_rejects_bad_subjects(csr: dict[str, object]) -> None:
    assert parse_cluster_csr(csr) is None


async def test_pending_until_accepted(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", name="csr1"))
    controller = _controller(api, informers, clock, events)
    assert await _run(controller, informers, "csr1") is None
    await api.patch(gvr.MANAGED_CLUSTERS, "c1", {"spec": {"hubAcceptsClient": True}})
    assert await _run(controller, informers, "csr1") is None  # no RBAC yet: it would 403
    await finish_acceptance(api, "c1")
    assert await _run(controller, informers, "csr1") == names.CSR_APPROVED


async def test_a_cluster_accepts_pending_csrs_of_its_own_only(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, accepted_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", name="mine"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c2", name="other"))
    controller = _controller(api, informers, clock, events)
    informers.sync()
    cluster = informers[gvr.MANAGED_CLUSTERS].cache.get("c1")
    assert cluster is not None
    assert controller.pending_csrs_of(cluster) == ["mine"]
    assert await _run(controller, informers, "mine") == names.CSR_APPROVED
    assert controller.pending_csrs_of(cluster) == []


async def test_second_agent_of_an_accepted_cluster_is_not_approved(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, accepted_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", "a1", name="first"))
    api.seed(
        gvr.CERTIFICATE_SIGNING_REQUESTS,
        cluster_csr("c1", "intruder", requester=AUTO_USER, name="second"),
    )
    controller = _controller(api, informers, clock, events)
    assert await _run(controller, informers, "first") == names.CSR_APPROVED
    assert await _run(controller, informers, "second") is None


async def test_renewal_by_the_agent_itself(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, accepted_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", "a1", name="first"))
    controller = _controller(api, informers, clock, events)
    assert await _run(controller, informers, "first") == names.CSR_APPROVED
    renewal = cluster_csr("c1", "a1", requester=names.agent_user("c1", "a1"), name="renew")
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, renewal)
    assert await _run(controller, informers, "renew") == names.CSR_APPROVED


async def test_auto_approval_user_accepts_a_new_cluster(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", requester=AUTO_USER, name="a"))
    controller = _controller(api, informers, clock, events)
    assert await _run(controller, informers, "a") is None  # accepted first, approved when ready
    cluster = api.find(gvr.MANAGED_CLUSTERS, "c1")
    assert cluster is not None
    assert cluster["spec"]["hubAcceptsClient"] is True
    assert names.AUTO_ACCEPTED_ANNOTATION in cluster["metadata"]["annotations"]
    await finish_acceptance(api, "c1")
    assert await _run(controller, informers, "a") == names.CSR_APPROVED


async def test_other_users_are_not_auto_approved(
    api: RegistrationFakeApi, informers: Informers, clock: FakeClock, events: EventRecorder
) -> None:
    api.seed(gvr.MANAGED_CLUSTERS, managed_cluster("c1"))
    api.seed(gvr.CERTIFICATE_SIGNING_REQUESTS, cluster_csr("c1", requester="mallory", name="a"))
    assert await _run(_controller(api, informers, clock, events), informers, "a") is None
