from __future__ import annotations

import pytest

from ocm_core.runtime import EventRecorder, FakeClock
from tests.support.registration_fakes import Informers, RegistrationFakeApi


@pytest.fixture
def api() -> RegistrationFakeApi:
    return RegistrationFakeApi()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def informers(api: RegistrationFakeApi, clock: FakeClock) -> Informers:
    return Informers(api, clock)


@pytest.fixture
def events(api: RegistrationFakeApi, clock: FakeClock) -> EventRecorder:
    return EventRecorder(api, component="test", clock=clock)
