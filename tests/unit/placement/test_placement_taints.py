"""Taints and tolerations: effects, operators, NoSelectIfNew and tolerationSeconds."""

from datetime import timedelta
from typing import Any

import pytest

from ocm_core.placement.model import Cluster, Misconfigured, Stage
from ocm_core.placement.taints import filter_by_taints, parse_tolerations
from tests.support.placement_builders import NOW, cluster

ADDED = "2026-06-01T11:59:00Z"  # one minute before NOW


def taint(
    effect: str = "NoSelect", key: str = "gpu", value: str = "", added: str | None = ADDED
) -> dict[str, Any]:
    result: dict[str, Any] = {"key": key, "value": value, "effect": effect}
    if added is not None:
        result["timeAdded"] = added
    return result


def run(
    taints: list[dict[str, Any]], tolerations: list[dict[str, Any]], decided: bool = False
) -> tuple[bool, str | None, timedelta | None]:
    view = Cluster.from_dict(cluster("c", taints=taints))
    passed, rejected, expiry = filter_by_taints(
        [view], parse_tolerations(tolerations), {"c"} if decided else set(), NOW
    )
    message = rejected[0].message if rejected else None
    assert all(r.stage is Stage.TAINT for r in rejected)
    return bool(passed), message, (expiry - NOW) if expiry else None


def test_untainted_cluster_passes() -> None:
    assert run([], []) == (True, None, None)


def test_no_select_taint_needs_a_toleration() -> None:
    assert run([taint(value="a100")], []) == (
        False,
        "taint gpu=a100:NoSelect is not tolerated",
        None,
    )


@pytest.mark.parametrize(
    ("toleration", "tolerated"),
    [
        ({"key": "gpu", "value": "a100"}, True),  # operator defaults to Equal
        ({"key": "gpu", "operator": "Equal", "value": "h100"}, False),
        ({"key": "gpu", "operator": "Exists"}, True),
        ({"operator": "Exists"}, True),  # empty key and Exists: every taint
        ({"key": "gpu", "operator": "Exists", "effect": "NoSelect"}, True),
        ({"key": "gpu", "operator": "Exists", "effect": "PreferNoSelect"}, False),
        ({"key": "other", "operator": "Exists"}, False),
    ],
)
def test_toleration_matching(toleration: dict[str, Any], tolerated: bool) -> None:
    assert run([taint(value="a100")], [toleration])[0] is tolerated


def test_prefer_no_select_is_always_tolerated() -> None:
    assert run([taint("PreferNoSelect")], [])[0] is True


def test_no_select_if_new_spares_clusters_already_decided() -> None:
    assert run([taint("NoSelectIfNew")], [], decided=False)[0] is False
    assert run([taint("NoSelectIfNew")], [], decided=True)[0] is True
    # NoSelect keeps excluding even decided clusters.
    assert run([taint("NoSelect")], [], decided=True)[0] is False


def test_every_taint_must_be_tolerated() -> None:
    taints = [taint(key="gpu"), taint(key="maintenance")]
    tolerated, message, _ = run(taints, [{"key": "gpu", "operator": "Exists"}])
    assert not tolerated
    assert message == "taint maintenance:NoSelect is not tolerated"


def test_toleration_seconds_counts_from_time_added_and_reports_the_expiry() -> None:
    toleration = {"key": "gpu", "operator": "Exists", "tolerationSeconds": 300}
    assert run([taint()], [toleration]) == (True, None, timedelta(seconds=240))
    expired = {"key": "gpu", "operator": "Exists", "tolerationSeconds": 30}
    assert run([taint()], [expired])[0] is False


def test_toleration_seconds_without_time_added_is_expired() -> None:
    toleration = {"key": "gpu", "operator": "Exists", "tolerationSeconds": 3600}
    assert run([taint(added=None)], [toleration])[0] is False


def test_a_later_toleration_can_cover_an_expired_one() -> None:
    tolerations: list[dict[str, Any]] = [
        {"key": "gpu", "operator": "Exists", "tolerationSeconds": 1},
        {"key": "gpu", "operator": "Exists"},
    ]
    assert run([taint()], tolerations) == (True, None, None)


@pytest.mark.parametrize(
    ("toleration", "message"),
    [
        ({"operator": "Equal", "value": "x"}, "If the key is empty, operator must be Exists."),
        (
            {"key": "a", "operator": "Exists", "value": "x"},
            "If the operator is Exists, the value should be empty.",
        ),
        ({"key": "a", "operator": "Gt"}, "operator 'Gt' is not one of Equal, Exists."),
    ],
)
def test_invalid_tolerations_are_misconfigured(toleration: dict[str, Any], message: str) -> None:
    with pytest.raises(Misconfigured) as caught:
        parse_tolerations([toleration])
    assert (caught.value.plugin, caught.value.message) == ("TaintToleration", message)
