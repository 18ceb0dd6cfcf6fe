"""Add-on CSRs: approved only for accepted clusters with the published subject, custom-signer
CSRs signed by the add-on's CA; the spoke side requests, rotates and renews credentials."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
import yaml

from ocm_core import pki
from ocm_core.addon.agent import CustomSignerRegistration
from ocm_core.addon.spoke import TOKEN_EXPIRY_ANNOTATION, AddonCredentialsAgent
from ocm_core.api import addon, gvr
from ocm_core.api.gvr import Resource
from ocm_core.runtime import FakeClock
from tests.support.fake_kube import FakeKubeApi
from tests.unit.addon.conftest import Harness, HelloAddon, cluster, mca

SIGNER = "example.io/hello-signer"
USER = "system:open-cluster-management:cluster:c1:addon:hello:agent:hello"
GROUP = "system:open-cluster-management:cluster:c1:addon:hello"
REQUESTER = "system:open-cluster-management:c1:agent1"


def csr_body(
    *,
    user: str = USER,
    groups: tuple[str, ...] = (GROUP,),
    signer: str = SIGNER,
    requester: str = REQUESTER,
) -> dict[str, Any]:
    key = pki.generate_private_key()
    request = pki.create_csr(key, user=user, groups=groups)
    return {
        "metadata": {
            "name": "addon-c1-hello-1",
            "labels": {
                "open-cluster-management.io/cluster-name": "c1",
                addon.ADDON_NAME_LABEL: "hello",
            },
        },
        "spec": {
            "signerName": signer,
            "request": base64.b64encode(request).decode(),
            "usages": ["digital signature", "key encipherment", "client auth"],
            "username": requester,
        },
    }


async def registered(harness: Harness, hello: HelloAddon, *, accepted: bool) -> None:
    hello.registration_list = (CustomSignerRegistration(SIGNER, USER, (GROUP,)),)
    harness.put(gvr.MANAGED_CLUSTERS, cluster("c1", accepted=accepted))
    harness.put(gvr.MANAGED_CLUSTER_ADDONS, mca("hello", "c1"))
    await harness.run("managedclusteraddon", "c1/hello")


def approvals(api: FakeKubeApi) -> list[Any]:
    return [
        c for c in api.calls if c.verb == "replace" and c.options.get("subresource") == "approval"
    ]


async def test_csr_of_accepted_cluster_is_approved(harness: Harness, hello: HelloAddon) -> None:
    await registered(harness, hello, accepted=True)
    harness.put(gvr.CERTIFICATE_SIGNING_REQUESTS, csr_body())
    await harness.run("addon-csr", "addon-c1-hello-1")
    (call,) = approvals(harness.api)
    assert call.body["status"]["conditions"][0]["type"] == "Approved"


async def test_csr_of_unaccepted_cluster_stays_pending(harness: Harness, hello: HelloAddon) -> None:
    await registered(harness, hello, accepted=False)
    harness.put(gvr.CERTIFICATE_SIGNING_REQUESTS, csr_body())
    await harness.run("addon-csr", "addon-c1-hello-1")
    assert approvals(harness.api) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"user": "someone-else"}, id="other-user"),
        pytest.param({"groups": ("system:masters",)}, id="other-group"),
        pytest.param({"signer": "example.io/other"}, id="other-signer"),
        pytest.param({"requester": "system:open-cluster-management:c2:agent"}, id="other-cluster"),
    ],
)
async def test_csr_not_matching_registration_stays_pending(
    harness: Harness, hello: HelloAddon, body: dict[str, Any]
) -> None:
    await registered(harness, hello, accepted=True)
    harness.put(gvr.CERTIFICATE_SIGNING_REQUESTS, csr_body(**body))
    await harness.run("addon-csr", "addon-c1-hello-1")
    assert approvals(harness.api) == []


async def test_approved_custom_signer_csr_is_signed_by_the_addon_ca(
    harness: Harness, hello: HelloAddon
) -> None:
    hello.ca = pki.create_ca("hello-ca", now=harness.clock.wall())
    await registered(harness, hello, accepted=True)
    body = csr_body()
    body["status"] = {"conditions": [{"type": "Approved", "status": "True"}]}
    harness.put(gvr.CERTIFICATE_SIGNING_REQUESTS, body)
    await harness.run("addon-csr", "addon-c1-hello-1")
    stored = harness.get(gvr.CERTIFICATE_SIGNING_REQUESTS, "addon-c1-hello-1")
    assert stored is not None
    certificate = pki.load_certificate_pem(base64.b64decode(stored["status"]["certificate"]))
    assert pki.is_issued_by(certificate, hello.ca.certificate)
    assert pki.subject_user(certificate) == (USER, (GROUP,))


# -- spoke side ------------------------------------------------------------------------------


class TokenFakeApi(FakeKubeApi):
    """The fake plus TokenRequest: `create(serviceaccounts, subresource=token)` issues a token."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.tokens_issued = 0

    async def create(
        self, resource: Resource, body: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        if resource == gvr.SERVICE_ACCOUNTS and kwargs.get("subresource") == "token":
            self.tokens_issued += 1
            seconds = body["spec"]["expirationSeconds"]
            expiry = self.clock.wall() + dt.timedelta(seconds=seconds)
            return {
                "status": {
                    "token": f"token-{self.tokens_issued}",
                    "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            }
        return await super().create(resource, body, **kwargs)


def published(registrations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": {"name": "hello", "namespace": "c1"},
        "status": {"namespace": "hello-agent", "registrations": registrations},
    }


def sign_pending(hub: FakeKubeApi, ca: pki.CertificateAuthority, now: dt.datetime) -> int:
    signed = 0
    for (resource, _, _), obj in hub.objects.items():
        if resource == gvr.CERTIFICATE_SIGNING_REQUESTS and not obj.get("status", {}).get(
            "certificate"
        ):
            # An hour-long certificate, so its renewal falls due within the agent's resync.
            pem = pki.sign_csr_spec(ca, {**obj["spec"], "expirationSeconds": 3600}, now=now)
            obj.setdefault("status", {})["certificate"] = base64.b64encode(pem).decode()
            signed += 1
    return signed


async def test_spoke_requests_certificate_and_rotates_before_expiry() -> None:
    clock = FakeClock()
    hub, spoke = FakeKubeApi(), FakeKubeApi()
    ca = pki.create_ca("hello-ca", now=clock.wall())
    hub.seed(
        gvr.MANAGED_CLUSTER_ADDONS,
        published(
            [
                {
                    "type": "customSigner",
                    "customSigner": {
                        "signerName": SIGNER,
                        "subject": {"user": USER, "groups": [GROUP]},
                    },
                }
            ]
        ),
    )
    agent = AddonCredentialsAgent(hub, spoke, cluster="c1", addon_name="hello", clock=clock)
    secret_name = addon.custom_signer_secret_name("hello", SIGNER)

    await agent.sync()
    assert sign_pending(hub, ca, clock.wall()) == 1
    wait = await agent.sync()
    secret = spoke.objects[(gvr.SECRETS, "hello-agent", secret_name)]
    first = pki.load_certificate_pem(base64.b64decode(secret["data"]["tls.crt"]))
    due = (pki.rotation_due_at(first) - clock.wall()).total_seconds()
    remaining = (first.not_valid_after_utc - clock.wall()).total_seconds()
    assert wait == pytest.approx(due), "renewal is due at 80 % of the lifetime"
    assert wait < remaining

    await clock.advance(wait - 60)
    await agent.sync()
    assert sign_pending(hub, ca, clock.wall()) == 0, "not yet due: no new CSR"

    await clock.advance(120)
    await agent.sync()
    assert sign_pending(hub, ca, clock.wall()) == 1, "due: a new CSR before expiry"
    await agent.sync()
    secret = spoke.objects[(gvr.SECRETS, "hello-agent", secret_name)]
    second = pki.load_certificate_pem(base64.b64decode(secret["data"]["tls.crt"]))
    assert second.serial_number != first.serial_number
    assert clock.wall() < first.not_valid_after_utc


async def test_spoke_token_renewed_before_expiry() -> None:
    clock = FakeClock()
    hub, spoke = TokenFakeApi(clock), FakeKubeApi()
    hub.seed(
        gvr.MANAGED_CLUSTER_ADDONS,
        published([{"type": "kubeClient", "kubeClient": {"driver": "token", "subject": {}}}]),
    )
    agent = AddonCredentialsAgent(
        hub,
        spoke,
        cluster="c1",
        addon_name="hello",
        clock=clock,
        token_seconds=3600,
        hub_server="https://hub.example:6443",
    )
    wait = await agent.sync()
    assert hub.tokens_issued == 1
    assert wait == pytest.approx(0.8 * 3600)
    secret = spoke.objects[(gvr.SECRETS, "hello-agent", addon.hub_kubeconfig_secret_name("hello"))]
    assert base64.b64decode(secret["data"]["token"]) == b"token-1"
    assert secret["metadata"]["annotations"][TOKEN_EXPIRY_ANNOTATION]
    kubeconfig = yaml.safe_load(base64.b64decode(secret["data"]["kubeconfig"]))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://hub.example:6443"
    assert kubeconfig["users"][0]["user"] == {"tokenFile": "token"}

    await clock.advance(0.5 * 3600)
    await agent.sync()
    assert hub.tokens_issued == 1
    await clock.advance(0.31 * 3600)
    await agent.sync()
    assert hub.tokens_issued == 2
    secret = spoke.objects[(gvr.SECRETS, "hello-agent", addon.hub_kubeconfig_secret_name("hello"))]
    assert base64.b64decode(secret["data"]["token"]) == b"token-2"


async def test_spoke_requests_a_new_certificate_when_the_subject_changes() -> None:
    """cluster-proxy's OU names the signing CA: after a CA rotation the spoke must not wait for
    its certificate's 80 % mark, or the old CA leaves the trust bundle first."""
    clock = FakeClock()
    hub, spoke = FakeKubeApi(), FakeKubeApi()
    old_ca, new_ca = pki.create_ca("old-ca", now=clock.wall()), pki.create_ca("new-ca")

    def registration(ou: str) -> list[dict[str, Any]]:
        subject = {"user": USER, "groups": [GROUP], "organizationUnits": [ou]}
        return [
            {"type": "customSigner", "customSigner": {"signerName": SIGNER, "subject": subject}}
        ]

    hub.seed(gvr.MANAGED_CLUSTER_ADDONS, published(registration("signer-old")))
    agent = AddonCredentialsAgent(hub, spoke, cluster="c1", addon_name="hello", clock=clock)
    secret_key = (gvr.SECRETS, "hello-agent", addon.custom_signer_secret_name("hello", SIGNER))
    await agent.sync()
    assert sign_pending(hub, old_ca, clock.wall()) == 1
    await agent.sync()
    await agent.sync()
    assert sign_pending(hub, old_ca, clock.wall()) == 0, "a matching certificate is kept"

    mca = hub.objects[(gvr.MANAGED_CLUSTER_ADDONS, "c1", "hello")]
    mca["status"]["registrations"] = registration("signer-new")
    await agent.sync()
    old = spoke.objects[secret_key]["data"]["tls.crt"]
    assert sign_pending(hub, new_ca, clock.wall()) == 1, "a new CSR at once"
    await agent.sync()
    renewed = pki.load_certificate_pem(
        base64.b64decode(spoke.objects[secret_key]["data"]["tls.crt"])
    )
    assert spoke.objects[secret_key]["data"]["tls.crt"] != old
    assert pki.subject_organizational_units(renewed) == ("signer-new",)
    assert pki.is_issued_by(renewed, new_ca.certificate)
