"""Agent admission: the same checks and answers for a gRPC stream and a lane."""

from __future__ import annotations

from proxy_server.admission import (
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    Admitted,
    AgentAdmission,
    Refusal,
)

TERMS = AgentAdmission(
    server_id="s1", server_count=2, require_identity=True, offered=frozenset({"credit", "lane"})
)


def test_an_agent_of_its_own_cluster_is_admitted_with_the_common_features() -> None:
    result = TERMS.admit(
        [
            ("agentid", "a1"),
            ("agentidentifiers", "host=c1&host=api.shop.c1"),
            ("x-ocm-tunnel-features", "credit,batch"),
        ],
        cluster="c1",
    )
    assert isinstance(result, Admitted)
    assert result.backend.agent_id == "a1"
    assert result.backend.cluster == "c1"
    assert result.features == {"credit"}
    assert TERMS.answer(result.features) == {
        "serverid": "s1",
        "servercount": "2",
        "x-ocm-tunnel-features": "credit",
    }


def test_each_admission_gets_its_own_backend_key() -> None:
    first = TERMS.admit([("agentid", "a1")], cluster="c1")
    second = TERMS.admit([("agentid", "a1")], cluster="c1")
    assert isinstance(first, Admitted)
    assert isinstance(second, Admitted)
    assert first.backend.key != second.backend.key


def test_refusals_say_why() -> None:
    assert TERMS.admit([], cluster="c1") == Refusal(
        INVALID_ARGUMENT, "expected one agentID in the stream metadata", "bad_metadata"
    )
    no_identity = TERMS.admit([("agentid", "a1")], cluster=None)
    assert isinstance(no_identity, Refusal)
    assert (no_identity.code, no_identity.reason) == (PERMISSION_DENIED, "no_identity")
    foreign = TERMS.admit([("agentid", "a1"), ("agentidentifiers", "host=c2")], cluster="c1")
    assert isinstance(foreign, Refusal)
    assert foreign.reason == "identity"
    assert "does not belong to cluster 'c1'" in foreign.message
