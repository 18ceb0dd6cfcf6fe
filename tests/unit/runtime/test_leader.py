"""Leader election over a Lease: one leader, takeover on release or expiry, loss on failure."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import pytest

from ocm_core.api import gvr
from ocm_core.runtime.clock import FakeClock
from ocm_core.runtime.leader import LeaderElectionSettings, LeaderElector, LeadershipLostError
from tests.support.fake_kube import FakeKubeApi, eventually

FAST = LeaderElectionSettings(lease_duration=15, renew_deadline=10, retry_period=2)


def elector(api: FakeKubeApi, clock: FakeClock, identity: str) -> LeaderElector:
    return LeaderElector(
        api, namespace="ocm", name="hub-lock", identity=identity, settings=FAST, clock=clock
    )


def holder(api: FakeKubeApi) -> str:
    return str(api.objects[(gvr.LEASES, "ocm", "hub-lock")]["spec"]["holderIdentity"])


async def test_first_candidate_creates_the_lease_and_releases_it_when_done() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    ran: list[str] = []

    async def lead() -> None:
        ran.append(holder(api))

    await elector(api, clock, "a").run(lead)
    assert ran == ["a"]
    assert holder(api) == "", "a clean stop releases the lease"


async def test_standby_waits_while_the_leader_renews_then_takes_over_on_release() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    a_done, b_led = asyncio.Event(), asyncio.Event()
    a, b = elector(api, clock, "a"), elector(api, clock, "b")

    async def lead_a() -> None:
        await a_done.wait()

    async def lead_b() -> None:
        b_led.set()

    task_a = asyncio.create_task(a.run(lead_a))
    await eventually(lambda: a.leading)
    task_b = asyncio.create_task(b.run(lead_b))
    for _ in range(30):  # a minute of renewals: b must never lead meanwhile
        await clock.advance(2)
        assert not b.leading
        assert holder(api) == "a"
    a_done.set()
    await asyncio.wait_for(task_a, 5)
    await clock.advance(2)
    await asyncio.wait_for(task_b, 5)
    assert b_led.is_set()
    lease = api.objects[(gvr.LEASES, "ocm", "hub-lock")]["spec"]
    assert lease["leaseTransitions"] == 0, "taking a released lease is not a transition"


async def test_standby_takes_over_after_the_leader_vanishes() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    a, b = elector(api, clock, "a"), elector(api, clock, "b")
    b_led = asyncio.Event()

    async def forever() -> None:
        await asyncio.Event().wait()

    async def lead_b() -> None:
        b_led.set()
        await forever()

    task_a = asyncio.create_task(a.run(forever))
    await eventually(lambda: a.leading)
    task_b = asyncio.create_task(b.run(lead_b))
    await clock.advance(4)
    task_a.cancel()  # the leader's process dies: no release
    with suppress(asyncio.CancelledError):
        await task_a
    await clock.advance(12)
    assert not b_led.is_set(), "the lease has not expired yet"
    await clock.advance(8)
    await eventually(b_led.is_set)
    assert holder(api) == "b"
    assert api.objects[(gvr.LEASES, "ocm", "hub-lock")]["spec"]["leaseTransitions"] == 1
    task_b.cancel()
    with suppress(asyncio.CancelledError):
        await task_b


async def test_leader_that_cannot_renew_stops_leading() -> None:
    api, clock = FakeKubeApi(), FakeClock()
    a = elector(api, clock, "a")
    cancelled = asyncio.Event()

    async def lead() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = asyncio.create_task(a.run(lead))
    await eventually(lambda: a.leading)
    lease = await api.get(gvr.LEASES, "hub-lock", namespace="ocm")
    lease["spec"]["holderIdentity"] = "intruder"
    await api.replace(gvr.LEASES, lease)
    await clock.advance(8)
    assert a.leading
    await clock.advance(2)
    with pytest.raises(LeadershipLostError):
        await asyncio.wait_for(task, 5)
    assert cancelled.is_set()
    assert not a.leading
