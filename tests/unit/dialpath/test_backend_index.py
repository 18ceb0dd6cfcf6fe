"""`BackendRegistry`'s address index picks what a scan of every backend would pick (pure)."""

from __future__ import annotations

from collections.abc import Hashable

from hypothesis import given
from hypothesis import strategies as st

from protos.tunnel import AgentIdentifiers
from proxy_server.backends import Backend, BackendRegistry

HOSTS = ("c1", "c2", "svc.ns.c1", "10.0.0.1")
KEYS = ("s1", "s2", "s3", "s4")


def backend(key: str, hosts: tuple[str, ...], default_route: bool) -> Backend:
    ipv4 = tuple(h for h in hosts if h[0].isdigit())
    names = tuple(h for h in hosts if not h[0].isdigit())
    return Backend(
        key=key,
        agent_id=key,
        cluster=None,
        identifiers=AgentIdentifiers(hosts=names, ipv4=ipv4, default_route=default_route),
    )


def scanned_choice(
    backends: dict[Hashable, Backend], strategy: str, host: str, draining: set[Hashable]
) -> Hashable | None:
    """The registry's rule spelled out as a scan in connection order (the reference)."""
    if strategy == "destHost":
        pool = [k for k, b in backends.items() if host in b.identifiers.addresses()]
    else:
        pool = [k for k, b in backends.items() if b.identifiers.default_route]
    ready = [k for k in pool if k not in draining]
    return (ready or pool or [None])[0] if strategy == "destHost" else (ready or pool or [None])[-1]


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.sampled_from(KEYS),
            st.lists(st.sampled_from(HOSTS), max_size=3, unique=True).map(tuple),
            st.booleans(),
        ),
        st.tuples(st.just("remove"), st.sampled_from(KEYS)),
    ),
    max_size=30,
)


@given(operations, st.sets(st.sampled_from(KEYS)))
def test_the_index_agrees_with_a_scan_after_any_adds_and_removes(
    steps: list[tuple[object, ...]], draining: set[Hashable]
) -> None:
    registry = BackendRegistry(("destHost", "defaultRoute"), choice=lambda pool: pool[-1])
    reference: dict[Hashable, Backend] = {}
    for step in steps:
        if step[0] == "add":
            _, key, hosts, default_route = step
            added = backend(str(key), hosts, bool(default_route))  # type: ignore[arg-type]
            registry.add(added)
            reference[added.key] = added  # a known key keeps its place, as in a dict
        else:
            registry.remove(step[1])
            reference.pop(step[1], None)
        for host in (*HOSTS, "unknown"):
            expected = scanned_choice(reference, "destHost", host, draining)
            if expected is None:
                expected = scanned_choice(reference, "defaultRoute", host, draining)
            assert registry.choose(f"{host}:443", draining) == expected, (host, reference)
    assert len(registry) == len(reference)


def test_a_removed_backend_is_no_longer_chosen_for_its_hosts() -> None:
    registry = BackendRegistry(("destHost",))
    registry.add(backend("old", ("c1",), False))
    registry.add(backend("new", ("c1",), False))
    registry.remove("old")
    assert registry.choose("c1:443", set()) == "new"
    registry.remove("new")
    assert registry.choose("c1:443", set()) is None
